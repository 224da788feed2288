/*
 * accelerator.h — the per-device kernel table every op dispatches through.
 *
 * Op front-ends (runtime/tensor/ops_*.c) check shapes, allocate outputs and record
 * autograd; the kernels here only compute. Tensors handed to a kernel are contiguous,
 * of one float dtype (float32 or float64) unless noted, on the accelerator's device;
 * `binary` alone also takes strided inputs. A kernel never allocates and never fails:
 * the front-end has checked everything. A CUDA accelerator fills the same table from
 * its own .so. Dispatch is one indirect call per op, never per element.
 */
#ifndef LTR_ACCELERATOR_H
#define LTR_ACCELERATOR_H

#include "accelerators/numerics.h"
#include "tensor/tensor.h"
#include "util/rng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* binary's ops: add/sub/mul have the broadcasting row loops of the MLP's hot path */
typedef enum ltr_binary_op {
    LTR_BIN_ADD, LTR_BIN_SUB, LTR_BIN_MUL, LTR_BIN_DIV, LTR_BIN_MAXIMUM, LTR_BIN_MINIMUM,
    LTR_BIN_POW
} ltr_binary_op;

/* a 2-D pooling window geometry: kernel, stride, padding, dilation
 * (height, width), the output size, and avg_pool2d's count_include_pad. */
typedef struct ltr_pool_geo {
    int64_t k[2], s[2], p[2], d[2], ho, wo;
    bool count_include_pad;
} ltr_pool_geo;

/*
 * The kernel list: one X(ENUM, member, return type, (parameters)) line per entry. The
 * struct's typed members, the op enum, the name table and the offset table behind
 * ltr_accel_supports_op() are all generated from it, so they cannot drift apart.
 * New entries go at the end (a dlopened backend's older, shorter table stays valid:
 * entries past its `size` read as unsupported).
 */
