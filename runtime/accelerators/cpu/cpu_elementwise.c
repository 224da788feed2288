/*
 * cpu_elementwise.c — elementwise kernels: broadcast expansion (any dtype),
 * div/maximum/minimum/pow and their gradients, comparisons (any dtype -> bool), where,
 * scalar-parameter pointwise ops (add/mul/pow by a scalar, clamp, leaky_relu, elu,
 * softplus, silu, gelu) with torch's derivatives.yaml gradients, dtype conversion,
 * fill and arange. All but expand take contiguous tensors of the same numel; the op
 * switch sits outside the loops.
 */
#include "accelerators/cpu/cpu_elementwise.h"
#include "tensor/bf16.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* out (contiguous, out's shape) = src read through sstride (0 on broadcast dims) */
#define DEFINE_EXPAND(T, SUF)                                                                  \
    static void expand_##SUF(const T *s, const int64_t *st, T *restrict o, int nd,             \
                             const int64_t *shape, int64_t n) {                                \
        int64_t idx[LT_MAX_DIMS] = {0};                                                        \
        if (nd == 0) { o[0] = s[0]; return; }                                                  \
        int64_t inner = shape[nd - 1], si = st[nd - 1];                                        \
        for (int64_t done = 0; done < n; done += inner) {                                      \
            int64_t off = 0;                                                                   \
            for (int d = 0; d < nd - 1; d++) off += idx[d] * st[d];                            \
            for (int64_t i = 0; i < inner; i++) o[done + i] = s[off + i * si];                 \
            for (int d = nd - 2; d >= 0; d--) {                                                \
                if (++idx[d] < shape[d]) break;                                                \
                idx[d] = 0;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }
DEFINE_EXPAND(uint8_t, 1)
DEFINE_EXPAND(uint16_t, 2)
DEFINE_EXPAND(uint32_t, 4)
DEFINE_EXPAND(uint64_t, 8)

void ltr_cpu_expand(const lt_tensor *src, const int64_t *st, lt_tensor *out) {
    int64_t n = ltr_numel(out);
    if (n == 0) return;
    switch (ltr_dtype_size(src->dtype)) {
    case 1: expand_1(src->data, st, out->data, out->ndim, out->shape, n); break;
    case 2: expand_2(src->data, st, out->data, out->ndim, out->shape, n); break;
    case 4: expand_4(src->data, st, out->data, out->ndim, out->shape, n); break;
    default: expand_8(src->data, st, out->data, out->ndim, out->shape, n); break;
    }
}

/* torch: maximum/minimum propagate NaN */
#define DEFINE_BINARY(T, SUF, POW, LOG)                                                        \
    static void ewb_##SUF(int op, const T *restrict a, const T *restrict b, T *restrict o,     \
                          int64_t n) {                                                         \
        switch (op) {                                                                          \
        case LTR_BIN_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; break;            \
        case LTR_BIN_MAXIMUM:                                                                   \
            for (int64_t i = 0; i < n; i++)                                                    \
                o[i] = (a[i] != a[i] || b[i] != b[i]) ? a[i] + b[i] : a[i] > b[i] ? a[i] : b[i]; \
            break;                                                                             \
        case LTR_BIN_MINIMUM:                                                                   \
            for (int64_t i = 0; i < n; i++)                                                    \
                o[i] = (a[i] != a[i] || b[i] != b[i]) ? a[i] + b[i] : a[i] < b[i] ? a[i] : b[i]; \
            break;                                                                             \
        case LTR_BIN_POW: for (int64_t i = 0; i < n; i++) o[i] = POW(a[i], b[i]); break;        \
        }                                                                                      \
    }                                                                                          \
    /* derivatives.yaml: div: g/b, -g*a/b^2; maximum: where(a==b, g/2, g) masked to        \
     * a>=b (b likewise); pow: g*b*a^(b-1) (0 where b == 0), g*where(a==0 & b>=0, 0,        \
     * y*log(a)) */                                                                        \
    static void ewbb_##SUF(int op, const T *restrict a, const T *restrict b,                   \
                           const T *restrict y, const T *restrict g, T *restrict ga,           \
                           T *restrict gb, int64_t n) {                                        \
        switch (op) {                                                                          \
        case LTR_BIN_DIV:                                                                       \
            if (ga) for (int64_t i = 0; i < n; i++) ga[i] = g[i] / b[i];                       \
            if (gb) for (int64_t i = 0; i < n; i++) gb[i] = -g[i] * a[i] / (b[i] * b[i]);      \
            break;                                                                             \
        case LTR_BIN_MAXIMUM:                                                                   \
        case LTR_BIN_MINIMUM: {                                                                 \
            T sgn = op == LTR_BIN_MAXIMUM ? 1 : -1;                                             \
            if (ga)                                                                            \
                for (int64_t i = 0; i < n; i++)                                                \
                    ga[i] = a[i] == b[i] ? g[i] / 2 : sgn * (a[i] - b[i]) > 0 ? g[i] : 0;      \
            if (gb)                                                                            \
                for (int64_t i = 0; i < n; i++)                                                \
                    gb[i] = a[i] == b[i] ? g[i] / 2 : sgn * (b[i] - a[i]) > 0 ? g[i] : 0;      \
            break;                                                                             \
        }                                                                                      \
        case LTR_BIN_POW:                                                                       \
            if (ga)                                                                            \
                for (int64_t i = 0; i < n; i++)                                                \
                    ga[i] = b[i] == 0 ? 0 : g[i] * b[i] * POW(a[i], b[i] - 1);                 \
            if (gb)                                                                            \
                for (int64_t i = 0; i < n; i++)                                                \
                    gb[i] = (a[i] == 0 && b[i] >= 0) ? 0 : g[i] * y[i] * LOG(a[i]);            \
            break;                                                                             \
        }                                                                                      \
    }
