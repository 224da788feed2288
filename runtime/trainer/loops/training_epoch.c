/*
 * training_epoch.c — one epoch of the fit loop (Lightning's loops/training_epoch_loop.py
 * inside _FitLoop.on_advance_start / advance / on_advance_end): per batch the transfer
 * hooks, on_train_batch_start, automatic or manual optimization (automatic.c,
 * manual.c), on_train_batch_end, and validation every val_check_batch batches.
 */
#include "trainer/loops/loops.h"
#include "strategy/strategy.h"

#include "optim/optimizer.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "trainer/lr_stepping.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool should_check_val_fx(ltr_trainer *t, int64_t batch_idx) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    /* _should_check_val_epoch */
    if (L->num_val_batches <= 0) return false;
    if (!cfg->check_val_every_n_epoch_none &&
        (t->ctx.pub.current_epoch + 1) % cfg->check_val_every_n_epoch != 0)
        return false;
    /* ABI 1.9: val_check_batch is float('inf') for an iterable dataset without a length:
     * validation at the end of its stream (the batch fetched ahead told is_last_batch) */
    bool infinite = L->val_check_batch == LTR_INF_BATCHES;
    if (L->is_last_batch && infinite) return true;
    /* a stop request that may be honoured validates first (e.g. early stopping) */
    if (ltr_loop_sync_should_stop(t) && ltr_can_stop_early(t)) return true;
    /* (Lightning's branch for an int limit_train_batches over an infinite dataset cannot
     * be taken: an int limit gives the loader a length, so val_check_batch is finite) */
    if (infinite) return L->is_last_batch;
    /* Lightning 2.6's time-based val_check_interval (only for a finite val_check_batch):
     * once that much wall time passed since the last validation (the epoch's end is no
     * trigger of its own) */
    if (cfg->val_check_is_time)
        return ltr_loop_monotonic_s() - L->last_val_time >= cfg->val_check_time_interval;
    int64_t it = cfg->check_val_every_n_epoch_none ? L->total_batch_idx : batch_idx;
    return (it + 1) % L->val_check_batch == 0;
}

/* _TrainingEpochLoop.done: max_steps reached or every batch made ready; or a stop
 * request once min_epochs/min_steps are met; or SIGINT/SIGTERM. */
static bool epoch_done(ltr_trainer *t, int64_t b) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    /* >=: a resume point past a smaller limit; is_last_batch: the batch fetched ahead
     * found the end of an iterable dataset's stream (_num_ready_batches_reached) */
    if (ltr_loop_max_steps_reached(t) || b >= L->num_training_batches || L->is_last_batch)
        return true;
    if (ltr_loop_sync_should_stop(t)) {
        if (ltr_can_stop_early(t)) return true;
        if (!L->stop_info_shown) {
            L->stop_info_shown = true;
            char steps[32] = "None";
            if (cfg->min_steps >= 0) snprintf(steps, sizeof steps, "%lld", (long long)cfg->min_steps);
            fprintf(stderr, "Trainer was signaled to stop but the required `min_epochs=%lld` "
                            "or `min_steps=%s` has not been met. Training will continue...\n",
                    (long long)cfg->min_epochs, steps);
        }
    }
    return ltr_trainer_interrupted(t);
}

/* _TrainingEpochLoop.advance: one batch, from the fetch to its logged metrics and the
 * progress bar. *skip: on_train_batch_start returned LT_SKIP_EPOCH (Lightning's -1:
 * StopIteration ends the epoch here). */
