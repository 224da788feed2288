/*
 * loops.c — the fit loop, the training epoch and the evaluation loop, in Lightning's
 * order (reference/lightning.md §1.1-§1.4; Lightning's loops/fit_loop.py,
 * loops/training_epoch_loop.py, loops/evaluation_loop.py, trainer/trainer.py::_run,
 * _run_stage and _run_sanity_check). Every hook goes through hooks.h, so callbacks
 * run before the module's hook of the same name. tests/hooks_expected.txt is the
 * sequence this file produces, block by block with the Lightning code it follows.
 *
 *   CB/LM on_fit_start, LM.zero_grad, [CB on_sanity_check_start, val loop,
 *   CB on_sanity_check_end], CB/LM on_train_start,
 *   per epoch { CB/LM on_train_epoch_start,
 *               per batch { transfer hooks, CB/LM on_train_batch_start (LT_SKIP_EPOCH
 *                           ends the epoch), automatic optimization (optimization.c),
 *                           CB/LM on_train_batch_end, [LM on_validation_model_zero_grad,
 *                           val loop] every val_check_batch batches },
 *               CB on_train_epoch_end (non-monitoring), LM, CB (monitoring) },
 *   CB/LM on_train_end, CB/LM on_fit_end.
 */
#include "trainer/trainer.h"
#include "strategy/strategy.h"

#include "optim/optimizer.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "trainer/lr_stepping.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)
#define DM_HOOK(t, m) LTR_HOOK((t)->dvt, lt_datamodule_vtable, m)

typedef lt_status (*plain_hook_fn)(lt_ctx *, void *);

static double monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A module-only hook without arguments (on_validation_model_eval, ...). */
static lt_status call_plain(ltr_trainer *t, const char *name, plain_hook_fn fn) {
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, true, name);
    return ltr_trainer_hook_done(t, true, name, fn(&t->ctx.pub, t->module));
}

/* Memory of a step dies with the step: intermediates, their grads and the tape. */
static void end_step_memory(ltr_trainer *t) {
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
        return ltr_trainer_hook_done(t, false, name, dm(&t->ctx.pub, t->dm, batch, 0));
    }
    if (lm) {
        ltr_trainer_hook_begin(t, true, name);
        return ltr_trainer_hook_done(t, true, name, lm(&t->ctx.pub, t->module, batch, 0));
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

/* next(data_fetcher), then on_before_batch_transfer, strategy.batch_to_device and
 * on_after_batch_transfer. With transfer hooks the batch is a per-step copy
 * that lt_batch_set may change. */
static lt_status fetch(ltr_trainer *t, lt_split split, int64_t b, lt_batch **batch) {
    ltr_trainer_hook_begin(t, false, "get_item");
    lt_status rc = ltr_dataloader_get(&t->loaders[split], b, batch);
    if (ltr_trainer_hook_done(t, false, "get_item", rc)) return LT_ERROR;
    transfer_fn dm_before = DM_HOOK(t, on_before_batch_transfer);
    transfer_fn dm_after = DM_HOOK(t, on_after_batch_transfer);
    transfer_fn lm_before = MOD_HOOK(t, on_before_batch_transfer);
    transfer_fn lm_after = MOD_HOOK(t, on_after_batch_transfer);
    if (!dm_before && !dm_after && !lm_before && !lm_after) return batch_to_device(t, *batch);
    lt_batch *copy = ltr_scratch(&t->ctx.pub, sizeof *copy);
    if (!copy) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory copying a batch");
        return LT_ERROR;
    }
    *copy = **batch;
    *batch = copy;
    if (call_transfer(t, "on_before_batch_transfer", dm_before, lm_before, copy) ||
        batch_to_device(t, copy))
        return LT_ERROR;
    return call_transfer(t, "on_after_batch_transfer", dm_after, lm_after, copy);
}

lt_status ltr_loop_fetch(ltr_trainer *t, lt_split split, int64_t b, lt_batch **batch) {
    return fetch(t, split, b, batch);
}