DEFINE_BINARY(float, f32, powf, logf)
DEFINE_BINARY(double, f64, pow, log)

/* one element of ewb (the strided fallback below): the same expressions as its loops */
#define DEFINE_BINARY_ONE(T, SUF, POW)                                                         \
    static inline T ewb_one_##SUF(int op, T a, T b) {                                          \
        switch (op) {                                                                          \
        case LTR_BIN_DIV: return a / b;                                                        \
        case LTR_BIN_MAXIMUM: return (a != a || b != b) ? a + b : a > b ? a : b;               \
        case LTR_BIN_MINIMUM: return (a != a || b != b) ? a + b : a < b ? a : b;               \
        default: return POW(a, b);                                                             \
        }                                                                                      \
    }                                                                                          \
    static void ewb_strided_##SUF(int op, const T *a, const int64_t *as, const T *b,          \
                                  const int64_t *bs, T *restrict o, int nd,                    \
                                  const int64_t *shape, int64_t n) {                           \
        int64_t idx[LT_MAX_DIMS] = {0};                                                        \
        for (int64_t i = 0; i < n; i++) {                                                      \
            int64_t oa = 0, ob = 0;                                                            \
            for (int d = 0; d < nd; d++) {                                                     \
                oa += idx[d] * as[d];                                                          \
                ob += idx[d] * bs[d];                                                          \
            }                                                                                  \
            o[i] = ewb_one_##SUF(op, a[oa], b[ob]);                                            \
            for (int d = nd - 1; d >= 0; d--) {                                                \
                if (++idx[d] < shape[d]) break;                                                \
                idx[d] = 0;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }
DEFINE_BINARY_ONE(float, f32, powf)
DEFINE_BINARY_ONE(double, f64, pow)

/* whether strides `st` (aligned to out's dims) address out's contiguous layout */
static bool same_layout(const lt_tensor *out, const int64_t *st) {
    for (int d = 0; d < out->ndim; d++)
        if (out->shape[d] > 1 && st[d] != out->stride[d]) return false;
    return true;
}

/* binary's DIV/MAXIMUM/MINIMUM/POW: the flat loops when both inputs are laid out as out
 * (the front-ends expand broadcasts first), else one element at a time */
void ltr_cpu_binary_ew(int op, const lt_tensor *a, const int64_t *as, const lt_tensor *b,
                       const int64_t *bs, lt_tensor *out) {
    int64_t n = ltr_numel(out);
    if (n == 0) return;
    bool flat = same_layout(out, as) && same_layout(out, bs);
    if (out->dtype == LT_FLOAT64) {
        if (flat) ewb_f64(op, a->data, b->data, out->data, n);
        else ewb_strided_f64(op, a->data, as, b->data, bs, out->data, out->ndim, out->shape, n);
    } else {
        if (flat) ewb_f32(op, a->data, b->data, out->data, n);
        else ewb_strided_f32(op, a->data, as, b->data, bs, out->data, out->ndim, out->shape, n);
    }
}
void ltr_cpu_binary_backward(ltr_binary_op op, const lt_tensor *a, const lt_tensor *b, const lt_tensor *y,
                                const lt_tensor *g, lt_tensor *ga, lt_tensor *gb) {
    if (g->dtype == LT_FLOAT64)
        ewbb_f64(op, a->data, b->data, y->data, g->data, ga ? ga->data : NULL, gb ? gb->data : NULL,
                 ltr_numel(g));
    else
        ewbb_f32(op, a->data, b->data, y->data, g->data, ga ? ga->data : NULL, gb ? gb->data : NULL,
                 ltr_numel(g));
}

#define DEFINE_COMPARE(T, SUF)                                                                 \
    static void cmp_##SUF(int op, const T *restrict a, const T *restrict b, uint8_t *restrict o, \
                          int64_t n) {                                                         \
        switch (op) {                                                                          \
        case LTR_CMP_EQ: for (int64_t i = 0; i < n; i++) o[i] = a[i] == b[i]; break;           \
        case LTR_CMP_NE: for (int64_t i = 0; i < n; i++) o[i] = a[i] != b[i]; break;           \
        case LTR_CMP_LT: for (int64_t i = 0; i < n; i++) o[i] = a[i] < b[i]; break;            \
        case LTR_CMP_LE: for (int64_t i = 0; i < n; i++) o[i] = a[i] <= b[i]; break;           \
        case LTR_CMP_GT: for (int64_t i = 0; i < n; i++) o[i] = a[i] > b[i]; break;            \
        case LTR_CMP_GE: for (int64_t i = 0; i < n; i++) o[i] = a[i] >= b[i]; break;           \
        }                                                                                      \
    }
DEFINE_COMPARE(float, f32)
DEFINE_COMPARE(double, f64)
DEFINE_COMPARE(int64_t, i64)
DEFINE_COMPARE(int32_t, i32)
DEFINE_COMPARE(uint8_t, u8)

void ltr_cpu_compare(int op, const lt_tensor *a, const lt_tensor *b, lt_tensor *out) {
    int64_t n = ltr_numel(out);
    switch (a->dtype) {
    case LT_FLOAT32: cmp_f32(op, a->data, b->data, out->data, n); break;
    case LT_FLOAT64: cmp_f64(op, a->data, b->data, out->data, n); break;
    case LT_INT64: cmp_i64(op, a->data, b->data, out->data, n); break;
    case LT_INT32: cmp_i32(op, a->data, b->data, out->data, n); break;
    default: cmp_u8(op, a->data, b->data, out->data, n); break; /* uint8, bool */
    }
}

#define DEFINE_WHERE(T, SUF)                                                                   \
    static void where_##SUF(const uint8_t *restrict c, const T *restrict a, const T *restrict b, \
                            T *restrict o, int64_t n) {                                        \
        for (int64_t i = 0; i < n; i++) o[i] = c[i] ? a[i] : b[i];                             \
    }
