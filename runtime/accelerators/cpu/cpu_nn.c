/*
 * cpu_nn.c — normalisation and embedding kernels on contiguous float tensors.
 *
 * Normalisation works on x viewed as [outer, c, inner] with one statistic per c over
 * its outer*inner elements (batch norm: [N, C, spatial]; layer/group norm: [1, rows,
 * k]). Statistics are accumulated in double, two passes (mean, then the biased
 * variance), as ATen's CPU kernels do in spirit.
 */
#include "accelerators/cpu/cpu_nn.h"

#include <string.h>

#define DEFINE_NN(T, SUF)                                                                      \
    static void stats_##SUF(const T *restrict x, int64_t outer, int64_t c, int64_t inner,       \
                            double *restrict mean, double *restrict var) {                     \
        double m = (double)(outer * inner);                                                    \
        for (int64_t j = 0; j < c; j++) {                                                      \
            double s = 0;                                                                      \
            for (int64_t o = 0; o < outer; o++) {                                              \
                const T *p = x + (o * c + j) * inner;                                          \
                for (int64_t i = 0; i < inner; i++) s += p[i];                                 \
            }                                                                                  \
            double mu = m > 0 ? s / m : 0, q = 0;                                              \
            for (int64_t o = 0; o < outer; o++) {                                              \
                const T *p = x + (o * c + j) * inner;                                          \
                for (int64_t i = 0; i < inner; i++) q += (p[i] - mu) * (p[i] - mu);            \
            }                                                                                  \
            mean[j] = mu;                                                                      \
            var[j] = m > 0 ? q / m : 0;                                                        \
        }                                                                                      \
    }                                                                                          \
    static void apply_##SUF(const T *restrict x, int64_t outer, int64_t c, int64_t inner,       \
                            const double *mean, const double *invstd, T *restrict y) {         \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t j = 0; j < c; j++) {                                                  \
                const T *p = x + (o * c + j) * inner;                                          \
                T *q = y + (o * c + j) * inner;                                                \
                double mu = mean[j], is = invstd[j];                                           \
                for (int64_t i = 0; i < inner; i++) q[i] = (T)((p[i] - mu) * is);              \
            }                                                                                  \
    }                                                                                          \
    /* batch stats: gx = invstd * (g - mean(g) - xhat * mean(g * xhat)); else g * invstd */    \
    static void back_##SUF(const T *restrict y, const T *restrict g, int64_t outer, int64_t c,  \
                           int64_t inner, const double *invstd, bool batch, T *restrict gx) {  \
        double m = (double)(outer * inner);                                                    \
        for (int64_t j = 0; j < c; j++) {                                                      \
            double sg = 0, sgy = 0;                                                            \
            if (batch)                                                                         \
                for (int64_t o = 0; o < outer; o++) {                                          \
                    const T *gp = g + (o * c + j) * inner, *yp = y + (o * c + j) * inner;      \
                    for (int64_t i = 0; i < inner; i++) {                                      \
                        sg += gp[i];                                                           \
                        sgy += (double)gp[i] * yp[i];                                          \
                    }                                                                          \
                }                                                                              \
            double mg = batch && m > 0 ? sg / m : 0, mgy = batch && m > 0 ? sgy / m : 0;       \
            double is = invstd[j];                                                             \
            for (int64_t o = 0; o < outer; o++) {                                              \
                const T *gp = g + (o * c + j) * inner, *yp = y + (o * c + j) * inner;          \
                T *q = gx + (o * c + j) * inner;                                               \
                for (int64_t i = 0; i < inner; i++)                                            \
                    q[i] = (T)(is * (gp[i] - mg - yp[i] * mgy));                               \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    /* per channel j: sums[j] = sum(g), sums[c + j] = sum(g * xhat) (ATen's            \
     * batch_norm_backward_reduce: sum_dy, sum_dy_xmu over invstd) */                         \
    static void back_reduce_##SUF(const T *restrict y, const T *restrict g, int64_t outer,     \
                                  int64_t c, int64_t inner, double *restrict sums) {           \
        for (int64_t j = 0; j < c; j++) {                                                      \
            double sg = 0, sgy = 0;                                                            \
            for (int64_t o = 0; o < outer; o++) {                                              \
                const T *gp = g + (o * c + j) * inner, *yp = y + (o * c + j) * inner;          \
                for (int64_t i = 0; i < inner; i++) {                                          \
                    sg += gp[i];                                                               \
                    sgy += (double)gp[i] * yp[i];                                              \
                }                                                                              \
            }                                                                                  \
            sums[j] = sg, sums[c + j] = sgy;                                                   \
        }                                                                                      \
    }                                                                                          \
    /* gx = invstd * (g - sums[j] / m - xhat * sums[c + j] / m); sums NULL: g * invstd        \
     * (ATen's batch_norm_backward_elemt) */                                                   \
    static void back_elemt_##SUF(const T *restrict y, const T *restrict g, int64_t outer,      \
                                 int64_t c, int64_t inner, const double *invstd,               \
                                 const double *sums, double m, T *restrict gx) {               \
        for (int64_t j = 0; j < c; j++) {                                                      \
            double mg = sums && m > 0 ? sums[j] / m : 0;                                       \
            double mgy = sums && m > 0 ? sums[c + j] / m : 0;                                  \
            double is = invstd[j];                                                             \
            for (int64_t o = 0; o < outer; o++) {                                              \
                const T *gp = g + (o * c + j) * inner, *yp = y + (o * c + j) * inner;          \
                T *q = gx + (o * c + j) * inner;                                               \
                for (int64_t i = 0; i < inner; i++)                                            \
                    q[i] = (T)(is * (gp[i] - mg - yp[i] * mgy));                               \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void emb_##SUF(const T *restrict w, const int64_t *restrict idx, int64_t n,         \
                          int64_t d, T *restrict y) {                                          \
        for (int64_t r = 0; r < n; r++) memcpy(y + r * d, w + idx[r] * d, (size_t)d * sizeof(T)); \
    }                                                                                          \
    static void emb_back_##SUF(const T *restrict g, const int64_t *restrict idx, int64_t n,    \
                               int64_t d, int64_t pad, T *restrict gw) {                       \
        for (int64_t r = 0; r < n; r++) {                                                      \
            if (idx[r] == pad) continue;                                                       \
            T *q = gw + idx[r] * d;                                                            \
            const T *p = g + r * d;                                                            \
            for (int64_t i = 0; i < d; i++) q[i] += p[i];                                      \
        }                                                                                      \
    }

DEFINE_NN(float, f32)
DEFINE_NN(double, f64)

void ltr_cpu_norm_stats(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner, double *mean,
                        double *var) {
    if (x->dtype == LT_FLOAT32) stats_f32(x->data, outer, c, inner, mean, var);
    else stats_f64(x->data, outer, c, inner, mean, var);
}
void ltr_cpu_norm_apply(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                        const double *mean, const double *invstd, lt_tensor *y) {
    if (x->dtype == LT_FLOAT32) apply_f32(x->data, outer, c, inner, mean, invstd, y->data);
    else apply_f64(x->data, outer, c, inner, mean, invstd, y->data);
}
void ltr_cpu_norm_backward(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t c,
                           int64_t inner, const double *invstd, bool batch, lt_tensor *gx) {
    if (y->dtype == LT_FLOAT32) back_f32(y->data, gy->data, outer, c, inner, invstd, batch, gx->data);
    else back_f64(y->data, gy->data, outer, c, inner, invstd, batch, gx->data);
}
void ltr_cpu_norm_backward_reduce(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                  int64_t c, int64_t inner, double *sums) {
    if (y->dtype == LT_FLOAT32) back_reduce_f32(y->data, gy->data, outer, c, inner, sums);
    else back_reduce_f64(y->data, gy->data, outer, c, inner, sums);
}
void ltr_cpu_norm_backward_elemt(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                 int64_t c, int64_t inner, const double *invstd,
                                 const double *sums, double count, lt_tensor *gx) {
    if (y->dtype == LT_FLOAT32)
        back_elemt_f32(y->data, gy->data, outer, c, inner, invstd, sums, count, gx->data);
    else back_elemt_f64(y->data, gy->data, outer, c, inner, invstd, sums, count, gx->data);
}
/* y [n, D] = rows idx of w [V, D] */
void ltr_cpu_embedding(const lt_tensor *w, const int64_t *idx, int64_t n, lt_tensor *y) {
    int64_t d = w->shape[1];
    if (w->dtype == LT_FLOAT32) emb_f32(w->data, idx, n, d, y->data);
    else emb_f64(w->data, idx, n, d, y->data);
}
/* gw [V, D] (already zeroed or holding a value) += gy rows at idx, skipping padding_idx */
void ltr_cpu_embedding_backward(const lt_tensor *gy, const int64_t *idx, int64_t n, int64_t pad,
                                lt_tensor *gw) {
    int64_t d = gw->shape[1];
    if (gw->dtype == LT_FLOAT32) emb_back_f32(gy->data, idx, n, d, pad, gw->data);
    else emb_back_f64(gy->data, idx, n, d, pad, gw->data);
}
