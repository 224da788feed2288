/*
 * iter_workers.h — the worker pool of an iterable dataset's loader: torch's
 * _MultiProcessingDataLoaderIter over an IterableDataset, on threads.
 *
 * Owned by the loader (dl->iter_workers). Each of the num_workers threads runs its own
 * iterator per epoch (iter_begin on that thread, where lt_worker_info names it) and
 * batches its own stream (data/iterable.h) into its own ring of prefetch_factor + 2
 * slots, at most prefetch_factor batches ahead of what the consumer took. The consumer
 * takes the batches from the workers in turn — worker 0's first, worker 1's first, ...,
 * worker 0's second — skipping a worker once its stream ended; the epoch ends when
 * every stream has (torch's round robin over its index queues with
 * _IterableDatasetStopIteration marking a worker unavailable). Errors are reported
 * when their batch's turn comes. ds.timeout bounds each wait as in data/workers.h.
 */
#ifndef LTR_ITER_WORKERS_H
#define LTR_ITER_WORKERS_H

#include "data/dataloader.h"

typedef struct ltr_iter_workers ltr_iter_workers;

/* the loader's batch slots for such a pool */
int ltr_iter_workers_nslots(int num_workers, int prefetch_factor);
/* Make the pool (no thread starts before the first get); NULL when out of memory. */
ltr_iter_workers *ltr_iter_workers_new(ltr_dataloader *dl);
/* Stream batch b of the epoch (*out NULL: the streams ended before it). b is the
 * batch after the last one asked for on the fast path; a later b drops the batches
 * between, an earlier one restarts the iterators. Errors go to dl->ctx. */
lt_status ltr_iter_workers_get(ltr_iter_workers *ws, int64_t b, lt_batch **out);
/* After getting b: takes batch b + 1 ahead (b stays valid) to say whether b is the last. */
lt_status ltr_iter_workers_peek_end(ltr_iter_workers *ws, int64_t b, bool *last);
/* End the epoch's iterators (iter_end on each worker); join the threads when `join`. */
void ltr_iter_workers_stop(ltr_iter_workers *ws, bool join);
/* Stop, join and free; false when a worker could not be stopped after a timeout (the
 * loader then keeps the pool and its buffers: data/worker_thread.h). */
bool ltr_iter_workers_free(ltr_iter_workers *ws);
/* Threads running now (tests). */
int ltr_iter_workers_alive(const ltr_iter_workers *ws);

#endif