#define LTR_KERNEL_LIST(X)                                                                     \
    /* C[m,n] = alpha * op(A) @ op(B) + beta * C, row-major; op = transpose if ta/tb;      \
     * k == 0 is allowed (C = beta * C) */                                                 \
    X(GEMM, gemm, void, (lt_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k,       \
                         double alpha, const void *a, int64_t lda, const void *b, int64_t ldb, \
                         double beta, void *c, int64_t ldc))                                   \
    /* the same with bfloat16 A and B and a float32 C: products accumulate in float32 */   \
    X(GEMM_BF16, gemm_bf16, void, (bool ta, bool tb, int64_t m, int64_t n, int64_t k,          \
                                   double alpha, const uint16_t *a, int64_t lda,               \
                                   const uint16_t *b, int64_t ldb, double beta, float *c,      \
                                   int64_t ldc))                                               \
    /* out = a OP b (ltr_binary_op) with NumPy broadcasting; astride/bstride are the       \
     * inputs' strides aligned to out's dims (0 on broadcast dims); a and b may be strided \
     * views */                                                                            \
    X(BINARY, binary, void, (ltr_binary_op op, const lt_tensor *a, const int64_t *astride,     \
                             const lt_tensor *b, const int64_t *bstride, lt_tensor *out))      \
    /* ga/gb (either may be NULL) of y = binary(op, a, b) for DIV/MAXIMUM/MINIMUM/POW, all \
     * contiguous of out's numel (add/sub/mul go through binary and reduce_to) */          \
    X(BINARY_BACKWARD, binary_backward, void, (ltr_binary_op op, const lt_tensor *a,           \
                                               const lt_tensor *b, const lt_tensor *y,         \
                                               const lt_tensor *g, lt_tensor *ga,              \
                                               lt_tensor *gb))                                 \
    /* out (smaller, broadcast-compatible shape) = scale * sum of g over the broadcast     \
     * dims; ostride: out's strides aligned to g's dims (0 on reduced dims) */             \
    X(REDUCE_TO, reduce_to, void, (const lt_tensor *g, const int64_t *ostride, double scale,   \
                                   lt_tensor *out))                                            \
    /* t[i] = v in t's dtype (any) */                                                      \
    X(FILL, fill, void, (lt_tensor *t, double v))                                              \
    /* y[r, j] = b[j] for r < m, j < n: the bias rows a linear's GEMM then adds onto */    \
    X(FILL_ROWS, fill_rows, void, (lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b))    \
    /* out[n] = (accumulate ? out[n] : 0) + sum_m g[m,n] */                                \
    X(SUM_ROWS, sum_rows, void, (const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out,     \
                                 bool accumulate))                                             \
    /* over [outer, dim, inner] views of contiguous x */                                   \
    X(LOG_SOFTMAX, log_softmax, void, (const lt_tensor *x, int64_t outer, int64_t dim,         \
                                       int64_t inner, lt_tensor *y))                           \
    /* gx = gy - exp(y) * sum_dim(gy) */                                                   \
    X(LOG_SOFTMAX_BACKWARD, log_softmax_backward, void, (const lt_tensor *y,                   \
                                                         const lt_tensor *gy, int64_t outer,   \
                                                         int64_t dim, int64_t inner,           \
                                                         lt_tensor *gx))                       \
    /* Cross entropy over logits x [n, c] and int64 targets t [n] (all in [0, c) or        \
     * ignore_index): probs = softmax(x) row-wise; loss (one element, x's dtype) = the     \
     * mean over kept rows of -log_softmax(x)[i, t_i] (nan when none is kept), summed in   \
     * double and rounded once; kept (int64, one element) = their count. */                \
    X(CROSS_ENTROPY, cross_entropy, void, (const lt_tensor *x, const lt_tensor *t,             \
                                           int64_t ignore_index, lt_tensor *probs,             \
                                           lt_tensor *loss, lt_tensor *kept))                  \
    /* gx[i, c] = scale * (probs[i, c] - [c == t_i]), 0 on ignored rows, where scale =     \
     * gout (the loss's gradient, one element) * (1 / kept, 0 when kept is 0) in double,   \
     * kept being the forward's count (int64, one element) */                              \
    X(CROSS_ENTROPY_BACKWARD, cross_entropy_backward, void, (const lt_tensor *probs,           \
                                                             const lt_tensor *t,               \
                                                             int64_t ignore_index,             \
                                                             const lt_tensor *gout,            \
                                                             const lt_tensor *kept,            \
                                                             lt_tensor *gx))                   \
    /* dst += src, same numel and dtype, contiguous (gradient accumulation) */             \
    X(ADD_INTO, add_into, void, (lt_tensor *dst, const lt_tensor *src))                        \
    /* cols [C*kh*kw, Ho*Wo] of one sample x [C, H, W] (zero padding); rows `ld` apart */  \
    X(IM2COL, im2col, void, (lt_dtype dt, const void *x, int64_t c, int64_t h, int64_t w,      \
                             const int64_t *k, const lt_conv2d_options *o, int64_t ho,         \
                             int64_t wo, int64_t ld, void *cols))                              \
    /* dx [C, H, W] += the columns folded back (the adjoint of im2col) */                  \
    X(COL2IM, col2im, void, (lt_dtype dt, const void *cols, int64_t c, int64_t h, int64_t w,   \
                             const int64_t *k, const lt_conv2d_options *o, int64_t ho,         \
                             int64_t wo, int64_t ld, void *dx))                                \
    /* y = f(x) and gx = gy * f'(x) (from x and y) for the ltr_unary_op functions */       \
    X(UNARY, unary, void, (int op, const lt_tensor *x, lt_tensor *y))                          \
    X(UNARY_BACKWARD, unary_backward, void, (int op, const lt_tensor *x, const lt_tensor *y,   \
                                             const lt_tensor *gy, lt_tensor *gx))              \
    /* y[o, i] = reduction over k of x[o, k, i] for the ltr_reduce_op ops ([outer, dim,    \
     * inner] of contiguous x; dim >= 1 for MAX/MIN), accumulated in double. arg: the      \
     * scale for SUM, the correction for VAR/STD. idx (int64, may be NULL) gets MAX/MIN's  \
     * index (torch: the first on ties, the first NaN if any); y may be NULL for MAX/MIN   \
     * when idx is given (argmax/argmin). SUM/MEAN of a float32 x may write a float64 y    \
     * (the double accumulator, unrounded). */                                             \
    X(REDUCE_DIM, reduce_dim, void, (int op, const lt_tensor *x, int64_t outer, int64_t dim,   \
                                     int64_t inner, double arg, lt_tensor *y, lt_tensor *idx)) \
    /* gx (x's shape, fully written) from gy (y's shape); x/y/idx as the forward had       \
     * them (x may be NULL for SUM/MEAN; MAX/MIN with idx NULL = amax/amin: split among    \
     * ties) */                                                                            \
    X(REDUCE_DIM_BACKWARD, reduce_dim_backward, void, (int op, const lt_tensor *x,             \
                                                       const lt_tensor *y,                     \
                                                       const lt_tensor *idx,                   \
                                                       const lt_tensor *gy, int64_t outer,     \
                                                       int64_t dim, int64_t inner, double arg, \
                                                       lt_tensor *gx))                         \
    X(SOFTMAX, softmax, void, (const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner,  \
                               lt_tensor *y))                                                  \
    /* gx = y * (gy - sum_dim(y * gy)) */                                                  \
    X(SOFTMAX_BACKWARD, softmax_backward, void, (const lt_tensor *y, const lt_tensor *gy,      \
                                                 int64_t outer, int64_t dim, int64_t inner,    \
                                                 lt_tensor *gx))                               \
    /* pooling windows over `planes` contiguous planes [h, w] -> [ho, wo] (ltr_pool_geo);  \
     * avg: sum / divisor (count_include_pad as torch); gx is zeroed by the backward       \
     * kernels */                                                                          \
    X(AVG_POOL2D, avg_pool2d, void, (lt_dtype dt, const void *x, int64_t planes, int64_t h,    \
                                     int64_t w, const ltr_pool_geo *g, void *y))               \
    X(AVG_POOL2D_BACKWARD, avg_pool2d_backward, void, (lt_dtype dt, const void *gy,            \
                                                       int64_t planes, int64_t h, int64_t w,   \
                                                       const ltr_pool_geo *g, void *gx))       \
    /* max over windows (dilation, ceil_mode); idx: flat argmax in its plane, -1 for a     \
     * window entirely in the padding; torch's CPU rule: greater or NaN takes over */      \
    X(MAX_POOL2D, max_pool2d, void, (lt_dtype dt, const void *x, int64_t planes, int64_t h,    \
                                     int64_t w, const ltr_pool_geo *g, void *y, int64_t *idx)) \
    /* gx gets gy routed to the forward's idx (repeats add) */                             \
    X(MAX_POOL2D_BACKWARD, max_pool2d_backward, void, (lt_dtype dt, const void *gy,            \
                                                       const int64_t *idx, int64_t planes,     \
                                                       int64_t h, int64_t w,                   \
                                                       const ltr_pool_geo *g, void *gx))       \
    /* torch's adaptive windows [floor(i*h/ho), ceil((i+1)*h/ho)) */                       \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d, void, (lt_dtype dt, const void *x,             \
                                                       int64_t planes, int64_t h, int64_t w,   \
                                                       int64_t ho, int64_t wo, void *y))       \
    X(ADAPTIVE_AVG_POOL2D_BACKWARD, adaptive_avg_pool2d_backward, void,                        \
      (lt_dtype dt, const void *gy, int64_t planes, int64_t h, int64_t w, int64_t ho,          \
       int64_t wo, void *gx))                                                                  \
    /* out (contiguous, any dtype) = src read through sstride, src's strides aligned to    \
     * out's dims (0 on broadcast dims) */                                                 \
    X(EXPAND, expand, void, (const lt_tensor *src, const int64_t *sstride, lt_tensor *out))    \
    /* out (bool) = a CMP b for ltr_cmp_op; a, b of one dtype, any dtype, contiguous */    \
    X(COMPARE, compare, void, (int op, const lt_tensor *a, const lt_tensor *b,                 \
                               lt_tensor *out))                                                \
    /* out = cond ? a : b; cond bool/uint8, a/b/out one dtype (any) */                     \
    X(WHERE, where, void, (const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b,      \
                           lt_tensor *out))                                                    \
    /* ga = cond ? g : 0, gb = cond ? 0 : g (either may be NULL), float */                 \
    X(WHERE_BACKWARD, where_backward, void, (const lt_tensor *cond, const lt_tensor *g,        \
                                             lt_tensor *ga, lt_tensor *gb))                    \
    /* y = f(x; p0, p1) and gx = g * f'(x) for ltr_pw_op (float, contiguous) */            \
    X(POINTWISE, pointwise, void, (int op, const lt_tensor *x, double p0, double p1,           \
                                   lt_tensor *y))                                              \
    X(POINTWISE_BACKWARD, pointwise_backward, void, (int op, const lt_tensor *x,               \
                                                     const lt_tensor *y, double p0, double p1, \
                                                     const lt_tensor *g, lt_tensor *gx))       \
    /* out = x converted to out's dtype (C casts; to bool: != 0) */                        \
    X(CONVERT, convert, void, (const lt_tensor *x, lt_tensor *out))                            \
    /* t[i] = start + i * step, in t's dtype (any) */                                      \
    X(ARANGE, arange, void, (lt_tensor *t, double start, double step))                         \
    /* dst (=|+=) src elementwise over `shape` (ndim dims), both addressed by their own    \
     * element strides (any, stride 0 included: a 0-stride dst accumulates sequentially) */ \
    X(STRIDED_COPY, strided_copy, void, (lt_dtype dt, int ndim, const int64_t *shape,          \
                                         void *dst, const int64_t *dst_stride,                 \
                                         const void *src, const int64_t *src_stride,           \
                                         bool accumulate))                                     \
    /* y [outer, nidx, inner] = x [outer, dim, inner] gathered at idx (all in [0, dim)) */ \
    X(INDEX_SELECT, index_select, void, (lt_dtype dt, const void *x, int64_t outer,            \
                                         int64_t dim, int64_t inner, const int64_t *idx,       \
                                         int64_t nidx, void *y))                               \
    /* gx [outer, dim, inner] += gy [outer, nidx, inner] scattered at idx (repeats add) */ \
    X(INDEX_ADD, index_add, void, (lt_dtype dt, const void *gy, int64_t outer, int64_t dim,    \
                                   int64_t inner, const int64_t *idx, int64_t nidx, void *gx)) \
    /* x contiguous viewed as [outer, c, inner]: per j < c, mean[j] and the biased var[j]  \
     * over its outer*inner elements (double) */                                           \
    X(NORM_STATS, norm_stats, void, (const lt_tensor *x, int64_t outer, int64_t c,             \
                                     int64_t inner, lt_tensor *mean, lt_tensor *var))                \
    /* y = (x - mean[j]) * invstd[j] on the same view */                                   \
    X(NORM_APPLY, norm_apply, void, (const lt_tensor *x, int64_t outer, int64_t c,             \
                                     int64_t inner, const lt_tensor *mean,             \
                                     const lt_tensor *invstd,                                 \
                                     lt_tensor *y))                                            \
    /* gradient of y = norm_apply(x) w.r.t. x, from y and gy: with batch_stats (mean and   \
     * invstd computed from x itself) invstd * (gy - mean(gy) - y * mean(gy * y)), else    \
     * gy * invstd */                                                                      \
    X(NORM_BACKWARD, norm_backward, void, (const lt_tensor *y, const lt_tensor *gy,            \
                                           int64_t outer, int64_t c, int64_t inner,            \
                                           const lt_tensor *invstd, bool batch_stats,          \
                                           lt_tensor *gx))                                     \
    /* y [n, D] = rows idx[0..n) of w [V, D] (indices already checked) */                  \
    X(EMBEDDING, embedding, void, (const lt_tensor *w, const int64_t *idx, int64_t n,          \
                                   lt_tensor *y))                                              \
    /* gw [V, D] += gy [n, D] rows index-added at idx, rows equal to padding_idx skipped */ \
    X(EMBEDDING_BACKWARD, embedding_backward, void, (const lt_tensor *gy, const int64_t *idx,  \
                                                     int64_t n, int64_t padding_idx,           \
                                                     lt_tensor *gw))                           \
    LTR_KERNEL_LIST_NUMERICS(X)

