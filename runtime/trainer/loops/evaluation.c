/*
 * evaluation.c — the validation and test loops (Lightning's loops/evaluation_loop.py):
 * the sanity check, validation inside fit, and trainer.validate / trainer.test.
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

/* One loader's batches: the batch hooks and the step with ctx->dataloader_idx = k. */
static lt_status run_loader(ltr_trainer *t, lt_split split, int k, int64_t max_batches,
                            ltr_progress *bar, const char *label) {
    bool val = split == LT_SPLIT_VAL;
    const char *step_name = val ? "validation_step" : "test_step";
    lt_status (*step)(lt_ctx *, void *, lt_batch *, int64_t) =
        val ? MOD_HOOK(t, validation_step) : MOD_HOOK(t, test_step);
    ltr_hook_id h_batch_start = val ? LTR_H_ON_VALIDATION_BATCH_START : LTR_H_ON_TEST_BATCH_START;
    ltr_hook_id h_batch_end = val ? LTR_H_ON_VALIDATION_BATCH_END : LTR_H_ON_TEST_BATCH_END;
    bool multi = t->nloaders[split] > 1;
    t->ctx.pub.dataloader_idx = k;
    /* logger_connector.on_batch_start: the results' dataloader_idx is the loader's with
     * several loaders, None with one */
    ltr_results_set_dataloader(&t->metrics.eval, multi ? k : -1);
    /* TQDMProgressBar: the bar restarts at each dataloader with its batch count,
     * "<description> DataLoader k" */
    char desc[64];
    if (multi) snprintf(desc, sizeof desc, "%s DataLoader %d", label, k);
    else snprintf(desc, sizeof desc, "%s", label);
    ltr_progress_start(bar, desc, max_batches == LTR_INF_BATCHES ? -1 : max_batches);
    lt_status rc = LT_OK;
    for (int64_t b = 0; rc == LT_OK && b < max_batches && !ltr_trainer_interrupted(t); b++) {
        lt_batch *batch;
        if ((rc = ltr_loop_fetch(t, split, b, &batch))) break;
        if (!batch) break; /* ABI 1.9: an iterable dataset's stream ended (StopIteration) */
        t->loop.eval_ready++; /* batch_progress.increment_ready (across dataloaders) */
        t->ctx.pub.batch_idx = b;
        t->ctx.batch_size = (double)batch->size;
        ltr_hook_args a = {.batch = batch, .batch_idx = b};
        if ((rc = ltr_hook_call(t, h_batch_start, &a))) break;
        if ((rc = ltr_step_context_enter(t, step_name))) break;
        ltr_trainer_hook_begin(t, true, step_name);
        t->loop.step_output = NULL;
        lt_status src = step(&t->ctx.pub, t->module, batch, b);
        ltr_step_context_exit(t, step_name);
        rc = ltr_trainer_hook_done(t, true, step_name, src);
        a.tensor = t->loop.step_output; /* the step's STEP_OUTPUT (lt_step_output) or NULL */
        if (rc == LT_OK) rc = ltr_hook_call(t, h_batch_end, &a);
        t->loop.step_output = NULL;
        ltr_loop_end_step_memory(t);
        ltr_progress_update(bar, b + 1, NULL);
    }
    t->ctx.pub.batch_idx = -1;
    return rc;
}

