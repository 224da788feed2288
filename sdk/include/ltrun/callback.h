/* ltrun/callback.h — Callback hooks, LT_CALLBACK and the services callbacks use */
#ifndef LTRUN_CALLBACK_H
#define LTRUN_CALLBACK_H

#include "types.h"
#include "descriptor.h"
#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.4: callbacks — lightning.pytorch.Callback. Each hook gets the trainer's ctx and
 * the callback's own state (what create returned). Callbacks run in the order given
 * (--callback, repeatable), before the module's hook of the same name, except where
 * Lightning differs (on_train_epoch_end: monitoring callbacks run after the module). */
enum {
    /* a Checkpoint (ModelCheckpoint): reordered last, and "monitoring" */
    LT_CALLBACK_CHECKPOINT = 1u << 0,
    /* monitors a metric (EarlyStopping): on_train_epoch_end after the module's hook */
    LT_CALLBACK_MONITORING = 1u << 1,
    /* ABI 1.4: progress bar — a ProgressBar (progress_bar plugin): it replaces the
     * built-in bar; with --trainer.enable_progress_bar false it is an error, and two are
     * an error (Lightning's _configure_progress_bar) */
    LT_CALLBACK_PROGRESS_BAR = 1u << 2,
    /* ABI 1.4: progress bar — a ModelSummary (model_summary plugin): it replaces the
     * built-in summary table (Lightning's _configure_model_summary_callback) */
    LT_CALLBACK_MODEL_SUMMARY = 1u << 3
};
typedef struct lt_callback_vtable {
    uint32_t size;
    uint32_t traits; /* LT_CALLBACK_* */
    /* __init__(**init_args): hp holds the JSON given as --callback PATH:JSON */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*on_fit_start)(lt_ctx *ctx, void *self);
    lt_status (*on_fit_end)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_start)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_train_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                    int64_t batch_idx);
    lt_status (*on_validation_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx);
    lt_status (*on_validation_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                         lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                   int64_t batch_idx);
    lt_status (*on_predict_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                        int64_t batch_idx);
    lt_status (*on_predict_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                      lt_batch *batch, int64_t batch_idx);
    lt_status (*on_before_backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    lt_status (*on_after_backward)(lt_ctx *ctx, void *self);
    lt_status (*on_before_optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    lt_status (*on_before_zero_grad)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    void (*on_exception)(lt_ctx *ctx, void *self, const char *message);

    /* ABI 1.4: checkpoint hooks — Callback.state_dict / load_state_dict (under
     * /callbacks/<name>/state, keyed by the callback's name: "name", "name#2" when loaded
     * twice) and on_save_checkpoint / on_load_checkpoint (under /callbacks/<name>/extra).
     * Full checkpoints only; restored for fit only, on_load_checkpoint first (Lightning's
     * restore_callbacks). */
    lt_status (*state_dict)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*load_state_dict)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);
    lt_status (*on_save_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*on_load_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);
} lt_callback_vtable;

/* ABI 1.4: LT_CALLBACK(name, .create = ..., .on_train_epoch_end = ..., ...). */
#define LT_CALLBACK(name, ...) \
    LT__DESCRIPTOR(name, LT_KIND_CALLBACK, lt_callback_vtable, __VA_ARGS__)

/* ABI 1.4: callbacks (runtime/trainer/callback_api.c) — what Lightning's callbacks
 * read from the trainer. */
/* the given value of `key` as JSON text ("null" for null), NULL when not given; the
 * read is recorded (for dict/list hyperparameters such as Timer's duration) */
static inline const char *lt_hp_json(lt_ctx *c, const lt_hparams *h, const char *k) {
    return c->api->hp_json(c, h, k);
}
/* a trainer flag as the Trainer holds it: "val_check_interval" (1.0 = a fraction, or
 * the batch count; NAN when it is a duration), "val_check_time_interval" (a duration's
 * seconds, trainer._val_check_time_interval; NAN for none),
 * "reload_dataloaders_every_n_epochs", "check_val_every_n_epoch" (NAN for None), "fast_dev_run",
 * "max_epochs", "min_epochs", "max_steps", "min_steps", "accumulate_grad_batches",
 * "log_every_n_steps", "num_training_batches", "num_loggers", (ABI 1.4: progress bar)
 * "num_eval_batches", "enable_progress_bar", (ABI 1.8) "test_after_fit" (1 when fit
 * runs the test loop after it: --test); NAN for an unknown key. ABI 1.9: the batch
 * counts ("num_training_batches", "num_val_batches", "num_eval_batches") are INFINITY
 * for an iterable dataset without a length (Lightning's float('inf')): draw no total */
static inline double lt_trainer_flag(lt_ctx *c, const char *key) { return c->api->trainer_flag(c, key); }
/* optimizer.__class__.__name__: "SGD", "Adam", "AdamW", "RMSprop", "Adagrad" */
static inline const char *lt_optimizer_name(lt_ctx *c, const lt_optimizer *o) {
    return c->api->optimizer_name(o);
}
/* trainer.lr_scheduler_configs[i]: fills *cfg (interval, frequency, monitor, strict,
 * name) and returns the scheduler's optimizer; NULL past the end */
