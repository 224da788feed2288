/*
 * dataloader.h — torch.utils.data.DataLoader for a data module's split: batching,
 * seeded shuffling per epoch, drop_last, collation into contiguous batch tensors.
 *
 * Samples are fetched with the data module's get_item hook straight into the batch
 * buffers (no per-sample copy; variable-length fields go through a staging buffer and
 * are padded, data/collate.h). The loader owns the batch buffers; a batch returned
 * by ltr_dataloader_get is valid until the next get or ltr_dataloader_free.
 *
 * with ds.num_workers > 0 batches are fetched and collated ahead of the
 * consumer on worker threads (workers.c); num_workers == 0 fetches on the calling
 * thread (the samples of one big batch on the OpenMP threads), as before.
 */
#ifndef LTR_DATALOADER_H
#define LTR_DATALOADER_H

#include "ltrun.h"
#include "data/sampler.h"

#include <stdbool.h>
#include <stdint.h>

struct lt_batch {
    int nfields;
    lt_tensor *fields[LT_MAX_FIELDS];
    int64_t size; /* samples in this batch */
};

typedef lt_status (*ltr_get_item_fn)(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                                     void *const *dst);

typedef struct ltr_dataloader {
    lt_dataset ds;          /* as described by the data module */
    lt_split split;
    ltr_get_item_fn get_item;
    void *dm_self;          /* the data module instance (borrowed) */
    lt_ctx *ctx;            /* context for get_item calls (borrowed) */
    uint64_t seed;          /* sampler seed: ds.seed if >= 0, else the run's seed */
    int64_t *order;         /* sample order of the current epoch (owned) */
    int64_t order_len;      /* len(sampler): the indices in `order` */
    ltr_sampler sampler;    /* data/sampler.h (owned) */
    /* batch buffers. Slot 0 alone without workers; with workers
     * num_workers * prefetch_factor + 1 (the batches in flight and the one the
     * consumer holds), batch b living in slot b % nslots. */
    struct lt_batch *slots;
    int nslots;
    struct ltr_workers *workers; /* the worker pool (workers.c); NULL without workers */
    /* ABI 1.5: variable-length samples and transforms (data/collate.c, data/transforms.c) */
    int64_t epoch;          /* the epoch of set_epoch: per-sample random streams use it */
    bool variable;          /* a field has an LT_VARIABLE_DIM dimension: padded collate */
    lt_status (*item_shape)(lt_ctx *, void *, lt_split, int64_t, int, int64_t *);
    struct ltr_collate_state *collate; /* owned: one per slot, grown per batch */
    /* ABI 1.5: the data module's worker_init (may be NULL), set after init */
    lt_status (*worker_init)(lt_ctx *, void *, lt_split, int, int);
    /* ABI 1.9: which of the split's loaders this is (num_dataloaders): every data hook
     * on its samples sees it as ctx->dataloader_idx */
    int dataloader_idx;
    /* ABI 1.9: iterable datasets (data/iterable.h, data/iter_workers.h): ds.iterable,
     * the data module's iterator hooks, and who pulls from the iterator — the training
     * thread's stream (no workers) or the worker pool */
    bool iterable;
    lt_status (*iter_begin)(lt_ctx *, void *, lt_split, void **);
    lt_status (*iter_next)(lt_ctx *, void *, lt_split, void *, void *const *);
    void (*iter_end)(lt_ctx *, void *, lt_split, void *);
    struct ltr_iter_stream *stream;        /* owned; NULL with workers */
    struct ltr_iter_workers *iter_workers; /* owned; NULL without workers */
    /* ABI 1.9: the collate hook (data/collate_fn.h) — a staged loader stages whole
     * samples (data/sample_store.h, one store per slot) before collating: it has a
     * collate hook, or is iterable with variable-length fields */
    lt_status (*collate_fn)(lt_ctx *, void *, lt_split, const lt_samples *, lt_batch *);
    bool staged;
    struct ltr_sample_store *stores; /* owned: nslots of them when staged */
} ltr_dataloader;

/* The data module's hooks a loader calls besides get_item (any may be NULL), given by
 * ltr_dataloader_attach after init and before the first get. */
typedef struct ltr_loader_hooks {
    lt_status (*item_shape)(lt_ctx *, void *, lt_split, int64_t, int, int64_t *);
    lt_status (*worker_init)(lt_ctx *, void *, lt_split, int, int);
    lt_status (*iter_begin)(lt_ctx *, void *, lt_split, void **);
    lt_status (*iter_next)(lt_ctx *, void *, lt_split, void *, void *const *);
    void (*iter_end)(lt_ctx *, void *, lt_split, void *);
    lt_status (*collate)(lt_ctx *, void *, lt_split, const lt_samples *, lt_batch *);
} ltr_loader_hooks;

