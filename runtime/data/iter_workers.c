/*
 * iter_workers.c — an iterable dataset's worker pool; contract in iter_workers.h.
 *
 * One mutex guards the pool. A run is one epoch's iterators, numbered by `gen`: a
 * worker whose gen differs from the pool's closes its iterator (iter_end, on its own
 * thread) and starts the new run from its first batch. Worker w writes its j-th batch
 * of the run into its ring slot w * ring + j % ring and records READY there (or END when
 * its stream has no more batches, FAILED with the message); it goes on while it is
 * fewer than prefetch_factor batches ahead of what the consumer took from it and has a
 * free slot (the consumer holds at most two of its batches: the current one and the one
 * fetched ahead). The consumer walks the workers round robin, taking each active
 * worker's next record; END retires the worker for the run. Stopping bumps `gen` and
 * waits until no fetch is under way and every live worker closed its iterator.
 */
#define _GNU_SOURCE
#include "data/iter_workers.h"

#include "core/context.h"
#include "data/iterable.h"
#include "data/worker_thread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { R_EMPTY, R_READY, R_END, R_FAILED };

typedef struct iworker {
    struct ltr_iter_workers *ws;
    int id;
    uv_thread_t th;
    ltr_ctx ctx;           /* its own context: the hooks' errors stay here */
    char init_err[1024];   /* worker_init's failure: every batch it takes fails with it */
    /* the worker's side */
    uint64_t gen;          /* the run its iterator belongs to */
    ltr_iter it;
    int64_t produced;      /* batches of the run it wrote */
    bool finished;         /* wrote END or FAILED: idle until the next run */
    bool fetching, dead, left; /* inside the plugin; cancelled there; left behind */
    /* the consumer's side */
    int64_t taken, released;
    bool active;           /* still has batches in this run */
} iworker;

struct ltr_iter_workers {
    ltr_dataloader *dl;
    int n, ring;
    int64_t pf;
    uv_mutex_t mu;
    uv_cond_t work_cv; /* workers wait here */
    uv_cond_t done_cv; /* the consumer and stops wait here */
    bool threads_up, quit, running, broken, left_behind;
    uint64_t gen;
    int busy;          /* workers inside the plugin */
    int *rec;          /* [n * ring] */
    char (*err)[1024]; /* [n * ring] FAILED records' messages */
    /* the consumer: the stream position, the turn, what it holds */
    int64_t next_b, end_at;
    int rr;
    int64_t cur_b, peek_b;
    int cur_s, peek_s, cur_w, peek_w;
    iworker *w;
};

int ltr_iter_workers_nslots(int num_workers, int prefetch_factor) {
    return num_workers * (prefetch_factor + 2);
}

int ltr_iter_workers_alive(const ltr_iter_workers *ws) { return ws->threads_up ? ws->n : 0; }

static void reset_consumer(ltr_iter_workers *ws) {
    ws->next_b = 0;
    ws->end_at = -1;
    ws->rr = 0;
    ws->cur_b = ws->peek_b = -1;
    ws->cur_s = ws->peek_s = ws->cur_w = ws->peek_w = -1;
    for (int i = 0; i < ws->n; i++) {
        ws->w[i].taken = ws->w[i].released = 0;
        ws->w[i].active = true;
    }
}

ltr_iter_workers *ltr_iter_workers_new(ltr_dataloader *dl) {
    ltr_iter_workers *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->dl = dl;
    ws->n = dl->ds.num_workers;
    ws->pf = dl->ds.prefetch_factor;
    ws->ring = dl->ds.prefetch_factor + 2;
    ws->rec = calloc((size_t)ws->n * (size_t)ws->ring, sizeof *ws->rec);
    ws->err = malloc((size_t)ws->n * (size_t)ws->ring * sizeof *ws->err);
    ws->w = calloc((size_t)ws->n, sizeof *ws->w);
    if (!ws->rec || !ws->err || !ws->w || uv_mutex_init(&ws->mu)) {
        free(ws->rec), free(ws->err), free(ws->w), free(ws);
        return NULL;
    }
    uv_cond_init(&ws->work_cv);
    uv_cond_init(&ws->done_cv);
    for (int i = 0; i < ws->n; i++) ws->w[i] = (iworker){.ws = ws, .id = i};
    reset_consumer(ws);
    return ws;
}

