/* trainer.c — set-up and tear-down around the loops: plugins, instances, loaders. */
#include "trainer/trainer.h"
#include "accelerators/deterministic.h"
#include "checkpoint/checkpoint.h"
#include "trainer/fault.h"
#include "precision/precision.h"
#include "strategy/strategy.h"

#include "optim/optimizer.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


void ltr_trainer_error(ltr_trainer *t, int exit_code, const char *fmt, ...) {
    if (t->exit_code) return; /* the first error names the cause */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error_msg, sizeof t->error_msg, fmt, ap); /* for on_exception */
    if (!t->opts || !t->opts->report || !t->opts->report->quiet) { /* a tuner trial: its caller reports */
        /* several processes: say which one failed */
        if (t->strategy && t->strategy->world_size > 1)
            fprintf(stderr, "ltrun: error: [rank %lld] %s\n", (long long)t->strategy->rank,
                    t->error_msg);
        else
            fprintf(stderr, "ltrun: error: %s\n", t->error_msg);
    }
    va_end(ap);
    t->exit_code = exit_code;
}

const char *ltr_trainer_plugin_name(const ltr_trainer *t, bool is_module) {
    const ltr_plugin *p = is_module ? &t->module_plugin : &t->data_plugin;
    return p->desc ? p->desc->name : "?";
}

void ltr_trainer_hook_begin(ltr_trainer *t, bool is_module, const char *hook) {
    t->ctx.plugin_name = ltr_trainer_plugin_name(t, is_module);
    t->ctx.hook_name = hook;
    /* for a crash report (fault.h); fetch's get_item runs before batch_idx moves on */
    ltr_fault_push(is_module ? LTR_FAULT_MODULE : LTR_FAULT_DATA, ltr_trainer_plugin_name(t, is_module),
                   (is_module ? &t->module_plugin : &t->data_plugin)->path, hook,
                   t->ctx.pub.current_epoch, strcmp(hook, "get_item") && strcmp(hook, "iter_next") ? t->ctx.pub.batch_idx : -1);
    if (t->tools.profiler) /* Lightning's "[LightningModule]Name.hook" actions */
        ltr_profiler_start(t->tools.profiler, is_module ? "[LightningModule]" : "[LightningDataModule]",
                           hook);
}

lt_status ltr_trainer_hook_done(ltr_trainer *t, bool is_module, const char *hook, lt_status rc) {
    char msg[1024] = "";
    bool had = ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    t->ctx.hook_name = NULL;
    ltr_fault_pop(hook);
    if (t->tools.profiler)
        ltr_profiler_stop(t->tools.profiler, is_module ? "[LightningModule]" : "[LightningDataModule]",
                          hook);
    if (rc == LT_OK && !had) return LT_OK;
    const ltr_plugin *p = is_module ? &t->module_plugin : &t->data_plugin;
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s '%s' (%s), hook %s: %s",
                      is_module ? "module" : "data module", ltr_trainer_plugin_name(t, is_module), p->path, hook,
                      msg[0] ? msg : "the hook returned an error without a message (call lt_fail)");
    return LT_ERROR;
}

int64_t ltr_limit_batches(ltr_trainer *t, const char *flag, ltr_limit limit, int64_t len) {
    if (len == LTR_LEN_UNKNOWN) { /* ABI 1.9: _parse_num_batches with length float('inf') */
        if (!limit.is_fraction) return limit.count;
        if (limit.fraction == 1.0) return LTR_INF_BATCHES;
        if (limit.fraction == 0.0) return 0; /* the loop is skipped before Lightning parses it */
        /* "limit_train_batches" -> "train": RunningStage.dataloader_prefix */
        char prefix[16] = "";
        const char *p = strncmp(flag, "limit_", 6) ? flag : flag + 6;
        size_t k = strcspn(p, "_");
        snprintf(prefix, sizeof prefix, "%.*s", (int)k, p);
        ltr_trainer_error(t, LTR_EXIT_USAGE,
                          "When using an `IterableDataset`, `Trainer(limit_%s_batches)` must be "
                          "`1.0` or an int. An int specifies `num_%s_batches` to use. "
                          "(--trainer.%s %g: the %s dataset of data module '%s' has no length)",
                          prefix, prefix, flag, limit.fraction, prefix,
                          ltr_trainer_plugin_name(t, false));
        return -1;
    }
    if (!limit.is_fraction) return limit.count < len ? limit.count : len;
    int64_t n = (int64_t)((double)len * limit.fraction);
    if (n == 0 && limit.fraction > 0.0 && len > 0) {
        ltr_trainer_error(t, LTR_EXIT_USAGE,
                          "--trainer.%s %g gives 0 of %lld batches: use a larger fraction or an "
                          "integer batch count", flag, limit.fraction, (long long)len);
        return -1;
    }
    return n;
}

