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

/* nn (issue 3): normalisation, dropout, embedding (ops_nn.c) */
lt_tensor *ltr_batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                          lt_tensor *running_var, const lt_tensor *weight, const lt_tensor *bias,
                          bool training, double momentum, double eps);
lt_tensor *ltr_layer_norm(lt_ctx *ctx, const lt_tensor *x, int normalized_ndim,
                          const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_group_norm(lt_ctx *ctx, const lt_tensor *x, int64_t num_groups,
                          const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_dropout(lt_ctx *ctx, const lt_tensor *x, double p, bool training);
lt_tensor *ltr_embedding(lt_ctx *ctx, const lt_tensor *weight, const lt_tensor *indices,
                         int64_t padding_idx);

#endif
