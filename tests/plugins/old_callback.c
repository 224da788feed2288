/*
 * old_callback.c — a callback plugin compiled against the oldest supported callback
 * layout: lt_callback_vtable as ABI 1.4 first defined it (commit c658ebb), frozen here as
 * old_callback_vtable and declared by hand (no LT_CALLBACK), so the descriptor's vtable
 * size stays that of the old layout however much the header's struct grows at its end.
 * The host must accept it and call exactly the hooks the old layout holds.
 *
 * Built twice:
 *  - old_callback.so: the whole frozen layout.
 *  - old_callback_short.so (-DOLD_CALLBACK_SHORT): size cut after on_train_epoch_end, as
 *    a plugin built before the later members existed; the members after the cut are
 *    physically there and point at a canary that records "OUT OF BOUNDS" — the host must
 *    never read past `size`.
 * init arg: trace (file the hooks append their names to).
 */
#include <ltrun.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct old_callback_vtable { /* lt_callback_vtable at ABI 1.4 (c658ebb) */
    uint32_t size;
    uint32_t traits;
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*on_fit_start)(lt_ctx *ctx, void *self);
    lt_status (*on_fit_end)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_start)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_train_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                    int64_t batch_idx);
    lt_status (*on_validation_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx);
    lt_status (*on_validation_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                         lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                   int64_t batch_idx);
    lt_status (*on_predict_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                        int64_t batch_idx);
    lt_status (*on_predict_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                      lt_batch *batch, int64_t batch_idx);
    lt_status (*on_before_backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    lt_status (*on_after_backward)(lt_ctx *ctx, void *self);
    lt_status (*on_before_optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    lt_status (*on_before_zero_grad)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    void (*on_exception)(lt_ctx *ctx, void *self, const char *message);
} old_callback_vtable;

/* The header's struct may only grow at its end: the old layout is its prefix. */
#define SAME_OFFSET(m) \
    _Static_assert(offsetof(old_callback_vtable, m) == offsetof(lt_callback_vtable, m), \
                   "lt_callback_vtable's head changed: " #m " moved (ABI break)")
SAME_OFFSET(traits);
SAME_OFFSET(create);
SAME_OFFSET(setup);
SAME_OFFSET(on_train_epoch_end);
SAME_OFFSET(on_validation_epoch_end);
SAME_OFFSET(on_train_batch_end);
SAME_OFFSET(on_before_zero_grad);
SAME_OFFSET(on_exception);
_Static_assert(sizeof(old_callback_vtable) <= sizeof(lt_callback_vtable),
               "lt_callback_vtable shrank (ABI break)");

static const char *trace_path;
static void trace(const char *fmt, ...) {
    FILE *f = trace_path ? fopen(trace_path, "a") : NULL;
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static int state; /* what create returns: any non-NULL pointer */
static void *oc_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    trace("create");
    return &state;
}
static void oc_destroy(lt_ctx *ctx, void *self) { trace("destroy"); }
static lt_status oc_setup(lt_ctx *ctx, void *self, lt_stage s) { trace("setup %d", (int)s); return LT_OK; }
static lt_status oc_teardown(lt_ctx *ctx, void *self, lt_stage s) { trace("teardown %d", (int)s); return LT_OK; }
static lt_status oc_on_fit_start(lt_ctx *ctx, void *self) { trace("on_fit_start"); return LT_OK; }
static lt_status oc_on_fit_end(lt_ctx *ctx, void *self) { trace("on_fit_end"); return LT_OK; }
static lt_status oc_on_train_epoch_start(lt_ctx *ctx, void *self) {
    trace("on_train_epoch_start %lld", (long long)ctx->current_epoch);
    return LT_OK;
}
static lt_status oc_on_train_epoch_end(lt_ctx *ctx, void *self) {
    trace("on_train_epoch_end %lld", (long long)ctx->current_epoch);
    return LT_OK;
}
#ifndef OLD_CALLBACK_SHORT /* past the short variant's cut */
static lt_status oc_on_validation_epoch_end(lt_ctx *ctx, void *self) {
    trace("on_validation_epoch_end %lld", (long long)ctx->current_epoch);
    return LT_OK;
}
static lt_status oc_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                       int64_t i) {
    trace("on_train_batch_end %lld", (long long)i);
    return LT_OK;
}
static lt_status oc_on_before_zero_grad(lt_ctx *ctx, void *self, lt_optimizer *opt) {
    trace("on_before_zero_grad");
    return LT_OK;
}
static void oc_on_exception(lt_ctx *ctx, void *self, const char *m) { trace("on_exception"); }
#endif

#ifdef OLD_CALLBACK_SHORT
static lt_status canary(lt_ctx *ctx, void *self) {
    trace("OUT OF BOUNDS: a hook past the vtable's size was called");
    return LT_OK;
}
#define NAME "old_callback_short"
#define VT_SIZE offsetof(old_callback_vtable, on_validation_epoch_start)
#define AFTER_CUT .on_validation_epoch_start = canary, .on_validation_epoch_end = canary
#else
#define NAME "old_callback"
#define VT_SIZE sizeof(old_callback_vtable)
#define AFTER_CUT .on_validation_epoch_end = oc_on_validation_epoch_end,               \
                  .on_train_batch_end = oc_on_train_batch_end,                         \
                  .on_before_zero_grad = oc_on_before_zero_grad,                       \
                  .on_exception = oc_on_exception
#endif

static const old_callback_vtable vt = {
    .size = VT_SIZE, .create = oc_create, .destroy = oc_destroy, .setup = oc_setup,
    .teardown = oc_teardown, .on_fit_start = oc_on_fit_start, .on_fit_end = oc_on_fit_end,
    .on_train_epoch_start = oc_on_train_epoch_start, .on_train_epoch_end = oc_on_train_epoch_end,
    AFTER_CUT};
/* the ABI minor callbacks first appeared in: the oldest a callback can claim */
static const lt_descriptor d = {1, 4, sizeof(lt_descriptor), LT_KIND_CALLBACK, NAME, "1.0",
                                "callback frozen at its first ABI layout", &vt};
static const lt_descriptor *const list[] = {&d};
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count);
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *h, uint32_t *count) {
    (void)h;
    *count = 1;
    return list;
}
