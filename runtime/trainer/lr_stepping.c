/*
 * lr_stepping.c — Lightning's _update_learning_rates (loops/training_epoch_loop.py):
 * which configured schedulers step when, and ReduceLROnPlateau's monitor lookup.
 * Each due scheduler goes through LightningModule.lr_scheduler_step(scheduler, metric)
 * — the module's override when it gives one, else scheduler.step() / step(metric).
 */
#include "trainer/lr_stepping.h"

#include "optim/configure.h"
#include "optim/lr_scheduler.h"

#include <stdio.h>
#include <string.h>

/* Python's repr of list(trainer.callback_metrics): ['a', 'b'] */
static void metric_names(const ltr_metric_dict *d, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < d->n && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s'%s'", i ? ", " : "", d->names[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

lt_status ltr_update_lr_schedulers(ltr_trainer *t, ltr_lr_interval interval, bool plateau,
                                   int64_t batch_idx, bool accumulating) {
    const ltr_optim_setup *s = &t->optim_setup;
    if (interval == LTR_LR_INTERVAL_STEP && accumulating) return LT_OK;
    /* ABI 1.4: LightningModule.lr_scheduler_step override (NULL: Lightning's default) */
    lt_status (*override)(lt_ctx *, void *, lt_lr_scheduler *, const double *) =
        LTR_HOOK(t->mvt, lt_module_vtable, lr_scheduler_step);
    /* manual optimization: the user steps schedulers (Lightning returns early when
     * not automatic_optimization) */
    if (t->manual.enabled) return LT_OK;
    for (int i = 0; i < s->nconfigs; i++) {
        const ltr_sched_config *c = &s->configs[i];
        if (plateau != c->reduce_on_plateau) continue;
        if (c->interval_step != (interval == LTR_LR_INTERVAL_STEP)) continue;
        int64_t idx = (interval == LTR_LR_INTERVAL_STEP ? batch_idx : t->ctx.pub.current_epoch) + 1;
        if (idx % c->frequency != 0) continue;
        lt_status rc;
        const double *metric = NULL; /* monitor_val: None unless reduce_on_plateau */
        t->ctx.hook_name = "lr_scheduler_step";
        if (c->reduce_on_plateau) {
            const double *v = ltr_dict_get(&t->metrics.callback, c->monitor);
            if (!v) {
                t->ctx.hook_name = NULL;
                if (c->strict) {
                    char avail[512];
                    metric_names(&t->metrics.callback, avail, sizeof avail);
                    ltr_trainer_error(t, LTR_EXIT_TRAINING,
                                      "ReduceLROnPlateau conditioned on metric %s which is not "
                                      "available. Available metrics are: %s. Condition can be set "
                                      "using `monitor` key in lr scheduler dict", c->monitor, avail);
                    return LT_ERROR;
                }
                fprintf(stderr, "ltrun: warning: RuntimeWarning: ReduceLROnPlateau conditioned on "
                                "metric %s which is not available but strict is set to `False`. "
                                "Skipping learning rate update.\n", c->monitor);
                continue;
            }
            metric = v;
        }
        /* call._call_lightning_module_hook(trainer, "lr_scheduler_step", scheduler,
         * monitor_val): the module's override if it gives one (errors are its hook's) */
        if (override) {
            t->ctx.hook_name = NULL;
            double value = metric ? *metric : 0.0; /* a copy: the dict may grow */
            ltr_trainer_hook_begin(t, true, "lr_scheduler_step");
            if (ltr_trainer_hook_done(t, true, "lr_scheduler_step",
                                      override(&t->ctx.pub, t->module, c->scheduler,
                                               metric ? &value : NULL)))
                return LT_ERROR;
            continue;
        }
        /* the default: scheduler.step() or scheduler.step(metric) */
        rc = metric ? ltr_lr_scheduler_step_metric(&t->ctx.pub, c->scheduler, *metric)
                    : ltr_lr_scheduler_step(&t->ctx.pub, c->scheduler);
        t->ctx.hook_name = NULL;
        if (rc != LT_OK) {
            char msg[1024];
            ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
            ltr_trainer_error(t, LTR_EXIT_TRAINING, "lr_scheduler_step (%s, lr scheduler %d): %s",
                              c->scheduler->name, i, msg);
            return LT_ERROR;
        }
    }
    return LT_OK;
}
