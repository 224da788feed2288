/* sample_store.c — whole samples staged before collation; contract in sample_store.h. */
#include "data/sample_store.h"

#include "core/context.h"
#include "tensor/tensor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

lt_status ltr_sample_stores_attach(ltr_dataloader *dl) {
    dl->stores = calloc((size_t)dl->nslots, sizeof *dl->stores);
    if (!dl->stores) {
        lt_ctx *ctx = dl->ctx;
        const char *sn = ltr_split_name(dl->split);
        ltr_dataloader_free(dl);
        return ltr_fail(ctx, "out of memory for the %s loader's sample stores", sn);
    }
    for (int s = 0; s < dl->nslots; s++) dl->stores[s].nfields = dl->ds.nfields;
    dl->staged = true;
    return LT_OK;
}

void ltr_sample_stores_free(ltr_dataloader *dl) {
    if (!dl->stores) return;
    for (int s = 0; s < dl->nslots; s++) {
        ltr_sample_store *st = &dl->stores[s];
        free(st->shapes);
        free(st->offsets);
        free(st->given);
        free(st->indices);
        free(st->ptrs);
        for (int f = 0; f < LT_MAX_FIELDS; f++) free(st->buf[f]);
    }
    free(dl->stores);
    dl->stores = NULL;
}

void ltr_sample_store_reset(ltr_sample_store *st) {
    st->n = 0;
    for (int f = 0; f < LT_MAX_FIELDS; f++) st->used[f] = 0;
}

/* *p grown to hold `count` elements of `esz` bytes (capacity doubling done by caller) */
static bool resize(void **p, int64_t count, size_t esz) {
    void *q = realloc(*p, (size_t)count * esz);
    if (!q) return false;
    *p = q;
    return true;
}

bool ltr_sample_store_begin(ltr_sample_store *st, int64_t index) {
    if (st->n >= st->cap) {
        int64_t cap = st->cap ? st->cap * 2 : 16;
        size_t per = (size_t)st->nfields;
        if (!resize((void **)&st->shapes, cap, per * LT_MAX_DIMS * sizeof *st->shapes) ||
            !resize((void **)&st->offsets, cap, per * sizeof *st->offsets) ||
            !resize((void **)&st->given, cap, per * sizeof *st->given) ||
            !resize((void **)&st->indices, cap, sizeof *st->indices) ||
            !resize((void **)&st->ptrs, cap, per * sizeof *st->ptrs))
            return false;
        st->cap = cap;
    }
    st->indices[st->n] = index;
    memset(st->given + (size_t)st->n * (size_t)st->nfields, 0, (size_t)st->nfields * sizeof *st->given);
    return true;
}

void *ltr_sample_store_field(ltr_sample_store *st, const lt_field *fd, int f,
                             const int64_t *shape) {
    size_t i = (size_t)st->n, nf = (size_t)st->nfields;
    int64_t bytes = (int64_t)ltr_dtype_size(fd->dtype);
    for (int d = 0; d < fd->ndim; d++)
        if (shape[d] < 0 || __builtin_mul_overflow(bytes, shape[d], &bytes)) return NULL;
    size_t off = st->used[f];
    /* a field given twice for one sample replaces the first: back to its offset */
    if (st->given[i * nf + (size_t)f]) off = st->offsets[i * nf + (size_t)f];
    size_t need;
    if (__builtin_add_overflow(off, (size_t)bytes, &need) || need > (size_t)INT64_MAX - 64)
        return NULL;
    if (need > st->bufcap[f] || !st->buf[f]) {
        size_t c = st->bufcap[f] ? st->bufcap[f] : 256;
        while (c < need) c *= 2;
        void *q = realloc(st->buf[f], c);
        if (!q) return NULL;
        st->buf[f] = q;
        st->bufcap[f] = c;
    }
    int64_t *shp = st->shapes + (i * nf + (size_t)f) * LT_MAX_DIMS;
    memset(shp, 0, LT_MAX_DIMS * sizeof *shp);
    memcpy(shp, shape, (size_t)fd->ndim * sizeof *shp);
    st->offsets[i * nf + (size_t)f] = off;
    st->given[i * nf + (size_t)f] = true;
    st->used[f] = need;
    return (char *)st->buf[f] + off;
}

void ltr_sample_store_commit(ltr_sample_store *st) { st->n++; }

const lt_samples *ltr_sample_store_view(ltr_sample_store *st, const lt_dataset *ds) {
    size_t nf = (size_t)st->nfields;
    bool iterable = true;
    for (int64_t i = 0; i < st->n; i++) {
        if (st->indices[i] >= 0) iterable = false;
        for (size_t f = 0; f < nf; f++)
            st->ptrs[(size_t)i * nf + f] = (char *)st->buf[f] + st->offsets[(size_t)i * nf + f];
    }
    st->view = (lt_samples){
        .size = sizeof(lt_samples),
        .count = st->n,
        .nfields = st->nfields,
        .fields = ds->fields,
        .data = st->ptrs,
        .shapes = st->shapes,
        .indices = iterable ? NULL : st->indices,
        .padding_value = ds->padding_value,
    };
    return &st->view;
}

/* the sample the calling thread's iter_next is yielding (lt_sample_field) */
static _Thread_local struct {
    ltr_sample_store *st;
    const lt_dataset *ds;
    lt_split split;
} tl_yield;

void ltr_sample_store_yielding(ltr_sample_store *st, const lt_dataset *ds, lt_split split) {
    tl_yield.st = st;
    tl_yield.ds = ds;
    tl_yield.split = split;
}

void *ltr_api_sample_field(lt_ctx *ctx, int field, const int64_t *shape) {
    ltr_sample_store *st = tl_yield.st;
    if (!st) {
        ltr_fail(ctx, "lt_sample_field: call it inside iter_next, for a field whose dst[f] is "
                      "NULL (a variable-length field of an iterable dataset)");
        return NULL;
    }
    const lt_dataset *ds = tl_yield.ds;
    const char *sn = ltr_split_name(tl_yield.split);
    if (field < 0 || field >= ds->nfields) {
        ltr_fail(ctx, "lt_sample_field: the %s dataset has %d fields, asked for field %d", sn,
                 (int)ds->nfields, field);
        return NULL;
    }
    const lt_field *fd = &ds->fields[field];
    if (!shape && fd->ndim > 0) {
        ltr_fail(ctx, "lt_sample_field: field %d ('%s') needs its shape (%d dimensions)", field,
                 fd->name ? fd->name : "?", (int)fd->ndim);
        return NULL;
    }
    for (int d = 0; d < fd->ndim; d++)
        if ((fd->shape[d] != LT_VARIABLE_DIM && shape[d] != fd->shape[d]) || shape[d] < 0) {
            ltr_fail(ctx, "lt_sample_field: field %d ('%s') of the %s dataset: dimension %d is "
                          "%lld but the dataset declares %lld: only LT_VARIABLE_DIM (-1) "
                          "dimensions may differ, and each must be >= 0", field,
                     fd->name ? fd->name : "?", sn, d, (long long)shape[d],
                     (long long)fd->shape[d]);
            return NULL;
        }
    void *p = ltr_sample_store_field(st, fd, field, shape);
    if (!p)
        ltr_fail(ctx, "lt_sample_field: out of memory for field %d ('%s') of a %s sample "
                      "(or its size overflows 64 bits)", field, fd->name ? fd->name : "?", sn);
    return p;
}