/* The log sink: lt_log calls land in the active loop's results. */
static void log_sink(void *self, lt_ctx *c, const char *name, double value, double batch_size,
                     unsigned flags) {
    ltr_trainer *t = self;
    char err[512];
    /* LightningModule.log under Trainer(barebones=True): warned (once, as Python's
     * warnings show a call site once), then nothing */
    if (t->opts->trainer.barebones) {
        if (!t->barebones_log_warned)
            fprintf(stderr, "UserWarning: You are trying to `self.log()` but `Trainer(barebones=True)` "
                            "is configured. Logging can impact raw speed so it is disabled under "
                            "this setting.\n");
        t->barebones_log_warned = true;
        return;
    }
    if (!t->metrics.active) {
        ltr_fail(c, "lt_log('%s'): logging is not allowed in %s", name ? name : "",
                 t->ctx.hook_name ? t->ctx.hook_name : "this hook");
        return;
    }
    /* sync_dist: the value as the ranks' reduction of it (Lightning's sync with the
     * metric's reduce_fx, mean by default) */
    if (flags & LTR_LOG_SYNC_DIST) {
        if (t->strategy->world_size == 1) {
            /* one process: every reduction is the value itself */
        } else if (!(flags & (LT_REDUCE_SUM | LT_REDUCE_MAX | LT_REDUCE_MIN))) {
            /* mean: _ResultMetric.compute syncs the sum of value * batch_size and the
             * batch sizes (both summed), so the epoch value is the mean over every rank's
             * samples; recorded as that mean with the summed batch size */
            double pair[2] = {value * batch_size, batch_size};
            if (t->strategy->ops->reduce(t->strategy, c, pair, 2, LTR_REDUCE_SUM) != LT_OK) return;
            value = pair[1] > 0 ? pair[0] / pair[1] : value;
            batch_size = pair[1];
        } else {
            ltr_collective_op op = flags & LT_REDUCE_SUM ? LTR_REDUCE_SUM
                               : flags & LT_REDUCE_MAX ? LTR_REDUCE_MAX
                                                       : LTR_REDUCE_MIN;
            if (t->strategy->ops->reduce(t->strategy, c, &value, 1, op) != LT_OK) return;
        }
        flags &= ~LTR_LOG_SYNC_DIST;
    }
    if (ltr_results_log(t->metrics.active, t->ctx.hook_name, name, value, batch_size, flags, err,
                        sizeof err) != LT_OK) {
        ltr_fail(c, "%s", err);
        return;
    }
    /* lt_log_metric: the epoch value comes from the metric object, which the results
     * reset at the end of the epoch (Lightning's self.log of a torchmetrics Metric) */
    if (ltr_ctx_of(c)->log_metric)
        ltr_results_attach_metric(t->metrics.active, t->ctx.hook_name, name,
                                  ltr_ctx_of(c)->log_metric, flags);
}

static lt_status load_plugins(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    char path[4096], err[1024];
    if (!o->module_spec || !o->data_spec) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "%s needs --module M and --data D (see ltrun --help)",
                          ltr_command_name(o->command));
        return LT_ERROR;
    }
    if (ltr_plugin_resolve(o->module_spec, LT_KIND_MODULE, path, sizeof path, err, sizeof err) ||
        ltr_plugin_load(path, LT_KIND_MODULE, &t->module_plugin, err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_PLUGIN, "--module: %s", err);
        return LT_ERROR;
    }
    if (ltr_plugin_resolve(o->data_spec, LT_KIND_DATAMODULE, path, sizeof path, err, sizeof err) ||
        ltr_plugin_load(path, LT_KIND_DATAMODULE, &t->data_plugin, err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_PLUGIN, "--data: %s", err);
        return LT_ERROR;
    }
    t->mvt = t->module_plugin.desc->vtable;
    t->dvt = t->data_plugin.desc->vtable;
    return LT_OK;
}

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)
#define DM_HOOK(t, m) LTR_HOOK((t)->dvt, lt_datamodule_vtable, m)

/* Run the create hook of one plugin and check that it read every given hparam. */
static lt_status create_instance(ltr_trainer *t, bool is_module) {
    void *(*create)(lt_ctx *, const lt_hparams *) =
        is_module ? MOD_HOOK(t, create) : DM_HOOK(t, create);
    lt_hparams *hp = is_module ? &t->model_hp : &t->data_hp;
    void *self = NULL;
    ltr_trainer_hook_begin(t, is_module, "create");
    if (is_module) t->ctx.params = &t->params; /* lt_param is allowed only here */
    if (create) self = create(&t->ctx.pub, hp);
    t->ctx.params = NULL;
    lt_status rc = create && !self ? LT_ERROR : LT_OK;
    if (ltr_trainer_hook_done(t, is_module, "create", rc)) return LT_ERROR;
    if (is_module) {
        t->module = self;
        t->module_created = true;
    } else {
        t->dm = self;
        t->dm_created = true;
    }
    char err[1024];
    /* the host's DataLoader options given as --data.* (any data module) */
    if (!is_module && ltr_loader_overrides_read(&t->ctx.pub, hp, &t->loader_over)) {
        ltr_ctx_take_error(&t->ctx, err, sizeof err);
        ltr_trainer_error(t, LTR_EXIT_USAGE, "%s", err);
        return LT_ERROR;
    }
    if (ltr_hparams_check_unread(hp, ltr_trainer_plugin_name(t, is_module), err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "%s", err);
        return LT_ERROR;
    }
    return LT_OK;
}

