/*
 * cpu_optim.c — the optimizers' update loops (torch.optim's single-tensor, non-fused path
 * of torch 2.x): SGD, Adam/AdamW, RMSprop, Adagrad, one parameter per call, in the
 * parameter's dtype (float32 or float64).
 *
 * The Python-float scalars come from runtime/optim/ (numerics.h); here they are cast to
 * the parameter's dtype as ATen's kernels take them, and the element math runs in that
 * dtype in the kernels' operation order. FMA is fma/fmaf where ATen's vectorised kernels
 * fuse (add with alpha, lerp, addcmul); every other operation rounds on its own (ISO C:
 * gcc contracts nothing by itself), so the bits are torch's on AVX2 and AVX-512.
 */
#include "accelerators/cpu/cpu_optim.h"
#include "util/simd_clones.h"

#include <math.h>

/* SGD. The bools are constants at every call site in sgd_update, so each variant
 * compiles to its own branch-free loop that gcc vectorises. */
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
    static void sgd_param_##SUF(const ltr_sgd_scalars *h, int64_t n, T *w, const T *g, T *buf) { \
        const sgd_consts_##SUF c = {                                                         \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .mom = (T)h->momentum,                                                           \
            .damp1 = (T)h->damp1,                                                            \
            .neg_lr = (T)h->neg_lr,                                                          \
        };                                                                                   \
        sgd_update_##SUF(n, w, g, buf, &c, h->weight_decay != 0, h->first, h->nesterov);     \
    }

DEFINE_SGD_LOOP(float, fmaf, f32)
DEFINE_SGD_LOOP(double, fma, f64)

void ltr_cpu_sgd_update(lt_tensor *p, const lt_tensor *g, lt_tensor *buf, const ltr_sgd_scalars *s) {
    int64_t n = ltr_numel(p);
    void *b = buf ? buf->data : NULL;
    if (p->dtype == LT_FLOAT64) sgd_param_f64(s, n, p->data, g->data, b);
    else sgd_param_f32(s, n, p->data, g->data, b);
}

/* Adam and AdamW */
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
    static void adam_param_##SUF(const ltr_adam_scalars *h, int64_t n, T *w, const T *g, T *m, \
                                 T *v, T *vmax) {                                             \
        /* lerp's weight as a T scalar; the weight - 1 of lerp_vec taken in T */          \
        const T w1 = (T)h->w1;                                                               \
        const adam_consts_##SUF c = {                                                        \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .wmul = (T)h->wmul, /* a Python float, cast by mul_ */                           \
            .w1 = w1,                                                                        \
            .w1_minus_1 = w1 - 1,                                                            \
            .b2 = (T)h->beta2,                                                               \
            .one_minus_b2 = (T)h->one_minus_b2,                                              \
            /* tensor / python float: a true division by the T-cast scalar */              \
            .bc2_sqrt = (T)h->bc2_sqrt,                                                      \
            .eps = (T)h->eps,                                                                \
            .neg_step_size = (T)h->neg_step_size,                                            \
        };                                                                                   \
        const int decay = h->decay;                                                          \
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

void ltr_cpu_adam_update(lt_tensor *p, const lt_tensor *g, lt_tensor *m, lt_tensor *v,
                         lt_tensor *vmax, const ltr_adam_scalars *s) {
    int64_t n = ltr_numel(p);
    void *vm = vmax ? vmax->data : NULL;
    if (p->dtype == LT_FLOAT64) adam_param_f64(s, n, p->data, g->data, m->data, v->data, vm);
    else adam_param_f32(s, n, p->data, g->data, m->data, v->data, vm);
}

/* RMSprop */
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
    static void rmsprop_param_##SUF(const ltr_rmsprop_scalars *h, int64_t n, T *w, const T *g, \
                                    T *sq, T *buf, T *ga) {                                  \
        const T w1 = (T)h->one_minus_alpha;                                                  \
        const rmsprop_consts_##SUF c = {                                                     \
            .sign = h->maximize ? -1 : 1,                                                    \
            .wd = (T)h->weight_decay,                                                        \
            .alpha = (T)h->alpha,                                                            \
            .one_minus_alpha = (T)h->one_minus_alpha,                                        \
            .w1 = w1,                                                                        \
            .w1_minus_1 = w1 - 1,                                                            \
            .eps = (T)h->eps,                                                                \
            .mom = (T)h->momentum,                                                           \
            .neg_lr = (T)h->neg_lr,                                                          \
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

void ltr_cpu_rmsprop_update(lt_tensor *p, const lt_tensor *g, lt_tensor *sq, lt_tensor *buf,
                            lt_tensor *ga, const ltr_rmsprop_scalars *s) {
    int64_t n = ltr_numel(p);
    void *b = buf ? buf->data : NULL, *a = ga ? ga->data : NULL;
    if (p->dtype == LT_FLOAT64) rmsprop_param_f64(s, n, p->data, g->data, sq->data, b, a);
    else rmsprop_param_f32(s, n, p->data, g->data, sq->data, b, a);
}

/* Adagrad */
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
    static void adagrad_param_##SUF(const ltr_adagrad_scalars *h, int64_t n, T *w, const T *g, \
                                    T *sum) {                                                \
        const T sign = h->maximize ? -1 : 1, wd = (T)h->weight_decay, eps = (T)h->eps;       \
        const T neg_clr = (T)h->neg_clr;                                                     \
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

void ltr_cpu_adagrad_update(lt_tensor *p, const lt_tensor *g, lt_tensor *sum,
                            const ltr_adagrad_scalars *s) {
    int64_t n = ltr_numel(p);
    if (p->dtype == LT_FLOAT64) adagrad_param_f64(s, n, p->data, g->data, sum->data);
    else adagrad_param_f32(s, n, p->data, g->data, sum->data);
}
