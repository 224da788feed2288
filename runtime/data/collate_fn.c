/* collate_fn.c — the collate hook and default_collate over staged samples (collate_fn.h). */
#include "data/collate_fn.h"

#include "core/context.h"
#include "data/collate.h"
#include "data/sample_store.h"
#include "data/transforms.h"
#include "tensor/tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the collate running on the calling thread: lt_collate_field may make fields of
 * this batch only */
static _Thread_local struct {
    ltr_dataloader *dl;
    int slot;
} tl_collate = {NULL, -1};

static char *shape_text(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
    return buf;
}

/* field `field` of slot `slot`'s batch: dtype, shape, a zeroed buffer of that size */
static void *make_field(ltr_dataloader *dl, int slot, lt_ctx *ctx, int field, lt_dtype dtype,
                        int ndim, const int64_t *shape) {
    const char *sn = ltr_split_name(dl->split);
    if (field < 0 || field >= LT_MAX_FIELDS) {
        ltr_fail(ctx, "lt_collate_field: field %d of the %s batch: fields are 0..%d", field, sn,
                 LT_MAX_FIELDS - 1);
        return NULL;
    }
    if ((unsigned)dtype > LT_BFLOAT16) {
        ltr_fail(ctx, "lt_collate_field: field %d of the %s batch: unknown dtype %d", field, sn,
                 (int)dtype);
        return NULL;
    }
    if (ndim < 0 || ndim > LT_MAX_DIMS || (ndim > 0 && !shape)) {
        ltr_fail(ctx, "lt_collate_field: field %d of the %s batch: ndim %d (0..%d, with a shape)",
                 field, sn, ndim, LT_MAX_DIMS);
        return NULL;
    }
    int64_t bytes = (int64_t)ltr_dtype_size(dtype);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0 || __builtin_mul_overflow(bytes, shape[d], &bytes) ||
            bytes > INT64_MAX - 64) {
            char a[160];
            ltr_fail(ctx, "lt_collate_field: field %d of the %s batch: shape %s has a negative "
                          "dimension or is more bytes than a 64-bit size holds", field, sn,
                     shape_text(a, sizeof a, ndim, shape));
            return NULL;
        }
    lt_batch *b = &dl->slots[slot];
    ltr_sample_store *st = &dl->stores[slot];
    lt_tensor *t = b->fields[field];
    if (!t) { /* a field beyond the dataset's: its header is made once per slot */
        if (!(t = calloc(1, sizeof *t))) {
            ltr_fail(ctx, "out of memory for field %d of the %s batch", field, sn);
            return NULL;
        }
        t->device = b->fields[0]->device;
        b->fields[field] = t;
    }
    if ((size_t)bytes > st->out_cap[field] || !t->data) {
        size_t c = st->out_cap[field] ? st->out_cap[field] : 64;
        while (c < (size_t)bytes) c *= 2;
        void *q = ltr_slot_alloc(t, c);
        if (!q) {
            ltr_fail(ctx, "out of memory for field %d of the %s batch (%lld bytes)", field, sn,
                     (long long)bytes);
            return NULL;
        }
        ltr_slot_free(t, t->data); /* contents are rewritten for each batch */
        t->data = q;
        st->out_cap[field] = c;
    }
    t->dtype = dtype;
    ltr_set_shape(t, ndim, shape);
    memset(t->data, 0, (size_t)bytes);
    st->out_made[field] = true;
    return t->data;
}

void *ltr_api_collate_field(lt_ctx *ctx, lt_batch *out, int field, lt_dtype dtype, int ndim,
                            const int64_t *shape) {
    ltr_dataloader *dl = tl_collate.dl;
    if (!dl || out != &dl->slots[tl_collate.slot]) {
        ltr_fail(ctx, "lt_collate_field: call it inside the collate hook, on the batch it was "
                      "given");
        return NULL;
    }
    return make_field(dl, tl_collate.slot, ctx, field, dtype, ndim, shape);
}

static int64_t numel_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

/* default_collate of `s` into slot `slot`'s batch */
static lt_status default_collate(ltr_dataloader *dl, int slot, lt_ctx *ctx, const lt_samples *s) {
    const char *sn = ltr_split_name(dl->split);
    if (!s || s->count < 0 || s->nfields < 1 || s->nfields > LT_MAX_FIELDS || !s->fields ||
        (s->count > 0 && (!s->data || !s->shapes)))
        return ltr_fail(ctx, "lt_default_collate: not a list of samples (pass the lt_samples "
                             "the collate hook was given)");
    for (int f = 0; f < s->nfields; f++) {
        const lt_field *fd = &s->fields[f];
        int nd = fd->ndim;
        size_t esz = ltr_dtype_size(fd->dtype);
        int64_t maxs[LT_MAX_DIMS] = {0};
        bool variable = false;
        for (int d = 0; d < nd; d++) {
            variable |= fd->shape[d] == LT_VARIABLE_DIM;
            maxs[d] = fd->shape[d] == LT_VARIABLE_DIM ? 0 : fd->shape[d];
        }
        for (int64_t i = 0; i < s->count; i++) {
            const int64_t *shp = lt_sample_shape(s, i, f);
            for (int d = 0; d < nd; d++) {
                if (fd->shape[d] != LT_VARIABLE_DIM && shp[d] != fd->shape[d]) {
                    char a[160], b[160]; /* torch.stack's complaint */
                    return ltr_fail(ctx, "default_collate (%s, field %d '%s'): stack expects each "
                                         "tensor to be equal size, but got %s at entry 0 and %s "
                                         "at entry %lld", sn, f, fd->name ? fd->name : "?",
                                    shape_text(a, sizeof a, nd, fd->shape),
                                    shape_text(b, sizeof b, nd, shp), (long long)i);
                }
                if (shp[d] > maxs[d]) maxs[d] = shp[d];
            }
        }
        int64_t bshape[LT_MAX_DIMS + 1] = {s->count};
        memcpy(bshape + 1, maxs, (size_t)nd * sizeof *maxs);
        if (nd + 1 > LT_MAX_DIMS)
            return ltr_fail(ctx, "default_collate (%s, field %d): %d sample dimensions leave no "
                                 "room for the batch dimension (at most %d)", sn, f, nd,
                            LT_MAX_DIMS - 1);
        char *base = make_field(dl, slot, ctx, f, fd->dtype, nd + 1, bshape);
        if (!base) return LT_ERROR;
        size_t row = (size_t)numel_of(nd, maxs);
        double pv = s->padding_value ? s->padding_value[f] : 0.0;
        if (variable && pv != 0.0) ltr_collate_fill(base, (size_t)s->count * row, fd->dtype, pv);
        for (int64_t i = 0; i < s->count; i++) {
            const int64_t *shp = lt_sample_shape(s, i, f);
            const void *src = lt_sample_data(s, i, f);
            char *dst = base + (size_t)i * row * esz;
            if ((size_t)numel_of(nd, shp) == row) memcpy(dst, src, row * esz);
            else ltr_collate_pad_row(dst, src, nd, shp, maxs, esz);
        }
    }
    return LT_OK;
}

