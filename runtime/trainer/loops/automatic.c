/*
 * automatic.c — Lightning's automatic optimization of one batch and the trainer
 * services plugins reach through the host API.
 *
 * One batch, in Lightning's call order (loops/optimization/automatic.py,
 * plugins/precision/precision.py, core/module.py, reference/lightning.md §1.3):
 *
 *   if accumulating (not the last batch of a window nor of the epoch):
 *       closure()                                         no optimizer_step at all
 *   else:
 *       LM.optimizer_step(epoch, batch_idx, opt, closure)   default: lt_optimizer_step
 *         optimizer.step(closure=wrapped):
 *           closure():
 *             loss = LM.training_step(batch, batch_idx) / accumulate_grad_batches
 *             if batch_idx % accumulate_grad_batches == 0:
 *                 CB/LM on_before_zero_grad(opt); LM.optimizer_zero_grad(epoch, idx, opt)
 *             if loss is not None:
 *                 CB/LM on_before_backward(loss); backward; CB/LM on_after_backward
 *           CB/LM on_before_optimizer_step(opt)
 *           LM.configure_gradient_clipping(opt, clip_val, algorithm) -> clip_gradients
 *           the update
 *       an optimizer_step override that never ran the closure is an error
 *       (Lightning: "The closure hasn't been executed").
 */
#include "trainer/trainer.h"

#include "optim/clip_grad.h"
#include "optim/optimizer.h"
#include "accelerators/registry.h"
#include "accelerators/accelerator.h"
#include "strategy/strategy.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)

struct lt_closure {
    ltr_trainer *t;
    lt_batch *batch;
    int64_t batch_idx;
    lt_optimizer *opt;
    bool zero_grad;     /* first batch of an accumulation window */
    bool executed;
    lt_tensor *loss;    /* training_step's loss / accumulate_grad_batches, or NULL */
};

static ltr_trainer *trainer_of(lt_ctx *c, const char *what) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t) ltr_fail(c, "%s: no trainer is running here", what);
    return t;
}

/* A host-level failure inside a hook chain: keep the first message for the report. */
static lt_status step_error(ltr_trainer *t, const char *what) {
    char msg[1024] = "";
    ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s': %s failed: %s",
                      t->module_plugin.desc->name, what, msg[0] ? msg : "unknown error");
    return LT_ERROR;
}

lt_status ltr_strategy_backward(ltr_trainer *t, lt_tensor *loss, lt_optimizer *opt,
                                int64_t batch_idx) {
    ltr_hook_args a = {.opt = opt, .batch_idx = batch_idx, .tensor = loss};
    if (ltr_hook_call(t, LTR_H_ON_BEFORE_BACKWARD, &a)) return LT_ERROR;
    t->ctx.hook_name = "backward";
    if (t->tools.profiler) ltr_profiler_start(t->tools.profiler, "[Strategy]", "backward");
    /* precision.pre_backward, LightningModule.backward (ABI 1.5), precision.post_backward */
    lt_status brc = t->strategy->ops->backward(t->strategy, &t->ctx.pub, loss);
    if (t->tools.profiler) ltr_profiler_stop(t->tools.profiler, "[Strategy]", "backward");
    if (brc != LT_OK) return LT_ERROR; /* the message stays on the context */
    t->ctx.hook_name = NULL;
    return ltr_hook_call(t, LTR_H_ON_AFTER_BACKWARD, &a) ? LT_ERROR : LT_OK;
}


/* --trainer.stop_on_nonfinite_loss: one flag written on the loss's device, read instead of
 * the loss itself (the value is read only to say what it is); LT_ERROR, reported, when the
 * loss is nan or inf. */
static lt_status refuse_nonfinite_loss(ltr_trainer *t, lt_tensor *loss, int64_t batch_idx) {
    lt_tensor *finite = ltr_empty(&t->ctx.pub, LT_BOOL, 0, NULL);
    if (!finite) return step_error(t, "checking that the loss is finite");
    ltr_kernels_of(loss)->all_finite(loss, finite);
    if (ltr_fetch(finite, 0)) return LT_OK; /* one flag read, not the loss */
    double value = ltr_fetch(loss, 0);
    ltr_trainer_error(t, LTR_EXIT_TRAINING,
                      "module '%s', hook training_step: the loss is %s at epoch %lld, batch %lld "
                      "(global step %lld): stopping before it corrupts the weights "
                      "(--trainer.stop_on_nonfinite_loss true); lower the learning rate or check "
                      "the data",
                      t->module_plugin.desc->name, isnan(value) ? "nan" : value > 0 ? "inf" : "-inf",
                      (long long)t->ctx.pub.current_epoch, (long long)batch_idx,
                      (long long)t->ctx.pub.global_step);
    return LT_ERROR;
}

