/*
 * lr_stepping.h — the trainer's automatic stepping of the configured LR schedulers,
 * Lightning's TrainingEpochLoop.update_lr_schedulers / _update_learning_rates.
 *
 * Called from loops/training_epoch.c at Lightning's places:
 *   after each training batch (optimizer step):  (STEP, plateau=false), and on the last
 *                                                 batch of the epoch (EPOCH, false) —
 *                                                 both before on_train_batch_end;
 *   after each batch's validation check:         (STEP, plateau=true);
 *   after on_train_epoch_end and the epoch's
 *   logging, when the epoch ran to its end:      (EPOCH, plateau=true).
 * A scheduler steps when its interval matches and index % frequency == 0, index being
 * batch_idx + 1 (step) or current_epoch + 1 (epoch); step-interval ones never while
 * accumulating gradients. ReduceLROnPlateau reads its monitor from callback_metrics: a
 * missing one is an error when strict (naming the metric and those available), else a
 * warning and no step.
 */
#ifndef LTR_LR_STEPPING_H
#define LTR_LR_STEPPING_H

#include "trainer/trainer.h"

typedef enum ltr_lr_interval { LTR_LR_INTERVAL_STEP = 0, LTR_LR_INTERVAL_EPOCH = 1 } ltr_lr_interval;

/* batch_idx: the batch just run (step interval); accumulating: the batch did not end an
 * accumulation window (Lightning's _should_accumulate()). Errors go through
 * ltr_trainer_error; returns LT_ERROR then. */
lt_status ltr_update_lr_schedulers(ltr_trainer *t, ltr_lr_interval interval, bool plateau,
                                   int64_t batch_idx, bool accumulating);

#endif
