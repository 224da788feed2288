/*
 * fit.c — the fit loop (training_epoch.c runs each epoch, evaluation.c the validation
 * and test loops) and the batch fetch every loop uses, in Lightning's order (reference/lightning.md §1.1-§1.4; Lightning's loops/fit_loop.py,
 * loops/training_epoch_loop.py, loops/evaluation_loop.py, trainer/trainer.py::_run,
 * _run_stage and _run_sanity_check). Every hook goes through hooks.h, so callbacks
 * run before the module's hook of the same name. tests/hooks_expected.txt is the
 * sequence this file produces, block by block with the Lightning code it follows.
 *
 *   CB/LM on_fit_start, LM.zero_grad, [CB on_sanity_check_start, val loop,
 *   CB on_sanity_check_end], CB/LM on_train_start,
 *   per epoch { CB/LM on_train_epoch_start,
 *               per batch { transfer hooks, CB/LM on_train_batch_start (LT_SKIP_EPOCH
 *                           ends the epoch), automatic optimization (automatic.c),
 *                           CB/LM on_train_batch_end, [LM on_validation_model_zero_grad,
 *                           val loop] every val_check_batch batches },
 *               CB on_train_epoch_end (non-monitoring), LM, CB (monitoring) },
 *   CB/LM on_train_end, CB/LM on_fit_end.
 */
#include "trainer/loops/loops.h"
#include "strategy/strategy.h"
#include "accelerators/registry.h"

#include "optim/optimizer.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "trainer/lr_stepping.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double ltr_loop_monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A module-only hook without arguments (on_validation_model_eval, ...). */
lt_status ltr_loop_call_plain(ltr_trainer *t, const char *name, plain_hook_fn fn) {
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, true, name);
    return ltr_trainer_hook_done(t, true, name, fn(&t->ctx.pub, t->module));
}

/* Memory of a step dies with the step: intermediates, their grads and the tape. */
void ltr_loop_end_step_memory(ltr_trainer *t) {
    ltr_tape_reset(t->tape);
    ltr_arena_reset(t->arena);
}

typedef lt_status (*transfer_fn)(lt_ctx *, void *, lt_batch *, int64_t);

/* A batch transfer hook: the data module's if it gives one, else the module's
 * (Lightning's _DataHookSelector: the data module wins). */
static lt_status call_transfer(ltr_trainer *t, const char *name, transfer_fn dm, transfer_fn lm,
                               lt_batch *batch) {
    if (dm) {
        ltr_trainer_hook_begin(t, false, name);
        return ltr_trainer_hook_done(t, false, name, dm(&t->ctx.pub, t->dm, batch, t->ctx.pub.dataloader_idx));
    }
    if (lm) {
        ltr_trainer_hook_begin(t, true, name);
        return ltr_trainer_hook_done(t, true, name, lm(&t->ctx.pub, t->module, batch, t->ctx.pub.dataloader_idx));
    }
    return LT_OK;
}

/* strategy.batch_to_device (Lightning's _BatchTransfer between the two hooks) */
static lt_status batch_to_device(ltr_trainer *t, lt_batch *batch) {
    if (t->strategy->ops->batch_to_device(t->strategy, &t->ctx.pub, batch) == LT_OK) return LT_OK;
    char msg[1024] = "";
    ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "strategy '%s', batch_to_device: %s",
                      t->strategy->ops->name, msg[0] ? msg : "failed without a message");
    return LT_ERROR;
}

typedef lt_status (*device_transfer_fn)(lt_ctx *, void *, lt_batch *, const char *, int64_t);

/* The name of the strategy's root device ("cpu"), what transfer_batch_to_device gets. */
static const char *root_device_name(const ltr_trainer *t) {
    const ltr_backend *b = ltr_backend_at(t->strategy->device);
    return b ? b->name : "cpu";
}

/* ABI 1.9: module hooks — transfer_batch_to_device(batch, device, dataloader_idx): the
 * data module's if it gives one, else the module's (_DataHookSelector), else the default
 * move_data_to_device: the strategy's batch_to_device. */