static lt_status call_stage_hook(ltr_trainer *t, bool is_module, const char *name,
                                 lt_status (*fn)(lt_ctx *, void *, lt_stage), lt_stage stage) {
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, is_module, name);
    return ltr_trainer_hook_done(t, is_module, name, fn(&t->ctx.pub, is_module ? t->module : t->dm,
                                                        stage));
}

static lt_status configure_optimizers(ltr_trainer *t) {
    lt_optimizer *(*fn)(lt_ctx *, void *) = MOD_HOOK(t, configure_optimizers);
    if (!fn) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "module '%s' (%s) has no configure_optimizers hook: fit needs one "
                          "(return lt_adam(ctx, &LT_ADAM_DEFAULTS) for example)",
                          ltr_trainer_plugin_name(t, true), t->module_plugin.path);
        return LT_ERROR;
    }
    ltr_trainer_hook_begin(t, true, "configure_optimizers");
    t->ctx.params = &t->params; /* the optimizer is built over the module's parameters */
    t->optim_setup.configuring = true; /* lt_add_optimizer / lt_add_lr_scheduler allowed */
    t->optim_setup.manual = t->manual.enabled;
    lt_optimizer *returned = fn(&t->ctx.pub, t->module);
    t->ctx.params = NULL;
    /* Lightning's forms: the returned optimizer, those added, the scheduler configs;
     * automatic optimization allows one optimizer, manual optimization several */
    lt_status rc = t->ctx.failed ? LT_ERROR
                   : ltr_optim_setup_finish(&t->optim_setup, &t->ctx.pub, returned,
                                            !t->manual.enabled);
    t->optim_setup.configuring = false;
    if (ltr_trainer_hook_done(t, true, "configure_optimizers", rc)) return LT_ERROR;
    /* NULL: configure_optimizers returned "None" (Lightning's _MockOptimizer) */
    t->optim = t->optim_setup.noptimizers ? t->optim_setup.optimizers[0] : NULL;
    return LT_OK;
}

/* End of a stage: teardown hooks (Lightning: DM, then callbacks, then LM) and the
 * stage's loaders. */
static void teardown_stage(ltr_trainer *t, lt_stage stage, bool set_up) {
    if (set_up) {
        call_stage_hook(t, false, "teardown", DM_HOOK(t, teardown), stage);
        ltr_callbacks_call(t, LTR_H_TEARDOWN, &(ltr_hook_args){.stage = stage}, LTR_CB_ALL);
        call_stage_hook(t, true, "teardown", MOD_HOOK(t, teardown), stage);
    }
    for (int s = 0; s < 4; s++) ltr_trainer_free_loaders(t, (lt_split)s);
}

/* End of the run: the optimizer, then the plugins' destroy hooks. */
static void destroy_instances(ltr_trainer *t) {
    ltr_ckpt_close(t->ckpt.pending); /* a fit that failed before restoring it */
    t->ckpt.pending = NULL;
    ltr_optim_setup_free(&t->optim_setup); /* every optimizer and scheduler of the run */
    t->optim = NULL;
    if (t->module_created && MOD_HOOK(t, destroy)) {
        ltr_trainer_hook_begin(t, true, "destroy");
        MOD_HOOK(t, destroy)(&t->ctx.pub, t->module);
        ltr_ctx_take_error(&t->ctx, NULL, 0);
        ltr_fault_pop("destroy");
    }
    if (t->dm_created && DM_HOOK(t, destroy)) {
        ltr_trainer_hook_begin(t, false, "destroy");
        DM_HOOK(t, destroy)(&t->ctx.pub, t->dm);
        ltr_ctx_take_error(&t->ctx, NULL, 0);
        ltr_fault_pop("destroy");
    }
}

/* The evaluation entry points (trainer.validate / trainer.test) after setup. */
static lt_status run_evaluation(ltr_trainer *t, lt_split split) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (ltr_trainer_build_loader(t, split)) return LT_ERROR;
    if (!t->has_loader[split]) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "data module '%s' provides no %s dataset",
                          ltr_trainer_plugin_name(t, false), ltr_split_name(split));
        return LT_ERROR;
    }
    bool val = split == LT_SPLIT_VAL;
    int64_t max_batches[LT_MAX_DATALOADERS];
    int64_t n = ltr_eval_max_batches(t, split, val ? "limit_val_batches" : "limit_test_batches",
                                     val ? cfg->limit_val_batches : cfg->limit_test_batches,
                                     max_batches);
    return n < 0 ? LT_ERROR : ltr_eval_loop(t, split, max_batches, false);
}

