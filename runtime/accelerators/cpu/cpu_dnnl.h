/*
 * cpu_dnnl.h — float32 and bfloat16 conv2d through oneDNN when the build has it
 * (cpu_dnnl.c).
 *
 * Tensors are contiguous NCHW (x, y, gx), OIHW (w, gw) and [O] (b, gb), all float32, or
 * all bfloat16 when geo.bf16 (gradients included: rounded once). Each call returns
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
    int64_t bf16; /* 1: every tensor bfloat16 */
} ltr_dnnl_conv_geo;

bool ltr_dnnl_conv2d_forward(const ltr_dnnl_conv_geo *g, const void *x, const void *w,
                             const void *b, void *y);
bool ltr_dnnl_conv2d_backward_data(const ltr_dnnl_conv_geo *g, const void *gy, const void *w,
                                   void *gx);
bool ltr_dnnl_conv2d_backward_weights(const ltr_dnnl_conv_geo *g, const void *x, const void *gy,
                                      void *gw, void *gb);

/* bfloat16 GEMM with float32 accumulation, the arguments of the cblas call
 * C[m,n] = alpha * op(A) op(B) + beta * C (row-major); C is float32, or bfloat16 when
 * c_bf16 (then read and rounded by oneDNN: one rounding per element). Through a cached
 * oneDNN matmul primitive per shape (cpu_dnnl_matmul.c). False: not built in / not served. */
bool ltr_dnnl_gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                        const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, float beta,
                        void *c, bool c_bf16, int64_t ldc);

/* internal to the oneDNN files: the shared CPU engine and stream (NULL when oneDNN is
 * missing or failed to start); opaque here so this header needs no oneDNN headers */
void *ltr_dnnl_engine(void);
void *ltr_dnnl_stream(void);

#endif
