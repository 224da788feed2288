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
#include "util/simd_clones.h"

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

/* FMA is fma/fmaf where ATen's vectorised kernels fuse (add with alpha, lerp, addcmul,
 * as in adam.c); mul, div, sqrt and addcdiv's add round on their own */
#define DEFINE_RMSPROP_LOOP(T, SQRT, FMA, SUF)                                               \
    typedef struct rmsprop_consts_##SUF {                                                    \
        T sign, wd, alpha, one_minus_alpha, w1, w1_minus_1, eps, mom, neg_lr;                \
    } rmsprop_consts_##SUF;                                                                  \
    /* decay, centered, mom and small are constants at every call site: branch-free loops */ \
    static inline __attribute__((always_inline)) void rmsprop_loop_##SUF(                   \
        int64_t n, T *restrict w, const T *restrict g0, T *restrict sq, T *restrict buf,     \
        T *restrict ga, const rmsprop_consts_##SUF *c, const bool decay, const bool centered, \
        const bool mom, const bool small) {                                                  \
        const rmsprop_consts_##SUF k = *c;                                                   \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T g = k.sign * g0[i];                                                            \
            if (decay) g = FMA(w[i], k.wd, g); /* grad.add(param, alpha=weight_decay) */     \
            /* square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha) */                 \
            T s = FMA(k.one_minus_alpha * g, g, sq[i] * k.alpha);                            \
            sq[i] = s;                                                                       \
            T avg;                                                                           \
            if (centered) {                                                                  \
                /* grad_avg.lerp_(grad, 1 - alpha): ATen's two forms, as in adam.c */        \
                T a = ga[i];                                                                 \
                a = small ? FMA(k.w1, g - a, a) : FMA(k.w1_minus_1, g - a, g);               \
                ga[i] = a;                                                                   \
                avg = SQRT(FMA(-a, a, s)); /* square_avg.addcmul(ga, ga, value=-1).sqrt_() */ \
            } else {                                                                         \
                avg = SQRT(s);                                                               \
            }                                                                                \
            avg = avg + k.eps;                                                               \
            if (mom) {                                                                       \
                T b = buf[i] * k.mom + g / avg; /* buf.mul_(momentum).addcdiv_(grad, avg) */ \
                buf[i] = b;                                                                  \
                w[i] = FMA(b, k.neg_lr, w[i]);  /* param.add_(buf, alpha=-lr) */             \
            } else {                                                                         \
                w[i] = w[i] + k.neg_lr * g / avg; /* param.addcdiv_(grad, avg, value=-lr) */ \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    LTR_SIMD_CLONES_FMA static void rmsprop_update_##SUF(int64_t n, T *w, const T *g, T *sq,     \
                                                     T *buf, T *ga,                          \
                                                     const rmsprop_consts_##SUF *c,          \
                                                     bool decay, bool small) {               \
        const bool ctr = ga != NULL, mom = buf != NULL;                                      \
        if (decay) {                                                                         \
            if (ctr && mom) {                                                                \
                if (small) rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, true, true, true); \
                else rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, true, true, false);   \
            } else if (ctr) {                                                                \
                if (small) rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, true, false, true); \
                else rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, true, false, false);  \
            } else if (mom) {                                                                \
                rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, false, true, false);       \
            } else {                                                                         \
                rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, true, false, false, false);      \
            }                                                                                \
        } else {                                                                             \
            if (ctr && mom) {                                                                \
                if (small) rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, true, true, true); \
                else rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, true, true, false);  \
            } else if (ctr) {                                                                \
                if (small) rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, true, false, true); \
                else rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, true, false, false); \
            } else if (mom) {                                                                \
                rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, false, true, false);      \
            } else {                                                                         \
                rmsprop_loop_##SUF(n, w, g, sq, buf, ga, c, false, false, false, false);     \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    static void rmsprop_param_##SUF(const lt_rmsprop_options *h, int64_t n, T *w, const T *g, \
                                    T *sq, T *buf, T *ga) {                                  \
        const T w1 = (T)(1.0 - h->alpha);                                                    \
        const rmsprop_consts_##SUF c = {                                                     \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .alpha = (T)h->alpha,                                                            \
            .one_minus_alpha = (T)(1.0 - h->alpha),                                          \
            .w1 = w1,                                                                        \
            .w1_minus_1 = w1 - 1,                                                            \
            .eps = (T)h->eps,                                                                \
            .mom = (T)h->momentum,                                                           \
            .neg_lr = (T)(-h->lr),                                                           \
        };                                                                                   \
        const bool decay = h->weight_decay != 0, small = (w1 < 0 ? -w1 : w1) < (T)0.5;       \
        const int64_t nblocks = (n + LTR_OPTIM_BLOCK - 1) / LTR_OPTIM_BLOCK;                 \
        _Pragma("omp parallel for schedule(static) if (nblocks > 2)")                       \
        for (int64_t b = 0; b < nblocks; b++) {                                              \
            int64_t s = b * LTR_OPTIM_BLOCK, len = n - s < LTR_OPTIM_BLOCK ? n - s : LTR_OPTIM_BLOCK; \
            rmsprop_update_##SUF(len, w + s, g + s, sq + s, buf ? buf + s : NULL,            \
                                 ga ? ga + s : NULL, &c, decay, small);                      \
        }                                                                                    \
    }

DEFINE_RMSPROP_LOOP(float, LTR_OPTIM_SQRTF, fmaf, f32)
DEFINE_RMSPROP_LOOP(double, LTR_OPTIM_SQRT, fma, f64)

lt_status ltr_rmsprop_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_rmsprop_options *h = &grp->hp.rmsprop;
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
            int64_t n = ltr_numel(p);
            size_t es = ltr_dtype_size(p->dtype);
            ltr_optim_state *st = &o->state[i];
            void *sq = ltr_optim_buffer(p, &st->buf1, n, es);
            void *buf = h->momentum > 0 ? ltr_optim_buffer(p, &st->buf2, n, es) : NULL;
            void *ga = h->centered ? ltr_optim_buffer(p, &st->buf3, n, es) : NULL;
            if (!sq || (h->momentum > 0 && !buf) || (h->centered && !ga)) return LT_ERROR;
            st->step++;
            if (p->dtype == LT_FLOAT64) rmsprop_param_f64(h, n, p->data, p->grad->data, sq, buf, ga);
            else rmsprop_param_f32(h, n, p->data, p->grad->data, sq, buf, ga);
        }
    }
    return LT_OK;
}