DEFINE_WHERE(uint8_t, 1)
DEFINE_WHERE(uint16_t, 2)
DEFINE_WHERE(uint32_t, 4)
DEFINE_WHERE(uint64_t, 8)

void ltr_cpu_where(const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b, lt_tensor *out) {
    int64_t n = ltr_numel(out);
    switch (ltr_dtype_size(out->dtype)) {
    case 1: where_1(cond->data, a->data, b->data, out->data, n); break;
    case 2: where_2(cond->data, a->data, b->data, out->data, n); break;
    case 4: where_4(cond->data, a->data, b->data, out->data, n); break;
    default: where_8(cond->data, a->data, b->data, out->data, n); break;
    }
}

#define DEFINE_WHERE_BACK(T, SUF)                                                              \
    static void whereb_##SUF(const uint8_t *restrict c, const T *restrict g, T *restrict ga,   \
                             T *restrict gb, int64_t n) {                                      \
        if (ga) for (int64_t i = 0; i < n; i++) ga[i] = c[i] ? g[i] : 0;                       \
        if (gb) for (int64_t i = 0; i < n; i++) gb[i] = c[i] ? 0 : g[i];                       \
    }
DEFINE_WHERE_BACK(float, f32)
DEFINE_WHERE_BACK(double, f64)

