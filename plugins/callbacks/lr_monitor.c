/*
 * lr_monitor.c — Lightning's LearningRateMonitor (callbacks/lr_monitor.py) as a callback
 * plugin.
 *
 * init args (Lightning's): logging_interval null | "step" | "epoch", log_momentum false,
 * log_weight_decay false.
 *
 * Reproduced behaviour:
 *  - keys: "lr-<Optimizer class>" (or the scheduler config's name), "-<k>" for the k-th
 *    repeat of an optimizer class (_add_prefix), "/pg<i+1>" per param group when there
 *    are several (_add_suffix), "<key>-momentum" (betas[0] for Adam/AdamW, else the
 *    group's momentum, 0 when none), "<key>-weight_decay". Optimizers with a scheduler
 *    are named first, in trainer.lr_scheduler_configs order, then the others.
 *  - on_train_batch_start (only when the logger connector would log this step,
 *    should_update_logs) logs the schedulers of interval "step" (logging_interval None)
 *    or all (logging_interval "step"); on_train_epoch_start those of interval "epoch"
 *    (None) or all ("epoch"); optimizers without a scheduler in both.
 *  - on_train_start: an error without a logger; a RuntimeWarning when log_momentum is set
 *    and an optimizer has neither momentum nor betas.
 * Values go to trainer.callback_metrics and straight to every logger's log_metrics at
 * step = _batches_that_stepped (not through self.log), as Lightning does; ltrun's logger
 * path adds the "epoch" column to the row.
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's LearningRateMonitor: logs lr (and momentum) per optimizer/param group"
#include "ltrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EVERY = 0, STEP = 1, EPOCH = 2 }; /* logging_interval None, "step", "epoch" */

typedef struct lr_monitor {
    int logging_interval;
    bool log_momentum, log_weight_decay;
} lr_monitor;

static void *lm_create(lt_ctx *ctx, const lt_hparams *hp) {
    lr_monitor *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    const char *li = lt_hp_json(ctx, hp, "logging_interval");
    m->log_momentum = lt_hp_bool(ctx, hp, "log_momentum", false);
    m->log_weight_decay = lt_hp_bool(ctx, hp, "log_weight_decay", false);
    if (!li || !strcmp(li, "null")) m->logging_interval = EVERY;
    else if (!strcmp(li, "\"step\"")) m->logging_interval = STEP;
    else if (!strcmp(li, "\"epoch\"")) m->logging_interval = EPOCH;
    else {
        lt_fail(ctx, "lr_monitor: logging_interval should be `step` or `epoch` or `None` (null), "
                     "got %s", li);
        free(m);
        return NULL;
    }
    return m;
}

static void lm_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static bool has_key(lt_ctx *ctx, const lt_optimizer *o, const char *key) {
    for (int g = 0; g < lt_num_param_groups(ctx, o); g++)
        if (!isnan(lt_group_get(ctx, o, g, key))) return true;
    return false;
}

static lt_status lm_on_train_start(lt_ctx *ctx, void *self) {
    lr_monitor *m = self;
    if (!(lt_trainer_flag(ctx, "num_loggers") > 0))
        return lt_fail(ctx, "Cannot use `LearningRateMonitor` callback with `Trainer` that has no "
                            "logger (drop --trainer.logger false or give --logger)");
    if (m->log_momentum) {
        bool missing = false;
        lt_optimizer *o;
        for (int i = 0; (o = lt_optimizers(ctx, i)); i++)
            if (!has_key(ctx, o, "momentum") && !has_key(ctx, o, "beta1")) missing = true;
        if (missing)
            fprintf(stderr, "RuntimeWarning: You have set log_momentum=True, but some optimizers do "
                            "not have momentum. This will log a value 0 for the momentum.\n");
    }
    return LT_OK;
}

typedef struct seen_types {
    const char *name[64];
    int count[64];
    int n;
} seen_types;

static int bump(seen_types *s, const char *cls) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], cls)) return ++s->count[i];
    if (s->n == 64) return 1;
    s->name[s->n] = cls;
    s->count[s->n] = 1;
    return s->count[s->n++];
}

/* latest_stat: the keys and values one _extract_stats call collects */
typedef struct stats {
    char names[64][340];
    double values[64];
    int n;
} stats;

static void log_one(stats *st, const char *name, double v) {
    if (st->n == 64) return;
    snprintf(st->names[st->n], sizeof st->names[0], "%s", name);
    st->values[st->n++] = v;
}

