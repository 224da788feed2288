/* trace_module.c — a module that records every hook call (tests/test_hooks.sh). */
#include "trace.h"

typedef struct { lt_linear_layer fc; } tm;

static void *tm_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    trace("module.create");
    tm *m = lt_alloc(ctx, sizeof *m);
    return m && lt_linear_init(ctx, &m->fc, "fc", 2, 2) == LT_OK ? m : NULL;
}
static void tm_destroy(lt_ctx *ctx, void *self) { trace("module.destroy"); }
static lt_tensor *loss_of(lt_ctx *ctx, void *self, lt_batch *b) {
    tm *m = self;
    return lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}
static lt_tensor *tm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("module.training_step %lld epoch=%lld global_step=%lld training=%d", (long long)i,
          (long long)ctx->current_epoch, (long long)ctx->global_step, ctx->training);
    return loss_of(ctx, self, b);
}
static lt_status tm_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("module.validation_step %lld sanity=%d training=%d", (long long)i, ctx->sanity_checking,
          ctx->training);
    lt_log(ctx, "val/loss", loss_of(ctx, self, b), 0);
    return LT_OK;
}
static lt_status tm_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("module.test_step %lld", (long long)i);
    return LT_OK;
}
static lt_optimizer *tm_configure_optimizers(lt_ctx *ctx, void *self) {
    trace("module.configure_optimizers");
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}
#define EPOCH_HOOK(name) \
    static lt_status tm_##name(lt_ctx *ctx, void *self) { trace("module." #name); return LT_OK; }
EPOCH_HOOK(on_train_epoch_start)
EPOCH_HOOK(on_train_epoch_end)
EPOCH_HOOK(on_validation_epoch_start)
EPOCH_HOOK(on_validation_epoch_end)
EPOCH_HOOK(on_test_epoch_start)
EPOCH_HOOK(on_test_epoch_end)
EPOCH_HOOK(on_fit_start)
EPOCH_HOOK(on_fit_end)
static lt_status tm_setup(lt_ctx *ctx, void *self, lt_stage s) { trace("module.setup %s", stage_name(s)); return LT_OK; }
static lt_status tm_teardown(lt_ctx *ctx, void *self, lt_stage s) { trace("module.teardown %s", stage_name(s)); return LT_OK; }

LT_MODULE(trace, .create = tm_create, .destroy = tm_destroy, .training_step = tm_training_step,
          .validation_step = tm_validation_step, .test_step = tm_test_step,
          .configure_optimizers = tm_configure_optimizers,
          .on_train_epoch_start = tm_on_train_epoch_start, .on_train_epoch_end = tm_on_train_epoch_end,
          .on_validation_epoch_start = tm_on_validation_epoch_start,
          .on_validation_epoch_end = tm_on_validation_epoch_end,
          .on_test_epoch_start = tm_on_test_epoch_start, .on_test_epoch_end = tm_on_test_epoch_end,
          .setup = tm_setup, .teardown = tm_teardown, .on_fit_start = tm_on_fit_start,
          .on_fit_end = tm_on_fit_end)