static lt_status closure_run(ltr_trainer *t, lt_closure *cl) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    lt_tensor *(*step)(lt_ctx *, void *, lt_batch *, int64_t) = MOD_HOOK(t, training_step);
    cl->executed = true;
    cl->loss = NULL;
    const char *hook = t->ctx.hook_name; /* we may run inside the optimizer_step hook */
    const char *plugin = t->ctx.plugin_name;
    if (ltr_step_context_enter(t, "training_step")) return LT_ERROR;
    ltr_trainer_hook_begin(t, true, "training_step");
    lt_tensor *loss = step(&t->ctx.pub, t->module, cl->batch, cl->batch_idx);
    ltr_step_context_exit(t, "training_step");
    if (ltr_trainer_hook_done(t, true, "training_step", LT_OK)) return LT_ERROR;
    if (loss) {
        if (ltr_numel(loss) != 1 || !(loss->flags & LTR_T_REQUIRES_GRAD)) {
            char shape[96];
            ltr_trainer_error(t, LTR_EXIT_TRAINING,
                              "module '%s', hook training_step: the returned loss must be a "
                              "one-element tensor computed from the parameters (got shape %s%s)",
                              t->module_plugin.desc->name, ltr_shape_str(loss, shape, sizeof shape),
                              loss->flags & LTR_T_REQUIRES_GRAD ? "" : ", no gradient");
            return LT_ERROR;
        }
        /* Lightning trains on with a nan/inf loss (EarlyStopping's check_finite stops
         * it when asked); --trainer.stop_on_nonfinite_loss is ltrun's opt-in guard */
        if (cfg->stop_on_nonfinite_loss && refuse_nonfinite_loss(t, loss, cl->batch_idx))
            return LT_ERROR;
        /* ClosureResult.from_training_step_output: loss / accumulate_grad_batches */
        if (cfg->accumulate_grad_batches > 1) {
            loss = ltr_mul_scalar(&t->ctx.pub, loss, 1.0 / (double)cfg->accumulate_grad_batches);
            if (!loss) return step_error(t, "dividing the loss by accumulate_grad_batches");
        }
    }
    cl->loss = loss;
    ltr_hook_args a = {.opt = cl->opt, .batch_idx = cl->batch_idx, .tensor = loss};
    if (cl->zero_grad) {
        if (ltr_hook_call(t, LTR_H_ON_BEFORE_ZERO_GRAD, &a)) return LT_ERROR;
        lt_status (*zg)(lt_ctx *, void *, int64_t, int64_t, lt_optimizer *) =
            MOD_HOOK(t, optimizer_zero_grad);
        if (zg) {
            ltr_trainer_hook_begin(t, true, "optimizer_zero_grad");
            if (ltr_trainer_hook_done(t, true, "optimizer_zero_grad",
                                      zg(&t->ctx.pub, t->module, t->ctx.pub.current_epoch,
                                         cl->batch_idx, cl->opt)))
                return LT_ERROR;
        } else {
            ltr_optimizer_zero_grad(cl->opt);
        }
    }
    if (loss && ltr_strategy_backward(t, loss, cl->opt, cl->batch_idx))
        return t->exit_code ? LT_ERROR : step_error(t, "backward");
    t->ctx.hook_name = hook;
    t->ctx.plugin_name = plugin;
    return LT_OK;
}

/* precision.clip_gradients: clip_val <= 0 does nothing; the parameters clipped are the
 * optimizer's (main_params(optimizer)), which matters once optimizers hold subsets */
static lt_status clip(ltr_trainer *t, lt_optimizer *opt, double val, const char *algorithm) {
    if (!(val > 0) || !opt) return LT_OK;
    int64_t n = ltr_optimizer_param_list(opt, NULL);
    lt_tensor **params = malloc((size_t)(n > 0 ? n : 1) * sizeof *params);
    if (!params) return ltr_fail(&t->ctx.pub, "clip_gradients: out of memory");
    ltr_optimizer_param_list(opt, params);
    if (!strcmp(algorithm, "value")) ltr_clip_grad_value(params, n, val);
    else ltr_clip_grad_norm(params, n, val);
    free(params);
    return LT_OK;
}