void ltr_cpu_where_backward(const lt_tensor *cond, const lt_tensor *g, lt_tensor *ga, lt_tensor *gb) {
    if (g->dtype == LT_FLOAT64)
        whereb_f64(cond->data, g->data, ga ? ga->data : NULL, gb ? gb->data : NULL, ltr_numel(g));
    else
        whereb_f32(cond->data, g->data, ga ? ga->data : NULL, gb ? gb->data : NULL, ltr_numel(g));
}

/* Forward and backward of the scalar-parameter ops, torch's formulas
 * (aten/src/ATen/native/cpu/Activation.cpp and derivatives.yaml). */
#define DEFINE_POINTWISE(T, SUF, EXP, LOG1P, POW, ERF, TANH)                                   \
    static void pw_##SUF(int op, const T *restrict x, T p0, T p1, T *restrict y, int64_t n) {  \
        switch (op) {                                                                          \
        case LTR_PW_ADD_SCALAR: for (int64_t i = 0; i < n; i++) y[i] = x[i] + p0; break;       \
        case LTR_PW_MUL_SCALAR: for (int64_t i = 0; i < n; i++) y[i] = x[i] * p0; break;       \
        case LTR_PW_POW_SCALAR: for (int64_t i = 0; i < n; i++) y[i] = POW(x[i], p0); break;   \
        case LTR_PW_CLAMP:                                                                     \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T v = x[i] < p0 ? p0 : x[i];                                                   \
                y[i] = v > p1 ? p1 : v;                                                        \
            }                                                                                  \
            break;                                                                             \
        case LTR_PW_LEAKY_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] * p0; break; \
        case LTR_PW_ELU:                                                                       \
            for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : p0 * (EXP(x[i]) - 1);     \
            break;                                                                             \
        case LTR_PW_SOFTPLUS:                                                                  \
            for (int64_t i = 0; i < n; i++)                                                    \
                y[i] = x[i] * p0 > p1 ? x[i] : LOG1P(EXP(x[i] * p0)) / p0;                     \
            break;                                                                             \
        case LTR_PW_SILU: for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1 + EXP(-x[i])); break; \
        case LTR_PW_GELU:                                                                      \
            for (int64_t i = 0; i < n; i++) y[i] = x[i] * (T)0.5 * (1 + ERF(x[i] * (T)M_SQRT1_2)); \
            break;                                                                             \
        case LTR_PW_GELU_TANH: {                                                               \
            const T kb = (T)(M_SQRT2 * M_2_SQRTPI * 0.5), kk = (T)0.044715;                    \
            for (int64_t i = 0; i < n; i++)                                                    \
                y[i] = (T)0.5 * x[i] * (1 + TANH(kb * (x[i] + kk * x[i] * x[i] * x[i])));      \
            break;                                                                             \
        }                                                                                      \
        }                                                                                      \
    }                                                                                          \
    static void pwb_##SUF(int op, const T *restrict x, const T *restrict y, T p0, T p1,        \
                          const T *restrict g, T *restrict gx, int64_t n) {                    \
        (void)y;                                                                               \
        switch (op) {                                                                          \
        case LTR_PW_ADD_SCALAR: for (int64_t i = 0; i < n; i++) gx[i] = g[i]; break;           \
        case LTR_PW_MUL_SCALAR: for (int64_t i = 0; i < n; i++) gx[i] = g[i] * p0; break;      \
        case LTR_PW_POW_SCALAR: /* pow_backward: 0 where the exponent is 0 */                  \
            for (int64_t i = 0; i < n; i++) gx[i] = p0 == 0 ? 0 : g[i] * p0 * POW(x[i], p0 - 1); \
            break;                                                                             \
        case LTR_PW_CLAMP: /* clamp_backward: passes where min <= x <= max */                 \
            for (int64_t i = 0; i < n; i++) gx[i] = (x[i] >= p0 && x[i] <= p1) ? g[i] : 0;     \
            break;                                                                             \
        case LTR_PW_LEAKY_RELU: for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? g[i] : g[i] * p0; break; \
        case LTR_PW_ELU: /* elu_backward (is_result = false): x <= 0 takes alpha*exp(x) */    \
            for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? g[i] : g[i] * p0 * EXP(x[i]);   \
            break;                                                                             \
        case LTR_PW_SOFTPLUS:                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T z = EXP(x[i] * p0);                                                          \
                gx[i] = x[i] * p0 > p1 ? g[i] : g[i] * z / (z + 1);                            \
            }                                                                                  \
            break;                                                                             \
        case LTR_PW_SILU:                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T s = 1 / (1 + EXP(-x[i]));                                                    \
                gx[i] = g[i] * s * (1 + x[i] * (1 - s));                                       \
            }                                                                                  \
            break;                                                                             \
        case LTR_PW_GELU: {                                                                    \
            const T ka = (T)(M_2_SQRTPI * M_SQRT1_2 * 0.5);                                    \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T cdf = (T)0.5 * (1 + ERF(x[i] * (T)M_SQRT1_2));                               \
                T pdf = ka * EXP((T)-0.5 * x[i] * x[i]);                                       \
                gx[i] = g[i] * (cdf + x[i] * pdf);                                             \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
        case LTR_PW_GELU_TANH: {                                                               \
            const T kb = (T)(M_SQRT2 * M_2_SQRTPI * 0.5), kk = (T)0.044715;                    \
            for (int64_t i = 0; i < n; i++) {                                                  \
                T xs = x[i] * x[i], inner = kb * (x[i] + kk * xs * x[i]);                      \
                T t = TANH(inner);                                                             \
                T left = (T)0.5 * x[i], right = 1 + t;                                         \
                T dl = (T)0.5 * right, dr = (1 - t * t) * kb * (1 + 3 * kk * xs);              \
                gx[i] = g[i] * (dl + left * dr);                                               \
            }                                                                                  \
            break;                                                                             \
        }                                                                                      \
        }                                                                                      \
    }
