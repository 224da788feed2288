/*
 * log_gating.c — Trainer(log_every_n_steps): when step-level metrics reach the loggers
 *. Reproduces Lightning 2.6's
 * trainer/connectors/logger_connector/logger_connector.py:
 *
 *   should_update_logs:  log_every_n_steps == 0 -> False; no active loop -> True;
 *                        fit loop: step = _batches_that_stepped + 1 ("+ 1" because it
 *                        can be asked before the step, e.g. in on_train_batch_start);
 *                        evaluation/predict loop: step = batch_progress.current.ready;
 *                        step % log_every_n_steps == 0 or trainer.should_stop.
 *   update_train_step_metrics (after on_train_batch_end): nothing while accumulating
 *                        gradients; else, if should_update_logs or fast_dev_run, the
 *                        step's "log" metrics go to logger.log_metrics(step =
 *                        _batches_that_stepped).
 *
 * What the gating does NOT touch (as in Lightning): trainer.logged_metrics,
 * callback_metrics and progress_bar_metrics are updated after every batch
 * (_LoggerConnector.on_batch_end updates all three), so lt_logged_metric sees each
 * step's value whatever log_every_n_steps is. Callbacks that log per step themselves
 * (LearningRateMonitor, DeviceStatsMonitor) ask lt_should_update_logs.
 *
 * Reading the dicts (ltr_trainer_refresh_metrics): Lightning's trainer.callback_metrics,
 * logged_metrics and progress_bar_metrics are properties that first update the dict
 * from the running results — metrics(on_step) with on_step true inside a loop's batches
 * (_first_loop_iter is not None) and false at the epoch level — so a callback's
 * on_train_batch_end sees this step's values and a monitoring callback's
 * on_train_epoch_end sees this epoch's. The sanity check is left out (Lightning resets
 * the dicts after it).
 */
#include "trainer/trainer.h"

bool ltr_should_update_logs(const ltr_trainer *t) {
    int64_t n = t->opts->trainer.log_every_n_steps;
    if (n == 0) return false;
    int64_t step;
    switch (t->loop.active_loop) {
    case LTR_LOOP_FIT: step = t->loop.batches_that_stepped + 1; break;
    case LTR_LOOP_EVAL: step = t->loop.eval_ready; break;
    default: return true;
    }
    return step % n == 0 || t->should_stop;
}

void ltr_update_train_step_metrics(ltr_trainer *t, const ltr_metric_dict *step_log) {
    if (t->loop.should_accumulate) return; /* automatic optimization only, so far */
    if (!ltr_should_update_logs(t) && t->opts->trainer.fast_dev_run <= 0) return;
    /* log_metrics(metrics["log"]): this step's logged metrics to every logger
     * at step _batches_that_stepped (logger_connector.c) */
    ltr_loggers_log_metrics(t, step_log);
}

bool ltr_api_should_update_logs(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return t ? ltr_should_update_logs(t) : true;
}

void ltr_trainer_refresh_metrics(void *self) {
    ltr_trainer *t = self;
    if (!t->metrics.active || t->ctx.pub.sanity_checking) return;
    bool in_batch = t->ctx.pub.batch_idx >= 0;
    if (t->metrics.active == &t->metrics.train) {
        if (in_batch) ltr_results_collect_step(&t->metrics.train, &t->metrics.logged, &t->metrics.pbar, &t->metrics.callback);
        else ltr_results_collect_epoch(&t->metrics.train, &t->metrics.logged, &t->metrics.pbar, &t->metrics.callback);
    } else if (t->metrics.active == &t->metrics.eval && !in_batch) {
        ltr_results_collect_epoch(&t->metrics.eval, &t->metrics.logged, &t->metrics.pbar, &t->metrics.callback);
    }
}