/* ==== numerics entries: conv / optimizer / loss / bf16 kernels are appended here, in   ====
 * ==== the same X(ENUM, member, return type, (parameters)) form, one line each.           ==== */
#define LTR_KERNEL_LIST_NUMERICS(X)                                                             \
    /* One parameter's optimizer update in place (torch.optim's single-tensor path), in         \
     * p's dtype (float32/float64): g is p's gradient, the state tensors have p's shape         \
     * and dtype (NULL where the options keep none: SGD's buf without momentum, Adam's          \
     * vmax without amsgrad, RMSprop's buf without momentum and ga unless centered); the        \
     * scalars (numerics.h) are the Python floats optim/ computed */                            \
    X(SGD_UPDATE, sgd_update, void, (lt_tensor *p, const lt_tensor *g, lt_tensor *buf,          \
        const ltr_sgd_scalars *s))                                                              \
    X(ADAM_UPDATE, adam_update, void, (lt_tensor *p, const lt_tensor *g, lt_tensor *m,          \
        lt_tensor *v, lt_tensor *vmax, const ltr_adam_scalars *s))                              \
    X(RMSPROP_UPDATE, rmsprop_update, void, (lt_tensor *p, const lt_tensor *g, lt_tensor        \
        *sq, lt_tensor *buf, lt_tensor *ga, const ltr_rmsprop_scalars *s))                      \
    X(ADAGRAD_UPDATE, adagrad_update, void, (lt_tensor *p, const lt_tensor *g, lt_tensor        \
        *sum, const ltr_adagrad_scalars *s))                                                    \
    /* clip_grad_norm_: *acc (float64, one element) += the squared 2-norm of g, the norm        \
     * rounded to g's dtype first (torch stacks the per-grad norms in their dtype) */           \
    X(SQ_NORM_ACCUM, sq_norm_accum, void, (const lt_tensor *g, lt_tensor *acc))                 \
    /* in place, float32/float64: g *= coef (cast to g's dtype); g = clamp(g, -v, v), nan       \
     * kept */                                                                                  \
    X(GRAD_SCALE, grad_scale, void, (lt_tensor *g, double coef))                                \
    X(GRAD_CLAMP, grad_clamp, void, (lt_tensor *g, double clip_value))                          \
    /* flag (bool/uint8, one element) = every element of x (any dtype) is finite */             \
    X(ALL_FINITE, all_finite, void, (const lt_tensor *x, lt_tensor *flag))                      \
    /* conv2d over x [N, C, H, W], w [O, C/groups, kh, kw], y/gy [N, O, ho, wo] (float32/       \
     * float64; bfloat16: float32 accumulation, every output and gradient rounded once),        \
     * geometry g (numerics.h), cuDNN's three passes. ws: scratch of                            \
     * conv2d_workspace(pass, x, w, g, need_w, need_b) bytes (x: gx for the data pass).         \
     * forward: y = conv(x, w) + b (b may be NULL), and g->algo = the path taken;               \
     * backward_data: gx (fully written) from gy and w; backward_weight: gw (=, or +=           \
     * with accumulate) and gb (=) from x and gy, either may be NULL */                         \
    X(CONV2D_WORKSPACE, conv2d_workspace, size_t, (int pass, const lt_tensor *x, const          \
        lt_tensor *w, const ltr_conv_geo *g, bool need_w, bool need_b))                         \
    X(CONV2D_FORWARD, conv2d_forward, void, (const lt_tensor *x, const lt_tensor *w, const      \
        lt_tensor *b, ltr_conv_geo *g, void *ws, lt_tensor *y))                                 \
    X(CONV2D_BACKWARD_DATA, conv2d_backward_data, void, (const lt_tensor *gy, const             \
        lt_tensor *w, const ltr_conv_geo *g, void *ws, lt_tensor *gx))                          \
    X(CONV2D_BACKWARD_WEIGHT, conv2d_backward_weight, void, (const lt_tensor *x, const          \
        lt_tensor *gy, const ltr_conv_geo *g, void *ws, lt_tensor *gw, bool accumulate,         \
        lt_tensor *gb))                                                                         \
    /* the normalisations' statistics (float64 tensors [c]): var[j] = 1 / sqrt(var[j] +         \
     * eps) in place; and nn.BatchNorm's running statistics (float32/float64 [c],               \
     * contiguous; either may be NULL): rm = (1 - momentum) * rm + momentum * mean, rv          \
     * likewise with the unbiased var * m / (m - 1), in double, rounded once (ATen's            \
     * update_stats) */                                                                         \
    X(NORM_INVSTD, norm_invstd, void, (lt_tensor *var, double eps))                             \
    X(NORM_RUNNING_UPDATE, norm_running_update, void, (lt_tensor *running_mean, lt_tensor       \
        *running_var, const lt_tensor *mean, const lt_tensor *var, double momentum, int64_t     \
        m))                                                                                     \
    /* losses (ltr_loss_kind, lt_reduction): per element in double. pointwise_loss: out =       \
     * the loss (x's shape for NONE, else one element), d [2, numel] = d/dx, d/dy;              \
     * backward: g = gout (* or / div, the reduction's count) * d[k] (k: 0 x, 1 y) */           \
    X(POINTWISE_LOSS, pointwise_loss, void, (int kind, const lt_tensor *x, const lt_tensor      \
        *y, const lt_tensor *w, const lt_tensor *pw, double param, int red, lt_tensor *out,     \
        lt_tensor *d))                                                                          \
    X(POINTWISE_LOSS_BACKWARD, pointwise_loss_backward, void, (int red, const lt_tensor         \
        *d, int k, const lt_tensor *gout, double div, lt_tensor *g))                            \
    /* cross_entropy with options / nll_loss over x [N, C, S...] (nn/losses.c's         \
     * layout): sv [3, numel] = lp, q, d/dy; out the loss; scale (float64, one element)         \
     * the backward's factor (1/denominator for mean). gx, gy: either may be NULL */            \
    X(CE_LOSS, ce_loss, void, (const lt_tensor *x, const lt_tensor *y, const lt_tensor *w,      \
        int64_t ignore, int red, double eps, bool softmax, lt_tensor *sv, lt_tensor *out,       \
        lt_tensor *scale))                                                                      \
    X(CE_LOSS_BACKWARD, ce_loss_backward, void, (const lt_tensor *x, const lt_tensor *sv,       \
        int red, bool softmax, const lt_tensor *gout, const lt_tensor *scale, lt_tensor *gx,    \
        lt_tensor *gy))                                                                         \
    /* idx (int64, one element) = the first i with x[i] (float or int64) outside [lo, hi]       \
     * (nan included) and, with has_skip, != skip; -1 if none */                                \
    X(FIRST_OUT_OF_RANGE, first_out_of_range, void, (const lt_tensor *x, double lo, double      \
        hi, bool has_skip, double skip, lt_tensor *idx))                                        \
    /* out (float, one element) = mean(a == b) over int64 a, b (nan when empty) */              \
    X(MATCH_FRACTION, match_fraction, void, (const lt_tensor *a, const lt_tensor *b,            \
        lt_tensor *out))                                                                        \
    /* one metric update (lt_metric_kind; nn/metrics.c): sums (float64 [2]) +=          \
     * hits or errors and the count; cnt (int64, NULL for accuracy/MAE/MSE) += tp, fp, fn       \
     * [3, C] or the confusion matrix [C, C]; class indices already checked */                  \
    X(METRIC_UPDATE, metric_update, void, (int kind, int64_t C, int64_t k, const lt_tensor      \
        *preds, const lt_tensor *target, lt_tensor *cnt, lt_tensor *sums)) \
    /* [a, b, block] -> [b, a, block] bytes (the batch's [N, C, HW] and a GEMM's [C, N*HW]) */  \
    X(SWAP_BATCH_CHANNELS, swap_batch_channels, void, (const void *src, void *dst, int64_t a,   \
        int64_t b, size_t block))                                                               \
    /* y [N, C, HW] += b[c] on every position of channel c (float32/float64) */                 \
    X(ADD_CHANNEL_BIAS, add_channel_bias, void, (lt_tensor *y, const lt_tensor *b, int64_t n,   \
        int64_t c, int64_t hw))                                                                 \
    /* t (float, contiguous) filled in element order with draws of the context's generator      \
     * for ltr_rng_kind (arg: its parameters); rng is the host's generator state, read and      \
     * advanced by exactly the draws made, so every backend draws the one seeded stream */      \
    X(RNG_FILL, rng_fill, void, (int kind, lt_tensor *t, const double *arg, ltr_rng *rng))      \
    /* t (int64, one element) += delta: a counter buffer (BatchNorm's num_batches_tracked) */   \
    X(COUNT_ADD, count_add, void, (lt_tensor *t, int64_t delta))                                \
    /* metric state (metric_update's): cnt += bcnt (int64, either NULL when the kind keeps      \
     * none), sums += bsums (float64 [2]); and out (float, one element) = the metric's          \
     * value from its state (nn/metrics.c's semantics; nan for the confusion matrix) */         \
    X(METRIC_MERGE, metric_merge, void, (lt_tensor *cnt, const lt_tensor *bcnt, lt_tensor       \
        *sums, const lt_tensor *bsums))                                                         \
    X(METRIC_VALUE, metric_value, void, (int kind, int64_t C, const lt_tensor *cnt, const       \
        lt_tensor *sums, lt_tensor *out))                                                       \
    /* dst += weight * (src - dst) in place (torch.lerp_ with a scalar weight, rounded to the   \
     * dtype; float32/float64, one shape, contiguous): exact at both ends, monotone */          \
    X(LERP, lerp, void, (lt_tensor *dst, const lt_tensor *src, double weight))                \
    /* SyncBatchNorm's backward (ATen's batch_norm_backward_reduce / _elemt) in two halves,     \
     * the sums added over the ranks between them; y = norm_apply's output, gy its gradient,    \
     * the [outer, c, inner] view: sums (float64 [2, c]) = per channel sum(gy), sum(gy * y);    \
     * gx = invstd * (gy - sums[0] / count - y * sums[1] / count) (sums NULL: gy * invstd) */  \
    X(NORM_BACKWARD_REDUCE, norm_backward_reduce, void, (const lt_tensor *y, const lt_tensor    \
        *gy, int64_t outer, int64_t c, int64_t inner, lt_tensor *sums))                         \
    X(NORM_BACKWARD_ELEMT, norm_backward_elemt, void, (const lt_tensor *y, const lt_tensor      \
        *gy, int64_t outer, int64_t c, int64_t inner, const lt_tensor *invstd, const            \
        lt_tensor *sums, double count, lt_tensor *gx))
