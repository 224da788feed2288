/*
 * early_stopping.c — Lightning's EarlyStopping (callbacks/early_stopping.py) as a
 * callback plugin.
 *
 * init args (Lightning's names and defaults): monitor (required), min_delta 0.0,
 * patience 3, verbose false, mode "min" | "max", strict true, check_finite true,
 * stopping_threshold null, divergence_threshold null, check_on_train_epoch_end null,
 * log_rank_zero_only false.
 *
 * Reproduced behaviour:
 *  - min_delta is made negative for "min" (torch.lt) and positive for "max" (torch.gt);
 *    best_score starts at +inf ("min") / -inf ("max").
 *  - setup: check_on_train_epoch_end None becomes val_check_interval == 1.0 and
 *    check_val_every_n_epoch == 1; the check then runs in on_train_epoch_end (this is a
 *    monitoring callback: after the module's hook, after the epoch's validation), else
 *    in on_validation_end. Never outside fit, during the sanity check, or with
 *    fast_dev_run.
 *  - the monitor missing from trainer.callback_metrics: an error naming it and the
 *    available metrics when strict, else a RuntimeWarning when verbose, and no check.
 *  - _evaluate_stopping_criteria's if/elif chain: not finite -> threshold -> divergence
 *    -> improvement (current - min_delta beats best) -> wait_count += 1, stop at
 *    patience. Lightning's messages, logged (stderr) when verbose.
 *  - trainer.should_stop |= should_stop through lt_set_should_stop: the trainer holds
 *    the stop until min_epochs / min_steps are met. stopped_epoch = current_epoch.
 * State (wait_count, best_score, stopped_epoch, stopping_reason) lives in the instance;
 * wait_count, stopped_epoch, best_score and patience go into checkpoints (state_dict).
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's EarlyStopping: stop when a monitored metric stops improving"
#include "ltrun.h"

#include "cb_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EarlyStoppingReason */
enum { NOT_STOPPED = 0, STOPPING_THRESHOLD, DIVERGENCE_THRESHOLD, PATIENCE_EXHAUSTED,
       NON_FINITE_METRIC };

typedef struct early_stopping {
    char monitor[256];
    double min_delta, best_score, stopping_threshold, divergence_threshold;
    bool has_stopping, has_divergence;
    int64_t patience, wait_count, stopped_epoch;
    bool verbose, strict, check_finite, log_rank_zero_only;
    bool max_mode;
    int check_on_train_epoch_end; /* -1 None (resolved in setup), 0, 1 */
    int stopping_reason;
    char stopping_reason_message[1024];
} early_stopping;

/* An optional number: absent or null -> false; a number -> true and *out. */
static bool opt_number(lt_ctx *ctx, const lt_hparams *hp, const char *key, double *out,
                       bool *bad) {
    const char *t = lt_hp_json(ctx, hp, key);
    if (!t || !strcmp(t, "null")) return false;
    char *end;
    *out = strtod(t, &end);
    if (*end || end == t) {
        lt_fail(ctx, "early_stopping: %s: expected a number or null, got %s", key, t);
        *bad = true;
    }
    return true;
}

static void *es_create(lt_ctx *ctx, const lt_hparams *hp) {
    early_stopping *es = calloc(1, sizeof *es);
    if (!es) return NULL;
    bool bad = false;
    const char *monitor = lt_hp_str(ctx, hp, "monitor", NULL);
    es->min_delta = lt_hp_float(ctx, hp, "min_delta", 0.0);
    es->patience = lt_hp_int(ctx, hp, "patience", 3);
    es->verbose = lt_hp_bool(ctx, hp, "verbose", false);
    const char *mode = lt_hp_str(ctx, hp, "mode", "min");
    es->strict = lt_hp_bool(ctx, hp, "strict", true);
    es->check_finite = lt_hp_bool(ctx, hp, "check_finite", true);
    es->has_stopping = opt_number(ctx, hp, "stopping_threshold", &es->stopping_threshold, &bad);
    es->has_divergence =
        opt_number(ctx, hp, "divergence_threshold", &es->divergence_threshold, &bad);
    const char *coe = lt_hp_json(ctx, hp, "check_on_train_epoch_end");
    es->log_rank_zero_only = lt_hp_bool(ctx, hp, "log_rank_zero_only", false);
    if (!coe || !strcmp(coe, "null")) es->check_on_train_epoch_end = -1;
    else if (!strcmp(coe, "true")) es->check_on_train_epoch_end = 1;
    else if (!strcmp(coe, "false")) es->check_on_train_epoch_end = 0;
    else {
        lt_fail(ctx, "early_stopping: check_on_train_epoch_end: expected true, false or null, "
                     "got %s", coe);
        bad = true;
    }
    if (!monitor || !monitor[0]) {
        lt_fail(ctx, "early_stopping: `monitor` is required (the callback metric to watch, "
                     "e.g. --callback 'early_stopping:{\"monitor\": \"val_loss\"}')");
        bad = true;
    } else {
        snprintf(es->monitor, sizeof es->monitor, "%s", monitor);
    }
    if (strcmp(mode, "min") && strcmp(mode, "max")) {
        lt_fail(ctx, "early_stopping: `mode` can be min, max, got %s", mode);
        bad = true;
    }
    if (bad) {
        free(es);
        return NULL;
    }
    es->max_mode = !strcmp(mode, "max");
    es->min_delta = es->max_mode ? fabs(es->min_delta) : -fabs(es->min_delta);
    es->best_score = es->max_mode ? -INFINITY : INFINITY;
    return es;
}

