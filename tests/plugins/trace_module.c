/* trace_module.c — a module that records every hook call (tests/test_hooks.sh).
 *
 * Every LightningModule hook of the ABI is given and appends one line to the file named
 * by --model.trace; the overridable defaults (optimizer_step, optimizer_zero_grad,
 * configure_gradient_clipping, on_*_model_eval/train, on_validation_model_zero_grad)
 * do what Lightning's defaults do through the host calls. Lines are written when a hook
 * is entered (Lightning's test_hooks.py records on return; see tests/hooks_expected.txt).
 * Test knobs (hparams): skip_epoch_at (on_train_batch_start returns LT_SKIP_EPOCH at that
 * batch_idx), stop_at_fit_start (lt_set_should_stop in on_fit_start), show_idx (print the
 * batch's sample indices, field 2), print_update (largest weight change of each step),
 * no_closure (optimizer_step does not run the closure), predict_keep_train
 * (on_predict_model_eval leaves the training flag alone), quiet (only training_step,
 * validation_step, test_step and the update lines).
 *
 * Built again with -DTRACE_ABI19 as trace_module19.so (tests/test_hooks_abi19.sh): it
 * also gives the ABI 1.9 hooks prepare_data, configure_model (which builds fc there, not
 * in create: a module whose layers exist only after configure_model) and
 * transfer_batch_to_device (lt_move_data_to_device, then with --model.xfer_add N adds N
 * to the idx field). Hparams: prepare_data_per_node (lt_set_prepare_data_per_node in
 * create), xfer_add, xfer_device (the device it passes to lt_move_data_to_device; "" =
 * the one it was given), late_per_node (configure_model calls
 * lt_set_prepare_data_per_node, which only create may). With -DTRACE_AS_ABI18 too (trace_module18.so) its vtable size is
 * the 1.8 one: the host must not see those hooks, and fc is built in create. */
#include "trace.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lt_linear_layer fc;
    lt_optimizer *opt;
    int64_t skip_epoch_at;
    bool stop_at_fit_start, show_idx, print_update, no_closure, quiet, predict_keep_train;
    float before[6]; /* fc weight (4) and bias (2) before the update */
#ifdef TRACE_ABI19
    bool built;       /* configure_model made fc (it runs once per stage) */
    int64_t xfer_add; /* transfer_batch_to_device adds it to the idx field */
    const char *xfer_device;
    bool late_per_node; /* configure_model calls lt_set_prepare_data_per_node (an error) */
#endif
} tm;

#define T(...) do { if (!((tm *)self)->quiet) trace(__VA_ARGS__); } while (0)

static void *tm_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    tm *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->skip_epoch_at = lt_hp_int(ctx, hp, "skip_epoch_at", -1);
    m->stop_at_fit_start = lt_hp_bool(ctx, hp, "stop_at_fit_start", false);
    m->show_idx = lt_hp_bool(ctx, hp, "show_idx", false);
    m->print_update = lt_hp_bool(ctx, hp, "print_update", false);
    m->no_closure = lt_hp_bool(ctx, hp, "no_closure", false);
    m->quiet = lt_hp_bool(ctx, hp, "quiet", false);
    m->predict_keep_train = lt_hp_bool(ctx, hp, "predict_keep_train", false);
    void *self = m;
    T("module.create");
#if defined(TRACE_ABI19) && !defined(TRACE_AS_ABI18)
    if (lt_set_prepare_data_per_node(ctx, lt_hp_bool(ctx, hp, "prepare_data_per_node", true)))
        return NULL;
    m->xfer_add = lt_hp_int(ctx, hp, "xfer_add", 0);
    m->xfer_device = lt_hp_str(ctx, hp, "xfer_device", "");
    m->late_per_node = lt_hp_bool(ctx, hp, "late_per_node", false);
    return m; /* fc comes in configure_model */
#endif
    return lt_linear_init(ctx, &m->fc, "fc", 2, 2) == LT_OK ? m : NULL;
}
static void tm_destroy(lt_ctx *ctx, void *self) { T("module.destroy"); }
static lt_tensor *loss_of(lt_ctx *ctx, void *self, lt_batch *b) {
    tm *m = self;
    return lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}
