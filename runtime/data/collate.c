/* collate.c — the default collate with padding for variable-length fields (collate.h). */
#include "data/collate.h"

#include "core/context.h"
#include "data/transforms.h"
#include "tensor/bf16.h"
#include "tensor/tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ltr_collate_state {
    int64_t *shapes;                 /* [n][nfields][LT_MAX_DIMS] of the current batch */
    int64_t shapes_cap;              /* samples */
    void *staging[LT_MAX_FIELDS];    /* variable fields: the samples back to back */
    size_t staging_cap[LT_MAX_FIELDS];
    size_t batch_cap[LT_MAX_FIELDS]; /* bytes of the slot's fields[f]->data */
};
/* dl->collate holds one state per batch slot: a loader worker owns its slot's state for
 * the batch it assembles, so workers never share staging buffers (data/workers.c) */

bool ltr_field_is_variable(const lt_field *f) {
    for (int d = 0; d < f->ndim; d++)
        if (f->shape[d] == LT_VARIABLE_DIM) return true;
    return false;
}

lt_status ltr_collate_attach(ltr_dataloader *dl, ltr_item_shape_fn item_shape) {
    dl->item_shape = item_shape;
    if (dl->variable && item_shape) {
        /* before any fetch: workers start at the first get */
        if (!(dl->collate = calloc((size_t)dl->nslots, sizeof *dl->collate))) {
            lt_ctx *ctx = dl->ctx;
            const char *sn = ltr_split_name(dl->split);
            ltr_dataloader_free(dl);
            return ltr_fail(ctx, "out of memory for the %s loader's collate state", sn);
        }
    }
    if (!dl->variable || item_shape) return LT_OK;
    int f = 0;
    while (f < dl->ds.nfields && !ltr_field_is_variable(&dl->ds.fields[f])) f++;
    const char *name = dl->ds.fields[f].name ? dl->ds.fields[f].name : "?";
    lt_ctx *ctx = dl->ctx;
    const char *sn = ltr_split_name(dl->split);
    ltr_dataloader_free(dl);
    return ltr_fail(ctx, "the %s dataset: field %d ('%s') has a variable dimension "
                         "(LT_VARIABLE_DIM) but the data module has no item_shape hook: add "
                         "one giving each sample's shape (ABI 1.5)", sn, f, name);
}

void ltr_collate_free(ltr_dataloader *dl) {
    if (!dl->collate) return;
    for (int k = 0; k < dl->nslots; k++) {
        struct ltr_collate_state *cs = &dl->collate[k];
        free(cs->shapes);
        for (int f = 0; f < LT_MAX_FIELDS; f++) free(cs->staging[f]);
    }
    free(dl->collate);
    dl->collate = NULL;
}

static char *shape_text(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
    return buf;
}

/* one element of `dtype` holding v */
static void fill_value(lt_dtype dt, double v, unsigned char *out) {
    switch (dt) {
    case LT_FLOAT32: { float x = (float)v; memcpy(out, &x, 4); break; }
    case LT_FLOAT64: memcpy(out, &v, 8); break;
    case LT_INT64: { int64_t x = (int64_t)v; memcpy(out, &x, 8); break; }
    case LT_INT32: { int32_t x = (int32_t)v; memcpy(out, &x, 4); break; }
    case LT_UINT8: out[0] = (unsigned char)(int64_t)v; break;
    case LT_BOOL: out[0] = v != 0; break;
    case LT_BFLOAT16: { uint16_t x = ltr_bf16_from_float((float)v); memcpy(out, &x, 2); break; }
    }
}

void ltr_collate_fill(void *base, size_t count, lt_dtype dt, double v) {
    unsigned char pv[8];
    size_t esz = ltr_dtype_size(dt);
    fill_value(dt, v, pv);
    for (size_t k = 0; k < count; k++) memcpy((char *)base + k * esz, pv, esz);
}

static int64_t numel_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

/* mult * prod(shape) * esz bytes, false when it does not fit in int64 (less 64 for
 * grow's rounding): a plugin's huge shape must not wrap to a small buffer */
static bool bytes_of(int64_t mult, int ndim, const int64_t *shape, size_t esz, size_t *out) {
    int64_t v = mult;
    bool over = false;
    for (int d = 0; d < ndim; d++) over |= __builtin_mul_overflow(v, shape[d], &v);
    over |= __builtin_mul_overflow(v, (int64_t)esz, &v);
    if (over || v > INT64_MAX - 64) return false;
    *out = (size_t)v;
    return true;
}

/* slot: the batch tensor whose data *p is (its device's slot memory), or NULL for a
 * host staging buffer */
