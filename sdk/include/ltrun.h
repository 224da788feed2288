/*
 * ltrun.h — the whole SDK for ltrun plugins (LightningModule, DataModule, ...).
 *
 * A plugin is a shared object that exports one entry symbol, `ltrun_plugin_entry`,
 * written for you by LT_MODULE(...) / LT_DATAMODULE(...). The host calls it once,
 * checks the descriptor's ABI version, then calls the hooks in the vtable.
 *
 * Rules of the contract (see DESIGN.md, "The ABI"):
 *  - Plugins link nothing from the host. Every service is a function pointer in
 *    lt_host_api, reached through ctx->api; the static inline wrappers at the
 *    bottom make calls read as plain C (`lt_relu(ctx, x)`).
 *  - Every struct that may grow starts with a `size` field and only grows at the end.
 *    ABI major differs -> refused; plugin minor > host minor -> refused; older minor works.
 *  - A hook left NULL gets Lightning's default behaviour.
 *  - Tensors returned by ops live in the per-step arena: never free them; they are
 *    invalid after the hook returns (the host resets the arena after each step).
 *    Parameters (lt_param, lt_linear_init) are owned by the host for the whole run.
 *  - Errors: ops given bad input record a message and return NULL; every op given a NULL
 *    input returns NULL, so an error flows to the end of the hook like a NaN. After each
 *    hook the host checks for a recorded error and reports plugin + hook + message.
 *    Call lt_fail() to report your own.
 */
#ifndef LTRUN_H
#define LTRUN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LT_ABI_MAJOR 1
#define LT_ABI_MINOR 7 /* 1.1: conv2d, max_pool2d, conv2d_init; 1.2: unary math ops;
                          1.3: tensor-library breadth (issue 3);
                          1.4: LT_BFLOAT16, trainer hooks and options (issue 4);
                          1.5: data pipeline — loader options, samplers, splits,
                               transforms, variable-length samples (issue 7);
                          1.6: tmp_create — the host's safe temporary file;
                          1.7: strategy plugins (LT_STRATEGY, ltrun/strategy.h) and
                               get_extension, the extension query */
#define LT_MAX_DIMS 8
/* dim argument of lt_var/lt_std meaning "over all elements" (torch.var(x) with no dim) */
#define LT_ALL_DIMS (-0x7fffffff - 1)
#define LT_MAX_FIELDS 8

typedef int lt_status; /* LT_OK or LT_ERROR */
#define LT_OK 0
#define LT_ERROR (-1)
/* ABI 1.4: hooks — what on_train_batch_start returns to skip the rest of the epoch
 * (Lightning's `return -1`; LT_ERROR is already -1 here). */
#define LT_SKIP_EPOCH 1

typedef enum lt_dtype {
    LT_FLOAT32 = 0,
    LT_FLOAT64 = 1,
    LT_INT64 = 2,
    LT_INT32 = 3,
    LT_UINT8 = 4,
    LT_BOOL = 5,
    /* ABI 1.4: bfloat16 storage (float32's top 16 bits, round-to-nearest-even). Ops take
     * it where they accumulate in float32: lt_to, lt_linear, lt_matmul and the shape ops;
     * others refuse it by name (cast with lt_to first). */
    LT_BFLOAT16 = 6
} lt_dtype;

/* F.gelu's approximate= ('none' | 'tanh') (ABI 1.3) */
typedef enum lt_gelu_approximate { LT_GELU_NONE = 0, LT_GELU_TANH = 1 } lt_gelu_approximate;

typedef enum lt_plugin_kind {
    LT_KIND_MODULE = 1,
    LT_KIND_DATAMODULE = 2,
    LT_KIND_CALLBACK = 3,
    LT_KIND_LOGGER = 4,
    LT_KIND_STRATEGY = 5
} lt_plugin_kind;

/* What the trainer is running: `trainer.state.fn` in Lightning. */
typedef enum lt_stage {
    LT_STAGE_FIT = 0,
    LT_STAGE_VALIDATE = 1,
    LT_STAGE_TEST = 2,
    LT_STAGE_PREDICT = 3
} lt_stage;

/* Which dataset a data hook is asked about. */
typedef enum lt_split {
    LT_SPLIT_TRAIN = 0,
    LT_SPLIT_VAL = 1,
    LT_SPLIT_TEST = 2,
    LT_SPLIT_PREDICT = 3
} lt_split;

typedef struct lt_tensor lt_tensor;       /* opaque; see the accessors below */
typedef struct lt_batch lt_batch;         /* opaque; lt_batch_at / lt_batch_size */
typedef struct lt_hparams lt_hparams;     /* opaque; lt_hp_* read and record values */
typedef struct lt_metric lt_metric;       /* opaque; made by lt_metric_new (host-owned) */
typedef struct lt_optimizer lt_optimizer; /* opaque; made by lt_sgd / lt_adam */
typedef struct lt_host_api lt_host_api;
/* ABI 1.4: hooks — the optimizer closure handed to the optimizer_step hook (opaque;
 * run it with lt_optimizer_step(ctx, opt, closure) or lt_closure_run) */
typedef struct lt_closure lt_closure;
/* ABI 1.4: checkpoint hooks — what on_save_checkpoint / state_dict write into (a group of
 * the checkpoint: /extra, /datamodule or /callbacks/<name>/...) and what
 * on_load_checkpoint / load_state_dict read from (opaque; valid during the hook only) */
typedef struct lt_ckpt_writer lt_ckpt_writer;
typedef struct lt_ckpt_reader lt_ckpt_reader;

/*
 * Every hook gets the context: where the run is. The host owns it; the public head
 * below is read-only for plugins and grows only at the end.
 */
typedef struct lt_ctx {
    const lt_host_api *api; /* the host's services (use the wrappers below) */
    int32_t stage;          /* lt_stage of the running entry point */
    int32_t rank;           /* global rank (0 on a single process) */
    int32_t world_size;     /* number of processes (1 on a single process) */
    bool training;          /* true inside training hooks (dropout etc. active) */
    int64_t current_epoch;  /* Lightning's trainer.current_epoch */
    int64_t global_step;    /* optimizer steps taken so far */
    int64_t batch_idx;      /* index of the batch in its epoch, -1 outside batch hooks */
    bool sanity_checking;   /* true during the sanity validation before fit */
} lt_ctx;

/* Flags for lt_log. With neither LT_ON_STEP nor LT_ON_EPOCH set, the hook's Lightning
 * default applies (training_step: on_step; validation_step/test_step and epoch hooks:
 * on_epoch). When either is set, exactly the ones set apply. Both set -> the value is
 * logged as NAME_step and NAME_epoch, and callback metrics also get NAME. */
enum {
    LT_ON_STEP = 1u << 0,
    LT_ON_EPOCH = 1u << 1,
    LT_PROG_BAR = 1u << 2,
    LT_NO_LOGGER = 1u << 3, /* logger=False */
    LT_REDUCE_SUM = 1u << 4, /* reduce_fx="sum"; default is the batch-size weighted mean */
    LT_REDUCE_MAX = 1u << 5,
    LT_REDUCE_MIN = 1u << 6
};

/* ABI 1.4: logging options — self.log's keyword arguments, for lt_log_ex / lt_log_dict.
 * Start from LT_LOG_DEFAULTS (Lightning's defaults) and change what you need. */
typedef struct lt_log_options {
    uint32_t size;          /* sizeof(lt_log_options): set by LT_LOG_DEFAULTS */
    int8_t on_step;         /* -1 None (the hook's default), 0 False, 1 True */
    int8_t on_epoch;        /* -1 None (the hook's default), 0 False, 1 True */
    bool prog_bar;          /* False */
    bool logger;            /* True */
    const char *reduce_fx;  /* "mean" (NULL; alias "avg"), "sum", "max", "min" */
    double batch_size;      /* <= 0: the current batch's size (epoch mean weights) */
    bool sync_dist;         /* accepted; a no-op until a distributed strategy exists */
} lt_log_options;
#define LT_LOG_DEFAULTS                                                                    \
    ((lt_log_options){.size = sizeof(lt_log_options), .on_step = -1, .on_epoch = -1,      \
                      .prog_bar = false, .logger = true, .reduce_fx = NULL,               \
                      .batch_size = 0, .sync_dist = false})

/* ABI 1.4: the trainer's metric dicts, readable from any hook (Lightning's
 * trainer.callback_metrics / logged_metrics / progress_bar_metrics). */
typedef enum lt_metrics_dict {
    LT_CALLBACK_METRICS = 0,
    LT_LOGGED_METRICS = 1,
    LT_PROGRESS_BAR_METRICS = 2
} lt_metrics_dict;

/* ABI 1.5: data loader — which sampler draws a split's sample order (torch.utils.data's
 * samplers; with world_size > 1 and --trainer.use_distributed_sampler true the host wraps
 * the order in a DistributedSampler, as Lightning does). */
typedef enum lt_sampler {
    LT_SAMPLER_AUTO = 0,        /* RandomSampler if shuffle, else SequentialSampler */
    LT_SAMPLER_SEQUENTIAL = 1,
    LT_SAMPLER_RANDOM = 2,
    LT_SAMPLER_WEIGHTED_RANDOM = 3,
    LT_SAMPLER_DISTRIBUTED = 4, /* DistributedSampler(shuffle, drop_last, seed) over the
                                   trainer's rank/world_size, even on one process */
    /* ABI 1.5: block shuffle — with shuffle true: the order of the blocks of block_size
     * consecutive indices is shuffled, then the samples inside each window of
     * shuffle_blocks consecutive blocks of that order (a shuffle buffer over chunk-sized
     * runs, for datasets read by blocks); with shuffle false: sequential */
    LT_SAMPLER_BLOCK_RANDOM = 5
} lt_sampler;
/* ABI 1.5: a field dimension that differs between samples (a sequence length): the data
 * module reports each sample's shape (item_shape hook) and batches are padded. */
#define LT_VARIABLE_DIM (-1)

/* ABI 1.5: transforms — per-sample transforms (torchvision.transforms semantics) on plain
 * buffers, callable from get_item on loader threads. A sample's random stream
 * (lt_sample_rng) depends only on (loader seed, loader epoch, split, sample index): the
 * same under any num_workers and fetch order. */
typedef struct lt_rng {
    uint64_t s[4]; /* xoshiro256** state; seed it with lt_sample_rng */
} lt_rng;
typedef enum lt_padding_mode {
    LT_PAD_CONSTANT = 0,  /* fill */
    LT_PAD_EDGE = 1,      /* the last value repeated */
    LT_PAD_REFLECT = 2,   /* mirror without the edge: [2,1 | 1,2,3 | 2,1]; padding < size */
    LT_PAD_SYMMETRIC = 3  /* mirror with the edge:    [1,1 | 1,2,3 | 3,2]; padding <= size */
} lt_padding_mode;
/* torchvision.transforms.RandomCrop(size, padding, pad_if_needed, fill, padding_mode) */
typedef struct lt_crop_options {
    int64_t size_h, size_w;
    int64_t padding[4];   /* left, top, right, bottom (torchvision's 4-sequence order) */
    bool pad_if_needed;
    double fill;          /* for LT_PAD_CONSTANT */
    lt_padding_mode padding_mode;
} lt_crop_options;

/* One field of a dataset sample (e.g. image [1,28,28] float32, label [] int64). */
typedef struct lt_field {
    const char *name; /* static string owned by the plugin */
    lt_dtype dtype;
    int32_t ndim; /* 0 = scalar per sample */
    int64_t shape[LT_MAX_DIMS];
} lt_field;

/*
 * A dataset description that the data module fills in its `dataset` hook. The host
 * pre-fills it with PyTorch DataLoader defaults (batch_size 1, shuffle false, drop_last
 * false) and the `size`; the plugin sets length, fields and the loader options.
 * Leaving length at -1 means "this split has no data".
 */
typedef struct lt_dataset {
    uint32_t size;
    int64_t length;
    int32_t nfields;
    lt_field fields[LT_MAX_FIELDS];
    int64_t batch_size;
    bool shuffle;   /* seeded by --seed; reshuffled each epoch */
    bool drop_last;

    /* ABI 1.5: data loader — the rest of torch.utils.data.DataLoader's options, with
     * PyTorch's defaults pre-filled by the host. The data module may set them per split;
     * --data.<name> (e.g. --data.num_workers 2) overrides what it set, for every split.
     * The host reads `size` to know which of these a plugin built against an older
     * header filled in. */
    int32_t num_workers;     /* 0: samples fetched on the training thread */
    int32_t prefetch_factor; /* batches loaded ahead per worker (2; needs num_workers > 0) */
    bool persistent_workers; /* keep the workers between epochs (needs num_workers > 0) */
    bool pin_memory;         /* page-locked batch buffers when the accelerator is a device */
    int64_t seed;            /* sampler/shuffle seed; -1 (default): the run's --seed */
    lt_sampler sampler;      /* LT_SAMPLER_AUTO: random if shuffle, else sequential */
    /* LT_SAMPLER_WEIGHTED_RANDOM (torch WeightedRandomSampler): `length` weights owned by
     * the plugin and valid until teardown; num_samples draws per epoch (<= 0: length);
     * replacement (default true) */
    const double *weights;
    int64_t num_samples;
    bool replacement;
    /* variable-length fields (a dimension given as LT_VARIABLE_DIM): the default collate
     * pads each batch to its longest sample with this value (pad_sequence's
     * padding_value; default 0) */
    double padding_value[LT_MAX_FIELDS];
    /* ABI 1.5: block shuffle — LT_SAMPLER_BLOCK_RANDOM: rows per block (>= 1) and the
     * window, in blocks (>= 1), whose samples are shuffled together */
    int64_t block_size;
    int32_t shuffle_blocks;
} lt_dataset;

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

/* issue 3: conv — nn.Conv1d / nn.ConvTranspose2d / pooling options (torch defaults). */
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

/* --------------------------------------------------------------------- host API */

/*
 * The host's services. Reached as ctx->api->x; prefer the wrappers below. Members are
 * only ever appended; `size` is sizeof the host's struct.
 */
struct lt_host_api {
    uint32_t size;
    uint32_t abi_major, abi_minor;

    /* errors and memory */
    lt_status (*vfail)(lt_ctx *ctx, const char *fmt, va_list ap);
    void *(*alloc)(lt_ctx *ctx, size_t bytes);   /* zeroed; freed by the host after destroy */
    void *(*scratch)(lt_ctx *ctx, size_t bytes); /* per-step arena; freed after the step */

