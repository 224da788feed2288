/* ltrun/log.h — logging (self.log) and the metric dicts */
#ifndef LTRUN_LOG_H
#define LTRUN_LOG_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* logging (LightningModule.log) */
static inline void lt_log(lt_ctx *c, const char *name, const lt_tensor *v, unsigned flags) {
    c->api->log(c, name, v, flags);
}
static inline void lt_log_value(lt_ctx *c, const char *name, double v, unsigned flags) {
    c->api->log_value(c, name, v, flags);
}
/* self.log(name, metric): on_step logs the last update's value, on_epoch the
 * metric's compute() over the epoch; the trainer resets it at the epoch's end */
static inline void lt_log_metric(lt_ctx *c, const char *name, lt_metric *m, unsigned flags) {
    c->api->log_metric(c, name, m, flags);
}

/* ABI 1.4: logging — self.log(name, value, **opt), self.log_dict(dict, **opt) */
/* ABI 1.4: logging — self.log / self.log_dict with every keyword (lt_log_options;
 * NULL = LT_LOG_DEFAULTS), and the trainer's metric dicts */
static inline void lt_log_ex(lt_ctx *c, const char *name, const lt_tensor *v,
                             const lt_log_options *o) {
    c->api->log_ex(c, name, v, o);
}
static inline void lt_log_value_ex(lt_ctx *c, const char *name, double v,
                                   const lt_log_options *o) {
    c->api->log_value_ex(c, name, v, o);
}
static inline void lt_log_dict(lt_ctx *c, int n, const char *const *names,
                               const lt_tensor *const *values, const lt_log_options *o) {
    c->api->log_dict(c, n, names, values, o);
}
/* trainer.callback_metrics[name] (likewise logged_metrics, progress_bar_metrics) */
/* the value of `name` in a metric dict: true and *value set, or false if absent */
static inline bool lt_callback_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_CALLBACK_METRICS, name, v);
}
static inline bool lt_logged_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_LOGGED_METRICS, name, v);
}
static inline bool lt_progress_bar_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_PROGRESS_BAR_METRICS, name, v);
}
/* iterate a dict: count, then the i-th name (NULL past the end; valid until the
 * next logging or the hook's end) */
static inline int64_t lt_metrics_count(lt_ctx *c, lt_metrics_dict which) {
    return c->api->metrics_count(c, which);
}
static inline const char *lt_metrics_name(lt_ctx *c, lt_metrics_dict which, int64_t i) {
    return c->api->metrics_name(c, which, i);
}
/* ABI 1.4: predict — an extra named output of predict_step (one dataset per name) */
/* ABI 1.4: predict — write `value` as one more batch of the dataset `name` of the
 * predictions file (concatenated along dim 0); only from predict_step */
static inline lt_status lt_predict_output(lt_ctx *c, const char *name, const lt_tensor *v) {
    return c->api->predict_output(c, name, v);
}
/* ABI 1.4: log_every_n_steps — trainer._logger_connector.should_update_logs: is it a
 * step whose step-level metrics go to the loggers? (fit: (batches that stepped + 1) %
 * log_every_n_steps == 0; evaluation/predict: batches made ready % n == 0; or
 * should_stop; never when log_every_n_steps is 0; true outside any loop). For
 * callbacks that log per step themselves, as LearningRateMonitor does. */
static inline bool lt_should_update_logs(lt_ctx *c) { return c->api->should_update_logs(c); }

/* ABI 1.8: logging beyond scalars — what `self.logger.experiment.add_image(name, img,
 * self.global_step)` / add_histogram / add_text do in Lightning, sent to every logger that
 * can show them (tensorboard: its image, histogram and text plugins; mlflow: files under
 * the run's artifacts; csv and jsonl ignore them), at trainer.global_step, from rank 0.
 * image: CHW (C 1, 3 or 4) or HW, uint8 in [0, 255] or floating in [0, 1] (scaled by 255,
 * clipped, as torch's summary.image). values: any shape and real dtype. */
static inline lt_status lt_log_image(lt_ctx *c, const char *name, const lt_tensor *image) {
    return c->api->log_image(c, name, image);
}
static inline lt_status lt_log_histogram(lt_ctx *c, const char *name, const lt_tensor *values) {
    return c->api->log_histogram(c, name, values);
}
static inline lt_status lt_log_text(lt_ctx *c, const char *name, const char *text) {
    return c->api->log_text(c, name, text);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_LOG_H */
