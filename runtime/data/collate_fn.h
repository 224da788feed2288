/*
 * collate_fn.h — DataLoader's collate_fn for staged loaders: the data module's collate
 * hook, or the built-in default_collate (stacking; LT_VARIABLE_DIM dimensions padded),
 * over the samples a slot's store holds (data/sample_store.h).
 *
 * Owned by the data pipeline. The batch a collate makes lives in the slot's buffers
 * (grown as needed, never shrunk, freed with the loader): its fields, dtypes and shapes
 * are whatever the collate made, its size dim 0 of field 0 (Lightning's
 * extract_batch_size). Runs on the thread that fetched the samples (a worker or the
 * training thread); errors go to that thread's ctx, naming the split.
 */
#ifndef LTR_COLLATE_FN_H
#define LTR_COLLATE_FN_H

#include "data/dataloader.h"

/* Map-style staged fetch: samples order[start .. start+n) into stores[slot] (item_shape
 * for variable fields, get_item), then the collate into slots[slot]. */
lt_status ltr_staged_fetch(ltr_dataloader *dl, int slot, int64_t start, int64_t n, lt_ctx *ctx);
/* The collate of the samples staged in stores[slot] into slots[slot] (the hook, or
 * default_collate without one). */
lt_status ltr_collate_staged(ltr_dataloader *dl, int slot, lt_ctx *ctx);

/* lt_host_api members (ABI 1.9) */
void *ltr_api_collate_field(lt_ctx *ctx, lt_batch *out, int field, lt_dtype dtype, int ndim,
                            const int64_t *shape);
lt_status ltr_api_default_collate(lt_ctx *ctx, const lt_samples *samples, lt_batch *out);

#endif
