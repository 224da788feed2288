/* ltrun/host_api.h — the host's function table, in the order members were added (each SDK
 * function's documentation is at its wrapper in the topic headers) */
#ifndef LTRUN_HOST_API_H
#define LTRUN_HOST_API_H

#include "types.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------------- host API */

/*
 * The host's services. Reached as ctx->api->x; prefer the lt_* wrappers in the topic headers. Members are
 * only ever appended; `size` is sizeof the host's struct.
 */
struct lt_host_api {
    uint32_t size;
    uint32_t abi_major, abi_minor;

    /* errors and memory */
    lt_status (*vfail)(lt_ctx *ctx, const char *fmt, va_list ap);
    void *(*alloc)(lt_ctx *ctx, size_t bytes);
    void *(*scratch)(lt_ctx *ctx, size_t bytes);

    /* hyperparameters */
    int64_t (*hp_int)(lt_ctx *ctx, const lt_hparams *hp, const char *key, int64_t dflt);
    double (*hp_float)(lt_ctx *ctx, const lt_hparams *hp, const char *key, double dflt);
    bool (*hp_bool)(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool dflt);
    const char *(*hp_str)(lt_ctx *ctx, const lt_hparams *hp, const char *key, const char *dflt);

    /* logging */
    void (*log)(lt_ctx *ctx, const char *name, const lt_tensor *value, unsigned flags);
    void (*log_value)(lt_ctx *ctx, const char *name, double value, unsigned flags);

    /* tensors */
    lt_tensor *(*tensor_new)(lt_ctx *ctx, lt_dtype dtype, int ndim, const int64_t *shape);
    lt_tensor *(*tensor_from)(lt_ctx *ctx, lt_dtype dtype, int ndim, const int64_t *shape,
                              const void *data);
    void *(*data)(const lt_tensor *t);
    lt_dtype (*dtype)(const lt_tensor *t);
    int (*ndim)(const lt_tensor *t);
    int64_t (*dim_size)(const lt_tensor *t, int dim);
    int64_t (*numel)(const lt_tensor *t);
    double (*item)(lt_ctx *ctx, const lt_tensor *t);

    /* parameters and initialisation */
    lt_tensor *(*param)(lt_ctx *ctx, const char *name, lt_dtype dtype, int ndim,
                        const int64_t *shape);
    lt_status (*linear_init)(lt_ctx *ctx, lt_linear_layer *l, const char *name, int64_t in,
                             int64_t out, bool bias);
    void (*init_uniform)(lt_ctx *ctx, lt_tensor *t, double low, double high);
    void (*init_normal)(lt_ctx *ctx, lt_tensor *t, double mean, double std);
    void (*init_constant)(lt_ctx *ctx, lt_tensor *t, double value);
    void (*init_kaiming_uniform)(lt_ctx *ctx, lt_tensor *t, double a);

