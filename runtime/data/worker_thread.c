/* worker_thread.c — what loader worker threads share; contract in worker_thread.h. */
#define _GNU_SOURCE
#include "data/worker_thread.h"

#include "trainer/fault.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* torch.utils.data.get_worker_info(): set on each worker thread for its life */
static _Thread_local int tl_worker_id = -1, tl_num_workers;

bool ltr_api_worker_info(lt_ctx *ctx, int *worker_id, int *num_workers) {
    (void)ctx;
    if (worker_id) *worker_id = tl_worker_id;
    if (num_workers) *num_workers = tl_worker_id >= 0 ? tl_num_workers : 0;
    return tl_worker_id >= 0;
}

void ltr_worker_thread_begin(int worker_id, int num_workers) {
    /* cancellation only where ltr_worker_cancellable allows it (a fetch), deferred to
     * the next cancellation point: host code between fetches holds the pool's mutex */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
    ltr_fault_thread_init(); /* a stack overflow in get_item is reported too (fault.h) */
    /* SCHED_IDLE: a worker runs only on a core no compute thread wants. Loading then
     * fills the training thread's serial gaps instead of preempting a thread of a
     * parallel kernel, whose barrier would make every other thread wait for it
     * (measured, MLP on the decode-heavy bench/zlib_data, 2 cores: 15-25% less time per
     * epoch with num_workers 2 than at normal priority). Best effort: not fatal. */
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    tl_worker_id = worker_id;
    tl_num_workers = num_workers;
}

void ltr_worker_thread_end(void) { ltr_fault_thread_done(); }

void ltr_worker_block_signals(sigset_t *old) {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, old);
}

void ltr_worker_restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

void ltr_worker_ctx_reset(ltr_ctx *w, const ltr_dataloader *dl) {
    ltr_ctx_free_allocs(w);
    *w = *ltr_ctx_of(dl->ctx);
    w->failed = false;
    w->error[0] = '\0';
    w->arena = NULL;
    w->tape = NULL;
    w->params = NULL;
    w->rng = NULL;
    w->log_sink = NULL;
    w->log_sink_self = NULL;
    w->log_metric = NULL;
    w->allocs = NULL;
    w->nallocs = w->cap_allocs = 0;
    memset(w->metric_dicts, 0, sizeof w->metric_dicts);
    w->predict_sink = NULL;
    w->predict_sink_self = NULL;
    w->trainer = NULL;
    w->optim = NULL;
    w->pub.dataloader_idx = dl->dataloader_idx; /* worker_init sees its loader too */
}

lt_status ltr_worker_run_init(const ltr_dataloader *dl, ltr_ctx *w, int worker_id,
                              int num_workers, char *msg, size_t cap) {
    msg[0] = '\0';
    if (!dl->worker_init) return LT_OK;
    ltr_ctx_take_error(w, NULL, 0);
    if (dl->worker_init(&w->pub, dl->dm_self, dl->split, worker_id, num_workers) == LT_OK &&
        !w->failed)
        return LT_OK;
    char m[900] = "";
    ltr_ctx_take_error(w, m, sizeof m);
    snprintf(msg, cap, "worker_init(%s, worker %d of %d) failed: %s", ltr_split_name(dl->split),
             worker_id, num_workers, m[0] ? m : "(no message)");
    return LT_ERROR;
}

uint64_t ltr_deadline_in(double seconds) {
    if (!(seconds > 0)) return 0;
    double ns = seconds * 1e9;
    if (ns > 1e18) ns = 1e18; /* a century or so: still a deadline */
    return uv_hrtime() + (uint64_t)ns;
}

bool ltr_cond_wait_until(uv_cond_t *cv, uv_mutex_t *mu, uint64_t deadline) {
    if (!deadline) {
        uv_cond_wait(cv, mu);
        return true;
    }
    uint64_t now = uv_hrtime();
    if (now >= deadline) return false;
    /* a wakeup before the deadline (ETIMEDOUT or not) is rechecked by the caller */
    uv_cond_timedwait(cv, mu, deadline - now);
    return uv_hrtime() < deadline;
}

lt_status ltr_worker_timeout_error(const ltr_dataloader *dl, int worker_id, int64_t batch) {
    char which[48] = "";
    if (dl->split != LT_SPLIT_TRAIN)
        snprintf(which, sizeof which, " (dataloader_idx %d)", dl->dataloader_idx);
    /* torch: RuntimeError(f"DataLoader timed out after {self._timeout} seconds") */
    return ltr_fail(dl->ctx, "DataLoader timed out after %g seconds: worker %d (of %d) of the %s "
                             "loader%s has not delivered batch %lld; its %s is still running "
                             "(raise --data.timeout, or 0 to wait forever)", dl->ds.timeout,
                    worker_id, (int)dl->ds.num_workers, ltr_split_name(dl->split), which,
                    (long long)batch, dl->iterable ? "iter_next" : "get_item");
}

void ltr_worker_cancellable(bool on) {
    pthread_setcancelstate(on ? PTHREAD_CANCEL_ENABLE : PTHREAD_CANCEL_DISABLE, NULL);
}

void ltr_worker_cancel(uv_thread_t *th) { pthread_cancel(*th); }

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* Cancellation unwinds the plugin's frames without running their epilogues, so the
 * shadow of their redzones stays poisoned below the cleanup handler; the sanitizer's own
 * interceptors then put their locals there and report them (a false positive that ends
 * in "CHECK failed: asan_thread.cpp"). Everything below this frame is dead stack. */
void ltr_worker_unwound(void) {
    pthread_attr_t a;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a)) return;
    int rc = pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    char *here = __builtin_frame_address(0);
    if (!rc && here > (char *)lo && here < (char *)lo + size)
        ASAN_UNPOISON_MEMORY_REGION(lo, (size_t)(here - (char *)lo));
}
#else
void ltr_worker_unwound(void) {}
#endif

bool ltr_worker_join_within(uv_thread_t *th, double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double whole = (double)(long)seconds;
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return pthread_timedjoin_np(*th, NULL, &ts) == 0;
}

/* loaders left behind: reachable from here, so a leak checker does not count them, and
 * the plugin loader keeps every library mapped while one exists */
typedef struct kept {
    void *p;
    struct kept *next;
} kept;
static kept *_Atomic left_behind;

void ltr_workers_leave_behind(void *p) {
    kept *k = malloc(sizeof *k);
    if (!k) return; /* then it only leaks */
    k->p = p;
    k->next = atomic_load(&left_behind);
    while (!atomic_compare_exchange_weak(&left_behind, &k->next, k)) {}
}

bool ltr_workers_left_behind(void) { return atomic_load(&left_behind) != NULL; }