static lt_status run_fit(ltr_trainer *t) {
    if (ltr_trainer_build_loader(t, LT_SPLIT_TRAIN) || ltr_trainer_build_loader(t, LT_SPLIT_VAL)) return LT_ERROR;
    if (!t->has_loader[LT_SPLIT_TRAIN]) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "data module '%s' provides no train dataset: fit needs one", ltr_trainer_plugin_name(t, false));
        return LT_ERROR;
    }
    /* Lightning's ModelSummary callback, off with enable_model_summary=false */
    if (t->opts->trainer.enable_model_summary && !ltr_callbacks_have(t, LT_CALLBACK_MODEL_SUMMARY))
        ltr_model_summary(t, stderr); /* a ModelSummary callback replaces it */
    /* num_training_batches is known before configure_optimizers, which may ask for
     * trainer.estimated_stepping_batches */
    if (ltr_fit_setup_data(t) || configure_optimizers(t)) return LT_ERROR;
    /* --ckpt-path's optimizer, scheduler, loop and RNG state (Lightning restores
     * them after strategy.setup / configure_optimizers) */
    if (ltr_checkpoint_restore_training(t)) return LT_ERROR;
    lt_status rc = ltr_fit_loop(t);
    /* the "last" checkpoint, also after a SIGINT/SIGTERM stopped the fit */
    if (rc == LT_OK) rc = ltr_checkpoint_save_last(t);
    return rc;
}

/* strategy.setup: once the module's create and configure_model made the parameters */
static lt_status strategy_setup(ltr_trainer *t) {
    t->strategy_set_up = true; /* its teardown runs at the end of the run either way */
    if (t->strategy->ops->setup(t->strategy, &t->ctx.pub) == LT_OK) return LT_OK;
    char err[1024] = "";
    ltr_ctx_take_error(&t->ctx, err, sizeof err);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "strategy '%s', setup: %s", t->strategy->ops->name,
                      err[0] ? err : "failed without a message");
    return LT_ERROR;
}

/* ABI 1.9: module hooks — _call_configure_model: the module's configure_model, in every
 * stage, inside the strategy's tensor_init / model_sharded and the precision's
 * module_init contexts: parameters may be created here as in create (lt_param follows
 * the precision's dtype and goes to the run's device). */
static lt_status configure_model(ltr_trainer *t) {
    lt_status (*fn)(lt_ctx *, void *) = MOD_HOOK(t, configure_model);
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, true, "configure_model");
    t->ctx.params = &t->params;
    lt_status rc = fn(&t->ctx.pub, t->module);
    t->ctx.params = NULL;
    return ltr_trainer_hook_done(t, true, "configure_model", rc);
}

/* One Lightning entry point (trainer.fit / validate / test): prepare_data, setup
 * (DM then LM), the loop, teardown. Loaders live for the stage. */
static lt_status run_stage(ltr_trainer *t, lt_stage stage) {
    t->ctx.pub.stage = stage;
    /* Trainer._run: "no progress bar in barebones can make it look like the Trainer hung" */
    if (t->opts->trainer.barebones && ltr_trainer_is_global_zero(t))
        fprintf(stderr, "`Trainer(barebones=True)` started running. The progress bar is disabled "
                        "so you might want to manually print the progress in your model.\n");
    /* _verify_loop_configurations (manual optimization's rules) comes first */
    if (stage == LT_STAGE_FIT && ltr_verify_manual_optimization(t)) return LT_ERROR;
    /* ABI 1.5: _attach_model_callbacks (LightningModule.configure_callbacks) */
    if (ltr_attach_model_callbacks(t)) return LT_ERROR;
    /* _data_connector.prepare_data: the data module's, then the module's (ABI 1.9) */
    if (ltr_prepare_data(t)) return LT_ERROR;
    /* setup: data module, callbacks, module (trainer/call.py), between two barriers */
    if (ltr_trainer_barrier(t, "pre_setup")) return LT_ERROR;
    bool set_up = call_stage_hook(t, false, "setup", DM_HOOK(t, setup), stage) == LT_OK &&
                  ltr_callbacks_call(t, LTR_H_SETUP, &(ltr_hook_args){.stage = stage},
                                     LTR_CB_ALL) == LT_OK &&
                  call_stage_hook(t, true, "setup", MOD_HOOK(t, setup), stage) == LT_OK;
    lt_status rc = LT_ERROR;
    /* Lightning's _run after the setup hooks: _call_configure_model, then --ckpt-path's
     * weights (_restore_modules_and_callbacks), then strategy.setup (here once a run),
     * before the loop */
    if (set_up && ltr_trainer_barrier(t, "post_setup") == LT_OK && configure_model(t) == LT_OK &&
        ltr_checkpoint_restore(t, t->opts->ckpt_path, stage) == LT_OK &&
        (t->strategy_set_up || strategy_setup(t) == LT_OK) &&
        ltr_loggers_log_hyperparams(t) == LT_OK) { /* _log_hyperparams */
        if (stage == LT_STAGE_FIT) rc = run_fit(t);
        else if (stage == LT_STAGE_PREDICT) rc = ltr_predict_stage(t);
        else rc = run_evaluation(t, stage == LT_STAGE_VALIDATE ? LT_SPLIT_VAL : LT_SPLIT_TEST);
    }
    /* An error ended the stage: Lightning's _interrupt (trainer/call.py) calls
     * Callback.on_exception and DataModule.on_exception, then logger.finalize("failed"),
     * and never the teardown hooks, which run only after a stage that completed
     * (OnExceptionCheckpoint relies on it: its teardown removes the file). */
    bool failed = t->exit_code != 0;
    if (failed) {
        ltr_callbacks_on_exception(t, t->error_msg);
        t->strategy->ops->on_exception(t->strategy, &t->ctx.pub, t->error_msg);
        t->exception_handled = true;
    }
    teardown_stage(t, stage, set_up && !failed);
    /* logger.finalize (_call_teardown_hook: "success"; call._interrupt: "failed") */
    ltr_loggers_finalize(t, t->exit_code || rc ? "failed"
                               : ltr_trainer_interrupted(t) ? "interrupted" : "success");
    return t->exit_code ? LT_ERROR : rc;
}

