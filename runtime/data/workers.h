/*
 * workers.h — the DataLoader's worker pool: torch.utils.data's
 * _MultiProcessingDataLoaderIter on libuv threads instead of processes.
 *
 * Owned by the loader (dl->workers). num_workers threads fetch and collate whole
 * batches (ltr_dataloader_fetch_batch) into the loader's slots; at most
 * num_workers * prefetch_factor batches are in flight beyond the one the consumer
 * holds, batch b goes to worker (b - first) % num_workers (PyTorch's round robin),
 * and batches are handed out strictly in order. Each worker calls get_item with its
 * own lt_ctx, so errors never race; a failed batch is reported when its turn comes.
 * Worker threads block SIGINT/SIGTERM (the sigwait thread takes them, signal_connector.c)
 * and never run compute kernels. Each runs the data module's worker_init first.
 * ABI 1.9: ds.timeout bounds the wait for a batch (data/worker_thread.h).
 */
#ifndef LTR_WORKERS_H
#define LTR_WORKERS_H

#include "data/dataloader.h"
#include "data/worker_thread.h" /* ltr_api_worker_info, timeouts */

typedef struct ltr_workers ltr_workers;

/* Make the pool (no thread starts yet); NULL when out of memory. */
ltr_workers *ltr_workers_new(ltr_dataloader *dl);
/* Batch b, waiting for it; restarts the prefetch at b unless b follows the last
 * batch handed out. Errors go to dl->ctx. */
lt_status ltr_workers_get(ltr_workers *ws, int64_t b, lt_batch **out);
/* Cancel what is in flight (waits for the fetches running now); join the threads
 * too when `join`. The epoch's order may change afterwards. */
void ltr_workers_stop(ltr_workers *ws, bool join);
/* Stop, join and free; false when a worker could not be stopped after a timeout (the
 * pool is then left behind, not freed: the loader's buffers must stay too). */
bool ltr_workers_free(ltr_workers *ws);
/* Threads running now (for tests: persistent_workers keeps them between epochs). */
int ltr_workers_alive(const ltr_workers *ws);

#endif
