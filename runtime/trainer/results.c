/* results.c — what lt_log records and how it becomes step and epoch metrics. */
#include "trainer/results.h"

#include "nn/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ dicts */

static int dict_index(const ltr_metric_dict *d, const char *name) {
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->names[i], name)) return i;
    return -1;
}

void ltr_dict_set(ltr_metric_dict *d, const char *name, double value) {
    int i = dict_index(d, name);
    if (i >= 0) {
        d->values[i] = value;
        return;
    }
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 16;
        char **nn = realloc(d->names, (size_t)cap * sizeof *nn);
        if (!nn) return;
        d->names = nn;
        double *nv = realloc(d->values, (size_t)cap * sizeof *nv);
        if (!nv) return;
        d->values = nv;
        d->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return;
    d->names[d->n] = copy;
    d->values[d->n] = value;
    d->n++;
}

const double *ltr_dict_get(const ltr_metric_dict *d, const char *name) {
    int i = dict_index(d, name);
    return i >= 0 ? &d->values[i] : NULL;
}

void ltr_dict_clear(ltr_metric_dict *d) {
    for (int i = 0; i < d->n; i++) free(d->names[i]);
    d->n = 0;
}

void ltr_dict_free(ltr_metric_dict *d) {
    ltr_dict_clear(d);
    free(d->names);
    free(d->values);
    memset(d, 0, sizeof *d);
}

void ltr_dict_update(ltr_metric_dict *dst, const ltr_metric_dict *src) {
    for (int i = 0; i < src->n; i++) ltr_dict_set(dst, src->names[i], src->values[i]);
}

/* ------------------------------------------------------------------ rules */

ltr_log_rule ltr_log_rule_for(const char *hook) {
    static const char *const train_step[] = {
        "training_step", "on_train_batch_start", "on_train_batch_end", "on_before_backward",
        "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad",
        /* the rest of _FxValidator's training-step hooks */
        "backward", "optimizer_step", "configure_gradient_clipping", "clip_gradients",
        "optimizer_zero_grad"};
    static const char *const eval_step[] = {"validation_step", "test_step",
                                            "on_validation_batch_start", "on_validation_batch_end",
                                            "on_test_batch_start", "on_test_batch_end"};
    static const char *const epoch[] = {
        "on_train_start", "on_validation_start", "on_test_start", "on_train_epoch_start",
        "on_train_epoch_end", "on_validation_epoch_start", "on_validation_epoch_end",
        "on_test_epoch_start", "on_test_epoch_end"};
    if (!hook) return LTR_LOG_FORBIDDEN;
    for (size_t i = 0; i < sizeof train_step / sizeof *train_step; i++)
        if (!strcmp(hook, train_step[i])) return LTR_LOG_TRAIN_STEP;
    for (size_t i = 0; i < sizeof eval_step / sizeof *eval_step; i++)
        if (!strcmp(hook, eval_step[i])) return LTR_LOG_EVAL_STEP;
    for (size_t i = 0; i < sizeof epoch / sizeof *epoch; i++)
        if (!strcmp(hook, epoch[i])) return LTR_LOG_EPOCH;
    return LTR_LOG_FORBIDDEN;
}

/* ------------------------------------------------------------------ log */

static int current_dl(const ltr_results *r) { return r->has_dataloader_idx ? r->dataloader_idx : -1; }
static int metric_dl(const ltr_metric *m) { return m->has_dataloader_idx ? m->dataloader_idx : -1; }

void ltr_results_set_dataloader(ltr_results *r, int idx) {
    r->has_dataloader_idx = idx >= 0;
    r->dataloader_idx = idx >= 0 ? idx : 0;
}

/* The storage key: Lightning's f"{fx}.{name}", plus ".{dataloader_idx}" when the name
 * gets the suffix (key_dl >= 0). */
static ltr_metric *find(ltr_results *r, const char *hook, const char *name, int key_dl) {
    for (int i = 0; i < r->n; i++) {
        const ltr_metric *m = &r->items[i];
        int dl = m->add_dataloader_idx ? metric_dl(m) : -1;
        if (dl == key_dl && !strcmp(m->name, name) && !strcmp(m->hook, hook))
            return &r->items[i];
    }
    return NULL;
}