static void run_command(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    lt_stage stage = o->command == LTR_CMD_FIT ? LT_STAGE_FIT
                     : o->command == LTR_CMD_VALIDATE ? LT_STAGE_VALIDATE
                     : o->command == LTR_CMD_PREDICT ? LT_STAGE_PREDICT
                                                     : LT_STAGE_TEST;
    /* __init__ of the module, then of the data module, as a LightningCLI builds them */
    if (create_instance(t, true) == LT_OK && create_instance(t, false) == LT_OK &&
        ltr_checkpoint_open_early(t) == LT_OK && /* before callbacks and loggers (checkpoint_path.c) */
        ltr_callbacks_load(t) == LT_OK && ltr_loggers_load(t) == LT_OK &&
        run_stage(t, stage) == LT_OK &&
        stage == LT_STAGE_FIT && o->run_test && !ltr_trainer_interrupted(t))
        run_stage(t, LT_STAGE_TEST); /* fit --test = trainer.fit() then trainer.test() */
    /* an error outside a stage's body (creating plugins, a teardown hook) ended the
     * run: Callback.on_exception, DataModule.on_exception */
    if (t->exit_code && !t->exception_handled) {
        if (t->exit_code == LTR_EXIT_TRAINING) ltr_callbacks_on_exception(t, t->error_msg);
        /* any failure, usage errors of one rank included: the others must not wait */
        t->strategy->ops->on_exception(t->strategy, &t->ctx.pub, t->error_msg);
        t->exception_handled = true;
    }
    t->strategy->ops->teardown(t->strategy, &t->ctx.pub);
    ltr_callbacks_free(t);
    ltr_loggers_free(t);
    destroy_instances(t);
}

bool ltr_trainer_is_global_zero(const ltr_trainer *t) {
    return ltr_strategy_is_global_zero(t->strategy);
}

lt_status ltr_trainer_barrier(ltr_trainer *t, const char *name) {
    if (t->strategy->ops->barrier(t->strategy, &t->ctx.pub, name) == LT_OK) return LT_OK;
    char msg[1024] = "";
    ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "strategy '%s', barrier %s: %s",
                      t->strategy->ops->name, name, msg[0] ? msg : "failed without a message");
    return LT_ERROR;
}

lt_status ltr_step_context_enter(ltr_trainer *t, const char *hook) {
    if (ltr_precision_forward_enter(t->strategy->precision, &t->ctx.pub, hook) == LT_OK)
        return LT_OK;
    char msg[1024] = "";
    ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "precision '%s', forward_context of %s: %s",
                      t->strategy->precision->ops->name, hook,
                      msg[0] ? msg : "failed without a message");
    return LT_ERROR;
}

void ltr_step_context_exit(ltr_trainer *t, const char *hook) {
    ltr_precision_forward_exit(t->strategy->precision, &t->ctx.pub, hook);
}

/* The trainer's LightningModule.backward dispatch, as the strategy's precision calls it. */
static lt_status module_backward(void *arg, lt_ctx *ctx, lt_tensor *loss) {
    (void)ctx;
    return ltr_module_backward(arg, loss);
}

/* SyncBatchNorm's all-reduce: the run's strategy's sum over the ranks. */
static lt_status sync_bn_sum(void *arg, lt_ctx *ctx, double *values, int64_t n) {
    ltr_strategy *s = arg;
    return s->ops->reduce(s, ctx, values, n, LTR_REDUCE_SUM);
}

