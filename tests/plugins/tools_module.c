/*
 * tools_module.c — a module for the entry-point, logging and tools tests
 * (tests/test_predict.c, tests/test_tools.sh).
 *
 * fc = Linear(2, 3) with fixed weights W[i][j] = 0.5 i - 0.25 j + 0.125, b[i] = 0.25 i - 0.5
 * (exact in float32), so a test can compute forward itself. Built twice: tools_module.so
 * with predict_step (2 * forward(x), plus outputs "y" = batch[1] and "xsum" = x.sum()),
 * and tools_forward.so without it (predict falls back to forward(batch[0])).
 * hparams: trace (file the hooks append to), anomaly ("forward" | "backward": make a
 * NaN/Inf there), bad_log (a logging-rule violation to commit, see bad_log below).
 */
#include "trace.h"

#include <string.h>

typedef struct {
    lt_linear_layer fc;
    const char *anomaly, *bad_log;
} tools;

static void *t_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)stage_name;
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    tools *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 3) != LT_OK) return NULL;
    m->anomaly = lt_hp_str(ctx, hp, "anomaly", "none");
    m->bad_log = lt_hp_str(ctx, hp, "bad_log", "none");
    /* written on the host, copied onto the parameters' device (lt_data is host-only) */
    float w[6], b[3];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) w[i * 2 + j] = 0.5f * (float)i - 0.25f * (float)j + 0.125f;
        b[i] = 0.25f * (float)i - 0.5f;
    }
    const int64_t ws[2] = {3, 2}, bs[1] = {3};
    if (lt_copy_(ctx, m->fc.weight, lt_tensor_from(ctx, LT_FLOAT32, 2, ws, w)) != LT_OK ||
        lt_copy_(ctx, m->fc.bias, lt_tensor_from(ctx, LT_FLOAT32, 1, bs, b)) != LT_OK)
        return NULL;
    return m;
}

static lt_tensor *t_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    return lt_linear(ctx, &((tools *)self)->fc, x);
}

static lt_tensor *t_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    tools *m = self;
    lt_tensor *logits = t_forward(ctx, self, lt_batch_at(ctx, b, 0));
    if (!strcmp(m->anomaly, "forward")) /* log of a negative number: nan in 'log' */
        logits = lt_ln(ctx, lt_add_scalar(ctx, logits, -100.0));
    lt_tensor *loss = lt_cross_entropy(ctx, logits, lt_batch_at(ctx, b, 1));
    if (!strcmp(m->anomaly, "backward")) /* sqrt(0): finite forward, inf gradient */
        loss = lt_add(ctx, loss, lt_sum(ctx, lt_sqrt(ctx, lt_mul_scalar(ctx, lt_relu(ctx, logits), 0.0))));
    /* self.log rules with values the test can compute: v = batch_idx + 1 over batches of
     * 4, 4 and 2 samples */
    double v = (double)i + 1;
    lt_log_options o = LT_LOG_DEFAULTS;
    lt_log_value_ex(ctx, "default", v, &o);                    /* on_step only */
    o.on_epoch = 1;                                            /* on_step stays the default */
    lt_log_value_ex(ctx, "both", v, &o);                       /* both_step, both_epoch */
    o = LT_LOG_DEFAULTS;
    o.on_step = 0;
    o.on_epoch = 1;
    lt_log_value_ex(ctx, "mean_w", v, &o);                     /* batch-size weighted */
    o.batch_size = 1;
    lt_log_value_ex(ctx, "mean_1", v, &o);                     /* explicit batch_size */
    o.batch_size = 0;
    o.reduce_fx = "sum";
    lt_log_value_ex(ctx, "sum", v, &o);
    o.reduce_fx = "max";
    lt_log_value_ex(ctx, "max", v, &o);
    o.reduce_fx = "min";
    lt_log_value_ex(ctx, "min", v, &o);
    o = LT_LOG_DEFAULTS;
    o.prog_bar = true;
    o.logger = false;
    o.sync_dist = true; /* accepted, a no-op on one process */
    const char *names[2] = {"pb_a", "pb_b"};
    lt_tensor *vals[2] = {lt_mul_scalar(ctx, loss, 0.0), lt_add_scalar(ctx, lt_mul_scalar(ctx, loss, 0.0), 7.0)};
    lt_log_dict(ctx, 2, names, (const lt_tensor *const *)vals, &o);
    if (!strcmp(m->bad_log, "both_false")) {
        o = LT_LOG_DEFAULTS;
        o.on_step = o.on_epoch = 0;
        lt_log_value_ex(ctx, "nothing", v, &o);
    } else if (!strcmp(m->bad_log, "reduce")) {
        o = LT_LOG_DEFAULTS;
        o.reduce_fx = "median";
        lt_log_value_ex(ctx, "med", v, &o);
    }
    return loss;
}

