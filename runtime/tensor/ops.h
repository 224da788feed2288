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

/* issue 3: shape — views (ops_views.c) and joins/gathers (ops_join.c); batched matmul
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

#endif
