/*
 * nn.h — torch.nn.functional's losses, normalisations, dropout and embedding: op
 * front-ends built on the tensor core (tensor/ops.h's contract: inputs checked with the
 * op named in the error, compute through the inputs' kernels, a tape node when gradients
 * are needed, results in the arena). Metrics are in nn/metrics.h; the layers' parameters
 * and torch.nn.init in tensor/tensor.h and nn/layers.c, nn/init.c.
 */
#ifndef LTR_NN_H
#define LTR_NN_H

#include "tensor/tensor.h"

/* losses (losses.c): torch.nn.functional's, with its reductions */
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
/* normalisation, dropout, embedding (functional.c) */
lt_tensor *ltr_batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                          lt_tensor *running_var, const lt_tensor *weight, const lt_tensor *bias,
                          bool training, double momentum, double eps);
/* torch.nn.SyncBatchNorm's functional in training: ltr_batch_norm with the statistics
 * of the global batch, gathered through ctx's bn_sync_sum (context.h; it must be set),
 * and the backward's gradient sums likewise (nn.BatchNorm layers use it while the hook
 * is set) */
lt_tensor *ltr_sync_batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                               lt_tensor *running_var, const lt_tensor *weight,
                               const lt_tensor *bias, double momentum, double eps);
lt_tensor *ltr_layer_norm(lt_ctx *ctx, const lt_tensor *x, int normalized_ndim,
                          const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_group_norm(lt_ctx *ctx, const lt_tensor *x, int64_t num_groups,
                          const lt_tensor *weight, const lt_tensor *bias, double eps);
lt_tensor *ltr_dropout(lt_ctx *ctx, const lt_tensor *x, double p, bool training);
lt_tensor *ltr_embedding(lt_ctx *ctx, const lt_tensor *weight, const lt_tensor *indices,
                         int64_t padding_idx);

/* what a batch/layer/group norm node keeps on the tape (node->saved): the per-channel
 * statistics it applied, y = (x - mean) * invstd over [outer, c, inner] */
typedef struct ltr_norm_saved {
    const lt_tensor *invstd; /* float64 [c] */
    int64_t outer, c, inner;
    bool batch_stats;
    const lt_tensor *mean;   /* float64 [c]: what was subtracted */
    /* SyncBatchNorm: the global batch's count per channel the statistics came from (the
     * backward adds its sums over the ranks and divides by it); 0: this process's own */
    double sync_count;
} ltr_norm_saved;

#endif
