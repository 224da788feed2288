/*
 * ops.h — op front-ends with PyTorch semantics (the lt_host_api op members).
 *
 * Each checks its inputs (an error names the op and the shapes), computes through
 * the accelerator of its inputs, and records a tape node when gradients are needed.
 * A NULL input returns NULL silently (the first error is already recorded).
 * Results live in the arena.
 */
#ifndef LTR_OPS_H
#define LTR_OPS_H

#include "tensor/tensor.h"

lt_tensor *ltr_matmul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_linear(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b);
lt_tensor *ltr_add(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_sub(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_mul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_relu(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_reshape(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape);
lt_tensor *ltr_flatten(lt_ctx *ctx, const lt_tensor *x, int start_dim);
lt_tensor *ltr_sum(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_mean(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_log_softmax(lt_ctx *ctx, const lt_tensor *x, int dim);
lt_tensor *ltr_cross_entropy(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target);
lt_tensor *ltr_argmax(lt_ctx *ctx, const lt_tensor *x, int dim);
lt_tensor *ltr_conv2d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                      const lt_conv2d_options *opt);
lt_tensor *ltr_max_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t kernel, int64_t stride,
                          int64_t padding);
lt_tensor *ltr_neg(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_exp(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_log(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_sqrt(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_abs(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_sigmoid(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_tanh(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_accuracy(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target);

/* reductions: sum/mean over dims, var/std, max/min, amax/amin, argmax/argmin
 * along a dim, logsumexp, softmax (ops_reduce.c) */
lt_tensor *ltr_sum_dim(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
lt_tensor *ltr_mean_dim(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
lt_tensor *ltr_var(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
lt_tensor *ltr_std(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
lt_tensor *ltr_max_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
lt_tensor *ltr_min_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
lt_tensor *ltr_max(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_min(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_amax(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_amin(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_argmax_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_argmin_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_logsumexp(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_softmax(lt_ctx *ctx, const lt_tensor *x, int dim);
/* convolutions and pooling (ops_conv.c, ops_pool.c) */
lt_tensor *ltr_conv1d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                      const lt_conv1d_options *opt);
lt_tensor *ltr_conv_transpose2d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w,
                                const lt_tensor *b, const lt_conv_transpose2d_options *opt);
lt_tensor *ltr_avg_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                          const lt_pool2d_options *opt);
lt_tensor *ltr_max_pool2d_ex(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                             const lt_pool2d_options *opt);
lt_tensor *ltr_adaptive_avg_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t oh, int64_t ow);
/* elementwise: ops_elementwise.c (broadcasting binary ops, comparisons, where,
 * masked_fill) and ops_pointwise.c (scalar-parameter ops, activations, to, creation) */
lt_tensor *ltr_div(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_pow(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_maximum(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_minimum(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_eq(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ne(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_lt(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_le(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_gt(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ge(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_where(lt_ctx *ctx, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_masked_fill(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *mask, double value);
lt_tensor *ltr_add_scalar(lt_ctx *ctx, const lt_tensor *x, double s);
lt_tensor *ltr_mul_scalar(lt_ctx *ctx, const lt_tensor *x, double s);
lt_tensor *ltr_pow_scalar(lt_ctx *ctx, const lt_tensor *x, double p);
lt_tensor *ltr_clamp(lt_ctx *ctx, const lt_tensor *x, double min, double max);
lt_tensor *ltr_leaky_relu(lt_ctx *ctx, const lt_tensor *x, double negative_slope);
lt_tensor *ltr_elu(lt_ctx *ctx, const lt_tensor *x, double alpha);
lt_tensor *ltr_softplus(lt_ctx *ctx, const lt_tensor *x, double beta, double threshold);
lt_tensor *ltr_silu(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_gelu(lt_ctx *ctx, const lt_tensor *x, lt_gelu_approximate approximate);
lt_tensor *ltr_to(lt_ctx *ctx, const lt_tensor *x, lt_dtype dtype);
lt_tensor *ltr_full(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape, double value);
lt_tensor *ltr_zeros_op(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_ones(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_arange(lt_ctx *ctx, double start, double end, double step, lt_dtype dt);
lt_tensor *ltr_rand(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_randn(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
/* shape — views (ops_views.c) and joins/gathers (ops_join.c); batched matmul
 * and bmm in ops_linalg.c */
lt_tensor *ltr_transpose(lt_ctx *ctx, const lt_tensor *x, int d0, int d1);
lt_tensor *ltr_permute(lt_ctx *ctx, const lt_tensor *x, int ndims, const int *dims);
lt_tensor *ltr_squeeze(lt_ctx *ctx, const lt_tensor *x, int dim);
lt_tensor *ltr_squeeze_all(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_unsqueeze(lt_ctx *ctx, const lt_tensor *x, int dim);
lt_tensor *ltr_expand(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape);
lt_tensor *ltr_narrow(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t start, int64_t length);
lt_tensor *ltr_select(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t index);
lt_tensor *ltr_contiguous_op(lt_ctx *ctx, const lt_tensor *x);
lt_tensor *ltr_index_select(lt_ctx *ctx, const lt_tensor *x, int dim, const lt_tensor *index);
lt_tensor *ltr_cat(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
lt_tensor *ltr_stack(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
int ltr_split_tensor(lt_ctx *ctx, const lt_tensor *x, int64_t split_size, int dim,
                     lt_tensor **out, int max_out);
int ltr_chunk(lt_ctx *ctx, const lt_tensor *x, int chunks, int dim, lt_tensor **out, int max_out);
lt_tensor *ltr_bmm(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
/* attention (ops_attention.c) — F.scaled_dot_product_attention from the ops above;
 * attn_mask bool (true = attend) or float (added) or NULL; scale <= 0: 1/sqrt(E) */
lt_tensor *ltr_scaled_dot_product_attention(lt_ctx *ctx, const lt_tensor *q, const lt_tensor *k,
                                            const lt_tensor *v, const lt_tensor *attn_mask,
                                            bool is_causal, double scale);

#endif
