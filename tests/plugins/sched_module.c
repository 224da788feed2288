/* sched_module.c — configure_optimizers' forms and the trainer's scheduler stepping
 * (tests/test_sched_e2e.sh). Writes "train EPOCH BATCH lr=LR" at every training_step (the
 * lr the step is about to use) to the "trace" hparam's file; "mode" picks the form.
 * Built twice: with -DSCHED_LR_HOOK as sched_hook.so, which overrides lr_scheduler_step
 * (traces "lr_scheduler_step epoch=E metric=M|None", then steps as Lightning's default
 * unless --model.lr_hook skip) and logs val_metric = 0.5 + current_epoch. */
#include "trace.h"

#include <string.h>

typedef struct {
    lt_linear_layer fc;
    const char *mode;
    bool lr_hook_skip;
} sm;

static void *sm_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)stage_name;
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    sm *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 2) != LT_OK) return NULL;
    m->mode = lt_hp_str(ctx, hp, "mode", "step");
#ifdef SCHED_LR_HOOK
    m->lr_hook_skip = !strcmp(lt_hp_str(ctx, hp, "lr_hook", "step"), "skip");
#endif
    return m;
}

static lt_tensor *loss_of(lt_ctx *ctx, sm *m, lt_batch *b) {
    return lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}

static lt_tensor *sm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    sm *m = self;
    lt_optimizer *opt = lt_optimizers(ctx, 0);
    if (!opt) { /* configure_optimizers returned "None": the loss shows nothing moves */
        lt_tensor *loss = loss_of(ctx, m, b);
        trace("train %lld %lld loss=%.9g", (long long)ctx->current_epoch, (long long)i, lt_item(ctx, loss));
        return loss;
    }
    trace("train %lld %lld lr=%.10g", (long long)ctx->current_epoch, (long long)i,
          lt_group_get(ctx, opt, 0, "lr"));
    if (strcmp(m->mode, "plateau_step") == 0) lt_log_value(ctx, "train_metric", 1.0, 0); /* on_step */
    if (lt_num_param_groups(ctx, opt) > 1)
        trace("  group1 lr=%.10g weight_decay=%g", lt_group_get(ctx, opt, 1, "lr"),
              lt_group_get(ctx, opt, 1, "weight_decay"));
    return loss_of(ctx, m, b);
}

/* a validation metric that never improves: ReduceLROnPlateau reduces after patience */
static lt_status sm_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
#ifdef SCHED_LR_HOOK
    lt_log_value(ctx, "val_metric", 0.5 + (double)ctx->current_epoch, 0);
#else
    lt_log_value(ctx, "val_metric", 1.0, 0);
#endif
    return LT_OK;
}

static lt_optimizer *sm_configure_optimizers(lt_ctx *ctx, void *self) {
    sm *m = self;
    if (strcmp(m->mode, "none") == 0) return NULL; /* Lightning's `return None` */
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    lt_optimizer *opt = lt_sgd(ctx, &o);
    lt_lr_scheduler_config cfg = LT_LR_SCHEDULER_CONFIG_DEFAULTS;
    if (strcmp(m->mode, "step") == 0) {
        /* {"scheduler": StepLR(opt, 1, 0.5), "interval": "step", "frequency": 2} */
        cfg.interval = "step";
        cfg.frequency = 2;
        lt_add_lr_scheduler(ctx, lt_step_lr(ctx, opt, 1, 0.5), &cfg);
    } else if (strcmp(m->mode, "epoch") == 0) {
        /* ([opt], [StepLR(opt, 1, 0.5)]) with frequency 2: after epochs 1, 3, ... */
        cfg.frequency = 2;
        lt_add_lr_scheduler(ctx, lt_step_lr(ctx, opt, 1, 0.5), &cfg);
    } else if (strcmp(m->mode, "plateau") == 0 || strcmp(m->mode, "missing") == 0 ||
               strcmp(m->mode, "not_strict") == 0) {
        lt_plateau_options po = LT_PLATEAU_DEFAULTS;
        po.patience = 0;
        po.factor = 0.5;
        cfg.monitor = strcmp(m->mode, "plateau") == 0 ? "val_metric" : "val_los";
        cfg.strict = strcmp(m->mode, "not_strict") != 0;
        lt_add_lr_scheduler(ctx, lt_reduce_lr_on_plateau(ctx, opt, &po), &cfg);
    } else if (strcmp(m->mode, "plateau_step") == 0) {
        /* interval "step": stepped after each batch's logging, reading the step value */
        lt_plateau_options po = LT_PLATEAU_DEFAULTS;
        po.patience = 0;
        po.factor = 0.5;
        cfg.interval = "step";
        cfg.monitor = "train_metric";
        lt_add_lr_scheduler(ctx, lt_reduce_lr_on_plateau(ctx, opt, &po), &cfg);
    } else if (strcmp(m->mode, "plateau_no_monitor") == 0) {
        lt_add_lr_scheduler(ctx, lt_reduce_lr_on_plateau(ctx, opt, NULL), &cfg);
    } else if (strcmp(m->mode, "bad_interval") == 0) {
        cfg.interval = "hour";
        lt_add_lr_scheduler(ctx, lt_step_lr(ctx, opt, 1, 0.5), &cfg);
    } else if (strcmp(m->mode, "two_optimizers") == 0) {
        lt_add_optimizer(ctx, lt_adam(ctx, NULL));
    } else if (strcmp(m->mode, "foreign_scheduler") == 0) {
        /* a scheduler of an optimizer configure_optimizers does not return */
        lt_add_lr_scheduler(ctx, lt_step_lr(ctx, lt_sgd(ctx, &o), 1, 0.5), NULL);
    } else if (strcmp(m->mode, "groups") == 0) {
        /* AdamW, no weight decay on biases, and a OneCycleLR stepped per batch */
        opt = lt_adamw(ctx, NULL);
        int g = lt_param_group(ctx, opt, "*.bias");
        lt_group_set(ctx, opt, g, "weight_decay", 0.0);
        lt_one_cycle_options oc = LT_ONE_CYCLE_DEFAULTS;
        oc.max_lr = 0.01;
        oc.total_steps = 6;
        cfg.interval = "step";
        lt_add_lr_scheduler(ctx, lt_one_cycle_lr(ctx, opt, &oc), &cfg);
    }
    return opt;
}

#ifdef SCHED_LR_HOOK
/* LightningModule.lr_scheduler_step(scheduler, metric); the default body unless skipped */
static lt_status sm_lr_scheduler_step(lt_ctx *ctx, void *self, lt_lr_scheduler *s,
                                      const double *metric) {
    sm *m = self;
    if (metric) trace("lr_scheduler_step epoch=%lld metric=%g", (long long)ctx->current_epoch, *metric);
    else trace("lr_scheduler_step epoch=%lld metric=None", (long long)ctx->current_epoch);
    if (m->lr_hook_skip) return LT_OK;
    return metric ? lt_lr_scheduler_step_metric(ctx, s, *metric) : lt_lr_scheduler_step(ctx, s);
}
LT_MODULE(schedhook, .create = sm_create, .training_step = sm_training_step,
          .validation_step = sm_validation_step, .configure_optimizers = sm_configure_optimizers,
          .lr_scheduler_step = sm_lr_scheduler_step)
#else
LT_MODULE(schedmod, .create = sm_create, .training_step = sm_training_step,
          .validation_step = sm_validation_step, .configure_optimizers = sm_configure_optimizers)
#endif
