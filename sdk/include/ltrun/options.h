/* ltrun/options.h — keyword options of the ops and optimizers, and the host-made layers */
#ifndef LTRUN_OPTIONS_H
#define LTRUN_OPTIONS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* -------------------------------------------------------------------- optimizers */

/* torch.optim.SGD's arguments and defaults (lr has no default in torch; 1e-3 here). */
typedef struct lt_sgd_options {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize;
} lt_sgd_options;
#define LT_SGD_DEFAULTS ((lt_sgd_options){.lr = 1e-3})

/* torch.optim.Adam's arguments and defaults (L2 weight decay added to the gradient). */
typedef struct lt_adam_options {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize;
} lt_adam_options;
#define LT_ADAM_DEFAULTS \
    ((lt_adam_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8})

/* nn.Linear's parameters, created by lt_linear_init (host-owned); apply with lt_linear. */
typedef struct lt_linear_layer {
    lt_tensor *weight; /* [out_features, in_features] */
    lt_tensor *bias;   /* [out_features] or NULL */
    int64_t in_features, out_features;
} lt_linear_layer;

/* nn.Conv2d's geometry (torch defaults: stride 1, padding 0, dilation 1, groups 1). */
/* torch's reduction= of the losses; the zero value is torch's default, "mean" */
typedef enum lt_reduction {
    LT_REDUCTION_MEAN = 0,
    LT_REDUCTION_NONE = 1,
    LT_REDUCTION_SUM = 2,
    LT_REDUCTION_BATCHMEAN = 3 /* kl_div only: sum / input.size(0) */
} lt_reduction;

/* F.cross_entropy's keyword options; weight [C] or NULL (borrowed for the call) */
typedef struct lt_cross_entropy_options {
    const lt_tensor *weight;
    int64_t ignore_index;   /* index targets only */
    lt_reduction reduction;
    double label_smoothing; /* in [0, 1] */
} lt_cross_entropy_options;
#define LT_CROSS_ENTROPY_DEFAULTS \
    ((lt_cross_entropy_options){.weight = NULL, .ignore_index = -100, \
                                .reduction = LT_REDUCTION_MEAN, .label_smoothing = 0.0})

/* torchmetrics metrics (task="multiclass"; precision/recall/F1 average="macro") */
typedef enum lt_metric_kind {
    LT_METRIC_ACCURACY = 0,         /* MulticlassAccuracy(average="micro", top_k) */
    LT_METRIC_PRECISION,            /* MulticlassPrecision(average="macro") */
    LT_METRIC_RECALL,               /* MulticlassRecall(average="macro") */
    LT_METRIC_F1,                   /* MulticlassF1Score(average="macro") */
    LT_METRIC_CONFUSION_MATRIX,     /* MulticlassConfusionMatrix: int64 [C, C], rows = true */
    LT_METRIC_MAE,                  /* MeanAbsoluteError */
    LT_METRIC_MSE                   /* MeanSquaredError */
} lt_metric_kind;
typedef struct lt_metric_options {
    int64_t num_classes; /* classification kinds: required (> 0) */
    int64_t top_k;       /* accuracy only */
} lt_metric_options;
#define LT_METRIC_DEFAULTS ((lt_metric_options){.num_classes = 0, .top_k = 1})

/* F.nll_loss's keyword options */
typedef struct lt_nll_loss_options {
    const lt_tensor *weight;
    int64_t ignore_index;
    lt_reduction reduction;
} lt_nll_loss_options;
#define LT_NLL_LOSS_DEFAULTS \
    ((lt_nll_loss_options){.weight = NULL, .ignore_index = -100, .reduction = LT_REDUCTION_MEAN})

typedef struct lt_conv2d_options {
    int64_t stride[2], padding[2], dilation[2]; /* (height, width) */
    int64_t groups;
} lt_conv2d_options;
#define LT_CONV2D_DEFAULTS \
    ((lt_conv2d_options){.stride = {1, 1}, .padding = {0, 0}, .dilation = {1, 1}, .groups = 1})

/* nn.Conv2d's parameters, created by lt_conv2d_init (host-owned); apply with lt_conv2d. */
typedef struct lt_conv2d_layer {
    lt_tensor *weight; /* [out_channels, in_channels / groups, kh, kw] */
    lt_tensor *bias;   /* [out_channels] or NULL */
    lt_conv2d_options opt;
} lt_conv2d_layer;