static void es_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static lt_status es_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    (void)stage;
    early_stopping *es = self;
    if (es->check_on_train_epoch_end < 0) /* "multiple validations per epoch or epochs
                                             without validation: check after validation" */
        es->check_on_train_epoch_end = lt_trainer_flag(ctx, "val_check_interval") == 1.0 &&
                                       lt_trainer_flag(ctx, "check_val_every_n_epoch") == 1.0;
    return LT_OK;
}

static bool monitor_op(const early_stopping *es, double a, double b) {
    return es->max_mode ? a > b : a < b; /* torch.gt / torch.lt */
}

static void log_info(lt_ctx *ctx, const early_stopping *es, const char *msg) {
    if (ctx->world_size > 1) {
        if (es->log_rank_zero_only && ctx->rank != 0) return;
        fprintf(stderr, "[rank: %d] %s\n", (int)ctx->rank, msg);
    } else {
        fprintf(stderr, "%s\n", msg);
    }
}

/* _evaluate_stopping_criteria: returns should_stop; the message in es's reason buffer */
static bool evaluate(early_stopping *es, double current, char *reason, size_t cap) {
    char c[40], t[40], d[40];
    const char *order = es->max_mode ? ">" : "<";
    reason[0] = '\0';
    if (es->check_finite && !isfinite(current)) {
        es->stopping_reason = NON_FINITE_METRIC;
        snprintf(reason, cap, "Monitored metric %s = %s is not finite. Previous best value was "
                 "%.3f. Signaling Trainer to stop.", es->monitor, cb_pyfloat(current, c, sizeof c),
                 es->best_score);
        return true;
    }
    if (es->has_stopping && monitor_op(es, current, es->stopping_threshold)) {
        es->stopping_reason = STOPPING_THRESHOLD;
        snprintf(reason, cap, "Stopping threshold reached: %s = %s %s %s. Signaling Trainer to "
                 "stop.", es->monitor, cb_pyfloat(current, c, sizeof c), order,
                 cb_pyfloat(es->stopping_threshold, t, sizeof t));
        return true;
    }
    if (es->has_divergence && monitor_op(es, -current, -es->divergence_threshold)) {
        es->stopping_reason = DIVERGENCE_THRESHOLD;
        snprintf(reason, cap, "Divergence threshold reached: %s = %s %s %s. Signaling Trainer "
                 "to stop.", es->monitor, cb_pyfloat(current, c, sizeof c), order,
                 cb_pyfloat(es->divergence_threshold, t, sizeof t));
        return true;
    }
    if (monitor_op(es, current - es->min_delta, es->best_score)) {
        /* _improvement_message */
        if (isfinite(es->best_score))
            snprintf(reason, cap, "Metric %s improved by %.3f >= min_delta = %s. New best score: "
                     "%.3f", es->monitor, fabs(es->best_score - current),
                     cb_pyfloat(fabs(es->min_delta), d, sizeof d), current);
        else
            snprintf(reason, cap, "Metric %s improved. New best score: %.3f", es->monitor, current);
        es->best_score = current;
        es->wait_count = 0;
        return false;
    }
    es->wait_count++;
    if (es->wait_count >= es->patience) {
        es->stopping_reason = PATIENCE_EXHAUSTED;
        snprintf(reason, cap, "Monitored metric %s did not improve in the last %lld records. "
                 "Best score: %.3f. Signaling Trainer to stop.", es->monitor,
                 (long long)es->wait_count, es->best_score);
        return true;
    }
    return false;
}

