/*
 * rmsprop.c — torch.optim.RMSprop: _single_tensor_rmsprop of torch 2.x, float32 and
 * float64 parameters, every option (alpha, eps, weight_decay, momentum, centered,
 * maximize).
 *
 * Per element, in the parameter's dtype with the Python-float scalars cast to it:
 *   g = maximize ? -grad : grad;  if wd: g = fma(p, wd, g)
 *   square_avg = fma((1 - alpha) * g, g, square_avg * alpha)   (mul_, addcmul_)
 *   centered: grad_avg.lerp_(g, 1 - alpha); avg = sqrt(fma(-grad_avg, grad_avg, square_avg))
 *   else:     avg = sqrt(square_avg)
 *   avg = avg + eps
 *   momentum > 0: buf = buf * momentum + g / avg; p = fma(buf, -lr, p)
 *   else:         p = p + ((-lr) * g) / avg                    (addcdiv_)
 * (fma where ATen's vectorised kernels fuse: bit for bit with torch on AVX2/AVX-512)
 * State (zeros, made at a parameter's first update): square_avg, momentum_buffer when
 * momentum > 0, grad_avg when centered; step counts updates.
 */
#include "optim/optimizer.h"

#include <math.h>

lt_optimizer *ltr_rmsprop(lt_ctx *ctx, const lt_rmsprop_options *opt) {
    const lt_rmsprop_options defaults = LT_RMSPROP_DEFAULTS;
    if (!opt) opt = &defaults;
    char v[48];
    /* torch.optim.RMSprop.__init__'s checks, in its order, with its messages */
    const struct { double x; const char *what; } checks[] = {
        {opt->lr, "learning rate"}, {opt->eps, "epsilon value"}, {opt->momentum, "momentum value"},
        {opt->weight_decay, "weight_decay value"}, {opt->alpha, "alpha value"}};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!(checks[i].x >= 0)) {
            ltr_fail(ctx, "RMSprop: Invalid %s: %s", checks[i].what,
                     ltr_optim_pyfloat(checks[i].x, v, sizeof v));
            return NULL;
        }
    return ltr_optimizer_new(ctx, LTR_OPTIM_RMSPROP, "RMSprop", &(ltr_optim_hp){.rmsprop = *opt});
}


lt_status ltr_rmsprop_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_rmsprop_options *h = &grp->hp.rmsprop;
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
            ltr_optim_state *st = &o->state[i];
            lt_tensor *sq = ltr_optim_buffer(p, &st->buf1);
            lt_tensor *buf = h->momentum > 0 ? ltr_optim_buffer(p, &st->buf2) : NULL;
            lt_tensor *ga = h->centered ? ltr_optim_buffer(p, &st->buf3) : NULL;
            if (!sq || (h->momentum > 0 && !buf) || (h->centered && !ga)) return LT_ERROR;
            st->step++;
            const ltr_rmsprop_scalars s = {
                .maximize = h->maximize, .weight_decay = h->weight_decay, .alpha = h->alpha,
                .one_minus_alpha = 1.0 - h->alpha, .eps = h->eps, .momentum = h->momentum,
                .neg_lr = -h->lr,
            };
            LTR_OPTIM_UPDATE(p, rmsprop_update)(p, p->grad, sq, buf, ga, &s);
        }
    }
    return LT_OK;
}
