/* cpu_conv.c — im2col/col2im for convolution as GEMM, and max pooling, on the CPU. */
#include "accelerators/cpu/cpu_conv.h"
#include "tensor/bf16.h"
#include "util/simd_clones.h"

/* Rows here are short (tens of elements): keep gcc from turning the copy and zeroing
 * loops into memcpy/memset calls, which cost more than the loops at these sizes. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include <math.h>
#include <string.h>

#define POOL_PAR_MIN 32768 /* roughly the work (outputs x window) worth a thread team */

/* Output columns ox whose input column ix = ox*s - p + off lies in [0, w): [*lo, *hi). */
static inline void valid_range(int64_t wo, int64_t w, int64_t s, int64_t p, int64_t off,
                               int64_t *lo, int64_t *hi) {
    int64_t a = p - off, b = w + p - off; /* need a <= ox*s < b */
    int64_t l = a <= 0 ? 0 : (a + s - 1) / s, h = b <= 0 ? 0 : (b + s - 1) / s;
    *lo = l < wo ? l : wo;
    *hi = h < wo ? h : wo;
    if (*hi < *lo) *hi = *lo;
}

/* One loop nest serves both directions: im2col copies x into cols, col2im adds cols
 * back into dx. Rows of cols are (channel, ki, kj); columns are output positions. The
 * padding columns of each row are cut off once per row (valid_range), so the inner
 * loops are branch-free copies/adds that gcc vectorises (contiguous at stride 1). */
