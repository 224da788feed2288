/* ltrun/nn.h — layers, initialisation, losses and metrics */
#ifndef LTRUN_NN_H
#define LTRUN_NN_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* nn.Linear(in, out, bias) with PyTorch's default init; params "NAME.weight", "NAME.bias". */
static inline lt_status lt_linear_init(lt_ctx *c, lt_linear_layer *l, const char *name, int64_t in,
                                       int64_t out) {
    return c->api->linear_init(c, l, name, in, out, true);
}
static inline void lt_init_uniform(lt_ctx *c, lt_tensor *t, double lo, double hi) {
    c->api->init_uniform(c, t, lo, hi);
}
static inline void lt_init_normal(lt_ctx *c, lt_tensor *t, double mean, double std) {
    c->api->init_normal(c, t, mean, std);
}
static inline void lt_init_constant(lt_ctx *c, lt_tensor *t, double v) {
    c->api->init_constant(c, t, v);
}
static inline void lt_init_kaiming_uniform(lt_ctx *c, lt_tensor *t, double a) {
    c->api->init_kaiming_uniform(c, t, a);
}
/* F.cross_entropy(logits [N,C], target [N] int64), reduction="mean". */
static inline lt_tensor *lt_cross_entropy(lt_ctx *c, const lt_tensor *logits,
                                          const lt_tensor *target) {
    return c->api->cross_entropy(c, logits, target);
}

/* Multiclass accuracy of logits [N,C] (argmax over dim 1) against target [N]. */
/* not differentiable */
static inline lt_tensor *lt_accuracy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *t) {
    return c->api->accuracy(c, logits, t);
}

/* nn.Conv2d(in, out, kernel, stride/padding/dilation/groups from opt or defaults, bias=True) */
/* nn.Conv2d(in, out, kernel, ...) with PyTorch's default init; "NAME.weight", "NAME.bias" */
static inline lt_status lt_conv2d_init(lt_ctx *c, lt_conv2d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv2d_options *opt) {
    return c->api->conv2d_init(c, l, name, in, out, kernel, opt, true);
}

/* conv */
/* nn.Conv1d(in, out, kernel, stride/padding/dilation/groups from opt or defaults, bias=True) */
/* nn.Conv1d(in, out, kernel, ...) with PyTorch's default init; "NAME.weight", "NAME.bias" */
static inline lt_status lt_conv1d_init(lt_ctx *c, lt_conv1d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv1d_options *opt) {
    return c->api->conv1d_init(c, l, name, in, out, kernel, opt, true);
}
/* nn.ConvTranspose2d(in, out, kernel, options from opt or defaults, bias=True) */
/* nn.ConvTranspose2d(in, out, kernel, ...) with PyTorch's default init (fan_in from the
 * [in, out/groups, k, k] weight as torch computes it: out/groups * k * k) */
static inline lt_status lt_conv_transpose2d_init(lt_ctx *c, lt_conv_transpose2d_layer *l,
                                                 const char *name, int64_t in, int64_t out,
                                                 int64_t kernel,
                                                 const lt_conv_transpose2d_options *opt) {
    return c->api->conv_transpose2d_init(c, l, name, in, out, kernel, opt, true);
}
/* ABI 1.3: losses and metrics (torch.nn.functional names) */
/* ABI 1.3: losses and metrics (x input, y target of x's shape; float32/float64) */
/* F.mse_loss(x, y, reduction) */
static inline lt_tensor *lt_mse_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction r) {
    return c->api->mse_loss(c, x, y, r);
}
/* F.l1_loss(x, y, reduction) */
static inline lt_tensor *lt_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction r) {
    return c->api->l1_loss(c, x, y, r);
}
/* F.smooth_l1_loss(x, y, reduction, beta) (torch default beta 1.0) */
static inline lt_tensor *lt_smooth_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                           lt_reduction r, double beta) {
    return c->api->smooth_l1_loss(c, x, y, r, beta);
}
/* F.huber_loss(x, y, reduction, delta) (torch default delta 1.0) */
static inline lt_tensor *lt_huber_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                       lt_reduction r, double delta) {
    return c->api->huber_loss(c, x, y, r, delta);
}
/* F.binary_cross_entropy(p in [0,1], y, weight of x's shape or [last dim] or NULL) */
static inline lt_tensor *lt_binary_cross_entropy(lt_ctx *c, const lt_tensor *p, const lt_tensor *y,
                                                 const lt_tensor *weight, lt_reduction r) {
    return c->api->binary_cross_entropy(c, p, y, weight, r);
}
/* F.binary_cross_entropy_with_logits(x, y, weight, pos_weight: x's shape, [last dim] or NULL) */
static inline lt_tensor *lt_binary_cross_entropy_with_logits(lt_ctx *c, const lt_tensor *x,
                                                             const lt_tensor *y, const lt_tensor *w,
                                                             const lt_tensor *pos_weight, lt_reduction r) {
    return c->api->binary_cross_entropy_with_logits(c, x, y, w, pos_weight, r);
}
/* F.kl_div(input log-probs, target, reduction incl. BATCHMEAN, log_target) */
static inline lt_tensor *lt_kl_div(lt_ctx *c, const lt_tensor *input, const lt_tensor *target,
                                   lt_reduction r, bool log_target) {
    return c->api->kl_div(c, input, target, r, log_target);
}
/* F.cross_entropy(logits [N,C] or [N,C,d1..], target int64 [N] / [N,d1..] class
 * indices or float probabilities of logits' shape, opt or NULL = defaults) */
