/* cpu_conv.h — the CPU accelerator's convolution and pooling kernels (cpu_conv.c). */
#ifndef LTR_CPU_CONV_H
#define LTR_CPU_CONV_H

#include "accelerators/accelerator.h"

void ltr_cpu_im2col(lt_dtype dt, const void *x, int64_t c, int64_t h, int64_t w, const int64_t *k,
                    const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *cols);
void ltr_cpu_col2im(lt_dtype dt, const void *cols, int64_t c, int64_t h, int64_t w,
                    const int64_t *k, const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *dx);
void ltr_cpu_avg_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                        const ltr_pool_geo *g, void *y);
void ltr_cpu_avg_pool2d_backward(lt_dtype dt, const void *gy, int64_t planes, int64_t h, int64_t w,
                                 const ltr_pool_geo *g, void *gx);
void ltr_cpu_max_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                        const ltr_pool_geo *g, void *y, int64_t *idx);
void ltr_cpu_max_pool2d_backward(lt_dtype dt, const void *gy, const int64_t *idx, int64_t planes,
                                 int64_t h, int64_t w, const ltr_pool_geo *g, void *gx);
void ltr_cpu_adaptive_avg_pool2d(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                                 int64_t ho, int64_t wo, void *y);
void ltr_cpu_adaptive_avg_pool2d_backward(lt_dtype dt, const void *gy, int64_t planes, int64_t h,
                                          int64_t w, int64_t ho, int64_t wo, void *gx);

#endif