/* pthread cleanup: the worker was cancelled inside the plugin (a broken pool's stop) */
static void fetch_cancelled(void *arg) {
    ltr_worker_unwound();
    iworker *w = arg;
    ltr_iter_workers *ws = w->ws;
    uv_mutex_lock(&ws->mu);
    ws->busy--;
    w->fetching = false;
    w->dead = true;
    uv_cond_broadcast(&ws->done_cv);
    uv_mutex_unlock(&ws->mu);
    ltr_worker_thread_end();
}

/* with ws->mu held: iter_end of the worker's iterator, on its thread */
static void close_stream_locked(ltr_iter_workers *ws, iworker *w) {
    ws->busy++;
    w->fetching = true;
    uv_mutex_unlock(&ws->mu);
    ltr_iter_close(ws->dl, &w->it, &w->ctx.pub);
    uv_mutex_lock(&ws->mu);
    ws->busy--;
    w->fetching = false;
    uv_cond_broadcast(&ws->done_cv);
}

static void worker_main(void *arg) {
    iworker *w = arg;
    ltr_iter_workers *ws = w->ws;
    ltr_dataloader *dl = ws->dl;
    ltr_worker_thread_begin(w->id, ws->n);
    pthread_cleanup_push(fetch_cancelled, w);
    ltr_worker_cancellable(true);
    ltr_worker_run_init(dl, &w->ctx, w->id, ws->n, w->init_err, sizeof w->init_err);
    ltr_worker_cancellable(false);
    pthread_cleanup_pop(0);
    uv_mutex_lock(&ws->mu);
    ws->busy--; /* worker_init counted as a fetch (start_threads) */
    w->fetching = false;
    uv_cond_broadcast(&ws->done_cv);
    while (!ws->quit) {
        if (w->gen != ws->gen) { /* a new run: the old iterator goes first */
            if (w->it.open) {
                close_stream_locked(ws, w);
                continue;
            }
            memset(&w->it, 0, sizeof w->it);
            w->gen = ws->gen;
            w->produced = 0;
            w->finished = false;
            continue;
        }
        if (!ws->running || w->finished || w->produced - w->taken >= ws->pf ||
            w->produced - w->released >= ws->ring) {
            uv_cond_wait(&ws->work_cv, &ws->mu);
            continue;
        }
        int s = w->id * ws->ring + (int)(w->produced % ws->ring);
        ws->busy++;
        w->fetching = true;
        uv_mutex_unlock(&ws->mu);
        char msg[1024] = "";
        lt_status rc = LT_ERROR;
        pthread_cleanup_push(fetch_cancelled, w);
        ltr_worker_cancellable(true);
        if (!w->init_err[0]) rc = ltr_iter_fetch_batch(dl, s, &w->it, &w->ctx.pub);
        ltr_worker_cancellable(false);
        pthread_cleanup_pop(0);
        if (w->init_err[0]) {
            memcpy(msg, w->init_err, sizeof msg);
        } else if (rc != LT_OK || w->ctx.failed) {
            rc = LT_ERROR;
            if (!ltr_ctx_take_error(&w->ctx, msg, sizeof msg) || !msg[0])
                strcpy(msg, "iter_next failed (no message)");
        }
        uv_mutex_lock(&ws->mu);
        ws->busy--;
        w->fetching = false;
        if (w->gen == ws->gen) {
            if (rc != LT_OK) {
                ws->rec[s] = R_FAILED;
                memcpy(ws->err[s], msg, sizeof msg);
                w->finished = true;
            } else if (dl->slots[s].size == 0) {
                ws->rec[s] = R_END;
                w->finished = true;
            } else {
                ws->rec[s] = R_READY;
                w->produced++;
            }
        }
        uv_cond_broadcast(&ws->done_cv);
    }
    if (w->it.open) close_stream_locked(ws, w);
    uv_mutex_unlock(&ws->mu);
    ltr_worker_thread_end();
}

