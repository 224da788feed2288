/*
 * configure.c — configure_optimizers' forms (Lightning core/optimizer.py): extra
 * optimizers, schedulers with their config dict, the checks Lightning applies to what
 * configure_optimizers produced, and ownership of everything made during a run.
 */
#include "optim/configure.h"

#include "core/context.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lt_status grow(void **arr, int n, size_t elsize) {
    /* capacity doubles at powers of two: n entries fit when n is not a power of two */
    if (n > 0 && (n & (n - 1)) != 0) return LT_OK;
    void *p = realloc(*arr, (size_t)(n ? 2 * n : 4) * elsize);
    if (!p) return LT_ERROR;
    *arr = p;
    return LT_OK;
}

lt_status ltr_optim_setup_own(ltr_optim_setup *s, lt_optimizer *o, lt_lr_scheduler *sched) {
    if (o) {
        if (grow((void **)&s->owned_opt, s->nowned_opt, sizeof *s->owned_opt)) return LT_ERROR;
        s->owned_opt[s->nowned_opt++] = o;
    }
    if (sched) {
        if (grow((void **)&s->owned_sched, s->nowned_sched, sizeof *s->owned_sched)) return LT_ERROR;
        s->owned_sched[s->nowned_sched++] = sched;
    }
    return LT_OK;
}

static bool owned_opt(const ltr_optim_setup *s, const lt_optimizer *o) {
    for (int i = 0; i < s->nowned_opt; i++)
        if (s->owned_opt[i] == o) return true;
    return false;
}

static bool owned_sched(const ltr_optim_setup *s, const lt_lr_scheduler *o) {
    for (int i = 0; i < s->nowned_sched; i++)
        if (s->owned_sched[i] == o) return true;
    return false;
}

static bool listed(const ltr_optim_setup *s, const lt_optimizer *o) {
    for (int i = 0; i < s->noptimizers; i++)
        if (s->optimizers[i] == o) return true;
    return false;
}

static ltr_optim_setup *configuring(lt_ctx *ctx, const char *fn) {
    ltr_optim_setup *s = ltr_ctx_of(ctx)->optim;
    if (!s || !s->configuring) {
        ltr_fail(ctx, "%s: call it from configure_optimizers", fn);
        return NULL;
    }
    return s;
}

lt_status ltr_add_optimizer(lt_ctx *ctx, lt_optimizer *opt) {
    ltr_optim_setup *s = configuring(ctx, "lt_add_optimizer");
    if (!s) return LT_ERROR;
    if (!opt || !owned_opt(s, opt))
        return ltr_fail(ctx, "lt_add_optimizer: %s", opt ? "not an optimizer made in this run "
                                                           "(make it with lt_sgd/lt_adam/...)"
                                                         : "no optimizer (NULL)");
    if (listed(s, opt)) return LT_OK; /* added twice: once in the list */
    if (grow((void **)&s->optimizers, s->noptimizers, sizeof *s->optimizers))
        return ltr_fail(ctx, "lt_add_optimizer: out of memory");
    s->optimizers[s->noptimizers++] = opt;
    return LT_OK;
}

static char *dup_or_null(const char *x) { return x ? strdup(x) : NULL; }

lt_status ltr_add_lr_scheduler(lt_ctx *ctx, lt_lr_scheduler *sched, const lt_lr_scheduler_config *cfg) {
    ltr_optim_setup *s = configuring(ctx, "lt_add_lr_scheduler");
    if (!s) return LT_ERROR;
    const lt_lr_scheduler_config defaults = LT_LR_SCHEDULER_CONFIG_DEFAULTS;
    if (!cfg) cfg = &defaults;
    /* Lightning: 'The lr scheduler dict must have the key "scheduler" ...' */
    if (!sched || !owned_sched(s, sched))
        return ltr_fail(ctx, "lt_add_lr_scheduler: %s",
                        sched ? "not a scheduler made in this run (make it with lt_step_lr/...)"
                              : "The lr scheduler dict must have the key \"scheduler\" with its "
                                "item being an lr scheduler (got NULL)");
    const char *interval = cfg->interval ? cfg->interval : "epoch";
    if (strcmp(interval, "step") != 0 && strcmp(interval, "epoch") != 0)
        return ltr_fail(ctx, "lt_add_lr_scheduler: The \"interval\" key in lr scheduler dict must be "
                             "\"step\" or \"epoch\" but is \"%s\"", interval);
    if (cfg->frequency < 1)
        /* Lightning divides by it (index %% frequency); 0 is what a zeroed struct holds */
        return ltr_fail(ctx, "lt_add_lr_scheduler: frequency must be >= 1, got %lld (start from "
                             "LT_LR_SCHEDULER_CONFIG_DEFAULTS)", (long long)cfg->frequency);
    /* _configure_schedulers_manual_opt: no reduce_on_plateau and no monitor needed (the
     * user steps it); the monitor/strict keys are warned about in finish */
    bool plateau = sched->kind == LTR_SCHED_PLATEAU && !s->manual;
    if (plateau && !cfg->monitor)
        return ltr_fail(ctx, "lt_add_lr_scheduler: The lr scheduler dict must include a monitor when "
                             "a `ReduceLROnPlateau` scheduler is used. For example: "
                             "{\"optimizer\": optimizer, \"lr_scheduler\": {\"scheduler\": scheduler, "
                             "\"monitor\": \"your_loss\"}} (set cfg.monitor)");
    if (sched->kind == LTR_SCHED_ONE_CYCLE && strcmp(interval, "epoch") == 0)
        fprintf(stderr, "ltrun: warning: RuntimeWarning: A `OneCycleLR` scheduler is using "
                        "'interval': 'epoch'. Are you sure you didn't mean 'interval': 'step'?\n");
    if (grow((void **)&s->configs, s->nconfigs, sizeof *s->configs))
        return ltr_fail(ctx, "lt_add_lr_scheduler: out of memory");
    ltr_sched_config *c = &s->configs[s->nconfigs++];
    memset(c, 0, sizeof *c);
    c->scheduler = sched;
    c->name = dup_or_null(cfg->name);
    c->monitor = dup_or_null(cfg->monitor);
    c->interval_step = strcmp(interval, "step") == 0;
    c->frequency = cfg->frequency;
    c->reduce_on_plateau = plateau;
    c->strict = cfg->strict;
    return LT_OK;
}

