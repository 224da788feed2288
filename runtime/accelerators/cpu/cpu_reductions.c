/*
 * cpu_reductions.c — reductions along the middle of [outer, dim, inner] views of
 * contiguous float tensors (sum, mean, max/min with or without indices, logsumexp, var/std)
 * and their gradients; softmax forward/backward. Sums accumulate in double.
 * Semantics are torch's: max/min propagate NaN (the index of the first NaN), ties give
 * the first index; amax/amin's gradient is split evenly among ties; logsumexp shifts by
 * the max unless it is infinite (then by 0, so an all -inf row gives -inf).
 */
#include "accelerators/cpu/cpu_reductions.h"

#include <math.h>
#include <string.h>

#define DEFINE_RED(T, SUF, EXP)                                                                \
    static void red_##SUF(int op, const T *restrict x, int64_t outer, int64_t dim,             \
                          int64_t inner, double arg, T *restrict y, int64_t *restrict idx) {   \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                const T *r = x + o * dim * inner + in;                                         \
                int64_t out = o * inner + in;                                                  \
                switch (op) {                                                                  \
                case LTR_RED_SUM: {                                                            \
                    double s = 0;                                                              \
                    for (int64_t k = 0; k < dim; k++) s += r[k * inner];                       \
                    y[out] = (T)(s * arg);                                                     \
                    break;                                                                     \
                }                                                                              \
                case LTR_RED_MEAN: { /* torch: the mean of no elements is nan */              \
                    double s = 0;                                                              \
                    for (int64_t k = 0; k < dim; k++) s += r[k * inner];                       \
                    y[out] = (T)(dim ? s / (double)dim : NAN);                                 \
                    break;                                                                     \
                }                                                                              \
                case LTR_RED_MAX:                                                              \
                case LTR_RED_MIN: {                                                            \
                    int64_t best = 0;                                                          \
                    T bv = r[0];                                                               \
                    int mx = op == LTR_RED_MAX;                                                \
                    for (int64_t k = 1; k < dim && !isnan(bv); k++) {                          \
                        T v = r[k * inner];                                                    \
                        if ((mx ? v > bv : v < bv) || isnan(v)) {                              \
                            bv = v;                                                            \
                            best = k;                                                          \
                        }                                                                      \
                    }                                                                          \
                    if (y) y[out] = bv; /* NULL: argmax/argmin */                              \
                    if (idx) idx[out] = best;                                                  \
                    break;                                                                     \
                }                                                                              \
                case LTR_RED_LOGSUMEXP: {                                                      \
                    double m = -INFINITY;                                                      \
                    int nan = 0;                                                               \
                    for (int64_t k = 0; k < dim; k++) {                                        \
                        double v = r[k * inner];                                               \
                        if (isnan(v)) nan = 1;                                                 \
                        else if (v > m) m = v;                                                 \
                    }                                                                          \
                    if (isinf(m)) m = 0;                                                       \
                    double s = 0;                                                              \
                    for (int64_t k = 0; k < dim; k++) s += exp((double)r[k * inner] - m);      \
                    y[out] = nan ? (T)NAN : (T)(log(s) + m);                                   \
                    break;                                                                     \
                }                                                                              \
                case LTR_RED_VAR:                                                              \
                case LTR_RED_STD: {                                                            \
                    double mean = 0, ss = 0;                                                   \
                    for (int64_t k = 0; k < dim; k++) mean += r[k * inner];                    \
                    mean /= (double)dim;                                                       \
                    for (int64_t k = 0; k < dim; k++) {                                        \
                        double d = r[k * inner] - mean;                                        \
                        ss += d * d;                                                           \
                    }                                                                          \
                    double den = (double)dim - arg; /* torch: ss / max(0, N - correction) */ \
                    double v = ss / (den > 0 ? den : 0);                                       \
                    y[out] = (T)(op == LTR_RED_STD ? sqrt(v) : v);                             \
                    break;                                                                     \
                }                                                                              \
                }                                                                              \
            }                                                                                  \
    }                                                                                          \
    static void red_back_##SUF(int op, const T *restrict x, const T *restrict y,               \
                               const int64_t *restrict idx, const T *restrict gy,              \
                               int64_t outer, int64_t dim, int64_t inner, double arg,          \
                               T *restrict gx) {                                               \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                const T *r = x + o * dim * inner + in;                                         \
                T *gr = gx + o * dim * inner + in;                                             \
                int64_t out = o * inner + in;                                                  \
                T g = gy[out];                                                                 \
                switch (op) {                                                                  \
                case LTR_RED_SUM:                                                              \
                    for (int64_t k = 0; k < dim; k++) gr[k * inner] = (T)(g * arg);            \
                    break;                                                                     \
                case LTR_RED_MEAN:                                                             \
                    for (int64_t k = 0; k < dim; k++)                                          \
                        gr[k * inner] = (T)(g * (1.0 / (double)(dim ? dim : 1)));              \
                    break;                                                                     \
                case LTR_RED_MAX:                                                              \
                case LTR_RED_MIN:                                                              \
                    if (idx) {                                                                 \
                        for (int64_t k = 0; k < dim; k++) gr[k * inner] = 0;                   \
                        gr[idx[out] * inner] = g;                                              \
                    } else { /* amax/amin: split evenly among the ties */                      \
                        int64_t cnt = 0;                                                       \
                        for (int64_t k = 0; k < dim; k++) cnt += r[k * inner] == y[out];       \
                        for (int64_t k = 0; k < dim; k++)                                      \
                            gr[k * inner] = r[k * inner] == y[out] ? g / (T)cnt : 0;           \
                    }                                                                          \
                    break;                                                                     \
                case LTR_RED_LOGSUMEXP:                                                        \
                    for (int64_t k = 0; k < dim; k++) gr[k * inner] = g * EXP(r[k * inner] - y[out]); \
                    break;                                                                     \
                case LTR_RED_VAR:                                                              \
                case LTR_RED_STD: {                                                            \
                    double mean = 0;                                                           \
                    for (int64_t k = 0; k < dim; k++) mean += r[k * inner];                    \
                    mean /= (double)dim;                                                       \
                    double f = ((double)dim - arg);                                            \
                    f = op == LTR_RED_VAR ? 2.0 / f : 1.0 / (f * (double)y[out]);              \
                    for (int64_t k = 0; k < dim; k++)                                          \
                        gr[k * inner] = (T)(g * f * (r[k * inner] - mean));                    \
                    break;                                                                     \
                }                                                                              \
                }                                                                              \
            }                                                                                  \
    }                                                                                          \
    static void softmax_##SUF(const T *restrict x, int64_t outer, int64_t dim, int64_t inner,  \
                              T *restrict y) {                                                 \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                const T *r = x + o * dim * inner + in;                                         \
                T *yr = y + o * dim * inner + in;                                              \
                T m = -INFINITY;                                                               \
                for (int64_t k = 0; k < dim; k++) m = r[k * inner] > m ? r[k * inner] : m;     \
                double s = 0;                                                                  \
                for (int64_t k = 0; k < dim; k++) {                                            \
                    T e = EXP(r[k * inner] - m);                                               \
                    yr[k * inner] = e;                                                         \
                    s += e;                                                                    \
                }                                                                              \
                for (int64_t k = 0; k < dim; k++) yr[k * inner] = (T)(yr[k * inner] / s);      \
            }                                                                                  \
    }                                                                                          \
    static void softmax_back_##SUF(const T *restrict y, const T *restrict gy, int64_t outer,   \
                                   int64_t dim, int64_t inner, T *restrict gx) {               \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                int64_t b = o * dim * inner + in;                                              \
                double s = 0;                                                                  \
                for (int64_t k = 0; k < dim; k++) s += (double)y[b + k * inner] * gy[b + k * inner]; \
                for (int64_t k = 0; k < dim; k++)                                              \
                    gx[b + k * inner] = (T)(y[b + k * inner] * (gy[b + k * inner] - s));       \
            }                                                                                  \
    }