/* Attach the hooks (item_shape: data/collate.h's ltr_collate_attach; the iterator hooks:
 * data/iterable.h; collate: data/collate_fn.h). Errors (a variable field without
 * item_shape, an iterable split without iter_next) go to ctx naming the split; the
 * loader is freed then. */
lt_status ltr_dataloader_attach(ltr_dataloader *dl, const ltr_loader_hooks *hooks);

/* A batch slot's data (t->data of a slot field): page-locked host memory of t's device,
 * from its host_alloc, that the data module writes and the step reads (the CPU: its
 * memory). Freed with ltr_slot_free. */
void *ltr_slot_alloc(const lt_tensor *t, size_t bytes);
void ltr_slot_free(const lt_tensor *t, void *p);

/* Validates ds (length >= 0, batch_size >= 1, 1..LT_MAX_FIELDS fields, shapes >= 0 or
 * LT_VARIABLE_DIM, and DataLoader's checks of num_workers / prefetch_factor /
 * persistent_workers; then ltr_collate_attach gives the item_shape hook)
 * and allocates the buffers; errors are recorded in ctx naming the split. */
lt_status ltr_dataloader_init(ltr_dataloader *dl, lt_ctx *ctx, const lt_dataset *ds,
                              lt_split split, ltr_get_item_fn get_item, void *dm_self,
                              uint64_t seed);
/* The Trainer flags that shape the sampler (Lightning's data connector applies them
 * when it builds a loader): use_distributed_sampler (Lightning's default true) and
 * whether overfit_batches is on (the distributed wrap then does not shuffle). */
typedef struct ltr_sampler_policy {
    bool use_distributed_sampler;
    bool overfit_batches;
} ltr_sampler_policy;
/* ltr_dataloader_init under the trainer's policy (ltr_dataloader_init: the defaults,
 * {true, false}). */
lt_status ltr_dataloader_init_policy(ltr_dataloader *dl, lt_ctx *ctx, const lt_dataset *ds,
                                     lt_split split, ltr_get_item_fn get_item, void *dm_self,
                                     uint64_t seed, const ltr_sampler_policy *policy);
void ltr_dataloader_free(ltr_dataloader *dl);
/* len(DataLoader): batches per epoch over len(sampler) (floor with drop_last, else ceil);
 * for an iterable dataset over its __len__ (ds.length), or LTR_LEN_UNKNOWN without one
 * (torch's TypeError from len(), Lightning's float('inf') batches). */
#define LTR_LEN_UNKNOWN (-1)
int64_t ltr_dataloader_len(const ltr_dataloader *dl);
/* Sampler order for `epoch` (sampler.set_epoch): a pure function of (seed, epoch, rank,
 * world_size, the dataset's sampler options); see data/sampler.h. */
void ltr_dataloader_set_epoch(ltr_dataloader *dl, int64_t epoch);
/* Fetch and collate batch `batch_idx` of the current epoch. Any index may be asked
 * (random access); with workers, asking batch_idx + 1 after batch_idx is the fast path
 * (prefetched), any other index restarts the prefetch there (a resumed epoch starts at
 * its batch k). The batch stays valid until the next get, set_epoch or free. */
lt_status ltr_dataloader_get(ltr_dataloader *dl, int64_t batch_idx, lt_batch **out);
/* ABI 1.9: iterable datasets — for them ltr_dataloader_get gives *out NULL (and LT_OK)
 * when the stream ended before batch_idx: the epoch is over (StopIteration). And after
 * a get of batch b, whether b is the epoch's last: for an iterable loader the batch
 * after it is fetched ahead to find out (Lightning's _PrefetchDataFetcher; the batch
 * stays valid); for the others b + 1 == len. */
lt_status ltr_dataloader_peek_end(ltr_dataloader *dl, int64_t batch_idx, bool *last);

/* fetch the n samples at positions first..first+n-1 of `order` into the
 * buffers of `slot` (the one place a batch is assembled). Errors go to ctx as
 * "get_item(<split>, <index>) failed: <plugin's message>". omp: spread the samples
 * over the OpenMP threads (the training thread only; workers pass false). */
lt_status ltr_dataloader_fetch_batch(ltr_dataloader *dl, struct lt_batch *slot, int64_t first,
                                     int64_t n, lt_ctx *ctx, bool omp);
/* Samples in batch b (batch_size, or fewer for a last partial batch). */
int64_t ltr_dataloader_batch_samples(const ltr_dataloader *dl, int64_t b);

const char *ltr_split_name(lt_split split);

/* lt_host_api members */
lt_tensor *ltr_batch_at(lt_ctx *ctx, const lt_batch *b, int field);
int64_t ltr_batch_size(const lt_batch *b);
int32_t ltr_batch_nfields(const lt_batch *b); /* ABI 1.9 */

#endif
