/* dataloader.c — sampling, batching and collation of a data module's samples. */
#include "data/dataloader.h"

#include "accelerators/registry.h"
#include "core/context.h"
#include "data/collate.h"
#include "data/collate_fn.h"
#include "data/iter_workers.h"
#include "data/iterable.h"
#include "data/sample_store.h"
#include "data/transforms.h"
#include "data/workers.h"
#include "tensor/tensor.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ltr_split_name(lt_split split) {
    switch (split) {
    case LT_SPLIT_TRAIN: return "train";
    case LT_SPLIT_VAL: return "val";
    case LT_SPLIT_TEST: return "test";
    case LT_SPLIT_PREDICT: return "predict";
    }
    return "?";
}

static int64_t field_numel(const lt_field *f) {
    int64_t n = 1;
    for (int d = 0; d < f->ndim; d++) n *= f->shape[d];
    return n;
}

lt_status ltr_dataloader_init(ltr_dataloader *dl, lt_ctx *ctx, const lt_dataset *ds,
                              lt_split split, ltr_get_item_fn get_item, void *dm_self,
                              uint64_t seed) {
    static const ltr_sampler_policy defaults = {.use_distributed_sampler = true};
    return ltr_dataloader_init_policy(dl, ctx, ds, split, get_item, dm_self, seed, &defaults);
}

