/* ltrun/types.h — the ABI version, dtypes, the context and the plain structs plugins fill */
#ifndef LTRUN_TYPES_H
#define LTRUN_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LT_ABI_MAJOR 1
#define LT_ABI_MINOR 9 /* 1.1: conv2d, max_pool2d, conv2d_init; 1.2: unary math ops;
                          1.3: tensor-library breadth;
                          1.4: LT_BFLOAT16, trainer hooks and options;
                          1.5: data pipeline — loader options, samplers, splits,
                               transforms, variable-length samples;
                          1.6: tmp_create — the host's safe temporary file;
                          1.7: strategy plugins (LT_STRATEGY, ltrun/strategy.h), get_extension
                               (the extension query), device-safe copy_, lerp_,
                               tensor_to_host;
                          1.8: gradients for plugins, BatchNorm1d/2d/3d, metrics at a given
                               step, param groups mid-fit, media logging, step
                               outputs to batch-end hooks;
                          1.9: processes and collectives for modules and callbacks
                               (ltrun/distributed.h); module hooks — prepare_data,
                               configure_model and transfer_batch_to_device on the
                               module (the last on the data module too),
                               prepare_data_per_node; data loading — several
                               val/test/predict dataloaders (ctx->dataloader_idx,
                               /dataloader_idx_N metrics); lt_autocast; iterable
                               datasets (lt_dataset.iterable, iter_begin/iter_next/
                               iter_end, LT_STOP_ITERATION, lt_sample_field), the
                               collate hook (lt_samples, lt_collate_field,
                               lt_default_collate), DataLoader timeout; strategy
                               init args, launch inputs (lt_strategy_env),
                               on_exception and should_accumulate (no_sync) */
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
/* ABI 1.9: iterable datasets — what the iter_next hook returns when its stream has no
 * more samples (Python's StopIteration; ltrun/data.h). */
#define LT_STOP_ITERATION 2

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
    /* ABI 1.9: data loading — the index of the val/test/predict dataloader being run
     * (Lightning's dataloader_idx argument; 0 with one dataloader and outside them) */
    int64_t dataloader_idx;
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
    bool sync_dist;         /* the value reduced over the ranks (reduce_fx) when logged */
    /* ABI 1.9: data loading — with several dataloaders the name gets the suffix
     * "/dataloader_idx_N" (True); False keeps the name as given (then give each
     * dataloader its own names) */
    bool add_dataloader_idx;
} lt_log_options;
#define LT_LOG_DEFAULTS                                                                    \
    ((lt_log_options){.size = sizeof(lt_log_options), .on_step = -1, .on_epoch = -1,      \
                      .prog_bar = false, .logger = true, .reduce_fx = NULL,               \
                      .batch_size = 0, .sync_dist = false, .add_dataloader_idx = true})

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
 * Leaving length at -1 (and iterable false) means "this split has no data".
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

    /* ABI 1.9: iterable datasets — torch.utils.data.IterableDataset: the samples come
     * from the data module's iter_begin / iter_next / iter_end hooks (ltrun/data.h), in
     * the order they yield them, instead of get_item by index. `length` is then the
     * dataset's __len__ if it has one (>= 0), or -1: a length nobody knows (no
     * __len__), which Lightning handles as float('inf') batches. shuffle must stay false
     * and sampler LT_SAMPLER_AUTO (torch refuses both for an IterableDataset); Lightning
     * adds no DistributedSampler: shard by ctx->rank / ctx->world_size yourself. */
    bool iterable;
    /* ABI 1.9: data loader — DataLoader(timeout=): the most seconds to wait for a
     * worker's batch before the run stops with "DataLoader timed out after N seconds"
     * (0, the default: wait forever; must be >= 0). As in torch it applies to workers
     * only: without num_workers nothing waits. --data.timeout overrides it. */
    double timeout;
} lt_dataset;

/* ABI 1.9: collate — the samples of one batch as the loader fetched them, what the
 * data module's collate hook receives (torch's collate_fn gets the list of samples).
 * Read-only and host-owned; valid during the hook only. Field f of sample i is
 * contiguous (row-major) in its own concrete shape: a field with an LT_VARIABLE_DIM
 * dimension has the shape item_shape (map-style) or lt_sample_field (iterable) gave. */
typedef struct lt_samples {
    uint32_t size;                /* sizeof(lt_samples) of the host */
    int64_t count;                /* samples in this batch (batch_size, fewer at the end) */
    int32_t nfields;              /* the split's fields (lt_dataset.nfields) */
    const lt_field *fields;       /* their declarations */
    const void *const *data;      /* data[i * nfields + f]: field f of sample i */
    const int64_t *shapes;        /* shapes + (i * nfields + f) * LT_MAX_DIMS: its shape */
    const int64_t *indices;       /* map-style: the dataset index of sample i; NULL for an
                                     iterable dataset */
    const double *padding_value;  /* lt_dataset.padding_value (lt_default_collate pads
                                     variable dimensions with it) */
} lt_samples;

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_TYPES_H */
