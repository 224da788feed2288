/*
 * ckpt_connector.h — the trainer's checkpoints (Lightning's _CheckpointConnector): the
 * trainer's state as the view runtime/checkpoint reads (checkpoint/state_view.h), and
 * the save / open / restore entry points the trainer and its tests call.
 */
#ifndef LTR_TRAINER_CKPT_CONNECTOR_H
#define LTR_TRAINER_CKPT_CONNECTOR_H

#include "ltrun.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct ltr_trainer;
struct ltr_ckpt;
struct ltr_ckpt_state;

/* Fill *s from t (pointers into t; valid while t is). */
void ltr_trainer_ckpt_state(struct ltr_trainer *t, struct ltr_ckpt_state *s);

/* Write t's state to path (weights_only: meta, hparams and state_dict only), at
 * --trainer.checkpoint_compression, or at `compression` (see ltr_ckpt_save_level_view). */
lt_status ltr_ckpt_save(struct ltr_trainer *t, const char *path, bool weights_only, char *err,
                        size_t cap);
lt_status ltr_ckpt_save_level(struct ltr_trainer *t, const char *path, bool weights_only,
                              int compression, char *err, size_t cap);
/* Phase 1 against t's module (see checkpoint.h); then the weights, and for fit the
 * optimizers, schedulers, loop progress and generator. */
struct ltr_ckpt *ltr_ckpt_open(struct ltr_trainer *t, const char *path, bool strict, char *err,
                               size_t cap);
void ltr_ckpt_apply_weights(struct ltr_trainer *t, struct ltr_ckpt *c);
lt_status ltr_ckpt_apply_training(struct ltr_trainer *t, struct ltr_ckpt *c, char *err, size_t cap);
/* The load hooks in Lightning's order (checkpoint/ckpt_hooks.c) on c's file */
lt_status ltr_ckpt_load_module_hook(struct ltr_trainer *t, struct ltr_ckpt *c, char *err, size_t cap);
lt_status ltr_ckpt_load_other_hooks(struct ltr_trainer *t, struct ltr_ckpt *c, bool fitting, char *err,
                                    size_t cap);
/* load_from_checkpoint: the hparams `which` ("module" or "data") saved in --ckpt-path
 * with `given` on top; NULL when there is no readable checkpoint (use `given`). Owned by
 * the caller. */
cJSON *ltr_ckpt_merged_hparams(const struct ltr_trainer *t, const char *which, const cJSON *given);

#endif