    /* hyperparameters (--model.x / --data.x / config): each read is recorded */
    int64_t (*hp_int)(lt_ctx *ctx, const lt_hparams *hp, const char *key, int64_t dflt);
    double (*hp_float)(lt_ctx *ctx, const lt_hparams *hp, const char *key, double dflt);
    bool (*hp_bool)(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool dflt);
    const char *(*hp_str)(lt_ctx *ctx, const lt_hparams *hp, const char *key, const char *dflt);

    /* logging (LightningModule.log) */
    void (*log)(lt_ctx *ctx, const char *name, const lt_tensor *value, unsigned flags);
    void (*log_value)(lt_ctx *ctx, const char *name, double value, unsigned flags);

    /* tensors: creation and access */
    lt_tensor *(*tensor_new)(lt_ctx *ctx, lt_dtype dtype, int ndim, const int64_t *shape);
    lt_tensor *(*tensor_from)(lt_ctx *ctx, lt_dtype dtype, int ndim, const int64_t *shape,
                              const void *data);
    void *(*data)(const lt_tensor *t); /* contiguous tensors only, else NULL */
    lt_dtype (*dtype)(const lt_tensor *t);
    int (*ndim)(const lt_tensor *t);
    int64_t (*dim_size)(const lt_tensor *t, int dim); /* negative dims count from the end */
    int64_t (*numel)(const lt_tensor *t);
    double (*item)(lt_ctx *ctx, const lt_tensor *t); /* one-element tensors */

    /* parameters and initialisation (call from create) */
    lt_tensor *(*param)(lt_ctx *ctx, const char *name, lt_dtype dtype, int ndim,
                        const int64_t *shape);
    lt_status (*linear_init)(lt_ctx *ctx, lt_linear_layer *l, const char *name, int64_t in,
                             int64_t out, bool bias);
    void (*init_uniform)(lt_ctx *ctx, lt_tensor *t, double low, double high);
    void (*init_normal)(lt_ctx *ctx, lt_tensor *t, double mean, double std);
    void (*init_constant)(lt_ctx *ctx, lt_tensor *t, double value);
    void (*init_kaiming_uniform)(lt_ctx *ctx, lt_tensor *t, double a);

