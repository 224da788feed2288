/*
 * reload_dataloaders.c — Trainer(reload_dataloaders_every_n_epochs=n): the train and
 * val loaders are rebuilt from the data module every n epochs, as Lightning's
 * _FitLoop.setup_data (at each epoch's on_advance_start, before on_train_epoch_start)
 * and _EvaluationLoop.setup_data (at a validation while fitting) re-call
 * train_dataloader() / val_dataloader() once current_epoch - the epoch of the last
 * build >= n. Here that is the data module's dataset hook for the split, asked again
 * with ctx->current_epoch set (so a data module can grow its data, a curriculum), and the
 * split's loaders built anew under the Trainer's flags; the batch counts and
 * val_check_batch follow. The epoch bookkeeping is Lightning's: the train loader counts
 * as built at fit's start (after the sanity check), the val loader at the sanity check
 * when that ran in a validation epoch (else it reloads at the first validation), or at
 * the first validation when no sanity check ran (where Lightning first builds it).
 */
#include "trainer/loops/loops.h"

#include "trainer/hooks.h"

lt_status ltr_reload_fit_start(ltr_trainer *t, bool sanity_ran) {
    ltr_loop_state *L = &t->loop;
    const ltr_trainer_config *cfg = &t->opts->trainer;
    L->train_reload_epoch = L->epochs_processed;
    L->val_reload_known = sanity_ran;
    /* the sanity check's setup_data records its epoch only when it is a validation epoch */
    L->val_reload_never = sanity_ran && !cfg->check_val_every_n_epoch_none &&
                          (L->epochs_processed + 1) % cfg->check_val_every_n_epoch != 0;
    L->val_reload_epoch = L->epochs_processed;
    return LT_OK;
}

/* The val loaders and their batch counts, anew (_EvaluationLoop.setup_data) */
static lt_status rebuild_val(ltr_trainer *t) {
    ltr_loop_state *L = &t->loop;
    ltr_trainer_free_loaders(t, LT_SPLIT_VAL);
    if (ltr_trainer_build_loader(t, LT_SPLIT_VAL) || ltr_trainer_barrier(t, "val_dataloader()"))
        return LT_ERROR;
    L->num_val_batches = 0;
    if (t->has_loader[LT_SPLIT_VAL] && MOD_HOOK(t, validation_step)) {
        int64_t n = ltr_eval_max_batches(t, LT_SPLIT_VAL, "limit_val_batches",
                                         t->opts->trainer.limit_val_batches, L->val_batches);
        if (n < 0) return LT_ERROR;
        L->num_val_batches = n;
    }
    return LT_OK;
}

lt_status ltr_reload_train_if_due(ltr_trainer *t) {
    ltr_loop_state *L = &t->loop;
    int64_t n = t->opts->trainer.reload_dataloaders_every_n_epochs;
    int64_t epoch = L->epochs_processed;
    if (n <= 0 || epoch - L->train_reload_epoch < n) return LT_OK;
    ltr_trainer_free_loaders(t, LT_SPLIT_TRAIN);
    if (ltr_trainer_build_loader(t, LT_SPLIT_TRAIN) || ltr_trainer_barrier(t, "train_dataloader()"))
        return LT_ERROR;
    if (!t->has_loader[LT_SPLIT_TRAIN]) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "data module '%s': reload_dataloaders_every_n_epochs asked for the train "
                          "dataset again at epoch %lld and got none",
                          ltr_trainer_plugin_name(t, false), (long long)epoch);
        return LT_ERROR;
    }
    /* num_training_batches and val_check_batch of the new loader; total_batch_idx goes
     * on counting across epochs */
    int64_t total = L->total_batch_idx;
    L->estimated_ready = false;
    if (ltr_fit_setup_data(t)) return LT_ERROR;
    L->total_batch_idx = total;
    L->train_reload_epoch = epoch;
    /* setup_data restarts the wall-time interval of a time-based val_check_interval */
    if (t->opts->trainer.val_check_is_time) L->last_val_time = ltr_loop_monotonic_s();
    return LT_OK;
}

lt_status ltr_reload_val_if_due(ltr_trainer *t) {
    ltr_loop_state *L = &t->loop;
    int64_t n = t->opts->trainer.reload_dataloaders_every_n_epochs;
    int64_t epoch = t->ctx.pub.current_epoch;
    if (!L->val_reload_known) { /* Lightning builds it here: it was built at fit's start */
        L->val_reload_known = true;
        L->val_reload_epoch = epoch;
        return LT_OK;
    }
    if (n <= 0 || (!L->val_reload_never && epoch - L->val_reload_epoch < n)) return LT_OK;
    L->val_reload_never = false;
    L->val_reload_epoch = epoch;
    return rebuild_val(t);
}