    /* ops */
    lt_tensor *(*matmul)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*linear)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w,
                         const lt_tensor *b);
    lt_tensor *(*add)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*sub)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*mul)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*relu)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*reshape)(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape);
    lt_tensor *(*flatten)(lt_ctx *ctx, const lt_tensor *x, int start_dim);
    lt_tensor *(*sum)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*mean)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*log_softmax)(lt_ctx *ctx, const lt_tensor *x, int dim);
    lt_tensor *(*cross_entropy)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target);
    lt_tensor *(*argmax)(lt_ctx *ctx, const lt_tensor *x, int dim);
    lt_tensor *(*accuracy)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target);

    /* batches */
    lt_tensor *(*batch_at)(lt_ctx *ctx, const lt_batch *b, int field);
    int64_t (*batch_size)(const lt_batch *b);

    /* optimizers */
    lt_optimizer *(*sgd)(lt_ctx *ctx, const lt_sgd_options *opt);
    lt_optimizer *(*adam)(lt_ctx *ctx, const lt_adam_options *opt);

    /* randomness */
    uint64_t (*seed)(lt_ctx *ctx);
    void (*randperm)(uint64_t seed, int64_t n, int64_t *out);

    /* ABI 1.1 */
    lt_tensor *(*conv2d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv2d_options *opt);
    lt_tensor *(*max_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t kernel, int64_t stride,
                             int64_t padding);
    lt_status (*conv2d_init)(lt_ctx *ctx, lt_conv2d_layer *l, const char *name, int64_t in,
                             int64_t out, int64_t kernel, const lt_conv2d_options *opt, bool bias);

    /* ABI 1.2: elementwise math, torch's definitions and gradients */
    lt_tensor *(*neg)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*exp)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*ln)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*sqrt)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*abs)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*sigmoid)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*tanh)(lt_ctx *ctx, const lt_tensor *x);

    /* ABI 1.3: grad mode and memory scopes inside one hook */
    bool (*set_grad_enabled)(lt_ctx *ctx, bool enabled);
    void *(*scope_begin)(lt_ctx *ctx);
    lt_status (*scope_end)(lt_ctx *ctx, void *scope);
    /* ABI 1.3: reductions */
    lt_tensor *(*sum_dim)(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
    lt_tensor *(*mean_dim)(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
    lt_tensor *(*var)(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
    lt_tensor *(*std)(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
    lt_tensor *(*max_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
    lt_tensor *(*min_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
    lt_tensor *(*max)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*min)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*amax)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*amin)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*argmax_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*argmin_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*logsumexp)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*softmax)(lt_ctx *ctx, const lt_tensor *x, int dim);
    /* ABI 1.3: conv */
    lt_tensor *(*conv1d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv1d_options *opt);
    lt_status (*conv1d_init)(lt_ctx *ctx, lt_conv1d_layer *l, const char *name, int64_t in,
                             int64_t out, int64_t kernel, const lt_conv1d_options *opt, bool bias);
    lt_tensor *(*conv_transpose2d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w,
                                   const lt_tensor *b, const lt_conv_transpose2d_options *opt);
    lt_status (*conv_transpose2d_init)(lt_ctx *ctx, lt_conv_transpose2d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv_transpose2d_options *opt, bool bias);
    lt_tensor *(*avg_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                             const lt_pool2d_options *opt);
    lt_tensor *(*max_pool2d_ex)(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                                const lt_pool2d_options *opt);
    lt_tensor *(*adaptive_avg_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t oh, int64_t ow);
    /* ABI 1.3: elementwise */
    lt_tensor *(*div)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*pow)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*pow_scalar)(lt_ctx *ctx, const lt_tensor *x, double p);
    lt_tensor *(*add_scalar)(lt_ctx *ctx, const lt_tensor *x, double s);
    lt_tensor *(*mul_scalar)(lt_ctx *ctx, const lt_tensor *x, double s);
    lt_tensor *(*clamp)(lt_ctx *ctx, const lt_tensor *x, double min, double max);
    lt_tensor *(*maximum)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*minimum)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*where)(lt_ctx *ctx, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*eq)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*ne)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*lt)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*le)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*gt)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*ge)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*masked_fill)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *mask, double value);
    lt_tensor *(*leaky_relu)(lt_ctx *ctx, const lt_tensor *x, double negative_slope);
    lt_tensor *(*gelu)(lt_ctx *ctx, const lt_tensor *x, lt_gelu_approximate approximate);
    lt_tensor *(*silu)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*softplus)(lt_ctx *ctx, const lt_tensor *x, double beta, double threshold);
    lt_tensor *(*elu)(lt_ctx *ctx, const lt_tensor *x, double alpha);
    lt_tensor *(*to)(lt_ctx *ctx, const lt_tensor *x, lt_dtype dtype);
    lt_tensor *(*zeros)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*ones)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*full)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape, double value);
    lt_tensor *(*arange)(lt_ctx *ctx, double start, double end, double step, lt_dtype dt);
    lt_tensor *(*rand)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*randn)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    /* ABI 1.3: shape */
    lt_tensor *(*transpose)(lt_ctx *ctx, const lt_tensor *x, int d0, int d1);
    lt_tensor *(*permute)(lt_ctx *ctx, const lt_tensor *x, int ndims, const int *dims);
    lt_tensor *(*squeeze)(lt_ctx *ctx, const lt_tensor *x, int dim);
    lt_tensor *(*squeeze_all)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*unsqueeze)(lt_ctx *ctx, const lt_tensor *x, int dim);
    lt_tensor *(*expand)(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape);
    lt_tensor *(*narrow)(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t start, int64_t length);
    lt_tensor *(*select)(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t index);
    lt_tensor *(*contiguous)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*index_select)(lt_ctx *ctx, const lt_tensor *x, int dim, const lt_tensor *index);
    lt_tensor *(*cat)(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
    lt_tensor *(*stack)(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
    int (*split_tensor)(lt_ctx *ctx, const lt_tensor *x, int64_t split_size, int dim,
                        lt_tensor **out, int max_out);
    int (*chunk)(lt_ctx *ctx, const lt_tensor *x, int chunks, int dim, lt_tensor **out,
                 int max_out);
    lt_tensor *(*bmm)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    /* ABI 1.3: losses and metrics */
    lt_tensor *(*mse_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
    lt_tensor *(*l1_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
    lt_tensor *(*smooth_l1_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                                 lt_reduction red, double beta);
    lt_tensor *(*huber_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                             lt_reduction red, double delta);
    lt_tensor *(*binary_cross_entropy)(lt_ctx *ctx, const lt_tensor *p, const lt_tensor *y,
                                       const lt_tensor *weight, lt_reduction red);
    lt_tensor *(*binary_cross_entropy_with_logits)(lt_ctx *ctx, const lt_tensor *x,
                                                   const lt_tensor *y, const lt_tensor *weight,
                                                   const lt_tensor *pos_weight, lt_reduction red);
    lt_tensor *(*kl_div)(lt_ctx *ctx, const lt_tensor *input, const lt_tensor *target,
                         lt_reduction red, bool log_target);
    lt_tensor *(*cross_entropy_ex)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target,
                                   const lt_cross_entropy_options *opt);
    lt_tensor *(*nll_loss)(lt_ctx *ctx, const lt_tensor *logp, const lt_tensor *target,
                           const lt_nll_loss_options *opt);
    lt_tensor *(*accuracy_topk)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target,
                                int64_t k);
    lt_tensor *(*precision)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target,
                            int64_t num_classes);
    lt_tensor *(*recall)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target,
                         int64_t num_classes);
    lt_tensor *(*f1_score)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target,
                           int64_t num_classes);
    lt_tensor *(*confusion_matrix)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target,
                                   int64_t num_classes);
    lt_tensor *(*mean_absolute_error)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target);
    lt_tensor *(*mean_squared_error)(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target);
    lt_metric *(*metric_new)(lt_ctx *ctx, lt_metric_kind kind, const lt_metric_options *opt);
    lt_status (*metric_update)(lt_ctx *ctx, lt_metric *m, const lt_tensor *preds,
                               const lt_tensor *target);
    lt_tensor *(*metric_compute)(lt_ctx *ctx, lt_metric *m);
    void (*metric_reset)(lt_ctx *ctx, lt_metric *m);
    void (*log_metric)(lt_ctx *ctx, const char *name, lt_metric *m, unsigned flags);
    /* ABI 1.3: nn */
    lt_tensor *(*buffer)(lt_ctx *ctx, const char *name, lt_dtype dtype, int ndim,
                         const int64_t *shape);
    lt_tensor *(*batch_norm)(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                             lt_tensor *running_var, const lt_tensor *weight,
                             const lt_tensor *bias, bool training, double momentum, double eps);
    lt_tensor *(*layer_norm)(lt_ctx *ctx, const lt_tensor *x, int normalized_ndim,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
    lt_tensor *(*group_norm)(lt_ctx *ctx, const lt_tensor *x, int64_t num_groups,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
    lt_tensor *(*dropout)(lt_ctx *ctx, const lt_tensor *x, double p, bool training);
    lt_tensor *(*embedding)(lt_ctx *ctx, const lt_tensor *weight, const lt_tensor *indices,
                            int64_t padding_idx);
    lt_status (*batchnorm_init)(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                int64_t num_features, const lt_batchnorm_options *opt);
    lt_tensor *(*batchnorm_forward)(lt_ctx *ctx, lt_batchnorm_layer *l, const lt_tensor *x);
    lt_status (*layernorm_init)(lt_ctx *ctx, lt_layernorm_layer *l, const char *name, int ndim,
                                const int64_t *normalized_shape, double eps, bool affine);
    lt_status (*groupnorm_init)(lt_ctx *ctx, lt_groupnorm_layer *l, const char *name,
                                int64_t num_groups, int64_t num_channels, double eps, bool affine);
    lt_status (*embedding_init)(lt_ctx *ctx, lt_embedding_layer *l, const char *name,
                                int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx);
    double (*calculate_gain)(lt_ctx *ctx, const char *nonlinearity, double param);
    void (*init_xavier_uniform)(lt_ctx *ctx, lt_tensor *t, double gain);
    void (*init_xavier_normal)(lt_ctx *ctx, lt_tensor *t, double gain);
    void (*init_kaiming_uniform_ex)(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                    const char *nonlinearity);
    void (*init_kaiming_normal)(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                const char *nonlinearity);
    void (*init_orthogonal)(lt_ctx *ctx, lt_tensor *t, double gain);
    void (*init_trunc_normal)(lt_ctx *ctx, lt_tensor *t, double mean, double std, double a,
                              double b);
    /* ABI 1.3: attention */
    lt_tensor *(*scaled_dot_product_attention)(lt_ctx *ctx, const lt_tensor *q, const lt_tensor *k,
                                               const lt_tensor *v, const lt_tensor *attn_mask,
                                               bool is_causal, double scale);
    /* ABI 1.4: logging */
    void (*log_ex)(lt_ctx *ctx, const char *name, const lt_tensor *value,
                   const lt_log_options *opt);
    void (*log_value_ex)(lt_ctx *ctx, const char *name, double value, const lt_log_options *opt);
    void (*log_dict)(lt_ctx *ctx, int n, const char *const *names, const lt_tensor *const *values,
                     const lt_log_options *opt);
    bool (*metric_get)(lt_ctx *ctx, lt_metrics_dict which, const char *name, double *value);
    int64_t (*metrics_count)(lt_ctx *ctx, lt_metrics_dict which);
    const char *(*metrics_name)(lt_ctx *ctx, lt_metrics_dict which, int64_t i);
    /* ABI 1.4: predict */
    lt_status (*predict_output)(lt_ctx *ctx, const char *name, const lt_tensor *value);

    /* ABI 1.4: hooks and trainer control */
    int64_t (*estimated_stepping_batches)(lt_ctx *ctx);
    bool (*should_stop)(lt_ctx *ctx);
    void (*set_should_stop)(lt_ctx *ctx, bool stop);
    lt_status (*optimizer_step)(lt_ctx *ctx, lt_optimizer *opt, lt_closure *closure);
    lt_status (*optimizer_zero_grad)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*closure_run)(lt_ctx *ctx, lt_closure *closure);
    lt_status (*clip_gradients)(lt_ctx *ctx, lt_optimizer *opt, double gradient_clip_val,
                                const char *gradient_clip_algorithm);
    void (*train_mode)(lt_ctx *ctx, bool mode);
    lt_status (*batch_set)(lt_ctx *ctx, lt_batch *batch, int field, lt_tensor *value);
    /* ABI 1.4: optimizers, param groups, LR schedulers, configure_optimizers forms */
    lt_optimizer *(*adamw)(lt_ctx *ctx, const lt_adamw_options *opt);
    lt_optimizer *(*rmsprop)(lt_ctx *ctx, const lt_rmsprop_options *opt);
    lt_optimizer *(*adagrad)(lt_ctx *ctx, const lt_adagrad_options *opt);
    int (*param_group)(lt_ctx *ctx, lt_optimizer *opt, const char *names);
    lt_status (*group_set)(lt_ctx *ctx, lt_optimizer *opt, int group, const char *key,
                           double value);
    double (*group_get)(const lt_optimizer *opt, int group, const char *key);
    int (*num_param_groups)(const lt_optimizer *opt);
    lt_lr_scheduler *(*step_lr)(lt_ctx *ctx, lt_optimizer *opt, int64_t step_size, double gamma);
    lt_lr_scheduler *(*multistep_lr)(lt_ctx *ctx, lt_optimizer *opt, const int64_t *milestones,
                                     int n, double gamma);
    lt_lr_scheduler *(*exponential_lr)(lt_ctx *ctx, lt_optimizer *opt, double gamma);
    lt_lr_scheduler *(*cosine_annealing_lr)(lt_ctx *ctx, lt_optimizer *opt, int64_t t_max,
                                            double eta_min);
    lt_lr_scheduler *(*cosine_annealing_warm_restarts)(lt_ctx *ctx, lt_optimizer *opt,
                                                       int64_t t_0, int64_t t_mult,
                                                       double eta_min);
    lt_lr_scheduler *(*one_cycle_lr)(lt_ctx *ctx, lt_optimizer *opt,
                                     const lt_one_cycle_options *o);
    lt_lr_scheduler *(*linear_lr)(lt_ctx *ctx, lt_optimizer *opt, double start_factor,
                                  double end_factor, int64_t total_iters);
    lt_lr_scheduler *(*constant_lr)(lt_ctx *ctx, lt_optimizer *opt, double factor,
                                    int64_t total_iters);
    lt_lr_scheduler *(*lambda_lr)(lt_ctx *ctx, lt_optimizer *opt,
                                  double (*fn)(int64_t epoch, void *user), void *user);
    lt_lr_scheduler *(*sequential_lr)(lt_ctx *ctx, lt_optimizer *opt,
                                      lt_lr_scheduler *const *schedulers, int n,
                                      const int64_t *milestones);
    lt_lr_scheduler *(*reduce_lr_on_plateau)(lt_ctx *ctx, lt_optimizer *opt,
                                             const lt_plateau_options *o);
    lt_status (*lr_scheduler_step)(lt_ctx *ctx, lt_lr_scheduler *s);
    lt_status (*lr_scheduler_step_metric)(lt_ctx *ctx, lt_lr_scheduler *s, double metric);
    lt_status (*lr_scheduler_step_epoch)(lt_ctx *ctx, lt_lr_scheduler *s, double epoch);
    double (*lr_scheduler_last_lr)(const lt_lr_scheduler *s, int group);
    lt_status (*add_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*add_lr_scheduler)(lt_ctx *ctx, lt_lr_scheduler *s,
                                  const lt_lr_scheduler_config *cfg);
    lt_optimizer *(*optimizers)(lt_ctx *ctx, int i);
    lt_lr_scheduler *(*lr_schedulers)(lt_ctx *ctx, int i);

    /* ABI 1.4: log_every_n_steps */
    bool (*should_update_logs)(lt_ctx *ctx);
    /* ABI 1.4: manual optimization */
    lt_status (*set_automatic_optimization)(lt_ctx *ctx, bool automatic);
    bool (*automatic_optimization)(lt_ctx *ctx);
    lt_status (*manual_backward)(lt_ctx *ctx, lt_tensor *loss);
    lt_status (*toggle_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*untoggle_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*optimizer_params)(lt_ctx *ctx, lt_optimizer *opt, const char *names);
    bool (*requires_grad)(const lt_tensor *t);
    lt_status (*set_requires_grad)(lt_ctx *ctx, lt_tensor *param, bool requires_grad);
    const char *(*default_root_dir)(lt_ctx *ctx);
    /* ABI 1.4: checkpoints */
    lt_status (*save_checkpoint)(lt_ctx *ctx, const char *path, bool weights_only);
    /* ABI 1.4: callbacks */
    const char *(*hp_json)(lt_ctx *ctx, const lt_hparams *hp, const char *key);
    double (*trainer_flag)(lt_ctx *ctx, const char *key);
    const char *(*optimizer_name)(const lt_optimizer *opt);
    lt_optimizer *(*lr_scheduler_config)(lt_ctx *ctx, int i, lt_lr_scheduler_config *cfg);
    lt_status (*logger_log_metrics)(lt_ctx *ctx, int n, const char *const *names,
                                    const double *values);
    void (*callback_metric_set)(lt_ctx *ctx, const char *name, double value);
    lt_status (*set_accumulate_grad_batches)(lt_ctx *ctx, int64_t n);
    /* ABI 1.4: checkpoint hooks */
    lt_status (*ckpt_put_tensor)(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const lt_tensor *t);
    lt_status (*ckpt_put_json)(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const char *json);
    lt_status (*ckpt_get_tensor)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, lt_tensor *dst);
    const char *(*ckpt_get_json)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);
    bool (*ckpt_has_key)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);
    /* ABI 1.4: model_checkpoint paths */
    void (*checkpoint_paths_set)(lt_ctx *ctx, const char *best, const char *last);
    /* ABI 1.4: progress bar */
    const char *(*model_summary)(lt_ctx *ctx, int max_depth);
    /* ABI 1.4: swa */
    int64_t (*param_count)(lt_ctx *ctx);
    lt_tensor *(*param_at)(lt_ctx *ctx, int64_t i, const char **name);
    int64_t (*buffer_count)(lt_ctx *ctx);
    lt_tensor *(*buffer_at)(lt_ctx *ctx, int64_t i, const char **name);
    lt_status (*lr_scheduler_config_remove)(lt_ctx *ctx, int i);

    /* ABI 1.5: module hooks */
    lt_status (*add_callback)(lt_ctx *ctx, const char *name_or_path, const char *init_args_json);
    lt_status (*tensor_backward)(lt_ctx *ctx, lt_tensor *loss);
    /* ABI 1.5: checkpoint dir */
    lt_status (*checkpoint_dir)(lt_ctx *ctx, char *buf, size_t cap);
    void (*checkpoint_dirpath_add)(lt_ctx *ctx, const char *dirpath);
    /* ABI 1.5: update_bn */
    lt_status (*update_bn)(lt_ctx *ctx);
    /* ABI 1.5: transforms */
    void (*sample_rng)(lt_ctx *ctx, lt_split split, int64_t index, lt_rng *out);
    double (*rng_uniform)(lt_rng *r);
    int64_t (*rng_randint)(lt_rng *r, int64_t low, int64_t high);
    lt_status (*tf_to_tensor)(lt_ctx *ctx, const uint8_t *hwc, int64_t h, int64_t w, int64_t c,
                              float *chw);
    lt_status (*tf_normalize)(lt_ctx *ctx, float *chw, int64_t c, int64_t h, int64_t w,
                              const float *mean, const float *std);
    lt_status (*tf_random_crop)(lt_ctx *ctx, lt_rng *r, const float *src, int64_t c, int64_t h,
                                int64_t w, float *dst, const lt_crop_options *o);
    bool (*tf_random_hflip)(lt_rng *r, float *chw, int64_t c, int64_t h, int64_t w, double p);
    /* ABI 1.5: random_split */
    lt_status (*random_split)(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                              uint64_t seed, int64_t *perm, int64_t *sizes);
    /* ABI 1.5: data loader */
    bool (*worker_info)(lt_ctx *ctx, int *worker_id, int *num_workers);
    /* ABI 1.6: files */
    int (*tmp_create)(lt_ctx *ctx, const char *target, char *path_out, size_t cap);
    /* ABI 1.7: strategies — lt_get_extension (ltrun/strategy.h) */
    const void *(*get_extension)(lt_ctx *ctx, const char *id);
    /* ABI 1.7: device-safe tensor copies — lt_copy_, lt_lerp_, lt_tensor_to_host */
    lt_status (*copy_)(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src);
    lt_status (*lerp_)(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src, double weight);
    lt_status (*tensor_to_host)(lt_ctx *ctx, const lt_tensor *t, void *buf, size_t bytes);
    /* ABI 1.8: gradients — lt_grad, lt_grad_norm (ltrun/grads.h); nn.BatchNorm1d/
     * 2d/3d by name — lt_batchnorm2d_init & co. (ltrun/nn.h) */
    lt_tensor *(*grad)(lt_ctx *ctx, const lt_tensor *param);
    int64_t (*grad_norm)(lt_ctx *ctx, double norm_type, const char **names, double *values,
                         int64_t cap);
    lt_status (*batchnorm_init_nd)(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                   int64_t num_features, const lt_batchnorm_options *opt,
                                   int dims);

    /* ABI 1.8: callbacks — metrics at a given step, param groups added mid-fit */
    lt_status (*logger_log_metrics_step)(lt_ctx *ctx, int n, const char *const *names,
                                         const double *values, int64_t step);
    int (*optimizer_add_param_group)(lt_ctx *ctx, lt_optimizer *opt, const char *names,
                                     double lr);
    bool (*optimizer_has_param)(lt_ctx *ctx, const lt_optimizer *opt, const lt_tensor *param);
    lt_status (*ckpt_put_state_dict)(lt_ctx *ctx, lt_ckpt_writer *w, const char *name,
                                     const lt_tensor *value);

    /* ABI 1.8: logging beyond scalars — lt_log_image, lt_log_histogram, lt_log_text */
    lt_status (*log_image)(lt_ctx *ctx, const char *name, const lt_tensor *image);
    lt_status (*log_histogram)(lt_ctx *ctx, const char *name, const lt_tensor *values);
    lt_status (*log_text)(lt_ctx *ctx, const char *name, const char *text);
    /* ABI 1.8: step outputs — lt_step_output (ltrun/trainer.h) */
    lt_status (*step_output)(lt_ctx *ctx, lt_tensor *output);

    /* ABI 1.9: processes and collectives — lt_topology, lt_barrier, lt_broadcast,
     * lt_reduce, lt_reduce_boolean_decision, lt_all_gather (ltrun/distributed.h) */
    int64_t (*dist_topology)(lt_ctx *ctx, int key);
    lt_status (*dist_barrier)(lt_ctx *ctx, const char *name);
    lt_status (*dist_broadcast)(lt_ctx *ctx, void *buf, size_t bytes, int64_t src);
    lt_status (*dist_reduce)(lt_ctx *ctx, double *values, int64_t n, int op);
    lt_status (*dist_reduce_bool)(lt_ctx *ctx, bool *decision, bool all);
    lt_tensor *(*dist_all_gather)(lt_ctx *ctx, const lt_tensor *x);
    /* ABI 1.9: module hooks — lt_set_prepare_data_per_node, lt_move_data_to_device
     * (ltrun/trainer.h) */
    lt_status (*set_prepare_data_per_node)(lt_ctx *ctx, bool per_node);
    lt_status (*move_data_to_device)(lt_ctx *ctx, lt_batch *batch, const char *device);
    /* ABI 1.9: precision — lt_autocast (ltrun/core.h) */
    bool (*autocast)(lt_ctx *ctx, bool enabled);
    /* ABI 1.9: data loading — iterable datasets' lt_sample_field, the collate hook's
     * lt_collate_field and lt_default_collate, lt_batch_nfields (ltrun/data.h) */
    void *(*sample_field)(lt_ctx *ctx, int field, const int64_t *shape);
    void *(*collate_field)(lt_ctx *ctx, lt_batch *out, int field, lt_dtype dtype, int ndim,
                           const int64_t *shape);
    lt_status (*default_collate)(lt_ctx *ctx, const lt_samples *samples, lt_batch *out);
    int32_t (*batch_nfields)(const lt_batch *b);

    /* New members go here, after the last, under a comment naming their minor. */
};

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_HOST_API_H */
