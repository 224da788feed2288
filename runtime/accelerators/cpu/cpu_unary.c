/*
 * cpu_unary.c — elementwise math on contiguous float tensors. The switch sits outside
 * the loops, so each op is one simple loop; derivatives follow torch's formulas
 * (derivatives.yaml): exp' = y, log' = 1/x, sqrt' = 1/(2y), abs' = sign(x) (0 at 0),
 * sigmoid' = y(1 - y), tanh' = 1 - y^2.
 */
#include "accelerators/cpu/cpu_unary.h"

#include <math.h>

#define DEFINE_UNARY(T, SUF, EXP, LOG, SQRT, FABS, TANH)                                       \
    static void unary_##SUF(int op, const T *restrict x, T *restrict y, int64_t n) {           \
        switch (op) {                                                                          \
        case LTR_UN_NEG: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;                  \
        case LTR_UN_EXP: for (int64_t i = 0; i < n; i++) y[i] = EXP(x[i]); break;              \
        case LTR_UN_LOG: for (int64_t i = 0; i < n; i++) y[i] = LOG(x[i]); break;              \
        case LTR_UN_SQRT: for (int64_t i = 0; i < n; i++) y[i] = SQRT(x[i]); break;            \
        case LTR_UN_ABS: for (int64_t i = 0; i < n; i++) y[i] = FABS(x[i]); break;             \
        case LTR_UN_SIGMOID: for (int64_t i = 0; i < n; i++) y[i] = 1 / (1 + EXP(-x[i])); break; \
        case LTR_UN_TANH: for (int64_t i = 0; i < n; i++) y[i] = TANH(x[i]); break;            \
        }                                                                                      \
    }                                                                                          \
    static void unary_back_##SUF(int op, const T *restrict x, const T *restrict y,             \
                                 const T *restrict g, T *restrict gx, int64_t n) {            \
        switch (op) {                                                                          \
        case LTR_UN_NEG: for (int64_t i = 0; i < n; i++) gx[i] = -g[i]; break;                 \
        case LTR_UN_EXP: for (int64_t i = 0; i < n; i++) gx[i] = g[i] * y[i]; break;           \
        case LTR_UN_LOG: for (int64_t i = 0; i < n; i++) gx[i] = g[i] / x[i]; break;           \
        case LTR_UN_SQRT: for (int64_t i = 0; i < n; i++) gx[i] = g[i] / (2 * y[i]); break;    \
        case LTR_UN_ABS:                                                                       \
            for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0;    \
            break;                                                                             \
        case LTR_UN_SIGMOID: for (int64_t i = 0; i < n; i++) gx[i] = g[i] * y[i] * (1 - y[i]); break; \
        case LTR_UN_TANH: for (int64_t i = 0; i < n; i++) gx[i] = g[i] * (1 - y[i] * y[i]); break; \
        }                                                                                      \
    }

DEFINE_UNARY(float, f32, expf, logf, sqrtf, fabsf, tanhf)
DEFINE_UNARY(double, f64, exp, log, sqrt, fabs, tanh)

void ltr_cpu_unary(int op, const lt_tensor *x, lt_tensor *y) {
    if (x->dtype == LT_FLOAT64) unary_f64(op, x->data, y->data, ltr_numel(x));
    else unary_f32(op, x->data, y->data, ltr_numel(x));
}

void ltr_cpu_unary_backward(int op, const lt_tensor *x, const lt_tensor *y, const lt_tensor *gy,
                            lt_tensor *gx) {
    if (x->dtype == LT_FLOAT64) unary_back_f64(op, x->data, y->data, gy->data, gx->data, ltr_numel(x));
    else unary_back_f32(op, x->data, y->data, gy->data, gx->data, ltr_numel(x));
}