static lt_tensor *tm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    tm *m = self;
    char idx[128] = "";
    if (m->show_idx) {
        lt_tensor *t = lt_batch_at(ctx, b, 2);
        const int64_t *d = lt_data(ctx, t);
        size_t len = 0;
        for (int64_t k = 0; d && k < lt_numel(ctx, t) && len + 24 < sizeof idx; k++)
            len += (size_t)snprintf(idx + len, sizeof idx - len, "%s%lld", k ? "," : " idx=",
                                    (long long)d[k]);
    }
    trace("module.training_step %lld epoch=%lld global_step=%lld training=%d%s", (long long)i,
          (long long)ctx->current_epoch, (long long)ctx->global_step, ctx->training, idx);
    return loss_of(ctx, self, b);
}
static lt_status tm_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    tm *m = self;
    char order[128] = ""; /* show_idx: the val batch's sample indices (not "idx=") */
    if (m->show_idx) {
        lt_tensor *t = lt_batch_at(ctx, b, 2);
        const int64_t *d = lt_data(ctx, t);
        size_t len = 0;
        for (int64_t k = 0; d && k < lt_numel(ctx, t) && len + 24 < sizeof order; k++)
            len += (size_t)snprintf(order + len, sizeof order - len, "%s%lld",
                                    k ? "," : " val_order=", (long long)d[k]);
    }
    trace("module.validation_step %lld sanity=%d training=%d%s", (long long)i, ctx->sanity_checking,
          ctx->training, order);
    lt_tensor *loss = loss_of(ctx, self, b);
    lt_log(ctx, "val/loss", loss, 0);
    return lt_step_output(ctx, loss); /* BoringModel's validation_step returns {"x": loss} */
}
static lt_status tm_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("module.test_step %lld", (long long)i);
    return lt_step_output(ctx, loss_of(ctx, self, b)); /* BoringModel's test_step: {"y": loss} */
}
static lt_optimizer *tm_configure_optimizers(lt_ctx *ctx, void *self) {
    tm *m = self;
    T("module.configure_optimizers estimated_stepping_batches=%lld",
      (long long)lt_estimated_stepping_batches(ctx));
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return m->opt = lt_sgd(ctx, &o);
}
#define PLAIN_HOOK(name) \
    static lt_status tm_##name(lt_ctx *ctx, void *self) { T("module." #name); return LT_OK; }
PLAIN_HOOK(on_train_epoch_start)
PLAIN_HOOK(on_train_epoch_end)
PLAIN_HOOK(on_validation_epoch_start)
PLAIN_HOOK(on_validation_epoch_end)
PLAIN_HOOK(on_test_epoch_start)
PLAIN_HOOK(on_test_epoch_end)
PLAIN_HOOK(on_fit_end)
PLAIN_HOOK(on_train_start)
PLAIN_HOOK(on_train_end)
PLAIN_HOOK(on_validation_start)
PLAIN_HOOK(on_validation_end)
PLAIN_HOOK(on_test_start)
PLAIN_HOOK(on_test_end)
PLAIN_HOOK(on_predict_start)
PLAIN_HOOK(on_predict_end)
PLAIN_HOOK(on_predict_epoch_start)
PLAIN_HOOK(on_predict_epoch_end)
PLAIN_HOOK(on_after_backward)
static lt_status tm_on_fit_start(lt_ctx *ctx, void *self) {
    T("module.on_fit_start");
    if (((tm *)self)->stop_at_fit_start) lt_set_should_stop(ctx, true);
    return LT_OK;
}
static lt_status tm_setup(lt_ctx *ctx, void *self, lt_stage s) { T("module.setup %s", stage_name(s)); return LT_OK; }
static lt_status tm_teardown(lt_ctx *ctx, void *self, lt_stage s) { T("module.teardown %s", stage_name(s)); return LT_OK; }