static lt_status epoch_advance(ltr_trainer *t, int64_t b, bool *skip, bool *exhausted) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    ltr_loop_state *L = &t->loop;
    int64_t n = L->num_training_batches;
    lt_status rc;
    lt_batch *batch;
    if ((rc = ltr_loop_fetch(t, LT_SPLIT_TRAIN, b, &batch))) return rc;
    if (!batch) { /* ABI 1.9: an iterable dataset's stream ended (StopIteration) */
        *exhausted = true;
        return LT_OK;
    }
    L->total_batch_idx++;
    /* ABI 1.9: without a length, the next batch is fetched now to know whether this is
     * the last (Lightning's _PrefetchDataFetcher sets is_last_batch = data_fetcher.done) */
    bool is_last = b + 1 == n;
    if (n == LTR_INF_BATCHES) {
        ltr_trainer_hook_begin(t, false, "iter_next");
        lt_status prc = ltr_dataloader_peek_end(&t->loaders[LT_SPLIT_TRAIN], b, &is_last);
        if (ltr_trainer_hook_done(t, false, "iter_next", prc)) return LT_ERROR;
    }
    L->is_last_batch = is_last; /* ModelCheckpoint reads it (lt_trainer_flag) */
    t->ctx.pub.batch_idx = b;
    t->ctx.batch_size = (double)batch->size;
    ltr_hook_args a = {.batch = batch, .batch_idx = b};
    rc = ltr_hook_call(t, LTR_H_ON_TRAIN_BATCH_START, &a);
    if (rc == LT_SKIP_EPOCH) {
        L->epoch_in_progress = false; /* a resume starts the next epoch */
        ltr_loop_end_step_memory(t);
        *skip = true;
        return LT_OK;
    }
    if (rc) return rc;
    /* _should_accumulate: not the end of a window and not the epoch's last batch */
    L->should_accumulate = (b + 1) % cfg->accumulate_grad_batches != 0 && !is_last;
    lt_tensor *outputs = NULL;
    /* automatic_optimization.run or, with it off, manual_optimization.run (manual.c) */
    if ((rc = t->manual.enabled ? ltr_manual_step(t, batch, b, &outputs)
                                     : ltr_automatic_step(t, batch, b, &outputs)))
        return rc;
    /* update_lr_schedulers("step") (not while accumulating), then ("epoch") on the
     * epoch's last batch, both without the plateau ones (lr_stepping.c) */
    if ((rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, false, b, L->should_accumulate)) ||
        (is_last && (rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, false, b, false))))
        return rc;
    /* the batch's step is done: a checkpoint saved from on_train_batch_end
     * (ModelCheckpoint every_n_train_steps) resumes at the next batch */
    L->epoch_batches_done = b + 1;
    a.tensor = outputs;
    if ((rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_BATCH_END, &a, LTR_CB_ALL))) return rc;
    ltr_loop_timer_check(t, true); /* the Timer callback comes after the user's callbacks */
    if ((rc = ltr_module_call(t, LTR_H_ON_TRAIN_BATCH_END, &a))) return rc;
    /* _LoggerConnector.on_batch_end (every dict, every batch), then
     * update_train_step_metrics: loggers every log_every_n_steps (log_gating.c) */
    ltr_metric_dict step_log = {0}; /* metrics["log"] of this step */
    ltr_results_collect_step(&t->metrics.train, &step_log, &t->metrics.pbar, &t->metrics.callback);
    ltr_dict_update(&t->metrics.logged, &step_log);
    ltr_update_train_step_metrics(t, &step_log);
    ltr_dict_free(&step_log);
    ltr_progress_update(&t->progress, b + 1, &t->metrics.pbar);
    return LT_OK;
}

/* _TrainingEpochLoop.on_advance_end: validation (after on_validation_model_zero_grad
 * when the step was taken), then plateau schedulers and _batches_that_stepped. */