#define DEFINE_COLS(T, SUF)                                                                    \
    static void im2col_##SUF(const T *restrict x, int64_t c, int64_t h, int64_t w,             \
                             const int64_t *k, const lt_conv2d_options *o, int64_t ho,         \
                             int64_t wo, int64_t ld, T *restrict cols) {                       \
        const int64_t sx = o->stride[1];                                                       \
        for (int64_t ch = 0; ch < c; ch++)                                                     \
            for (int64_t ki = 0; ki < k[0]; ki++)                                              \
                for (int64_t kj = 0; kj < k[1]; kj++) {                                        \
                    T *row = cols + ((ch * k[0] + ki) * k[1] + kj) * ld;                       \
                    int64_t off = kj * o->dilation[1] - o->padding[1], lo, hi;                 \
                    valid_range(wo, w, sx, o->padding[1], kj * o->dilation[1], &lo, &hi);     \
                    for (int64_t oy = 0; oy < ho; oy++) {                                      \
                        int64_t iy = oy * o->stride[0] - o->padding[0] + ki * o->dilation[0];  \
                        T *r = row + oy * wo;                                                  \
                        if (iy < 0 || iy >= h) {                                               \
                            memset(r, 0, (size_t)wo * sizeof(T));                             \
                            continue;                                                          \
                        }                                                                      \
                        const T *xr = x + (ch * h + iy) * w; /* ix = ox * sx + off */          \
                        for (int64_t ox = 0; ox < lo; ox++) r[ox] = 0;                         \
                        if (sx == 1)                                                           \
                            for (int64_t ox = lo; ox < hi; ox++) r[ox] = xr[ox + off];         \
                        else                                                                   \
                            for (int64_t ox = lo; ox < hi; ox++) r[ox] = xr[ox * sx + off];    \
                        for (int64_t ox = hi; ox < wo; ox++) r[ox] = 0;                        \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void col2im_##SUF(const T *restrict cols, int64_t c, int64_t h, int64_t w,          \
                             const int64_t *k, const lt_conv2d_options *o, int64_t ho,         \
                             int64_t wo, int64_t ld, T *restrict dx) {                         \
        const int64_t sx = o->stride[1];                                                       \
        for (int64_t ch = 0; ch < c; ch++)                                                     \
            for (int64_t ki = 0; ki < k[0]; ki++)                                              \
                for (int64_t kj = 0; kj < k[1]; kj++) {                                        \
                    const T *row = cols + ((ch * k[0] + ki) * k[1] + kj) * ld;                 \
                    int64_t off = kj * o->dilation[1] - o->padding[1], lo, hi;                 \
                    valid_range(wo, w, sx, o->padding[1], kj * o->dilation[1], &lo, &hi);     \
                    for (int64_t oy = 0; oy < ho; oy++) {                                      \
                        int64_t iy = oy * o->stride[0] - o->padding[0] + ki * o->dilation[0];  \
                        if (iy < 0 || iy >= h) continue;                                       \
                        const T *r = row + oy * wo;                                            \
                        T *dr = dx + (ch * h + iy) * w; /* ix = ox * sx + off */               \
                        if (sx == 1)                                                           \
                            for (int64_t ox = lo; ox < hi; ox++) dr[ox + off] += r[ox];        \
                        else                                                                   \
                            for (int64_t ox = lo; ox < hi; ox++) dr[ox * sx + off] += r[ox];   \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    /* 2x2 windows, stride 2, no padding (every window whole): the common CNN case */    \
    /* one plane; restrict parameters so the loop vectorises inside the OpenMP region */  \
    static inline void max_pool_2x2_plane_##SUF(const T *restrict xp, int64_t w, int64_t ho,   \
                                                int64_t wo, T *restrict yp,                    \
                                                int64_t *restrict ip) {                        \
        for (int64_t oy = 0; oy < ho; oy++) {                                                  \
            const T *r0 = xp + 2 * oy * w, *r1 = r0 + w;                                       \
            for (int64_t ox = 0; ox < wo; ox++) {                                              \
                /* scan order (0,0) (0,1) (1,0) (1,1); torch's CPU kernel: a candidate      \
                 * takes over when greater or NaN (the first maximum wins, the last NaN     \
                 * does), as selects without branches, which gcc vectorises */             \
                int64_t b = 2 * oy * w + 2 * ox;                                               \
                T best = r0[2 * ox];                                                           \
                int64_t bi = b;                                                                \
                const T c1 = r0[2 * ox + 1], c2 = r1[2 * ox], c3 = r1[2 * ox + 1];             \
                int t1 = (c1 > best) | (c1 != c1);                                         \
                best = t1 ? c1 : best, bi = t1 ? b + 1 : bi;                                   \
                int t2 = (c2 > best) | (c2 != c2);                                         \
                best = t2 ? c2 : best, bi = t2 ? b + w : bi;                                   \
                int t3 = (c3 > best) | (c3 != c3);                                         \
                best = t3 ? c3 : best, bi = t3 ? b + w + 1 : bi;                               \
                yp[oy * wo + ox] = best;                                                       \
                ip[oy * wo + ox] = bi;                                                         \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    LTR_SIMD_CLONES_AVX2 static void max_pool_2x2_##SUF(                                   \
        const T *x, int64_t planes, int64_t h, int64_t w, int64_t ho, int64_t wo, T *y,       \
        int64_t *idx) {                                                                        \
        _Pragma("omp parallel for if (planes > 1 && planes * ho * wo * 4 > POOL_PAR_MIN) schedule(static)") \
        for (int64_t pl = 0; pl < planes; pl++)                                                \
            max_pool_2x2_plane_##SUF(x + pl * h * w, w, ho, wo, y + pl * ho * wo,              \
                                     idx + pl * ho * wo);                                      \
    }                                                                                          \
    static void max_pool_back_##SUF(const T *gy, const int64_t *idx, int64_t planes,           \
                                    int64_t hw, int64_t howo, T *gx) {                         \
        memset(gx, 0, (size_t)(planes * hw) * sizeof(T));                                      \
        _Pragma("omp parallel for if (planes > 1 && planes * howo > 32768) schedule(static)")   \
        for (int64_t pl = 0; pl < planes; pl++)                                                \
            for (int64_t i = 0; i < howo; i++) {                                               \
                int64_t at = pl * howo + i;                                                    \
                if (idx[at] >= 0) gx[pl * hw + idx[at]] += gy[at];                             \
            }                                                                                  \
    }

DEFINE_COLS(float, f32)
DEFINE_COLS(double, f64)

void ltr_cpu_im2col(lt_dtype dt, const void *x, int64_t c, int64_t h, int64_t w, const int64_t *k,
                    const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *cols) {
    if (dt == LT_FLOAT64) im2col_f64(x, c, h, w, k, o, ho, wo, ld, cols);
    else im2col_f32(x, c, h, w, k, o, ho, wo, ld, cols);
}

void ltr_cpu_col2im(lt_dtype dt, const void *cols, int64_t c, int64_t h, int64_t w,
                    const int64_t *k, const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *dx) {
    if (dt == LT_FLOAT64) col2im_f64(cols, c, h, w, k, o, ho, wo, ld, dx);
    else col2im_f32(cols, c, h, w, k, o, ho, wo, ld, dx);
}

/* bfloat16 max pooling: the float32 kernel's choice (compared as floats, the same taps,
 * the same tie and NaN rules), the winner's bits copied: exact, nothing rounded */
static inline float bf16_value(uint16_t h) {
    union { uint32_t u; float f; } v = {.u = (uint32_t)h << 16};
    return v.f;
}
/* the 2x2 stride-2 case, one plane: the float32 kernel's selects (max_pool_2x2_plane) */
static inline void max_pool_2x2_plane_bf16(const uint16_t *restrict xp, int64_t w, int64_t ho, int64_t wo,
                                    uint16_t *restrict yp, int64_t *restrict ip) {
    for (int64_t oy = 0; oy < ho; oy++) {
        const uint16_t *r0 = xp + 2 * oy * w, *r1 = r0 + w;
        for (int64_t ox = 0; ox < wo; ox++) {
            int64_t b = 2 * oy * w + 2 * ox, bi = b;
            uint16_t bh = r0[2 * ox];
            float best = bf16_value(bh);
            const uint16_t h1 = r0[2 * ox + 1], h2 = r1[2 * ox], h3 = r1[2 * ox + 1];
            const float c1 = bf16_value(h1), c2 = bf16_value(h2), c3 = bf16_value(h3);
            int t1 = (c1 > best) | (c1 != c1);
            best = t1 ? c1 : best, bh = t1 ? h1 : bh, bi = t1 ? b + 1 : bi;
            int t2 = (c2 > best) | (c2 != c2);
            best = t2 ? c2 : best, bh = t2 ? h2 : bh, bi = t2 ? b + w : bi;
            int t3 = (c3 > best) | (c3 != c3);
            bh = t3 ? h3 : bh, bi = t3 ? b + w + 1 : bi;
            yp[oy * wo + ox] = bh;
            ip[oy * wo + ox] = bi;
        }
    }
}

LTR_SIMD_CLONES_AVX2 static void max_pool_2x2_bf16(const uint16_t *x, int64_t planes, int64_t h,
                                                  int64_t w, int64_t ho, int64_t wo, uint16_t *y,
                                                  int64_t *idx) {
#pragma omp parallel for if (planes > 1 && planes * ho * wo * 4 > POOL_PAR_MIN) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++)
        max_pool_2x2_plane_bf16(x + pl * h * w, w, ho, wo, y + pl * ho * wo, idx + pl * ho * wo);
}

static void max_pool_ex_bf16(const uint16_t *x, int64_t planes, int64_t h, int64_t w,
                             const ltr_pool_geo *g, uint16_t *y, int64_t *idx) {
    const int64_t ho = g->ho, wo = g->wo;
    if (g->k[0] == 2 && g->k[1] == 2 && g->s[0] == 2 && g->s[1] == 2 && g->p[0] == 0 && g->p[1] == 0 &&
        g->d[0] == 1 && g->d[1] == 1 && 2 * ho <= h && 2 * wo <= w) {
        max_pool_2x2_bf16(x, planes, h, w, ho, wo, y, idx);
        return;
    }
#pragma omp parallel for if (planes > 1 && planes * ho * wo * g->k[0] * g->k[1] > POOL_PAR_MIN) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        const uint16_t *xp = x + pl * h * w;
        for (int64_t oy = 0; oy < ho; oy++)
            for (int64_t ox = 0; ox < wo; ox++) {
                float best = -INFINITY;
                int64_t bi = -1;
                for (int64_t ki = 0; ki < g->k[0]; ki++) {
                    int64_t iy = oy * g->s[0] - g->p[0] + ki * g->d[0];
                    if (iy < 0 || iy >= h) continue;
                    for (int64_t kj = 0; kj < g->k[1]; kj++) {
                        int64_t ix = ox * g->s[1] - g->p[1] + kj * g->d[1];
                        if (ix < 0 || ix >= w) continue;
                        float v = bf16_value(xp[iy * w + ix]);
                        if (bi < 0 || v > best || isnan(v)) {
                            best = v;
                            bi = iy * w + ix;
                        }
                    }
                }
                int64_t at = (pl * ho + oy) * wo + ox;
                y[at] = bi < 0 ? ltr_bf16_from_float(-INFINITY) : xp[bi];
                idx[at] = bi;
            }
    }
}

/* its backward: each window's gradient added at its argmax in float32, rounded once per
 * addition (one addition per input where windows do not overlap: exact) */
static void max_pool_back_bf16(const uint16_t *gy, const int64_t *idx, int64_t planes, int64_t hw,
                               int64_t howo, uint16_t *gx) {
    memset(gx, 0, (size_t)(planes * hw) * sizeof(uint16_t));
#pragma omp parallel for if (planes > 1 && planes * howo > 32768) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t i = 0; i < howo; i++) {
            int64_t at = pl * howo + i;
            if (idx[at] >= 0) {
                uint16_t *d = gx + pl * hw + idx[at];
                *d = ltr_bf16_add(*d, gy[at]);
            }
        }
}

void ltr_cpu_max_pool2d_backward(lt_dtype dt, const void *gy, const int64_t *idx, int64_t planes,
                                 int64_t h, int64_t w, const ltr_pool_geo *g, void *gx) {
    int64_t hw = h * w, howo = g->ho * g->wo;
    if (dt == LT_BFLOAT16) max_pool_back_bf16(gy, idx, planes, hw, howo, gx);
    else if (dt == LT_FLOAT64) max_pool_back_f64(gy, idx, planes, hw, howo, gx);
    else max_pool_back_f32(gy, idx, planes, hw, howo, gx);
}

/* ------------------------------------------------------------ pooling */
/* Pooling kernels. Every plane is independent, so planes are split over OpenMP threads
 * (each writes only its own plane: results do not depend on the thread count); the
 * if() clause keeps small problems serial. */

#define DEFINE_POOL(T, SUF)                                                                    \
    /* torch's avg_pool2d: window [oy*s - p, min(oy*s - p + k, h + p)), divisor its size   \
     * (count_include_pad) or the size of its part inside the input */                     \
    static void avg_pool_##SUF(const T *restrict x, int64_t planes, int64_t h, int64_t w,      \
                               const ltr_pool_geo *g, T *restrict y, T *restrict gx, int back) { \
        const int64_t ho = g->ho, wo = g->wo;                                                  \
        if (back) memset(gx, 0, (size_t)(planes * h * w) * sizeof(T));                        \
        _Pragma("omp parallel for if (planes > 1 && planes * ho * wo * g->k[0] * g->k[1] > POOL_PAR_MIN) schedule(static)") \
        for (int64_t pl = 0; pl < planes; pl++) {                                              \
            for (int64_t oy = 0; oy < ho; oy++) {                                              \
                int64_t y0 = oy * g->s[0] - g->p[0], y1 = y0 + g->k[0];                        \
                if (y1 > h + g->p[0]) y1 = h + g->p[0];                                        \
                int64_t ph = y1 - y0;                                                          \
                if (y0 < 0) y0 = 0;                                                            \
                if (y1 > h) y1 = h;                                                            \
                for (int64_t ox = 0; ox < wo; ox++) {                                          \
                    int64_t x0 = ox * g->s[1] - g->p[1], x1 = x0 + g->k[1];                    \
                    if (x1 > w + g->p[1]) x1 = w + g->p[1];                                    \
                    int64_t pw = x1 - x0;                                                      \
                    if (x0 < 0) x0 = 0;                                                        \
                    if (x1 > w) x1 = w;                                                        \
                    int64_t div = g->count_include_pad ? ph * pw : (y1 - y0) * (x1 - x0);      \
                    int64_t at = (pl * ho + oy) * wo + ox;                                     \
                    if (back) {                                                                \
                        T v = div > 0 ? x[at] / (T)div : 0;                                    \
                        T *gp = gx + pl * h * w;                                               \
                        for (int64_t iy = y0; iy < y1; iy++)                                   \
                            for (int64_t ix = x0; ix < x1; ix++) gp[iy * w + ix] += v;         \
                    } else {                                                                   \
                        const T *xp = x + pl * h * w;                                          \
                        T sum = 0;                                                             \
                        for (int64_t iy = y0; iy < y1; iy++)                                   \
                            for (int64_t ix = x0; ix < x1; ix++) sum += xp[iy * w + ix];       \
                        y[at] = div > 0 ? sum / (T)div : 0;                                    \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    /* torch's max_pool2d (CPU): taps oy*s - p + i*d inside the input; a later value wins  \
     * if it is greater or NaN; an all-padding window gives -inf with idx -1 */             \
    static void max_pool_ex_##SUF(const T *restrict x, int64_t planes, int64_t h, int64_t w,   \
                                  const ltr_pool_geo *g, T *restrict y, int64_t *restrict idx) { \
        if (g->k[0] == 2 && g->k[1] == 2 && g->s[0] == 2 && g->s[1] == 2 && g->p[0] == 0 &&    \
            g->p[1] == 0 && g->d[0] == 1 && g->d[1] == 1 && 2 * g->ho <= h && 2 * g->wo <= w) { \
            max_pool_2x2_##SUF(x, planes, h, w, g->ho, g->wo, y, idx);                         \
            return;                                                                            \
        }                                                                                      \
        const int64_t ho = g->ho, wo = g->wo;                                                  \
        _Pragma("omp parallel for if (planes > 1 && planes * ho * wo * g->k[0] * g->k[1] > POOL_PAR_MIN) schedule(static)") \
        for (int64_t pl = 0; pl < planes; pl++) {                                              \
            const T *xp = x + pl * h * w;                                                      \
            for (int64_t oy = 0; oy < ho; oy++)                                                \
                for (int64_t ox = 0; ox < wo; ox++) {                                          \
                    T best = -INFINITY;                                                        \
                    int64_t bi = -1;                                                           \
                    for (int64_t ki = 0; ki < g->k[0]; ki++) {                                 \
                        int64_t iy = oy * g->s[0] - g->p[0] + ki * g->d[0];                    \
                        if (iy < 0 || iy >= h) continue;                                       \
                        for (int64_t kj = 0; kj < g->k[1]; kj++) {                             \
                            int64_t ix = ox * g->s[1] - g->p[1] + kj * g->d[1];                \
                            if (ix < 0 || ix >= w) continue;                                   \
                            T v = xp[iy * w + ix];                                             \
                            if (bi < 0 || v > best || isnan(v)) {                              \
                                best = v;                                                      \
                                bi = iy * w + ix;                                              \
                            }                                                                  \
                        }                                                                      \
                    }                                                                          \
                    int64_t at = (pl * ho + oy) * wo + ox;                                     \
                    y[at] = best;                                                              \
                    idx[at] = bi;                                                              \
                }                                                                              \
        }                                                                                      \
    }                                                                                          \
    static void adaptive_##SUF(const T *restrict x, int64_t planes, int64_t h, int64_t w,      \
                               int64_t ho, int64_t wo, T *restrict y, T *restrict gx, int back) { \
        if (back) memset(gx, 0, (size_t)(planes * h * w) * sizeof(T));                        \
        _Pragma("omp parallel for if (planes > 1 && planes * h * w > POOL_PAR_MIN) schedule(static)") \
        for (int64_t pl = 0; pl < planes; pl++)                                                \
            for (int64_t oy = 0; oy < ho; oy++) {                                              \
                int64_t y0 = oy * h / ho, y1 = ((oy + 1) * h + ho - 1) / ho;                   \
                for (int64_t ox = 0; ox < wo; ox++) {                                          \
                    int64_t x0 = ox * w / wo, x1 = ((ox + 1) * w + wo - 1) / wo;               \
                    int64_t at = (pl * ho + oy) * wo + ox;                                     \
                    T n = (T)((y1 - y0) * (x1 - x0));                                          \
                    if (back) {                                                                \
                        T v = x[at] / n, *gp = gx + pl * h * w;                                \
                        for (int64_t iy = y0; iy < y1; iy++)                                   \
                            for (int64_t ix = x0; ix < x1; ix++) gp[iy * w + ix] += v;         \
                    } else {                                                                   \
                        const T *xp = x + pl * h * w;                                          \
                        T sum = 0;                                                             \
                        for (int64_t iy = y0; iy < y1; iy++)                                   \
                            for (int64_t ix = x0; ix < x1; ix++) sum += xp[iy * w + ix];       \
                        y[at] = sum / n;                                                       \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
    }

DEFINE_POOL(float, f32)
DEFINE_POOL(double, f64)

void ltr_cpu_avg_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                        const ltr_pool_geo *g, void *y) {
    if (dt == LT_FLOAT64) avg_pool_f64(x, planes, h, w, g, y, NULL, 0);
    else avg_pool_f32(x, planes, h, w, g, y, NULL, 0);
}

void ltr_cpu_avg_pool2d_backward(lt_dtype dt, const void *gy, int64_t planes, int64_t h, int64_t w,
                                 const ltr_pool_geo *g, void *gx) {
    if (dt == LT_FLOAT64) avg_pool_f64(gy, planes, h, w, g, NULL, gx, 1);
    else avg_pool_f32(gy, planes, h, w, g, NULL, gx, 1);
}

void ltr_cpu_max_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                           const ltr_pool_geo *g, void *y, int64_t *idx) {
    if (dt == LT_BFLOAT16) max_pool_ex_bf16(x, planes, h, w, g, y, idx);
    else if (dt == LT_FLOAT64) max_pool_ex_f64(x, planes, h, w, g, y, idx);
    else max_pool_ex_f32(x, planes, h, w, g, y, idx);
}

void ltr_cpu_adaptive_avg_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                                 int64_t ho, int64_t wo, void *y) {
    if (dt == LT_FLOAT64) adaptive_f64(x, planes, h, w, ho, wo, y, NULL, 0);
    else adaptive_f32(x, planes, h, w, ho, wo, y, NULL, 0);
}

void ltr_cpu_adaptive_avg_pool2d_backward(lt_dtype dt, const void *gy, int64_t planes, int64_t h,
                                          int64_t w, int64_t ho, int64_t wo, void *gx) {
    if (dt == LT_FLOAT64) adaptive_f64(gy, planes, h, w, ho, wo, NULL, gx, 1);
    else adaptive_f32(gy, planes, h, w, ho, wo, NULL, gx, 1);
}