lt_status ltr_dataloader_init_policy(ltr_dataloader *dl, lt_ctx *ctx, const lt_dataset *ds,
                                     lt_split split, ltr_get_item_fn get_item, void *dm_self,
                                     uint64_t seed, const ltr_sampler_policy *policy) {
    memset(dl, 0, sizeof *dl);
    const char *sn = ltr_split_name(split);
    if (ds->length < 0 && !ds->iterable)
        return ltr_fail(ctx, "the %s dataset has no data (length < 0)", sn);
    if (ds->batch_size < 1)
        return ltr_fail(ctx, "the %s dataset: batch_size must be >= 1, got %lld", sn,
                        (long long)ds->batch_size);
    if (ds->nfields < 1 || ds->nfields > LT_MAX_FIELDS)
        return ltr_fail(ctx, "the %s dataset: nfields must be 1..%d, got %d", sn, LT_MAX_FIELDS,
                        ds->nfields);
    /* ABI 1.9: an iterable split is read by iter_next (ltr_iterable_attach checks it) */
    if (!get_item && !ds->iterable) return ltr_fail(ctx, "the data module has no get_item hook");
    for (int f = 0; f < ds->nfields; f++) {
        const lt_field *fd = &ds->fields[f];
        if (fd->ndim < 0 || fd->ndim >= LT_MAX_DIMS)
            return ltr_fail(ctx, "the %s dataset: field %d has ndim %d (0..%d)", sn, f, fd->ndim,
                            LT_MAX_DIMS - 1);
        if ((unsigned)fd->dtype > LT_BOOL)
            return ltr_fail(ctx, "the %s dataset: field %d has an unknown dtype %d", sn, f,
                            (int)fd->dtype);
        for (int d = 0; d < fd->ndim; d++)
            if (fd->shape[d] < 0 && fd->shape[d] != LT_VARIABLE_DIM)
                return ltr_fail(ctx, "the %s dataset: field %d has a negative dimension (only "
                                     "LT_VARIABLE_DIM (-1) marks a variable length)", sn, f);
    }
    /* torch.utils.data.DataLoader.__init__'s checks (torch 1.13 wording),
     * naming the split and the --data.* option that overrides the value */
    if (ds->num_workers < 0)
        return ltr_fail(ctx, "the %s loader: num_workers option should be non-negative; use "
                        "num_workers=0 to disable multiprocessing (got %d; --data.num_workers)",
                        sn, (int)ds->num_workers);
    /* 0 counts as not given (torch 2.x's None): a description zeroed by its caller */
    if (ds->num_workers == 0 && ds->prefetch_factor != 2 && ds->prefetch_factor != 0)
        return ltr_fail(ctx, "the %s loader: prefetch_factor option could only be specified in "
                        "multiprocessing. let num_workers > 0 to enable multiprocessing (got "
                        "prefetch_factor %d with num_workers 0; --data.num_workers)",
                        sn, (int)ds->prefetch_factor);
    if (ds->num_workers > 0 && ds->prefetch_factor < 1) /* torch: assert prefetch_factor > 0 */
        return ltr_fail(ctx, "the %s loader: prefetch_factor must be > 0, got %d "
                        "(--data.prefetch_factor)", sn, (int)ds->prefetch_factor);
    if (ds->persistent_workers && ds->num_workers == 0)
        return ltr_fail(ctx, "the %s loader: persistent_workers option needs num_workers > 0 "
                        "(--data.num_workers)", sn);
    /* ABI 1.9: DataLoader(timeout=) and torch's IterableDataset rules */
    if (!(ds->timeout >= 0))
        return ltr_fail(ctx, "the %s loader: timeout option should be non-negative (got %g; "
                        "--data.timeout)", sn, ds->timeout);
    if (ds->iterable && ds->shuffle)
        return ltr_fail(ctx, "the %s loader: DataLoader with IterableDataset: expected "
                        "unspecified shuffle option, but got shuffle=True (an iterable dataset "
                        "yields in its own order: shuffle inside iter_next, e.g. with a buffer)", sn);
    if (ds->iterable && ds->sampler != LT_SAMPLER_AUTO)
        return ltr_fail(ctx, "the %s loader: DataLoader with IterableDataset: expected "
                        "unspecified sampler option, but got sampler=%d (leave ds.sampler at "
                        "LT_SAMPLER_AUTO)", sn, (int)ds->sampler);
    if ((int64_t)ds->num_workers * ds->prefetch_factor > 4096)
        return ltr_fail(ctx, "the %s loader: num_workers * prefetch_factor = %lld batches in "
                        "flight is more than 4096", sn,
                        (long long)ds->num_workers * ds->prefetch_factor);
    static atomic_bool pin_warned; /* Python's warnings show one location's warning once */
    if (ds->pin_memory && !atomic_exchange(&pin_warned, true)) {
        /* PyTorch ignores pin_memory without an accelerator and warns (torch 2.x
         * _BaseDataLoaderIter); the CPU accelerator has no page-locked host memory to
         * give, and mlock is not the same thing, so the buffers stay ordinary. */
        fprintf(stderr, "UserWarning: 'pin_memory' argument is set as true but no accelerator "
                        "is found, then device pinned memory won't be used.\n");
    }
    dl->ds = *ds;
    dl->split = split;
    dl->get_item = get_item;
    dl->dm_self = dm_self;
    dl->ctx = ctx;
    dl->seed = ds->seed >= 0 ? (uint64_t)ds->seed : seed; /* ds.seed -1 = the run's */
    dl->iterable = ds->iterable;
    /* the sampler (data/sampler.h) over the trainer's rank and world size; an iterable
     * dataset has none (torch's _InfiniteConstantSampler; Lightning adds no
     * DistributedSampler to it) */
    if (!dl->iterable &&
        ltr_sampler_init(&dl->sampler, ctx, ds, split, dl->seed, ctx->rank, ctx->world_size,
                         policy->use_distributed_sampler, policy->overfit_batches) != LT_OK) {
        ltr_dataloader_free(dl);
        return LT_ERROR;
    }
    dl->order_len = dl->iterable ? 0 : ltr_sampler_len(&dl->sampler);
    dl->order = malloc((size_t)(dl->order_len ? dl->order_len : 1) * sizeof *dl->order);
    /* a batch holds at most len(sampler) samples: a batch_size larger than the dataset
     * (torch: one batch of everything) gets buffers of the samples there are; an
     * iterable one's batches hold up to batch_size */
    int64_t rows = ds->batch_size < dl->order_len || dl->iterable ? ds->batch_size : dl->order_len;
    if (rows < 1) rows = 1;
    for (int f = 0; f < ds->nfields; f++) {
        const lt_field *fd = &ds->fields[f];
        int64_t numel = rows, bytes = 0;
        bool over = false;
        for (int d = 0; d < fd->ndim; d++)
            over |= __builtin_mul_overflow(numel, fd->shape[d] < 0 ? 0 : fd->shape[d], &numel);
        over |= __builtin_mul_overflow(numel, (int64_t)ltr_dtype_size(fd->dtype), &bytes);
        if (over || bytes > INT64_MAX - 64) {
            ltr_dataloader_free(dl);
            return ltr_fail(ctx, "the %s dataset: field %d ('%s') is too large: %lld samples "
                                 "of its shape overflow a 64-bit size", sn, f,
                            fd->name ? fd->name : "?", (long long)rows);
        }
    }
    dl->nslots = ds->num_workers ? ds->num_workers * ds->prefetch_factor + 1 : 1;
    /* iterable: the held batch and the one fetched ahead (data/iterable.h), or each
     * worker's ring (data/iter_workers.h) */
    if (dl->iterable)
        dl->nslots = ds->num_workers ? ltr_iter_workers_nslots(ds->num_workers, ds->prefetch_factor) : 2;
    dl->slots = calloc((size_t)dl->nslots, sizeof *dl->slots);
    if (!dl->order || !dl->slots) goto oom;
    for (int s = 0; s < dl->nslots; s++) {
        struct lt_batch *b = &dl->slots[s];
        b->nfields = ds->nfields;
        for (int f = 0; f < ds->nfields; f++) {
            const lt_field *fd = &ds->fields[f];
            lt_tensor *t = calloc(1, sizeof *t);
            if (!t) goto oom;
            b->fields[f] = t;
            t->dtype = fd->dtype;
            t->device = ltr_ctx_of(ctx)->device;
            int64_t shape[LT_MAX_DIMS] = {rows};
            for (int d = 0; d < fd->ndim; d++) shape[d + 1] = fd->shape[d] < 0 ? 0 : fd->shape[d];
            ltr_set_shape(t, fd->ndim + 1, shape);
            /* ABI 1.5: variable-length fields get their buffers per batch (data/collate.c) */
            if (ltr_field_is_variable(fd)) dl->variable = true;
            size_t bytes = ltr_field_is_variable(fd) ? 0 :
                           (size_t)(rows * field_numel(fd)) * ltr_dtype_size(fd->dtype);
            t->data = ltr_slot_alloc(t, bytes);
            if (!t->data) goto oom;
        }
    }
    if (ds->num_workers > 0 && !dl->iterable && !(dl->workers = ltr_workers_new(dl))) goto oom;
    if (ds->num_workers > 0 && dl->iterable && !(dl->iter_workers = ltr_iter_workers_new(dl)))
        goto oom;
    ltr_dataloader_set_epoch(dl, 0);
    return LT_OK;
oom:
    ltr_dataloader_free(dl);
    return ltr_fail(ctx, "out of memory for the %s loader's batch buffers (lower the "
                          "data module's batch_size, or --data.prefetch_factor with workers)", sn);
}