static lt_status epoch_on_advance_end(ltr_trainer *t, int64_t b) {
    ltr_loop_state *L = &t->loop;
    lt_status rc = LT_OK;
    if (should_check_val_fx(t, b)) {
        ltr_loop_end_step_memory(t);
        if (!L->should_accumulate) {
            plain_hook_fn zg = MOD_HOOK(t, on_validation_model_zero_grad);
            if (zg) rc = ltr_loop_call_plain(t, "on_validation_model_zero_grad", zg);
            else ltr_param_store_zero_grad(&t->params); /* default: self.zero_grad() */
        }
        /* _EvaluationLoop.setup_data: reload_dataloaders_every_n_epochs */
        if (rc == LT_OK) rc = ltr_reload_val_if_due(t);
        if (rc == LT_OK) rc = ltr_eval_loop(t, LT_SPLIT_VAL, L->val_batches, false);
        t->ctx.pub.training = true;
        t->metrics.active = &t->metrics.train;
        if (rc) return rc;
    }
    /* plateau schedulers of interval "step": after the batch's metrics are logged */
    if ((rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, true, b, L->should_accumulate)))
        return rc;
    if (!L->should_accumulate) L->batches_that_stepped++;
    L->epoch_batches_done = b + 1;
    ltr_loop_end_step_memory(t);
    return LT_OK;
}

/* Where a mid-epoch resume starts when the checkpoint was written under another world
 * size. Its batch index counted the writer's global batches (world size x batch size
 * per rank samples each); this run starts at the batch holding the same global sample,
 * floor(b * W * B / (W' * B')): rounded down, so no sample of the epoch is skipped and
 * fewer than one of this run's global batches runs again. Lightning keeps the batch
 * index as saved; with one world size so does this (exact), and a checkpoint that does
 * not record its world size is taken as this run's. A warning on rank zero says so. */
static int64_t resume_batch_for_world(ltr_trainer *t, int64_t b) {
    ltr_loop_state *L = &t->loop;
    int64_t w0 = L->resume_world_size, w1 = t->ctx.pub.world_size;
    int64_t bs1 = t->has_loader[LT_SPLIT_TRAIN] ? t->loaders[LT_SPLIT_TRAIN].ds.batch_size : 0;
    int64_t bs0 = L->resume_batch_size > 0 ? L->resume_batch_size : bs1;
    L->resume_world_size = L->resume_batch_size = 0; /* once */
    if (b <= 0 || w0 <= 0 || w0 == w1 || bs1 <= 0 || bs0 <= 0) return b;
    int64_t samples = b * w0 * bs0, global1 = w1 * bs1, nb = samples / global1;
    if (ltr_trainer_is_global_zero(t)) {
        fprintf(stderr, "UserWarning: resuming under world size %lld a checkpoint written under "
                        "world size %lld: its epoch %lld stopped after batch %lld (%lld x %lld "
                        "samples a batch, %lld samples of the epoch); continuing at batch %lld "
                        "(%lld x %lld samples a batch)",
                (long long)w1, (long long)w0, (long long)L->epochs_processed, (long long)b,
                (long long)w0, (long long)bs0, (long long)samples, (long long)nb, (long long)w1,
                (long long)bs1);
        if (samples % global1)
            fprintf(stderr, ", sample %lld: rounded down to a whole batch, samples %lld to %lld "
                            "of the epoch run again\n", (long long)(nb * global1),
                    (long long)(nb * global1), (long long)(samples - 1));
        else
            fputs(", the same global sample\n", stderr);
    }
    return nb;
}

/* _TrainingEpochLoop.run between the fit loop's on_advance_start and on_advance_end:
 * while not done: advance, on_advance_end. */