/* ------------------------------------------------------------------ evaluation */

lt_status ltr_eval_loop(ltr_trainer *t, lt_split split, int64_t max_batches, bool sanity) {
    bool val = split == LT_SPLIT_VAL;
    const char *step_name = val ? "validation_step" : "test_step";
    lt_status (*step)(lt_ctx *, void *, lt_batch *, int64_t) =
        val ? MOD_HOOK(t, validation_step) : MOD_HOOK(t, test_step);
    if (!step) {
        /* Lightning skips the loop when validation_step is not overridden; for test it
         * is an error to call trainer.test without test_step */
        if (val && t->opts->command == LTR_CMD_FIT) return LT_OK;
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s' (%s) has no %s hook",
                          t->module_plugin.desc->name, t->module_plugin.path, step_name);
        return LT_ERROR;
    }
    /* _EvaluationLoop.skip: no batches, no hooks */
    if (max_batches <= 0) return LT_OK;
    ltr_hook_id h_start = val ? LTR_H_ON_VALIDATION_START : LTR_H_ON_TEST_START;
    ltr_hook_id h_end = val ? LTR_H_ON_VALIDATION_END : LTR_H_ON_TEST_END;
    ltr_hook_id h_epoch_start = val ? LTR_H_ON_VALIDATION_EPOCH_START : LTR_H_ON_TEST_EPOCH_START;
    ltr_hook_id h_epoch_end = val ? LTR_H_ON_VALIDATION_EPOCH_END : LTR_H_ON_TEST_EPOCH_END;
    ltr_hook_id h_batch_start = val ? LTR_H_ON_VALIDATION_BATCH_START : LTR_H_ON_TEST_BATCH_START;
    ltr_hook_id h_batch_end = val ? LTR_H_ON_VALIDATION_BATCH_END : LTR_H_ON_TEST_BATCH_END;

    bool was_training = t->ctx.pub.training;
    ltr_results *was_active = t->active_results;
    int was_loop = t->loop.active_loop; /* trainer._active_loop: this loop while it runs */
    t->loop.active_loop = LTR_LOOP_EVAL;
    t->loop.eval_ready = 0;
    t->loop.eval_total = max_batches; /* issue 6: lt_trainer_flag "num_eval_batches" */
    t->ctx.grad_enabled = false;   /* _no_grad_context: no_grad / inference_mode */
    t->ctx.pub.sanity_checking = sanity;
    t->active_results = &t->eval_results;
    ltr_results_reset(&t->eval_results);
    /* Lightning's _EvaluationLoop.reset: while fitting, the loader's sampler epoch is the
     * fit loop's epoch_progress.current.processed ("some users want validation shuffling
     * based on the training progress"); validate/test leave it at 0 */
    ltr_dataloader_set_epoch(&t->loaders[split],
                             t->opts->command == LTR_CMD_FIT ? t->loop.epochs_processed : 0);

    /* inside fit, the validation bar is drawn on a TTY only: plain logs stay short */
    bool in_fit = t->opts->command == LTR_CMD_FIT && val;
    ltr_progress bar = t->progress;
    if (in_fit && !bar.tty) bar.enabled = false;
    ltr_progress_start(&bar, sanity ? "Sanity Checking" : val ? "Validation" : "Testing",
                       max_batches);

    /* on_run_start: _on_evaluation_model_eval (default: model.eval()), then
     * _on_evaluation_start and _on_evaluation_epoch_start (callbacks, then module) */
    plain_hook_fn model_eval = val ? MOD_HOOK(t, on_validation_model_eval) : MOD_HOOK(t, on_test_model_eval);
    lt_status rc;
    if (model_eval) rc = call_plain(t, val ? "on_validation_model_eval" : "on_test_model_eval", model_eval);
    else {
        t->ctx.pub.training = false;
        rc = LT_OK;
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, h_start, NULL);
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_start, NULL);
    for (int64_t b = 0; rc == LT_OK && b < max_batches && !ltr_trainer_interrupted(t); b++) {
        lt_batch *batch;
        if ((rc = fetch(t, split, b, &batch))) break;
        t->loop.eval_ready = b + 1; /* batch_progress.increment_ready */
        t->ctx.pub.batch_idx = b;
        t->ctx.batch_size = (double)batch->size;
        ltr_hook_args a = {.batch = batch, .batch_idx = b};
        if ((rc = ltr_hook_call(t, h_batch_start, &a))) break;
        if ((rc = ltr_step_context_enter(t, step_name))) break;
        ltr_trainer_hook_begin(t, true, step_name);
        lt_status src = step(&t->ctx.pub, t->module, batch, b);
        ltr_step_context_exit(t, step_name);
        rc = ltr_trainer_hook_done(t, true, step_name, src);
        if (rc == LT_OK) rc = ltr_hook_call(t, h_batch_end, &a); /* outputs: none in this ABI */
        end_step_memory(t);
        ltr_progress_update(&bar, b + 1, NULL);
    }
    t->ctx.pub.batch_idx = -1;
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_end, NULL);
    end_step_memory(t);

    /* on_run_end: epoch metrics are collected (not during the sanity check), then
     * _on_evaluation_end, then _on_evaluation_model_train (the module's hook if it
     * gives one, else the mode from before the loop comes back) */
    ltr_metric_dict stage = {0};
    if (rc == LT_OK && !sanity) {
        ltr_results_collect_epoch(&t->eval_results, &stage, &t->pbar, &t->callback);
        ltr_dict_update(&t->logged, &stage);
        rc = ltr_loggers_log_metrics(t, &stage); /* issue 6: log_eval_end_metrics */
        ltr_progress_end(&bar, &stage);
    } else if (rc == LT_OK) {
        ltr_progress_end(&bar, NULL);
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, h_end, NULL);
    plain_hook_fn model_train = val ? MOD_HOOK(t, on_validation_model_train) : MOD_HOOK(t, on_test_model_train);
    if (rc == LT_OK && model_train)
        rc = call_plain(t, val ? "on_validation_model_train" : "on_test_model_train", model_train);
    else
        t->ctx.pub.training = was_training;
    if (rc == LT_OK && !sanity && (t->opts->command != LTR_CMD_FIT || !val))
        ltr_report_stage(t, val ? "validate" : "test", &stage);
    ltr_dict_free(&stage);
    ltr_results_reset(&t->eval_results);
    t->ctx.pub.sanity_checking = false;
    t->ctx.grad_enabled = true;
    t->active_results = was_active;
    t->loop.active_loop = was_loop;
    return rc;
}