static bool grow(void **p, size_t *cap, size_t need, const lt_tensor *slot) {
    if (need <= *cap && *p) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = slot ? ltr_slot_alloc(slot, c) : malloc(c);
    if (!q) return false;
    /* contents are rewritten for each batch */
    if (slot) ltr_slot_free(slot, *p);
    else free(*p);
    *p = q;
    *cap = c;
    return true;
}

void ltr_collate_pad_row(void *row, const void *sample, int nd, const int64_t *shp,
                         const int64_t *maxs, size_t esz) {
    char *dsti = row;
    const char *src = sample;
    int64_t cnt = numel_of(nd, shp);
    if (cnt == 0) return;
    if (nd == 0) { /* a scalar cannot be variable; kept for safety */
        memcpy(dsti, src, esz);
        return;
    }
    int64_t inner = shp[nd - 1], outer = cnt / inner;
    int64_t idx[LT_MAX_DIMS] = {0}; /* multi-index over dims 0..nd-2 */
    for (int64_t r = 0; r < outer; r++) {
        size_t o = 0; /* padded offset of row idx */
        for (int d = 0; d < nd - 1; d++) o = o * (size_t)maxs[d] + (size_t)idx[d];
        o *= (size_t)maxs[nd - 1];
        memcpy(dsti + o * esz, src, (size_t)inner * esz);
        src += (size_t)inner * esz;
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < shp[d]) break;
            idx[d] = 0;
        }
    }
}

lt_status ltr_collate_item_shape(ltr_dataloader *dl, lt_ctx *ctx, int64_t index, int f,
                                 int64_t *shp) {
    const lt_field *fd = &dl->ds.fields[f];
    const char *sn = ltr_split_name(dl->split);
    memcpy(shp, fd->shape, sizeof fd->shape);
    if (!ltr_field_is_variable(fd)) return LT_OK;
    ltr_fetch_scope_set(dl->seed, dl->epoch); /* a random length sees get_item's rng */
    lt_status rc = dl->item_shape(ctx, dl->dm_self, dl->split, index, f, shp);
    ltr_fetch_scope_clear();
    if (rc != LT_OK || ltr_ctx_of(ctx)->failed) {
        char msg[900] = "";
        ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
        return ltr_fail(ctx, "item_shape(%s, %lld, field %d) failed: %s", sn, (long long)index,
                        f, msg[0] ? msg : "(no message)");
    }
    for (int d = 0; d < fd->ndim; d++)
        if ((fd->shape[d] != LT_VARIABLE_DIM && shp[d] != fd->shape[d]) || shp[d] < 0) {
            char a[160], b[160];
            return ltr_fail(ctx,
                            "item_shape(%s, %lld) gave field %d ('%s') the shape %s but "
                            "the dataset declares %s: only LT_VARIABLE_DIM (-1) "
                            "dimensions may differ, and each must be >= 0",
                            sn, (long long)index, f, fd->name ? fd->name : "?",
                            shape_text(a, sizeof a, fd->ndim, shp),
                            shape_text(b, sizeof b, fd->ndim, fd->shape));
        }
    size_t sb;
    if (!bytes_of(1, fd->ndim, shp, ltr_dtype_size(fd->dtype), &sb)) {
        char a[160];
        return ltr_fail(ctx, "the %s loader: sample %lld's field %d ('%s') is too "
                             "large: item_shape gave %s, more bytes than a 64-bit "
                             "size holds", sn, (long long)index, f,
                        fd->name ? fd->name : "?", shape_text(a, sizeof a, fd->ndim, shp));
    }
    return LT_OK;
}

/* error from a hook call on sample `index`: the hook's own message, prefixed */
static lt_status hook_failed(ltr_dataloader *dl, lt_ctx *ctx, const char *what, int64_t index,
                             int field) {
    char msg[900] = "";
    ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
    if (field >= 0)
        return ltr_fail(ctx, "%s(%s, %lld, field %d) failed: %s", what,
                        ltr_split_name(dl->split), (long long)index, field,
                        msg[0] ? msg : "(no message)");
    return ltr_fail(ctx, "%s(%s, %lld) failed: %s", what, ltr_split_name(dl->split),
                    (long long)index, msg[0] ? msg : "(no message)");
}