lt_status ltr_results_log(ltr_results *r, const char *hook, const char *name, double value,
                          double batch_size, unsigned flags, char *err, size_t cap) {
    ltr_log_rule rule = ltr_log_rule_for(hook);
    if (!name || !*name) {
        snprintf(err, cap, "lt_log: the metric name is empty");
        return LT_ERROR;
    }
    if (rule == LTR_LOG_FORBIDDEN) {
        snprintf(err, cap, "lt_log('%s'): logging is not allowed in %s (as in Lightning: log "
                           "from the step and epoch hooks)", name, hook ? hook : "this hook");
        return LT_ERROR;
    }
    bool on_step, on_epoch;
    if (flags & (LT_ON_STEP | LT_ON_EPOCH | LTR_LOG_EXPLICIT)) {
        on_step = flags & LT_ON_STEP;
        on_epoch = flags & LT_ON_EPOCH;
    } else {
        on_step = rule == LTR_LOG_TRAIN_STEP;
        on_epoch = rule != LTR_LOG_TRAIN_STEP;
    }
    if (!on_step && !on_epoch) { /* Lightning raises for on_step=on_epoch=False */
        snprintf(err, cap, "lt_log('%s'): on_step=False and on_epoch=False logs nothing: set "
                           "at least one of them (or leave both at the hook's default)", name);
        return LT_ERROR;
    }
    if (rule == LTR_LOG_EPOCH && (on_step || !on_epoch)) {
        snprintf(err, cap, "lt_log('%s'): %s cannot log on_step (Lightning allows on_epoch only "
                           "in epoch hooks)", name, hook);
        return LT_ERROR;
    }
    /* an evaluation loop has no steps to log to; Lightning keeps on_step values there
     * only for its per-batch logging, which ltrun does not do yet */
    int nreduce = !!(flags & LT_REDUCE_SUM) + !!(flags & LT_REDUCE_MAX) + !!(flags & LT_REDUCE_MIN);
    if (nreduce > 1) {
        snprintf(err, cap, "lt_log('%s'): give at most one of LT_REDUCE_SUM/MAX/MIN", name);
        return LT_ERROR;
    }
    int reduce = flags & LT_REDUCE_SUM ? LTR_RESULT_REDUCE_SUM
                 : flags & LT_REDUCE_MAX ? LTR_RESULT_REDUCE_MAX
                 : flags & LT_REDUCE_MIN ? LTR_RESULT_REDUCE_MIN
                                         : LTR_RESULT_REDUCE_MEAN;
    bool prog_bar = flags & LT_PROG_BAR, logger = !(flags & LT_NO_LOGGER);
    bool add_dl = !(flags & LTR_LOG_NO_DATALOADER_IDX);

    ltr_metric *m = find(r, hook, name, add_dl ? current_dl(r) : -1);
    if (m) {
        /* the metadata compared includes dataloader_idx: add_dataloader_idx=False from
         * two loaders is the same key with another dataloader_idx */
        if (m->on_step != on_step || m->on_epoch != on_epoch || m->reduce != reduce ||
            m->prog_bar != prog_bar || m->logger != logger ||
            m->add_dataloader_idx != add_dl || metric_dl(m) != current_dl(r)) {
            snprintf(err, cap, "lt_log('%s'): logged again in %s with different options (Lightning "
                               "requires the same on_step/on_epoch/prog_bar/logger/reduce)",
                     name, hook);
            return LT_ERROR;
        }
    } else {
        if (r->n == r->cap) {
            int ncap = r->cap ? 2 * r->cap : 16;
            ltr_metric *grown = realloc(r->items, (size_t)ncap * sizeof *grown);
            if (!grown) {
                snprintf(err, cap, "lt_log: out of memory");
                return LT_ERROR;
            }
            r->items = grown;
            r->cap = ncap;
        }
        m = &r->items[r->n];
        memset(m, 0, sizeof *m);
        m->hook = strdup(hook);
        m->name = strdup(name);
        if (!m->hook || !m->name) {
            free(m->hook);
            free(m->name);
            snprintf(err, cap, "lt_log: out of memory");
            return LT_ERROR;
        }
        r->n++;
        m->on_step = on_step;
        m->on_epoch = on_epoch;
        m->prog_bar = prog_bar;
        m->logger = logger;
        m->reduce = reduce;
        m->add_dataloader_idx = add_dl;
        m->has_dataloader_idx = r->has_dataloader_idx;
        m->dataloader_idx = r->dataloader_idx;
    }
    if (on_step) {
        m->has_step = true;
        m->step_value = value;
    }
    if (on_epoch) {
        /* Lightning: only the mean is weighted by the batch size; others use 1 */
        double w = reduce == LTR_RESULT_REDUCE_MEAN ? batch_size : 1.0;
        if (!m->has_epoch) {
            m->acc = reduce == LTR_RESULT_REDUCE_MAX ? -INFINITY : reduce == LTR_RESULT_REDUCE_MIN ? INFINITY : 0;
            m->weight = 0;
        }
        switch (reduce) {
        case LTR_RESULT_REDUCE_MEAN: m->acc += value * w; m->weight += w; break;
        case LTR_RESULT_REDUCE_SUM: m->acc += value; break;
        case LTR_RESULT_REDUCE_MAX: m->acc = fmax(m->acc, value); break;
        case LTR_RESULT_REDUCE_MIN: m->acc = fmin(m->acc, value); break;
        }
        m->has_epoch = true;
    }
    return LT_OK;
}