static inline lt_tensor *lt_cross_entropy_ex(lt_ctx *c, const lt_tensor *logits,
                                             const lt_tensor *target,
                                             const lt_cross_entropy_options *opt) {
    return c->api->cross_entropy_ex(c, logits, target, opt);
}
/* F.nll_loss(logp [N,C] or [N,C,d1..], target int64 [N] / [N,d1..], opt or NULL) */
static inline lt_tensor *lt_nll_loss(lt_ctx *c, const lt_tensor *logp, const lt_tensor *target,
                                     const lt_nll_loss_options *opt) {
    return c->api->nll_loss(c, logp, target, opt);
}
/* metrics (not differentiable). preds: float scores [N,C] (argmax / top-k) or int64
 * classes [N] (num_classes then required); target int64 [N]. Results float32 scalars,
 * the confusion matrix int64 [C,C]. num_classes <= 0: C of the scores. */
static inline lt_tensor *lt_accuracy_topk(lt_ctx *c, const lt_tensor *logits, const lt_tensor *t,
                                          int64_t k) {
    return c->api->accuracy_topk(c, logits, t, k);
}
static inline lt_tensor *lt_precision(lt_ctx *c, const lt_tensor *p, const lt_tensor *t, int64_t nc) {
    return c->api->precision(c, p, t, nc);
}
static inline lt_tensor *lt_recall(lt_ctx *c, const lt_tensor *p, const lt_tensor *t, int64_t nc) {
    return c->api->recall(c, p, t, nc);
}
static inline lt_tensor *lt_f1_score(lt_ctx *c, const lt_tensor *p, const lt_tensor *t, int64_t nc) {
    return c->api->f1_score(c, p, t, nc);
}
static inline lt_tensor *lt_confusion_matrix(lt_ctx *c, const lt_tensor *p, const lt_tensor *t,
                                             int64_t nc) {
    return c->api->confusion_matrix(c, p, t, nc);
}
static inline lt_tensor *lt_mean_absolute_error(lt_ctx *c, const lt_tensor *p, const lt_tensor *t) {
    return c->api->mean_absolute_error(c, p, t);
}
static inline lt_tensor *lt_mean_squared_error(lt_ctx *c, const lt_tensor *p, const lt_tensor *t) {
    return c->api->mean_squared_error(c, p, t);
}
/* torchmetrics Metric objects: new (in create; host-owned, freed with the run),
 * update per step, compute over all updates since the last reset, reset */
static inline lt_metric *lt_metric_new(lt_ctx *c, lt_metric_kind kind, const lt_metric_options *o) {
    return c->api->metric_new(c, kind, o);
}
static inline lt_status lt_metric_update(lt_ctx *c, lt_metric *m, const lt_tensor *p,
                                         const lt_tensor *t) {
    return c->api->metric_update(c, m, p, t);
}
static inline lt_tensor *lt_metric_compute(lt_ctx *c, lt_metric *m) {
    return c->api->metric_compute(c, m);
}
static inline void lt_metric_reset(lt_ctx *c, lt_metric *m) { c->api->metric_reset(c, m); }