/* ==== end of the numerics entries ==== */

/* Bumped when an entry's meaning or signature changes (appending entries does not).
 * 2: cross_entropy_backward reads the loss's gradient and the kept count as tensors. */
#define LTR_ACCEL_API_VERSION 2

typedef enum ltr_kernel_op {
#define LTR_X_ENUM(E, m, R, A) LTR_OP_##E,
    LTR_KERNEL_LIST(LTR_X_ENUM)
#undef LTR_X_ENUM
    LTR_OP_COUNT
} ltr_kernel_op;

/* The kernel table. size = sizeof(ltr_accel) as the backend was built (entries past it
 * are missing), api_version = LTR_ACCEL_API_VERSION it was built against; a NULL entry is
 * an unsupported op (ltr_accel_supports_op). */
typedef struct ltr_accel {
    size_t size;
    uint32_t api_version;
    const char *name;
#define LTR_X_MEMBER(E, m, R, A) R(*m) A;
    LTR_KERNEL_LIST(LTR_X_MEMBER)
#undef LTR_X_MEMBER
} ltr_accel;

typedef enum ltr_cmp_op {
    LTR_CMP_EQ, LTR_CMP_NE, LTR_CMP_LT, LTR_CMP_LE, LTR_CMP_GT, LTR_CMP_GE
} ltr_cmp_op;
typedef enum ltr_pw_op {
    LTR_PW_ADD_SCALAR, LTR_PW_MUL_SCALAR, LTR_PW_POW_SCALAR, LTR_PW_CLAMP, LTR_PW_LEAKY_RELU,
    LTR_PW_ELU, LTR_PW_SOFTPLUS, LTR_PW_SILU, LTR_PW_GELU, LTR_PW_GELU_TANH, LTR_PW_RELU
} ltr_pw_op;