    /* ops (PyTorch semantics; differentiable unless noted) */
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
    lt_tensor *(*argmax)(lt_ctx *ctx, const lt_tensor *x, int dim);          /* not differentiable */
    lt_tensor *(*accuracy)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target); /* not differentiable */

    /* batches */
    lt_tensor *(*batch_at)(lt_ctx *ctx, const lt_batch *b, int field);
    int64_t (*batch_size)(const lt_batch *b);

    /* optimizers over all the module's parameters (call from configure_optimizers) */
    lt_optimizer *(*sgd)(lt_ctx *ctx, const lt_sgd_options *opt);
    lt_optimizer *(*adam)(lt_ctx *ctx, const lt_adam_options *opt);

    /* randomness from the run's seed (--seed) */
    uint64_t (*seed)(lt_ctx *ctx);
    void (*randperm)(uint64_t seed, int64_t n, int64_t *out); /* a seeded permutation */

    /* ABI 1.1 */
    /* F.conv2d(x [N,C,H,W], w [O,C/groups,kh,kw], b [O] or NULL, opt or NULL = defaults) */
    lt_tensor *(*conv2d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv2d_options *opt);
    /* F.max_pool2d(x [N,C,H,W], kernel, stride (<= 0: = kernel), padding) */
    lt_tensor *(*max_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t kernel, int64_t stride,
                             int64_t padding);
    /* nn.Conv2d(in, out, kernel, ...) with PyTorch's default init; "NAME.weight", "NAME.bias" */
    lt_status (*conv2d_init)(lt_ctx *ctx, lt_conv2d_layer *l, const char *name, int64_t in,
                             int64_t out, int64_t kernel, const lt_conv2d_options *opt, bool bias);

    /* ABI 1.2: elementwise math, torch's definitions and gradients */
    lt_tensor *(*neg)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*exp)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*ln)(lt_ctx *ctx, const lt_tensor *x);      /* torch.log (lt_log is self.log) */
    lt_tensor *(*sqrt)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*abs)(lt_ctx *ctx, const lt_tensor *x);     /* grad sign(x), 0 at 0 */
    lt_tensor *(*sigmoid)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*tanh)(lt_ctx *ctx, const lt_tensor *x);

    /* ABI 1.3: grad mode and memory scopes inside one hook */
    /* torch.set_grad_enabled(enabled); returns the previous mode (torch.no_grad() is
     * `bool was = lt_set_grad_enabled(c, false); ...; lt_set_grad_enabled(c, was);`) */
    bool (*set_grad_enabled)(lt_ctx *ctx, bool enabled);
    /* Every tensor made after scope_begin is freed by scope_end (loops inside one hook,
     * e.g. sampling tokens). Scopes nest; ops recorded for backward inside a scope make
     * scope_end an error (their tensors are still needed): run such loops without grad. */
    void *(*scope_begin)(lt_ctx *ctx);
    lt_status (*scope_end)(lt_ctx *ctx, void *scope);
    /* ABI 1.3: reductions. dims may be negative; results are new tensors. */
    /* torch.sum(x, dim=(dims...), keepdim) / torch.mean(...); ndims == 0: all dims */
    lt_tensor *(*sum_dim)(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
    lt_tensor *(*mean_dim)(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim);
    /* torch.var/std(x, dim, correction=, keepdim); dim = LT_ALL_DIMS: over all elements
     * (0-d result, or all-ones shape with keepdim). correction 1 = unbiased (torch default) */
    lt_tensor *(*var)(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
    lt_tensor *(*std)(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim);
    /* values, indices = torch.max/min(x, dim, keepdim); *indices (int64) if indices != NULL;
     * first index on ties, NaN propagates; gradient to the returned index */
    lt_tensor *(*max_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
    lt_tensor *(*min_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices);
    /* torch.max(x) / torch.min(x): 0-d; gradient split evenly among ties */
    lt_tensor *(*max)(lt_ctx *ctx, const lt_tensor *x);
    lt_tensor *(*min)(lt_ctx *ctx, const lt_tensor *x);
    /* torch.amax/amin(x, dim, keepdim): gradient split evenly among ties */
    lt_tensor *(*amax)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*amin)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    /* torch.argmax/argmin(x, dim, keepdim): int64, not differentiable */
    lt_tensor *(*argmax_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    lt_tensor *(*argmin_dim)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    /* torch.logsumexp(x, dim, keepdim) */
    lt_tensor *(*logsumexp)(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim);
    /* torch.softmax(x, dim): same shape as x */
    lt_tensor *(*softmax)(lt_ctx *ctx, const lt_tensor *x, int dim);
    /* ABI 1.3: conv */
    /* F.conv1d(x [N,C,L], w [O,C/groups,k], b [O] or NULL, opt or NULL = defaults) -> [N,O,Lo] */
    lt_tensor *(*conv1d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv1d_options *opt);
    /* nn.Conv1d(in, out, kernel, ...) with PyTorch's default init; "NAME.weight", "NAME.bias" */
    lt_status (*conv1d_init)(lt_ctx *ctx, lt_conv1d_layer *l, const char *name, int64_t in,
                             int64_t out, int64_t kernel, const lt_conv1d_options *opt, bool bias);
    /* F.conv_transpose2d(x [N,C,H,W], w [C,O/groups,kh,kw], b [O] or NULL, opt or NULL)
     * -> [N,O,Ho,Wo], Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1 */
    lt_tensor *(*conv_transpose2d)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w,
                                   const lt_tensor *b, const lt_conv_transpose2d_options *opt);
    /* nn.ConvTranspose2d(in, out, kernel, ...) with PyTorch's default init (fan_in from the
     * [in, out/groups, k, k] weight as torch computes it: out/groups * k * k) */
    lt_status (*conv_transpose2d_init)(lt_ctx *ctx, lt_conv_transpose2d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv_transpose2d_options *opt, bool bias);
    /* F.avg_pool2d(x [N,C,H,W], (kh, kw), stride, padding, ceil_mode, count_include_pad) */
    lt_tensor *(*avg_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                             const lt_pool2d_options *opt);
    /* F.max_pool2d(x [N,C,H,W], (kh, kw), stride, padding, dilation, ceil_mode) */
    lt_tensor *(*max_pool2d_ex)(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                                const lt_pool2d_options *opt);
    /* F.adaptive_avg_pool2d(x [N,C,H,W], (oh, ow)) -> [N,C,oh,ow] */
    lt_tensor *(*adaptive_avg_pool2d)(lt_ctx *ctx, const lt_tensor *x, int64_t oh, int64_t ow);
    /* ABI 1.3: elementwise. Binary ops broadcast (NumPy rules) and need one dtype
     * (no promotion: convert with to first). Results are arena tensors. */
    lt_tensor *(*div)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);     /* a / b */
    lt_tensor *(*pow)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);     /* torch.pow(a, b) */
    lt_tensor *(*pow_scalar)(lt_ctx *ctx, const lt_tensor *x, double p);        /* x ** p */
    lt_tensor *(*add_scalar)(lt_ctx *ctx, const lt_tensor *x, double s);        /* x + s */
    lt_tensor *(*mul_scalar)(lt_ctx *ctx, const lt_tensor *x, double s);        /* x * s */
    /* torch.clamp(x, min, max); -INFINITY / INFINITY for no bound; grad where min<=x<=max */
    lt_tensor *(*clamp)(lt_ctx *ctx, const lt_tensor *x, double min, double max);
    /* torch.maximum / torch.minimum (NaN propagates; ties split the gradient) */
    lt_tensor *(*maximum)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*minimum)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    /* torch.where(cond, a, b): cond bool/uint8; all three broadcast; grads to a and b */
    lt_tensor *(*where)(lt_ctx *ctx, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
    /* a == b, !=, <, <=, >, >= : bool result of the broadcast shape, no gradient; any dtype */
    lt_tensor *(*eq)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*ne)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*lt)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*le)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*gt)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    lt_tensor *(*ge)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    /* x.masked_fill(mask, value): mask bool/uint8, broadcast with x; grad to x off the mask */
    lt_tensor *(*masked_fill)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *mask, double value);
    /* F.leaky_relu(x, negative_slope) (torch default 0.01) */
    lt_tensor *(*leaky_relu)(lt_ctx *ctx, const lt_tensor *x, double negative_slope);
    /* F.gelu(x, approximate='none' | 'tanh') */
    lt_tensor *(*gelu)(lt_ctx *ctx, const lt_tensor *x, lt_gelu_approximate approximate);
    lt_tensor *(*silu)(lt_ctx *ctx, const lt_tensor *x);                        /* F.silu */
    /* F.softplus(x, beta, threshold) (torch defaults 1, 20) */
    lt_tensor *(*softplus)(lt_ctx *ctx, const lt_tensor *x, double beta, double threshold);
    lt_tensor *(*elu)(lt_ctx *ctx, const lt_tensor *x, double alpha);           /* F.elu, default 1 */
    /* x.to(dtype): float<->float differentiable; to/from int64/int32/uint8/bool not */
    lt_tensor *(*to)(lt_ctx *ctx, const lt_tensor *x, lt_dtype dtype);
    /* torch.zeros / ones / full(shape, value, dtype=dt): arena, no gradient */
    lt_tensor *(*zeros)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*ones)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*full)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape, double value);
    /* torch.arange(start, end, step, dtype=dt): [ceil((end - start) / step)] */
    lt_tensor *(*arange)(lt_ctx *ctx, double start, double end, double step, lt_dtype dt);
    /* torch.rand / torch.randn(shape, dtype=dt) from the run's seeded rng (float dtypes) */
    lt_tensor *(*rand)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    lt_tensor *(*randn)(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
    /* ABI 1.3: shape. Views share x's storage (no copy) and are differentiable; a view's
     * data is reachable only through ops (lt_data gives NULL when it is not contiguous).
     * Negative dims count from the end, as in torch. */
    /* torch.transpose(x, d0, d1) */
    lt_tensor *(*transpose)(lt_ctx *ctx, const lt_tensor *x, int d0, int d1);
    /* torch.permute(x, dims): ndims == x's ndim, a permutation */
    lt_tensor *(*permute)(lt_ctx *ctx, const lt_tensor *x, int ndims, const int *dims);
    /* torch.squeeze(x, dim): dim removed only when its size is 1 */
    lt_tensor *(*squeeze)(lt_ctx *ctx, const lt_tensor *x, int dim);
    /* torch.squeeze(x): every size-1 dim removed */
    lt_tensor *(*squeeze_all)(lt_ctx *ctx, const lt_tensor *x);
    /* torch.unsqueeze(x, dim), dim in [-ndim-1, ndim] */
    lt_tensor *(*unsqueeze)(lt_ctx *ctx, const lt_tensor *x, int dim);
    /* x.expand(*shape): -1 keeps a size; size-1 and new leading dims get stride 0;
     * the gradient sums over them */
    lt_tensor *(*expand)(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape);
    /* torch.narrow(x, dim, start, length) */
    lt_tensor *(*narrow)(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t start, int64_t length);
    /* torch.select(x, dim, index) = x[..., index, ...] (dim dropped) */
    lt_tensor *(*select)(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t index);
    /* x.contiguous(): x itself when contiguous, else a copy (identity gradient) */
    lt_tensor *(*contiguous)(lt_ctx *ctx, const lt_tensor *x);
    /* torch.index_select(x, dim, index int64 1-D): a copy; gradient index_add */
    lt_tensor *(*index_select)(lt_ctx *ctx, const lt_tensor *x, int dim, const lt_tensor *index);
    /* torch.cat(ts[0..n), dim): a copy; sizes equal except at dim */
    lt_tensor *(*cat)(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
    /* torch.stack(ts[0..n), dim): all one shape, new dim at dim */
    lt_tensor *(*stack)(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim);
    /* torch.split(x, split_size, dim): views; writes min(count, max_out) pieces to out and
     * returns count = ceil(size / split_size) (-1 on error) */
    int (*split_tensor)(lt_ctx *ctx, const lt_tensor *x, int64_t split_size, int dim,
                        lt_tensor **out, int max_out);
    /* torch.chunk(x, chunks, dim): as split_tensor with split_size ceil(size / chunks) */
    int (*chunk)(lt_ctx *ctx, const lt_tensor *x, int chunks, int dim, lt_tensor **out,
                 int max_out);
    /* torch.bmm(a [B,n,k], b [B,k,m]) -> [B,n,m] (lt_matmul also broadcasts N-D batches) */
    lt_tensor *(*bmm)(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b);
    /* ABI 1.3: losses and metrics (x input, y target of x's shape; float32/float64) */
    /* F.mse_loss(x, y, reduction) */
    lt_tensor *(*mse_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
    /* F.l1_loss(x, y, reduction) */
    lt_tensor *(*l1_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red);
    /* F.smooth_l1_loss(x, y, reduction, beta) (torch default beta 1.0) */
    lt_tensor *(*smooth_l1_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                                 lt_reduction red, double beta);
    /* F.huber_loss(x, y, reduction, delta) (torch default delta 1.0) */
    lt_tensor *(*huber_loss)(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                             lt_reduction red, double delta);
    /* F.binary_cross_entropy(p in [0,1], y, weight of x's shape or [last dim] or NULL) */
    lt_tensor *(*binary_cross_entropy)(lt_ctx *ctx, const lt_tensor *p, const lt_tensor *y,
                                       const lt_tensor *weight, lt_reduction red);
    /* F.binary_cross_entropy_with_logits(x, y, weight, pos_weight: x's shape, [last dim] or NULL) */
    lt_tensor *(*binary_cross_entropy_with_logits)(lt_ctx *ctx, const lt_tensor *x,
                                                   const lt_tensor *y, const lt_tensor *weight,
                                                   const lt_tensor *pos_weight, lt_reduction red);
    /* F.kl_div(input log-probs, target, reduction incl. BATCHMEAN, log_target) */
    lt_tensor *(*kl_div)(lt_ctx *ctx, const lt_tensor *input, const lt_tensor *target,
                         lt_reduction red, bool log_target);
    /* F.cross_entropy(logits [N,C] or [N,C,d1..], target int64 [N] / [N,d1..] class
     * indices or float probabilities of logits' shape, opt or NULL = defaults) */
    lt_tensor *(*cross_entropy_ex)(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target,
                                   const lt_cross_entropy_options *opt);
    /* F.nll_loss(logp [N,C] or [N,C,d1..], target int64 [N] / [N,d1..], opt or NULL) */
    lt_tensor *(*nll_loss)(lt_ctx *ctx, const lt_tensor *logp, const lt_tensor *target,
                           const lt_nll_loss_options *opt);
    /* metrics (not differentiable). preds: float scores [N,C] (argmax / top-k) or int64
     * classes [N] (num_classes then required); target int64 [N]. Results float32 scalars,
     * the confusion matrix int64 [C,C]. num_classes <= 0: C of the scores. */
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
    /* torchmetrics Metric objects: new (in create; host-owned, freed with the run),
     * update per step, compute over all updates since the last reset, reset */
    lt_metric *(*metric_new)(lt_ctx *ctx, lt_metric_kind kind, const lt_metric_options *opt);
    lt_status (*metric_update)(lt_ctx *ctx, lt_metric *m, const lt_tensor *preds,
                               const lt_tensor *target);
    lt_tensor *(*metric_compute)(lt_ctx *ctx, lt_metric *m);
    void (*metric_reset)(lt_ctx *ctx, lt_metric *m);
    /* self.log(name, metric): on_step logs the last update's value, on_epoch the
     * metric's compute() over the epoch; the trainer resets it at the epoch's end */
    void (*log_metric)(lt_ctx *ctx, const char *name, lt_metric *m, unsigned flags);
    /* ABI 1.3: nn */
    /* register_buffer: persistent, non-trainable named tensor (any dtype, zeros); saved
     * with the parameters, never seen by optimizers. Call from create. */
    lt_tensor *(*buffer)(lt_ctx *ctx, const char *name, lt_dtype dtype, int ndim,
                         const int64_t *shape);
    /* F.batch_norm(x [N,C,*], running_mean [C], running_var [C], weight [C], bias [C],
     * training, momentum, eps): running stats (may be NULL when training) updated in
     * place when training, with the unbiased batch variance */
    lt_tensor *(*batch_norm)(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                             lt_tensor *running_var, const lt_tensor *weight,
                             const lt_tensor *bias, bool training, double momentum, double eps);
    /* F.layer_norm(x, x.shape[-normalized_ndim:], weight, bias, eps) */
    lt_tensor *(*layer_norm)(lt_ctx *ctx, const lt_tensor *x, int normalized_ndim,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
    /* F.group_norm(x [N,C,*], num_groups, weight [C], bias [C], eps) */
    lt_tensor *(*group_norm)(lt_ctx *ctx, const lt_tensor *x, int64_t num_groups,
                             const lt_tensor *weight, const lt_tensor *bias, double eps);
    /* F.dropout(x, p, training): mask from the run's seeded generator */
    lt_tensor *(*dropout)(lt_ctx *ctx, const lt_tensor *x, double p, bool training);
    /* F.embedding(indices int64 [*], weight [V,D], padding_idx (-1: none)) -> [*, D] */
    lt_tensor *(*embedding)(lt_ctx *ctx, const lt_tensor *weight, const lt_tensor *indices,
                            int64_t padding_idx);
    /* nn.BatchNormNd(num_features, opt or NULL = defaults) */
    lt_status (*batchnorm_init)(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                int64_t num_features, const lt_batchnorm_options *opt);
    /* nn.BatchNormNd.forward: batch stats and running-stat update when ctx->training */
    lt_tensor *(*batchnorm_forward)(lt_ctx *ctx, lt_batchnorm_layer *l, const lt_tensor *x);
    /* nn.LayerNorm(normalized_shape [ndim], eps, elementwise_affine) */
    lt_status (*layernorm_init)(lt_ctx *ctx, lt_layernorm_layer *l, const char *name, int ndim,
                                const int64_t *normalized_shape, double eps, bool affine);
    /* nn.GroupNorm(num_groups, num_channels, eps, affine) */
    lt_status (*groupnorm_init)(lt_ctx *ctx, lt_groupnorm_layer *l, const char *name,
                                int64_t num_groups, int64_t num_channels, double eps, bool affine);
    /* nn.Embedding(num_embeddings, embedding_dim, padding_idx (-1: none)) */
    lt_status (*embedding_init)(lt_ctx *ctx, lt_embedding_layer *l, const char *name,
                                int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx);
    /* torch.nn.init (in place, from the run's seeded generator; call from create) */
    /* calculate_gain(nonlinearity, param): param NAN = None; unknown name: error, NAN */
    double (*calculate_gain)(lt_ctx *ctx, const char *nonlinearity, double param);
    void (*init_xavier_uniform)(lt_ctx *ctx, lt_tensor *t, double gain);
    void (*init_xavier_normal)(lt_ctx *ctx, lt_tensor *t, double gain);
    /* kaiming_uniform_/kaiming_normal_(t, a, mode "fan_in"|"fan_out", nonlinearity) */
    void (*init_kaiming_uniform_ex)(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                    const char *nonlinearity);
    void (*init_kaiming_normal)(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                const char *nonlinearity);
    void (*init_orthogonal)(lt_ctx *ctx, lt_tensor *t, double gain);
    /* trunc_normal_(t, mean, std, a, b) */
    void (*init_trunc_normal)(lt_ctx *ctx, lt_tensor *t, double mean, double std, double a,
                              double b);
    /* ABI 1.3: attention */
    /* F.scaled_dot_product_attention(q [..., L, E], k [..., S, E], v [..., S, Ev],
     * attn_mask: bool (true = attend) or float (added), broadcast to [..., L, S], or NULL;
     * is_causal: key j > query i hidden; scale <= 0: 1/sqrt(E)) -> [..., L, Ev] */
    lt_tensor *(*scaled_dot_product_attention)(lt_ctx *ctx, const lt_tensor *q, const lt_tensor *k,
                                               const lt_tensor *v, const lt_tensor *attn_mask,
                                               bool is_causal, double scale);
    /* ABI 1.4: logging — self.log / self.log_dict with every keyword (lt_log_options;
     * NULL = LT_LOG_DEFAULTS), and the trainer's metric dicts */
    void (*log_ex)(lt_ctx *ctx, const char *name, const lt_tensor *value,
                   const lt_log_options *opt);
    void (*log_value_ex)(lt_ctx *ctx, const char *name, double value, const lt_log_options *opt);
    void (*log_dict)(lt_ctx *ctx, int n, const char *const *names, const lt_tensor *const *values,
                     const lt_log_options *opt);
    /* the value of `name` in a metric dict: true and *value set, or false if absent */
    bool (*metric_get)(lt_ctx *ctx, lt_metrics_dict which, const char *name, double *value);
    /* iterate a dict: count, then the i-th name (NULL past the end; valid until the
     * next logging or the hook's end) */
    int64_t (*metrics_count)(lt_ctx *ctx, lt_metrics_dict which);
    const char *(*metrics_name)(lt_ctx *ctx, lt_metrics_dict which, int64_t i);
    /* ABI 1.4: predict — write `value` as one more batch of the dataset `name` of the
     * predictions file (concatenated along dim 0); only from predict_step */
    lt_status (*predict_output)(lt_ctx *ctx, const char *name, const lt_tensor *value);

    /* ABI 1.4: hooks and trainer control (runtime/trainer/callbacks.c) */
    /* trainer.estimated_stepping_batches: optimizer steps fit will take
     * (ceil(batches / accumulate_grad_batches) * max(max_epochs, 1), capped by max_steps);
     * -1 = infinite (max_epochs -1 and max_steps -1) */
    int64_t (*estimated_stepping_batches)(lt_ctx *ctx);
    /* trainer.should_stop (read and set; honoured once min_epochs/min_steps are met) */
    bool (*should_stop)(lt_ctx *ctx);
    void (*set_should_stop)(lt_ctx *ctx, bool stop);
    /* optimizer.step(closure): runs the closure (training_step, zero_grad, backward) if
     * given, then on_before_optimizer_step and gradient clipping, then the update.
     * What the default optimizer_step hook does; closure may be NULL. */
    lt_status (*optimizer_step)(lt_ctx *ctx, lt_optimizer *opt, lt_closure *closure);
    /* optimizer.zero_grad() (set_to_none=True): the default optimizer_zero_grad hook */
    lt_status (*optimizer_zero_grad)(lt_ctx *ctx, lt_optimizer *opt);
    /* optimizer_closure(): run the closure alone */
    lt_status (*closure_run)(lt_ctx *ctx, lt_closure *closure);
    /* LightningModule.clip_gradients(opt, val, algorithm "norm" | "value"): val <= 0 or
     * NULL algorithm take the Trainer's gradient_clip_val / gradient_clip_algorithm */
    lt_status (*clip_gradients)(lt_ctx *ctx, lt_optimizer *opt, double gradient_clip_val,
                                const char *gradient_clip_algorithm);
    /* model.train(mode) / model.eval(): sets ctx->training (for on_*_model_eval/train) */
    void (*train_mode)(lt_ctx *ctx, bool mode);
    /* replace field `field` of the batch (in on_before/after_batch_transfer) */
    lt_status (*batch_set)(lt_ctx *ctx, lt_batch *batch, int field, lt_tensor *value);
    /* ABI 1.4: optimizers, param groups, LR schedulers, configure_optimizers forms.
     * Optimizers and schedulers are made in configure_optimizers and owned by the host. */
    lt_optimizer *(*adamw)(lt_ctx *ctx, const lt_adamw_options *opt);
    lt_optimizer *(*rmsprop)(lt_ctx *ctx, const lt_rmsprop_options *opt);
    lt_optimizer *(*adagrad)(lt_ctx *ctx, const lt_adagrad_options *opt);
    /* A new param group of the parameters whose names match `names` (fnmatch globs
     * joined by '|', e.g. "*.bias|*norm*.weight"), moved out of the groups they were in;
     * it starts with the optimizer's options. Returns its index (group 0 keeps the rest),
     * -1 on error. Call before the first step. */
    int (*param_group)(lt_ctx *ctx, lt_optimizer *opt, const char *names);
    /* optimizer.param_groups[group][key] = value / read it (keys as torch names them:
     * "lr", "weight_decay", "momentum", "beta1", "beta2", "eps", ...; bools as 0/1).
     * get returns NAN for an unknown key or group. */
    lt_status (*group_set)(lt_ctx *ctx, lt_optimizer *opt, int group, const char *key,
                           double value);
    double (*group_get)(const lt_optimizer *opt, int group, const char *key);
    int (*num_param_groups)(const lt_optimizer *opt);
    /* torch.optim.lr_scheduler.* (last_epoch=-1): each does its initial step. */
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
    /* LambdaLR: lr = initial_lr * fn(epoch, user) */
    lt_lr_scheduler *(*lambda_lr)(lt_ctx *ctx, lt_optimizer *opt,
                                  double (*fn)(int64_t epoch, void *user), void *user);
    /* SequentialLR(schedulers[n], milestones[n - 1]) */
    lt_lr_scheduler *(*sequential_lr)(lt_ctx *ctx, lt_optimizer *opt,
                                      lt_lr_scheduler *const *schedulers, int n,
                                      const int64_t *milestones);
    lt_lr_scheduler *(*reduce_lr_on_plateau)(lt_ctx *ctx, lt_optimizer *opt,
                                             const lt_plateau_options *o);
    /* scheduler.step() / ReduceLROnPlateau.step(metric) / CosineAnnealingWarmRestarts.step(epoch) */
    lt_status (*lr_scheduler_step)(lt_ctx *ctx, lt_lr_scheduler *s);
    lt_status (*lr_scheduler_step_metric)(lt_ctx *ctx, lt_lr_scheduler *s, double metric);
    lt_status (*lr_scheduler_step_epoch)(lt_ctx *ctx, lt_lr_scheduler *s, double epoch);
    /* scheduler.get_last_lr()[group] (NAN for a bad group) */
    double (*lr_scheduler_last_lr)(const lt_lr_scheduler *s, int group);
    /* configure_optimizers' other forms (call from configure_optimizers): more optimizers
     * (the returned one comes first), and schedulers with Lightning's config dict
     * (cfg NULL = LT_LR_SCHEDULER_CONFIG_DEFAULTS). */
    lt_status (*add_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*add_lr_scheduler)(lt_ctx *ctx, lt_lr_scheduler *s,
                                  const lt_lr_scheduler_config *cfg);
    /* self.optimizers()[i] / self.lr_schedulers()[i] of the run; NULL past the end */
    lt_optimizer *(*optimizers)(lt_ctx *ctx, int i);
    lt_lr_scheduler *(*lr_schedulers)(lt_ctx *ctx, int i);

    /* ABI 1.4: log_every_n_steps — trainer._logger_connector.should_update_logs: is it a
     * step whose step-level metrics go to the loggers? (fit: (batches that stepped + 1) %
     * log_every_n_steps == 0; evaluation/predict: batches made ready % n == 0; or
     * should_stop; never when log_every_n_steps is 0; true outside any loop). For
     * callbacks that log per step themselves, as LearningRateMonitor does. */
    bool (*should_update_logs)(lt_ctx *ctx);
    /* ABI 1.4: manual optimization (runtime/trainer/manual.c; Lightning's "Manual
     * Optimization"). With automatic optimization off, training_step does the work:
     * lt_optimizers, lt_optimizer_zero_grad, lt_manual_backward, lt_optimizer_step (each
     * adds 1 to global_step), lt_lr_scheduler_step; the trainer steps no scheduler, and
     * accumulate_grad_batches != 1 or gradient_clip_val are errors. */
    /* self.automatic_optimization = False: call from create (Lightning sets it in __init__) */
    lt_status (*set_automatic_optimization)(lt_ctx *ctx, bool automatic);
    bool (*automatic_optimization)(lt_ctx *ctx);
    /* self.manual_backward(loss): callbacks' then the module's on_before_backward(loss),
     * the backward pass, callbacks' then the module's on_after_backward. Manual mode only. */
    lt_status (*manual_backward)(lt_ctx *ctx, lt_tensor *loss);
    /* self.toggle_optimizer(opt): requires_grad off for every parameter of the run's
     * optimizers that opt does not hold (their flags are saved); untoggle_optimizer(opt)
     * restores them */
    lt_status (*toggle_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    lt_status (*untoggle_optimizer)(lt_ctx *ctx, lt_optimizer *opt);
    /* Keep only the parameters whose names match `names` ('|'-separated fnmatch globs):
     * torch's Adam(self.generator.parameters()). Call right after making the optimizer. */
    lt_status (*optimizer_params)(lt_ctx *ctx, lt_optimizer *opt, const char *names);
    /* param.requires_grad / param.requires_grad_(flag) (parameters only) */
    bool (*requires_grad)(const lt_tensor *t);
    lt_status (*set_requires_grad)(lt_ctx *ctx, lt_tensor *param, bool requires_grad);
    /* trainer.default_root_dir (--trainer.default_root_dir, "." by default) */
    const char *(*default_root_dir)(lt_ctx *ctx);
    /* ABI 1.4: checkpoints — trainer.save_checkpoint(path, weights_only): the running
     * trainer's state as an HDF5 checkpoint (docs/checkpoint-format.md), written
     * atomically (temp file, fsync, rename). weights_only: metadata, hparams and the
     * state_dict only (no optimizer, scheduler, loop or RNG state). */
    lt_status (*save_checkpoint)(lt_ctx *ctx, const char *path, bool weights_only);
    /* ABI 1.4: callbacks (runtime/trainer/callback_api.c) — what Lightning's callbacks
     * read from the trainer. */
    /* the given value of `key` as JSON text ("null" for null), NULL when not given; the
     * read is recorded (for dict/list hyperparameters such as Timer's duration) */
    const char *(*hp_json)(lt_ctx *ctx, const lt_hparams *hp, const char *key);
    /* a trainer flag as the Trainer holds it: "val_check_interval" (1.0 = a fraction, or
     * the batch count), "check_val_every_n_epoch" (NAN for None), "fast_dev_run",
     * "max_epochs", "min_epochs", "max_steps", "min_steps", "accumulate_grad_batches",
     * "log_every_n_steps", "num_training_batches", "num_loggers", (ABI 1.4: progress bar)
     * "num_eval_batches", "enable_progress_bar"; NAN for an unknown key */
    double (*trainer_flag)(lt_ctx *ctx, const char *key);
    /* optimizer.__class__.__name__: "SGD", "Adam", "AdamW", "RMSprop", "Adagrad" */
    const char *(*optimizer_name)(const lt_optimizer *opt);
    /* trainer.lr_scheduler_configs[i]: fills *cfg (interval, frequency, monitor, strict,
     * name) and returns the scheduler's optimizer; NULL past the end */
    lt_optimizer *(*lr_scheduler_config)(lt_ctx *ctx, int i, lt_lr_scheduler_config *cfg);
    /* `for logger in trainer.loggers: logger.log_metrics(metrics, step=
     * _batches_that_stepped)` (the logger connector's path: "epoch" is added), bypassing
     * self.log, as LearningRateMonitor does; nothing without loggers */
    lt_status (*logger_log_metrics)(lt_ctx *ctx, int n, const char *const *names,
                                    const double *values);
    /* trainer.callback_metrics[name] = value */
    void (*callback_metric_set)(lt_ctx *ctx, const char *name, double value);
    /* trainer.accumulate_grad_batches = n (>= 1; read at each batch, e.g. from
     * on_train_epoch_start as GradientAccumulationScheduler does) */
    lt_status (*set_accumulate_grad_batches)(lt_ctx *ctx, int64_t n);
    /* ABI 1.4: checkpoint hooks (runtime/checkpoint/ckpt_hooks.c). Keys are names without
     * '/'. put_tensor stores a copy of t (its dtype and shape); put_json stores a JSON text
     * (checked to parse). get_tensor copies the stored tensor into dst, which must have
     * the stored dtype and shape; get_json returns the stored text (owned by the reader,
     * valid during the hook) or NULL when absent; has_key tells whether key exists.
     * Nothing read from a file is ever executed. */
    lt_status (*ckpt_put_tensor)(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const lt_tensor *t);
    lt_status (*ckpt_put_json)(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const char *json);
    lt_status (*ckpt_get_tensor)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, lt_tensor *dst);
    const char *(*ckpt_get_json)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);
    bool (*ckpt_has_key)(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);
    /* ABI 1.4: model_checkpoint paths — a Checkpoint callback reports its
     * best_model_path and last_model_path (NULL or "" for none) whenever they change and
     * in setup; `--ckpt-path best` / `last` resolve through them (trainer.ckpt_path) */
    void (*checkpoint_paths_set)(lt_ctx *ctx, const char *best, const char *last);
    /* ABI 1.4: progress bar — ModelSummary(model, max_depth) as text: Lightning's table
     * (Name, Type, Params, Mode; totals) with one row per module up to max_depth levels
     * of dotted names (-1: all; 0: "" as nothing is summarized). The text is owned by the
     * host and valid until the next call. The totals of the running loop for a progress
     * bar come from lt_trainer_flag: "num_training_batches", "num_eval_batches" (the
     * running sanity-check/validation/test/predict loop's batch count). */
    const char *(*model_summary)(lt_ctx *ctx, int max_depth);
    /* ABI 1.4: swa — the module's parameters and buffers in registration order
     * (model.named_parameters() / named_buffers()), for callbacks that average or copy
     * weights, as StochasticWeightAveraging does. *_at returns the host-owned tensor
     * (write its data in place) and its name through *name (may be NULL); NULL past the
     * end or outside a run. lr_scheduler_config_remove drops trainer.lr_scheduler_configs[i]
     * (the trainer no longer steps it; the scheduler stays owned by the run): what a
     * callback that replaces the scheduler does, as SWA swaps in SWALR. */
    int64_t (*param_count)(lt_ctx *ctx);
    lt_tensor *(*param_at)(lt_ctx *ctx, int64_t i, const char **name);
    int64_t (*buffer_count)(lt_ctx *ctx);
    lt_tensor *(*buffer_at)(lt_ctx *ctx, int64_t i, const char **name);
    lt_status (*lr_scheduler_config_remove)(lt_ctx *ctx, int i);

    /* ABI 1.5: module hooks — inside the module's configure_callbacks hook only: add a
     * callback plugin (a name on the plugin search path or a path) with its init args as
     * a JSON object text (NULL: {}). Lightning's _attach_model_callbacks: callbacks the
     * module adds replace every trainer callback of the same plugin, then Checkpoint
     * callbacks are moved last. */
    lt_status (*add_callback)(lt_ctx *ctx, const char *name_or_path, const char *init_args_json);
    /* loss.backward(): gradients of a scalar into the parameters' .grad (accumulating).
     * The default of the module's backward hook; an override calls it itself. */
    lt_status (*tensor_backward)(lt_ctx *ctx, lt_tensor *loss);
    /* ABI 1.5: checkpoint dir (runtime/trainer/ckpt_dir.c) — checkpoint_dir writes the
     * folder a ModelCheckpoint without dirpath saves into (Lightning's __resolve_ckpt_dir:
     * <first logger's version_dir>/checkpoints, default_root_dir/checkpoints without a
     * logger); the trainer's own "last" checkpoint goes there too. checkpoint_dirpath_add:
     * a Checkpoint callback reports its resolved dirpath in setup; `--ckpt-path last`
     * takes the newest last*.h5 (by mtime) among the reported dirpaths
     * (ModelCheckpoint._find_last_checkpoints). */
    lt_status (*checkpoint_dir)(lt_ctx *ctx, char *buf, size_t cap);
    void (*checkpoint_dirpath_add)(lt_ctx *ctx, const char *dirpath);
    /* ABI 1.5: update_bn (runtime/trainer/update_bn.c) — torch.optim.swa_utils.update_bn
     * over the train loader: every BatchNorm layer made with lt_batchnorm_init gets
     * reset_running_stats and momentum=None (cumulative average), then the module's
     * forward(batch[0]) runs on every train batch in train mode without grad, then the
     * momenta come back. For StochasticWeightAveraging after the averaged weights are in
     * the module. Without a forward hook in the module: a warning, nothing changed. */
    lt_status (*update_bn)(lt_ctx *ctx);
    /* ABI 1.5: transforms (runtime/data/transforms.c). sample_rng seeds *out for sample
     * `index` of `split` from (loader seed, the epoch being fetched, split, index); inside
     * get_item / item_shape the loader's values (the same whichever loader thread fetches,
     * in any order), elsewhere the run's seed and current_epoch.
     * rng_uniform: [0, 1) (torch.rand); rng_randint: [low, high) (torch.randint).
     * tf_to_tensor: uint8 HWC -> float32 CHW / 255 (ToTensor). tf_normalize: in place
     * (x - mean[c]) / std[c] (Normalize). tf_random_crop: src [c,h,w] -> dst
     * [c,size_h,size_w], not overlapping (RandomCrop: pad, then top = randint(0, H-th+1),
     * left = randint(0, W-tw+1); no draw when the padded input is exactly the size).
     * tf_random_hflip: in place, flips the width when rand() < p (RandomHorizontalFlip);
     * returns whether it flipped. */
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
    /* ABI 1.5: random_split — torch.utils.data.random_split(range(n), lengths,
     * generator=torch.Generator().manual_seed(seed)), bit for bit as PyTorch 1.13's CPU
     * generator. lengths[k]: counts summing to n, or fractions summing to 1 (each
     * floor(n * frac), the remainder added one by one round-robin from part 0; a part of 0
     * warns as torch does). Writes the permutation to perm[n] and the part sizes to
     * sizes[k]: part j is perm[offset_j .. offset_j + sizes[j]), offset_j the sum of the
     * sizes before j. Bad lengths fail with torch's message. */
    lt_status (*random_split)(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                              uint64_t seed, int64_t *perm, int64_t *sizes);
    /* ABI 1.5: data loader — torch.utils.data.get_worker_info(): on a loader worker
     * thread, true with its id (0..num_workers-1) and the loader's num_workers; false
     * (and -1, 0) on any other thread (num_workers 0 fetches on the compute threads). */
    bool (*worker_info)(lt_ctx *ctx, int *worker_id, int *num_workers);
    /* ABI 1.6: files — lt_tmp_create */
    int (*tmp_create)(lt_ctx *ctx, const char *target, char *path_out, size_t cap);
    /* ABI 1.7: strategies — lt_get_extension (ltrun/strategy.h) */
    const void *(*get_extension)(lt_ctx *ctx, const char *id);
};

/* ---------------------------------------------------------------------- vtables */

/* LightningModule hooks. NULL = Lightning's default. `self` is what create returned. */
typedef struct lt_module_vtable {
    uint32_t size;
    /* __init__: build parameters from hparams; return the instance (NULL = failed). */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    /* free what create made with malloc (lt_alloc memory is freed by the host). */
    void (*destroy)(lt_ctx *ctx, void *self);
    /* forward(x): used by predict and by users' steps. */
    lt_tensor *(*forward)(lt_ctx *ctx, void *self, lt_tensor *x);
    /* training_step: return the loss (scalar); NULL without lt_fail skips the batch. */
    lt_tensor *(*training_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*validation_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*test_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    /* configure_optimizers: return lt_sgd(...) / lt_adam(...). Required for fit. Other
     * Lightning forms: lt_add_optimizer / lt_add_lr_scheduler inside it (ABI 1.4). */
    lt_optimizer *(*configure_optimizers)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*on_fit_start)(lt_ctx *ctx, void *self);
    lt_status (*on_fit_end)(lt_ctx *ctx, void *self);
    /* ABI 1.4: predict — predict_step(batch, batch_idx): the predictions of one batch
     * (written to the --predictions file as dataset "predictions"); NULL without
     * lt_fail = None (nothing written for the batch). Left NULL: forward(batch[0]). */
    lt_tensor *(*predict_step)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);

    /* ABI 1.4: hooks. Lightning's LightningModule hooks with its arguments; the order
     * they are called in is Lightning's (tests/hooks_expected.txt). */
    lt_status (*on_train_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_end)(lt_ctx *ctx, void *self);
    /* return LT_SKIP_EPOCH to skip the rest of the epoch (Lightning's -1) */
    lt_status (*on_train_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    /* outputs: the loss training_step returned, divided by accumulate_grad_batches
     * (Lightning's outputs["loss"]); NULL when training_step returned NULL */
    lt_status (*on_train_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                    int64_t batch_idx);
    lt_status (*on_validation_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx);
    /* outputs: NULL (validation_step/test_step return a status in this ABI) */
    lt_status (*on_validation_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                         lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                   int64_t batch_idx);
    lt_status (*on_predict_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                        int64_t batch_idx);
    /* outputs: what predict_step returned */
    lt_status (*on_predict_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                      lt_batch *batch, int64_t batch_idx);
    /* loss: the loss backward is about to run on (already / accumulate_grad_batches) */
    lt_status (*on_before_backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    lt_status (*on_after_backward)(lt_ctx *ctx, void *self);
    lt_status (*on_before_optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    lt_status (*on_before_zero_grad)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    /* override of optimizer_step: the default is lt_optimizer_step(ctx, opt, closure);
     * an override must run the closure (Lightning raises if it did not run) */
    lt_status (*optimizer_step)(lt_ctx *ctx, void *self, int64_t epoch, int64_t batch_idx,
                                lt_optimizer *opt, lt_closure *closure);
    /* override of optimizer_zero_grad: the default is lt_optimizer_zero_grad(ctx, opt) */
    lt_status (*optimizer_zero_grad)(lt_ctx *ctx, void *self, int64_t epoch, int64_t batch_idx,
                                     lt_optimizer *opt);
    /* override of configure_gradient_clipping: gets the Trainer's gradient_clip_val (0 when
     * unset, Lightning's None) and algorithm (NULL when unset); the default calls
     * lt_clip_gradients(ctx, opt, val, algorithm) */
    lt_status (*configure_gradient_clipping)(lt_ctx *ctx, void *self, lt_optimizer *opt,
                                             double gradient_clip_val,
                                             const char *gradient_clip_algorithm);
    /* defaults: model.eval() (lt_train_mode(ctx, false)); *_model_train is called only
     * when given, else the training flag from before the loop is restored */
    lt_status (*on_validation_model_eval)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_model_train)(lt_ctx *ctx, void *self);
    lt_status (*on_test_model_eval)(lt_ctx *ctx, void *self);
    lt_status (*on_test_model_train)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_model_eval)(lt_ctx *ctx, void *self);
    /* default: zero the gradients before validation inside fit (not while accumulating) */
    lt_status (*on_validation_model_zero_grad)(lt_ctx *ctx, void *self);
    /* batch hooks around the (here no-op) device transfer; change fields with
     * lt_batch_set. A data module's hook replaces the module's (Lightning's
     * _DataHookSelector). dataloader_idx is 0 with one dataloader. */
    lt_status (*on_before_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                          int64_t dataloader_idx);
    lt_status (*on_after_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                         int64_t dataloader_idx);

    /* ABI 1.4: lr_scheduler_step override — LightningModule.lr_scheduler_step(scheduler,
     * metric): called by automatic optimization each time a configured scheduler is due.
     * metric is the monitor's value (ReduceLROnPlateau) or NULL (None). The default is
     * lt_lr_scheduler_step(ctx, scheduler), or lt_lr_scheduler_step_metric(ctx,
     * scheduler, *metric) when metric is given; an override decides what stepping means. */
    lt_status (*lr_scheduler_step)(lt_ctx *ctx, void *self, lt_lr_scheduler *scheduler,
                                   const double *metric);

    /* ABI 1.4: checkpoint hooks — LightningModule.on_save_checkpoint(checkpoint): add
     * tensors and JSON (under /extra) with lt_ckpt_put_*; called last when a checkpoint
     * is written, weights_only too. on_load_checkpoint(checkpoint): read them back with
     * lt_ckpt_get_*; called when --ckpt-path is restored, before the weights are loaded
     * (Lightning's restore_model). */
    lt_status (*on_save_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*on_load_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);

    /* ABI 1.5: module hooks — LightningModule.configure_callbacks(): called at the start
     * of every fit/validate/test/predict before prepare_data; add callbacks with
     * lt_add_callback. backward(loss): how the strategy runs loss.backward() for
     * automatic optimization and lt_manual_backward (between on_before_backward and
     * on_after_backward); the default is lt_tensor_backward(ctx, loss). */
    lt_status (*configure_callbacks)(lt_ctx *ctx, void *self);
    lt_status (*backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
} lt_module_vtable;

/* LightningDataModule hooks. */
typedef struct lt_datamodule_vtable {
    uint32_t size;
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    /* download/prepare once per node (rank 0); no state may be set here. */
    lt_status (*prepare_data)(lt_ctx *ctx, void *self);
    /* load/split data for the stage (every process). */
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    /* describe a split: fill ds (see lt_dataset). Required. */
    lt_status (*dataset)(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds);
    /* write sample `index` of `split` into dst[f] (one buffer per field, its shape and
     * dtype as described). May be called from loader threads: no lt_* ops here. */
    lt_status (*get_item)(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                          void *const *dst);

    /* ABI 1.4: hooks (LightningDataModule's; they win over the module's) */
    lt_status (*on_before_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                          int64_t dataloader_idx);
    lt_status (*on_after_batch_transfer)(lt_ctx *ctx, void *self, lt_batch *batch,
                                         int64_t dataloader_idx);
    /* an error stopped the run (Lightning's on_exception); message says what */
    void (*on_exception)(lt_ctx *ctx, void *self, const char *message);

    /* ABI 1.4: checkpoint hooks — LightningDataModule.state_dict / load_state_dict: the
     * data module's state under /datamodule, saved with every checkpoint and restored
     * after the module's weights (Lightning's restore_datamodule). */
    lt_status (*state_dict)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*load_state_dict)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);

    /* ABI 1.5: variable-length samples — required when a field of a split has a
     * dimension LT_VARIABLE_DIM: write the concrete shape of field `field` of sample
     * `index` into shape[0..ndim) (the field's ndim; fixed dimensions as declared, each
     * variable one >= 0). Called on loader threads before get_item, which then writes the
     * sample contiguous in that shape. The default collate pads each variable dimension
     * to the batch's longest sample, at the end, with ds.padding_value[field]
     * (torch.nn.utils.rnn.pad_sequence(batch_first=True)): batch tensors have per-batch
     * shapes. */
    lt_status (*item_shape)(lt_ctx *ctx, void *self, lt_split split, int64_t index, int field,
                            int64_t *shape);
    /* ABI 1.5: data loader — DataLoader's worker_init_fn: called on each worker thread
     * when it starts (every epoch unless persistent_workers), before it fetches; for
     * per-worker state such as an open file handle (look it up in get_item with
     * lt_worker_info). A failure stops the run at that worker's first batch. */
    lt_status (*worker_init)(lt_ctx *ctx, void *self, lt_split split, int worker_id,
                             int num_workers);
} lt_datamodule_vtable;

/* ABI 1.4: callbacks — lightning.pytorch.Callback. Each hook gets the trainer's ctx and
 * the callback's own state (what create returned). Callbacks run in the order given
 * (--callback, repeatable), before the module's hook of the same name, except where
 * Lightning differs (on_train_epoch_end: monitoring callbacks run after the module). */
enum {
    /* a Checkpoint (ModelCheckpoint): reordered last, and "monitoring" */
    LT_CALLBACK_CHECKPOINT = 1u << 0,
    /* monitors a metric (EarlyStopping): on_train_epoch_end after the module's hook */
    LT_CALLBACK_MONITORING = 1u << 1,
    /* ABI 1.4: progress bar — a ProgressBar (progress_bar plugin): it replaces the
     * built-in bar; with --trainer.enable_progress_bar false it is an error, and two are
     * an error (Lightning's _configure_progress_bar) */
    LT_CALLBACK_PROGRESS_BAR = 1u << 2,
    /* ABI 1.4: progress bar — a ModelSummary (model_summary plugin): it replaces the
     * built-in summary table (Lightning's _configure_model_summary_callback) */
    LT_CALLBACK_MODEL_SUMMARY = 1u << 3
};
typedef struct lt_callback_vtable {
    uint32_t size;
    uint32_t traits; /* LT_CALLBACK_* */
    /* __init__(**init_args): hp holds the JSON given as --callback PATH:JSON */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    lt_status (*setup)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*teardown)(lt_ctx *ctx, void *self, lt_stage stage);
    lt_status (*on_fit_start)(lt_ctx *ctx, void *self);
    lt_status (*on_fit_end)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_start)(lt_ctx *ctx, void *self);
    lt_status (*on_sanity_check_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_train_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_validation_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_test_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_start)(lt_ctx *ctx, void *self);
    lt_status (*on_predict_epoch_end)(lt_ctx *ctx, void *self);
    lt_status (*on_train_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_train_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                    int64_t batch_idx);
    lt_status (*on_validation_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx);
    lt_status (*on_validation_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                         lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx);
    lt_status (*on_test_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                   int64_t batch_idx);
    lt_status (*on_predict_batch_start)(lt_ctx *ctx, void *self, lt_batch *batch,
                                        int64_t batch_idx);
    lt_status (*on_predict_batch_end)(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                      lt_batch *batch, int64_t batch_idx);
    lt_status (*on_before_backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    lt_status (*on_after_backward)(lt_ctx *ctx, void *self);
    lt_status (*on_before_optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    lt_status (*on_before_zero_grad)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    void (*on_exception)(lt_ctx *ctx, void *self, const char *message);

    /* ABI 1.4: checkpoint hooks — Callback.state_dict / load_state_dict (under
     * /callbacks/<name>/state, keyed by the callback's name: "name", "name#2" when loaded
     * twice) and on_save_checkpoint / on_load_checkpoint (under /callbacks/<name>/extra).
     * Full checkpoints only; restored for fit only, on_load_checkpoint first (Lightning's
     * restore_callbacks). */
    lt_status (*state_dict)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*load_state_dict)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);
    lt_status (*on_save_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_writer *w);
    lt_status (*on_load_checkpoint)(lt_ctx *ctx, void *self, lt_ckpt_reader *r);
} lt_callback_vtable;