/* LightningModule.clip_gradients: None takes the Trainer's values; a value that
 * contradicts the Trainer's is an error, as in Lightning. */
static lt_status clip_gradients(ltr_trainer *t, lt_optimizer *opt, double val,
                                const char *algorithm) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (!(val > 0)) val = cfg->gradient_clip_val;
    else if (cfg->gradient_clip_val > 0 && cfg->gradient_clip_val != val)
        return ltr_fail(&t->ctx.pub, "you have set Trainer(gradient_clip_val=%g) and have "
                                     "passed clip_gradients(gradient_clip_val=%g); use only one",
                        cfg->gradient_clip_val, val);
    if (!algorithm || !*algorithm)
        algorithm = cfg->gradient_clip_algorithm[0] ? cfg->gradient_clip_algorithm : "norm";
    if (strcmp(algorithm, "norm") && strcmp(algorithm, "value"))
        return ltr_fail(&t->ctx.pub, "gradient_clip_algorithm '%s' is invalid; allowed: value, "
                                     "norm", algorithm);
    return clip(t, opt, val, algorithm);
}

/* optimizer.step(closure) through the precision plugin: closure, _after_closure
 * (on_before_optimizer_step, clipping), the update. */
static lt_status optimizer_step(ltr_trainer *t, lt_optimizer *opt, lt_closure *cl) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    const char *hook = t->ctx.hook_name;
    const char *plugin = t->ctx.plugin_name;
    if (cl && closure_run(t, cl)) return LT_ERROR;
    ltr_hook_args a = {.opt = opt};
    if (ltr_hook_call(t, LTR_H_ON_BEFORE_OPTIMIZER_STEP, &a)) return LT_ERROR;
    /* _clip_gradients: configure_gradient_clipping(opt, trainer's val or None, algo or None);
     * not with manual optimization (Precision._clip_gradients returns early) */
    lt_status (*cgc)(lt_ctx *, void *, lt_optimizer *, double, const char *) =
        MOD_HOOK(t, configure_gradient_clipping);
    if (t->manual.enabled) {
        /* the user clips with lt_clip_gradients in training_step, if at all */
    } else if (cgc) {
        ltr_trainer_hook_begin(t, true, "configure_gradient_clipping");
        if (ltr_trainer_hook_done(t, true, "configure_gradient_clipping",
                                  cgc(&t->ctx.pub, t->module, opt, cfg->gradient_clip_val,
                                      cfg->gradient_clip_algorithm[0] ? cfg->gradient_clip_algorithm
                                                                      : NULL)))
            return LT_ERROR;
    } else {
        ltr_trainer_hook_begin(t, true, "clip_gradients");
        if (ltr_trainer_hook_done(t, true, "clip_gradients",
                                  clip_gradients(t, opt, cfg->gradient_clip_val,
                                                 cfg->gradient_clip_algorithm)))
            return LT_ERROR;
    }
    if (t->tools.profiler) ltr_profiler_start(t->tools.profiler, "[Strategy]", "optimizer_step");
    lt_status orc = t->strategy->ops->optimizer_step(t->strategy, &t->ctx.pub, opt);
    if (t->tools.profiler) ltr_profiler_stop(t->tools.profiler, "[Strategy]", "optimizer_step");
    if (orc != LT_OK) return step_error(t, "the optimizer step");
    /* manual optimization: _ManualOptimization._on_after_step, optim_step_progress
     * .increment_completed, which is trainer.global_step in manual mode */
    if (t->manual.step_running) t->ctx.pub.global_step++;
    t->ctx.hook_name = hook;
    t->ctx.plugin_name = plugin;
    return LT_OK;
}