typedef enum ltr_unary_op {
    LTR_UN_NEG, LTR_UN_EXP, LTR_UN_LOG, LTR_UN_SQRT, LTR_UN_ABS, LTR_UN_SIGMOID, LTR_UN_TANH
} ltr_unary_op;

/* rng_fill's distributions (draws: ltr_rng_uniform u, ltr_rng_normal z; stored in t's
 * dtype as a C cast): RAND u (float32: kept below 1), RANDN z, UNIFORM arg[0] + (arg[1] -
 * arg[0]) * u, NORMAL arg[0] + arg[1] * z, TRUNC_NORMAL NORMAL redrawn until within
 * [arg[2], arg[3]], DROPOUT u >= arg[0] ? arg[1] : 0 (the mask: keep with 1 - p, scaled) */
typedef enum ltr_rng_kind {
    LTR_RNG_RAND, LTR_RNG_RANDN, LTR_RNG_UNIFORM, LTR_RNG_NORMAL, LTR_RNG_TRUNC_NORMAL,
    LTR_RNG_DROPOUT
} ltr_rng_kind;

/* the op of reduce_dim / reduce_dim_backward (MEAN: the sum divided by dim) */
typedef enum ltr_reduce_op {
    LTR_RED_SUM, LTR_RED_MAX, LTR_RED_MIN, LTR_RED_LOGSUMEXP, LTR_RED_VAR, LTR_RED_STD,
    LTR_RED_MEAN
} ltr_reduce_op;

