/*
 * hooks.h — hook dispatch in Lightning's order: callback plugins and the module's hooks
 *.
 *
 * Lightning calls most hooks as a pair, trainer/call.py's
 *     _call_callback_hooks(trainer, name, *args)      every callback, in list order
 *     _call_lightning_module_hook(trainer, name, *args)
 * ltr_hook_call does exactly that pair. The exceptions are spelled out by the callers:
 * setup/teardown (data module, callbacks, module), on_train_epoch_end (non-monitoring
 * callbacks, module, monitoring callbacks), callback-only hooks (on_sanity_check_*),
 * module-only hooks (on_validation_model_eval, ...).
 *
 * The callback list is the --callback plugins in the order given, then Lightning's
 * _reorder_callbacks: callbacks with LT_CALLBACK_CHECKPOINT go last.
 */
#ifndef LTR_HOOKS_H
#define LTR_HOOKS_H

#include "ltrun.h"
#include "plugin/loader.h"

#include <stdbool.h>
#include <stdint.h>

struct ltr_trainer;

/* Hooks that exist on callbacks and (mostly) on the module, with one signature each. */
typedef enum ltr_hook_id {
    LTR_H_SETUP, LTR_H_TEARDOWN,
    LTR_H_ON_FIT_START, LTR_H_ON_FIT_END,
    LTR_H_ON_SANITY_CHECK_START, LTR_H_ON_SANITY_CHECK_END, /* callbacks only */
    LTR_H_ON_TRAIN_START, LTR_H_ON_TRAIN_END,
    LTR_H_ON_VALIDATION_START, LTR_H_ON_VALIDATION_END,
    LTR_H_ON_TEST_START, LTR_H_ON_TEST_END,
    LTR_H_ON_PREDICT_START, LTR_H_ON_PREDICT_END,
    LTR_H_ON_TRAIN_EPOCH_START, LTR_H_ON_TRAIN_EPOCH_END,
    LTR_H_ON_VALIDATION_EPOCH_START, LTR_H_ON_VALIDATION_EPOCH_END,
    LTR_H_ON_TEST_EPOCH_START, LTR_H_ON_TEST_EPOCH_END,
    LTR_H_ON_PREDICT_EPOCH_START, LTR_H_ON_PREDICT_EPOCH_END,
    LTR_H_ON_TRAIN_BATCH_START, LTR_H_ON_TRAIN_BATCH_END,
    LTR_H_ON_VALIDATION_BATCH_START, LTR_H_ON_VALIDATION_BATCH_END,
    LTR_H_ON_TEST_BATCH_START, LTR_H_ON_TEST_BATCH_END,
    LTR_H_ON_PREDICT_BATCH_START, LTR_H_ON_PREDICT_BATCH_END,
    LTR_H_ON_BEFORE_BACKWARD, LTR_H_ON_AFTER_BACKWARD,
    LTR_H_ON_BEFORE_OPTIMIZER_STEP, LTR_H_ON_BEFORE_ZERO_GRAD,
    LTR_H_COUNT
} ltr_hook_id;

/* The arguments a hook may take; each hook reads the ones of its signature. */
typedef struct ltr_hook_args {
    lt_stage stage;
    lt_batch *batch;
    int64_t batch_idx;
    lt_tensor *tensor; /* outputs (batch_end) or loss (on_before_backward) */
    lt_optimizer *opt;
} ltr_hook_args;

/* Which callbacks a call reaches (Lightning's monitoring_callbacks argument). */
typedef enum { LTR_CB_ALL, LTR_CB_NON_MONITORING, LTR_CB_MONITORING } ltr_cb_select;

typedef struct ltr_callback {
    ltr_plugin plugin;
    const lt_callback_vtable *vt; /* size-checked through LTR_HOOK */
    void *self;                   /* what create returned */
    bool created;
    lt_hparams *hp;               /* owned */
    char label[64];               /* "name" or "name#2" when loaded twice */
    struct cJSON *owned_args;     /* init args parsed for lt_add_callback (owned) */
    bool implicit;                /* the trainer's default ModelCheckpoint (not given) */
} ltr_callback;

typedef struct ltr_callback_set {
    ltr_callback *items; /* owned, n entries, in dispatch order */
    int n, cap;
} ltr_callback_set;

const char *ltr_hook_name(ltr_hook_id h);