/* conv — nn.Conv1d / nn.ConvTranspose2d / pooling options (torch defaults). */
typedef struct lt_conv1d_options {
    int64_t stride, padding, dilation, groups;
} lt_conv1d_options;
#define LT_CONV1D_DEFAULTS \
    ((lt_conv1d_options){.stride = 1, .padding = 0, .dilation = 1, .groups = 1})

/* nn.Conv1d's parameters, created by lt_conv1d_init (host-owned); apply with lt_conv1d. */
typedef struct lt_conv1d_layer {
    lt_tensor *weight; /* [out_channels, in_channels / groups, k] */
    lt_tensor *bias;   /* [out_channels] or NULL */
    lt_conv1d_options opt;
} lt_conv1d_layer;

/* nn.ConvTranspose2d's geometry (torch defaults: stride 1, padding 0, output_padding 0,
 * dilation 1, groups 1); output_padding must be < stride or < dilation. */
typedef struct lt_conv_transpose2d_options {
    int64_t stride[2], padding[2], output_padding[2], dilation[2]; /* (height, width) */
    int64_t groups;
} lt_conv_transpose2d_options;
#define LT_CONV_TRANSPOSE2D_DEFAULTS                                                  \
    ((lt_conv_transpose2d_options){.stride = {1, 1}, .padding = {0, 0},              \
                                   .output_padding = {0, 0}, .dilation = {1, 1}, .groups = 1})

/* nn.ConvTranspose2d's parameters, made by lt_conv_transpose2d_init; apply with
 * lt_conv_transpose2d. */
typedef struct lt_conv_transpose2d_layer {
    lt_tensor *weight; /* [in_channels, out_channels / groups, kh, kw] */
    lt_tensor *bias;   /* [out_channels] or NULL */
    lt_conv_transpose2d_options opt;
} lt_conv_transpose2d_layer;

/* F.avg_pool2d / F.max_pool2d keyword options (torch defaults: stride = kernel, padding 0,
 * dilation 1, ceil_mode false, count_include_pad true). */
typedef struct lt_pool2d_options {
    int64_t stride[2];      /* (height, width); 0 = the kernel size (torch's stride=None) */
    int64_t padding[2];     /* at most half the kernel, as torch requires */
    int64_t dilation[2];    /* max_pool2d only (avg_pool2d has none; must be 1) */
    bool ceil_mode;
    bool count_include_pad; /* avg_pool2d only */
} lt_pool2d_options;
#define LT_POOL2D_DEFAULTS                                                           \
    ((lt_pool2d_options){.stride = {0, 0}, .padding = {0, 0}, .dilation = {1, 1},   \
                         .ceil_mode = false, .count_include_pad = true})
/* nn.BatchNorm1d/2d options (torch defaults: eps 1e-5, momentum 0.1, affine,
 * track_running_stats). momentum < 0 stands for torch's momentum=None (cumulative
 * average, factor 1/num_batches_tracked). */
typedef struct lt_batchnorm_options {
    double eps, momentum;
    bool affine, track_running_stats;
} lt_batchnorm_options;
#define LT_BATCHNORM_DEFAULTS \
    ((lt_batchnorm_options){.eps = 1e-5, .momentum = 0.1, .affine = true, .track_running_stats = true})

/* nn.BatchNormNd's parameters and buffers (host-owned), made by lt_batchnorm_init:
 * params NAME.weight (ones), NAME.bias (zeros); buffers NAME.running_mean (zeros),
 * NAME.running_var (ones), NAME.num_batches_tracked (int64 0). Apply with lt_batchnorm. */
typedef struct lt_batchnorm_layer {
    lt_tensor *weight, *bias;                 /* [C] or NULL (affine=false) */
    lt_tensor *running_mean, *running_var;    /* [C] or NULL (track_running_stats=false) */
    lt_tensor *num_batches_tracked;           /* int64 scalar or NULL */
    int64_t num_features;
    lt_batchnorm_options opt;
} lt_batchnorm_layer;

/* nn.LayerNorm(normalized_shape, eps, elementwise_affine): weight ones, bias zeros. */
typedef struct lt_layernorm_layer {
    lt_tensor *weight, *bias; /* normalized_shape or NULL */
    int normalized_ndim;
    double eps;
} lt_layernorm_layer;

/* nn.GroupNorm(num_groups, num_channels, eps, affine): weight ones, bias zeros [C]. */
typedef struct lt_groupnorm_layer {
    lt_tensor *weight, *bias;
    int64_t num_groups;
    double eps;
} lt_groupnorm_layer;