static lt_status tm_on_train_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    T("module.on_train_batch_start %lld", (long long)i);
    return i == ((tm *)self)->skip_epoch_at ? LT_SKIP_EPOCH : LT_OK;
}
static void weights(lt_ctx *ctx, tm *m, float *out) {
    const float *w = lt_data(ctx, m->fc.weight), *b = lt_data(ctx, m->fc.bias);
    for (int k = 0; k < 4; k++) out[k] = w ? w[k] : 0;
    for (int k = 0; k < 2; k++) out[4 + k] = b ? b[k] : 0;
}
static lt_status tm_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *out, lt_batch *b, int64_t i) {
    tm *m = self;
    T("module.on_train_batch_end %lld outputs=%d", (long long)i, out != NULL);
    if (m->print_update) {
        float now[6];
        weights(ctx, m, now);
        double mx = 0, l2 = 0;
        for (int k = 0; k < 6; k++) {
            double d = fabs((double)now[k] - (double)m->before[k]);
            mx = d > mx ? d : mx;
            l2 += d * d;
        }
        trace("module.update %lld max_abs=%.6f l2=%.6f", (long long)i, mx, sqrt(l2));
    }
    return LT_OK;
}
#define BATCH_HOOKS(stage)                                                                        \
    static lt_status tm_on_##stage##_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) { \
        T("module.on_" #stage "_batch_start %lld", (long long)i);                                 \
        return LT_OK;                                                                             \
    }                                                                                             \
    static lt_status tm_on_##stage##_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, \
                                               int64_t i) {                                       \
        T("module.on_" #stage "_batch_end %lld outputs=%d", (long long)i, o != NULL);             \
        return LT_OK;                                                                             \
    }
BATCH_HOOKS(validation)
BATCH_HOOKS(test)
BATCH_HOOKS(predict)
static lt_status tm_on_before_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    T("module.on_before_backward");
    return LT_OK;
}
static lt_status tm_on_before_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *o) {
    tm *m = self;
    T("module.on_before_optimizer_step");
    weights(ctx, m, m->before);
    return LT_OK;
}
static lt_status tm_on_before_zero_grad(lt_ctx *ctx, void *self, lt_optimizer *o) {
    T("module.on_before_zero_grad");
    return LT_OK;
}
static lt_status tm_optimizer_step(lt_ctx *ctx, void *self, int64_t epoch, int64_t i,
                                   lt_optimizer *o, lt_closure *closure) {
    T("module.optimizer_step epoch=%lld batch=%lld", (long long)epoch, (long long)i);
    if (((tm *)self)->no_closure) return LT_OK;
    return lt_optimizer_step(ctx, o, closure); /* Lightning's default */
}
static lt_status tm_optimizer_zero_grad(lt_ctx *ctx, void *self, int64_t epoch, int64_t i,
                                        lt_optimizer *o) {
    T("module.optimizer_zero_grad epoch=%lld batch=%lld", (long long)epoch, (long long)i);
    return lt_optimizer_zero_grad(ctx, o);
}
static lt_status tm_configure_gradient_clipping(lt_ctx *ctx, void *self, lt_optimizer *o,
                                                double val, const char *algo) {
    T("module.configure_gradient_clipping val=%g algorithm=%s", val, algo ? algo : "None");
    return lt_clip_gradients(ctx, o, val, algo);
}
static lt_status tm_on_validation_model_eval(lt_ctx *ctx, void *self) {
    T("module.on_validation_model_eval");
    lt_train_mode(ctx, false);
    return LT_OK;
}
static lt_status tm_on_validation_model_train(lt_ctx *ctx, void *self) {
    T("module.on_validation_model_train");
    lt_train_mode(ctx, true);
    return LT_OK;
}
static lt_status tm_on_test_model_eval(lt_ctx *ctx, void *self) {
    T("module.on_test_model_eval");
    lt_train_mode(ctx, false);
    return LT_OK;
}
static lt_status tm_on_test_model_train(lt_ctx *ctx, void *self) {
    T("module.on_test_model_train");
    lt_train_mode(ctx, true);
    return LT_OK;
}
static lt_status tm_on_predict_model_eval(lt_ctx *ctx, void *self) {
    T("module.on_predict_model_eval");
    if (!((tm *)self)->predict_keep_train) lt_train_mode(ctx, false);
    return LT_OK;
}
static lt_status tm_on_validation_model_zero_grad(lt_ctx *ctx, void *self) {
    T("module.on_validation_model_zero_grad");
    tm *m = self;
    return m->opt ? lt_optimizer_zero_grad(ctx, m->opt) : LT_OK;
}
static lt_tensor *tm_predict_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    trace("module.predict_step %lld training=%d", (long long)i, ctx->training);
    tm *m = self;
    return lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0));
}
static lt_status tm_on_before_batch_transfer(lt_ctx *ctx, void *self, lt_batch *b, int64_t d) {
    T("module.on_before_batch_transfer %lld", (long long)d);
    return LT_OK;
}
static lt_status tm_on_after_batch_transfer(lt_ctx *ctx, void *self, lt_batch *b, int64_t d) {
    T("module.on_after_batch_transfer %lld", (long long)d);
    return LT_OK;
}

/* ABI 1.5: module hooks */
static lt_status tm_configure_callbacks(lt_ctx *ctx, void *self) {
    T("module.configure_callbacks");
    return LT_OK;
}
static lt_status tm_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    T("module.backward");
    return lt_tensor_backward(ctx, loss); /* Lightning's default: loss.backward() */
}