/* Load every --callback plugin (kind callback, explicit .so paths) and run their create
 * hooks with their init args; reorders Checkpoint callbacks last. */
lt_status ltr_callbacks_load(struct ltr_trainer *t);
/* one callback plugin (name or path) created with init_args and appended; `option`
 * names the source in errors ("--callback", "configure_callbacks") */
lt_status ltr_callback_add(struct ltr_trainer *t, const char *spec, const struct cJSON *init_args,
                           const char *option);
/* Lightning's _reorder_callbacks (Checkpoint callbacks last) and the progress-bar rules */
lt_status ltr_callbacks_arrange(struct ltr_trainer *t);
void ltr_callback_destroy(struct ltr_trainer *t, ltr_callback *cb);
/* does a configured callback have the trait (LT_CALLBACK_PROGRESS_BAR, ...)? */
bool ltr_callbacks_have(const struct ltr_trainer *t, uint32_t trait);
/* destroy hooks, then unload. */
void ltr_callbacks_free(struct ltr_trainer *t);

/* _call_callback_hooks: every selected callback's hook, in order; stops at the first
 * error (reported with the callback's name and path). */
lt_status ltr_callbacks_call(struct ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a,
                             ltr_cb_select which);
/* on_exception(message) on every callback and the data module (Lightning's _interrupt). */
void ltr_callbacks_on_exception(struct ltr_trainer *t, const char *message);
/* Is the module's hook h given (Lightning's is_overridden)? */
bool ltr_module_has(struct ltr_trainer *t, ltr_hook_id h);
/* _call_lightning_module_hook: the module's hook if given. Returns LT_OK, LT_ERROR
 * (reported), or LT_SKIP_EPOCH from on_train_batch_start. */
lt_status ltr_module_call(struct ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a);
/* The pair: callbacks (all), then the module. Returns the module hook's status. */
lt_status ltr_hook_call(struct ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a);

/* lt_host_api members (ABI 1.4, loops/automatic.c); ctx->trainer is the running trainer */
int64_t ltr_api_estimated_stepping_batches(lt_ctx *c);
bool ltr_api_should_stop(lt_ctx *c);
void ltr_api_set_should_stop(lt_ctx *c, bool stop);
lt_status ltr_api_optimizer_step(lt_ctx *c, lt_optimizer *opt, lt_closure *closure);
lt_status ltr_api_optimizer_zero_grad(lt_ctx *c, lt_optimizer *opt);
lt_status ltr_api_closure_run(lt_ctx *c, lt_closure *closure);
lt_status ltr_api_clip_gradients(lt_ctx *c, lt_optimizer *opt, double val, const char *algorithm);
void ltr_api_train_mode(lt_ctx *c, bool mode);
lt_status ltr_api_batch_set(lt_ctx *c, lt_batch *b, int field, lt_tensor *value);
/* ABI 1.4: log_every_n_steps (log_gating.c) */
bool ltr_api_should_update_logs(lt_ctx *c);
/* Before a plugin reads callback_metrics / logged_metrics / progress_bar_metrics: the
 * running loop's results go into them first, as Lightning's trainer.*_metrics
 * properties do (log_gating.c). t is the running ltr_trainer (ctx->trainer). */
void ltr_trainer_refresh_metrics(void *t);
/* lt_host_api members (ABI 1.4, manual optimization: loops/manual.c) */
lt_status ltr_api_set_automatic_optimization(lt_ctx *c, bool automatic);
bool ltr_api_automatic_optimization(lt_ctx *c);
lt_status ltr_api_manual_backward(lt_ctx *c, lt_tensor *loss);
lt_status ltr_api_toggle_optimizer(lt_ctx *c, lt_optimizer *opt);
lt_status ltr_api_untoggle_optimizer(lt_ctx *c, lt_optimizer *opt);
bool ltr_api_requires_grad(const lt_tensor *t);
lt_status ltr_api_set_requires_grad(lt_ctx *c, lt_tensor *p, bool requires_grad);
const char *ltr_api_default_root_dir(lt_ctx *c);
/* lt_save_checkpoint */
lt_status ltr_api_save_checkpoint(lt_ctx *ctx, const char *path, bool weights_only);
/* ABI 1.4: model_checkpoint paths (checkpoint_path.c) */
void ltr_api_checkpoint_paths_set(lt_ctx *ctx, const char *best, const char *last);
/* ABI 1.4: progress bar (summary.c) */
const char *ltr_api_model_summary(lt_ctx *ctx, int max_depth);
/* lt_host_api members (ABI 1.4, callbacks: callback_api.c) */
const char *ltr_api_hp_json(lt_ctx *c, const lt_hparams *hp, const char *key);
double ltr_api_trainer_flag(lt_ctx *c, const char *key);
lt_status ltr_api_step_output(lt_ctx *c, lt_tensor *output);
/* ABI 1.9: processes and collectives (collectives_api.c) */
int64_t ltr_api_dist_topology(lt_ctx *c, int key);
lt_status ltr_api_dist_barrier(lt_ctx *c, const char *name);
lt_status ltr_api_dist_broadcast(lt_ctx *c, void *buf, size_t bytes, int64_t src);
lt_status ltr_api_dist_reduce(lt_ctx *c, double *values, int64_t n, int op);
lt_status ltr_api_dist_reduce_bool(lt_ctx *c, bool *decision, bool all);
lt_tensor *ltr_api_dist_all_gather(lt_ctx *c, const lt_tensor *x);
/* ABI 1.9: module hooks — lt_set_prepare_data_per_node (connectors/data_connector.c),
 * lt_move_data_to_device (loops/fit.c) */