static lt_status train_epoch_batches(ltr_trainer *t, bool *completed) {
    ltr_loop_state *L = &t->loop;
    int64_t n = L->num_training_batches;
    lt_status rc = LT_OK;
    /* a fit restored mid-epoch starts at the saved batch of that epoch (the
     * loader's order is a function of (seed, epoch), so it is the same order) */
    int64_t b = resume_batch_for_world(t, L->resume_batch);
    L->resume_batch = 0;
    L->epoch_in_progress = true;
    L->epoch_index = L->epochs_processed;
    L->epoch_batches_done = b;
    L->is_last_batch = false; /* batch_progress.reset_on_run */
    *completed = false;
    bool exhausted = false;
    for (;; b++) {
        if (epoch_done(t, b)) break;
        bool skip = false;
        if ((rc = epoch_advance(t, b, &skip, &exhausted)) || skip || exhausted) break;
        if ((rc = epoch_on_advance_end(t, b))) break;
    }
    /* _num_ready_batches_reached(): every batch, or the one that knew it was last (an
     * iterable stream that ended at a fetch, StopIteration, does not count) */
    *completed = b >= n || (n == LTR_INF_BATCHES && L->is_last_batch);
    if (exhausted) L->epoch_in_progress = false;
    if (*completed) L->epoch_in_progress = false;
    ltr_loop_end_step_memory(t);
    L->should_accumulate = false;
    t->ctx.pub.batch_idx = -1;
    return rc;
}

/* One epoch: _FitLoop.on_advance_start, advance, on_advance_end. */
lt_status ltr_training_epoch(ltr_trainer *t) {
    ltr_loop_state *L = &t->loop;
    int64_t epoch = L->epochs_processed;
    t->ctx.pub.current_epoch = epoch;
    t->ctx.pub.training = true;
    t->metrics.active = &t->metrics.train;
    /* _FitLoop.on_advance_start: setup_data (reload_dataloaders_every_n_epochs), then
     * the samplers' epoch */
    if (ltr_reload_train_if_due(t)) return LT_ERROR;
    ltr_dataloader_set_epoch(&t->loaders[LT_SPLIT_TRAIN], epoch);
    char label[64];
    snprintf(label, sizeof label, "Epoch %lld", (long long)epoch);
    /* an iterable dataset's epoch has no total: "n/?" as tqdm draws total=None */
    ltr_progress_start(&t->progress, label,
                       L->num_training_batches == LTR_INF_BATCHES ? -1 : L->num_training_batches);

    bool epoch_complete = false;
    lt_status rc = ltr_hook_call(t, LTR_H_ON_TRAIN_EPOCH_START, NULL);
    if (rc == LT_OK) rc = train_epoch_batches(t, &epoch_complete);
    if (rc) {
        ltr_results_reset(&t->metrics.train);
        return rc;
    }
    L->epochs_processed++; /* epoch_progress.increment_processed */
    /* callbacks first, except the monitoring ones (EarlyStopping, checkpoints), which
     * come after the module so they see what it logs in on_train_epoch_end */
    t->metrics.active = &t->metrics.train;
    rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL, LTR_CB_NON_MONITORING);
    if (rc == LT_OK) rc = ltr_module_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL);
    if (rc == LT_OK) rc = ltr_callbacks_call(t, LTR_H_ON_TRAIN_EPOCH_END, NULL, LTR_CB_MONITORING);
    ltr_loop_end_step_memory(t);
    if (rc == LT_OK) {
        ltr_metric_dict ep_log = {0}; /* update_train_epoch_metrics -> loggers */
        ltr_results_collect_epoch(&t->metrics.train, &ep_log, &t->metrics.pbar, &t->metrics.callback);
        ltr_dict_update(&t->metrics.logged, &ep_log);
        /* fit_loop.on_advance_end: "_batches_that_stepped -= 1" around
         * update_train_epoch_metrics, so epoch-end rows reuse the last step */
        t->loop.batches_that_stepped--;
        rc = ltr_loggers_log_metrics(t, &ep_log);
        t->loop.batches_that_stepped++;
        ltr_dict_free(&ep_log);
        ltr_progress_end(&t->progress, &t->metrics.pbar);
        /* plateau schedulers of interval "epoch": after the epoch's metrics are logged */
        if (epoch_complete)
            rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, true, L->epoch_batches_done - 1,
                                          false);
    }
    ltr_results_reset(&t->metrics.train);
    t->metrics.active = NULL;
    t->ctx.pub.current_epoch = epoch + 1; /* epoch_progress.increment_completed */
    return rc;
}

