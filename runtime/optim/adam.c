/* adam.c — torch.optim.Adam (single-tensor path, torch 2.x; L2 weight decay). */
#include "optim/optimizer.h"

#include <math.h>

lt_optimizer *ltr_adam(lt_ctx *ctx, const lt_adam_options *opt) {
    const lt_adam_options defaults = LT_ADAM_DEFAULTS;
    if (!opt) opt = &defaults;
    /* the same checks and messages as torch.optim.Adam.__init__ */
    if (opt->lr < 0) { ltr_fail(ctx, "Adam: Invalid learning rate: %g", opt->lr); return NULL; }
    if (opt->eps < 0) { ltr_fail(ctx, "Adam: Invalid epsilon value: %g", opt->eps); return NULL; }
    if (opt->beta1 < 0 || opt->beta1 >= 1) {
        ltr_fail(ctx, "Adam: Invalid beta parameter at index 0: %g", opt->beta1);
        return NULL;
    }
    if (opt->beta2 < 0 || opt->beta2 >= 1) {
        ltr_fail(ctx, "Adam: Invalid beta parameter at index 1: %g", opt->beta2);
        return NULL;
    }
    if (opt->weight_decay < 0) {
        ltr_fail(ctx, "Adam: Invalid weight_decay value: %g", opt->weight_decay);
        return NULL;
    }
    lt_optimizer *o = ltr_optimizer_new(ctx, LTR_OPTIM_ADAM, "Adam");
    if (o) o->adam = *opt;
    return o;
}

lt_status ltr_adam_step(lt_optimizer *o) {
    const lt_adam_options *h = &o->adam;
    const float b1 = (float)h->beta1, b2 = (float)h->beta2, wd = (float)h->weight_decay;
    const float eps = (float)h->eps;
    for (int64_t i = 0; i < o->params->count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
        int64_t n = ltr_numel(p);
        ltr_optim_state *st = &o->state[i];
        float *restrict m = ltr_optim_buffer(&st->buf1, n);
        float *restrict v = ltr_optim_buffer(&st->buf2, n);
        float *restrict vmax = h->amsgrad ? ltr_optim_buffer(&st->buf3, n) : NULL;
        if (!m || !v || (h->amsgrad && !vmax)) return LT_ERROR;
        st->step++;
        /* scalar factors in double, as torch computes them from Python floats */
        double bc1 = 1.0 - pow(h->beta1, (double)st->step);
        double bc2 = 1.0 - pow(h->beta2, (double)st->step);
        const float step_size = (float)(h->lr / bc1);
        const float bc2_sqrt = (float)sqrt(bc2);
        const float one_minus_b1 = 1.0f - b1, one_minus_b2 = 1.0f - b2;
        const float sign = h->maximize ? -1.0f : 1.0f;
        float *restrict w = p->data;
        const float *restrict g0 = p->grad->data;
        for (int64_t k = 0; k < n; k++) {
            float g = sign * g0[k];
            if (wd != 0) g += wd * w[k];
            m[k] += (g - m[k]) * one_minus_b1;             /* exp_avg.lerp_(grad, 1 - beta1) */
            v[k] = v[k] * b2 + one_minus_b2 * g * g;       /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
            float vv = v[k];
            if (vmax) {
                vmax[k] = vmax[k] > vv ? vmax[k] : vv;
                vv = vmax[k];
            }
            float denom = sqrtf(vv) / bc2_sqrt + eps;
            w[k] -= step_size * (m[k] / denom);            /* param.addcdiv_(exp_avg, denom, -step_size) */
        }
    }
    return LT_OK;
}
