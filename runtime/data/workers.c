/*
 * workers.c — the DataLoader's worker threads; contract in workers.h.
 *
 * One mutex guards the pool's state. A run of the pipeline starts at batch `first`
 * (0, or the k of a resumed epoch, or any index asked out of turn) and has a
 * generation number; worker w fetches batches first + w, first + w + n, ... (PyTorch's
 * round robin over its index queues) while they are below `issued_end`, which the
 * consumer moves to b + 1 + num_workers * prefetch_factor when it takes batch b
 * (PyTorch's _try_put_index after each batch). With nslots = in-flight + 1, batch b's
 * slot b % nslots is the one of batch b - nslots, released by the consumer when it
 * asked for b - nslots + 1: a handed-out batch is never overwritten before the next get.
 * Stopping bumps the generation and waits for the fetches under way (one per worker
 * at most), so a fetch of an old run never lands in a slot of the new one, and the
 * epoch's order is only read while no stop is possible.
 */
#define _GNU_SOURCE
#include "data/workers.h"

#include "core/context.h"
#include "trainer/fault.h"

#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { SLOT_EMPTY, SLOT_READY, SLOT_FAILED };

typedef struct worker {
    ltr_workers *ws;
    int id;
    uint64_t gen;   /* the run this worker's next_b belongs to */
    int64_t next_b; /* its next batch in that run */
    ltr_ctx ctx;    /* its own context: get_item's errors stay here */
    uv_thread_t th;
} worker;

struct ltr_workers {
    ltr_dataloader *dl;
    int n, nslots;
    int64_t inflight;   /* num_workers * prefetch_factor */
    uv_mutex_t mu;
    uv_cond_t work_cv;  /* workers wait here for batches to fetch */
    uv_cond_t done_cv;  /* the consumer (and stop) wait here */
    bool threads_up, quit, running;
    uint64_t gen;
    int64_t first, issued_end, nbatches;
    int64_t next_get;   /* the batch that is the fast path; -1: none */
    int busy;           /* fetches under way */
    int64_t *slot_batch;
    int *slot_state;
    char (*slot_err)[1024];
    worker *w;
};

int ltr_workers_alive(const ltr_workers *ws) { return ws->threads_up ? ws->n : 0; }

/* torch.utils.data.get_worker_info(): set on each worker thread for its life */
static _Thread_local int tl_worker_id = -1, tl_num_workers;

bool ltr_api_worker_info(lt_ctx *ctx, int *worker_id, int *num_workers) {
    (void)ctx;
    if (worker_id) *worker_id = tl_worker_id;
    if (num_workers) *num_workers = tl_worker_id >= 0 ? tl_num_workers : 0;
    return tl_worker_id >= 0;
}

ltr_workers *ltr_workers_new(ltr_dataloader *dl) {
    ltr_workers *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->dl = dl;
    ws->n = dl->ds.num_workers;
    ws->nslots = dl->nslots;
    ws->inflight = (int64_t)dl->ds.num_workers * dl->ds.prefetch_factor;
    ws->next_get = -1;
    ws->slot_batch = malloc((size_t)ws->nslots * sizeof *ws->slot_batch);
    ws->slot_state = calloc((size_t)ws->nslots, sizeof *ws->slot_state);
    ws->slot_err = malloc((size_t)ws->nslots * sizeof *ws->slot_err);
    ws->w = calloc((size_t)ws->n, sizeof *ws->w);
    if (!ws->slot_batch || !ws->slot_state || !ws->slot_err || !ws->w ||
        uv_mutex_init(&ws->mu)) {
        free(ws->slot_batch), free(ws->slot_state), free(ws->slot_err), free(ws->w), free(ws);
        return NULL;
    }
    uv_cond_init(&ws->work_cv);
    uv_cond_init(&ws->done_cv);
    for (int s = 0; s < ws->nslots; s++) ws->slot_batch[s] = -1;
    for (int i = 0; i < ws->n; i++) ws->w[i] = (worker){.ws = ws, .id = i};
    return ws;
}