/* ABI 1.3: nn */
/* register_buffer: persistent, non-trainable named tensor (any dtype, zeros); saved
 * with the parameters, never seen by optimizers. Call from create. */
static inline lt_tensor *lt_buffer(lt_ctx *c, const char *name, lt_dtype dt, int nd,
                                   const int64_t *s) {
    return c->api->buffer(c, name, dt, nd, s);
}
/* F.batch_norm(x [N,C,*], running_mean [C], running_var [C], weight [C], bias [C],
 * training, momentum, eps): running stats (may be NULL when training) updated in
 * place when training, with the unbiased batch variance */
static inline lt_tensor *lt_batch_norm(lt_ctx *c, const lt_tensor *x, lt_tensor *running_mean,
                                       lt_tensor *running_var, const lt_tensor *weight,
                                       const lt_tensor *bias, bool training, double momentum,
                                       double eps) {
    return c->api->batch_norm(c, x, running_mean, running_var, weight, bias, training, momentum,
                              eps);
}
/* F.layer_norm(x, x.shape[-normalized_ndim:], weight, bias, eps) */
static inline lt_tensor *lt_layer_norm(lt_ctx *c, const lt_tensor *x, int normalized_ndim,
                                       const lt_tensor *weight, const lt_tensor *bias, double eps) {
    return c->api->layer_norm(c, x, normalized_ndim, weight, bias, eps);
}
/* F.group_norm(x [N,C,*], num_groups, weight [C], bias [C], eps) */
static inline lt_tensor *lt_group_norm(lt_ctx *c, const lt_tensor *x, int64_t num_groups,
                                       const lt_tensor *weight, const lt_tensor *bias, double eps) {
    return c->api->group_norm(c, x, num_groups, weight, bias, eps);
}
/* F.dropout(x, p, training): mask from the run's seeded generator */
static inline lt_tensor *lt_dropout(lt_ctx *c, const lt_tensor *x, double p, bool training) {
    return c->api->dropout(c, x, p, training);
}
/* nn.Dropout(p) applied: active when ctx->training (model.train()) */
static inline lt_tensor *lt_dropout_layer(lt_ctx *c, const lt_tensor *x, double p) {
    return c->api->dropout(c, x, p, c->training);
}
/* F.embedding(indices int64 [*], weight [V,D], padding_idx (-1: none)) -> [*, D] */
static inline lt_tensor *lt_embedding(lt_ctx *c, const lt_tensor *weight, const lt_tensor *indices,
                                      int64_t padding_idx) {
    return c->api->embedding(c, weight, indices, padding_idx);
}
/* nn.BatchNormNd(num_features, opt or NULL = defaults) */
static inline lt_status lt_batchnorm_init(lt_ctx *c, lt_batchnorm_layer *l, const char *name,
                                          int64_t num_features, const lt_batchnorm_options *o) {
    return c->api->batchnorm_init(c, l, name, num_features, o);
}
/* ABI 1.8: nn.BatchNorm1d / BatchNorm2d / BatchNorm3d — lt_batchnorm_init's layer under
 * torch's class name, which the model summary shows as Lightning's does ("BatchNorm2d";
 * lt_batchnorm_init's layers show "BatchNorm"). Apply with lt_batchnorm. */
