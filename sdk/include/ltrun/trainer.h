/* ltrun/trainer.h — trainer control from hooks, manual optimization and backward */
#ifndef LTRUN_TRAINER_H
#define LTRUN_TRAINER_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.4: hooks and trainer control (runtime/trainer/callbacks.c) */
/* trainer.estimated_stepping_batches: optimizer steps fit will take
 * (ceil(batches / accumulate_grad_batches) * max(max_epochs, 1), capped by max_steps);
 * -1 = infinite (max_epochs -1 and max_steps -1) */
static inline int64_t lt_estimated_stepping_batches(lt_ctx *c) {
    return c->api->estimated_stepping_batches(c);
}
/* trainer.should_stop (read and set; honoured once min_epochs/min_steps are met) */
/* ABI 1.8: validation_step / test_step's return value (Lightning's STEP_OUTPUT): called
 * inside the step, it hands `output` (a tensor of the step, e.g. the loss or the
 * predictions) to on_validation_batch_end / on_test_batch_end as their `outputs`; without
 * it they get NULL (Lightning's step returning None). Valid until the batch ends; an
 * error outside those two steps. */
static inline lt_status lt_step_output(lt_ctx *c, lt_tensor *output) {
    return c->api->step_output(c, output);
}
static inline bool lt_should_stop(lt_ctx *c) { return c->api->should_stop(c); }
static inline void lt_set_should_stop(lt_ctx *c, bool stop) { c->api->set_should_stop(c, stop); }
/* optimizer.step(closure): runs the closure (training_step, zero_grad, backward) if
 * given, then on_before_optimizer_step and gradient clipping, then the update.
 * What the default optimizer_step hook does; closure may be NULL. */
static inline lt_status lt_optimizer_step(lt_ctx *c, lt_optimizer *o, lt_closure *closure) {
    return c->api->optimizer_step(c, o, closure);
}
/* optimizer.zero_grad() (set_to_none=True): the default optimizer_zero_grad hook */
static inline lt_status lt_optimizer_zero_grad(lt_ctx *c, lt_optimizer *o) {
    return c->api->optimizer_zero_grad(c, o);
}
/* optimizer_closure(): run the closure alone */
static inline lt_status lt_closure_run(lt_ctx *c, lt_closure *closure) {
    return c->api->closure_run(c, closure);
}
/* LightningModule.clip_gradients(opt, val, algorithm "norm" | "value"): val <= 0 or
 * NULL algorithm take the Trainer's gradient_clip_val / gradient_clip_algorithm */
static inline lt_status lt_clip_gradients(lt_ctx *c, lt_optimizer *o, double val,
                                          const char *algorithm) {
    return c->api->clip_gradients(c, o, val, algorithm);
}
/* model.train(mode) / model.eval(): sets ctx->training (for on_*_model_eval/train) */
static inline void lt_train_mode(lt_ctx *c, bool mode) { c->api->train_mode(c, mode); }
/* replace field `field` of the batch (in on_before/after_batch_transfer) */
static inline lt_status lt_batch_set(lt_ctx *c, lt_batch *b, int field, lt_tensor *value) {
    return c->api->batch_set(c, b, field, value);
}

/* ABI 1.4: manual optimization (runtime/trainer/manual.c; Lightning's "Manual
 * Optimization"). With automatic optimization off, training_step does the work:
 * lt_optimizers, lt_optimizer_zero_grad, lt_manual_backward, lt_optimizer_step (each
 * adds 1 to global_step), lt_lr_scheduler_step; the trainer steps no scheduler, and
 * accumulate_grad_batches != 1 or gradient_clip_val are errors. */
/* self.automatic_optimization = False: call from create (Lightning sets it in __init__) */
static inline lt_status lt_set_automatic_optimization(lt_ctx *c, bool automatic) {
    return c->api->set_automatic_optimization(c, automatic);
}
static inline bool lt_automatic_optimization(lt_ctx *c) { return c->api->automatic_optimization(c); }
/* self.manual_backward(loss): callbacks' then the module's on_before_backward(loss),
 * the backward pass, callbacks' then the module's on_after_backward. Manual mode only. */
static inline lt_status lt_manual_backward(lt_ctx *c, lt_tensor *loss) { return c->api->manual_backward(c, loss); }
/* self.toggle_optimizer(opt): requires_grad off for every parameter of the run's
 * optimizers that opt does not hold (their flags are saved); untoggle_optimizer(opt)
 * restores them */
static inline lt_status lt_toggle_optimizer(lt_ctx *c, lt_optimizer *o) { return c->api->toggle_optimizer(c, o); }
static inline lt_status lt_untoggle_optimizer(lt_ctx *c, lt_optimizer *o) {
    return c->api->untoggle_optimizer(c, o);
}
/* param.requires_grad / param.requires_grad_(flag) (parameters only) */
static inline bool lt_requires_grad(lt_ctx *c, const lt_tensor *t) { return c->api->requires_grad(t); }
static inline lt_status lt_set_requires_grad(lt_ctx *c, lt_tensor *p, bool requires_grad) {
    return c->api->set_requires_grad(c, p, requires_grad);
}
/* trainer.default_root_dir (--trainer.default_root_dir, "." by default) */
static inline const char *lt_default_root_dir(lt_ctx *c) { return c->api->default_root_dir(c); }
/* ABI 1.5: module hooks — inside the module's configure_callbacks hook only: add a
 * callback plugin (a name on the plugin search path or a path) with its init args as
 * a JSON object text (NULL: {}). Lightning's _attach_model_callbacks: callbacks the
 * module adds replace every trainer callback of the same plugin, then Checkpoint
 * callbacks are moved last. */
static inline lt_status lt_add_callback(lt_ctx *c, const char *name_or_path, const char *json) {
    return c->api->add_callback(c, name_or_path, json);
}
/* loss.backward(): gradients of a scalar into the parameters' .grad (accumulating).
 * The default of the module's backward hook; an override calls it itself. */
static inline lt_status lt_tensor_backward(lt_ctx *c, lt_tensor *loss) {
    return c->api->tensor_backward(c, loss);
}

/* ABI 1.9: module hooks — self.prepare_data_per_node = per_node, from the create hook of
 * the module or the data module (Lightning sets it in __init__; each has its own, true by
 * default): true: its prepare_data runs on local rank 0 of every node; false: only on
 * node 0's local rank 0. */
static inline lt_status lt_set_prepare_data_per_node(lt_ctx *c, bool per_node) {
    return c->api->set_prepare_data_per_node(c, per_node);
}
/* ABI 1.9: module hooks — the default of transfer_batch_to_device (Lightning's
 * move_data_to_device(batch, device)): the strategy's batch_to_device. device: NULL or
 * the device the hook was given (ltrun moves batches only to the strategy's root device). */
static inline lt_status lt_move_data_to_device(lt_ctx *c, lt_batch *batch, const char *device) {
    return c->api->move_data_to_device(c, batch, device);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_TRAINER_H */
