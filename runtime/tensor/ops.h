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

/* issue 3: losses and metrics */
lt_tensor *ltr_mse_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
lt_tensor *ltr_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
lt_tensor *ltr_smooth_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                              lt_reduction red, double beta);
lt_tensor *ltr_huber_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                          lt_reduction red, double delta);
lt_tensor *ltr_binary_cross_entropy(lt_ctx *ctx, const lt_tensor *p, const lt_tensor *y,
                                    const lt_tensor *weight, lt_reduction red);
lt_tensor *ltr_binary_cross_entropy_with_logits(lt_ctx *ctx, const lt_tensor *x,
                                                const lt_tensor *y, const lt_tensor *weight,
                                                const lt_tensor *pos_weight, lt_reduction red);
lt_tensor *ltr_kl_div(lt_ctx *ctx, const lt_tensor *input, const lt_tensor *target,
                      lt_reduction red, bool log_target);
lt_tensor *ltr_cross_entropy_ex(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target,
                                const lt_cross_entropy_options *opt);
lt_tensor *ltr_nll_loss(lt_ctx *ctx, const lt_tensor *logp, const lt_tensor *target,
                        const lt_nll_loss_options *opt);

#endif