static inline lt_status lt_batchnorm1d_init(lt_ctx *c, lt_batchnorm_layer *l, const char *name,
                                            int64_t num_features, const lt_batchnorm_options *o) {
    return c->api->batchnorm_init_nd(c, l, name, num_features, o, 1);
}
static inline lt_status lt_batchnorm2d_init(lt_ctx *c, lt_batchnorm_layer *l, const char *name,
                                            int64_t num_features, const lt_batchnorm_options *o) {
    return c->api->batchnorm_init_nd(c, l, name, num_features, o, 2);
}
static inline lt_status lt_batchnorm3d_init(lt_ctx *c, lt_batchnorm_layer *l, const char *name,
                                            int64_t num_features, const lt_batchnorm_options *o) {
    return c->api->batchnorm_init_nd(c, l, name, num_features, o, 3);
}
/* Apply a layer made by lt_batchnorm_init (uses ctx->training). */
/* nn.BatchNormNd.forward: batch stats and running-stat update when ctx->training */
static inline lt_tensor *lt_batchnorm(lt_ctx *c, lt_batchnorm_layer *l, const lt_tensor *x) {
    return c->api->batchnorm_forward(c, l, x);
}
/* nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True) */
/* nn.LayerNorm(normalized_shape [ndim], eps, elementwise_affine) */
static inline lt_status lt_layernorm_init(lt_ctx *c, lt_layernorm_layer *l, const char *name,
                                          int ndim, const int64_t *normalized_shape) {
    return c->api->layernorm_init(c, l, name, ndim, normalized_shape, 1e-5, true);
}
static inline lt_tensor *lt_layernorm(lt_ctx *c, const lt_layernorm_layer *l, const lt_tensor *x) {
    return c->api->layer_norm(c, x, l->normalized_ndim, l->weight, l->bias, l->eps);
}
/* nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True) */
/* nn.GroupNorm(num_groups, num_channels, eps, affine) */
static inline lt_status lt_groupnorm_init(lt_ctx *c, lt_groupnorm_layer *l, const char *name,
                                          int64_t num_groups, int64_t num_channels) {
    return c->api->groupnorm_init(c, l, name, num_groups, num_channels, 1e-5, true);
}
static inline lt_tensor *lt_groupnorm(lt_ctx *c, const lt_groupnorm_layer *l, const lt_tensor *x) {
    return c->api->group_norm(c, x, l->num_groups, l->weight, l->bias, l->eps);
}
/* nn.Embedding(num_embeddings, embedding_dim, padding_idx (-1: none)) */
static inline lt_status lt_embedding_init(lt_ctx *c, lt_embedding_layer *l, const char *name,
                                          int64_t num_embeddings, int64_t embedding_dim,
                                          int64_t padding_idx) {
    return c->api->embedding_init(c, l, name, num_embeddings, embedding_dim, padding_idx);
}
/* Apply a layer made by lt_embedding_init to int64 indices. */
static inline lt_tensor *lt_embed(lt_ctx *c, const lt_embedding_layer *l, const lt_tensor *idx) {
    return c->api->embedding(c, l->weight, idx, l->padding_idx);
}

/* torch.nn.init (in place, from the run's seeded generator; call from create) */
/* calculate_gain(nonlinearity, param): param NAN = None; unknown name: error, NAN */
static inline double lt_calculate_gain(lt_ctx *c, const char *nonlinearity, double param) {
    return c->api->calculate_gain(c, nonlinearity, param);
}
static inline void lt_init_xavier_uniform(lt_ctx *c, lt_tensor *t, double gain) {
    c->api->init_xavier_uniform(c, t, gain);
}
static inline void lt_init_xavier_normal(lt_ctx *c, lt_tensor *t, double gain) {
    c->api->init_xavier_normal(c, t, gain);
}
/* kaiming_uniform_/kaiming_normal_(t, a, mode "fan_in"|"fan_out", nonlinearity) */
static inline void lt_init_kaiming_uniform_ex(lt_ctx *c, lt_tensor *t, double a, const char *mode,
                                              const char *nonlinearity) {
    c->api->init_kaiming_uniform_ex(c, t, a, mode, nonlinearity);
}
static inline void lt_init_kaiming_normal(lt_ctx *c, lt_tensor *t, double a, const char *mode,
                                          const char *nonlinearity) {
    c->api->init_kaiming_normal(c, t, a, mode, nonlinearity);
}
static inline void lt_init_orthogonal(lt_ctx *c, lt_tensor *t, double gain) {
    c->api->init_orthogonal(c, t, gain);
}
/* trunc_normal_(t, mean, std, a, b) */
static inline void lt_init_trunc_normal(lt_ctx *c, lt_tensor *t, double mean, double std,
                                        double a, double b) {
    c->api->init_trunc_normal(c, t, mean, std, a, b);
}
static inline void lt_init_zeros(lt_ctx *c, lt_tensor *t) { c->api->init_constant(c, t, 0.0); }
static inline void lt_init_ones(lt_ctx *c, lt_tensor *t) { c->api->init_constant(c, t, 1.0); }

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_NN_H */