/* The run's strategy, first of all (Lightning's strategy.setup_environment): it fixes
 * rank/world_size and the thread counts before the signal thread, any loader and any
 * compute thread exist; then the precision's dtype, which lt_param follows from the
 * module's create on (DoublePrecision.module_init_context). */
static lt_status strategy_start(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    /* --print-config's create hooks need no strategy plugin (nor its processes) */
    ltr_strategy_options so = {.name = o->hparams_out ? "auto" : o->trainer.strategy,
                               .precision = o->trainer.precision,
                               .num_threads = o->trainer.num_threads,
                               .init_args = o->hparams_out ? NULL : o->strategy_args,
                               .devices = o->hparams_out ? 1 : o->trainer.devices,
                               .num_nodes = o->hparams_out ? 1 : o->trainer.num_nodes,
                               .argc = o->argc, .argv = o->argv};
    char err[1024] = "";
    int code = LTR_EXIT_TRAINING;
    t->strategy = ltr_strategy_create(&t->ctx.pub, &so, &code, err, sizeof err);
    if (!t->strategy) {
        ltr_trainer_error(t, code, "%s", err);
        return LT_ERROR;
    }
    t->strategy->module_backward = module_backward;
    t->strategy->module_backward_arg = t;
    if (ltr_strategy_setup_environment(t->strategy, &t->ctx.pub) ||
        ltr_precision_convert_module(t->strategy->precision, &t->ctx.pub)) {
        ltr_ctx_take_error(&t->ctx, err, sizeof err);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "strategy '%s', setup_environment: %s",
                          t->strategy->ops->name, err[0] ? err : "failed without a message");
        return LT_ERROR;
    }
    /* Lightning's sync_batchnorm: the strategy's layer_sync converts every BatchNorm to
     * SyncBatchNorm, which synchronises only over a process group of more than one rank;
     * here the layers reach the ranks through the context's hook, the strategy's sum */
    if (o->trainer.sync_batchnorm && t->strategy->world_size > 1) {
        t->ctx.bn_sync_sum = sync_bn_sum;
        t->ctx.bn_sync_arg = t->strategy;
    }
    return LT_OK;
}

/* One shell word: as is when it has only safe characters, else single-quoted. */
static void put_shell_word(FILE *f, const char *w) {
    bool plain = *w != '\0';
    for (const char *c = w; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       "_-+=./,:@%", *c) != NULL;
    if (plain) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (const char *c = w; *c; c++) {
        if (*c == '\'') fputs("'\\''", f);
        else fputc(*c, f);
    }
    fputc('\'', f);
}

/* --print-config: the plugins' create hooks as a run calls them (every given
 * hyperparameter read, each read recorded with its default), then the given callbacks'
 * (LightningCLI lists every init arg of each callback too), then their destroy hooks;
 * no strategy setup, loggers (their create makes folders), checkpoint or stage. */
static void collect_hparams(ltr_trainer *t) {
    ltr_plugin_hparams *out = t->opts->hparams_out;
    if (create_instance(t, true) == LT_OK && create_instance(t, false) == LT_OK) {
        out->model = cJSON_Duplicate(t->model_hp.used, 1);
        out->data = cJSON_Duplicate(t->data_hp.used, 1);
        out->callbacks = cJSON_CreateArray();
        for (int i = 0; i < t->opts->ncallbacks && out->callbacks; i++) {
            const ltr_callback_spec *c = &t->opts->callbacks[i];
            if (ltr_callback_add(t, c->path, c->init_args, "--callback")) break;
            cJSON_AddItemToArray(out->callbacks, cJSON_Duplicate(t->cbs.items[t->cbs.n - 1].hp->used, 1));
        }
    }
    t->strategy->ops->teardown(t->strategy, &t->ctx.pub);
    ltr_callbacks_free(t);
    destroy_instances(t);
}

/* After SIGINT/SIGTERM stopped fit: the exact command that resumes it, the command line
 * as given with --ckpt-path naming the last checkpoint just written (any --ckpt-path
 * given is replaced). Nothing when no last checkpoint exists. */
static void print_resume_command(const ltr_trainer *t) {
    const ltr_options *o = t->opts;
    char last[4096], abs_path[4096];
    if (!o->argv || !ltr_checkpoint_last_path(t, last, sizeof last)) return;
    const char *path = realpath(last, abs_path) ? abs_path : last;
    fputs("ltrun: to resume: ", stderr);
    for (int i = 0; i < o->argc; i++) {
        const char *a = o->argv[i];
        if (!strcmp(a, "--ckpt-path")) {
            i++; /* and its value */
            continue;
        }
        if (!strncmp(a, "--ckpt-path=", 12)) continue;
        if (i) fputc(' ', stderr);
        put_shell_word(stderr, a);
    }
    fputs(" --ckpt-path ", stderr);
    put_shell_word(stderr, path);
    fputc('\n', stderr);
}

