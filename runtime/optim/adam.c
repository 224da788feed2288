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
#include "util/simd_clones.h"

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


/* Update constants in the parameter's dtype: for float32, the Python-float scalars cast
 * to float as ATen's kernels take them; for float64 (precision 64-true) they stay double.
 * FMA is fma/fmaf where ATen's vectorised kernels fuse (add with alpha, lerp, addcmul);
 * every other operation rounds on its own (ISO C: gcc contracts nothing by itself). */
#define DEFINE_ADAM_LOOP(T, SQRT, FMA, SUF)                                                  \
    typedef struct adam_consts_##SUF {                                                       \
        T sign, wd, wmul, w1, w1_minus_1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size;    \
    } adam_consts_##SUF;                                                                     \
    /* One parameter's update. `decay` (0 none, 1 L2, 2 AdamW's decoupled), `ams` and      \
     * `small` are constants at every call site, so each variant is its own branch-free     \
     * loop that gcc vectorises                                                             \
     * (SQRT needs -fno-math-errno, which configure's default CFLAGS carry). */            \
    static inline __attribute__((always_inline)) void adam_loop_##SUF(                      \
        int64_t n, T *restrict w, const T *restrict g0, T *restrict m, T *restrict v,        \
        T *restrict vmax, const adam_consts_##SUF *c, const int decay, const bool ams,       \
        const bool small) {                                                                  \
        const adam_consts_##SUF k = *c;                                                      \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T g = k.sign * g0[i];         /* maximize: -grad (exact) */                      \
            /* grad.add(param, alpha=weight_decay): fmadd(param, alpha, grad) */             \
            if (decay == 1) g = FMA(w[i], k.wd, g);                                          \
            T wi = w[i];                                                                     \
            if (decay == 2) wi = wi * k.wmul; /* AdamW: param.mul_(1 - lr * weight_decay) */ \
            /* exp_avg.lerp_(grad, 1 - beta1), lerp_vec: fmadd(coeff, end - self, base),   \
             * coeff/base = weight/self when |weight| < 0.5, else weight - 1/end */         \
            T mi = m[i];                                                                     \
            mi = small ? FMA(k.w1, g - mi, mi) : FMA(k.w1_minus_1, g - mi, g);               \
            m[i] = mi;                                                                       \
            /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2): addcmul's        \
             * self + value * t1 * t2, which gcc contracts in ATen's FMA builds */         \
            T vi = FMA(k.one_minus_b2 * g, g, v[i] * k.b2);                                  \
            v[i] = vi;                                                                       \
            if (ams) {                                                                       \
                /* torch.maximum(max_exp_avg_sq, exp_avg_sq, out=) propagates nan; so does  \
                 * this: a nan exp_avg_sq stays nan (nan * beta2), max turns nan from it */  \
                T vm = vmax[i];                                                              \
                vi = vm > vi ? vm : vi;                                                      \
                vmax[i] = vi;                                                                \
            }                                                                                \
            T denom = SQRT(vi) / k.bc2_sqrt + k.eps; /* (sq.sqrt() / bc2_sqrt).add_(eps) */  \
            w[i] = wi + k.neg_step_size * mi / denom; /* addcdiv_(exp_avg, denom, -step) */  \
        }                                                                                    \
    }                                                                                        \
    LTR_SIMD_CLONES_FMA static void adam_update_##SUF(int64_t n, T *w, const T *g, T *m, T *v,    \
                                                  T *vmax, const adam_consts_##SUF *c,        \
                                                  int decay, bool small) {                    \
        if (decay == 1) {                                                                    \
            if (vmax && small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 1, true, true);       \
            else if (vmax) adam_loop_##SUF(n, w, g, m, v, vmax, c, 1, true, false);          \
            else if (small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 1, false, true);         \
            else adam_loop_##SUF(n, w, g, m, v, vmax, c, 1, false, false);                   \
        } else if (decay == 2) {                                                             \
            if (vmax && small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 2, true, true);       \
            else if (vmax) adam_loop_##SUF(n, w, g, m, v, vmax, c, 2, true, false);          \
            else if (small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 2, false, true);         \
            else adam_loop_##SUF(n, w, g, m, v, vmax, c, 2, false, false);                   \
        } else {                                                                             \
            if (vmax && small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 0, true, true);       \
            else if (vmax) adam_loop_##SUF(n, w, g, m, v, vmax, c, 0, true, false);          \
            else if (small) adam_loop_##SUF(n, w, g, m, v, vmax, c, 0, false, true);         \
            else adam_loop_##SUF(n, w, g, m, v, vmax, c, 0, false, false);                   \
        }                                                                                    \
    }                                                                                        \
    static void adam_param_##SUF(const lt_adam_options *h, bool decoupled, double bc2_sqrt,   \
                                 double step_size, int64_t n, T *w, const T *g, T *m, T *v,  \
                                 T *vmax) {                                                   \
        /* lerp's weight as a T scalar; the weight - 1 of lerp_vec taken in T */          \
        const T w1 = (T)(1.0 - h->beta1);                                                    \
        const adam_consts_##SUF c = {                                                        \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .wmul = (T)(1.0 - h->lr * h->weight_decay), /* a Python float, cast by mul_ */   \
            .w1 = w1,                                                                        \
            .w1_minus_1 = w1 - 1,                                                            \
            .b2 = (T)h->beta2,                                                               \
            .one_minus_b2 = (T)(1.0 - h->beta2),                                             \
            /* tensor / python float: a true division by the T-cast scalar */              \
            .bc2_sqrt = (T)bc2_sqrt,                                                         \
            .eps = (T)h->eps,                                                                \
            .neg_step_size = (T)(-step_size),                                                \
        };                                                                                   \
        const int decay = h->weight_decay == 0 ? 0 : decoupled ? 2 : 1;                     \
        const bool small = (w1 < 0 ? -w1 : w1) < (T)0.5;                                    \
        /* elements are independent: threads take whole blocks, so every thread count       \
         * gives the same bits (the MLP's fc1 update is ~10% of its step on one thread) */  \
        const int64_t nblocks = (n + LTR_OPTIM_BLOCK - 1) / LTR_OPTIM_BLOCK;                          \
        _Pragma("omp parallel for schedule(static) if (nblocks > 2)")                       \
        for (int64_t b = 0; b < nblocks; b++) {                                              \
            int64_t s = b * LTR_OPTIM_BLOCK, len = n - s < LTR_OPTIM_BLOCK ? n - s : LTR_OPTIM_BLOCK;       \
            adam_update_##SUF(len, w + s, g + s, m + s, v + s, vmax ? vmax + s : NULL, &c,   \
                              decay, small);                                                 \
        }                                                                                    \
    }