/* ------------------------------------------------------------------ fit */

static bool max_steps_reached(const ltr_trainer *t) {
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
    int64_t nval = 0;
    if (t->has_loader[LT_SPLIT_VAL] && MOD_HOOK(t, validation_step))
        nval = ltr_limit_batches(t, "limit_val_batches", cfg->limit_val_batches,
                                 ltr_dataloader_len(&t->loaders[LT_SPLIT_VAL]));
    if (ntrain < 0 || nval < 0) return LT_ERROR;
    L->num_training_batches = ntrain;
    L->num_val_batches = nval;
    L->val_check_batch = 1;
    if (ntrain > 0) {
        if (!cfg->val_check_interval.is_fraction) {
            L->val_check_batch = cfg->val_check_interval.count;
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
    int64_t accum = cfg->accumulate_grad_batches;
    int64_t est = (t->loop.num_training_batches + accum - 1) / accum *
                  (cfg->max_epochs > 1 ? cfg->max_epochs : 1);
    if (cfg->max_steps != -1 && cfg->max_steps < est) est = cfg->max_steps;
    return est;
}

/* trainer.should_stop as every rank sees it (any rank's request stops all) */
static bool sync_should_stop(ltr_trainer *t) {
    t->should_stop = ltr_stop_decision(t, t->should_stop);
    return t->should_stop;
}

/* max_time: Lightning adds Timer(duration=max_time, interval="step") after the user's
 * callbacks; it sets should_stop once the training time reaches the duration. */
static void timer_check(ltr_trainer *t, bool training_started) {
    double limit = t->opts->trainer.max_time;
    if (limit < 0) return;
    double elapsed = training_started ? monotonic_s() - t->loop.train_start : 0.0;
    if (elapsed < limit) return;
    if (!t->should_stop) {
        long s = (long)elapsed;
        fprintf(stderr, "Time limit reached. Elapsed time is %ld:%02ld:%02ld. Signaling Trainer "
                        "to stop.\n", s / 3600, s / 60 % 60, s % 60);
    }
    t->should_stop = true;
}

static bool should_check_val_fx(ltr_trainer *t, int64_t batch_idx) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    /* _should_check_val_epoch */
    if (L->num_val_batches <= 0) return false;
    if (!cfg->check_val_every_n_epoch_none &&
        (t->ctx.pub.current_epoch + 1) % cfg->check_val_every_n_epoch != 0)
        return false;
    /* a stop request that may be honoured validates first (e.g. early stopping) */
    if (sync_should_stop(t) && ltr_can_stop_early(t)) return true;
    int64_t it = cfg->check_val_every_n_epoch_none ? L->total_batch_idx : batch_idx;
    return (it + 1) % L->val_check_batch == 0;
}

/* _TrainingEpochLoop.run between the fit loop's on_advance_start and on_advance_end. */
static lt_status train_epoch_batches(ltr_trainer *t, bool *completed) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    int64_t n = L->num_training_batches;
    lt_status rc = LT_OK;
    /* issue 5: a fit restored mid-epoch starts at the saved batch of that epoch (the
     * loader's order is a function of (seed, epoch), so it is the same order) */
    int64_t b = L->resume_batch;
    L->resume_batch = 0;
    L->epoch_in_progress = true;
    L->epoch_index = L->epochs_processed;
    L->epoch_batches_done = b;
    *completed = false;
    for (;; b++) {
        /* done: max_steps reached or all batches made ready; or a stop request once
         * min_epochs/min_steps are met */
        if (max_steps_reached(t) || b >= n) break; /* >=: a resume point past a smaller limit */
        if (sync_should_stop(t)) {
            if (ltr_can_stop_early(t)) break;
            if (!L->stop_info_shown) {
                L->stop_info_shown = true;
                char steps[32] = "None";
                if (cfg->min_steps >= 0) snprintf(steps, sizeof steps, "%lld", (long long)cfg->min_steps);
                fprintf(stderr, "Trainer was signaled to stop but the required `min_epochs=%lld` "
                                "or `min_steps=%s` has not been met. Training will continue...\n",
                        (long long)cfg->min_epochs, steps);
            }
        }
        if (ltr_trainer_interrupted(t)) break;
        lt_batch *batch;
        if ((rc = fetch(t, LT_SPLIT_TRAIN, b, &batch))) break;
        L->total_batch_idx++;
        bool is_last = b + 1 == n;
        t->ctx.pub.batch_idx = b;
        t->ctx.batch_size = (double)batch->size;
        ltr_hook_args a = {.batch = batch, .batch_idx = b};
        rc = ltr_hook_call(t, LTR_H_ON_TRAIN_BATCH_START, &a);
        if (rc == LT_SKIP_EPOCH) { /* Lightning's -1: StopIteration ends the epoch */
            rc = LT_OK;
            L->epoch_in_progress = false; /* issue 5: a resume starts the next epoch */
            end_step_memory(t);
            break;
        }
        if (rc) break;
        /* _should_accumulate: not the end of a window and not the epoch's last batch */
        L->should_accumulate = (b + 1) % cfg->accumulate_grad_batches != 0 && !is_last;
        lt_tensor *outputs = NULL;
        /* automatic_optimization.run or, with it off, manual_optimization.run (manual.c) */
        if ((rc = t->manual_optimization ? ltr_manual_step(t, batch, b, &outputs)
                                         : ltr_automatic_step(t, batch, b, &outputs)))
            break;
        /* update_lr_schedulers("step") (not while accumulating), then ("epoch") on the
         * epoch's last batch, both without the plateau ones (lr_stepping.c) */
        if ((rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, false, b, L->should_accumulate)) ||
            (is_last && (rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, false, b, false))))
            break;
        /* issue 5: the batch's step is done: a checkpoint saved from on_train_batch_end
         * (ModelCheckpoint every_n_train_steps) resumes at the next batch */
        L->epoch_batches_done = b + 1;
        a.tensor = outputs;
        if ((rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_BATCH_END, &a, LTR_CB_ALL))) break;
        timer_check(t, true); /* the Timer callback comes after the user's callbacks */
        if ((rc = ltr_module_call(t, LTR_H_ON_TRAIN_BATCH_END, &a))) break;
        /* _LoggerConnector.on_batch_end (every dict, every batch), then
         * update_train_step_metrics: loggers every log_every_n_steps (log_gating.c) */
        ltr_metric_dict step_log = {0}; /* issue 6: metrics["log"] of this step */
        ltr_results_collect_step(&t->train_results, &step_log, &t->pbar, &t->callback);
        ltr_dict_update(&t->logged, &step_log);
        ltr_update_train_step_metrics(t, &step_log);
        ltr_dict_free(&step_log);
        ltr_progress_update(&t->progress, b + 1, &t->pbar);
        /* on_advance_end: validation (after on_validation_model_zero_grad when the step
         * was taken), then plateau schedulers and _batches_that_stepped */
        if (should_check_val_fx(t, b)) {
            end_step_memory(t);
            if (!L->should_accumulate) {
                plain_hook_fn zg = MOD_HOOK(t, on_validation_model_zero_grad);
                if (zg) rc = call_plain(t, "on_validation_model_zero_grad", zg);
                else ltr_param_store_zero_grad(&t->params); /* default: self.zero_grad() */
            }
            if (rc == LT_OK) rc = ltr_eval_loop(t, LT_SPLIT_VAL, L->num_val_batches, false);
            t->ctx.pub.training = true;
            t->active_results = &t->train_results;
            if (rc) break;
        }
        /* plateau schedulers of interval "step": after the batch's metrics are logged */
        if ((rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, true, b, L->should_accumulate)))
            break;
        if (!L->should_accumulate) L->batches_that_stepped++;
        L->epoch_batches_done = b + 1; /* issue 5 */
        end_step_memory(t);
    }
    *completed = b >= n; /* _num_ready_batches_reached() */
    if (*completed) L->epoch_in_progress = false; /* issue 5 */
    end_step_memory(t);
    L->should_accumulate = false;
    t->ctx.pub.batch_idx = -1;
    return rc;
}

