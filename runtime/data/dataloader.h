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
} ltr_dataloader;

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
/* len(DataLoader): batches per epoch over len(sampler) (floor with drop_last, else ceil). */
int64_t ltr_dataloader_len(const ltr_dataloader *dl);
/* Sampler order for `epoch` (sampler.set_epoch): a pure function of (seed, epoch, rank,
 * world_size, the dataset's sampler options); see data/sampler.h. */
void ltr_dataloader_set_epoch(ltr_dataloader *dl, int64_t epoch);
/* Fetch and collate batch `batch_idx` of the current epoch. Any index may be asked
 * (random access); with workers, asking batch_idx + 1 after batch_idx is the fast path
 * (prefetched), any other index restarts the prefetch there (a resumed epoch starts at
 * its batch k). The batch stays valid until the next get, set_epoch or free. */
lt_status ltr_dataloader_get(ltr_dataloader *dl, int64_t batch_idx, lt_batch **out);

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

#endif