void *ltr_slot_alloc(const lt_tensor *t, size_t bytes) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    return dev->host_alloc(self, bytes);
}

void ltr_slot_free(const lt_tensor *t, void *p) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    dev->host_free(self, p);
}

lt_status ltr_dataloader_attach(ltr_dataloader *dl, const ltr_loader_hooks *h) {
    /* ABI 1.5: variable-length samples of a map-style dataset need item_shape; an
     * iterable one gives each sample's shape with lt_sample_field */
    if (!dl->iterable && ltr_collate_attach(dl, h->item_shape) != LT_OK) return LT_ERROR;
    if (ltr_iterable_attach(dl, h->iter_begin, h->iter_next, h->iter_end) != LT_OK) return LT_ERROR;
    dl->collate_fn = h->collate; /* ABI 1.9: collate_fn */
    if ((h->collate || (dl->iterable && dl->variable)) && ltr_sample_stores_attach(dl) != LT_OK)
        return LT_ERROR;
    dl->worker_init = h->worker_init; /* ABI 1.5 */
    return LT_OK;
}

void ltr_dataloader_free(ltr_dataloader *dl) {
    bool stopped = true; /* workers joined before the buffers go */
    if (dl->workers) stopped = ltr_workers_free(dl->workers);
    if (dl->iter_workers) stopped = ltr_iter_workers_free(dl->iter_workers) && stopped;
    if (!stopped) { /* ABI 1.9: a worker stuck after a timeout may still write here */
        ltr_dataloader *keep = malloc(sizeof *keep);
        if (keep) *keep = *dl;
        ltr_workers_leave_behind(keep);
        memset(dl, 0, sizeof *dl);
        return;
    }
    ltr_iter_stream_free(dl);
    ltr_sample_stores_free(dl);
    ltr_collate_free(dl);
    for (int s = 0; dl->slots && s < dl->nslots; s++)
        for (int f = 0; f < LT_MAX_FIELDS; f++) {
            if (!dl->slots[s].fields[f]) continue;
            ltr_slot_free(dl->slots[s].fields[f], dl->slots[s].fields[f]->data);
            free(dl->slots[s].fields[f]);
        }
    free(dl->slots);
    free(dl->order);
    if (!dl->iterable) ltr_sampler_free(&dl->sampler);
    memset(dl, 0, sizeof *dl);
}

