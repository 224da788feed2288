/*
 * adagrad.c — torch.optim.Adagrad: _single_tensor_adagrad of torch 2.x (dense grads),
 * float32 and float64 parameters, every option (lr_decay, weight_decay,
 * initial_accumulator_value, eps, maximize).
 *
 *   step += 1;  clr = lr / (1 + (step - 1) * lr_decay)      (Python floats)
 *   g = maximize ? -grad : grad;  if wd: g = fma(p, wd, g)
 *   sum = fma(g, g, sum)                                    (addcmul_(g, g, value=1))
 *   p = p + ((-clr) * g) / (sqrt(sum) + eps)                (addcdiv_)
 * (fma where ATen's vectorised kernels fuse: bit for bit with torch on AVX2/AVX-512)
 * State: sum = full_like(p, initial_accumulator_value) (torch fills it in __init__; here
 * at a parameter's first update, from its group's value: the same numbers), step.
 */
#include "optim/optimizer.h"
#include "accelerators/registry.h"

#include <math.h>

lt_optimizer *ltr_adagrad(lt_ctx *ctx, const lt_adagrad_options *opt) {
    const lt_adagrad_options defaults = LT_ADAGRAD_DEFAULTS;
    if (!opt) opt = &defaults;
    char v[48];
    /* torch.optim.Adagrad.__init__'s checks, in its order, with its messages */
    const struct { double x; const char *what; } checks[] = {
        {opt->lr, "learning rate"}, {opt->lr_decay, "lr_decay value"},
        {opt->weight_decay, "weight_decay value"},
        {opt->initial_accumulator_value, "initial_accumulator_value value"},
        {opt->eps, "epsilon value"}};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!(checks[i].x >= 0)) {
            ltr_fail(ctx, "Adagrad: Invalid %s: %s", checks[i].what,
                     ltr_optim_pyfloat(checks[i].x, v, sizeof v));
            return NULL;
        }
    return ltr_optimizer_new(ctx, LTR_OPTIM_ADAGRAD, "Adagrad", &(ltr_optim_hp){.adagrad = *opt});
}


lt_status ltr_adagrad_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_adagrad_options *h = &grp->hp.adagrad;
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
            ltr_optim_state *st = &o->state[i];
            bool fresh = st->buf1 == NULL;
            lt_tensor *sum = ltr_optim_buffer(p, &st->buf1);
            if (!sum) return LT_ERROR;
            /* torch.full_like(p, initial_accumulator_value): the value cast to p's dtype */
            if (fresh && h->initial_accumulator_value != 0)
                ltr_kernels_of(sum)->fill(sum, h->initial_accumulator_value);
            st->step++;
            double step = (double)st->step;
            double clr = h->lr / (1 + (step - 1) * h->lr_decay);
            const ltr_adagrad_scalars s = {
                .maximize = h->maximize, .weight_decay = h->weight_decay, .eps = h->eps,
                .neg_clr = -clr,
            };
            LTR_OPTIM_UPDATE(p, adagrad_update)(p, p->grad, sum, &s);
        }
    }
    return LT_OK;
}
