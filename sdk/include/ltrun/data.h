/* ltrun/data.h — LightningDataModule hooks, LT_DATAMODULE, batches, transforms and splits */
#ifndef LTRUN_DATA_H
#define LTRUN_DATA_H

#include "types.h"
#include "descriptor.h"
#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

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

    /* ABI 1.9: module hooks — LightningDataModule.transfer_batch_to_device(batch, device,
     * dataloader_idx), as the module's (ltrun/module.h); it wins over the module's. */
    lt_status (*transfer_batch_to_device)(lt_ctx *ctx, void *self, lt_batch *batch,
                                          const char *device, int64_t dataloader_idx);
    /* ABI 1.9: data loading — several dataloaders for a split (val_dataloader,
     * test_dataloader or predict_dataloader returning a list; not asked for train).
     * Returns how many loaders `split` has (NULL, or < 1: one; at most
     * LT_MAX_DATALOADERS). The host then calls dataset once per loader, and item_shape,
     * get_item and worker_init for that loader's samples, with ctx->dataloader_idx set
     * to its index; it runs the loaders one after the other, each under its own
     * limit_*_batches / num_sanity_val_steps, and the step and batch hooks read the
     * index from ctx->dataloader_idx. Metrics logged while loader N runs are named
     * NAME/dataloader_idx_N (lt_log_options.add_dataloader_idx), as Lightning does. */
    int32_t (*num_dataloaders)(lt_ctx *ctx, void *self, lt_split split);

    /* ABI 1.9: iterable datasets — torch.utils.data.IterableDataset, for a split whose
     * dataset hook set ds.iterable (a stream of unknown length: records read from a
     * socket or a file of unknown size, generated samples). The loader makes an iterator
     * per epoch (iter(dataloader)) and asks it for samples until it says it is done:
     *  - iter_begin (may be NULL: *iter stays NULL) is IterableDataset.__iter__: make
     *    the per-iterator state in *iter. It runs on the thread that will pull the
     *    samples: with num_workers > 0 once per worker and epoch, on that worker, where
     *    lt_worker_info gives (worker_id, num_workers) — torch's get_worker_info(), to
     *    yield only the worker's share; without workers lt_worker_info says false: yield
     *    everything. Shard by ctx->rank / ctx->world_size too when several processes
     *    train (Lightning puts no sampler around an IterableDataset).
     *  - iter_next (required) is next(iterator): write the next sample into dst[f], one
     *    buffer per field in its declared shape, and return LT_OK; return
     *    LT_STOP_ITERATION when there is none (it is not called again for this
     *    iterator), LT_ERROR (with lt_fail) on failure. A field with an LT_VARIABLE_DIM
     *    dimension has dst[f] NULL: call lt_sample_field(ctx, f, shape) for its buffer.
     *  - iter_end (may be NULL) frees *iter: after the stream ended, or when the epoch's
     *    iterator is dropped early (limit_*_batches, max_steps, an error), on the same
     *    thread as iter_begin.
     * Batches are formed from consecutive samples of one iterator (batch_size; a short
     * last one unless drop_last); with workers each worker batches its own stream and
     * the batches are taken from the workers in turn, skipping a worker whose stream
     * ended (torch's order). As get_item: loader threads, no lt_* tensor ops. */
    lt_status (*iter_begin)(lt_ctx *ctx, void *self, lt_split split, void **iter);
    lt_status (*iter_next)(lt_ctx *ctx, void *self, lt_split split, void *iter,
                           void *const *dst);
    void (*iter_end)(lt_ctx *ctx, void *self, lt_split split, void *iter);
    /* ABI 1.9: collate — DataLoader's collate_fn: turn the batch's samples (lt_samples:
     * their buffers and concrete shapes) into the batch. Make each output field with
     * lt_collate_field(ctx, out, f, dtype, ndim, shape) — fields 0..k-1, any dtype and
     * shape, the batch dimension included — and fill it; lt_default_collate(ctx, samples,
     * out) is the built-in collate (default_collate: stacking, variable dimensions padded
     * with ds.padding_value) for a hook that only adds to it. The batch size the trainer
     * logs with is dim 0 of field 0 (Lightning's extract_batch_size). NULL: the built-in
     * collate. Runs where the samples are fetched (a loader worker, or the training
     * thread): no lt_* tensor ops, like get_item. */
    lt_status (*collate)(lt_ctx *ctx, void *self, lt_split split, const lt_samples *samples,
                         lt_batch *out);
} lt_datamodule_vtable;