/* _run_early_stopping_check */
static lt_status run_check(lt_ctx *ctx, early_stopping *es) {
    if (lt_trainer_flag(ctx, "fast_dev_run") > 0) return LT_OK; /* disable early stopping */
    double current;
    if (!lt_callback_metric(ctx, es->monitor, &current)) {
        /* _validate_condition_metric */
        char avail[2048] = "";
        size_t len = 0;
        int64_t n = lt_metrics_count(ctx, LT_CALLBACK_METRICS);
        for (int64_t i = 0; i < n && len < sizeof avail; i++) {
            int w = snprintf(avail + len, sizeof avail - len, "%s%s", i ? "`, `" : "",
                             lt_metrics_name(ctx, LT_CALLBACK_METRICS, i));
            if (w < 0) break;
            len += (size_t)w;
        }
        if (es->strict)
            return lt_fail(ctx, "Early stopping conditioned on metric `%s` which is not "
                                "available. Pass in or modify your `EarlyStopping` callback to "
                                "use any of the following: `%s`", es->monitor, avail);
        if (es->verbose)
            fprintf(stderr, "RuntimeWarning: Early stopping conditioned on metric `%s` which is "
                            "not available. Pass in or modify your `EarlyStopping` callback to "
                            "use any of the following: `%s`\n", es->monitor, avail);
        return LT_OK;
    }
    char reason[1024];
    bool stop = evaluate(es, current, reason, sizeof reason);
    /* stop every process if any decides to (reduce_boolean_decision(should_stop, all=False)) */
    if (lt_reduce_boolean_decision(ctx, &stop, false)) return LT_ERROR;
    if (stop) { /* trainer.should_stop = trainer.should_stop or should_stop */
        lt_set_should_stop(ctx, true);
        es->stopped_epoch = ctx->current_epoch;
        snprintf(es->stopping_reason_message, sizeof es->stopping_reason_message, "%s", reason);
    }
    if (reason[0] && es->verbose) log_info(ctx, es, reason);
    return LT_OK;
}

static bool skip(lt_ctx *ctx) { return ctx->stage != LT_STAGE_FIT || ctx->sanity_checking; }

static lt_status es_on_train_epoch_end(lt_ctx *ctx, void *self) {
    early_stopping *es = self;
    if (es->check_on_train_epoch_end != 1 || skip(ctx)) return LT_OK;
    return run_check(ctx, es);
}

static lt_status es_on_validation_end(lt_ctx *ctx, void *self) {
    early_stopping *es = self;
    if (es->check_on_train_epoch_end == 1 || skip(ctx)) return LT_OK;
    return run_check(ctx, es);
}

/* EarlyStopping.state_dict: wait_count, stopped_epoch, best_score, patience (Lightning's
 * keys); numbers through cb_json_number (+-inf as strings) */
static void put_number(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, double v) {
    char buf[64];
    lt_ckpt_put_json(ctx, w, key, cb_json_number(v, true, buf, sizeof buf));
}

static bool get_number(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, double *out) {
    const char *j = lt_ckpt_get_json(ctx, r, key);
    if (j) *out = cb_parse_number(j);
    return j != NULL;
}

static lt_status es_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    early_stopping *es = self;
    put_number(ctx, w, "wait_count", (double)es->wait_count);
    put_number(ctx, w, "stopped_epoch", (double)es->stopped_epoch);
    put_number(ctx, w, "best_score", es->best_score);
    put_number(ctx, w, "patience", (double)es->patience);
    return LT_OK;
}

/* the saved counters and best score continue where the run stopped (its patience too, as
 * Lightning's load_state_dict restores it) */
static lt_status es_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    early_stopping *es = self;
    double v;
    if (get_number(ctx, r, "wait_count", &v)) es->wait_count = (int64_t)v;
    if (get_number(ctx, r, "stopped_epoch", &v)) es->stopped_epoch = (int64_t)v;
    if (get_number(ctx, r, "best_score", &v)) es->best_score = v;
    if (get_number(ctx, r, "patience", &v)) es->patience = (int64_t)v;
    return LT_OK;
}

LT_CALLBACK(early_stopping, .traits = LT_CALLBACK_MONITORING, .create = es_create,
            .destroy = es_destroy, .setup = es_setup, .on_train_epoch_end = es_on_train_epoch_end,
            .on_validation_end = es_on_validation_end, .state_dict = es_state_dict,
            .load_state_dict = es_load_state_dict)