static void worker_main(void *arg) {
    worker *w = arg;
    ltr_workers *ws = w->ws;
    ltr_fault_thread_init(); /* a stack overflow in get_item is reported too (fault.h) */
    ltr_dataloader *dl = ws->dl;
    /* SCHED_IDLE: a worker runs only on a core no compute thread wants. Loading then
     * fills the training thread's serial gaps instead of preempting a thread of a
     * parallel kernel, whose barrier would make every other thread wait for it
     * (measured, MLP on the decode-heavy bench/zlib_data, 2 cores: 15-25% less time per
     * epoch with num_workers 2 than at normal priority). Best effort: not fatal. */
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    tl_worker_id = w->id;
    tl_num_workers = ws->n;
    /* worker_init_fn, before any fetch; a failure fails each batch this worker takes,
     * so the run stops in order at its first one with the hook's message */
    char init_err[1024] = "";
    if (dl->worker_init) {
        ltr_ctx_take_error(&w->ctx, NULL, 0);
        if (dl->worker_init(&w->ctx.pub, dl->dm_self, dl->split, w->id, ws->n) != LT_OK ||
            w->ctx.failed) {
            char msg[900] = "";
            ltr_ctx_take_error(&w->ctx, msg, sizeof msg);
            snprintf(init_err, sizeof init_err, "worker_init(%s, worker %d of %d) failed: %s",
                     ltr_split_name(dl->split), w->id, ws->n, msg[0] ? msg : "(no message)");
        }
    }
    uv_mutex_lock(&ws->mu);
    /* worker_init ran on w->ctx: it counted as a fetch under way (start_threads), so a
     * restart (reset_worker_ctx) waits for it instead of resetting the context under it */
    ws->busy--;
    uv_cond_broadcast(&ws->done_cv);
    while (!ws->quit) {
        if (w->gen != ws->gen) { /* a new run: this worker's share of it */
            w->gen = ws->gen;
            w->next_b = ws->first + w->id;
        }
        if (!ws->running || w->next_b >= ws->issued_end) {
            uv_cond_wait(&ws->work_cv, &ws->mu);
            continue;
        }
        int64_t b = w->next_b;
        w->next_b += ws->n;
        int s = (int)(b % ws->nslots);
        ws->busy++;
        uv_mutex_unlock(&ws->mu);
        char msg[1024] = "";
        lt_status rc = init_err[0] ? LT_ERROR
                       : ltr_dataloader_fetch_batch(dl, &dl->slots[s], b * dl->ds.batch_size,
                                                    ltr_dataloader_batch_samples(dl, b),
                                                    &w->ctx.pub, false);
        if (init_err[0]) {
            memcpy(msg, init_err, sizeof msg);
        } else if (rc != LT_OK || w->ctx.failed) {
            rc = LT_ERROR;
            if (!ltr_ctx_take_error(&w->ctx, msg, sizeof msg) || !msg[0])
                strcpy(msg, "get_item failed (no message)");
        }
        uv_mutex_lock(&ws->mu);
        ws->busy--;
        if (w->gen == ws->gen) {
            ws->slot_batch[s] = b;
            ws->slot_state[s] = rc == LT_OK ? SLOT_READY : SLOT_FAILED;
            if (rc != LT_OK) memcpy(ws->slot_err[s], msg, sizeof msg);
        }
        uv_cond_broadcast(&ws->done_cv);
    }
    uv_mutex_unlock(&ws->mu);
    ltr_fault_thread_done();
}

/* Each worker's context: a copy of the loader's (api, seed, precision, names) with
 * no error, and none of the per-step parts a worker must not share (arena, tape,
 * parameters, rng, log sink, trainer): get_item only fills buffers. */
static void reset_worker_ctx(ltr_workers *ws, worker *w) {
    ltr_ctx_free_allocs(&w->ctx);
    w->ctx = *ltr_ctx_of(ws->dl->ctx);
    w->ctx.failed = false;
    w->ctx.error[0] = '\0';
    w->ctx.arena = NULL;
    w->ctx.tape = NULL;
    w->ctx.params = NULL;
    w->ctx.rng = NULL;
    w->ctx.log_sink = NULL;
    w->ctx.log_sink_self = NULL;
    w->ctx.log_metric = NULL;
    w->ctx.allocs = NULL;
    w->ctx.nallocs = w->ctx.cap_allocs = 0;
    memset(w->ctx.metric_dicts, 0, sizeof w->ctx.metric_dicts);
    w->ctx.predict_sink = NULL;
    w->ctx.predict_sink_self = NULL;
    w->ctx.trainer = NULL;
    w->ctx.optim = NULL;
    w->ctx.pub.dataloader_idx = ws->dl->dataloader_idx; /* worker_init sees its loader too */
}