/* ABI 1.9: the most dataloaders one split may have (num_dataloaders) */
#define LT_MAX_DATALOADERS 64

/* LT_DATAMODULE(name, .create = ..., .dataset = ..., .get_item = ...). */
#define LT_DATAMODULE(name, ...) \
    LT__DESCRIPTOR(name, LT_KIND_DATAMODULE, lt_datamodule_vtable, __VA_ARGS__)


static inline lt_tensor *lt_batch_at(lt_ctx *c, const lt_batch *b, int field) {
    return c->api->batch_at(c, b, field);
}
static inline int64_t lt_batch_size(lt_ctx *c, const lt_batch *b) {
    return c->api->batch_size(b);
}
/* ABI 1.9: collate — len(batch): the batch's fields (a collate hook may make more or
 * fewer than the dataset declares) */
static inline int lt_batch_nfields(lt_ctx *c, const lt_batch *b) {
    return (int)c->api->batch_nfields(b);
}

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
/* ABI 1.5: random_split — torch.utils.data.random_split(range(n), lengths,
 * generator=torch.Generator().manual_seed(seed)), bit for bit as PyTorch 1.13's CPU
 * generator. lengths[k]: counts summing to n, or fractions summing to 1 (each
 * floor(n * frac), the remainder added one by one round-robin from part 0; a part of 0
 * warns as torch does). Writes the permutation to perm[n] and the part sizes to
 * sizes[k]: part j is perm[offset_j .. offset_j + sizes[j]), offset_j the sum of the
 * sizes before j. Bad lengths fail with torch's message. */
static inline lt_status lt_random_split(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                                        uint64_t seed, int64_t *perm, int64_t *sizes) {
    return ctx->api->random_split(ctx, n, lengths, k, seed, perm, sizes);
}
/* ABI 1.5: data loader — torch.utils.data.get_worker_info(): on a loader worker
 * thread, true with its id (0..num_workers-1) and the loader's num_workers; false
 * (and -1, 0) on any other thread (num_workers 0 fetches on the compute threads). */
static inline bool lt_worker_info(lt_ctx *c, int *worker_id, int *num_workers) {
    return c->api->worker_info(c, worker_id, num_workers);
}
/* ABI 1.9: iterable datasets — inside iter_next, the buffer for field `field` of the
 * sample being yielded, in `shape` (the field's ndim entries; its fixed dimensions as
 * declared, each LT_VARIABLE_DIM one >= 0), for a field whose dst[f] is NULL. Host-owned
 * until the batch is collated; NULL (with an error recorded) outside iter_next or on a
 * bad shape. */
static inline void *lt_sample_field(lt_ctx *c, int field, const int64_t *shape) {
    return c->api->sample_field(c, field, shape);
}
/* ABI 1.9: collate — sample i's field f (contiguous) and its concrete shape */
static inline const void *lt_sample_data(const lt_samples *s, int64_t i, int f) {
    return s->data[i * s->nfields + f];
}
static inline const int64_t *lt_sample_shape(const lt_samples *s, int64_t i, int f) {
    return s->shapes + ((size_t)i * (size_t)s->nfields + (size_t)f) * LT_MAX_DIMS;
}
/* ABI 1.9: collate — inside the collate hook, make field `field` of the batch `out` with
 * dtype and shape [ndim] (dim 0 the batch's): returns its buffer, zero-filled, for the
 * hook to fill. Fields are numbered 0..k-1 (k <= LT_MAX_FIELDS); making one again
 * replaces it. NULL (with an error recorded) outside collate or on a bad shape. */
static inline void *lt_collate_field(lt_ctx *c, lt_batch *out, int field, lt_dtype dtype,
                                     int ndim, const int64_t *shape) {
    return c->api->collate_field(c, out, field, dtype, ndim, shape);
}
/* ABI 1.9: collate — torch.utils.data.default_collate over `samples` into `out`: field f
 * of the batch is the samples' field f stacked [count, ...], each LT_VARIABLE_DIM
 * dimension padded at its end to the longest with padding_value[f] (what the loader does
 * without a collate hook). Inside the collate hook only. */
static inline lt_status lt_default_collate(lt_ctx *c, const lt_samples *samples, lt_batch *out) {
    return c->api->default_collate(c, samples, out);
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
#endif /* LTRUN_DATA_H */