int64_t ltr_dataloader_len(const ltr_dataloader *dl) {
    int64_t n = dl->order_len, b = dl->ds.batch_size;
    if (dl->iterable) { /* torch: len(dataset) batched, when the dataset has a __len__ */
        if (dl->ds.length < 0) return LTR_LEN_UNKNOWN;
        n = dl->ds.length;
    }
    return dl->ds.drop_last ? n / b : n / b + (n % b != 0); /* no n + b - 1: b may be huge */
}

void ltr_dataloader_set_epoch(ltr_dataloader *dl, int64_t epoch) {
    /* a new epoch's iterator: what is in flight belongs to the old order; the workers
     * end here unless persistent_workers (PyTorch shuts them down with the iterator) */
    if (dl->workers) ltr_workers_stop(dl->workers, !dl->ds.persistent_workers);
    if (dl->iter_workers) ltr_iter_workers_stop(dl->iter_workers, !dl->ds.persistent_workers);
    ltr_iter_stream_reset(dl); /* ABI 1.9: iter(dataloader) makes a new iterator */
    /* workers fetch only between a restart and this stop: dl->epoch is constant for them */
    dl->epoch = epoch;
    if (dl->iterable) return;
    /* the sampler's order, reproducible from (seed, epoch, rank, world) alone so
     * a resumed run sees the same order (data/sampler.h) */
    dl->sampler.seed = dl->seed; /* a checkpoint restore may have set dl->seed */
    ltr_sampler_order(&dl->sampler, epoch, dl->order);
}

/* batches at least this big are fetched in parallel (below, the threads cost more) */
#define PARALLEL_FETCH_BYTES (64 * 1024)

int64_t ltr_dataloader_batch_samples(const ltr_dataloader *dl, int64_t b) {
    int64_t bs = dl->ds.batch_size, start = b * bs;
    return dl->order_len - start < bs ? dl->order_len - start : bs;
}

lt_status ltr_dataloader_fetch_batch(ltr_dataloader *dl, struct lt_batch *slot, int64_t start,
                                     int64_t n, lt_ctx *ctx, bool omp) {
    ctx->dataloader_idx = dl->dataloader_idx; /* ABI 1.9: the hooks see their loader */
    /* ABI 1.9: a collate hook: whole samples staged, then collated (data/collate_fn.c) */
    if (dl->staged) return ltr_staged_fetch(dl, (int)(slot - dl->slots), start, n, ctx);
    /* ABI 1.5: variable-length fields: item_shape, staging, padding (data/collate.c) */
    if (dl->variable) return ltr_collate_fetch(dl, (int)(slot - dl->slots), start, n, ctx);
    size_t sample_bytes[LT_MAX_FIELDS];
    for (int f = 0; f < dl->ds.nfields; f++) {
        sample_bytes[f] = (size_t)field_numel(&dl->ds.fields[f]) * ltr_dtype_size(dl->ds.fields[f].dtype);
        slot->fields[f]->shape[0] = n; /* a last, partial batch is smaller */
    }
    size_t batch_bytes = 0;
    for (int f = 0; f < dl->ds.nfields; f++) batch_bytes += (size_t)n * sample_bytes[f];
    /* The samples of a batch are fetched on the OpenMP threads (get_item is declared safe
     * to call from loader threads, ltrun.h); each writes only its own rows. */
    int64_t failed_at = -1;
    bool par = omp && n > 1 && batch_bytes >= PARALLEL_FETCH_BYTES;
    if (!par) { /* one by one: stop at the first failure, whose message is in ctx */
        ltr_ctx_take_error(ltr_ctx_of(ctx), NULL, 0);
        for (int64_t i = 0; i < n; i++) {
            void *dst[LT_MAX_FIELDS];
            for (int f = 0; f < dl->ds.nfields; f++)
                dst[f] = (char *)slot->fields[f]->data + (size_t)i * sample_bytes[f];
            int64_t index = dl->order[start + i];
            if (ltr_get_item_scoped(dl->get_item, ctx, dl->dm_self, dl->split, index, dst,
                                    dl->seed, dl->epoch) != LT_OK ||
                ltr_ctx_of(ctx)->failed) {
                char msg[900] = "";
                ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
                return ltr_fail(ctx, "get_item(%s, %lld) failed: %s", ltr_split_name(dl->split),
                                (long long)index, msg[0] ? msg : "(no message)");
            }
        }
        slot->size = n;
        return LT_OK;
    }
    /* Each OpenMP thread gets its own copy of the context for get_item: a failing
     * plugin's lt_fail then writes that copy's error slot, never one another thread
     * writes too (the copy is shallow; get_item may only record errors and draw from
     * lt_sample_rng, ltrun.h). The lowest failing sample is reported with its message. */
    char failed_msg[900] = "";
#pragma omp parallel
    {
        ltr_ctx local = *ltr_ctx_of(ctx);
        local.failed = false;
        local.error[0] = '\0';
#pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            void *dst[LT_MAX_FIELDS];
            for (int f = 0; f < dl->ds.nfields; f++)
                dst[f] = (char *)slot->fields[f]->data + (size_t)i * sample_bytes[f];
            /* ABI 1.5: transforms — lt_sample_rng's (seed, epoch) for the call */
            if (ltr_get_item_scoped(dl->get_item, &local.pub, dl->dm_self, dl->split,
                                    dl->order[start + i], dst, dl->seed, dl->epoch) != LT_OK ||
                local.failed) {
                char msg[900] = "";
                ltr_ctx_take_error(&local, msg, sizeof msg);
#pragma omp critical(ltr_fetch_failure)
                if (failed_at < 0 || i < failed_at) {
                    failed_at = i;
                    memcpy(failed_msg, msg, sizeof msg);
                }
            }
        }
    }
    if (failed_at >= 0)
        return ltr_fail(ctx, "get_item(%s, %lld) failed: %s", ltr_split_name(dl->split),
                        (long long)dl->order[start + failed_at],
                        failed_msg[0] ? failed_msg : "(no message)");
    slot->size = n;
    return LT_OK;
}

