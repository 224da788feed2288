/*
 * host_api_log.c — ABI 1.4 host services of the logging and predict work:
 * self.log with every keyword (lt_log_ex, lt_log_value_ex), self.log_dict, reading the
 * trainer's metric dicts, and lt_predict_output.
 *
 * Contract: the options become lt_log flags plus a batch size and go to the same sink
 * as lt_log (trainer.c -> results.c), so every rule lives in one place. reduce_fx takes
 * Lightning's names ("mean"/"avg", "sum", "max", "min"); anything else is an error, as
 * Lightning raises for other reductions. sync_dist marks the value for the strategy's
 * reduce (the trainer's log sink; an identity on one process).
 */
#include "api/host_api_log.h"

#include "core/context.h"
#include "tensor/tensor.h"
#include "trainer/results.h"

#include <stddef.h>
#include <string.h>

/* A field of a plugin's lt_log_options exists if its size covers it. */
#define HAS(o, f) ((o)->size >= offsetof(lt_log_options, f) + sizeof((o)->f))

static bool to_flags(lt_ctx *c, const char *name, const lt_log_options *o, unsigned *flags,
                     double *batch_size) {
    lt_log_options d = LT_LOG_DEFAULTS;
    if (!o) o = &d;
    if (o->size < offsetof(lt_log_options, on_epoch) + sizeof o->on_epoch) {
        ltr_fail(c, "lt_log_ex('%s'): options.size is %u: start from LT_LOG_DEFAULTS", name,
                 (unsigned)o->size);
        return false;
    }
    unsigned f = 0;
    if (o->on_step >= 0 || o->on_epoch >= 0) {
        /* one given: the other keeps the hook's default, as self.log resolves None */
        f |= LTR_LOG_EXPLICIT;
        ltr_log_rule rule = ltr_log_rule_for(ltr_ctx_of(c)->hook_name);
        bool step = o->on_step >= 0 ? o->on_step : rule == LTR_LOG_TRAIN_STEP;
        bool epoch = o->on_epoch >= 0 ? o->on_epoch : rule != LTR_LOG_TRAIN_STEP;
        if (step) f |= LT_ON_STEP;
        if (epoch) f |= LT_ON_EPOCH;
    }
    if (HAS(o, prog_bar) && o->prog_bar) f |= LT_PROG_BAR;
    if (HAS(o, logger) && !o->logger) f |= LT_NO_LOGGER;
    if (HAS(o, sync_dist) && o->sync_dist) f |= LTR_LOG_SYNC_DIST;
    if (HAS(o, add_dataloader_idx) && !o->add_dataloader_idx) f |= LTR_LOG_NO_DATALOADER_IDX;
    const char *r = HAS(o, reduce_fx) ? o->reduce_fx : NULL;
    if (r && !strcmp(r, "sum")) f |= LT_REDUCE_SUM;
    else if (r && !strcmp(r, "max")) f |= LT_REDUCE_MAX;
    else if (r && !strcmp(r, "min")) f |= LT_REDUCE_MIN;
    else if (r && strcmp(r, "mean") && strcmp(r, "avg")) {
        ltr_fail(c, "lt_log_ex('%s'): reduce_fx '%s' is not supported: Lightning accepts mean "
                    "(avg), sum, max and min; log a metric object (lt_log_metric) for others",
                 name, r);
        return false;
    }
    double bs = HAS(o, batch_size) ? o->batch_size : 0;
    *batch_size = bs > 0 ? bs : ltr_ctx_of(c)->batch_size;
    *flags = f;
    return true;
}

void ltr_log_number(lt_ctx *c, const char *name, double value, unsigned flags, double bs) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (!ctx->log_sink) {
        ltr_fail(c, "lt_log('%s'): no trainer is running here", name ? name : "");
        return;
    }
    ctx->log_sink(ctx->log_sink_self, c, name, value, bs, flags);
}

void ltr_api_log_value_ex(lt_ctx *c, const char *name, double value, const lt_log_options *o) {
    unsigned flags;
    double bs;
    if (to_flags(c, name ? name : "", o, &flags, &bs)) ltr_log_number(c, name, value, flags, bs);
}

/* Lightning: a logged tensor must have one element; it is detached and squeezed. */
bool ltr_log_item(lt_ctx *c, const char *name, const lt_tensor *value, double *out) {
    if (!value) return false; /* an earlier op failed and recorded why */
    if (ltr_numel(value) != 1) {
        char shape[96];
        ltr_fail(c, "lt_log('%s'): the value must have one element, got shape %s (log a "
                    "reduction such as lt_mean of it)",
                 name ? name : "", ltr_shape_str(value, shape, sizeof shape));
        return false;
    }
    *out = ltr_item(c, value);
    return true;
}

void ltr_api_log_ex(lt_ctx *c, const char *name, const lt_tensor *value, const lt_log_options *o) {
    double v;
    if (ltr_log_item(c, name, value, &v)) ltr_api_log_value_ex(c, name, v, o);
}

/* self.log_dict: self.log for each entry with the same options, in order. */
void ltr_api_log_dict(lt_ctx *c, int n, const char *const *names, const lt_tensor *const *values,
                      const lt_log_options *o) {
    if (n < 0 || (n > 0 && (!names || !values))) {
        ltr_fail(c, "lt_log_dict: needs n >= 0 names and values");
        return;
    }
    for (int i = 0; i < n && !ltr_ctx_of(c)->failed; i++) {
        if (!values[i]) {
            ltr_fail(c, "lt_log_dict: the value of '%s' is NULL", names[i] ? names[i] : "");
            return;
        }
        ltr_api_log_ex(c, names[i], values[i], o);
    }
}

static const ltr_metric_dict *dict_of(lt_ctx *c, lt_metrics_dict which) {
    if ((unsigned)which > LT_PROGRESS_BAR_METRICS) return NULL;
    /* trainer.callback_metrics & co. are properties that pull in the running
     * results first (logger_connector.py), e.g. the step's values in on_train_batch_end */
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (ctx->trainer && ctx->refresh_metrics) ctx->refresh_metrics(ctx->trainer);
    return ctx->metric_dicts[which];
}

bool ltr_api_metric_get(lt_ctx *c, lt_metrics_dict which, const char *name, double *value) {
    const ltr_metric_dict *d = dict_of(c, which);
    const double *v = d && name ? ltr_dict_get(d, name) : NULL;
    if (v && value) *value = *v;
    return v != NULL;
}

int64_t ltr_api_metrics_count(lt_ctx *c, lt_metrics_dict which) {
    const ltr_metric_dict *d = dict_of(c, which);
    return d ? d->n : 0;
}

const char *ltr_api_metrics_name(lt_ctx *c, lt_metrics_dict which, int64_t i) {
    const ltr_metric_dict *d = dict_of(c, which);
    return d && i >= 0 && i < d->n ? d->names[i] : NULL;
}

lt_status ltr_api_predict_output(lt_ctx *c, const char *name, const lt_tensor *value) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (!value) return LT_ERROR; /* an earlier op failed and recorded why */
    if (!ctx->predict_sink)
        return ltr_fail(c, "lt_predict_output('%s'): only predict_step (ltrun predict) writes "
                           "predictions", name ? name : "");
    return ctx->predict_sink(ctx->predict_sink_self, c, name, value);
}
