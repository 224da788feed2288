/* cpu_nn.h — the CPU accelerator's normalisation and embedding kernels (cpu_nn.c). */
#ifndef LTR_CPU_NN_H
#define LTR_CPU_NN_H

#include "accelerators/accelerator.h"

void ltr_cpu_norm_stats(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner, double *mean,
                        double *var);
void ltr_cpu_norm_apply(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                        const double *mean, const double *invstd, lt_tensor *y);
void ltr_cpu_norm_backward(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t c,
                           int64_t inner, const double *invstd, bool batch_stats, lt_tensor *gx);
/* SyncBatchNorm's backward in two halves, so the sums can be added over the ranks in
 * between: sums [2c] = per channel sum(gy), sum(gy * y); then gx from the sums over
 * `count` elements (sums NULL: gy * invstd) */
void ltr_cpu_norm_backward_reduce(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                  int64_t c, int64_t inner, double *sums);
void ltr_cpu_norm_backward_elemt(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                 int64_t c, int64_t inner, const double *invstd,
                                 const double *sums, double count, lt_tensor *gx);
void ltr_cpu_embedding(const lt_tensor *w, const int64_t *idx, int64_t n, lt_tensor *y);
void ltr_cpu_embedding_backward(const lt_tensor *gy, const int64_t *idx, int64_t n,
                                int64_t padding_idx, lt_tensor *gw);

#endif