/* Called with ws->mu held and no fetch under way. */
static lt_status start_threads(ltr_workers *ws) {
    /* SIGINT/SIGTERM stay with the sigwait thread (signal_connector.c): a worker must never take
     * one, so the mask is set before the threads exist and they inherit it */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    int started = 0;
    for (; started < ws->n; started++) {
        ws->w[started].gen = ws->gen - 1; /* picks up the current run */
        ws->busy++; /* its worker_init; the worker takes it off when done */
        if (uv_thread_create(&ws->w[started].th, worker_main, &ws->w[started])) {
            ws->busy--;
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started == ws->n) {
        ws->threads_up = true;
        return LT_OK;
    }
    ws->quit = true;
    uv_cond_broadcast(&ws->work_cv);
    uv_mutex_unlock(&ws->mu);
    for (int i = 0; i < started; i++) uv_thread_join(&ws->w[i].th);
    uv_mutex_lock(&ws->mu);
    ws->quit = false;
    return LT_ERROR;
}

/* With ws->mu held: cancel the run, wait for the fetches under way. */
static void cancel_locked(ltr_workers *ws) {
    ws->running = false;
    ws->gen++;
    while (ws->busy > 0) uv_cond_wait(&ws->done_cv, &ws->mu);
    for (int s = 0; s < ws->nslots; s++) {
        ws->slot_batch[s] = -1;
        ws->slot_state[s] = SLOT_EMPTY;
    }
    ws->next_get = -1;
}

void ltr_workers_stop(ltr_workers *ws, bool join) {
    uv_mutex_lock(&ws->mu);
    cancel_locked(ws);
    bool up = ws->threads_up;
    if (join && up) {
        ws->quit = true;
        uv_cond_broadcast(&ws->work_cv);
    }
    uv_mutex_unlock(&ws->mu);
    if (!join || !up) return;
    for (int i = 0; i < ws->n; i++) uv_thread_join(&ws->w[i].th);
    uv_mutex_lock(&ws->mu);
    ws->threads_up = false;
    ws->quit = false;
    uv_mutex_unlock(&ws->mu);
}

void ltr_workers_free(ltr_workers *ws) {
    ltr_workers_stop(ws, true);
    for (int i = 0; i < ws->n; i++) ltr_ctx_free_allocs(&ws->w[i].ctx);
    uv_cond_destroy(&ws->work_cv);
    uv_cond_destroy(&ws->done_cv);
    uv_mutex_destroy(&ws->mu);
    free(ws->slot_batch);
    free(ws->slot_state);
    free(ws->slot_err);
    free(ws->w);
    free(ws);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

lt_status ltr_workers_get(ltr_workers *ws, int64_t b, lt_batch **out) {
    ltr_dataloader *dl = ws->dl;
    const char *sn = ltr_split_name(dl->split);
    uv_mutex_lock(&ws->mu);
    if (!ws->running || b != ws->next_get) {
        /* a new iterator (epoch start), a resumed epoch's batch k, or random access:
         * the prefetch (re)starts at b */
        cancel_locked(ws);
        for (int i = 0; i < ws->n; i++) reset_worker_ctx(ws, &ws->w[i]);
        ws->first = b;
        ws->gen++; /* the new run: a worker woken during the cancel computed its share
                      from the old `first`; this makes it take it again */
        ws->nbatches = ltr_dataloader_len(dl);
        if (!ws->threads_up && start_threads(ws)) {
            uv_mutex_unlock(&ws->mu);
            return ltr_fail(dl->ctx, "the %s loader could not start its %d worker threads (lower "
                                       "--data.num_workers, or 0 to load on the training thread)", sn,
                            ws->n);
        }
        ws->running = true;
    }
    ws->issued_end = min64(ws->nbatches, b + 1 + ws->inflight);
    uv_cond_broadcast(&ws->work_cv);
    int s = (int)(b % ws->nslots);
    while (ws->slot_batch[s] != b) uv_cond_wait(&ws->done_cv, &ws->mu);
    if (ws->slot_state[s] == SLOT_FAILED) {
        char msg[1024];
        memcpy(msg, ws->slot_err[s], sizeof msg);
        uv_mutex_unlock(&ws->mu);
        ltr_workers_stop(ws, !dl->ds.persistent_workers);
        return ltr_fail(dl->ctx, "%s", msg);
    }
    ws->next_get = b + 1;
    bool last = b + 1 >= ws->nbatches;
    uv_mutex_unlock(&ws->mu);
    /* the epoch is over: PyTorch's iterator shuts its workers down when exhausted */
    if (last) ltr_workers_stop(ws, !dl->ds.persistent_workers);
    *out = &dl->slots[s];
    return LT_OK;
}
