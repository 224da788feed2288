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

#include <stdbool.h>
#include <stdint.h>

typedef enum ltr_binary_op { LTR_BIN_ADD, LTR_BIN_SUB, LTR_BIN_MUL } ltr_binary_op;

/* issue 3: conv — a 2-D pooling window geometry: kernel, stride, padding, dilation
 * (height, width), the output size, and avg_pool2d's count_include_pad. */
typedef struct ltr_pool_geo {
    int64_t k[2], s[2], p[2], d[2], ho, wo;
    bool count_include_pad;
} ltr_pool_geo;

typedef struct ltr_accel {
    const char *name;
    /* C[m,n] = alpha * op(A) @ op(B) + beta * C, row-major; op = transpose if ta/tb.
     * k == 0 is allowed (C = beta * C). */
    void (*gemm)(lt_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                 const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                 int64_t ldc);
    /* the same with bfloat16 A and B and a float32 C: products accumulate in float32 */
    void (*gemm_bf16)(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                      const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb, double beta,
                      float *c, int64_t ldc);
    /* out = a OP b with NumPy broadcasting; astride/bstride are the inputs' strides
     * aligned to out's dims (0 on broadcast dims); a and b may be strided views */
    void (*binary)(ltr_binary_op op, const lt_tensor *a, const int64_t *astride,
                   const lt_tensor *b, const int64_t *bstride, lt_tensor *out);
    /* out (smaller, broadcast-compatible shape) = scale * sum of g over the broadcast
     * dims; ostride: out's strides aligned to g's dims (0 on reduced dims) */
    void (*reduce_to)(const lt_tensor *g, const int64_t *ostride, double scale, lt_tensor *out);
    void (*relu)(const lt_tensor *x, lt_tensor *y);
    /* gx = gy * (x > 0) (PyTorch: the gradient at exactly 0 is 0) */
    void (*relu_backward)(const lt_tensor *x, const lt_tensor *gy, lt_tensor *gx);
    void (*fill)(lt_tensor *t, double v);
    double (*sum)(const lt_tensor *x); /* accumulated in double */
    /* y[r, j] = b[j] for r < m, j < n: the bias rows a linear's GEMM then adds onto */
    void (*fill_rows)(lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b);
    /* out[n] = (accumulate ? out[n] : 0) + sum_m g[m,n] */
    void (*sum_rows)(const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out, bool accumulate);
    /* over [outer, dim, inner] views of contiguous x */
    void (*log_softmax)(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner, lt_tensor *y);
    /* gx = gy - exp(y) * sum_dim(gy) */
    void (*log_softmax_backward)(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                 int64_t dim, int64_t inner, lt_tensor *gx);
    /* argmax along the middle of [outer, dim, inner]; first index on ties, the first NaN
     * if any (torch); out int64 */
    void (*argmax)(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner, lt_tensor *out);
    /* Cross entropy over logits x [n, c] and int64 targets t [n] (all in [0, c) or
     * ignore_index): probs = softmax(x) row-wise; loss (one element, x's dtype) = the
     * mean over kept rows of -log_softmax(x)[i, t_i] (nan when none is kept), summed in
     * double and rounded once; kept (int64, one element) = their count. */
    void (*cross_entropy)(const lt_tensor *x, const lt_tensor *t, int64_t ignore_index,
                          lt_tensor *probs, lt_tensor *loss, lt_tensor *kept);
    /* gx[i, c] = scale * (probs[i, c] - [c == t_i]), 0 on ignored rows */
    void (*cross_entropy_backward)(const lt_tensor *probs, const lt_tensor *t,
                                   int64_t ignore_index, double scale, lt_tensor *gx);
    /* dst += src, same numel and dtype, contiguous (gradient accumulation) */
    void (*add_into)(lt_tensor *dst, const lt_tensor *src);
    /* cols [C*kh*kw, Ho*Wo] of one sample x [C, H, W] (zero padding); rows `ld` apart */
    void (*im2col)(lt_dtype dt, const void *x, int64_t c, int64_t h, int64_t w, const int64_t *k,
                   const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *cols);
    /* dx [C, H, W] += the columns folded back (the adjoint of im2col) */
    void (*col2im)(lt_dtype dt, const void *cols, int64_t c, int64_t h, int64_t w,
                   const int64_t *k, const lt_conv2d_options *o, int64_t ho, int64_t wo, int64_t ld, void *dx);
    /* gx (zeroed here) gets gy routed to the argmax of each window (max_pool2d_ex's idx) */
    void (*max_pool2d_backward)(lt_dtype dt, const void *gy, const int64_t *idx, int64_t planes,
                                int64_t hw, int64_t howo, void *gx);
    /* y = f(x) and gx = gy * f'(x) (from x and y) for the ltr_unary_op functions */
    void (*unary)(int op, const lt_tensor *x, lt_tensor *y);
    void (*unary_backward)(int op, const lt_tensor *x, const lt_tensor *y, const lt_tensor *gy,
                           lt_tensor *gx);
    /* issue 3: reductions */
    /* y[o, i] = reduction over k of x[o, k, i] for the ltr_reduce_op ops ([outer, dim,
     * inner] of contiguous x; dim >= 1 for MAX/MIN). arg: the scale for SUM, the
     * correction for VAR/STD. idx (int64, may be NULL) gets MAX/MIN's index. */
    void (*reduce_dim)(int op, const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner,
                       double arg, lt_tensor *y, lt_tensor *idx);
    /* gx (x's shape, fully written) from gy (y's shape); x/y/idx as the forward had
     * them (x may be NULL for SUM; MAX/MIN with idx NULL = amax/amin: split among ties) */
    void (*reduce_dim_backward)(int op, const lt_tensor *x, const lt_tensor *y,
                                const lt_tensor *idx, const lt_tensor *gy, int64_t outer,
                                int64_t dim, int64_t inner, double arg, lt_tensor *gx);
    void (*softmax)(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner, lt_tensor *y);
    /* gx = y * (gy - sum_dim(y * gy)) */
    void (*softmax_backward)(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t dim,
                             int64_t inner, lt_tensor *gx);
    /* issue 3: conv */
    /* pooling windows over `planes` contiguous planes [h, w] -> [ho, wo] (ltr_pool_geo);
     * avg: sum / divisor (count_include_pad as torch); gx is zeroed by the backward kernels */
    void (*avg_pool2d)(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                       const ltr_pool_geo *g, void *y);
    void (*avg_pool2d_backward)(lt_dtype dt, const void *gy, int64_t planes, int64_t h, int64_t w,
                                const ltr_pool_geo *g, void *gx);
    /* max over windows (dilation, ceil_mode); idx: flat argmax in its plane, -1 for a window
     * entirely in the padding; torch's CPU rule: greater or NaN takes over */
    void (*max_pool2d_ex)(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                          const ltr_pool_geo *g, void *y, int64_t *idx);
    /* torch's adaptive windows [floor(i*h/ho), ceil((i+1)*h/ho)) */
    void (*adaptive_avg_pool2d)(lt_dtype dt, const void *x, int64_t planes, int64_t h, int64_t w,
                                int64_t ho, int64_t wo, void *y);
    void (*adaptive_avg_pool2d_backward)(lt_dtype dt, const void *gy, int64_t planes, int64_t h,
                                         int64_t w, int64_t ho, int64_t wo, void *gx);
    /* issue 3: elementwise. All take contiguous tensors of equal numel except expand. */
    /* out (contiguous, any dtype) = src read through sstride, src's strides aligned to
     * out's dims (0 on broadcast dims) */
    void (*expand)(const lt_tensor *src, const int64_t *sstride, lt_tensor *out);
    /* out = a OP b for ltr_ew_op (float); backward fills ga/gb (either may be NULL) */
    void (*ew_binary)(int op, const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
    void (*ew_binary_backward)(int op, const lt_tensor *a, const lt_tensor *b, const lt_tensor *y,
                               const lt_tensor *g, lt_tensor *ga, lt_tensor *gb);
    /* out (bool) = a CMP b for ltr_cmp_op; a, b of one dtype, any dtype */
    void (*compare)(int op, const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
    /* out = cond ? a : b; cond bool/uint8, a/b/out one dtype (any) */
    void (*where)(const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
    /* ga = cond ? g : 0, gb = cond ? 0 : g (either may be NULL), float */
    void (*where_backward)(const lt_tensor *cond, const lt_tensor *g, lt_tensor *ga, lt_tensor *gb);
    /* y = f(x; p0, p1) and gx = g * f'(x) for ltr_pw_op (float) */
    void (*pointwise)(int op, const lt_tensor *x, double p0, double p1, lt_tensor *y);
    void (*pointwise_backward)(int op, const lt_tensor *x, const lt_tensor *y, double p0, double p1,
                               const lt_tensor *g, lt_tensor *gx);
    /* out = x converted to out's dtype (C casts; to bool: != 0) */
    void (*convert)(const lt_tensor *x, lt_tensor *out);
    /* t[i] = v, and t[i] = start + i * step, in t's dtype (any) */
    void (*fill_value)(lt_tensor *t, double v);
    void (*arange)(lt_tensor *t, double start, double step);
    /* issue 3: shape */
    /* dst (=|+=) src elementwise over `shape` (ndim dims), both addressed by their own
     * element strides (any, stride 0 included: a 0-stride dst accumulates sequentially) */
    void (*strided_copy)(lt_dtype dt, int ndim, const int64_t *shape, void *dst,
                         const int64_t *dst_stride, const void *src, const int64_t *src_stride,
                         bool accumulate);
    /* y [outer, nidx, inner] = x [outer, dim, inner] gathered at idx (all in [0, dim)) */
    void (*index_select)(lt_dtype dt, const void *x, int64_t outer, int64_t dim, int64_t inner,
                         const int64_t *idx, int64_t nidx, void *y);
    /* gx [outer, dim, inner] += gy [outer, nidx, inner] scattered at idx (repeats add) */
    void (*index_add)(lt_dtype dt, const void *gy, int64_t outer, int64_t dim, int64_t inner,
                      const int64_t *idx, int64_t nidx, void *gx);

    /* issue 3: nn */
    /* x contiguous viewed as [outer, c, inner]: per j < c, mean[j] and the biased var[j]
     * over its outer*inner elements (float64 tensors [c]) */
    void (*norm_stats)(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner, lt_tensor *mean,
                       lt_tensor *var);
    /* y = (x - mean[j]) * invstd[j] on the same view (mean, invstd float64 [c]) */
    void (*norm_apply)(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                       const lt_tensor *mean, const lt_tensor *invstd, lt_tensor *y);
    /* gradient of y = norm_apply(x) w.r.t. x, from y and gy: with batch_stats (mean and
     * invstd computed from x itself) invstd * (gy - mean(gy) - y * mean(gy * y)), else
     * gy * invstd */
    void (*norm_backward)(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t c,
                          int64_t inner, const lt_tensor *invstd, bool batch_stats, lt_tensor *gx);
    /* y [n, D] = rows idx[0..n) of w [V, D] (indices already checked) */
    void (*embedding)(const lt_tensor *w, const int64_t *idx, int64_t n, lt_tensor *y);
    /* gw [V, D] += gy [n, D] rows index-added at idx, rows equal to padding_idx skipped */
    void (*embedding_backward)(const lt_tensor *gy, const int64_t *idx, int64_t n,
                               int64_t padding_idx, lt_tensor *gw);

    /* numerics entries */
    /* One parameter's optimizer update in place (torch.optim's single-tensor path), in
     * p's dtype (float32/float64): g is p's gradient, the state tensors have p's shape and
     * dtype (NULL where the options keep none: SGD's buf without momentum, Adam's vmax
     * without amsgrad, RMSprop's buf without momentum and ga unless centered); the
     * scalars (numerics.h) are the Python floats optim/ computed */
    void (*sgd_update)(lt_tensor *p, const lt_tensor *g, lt_tensor *buf, const ltr_sgd_scalars *s);
    void (*adam_update)(lt_tensor *p, const lt_tensor *g, lt_tensor *m, lt_tensor *v,
                        lt_tensor *vmax, const ltr_adam_scalars *s);
    void (*rmsprop_update)(lt_tensor *p, const lt_tensor *g, lt_tensor *sq, lt_tensor *buf,
                           lt_tensor *ga, const ltr_rmsprop_scalars *s);
    void (*adagrad_update)(lt_tensor *p, const lt_tensor *g, lt_tensor *sum,
                           const ltr_adagrad_scalars *s);
    /* clip_grad_norm_: *acc (float64, one element) += the squared 2-norm of g, the norm
     * rounded to g's dtype first (torch stacks the per-grad norms in their dtype) */
    void (*sq_norm_accum)(const lt_tensor *g, lt_tensor *acc);
    /* in place, float32/float64: g *= coef (cast to g's dtype); g = clamp(g, -v, v), nan kept */
    void (*grad_scale)(lt_tensor *g, double coef);
    void (*grad_clamp)(lt_tensor *g, double clip_value);
    /* flag (bool/uint8, one element) = every element of x (any dtype) is finite */
    void (*all_finite)(const lt_tensor *x, lt_tensor *flag);
    /* conv2d over x [N, C, H, W], w [O, C/groups, kh, kw], y/gy [N, O, ho, wo] (float32/
     * float64), geometry g (numerics.h), cuDNN's three passes. ws: scratch of
     * conv2d_workspace(pass, x, w, g, need_w, need_b) bytes (x: gx for the data pass).
     * forward: y = conv(x, w) + b (b may be NULL), and g->algo = the path taken;
     * backward_data: gx (fully written) from gy and w; backward_weight: gw (=, or += with
     * accumulate) and gb (=) from x and gy, either may be NULL */
    size_t (*conv2d_workspace)(int pass, const lt_tensor *x, const lt_tensor *w,
                               const ltr_conv_geo *g, bool need_w, bool need_b);
    void (*conv2d_forward)(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                           ltr_conv_geo *g, void *ws, lt_tensor *y);
    void (*conv2d_backward_data)(const lt_tensor *gy, const lt_tensor *w, const ltr_conv_geo *g,
                                 void *ws, lt_tensor *gx);
    void (*conv2d_backward_weight)(const lt_tensor *x, const lt_tensor *gy, const ltr_conv_geo *g,
                                   void *ws, lt_tensor *gw, bool accumulate, lt_tensor *gb);
    /* the normalisations' statistics (float64 tensors [c]): var[j] = 1 / sqrt(var[j] + eps)
     * in place; and nn.BatchNorm's running statistics (float32/float64 [c], contiguous;
     * either may be NULL): rm = (1 - momentum) * rm + momentum * mean, rv likewise with the
     * unbiased var * m / (m - 1), in double, rounded once (ATen's update_stats) */
    void (*norm_invstd)(lt_tensor *var, double eps);
    void (*norm_running_update)(lt_tensor *running_mean, lt_tensor *running_var,
                                const lt_tensor *mean, const lt_tensor *var, double momentum,
                                int64_t m);
    /* losses (ltr_loss_kind, lt_reduction): per element in double. pointwise_loss: out =
     * the loss (x's shape for NONE, else one element), d [2, numel] = d/dx, d/dy;
     * backward: g = gout (* or / div, the reduction's count) * d[k] (k: 0 x, 1 y) */
    void (*pointwise_loss)(int kind, const lt_tensor *x, const lt_tensor *y, const lt_tensor *w,
                           const lt_tensor *pw, double param, int red, lt_tensor *out,
                           lt_tensor *d);
    void (*pointwise_loss_backward)(int red, const lt_tensor *d, int k, const lt_tensor *gout,
                                    double div, lt_tensor *g);
    /* cross_entropy with options / nll_loss over x [N, C, S...] (tensor/ops_losses.c's
     * layout): sv [3, numel] = lp, q, d/dy; out the loss; scale (float64, one element) the
     * backward's factor (1/denominator for mean). gx, gy: either may be NULL */
    void (*ce_loss)(const lt_tensor *x, const lt_tensor *y, const lt_tensor *w, int64_t ignore,
                    int red, double eps, bool softmax, lt_tensor *sv, lt_tensor *out,
                    lt_tensor *scale);
    void (*ce_loss_backward)(const lt_tensor *x, const lt_tensor *sv, int red, bool softmax,
                             const lt_tensor *gout, const lt_tensor *scale, lt_tensor *gx,
                             lt_tensor *gy);
    /* idx (int64, one element) = the first i with x[i] (float or int64) outside [lo, hi]
     * (nan included) and, with has_skip, != skip; -1 if none */
    void (*first_out_of_range)(const lt_tensor *x, double lo, double hi, bool has_skip,
                               double skip, lt_tensor *idx);
    /* out (float, one element) = mean(a == b) over int64 a, b (nan when empty) */
    void (*match_fraction)(const lt_tensor *a, const lt_tensor *b, lt_tensor *out);
    /* one metric update (lt_metric_kind; tensor/ops_metrics.c): sums (float64 [2]) +=
     * hits or errors and the count; cnt (int64, NULL for accuracy/MAE/MSE) += tp, fp, fn
     * [3, C] or the confusion matrix [C, C]; class indices already checked */
    void (*metric_update)(int kind, int64_t C, int64_t k, const lt_tensor *preds,
                          const lt_tensor *target, lt_tensor *cnt, lt_tensor *sums);
    /* end of numerics entries */
} ltr_accel;

/* issue 3: elementwise op codes */
typedef enum ltr_ew_op { LTR_EW_DIV, LTR_EW_MAXIMUM, LTR_EW_MINIMUM, LTR_EW_POW } ltr_ew_op;
typedef enum ltr_cmp_op {
    LTR_CMP_EQ, LTR_CMP_NE, LTR_CMP_LT, LTR_CMP_LE, LTR_CMP_GT, LTR_CMP_GE
} ltr_cmp_op;
typedef enum ltr_pw_op {
    LTR_PW_ADD_SCALAR, LTR_PW_MUL_SCALAR, LTR_PW_POW_SCALAR, LTR_PW_CLAMP, LTR_PW_LEAKY_RELU,
    LTR_PW_ELU, LTR_PW_SOFTPLUS, LTR_PW_SILU, LTR_PW_GELU, LTR_PW_GELU_TANH
} ltr_pw_op;

typedef enum ltr_unary_op {
    LTR_UN_NEG, LTR_UN_EXP, LTR_UN_LOG, LTR_UN_SQRT, LTR_UN_ABS, LTR_UN_SIGMOID, LTR_UN_TANH
} ltr_unary_op;

/* issue 3: reductions (the op of reduce_dim / reduce_dim_backward) */
typedef enum ltr_reduce_op {
    LTR_RED_SUM, LTR_RED_MAX, LTR_RED_MIN, LTR_RED_LOGSUMEXP, LTR_RED_VAR, LTR_RED_STD
} ltr_reduce_op;

/* The accelerator for a device index (0 = cpu); NULL if there is none. */
const ltr_accel *ltr_accel_get(int32_t device);

#endif
