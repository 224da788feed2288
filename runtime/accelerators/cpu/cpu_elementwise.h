/* cpu_elementwise.h — the CPU accelerator's elementwise kernels (cpu_elementwise.c).
 * Contracts as in accelerator.h's kernel list. */
#ifndef LTR_CPU_ELEMENTWISE_H
#define LTR_CPU_ELEMENTWISE_H

#include "accelerators/accelerator.h"

void ltr_cpu_expand(const lt_tensor *src, const int64_t *sstride, lt_tensor *out);
void ltr_cpu_binary_ew(int op, const lt_tensor *a, const int64_t *as, const lt_tensor *b,
                       const int64_t *bs, lt_tensor *out);
void ltr_cpu_binary_backward(ltr_binary_op op, const lt_tensor *a, const lt_tensor *b, const lt_tensor *y,
                             const lt_tensor *g, lt_tensor *ga, lt_tensor *gb);
void ltr_cpu_compare(int op, const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
void ltr_cpu_where(const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
void ltr_cpu_where_backward(const lt_tensor *cond, const lt_tensor *g, lt_tensor *ga, lt_tensor *gb);
void ltr_cpu_pointwise(int op, const lt_tensor *x, double p0, double p1, lt_tensor *y);
void ltr_cpu_pointwise_backward(int op, const lt_tensor *x, const lt_tensor *y, double p0, double p1,
                                const lt_tensor *g, lt_tensor *gx);
void ltr_cpu_convert(const lt_tensor *x, lt_tensor *out);
void ltr_cpu_fill(lt_tensor *t, double v);
void ltr_cpu_arange(lt_tensor *t, double start, double step);
void ltr_cpu_lerp(lt_tensor *dst, const lt_tensor *src, double weight);

#endif