static lt_status transfer_batch(ltr_trainer *t, device_transfer_fn dm, device_transfer_fn lm,
                                lt_batch *batch) {
    const char *name = "transfer_batch_to_device";
    int64_t idx = t->ctx.pub.dataloader_idx;
    if (dm) {
        ltr_trainer_hook_begin(t, false, name);
        return ltr_trainer_hook_done(t, false, name, dm(&t->ctx.pub, t->dm, batch, root_device_name(t), idx));
    }
    if (lm) {
        ltr_trainer_hook_begin(t, true, name);
        return ltr_trainer_hook_done(t, true, name, lm(&t->ctx.pub, t->module, batch, root_device_name(t), idx));
    }
    return batch_to_device(t, batch);
}

/* lt_move_data_to_device: transfer_batch_to_device's default, for an override's super() */
lt_status ltr_api_move_data_to_device(lt_ctx *c, lt_batch *batch, const char *device) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t) return ltr_fail(c, "lt_move_data_to_device: no trainer is running here");
    if (!batch) return ltr_fail(c, "lt_move_data_to_device: no batch (NULL)");
    if (device && strcmp(device, root_device_name(t)))
        return ltr_fail(c, "lt_move_data_to_device: device '%s' is not this run's device '%s' "
                           "(batches go to the strategy's root device: pass the device "
                           "transfer_batch_to_device was given, or NULL)", device,
                        root_device_name(t));
    return t->strategy->ops->batch_to_device(t->strategy, c, batch);
}

/* next(data_fetcher), then on_before_batch_transfer, transfer_batch_to_device (default:
 * strategy.batch_to_device) and on_after_batch_transfer. With transfer hooks the batch
 * is a per-step copy that lt_batch_set may change. */
lt_status ltr_loop_fetch(ltr_trainer *t, lt_split split, int64_t b, lt_batch **batch) {
    /* ABI 1.9: the loader the running loop is on (ctx->dataloader_idx) */
    ltr_dataloader *dl = ltr_trainer_loader(t, split, (int)t->ctx.pub.dataloader_idx);
    const char *hook = dl->iterable ? "iter_next" : "get_item";
    ltr_trainer_hook_begin(t, false, hook);
    lt_status rc = ltr_dataloader_get(dl, b, batch);
    if (ltr_trainer_hook_done(t, false, hook, rc)) return LT_ERROR;
    if (!*batch) return LT_OK; /* ABI 1.9: an iterable dataset's stream ended */
    transfer_fn dm_before = DM_HOOK(t, on_before_batch_transfer);
    transfer_fn dm_after = DM_HOOK(t, on_after_batch_transfer);
    transfer_fn lm_before = MOD_HOOK(t, on_before_batch_transfer);
    transfer_fn lm_after = MOD_HOOK(t, on_after_batch_transfer);
    device_transfer_fn dm_move = DM_HOOK(t, transfer_batch_to_device);
    device_transfer_fn lm_move = MOD_HOOK(t, transfer_batch_to_device);
    if (!dm_before && !dm_after && !lm_before && !lm_after && !dm_move && !lm_move)
        return batch_to_device(t, *batch);
    lt_batch *copy = ltr_scratch(&t->ctx.pub, sizeof *copy);
    if (!copy) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory copying a batch");
        return LT_ERROR;
    }
    *copy = **batch;
    *batch = copy;
    if (call_transfer(t, "on_before_batch_transfer", dm_before, lm_before, copy) ||
        transfer_batch(t, dm_move, lm_move, copy))
        return LT_ERROR;
    return call_transfer(t, "on_after_batch_transfer", dm_after, lm_after, copy);
}


/* ------------------------------------------------------------------ fit */

bool ltr_loop_max_steps_reached(const ltr_trainer *t) {
    int64_t ms = t->opts->trainer.max_steps;
    return ms != -1 && t->ctx.pub.global_step >= ms;
}

bool ltr_can_stop_early(const ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    bool epochs = cfg->min_epochs <= 0 || t->loop.epochs_processed >= cfg->min_epochs;
    bool steps = cfg->min_steps <= 0 || t->ctx.pub.global_step >= cfg->min_steps;
    return epochs && steps;
}

