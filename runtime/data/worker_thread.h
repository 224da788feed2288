/*
 * worker_thread.h — what every DataLoader worker thread shares, whichever pool runs it
 * (data/workers.h for map-style datasets, data/iter_workers.h for iterable ones): its
 * start (signals, priority, fault reporting, get_worker_info), its context, the
 * data module's worker_init, and how the consumer waits for it — DataLoader's
 * `timeout` and the stopping of a worker that does not come back.
 *
 * Timeout (torch's _MultiProcessingDataLoaderIter._try_get_data): with ds.timeout > 0
 * the consumer waits at most that long for the batch it asks for, then the run stops
 * with torch's "DataLoader timed out after N seconds", naming the loader, the worker and
 * the batch. The pool is then broken: stopping it waits LTR_WORKER_GRACE_S for the
 * fetches under way (torch's join timeout before it terminates a worker process), then
 * cancels the workers still inside the plugin (pthread_cancel; a worker is cancellable
 * only while it fetches, and a blocking call there — sleep, read, poll, a condition
 * wait — is where it stops), then waits once more. A worker that even so does not end
 * (a loop without a cancellation point) is left behind: its pool is not freed and the
 * process must exit (ltr_workers_left_behind), the one case that cannot be cleaned up
 * with threads instead of processes.
 */
#ifndef LTR_WORKER_THREAD_H
#define LTR_WORKER_THREAD_H

#include "core/context.h"
#include "data/dataloader.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* torch's _utils.MP_STATUS_CHECK_INTERVAL: how long a shutdown waits for a worker */
#define LTR_WORKER_GRACE_S 5.0

/* On the worker thread, first: fault reporting, SCHED_IDLE, get_worker_info's
 * (worker_id, num_workers), cancellation off (ltr_worker_cancellable turns it on). */
void ltr_worker_thread_begin(int worker_id, int num_workers);
void ltr_worker_thread_end(void);
/* Around thread creation: SIGINT/SIGTERM stay with the sigwait thread (signal_connector.c),
 * so the mask is set before the threads exist and they inherit it. */
void ltr_worker_block_signals(sigset_t *old);
void ltr_worker_restore_signals(const sigset_t *old);

/* A worker's context: a copy of the loader's (api, seed, precision, names) without an
 * error and without the per-step parts a worker must not share (arena, tape,
 * parameters, rng, log sink, trainer); frees what the previous one allocated. */
void ltr_worker_ctx_reset(ltr_ctx *wctx, const ltr_dataloader *dl);
/* The data module's worker_init on this worker; on failure msg gets
 * "worker_init(<split>, worker i of n) failed: ..." and LT_ERROR is returned. */
lt_status ltr_worker_run_init(const ltr_dataloader *dl, ltr_ctx *wctx, int worker_id,
                              int num_workers, char *msg, size_t cap);

/* Deadlines on uv_hrtime's clock; 0 means none. */
uint64_t ltr_deadline_in(double seconds);
/* uv_cond_wait, or until the deadline; false when it passed. */
bool ltr_cond_wait_until(uv_cond_t *cv, uv_mutex_t *mu, uint64_t deadline);
/* The consumer's timeout error in ctx: torch's message, the loader, worker and batch. */
lt_status ltr_worker_timeout_error(const ltr_dataloader *dl, int worker_id, int64_t batch);

/* The calling worker may be cancelled (while it fetches) or not. */
void ltr_worker_cancellable(bool on);
/* pthread_cancel the worker thread (it ends at its next cancellation point). */
void ltr_worker_cancel(uv_thread_t *th);
/* First call of a cancellation cleanup handler: the stack the unwinding left behind is
 * made clean for the sanitizers (a no-op in other builds). */
void ltr_worker_unwound(void);
/* Join within `seconds`; false (the thread still runs) when it did not end. */
bool ltr_worker_join_within(uv_thread_t *th, double seconds);
/* A worker that could not be stopped was left behind: what it may still touch (a copy
 * of its loader, with the pool and buffers) is kept here instead of freed; plugins must
 * stay loaded (ltr_workers_left_behind) and the process should exit. */
void ltr_workers_leave_behind(void *loader_copy);
bool ltr_workers_left_behind(void);

/* lt_host_api member (ABI 1.5): get_worker_info() of the calling thread. */
bool ltr_api_worker_info(lt_ctx *ctx, int *worker_id, int *num_workers);

#endif
