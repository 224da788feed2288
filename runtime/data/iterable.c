/* iterable.c — batches from an IterableDataset's iterator; contract in iterable.h. */
#include "data/iterable.h"

#include "core/context.h"
#include "data/collate.h"
#include "data/collate_fn.h"
#include "data/sample_store.h"
#include "data/transforms.h"
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the training-thread stream: slot k holds stream batch slot_b[k] */
struct ltr_iter_stream {
    ltr_iter it;
    int64_t next_b;    /* the stream batch the iterator gives next */
    int64_t slot_b[2]; /* -1: empty */
    int64_t end_at;    /* the stream has this many batches (-1: not reached yet) */
};

lt_status ltr_iterable_attach(ltr_dataloader *dl,
                              lt_status (*begin)(lt_ctx *, void *, lt_split, void **),
                              lt_status (*next)(lt_ctx *, void *, lt_split, void *, void *const *),
                              void (*end)(lt_ctx *, void *, lt_split, void *)) {
    if (!dl->iterable) return LT_OK;
    lt_ctx *ctx = dl->ctx;
    const char *sn = ltr_split_name(dl->split);
    if (!next) {
        ltr_dataloader_free(dl);
        return ltr_fail(ctx, "the %s dataset is iterable (ds.iterable) but the data module has "
                             "no iter_next hook: add iter_next (and iter_begin / iter_end for "
                             "per-iterator state), ABI 1.9", sn);
    }
    dl->iter_begin = begin;
    dl->iter_next = next;
    dl->iter_end = end;
    if (!dl->ds.num_workers) {
        if (!(dl->stream = calloc(1, sizeof *dl->stream))) {
            ltr_dataloader_free(dl);
            return ltr_fail(ctx, "out of memory for the %s loader's iterator", sn);
        }
        dl->stream->slot_b[0] = dl->stream->slot_b[1] = -1;
        dl->stream->end_at = -1;
    }
    return LT_OK;
}

static lt_status hook_error(ltr_dataloader *dl, lt_ctx *ctx, const char *hook, const ltr_iter *it,
                            const char *fallback) {
    char msg[900] = "";
    ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg);
    return ltr_fail(ctx, "%s(%s) failed after %lld samples of this iterator: %s", hook,
                    ltr_split_name(dl->split), (long long)it->yielded,
                    msg[0] ? msg : fallback);
}

void ltr_iter_close(ltr_dataloader *dl, ltr_iter *it, lt_ctx *ctx) {
    if (it->open && dl->iter_end) {
        bool had_error = ltr_ctx_of(ctx)->failed; /* not iter_end's: left where it is */
        ctx->dataloader_idx = dl->dataloader_idx;
        ltr_fetch_scope_set(dl->seed, dl->epoch);
        dl->iter_end(ctx, dl->dm_self, dl->split, it->state);
        ltr_fetch_scope_clear();
        char msg[900] = ""; /* iter_end returns nothing: an error it records is only shown */
        if (!had_error && ltr_ctx_take_error(ltr_ctx_of(ctx), msg, sizeof msg) && msg[0])
            fprintf(stderr, "UserWarning: iter_end(%s): %s\n", ltr_split_name(dl->split), msg);
    }
    memset(it, 0, sizeof *it);
}