lt_status ltr_dataloader_get(ltr_dataloader *dl, int64_t batch_idx, lt_batch **out) {
    if (dl->iterable) { /* ABI 1.9: the stream's next batch, or NULL at its end */
        if (batch_idx < 0)
            return ltr_fail(dl->ctx, "batch %lld is out of range for the %s loader",
                            (long long)batch_idx, ltr_split_name(dl->split));
        return dl->iter_workers ? ltr_iter_workers_get(dl->iter_workers, batch_idx, out)
                                : ltr_iter_stream_get(dl, batch_idx, out);
    }
    int64_t nb = ltr_dataloader_len(dl);
    if (batch_idx < 0 || batch_idx >= nb)
        return ltr_fail(dl->ctx, "batch %lld is out of range for the %s loader (%lld batches)",
                        (long long)batch_idx, ltr_split_name(dl->split), (long long)nb);
    if (dl->workers) return ltr_workers_get(dl->workers, batch_idx, out);
    int64_t n = ltr_dataloader_batch_samples(dl, batch_idx);
    if (ltr_dataloader_fetch_batch(dl, &dl->slots[0], batch_idx * dl->ds.batch_size, n, dl->ctx,
                                   true))
        return LT_ERROR;
    *out = &dl->slots[0];
    return LT_OK;
}

lt_status ltr_dataloader_peek_end(ltr_dataloader *dl, int64_t batch_idx, bool *last) {
    if (!dl->iterable) {
        *last = batch_idx + 1 >= ltr_dataloader_len(dl);
        return LT_OK;
    }
    return dl->iter_workers ? ltr_iter_workers_peek_end(dl->iter_workers, batch_idx, last)
                            : ltr_iter_stream_peek_end(dl, batch_idx, last);
}

lt_tensor *ltr_batch_at(lt_ctx *ctx, const lt_batch *b, int field) {
    if (!b) return NULL;
    if (field < 0 || field >= b->nfields) {
        ltr_fail(ctx, "lt_batch_at: the batch has %d fields, asked for field %d", b->nfields,
                 field);
        return NULL;
    }
    lt_tensor *t = b->fields[field];
    /* precision 64-true: float inputs reach the module as float64, as Lightning's
     * DoublePrecision.convert_input does (an arena copy; the loader's buffer stays) */
    if (ltr_float_dtype(ctx, t->dtype) != t->dtype)
        return ltr_tensor_from(ctx, t->dtype, t->ndim, t->shape, t->data);
    return t;
}

int64_t ltr_batch_size(const lt_batch *b) { return b ? b->size : 0; }

int32_t ltr_batch_nfields(const lt_batch *b) { return b ? b->nfields : 0; }
