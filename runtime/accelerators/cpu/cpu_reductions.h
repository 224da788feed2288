/* cpu_reductions.h — the CPU accelerator's reductions along one dimension of an
 * [outer, dim, inner] view of a contiguous tensor, and softmax (cpu_reductions.c). */
#ifndef LTR_CPU_REDUCTIONS_H
#define LTR_CPU_REDUCTIONS_H

#include "accelerators/accelerator.h"

void ltr_cpu_reduce_dim(int op, const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner,
                        double arg, lt_tensor *y, lt_tensor *idx);
void ltr_cpu_reduce_dim_backward(int op, const lt_tensor *x, const lt_tensor *y,
                                 const lt_tensor *idx, const lt_tensor *gy, int64_t outer,
                                 int64_t dim, int64_t inner, double arg, lt_tensor *gx);
void ltr_cpu_softmax(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner, lt_tensor *y);
void ltr_cpu_softmax_backward(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t dim,
                              int64_t inner, lt_tensor *gx);

#endif