DEFINE_POINTWISE(float, f32, expf, log1pf, powf, erff, tanhf)
DEFINE_POINTWISE(double, f64, exp, log1p, pow, erf, tanh)

void ltr_cpu_pointwise(int op, const lt_tensor *x, double p0, double p1, lt_tensor *y) {
    if (x->dtype == LT_FLOAT64) pw_f64(op, x->data, p0, p1, y->data, ltr_numel(x));
    else pw_f32(op, x->data, (float)p0, (float)p1, y->data, ltr_numel(x));
}
void ltr_cpu_pointwise_backward(int op, const lt_tensor *x, const lt_tensor *y, double p0, double p1,
                                const lt_tensor *g, lt_tensor *gx) {
    if (x->dtype == LT_FLOAT64) pwb_f64(op, x->data, y->data, p0, p1, g->data, gx->data, ltr_numel(x));
    else pwb_f32(op, x->data, y->data, (float)p0, (float)p1, g->data, gx->data, ltr_numel(x));
}

/* Conversion: C casts (float -> int truncates toward zero as torch does; -> bool is != 0) */
#define CONV_LOOP(TI, TO)                                                                      \
    {                                                                                          \
        const TI *restrict s = x->data;                                                        \
        TO *restrict o = out->data;                                                            \
        if (out->dtype == LT_BOOL) for (int64_t i = 0; i < n; i++) o[i] = (TO)(s[i] != 0);     \
        else for (int64_t i = 0; i < n; i++) o[i] = (TO)s[i];                                  \
    }
#define CONV_FROM(TI)                                                                          \
    switch (out->dtype) {                                                                      \
    case LT_FLOAT32: CONV_LOOP(TI, float) break;                                               \
    case LT_FLOAT64: CONV_LOOP(TI, double) break;                                              \
    case LT_INT64: CONV_LOOP(TI, int64_t) break;                                               \
    case LT_INT32: CONV_LOOP(TI, int32_t) break;                                               \
    default: CONV_LOOP(TI, uint8_t) break;                                                     \
    }