/* ------------------------------------------------------------------- descriptor */

/* Frozen head: abi_major, abi_minor, size, kind, name, version. */
typedef struct lt_descriptor {
    uint32_t abi_major, abi_minor; /* what the plugin was compiled against */
    uint32_t size;                 /* sizeof(lt_descriptor) in the plugin */
    uint32_t kind;                 /* lt_plugin_kind */
    const char *name;              /* unique per kind, [A-Za-z0-9_-] */
    const char *version;           /* the plugin's own version */
    const char *description;       /* one line */
    const void *vtable;            /* lt_module_vtable*, ...: its first field is its size */
} lt_descriptor;

/* The entry symbol: returns `*count` descriptors (static data), does nothing else. */
typedef const lt_descriptor *const *(*lt_entry_fn)(const lt_host_api *host, uint32_t *count);
#define LT_ENTRY_SYMBOL "ltrun_plugin_entry"

#if defined(__GNUC__)
#define LT_EXPORT __attribute__((visibility("default")))
#else
#define LT_EXPORT
#endif

#define LT__DESCRIPTOR(id, kind_, vt_type, ...)                                          \
    static const vt_type id##_vtable_ = {.size = sizeof(vt_type), __VA_ARGS__};         \
    static const lt_descriptor id##_descriptor_ = {                                     \
        LT_ABI_MAJOR, LT_ABI_MINOR, sizeof(lt_descriptor), kind_, #id,                  \
        LT_PLUGIN_VERSION, LT_PLUGIN_DESCRIPTION, &id##_vtable_};                       \
    static const lt_descriptor *const id##_list_[] = {&id##_descriptor_};               \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host,   \
                                                             uint32_t *count);          \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host,   \
                                                             uint32_t *count) {         \
        (void)host;                                                                     \
        *count = 1;                                                                     \
        return id##_list_;                                                              \
    }                                                                                   \
    /* name-derived alias, so a static binary can reach several plugins by name */     \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_##id##_entry(                    \
        const lt_host_api *host, uint32_t *count);                                      \
    LT_EXPORT const lt_descriptor *const *ltrun_plugin_##id##_entry(                    \
        const lt_host_api *host, uint32_t *count) {                                     \
        (void)host;                                                                     \
        *count = 1;                                                                     \
        return id##_list_;                                                              \
    }

