/* ltrun/module.h — LightningModule hooks (lt_module_vtable) and LT_MODULE */
#ifndef LTRUN_MODULE_H
#define LTRUN_MODULE_H

#include "types.h"
#include "options.h"
#include "descriptor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LightningModule hooks. NULL = Lightning's default. `self` is what create returned. */
typedef struct lt_module_vtable {
    uint32_t size;
    /* __init__: build parameters from hparams; return the instance (NULL = failed). */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    /* free what create made with malloc (lt_alloc memory is freed by the host). */
    void (*destroy)(lt_ctx *ctx, void *self);
    /* forward(x): used by predict and by users' steps. */
    lt_tensor *(*forward)(lt_ctx *ctx, void *self, lt_tensor *x);
    /* training_step: return the loss (scalar); NULL without lt_fail skips the batch. */
    lt_tensor *(*training_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*validation_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*test_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    /* configure_optimizers: return lt_sgd(...) / lt_adam(...). Required for fit. Other
     * Lightning forms: lt_add_optimizer / lt_add_lr_scheduler inside it (ABI 1.4). */
    lt_optimizer *(*configure_optimizers)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*on_fit_start)(lt_ctx *ctx, void *self);
    lt_status (*on_fit_end)(lt_ctx *ctx, void *self);
    /* ABI 1.4: predict — predict_step(batch, batch_idx): the predictions of one batch
     * (written to the --predictions file as dataset "predictions"); NULL without
     * lt_fail = None (nothing written for the batch). Left NULL: forward(batch[0]). */
    lt_tensor *(*predict_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);

    /* ABI 1.4: hooks. Lightning's LightningModule hooks with its arguments; the order
     * they are called in is Lightning's (tests/hooks_expected.txt). */
    lt_status (*on_train_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_end)(lt_ctx *ctx, void *self);
    /* return LT_SKIP_EPOCH to skip the rest of the epoch (Lightning's -1) */
    lt_status (*on_train_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    /* outputs: the loss training_step returned, divided by accumulate_grad_batches
     * (Lightning's outputs["loss"]); NULL when training_step returned NULL */
    lt_status (*on_train_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                    int64_t batch_idx);
    lt_status (*on_validation_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx);
    /* outputs: what validation_step / test_step handed to lt_step_output (ABI 1.8), else NULL */
    lt_status (*on_validation_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                         lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                   int64_t batch_idx);
    lt_status (*on_predict_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                        int64_t batch_idx);
    /* outputs: what predict_step returned */
    lt_status (*on_predict_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                      lt_batch *batch, int64_t batch_idx);
    /* loss: the loss backward is about to run on (already / accumulate_grad_batches) */
    lt_status (*on_before_backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    lt_status (*on_after_backward)(lt_ctx *ctx, void *self);
    lt_status (*on_before_optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    lt_status (*on_before_zero_grad)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    /* override of optimizer_step: the default is lt_optimizer_step(ctx, opt, closure);
     * an override must run the closure (Lightning raises if it did not run) */
    lt_status (*optimizer_step)(lt_ctx *ctx, void *self, int64_t epoch, int64_t batch_idx,
                                lt_optimizer *opt, lt_closure *closure);
    /* override of optimizer_zero_grad: the default is lt_optimizer_zero_grad(ctx, opt) */
    lt_status (*optimizer_zero_grad)(lt_ctx *ctx, void *self, int64_t epoch, int64_t batch_idx,
                                     lt_optimizer *opt);
    /* override of configure_gradient_clipping: gets the Trainer's gradient_clip_val (0 when
     * unset, Lightning's None) and algorithm (NULL when unset); the default calls
     * lt_clip_gradients(ctx, opt, val, algorithm) */
    lt_status (*configure_gradient_clipping)(lt_ctx *ctx, void *self, lt_optimizer *opt,
                                             double gradient_clip_val,
                                             const char *gradient_clip_algorithm);
    /* defaults: model.eval() (lt_train_mode(ctx, false)); *_model_train is called only
     * when given, else the training flag from before the loop is restored */
    lt_status (*on_validation_model_eval)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_model_train)(lt_ctx *ctx, void *self);
    lt_status (*on_test_model_eval)(lt_ctx *ctx, void *self);
    lt_status (*on_test_model_train)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_model_eval)(lt_ctx *ctx, void *self);
    /* default: zero the gradients before validation inside fit (not while accumulating) */
    lt_status (*on_validation_model_zero_grad)(lt_ctx *ctx, void *self);
    /* batch hooks around the (here no-op) device transfer; change fields with
     * lt_batch_set. A data module's hook replaces the module's (Lightning's
     * _DataHookSelector). dataloader_idx is 0 with one dataloader. */
    lt_status (*on_before_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                          int64_t dataloader_idx);
    lt_status (*on_after_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                         int64_t dataloader_idx);

    /* ABI 1.4: lr_scheduler_step override — LightningModule.lr_scheduler_step(scheduler,
     * metric): called by automatic optimization each time a configured scheduler is due.
     * metric is the monitor's value (ReduceLROnPlateau) or NULL (None). The default is
     * lt_lr_scheduler_step(ctx, scheduler), or lt_lr_scheduler_step_metric(ctx,
     * scheduler, *metric) when metric is given; an override decides what stepping means. */
    lt_status (*lr_scheduler_step)(lt_ctx *ctx, void *self, lt_lr_scheduler *scheduler,
                                   const double *metric);

    /* ABI 1.4: checkpoint hooks — LightningModule.on_save_checkpoint(checkpoint): add
     * tensors and JSON (under /extra) with lt_ckpt_put_*; called last when a checkpoint
     * is written, weights_only too. on_load_checkpoint(checkpoint): read them back with
     * lt_ckpt_get_*; called when --ckpt-path is restored, before the weights are loaded
     * (Lightning's restore_model). */
    lt_status (*on_save_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*on_load_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);

    /* ABI 1.5: module hooks — LightningModule.configure_callbacks(): called at the start
     * of every fit/validate/test/predict before prepare_data; add callbacks with
     * lt_add_callback. backward(loss): how the strategy runs loss.backward() for
     * automatic optimization and lt_manual_backward (between on_before_backward and
     * on_after_backward); the default is lt_tensor_backward(ctx, loss). */
    lt_status (*configure_callbacks)(lt_ctx *ctx, void *self);
    lt_status (*backward)(lt_ctx *ctx, void *self, lt_tensor *loss);

    /* ABI 1.9: module hooks — LightningModule.prepare_data(): download/prepare once per
     * node on local rank 0, after the data module's prepare_data and before setup (with
     * lt_set_prepare_data_per_node(ctx, false) in create: once in all, on global rank 0);
     * no state may be set here. configure_model(): in every fit/validate/test/predict
     * after the setup hooks, before the --ckpt-path weights are restored, strategy.setup
     * and configure_optimizers; lt_param and the layer inits are allowed here, so layers
     * can be built late. It runs once per stage (fit --test: twice), so it must be
     * idempotent (build only what is not built yet). transfer_batch_to_device(batch,
     * device, dataloader_idx): between on_before_batch_transfer and on_after_batch_transfer;
     * device is the strategy's root device ("cpu"); an override replaces the default move
     * lt_move_data_to_device(ctx, batch, device) (call it for super()'s), changing fields
     * with lt_batch_set. A data module's transfer_batch_to_device wins over it. */
    lt_status (*prepare_data)(lt_ctx *ctx, void *self);
    lt_status (*configure_model)(lt_ctx *ctx, void *self);
    lt_status (*transfer_batch_to_device)(lt_ctx *ctx, void *self, lt_batch *batch,
                                          const char *device, int64_t dataloader_idx);
} lt_module_vtable;


/* LT_MODULE(name, .create = ..., .training_step = ..., ...): declares the plugin. */
#define LT_MODULE(name, ...) LT__DESCRIPTOR(name, LT_KIND_MODULE, lt_module_vtable, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_MODULE_H */
