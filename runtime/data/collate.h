/*
 * collate.h — variable-length samples: the default collate for datasets with
 * LT_VARIABLE_DIM field dimensions. Owned by the data pipeline; dataloader.c calls in
 * at two points only (attach after init, padded fetch for a variable loader).
 *
 * Contract: for each sample of a batch the data module's item_shape hook gives the
 * concrete shape of every variable field (fixed dimensions must match the declaration);
 * get_item then writes the sample contiguous in that shape into a staging buffer; each
 * variable dimension is padded at its end to the batch's longest sample with
 * ds.padding_value[f] (torch.nn.utils.rnn.pad_sequence(batch_first=True) for one leading
 * variable dimension, the same rule per dimension otherwise). Batch buffers grow as
 * needed; the batch tensors' shapes are per batch.
 */
#ifndef LTR_COLLATE_H
#define LTR_COLLATE_H

#include "data/dataloader.h"

typedef lt_status (*ltr_item_shape_fn)(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                                       int field, int64_t *shape);

/* does field f have an LT_VARIABLE_DIM dimension */
bool ltr_field_is_variable(const lt_field *f);
/* Give an initialised loader the data module's item_shape hook (may be NULL). A loader
 * with a variable field and no hook is an error naming the split and field; the loader is
 * freed then. */
lt_status ltr_collate_attach(ltr_dataloader *dl, ltr_item_shape_fn item_shape);
/* Fetch samples order[start .. start+n) into batch slot `slot`, padded (dl->variable
 * loaders); errors go to ctx (the training thread's, or a loader worker's). Each slot has
 * its own staging state, so workers filling different slots run concurrently. */
lt_status ltr_collate_fetch(ltr_dataloader *dl, int slot, int64_t start, int64_t n,
                            lt_ctx *ctx);
void ltr_collate_free(ltr_dataloader *dl);

/* Shared with the staged collate (data/collate_fn.c): */
/* item_shape for field f of sample `index`, checked against the declaration (fixed
 * fields: their declared shape); errors go to ctx naming the split and sample. */
lt_status ltr_collate_item_shape(ltr_dataloader *dl, lt_ctx *ctx, int64_t index, int f,
                                 int64_t *shp);
/* count elements of `dt` at base, each v */
void ltr_collate_fill(void *base, size_t count, lt_dtype dt, double v);
/* one sample (contiguous in shp[nd]) into its row of a batch field padded to maxs[nd],
 * at the start of each padded dimension (pad_sequence's layout) */
void ltr_collate_pad_row(void *row, const void *sample, int nd, const int64_t *shp,
                         const int64_t *maxs, size_t esz);

#endif
