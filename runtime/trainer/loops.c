/*
 * loops.c — the fit loop, the training epoch and the evaluation loop, in Lightning's
 * order (reference/lightning.md §1.1, §1.3, §1.4):
 *   on_fit_start, sanity check, per epoch { on_train_epoch_start, per batch
 *   { training_step, zero_grad, backward, optimizer step }, validation (inside the
 *   training epoch), on_train_epoch_end }, on_fit_end.
 */
#include "trainer/trainer.h"

#include "optim/optimizer.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "trainer/lr_stepping.h"

#include <math.h>
#include <string.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)

typedef lt_status (*epoch_hook_fn)(lt_ctx *, void *);

static lt_status call_epoch_hook(ltr_trainer *t, const char *name, epoch_hook_fn fn) {
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, true, name);
    return ltr_trainer_hook_done(t, true, name, fn(&t->ctx.pub, t->module));
}

/* Memory of a step dies with the step: intermediates, their grads and the tape. */
static void end_step_memory(ltr_trainer *t) {
    ltr_tape_reset(t->tape);
    ltr_arena_reset(t->arena);
}

static lt_status fetch(ltr_trainer *t, lt_split split, int64_t b, lt_batch **batch) {
    ltr_trainer_hook_begin(t, false, "get_item");
    lt_status rc = ltr_dataloader_get(&t->loaders[split], b, batch);
    return ltr_trainer_hook_done(t, false, "get_item", rc);
}

lt_status ltr_eval_loop(ltr_trainer *t, lt_split split, int64_t max_batches, bool sanity) {
    bool val = split == LT_SPLIT_VAL;
    const char *step_name = val ? "validation_step" : "test_step";
    lt_status (*step)(lt_ctx *, void *, lt_batch *, int64_t) =
        val ? MOD_HOOK(t, validation_step) : MOD_HOOK(t, test_step);
    epoch_hook_fn start = val ? MOD_HOOK(t, on_validation_epoch_start) : MOD_HOOK(t, on_test_epoch_start);
    epoch_hook_fn end = val ? MOD_HOOK(t, on_validation_epoch_end) : MOD_HOOK(t, on_test_epoch_end);
    if (!step) {
        /* Lightning skips the loop when validation_step is not overridden; for test it
         * is an error to call trainer.test without test_step */
        if (val && t->opts->command == LTR_CMD_FIT) return LT_OK;
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s' (%s) has no %s hook",
                          t->module_plugin.desc->name, t->module_plugin.path, step_name);
        return LT_ERROR;
    }
    bool was_training = t->ctx.pub.training;
    ltr_results *was_active = t->active_results;
    t->ctx.pub.training = false;   /* model.eval() */
    t->ctx.grad_enabled = false;   /* inference_mode */
    t->ctx.pub.sanity_checking = sanity;
    t->active_results = &t->eval_results;
    ltr_results_reset(&t->eval_results);
    ltr_dataloader_set_epoch(&t->loaders[split], 0);

    /* inside fit, the validation bar is drawn on a TTY only: plain logs stay short */
    bool in_fit = t->opts->command == LTR_CMD_FIT && val;
    ltr_progress bar = t->progress;
    if (in_fit && !bar.tty) bar.enabled = false;
    ltr_progress_start(&bar, sanity ? "Sanity Checking" : val ? "Validation" : "Testing",
                       max_batches);

    lt_status rc = call_epoch_hook(t, val ? "on_validation_epoch_start" : "on_test_epoch_start", start);
    for (int64_t b = 0; rc == LT_OK && b < max_batches && !ltr_interrupted; b++) {
        lt_batch *batch;
        if ((rc = fetch(t, split, b, &batch))) break;
        t->ctx.pub.batch_idx = b;
        t->ctx.batch_size = (double)batch->size;
        ltr_trainer_hook_begin(t, true, step_name);
        rc = ltr_trainer_hook_done(t, true, step_name, step(&t->ctx.pub, t->module, batch, b));
        end_step_memory(t);
        ltr_progress_update(&bar, b + 1, NULL);
    }
    t->ctx.pub.batch_idx = -1;
    if (rc == LT_OK)
        rc = call_epoch_hook(t, val ? "on_validation_epoch_end" : "on_test_epoch_end", end);
    end_step_memory(t);

    if (rc == LT_OK && !sanity) {
        /* Lightning does not log during the sanity check */
        ltr_metric_dict stage = {0};
        ltr_results_collect_epoch(&t->eval_results, &stage, &t->pbar, &t->callback);
        ltr_dict_update(&t->logged, &stage);
        ltr_progress_end(&bar, &stage);
        if (t->opts->command != LTR_CMD_FIT || !val)
            ltr_report_stage(t, val ? "validate" : "test", &stage);
        ltr_dict_free(&stage);
    } else if (rc == LT_OK) {
        ltr_progress_end(&bar, NULL);
    }
    ltr_results_reset(&t->eval_results);
    t->ctx.pub.sanity_checking = false;
    t->ctx.pub.training = was_training;
    t->ctx.grad_enabled = true;
    t->active_results = was_active;
    return rc;
}