DEFINE_ADAM_LOOP(float, LTR_OPTIM_SQRTF, fmaf, f32)
DEFINE_ADAM_LOOP(double, LTR_OPTIM_SQRT, fma, f64)

lt_status ltr_adam_step(lt_optimizer *o) {
    const bool decoupled = o->kind == LTR_OPTIM_ADAMW;
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_adam_options *h = &grp->hp.adam; /* the group's options */
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
            int64_t n = ltr_numel(p);
            size_t es = ltr_dtype_size(p->dtype);
            ltr_optim_state *st = &o->state[i];
            /* state['exp_avg'], ['exp_avg_sq'] (and ['max_exp_avg_sq']) = zeros at first use */
            void *m = ltr_optim_buffer(p, &st->buf1, n, es);
            void *v = ltr_optim_buffer(p, &st->buf2, n, es);
            void *vmax = h->amsgrad ? ltr_optim_buffer(p, &st->buf3, n, es) : NULL;
            if (!m || !v || (h->amsgrad && !vmax)) return LT_ERROR;
            st->step++; /* step_t += 1, before the update */
            /* Python-float scalars: bias_correction1 = 1 - beta1 ** step, etc. */
            double step = (double)st->step;
            double bc1 = 1.0 - pow(h->beta1, step);
            double bc2 = 1.0 - pow(h->beta2, step);
            double step_size = h->lr / bc1;
            double bc2_sqrt = pow(bc2, 0.5); /* bias_correction2 ** 0.5 */
            if (p->dtype == LT_FLOAT64)
                adam_param_f64(h, decoupled, bc2_sqrt, step_size, n, p->data, p->grad->data, m, v, vmax);
            else
                adam_param_f32(h, decoupled, bc2_sqrt, step_size, n, p->data, p->grad->data, m, v, vmax);
        }
    }
    return LT_OK;
}