DEFINE_RED(float, f32, expf)
DEFINE_RED(double, f64, exp)

/* SUM/MEAN of float32 x into float64 y: the double accumulator, unrounded */
static void sum_wide_f32(int op, const float *restrict x, int64_t outer, int64_t dim,
                         int64_t inner, double arg, double *restrict y) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *r = x + o * dim * inner + in;
            double s = 0;
            for (int64_t k = 0; k < dim; k++) s += r[k * inner];
            y[o * inner + in] = op == LTR_RED_MEAN ? (dim ? s / (double)dim : NAN) : s * arg;
        }
}

void ltr_cpu_reduce_dim(int op, const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner,
                        double arg, lt_tensor *y, lt_tensor *idx) {
    int64_t *pi = idx ? idx->data : NULL;
    void *py = y ? y->data : NULL;
    if (x->dtype == LT_FLOAT64) red_f64(op, x->data, outer, dim, inner, arg, py, pi);
    else if (y && y->dtype == LT_FLOAT64) sum_wide_f32(op, x->data, outer, dim, inner, arg, py);
    else red_f32(op, x->data, outer, dim, inner, arg, py, pi);
}

void ltr_cpu_reduce_dim_backward(int op, const lt_tensor *x, const lt_tensor *y,
                                 const lt_tensor *idx, const lt_tensor *gy, int64_t outer,
                                 int64_t dim, int64_t inner, double arg, lt_tensor *gx) {
    const int64_t *pi = idx ? idx->data : NULL;
    const void *px = x ? x->data : NULL, *py = y ? y->data : NULL;
    if (gx->dtype == LT_FLOAT64)
        red_back_f64(op, px, py, pi, gy->data, outer, dim, inner, arg, gx->data);
    else red_back_f32(op, px, py, pi, gy->data, outer, dim, inner, arg, gx->data);
}

void ltr_cpu_softmax(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner, lt_tensor *y) {
    if (x->dtype == LT_FLOAT64) softmax_f64(x->data, outer, dim, inner, y->data);
    else softmax_f32(x->data, outer, dim, inner, y->data);
}

void ltr_cpu_softmax_backward(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t dim,
                              int64_t inner, lt_tensor *gx) {
    if (y->dtype == LT_FLOAT64) softmax_back_f64(y->data, gy->data, outer, dim, inner, gx->data);
    else softmax_back_f32(y->data, gy->data, outer, dim, inner, gx->data);
}
