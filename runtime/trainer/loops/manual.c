/*
 * manual.c — Lightning's manual optimization. Reproduces, from Lightning 2.x:
 *
 *   LightningModule.automatic_optimization = False   lt_set_automatic_optimization(ctx, false)
 *                                                     from the module's create hook
 *   trainer/configuration_validator.py::__verify_manual_optimization_support
 *       gradient_clip_val > 0 and accumulate_grad_batches != 1 are errors, checked when
 *       fit starts, before prepare_data and setup (Lightning's _verify_loop_configurations)
 *   loops/optimization/manual.py::_ManualOptimization
 *       the batch is training_step alone; each optimizer.step() made inside it counts in
 *       optim_step_progress, which is trainer.global_step in manual mode; the returned
 *       tensor (or NULL: "no return") is what on_train_batch_end gets
 *   core/module.py::manual_backward -> Strategy.backward
 *       CB/LM on_before_backward(loss), loss.backward(), CB/LM on_after_backward;
 *       an error unless automatic optimization is off
 *   core/module.py::toggle_optimizer / untoggle_optimizer
 *       toggle: every parameter of trainer.optimizers gets requires_grad = False after its
 *       flag is saved, then the toggled optimizer's parameters get their saved flag back;
 *       untoggle: the parameters of the other optimizers get their saved flag back, and
 *       the saved flags are forgotten
 * LightningOptimizer.step in manual mode (on_before_optimizer_step, no clipping hook)
 * is automatic.c's optimizer_step; schedulers are not stepped by the trainer
 * (lr_stepping.c), and several optimizers are allowed (optim/configure.c).
 */
#include "trainer/trainer.h"

#include "optim/optimizer.h"

#include <stdlib.h>
#include <string.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)

static ltr_trainer *trainer_of(lt_ctx *c, const char *what) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t) ltr_fail(c, "%s: no trainer is running here", what);
    return t;
}

