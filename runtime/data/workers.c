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
 * ABI 1.9: DataLoader timeout — the consumer's wait for batch b is bounded by
 * ds.timeout; after a timeout the pool is broken and its stop waits a bounded time,
 * cancelling workers that stay inside the plugin (data/worker_thread.h).
 */
#define _GNU_SOURCE
#include "data/workers.h"

#include "core/context.h"
#include "data/worker_thread.h"

#include <pthread.h>
#include <stdio.h>
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
    bool fetching;  /* inside the plugin (worker_init or a batch's fetch) */
    bool dead;      /* cancelled there (data/worker_thread.h) */
    bool left;      /* could not be stopped: left behind */
} worker;

struct ltr_workers {
    ltr_dataloader *dl;
    int n, nslots;
    int64_t inflight;   /* num_workers * prefetch_factor */
    uv_mutex_t mu;
    uv_cond_t work_cv;  /* workers wait here for batches to fetch */
    uv_cond_t done_cv;  /* the consumer (and stop) wait here */
    bool threads_up, quit, running;
    bool broken;        /* ABI 1.9: a timeout happened: stops wait a bounded time */
    bool left_behind;   /* a worker could not be stopped: the pool is never freed */
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

/* pthread cleanup: the worker was cancelled inside the plugin (a broken pool's stop) */
static void fetch_cancelled(void *arg) {
    ltr_worker_unwound();
    worker *w = arg;
    ltr_workers *ws = w->ws;
    uv_mutex_lock(&ws->mu);
    ws->busy--;
    w->fetching = false;
    w->dead = true;
    uv_cond_broadcast(&ws->done_cv);
    uv_mutex_unlock(&ws->mu);
    ltr_worker_thread_end();
}

static void worker_main(void *arg) {
    worker *w = arg;
    ltr_workers *ws = w->ws;
    ltr_dataloader *dl = ws->dl;
    ltr_worker_thread_begin(w->id, ws->n);
    /* worker_init_fn, before any fetch; a failure fails each batch this worker takes,
     * so the run stops in order at its first one with the hook's message */
    char init_err[1024] = "";
    pthread_cleanup_push(fetch_cancelled, w);
    ltr_worker_cancellable(true);
    ltr_worker_run_init(dl, &w->ctx, w->id, ws->n, init_err, sizeof init_err);
    ltr_worker_cancellable(false);
    pthread_cleanup_pop(0);
    uv_mutex_lock(&ws->mu);
    /* worker_init ran on w->ctx: it counted as a fetch under way (start_threads), so a
     * restart (reset_worker_ctx) waits for it instead of resetting the context under it */
    ws->busy--;
    w->fetching = false;
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
        w->fetching = true;
        uv_mutex_unlock(&ws->mu);
        char msg[1024] = "";
        lt_status rc = LT_ERROR;
        pthread_cleanup_push(fetch_cancelled, w);
        ltr_worker_cancellable(true);
        if (!init_err[0])
            rc = ltr_dataloader_fetch_batch(dl, &dl->slots[s], b * dl->ds.batch_size,
                                            ltr_dataloader_batch_samples(dl, b), &w->ctx.pub,
                                            false);
        ltr_worker_cancellable(false);
        pthread_cleanup_pop(0);
        if (init_err[0]) {
            memcpy(msg, init_err, sizeof msg);
        } else if (rc != LT_OK || w->ctx.failed) {
            rc = LT_ERROR;
            if (!ltr_ctx_take_error(&w->ctx, msg, sizeof msg) || !msg[0])
                strcpy(msg, "get_item failed (no message)");
        }
        uv_mutex_lock(&ws->mu);
        ws->busy--;
        w->fetching = false;
        if (w->gen == ws->gen) {
            ws->slot_batch[s] = b;
            ws->slot_state[s] = rc == LT_OK ? SLOT_READY : SLOT_FAILED;
            if (rc != LT_OK) memcpy(ws->slot_err[s], msg, sizeof msg);
        }
        uv_cond_broadcast(&ws->done_cv);
    }
    uv_mutex_unlock(&ws->mu);
    ltr_worker_thread_end();
}

/* Each worker's context (data/worker_thread.h) */
static void reset_worker_ctx(ltr_workers *ws, worker *w) { ltr_worker_ctx_reset(&w->ctx, ws->dl); }