/* One automatic-optimization step (Lightning §1.3): training_step, zero_grad,
 * backward, optimizer step. Returns LT_OK also for a skipped batch. */
static lt_status train_step(ltr_trainer *t, lt_batch *batch, int64_t b, bool *stepped) {
    lt_tensor *(*step)(lt_ctx *, void *, lt_batch *, int64_t) = MOD_HOOK(t, training_step);
    *stepped = false;
    ltr_trainer_hook_begin(t, true, "training_step");
    lt_tensor *loss = step(&t->ctx.pub, t->module, batch, b);
    if (ltr_trainer_hook_done(t, true, "training_step", LT_OK)) return LT_ERROR;
    if (!loss) return LT_OK; /* returning None skips the batch, as in Lightning */
    if (ltr_numel(loss) != 1 || !(loss->flags & LTR_T_REQUIRES_GRAD)) {
        char shape[96];
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "module '%s', hook training_step: the returned loss must be a "
                          "one-element tensor computed from the parameters (got shape %s%s)",
                          t->module_plugin.desc->name, ltr_shape_str(loss, shape, sizeof shape),
                          loss->flags & LTR_T_REQUIRES_GRAD ? "" : ", no gradient");
        return LT_ERROR;
    }
    double value = ltr_get(loss, 0);
    if (!isfinite(value)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "module '%s', hook training_step: the loss is %s at epoch %lld, batch "
                          "%lld (global step %lld): stopping before it corrupts the weights; "
                          "lower the learning rate or check the data",
                          t->module_plugin.desc->name, isnan(value) ? "nan" : value > 0 ? "inf" : "-inf",
                          (long long)t->ctx.pub.current_epoch,
                          (long long)b, (long long)t->ctx.pub.global_step);
        return LT_ERROR;
    }
    if (t->optim) ltr_optimizer_zero_grad(t->optim); /* NULL: Lightning's _MockOptimizer */
    t->ctx.hook_name = "backward";
    if (ltr_backward(&t->ctx.pub, loss) != LT_OK) {
        char msg[1024];
        ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s': backward failed: %s",
                          t->module_plugin.desc->name, msg);
        return LT_ERROR;
    }
    if (t->optim && ltr_optimizer_step(t->optim) != LT_OK) {
        char msg[1024];
        ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "optimizer step failed: %s", msg);
        return LT_ERROR;
    }
    *stepped = true;
    return LT_OK;
}

static bool max_steps_reached(const ltr_trainer *t) {
    int64_t ms = t->opts->trainer.max_steps;
    return ms != -1 && t->ctx.pub.global_step >= ms;
}