/* bfloat16 on either side goes through float, as c10::BFloat16's conversions do */
static void convert_bf16(const lt_tensor *x, lt_tensor *out, int64_t n) {
    if (x->dtype == LT_FLOAT32 && out->dtype == LT_BFLOAT16)
        ltr_bf16_round_f32(out->data, x->data, n);
    else if (x->dtype == LT_BFLOAT16 && out->dtype == LT_FLOAT32)
        ltr_bf16_widen_f32(out->data, x->data, n);
    else
        for (int64_t i = 0; i < n; i++) {
            double v = ltr_get(x, i);
            /* float -> int truncates and -> bool is != 0 in ltr_set as in the loops above */
            ltr_set(out, i, out->dtype == LT_BFLOAT16 ? (double)(float)v : v);
        }
}

void ltr_cpu_convert(const lt_tensor *x, lt_tensor *out) {
    int64_t n = ltr_numel(x);
    if (x->dtype == LT_BFLOAT16 || out->dtype == LT_BFLOAT16) {
        convert_bf16(x, out, n);
        return;
    }
    switch (x->dtype) {
    case LT_FLOAT32: CONV_FROM(float) break;
    case LT_FLOAT64: CONV_FROM(double) break;
    case LT_INT64: CONV_FROM(int64_t) break;
    case LT_INT32: CONV_FROM(int32_t) break;
    default: CONV_FROM(uint8_t) break;
    }
}

#define FILL_AS(T) { T *restrict p = t->data; for (int64_t i = 0; i < n; i++) p[i] = (T)v; }
#define ARANGE_AS(T) { T *restrict p = t->data; for (int64_t i = 0; i < n; i++) p[i] = (T)(start + (double)i * step); }
void ltr_cpu_fill(lt_tensor *t, double v) {
    int64_t n = ltr_numel(t);
    switch (t->dtype) {
    case LT_FLOAT32: FILL_AS(float) break;
    case LT_FLOAT64: FILL_AS(double) break;
    case LT_INT64: FILL_AS(int64_t) break;
    case LT_INT32: FILL_AS(int32_t) break;
    case LT_BOOL: v = v != 0; FILL_AS(uint8_t) break;
    case LT_BFLOAT16: {
        uint16_t *p = t->data, h = ltr_bf16_from_float((float)v);
        for (int64_t i = 0; i < n; i++) p[i] = h;
        break;
    }
    default: FILL_AS(uint8_t) break;
    }
}
/* torch.lerp's formula, in the tensor's dtype (the weight rounded to it, as torch's
 * scalar weight is): exact at both ends, monotone in between */
#define LERP_LOOP(T)                                                                   \
    do {                                                                               \
        T *d = dst->data;                                                              \
        const T *s = src->data, w = (T)weight;                                         \
        if (w < (T)0.5 && w > (T)-0.5)                                                 \
            for (int64_t i = 0; i < n; i++) d[i] = d[i] + w * (s[i] - d[i]);           \
        else                                                                           \
            for (int64_t i = 0; i < n; i++) d[i] = s[i] - (s[i] - d[i]) * ((T)1 - w);  \
    } while (0)
void ltr_cpu_lerp(lt_tensor *dst, const lt_tensor *src, double weight) {
    int64_t n = ltr_numel(dst);
    if (dst->dtype == LT_FLOAT32) LERP_LOOP(float);
    else LERP_LOOP(double);
}

void ltr_cpu_arange(lt_tensor *t, double start, double step) {
    int64_t n = ltr_numel(t);
    switch (t->dtype) {
    case LT_FLOAT32: ARANGE_AS(float) break;
    case LT_FLOAT64: ARANGE_AS(double) break;
    case LT_INT64: ARANGE_AS(int64_t) break;
    case LT_INT32: ARANGE_AS(int32_t) break;
    case LT_BFLOAT16:
        for (int64_t i = 0; i < n; i++) ltr_set(t, i, (float)(start + (double)i * step));
        break;
    default: ARANGE_AS(uint8_t) break;
    }
}