lt_status ltr_eval_loop(ltr_trainer *t, lt_split split, const int64_t *max_batches, bool sanity) {
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
    /* _EvaluationLoop.skip: sum(max_batches) == 0 — no batches, no hooks */
    int nl = t->nloaders[split];
    int64_t total = 0;
    for (int k = 0; k < nl; k++) total = ltr_batches_add(total, max_batches[k] > 0 ? max_batches[k] : 0);
    if (total <= 0) return LT_OK;
    ltr_hook_id h_start = val ? LTR_H_ON_VALIDATION_START : LTR_H_ON_TEST_START;
    ltr_hook_id h_end = val ? LTR_H_ON_VALIDATION_END : LTR_H_ON_TEST_END;
    ltr_hook_id h_epoch_start = val ? LTR_H_ON_VALIDATION_EPOCH_START : LTR_H_ON_TEST_EPOCH_START;
    ltr_hook_id h_epoch_end = val ? LTR_H_ON_VALIDATION_EPOCH_END : LTR_H_ON_TEST_EPOCH_END;

    bool was_training = t->ctx.pub.training;
    ltr_results *was_active = t->metrics.active;
    int was_loop = t->loop.active_loop; /* trainer._active_loop: this loop while it runs */
    t->loop.active_loop = LTR_LOOP_EVAL;
    t->loop.eval_ready = 0;
    t->loop.eval_total = total; /* lt_trainer_flag "num_eval_batches" */
    t->ctx.grad_enabled = false;   /* _no_grad_context: no_grad / inference_mode */
    t->ctx.inference_mode = t->opts->trainer.inference_mode; /* Trainer(inference_mode) */
    t->ctx.pub.sanity_checking = sanity;
    t->metrics.active = &t->metrics.eval;
    ltr_results_reset(&t->metrics.eval);
    ltr_results_set_dataloader(&t->metrics.eval, -1);
    /* Lightning's _EvaluationLoop.reset: while fitting, the loaders' sampler epoch is the
     * fit loop's epoch_progress.current.processed ("some users want validation shuffling
     * based on the training progress"); validate/test leave it at 0 */
    for (int k = 0; k < nl; k++)
        ltr_dataloader_set_epoch(ltr_trainer_loader(t, split, k),
                                 t->opts->command == LTR_CMD_FIT ? t->loop.epochs_processed : 0);

    /* inside fit, the validation bar is drawn on a TTY only: plain logs stay short */
    bool in_fit = t->opts->command == LTR_CMD_FIT && val;
    ltr_progress bar = t->progress;
    if (in_fit && !bar.tty) bar.enabled = false;
    const char *label = sanity ? "Sanity Checking" : val ? "Validation" : "Testing";

    /* on_run_start: _on_evaluation_model_eval (default: model.eval()), then
     * _on_evaluation_start and _on_evaluation_epoch_start (callbacks, then module) */
    plain_hook_fn model_eval = val ? MOD_HOOK(t, on_validation_model_eval) : MOD_HOOK(t, on_test_model_eval);
    lt_status rc;
    if (model_eval) rc = ltr_loop_call_plain(t, val ? "on_validation_model_eval" : "on_test_model_eval", model_eval);
    else {
        t->ctx.pub.training = false;
        rc = LT_OK;
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, h_start, NULL);
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_start, NULL);
    /* the loaders one after the other (CombinedLoader "sequential"; one whose limit is
     * 0 is skipped); after each, _store_dataloader_outputs keeps its metrics */
    ltr_metric_dict per_dl[LT_MAX_DATALOADERS];
    memset(per_dl, 0, sizeof per_dl);
    int nstored = 0;
    bool multi = nl > 1;
    int last = -1;
    for (int k = 0; k < nl; k++)
        if (max_batches[k] > 0) last = k;
    for (int k = 0; rc == LT_OK && k < nl && !ltr_trainer_interrupted(t); k++) {
        if (max_batches[k] <= 0) continue;
        rc = run_loader(t, split, k, max_batches[k], &bar, label);
        if (rc == LT_OK && multi) {
            if (!sanity) /* update_eval_epoch_metrics: nothing while sanity checking */
                ltr_results_collect_epoch(&t->metrics.eval, &per_dl[nstored], &t->metrics.pbar,
                                          &t->metrics.callback);
            nstored++;
            if (k != last) ltr_progress_end(&bar, NULL);
        }
    }
    /* _evaluation_epoch_end: the results' dataloader_idx back to None */
    t->ctx.pub.dataloader_idx = 0;
    ltr_results_set_dataloader(&t->metrics.eval, -1);
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_end, NULL);
    ltr_loop_end_step_memory(t);

    /* on_run_end: epoch metrics are collected (not during the sanity check), then
     * _on_evaluation_end, then _on_evaluation_model_train (the module's hook if it
     * gives one, else the mode from before the loop comes back). With several loaders
     * what the epoch-end hooks logged joins every loader's dict, and all of them go to
     * the loggers as one dict (ChainMap). */
    ltr_metric_dict stage = {0};
    if (rc == LT_OK && !sanity) {
        ltr_metric_dict epoch_end = {0};
        ltr_results_collect_epoch(&t->metrics.eval, &epoch_end, &t->metrics.pbar, &t->metrics.callback);
        for (int i = 0; i < nstored; i++) ltr_dict_update(&stage, &per_dl[i]);
        ltr_dict_update(&stage, &epoch_end);
        for (int i = 0; i < nstored; i++) ltr_dict_update(&per_dl[i], &epoch_end);
        if (!multi) ltr_dict_update(&per_dl[nstored++], &epoch_end);
        ltr_dict_free(&epoch_end);
        ltr_dict_update(&t->metrics.logged, &stage);
        rc = ltr_loggers_log_metrics(t, &stage); /* log_eval_end_metrics */
        ltr_progress_end(&bar, &stage);
    } else if (rc == LT_OK) {
        ltr_progress_end(&bar, NULL);
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, h_end, NULL);
    plain_hook_fn model_train = val ? MOD_HOOK(t, on_validation_model_train) : MOD_HOOK(t, on_test_model_train);
    if (rc == LT_OK && model_train)
        rc = ltr_loop_call_plain(t, val ? "on_validation_model_train" : "on_test_model_train", model_train);
    else
        t->ctx.pub.training = was_training;
    if (rc == LT_OK && !sanity && (t->opts->command != LTR_CMD_FIT || !val))
        ltr_report_stage(t, val ? "validate" : "test", &stage, per_dl, nstored);
    ltr_dict_free(&stage);
    for (int i = 0; i < LT_MAX_DATALOADERS; i++) ltr_dict_free(&per_dl[i]);
    ltr_results_reset(&t->metrics.eval);
    t->ctx.pub.sanity_checking = false;
    t->ctx.grad_enabled = true;
    t->ctx.inference_mode = false;
    t->metrics.active = was_active;
    t->loop.active_loop = was_loop;
    /* _EvaluationLoop.run: "trainer._last_val_time = now" (time-based val_check_interval) */
    t->loop.last_val_time = ltr_loop_monotonic_s();
    return rc;
}