/* One epoch: _FitLoop.on_advance_start, advance, on_advance_end. */
static lt_status train_epoch(ltr_trainer *t) {
    ltr_loop_state *L = &t->loop;
    int64_t epoch = L->epochs_processed;
    t->ctx.pub.current_epoch = epoch;
    t->ctx.pub.training = true;
    t->active_results = &t->train_results;
    ltr_dataloader_set_epoch(&t->loaders[LT_SPLIT_TRAIN], epoch);
    char label[64];
    snprintf(label, sizeof label, "Epoch %lld", (long long)epoch);
    ltr_progress_start(&t->progress, label, L->num_training_batches);

    bool epoch_complete = false;
    lt_status rc = ltr_hook_call(t, LTR_H_ON_TRAIN_EPOCH_START, NULL);
    if (rc == LT_OK) rc = train_epoch_batches(t, &epoch_complete);
    if (rc) {
        ltr_results_reset(&t->train_results);
        return rc;
    }
    L->epochs_processed++; /* epoch_progress.increment_processed */
    /* callbacks first, except the monitoring ones (EarlyStopping, checkpoints), which
     * come after the module so they see what it logs in on_train_epoch_end */
    t->active_results = &t->train_results;
    rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL, LTR_CB_NON_MONITORING);
    if (rc == LT_OK) rc = ltr_module_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL);
    if (rc == LT_OK) rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL, LTR_CB_MONITORING);
    end_step_memory(t);
    if (rc == LT_OK) {
        ltr_metric_dict ep_log = {0}; /* issue 6: update_train_epoch_metrics -> loggers */
        ltr_results_collect_epoch(&t->train_results, &ep_log, &t->pbar, &t->callback);
        ltr_dict_update(&t->logged, &ep_log);
        /* fit_loop.on_advance_end: "_batches_that_stepped -= 1" around
         * update_train_epoch_metrics, so epoch-end rows reuse the last step */
        t->loop.batches_that_stepped--;
        rc = ltr_loggers_log_metrics(t, &ep_log);
        t->loop.batches_that_stepped++;
        ltr_dict_free(&ep_log);
        ltr_progress_end(&t->progress, &t->pbar);
        /* plateau schedulers of interval "epoch": after the epoch's metrics are logged */
        if (epoch_complete)
            rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, true, L->num_training_batches - 1,
                                          false);
    }
    ltr_results_reset(&t->train_results);
    t->active_results = NULL;
    t->ctx.pub.current_epoch = epoch + 1; /* epoch_progress.increment_completed */
    return rc;
}