#ifndef LT_PLUGIN_VERSION
#define LT_PLUGIN_VERSION "0.1.0"
#endif
#ifndef LT_PLUGIN_DESCRIPTION
#define LT_PLUGIN_DESCRIPTION ""
#endif

/* LT_MODULE(name, .create = ..., .training_step = ..., ...): declares the plugin. */
#define LT_MODULE(name, ...) LT__DESCRIPTOR(name, LT_KIND_MODULE, lt_module_vtable, __VA_ARGS__)
/* LT_DATAMODULE(name, .create = ..., .dataset = ..., .get_item = ...). */
#define LT_DATAMODULE(name, ...) \
    LT__DESCRIPTOR(name, LT_KIND_DATAMODULE, lt_datamodule_vtable, __VA_ARGS__)
/* ABI 1.4: LT_CALLBACK(name, .create = ..., .on_train_epoch_end = ..., ...). */
#define LT_CALLBACK(name, ...) \
    LT__DESCRIPTOR(name, LT_KIND_CALLBACK, lt_callback_vtable, __VA_ARGS__)

/* ABI 1.4: loggers — lightning.pytorch.loggers.Logger. The host calls every configured
 * logger (--logger NAME[:JSON], repeatable; the "csv" logger when none is given, as
 * Lightning's logger=True) at Lightning's points: log_hyperparams once per trainer entry
 * point before its loop (LM + DM hparams merged, JSON object text), log_metrics then save
 * whenever the logger connector logs (train steps every log_every_n_steps, epoch ends),
 * finalize at the end of each entry point. Hooks run on the main thread. */
typedef struct lt_logger_vtable {
    uint32_t size;
    uint32_t flags; /* none defined yet: 0 */
    /* __init__(**init_args): hp holds the JSON of --logger NAME:JSON; read save_dir's
     * default from lt_default_root_dir(ctx). Unread keys are an error naming the key. */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    /* params: a JSON object (text, valid during the call) */
    lt_status (*log_hyperparams)(lt_ctx *ctx, void *self, const char *params_json);
    /* n metrics (names and values valid during the call) at `step`; the host adds
     * "epoch" (trainer.current_epoch) as Lightning's logger connector does */
    lt_status (*log_metrics)(lt_ctx *ctx, void *self, const char *const *names,
                             const double *values, int n, int64_t step);
    lt_status (*save)(lt_ctx *ctx, void *self);
    /* status: "success", "failed" or "interrupted" */
    lt_status (*finalize)(lt_ctx *ctx, void *self, const char *status);
    /* ABI 1.5: checkpoint dir — the logger's versioned folder as Lightning's
     * ModelCheckpoint.__resolve_ckpt_dir builds it from the FIRST logger:
     * os.path.join(save_dir or default_root_dir, name, version_N | str version) (no
     * sub_dir; MLFlowLogger: <mlruns>/<experiment_id>/<run_id>). Write it into buf (cap
     * bytes) and return LT_OK. The same folder for the whole run: resolve the version once
     * (in create). Checkpoints go to <it>/checkpoints. NULL: default_root_dir/checkpoints. */
    lt_status (*version_dir)(lt_ctx *ctx, void *self, char *buf, size_t cap);
} lt_logger_vtable;
/* LT_LOGGER(name, .create = ..., .log_metrics = ..., ...). */
#define LT_LOGGER(name, ...) LT__DESCRIPTOR(name, LT_KIND_LOGGER, lt_logger_vtable, __VA_ARGS__)

/* ---------------------------------------------------------------------- wrappers */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline lt_status lt_fail(lt_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lt_status s = ctx->api->vfail(ctx, fmt, ap);
    va_end(ap);
    return s;
}
static inline void *lt_alloc(lt_ctx *ctx, size_t n) { return ctx->api->alloc(ctx, n); }
static inline void *lt_scratch(lt_ctx *ctx, size_t n) { return ctx->api->scratch(ctx, n); }

