/* grad_module.c — a module with gradients a test knows by hand: parameters w = [1, -2,
 * 3, -4] and b = [0.5, -0.5], loss = 0.5 * sum(w * w) + 3 * sum(b), so dloss/dw = w and
 * dloss/db = [3, 3] at every step (SGD with lr 0 leaves the weights as they are). */
#include <ltrun.h>

typedef struct {
    lt_tensor *w, *b;
} grad_module;

static void *gm_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    grad_module *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    int64_t nw[1] = {4}, nb[1] = {2};
    if (!(m->w = lt_param(ctx, "w", LT_FLOAT32, 1, nw)) ||
        !(m->b = lt_param(ctx, "b", LT_FLOAT32, 1, nb)))
        return NULL;
    float *w = lt_data(ctx, m->w), *b = lt_data(ctx, m->b);
    w[0] = 1, w[1] = -2, w[2] = 3, w[3] = -4;
    b[0] = 0.5f, b[1] = -0.5f;
    return m;
}

static lt_tensor *gm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    (void)batch, (void)i;
    grad_module *m = self;
    lt_tensor *sq = lt_mul_scalar(ctx, lt_sum(ctx, lt_mul(ctx, m->w, m->w)), 0.5);
    return lt_add(ctx, sq, lt_mul_scalar(ctx, lt_sum(ctx, m->b), 3.0));
}

static lt_optimizer *gm_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.0;
    return lt_sgd(ctx, &o);
}

LT_MODULE(grad_module, .create = gm_create, .training_step = gm_training_step,
          .configure_optimizers = gm_configure_optimizers)
