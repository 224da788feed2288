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

typedef struct adam_consts {
    float b1, b2, one_minus_b1, one_minus_b2, wd, eps, step_size, bc2_sqrt, sign;
} adam_consts;

/* One parameter's update. `decay` and `ams` are compile-time constants at each call
 * below, so every variant is a branch-free loop that gcc vectorises. */
static inline __attribute__((always_inline)) void adam_loop(int64_t n, float *restrict w,
                                                            const float *restrict g0,
                                                            float *restrict m, float *restrict v,
                                                            float *restrict vmax,
                                                            const adam_consts *c, const bool decay,
                                                            const bool ams) {
    const adam_consts k = *c;
    for (int64_t i = 0; i < n; i++) {
        float g = k.sign * g0[i];
        if (decay) g += k.wd * w[i];                       /* L2: grad = grad + wd * param */
        m[i] += (g - m[i]) * k.one_minus_b1;               /* exp_avg.lerp_(grad, 1 - beta1) */
        v[i] = v[i] * k.b2 + k.one_minus_b2 * g * g;       /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
        float vv = v[i];
        if (ams) vv = vmax[i] = vmax[i] > vv ? vmax[i] : vv; /* torch.maximum(max_exp_avg_sq, exp_avg_sq) */
        float denom = sqrtf(vv) / k.bc2_sqrt + k.eps;
        w[i] -= k.step_size * (m[i] / denom);              /* param.addcdiv_(exp_avg, denom, -step_size) */
    }
}

lt_status ltr_adam_step(lt_optimizer *o) {
    const lt_adam_options *h = &o->adam;
    for (int64_t i = 0; i < o->params->count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
        int64_t n = ltr_numel(p);
        ltr_optim_state *st = &o->state[i];
        float *m = ltr_optim_buffer(&st->buf1, n);
        float *v = ltr_optim_buffer(&st->buf2, n);
        float *vmax = h->amsgrad ? ltr_optim_buffer(&st->buf3, n) : NULL;
        if (!m || !v || (h->amsgrad && !vmax)) return LT_ERROR;
        st->step++;
        /* scalar factors in double, as torch computes them from Python floats */
        double bc1 = 1.0 - pow(h->beta1, (double)st->step);
        double bc2 = 1.0 - pow(h->beta2, (double)st->step);
        adam_consts c = {
            .b1 = (float)h->beta1, .b2 = (float)h->beta2,
            .one_minus_b1 = 1.0f - (float)h->beta1, .one_minus_b2 = 1.0f - (float)h->beta2,
            .wd = (float)h->weight_decay, .eps = (float)h->eps,
            .step_size = (float)(h->lr / bc1), .bc2_sqrt = (float)sqrt(bc2),
            .sign = h->maximize ? -1.0f : 1.0f,
        };
        float *w = p->data;
        const float *g = p->grad->data;
        bool decay = h->weight_decay != 0;
        if (decay && vmax) adam_loop(n, w, g, m, v, vmax, &c, true, true);
        else if (decay) adam_loop(n, w, g, m, v, NULL, &c, true, false);
        else if (vmax) adam_loop(n, w, g, m, v, vmax, &c, false, true);
        else adam_loop(n, w, g, m, v, NULL, &c, false, false);
    }
    return LT_OK;
}