/* "gemm", "binary", ... (the member's name); NULL out of range */
static inline const char *ltr_kernel_op_name(ltr_kernel_op op) {
    static const char *const names[] = {
#define LTR_X_NAME(E, m, R, A) #m,
        LTR_KERNEL_LIST(LTR_X_NAME)
#undef LTR_X_NAME
    };
    return (unsigned)op < LTR_OP_COUNT ? names[op] : NULL;
}

/* Whether table `a` has a kernel for op: inside the table's own size (an older, shorter
 * table lacks the later entries) and not NULL. */
static inline bool ltr_accel_supports_op(const ltr_accel *a, ltr_kernel_op op) {
    static const size_t offsets[] = {
#define LTR_X_OFFSET(E, m, R, A) offsetof(ltr_accel, m),
        LTR_KERNEL_LIST(LTR_X_OFFSET)
#undef LTR_X_OFFSET
    };
    if (!a || (unsigned)op >= LTR_OP_COUNT) return false;
    size_t off = offsets[op];
    if (off + sizeof(void (*)(void)) > a->size) return false;
    void (*fn)(void);
    memcpy(&fn, (const char *)a + off, sizeof fn);
    return fn != NULL;
}

/* A table a host can use: built against this API version, no larger than it knows
 * (a newer backend's extra entries would be ignored silently) and holding its head. */
static inline bool ltr_accel_table_ok(const ltr_accel *a) {
    return a && a->api_version == LTR_ACCEL_API_VERSION &&
           a->size >= offsetof(ltr_accel, name) + sizeof a->name && a->size <= sizeof(ltr_accel);
}

#endif