/* _FitLoop.setup_data: num_training_batches and val_check_batch. */
lt_status ltr_fit_setup_data(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    if (L->estimated_ready) return LT_OK;
    int64_t ntrain = ltr_limit_batches(t, "limit_train_batches", cfg->limit_train_batches,
                                       ltr_dataloader_len(&t->loaders[LT_SPLIT_TRAIN]));
    int64_t nval = 0; /* the val loaders' batches, each under limit_val_batches */
    if (t->has_loader[LT_SPLIT_VAL] && MOD_HOOK(t, validation_step))
        nval = ltr_eval_max_batches(t, LT_SPLIT_VAL, "limit_val_batches", cfg->limit_val_batches,
                                    L->val_batches);
    if (ntrain < 0 || nval < 0) return LT_ERROR;
    L->num_training_batches = ntrain;
    L->num_val_batches = nval;
    L->val_check_batch = 1;
    if (ntrain > 0) {
        if (!cfg->val_check_interval.is_fraction) {
            L->val_check_batch = cfg->val_check_interval.count;
            /* never for an iterable dataset's float('inf') batches */
            if (L->val_check_batch > ntrain && !cfg->check_val_every_n_epoch_none) {
                ltr_trainer_error(t, LTR_EXIT_USAGE,
                                  "--trainer.val_check_interval (%lld) must be less than or equal "
                                  "to the number of the training batches (%lld). If you want to "
                                  "disable validation set limit_val_batches to 0.0 instead. If you "
                                  "want to validate based on the total training batches, set "
                                  "check_val_every_n_epoch=null",
                                  (long long)L->val_check_batch, (long long)ntrain);
                return LT_ERROR;
            }
            if (L->val_check_batch < 1) L->val_check_batch = 1;
        } else if (ntrain == LTR_INF_BATCHES) {
            /* ABI 1.9: an iterable train dataset without a length (and no int
             * limit_train_batches): validation at the end of its stream, or every k batches */
            if (cfg->val_check_interval.fraction != 1.0) {
                ltr_trainer_error(t, LTR_EXIT_USAGE,
                                  "When using an IterableDataset for `train_dataloader`, "
                                  "`Trainer(val_check_interval)` must be time based, `1.0` or an "
                                  "int. An int k specifies checking validation every k training "
                                  "batches. (--trainer.val_check_interval %g; the train dataset of "
                                  "data module '%s' has no length)", cfg->val_check_interval.fraction,
                                  ltr_trainer_plugin_name(t, false));
                return LT_ERROR;
            }
            L->val_check_batch = LTR_INF_BATCHES;
        } else {
            L->val_check_batch = (int64_t)((double)ntrain * cfg->val_check_interval.fraction);
            if (L->val_check_batch < 1) L->val_check_batch = 1;
        }
    }
    L->total_batch_idx = -1;
    L->estimated_ready = true;
    return LT_OK;
}

int64_t ltr_estimated_stepping_batches(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (cfg->max_epochs == -1) return cfg->max_steps; /* -1: infinite */
    if (!t->loop.estimated_ready) {
        if (!t->has_loader[LT_SPLIT_TRAIN] || ltr_fit_setup_data(t)) return -1;
    }
    /* iterable dataset: max_steps (Lightning returns it, -1 included) */
    if (t->loop.num_training_batches == LTR_INF_BATCHES) return cfg->max_steps;
    int64_t accum = cfg->accumulate_grad_batches;
    int64_t est = (t->loop.num_training_batches + accum - 1) / accum *
                  (cfg->max_epochs > 1 ? cfg->max_epochs : 1);
    if (cfg->max_steps != -1 && cfg->max_steps < est) est = cfg->max_steps;
    return est;
}

/* trainer.should_stop as every rank sees it (any rank's request stops all) */
bool ltr_loop_sync_should_stop(ltr_trainer *t) {
    t->should_stop = ltr_stop_decision(t, t->should_stop);
    return t->should_stop;
}

/* max_time: Lightning adds Timer(duration=max_time, interval="step") after the user's
 * callbacks; it sets should_stop once the training time reaches the duration. */
