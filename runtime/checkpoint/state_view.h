/*
 * state_view.h — what a checkpoint reads and restores, as a view the trainer fills in
 * (trainer/connectors/checkpoint_connector.c), so runtime/checkpoint does not depend on the trainer:
 * the parameter store, the configured optimizers and schedulers, the fit loop's
 * counters, the host generator, the hparams, and every checkpoint hook holder (module,
 * data module, callbacks) with its hooks as the trainer resolved them.
 */
#ifndef LTR_CHECKPOINT_STATE_VIEW_H
#define LTR_CHECKPOINT_STATE_VIEW_H

#include "core/context.h"
#include "optim/configure.h"
#include "tensor/tensor.h"

#include <cjson/cJSON.h>

typedef lt_status (*ltr_ckpt_save_fn)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
typedef lt_status (*ltr_ckpt_load_fn)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);

/* One holder of checkpoint hooks; a NULL hook is not called (absent, or not created). */
typedef struct ltr_ckpt_party {
    const char *who;  /* "module", "data module", "callback": for messages */
    const char *name; /* the plugin's name (a callback's label); NULL when there is none */
    void *self;
    ltr_ckpt_save_fn state_dict, on_save_checkpoint;
    ltr_ckpt_load_fn load_state_dict, on_load_checkpoint;
} ltr_ckpt_party;

/* The fit loop's progress as a checkpoint records it; ltr_ckpt_apply_training_view
 * writes epochs_processed, total_batch_idx, batches_that_stepped, resume_batch and
 * restored, which the connector copies back into the loop. */
typedef struct ltr_ckpt_loop {
    int64_t epochs_processed, total_batch_idx, batches_that_stepped;
    bool epoch_in_progress;     /* an epoch started and has not run its last batch */
    int64_t epoch_index;        /* that epoch */
    int64_t epoch_batches_done; /* its batches completed so far */
    int64_t resume_batch;       /* restored mid-epoch: the next epoch starts here */
    bool restored;
    /* saving: this run's world size and train batch size per rank (0: no train loader);
     * restored: the checkpoint's (unchanged when the file does not record them), so a
     * resume under another world size can find the same global sample (training_epoch.c) */
    int64_t world_size, batch_size;
} ltr_ckpt_loop;

typedef struct ltr_ckpt_state {
    ltr_ctx *ctx;             /* the hooks' context; global_step, current_epoch, seed */
    ltr_param_store *params;  /* the module's parameters and buffers */
    ltr_optim_setup *optim;   /* configure_optimizers' optimizers and schedulers */
    uint64_t *rng;            /* the host generator's four words */
    uint64_t *loader_seed;    /* the train loader's seed; NULL without a train loader */
    ltr_ckpt_loop loop;
    const char *module_name;  /* NULL without a module plugin */
    const char *data_name;    /* NULL without a data plugin */
    const cJSON *model_hp;    /* the given --model.x / --data.x (NULL: none) */
    const cJSON *data_hp;
    /* every value the plugins read, defaults included (hparams.h's record; NULL: none):
     * saved with the given ones, as save_hyperparameters() saves every __init__ argument */
    const cJSON *model_hp_read;
    const cJSON *data_hp_read;
    /* the run's precision (NULL: 32-true): its name goes into /meta, its non-empty
     * state_dict into /precision/<class_name>, restored on resume */
    struct ltr_precision *precision; /* precision/precision.h */
    int compression;          /* --trainer.checkpoint_compression */
    ltr_ckpt_party module, datamodule;
    int ncallbacks;
    /* callback i's hooks into *out (0 <= i < ncallbacks) */
    void (*callback_at)(void *owner, int i, ltr_ckpt_party *out);
    /* around every hook call, for a crash report naming the hook (trainer/fault.h) */
    void (*hook_enter)(void *owner, const char *who, const char *name, const char *hook);
    void (*hook_leave)(void *owner, const char *hook);
    void *owner;              /* what the three functions above get */
} ltr_ckpt_state;

#endif