static lt_status train_epoch(ltr_trainer *t, int64_t epoch, int64_t nbatches, int64_t nval) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    t->ctx.pub.current_epoch = epoch;
    t->ctx.pub.training = true;
    t->active_results = &t->train_results;
    ltr_dataloader_set_epoch(&t->loaders[LT_SPLIT_TRAIN], epoch);
    char label[64];
    snprintf(label, sizeof label, "Epoch %lld", (long long)epoch);
    ltr_progress_start(&t->progress, label, nbatches);

    lt_status rc = call_epoch_hook(t, "on_train_epoch_start", MOD_HOOK(t, on_train_epoch_start));
    int64_t b = 0;
    for (; rc == LT_OK && b < nbatches; b++) {
        if (ltr_interrupted || max_steps_reached(t)) break;
        lt_batch *batch;
        if ((rc = fetch(t, LT_SPLIT_TRAIN, b, &batch))) break;
        t->ctx.pub.batch_idx = b;
        t->ctx.batch_size = (double)batch->size;
        bool stepped;
        rc = train_step(t, batch, b, &stepped);
        end_step_memory(t);
        if (rc) break;
        if (stepped) t->ctx.pub.global_step++;
        /* LR schedulers (Lightning's order): step-interval ones after the optimizer step,
         * epoch-interval ones on the epoch's last batch; plateau ones after the batch's
         * logging (for the last batch: after validation, below) */
        bool last = b + 1 == nbatches;
        if (ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, false, b, false) ||
            (last && ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, false, b, false))) {
            rc = LT_ERROR;
            break;
        }
        ltr_results_collect_step(&t->train_results, &t->logged, &t->pbar, &t->callback);
        ltr_progress_update(&t->progress, b + 1, &t->pbar);
        if (!last && (rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, true, b, false))) break;
    }
    t->ctx.pub.batch_idx = -1;
    if (rc) return rc;
    /* validation runs inside the training epoch, before on_train_epoch_end, when the
     * epoch ran to its end (not cut by max_steps or a signal) */
    bool epoch_complete = b == nbatches;
    if (epoch_complete && nval > 0 && (epoch + 1) % cfg->check_val_every_n_epoch == 0)
        rc = ltr_eval_loop(t, LT_SPLIT_VAL, nval, false);
    if (rc == LT_OK && epoch_complete)
        rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_STEP, true, nbatches - 1, false);
    t->active_results = &t->train_results;
    if (rc == LT_OK)
        rc = call_epoch_hook(t, "on_train_epoch_end", MOD_HOOK(t, on_train_epoch_end));
    end_step_memory(t);
    if (rc == LT_OK) {
        ltr_results_collect_epoch(&t->train_results, &t->logged, &t->pbar, &t->callback);
        ltr_progress_end(&t->progress, &t->pbar);
        /* plateau schedulers of interval "epoch": after the epoch's metrics are logged */
        if (epoch_complete) rc = ltr_update_lr_schedulers(t, LTR_LR_INTERVAL_EPOCH, true, b, false);
    }
    ltr_results_reset(&t->train_results);
    t->active_results = NULL;
    return rc;
}

lt_status ltr_fit_loop(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (!MOD_HOOK(t, training_step)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s' (%s) has no training_step hook: fit "
                          "needs one", t->module_plugin.desc->name, t->module_plugin.path);
        return LT_ERROR;
    }
    int64_t ntrain = ltr_limit_batches(t, "limit_train_batches", cfg->limit_train_batches,
                                       ltr_dataloader_len(&t->loaders[LT_SPLIT_TRAIN]));
    int64_t nval = 0;
    if (t->has_loader[LT_SPLIT_VAL])
        nval = ltr_limit_batches(t, "limit_val_batches", cfg->limit_val_batches,
                                 ltr_dataloader_len(&t->loaders[LT_SPLIT_VAL]));
    if (ntrain < 0 || nval < 0) return LT_ERROR;

    if (call_epoch_hook(t, "on_fit_start", MOD_HOOK(t, on_fit_start))) return LT_ERROR;
    /* sanity check: min(num_sanity_val_steps, val batches) batches, nothing logged */
    int64_t nsanity = cfg->num_sanity_val_steps == -1 ? nval
                      : cfg->num_sanity_val_steps < nval ? cfg->num_sanity_val_steps : nval;
    if (nsanity > 0 && MOD_HOOK(t, validation_step) &&
        ltr_eval_loop(t, LT_SPLIT_VAL, nsanity, true))
        return LT_ERROR;

    lt_status rc = LT_OK;
    for (int64_t epoch = 0; cfg->max_epochs == -1 || epoch < cfg->max_epochs; epoch++) {
        if (ltr_interrupted || max_steps_reached(t)) break;
        if ((rc = train_epoch(t, epoch, ntrain, nval))) break;
        if (ntrain == 0) break; /* limit_train_batches=0: Lightning skips training */
    }
    if (rc == LT_OK) {
        ltr_report_stage(t, "fit", &t->callback);
        rc = call_epoch_hook(t, "on_fit_end", MOD_HOOK(t, on_fit_end));
    }
    return rc;
}
