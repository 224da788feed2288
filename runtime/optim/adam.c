/*
 * adam.c — torch.optim.Adam and AdamW: _single_tensor_adam / _single_tensor_adamw of
 * torch 2.x, float32 and float64 parameters. Adam adds L2 weight decay to the gradient;
 * AdamW decays the parameter first (param.mul_(1 - lr * weight_decay)), then updates it.
 *
 * Scalars (bias corrections, step size) are computed in double as Python does, then
 * cast to the parameter's dtype where ATen's kernels take them; element math is in that
 * dtype, in the same operation order as the kernels (lerp_, mul_/addcmul_, sqrt/div/add_, addcdiv_).
 */
#include "optim/optimizer.h"

#include <math.h>

/* torch.optim.Adam/AdamW.__init__: `if not 0.0 <= x` (so nan is refused) and its messages */
static lt_optimizer *make_adam(lt_ctx *ctx, const lt_adam_options *opt, ltr_optim_kind kind,
                               const char *name) {
    char v[48];
    if (!(opt->lr >= 0)) {
        ltr_fail(ctx, "%s: Invalid learning rate: %s", name, ltr_optim_pyfloat(opt->lr, v, sizeof v));
        return NULL;
    }
    if (!(opt->eps >= 0)) {
        ltr_fail(ctx, "%s: Invalid epsilon value: %s", name, ltr_optim_pyfloat(opt->eps, v, sizeof v));
        return NULL;
    }
    if (!(opt->beta1 >= 0 && opt->beta1 < 1)) {
        ltr_fail(ctx, "%s: Invalid beta parameter at index 0: %s", name,
                 ltr_optim_pyfloat(opt->beta1, v, sizeof v));
        return NULL;
    }
    if (!(opt->beta2 >= 0 && opt->beta2 < 1)) {
        ltr_fail(ctx, "%s: Invalid beta parameter at index 1: %s", name,
                 ltr_optim_pyfloat(opt->beta2, v, sizeof v));
        return NULL;
    }
    if (!(opt->weight_decay >= 0)) {
        ltr_fail(ctx, "%s: Invalid weight_decay value: %s", name,
                 ltr_optim_pyfloat(opt->weight_decay, v, sizeof v));
        return NULL;
    }
    return ltr_optimizer_new(ctx, kind, name, &(ltr_optim_hp){.adam = *opt});
}

lt_optimizer *ltr_adam(lt_ctx *ctx, const lt_adam_options *opt) {
    const lt_adam_options defaults = LT_ADAM_DEFAULTS;
    return make_adam(ctx, opt ? opt : &defaults, LTR_OPTIM_ADAM, "Adam");
}

lt_optimizer *ltr_adamw(lt_ctx *ctx, const lt_adamw_options *opt) {
    const lt_adamw_options defaults = LT_ADAMW_DEFAULTS; /* weight_decay 1e-2 */
    return make_adam(ctx, opt ? opt : &defaults, LTR_OPTIM_ADAMW, "AdamW");
}



lt_status ltr_adam_step(lt_optimizer *o) {
    const bool decoupled = o->kind == LTR_OPTIM_ADAMW;
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_adam_options *h = &grp->hp.adam; /* the group's options */
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
            ltr_optim_state *st = &o->state[i];
            /* state['exp_avg'], ['exp_avg_sq'] (and ['max_exp_avg_sq']) = zeros at first use */
            lt_tensor *m = ltr_optim_buffer(p, &st->buf1);
            lt_tensor *v = ltr_optim_buffer(p, &st->buf2);
            lt_tensor *vmax = h->amsgrad ? ltr_optim_buffer(p, &st->buf3) : NULL;
            if (!m || !v || (h->amsgrad && !vmax)) return LT_ERROR;
            st->step++; /* step_t += 1, before the update */
            /* Python-float scalars: bias_correction1 = 1 - beta1 ** step, etc. */
            double step = (double)st->step;
            double bc1 = 1.0 - pow(h->beta1, step);
            double bc2 = 1.0 - pow(h->beta2, step);
            double step_size = h->lr / bc1;
            double bc2_sqrt = pow(bc2, 0.5); /* bias_correction2 ** 0.5 */
            const ltr_adam_scalars s = {
                .maximize = h->maximize,
                .decay = h->weight_decay == 0 ? 0 : decoupled ? 2 : 1,
                .weight_decay = h->weight_decay,
                .wmul = 1.0 - h->lr * h->weight_decay, /* AdamW: param.mul_(1 - lr * wd) */
                .w1 = 1.0 - h->beta1, /* exp_avg.lerp_(grad, 1 - beta1) */
                .beta2 = h->beta2,
                .one_minus_b2 = 1.0 - h->beta2,
                .bc2_sqrt = bc2_sqrt,
                .eps = h->eps,
                .neg_step_size = -step_size,
            };
            LTR_OPTIM_UPDATE(p, adam_update)(p, p->grad, m, v, vmax, &s);
        }
    }
    return LT_OK;
}
