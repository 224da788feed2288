/* bn_module.c — BatchNorm layers made with lt_batchnorm1d_init / lt_batchnorm2d_init /
 * lt_batchnorm_init, for the model summary's Type column (nn.BatchNorm2d shows as
 * "BatchNorm2d" in Lightning's summary). Its loss is the squared sum of the affine
 * weights: enough for a fit to run. */
#include <ltrun.h>

typedef struct {
    lt_batchnorm_layer bn1, bn2, bn;
} bn_module;

static void *bm_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    bn_module *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_batchnorm1d_init(ctx, &m->bn1, "bn1", 3, NULL) ||
        lt_batchnorm2d_init(ctx, &m->bn2, "bn2", 4, NULL) ||
        lt_batchnorm_init(ctx, &m->bn, "bn", 2, NULL))
        return NULL;
    return m;
}

static lt_tensor *bm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    (void)batch, (void)i;
    bn_module *m = self;
    return lt_sum(ctx, lt_mul(ctx, m->bn2.weight, m->bn2.weight));
}

static lt_optimizer *bm_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

LT_MODULE(bn_module, .create = bm_create, .training_step = bm_training_step,
          .configure_optimizers = bm_configure_optimizers)
