/*
 * autocast.h — torch.autocast for the ops plugins call, and the bfloat16 rules of the
 * ops that have no bfloat16 kernel.
 *
 * The host table (api/host_api.c) points the ops below at these wrappers instead of the
 * tensor core's. Each wrapper decides the dtypes its op runs in, converts the inputs
 * with lt_to (differentiable: gradients flow back to the float32 parameters in float32)
 * and calls the core op:
 *   - autocast on (ltr_ctx.autocast, set by a mixed precision's forward_context or by
 *     lt_autocast): the ops of PyTorch's CPU lower-precision list run in
 *     autocast_dtype, those of its float32 list in float32;
 *   - the rest follow their inputs, with torch's type promotion: all float inputs
 *     bfloat16 -> computed in float32 from the widened inputs and rounded to bfloat16
 *     once (what torch's CPU bfloat16 kernels do), mixed -> the widest dtype.
 * Ops not wrapped here take bfloat16 where the core does (lt_to, the GEMMs, the shape
 * ops) and refuse it elsewhere with a message naming the op.
 *
 * The lists are PyTorch 1.13.1's CPU autocast (aten/src/ATen/autocast_mode.cpp,
 * checked op by op under torch.autocast("cpu", torch.bfloat16) with Debian's
 * python3-torch 1.13.1; tests/test_autocast.c holds the table).
 */
#ifndef LTR_AUTOCAST_H
#define LTR_AUTOCAST_H

#include "ltrun.h"

#include <stdbool.h>

/* lt_autocast (ABI 1.9): torch.autocast("cpu", enabled=on) for the code that follows;
 * returns the previous state, so `bool was = lt_autocast(ctx, false); ... ;
 * lt_autocast(ctx, was);` is a region with autocast off. */
bool ltr_autocast_set(lt_ctx *ctx, bool on);

/* The wrapped ops, same signatures as the host table's members of the same names. */
lt_tensor *ltr_ac_matmul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_linear(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b);
lt_tensor *ltr_ac_bmm(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_conv1d(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv1d_options *opt);
lt_tensor *ltr_ac_conv2d(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv2d_options *opt);

lt_tensor *ltr_ac_cross_entropy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target);
lt_tensor *ltr_ac_cross_entropy_ex(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target,
                                   const lt_cross_entropy_options *opt);
lt_tensor *ltr_ac_nll_loss(lt_ctx *c, const lt_tensor *logp, const lt_tensor *target,
                           const lt_nll_loss_options *opt);
lt_tensor *ltr_ac_mse_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
lt_tensor *ltr_ac_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
lt_tensor *ltr_ac_smooth_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                 lt_reduction red, double beta);
lt_tensor *ltr_ac_huber_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red,
                             double delta);
lt_tensor *ltr_ac_binary_cross_entropy(lt_ctx *c, const lt_tensor *p, const lt_tensor *y,
                                       const lt_tensor *weight, lt_reduction red);
lt_tensor *ltr_ac_binary_cross_entropy_with_logits(lt_ctx *c, const lt_tensor *x,
                                                   const lt_tensor *y, const lt_tensor *weight,
                                                   const lt_tensor *pos_weight, lt_reduction red);
lt_tensor *ltr_ac_kl_div(lt_ctx *c, const lt_tensor *input, const lt_tensor *target,
                         lt_reduction red, bool log_target);

lt_tensor *ltr_ac_add(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_sub(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_mul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_div(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_maximum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_minimum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b);
lt_tensor *ltr_ac_relu(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_neg(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_exp(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_log(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_sqrt(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_abs(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_sigmoid(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_tanh(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_silu(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_gelu(lt_ctx *c, const lt_tensor *x, lt_gelu_approximate approximate);
lt_tensor *ltr_ac_leaky_relu(lt_ctx *c, const lt_tensor *x, double negative_slope);
lt_tensor *ltr_ac_add_scalar(lt_ctx *c, const lt_tensor *x, double s);
lt_tensor *ltr_ac_mul_scalar(lt_ctx *c, const lt_tensor *x, double s);
lt_tensor *ltr_ac_pow_scalar(lt_ctx *c, const lt_tensor *x, double p);
lt_tensor *ltr_ac_clamp(lt_ctx *c, const lt_tensor *x, double min, double max);
lt_tensor *ltr_ac_dropout(lt_ctx *c, const lt_tensor *x, double p, bool training);
lt_tensor *ltr_ac_sum(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_mean(lt_ctx *c, const lt_tensor *x);
lt_tensor *ltr_ac_sum_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
lt_tensor *ltr_ac_mean_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
lt_tensor *ltr_ac_amax(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_ac_var(lt_ctx *c, const lt_tensor *x, int dim, double correction, bool keepdim);
lt_tensor *ltr_ac_std(lt_ctx *c, const lt_tensor *x, int dim, double correction, bool keepdim);
lt_tensor *ltr_ac_logsumexp(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_ac_softmax(lt_ctx *c, const lt_tensor *x, int dim);
lt_tensor *ltr_ac_log_softmax(lt_ctx *c, const lt_tensor *x, int dim);
lt_tensor *ltr_ac_argmax(lt_ctx *c, const lt_tensor *x, int dim);
lt_tensor *ltr_ac_argmax_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim);
lt_tensor *ltr_ac_max_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel, int64_t stride,
                             int64_t padding);
lt_tensor *ltr_ac_max_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                const lt_pool2d_options *opt);
lt_tensor *ltr_ac_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                             const lt_pool2d_options *opt);
lt_tensor *ltr_ac_adaptive_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t oh, int64_t ow);
lt_tensor *ltr_ac_batch_norm(lt_ctx *c, const lt_tensor *x, lt_tensor *running_mean,
                             lt_tensor *running_var, const lt_tensor *weight, const lt_tensor *bias,
                             bool training, double momentum, double eps);
lt_tensor *ltr_ac_batchnorm_forward(lt_ctx *c, lt_batchnorm_layer *l, const lt_tensor *x);
lt_tensor *ltr_ac_layer_norm(lt_ctx *c, const lt_tensor *x, int normalized_ndim,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_ac_group_norm(lt_ctx *c, const lt_tensor *x, int64_t num_groups,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_ac_accuracy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target);
lt_tensor *ltr_ac_accuracy_topk(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target,
                                int64_t k);

#endif
