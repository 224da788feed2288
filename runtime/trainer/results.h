/*
 * results.h — LightningModule.log semantics: per-hook defaults, step values,
 * epoch reduction, _step/_epoch forking, and the metric dicts the trainer keeps.
 *
 * Reproduces Lightning 2.6 (core/module.py::log, logger_connector/result.py,
 * fx_validator.py): training-step hooks default to on_step, evaluation steps and
 * epoch hooks to on_epoch; epoch hooks may not log on_step; logging is forbidden in
 * setup/configure/fit-level hooks; both on_step and on_epoch fork the name into
 * NAME_step and NAME_epoch (callback metrics also get NAME); the epoch mean is
 * weighted by batch size; a value logged only on_step is not accumulated.
 * A logged metric object (lt_log_metric) gives its batch value on_step and its
 * compute() over the epoch on_epoch, and is reset when the results are.
 */
#ifndef LTR_RESULTS_H
#define LTR_RESULTS_H

#include "ltrun.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* name -> value, insertion ordered; owns its names. */
typedef struct ltr_metric_dict {
    char **names;
    double *values;
    int n, cap;
} ltr_metric_dict;

void ltr_dict_set(ltr_metric_dict *d, const char *name, double value);
/* NULL if absent */
const double *ltr_dict_get(const ltr_metric_dict *d, const char *name);
void ltr_dict_clear(ltr_metric_dict *d);
void ltr_dict_free(ltr_metric_dict *d);
/* Copy every entry of src into dst (overwriting same names). */
void ltr_dict_update(ltr_metric_dict *dst, const ltr_metric_dict *src);

typedef enum ltr_log_rule {
    LTR_LOG_FORBIDDEN = 0, /* setup, configure_optimizers, on_fit_start, create, ... */
    LTR_LOG_TRAIN_STEP,    /* training_step and the batch-level training hooks */
    LTR_LOG_EVAL_STEP,     /* validation_step, test_step */
    LTR_LOG_EPOCH          /* on_*_epoch_start/end: on_epoch only */
} ltr_log_rule;

ltr_log_rule ltr_log_rule_for(const char *hook);

enum { LTR_RESULT_REDUCE_MEAN = 0, LTR_RESULT_REDUCE_SUM, LTR_RESULT_REDUCE_MAX, LTR_RESULT_REDUCE_MIN };

/* an internal lt_log flag (never set by plugins): LT_ON_STEP / LT_ON_EPOCH are
 * explicit values, so both clear means on_step=False, on_epoch=False (an error, as in
 * Lightning) rather than "the hook's default". lt_log_ex sets it when either is given. */
#define LTR_LOG_EXPLICIT (1u << 30)
/* internal too: self.log(..., sync_dist=True) — the value is reduced over the ranks
 * through the strategy before it is recorded */
#define LTR_LOG_SYNC_DIST (1u << 29)
/* internal too: self.log(..., add_dataloader_idx=False) (ABI 1.9) */
#define LTR_LOG_NO_DATALOADER_IDX (1u << 28)

typedef struct ltr_metric {
    char *hook, *name;
    bool on_step, on_epoch, prog_bar, logger;
    int reduce;
    bool has_step;       /* logged in the current step, not yet collected */
    double step_value;
    bool has_epoch;      /* accumulated since the last reset */
    double acc, weight;  /* mean: sum(v*bs) and sum(bs); sum/max/min: acc */
    lt_metric *obj;      /* lt_log_metric: the epoch value is obj's compute(); reset with r */
    /* ABI 1.9: the dataloader it was logged under (has_dataloader_idx false: None, one
     * loader or outside the batches) and whether its name gets "/dataloader_idx_N"
     * (add_dataloader_idx) */
    bool has_dataloader_idx;
    int dataloader_idx;
    bool add_dataloader_idx;
} ltr_metric;

/* The results of one loop (training, or one evaluation run). */
typedef struct ltr_results {
    ltr_metric *items;
    int n, cap;
    /* _ResultCollection.dataloader_idx: the loader whose batches run now when a split has
     * several (has_dataloader_idx), else None (false, as zero-initialised). Logging
     * records it; collecting takes only the items logged under it (valid_items). */
    bool has_dataloader_idx;
    int dataloader_idx;
} ltr_results;

/* Record one lt_log call made in `hook`. Errors (message in err): forbidden hook,
 * on_step in an epoch hook, several reduce flags, same name with other options. */
lt_status ltr_results_log(ltr_results *r, const char *hook, const char *name, double value,
                          double batch_size, unsigned flags, char *err, size_t cap);

/* After a training step: the step values into the dicts (forked names NAME_step),
 * then forget them. Any output may be NULL. */
void ltr_results_collect_step(ltr_results *r, ltr_metric_dict *logged, ltr_metric_dict *pbar,
                              ltr_metric_dict *callback);
/* At epoch end: reduced epoch values (NAME_epoch when forked; callback also NAME). */
void ltr_results_collect_epoch(const ltr_results *r, ltr_metric_dict *logged,
                               ltr_metric_dict *pbar, ltr_metric_dict *callback);
/* The item just logged as (hook, name) with lt_log flags `flags` is the metric object
 * obj (lt_log_metric). */
void ltr_results_attach_metric(ltr_results *r, const char *hook, const char *name, lt_metric *obj,
                               unsigned flags);
/* Set _ResultCollection.dataloader_idx: idx >= 0 a loader, -1 None. */
void ltr_results_set_dataloader(ltr_results *r, int idx);
/* Forget everything logged (and reset the attached metric objects) (a new epoch / a new evaluation run). */
void ltr_results_reset(ltr_results *r);
void ltr_results_free(ltr_results *r);

#endif
