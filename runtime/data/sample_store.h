/*
 * sample_store.h — whole samples staged before collation, one store per batch slot.
 *
 * Owned by the loader (dl->stores, one per slot, made by ltr_sample_stores_attach for a
 * "staged" loader: one with a collate hook, or an iterable one with variable-length
 * fields). A batch is assembled in two steps: every sample is written field by field
 * into the store (each field of each sample contiguous in its own concrete shape), then
 * a collate turns the store's lt_samples view into the batch (data/collate_fn.h). The
 * thread filling slot s owns stores[s] for that batch, so loader workers filling
 * different slots never share one.
 *
 * ltr_api_sample_field serves lt_sample_field: inside iter_next, the buffer of a
 * variable-length field of the sample being yielded (ltr_sample_store_yielding declares
 * which store and sample the calling thread is filling).
 */
#ifndef LTR_SAMPLE_STORE_H
#define LTR_SAMPLE_STORE_H

#include "data/dataloader.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ltr_sample_store {
    int nfields;
    int64_t n, cap;                  /* samples staged; room in the arrays below */
    int64_t *shapes;                 /* [cap][nfields][LT_MAX_DIMS] */
    size_t *offsets;                 /* [cap][nfields]: bytes into buf[f] */
    bool *given;                     /* [cap][nfields]: field written (iterable variable) */
    int64_t *indices;                /* [cap]: dataset index (map-style), -1 iterable */
    const void **ptrs;               /* [cap][nfields]: the view's data pointers */
    void *buf[LT_MAX_FIELDS];        /* field f of the samples, back to back */
    size_t used[LT_MAX_FIELDS], bufcap[LT_MAX_FIELDS];
    size_t out_cap[LT_MAX_FIELDS];   /* bytes of the slot's batch field f (collate output) */
    bool out_made[LT_MAX_FIELDS];    /* during a collate: fields made so far */
    lt_samples view;
} ltr_sample_store;

/* Give a loader its stores (one per slot) and mark it staged; errors name the split. */
lt_status ltr_sample_stores_attach(ltr_dataloader *dl);
void ltr_sample_stores_free(ltr_dataloader *dl);

/* Start a batch: no samples. */
void ltr_sample_store_reset(ltr_sample_store *st);
/* Room for one more sample (index st->n); false when out of memory. */
bool ltr_sample_store_begin(ltr_sample_store *st, int64_t index);
/* Reserve field f of the sample being staged in `shape` (the field's ndim entries):
 * its buffer, valid until the next reservation of field f; NULL when out of memory or
 * the size does not fit in 64 bits. */
void *ltr_sample_store_field(ltr_sample_store *st, const lt_field *fd, int f,
                             const int64_t *shape);
/* The staged sample counts: st->n++ */
void ltr_sample_store_commit(ltr_sample_store *st);
/* The lt_samples view over the staged samples (valid until the store changes). */
const lt_samples *ltr_sample_store_view(ltr_sample_store *st, const lt_dataset *ds);

/* Declare (or, with st NULL, clear) the sample the calling thread's iter_next is
 * yielding, for lt_sample_field. */
void ltr_sample_store_yielding(ltr_sample_store *st, const lt_dataset *ds, lt_split split);

/* lt_host_api member (ABI 1.9) */
void *ltr_api_sample_field(lt_ctx *ctx, int field, const int64_t *shape);

#endif
