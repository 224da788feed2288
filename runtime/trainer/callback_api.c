/*
 * callback_api.c — host services for callback plugins (ABI 1.4: callbacks):
 * dict/list hyperparameters as JSON text, the trainer flags Lightning's callbacks read
 * (EarlyStopping.setup reads val_check_interval and check_val_every_n_epoch), and the
 * optimizer class name LearningRateMonitor builds its keys from.
 *
 */
#include "trainer/trainer.h"

#include "cli/hparams.h"
#include "optim/configure.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"

#include <math.h>
#include <string.h>

const char *ltr_api_hp_json(lt_ctx *c, const lt_hparams *hp, const char *key) {
    (void)c;
    const cJSON *v = hp && hp->given ? cJSON_GetObjectItemCaseSensitive(hp->given, key) : NULL;
    if (!v) return NULL;
    char *txt = cJSON_PrintUnformatted(v);
    if (!txt) return NULL;
    /* recorded as read; the text lives in hp->used until the hparams are freed */
    cJSON_DeleteItemFromObjectCaseSensitive(hp->used, key);
    cJSON_AddItemToObject(hp->used, key, cJSON_CreateString(txt));
    cJSON_free(txt);
    return cJSON_GetObjectItemCaseSensitive(hp->used, key)->valuestring;
}

double ltr_api_trainer_flag(lt_ctx *c, const char *key) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t || !key) return NAN;
    const ltr_trainer_config *f = &t->opts->trainer;
    /* a duration has no batch interval (Lightning 2.6 leaves trainer.val_check_interval
     * unset then): EarlyStopping and ModelCheckpoint check after validation */
    if (!strcmp(key, "val_check_interval"))
        return f->val_check_is_time ? NAN
               : f->val_check_interval.is_fraction ? f->val_check_interval.fraction
                                                   : (double)f->val_check_interval.count;
    /* seconds of a time-based val_check_interval (trainer._val_check_time_interval) */
    if (!strcmp(key, "val_check_time_interval"))
        return f->val_check_is_time ? f->val_check_time_interval : NAN;
    if (!strcmp(key, "reload_dataloaders_every_n_epochs"))
        return (double)f->reload_dataloaders_every_n_epochs;
    if (!strcmp(key, "check_val_every_n_epoch"))
        return f->check_val_every_n_epoch_none ? NAN : (double)f->check_val_every_n_epoch;
    if (!strcmp(key, "fast_dev_run")) return (double)f->fast_dev_run;
    if (!strcmp(key, "max_epochs")) return (double)f->max_epochs;
    if (!strcmp(key, "min_epochs")) return (double)f->min_epochs;
    if (!strcmp(key, "max_steps")) return (double)f->max_steps;
    if (!strcmp(key, "min_steps")) return (double)f->min_steps;
    if (!strcmp(key, "accumulate_grad_batches")) return (double)f->accumulate_grad_batches;
    if (!strcmp(key, "log_every_n_steps")) return (double)f->log_every_n_steps;
    if (!strcmp(key, "num_loggers")) return (double)(t->lgs.n + (t->lgs.dummy ? 1 : 0));
    /* ABI 1.8: fit is followed by the test loop (--test), so a data module can refuse a
     * missing test split in setup("fit") instead of after training */
    if (!strcmp(key, "test_after_fit")) return t->opts->run_test ? 1.0 : 0.0;
    /* ABI 1.4: progress bar */
    /* ABI 1.9: an iterable dataset's unknown count is float('inf'), as Lightning's */
    if (!strcmp(key, "num_eval_batches"))
        return t->loop.eval_total == LTR_INF_BATCHES ? INFINITY : (double)t->loop.eval_total;
    if (!strcmp(key, "enable_progress_bar")) return f->enable_progress_bar ? 1.0 : 0.0;
    /* ModelCheckpoint's deferral (Lightning 2.6): is validation about to run? */
    if (!strcmp(key, "is_last_batch")) return t->loop.is_last_batch ? 1.0 : 0.0;
    if (!strcmp(key, "num_val_batches"))
        return !t->loop.estimated_ready ? NAN
               : t->loop.num_val_batches == LTR_INF_BATCHES ? INFINITY : (double)t->loop.num_val_batches;
    if (!strcmp(key, "num_training_batches"))
        return !t->loop.estimated_ready ? NAN
               : t->loop.num_training_batches == LTR_INF_BATCHES ? INFINITY
                                                                 : (double)t->loop.num_training_batches;
    return NAN;
}

lt_status ltr_api_step_output(lt_ctx *c, lt_tensor *output) {
    ltr_ctx *x = ltr_ctx_of(c);
    ltr_trainer *t = x->trainer;
    const char *hook = x->hook_name ? x->hook_name : "";
    if (!t || (strcmp(hook, "validation_step") && strcmp(hook, "test_step")))
        return ltr_fail(c, "lt_step_output: called in %s; only validation_step and test_step hand "
                           "their outputs this way (training_step returns its loss, "
                           "predict_step its predictions)", hook[0] ? hook : "no hook");
    t->loop.step_output = output;
    return LT_OK;
}

const char *ltr_api_optimizer_name(const lt_optimizer *opt) { return opt ? opt->name : NULL; }

lt_optimizer *ltr_api_lr_scheduler_config(lt_ctx *c, int i, lt_lr_scheduler_config *cfg) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t || i < 0 || i >= t->optim_setup.nconfigs) return NULL;
    const ltr_sched_config *sc = &t->optim_setup.configs[i];
    if (cfg) {
        *cfg = LT_LR_SCHEDULER_CONFIG_DEFAULTS;
        cfg->interval = sc->interval_step ? "step" : "epoch";
        cfg->frequency = sc->frequency;
        cfg->monitor = sc->monitor;
        cfg->strict = sc->strict;
        cfg->name = sc->name;
    }
    return sc->scheduler ? sc->scheduler->opt : NULL;
}

lt_status ltr_api_logger_log_metrics(lt_ctx *c, int n, const char *const *names,
                                     const double *values) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t || n <= 0) return LT_OK;
    ltr_metric_dict d = {0};
    for (int i = 0; i < n; i++) ltr_dict_set(&d, names[i], values[i]);
    lt_status rc = ltr_loggers_log_metrics_direct(t, &d);
    ltr_dict_free(&d);
    return rc;
}

/* _LoggerConnector.log_metrics(metrics, step=step) (ABI 1.8) */
lt_status ltr_api_logger_log_metrics_step(lt_ctx *c, int n, const char *const *names,
                                          const double *values, int64_t step) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t || n <= 0) return LT_OK;
    ltr_metric_dict d = {0};
    for (int i = 0; i < n; i++) ltr_dict_set(&d, names[i], values[i]);
    lt_status rc = ltr_loggers_log_metrics_at(t, &d, step);
    ltr_dict_free(&d);
    return rc;
}

void ltr_api_callback_metric_set(lt_ctx *c, const char *name, double value) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (t && name) ltr_dict_set(&t->metrics.callback, name, value);
}

lt_status ltr_api_set_accumulate_grad_batches(lt_ctx *c, int64_t n) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (n < 1) return ltr_fail(c, "accumulate_grad_batches must be >= 1, got %lld", (long long)n);
    if (!t) return ltr_fail(c, "lt_set_accumulate_grad_batches: no trainer is running");
    /* the loops read trainer.accumulate_grad_batches at each batch (loops/training_epoch.c,
     * loops/automatic.c); the options object itself is not const (cli/options.c owns it) */
    ((ltr_options *)t->opts)->trainer.accumulate_grad_batches = n;
    return LT_OK;
}