lt_status ltr_optim_setup_finish(ltr_optim_setup *s, lt_ctx *ctx, lt_optimizer *returned,
                                 bool automatic) {
    s->configuring = false;
    if (returned && !owned_opt(s, returned))
        return ltr_fail(ctx, "configure_optimizers returned something that is not an optimizer made "
                             "in this run (return what lt_sgd/lt_adam/... gave)");
    if (returned && !listed(s, returned)) {
        /* the returned optimizer comes first: trainer.optimizers[0] */
        if (grow((void **)&s->optimizers, s->noptimizers, sizeof *s->optimizers))
            return ltr_fail(ctx, "configure_optimizers: out of memory");
        memmove(s->optimizers + 1, s->optimizers, (size_t)s->noptimizers * sizeof *s->optimizers);
        s->optimizers[0] = returned;
        s->noptimizers++;
    } else if (returned && s->optimizers[0] != returned) {
        for (int i = 0; i < s->noptimizers; i++)
            if (s->optimizers[i] == returned) {
                memmove(s->optimizers + 1, s->optimizers, (size_t)i * sizeof *s->optimizers);
                s->optimizers[0] = returned;
                break;
            }
    }
    if (s->noptimizers == 0) {
        /* Lightning: None -> a warning, and fit runs with _MockOptimizer (no updates) */
        if (s->nconfigs > 0)
            return ltr_fail(ctx, "Some schedulers are attached with an optimizer that wasn't "
                                 "returned from `configure_optimizers`. (none was returned)");
        fprintf(stderr, "ltrun: warning: UserWarning: `LightningModule.configure_optimizers` "
                        "returned `None`, this fit will run with no optimizer\n");
        return LT_OK;
    }
    /* _validate_multiple_optimizers_support */
    if (automatic && s->noptimizers > 1)
        return ltr_fail(ctx, "Training with multiple optimizers is only supported with manual "
                             "optimization. Set `self.automatic_optimization = False`, then access "
                             "your optimizers in `training_step` with `opt1, opt2, ... = "
                             "self.optimizers()`. (%d optimizers were configured)", s->noptimizers);
    /* _validate_optimizers_attached */
    for (int i = 0; i < s->nconfigs; i++)
        if (!listed(s, s->configs[i].scheduler->opt))
            return ltr_fail(ctx, "Some schedulers are attached with an optimizer that wasn't returned "
                                 "from `configure_optimizers`. (%s, lr scheduler %d)",
                            s->configs[i].scheduler->name, i);
    /* _configure_schedulers_manual_opt: monitor/strict are ignored, with a warning */
    if (!automatic)
        for (int i = 0; i < s->nconfigs; i++)
            if (s->configs[i].monitor)
                fprintf(stderr, "ltrun: warning: RuntimeWarning: The lr scheduler dict contains the "
                                "key(s) ['monitor', 'strict'], but the keys will be ignored. You need "
                                "to call `lr_scheduler.step()` manually in manual optimization.\n");
    return LT_OK;
}

void ltr_optim_setup_free(ltr_optim_setup *s) {
    for (int i = 0; i < s->nconfigs; i++) {
        free(s->configs[i].name);
        free(s->configs[i].monitor);
    }
    for (int i = 0; i < s->nowned_sched; i++) ltr_lr_scheduler_free(s->owned_sched[i]);
    for (int i = 0; i < s->nowned_opt; i++) ltr_optimizer_free(s->owned_opt[i]);
    free(s->configs);
    free(s->optimizers);
    free(s->owned_sched);
    free(s->owned_opt);
    memset(s, 0, sizeof *s);
}

lt_optimizer *ltr_optimizers_at(lt_ctx *ctx, int i) {
    ltr_optim_setup *s = ltr_ctx_of(ctx)->optim;
    return s && !s->configuring && i >= 0 && i < s->noptimizers ? s->optimizers[i] : NULL;
}

lt_lr_scheduler *ltr_lr_schedulers_at(lt_ctx *ctx, int i) {
    ltr_optim_setup *s = ltr_ctx_of(ctx)->optim;
    return s && !s->configuring && i >= 0 && i < s->nconfigs ? s->configs[i].scheduler : NULL;
}