static inline int64_t lt_hp_int(lt_ctx *c, const lt_hparams *h, const char *k, int64_t d) {
    return c->api->hp_int(c, h, k, d);
}
static inline double lt_hp_float(lt_ctx *c, const lt_hparams *h, const char *k, double d) {
    return c->api->hp_float(c, h, k, d);
}
static inline bool lt_hp_bool(lt_ctx *c, const lt_hparams *h, const char *k, bool d) {
    return c->api->hp_bool(c, h, k, d);
}
static inline const char *lt_hp_str(lt_ctx *c, const lt_hparams *h, const char *k,
                                    const char *d) {
    return c->api->hp_str(c, h, k, d);
}

static inline void lt_log(lt_ctx *c, const char *name, const lt_tensor *v, unsigned flags) {
    c->api->log(c, name, v, flags);
}
static inline void lt_log_value(lt_ctx *c, const char *name, double v, unsigned flags) {
    c->api->log_value(c, name, v, flags);
}

static inline lt_tensor *lt_tensor_new(lt_ctx *c, lt_dtype dt, int nd, const int64_t *s) {
    return c->api->tensor_new(c, dt, nd, s);
}
static inline lt_tensor *lt_tensor_from(lt_ctx *c, lt_dtype dt, int nd, const int64_t *s,
                                        const void *data) {
    return c->api->tensor_from(c, dt, nd, s, data);
}
static inline void *lt_data(lt_ctx *c, const lt_tensor *t) { return c->api->data(t); }
static inline lt_dtype lt_dtype_of(lt_ctx *c, const lt_tensor *t) { return c->api->dtype(t); }
static inline int lt_ndim(lt_ctx *c, const lt_tensor *t) { return c->api->ndim(t); }
static inline int64_t lt_size(lt_ctx *c, const lt_tensor *t, int d) { return c->api->dim_size(t, d); }
static inline int64_t lt_numel(lt_ctx *c, const lt_tensor *t) { return c->api->numel(t); }
static inline double lt_item(lt_ctx *c, const lt_tensor *t) { return c->api->item(c, t); }

static inline lt_tensor *lt_param(lt_ctx *c, const char *name, lt_dtype dt, int nd,
                                  const int64_t *s) {
    return c->api->param(c, name, dt, nd, s);
}
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

static inline lt_tensor *lt_matmul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->matmul(c, a, b);
}
/* F.linear: x @ w^T + b (b may be NULL). */
static inline lt_tensor *lt_linear_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b) {
    return c->api->linear(c, x, w, b);
}
/* Apply a layer made by lt_linear_init. */
static inline lt_tensor *lt_linear(lt_ctx *c, const lt_linear_layer *l, const lt_tensor *x) {
    return c->api->linear(c, x, l->weight, l->bias);
}
static inline lt_tensor *lt_add(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->add(c, a, b);
}
static inline lt_tensor *lt_sub(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->sub(c, a, b);
}
static inline lt_tensor *lt_mul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->mul(c, a, b);
}
static inline lt_tensor *lt_relu(lt_ctx *c, const lt_tensor *x) { return c->api->relu(c, x); }
static inline lt_tensor *lt_reshape(lt_ctx *c, const lt_tensor *x, int nd, const int64_t *s) {
    return c->api->reshape(c, x, nd, s);
}
static inline lt_tensor *lt_flatten(lt_ctx *c, const lt_tensor *x, int start_dim) {
    return c->api->flatten(c, x, start_dim);
}
static inline lt_tensor *lt_sum(lt_ctx *c, const lt_tensor *x) { return c->api->sum(c, x); }
static inline lt_tensor *lt_mean(lt_ctx *c, const lt_tensor *x) { return c->api->mean(c, x); }
static inline lt_tensor *lt_log_softmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->log_softmax(c, x, dim);
}
/* F.cross_entropy(logits [N,C], target [N] int64), reduction="mean". */
static inline lt_tensor *lt_cross_entropy(lt_ctx *c, const lt_tensor *logits,
                                          const lt_tensor *target) {
    return c->api->cross_entropy(c, logits, target);
}
static inline lt_tensor *lt_argmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->argmax(c, x, dim);
}
/* ABI 1.3: reductions (see the lt_host_api members for torch equivalents) */
static inline lt_tensor *lt_sum_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims,
                                    bool keepdim) {
    return c->api->sum_dim(c, x, dims, ndims, keepdim);
}
static inline lt_tensor *lt_mean_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims,
                                     bool keepdim) {
    return c->api->mean_dim(c, x, dims, ndims, keepdim);
}
/* one-dim forms: torch.sum(x, dim, keepdim), torch.mean(x, dim, keepdim) */
static inline lt_tensor *lt_sum1(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->sum_dim(c, x, &dim, 1, keepdim);
}
static inline lt_tensor *lt_mean1(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->mean_dim(c, x, &dim, 1, keepdim);
}
static inline lt_tensor *lt_var(lt_ctx *c, const lt_tensor *x, int dim, double correction,
                                bool keepdim) {
    return c->api->var(c, x, dim, correction, keepdim);
}
static inline lt_tensor *lt_std(lt_ctx *c, const lt_tensor *x, int dim, double correction,
                                bool keepdim) {
    return c->api->std(c, x, dim, correction, keepdim);
}
static inline lt_tensor *lt_max_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim,
                                    lt_tensor **indices) {
    return c->api->max_dim(c, x, dim, keepdim, indices);
}
static inline lt_tensor *lt_min_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim,
                                    lt_tensor **indices) {
    return c->api->min_dim(c, x, dim, keepdim, indices);
}
static inline lt_tensor *lt_max(lt_ctx *c, const lt_tensor *x) { return c->api->max(c, x); }
static inline lt_tensor *lt_min(lt_ctx *c, const lt_tensor *x) { return c->api->min(c, x); }
static inline lt_tensor *lt_amax(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->amax(c, x, dim, keepdim);
}
static inline lt_tensor *lt_amin(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->amin(c, x, dim, keepdim);
}
static inline lt_tensor *lt_argmax_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->argmax_dim(c, x, dim, keepdim);
}
static inline lt_tensor *lt_argmin_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->argmin_dim(c, x, dim, keepdim);
}
static inline lt_tensor *lt_logsumexp(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->logsumexp(c, x, dim, keepdim);
}
static inline lt_tensor *lt_softmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->softmax(c, x, dim);
}

/* Multiclass accuracy of logits [N,C] (argmax over dim 1) against target [N]. */
static inline lt_tensor *lt_accuracy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *t) {
    return c->api->accuracy(c, logits, t);
}

/* nn.Conv2d(in, out, kernel, stride/padding/dilation/groups from opt or defaults, bias=True) */
static inline lt_status lt_conv2d_init(lt_ctx *c, lt_conv2d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv2d_options *opt) {
    return c->api->conv2d_init(c, l, name, in, out, kernel, opt, true);
}
/* Apply a layer made by lt_conv2d_init. */
static inline lt_tensor *lt_conv2d(lt_ctx *c, const lt_conv2d_layer *l, const lt_tensor *x) {
    return c->api->conv2d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv2d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b, const lt_conv2d_options *opt) {
    return c->api->conv2d(c, x, w, b, opt);
}
/* F.max_pool2d(x, kernel, stride=kernel, padding=0) */
static inline lt_tensor *lt_max_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel) {
    return c->api->max_pool2d(c, x, kernel, kernel, 0);
}

/* issue 3: conv */
/* nn.Conv1d(in, out, kernel, stride/padding/dilation/groups from opt or defaults, bias=True) */
static inline lt_status lt_conv1d_init(lt_ctx *c, lt_conv1d_layer *l, const char *name,
                                       int64_t in, int64_t out, int64_t kernel,
                                       const lt_conv1d_options *opt) {
    return c->api->conv1d_init(c, l, name, in, out, kernel, opt, true);
}
/* Apply a layer made by lt_conv1d_init. */
static inline lt_tensor *lt_conv1d(lt_ctx *c, const lt_conv1d_layer *l, const lt_tensor *x) {
    return c->api->conv1d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv1d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b, const lt_conv1d_options *opt) {
    return c->api->conv1d(c, x, w, b, opt);
}
/* nn.ConvTranspose2d(in, out, kernel, options from opt or defaults, bias=True) */
static inline lt_status lt_conv_transpose2d_init(lt_ctx *c, lt_conv_transpose2d_layer *l,
                                                 const char *name, int64_t in, int64_t out,
                                                 int64_t kernel,
                                                 const lt_conv_transpose2d_options *opt) {
    return c->api->conv_transpose2d_init(c, l, name, in, out, kernel, opt, true);
}
/* Apply a layer made by lt_conv_transpose2d_init. */
static inline lt_tensor *lt_conv_transpose2d(lt_ctx *c, const lt_conv_transpose2d_layer *l,
                                             const lt_tensor *x) {
    return c->api->conv_transpose2d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv_transpose2d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                                const lt_tensor *b,
                                                const lt_conv_transpose2d_options *opt) {
    return c->api->conv_transpose2d(c, x, w, b, opt);
}
/* F.avg_pool2d(x, kernel) with torch's defaults (stride=kernel, padding 0, ...) */
static inline lt_tensor *lt_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel) {
    return c->api->avg_pool2d(c, x, kernel, kernel, NULL);
}
/* F.avg_pool2d(x, (kh, kw), **opt); opt NULL = LT_POOL2D_DEFAULTS */
static inline lt_tensor *lt_avg_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                          const lt_pool2d_options *opt) {
    return c->api->avg_pool2d(c, x, kh, kw, opt);
}
/* F.max_pool2d(x, (kh, kw), **opt) with dilation and ceil_mode; opt NULL = defaults */
static inline lt_tensor *lt_max_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                          const lt_pool2d_options *opt) {
    return c->api->max_pool2d_ex(c, x, kh, kw, opt);
}
/* F.adaptive_avg_pool2d(x, (oh, ow)) */
static inline lt_tensor *lt_adaptive_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t oh,
                                                int64_t ow) {
    return c->api->adaptive_avg_pool2d(c, x, oh, ow);
}

static inline lt_tensor *lt_neg(lt_ctx *c, const lt_tensor *x) { return c->api->neg(c, x); }
static inline lt_tensor *lt_exp(lt_ctx *c, const lt_tensor *x) { return c->api->exp(c, x); }
static inline lt_tensor *lt_ln(lt_ctx *c, const lt_tensor *x) { return c->api->ln(c, x); }
static inline lt_tensor *lt_sqrt(lt_ctx *c, const lt_tensor *x) { return c->api->sqrt(c, x); }
static inline lt_tensor *lt_abs(lt_ctx *c, const lt_tensor *x) { return c->api->abs(c, x); }
static inline lt_tensor *lt_sigmoid(lt_ctx *c, const lt_tensor *x) { return c->api->sigmoid(c, x); }
static inline lt_tensor *lt_tanh(lt_ctx *c, const lt_tensor *x) { return c->api->tanh(c, x); }