lt_status ltr_api_default_collate(lt_ctx *ctx, const lt_samples *samples, lt_batch *out) {
    ltr_dataloader *dl = tl_collate.dl;
    if (!dl || out != &dl->slots[tl_collate.slot])
        return ltr_fail(ctx, "lt_default_collate: call it inside the collate hook, on the batch "
                             "it was given");
    return default_collate(dl, tl_collate.slot, ctx, samples);
}

lt_status ltr_collate_staged(ltr_dataloader *dl, int slot, lt_ctx *ctx) {
    ltr_sample_store *st = &dl->stores[slot];
    lt_batch *b = &dl->slots[slot];
    const lt_samples *view = ltr_sample_store_view(st, &dl->ds);
    const char *sn = ltr_split_name(dl->split);
    memset(st->out_made, 0, sizeof st->out_made);
    lt_status rc;
    if (!dl->collate_fn) {
        rc = default_collate(dl, slot, ctx, view);
    } else {
        ltr_ctx_take_error(ltr_ctx_of(ctx), NULL, 0);
        tl_collate.dl = dl;
        tl_collate.slot = slot;
        /* lt_sample_rng inside collate sees the loader's (seed, epoch), as get_item does */
        ltr_fetch_scope_set(dl->seed, dl->epoch);
        rc = dl->collate_fn(ctx, dl->dm_self, dl->split, view, b);
        ltr_fetch_scope_clear();
        tl_collate.dl = NULL;
        tl_collate.slot = -1;
        if (rc != LT_OK || ltr_ctx_of(ctx)->failed) {
            char msg[900] = "";
            ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
            return ltr_fail(ctx, "collate(%s, a batch of %lld samples) failed: %s", sn,
                            (long long)view->count, msg[0] ? msg : "(no message)");
        }
    }
    if (rc != LT_OK) return LT_ERROR;
    int nf = 0;
    for (int f = 0; f < LT_MAX_FIELDS; f++)
        if (st->out_made[f]) nf = f + 1;
    if (nf == 0)
        return ltr_fail(ctx, "collate(%s) made no batch field: make fields 0..k-1 with "
                             "lt_collate_field (or call lt_default_collate)", sn);
    for (int f = 0; f < nf; f++)
        if (!st->out_made[f])
            return ltr_fail(ctx, "collate(%s) made field %d but not field %d: the batch's fields "
                                 "are 0..k-1, each made with lt_collate_field", sn, nf - 1, f);
    b->nfields = nf;
    /* Lightning's extract_batch_size: the first tensor's len (a scalar counts 1) */
    b->size = b->fields[0]->ndim > 0 ? b->fields[0]->shape[0] : 1;
    return LT_OK;
}

lt_status ltr_staged_fetch(ltr_dataloader *dl, int slot, int64_t start, int64_t n, lt_ctx *ctx) {
    ltr_sample_store *st = &dl->stores[slot];
    const lt_dataset *ds = &dl->ds;
    const char *sn = ltr_split_name(dl->split);
    ltr_sample_store_reset(st);
    ltr_ctx_take_error(ltr_ctx_of(ctx), NULL, 0);
    for (int64_t i = 0; i < n; i++) {
        int64_t index = dl->order[start + i];
        if (!ltr_sample_store_begin(st, index))
            return ltr_fail(ctx, "out of memory for the %s loader's sample store", sn);
        void *dst[LT_MAX_FIELDS];
        for (int f = 0; f < ds->nfields; f++) {
            int64_t shp[LT_MAX_DIMS];
            if (ltr_collate_item_shape(dl, ctx, index, f, shp) != LT_OK) return LT_ERROR;
            if (!(dst[f] = ltr_sample_store_field(st, &ds->fields[f], f, shp)))
                return ltr_fail(ctx, "out of memory staging sample %lld of the %s loader",
                                (long long)index, sn);
        }
        if (ltr_get_item_scoped(dl->get_item, ctx, dl->dm_self, dl->split, index, dst, dl->seed,
                                dl->epoch) != LT_OK ||
            ltr_ctx_of(ctx)->failed) {
            char msg[900] = "";
            ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
            return ltr_fail(ctx, "get_item(%s, %lld) failed: %s", sn, (long long)index,
                            msg[0] ? msg : "(no message)");
        }
        ltr_sample_store_commit(st);
    }
    return ltr_collate_staged(dl, slot, ctx);
}
