/*
 * sgd.c — torch.optim.SGD: _single_tensor_sgd of torch 2.x, float32/float64 parameters.
 *
 * Per element, in the parameter's dtype with the scalars cast to it as ATen's kernels do:
 *   g = maximize ? -grad : grad;  if wd: g = fma(p, wd, g)
 *   if momentum: buf = first ? g : fma(g, 1 - dampening, buf * momentum)
 *                g = nesterov ? fma(buf, momentum, g) : buf
 *   p = fma(g, -lr, p)
 * (fma where ATen's vectorised add with alpha fuses: bit for bit with torch on AVX2/AVX-512)
 */
#include "optim/optimizer.h"

lt_optimizer *ltr_sgd(lt_ctx *ctx, const lt_sgd_options *opt) {
    const lt_sgd_options defaults = LT_SGD_DEFAULTS;
    if (!opt) opt = &defaults;
    char v[48];
    /* torch.optim.SGD.__init__'s checks and messages; written as `!(x >= 0)` so that a
     * nan is refused too, as Python's `x < 0.0` / `not 0.0 <= x` family does for lr */
    if (!(opt->lr >= 0)) {
        ltr_fail(ctx, "SGD: Invalid learning rate: %s", ltr_optim_pyfloat(opt->lr, v, sizeof v));
        return NULL;
    }
    if (!(opt->momentum >= 0)) {
        ltr_fail(ctx, "SGD: Invalid momentum value: %s", ltr_optim_pyfloat(opt->momentum, v, sizeof v));
        return NULL;
    }
    if (!(opt->weight_decay >= 0)) {
        ltr_fail(ctx, "SGD: Invalid weight_decay value: %s",
                 ltr_optim_pyfloat(opt->weight_decay, v, sizeof v));
        return NULL;
    }
    if (opt->nesterov && (opt->momentum <= 0 || opt->dampening != 0)) {
        ltr_fail(ctx, "SGD: Nesterov momentum requires a momentum and zero dampening");
        return NULL;
    }
    return ltr_optimizer_new(ctx, LTR_OPTIM_SGD, "SGD", &(ltr_optim_hp){.sgd = *opt});
}


lt_status ltr_sgd_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_sgd_options *h = &grp->hp.sgd; /* the group's options */
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
            ltr_optim_state *st = &o->state[i];
            bool first = false;
            lt_tensor *buf = NULL;
            if (h->momentum) {
                /* momentum_buffer is None until this parameter's first update */
                first = st->buf1 == NULL;
                buf = ltr_optim_buffer(p, &st->buf1);
                if (!buf) return LT_ERROR;
            }
            const ltr_sgd_scalars s = {
                .maximize = h->maximize, .nesterov = h->nesterov, .first = first,
                .weight_decay = h->weight_decay, .momentum = h->momentum,
                .damp1 = 1.0 - h->dampening, .neg_lr = -h->lr,
            };
            LTR_OPTIM_UPDATE(p, sgd_update)(p, p->grad, buf, &s);
        }
    }
    return LT_OK;
}