lt_status ltr_api_set_prepare_data_per_node(lt_ctx *c, bool per_node);
lt_status ltr_api_move_data_to_device(lt_ctx *c, lt_batch *batch, const char *device);
const char *ltr_api_optimizer_name(const lt_optimizer *opt);
lt_optimizer *ltr_api_lr_scheduler_config(lt_ctx *c, int i, lt_lr_scheduler_config *cfg);
/* ABI 1.8: lt_log_image / lt_log_histogram / lt_log_text (connectors/logger_media.c) */
lt_status ltr_api_log_image(lt_ctx *c, const char *name, const lt_tensor *img);
lt_status ltr_api_log_histogram(lt_ctx *c, const char *name, const lt_tensor *values);
lt_status ltr_api_log_text(lt_ctx *c, const char *name, const char *text);
lt_status ltr_api_logger_log_metrics(lt_ctx *c, int n, const char *const *names, const double *values);
lt_status ltr_api_logger_log_metrics_step(lt_ctx *c, int n, const char *const *names,
                                          const double *values, int64_t step);
void ltr_api_callback_metric_set(lt_ctx *c, const char *name, double value);
lt_status ltr_api_set_accumulate_grad_batches(lt_ctx *c, int64_t n);
/* ABI 1.4: swa (swa_api.c) */
int64_t ltr_api_param_count(lt_ctx *c);
lt_tensor *ltr_api_param_at(lt_ctx *c, int64_t i, const char **name);
/* ABI 1.8: gradients (grad_api.c) */
lt_tensor *ltr_api_grad(lt_ctx *c, const lt_tensor *param);
int64_t ltr_api_grad_norm(lt_ctx *c, double norm_type, const char **names, double *values,
                          int64_t cap);
/* ABI 1.9: the gradients extension's should_accumulate (grad_api.c) */
bool ltr_api_should_accumulate(lt_ctx *c);
int64_t ltr_api_buffer_count(lt_ctx *c);
lt_tensor *ltr_api_buffer_at(lt_ctx *c, int64_t i, const char **name);
lt_status ltr_api_lr_scheduler_config_remove(lt_ctx *c, int i);
/* ABI 1.5: module hooks (model_callbacks.c) */
lt_status ltr_api_add_callback(lt_ctx *c, const char *name_or_path, const char *init_args_json);
lt_status ltr_api_tensor_backward(lt_ctx *c, lt_tensor *loss);
/* LightningModule.configure_callbacks at the start of a stage (_attach_model_callbacks) */
lt_status ltr_attach_model_callbacks(struct ltr_trainer *t);
/* Strategy.backward's model.backward(loss): the module's override or loss.backward() */
lt_status ltr_module_backward(struct ltr_trainer *t, lt_tensor *loss);
/* ABI 1.5: checkpoint dir (checkpoint_dir.c) */
lt_status ltr_api_checkpoint_dir(lt_ctx *ctx, char *buf, size_t cap);
void ltr_api_checkpoint_dirpath_add(lt_ctx *ctx, const char *dirpath);
/* ABI 1.5: update_bn (update_bn.c) */
lt_status ltr_api_update_bn(lt_ctx *ctx);

#endif
