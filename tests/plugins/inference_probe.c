/* inference_probe.c — does torch.enable_grad() inside validation/test/predict record?
 * Each eval step turns grad on (lt_set_grad_enabled, torch.enable_grad), computes w * w
 * and reports whether the result requires grad: under Trainer(inference_mode=True) it
 * must not (inference mode is not left by enable_grad), under inference_mode=False
 * (torch.no_grad) it must. validation_step logs val/recorded, test_step test/recorded,
 * predict_step prints "predict recorded=N" on stderr. Training: loss = sum(w * w). */
#include <ltrun.h>

#include <stdio.h>

typedef struct {
    lt_tensor *w;
} probe;

static void *ip_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    probe *m = lt_alloc(ctx, sizeof *m);
    int64_t n[1] = {2};
    if (!m || !(m->w = lt_param(ctx, "w", LT_FLOAT32, 1, n))) return NULL;
    float *w = lt_data(ctx, m->w);
    w[0] = 1, w[1] = -2;
    return m;
}

/* 1 when an op under enable_grad was recorded for backward */
static double recorded(lt_ctx *ctx, probe *m) {
    bool was = lt_set_grad_enabled(ctx, true);
    lt_tensor *y = lt_mul(ctx, m->w, m->w);
    double r = lt_requires_grad(ctx, y) ? 1.0 : 0.0;
    lt_set_grad_enabled(ctx, was);
    return r;
}

static lt_tensor *ip_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b, (void)i;
    probe *m = self;
    return lt_sum(ctx, lt_mul(ctx, m->w, m->w));
}

static lt_status ip_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b, (void)i;
    lt_log_value(ctx, "val/recorded", recorded(ctx, self), LT_ON_EPOCH);
    return LT_OK;
}

static lt_status ip_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b, (void)i;
    lt_log_value(ctx, "test/recorded", recorded(ctx, self), LT_ON_EPOCH);
    return LT_OK;
}

static lt_tensor *ip_predict_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    fprintf(stderr, "predict recorded=%g\n", recorded(ctx, self));
    return lt_batch_at(ctx, b, 0);
}

static lt_optimizer *ip_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.0;
    return lt_sgd(ctx, &o);
}

LT_MODULE(inference_probe, .create = ip_create, .training_step = ip_training_step,
          .validation_step = ip_validation_step, .test_step = ip_test_step,
          .predict_step = ip_predict_step, .configure_optimizers = ip_configure_optimizers)
