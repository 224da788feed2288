/*
 * cpu_shape.c — strided copy (dst = src or dst += src over an N-D index space, any
 * strides: stride 0 on dst sums, as the gradient of expand needs; runs sequentially)
 * and index_select / index_add along one dim of a contiguous [outer, dim, inner] view.
 * Loops written once per element type through macros.
 */
#include "accelerators/cpu/cpu_shape.h"
#include "tensor/bf16.h"

typedef unsigned char u8;
typedef uint16_t bf16; /* bfloat16 bits: copied as they are, added through float */

/* a + b per element type (the accumulating forms) */
static inline float float_add(float a, float b) { return a + b; }
static inline double double_add(double a, double b) { return a + b; }
static inline int64_t int64_t_add(int64_t a, int64_t b) { return a + b; }
static inline int32_t int32_t_add(int32_t a, int32_t b) { return a + b; }
static inline u8 u8_add(u8 a, u8 b) { return (u8)(a + b); }
static inline bf16 bf16_add(bf16 a, bf16 b) { return ltr_bf16_add(a, b); }

#define STRIDED(T, ACC)                                                                       \
    static void strided_##T##_##ACC(int ndim, const int64_t *shape, T *dst, const int64_t *ds, \
                                    const T *src, const int64_t *ss) {                       \
        int64_t n = 1;                                                                        \
        for (int d = 0; d < ndim; d++) n *= shape[d];                                         \
        if (n == 0) return;                                                                   \
        if (ndim == 0) {                                                                      \
            *dst = ACC ? T##_add(*dst, *src) : *src;                                          \
            return;                                                                           \
        }                                                                                     \
        int64_t idx[LT_MAX_DIMS] = {0}, len = shape[ndim - 1], dsi = ds[ndim - 1],             \
                si = ss[ndim - 1];                                                            \
        for (int64_t done = 0; done < n; done += len) {                                       \
            int64_t od = 0, os = 0;                                                           \
            for (int d = 0; d < ndim - 1; d++) {                                              \
                od += idx[d] * ds[d];                                                         \
                os += idx[d] * ss[d];                                                         \
            }                                                                                 \
            T *dp = dst + od;                                                                 \
            const T *sp = src + os;                                                           \
            for (int64_t i = 0; i < len; i++) {                                               \
                dp[i * dsi] = ACC ? T##_add(dp[i * dsi], sp[i * si]) : sp[i * si];            \
            }                                                                                 \
            for (int d = ndim - 2; d >= 0; d--) {                                             \
                if (++idx[d] < shape[d]) break;                                               \
                idx[d] = 0;                                                                   \
            }                                                                                 \
        }                                                                                     \
    }

STRIDED(float, 0)
STRIDED(float, 1)
STRIDED(double, 0)
STRIDED(double, 1)
STRIDED(int64_t, 0)
STRIDED(int64_t, 1)
STRIDED(int32_t, 0)
STRIDED(int32_t, 1)
STRIDED(u8, 0)
STRIDED(bf16, 0)
STRIDED(bf16, 1)

void ltr_cpu_strided_copy(lt_dtype dt, int ndim, const int64_t *shape, void *dst,
                          const int64_t *ds, const void *src, const int64_t *ss, bool acc) {
    switch (dt) {
    case LT_FLOAT32:
        (acc ? strided_float_1 : strided_float_0)(ndim, shape, dst, ds, src, ss);
        break;
    case LT_FLOAT64:
        (acc ? strided_double_1 : strided_double_0)(ndim, shape, dst, ds, src, ss);
        break;
    case LT_INT64:
        (acc ? strided_int64_t_1 : strided_int64_t_0)(ndim, shape, dst, ds, src, ss);
        break;
    case LT_INT32:
        (acc ? strided_int32_t_1 : strided_int32_t_0)(ndim, shape, dst, ds, src, ss);
        break;
    case LT_UINT8:
    case LT_BOOL: strided_u8_0(ndim, shape, dst, ds, src, ss); break;
    case LT_BFLOAT16:
        (acc ? strided_bf16_1 : strided_bf16_0)(ndim, shape, dst, ds, src, ss);
        break;
    }
}

#define INDEX(T)                                                                              \
    static void isel_##T(const T *restrict x, int64_t outer, int64_t dim, int64_t inner,      \
                         const int64_t *restrict idx, int64_t nidx, T *restrict y) {           \
        for (int64_t o = 0; o < outer; o++)                                                   \
            for (int64_t j = 0; j < nidx; j++) {                                              \
                const T *xs = x + (o * dim + idx[j]) * inner;                                 \
                T *ys = y + (o * nidx + j) * inner;                                           \
                for (int64_t i = 0; i < inner; i++) ys[i] = xs[i];                            \
            }                                                                                 \
    }                                                                                         \
    static void iadd_##T(const T *restrict gy, int64_t outer, int64_t dim, int64_t inner,     \
                         const int64_t *restrict idx, int64_t nidx, T *restrict gx) {          \
        for (int64_t o = 0; o < outer; o++)                                                   \
            for (int64_t j = 0; j < nidx; j++) {                                              \
                T *xs = gx + (o * dim + idx[j]) * inner;                                      \
                const T *ys = gy + (o * nidx + j) * inner;                                    \
                for (int64_t i = 0; i < inner; i++) xs[i] = T##_add(xs[i], ys[i]);            \
            }                                                                                 \
    }
INDEX(float)
INDEX(double)
INDEX(int64_t)
INDEX(int32_t)
INDEX(u8)
INDEX(bf16)

void ltr_cpu_index_select(lt_dtype dt, const void *x, int64_t outer, int64_t dim, int64_t inner,
                          const int64_t *idx, int64_t nidx, void *y) {
    switch (dt) {
    case LT_FLOAT32: isel_float(x, outer, dim, inner, idx, nidx, y); break;
    case LT_FLOAT64: isel_double(x, outer, dim, inner, idx, nidx, y); break;
    case LT_INT64: isel_int64_t(x, outer, dim, inner, idx, nidx, y); break;
    case LT_INT32: isel_int32_t(x, outer, dim, inner, idx, nidx, y); break;
    case LT_UINT8:
    case LT_BOOL: isel_u8(x, outer, dim, inner, idx, nidx, y); break;
    case LT_BFLOAT16: isel_bf16(x, outer, dim, inner, idx, nidx, y); break;
    }
}

void ltr_cpu_index_add(lt_dtype dt, const void *gy, int64_t outer, int64_t dim, int64_t inner,
                       const int64_t *idx, int64_t nidx, void *gx) {
    switch (dt) {
    case LT_FLOAT32: iadd_float(gy, outer, dim, inner, idx, nidx, gx); break;
    case LT_FLOAT64: iadd_double(gy, outer, dim, inner, idx, nidx, gx); break;
    case LT_INT64: iadd_int64_t(gy, outer, dim, inner, idx, nidx, gx); break;
    case LT_INT32: iadd_int32_t(gy, outer, dim, inner, idx, nidx, gx); break;
    case LT_UINT8: iadd_u8(gy, outer, dim, inner, idx, nidx, gx); break;
    case LT_BOOL: break; /* not differentiable; nothing calls it */
    case LT_BFLOAT16: iadd_bf16(gy, outer, dim, inner, idx, nidx, gx); break;
    }
}
