/*
 * iterable.h — torch.utils.data.IterableDataset: batches pulled from the data module's
 * iterator (iter_begin / iter_next / iter_end, ltrun/data.h) instead of fetched by index.
 *
 * Owned by the data pipeline. An ltr_iter is one iterator (iter(dataset)): opened at
 * its first fetch on the thread that pulls from it, closed (iter_end) when its stream
 * ends or it is dropped. A fetch takes up to batch_size consecutive samples, as torch's
 * _IterableDatasetFetcher: fewer at the end of the stream, none when the stream is
 * over (or the last short batch with drop_last), and the iterator is never asked again
 * once it said LT_STOP_ITERATION.
 *
 * Without workers the loader's stream runs on the training thread over two slots: the
 * batch handed out and the one after it, fetched ahead only when the loop asks whether
 * the current batch is the last (ltr_iter_stream_peek_end) — Lightning's
 * _PrefetchDataFetcher, which prefetches one batch only when the length is unknown.
 * Asking for a batch before the stream's position restarts the iterator and skips;
 * asking past it skips (a resumed epoch replays its first batches).
 * With workers: data/iter_workers.h.
 */
#ifndef LTR_ITERABLE_H
#define LTR_ITERABLE_H

#include "data/dataloader.h"

typedef struct ltr_iter {
    void *state;     /* what iter_begin made (the plugin's) */
    bool open;       /* iter_begin ran, iter_end not yet */
    bool ended;      /* iter_next said LT_STOP_ITERATION: no more calls */
    int64_t yielded; /* samples this iterator gave */
} ltr_iter;

/* The data module's iterator hooks for an iterable loader (after init); an iterable
 * split without iter_next is an error naming the split (the loader is freed then). */
lt_status ltr_iterable_attach(ltr_dataloader *dl,
                              lt_status (*begin)(lt_ctx *, void *, lt_split, void **),
                              lt_status (*next)(lt_ctx *, void *, lt_split, void *, void *const *),
                              void (*end)(lt_ctx *, void *, lt_split, void *));
/* One batch from `it` into slots[slot] (slots[slot].size 0: the stream has no more
 * batches); errors go to ctx naming the split and the hook. */
lt_status ltr_iter_fetch_batch(ltr_dataloader *dl, int slot, ltr_iter *it, lt_ctx *ctx);
/* iter_end if open; `it` is then a fresh, unopened iterator. */
void ltr_iter_close(ltr_dataloader *dl, ltr_iter *it, lt_ctx *ctx);

/* The training-thread stream (an iterable loader without workers). */
lt_status ltr_iter_stream_get(ltr_dataloader *dl, int64_t b, lt_batch **out);
lt_status ltr_iter_stream_peek_end(ltr_dataloader *dl, int64_t b, bool *last);
/* A new epoch's iterator: the current one closes. */
void ltr_iter_stream_reset(ltr_dataloader *dl);
void ltr_iter_stream_free(ltr_dataloader *dl);

#endif