/* _FitLoop.done */
static bool fit_done(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (t->loop.num_training_batches == 0) return true;
    if (max_steps_reached(t)) return true;
    if (cfg->max_epochs != -1 && t->loop.epochs_processed >= cfg->max_epochs) return true;
    return sync_should_stop(t) && ltr_can_stop_early(t);
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
    timer_check(t, false);
    if (ltr_module_call(t, LTR_H_ON_FIT_START, NULL)) return LT_ERROR;
    /* _run_stage: barrier, LM.zero_grad() */
    if (ltr_trainer_barrier(t, "run-stage")) return LT_ERROR;
    ltr_param_store_zero_grad(&t->params);

    /* _run_sanity_check: min(num_sanity_val_steps, val batches) batches, nothing logged */
    int64_t nval = L->num_val_batches;
    int64_t nsanity = cfg->num_sanity_val_steps == -1 ? nval
                      : cfg->num_sanity_val_steps < nval ? cfg->num_sanity_val_steps : nval;
    /* issue 5: no sanity check when resuming (Lightning: `not val_loop.restarting`) */
    if (nsanity > 0 && !L->restored) {
        if (ltr_callbacks_call(t, LTR_H_ON_SANITY_CHECK_START, NULL, LTR_CB_ALL) ||
            ltr_eval_loop(t, LT_SPLIT_VAL, nsanity, true) ||
            ltr_callbacks_call(t, LTR_H_ON_SANITY_CHECK_END, NULL, LTR_CB_ALL))
            return LT_ERROR;
    }

    /* _FitLoop.run: skipped when already done or limit_train_batches is 0 */
    lt_status rc = LT_OK;
    L->active_loop = LTR_LOOP_FIT;
    if (!fit_done(t)) {
        rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_START, NULL, LTR_CB_ALL);
        L->train_start = monotonic_s();
        if (rc == LT_OK) rc = ltr_module_call(t, LTR_H_ON_TRAIN_START, NULL);
        while (rc == LT_OK && !fit_done(t) && !ltr_trainer_interrupted(t)) rc = train_epoch(t);
        if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_TRAIN_END, NULL);
    }
    L->active_loop = LTR_LOOP_NONE;
    if (rc == LT_OK) {
        ltr_report_stage(t, "fit", &t->callback);
        rc = ltr_hook_call(t, LTR_H_ON_FIT_END, NULL);
    }
    return rc;
}
