/* trace_callback.c — a callback that records every Callback hook it gets
 * (tests/test_hooks.sh). Init args: trace (file), name (line prefix, "callback"),
 * stop_at_step (set trainer.should_stop in on_train_batch_end once global_step reaches
 * it; -1 = never). Built twice: as trace_callback.so and, with -DTRACE_CHECKPOINT, as
 * trace_checkpoint.so carrying LT_CALLBACK_CHECKPOINT (reordered last, "monitoring"). */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int64_t stop_at_step;
} tc;

static void *tc_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    tc *c = lt_alloc(ctx, sizeof *c);
    if (!c) return NULL;
    c->name = lt_hp_str(ctx, hp, "name", "callback");
    c->stop_at_step = lt_hp_int(ctx, hp, "stop_at_step", -1);
    trace("%s.create", c->name);
    return c;
}
static void tc_destroy(lt_ctx *ctx, void *self) { trace("%s.destroy", ((tc *)self)->name); }
#define N(self) (((tc *)(self))->name)
#define PLAIN(hook) \
    static lt_status tc_##hook(lt_ctx *ctx, void *self) { trace("%s." #hook, N(self)); return LT_OK; }
PLAIN(on_fit_start)
PLAIN(on_fit_end)
PLAIN(on_sanity_check_start)
PLAIN(on_sanity_check_end)
PLAIN(on_train_start)
PLAIN(on_train_end)
PLAIN(on_validation_start)
PLAIN(on_validation_end)
PLAIN(on_test_start)
PLAIN(on_test_end)
PLAIN(on_predict_start)
PLAIN(on_predict_end)
PLAIN(on_train_epoch_start)
PLAIN(on_train_epoch_end)
PLAIN(on_validation_epoch_start)
PLAIN(on_validation_epoch_end)
PLAIN(on_test_epoch_start)
PLAIN(on_test_epoch_end)
PLAIN(on_predict_epoch_start)
PLAIN(on_predict_epoch_end)
PLAIN(on_after_backward)
static lt_status tc_setup(lt_ctx *ctx, void *self, lt_stage s) { trace("%s.setup %s", N(self), stage_name(s)); return LT_OK; }
static lt_status tc_teardown(lt_ctx *ctx, void *self, lt_stage s) { trace("%s.teardown %s", N(self), stage_name(s)); return LT_OK; }
#define BATCH(stage)                                                                              \
    static lt_status tc_on_##stage##_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) { \
        trace("%s.on_" #stage "_batch_start %lld", N(self), (long long)i);                        \
        return LT_OK;                                                                             \
    }
BATCH(train)
BATCH(validation)
BATCH(test)
BATCH(predict)
#define BATCH_END(stage)                                                                          \
    static lt_status tc_on_##stage##_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, \
                                               int64_t i) {                                       \
        trace("%s.on_" #stage "_batch_end %lld outputs=%d", N(self), (long long)i, o != NULL);    \
        return LT_OK;                                                                             \
    }
BATCH_END(validation)
BATCH_END(test)
BATCH_END(predict)
static lt_status tc_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    tc *c = self;
    trace("%s.on_train_batch_end %lld outputs=%d", c->name, (long long)i, o != NULL);
    if (c->stop_at_step >= 0 && ctx->global_step >= c->stop_at_step) lt_set_should_stop(ctx, true);
    return LT_OK;
}
static lt_status tc_on_before_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    trace("%s.on_before_backward", N(self));
    return LT_OK;
}
static lt_status tc_on_before_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *o) {
    trace("%s.on_before_optimizer_step", N(self));
    return LT_OK;
}
static lt_status tc_on_before_zero_grad(lt_ctx *ctx, void *self, lt_optimizer *o) {
    trace("%s.on_before_zero_grad", N(self));
    return LT_OK;
}
static void tc_on_exception(lt_ctx *ctx, void *self, const char *msg) {
    trace("%s.on_exception %s", N(self), msg);
}

#ifdef TRACE_CHECKPOINT
#define TRACE_ID trace_checkpoint
#define TRACE_TRAITS (LT_CALLBACK_CHECKPOINT)
#else
#define TRACE_ID trace_callback
#define TRACE_TRAITS 0
#endif
LT_CALLBACK(TRACE_ID, .traits = TRACE_TRAITS, .create = tc_create, .destroy = tc_destroy,
            .setup = tc_setup, .teardown = tc_teardown, .on_fit_start = tc_on_fit_start,
            .on_fit_end = tc_on_fit_end, .on_sanity_check_start = tc_on_sanity_check_start,
            .on_sanity_check_end = tc_on_sanity_check_end, .on_train_start = tc_on_train_start,
            .on_train_end = tc_on_train_end, .on_validation_start = tc_on_validation_start,
            .on_validation_end = tc_on_validation_end, .on_test_start = tc_on_test_start,
            .on_test_end = tc_on_test_end, .on_predict_start = tc_on_predict_start,
            .on_predict_end = tc_on_predict_end, .on_train_epoch_start = tc_on_train_epoch_start,
            .on_train_epoch_end = tc_on_train_epoch_end,
            .on_validation_epoch_start = tc_on_validation_epoch_start,
            .on_validation_epoch_end = tc_on_validation_epoch_end,
            .on_test_epoch_start = tc_on_test_epoch_start, .on_test_epoch_end = tc_on_test_epoch_end,
            .on_predict_epoch_start = tc_on_predict_epoch_start,
            .on_predict_epoch_end = tc_on_predict_epoch_end,
            .on_train_batch_start = tc_on_train_batch_start, .on_train_batch_end = tc_on_train_batch_end,
            .on_validation_batch_start = tc_on_validation_batch_start,
            .on_validation_batch_end = tc_on_validation_batch_end,
            .on_test_batch_start = tc_on_test_batch_start, .on_test_batch_end = tc_on_test_batch_end,
            .on_predict_batch_start = tc_on_predict_batch_start,
            .on_predict_batch_end = tc_on_predict_batch_end,
            .on_before_backward = tc_on_before_backward, .on_after_backward = tc_on_after_backward,
            .on_before_optimizer_step = tc_on_before_optimizer_step,
            .on_before_zero_grad = tc_on_before_zero_grad, .on_exception = tc_on_exception)
