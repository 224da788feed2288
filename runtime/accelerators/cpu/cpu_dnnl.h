/*
 * cpu_dnnl.h — float32 conv2d through oneDNN when the build has it (cpu_dnnl.c).
 *
 * Tensors are contiguous NCHW (x, y, gx), OIHW (w, gw) and [O] (b, gb). Each call returns
 * false when oneDNN is not built in or cannot serve the geometry; the caller then uses
 * im2col + GEMM. Outputs are overwritten, not accumulated. `b` and `gb` are required
 * (pass zeros / a scratch of O floats for a conv without bias).
 */
#ifndef LTR_CPU_DNNL_H
#define LTR_CPU_DNNL_H

#include <stdbool.h>
#include <stdint.h>

/* the whole geometry: also the cache key (zero-initialise it, compared bytewise) */
typedef struct ltr_dnnl_conv_geo {
    int64_t n, c, h, w, o, kh, kw, ho, wo;
    int64_t stride[2], padding[2], dilation[2], groups;
} ltr_dnnl_conv_geo;

bool ltr_dnnl_conv2d_forward(const ltr_dnnl_conv_geo *g, const float *x, const float *w,
                             const float *b, float *y);
bool ltr_dnnl_conv2d_backward_data(const ltr_dnnl_conv_geo *g, const float *gy, const float *w,
                                   float *gx);
bool ltr_dnnl_conv2d_backward_weights(const ltr_dnnl_conv_geo *g, const float *x, const float *gy,
                                      float *gw, float *gb);

#endif
