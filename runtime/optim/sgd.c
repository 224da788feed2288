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
#include "util/simd_clones.h"

#include <math.h>

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

/* One parameter's update, in the parameter's dtype T (the Python-float scalars cast to
 * T as ATen's kernels take them). FMA is fma/fmaf where ATen's vectorised add with alpha
 * fuses (fmadd(other, alpha, self)); the mul rounds on its own. The bools are constants
 * at every call site in sgd_update, so each variant compiles to its own branch-free loop
 * that gcc vectorises. */
#define DEFINE_SGD_LOOP(T, FMA, SUF)                                                         \
    typedef struct sgd_consts_##SUF {                                                        \
        T sign, wd, mom, damp1, neg_lr;                                                      \
    } sgd_consts_##SUF;                                                                      \
    static inline __attribute__((always_inline)) void sgd_loop_##SUF(                       \
        int64_t n, T *restrict w, const T *restrict g0, T *restrict buf,                     \
        const sgd_consts_##SUF *c, const bool decay, const bool mom, const bool first,       \
        const bool nesterov) {                                                               \
        const sgd_consts_##SUF k = *c;                                                       \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T g = k.sign * g0[i];               /* maximize: -grad (exact) */                \
            if (decay) g = FMA(w[i], k.wd, g); /* grad.add(param, alpha=weight_decay) */     \
            if (mom) {                                                                       \
                T b;                                                                         \
                if (first) b = g; /* torch.clone(grad): no dampening at first */             \
                else b = FMA(g, k.damp1, buf[i] * k.mom); /* buf.mul_(m).add_(g, alpha=1-d) */ \
                buf[i] = b;                                                                  \
                g = nesterov ? FMA(b, k.mom, g) : b; /* grad.add(buf, alpha=momentum) : buf */ \
            }                                                                                \
            w[i] = FMA(g, k.neg_lr, w[i]); /* param.add_(grad, alpha=-lr) */                 \
        }                                                                                    \
    }                                                                                        \
    static inline __attribute__((always_inline)) void sgd_mom_variants_##SUF(               \
        int64_t n, T *w, const T *g, T *buf, const sgd_consts_##SUF *c, const bool decay,   \
        bool first, bool nesterov) {                                                         \
        if (!buf) sgd_loop_##SUF(n, w, g, NULL, c, decay, false, false, false);              \
        else if (first && nesterov) sgd_loop_##SUF(n, w, g, buf, c, decay, true, true, true); \
        else if (first) sgd_loop_##SUF(n, w, g, buf, c, decay, true, true, false);           \
        else if (nesterov) sgd_loop_##SUF(n, w, g, buf, c, decay, true, false, true);        \
        else sgd_loop_##SUF(n, w, g, buf, c, decay, true, false, false);                     \
    }                                                                                        \
    LTR_SIMD_CLONES_FMA static void sgd_update_##SUF(int64_t n, T *w, const T *g, T *buf,   \
                                                     const sgd_consts_##SUF *c, bool decay,  \
                                                     bool first, bool nesterov) {            \
        if (decay) sgd_mom_variants_##SUF(n, w, g, buf, c, true, first, nesterov);           \
        else sgd_mom_variants_##SUF(n, w, g, buf, c, false, first, nesterov);                \
    }                                                                                        \
    static void sgd_param_##SUF(const lt_sgd_options *h, int64_t n, T *w, const T *g, T *buf, \
                                bool first) {                                                \
        const sgd_consts_##SUF c = {                                                         \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .mom = (T)h->momentum,                                                           \
            .damp1 = (T)(1.0 - h->dampening),                                                \
            .neg_lr = (T)(-h->lr),                                                           \
        };                                                                                   \
        sgd_update_##SUF(n, w, g, buf, &c, h->weight_decay != 0, first, h->nesterov);        \
    }

DEFINE_SGD_LOOP(float, fmaf, f32)
DEFINE_SGD_LOOP(double, fma, f64)

lt_status ltr_sgd_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_sgd_options *h = &grp->hp.sgd; /* the group's options */
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
            int64_t n = ltr_numel(p);
            ltr_optim_state *st = &o->state[i];
            bool first = false;
            void *buf = NULL;
            if (h->momentum) {
                /* momentum_buffer is None until this parameter's first update */
                first = st->buf1 == NULL;
                buf = ltr_optim_buffer(p, &st->buf1, n, ltr_dtype_size(p->dtype));
                if (!buf) return LT_ERROR;
            }
            if (p->dtype == LT_FLOAT64) sgd_param_f64(h, n, p->data, p->grad->data, buf, first);
            else sgd_param_f32(h, n, p->data, p->grad->data, buf, first);
        }
    }
    return LT_OK;
}