static inline lt_optimizer *lt_lr_scheduler_config_at(lt_ctx *c, int i, lt_lr_scheduler_config *cfg) {
    return c->api->lr_scheduler_config(c, i, cfg);
}
/* `for logger in trainer.loggers: logger.log_metrics(metrics, step=
 * _batches_that_stepped)`, bypassing self.log and the logger connector (so no "epoch" is
 * added), as LearningRateMonitor and DeviceStatsMonitor do; nothing without loggers */
static inline lt_status lt_logger_log_metrics(lt_ctx *c, int n, const char *const *names,
                                              const double *values) {
    return c->api->logger_log_metrics(c, n, names, values);
}
/* trainer.callback_metrics[name] = value */
static inline void lt_callback_metric_set(lt_ctx *c, const char *name, double v) {
    c->api->callback_metric_set(c, name, v);
}
/* trainer.accumulate_grad_batches = n (>= 1; read at each batch, e.g. from
 * on_train_epoch_start as GradientAccumulationScheduler does) */
static inline lt_status lt_set_accumulate_grad_batches(lt_ctx *c, int64_t n) {
    return c->api->set_accumulate_grad_batches(c, n);
}
/* ABI 1.4: progress bar — ModelSummary(model, max_depth) as text: Lightning's table
 * (Name, Type, Params, Mode; totals) with one row per module up to max_depth levels
 * of dotted names (-1: all; 0: "" as nothing is summarized). The text is owned by the
 * host and valid until the next call. The totals of the running loop for a progress
 * bar come from lt_trainer_flag: "num_training_batches", "num_eval_batches" (the
 * running sanity-check/validation/test/predict loop's batch count). */
static inline const char *lt_model_summary(lt_ctx *c, int max_depth) {
    return c->api->model_summary(c, max_depth);
}
/* ABI 1.4: swa — the module's parameters and buffers in registration order
 * (model.named_parameters() / named_buffers()), for callbacks that average or copy
 * weights, as StochasticWeightAveraging does. *_at returns the host-owned tensor
 * (write its data in place) and its name through *name (may be NULL); NULL past the
 * end or outside a run. lr_scheduler_config_remove drops trainer.lr_scheduler_configs[i]
 * (the trainer no longer steps it; the scheduler stays owned by the run): what a
 * callback that replaces the scheduler does, as SWA swaps in SWALR. */
static inline int64_t lt_param_count(lt_ctx *c) { return c->api->param_count(c); }
static inline lt_tensor *lt_param_at(lt_ctx *c, int64_t i, const char **name) {
    return c->api->param_at(c, i, name);
}
static inline int64_t lt_buffer_count(lt_ctx *c) { return c->api->buffer_count(c); }
static inline lt_tensor *lt_buffer_at(lt_ctx *c, int64_t i, const char **name) {
    return c->api->buffer_at(c, i, name);
}
static inline lt_status lt_lr_scheduler_config_remove(lt_ctx *c, int i) {
    return c->api->lr_scheduler_config_remove(c, i);
}
/* ABI 1.5: update_bn (runtime/trainer/update_bn.c) — torch.optim.swa_utils.update_bn
 * over the train loader: every BatchNorm layer made with lt_batchnorm_init gets
 * reset_running_stats and momentum=None (cumulative average), then the module's
 * forward(batch[0]) runs on every train batch in train mode without grad, then the
 * momenta come back. For StochasticWeightAveraging after the averaged weights are in
 * the module. Without a forward hook in the module: a warning, nothing changed. */
static inline lt_status lt_update_bn(lt_ctx *c) { return c->api->update_bn(c); }

/* ABI 1.8: callbacks — trainer._logger_connector.log_metrics(metrics, step=step),
 * as ThroughputMonitor logs its validation/test/predict values: step >= 0 goes to every
 * logger as given, without the "epoch" column; step < 0 is step=None (lt_logger_log_metrics:
 * "epoch" added, step = _batches_that_stepped). Nothing without loggers; rank zero only. */
static inline lt_status lt_logger_log_metrics_step(lt_ctx *c, int n, const char *const *names,
                                                   const double *values, int64_t step) {
    return c->api->logger_log_metrics_step(c, n, names, values, step);
}
/* ABI 1.8: callbacks — torch's optimizer.add_param_group({"params": P, "lr": lr})
 * during fit (BaseFinetuning.unfreeze_and_add_param_group): P = the module's parameters
 * whose names match `names` ('|'-separated fnmatch globs, as lt_param_group) and that
 * require grad; the new group takes the optimizer's defaults and `lr` (NAN: the defaults'
 * lr). A matched parameter already in a group of `opt` is torch's ValueError ("some
 * parameters appear in more than one parameter group"). Returns the group's index, -1
 * with an error recorded. Its parameters start with empty state (torch's lazy state). */
static inline int lt_optimizer_add_param_group(lt_ctx *c, lt_optimizer *o, const char *names,
                                               double lr) {
    return c->api->optimizer_add_param_group(c, o, names, lr);
}
/* ABI 1.8: callbacks — is `param` (from lt_param_at) in one of opt's param groups
 * (BaseFinetuning.filter_on_optimizer)? */
static inline bool lt_optimizer_has_param(lt_ctx *c, const lt_optimizer *o, const lt_tensor *p) {
    return c->api->optimizer_has_param(c, o, p);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_CALLBACK_H */