/* name + suffix ("_step"/"_epoch"/"") + "/dataloader_idx_N" when m gets it
 * (_ResultCollection._forked_name) */
static void put(ltr_metric_dict *d, const ltr_metric *m, const char *suffix, double v) {
    if (!d) return;
    char buf[600];
    if (m->add_dataloader_idx && m->has_dataloader_idx)
        snprintf(buf, sizeof buf, "%s%s/dataloader_idx_%d", m->name, suffix, m->dataloader_idx);
    else
        snprintf(buf, sizeof buf, "%s%s", m->name, suffix);
    ltr_dict_set(d, buf, v);
}

void ltr_results_collect_step(ltr_results *r, ltr_metric_dict *logged, ltr_metric_dict *pbar,
                              ltr_metric_dict *callback) {
    for (int i = 0; i < r->n; i++) {
        ltr_metric *m = &r->items[i];
        if (!m->on_step || !m->has_step || metric_dl(m) != current_dl(r)) continue;
        const char *suffix = m->on_epoch ? "_step" : "";
        if (m->logger) put(logged, m, suffix, m->step_value);
        if (m->prog_bar) put(pbar, m, suffix, m->step_value);
        put(callback, m, suffix, m->step_value);
        if (m->on_epoch) put(callback, m, "", m->step_value);
        m->has_step = false;
    }
}

void ltr_results_collect_epoch(const ltr_results *r, ltr_metric_dict *logged,
                               ltr_metric_dict *pbar, ltr_metric_dict *callback) {
    for (int i = 0; i < r->n; i++) {
        const ltr_metric *m = &r->items[i];
        if (!m->on_epoch || !m->has_epoch || metric_dl(m) != current_dl(r)) continue;
        double v = m->obj ? ltr_metric_epoch_value(m->obj)
                   : m->reduce == LTR_RESULT_REDUCE_MEAN ? (m->weight > 0 ? m->acc / m->weight : NAN)
                                                  : m->acc;
        const char *suffix = m->on_step ? "_epoch" : "";
        if (m->logger) put(logged, m, suffix, v);
        if (m->prog_bar) put(pbar, m, suffix, v);
        put(callback, m, suffix, v);
        if (m->on_step) put(callback, m, "", v);
    }
}

void ltr_results_attach_metric(ltr_results *r, const char *hook, const char *name, lt_metric *obj,
                               unsigned flags) {
    ltr_metric *m = find(r, hook, name, flags & LTR_LOG_NO_DATALOADER_IDX ? -1 : current_dl(r));
    if (m) m->obj = obj;
}

void ltr_results_reset(ltr_results *r) {
    for (int i = 0; i < r->n; i++) {
        if (r->items[i].obj) ltr_metric_reset_state(r->items[i].obj);
        free(r->items[i].hook);
        free(r->items[i].name);
    }
    r->n = 0;
}

void ltr_results_free(ltr_results *r) {
    /* the metric objects may already be gone with the run's allocations: do not touch */
    for (int i = 0; i < r->n; i++) r->items[i].obj = NULL;
    ltr_results_reset(r);
    free(r->items);
    memset(r, 0, sizeof *r);
}