lt_status ltr_verify_manual_optimization(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (!t->manual.enabled) return LT_OK;
    if (cfg->gradient_clip_val > 0) {
        ltr_trainer_error(t, LTR_EXIT_USAGE,
                          "Automatic gradient clipping is not supported for manual optimization. "
                          "Remove `Trainer(gradient_clip_val=%g)` or switch to automatic "
                          "optimization. (module '%s' calls lt_set_automatic_optimization(ctx, "
                          "false); drop --trainer.gradient_clip_val and call lt_clip_gradients in "
                          "training_step instead)",
                          cfg->gradient_clip_val, t->module_plugin.desc->name);
        return LT_ERROR;
    }
    if (cfg->accumulate_grad_batches != 1) {
        ltr_trainer_error(t, LTR_EXIT_USAGE,
                          "Automatic gradient accumulation is not supported for manual "
                          "optimization. Remove `Trainer(accumulate_grad_batches=%lld)` or switch "
                          "to automatic optimization. (module '%s' calls "
                          "lt_set_automatic_optimization(ctx, false); drop "
                          "--trainer.accumulate_grad_batches)",
                          (long long)cfg->accumulate_grad_batches, t->module_plugin.desc->name);
        return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_manual_step(ltr_trainer *t, lt_batch *batch, int64_t batch_idx, lt_tensor **outputs) {
    lt_tensor *(*step)(lt_ctx *, void *, lt_batch *, int64_t) = MOD_HOOK(t, training_step);
    *outputs = NULL;
    /* on_run_start: optimizer steps made from here on count (optim_step_progress) */
    t->manual.step_running = true;
    if (ltr_step_context_enter(t, "training_step")) {
        t->manual.step_running = false;
        return LT_ERROR;
    }
    ltr_trainer_hook_begin(t, true, "training_step");
    lt_tensor *out = step(&t->ctx.pub, t->module, batch, batch_idx);
    ltr_step_context_exit(t, "training_step");
    t->manual.step_running = false;
    lt_status rc = ltr_trainer_hook_done(t, true, "training_step", LT_OK);
    if (rc || t->exit_code) return LT_ERROR; /* a hook inside may have reported already */
    *outputs = out; /* ManualResult: {"loss": out.detach()}, or {} for "no return" */
    return LT_OK;
}

/* ------------------------------------------------------------ host API services */

lt_status ltr_api_set_automatic_optimization(lt_ctx *c, bool automatic) {
    ltr_trainer *t = trainer_of(c, "lt_set_automatic_optimization");
    if (!t) return LT_ERROR;
    /* the loops and the configuration checks read it from fit's start on */
    if (t->module_created)
        return ltr_fail(c, "lt_set_automatic_optimization: call it from the module's create hook "
                           "(Lightning sets self.automatic_optimization in __init__)");
    t->manual.enabled = !automatic;
    return LT_OK;
}

bool ltr_api_automatic_optimization(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return !t || !t->manual.enabled;
}

lt_status ltr_api_manual_backward(lt_ctx *c, lt_tensor *loss) {
    ltr_trainer *t = trainer_of(c, "lt_manual_backward");
    if (!t) return LT_ERROR;
    /* LightningModule._verify_is_manual_optimization */
    if (!t->manual.enabled)
        return ltr_fail(c, "to use manual_backward, please disable automatic optimization: set "
                           "model property `automatic_optimization` as False "
                           "(lt_set_automatic_optimization(ctx, false) in create)");
    if (!loss) return ltr_fail(c, "lt_manual_backward: no loss (NULL)");
    const char *hook = t->ctx.hook_name, *plugin = t->ctx.plugin_name;
    lt_status rc = ltr_strategy_backward(t, loss, NULL, t->ctx.pub.batch_idx);
    /* a failed backward pass left its message on the context: the calling hook reports it */
    t->ctx.hook_name = hook;
    t->ctx.plugin_name = plugin;
    return rc;
}

/* Is opt one of trainer.optimizers? */
static bool listed(const ltr_trainer *t, const lt_optimizer *opt) {
    for (int i = 0; i < t->optim_setup.noptimizers; i++)
        if (t->optim_setup.optimizers[i] == opt) return true;
    return false;
}

static void set_flag(lt_tensor *p, bool requires_grad) {
    if (requires_grad) p->flags |= LTR_T_REQUIRES_GRAD;
    else p->flags &= ~(uint32_t)LTR_T_REQUIRES_GRAD;
}

lt_status ltr_api_toggle_optimizer(lt_ctx *c, lt_optimizer *opt) {
    ltr_trainer *t = trainer_of(c, "lt_toggle_optimizer");
    if (!t) return LT_ERROR;
    if (!opt || !listed(t, opt))
        return ltr_fail(c, "lt_toggle_optimizer: %s", opt ? "not one of this run's optimizers (toggle "
                                                            "what lt_optimizers(ctx, i) returns)"
                                                          : "no optimizer (NULL)");
    ltr_param_store *ps = &t->params;
    if (!t->manual.requires_grad_state) {
        t->manual.requires_grad_state = malloc((size_t)(ps->count > 0 ? ps->count : 1));
        if (!t->manual.requires_grad_state) return ltr_fail(c, "lt_toggle_optimizer: out of memory");
    }
    int8_t *state = t->manual.requires_grad_state;
    memset(state, -1, (size_t)ps->count); /* param_requires_grad_state = {} */
    for (int k = 0; k < t->optim_setup.noptimizers; k++) {
        const lt_optimizer *o = t->optim_setup.optimizers[k];
        for (int g = 0; g < o->ngroups; g++)
            for (int64_t j = 0; j < o->groups[g].n; j++) {
                int64_t i = o->groups[g].index[j];
                if (state[i] != -1) continue; /* already saved through another optimizer */
                state[i] = (ps->params[i]->flags & LTR_T_REQUIRES_GRAD) ? 1 : 0;
                set_flag(ps->params[i], false);
            }
    }
    for (int g = 0; g < opt->ngroups; g++)
        for (int64_t j = 0; j < opt->groups[g].n; j++) {
            int64_t i = opt->groups[g].index[j];
            set_flag(ps->params[i], state[i] == 1);
        }
    return LT_OK;
}

lt_status ltr_api_untoggle_optimizer(lt_ctx *c, lt_optimizer *opt) {
    ltr_trainer *t = trainer_of(c, "lt_untoggle_optimizer");
    if (!t) return LT_ERROR;
    int8_t *state = t->manual.requires_grad_state;
    if (!state) return LT_OK; /* nothing was toggled: an empty dict */
    ltr_param_store *ps = &t->params;
    for (int k = 0; k < t->optim_setup.noptimizers; k++) {
        const lt_optimizer *o = t->optim_setup.optimizers[k];
        if (o == opt) continue;
        for (int g = 0; g < o->ngroups; g++)
            for (int64_t j = 0; j < o->groups[g].n; j++) {
                int64_t i = o->groups[g].index[j];
                if (state[i] != -1) set_flag(ps->params[i], state[i] == 1);
            }
    }
    memset(state, -1, (size_t)ps->count); /* self._param_requires_grad_state = {} */
    return LT_OK;
}

bool ltr_api_requires_grad(const lt_tensor *t) { return t && (t->flags & LTR_T_REQUIRES_GRAD); }

lt_status ltr_api_set_requires_grad(lt_ctx *c, lt_tensor *p, bool requires_grad) {
    /* torch: "you can only change requires_grad flags of leaf variables" */
    if (!p || !(p->flags & LTR_T_PARAM))
        return ltr_fail(c, "lt_set_requires_grad: %s", p ? "only a parameter's requires_grad can be "
                                                           "changed (a leaf tensor made by lt_param)"
                                                         : "no tensor (NULL)");
    set_flag(p, requires_grad);
    return LT_OK;
}

const char *ltr_api_default_root_dir(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return t ? t->opts->trainer.default_root_dir : ".";
}