void ltr_loop_timer_check(ltr_trainer *t, bool training_started) {
    double limit = t->opts->trainer.max_time;
    if (limit < 0) return;
    double elapsed = training_started ? ltr_loop_monotonic_s() - t->loop.train_start : 0.0;
    if (elapsed < limit) return;
    if (!t->should_stop) {
        long s = (long)elapsed;
        fprintf(stderr, "Time limit reached. Elapsed time is %ld:%02ld:%02ld. Signaling Trainer "
                        "to stop.\n", s / 3600, s / 60 % 60, s % 60);
    }
    t->should_stop = true;
}

/* _FitLoop.done */
static bool fit_done(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (t->loop.num_training_batches == 0) return true;
    if (ltr_loop_max_steps_reached(t)) return true;
    if (cfg->max_epochs != -1 && t->loop.epochs_processed >= cfg->max_epochs) return true;
    return ltr_loop_sync_should_stop(t) && ltr_can_stop_early(t);
}

lt_status ltr_fit_loop(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    if (!MOD_HOOK(t, training_step)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s' (%s) has no training_step hook: fit "
                          "needs one", t->module_plugin.desc->name, t->module_plugin.path);
        return LT_ERROR;
    }
    if (ltr_fit_setup_data(t)) return LT_ERROR;

    /* Trainer._run: on_fit_start (callbacks, the max_time Timer, the module) */
    if (ltr_callbacks_call(t, LTR_H_ON_FIT_START, NULL, LTR_CB_ALL)) return LT_ERROR;
    ltr_loop_timer_check(t, false);
    if (ltr_module_call(t, LTR_H_ON_FIT_START, NULL)) return LT_ERROR;
    /* _run_stage: barrier, LM.zero_grad() */
    if (ltr_trainer_barrier(t, "run-stage")) return LT_ERROR;
    ltr_param_store_zero_grad(&t->params);

    /* _run_sanity_check: min(num_sanity_val_steps, val batches) batches of each val
     * loader (_EvaluationLoop.max_batches while sanity checking), nothing logged */
    int64_t sanity_batches[LT_MAX_DATALOADERS], nsanity = 0;
    for (int k = 0; L->num_val_batches > 0 && k < t->nloaders[LT_SPLIT_VAL]; k++) {
        int64_t nval = L->val_batches[k];
        sanity_batches[k] = cfg->num_sanity_val_steps == -1 ? nval
                            : cfg->num_sanity_val_steps < nval ? cfg->num_sanity_val_steps : nval;
        nsanity = ltr_batches_add(nsanity, sanity_batches[k]);
    }
    /* no sanity check when resuming (Lightning: `not val_loop.restarting`) */
    bool sanity_ran = nsanity > 0 && !L->restored;
    if (sanity_ran) {
        if (ltr_callbacks_call(t, LTR_H_ON_SANITY_CHECK_START, NULL, LTR_CB_ALL) ||
            ltr_eval_loop(t, LT_SPLIT_VAL, sanity_batches, true) ||
            ltr_callbacks_call(t, LTR_H_ON_SANITY_CHECK_END, NULL, LTR_CB_ALL))
            return LT_ERROR;
    }
    /* _FitLoop.run's setup_data: the epoch the loaders count as built in
     * (reload_dataloaders_every_n_epochs), and the start of a time-based
     * val_check_interval's first window */
    ltr_reload_fit_start(t, sanity_ran);
    L->last_val_time = ltr_loop_monotonic_s();

    /* _FitLoop.run: skipped when already done or limit_train_batches is 0 */
    lt_status rc = LT_OK;
    L->active_loop = LTR_LOOP_FIT;
    if (!fit_done(t)) {
        rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_START, NULL, LTR_CB_ALL);
        L->train_start = ltr_loop_monotonic_s();
        if (rc == LT_OK) rc = ltr_module_call(t, LTR_H_ON_TRAIN_START, NULL);
        while (rc == LT_OK && !fit_done(t) && !ltr_trainer_interrupted(t)) rc = ltr_training_epoch(t);
        if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_TRAIN_END, NULL);
    }
    L->active_loop = LTR_LOOP_NONE;
    if (rc == LT_OK) {
        ltr_report_stage(t, "fit", &t->metrics.callback, NULL, 0);
        rc = ltr_hook_call(t, LTR_H_ON_FIT_END, NULL);
    }
    return rc;
}
