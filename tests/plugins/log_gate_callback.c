/* log_gate_callback.c — records trainer._logger_connector.should_update_logs
 * (lt_should_update_logs) around each training batch and at each validation batch, and
 * the logged_metrics value of the module's on_step metric "default" after each batch
 * (tests/test_log_every_n_steps.sh), and callback_metrics' epoch value of "mean_w" at
 * on_train_epoch_end. Init args: trace (file). */
#include "trace.h"

static void *lg_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)stage_name;
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    return lt_alloc(ctx, 1);
}
static lt_status lg_on_train_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("start %lld %lld log=%d", (long long)ctx->current_epoch, (long long)i,
          lt_should_update_logs(ctx));
    return LT_OK;
}
static lt_status lg_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    double v = -1;
    lt_logged_metric(ctx, "default", &v);
    trace("end %lld %lld log=%d logged_default=%g", (long long)ctx->current_epoch, (long long)i,
          lt_should_update_logs(ctx), v);
    return LT_OK;
}
static lt_status lg_on_validation_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("val %lld log=%d", (long long)i, lt_should_update_logs(ctx));
    return LT_OK;
}
/* a callback's on_train_epoch_end reads this epoch's values (Lightning's property) */
static lt_status lg_on_train_epoch_end(lt_ctx *ctx, void *self) {
    double v = -1;
    lt_callback_metric(ctx, "mean_w", &v);
    trace("epoch_end %lld mean_w=%g", (long long)ctx->current_epoch, v);
    return LT_OK;
}
LT_CALLBACK(log_gate, .create = lg_create, .on_train_epoch_end = lg_on_train_epoch_end, .on_train_batch_start = lg_on_train_batch_start,
            .on_train_batch_end = lg_on_train_batch_end,
            .on_validation_batch_start = lg_on_validation_batch_start)
