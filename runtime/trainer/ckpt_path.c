/*
 * ckpt_path.c — where `--ckpt-path` is honoured (issue 4). Owned by the entry-points
 * work until checkpoints exist.
 *
 * Lightning restores a checkpoint after the setup hooks and before the loop
 * (trainer._run: setup, configure_model, _restore_modules_and_callbacks, then
 * strategy.setup / configure_optimizers and the optimizer/loop state for fit). ltrun's
 * run_stage calls ltr_checkpoint_restore at that point for fit, validate, test and
 * predict. HDF5 checkpoints arrive with a later issue: loading plugs in here, and until
 * then any path (a file, "best" or "last") is refused with what to do instead.
 */
#include "trainer/trainer.h"

lt_status ltr_checkpoint_restore(ltr_trainer *t, const char *ckpt_path, lt_stage stage) {
    static const char *const stage_names[] = {"fit", "validate", "test", "predict"};
    if (!ckpt_path) return LT_OK;
    ltr_trainer_error(t, LTR_EXIT_USAGE,
                      "--ckpt-path %s: loading checkpoints is not implemented yet (ltrun %s "
                      "cannot resume or evaluate a saved model in this version); run without "
                      "--ckpt-path to %s the freshly initialised model",
                      ckpt_path, stage_names[stage & 3],
                      stage == LT_STAGE_FIT ? "train" : stage_names[stage & 3]);
    return LT_ERROR;
}