lt_status ltr_automatic_step(ltr_trainer *t, lt_batch *batch, int64_t batch_idx,
                             lt_tensor **outputs) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    lt_closure cl = {.t = t, .batch = batch, .batch_idx = batch_idx, .opt = t->optim,
                     .zero_grad = batch_idx % cfg->accumulate_grad_batches == 0};
    *outputs = NULL;
    if (t->loop.should_accumulate) {
        if (closure_run(t, &cl)) return LT_ERROR;
    } else {
        lt_status (*ov)(lt_ctx *, void *, int64_t, int64_t, lt_optimizer *, lt_closure *) =
            MOD_HOOK(t, optimizer_step);
        if (ov) {
            ltr_trainer_hook_begin(t, true, "optimizer_step");
            lt_status rc = ov(&t->ctx.pub, t->module, t->ctx.pub.current_epoch, batch_idx, t->optim,
                              &cl);
            if (t->exit_code) return LT_ERROR; /* a hook inside already reported */
            if (ltr_trainer_hook_done(t, true, "optimizer_step", rc)) return LT_ERROR;
            if (!cl.executed) {
                ltr_trainer_error(t, LTR_EXIT_TRAINING,
                                  "module '%s', hook optimizer_step: the closure hasn't been "
                                  "executed; call lt_optimizer_step(ctx, opt, closure) (or "
                                  "lt_closure_run) in your optimizer_step hook",
                                  t->module_plugin.desc->name);
                return LT_ERROR;
            }
        } else if (optimizer_step(t, t->optim, &cl)) {
            return LT_ERROR;
        }
        /* optim_progress.optimizer.step.increment_completed: global_step counts
         * optimizer_step calls, also when training_step returned None */
        t->ctx.pub.global_step++;
    }
    *outputs = cl.loss;
    return LT_OK;
}

/* ------------------------------------------------------------ host API services */

static lt_closure *check_closure(lt_ctx *c, ltr_trainer *t, lt_closure *cl) {
    if (cl && cl->t != t) {
        ltr_fail(c, "lt_optimizer_step: not the closure this optimizer_step hook was given");
        return NULL;
    }
    return cl;
}

lt_status ltr_api_optimizer_step(lt_ctx *c, lt_optimizer *opt, lt_closure *cl) {
    ltr_trainer *t = trainer_of(c, "lt_optimizer_step");
    if (!t) return LT_ERROR;
    if (!opt) return ltr_fail(c, "lt_optimizer_step: no optimizer given");
    if (cl && !check_closure(c, t, cl)) return LT_ERROR;
    return optimizer_step(t, opt, cl) ? LT_ERROR : LT_OK;
}

lt_status ltr_api_closure_run(lt_ctx *c, lt_closure *cl) {
    ltr_trainer *t = trainer_of(c, "lt_closure_run");
    if (!t) return LT_ERROR;
    if (!cl || !check_closure(c, t, cl)) return ltr_fail(c, "lt_closure_run: no closure given");
    return closure_run(t, cl) ? LT_ERROR : LT_OK;
}

lt_status ltr_api_optimizer_zero_grad(lt_ctx *c, lt_optimizer *opt) {
    if (!opt) return ltr_fail(c, "lt_optimizer_zero_grad: no optimizer given");
    ltr_optimizer_zero_grad(opt);
    return LT_OK;
}

lt_status ltr_api_clip_gradients(lt_ctx *c, lt_optimizer *opt, double val, const char *algorithm) {
    ltr_trainer *t = trainer_of(c, "lt_clip_gradients");
    if (!t) return LT_ERROR;
    if (!opt) return ltr_fail(c, "lt_clip_gradients: no optimizer given");
    return clip_gradients(t, opt, val, algorithm);
}

int64_t ltr_api_estimated_stepping_batches(lt_ctx *c) {
    ltr_trainer *t = trainer_of(c, "lt_estimated_stepping_batches");
    return t ? ltr_estimated_stepping_batches(t) : -1;
}

bool ltr_api_should_stop(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return t && t->should_stop;
}

void ltr_api_set_should_stop(lt_ctx *c, bool stop) {
    ltr_trainer *t = trainer_of(c, "lt_set_should_stop");
    if (t) t->should_stop = stop;
}

void ltr_api_train_mode(lt_ctx *c, bool mode) { c->training = mode; }

lt_status ltr_api_batch_set(lt_ctx *c, lt_batch *b, int field, lt_tensor *value) {
    if (!b || !value) return ltr_fail(c, "lt_batch_set: no batch or no tensor given");
    if (field < 0 || field >= b->nfields)
        return ltr_fail(c, "lt_batch_set: field %d out of range (the batch has %d)", field,
                        b->nfields);
    b->fields[field] = value;
    return LT_OK;
}