/* With ws->mu held and no worker running. */
static lt_status start_threads(ltr_iter_workers *ws) {
    sigset_t old;
    ltr_worker_block_signals(&old);
    int started = 0;
    for (; started < ws->n; started++) {
        iworker *w = &ws->w[started];
        w->gen = ws->gen - 1; /* picks up the current run */
        w->dead = false;
        w->fetching = true; /* its worker_init; the worker takes it off when done */
        ws->busy++;
        if (uv_thread_create(&w->th, worker_main, w)) {
            ws->busy--;
            w->fetching = false;
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

/* no fetch under way and every live worker's iterator closed */
static bool pool_idle(const ltr_iter_workers *ws) {
    if (ws->busy > 0) return false;
    for (int i = 0; ws->threads_up && i < ws->n; i++)
        if (ws->w[i].it.open && !ws->w[i].dead && !ws->w[i].left) return false;
    return true;
}

/* With ws->mu held: wait until idle — without end, unless a timeout broke the pool:
 * then the grace, a cancel, the grace again, and whoever is still inside the plugin is
 * left behind (data/worker_thread.h). */
static void wait_idle_locked(ltr_iter_workers *ws) {
    if (!ws->broken) {
        while (!pool_idle(ws)) uv_cond_wait(&ws->done_cv, &ws->mu);
        return;
    }
    const char *sn = ltr_split_name(ws->dl->split);
    for (int round = 0; round < 2 && !pool_idle(ws); round++) {
        uint64_t deadline = ltr_deadline_in(LTR_WORKER_GRACE_S);
        while (!pool_idle(ws) && ltr_cond_wait_until(&ws->done_cv, &ws->mu, deadline)) {}
        for (int i = 0; i < ws->n && !pool_idle(ws); i++) {
            iworker *w = &ws->w[i];
            if (!w->fetching || w->dead || w->left) continue;
            if (round == 0) {
                fprintf(stderr, "ltrun: worker %d of the %s loader is still inside iter_next "
                                "%g s after the timeout: cancelling it\n", i, sn, LTR_WORKER_GRACE_S);
                ltr_worker_cancel(&w->th);
            } else {
                fprintf(stderr, "ltrun: worker %d of the %s loader did not stop (no "
                                "cancellation point in its iter_next): left running until the "
                                "process exits\n", i, sn);
                w->left = true;
                ws->left_behind = true;
                ws->busy--;
            }
        }
    }
}

/* With ws->mu held: end the run (the workers close their iterators). */
static void cancel_locked(ltr_iter_workers *ws) {
    ws->running = false;
    ws->gen++;
    uv_cond_broadcast(&ws->work_cv);
    wait_idle_locked(ws);
    for (int s = 0; s < ws->n * ws->ring; s++) ws->rec[s] = R_EMPTY;
}

/* stop; keep_position: the consumer's end of stream stays known (an exhausted epoch) */
static void stop_pool(ltr_iter_workers *ws, bool join, bool keep_position) {
    uv_mutex_lock(&ws->mu);
    cancel_locked(ws);
    if (!keep_position) reset_consumer(ws);
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
    /* a worker cancelled inside iter_next could not close its iterator: here */
    for (int i = 0; i < ws->n; i++)
        if (ws->w[i].dead && ws->w[i].it.open) /* with its context: its thread is gone */
            ltr_iter_close(ws->dl, &ws->w[i].it, &ws->w[i].ctx.pub);
}

void ltr_iter_workers_stop(ltr_iter_workers *ws, bool join) { stop_pool(ws, join, false); }

bool ltr_iter_workers_free(ltr_iter_workers *ws) {
    stop_pool(ws, true, false);
    if (ws->left_behind) return false; /* a thread may still use it: the loader keeps it */
    for (int i = 0; i < ws->n; i++) ltr_ctx_free_allocs(&ws->w[i].ctx);
    uv_cond_destroy(&ws->work_cv);
    uv_cond_destroy(&ws->done_cv);
    uv_mutex_destroy(&ws->mu);
    free(ws->rec);
    free(ws->err);
    free(ws->w);
    free(ws);
    return true;
}

/* With ws->mu held: a new run from the stream's start. */
static lt_status start_run_locked(ltr_iter_workers *ws) {
    cancel_locked(ws);
    reset_consumer(ws);
    for (int i = 0; i < ws->n; i++) ltr_worker_ctx_reset(&ws->w[i].ctx, ws->dl);
    ws->gen++;
    if (!ws->threads_up && start_threads(ws) != LT_OK)
        return ltr_fail(ws->dl->ctx, "the %s loader could not start its %d worker threads "
                                     "(lower --data.num_workers, or 0 to load on the training "
                                     "thread)", ltr_split_name(ws->dl->split), ws->n);
    ws->running = true;
    uv_cond_broadcast(&ws->work_cv);
    return LT_OK;
}

/* With ws->mu held: the consumer is done with worker wid's oldest batch (slot s). */
static void release_locked(ltr_iter_workers *ws, int wid, int s) {
    ws->rec[s] = R_EMPTY;
    ws->w[wid].released++;
    uv_cond_broadcast(&ws->work_cv);
}

enum { TAKE_END = -1, TAKE_FAILED = -2, TAKE_TIMEOUT = -3 };

/* With ws->mu held: the next batch of the stream (its slot), or a TAKE_* */
static int take_locked(ltr_iter_workers *ws, int *from, char *msg, size_t cap) {
    uint64_t deadline = ltr_deadline_in(ws->dl->ds.timeout);
    for (;;) {
        int alive = 0;
        for (int i = 0; i < ws->n; i++) alive += ws->w[i].active;
        if (!alive) return TAKE_END;
        iworker *w = &ws->w[ws->rr];
        if (!w->active) {
            ws->rr = (ws->rr + 1) % ws->n;
            continue;
        }
        int s = w->id * ws->ring + (int)(w->taken % ws->ring);
        while (ws->rec[s] == R_EMPTY)
            if (!ltr_cond_wait_until(&ws->done_cv, &ws->mu, deadline) && ws->rec[s] == R_EMPTY) {
                ws->broken = true;
                *from = w->id;
                return TAKE_TIMEOUT;
            }
        *from = w->id;
        if (ws->rec[s] == R_FAILED) {
            snprintf(msg, cap, "%s", ws->err[s]);
            return TAKE_FAILED;
        }
        if (ws->rec[s] == R_END) { /* _IterableDatasetStopIteration: the worker is done */
            w->active = false;
            ws->rec[s] = R_EMPTY;
            ws->rr = (ws->rr + 1) % ws->n;
            continue;
        }
        w->taken++;
        ws->rr = (ws->rr + 1) % ws->n;
        uv_cond_broadcast(&ws->work_cv); /* it may fetch one more ahead */
        return s;
    }
}

/* After a TAKE_* other than a slot, with ws->mu held: unlock, report, stop. */
static lt_status take_failed(ltr_iter_workers *ws, int rc, int from, const char *msg) {
    ltr_dataloader *dl = ws->dl;
    int64_t b = ws->next_b;
    uv_mutex_unlock(&ws->mu);
    if (rc == TAKE_TIMEOUT) {
        ltr_worker_timeout_error(dl, from, b);
        stop_pool(ws, true, false); /* before any teardown hook runs: the worker may use it */
        return LT_ERROR;
    }
    ltr_fail(dl->ctx, "%s", msg);
    stop_pool(ws, !dl->ds.persistent_workers, false);
    return LT_ERROR;
}

lt_status ltr_iter_workers_get(ltr_iter_workers *ws, int64_t b, lt_batch **out) {
    ltr_dataloader *dl = ws->dl;
    *out = NULL;
    uv_mutex_lock(&ws->mu);
    if (ws->broken) {
        uv_mutex_unlock(&ws->mu);
        return ltr_fail(dl->ctx, "the %s loader's workers were stopped after a timeout",
                        ltr_split_name(dl->split));
    }
    if (ws->end_at >= 0 && b >= ws->end_at) { /* the epoch's streams are over */
        uv_mutex_unlock(&ws->mu);
        return LT_OK;
    }
    if (ws->cur_s >= 0 && ws->cur_b == b) {
        *out = &dl->slots[ws->cur_s];
        uv_mutex_unlock(&ws->mu);
        return LT_OK;
    }
    bool restart = !ws->running || (b < ws->next_b && ws->peek_b != b);
    if (restart && start_run_locked(ws) != LT_OK) {
        uv_mutex_unlock(&ws->mu);
        return LT_ERROR;
    }
    if (ws->cur_s >= 0) release_locked(ws, ws->cur_w, ws->cur_s);
    ws->cur_s = -1;
    if (ws->peek_s >= 0 && ws->peek_b == b) { /* the batch fetched ahead */
        ws->cur_b = b, ws->cur_s = ws->peek_s, ws->cur_w = ws->peek_w;
        ws->peek_s = -1, ws->peek_b = -1;
        *out = &dl->slots[ws->cur_s];
        uv_mutex_unlock(&ws->mu);
        return LT_OK;
    }
    if (ws->peek_s >= 0) release_locked(ws, ws->peek_w, ws->peek_s); /* skipped over */
    ws->peek_s = -1, ws->peek_b = -1;
    while (ws->next_b <= b) { /* batches before b are taken and dropped (a resumed epoch) */
        int from = -1;
        char msg[1024] = "";
        int s = take_locked(ws, &from, msg, sizeof msg);
        if (s == TAKE_END) {
            ws->end_at = ws->next_b;
            uv_mutex_unlock(&ws->mu);
            /* exhausted: PyTorch's iterator shuts its workers down */
            stop_pool(ws, !dl->ds.persistent_workers, true);
            return LT_OK;
        }
        if (s < 0) return take_failed(ws, s, from, msg);
        if (ws->next_b < b) release_locked(ws, from, s);
        else ws->cur_b = b, ws->cur_s = s, ws->cur_w = from;
        ws->next_b++;
    }
    *out = &dl->slots[ws->cur_s];
    uv_mutex_unlock(&ws->mu);
    return LT_OK;
}

lt_status ltr_iter_workers_peek_end(ltr_iter_workers *ws, int64_t b, bool *last) {
    ltr_dataloader *dl = ws->dl;
    uv_mutex_lock(&ws->mu);
    if (ws->peek_s >= 0 && ws->peek_b == b + 1) {
        *last = false;
        uv_mutex_unlock(&ws->mu);
        return LT_OK;
    }
    if (ws->end_at >= 0 || !ws->running || ws->cur_b != b) {
        *last = ws->end_at >= 0 && b + 1 >= ws->end_at;
        uv_mutex_unlock(&ws->mu);
        return LT_OK;
    }
    int from = -1;
    char msg[1024] = "";
    int s = take_locked(ws, &from, msg, sizeof msg);
    if (s == TAKE_END) {
        ws->end_at = b + 1;
        *last = true;
        uv_mutex_unlock(&ws->mu);
        stop_pool(ws, !dl->ds.persistent_workers, true);
        return LT_OK;
    }
    if (s < 0) return take_failed(ws, s, from, msg);
    ws->peek_b = b + 1, ws->peek_s = s, ws->peek_w = from;
    ws->next_b++;
    *last = false;
    uv_mutex_unlock(&ws->mu);
    return LT_OK;
}