static inline bool lt_set_grad_enabled(lt_ctx *c, bool enabled) {
    return c->api->set_grad_enabled(c, enabled);
}
static inline void *lt_scope_begin(lt_ctx *c) { return c->api->scope_begin(c); }
static inline lt_status lt_scope_end(lt_ctx *c, void *scope) { return c->api->scope_end(c, scope); }
/* ABI 1.3: elementwise */
static inline lt_tensor *lt_div(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->div(c, a, b); }
static inline lt_tensor *lt_pow(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->pow(c, a, b); }
static inline lt_tensor *lt_pow_scalar(lt_ctx *c, const lt_tensor *x, double p) { return c->api->pow_scalar(c, x, p); }
static inline lt_tensor *lt_add_scalar(lt_ctx *c, const lt_tensor *x, double s) { return c->api->add_scalar(c, x, s); }
static inline lt_tensor *lt_mul_scalar(lt_ctx *c, const lt_tensor *x, double s) { return c->api->mul_scalar(c, x, s); }
static inline lt_tensor *lt_clamp(lt_ctx *c, const lt_tensor *x, double min, double max) { return c->api->clamp(c, x, min, max); }
static inline lt_tensor *lt_maximum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->maximum(c, a, b); }
static inline lt_tensor *lt_minimum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->minimum(c, a, b); }
static inline lt_tensor *lt_where(lt_ctx *c, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) { return c->api->where(c, cond, a, b); }
static inline lt_tensor *lt_eq(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->eq(c, a, b); }
static inline lt_tensor *lt_ne(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->ne(c, a, b); }
static inline lt_tensor *lt_lt(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->lt(c, a, b); }
static inline lt_tensor *lt_le(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->le(c, a, b); }
static inline lt_tensor *lt_gt(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->gt(c, a, b); }
static inline lt_tensor *lt_ge(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->ge(c, a, b); }
static inline lt_tensor *lt_masked_fill(lt_ctx *c, const lt_tensor *x, const lt_tensor *mask, double value) { return c->api->masked_fill(c, x, mask, value); }
static inline lt_tensor *lt_leaky_relu(lt_ctx *c, const lt_tensor *x, double negative_slope) { return c->api->leaky_relu(c, x, negative_slope); }
static inline lt_tensor *lt_gelu(lt_ctx *c, const lt_tensor *x, lt_gelu_approximate approximate) { return c->api->gelu(c, x, approximate); }
static inline lt_tensor *lt_silu(lt_ctx *c, const lt_tensor *x) { return c->api->silu(c, x); }
static inline lt_tensor *lt_softplus(lt_ctx *c, const lt_tensor *x, double beta, double threshold) { return c->api->softplus(c, x, beta, threshold); }
static inline lt_tensor *lt_elu(lt_ctx *c, const lt_tensor *x, double alpha) { return c->api->elu(c, x, alpha); }
static inline lt_tensor *lt_to(lt_ctx *c, const lt_tensor *x, lt_dtype dtype) { return c->api->to(c, x, dtype); }
static inline lt_tensor *lt_zeros(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->zeros(c, dt, ndim, shape); }
static inline lt_tensor *lt_ones(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->ones(c, dt, ndim, shape); }
static inline lt_tensor *lt_full(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape, double value) { return c->api->full(c, dt, ndim, shape, value); }
static inline lt_tensor *lt_arange(lt_ctx *c, double start, double end, double step, lt_dtype dt) { return c->api->arange(c, start, end, step, dt); }
static inline lt_tensor *lt_rand(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->rand(c, dt, ndim, shape); }
static inline lt_tensor *lt_randn(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->randn(c, dt, ndim, shape); }
/* ABI 1.3: shape (lt_split is the dataset-split enum, hence lt_split_tensor) */
static inline lt_tensor *lt_transpose(lt_ctx *c, const lt_tensor *x, int d0, int d1) {
    return c->api->transpose(c, x, d0, d1);
}
static inline lt_tensor *lt_permute(lt_ctx *c, const lt_tensor *x, int nd, const int *dims) {
    return c->api->permute(c, x, nd, dims);
}
static inline lt_tensor *lt_squeeze(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->squeeze(c, x, dim);
}
static inline lt_tensor *lt_squeeze_all(lt_ctx *c, const lt_tensor *x) {
    return c->api->squeeze_all(c, x);
}
static inline lt_tensor *lt_unsqueeze(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->unsqueeze(c, x, dim);
}
static inline lt_tensor *lt_expand(lt_ctx *c, const lt_tensor *x, int nd, const int64_t *shape) {
    return c->api->expand(c, x, nd, shape);
}
static inline lt_tensor *lt_narrow(lt_ctx *c, const lt_tensor *x, int dim, int64_t start,
                                   int64_t length) {
    return c->api->narrow(c, x, dim, start, length);
}
static inline lt_tensor *lt_select(lt_ctx *c, const lt_tensor *x, int dim, int64_t index) {
    return c->api->select(c, x, dim, index);
}
static inline lt_tensor *lt_contiguous(lt_ctx *c, const lt_tensor *x) {
    return c->api->contiguous(c, x);
}
static inline lt_tensor *lt_index_select(lt_ctx *c, const lt_tensor *x, int dim,
                                         const lt_tensor *index) {
    return c->api->index_select(c, x, dim, index);
}
static inline lt_tensor *lt_cat(lt_ctx *c, const lt_tensor *const *ts, int n, int dim) {
    return c->api->cat(c, ts, n, dim);
}
static inline lt_tensor *lt_stack(lt_ctx *c, const lt_tensor *const *ts, int n, int dim) {
    return c->api->stack(c, ts, n, dim);
}
static inline int lt_split_tensor(lt_ctx *c, const lt_tensor *x, int64_t split_size, int dim,
                                  lt_tensor **out, int max_out) {
    return c->api->split_tensor(c, x, split_size, dim, out, max_out);
}
static inline int lt_chunk(lt_ctx *c, const lt_tensor *x, int chunks, int dim, lt_tensor **out,
                           int max_out) {
    return c->api->chunk(c, x, chunks, dim, out, max_out);
}
static inline lt_tensor *lt_bmm(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->bmm(c, a, b);
}
/* ABI 1.3: losses and metrics (torch.nn.functional names) */
static inline lt_tensor *lt_mse_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction r) {
    return c->api->mse_loss(c, x, y, r);
}
static inline lt_tensor *lt_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction r) {
    return c->api->l1_loss(c, x, y, r);
}
static inline lt_tensor *lt_smooth_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                           lt_reduction r, double beta) {
    return c->api->smooth_l1_loss(c, x, y, r, beta);
}
static inline lt_tensor *lt_huber_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                       lt_reduction r, double delta) {
    return c->api->huber_loss(c, x, y, r, delta);
}
static inline lt_tensor *lt_binary_cross_entropy(lt_ctx *c, const lt_tensor *p, const lt_tensor *y,
                                                 const lt_tensor *weight, lt_reduction r) {
    return c->api->binary_cross_entropy(c, p, y, weight, r);
}
static inline lt_tensor *lt_binary_cross_entropy_with_logits(lt_ctx *c, const lt_tensor *x,
                                                             const lt_tensor *y, const lt_tensor *w,
                                                             const lt_tensor *pos_weight, lt_reduction r) {
    return c->api->binary_cross_entropy_with_logits(c, x, y, w, pos_weight, r);
}
static inline lt_tensor *lt_kl_div(lt_ctx *c, const lt_tensor *input, const lt_tensor *target,
                                   lt_reduction r, bool log_target) {
    return c->api->kl_div(c, input, target, r, log_target);
}
static inline lt_tensor *lt_cross_entropy_ex(lt_ctx *c, const lt_tensor *logits,
                                             const lt_tensor *target,
                                             const lt_cross_entropy_options *opt) {
    return c->api->cross_entropy_ex(c, logits, target, opt);
}
static inline lt_tensor *lt_nll_loss(lt_ctx *c, const lt_tensor *logp, const lt_tensor *target,
                                     const lt_nll_loss_options *opt) {
    return c->api->nll_loss(c, logp, target, opt);
}
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
static inline void lt_log_metric(lt_ctx *c, const char *name, lt_metric *m, unsigned flags) {
    c->api->log_metric(c, name, m, flags);
}

/* ABI 1.3: nn */
static inline lt_tensor *lt_buffer(lt_ctx *c, const char *name, lt_dtype dt, int nd,
                                   const int64_t *s) {
    return c->api->buffer(c, name, dt, nd, s);
}
static inline lt_tensor *lt_batch_norm(lt_ctx *c, const lt_tensor *x, lt_tensor *running_mean,
                                       lt_tensor *running_var, const lt_tensor *weight,
                                       const lt_tensor *bias, bool training, double momentum,
                                       double eps) {
    return c->api->batch_norm(c, x, running_mean, running_var, weight, bias, training, momentum,
                              eps);
}
static inline lt_tensor *lt_layer_norm(lt_ctx *c, const lt_tensor *x, int normalized_ndim,
                                       const lt_tensor *weight, const lt_tensor *bias, double eps) {
    return c->api->layer_norm(c, x, normalized_ndim, weight, bias, eps);
}
static inline lt_tensor *lt_group_norm(lt_ctx *c, const lt_tensor *x, int64_t num_groups,
                                       const lt_tensor *weight, const lt_tensor *bias, double eps) {
    return c->api->group_norm(c, x, num_groups, weight, bias, eps);
}
static inline lt_tensor *lt_dropout(lt_ctx *c, const lt_tensor *x, double p, bool training) {
    return c->api->dropout(c, x, p, training);
}
/* nn.Dropout(p) applied: active when ctx->training (model.train()) */
static inline lt_tensor *lt_dropout_layer(lt_ctx *c, const lt_tensor *x, double p) {
    return c->api->dropout(c, x, p, c->training);
}
static inline lt_tensor *lt_embedding(lt_ctx *c, const lt_tensor *weight, const lt_tensor *indices,
                                      int64_t padding_idx) {
    return c->api->embedding(c, weight, indices, padding_idx);
}
static inline lt_status lt_batchnorm_init(lt_ctx *c, lt_batchnorm_layer *l, const char *name,
                                          int64_t num_features, const lt_batchnorm_options *o) {
    return c->api->batchnorm_init(c, l, name, num_features, o);
}
/* Apply a layer made by lt_batchnorm_init (uses ctx->training). */
static inline lt_tensor *lt_batchnorm(lt_ctx *c, lt_batchnorm_layer *l, const lt_tensor *x) {
    return c->api->batchnorm_forward(c, l, x);
}
/* nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True) */
static inline lt_status lt_layernorm_init(lt_ctx *c, lt_layernorm_layer *l, const char *name,
                                          int ndim, const int64_t *normalized_shape) {
    return c->api->layernorm_init(c, l, name, ndim, normalized_shape, 1e-5, true);
}
static inline lt_tensor *lt_layernorm(lt_ctx *c, const lt_layernorm_layer *l, const lt_tensor *x) {
    return c->api->layer_norm(c, x, l->normalized_ndim, l->weight, l->bias, l->eps);
}
/* nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True) */
static inline lt_status lt_groupnorm_init(lt_ctx *c, lt_groupnorm_layer *l, const char *name,
                                          int64_t num_groups, int64_t num_channels) {
    return c->api->groupnorm_init(c, l, name, num_groups, num_channels, 1e-5, true);
}
static inline lt_tensor *lt_groupnorm(lt_ctx *c, const lt_groupnorm_layer *l, const lt_tensor *x) {
    return c->api->group_norm(c, x, l->num_groups, l->weight, l->bias, l->eps);
}
static inline lt_status lt_embedding_init(lt_ctx *c, lt_embedding_layer *l, const char *name,
                                          int64_t num_embeddings, int64_t embedding_dim,
                                          int64_t padding_idx) {
    return c->api->embedding_init(c, l, name, num_embeddings, embedding_dim, padding_idx);
}
/* Apply a layer made by lt_embedding_init to int64 indices. */
static inline lt_tensor *lt_embed(lt_ctx *c, const lt_embedding_layer *l, const lt_tensor *idx) {
    return c->api->embedding(c, l->weight, idx, l->padding_idx);
}

static inline double lt_calculate_gain(lt_ctx *c, const char *nonlinearity, double param) {
    return c->api->calculate_gain(c, nonlinearity, param);
}
static inline void lt_init_xavier_uniform(lt_ctx *c, lt_tensor *t, double gain) {
    c->api->init_xavier_uniform(c, t, gain);
}
static inline void lt_init_xavier_normal(lt_ctx *c, lt_tensor *t, double gain) {
    c->api->init_xavier_normal(c, t, gain);
}
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
static inline void lt_init_trunc_normal(lt_ctx *c, lt_tensor *t, double mean, double std,
                                        double a, double b) {
    c->api->init_trunc_normal(c, t, mean, std, a, b);
}
static inline void lt_init_zeros(lt_ctx *c, lt_tensor *t) { c->api->init_constant(c, t, 0.0); }
static inline void lt_init_ones(lt_ctx *c, lt_tensor *t) { c->api->init_constant(c, t, 1.0); }

static inline lt_tensor *lt_batch_at(lt_ctx *c, const lt_batch *b, int field) {
    return c->api->batch_at(c, b, field);
}
static inline int64_t lt_batch_size(lt_ctx *c, const lt_batch *b) {
    return c->api->batch_size(b);
}

static inline lt_optimizer *lt_sgd(lt_ctx *c, const lt_sgd_options *o) { return c->api->sgd(c, o); }
static inline lt_optimizer *lt_adam(lt_ctx *c, const lt_adam_options *o) { return c->api->adam(c, o); }

static inline uint64_t lt_seed(lt_ctx *c) { return c->api->seed(c); }
static inline void lt_randperm(lt_ctx *c, uint64_t seed, int64_t n, int64_t *out) {
    c->api->randperm(seed, n, out);
}

/* ABI 1.3: attention — F.scaled_dot_product_attention (see the host API member) */
static inline lt_tensor *lt_scaled_dot_product_attention(lt_ctx *c, const lt_tensor *q,
                                                         const lt_tensor *k, const lt_tensor *v,
                                                         const lt_tensor *attn_mask, bool is_causal,
                                                         double scale) {
    return c->api->scaled_dot_product_attention(c, q, k, v, attn_mask, is_causal, scale);
}

/* ABI 1.4: logging — self.log(name, value, **opt), self.log_dict(dict, **opt) */
static inline void lt_log_ex(lt_ctx *c, const char *name, const lt_tensor *v,
                             const lt_log_options *o) {
    c->api->log_ex(c, name, v, o);
}
static inline void lt_log_value_ex(lt_ctx *c, const char *name, double v,
                                   const lt_log_options *o) {
    c->api->log_value_ex(c, name, v, o);
}
static inline void lt_log_dict(lt_ctx *c, int n, const char *const *names,
                               const lt_tensor *const *values, const lt_log_options *o) {
    c->api->log_dict(c, n, names, values, o);
}
/* trainer.callback_metrics[name] (likewise logged_metrics, progress_bar_metrics) */
static inline bool lt_callback_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_CALLBACK_METRICS, name, v);
}
static inline bool lt_logged_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_LOGGED_METRICS, name, v);
}
static inline bool lt_progress_bar_metric(lt_ctx *c, const char *name, double *v) {
    return c->api->metric_get(c, LT_PROGRESS_BAR_METRICS, name, v);
}
static inline int64_t lt_metrics_count(lt_ctx *c, lt_metrics_dict which) {
    return c->api->metrics_count(c, which);
}
static inline const char *lt_metrics_name(lt_ctx *c, lt_metrics_dict which, int64_t i) {
    return c->api->metrics_name(c, which, i);
}
/* ABI 1.4: predict — an extra named output of predict_step (one dataset per name) */
static inline lt_status lt_predict_output(lt_ctx *c, const char *name, const lt_tensor *v) {
    return c->api->predict_output(c, name, v);
}

