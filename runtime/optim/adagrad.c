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
#include "util/simd_clones.h"

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

/* FMA is fma/fmaf where ATen's vectorised kernels fuse (add with alpha; addcmul's
 * self + value * t1 * t2, contracted by gcc in ATen's FMA builds) */
#define DEFINE_ADAGRAD_LOOP(T, SQRT, FMA, SUF)                                               \
    static inline __attribute__((always_inline)) void adagrad_loop_##SUF(                   \
        int64_t n, T *restrict w, const T *restrict g0, T *restrict sum, T sign, T wd,       \
        T eps, T neg_clr, const bool decay) {                                                \
        for (int64_t i = 0; i < n; i++) {                                                    \
            T g = sign * g0[i];                                                              \
            if (decay) g = FMA(w[i], wd, g); /* grad.add(param, alpha=weight_decay) */       \
            T s = FMA(g, g, sum[i]);         /* state_sum.addcmul_(grad, grad, value=1) */   \
            sum[i] = s;                                                                      \
            T std = SQRT(s) + eps;        /* state_sum.sqrt().add_(eps) */                   \
            w[i] = w[i] + neg_clr * g / std; /* param.addcdiv_(grad, std, value=-clr) */     \
        }                                                                                    \
    }                                                                                        \
    LTR_SIMD_CLONES_FMA static void adagrad_update_##SUF(int64_t n, T *w, const T *g, T *sum,    \
                                                     T sign, T wd, T eps, T neg_clr,         \
                                                     bool decay) {                           \
        if (decay) adagrad_loop_##SUF(n, w, g, sum, sign, wd, eps, neg_clr, true);           \
        else adagrad_loop_##SUF(n, w, g, sum, sign, wd, eps, neg_clr, false);                \
    }                                                                                        \
    static void adagrad_param_##SUF(const lt_adagrad_options *h, double clr, int64_t n,      \
                                    T *w, const T *g, T *sum) {                              \
        const T sign = h->maximize ? -1 : 1, wd = (T)h->weight_decay, eps = (T)h->eps;       \
        const T neg_clr = (T)(-clr);                                                         \
        const bool decay = h->weight_decay != 0;                                             \
        const int64_t nblocks = (n + LTR_OPTIM_BLOCK - 1) / LTR_OPTIM_BLOCK;                 \
        _Pragma("omp parallel for schedule(static) if (nblocks > 2)")                       \
        for (int64_t b = 0; b < nblocks; b++) {                                              \
            int64_t s = b * LTR_OPTIM_BLOCK, len = n - s < LTR_OPTIM_BLOCK ? n - s : LTR_OPTIM_BLOCK; \
            adagrad_update_##SUF(len, w + s, g + s, sum + s, sign, wd, eps, neg_clr, decay); \
        }                                                                                    \
    }

DEFINE_ADAGRAD_LOOP(float, LTR_OPTIM_SQRTF, fmaf, f32)
DEFINE_ADAGRAD_LOOP(double, LTR_OPTIM_SQRT, fma, f64)

lt_status ltr_adagrad_step(lt_optimizer *o) {
    for (int gi = 0; gi < o->ngroups; gi++) {
        const ltr_param_group *grp = &o->groups[gi];
        const lt_adagrad_options *h = &grp->hp.adagrad;
        for (int64_t k = 0; k < grp->n; k++) {
            int64_t i = grp->index[k];
            lt_tensor *p = o->params->params[i];
            if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
            int64_t n = ltr_numel(p);
            ltr_optim_state *st = &o->state[i];
            bool fresh = st->buf1 == NULL;
            void *sum = ltr_optim_buffer(p, &st->buf1, n, ltr_dtype_size(p->dtype));
            if (!sum) return LT_ERROR;
            if (fresh && h->initial_accumulator_value != 0) {
                /* torch.full_like(p, initial_accumulator_value): the value cast to p's dtype */
                for (int64_t e = 0; e < n; e++) {
                    if (p->dtype == LT_FLOAT64) ((double *)sum)[e] = h->initial_accumulator_value;
                    else ((float *)sum)[e] = (float)h->initial_accumulator_value;
                }
            }
            st->step++;
            double step = (double)st->step;
            double clr = h->lr / (1 + (step - 1) * h->lr_decay);
            if (p->dtype == LT_FLOAT64) adagrad_param_f64(h, clr, n, p->data, p->grad->data, sum);
            else adagrad_param_f32(h, clr, n, p->data, p->grad->data, sum);
        }
    }
    return LT_OK;
}