static lt_status t_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)self;
    (void)b;
    lt_log_value(ctx, "val_v", (double)i + 1, 0); /* on_epoch, weighted mean */
    return LT_OK;
}

static lt_status t_on_train_epoch_end(lt_ctx *ctx, void *self) {
    tools *m = self;
    if (!strcmp(m->bad_log, "epoch_on_step")) {
        lt_log_options o = LT_LOG_DEFAULTS;
        o.on_step = 1;
        lt_log_value_ex(ctx, "e", 1.0, &o);
    }
    return LT_OK;
}

/* the trainer's dicts as a plugin reads them, one "dict name value" line each */
static lt_status t_on_fit_end(lt_ctx *ctx, void *self) {
    tools *m = self;
    static const char *const dn[] = {"callback", "logged", "pbar"};
    for (int d = 0; d < 3; d++)
        for (int64_t i = 0; i < lt_metrics_count(ctx, (lt_metrics_dict)d); i++) {
            const char *name = lt_metrics_name(ctx, (lt_metrics_dict)d, i);
            double v = 0;
            bool ok = ctx->api->metric_get(ctx, (lt_metrics_dict)d, name, &v);
            trace("%s %s %g%s", dn[d], name, v, ok ? "" : " (missing)");
        }
    double v;
    trace("lookup both %s", lt_callback_metric(ctx, "both", &v) ? "found" : "absent");
    trace("lookup nope %s", lt_callback_metric(ctx, "nope", &v) ? "found" : "absent");
    if (!strcmp(m->bad_log, "fit_end")) lt_log_value(ctx, "x", 1.0, 0); /* forbidden */
    return LT_OK;
}

static lt_optimizer *t_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

#ifdef TOOLS_PREDICT_STEP
static lt_tensor *t_predict_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    /* the predict loop puts the module in eval mode (on_predict_model_eval's default) */
    if (ctx->training) {
        lt_fail(ctx, "predict_step ran in training mode");
        return NULL;
    }
    lt_tensor *x = lt_batch_at(ctx, b, 0);
    if (lt_predict_output(ctx, "y", lt_batch_at(ctx, b, 1)) != LT_OK ||
        lt_predict_output(ctx, "xsum", lt_sum(ctx, x)) != LT_OK)
        return NULL;
    return lt_mul_scalar(ctx, t_forward(ctx, self, x), 2.0);
}
LT_MODULE(tools, .create = t_create, .forward = t_forward, .training_step = t_training_step,
          .validation_step = t_validation_step, .configure_optimizers = t_configure_optimizers,
          .on_train_epoch_end = t_on_train_epoch_end, .on_fit_end = t_on_fit_end,
          .predict_step = t_predict_step)
#else
LT_MODULE(tools_forward, .create = t_create, .forward = t_forward,
          .training_step = t_training_step, .validation_step = t_validation_step,
          .configure_optimizers = t_configure_optimizers,
          .on_train_epoch_end = t_on_train_epoch_end, .on_fit_end = t_on_fit_end)
#endif