#ifdef TRACE_ABI19
/* ABI 1.9: module hooks */
static lt_status tm_prepare_data(lt_ctx *ctx, void *self) {
    T("module.prepare_data");
    return LT_OK;
}
static lt_status tm_configure_model(lt_ctx *ctx, void *self) {
    tm *m = self;
    T("module.configure_model built=%d", m->built);
    if (m->late_per_node && lt_set_prepare_data_per_node(ctx, false)) return LT_ERROR;
    if (m->built) return LT_OK; /* idempotent: Lightning calls it in every stage */
    m->built = true;
    return lt_linear_init(ctx, &m->fc, "fc", 2, 2);
}
static lt_status tm_transfer_batch_to_device(lt_ctx *ctx, void *self, lt_batch *b,
                                             const char *device, int64_t d) {
    tm *m = self;
    T("module.transfer_batch_to_device %s %lld", device, (long long)d);
    if (lt_move_data_to_device(ctx, b, m->xfer_device[0] ? m->xfer_device : device))
        return LT_ERROR; /* super().transfer_batch_to_device(batch, device, dataloader_idx) */
    if (!m->xfer_add) return LT_OK;
    lt_tensor *idx = lt_batch_at(ctx, b, 2);
    int64_t n = lt_numel(ctx, idx), moved[64];
    const int64_t *v = lt_data(ctx, idx);
    for (int64_t k = 0; v && k < n && k < 64; k++) moved[k] = v[k] + m->xfer_add;
    return lt_batch_set(ctx, b, 2, lt_tensor_from(ctx, LT_INT64, 1, &n, moved));
}
#define TRACE_ABI19_HOOKS , .prepare_data = tm_prepare_data, .configure_model = tm_configure_model, \
                          .transfer_batch_to_device = tm_transfer_batch_to_device
#ifdef TRACE_AS_ABI18
/* a plugin built against the 1.8 header: its table ends before the 1.9 block (the
 * members after it are given, so a host that ignored the size would call them) */
#pragma GCC diagnostic ignored "-Woverride-init"
#define TRACE_SIZE , .size = offsetof(lt_module_vtable, prepare_data)
#else
#define TRACE_SIZE
#endif
#else
#define TRACE_ABI19_HOOKS
#define TRACE_SIZE
#endif

LT_MODULE(trace, .create = tm_create, .destroy = tm_destroy, .training_step = tm_training_step,
          .validation_step = tm_validation_step, .test_step = tm_test_step,
          .configure_optimizers = tm_configure_optimizers,
          .on_train_epoch_start = tm_on_train_epoch_start, .on_train_epoch_end = tm_on_train_epoch_end,
          .on_validation_epoch_start = tm_on_validation_epoch_start,
          .on_validation_epoch_end = tm_on_validation_epoch_end,
          .on_test_epoch_start = tm_on_test_epoch_start, .on_test_epoch_end = tm_on_test_epoch_end,
          .setup = tm_setup, .teardown = tm_teardown, .on_fit_start = tm_on_fit_start,
          .on_fit_end = tm_on_fit_end,
          /* ABI 1.4 */
          .on_train_start = tm_on_train_start, .on_train_end = tm_on_train_end,
          .on_validation_start = tm_on_validation_start, .on_validation_end = tm_on_validation_end,
          .on_test_start = tm_on_test_start, .on_test_end = tm_on_test_end,
          .on_predict_start = tm_on_predict_start, .on_predict_end = tm_on_predict_end,
          .on_predict_epoch_start = tm_on_predict_epoch_start,
          .on_predict_epoch_end = tm_on_predict_epoch_end,
          .on_train_batch_start = tm_on_train_batch_start, .on_train_batch_end = tm_on_train_batch_end,
          .on_validation_batch_start = tm_on_validation_batch_start,
          .on_validation_batch_end = tm_on_validation_batch_end,
          .on_test_batch_start = tm_on_test_batch_start, .on_test_batch_end = tm_on_test_batch_end,
          .on_predict_batch_start = tm_on_predict_batch_start,
          .on_predict_batch_end = tm_on_predict_batch_end,
          .on_before_backward = tm_on_before_backward, .on_after_backward = tm_on_after_backward,
          .on_before_optimizer_step = tm_on_before_optimizer_step,
          .on_before_zero_grad = tm_on_before_zero_grad, .optimizer_step = tm_optimizer_step,
          .optimizer_zero_grad = tm_optimizer_zero_grad,
          .configure_gradient_clipping = tm_configure_gradient_clipping,
          .on_validation_model_eval = tm_on_validation_model_eval,
          .on_validation_model_train = tm_on_validation_model_train,
          .on_test_model_eval = tm_on_test_model_eval, .on_test_model_train = tm_on_test_model_train,
          .on_predict_model_eval = tm_on_predict_model_eval,
          .on_validation_model_zero_grad = tm_on_validation_model_zero_grad,
          .predict_step = tm_predict_step, .on_before_batch_transfer = tm_on_before_batch_transfer,
          .on_after_batch_transfer = tm_on_after_batch_transfer,
          .configure_callbacks = tm_configure_callbacks, .backward = tm_backward
          TRACE_ABI19_HOOKS TRACE_SIZE)