/* ABI 1.4: hooks and trainer control (see the host API members) */
static inline int64_t lt_estimated_stepping_batches(lt_ctx *c) {
    return c->api->estimated_stepping_batches(c);
}
static inline bool lt_should_stop(lt_ctx *c) { return c->api->should_stop(c); }
static inline void lt_set_should_stop(lt_ctx *c, bool stop) { c->api->set_should_stop(c, stop); }
static inline lt_status lt_optimizer_step(lt_ctx *c, lt_optimizer *o, lt_closure *closure) {
    return c->api->optimizer_step(c, o, closure);
}
static inline lt_status lt_optimizer_zero_grad(lt_ctx *c, lt_optimizer *o) {
    return c->api->optimizer_zero_grad(c, o);
}
static inline lt_status lt_closure_run(lt_ctx *c, lt_closure *closure) {
    return c->api->closure_run(c, closure);
}
static inline lt_status lt_clip_gradients(lt_ctx *c, lt_optimizer *o, double val,
                                          const char *algorithm) {
    return c->api->clip_gradients(c, o, val, algorithm);
}
static inline void lt_train_mode(lt_ctx *c, bool mode) { c->api->train_mode(c, mode); }
static inline lt_status lt_batch_set(lt_ctx *c, lt_batch *b, int field, lt_tensor *value) {
    return c->api->batch_set(c, b, field, value);
}
/* ABI 1.4: optimizers, param groups, LR schedulers (see the host API members) */
static inline lt_optimizer *lt_adamw(lt_ctx *c, const lt_adamw_options *o) { return c->api->adamw(c, o); }
static inline lt_optimizer *lt_rmsprop(lt_ctx *c, const lt_rmsprop_options *o) { return c->api->rmsprop(c, o); }
static inline lt_optimizer *lt_adagrad(lt_ctx *c, const lt_adagrad_options *o) { return c->api->adagrad(c, o); }
static inline int lt_param_group(lt_ctx *c, lt_optimizer *o, const char *names) {
    return c->api->param_group(c, o, names);
}
static inline lt_status lt_group_set(lt_ctx *c, lt_optimizer *o, int group, const char *key, double v) {
    return c->api->group_set(c, o, group, key, v);
}
static inline double lt_group_get(lt_ctx *c, const lt_optimizer *o, int group, const char *key) {
    return c->api->group_get(o, group, key);
}
static inline int lt_num_param_groups(lt_ctx *c, const lt_optimizer *o) { return c->api->num_param_groups(o); }
static inline lt_lr_scheduler *lt_step_lr(lt_ctx *c, lt_optimizer *o, int64_t step_size, double gamma) {
    return c->api->step_lr(c, o, step_size, gamma);
}
static inline lt_lr_scheduler *lt_multistep_lr(lt_ctx *c, lt_optimizer *o, const int64_t *milestones,
                                               int n, double gamma) {
    return c->api->multistep_lr(c, o, milestones, n, gamma);
}
static inline lt_lr_scheduler *lt_exponential_lr(lt_ctx *c, lt_optimizer *o, double gamma) {
    return c->api->exponential_lr(c, o, gamma);
}
static inline lt_lr_scheduler *lt_cosine_annealing_lr(lt_ctx *c, lt_optimizer *o, int64_t t_max,
                                                      double eta_min) {
    return c->api->cosine_annealing_lr(c, o, t_max, eta_min);
}
static inline lt_lr_scheduler *lt_cosine_annealing_warm_restarts(lt_ctx *c, lt_optimizer *o,
                                                                 int64_t t_0, int64_t t_mult,
                                                                 double eta_min) {
    return c->api->cosine_annealing_warm_restarts(c, o, t_0, t_mult, eta_min);
}
static inline lt_lr_scheduler *lt_one_cycle_lr(lt_ctx *c, lt_optimizer *o, const lt_one_cycle_options *oc) {
    return c->api->one_cycle_lr(c, o, oc);
}
static inline lt_lr_scheduler *lt_linear_lr(lt_ctx *c, lt_optimizer *o, double start_factor,
                                            double end_factor, int64_t total_iters) {
    return c->api->linear_lr(c, o, start_factor, end_factor, total_iters);
}
static inline lt_lr_scheduler *lt_constant_lr(lt_ctx *c, lt_optimizer *o, double factor, int64_t total_iters) {
    return c->api->constant_lr(c, o, factor, total_iters);
}
static inline lt_lr_scheduler *lt_lambda_lr(lt_ctx *c, lt_optimizer *o,
                                            double (*fn)(int64_t epoch, void *user), void *user) {
    return c->api->lambda_lr(c, o, fn, user);
}
static inline lt_lr_scheduler *lt_sequential_lr(lt_ctx *c, lt_optimizer *o, lt_lr_scheduler *const *s,
                                                int n, const int64_t *milestones) {
    return c->api->sequential_lr(c, o, s, n, milestones);
}
static inline lt_lr_scheduler *lt_reduce_lr_on_plateau(lt_ctx *c, lt_optimizer *o,
                                                       const lt_plateau_options *po) {
    return c->api->reduce_lr_on_plateau(c, o, po);
}
static inline lt_status lt_lr_scheduler_step(lt_ctx *c, lt_lr_scheduler *s) {
    return c->api->lr_scheduler_step(c, s);
}
static inline lt_status lt_lr_scheduler_step_metric(lt_ctx *c, lt_lr_scheduler *s, double metric) {
    return c->api->lr_scheduler_step_metric(c, s, metric);
}
static inline lt_status lt_lr_scheduler_step_epoch(lt_ctx *c, lt_lr_scheduler *s, double epoch) {
    return c->api->lr_scheduler_step_epoch(c, s, epoch);
}
static inline double lt_lr_scheduler_last_lr(lt_ctx *c, const lt_lr_scheduler *s, int group) {
    return c->api->lr_scheduler_last_lr(s, group);
}
static inline lt_status lt_add_optimizer(lt_ctx *c, lt_optimizer *o) { return c->api->add_optimizer(c, o); }
static inline lt_status lt_add_lr_scheduler(lt_ctx *c, lt_lr_scheduler *s, const lt_lr_scheduler_config *cfg) {
    return c->api->add_lr_scheduler(c, s, cfg);
}
static inline lt_optimizer *lt_optimizers(lt_ctx *c, int i) { return c->api->optimizers(c, i); }
static inline lt_lr_scheduler *lt_lr_schedulers(lt_ctx *c, int i) { return c->api->lr_schedulers(c, i); }
/* ABI 1.4: log_every_n_steps — trainer._logger_connector.should_update_logs */
static inline bool lt_should_update_logs(lt_ctx *c) { return c->api->should_update_logs(c); }

/* ABI 1.4: manual optimization (see the host API members) */
static inline lt_status lt_set_automatic_optimization(lt_ctx *c, bool automatic) {
    return c->api->set_automatic_optimization(c, automatic);
}
static inline bool lt_automatic_optimization(lt_ctx *c) { return c->api->automatic_optimization(c); }
static inline lt_status lt_manual_backward(lt_ctx *c, lt_tensor *loss) { return c->api->manual_backward(c, loss); }
static inline lt_status lt_toggle_optimizer(lt_ctx *c, lt_optimizer *o) { return c->api->toggle_optimizer(c, o); }
static inline lt_status lt_untoggle_optimizer(lt_ctx *c, lt_optimizer *o) {
    return c->api->untoggle_optimizer(c, o);
}
static inline lt_status lt_optimizer_params(lt_ctx *c, lt_optimizer *o, const char *names) {
    return c->api->optimizer_params(c, o, names);
}
static inline bool lt_requires_grad(lt_ctx *c, const lt_tensor *t) { return c->api->requires_grad(t); }
static inline lt_status lt_set_requires_grad(lt_ctx *c, lt_tensor *p, bool requires_grad) {
    return c->api->set_requires_grad(c, p, requires_grad);
}
static inline const char *lt_default_root_dir(lt_ctx *c) { return c->api->default_root_dir(c); }
/* ABI 1.4: checkpoints */
static inline lt_status lt_save_checkpoint(lt_ctx *c, const char *path, bool weights_only) {
    return c->api->save_checkpoint(c, path, weights_only);
}
/* ABI 1.4: callbacks (see the host API members) */
static inline const char *lt_hp_json(lt_ctx *c, const lt_hparams *h, const char *k) {
    return c->api->hp_json(c, h, k);
}
static inline double lt_trainer_flag(lt_ctx *c, const char *key) { return c->api->trainer_flag(c, key); }
static inline const char *lt_optimizer_name(lt_ctx *c, const lt_optimizer *o) {
    return c->api->optimizer_name(o);
}
static inline lt_optimizer *lt_lr_scheduler_config_at(lt_ctx *c, int i, lt_lr_scheduler_config *cfg) {
    return c->api->lr_scheduler_config(c, i, cfg);
}
static inline lt_status lt_logger_log_metrics(lt_ctx *c, int n, const char *const *names,
                                              const double *values) {
    return c->api->logger_log_metrics(c, n, names, values);
}
static inline void lt_callback_metric_set(lt_ctx *c, const char *name, double v) {
    c->api->callback_metric_set(c, name, v);
}
static inline lt_status lt_set_accumulate_grad_batches(lt_ctx *c, int64_t n) {
    return c->api->set_accumulate_grad_batches(c, n);
}
/* ABI 1.4: checkpoint hooks */
static inline lt_status lt_ckpt_put_tensor(lt_ctx *c, lt_ckpt_writer *w, const char *key,
                                           const lt_tensor *t) {
    return c->api->ckpt_put_tensor(c, w, key, t);
}
static inline lt_status lt_ckpt_put_json(lt_ctx *c, lt_ckpt_writer *w, const char *key,
                                         const char *json) {
    return c->api->ckpt_put_json(c, w, key, json);
}
static inline lt_status lt_ckpt_get_tensor(lt_ctx *c, lt_ckpt_reader *r, const char *key,
                                           lt_tensor *dst) {
    return c->api->ckpt_get_tensor(c, r, key, dst);
}
static inline const char *lt_ckpt_get_json(lt_ctx *c, lt_ckpt_reader *r, const char *key) {
    return c->api->ckpt_get_json(c, r, key);
}
static inline bool lt_ckpt_has_key(lt_ctx *c, lt_ckpt_reader *r, const char *key) {
    return c->api->ckpt_has_key(c, r, key);
}
/* ABI 1.4: model_checkpoint paths */
static inline void lt_checkpoint_paths_set(lt_ctx *c, const char *best, const char *last) {
    c->api->checkpoint_paths_set(c, best, last);
}
/* ABI 1.4: progress bar */
static inline const char *lt_model_summary(lt_ctx *c, int max_depth) {
    return c->api->model_summary(c, max_depth);
}
/* ABI 1.4: swa */
static inline int64_t lt_param_count(lt_ctx *c) { return c->api->param_count(c); }
static inline lt_tensor *lt_param_at(lt_ctx *c, int64_t i, const char **name) {
    return c->api->param_at(c, i, name);
}
static inline int64_t lt_buffer_count(lt_ctx *c) { return c->api->buffer_count(c); }
static inline lt_tensor *lt_buffer_at(lt_ctx *c, int64_t i, const char **name) {
    return c->api->buffer_at(c, i, name);
}
static inline lt_status lt_lr_scheduler_config_remove(lt_ctx *c, int i) {
    return c->api->lr_scheduler_config_remove(c, i);
}
/* ABI 1.5: module hooks */
static inline lt_status lt_add_callback(lt_ctx *c, const char *name_or_path, const char *json) {
    return c->api->add_callback(c, name_or_path, json);
}
static inline lt_status lt_tensor_backward(lt_ctx *c, lt_tensor *loss) {
    return c->api->tensor_backward(c, loss);
}
/* ABI 1.5: checkpoint dir */
static inline lt_status lt_checkpoint_dir(lt_ctx *c, char *buf, size_t cap) {
    return c->api->checkpoint_dir(c, buf, cap);
}
static inline void lt_checkpoint_dirpath_add(lt_ctx *c, const char *dirpath) {
    c->api->checkpoint_dirpath_add(c, dirpath);
}
/* ABI 1.5: update_bn */
static inline lt_status lt_update_bn(lt_ctx *c) { return c->api->update_bn(c); }

/* ABI 1.5: transforms */
static inline void lt_sample_rng(lt_ctx *c, lt_split split, int64_t index, lt_rng *out) {
    c->api->sample_rng(c, split, index, out);
}
static inline double lt_rng_uniform(lt_ctx *c, lt_rng *r) { return c->api->rng_uniform(r); }
static inline int64_t lt_rng_randint(lt_ctx *c, lt_rng *r, int64_t low, int64_t high) {
    return c->api->rng_randint(r, low, high);
}
static inline lt_status lt_tf_to_tensor(lt_ctx *c, const uint8_t *hwc, int64_t h, int64_t w,
                                        int64_t ch, float *chw) {
    return c->api->tf_to_tensor(c, hwc, h, w, ch, chw);
}
static inline lt_status lt_tf_normalize(lt_ctx *c, float *chw, int64_t ch, int64_t h, int64_t w,
                                        const float *mean, const float *std) {
    return c->api->tf_normalize(c, chw, ch, h, w, mean, std);
}
static inline lt_status lt_tf_random_crop(lt_ctx *c, lt_rng *r, const float *src, int64_t ch,
                                          int64_t h, int64_t w, float *dst,
                                          const lt_crop_options *o) {
    return c->api->tf_random_crop(c, r, src, ch, h, w, dst, o);
}
static inline bool lt_tf_random_hflip(lt_ctx *c, lt_rng *r, float *chw, int64_t ch, int64_t h,
                                      int64_t w, double p) {
    return c->api->tf_random_hflip(r, chw, ch, h, w, p);
}
/* ABI 1.5: random_split, Subset, ConcatDataset */
static inline lt_status lt_random_split(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                                        uint64_t seed, int64_t *perm, int64_t *sizes) {
    return ctx->api->random_split(ctx, n, lengths, k, seed, perm, sizes);
}
/* ABI 1.5: data loader */
static inline bool lt_worker_info(lt_ctx *c, int *worker_id, int *num_workers) {
    return c->api->worker_info(c, worker_id, num_workers);
}
/* ABI 1.6: a new, empty temporary file to replace `target` by rename, in target's folder:
 * DIR/.BASE.ltrun-tmp-<pid>-<12 random letters and digits>, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (mode 0666 & ~umask), so a file or symlink planted at a name
 * someone can predict is never written through. Returns its fd (O_WRONLY, close-on-exec;
 * fdopen(fd, "w") for stdio) and writes its path to path_out[cap]; -1 with errno set on
 * failure (nothing created). The caller owns the file: write it, close it, then rename
 * path_out over target (rename replaces a symlink at target, never follows it) or unlink
 * path_out on any error. Temporary files of writers that no longer run (kill -9) are
 * removed from that folder first, as for checkpoints; nothing else is touched. */
static inline int lt_tmp_create(lt_ctx *c, const char *target, char *path_out, size_t cap) {
    return c->api->tmp_create(c, target, path_out, cap);
}
/* torch.utils.data.Subset(dataset, indices)[idx] = dataset[indices[idx]]: the index into
 * the underlying dataset, with Python's negative indexing (-1 = the last); -1 when idx is
 * out of range (torch's IndexError). Use it in get_item with the part of a random_split. */
static inline int64_t lt_subset_index(const int64_t *indices, int64_t len, int64_t idx) {
    if (idx < 0) idx += len;
    if (idx < 0 || idx >= len) return -1;
    return indices[idx];
}
/* torch.utils.data.ConcatDataset: cum[i] = len(d_0) + ... + len(d_i) (cumulative_sizes);
 * returns the total length. */
static inline int64_t lt_concat_cumsum(const int64_t *lens, int k, int64_t *cum) {
    int64_t s = 0;
    for (int i = 0; i < k; i++) cum[i] = s += lens[i];
    return s;
}
/* ConcatDataset.__getitem__(idx): which dataset holds idx (bisect_right over the
 * cumulative sizes) and the index inside it (*sample_idx). A negative idx counts from the
 * end, as torch; returns -1 when |idx| exceeds the length (torch's ValueError) or idx is
 * past the end (IndexError). Empty datasets are skipped as bisect_right skips them. */
static inline int lt_concat_locate(const int64_t *cum, int k, int64_t idx, int64_t *sample_idx) {
    int64_t total = k > 0 ? cum[k - 1] : 0;
    if (idx < 0) {
        if (-idx > total) return -1;
        idx += total;
    }
    int lo = 0, hi = k; /* bisect.bisect_right(cum, idx) */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (idx < cum[mid]) hi = mid;
        else lo = mid + 1;
    }
    if (lo >= k) return -1;
    if (sample_idx) *sample_idx = lo == 0 ? idx : idx - cum[lo - 1];
    return lo;
}

#ifdef __cplusplus
}
#endif

#include "ltrun/strategy.h"

#endif /* LTRUN_H */
