/*
 * loggers.h — logger plugins. Lightning's
 * trainer.loggers and _LoggerConnector.log_metrics: every configured logger gets the
 * same calls, in the order given.
 */
#ifndef LTR_LOGGERS_H
#define LTR_LOGGERS_H

#include "cli/hparams.h"
#include "plugin/loader.h"

#include <stdbool.h>

typedef struct ltr_logger {
    ltr_plugin plugin;
    const lt_logger_vtable *vt;
    void *self;
    lt_hparams *hp;
    bool created;
    char label[96];
} ltr_logger;

typedef struct ltr_logger_set {
    ltr_logger *items;
    int n;
    /* fast_dev_run's DummyLogger stands in for the configured loggers: counted as one
     * logger (callbacks that need a logger accept it), writes nothing, has no folder */
    bool dummy;
} ltr_logger_set;

struct ltr_trainer;
struct ltr_metric_dict;
/* Resolve (by name on the plugin search path, or a path), load and create every logger
 * of trainer.logger; the "csv" logger when none is given (silently none if it is not
 * installed), none with logger=false. */
lt_status ltr_loggers_load(struct ltr_trainer *t);
/* _log_hyperparams: the module's and data module's hparams merged, to every logger. */
lt_status ltr_loggers_log_hyperparams(struct ltr_trainer *t);
/* _LoggerConnector.log_metrics(metrics, step=None): nothing without loggers or
 * metrics; adds "epoch" = current_epoch; step = _batches_that_stepped; log_metrics then
 * save on every logger. */
lt_status ltr_loggers_log_metrics(struct ltr_trainer *t, const struct ltr_metric_dict *m);
/* the same with step=step given (>= 0): no "epoch" added, that step to every logger;
 * step < 0 is step=None (ltr_loggers_log_metrics) */
lt_status ltr_loggers_log_metrics_at(struct ltr_trainer *t, const struct ltr_metric_dict *m,
                                     int64_t step);
/* Logging beyond scalars (ABI 1.8, logger_media.c serves lt_log_image & co.): does any
 * logger have the hook (rank zero only)? Then the converted data to every logger that
 * has it, at trainer.global_step; loggers without the hook are skipped. Called from
 * inside a plugin's hook: that hook's plugin and hook names are kept. */
typedef enum { LTR_MEDIA_IMAGE, LTR_MEDIA_HISTOGRAM, LTR_MEDIA_TEXT } ltr_media_kind;
bool ltr_loggers_want(struct ltr_trainer *t, ltr_media_kind kind);
lt_status ltr_loggers_log_image(struct ltr_trainer *t, const char *name, const uint8_t *hwc,
                                int64_t h, int64_t w, int64_t c);
lt_status ltr_loggers_log_histogram(struct ltr_trainer *t, const char *name,
                                    const double *values, int64_t n);
lt_status ltr_loggers_log_text(struct ltr_trainer *t, const char *name, const char *text);
/* logger.log_metrics(metrics, step=_batches_that_stepped) as a callback calls it on every
 * logger itself (LearningRateMonitor, DeviceStatsMonitor): no "epoch" added, since that
 * is the logger connector's doing. */
lt_status ltr_loggers_log_metrics_direct(struct ltr_trainer *t, const struct ltr_metric_dict *m);
/* logger.finalize(status) on every logger ("success", "failed", "interrupted"). */
void ltr_loggers_finalize(struct ltr_trainer *t, const char *status);
void ltr_loggers_free(struct ltr_trainer *t);

#endif
