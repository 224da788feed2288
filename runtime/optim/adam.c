/*
 * adam.c — torch.optim.Adam: _single_tensor_adam of torch 2.x (L2 weight decay added
 * to the gradient), float32 parameters.
 *
 * Scalars (bias corrections, step size) are computed in double as Python does, then
 * cast to float where ATen's kernels take them; element math is float32 in the same
 * operation order as the kernels (lerp_, mul_/addcmul_, sqrt/div/add_, addcdiv_).
 */
#include "optim/optimizer.h"

#include <math.h>

lt_optimizer *ltr_adam(lt_ctx *ctx, const lt_adam_options *opt) {
    const lt_adam_options defaults = LT_ADAM_DEFAULTS;
    if (!opt) opt = &defaults;
    char v[48];
    /* torch.optim.Adam.__init__: `if not 0.0 <= x` (so nan is refused) and its messages */
    if (!(opt->lr >= 0)) {
        ltr_fail(ctx, "Adam: Invalid learning rate: %s", ltr_optim_pyfloat(opt->lr, v, sizeof v));
        return NULL;
    }
    if (!(opt->eps >= 0)) {
        ltr_fail(ctx, "Adam: Invalid epsilon value: %s", ltr_optim_pyfloat(opt->eps, v, sizeof v));
        return NULL;
    }
    if (!(opt->beta1 >= 0 && opt->beta1 < 1)) {
        ltr_fail(ctx, "Adam: Invalid beta parameter at index 0: %s",
                 ltr_optim_pyfloat(opt->beta1, v, sizeof v));
        return NULL;
    }
    if (!(opt->beta2 >= 0 && opt->beta2 < 1)) {
        ltr_fail(ctx, "Adam: Invalid beta parameter at index 1: %s",
                 ltr_optim_pyfloat(opt->beta2, v, sizeof v));
        return NULL;
    }
    if (!(opt->weight_decay >= 0)) {
        ltr_fail(ctx, "Adam: Invalid weight_decay value: %s",
                 ltr_optim_pyfloat(opt->weight_decay, v, sizeof v));
        return NULL;
    }
    lt_optimizer *o = ltr_optimizer_new(ctx, LTR_OPTIM_ADAM, "Adam");
    if (o) o->adam = *opt;
    return o;
}

typedef struct adam_consts {
    float sign, wd, w1, one_minus_w1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size;
} adam_consts;

/* One parameter's update. `decay`, `ams` and `small` are constants at every call site
 * below, so each variant is its own branch-free loop that gcc vectorises (sqrtf needs
 * -fno-math-errno, which configure's default CFLAGS carry). */
static inline __attribute__((always_inline)) void
adam_loop(int64_t n, float *restrict w, const float *restrict g0, float *restrict m,
          float *restrict v, float *restrict vmax, const adam_consts *c, const bool decay,
          const bool ams, const bool small) {
    const adam_consts k = *c;
    for (int64_t i = 0; i < n; i++) {
        float g = k.sign * g0[i];                 /* maximize: -grad (exact) */
        if (decay) g = g + k.wd * w[i];           /* grad.add(param, alpha=weight_decay) */
        /* exp_avg.lerp_(grad, 1 - beta1): ATen's lerp takes one of two forms by weight */
        float mi = m[i];
        mi = small ? mi + k.w1 * (g - mi) : g - (g - mi) * k.one_minus_w1;
        m[i] = mi;
        float vi = v[i] * k.b2;                   /* exp_avg_sq.mul_(beta2) */
        vi = vi + k.one_minus_b2 * g * g;         /* .addcmul_(grad, grad, value=1-beta2) */
        v[i] = vi;
        if (ams) {
            float vm = vmax[i];                   /* torch.maximum(max_exp_avg_sq, exp_avg_sq, out=) */
            /* torch.maximum propagates nan; so does this: a nan exp_avg_sq stays nan
             * forever (nan * beta2), and max_exp_avg_sq only turns nan from it */
            vi = vm > vi ? vm : vi;
            vmax[i] = vi;
        }
        float denom = sqrtf(vi) / k.bc2_sqrt + k.eps; /* (sq.sqrt() / bc2_sqrt).add_(eps) */
        w[i] = w[i] + k.neg_step_size * mi / denom;   /* param.addcdiv_(exp_avg, denom, value=-step_size) */
    }
}

#define ADAM_VARIANTS(decay, ams)                                                            \
    do {                                                                                     \
        if (small) adam_loop(n, w, g, m, v, vmax, &c, decay, ams, true);                      \
        else adam_loop(n, w, g, m, v, vmax, &c, decay, ams, false);                           \
    } while (0)

lt_status ltr_adam_step(lt_optimizer *o) {
    const lt_adam_options *h = &o->adam;
    /* lerp's weight as a float scalar; ATen: |weight| < 0.5 → self + weight * (end - self),
     * else end - (end - self) * (1 - weight), the 1 - weight taken in float */
    const float w1 = (float)(1.0 - h->beta1);
    const bool small = fabsf(w1) < 0.5f;
    const bool decay = h->weight_decay != 0;
    for (int64_t i = 0; i < o->params->count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
        int64_t n = ltr_numel(p);
        ltr_optim_state *st = &o->state[i];
        /* state['exp_avg'], ['exp_avg_sq'] (and ['max_exp_avg_sq']) = zeros at first use */
        float *m = ltr_optim_buffer(&st->buf1, n);
        float *v = ltr_optim_buffer(&st->buf2, n);
        float *vmax = h->amsgrad ? ltr_optim_buffer(&st->buf3, n) : NULL;
        if (!m || !v || (h->amsgrad && !vmax)) return LT_ERROR;
        st->step++; /* step_t += 1, before the update */
        /* Python-float scalars: bias_correction1 = 1 - beta1 ** step, etc. */
        double step = (double)st->step;
        double bc1 = 1.0 - pow(h->beta1, step);
        double bc2 = 1.0 - pow(h->beta2, step);
        double step_size = h->lr / bc1;
        double bc2_sqrt = sqrt(bc2);
        const adam_consts c = {
            .sign = h->maximize ? -1.0f : 1.0f,
            .wd = (float)h->weight_decay,
            .w1 = w1,
            .one_minus_w1 = 1.0f - w1,
            .b2 = (float)h->beta2,
            .one_minus_b2 = (float)(1.0 - h->beta2),
            /* tensor / python float: a true float division by the float-cast scalar */
            .bc2_sqrt = (float)bc2_sqrt,
            .eps = (float)h->eps,
            .neg_step_size = (float)(-step_size),
        };
        float *w = p->data;
        const float *g = p->grad->data;
        if (decay && vmax) ADAM_VARIANTS(true, true);
        else if (decay) ADAM_VARIANTS(true, false);
        else if (vmax) ADAM_VARIANTS(false, true);
        else ADAM_VARIANTS(false, false);
    }
    return LT_OK;
}