lt_status ltr_iter_fetch_batch(ltr_dataloader *dl, int slot, ltr_iter *it, lt_ctx *ctx) {
    const lt_dataset *ds = &dl->ds;
    lt_batch *b = &dl->slots[slot];
    const char *sn = ltr_split_name(dl->split);
    b->size = 0;
    ctx->dataloader_idx = dl->dataloader_idx; /* ABI 1.9: the hooks see their loader */
    if (it->ended) return LT_OK; /* torch's fetcher: StopIteration from then on */
    ltr_ctx_take_error(ltr_ctx_of(ctx), NULL, 0);
    if (!it->open) { /* iter(dataset) on the thread that pulls from it */
        memset(it, 0, sizeof *it);
        if (dl->iter_begin) {
            ltr_fetch_scope_set(dl->seed, dl->epoch);
            lt_status rc = dl->iter_begin(ctx, dl->dm_self, dl->split, &it->state);
            ltr_fetch_scope_clear();
            if (rc != LT_OK || ltr_ctx_of(ctx)->failed)
                return hook_error(dl, ctx, "iter_begin", it, "(no message)");
        }
        it->open = true;
    }
    ltr_sample_store *st = dl->staged ? &dl->stores[slot] : NULL;
    if (st) ltr_sample_store_reset(st);
    size_t sample_bytes[LT_MAX_FIELDS] = {0};
    for (int f = 0; f < ds->nfields && !st; f++) {
        int64_t numel = 1;
        for (int d = 0; d < ds->fields[f].ndim; d++) numel *= ds->fields[f].shape[d];
        sample_bytes[f] = (size_t)numel * ltr_dtype_size(ds->fields[f].dtype);
    }
    int64_t n = 0;
    while (n < ds->batch_size) {
        void *dst[LT_MAX_FIELDS] = {0};
        if (st) {
            if (!ltr_sample_store_begin(st, -1))
                return ltr_fail(ctx, "out of memory for the %s loader's sample store", sn);
            for (int f = 0; f < ds->nfields; f++) {
                if (ltr_field_is_variable(&ds->fields[f])) continue; /* lt_sample_field */
                if (!(dst[f] = ltr_sample_store_field(st, &ds->fields[f], f, ds->fields[f].shape)))
                    return ltr_fail(ctx, "out of memory staging a sample of the %s loader", sn);
            }
            ltr_sample_store_yielding(st, ds, dl->split);
        } else {
            for (int f = 0; f < ds->nfields; f++)
                dst[f] = (char *)b->fields[f]->data + (size_t)n * sample_bytes[f];
        }
        ltr_fetch_scope_set(dl->seed, dl->epoch);
        lt_status rc = dl->iter_next(ctx, dl->dm_self, dl->split, it->state, dst);
        ltr_fetch_scope_clear();
        ltr_sample_store_yielding(NULL, NULL, dl->split);
        if (ltr_ctx_of(ctx)->failed) return hook_error(dl, ctx, "iter_next", it, "(no message)");
        if (rc == LT_STOP_ITERATION) {
            it->ended = true;
            break;
        }
        if (rc != LT_OK) {
            char what[96];
            snprintf(what, sizeof what, "it returned %d (LT_OK, LT_STOP_ITERATION or LT_ERROR "
                                        "with lt_fail)", rc);
            return hook_error(dl, ctx, "iter_next", it, rc == LT_ERROR ? "(no message)" : what);
        }
        if (st) {
            for (int f = 0; f < ds->nfields; f++)
                if (!st->given[(size_t)st->n * (size_t)st->nfields + (size_t)f])
                    return ltr_fail(ctx, "iter_next(%s) yielded a sample without field %d ('%s'): "
                                         "a variable-length field's dst is NULL; give its buffer "
                                         "with lt_sample_field(ctx, %d, shape)", sn, f,
                                    ds->fields[f].name ? ds->fields[f].name : "?", f);
            ltr_sample_store_commit(st);
        }
        n++;
        it->yielded++;
    }
    if (it->ended) { /* the generator is exhausted: its state goes now */
        bool ended = true;
        ltr_iter_close(dl, it, ctx);
        it->ended = ended;
    }
    /* torch: no batch from an empty fetch, nor a short one under drop_last */
    if (n == 0 || (ds->drop_last && n < ds->batch_size)) return LT_OK;
    if (st) return ltr_collate_staged(dl, slot, ctx);
    for (int f = 0; f < ds->nfields; f++) b->fields[f]->shape[0] = n;
    b->size = n;
    return LT_OK;
}

/* ---- the training-thread stream ---- */

void ltr_iter_stream_reset(ltr_dataloader *dl) {
    struct ltr_iter_stream *s = dl->stream;
    if (!s) return;
    ltr_iter_close(dl, &s->it, dl->ctx);
    s->next_b = 0;
    s->slot_b[0] = s->slot_b[1] = -1;
    s->end_at = -1;
}

void ltr_iter_stream_free(ltr_dataloader *dl) {
    if (!dl->stream) return;
    ltr_iter_stream_reset(dl);
    free(dl->stream);
    dl->stream = NULL;
}

lt_status ltr_iter_stream_get(ltr_dataloader *dl, int64_t b, lt_batch **out) {
    struct ltr_iter_stream *s = dl->stream;
    *out = NULL;
    if (s->end_at >= 0 && b >= s->end_at) return LT_OK;
    for (int k = 0; k < 2; k++)
        if (s->slot_b[k] == b) {
            *out = &dl->slots[k];
            return LT_OK;
        }
    if (b < s->next_b) ltr_iter_stream_reset(dl); /* back in the stream: a new iterator */
    while (s->next_b <= b) { /* batches before b are fetched and dropped (a resumed epoch) */
        int k = (int)(s->next_b % 2);
        s->slot_b[k] = -1;
        if (ltr_iter_fetch_batch(dl, k, &s->it, dl->ctx) != LT_OK) return LT_ERROR;
        if (dl->slots[k].size == 0) {
            s->end_at = s->next_b;
            return LT_OK;
        }
        s->slot_b[k] = s->next_b++;
    }
    *out = &dl->slots[b % 2];
    return LT_OK;
}

lt_status ltr_iter_stream_peek_end(ltr_dataloader *dl, int64_t b, bool *last) {
    lt_batch *next;
    if (ltr_iter_stream_get(dl, b + 1, &next) != LT_OK) return LT_ERROR;
    *last = next == NULL;
    return LT_OK;
}