/* Called with ws->mu held and no fetch under way. */
static lt_status start_threads(ltr_workers *ws) {
    /* SIGINT/SIGTERM stay with the sigwait thread (signal_connector.c): a worker must never take
     * one, so the mask is set before the threads exist and they inherit it */
    sigset_t old;
    ltr_worker_block_signals(&old);
    int started = 0;
    for (; started < ws->n; started++) {
        ws->w[started].gen = ws->gen - 1; /* picks up the current run */
        ws->w[started].dead = false;
        ws->busy++; /* its worker_init; the worker takes it off when done */
        ws->w[started].fetching = true;
        if (uv_thread_create(&ws->w[started].th, worker_main, &ws->w[started])) {
            ws->busy--;
            ws->w[started].fetching = false;
            break;
        }
    }
    ltr_worker_restore_signals(&old);
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

/* With ws->mu held: wait for the fetches under way — without end, unless a timeout
 * broke the pool: then LTR_WORKER_GRACE_S, a cancel of the workers still inside the
 * plugin, LTR_WORKER_GRACE_S again, and the ones even that does not stop are left
 * behind (data/worker_thread.h). */
static void wait_fetches_locked(ltr_workers *ws) {
    if (!ws->broken) {
        while (ws->busy > 0) uv_cond_wait(&ws->done_cv, &ws->mu);
        return;
    }
    const char *sn = ltr_split_name(ws->dl->split);
    for (int round = 0; round < 2 && ws->busy > 0; round++) {
        uint64_t deadline = ltr_deadline_in(LTR_WORKER_GRACE_S);
        while (ws->busy > 0 && ltr_cond_wait_until(&ws->done_cv, &ws->mu, deadline)) {}
        for (int i = 0; i < ws->n && ws->busy > 0; i++) {
            worker *w = &ws->w[i];
            if (!w->fetching || w->dead || w->left) continue;
            if (round == 0) {
                fprintf(stderr, "ltrun: worker %d of the %s loader is still inside get_item "
                                "%g s after the timeout: cancelling it\n", i, sn, LTR_WORKER_GRACE_S);
                ltr_worker_cancel(&w->th);
            } else {
                fprintf(stderr, "ltrun: worker %d of the %s loader did not stop (no "
                                "cancellation point in its get_item): left running until the "
                                "process exits\n", i, sn);
                w->left = true;
                ws->left_behind = true;
                ws->busy--;
            }
        }
    }
}

/* With ws->mu held: cancel the run, wait for the fetches under way. */
static void cancel_locked(ltr_workers *ws) {
    ws->running = false;
    ws->gen++;
    wait_fetches_locked(ws);
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
    for (int i = 0; i < ws->n; i++) {
        if (ws->w[i].left) pthread_detach(ws->w[i].th); /* it may never end */
        else uv_thread_join(&ws->w[i].th);
    }
    uv_mutex_lock(&ws->mu);
    ws->threads_up = false;
    ws->quit = false;
    uv_mutex_unlock(&ws->mu);
}

bool ltr_workers_free(ltr_workers *ws) {
    ltr_workers_stop(ws, true);
    if (ws->left_behind) return false; /* a thread may still use it: the loader keeps it */
    for (int i = 0; i < ws->n; i++) ltr_ctx_free_allocs(&ws->w[i].ctx);
    uv_cond_destroy(&ws->work_cv);
    uv_cond_destroy(&ws->done_cv);
    uv_mutex_destroy(&ws->mu);
    free(ws->slot_batch);
    free(ws->slot_state);
    free(ws->slot_err);
    free(ws->w);
    free(ws);
    return true;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

lt_status ltr_workers_get(ltr_workers *ws, int64_t b, lt_batch **out) {
    ltr_dataloader *dl = ws->dl;
    const char *sn = ltr_split_name(dl->split);
    uv_mutex_lock(&ws->mu);
    if (ws->broken) {
        uv_mutex_unlock(&ws->mu);
        return ltr_fail(dl->ctx, "the %s loader's workers were stopped after a timeout", sn);
    }
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
    /* ABI 1.9: DataLoader(timeout=): the wait for this batch is bounded */
    uint64_t deadline = ltr_deadline_in(dl->ds.timeout);
    while (ws->slot_batch[s] != b) {
        if (ltr_cond_wait_until(&ws->done_cv, &ws->mu, deadline)) continue;
        if (ws->slot_batch[s] == b) break;
        ws->broken = true;
        int who = (int)((b - ws->first) % ws->n); /* the round robin's worker of batch b */
        uv_mutex_unlock(&ws->mu);
        ltr_worker_timeout_error(dl, who, b);
        ltr_workers_stop(ws, true); /* before any teardown hook runs: the worker may use it */
        return LT_ERROR;
    }
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
