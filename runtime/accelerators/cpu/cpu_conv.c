/* cpu_conv.c — im2col/col2im for convolution as GEMM, and max pooling, on the CPU. */
#include "accelerators/cpu/cpu_conv.h"

#include <math.h>
#include <string.h>

/* One loop nest serves both directions: im2col copies x into cols, col2im adds cols
 * back into dx. Rows of cols are (channel, ki, kj); columns are output positions. */
#define DEFINE_COLS(T, SUF)                                                                    \
    static void im2col_##SUF(const T *x, int64_t c, int64_t h, int64_t w, const int64_t *k,    \
                             const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld,    \
                             T *cols, int back) {                                                       \
        T *dx = (T *)x;                                                                        \
        for (int64_t ch = 0; ch < c; ch++)                                                     \
            for (int64_t ki = 0; ki < k[0]; ki++)                                              \
                for (int64_t kj = 0; kj < k[1]; kj++) {                                        \
                    T *row = cols + ((ch * k[0] + ki) * k[1] + kj) * ld;                       \
                    for (int64_t oy = 0; oy < ho; oy++) {                                      \
                        int64_t iy = oy * o->stride[0] - o->padding[0] + ki * o->dilation[0];  \
                        T *r = row + oy * wo;                                                  \
                        if (iy < 0 || iy >= h) {                                               \
                            if (!back) memset(r, 0, (size_t)wo * sizeof(T));                  \
                            continue;                                                          \
                        }                                                                      \
                        const int64_t base = (ch * h + iy) * w;                                \
                        for (int64_t ox = 0; ox < wo; ox++) {                                  \
                            int64_t ix = ox * o->stride[1] - o->padding[1] + kj * o->dilation[1]; \
                            bool in = ix >= 0 && ix < w;                                       \
                            if (back) {                                                        \
                                if (in) dx[base + ix] += r[ox];                                \
                            } else {                                                           \
                                r[ox] = in ? x[base + ix] : 0;                                 \
                            }                                                                  \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
    }                                                                                          \
    static void max_pool_##SUF(const T *x, int64_t planes, int64_t h, int64_t w, int64_t k,    \
                               int64_t s, int64_t p, int64_t ho, int64_t wo, T *y,             \
                               int64_t *idx) {                                                 \
        for (int64_t pl = 0; pl < planes; pl++) {                                              \
            const T *xp = x + pl * h * w;                                                      \
            for (int64_t oy = 0; oy < ho; oy++)                                                \
                for (int64_t ox = 0; ox < wo; ox++) {                                          \
                    T best = -INFINITY;                                                        \
                    int64_t bi = -1;                                                           \
                    for (int64_t ki = 0; ki < k; ki++) {                                       \
                        int64_t iy = oy * s - p + ki;                                          \
                        if (iy < 0 || iy >= h) continue;                                       \
                        for (int64_t kj = 0; kj < k; kj++) {                                   \
                            int64_t ix = ox * s - p + kj;                                      \
                            if (ix < 0 || ix >= w) continue;                                   \
                            T v = xp[iy * w + ix];                                             \
                            /* torch: the first maximum wins; NaN counts as the maximum */     \
                            if (bi < 0 || v > best || (isnan(v) && !isnan(best))) {            \
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
    static void max_pool_back_##SUF(const T *gy, const int64_t *idx, int64_t planes,           \
                                    int64_t hw, int64_t howo, T *gx) {                         \
        memset(gx, 0, (size_t)(planes * hw) * sizeof(T));                                      \
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
    if (dt == LT_FLOAT64) im2col_f64(x, c, h, w, k, o, ho, wo, ld, cols, 0);
    else im2col_f32(x, c, h, w, k, o, ho, wo, ld, cols, 0);
}

void ltr_cpu_col2im(lt_dtype dt, const void *cols, int64_t c, int64_t h, int64_t w,
                    const int64_t *k, const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *dx) {
    /* the same walk as im2col, adding the columns into dx */
    if (dt == LT_FLOAT64) im2col_f64(dx, c, h, w, k, o, ho, wo, ld, (double *)cols, 1);
    else im2col_f32(dx, c, h, w, k, o, ho, wo, ld, (float *)cols, 1);
}

void ltr_cpu_max_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w, int64_t k,
                        int64_t s, int64_t p, int64_t ho, int64_t wo, void *y, int64_t *idx) {
    if (dt == LT_FLOAT64) max_pool_f64(x, planes, h, w, k, s, p, ho, wo, y, idx);
    else max_pool_f32(x, planes, h, w, k, s, p, ho, wo, y, idx);
}

void ltr_cpu_max_pool2d_backward(lt_dtype dt, const void *gy, const int64_t *idx, int64_t planes,
                                 int64_t hw, int64_t howo, void *gx) {
    if (dt == LT_FLOAT64) max_pool_back_f64(gy, idx, planes, hw, howo, gx);
    else max_pool_back_f32(gy, idx, planes, hw, howo, gx);
}