lt_status ltr_collate_fetch(ltr_dataloader *dl, int slot, int64_t start, int64_t n,
                            lt_ctx *ctx) {
    const lt_dataset *ds = &dl->ds;
    const int nf = ds->nfields;
    const char *sn = ltr_split_name(dl->split);
    struct ltr_collate_state *cs = &dl->collate[slot];
    lt_batch *batch = &dl->slots[slot];
    if (n > cs->shapes_cap) {
        int64_t *s = realloc(cs->shapes, (size_t)n * nf * LT_MAX_DIMS * sizeof *s);
        if (!s) return ltr_fail(ctx, "out of memory for the %s loader's sample shapes", sn);
        cs->shapes = s;
        cs->shapes_cap = n;
    }
#define SHAPE(i, f) (cs->shapes + ((size_t)(i) * nf + (f)) * LT_MAX_DIMS)
    /* 1. every sample's shape, checked against the declaration */
    int64_t maxs[LT_MAX_FIELDS][LT_MAX_DIMS];
    for (int f = 0; f < nf; f++)
        for (int d = 0; d < ds->fields[f].ndim; d++) maxs[f][d] = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t index = dl->order[start + i];
        for (int f = 0; f < nf; f++) {
            const lt_field *fd = &ds->fields[f];
            int64_t *shp = SHAPE(i, f);
            if (ltr_collate_item_shape(dl, ctx, index, f, shp) != LT_OK) return LT_ERROR;
            for (int d = 0; d < fd->ndim; d++)
                if (shp[d] > maxs[f][d]) maxs[f][d] = shp[d];
        }
    }
    /* 2. buffers: padded batch [n, max...] and staging for the variable fields */
    size_t esz[LT_MAX_FIELDS], padded[LT_MAX_FIELDS];
    for (int f = 0; f < nf; f++) {
        const lt_field *fd = &ds->fields[f];
        esz[f] = ltr_dtype_size(fd->dtype);
        size_t batch_bytes, total = 0;
        bool fits = bytes_of(n, fd->ndim, maxs[f], esz[f], &batch_bytes);
        for (int64_t i = 0; fits && i < n && ltr_field_is_variable(fd); i++) {
            size_t sb = 0;
            bytes_of(1, fd->ndim, SHAPE(i, f), esz[f], &sb); /* checked in 1. */
            fits = !__builtin_add_overflow(total, sb, &total) && total <= INT64_MAX - 64;
        }
        if (!fits) {
            char a[160];
            return ltr_fail(ctx, "the %s loader: a batch of %lld samples of field %d ('%s') "
                                 "padded to %s is more bytes than a 64-bit size holds", sn,
                            (long long)n, f, fd->name ? fd->name : "?",
                            shape_text(a, sizeof a, fd->ndim, maxs[f]));
        }
        padded[f] = (size_t)numel_of(fd->ndim, maxs[f]);
        lt_tensor *t = batch->fields[f];
        if (!grow(&t->data, &cs->batch_cap[f], batch_bytes, t))
            return ltr_fail(ctx, "out of memory for the %s loader's batch buffers (lower the "
                                  "batch_size, or bound the longest sample)", sn);
        if (ltr_field_is_variable(fd)) {
            if (!grow(&cs->staging[f], &cs->staging_cap[f], total, NULL))
                return ltr_fail(ctx, "out of memory for the %s loader's staging buffers", sn);
        }
        int64_t bshape[LT_MAX_DIMS] = {n};
        for (int d = 0; d < fd->ndim; d++) bshape[d + 1] = maxs[f][d];
        ltr_set_shape(t, fd->ndim + 1, bshape);
    }
    /* 3. fetch: fixed fields straight into their rows, variable ones into staging */
    size_t off[LT_MAX_FIELDS] = {0};
    for (int64_t i = 0; i < n; i++) {
        int64_t index = dl->order[start + i];
        void *dst[LT_MAX_FIELDS];
        for (int f = 0; f < nf; f++) {
            if (ltr_field_is_variable(&ds->fields[f])) {
                dst[f] = (char *)cs->staging[f] + off[f];
                off[f] += (size_t)numel_of(ds->fields[f].ndim, SHAPE(i, f)) * esz[f];
            } else {
                dst[f] = (char *)batch->fields[f]->data + (size_t)i * padded[f] * esz[f];
            }
        }
        if (ltr_get_item_scoped(dl->get_item, ctx, dl->dm_self, dl->split, index, dst,
                                dl->seed, dl->epoch) != LT_OK ||
            ltr_ctx_of(ctx)->failed)
            return hook_failed(dl, ctx, "get_item", index, -1);
    }
    /* 4. pad: fill with padding_value, then copy each sample's innermost runs */
    for (int f = 0; f < nf; f++) {
        const lt_field *fd = &ds->fields[f];
        if (!ltr_field_is_variable(fd)) continue;
        char *base = batch->fields[f]->data;
        ltr_collate_fill(base, (size_t)n * padded[f], fd->dtype, ds->padding_value[f]);
        const char *src = cs->staging[f];
        for (int64_t i = 0; i < n; i++) {
            const int64_t *shp = SHAPE(i, f);
            ltr_collate_pad_row(base + (size_t)i * padded[f] * esz[f], src, fd->ndim, shp,
                                maxs[f], esz[f]);
            src += (size_t)numel_of(fd->ndim, shp) * esz[f];
        }
    }
#undef SHAPE
    batch->size = n;
    return LT_OK;
}
