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
    ltr_results *was_active = t->metrics.active;
    int was_loop = t->loop.active_loop; /* trainer._active_loop: this loop while it runs */
    t->loop.active_loop = LTR_LOOP_EVAL;
    t->loop.eval_ready = 0;
    t->loop.eval_total = max_batches; /* lt_trainer_flag "num_eval_batches" */
    t->ctx.grad_enabled = false;   /* _no_grad_context: no_grad / inference_mode */
    t->ctx.pub.sanity_checking = sanity;
    t->metrics.active = &t->metrics.eval;
    ltr_results_reset(&t->metrics.eval);
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
    if (model_eval) rc = ltr_loop_call_plain(t, val ? "on_validation_model_eval" : "on_test_model_eval", model_eval);
    else {
        t->ctx.pub.training = false;
        rc = LT_OK;
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, h_start, NULL);
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_start, NULL);
    for (int64_t b = 0; rc == LT_OK && b < max_batches && !ltr_trainer_interrupted(t); b++) {
        lt_batch *batch;
        if ((rc = ltr_loop_fetch(t, split, b, &batch))) break;
        t->loop.eval_ready = b + 1; /* batch_progress.increment_ready */
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
        ltr_progress_update(&bar, b + 1, NULL);
    }
    t->ctx.pub.batch_idx = -1;
    if (rc == LT_OK) rc = ltr_hook_call(t, h_epoch_end, NULL);
    ltr_loop_end_step_memory(t);

    /* on_run_end: epoch metrics are collected (not during the sanity check), then
     * _on_evaluation_end, then _on_evaluation_model_train (the module's hook if it
     * gives one, else the mode from before the loop comes back) */
    ltr_metric_dict stage = {0};
    if (rc == LT_OK && !sanity) {
        ltr_results_collect_epoch(&t->metrics.eval, &stage, &t->metrics.pbar, &t->metrics.callback);
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
        ltr_report_stage(t, val ? "validate" : "test", &stage);
    ltr_dict_free(&stage);
    ltr_results_reset(&t->metrics.eval);
    t->ctx.pub.sanity_checking = false;
    t->ctx.grad_enabled = true;
    t->metrics.active = was_active;
    t->loop.active_loop = was_loop;
    return rc;
}