/* _get_optimizer_stats for one optimizer under its base key */
static void optimizer_stats(lt_ctx *ctx, stats *st, const lr_monitor *m,
                            const lt_optimizer *o, const char *base) {
    int n = lt_num_param_groups(ctx, o);
    bool betas = has_key(ctx, o, "beta1");
    for (int g = 0; g < n; g++) {
        char key[300], sub[340];
        if (n > 1) snprintf(key, sizeof key, "%s/pg%d", base, g + 1);
        else snprintf(key, sizeof key, "%s", base);
        log_one(st, key, lt_group_get(ctx, o, g, "lr"));
        if (m->log_momentum) {
            double mom = lt_group_get(ctx, o, g, betas ? "beta1" : "momentum");
            snprintf(sub, sizeof sub, "%s-momentum", key);
            log_one(st, sub, isnan(mom) ? 0.0 : mom);
        }
        if (m->log_weight_decay) {
            double wd = lt_group_get(ctx, o, g, "weight_decay");
            snprintf(sub, sizeof sub, "%s-weight_decay", key);
            log_one(st, sub, isnan(wd) ? 0.0 : wd);
        }
    }
}

/* _extract_stats(trainer, interval): interval "step", "epoch" or "any" */
static void extract_stats(lt_ctx *ctx, stats *st, const lr_monitor *m, const char *interval) {
    seen_types types = {0};
    const lt_optimizer *seen[64];
    int nseen = 0;
    lt_lr_scheduler_config cfg;
    lt_optimizer *o;
    for (int i = 0; (o = lt_lr_scheduler_config_at(ctx, i, &cfg)); i++) {
        const char *cls = lt_optimizer_name(ctx, o);
        char base[256];
        if (cfg.name) snprintf(base, sizeof base, "%s", cfg.name);
        else snprintf(base, sizeof base, "lr-%s", cls);
        if (nseen < 64) seen[nseen++] = o;
        int count = cfg.name ? 0 : bump(&types, cls);
        if (!cfg.name && count > 1) snprintf(base + strlen(base), sizeof base - strlen(base),
                                             "-%d", count - 1);
        else if (cfg.name) { /* _add_prefix still applies when the class was seen unnamed */
            for (int k = 0; k < types.n; k++)
                if (!strcmp(types.name[k], cls) && types.count[k] > 1)
                    snprintf(base + strlen(base), sizeof base - strlen(base), "-%d",
                             types.count[k] - 1);
        }
        if (!strcmp(interval, "any") || !strcmp(interval, cfg.interval))
            optimizer_stats(ctx, st, m, o, base);
    }
    for (int i = 0; (o = lt_optimizers(ctx, i)); i++) {
        bool was = false;
        for (int k = 0; k < nseen; k++) was |= seen[k] == o;
        if (was) continue;
        if (nseen < 64) seen[nseen++] = o;
        const char *cls = lt_optimizer_name(ctx, o);
        char base[256];
        int count = bump(&types, cls);
        if (count > 1) snprintf(base, sizeof base, "lr-%s-%d", cls, count - 1);
        else snprintf(base, sizeof base, "lr-%s", cls);
        optimizer_stats(ctx, st, m, o, base);
    }
}

/* extract, trainer.callback_metrics.update, then every logger's log_metrics */
static lt_status log_stats(lt_ctx *ctx, const lr_monitor *m, const char *interval) {
    stats *st = calloc(1, sizeof *st);
    if (!st) return lt_fail(ctx, "lr_monitor: out of memory");
    extract_stats(ctx, st, m, interval);
    const char *names[64];
    for (int i = 0; i < st->n; i++) {
        names[i] = st->names[i];
        lt_callback_metric_set(ctx, names[i], st->values[i]);
    }
    lt_status rc = st->n ? lt_logger_log_metrics(ctx, st->n, names, st->values) : LT_OK;
    free(st);
    return rc;
}

static lt_status lm_on_train_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    (void)i;
    lr_monitor *m = self;
    if (!lt_should_update_logs(ctx)) return LT_OK;
    if (m->logging_interval == EPOCH) return LT_OK;
    return log_stats(ctx, m, m->logging_interval == EVERY ? "step" : "any");
}

static lt_status lm_on_train_epoch_start(lt_ctx *ctx, void *self) {
    lr_monitor *m = self;
    if (m->logging_interval == STEP) return LT_OK;
    return log_stats(ctx, m, m->logging_interval == EVERY ? "epoch" : "any");
}

LT_CALLBACK(lr_monitor, .create = lm_create, .destroy = lm_destroy,
            .on_train_start = lm_on_train_start, .on_train_batch_start = lm_on_train_batch_start,
            .on_train_epoch_start = lm_on_train_epoch_start)