int ltr_trainer_run(const ltr_options *o) {
    ltr_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        fputs("ltrun: error: out of memory\n", stderr);
        return LTR_EXIT_TRAINING;
    }
    t->opts = o;
    ltr_trainer_serve_host_api(); /* the host table's trainer members (host_services.c) */
    ltr_ctx_init(&t->ctx, ltr_host_api());
    if (strategy_start(t)) {
        int code = t->exit_code;
        ltr_strategy_destroy(t->strategy, &t->ctx.pub);
        free(t);
        return code;
    }
    ltr_signals_install(); /* then: compute threads inherit the blocked mask (signal_connector.c) */
    t->stage_results = cJSON_CreateObject();
    t->ctx.pub.training = true; /* an nn.Module starts in training mode (model.training) */
    t->module_prepare_data_per_node = t->dm_prepare_data_per_node = true; /* DataHooks.__init__ */
    t->ctx.optim = &t->optim_setup;
    t->arena = ltr_arena_create((size_t)4 << 20);
    t->tape = ltr_tape_create();
    ltr_param_store_init(&t->params);
    t->ctx.arena = t->arena;
    t->ctx.tape = t->tape;
    t->ctx.rng = &t->rng;
    t->ctx.log_sink = log_sink;
    t->ctx.log_sink_self = t;
    t->ctx.trainer = t; /* the trainer-control host calls (hooks.h) */
    t->ctx.refresh_metrics = ltr_trainer_refresh_metrics;
    /* _parse_loop_limits warns when max_epochs None becomes 1000 */
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o->tree, "trainer");
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(tr, "max_epochs");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(tr, "max_steps");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(tr, "max_time");
    bool probe = o->hparams_out != NULL; /* --print-config: create hooks only */
    if (!probe && (!me || cJSON_IsNull(me)) && (!ms || (cJSON_IsNumber(ms) && ms->valuedouble == -1)) &&
        (!mt || cJSON_IsNull(mt)))
        fprintf(stderr, "PossibleUserWarning: `max_epochs` was not set. Setting it to 1000 "
                        "epochs. To train without an epoch limit, set `max_epochs=-1`.\n");
    if (!probe && o->trainer.fast_dev_run > 0)
        fprintf(stderr, "Running in `fast_dev_run` mode: will run the requested loop using %lld "
                        "batch(es). Logging and checkpointing is suppressed.\n",
                (long long)o->trainer.fast_dev_run);
    ltr_hparams_init(&t->model_hp, o->model_hparams, "--model.");
    ltr_hparams_init(&t->data_hp, o->data_hparams, "--data.");
    ltr_hparams_set_origin(&t->model_hp, o->origins, "model"); /* errors name the config line */
    ltr_hparams_set_origin(&t->data_hp, o->origins, "data");
    /* the progress bar is rank zero's (TQDMProgressBar.is_disabled off global rank 0) */
    ltr_progress_init(&t->progress, stderr,
                      o->trainer.enable_progress_bar && ltr_trainer_is_global_zero(t));

    /* seed_everything as LightningCLI calls it (seed.c) */
    uint64_t seed = probe ? 0 : ltr_seed_everything(o, stderr); /* LightningCLI prints before seeding */
    /* Trainer.__init__'s barebones notice (rank_zero_info), before its accelerator
     * connector's precision messages */
    if (!probe && o->trainer.barebones && ltr_trainer_is_global_zero(t))
        fprintf(stderr, "You are running in `Trainer(barebones=True)` mode. All features that may "
                        "impact raw speed have been disabled to facilitate analyzing the Trainer "
                        "overhead. Specifically, the following features are deactivated:\n"
                        " - Checkpointing: `Trainer(enable_checkpointing=True)`\n"
                        " - Progress bar: `Trainer(enable_progress_bar=True)`\n"
                        " - Model summary: `Trainer(enable_model_summary=True)`\n"
                        " - Logging: `Trainer(logger=True)`, `Trainer(log_every_n_steps>0)`, "
                        "`LightningModule.log(...)`, `LightningModule.log_dict(...)`\n"
                        " - Sanity checking: `Trainer(num_sanity_val_steps>0)`\n"
                        " - Development run: `Trainer(fast_dev_run=True)`\n"
                        " - Anomaly detection: `Trainer(detect_anomaly=True)`\n"
                        " - Profiling: `Trainer(profiler=...)`\n");
    /* then the Trainer's init speaks (LightningCLI seeds before it instantiates the
     * Trainer): its connector's precision messages, on rank zero; --print-config makes
     * no Trainer */
    if (!probe && ltr_trainer_is_global_zero(t))
        ltr_precision_announce(o->trainer.precision, o->trainer.precision_alias, stderr);
    t->ctx.seed = seed;
    ltr_rng_seed(&t->rng, seed);


    /* metric dicts for lt_callback_metric & co.; profiler; detect_anomaly;
     * deterministic (true or "warn": torch.use_deterministic_algorithms, so the kernels
     * take their thread-count-independent paths) and benchmark (no CPU counterpart),
     * with Lightning's warning for both */
    t->ctx.metric_dicts[LT_CALLBACK_METRICS] = &t->metrics.callback;
    t->ctx.metric_dicts[LT_LOGGED_METRICS] = &t->metrics.logged;
    t->ctx.metric_dicts[LT_PROGRESS_BAR_METRICS] = &t->metrics.pbar;
    ltr_use_deterministic_algorithms(o->trainer.deterministic != 0);
    if (o->trainer.deterministic == 1 && o->trainer.benchmark)
        fprintf(stderr, "You passed `deterministic=True` and `benchmark=True`. Note that PyTorch "
                        "ignores torch.backends.cudnn.deterministic=True when "
                        "torch.backends.cudnn.benchmark=True.\n");
    if (o->trainer.profiler && !probe) t->tools.profiler = ltr_profiler_create((int)o->trainer.profiler);
    if (o->trainer.detect_anomaly) t->tools.anomaly = ltr_anomaly_create();

    /* a refused --ckpt-path stops the run before any create hook, logger folder or
     * hparams taken from it (checkpoint_path.c) */
    if (probe) {
        if (load_plugins(t) == LT_OK) collect_hparams(t);
    } else if (load_plugins(t) == LT_OK && ltr_checkpoint_precheck(t) == LT_OK) {
        /* load_from_checkpoint — the hparams saved in --ckpt-path by the same
         * plugin, the given ones on top (ckpt_hparams.c) */
        t->ckpt.model_hp = ltr_ckpt_merged_hparams(t, "module", o->model_hparams);
        t->ckpt.data_hp = ltr_ckpt_merged_hparams(t, "data", o->data_hparams);
        if (t->ckpt.model_hp) {
            ltr_hparams_free(&t->model_hp);
            ltr_hparams_init(&t->model_hp, t->ckpt.model_hp, "--model.");
            ltr_hparams_set_origin(&t->model_hp, o->origins, "model");
        }
        if (t->ckpt.data_hp) {
            ltr_hparams_free(&t->data_hp);
            ltr_hparams_init(&t->data_hp, t->ckpt.data_hp, "--data.");
            ltr_hparams_set_origin(&t->data_hp, o->origins, "data");
        }
        run_command(t);
    }

    if (t->tools.profiler) {
        ltr_profiler_report(t->tools.profiler, stdout, ltr_command_name(o->command));
        ltr_profiler_destroy(t->tools.profiler);
    }
    if (t->tools.anomaly) ltr_anomaly_destroy(t->tools.anomaly);

    if (!t->exit_code && ltr_trainer_interrupted(t)) {
        if (ltr_interrupted)
            fprintf(stderr, "ltrun: interrupted by signal %d: stopped after the current step\n",
                    (int)ltr_interrupted);
        else /* another rank's signal, through the strategy's reduce_bool */
            fprintf(stderr, "ltrun: interrupted on another rank: stopped after the current step\n");
        t->exit_code = LTR_EXIT_INTERRUPTED;
        if (o->command == LTR_CMD_FIT && ltr_trainer_is_global_zero(t)) print_resume_command(t);
    }
    if (!probe && o->results_path && (!t->exit_code || t->exit_code == LTR_EXIT_INTERRUPTED) &&
        ltr_trainer_is_global_zero(t))
        ltr_report_write_json(t, o->results_path);

    if (o->report) /* ltrun tune's trials (tuner/); train_samples: data_connector.c */
        snprintf(o->report->error, sizeof o->report->error, "%s", t->exit_code ? t->error_msg : "");
    int code = t->exit_code;
    ltr_results_free(&t->metrics.train);
    ltr_results_free(&t->metrics.eval);
    ltr_dict_free(&t->metrics.logged);
    ltr_dict_free(&t->metrics.pbar);
    ltr_dict_free(&t->metrics.callback);
    ltr_hparams_free(&t->model_hp);
    ltr_hparams_free(&t->data_hp);
    cJSON_Delete(t->ckpt.model_hp);
    cJSON_Delete(t->ckpt.data_hp);
    ltr_param_store_free(&t->params);
    free(t->manual.requires_grad_state); /* toggle_optimizer's saved flags */
    ltr_ctx_free_allocs(&t->ctx);
    ltr_tape_destroy(t->tape);
    ltr_arena_destroy(t->arena);
    ltr_plugin_unload(&t->module_plugin);
    ltr_plugin_unload(&t->data_plugin);
    cJSON_Delete(t->stage_results);
    ltr_strategy_destroy(t->strategy, &t->ctx.pub);
    free(t);
    return code;
}
