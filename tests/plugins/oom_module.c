/*
 * oom_module.c — a module for tests/test_tuner.sh's scale_batch_size: Linear(784, 10) on
 * flattened MNIST images with SGD (--model.lr, 0.1), whose training_step asks the host for
 * an impossible tensor (2^62 bytes) when the batch holds more than --model.oom_above
 * samples (0: never): a real allocation failure, the CPU's out-of-memory error.
 * --model.fail_above does the same with an ordinary error (not memory).
 */
#include "ltrun.h"

typedef struct {
    lt_linear_layer fc;
    double lr;
    int64_t oom_above, fail_above;
} oom_mod;

static void *o_create(lt_ctx *ctx, const lt_hparams *hp) {
    oom_mod *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 784, 10) != LT_OK) return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 0.1);
    m->oom_above = lt_hp_int(ctx, hp, "oom_above", 0);
    m->fail_above = lt_hp_int(ctx, hp, "fail_above", 0);
    return m;
}

static lt_tensor *o_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    return lt_linear(ctx, &((oom_mod *)self)->fc, lt_flatten(ctx, x, 1));
}

static lt_tensor *o_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    oom_mod *m = self;
    (void)i;
    lt_tensor *x = lt_batch_at(ctx, b, 0);
    int64_t n = lt_size(ctx, x, 0);
    if (m->oom_above > 0 && n > m->oom_above) {
        int64_t huge[2] = {(int64_t)1 << 40, (int64_t)1 << 20};
        if (!lt_zeros(ctx, LT_FLOAT32, 2, huge)) return NULL;
    }
    if (m->fail_above > 0 && n > m->fail_above) {
        lt_fail(ctx, "a batch of %lld: not a memory error", (long long)n);
        return NULL;
    }
    return lt_cross_entropy(ctx, o_forward(ctx, self, x), lt_batch_at(ctx, b, 1));
}

static lt_optimizer *o_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = ((oom_mod *)self)->lr;
    return lt_sgd(ctx, &o);
}

LT_MODULE(oom_module, .create = o_create, .forward = o_forward, .training_step = o_training_step,
          .configure_optimizers = o_configure_optimizers)