/* nn.Embedding(num_embeddings, embedding_dim, padding_idx): weight N(0, 1), padding row 0. */
typedef struct lt_embedding_layer {
    lt_tensor *weight; /* [num_embeddings, embedding_dim] */
    int64_t padding_idx; /* -1: none */
} lt_embedding_layer;

/* ABI 1.4: optimizers, param groups, LR schedulers (torch.optim / torch.optim.lr_scheduler) */

typedef struct lt_lr_scheduler lt_lr_scheduler; /* opaque; made by lt_step_lr ... (host-owned) */

/* torch.optim.AdamW: Adam's options with decoupled weight decay (default 1e-2). */
typedef lt_adam_options lt_adamw_options;
#define LT_ADAMW_DEFAULTS                                                        \
    ((lt_adamw_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,    \
                        .weight_decay = 1e-2})

/* torch.optim.RMSprop's arguments and defaults. */
typedef struct lt_rmsprop_options {
    double lr, alpha, eps, weight_decay, momentum;
    bool centered, maximize;
} lt_rmsprop_options;
#define LT_RMSPROP_DEFAULTS ((lt_rmsprop_options){.lr = 1e-2, .alpha = 0.99, .eps = 1e-8})

/* torch.optim.Adagrad's arguments and defaults. */
typedef struct lt_adagrad_options {
    double lr, lr_decay, weight_decay, initial_accumulator_value, eps;
    bool maximize;
} lt_adagrad_options;
#define LT_ADAGRAD_DEFAULTS ((lt_adagrad_options){.lr = 1e-2, .eps = 1e-10})

/* torch.optim.lr_scheduler.OneCycleLR's arguments. Give total_steps, or epochs and
 * steps_per_epoch. max_lrs (one per param group) overrides max_lr when not NULL. */
typedef struct lt_one_cycle_options {
    double max_lr;
    const double *max_lrs;
    int64_t total_steps, epochs, steps_per_epoch;
    double pct_start;
    const char *anneal_strategy; /* "cos" or "linear" */
    bool cycle_momentum;         /* cycles momentum (SGD, RMSprop) or beta1 (Adam, AdamW) */
    double base_momentum, max_momentum, div_factor, final_div_factor;
    bool three_phase;
} lt_one_cycle_options;
#define LT_ONE_CYCLE_DEFAULTS                                                            \
    ((lt_one_cycle_options){.max_lr = 0.1, .pct_start = 0.3, .anneal_strategy = "cos",   \
                            .cycle_momentum = true, .base_momentum = 0.85,              \
                            .max_momentum = 0.95, .div_factor = 25.0,                   \
                            .final_div_factor = 1e4})

/* torch.optim.lr_scheduler.ReduceLROnPlateau's arguments and defaults. */
typedef struct lt_plateau_options {
    const char *mode;           /* "min" or "max" */
    double factor;              /* < 1 */
    int64_t patience;
    double threshold;
    const char *threshold_mode; /* "rel" or "abs" */
    int64_t cooldown;
    double min_lr, eps;
} lt_plateau_options;
#define LT_PLATEAU_DEFAULTS                                                              \
    ((lt_plateau_options){.mode = "min", .factor = 0.1, .patience = 10, .threshold = 1e-4, \
                          .threshold_mode = "rel", .cooldown = 0, .min_lr = 0, .eps = 1e-8})

/* Lightning's lr_scheduler config dict (LRSchedulerConfig), for lt_add_lr_scheduler.
 * Start from LT_LR_SCHEDULER_CONFIG_DEFAULTS: strict and frequency are not zero there. */
typedef struct lt_lr_scheduler_config {
    const char *interval; /* "epoch" (NULL too) or "step" */
    int64_t frequency;    /* step every `frequency` epochs / batches (>= 1) */
    const char *monitor;  /* callback metric ReduceLROnPlateau reads (required there) */
    bool strict;          /* a missing monitor: true = error, false = warn and skip */
    const char *name;     /* for LearningRateMonitor; NULL = default */
} lt_lr_scheduler_config;
#define LT_LR_SCHEDULER_CONFIG_DEFAULTS                                                  \
    ((lt_lr_scheduler_config){.interval = "epoch", .frequency = 1, .monitor = NULL,      \
                              .strict = true, .name = NULL})

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_OPTIONS_H */
