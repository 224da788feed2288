/*
 * loops.h — what the loop files share (fit.c, training_epoch.c, evaluation.c,
 * prediction.c, automatic.c, manual.c); the trainer's entry points are in trainer.h.
 */
#ifndef LTR_LOOPS_H
#define LTR_LOOPS_H

#include "trainer/trainer.h"

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)
#define DM_HOOK(t, m) LTR_HOOK((t)->dvt, lt_datamodule_vtable, m)

typedef lt_status (*plain_hook_fn)(lt_ctx *, void *);

/* Monotonic seconds (max_time's Timer). */
double ltr_loop_monotonic_s(void);
/* A module-only hook without arguments (on_validation_model_eval, ...). */
lt_status ltr_loop_call_plain(ltr_trainer *t, const char *name, plain_hook_fn fn);
/* Memory of a step dies with the step: intermediates, their grads and the tape. */
void ltr_loop_end_step_memory(ltr_trainer *t);
/* max_steps reached (global_step counts optimizer steps) */
bool ltr_loop_max_steps_reached(const ltr_trainer *t);
/* trainer.should_stop as every rank sees it (any rank's request stops all) */
bool ltr_loop_sync_should_stop(ltr_trainer *t);
/* max_time's Timer: should_stop once the training time reaches the duration */
void ltr_loop_timer_check(ltr_trainer *t, bool training_started);
/* One epoch of the fit loop: _FitLoop.on_advance_start, advance (the training epoch
 * loop), on_advance_end (training_epoch.c). */
lt_status ltr_training_epoch(ltr_trainer *t);
/* reload_dataloaders_every_n_epochs (reload_dataloaders.c): the epochs the loaders were
 * built for, once fit's loop starts (sanity_ran: the sanity check ran); then the train
 * loader at each epoch's start and the val loaders at each validation while fitting,
 * rebuilt from the data module when due. */
lt_status ltr_reload_fit_start(ltr_trainer *t, bool sanity_ran);
lt_status ltr_reload_train_if_due(ltr_trainer *t);
lt_status ltr_reload_val_if_due(ltr_trainer *t);

#endif
