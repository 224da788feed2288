/*
 * reducer.c — gradient averaging across the ranks after backward, as PyTorch's
 * DistributedDataParallel Reducer does it (torch/csrc/distributed/c10d/reducer.cpp):
 *
 *  - Buckets: the trainable parameters in reverse creation order (about the order
 *    backward finishes them), cut into buckets of one dtype: the first at most 1 MiB
 *    (dist._DEFAULT_FIRST_BUCKET_BYTES, so communication starts early), the others at
 *    most --strategy.bucket_cap_mb MiB (25).
 *  - The grad-ready callback (register_post_accumulate_grad_hook's moment) copies a
 *    parameter's final gradient into its bucket, divided by the world size (the default
 *    allreduce comm hook's tensor.div_(world_size)); the bucket whose last gradient
 *    arrived starts its MPI_Iallreduce(SUM) while backward goes on. Buckets start in
 *    bucket order only, the same order on every rank (MPI requires it; PyTorch's
 *    next_bucket_ rule).
 *  - When backward returns (finalize_backward): buckets not started yet (a parameter
 *    that took no part in this backward keeps its current gradient, or zeros) start
 *    now, all are waited for (bounded by --strategy.timeout), and each gradient becomes
 *    its bucket's average. Clipping and the optimizer see averaged gradients.
 *  - no_sync: a backward on an accumulation micro-batch that no optimizer step follows
 *    (the gradients extension's should_accumulate) makes no all-reduce; gradients add
 *    up locally and the stepping micro-batch's backward all-reduces the sum once.
 *  - --strategy.overlap false: no callback, one bucket per dtype, all-reduced after
 *    backward (the plain, obviously correct version the buckets are tested against).
 *
 * OpenMPI progresses a non-blocking collective only inside MPI calls, so each grad-ready
 * callback also tests the buckets in flight: that is what moves them along during
 * backward.
 */
#include "ddp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_BUCKET_BYTES ((size_t)1 << 20) /* dist._DEFAULT_FIRST_BUCKET_BYTES */

typedef struct bucket {
    lt_dtype dtype;
    MPI_Datatype type;
    int64_t nparams;
    int64_t *params;   /* parameter indices, in bucket order (owned) */
    int64_t *offsets;  /* each one's first element in buf (owned) */
    int64_t numel;
    void *buf;         /* the flat gradients (owned) */
    int64_t pending;   /* parameters not ready yet in this backward */
    bool launched, done;
    MPI_Request req;
} bucket;

struct ddp_reducer {
    ddp *d;
    int64_t nparams;
    int64_t *bucket_of, *slot_of; /* per parameter: its bucket and place in it (owned) */
    bool *ready;                   /* per parameter, this backward (owned) */
    bucket *b;
    int nb;
    int next;                      /* the next bucket to start */
    bool active;                   /* this backward synchronises */
    bool in_backward;
    int error;                     /* an MPI error inside the callback, reported by finish */
    int64_t bytes, calls, early;   /* the last synchronising backward's figures */
    int64_t backwards, synced;     /* backwards run, and those that all-reduced */
    double wait_s;                 /* time spent waiting after backward (not hidden) */
};

static void copy_in(ddp_reducer *r, lt_ctx *ctx, int64_t p, lt_tensor *grad) {
    bucket *b = &r->b[r->bucket_of[p]];
    int64_t slot = r->slot_of[p], off = b->offsets[slot];
    int64_t n = (slot + 1 < b->nparams ? b->offsets[slot + 1] : b->numel) - off;
    const void *g = grad ? lt_data(ctx, grad) : NULL;
    int w = r->d->world_size;
    if (b->dtype == LT_FLOAT64) {
        double *dst = (double *)b->buf + off;
        const double *src = g;
        for (int64_t i = 0; i < n; i++) dst[i] = src ? src[i] / (double)w : 0.0;
    } else {
        float *dst = (float *)b->buf + off;
        const float *src = g;
        for (int64_t i = 0; i < n; i++) dst[i] = src ? src[i] / (float)w : 0.0f;
    }
}

static void copy_out(ddp_reducer *r, lt_ctx *ctx, const bucket *b) {
    size_t es = ddp_dtype_size(b->dtype);
    for (int64_t s = 0; s < b->nparams; s++) {
        lt_tensor *g = r->d->grads->grad(ctx, b->params[s]);
        if (!g) continue; /* no gradient here: nothing to average into */
        int64_t off = b->offsets[s];
        int64_t n = (s + 1 < b->nparams ? b->offsets[s + 1] : b->numel) - off;
        memcpy(lt_data(ctx, g), (char *)b->buf + (size_t)off * es, (size_t)n * es);
    }
}

static void launch(ddp_reducer *r, bucket *b) {
    int rc = MPI_Iallreduce(MPI_IN_PLACE, b->buf, (int)b->numel, b->type, MPI_SUM, r->d->world,
                            &b->req);
    if (rc != MPI_SUCCESS && !r->error) r->error = rc;
    b->launched = true;
    r->calls++;
    r->bytes += b->numel * (int64_t)ddp_dtype_size(b->dtype);
    if (r->in_backward) r->early++;
}

/* Start the ready buckets that are next in order; test those in flight (progress). */
static void advance(ddp_reducer *r) {
    while (r->next < r->nb && r->b[r->next].pending == 0) launch(r, &r->b[r->next++]);
    for (int i = 0; i < r->next; i++) {
        bucket *b = &r->b[i];
        if (b->done) continue;
        int flag = 0;
        int rc = MPI_Test(&b->req, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS && !r->error) r->error = rc;
        if (flag) b->done = true;
        break; /* they finish in order: the first unfinished one is enough */
    }
}

/* The grad-ready callback (LT_EXT_GRADIENTS): parameter p's gradient is final. */
static void on_ready(lt_ctx *ctx, int64_t p, lt_tensor *grad, void *user) {
    ddp_reducer *r = user;
    if (!r->active || p < 0 || p >= r->nparams || r->ready[p]) return;
    r->ready[p] = true;
    copy_in(r, ctx, p, grad);
    r->b[r->bucket_of[p]].pending--;
    advance(r);
}

/* Close the bucket being filled (if any) and open a new one of dtype dt. */
static bucket *new_bucket(ddp_reducer *r, lt_dtype dt, int64_t cap_params) {
    bucket *grown = realloc(r->b, (size_t)(r->nb + 1) * sizeof *grown);
    if (!grown) return NULL;
    r->b = grown;
    bucket *b = &r->b[r->nb++];
    memset(b, 0, sizeof *b);
    b->dtype = dt;
    b->type = ddp_mpi_type(dt);
    b->params = malloc((size_t)cap_params * sizeof *b->params);
    b->offsets = malloc((size_t)cap_params * sizeof *b->offsets);
    b->req = MPI_REQUEST_NULL;
    return b->params && b->offsets ? b : NULL;
}

ddp_reducer *ddp_reducer_create(lt_ctx *ctx, ddp *d) {
    const lt_gradients_v1 *g = d->grads;
    ddp_reducer *r = calloc(1, sizeof *r);
    if (!r) {
        lt_fail(ctx, "ddp: out of memory for the gradient buckets");
        return NULL;
    }
    r->d = d;
    r->nparams = g->count(ctx);
    int64_t n = r->nparams > 0 ? r->nparams : 1;
    r->bucket_of = malloc((size_t)n * sizeof *r->bucket_of);
    r->slot_of = malloc((size_t)n * sizeof *r->slot_of);
    r->ready = calloc((size_t)n, sizeof *r->ready);
    if (!r->bucket_of || !r->slot_of || !r->ready) goto oom;
    size_t cap = (size_t)(d->opt.bucket_cap_mb * 1024.0 * 1024.0);
    size_t limit = cap < FIRST_BUCKET_BYTES ? cap : FIRST_BUCKET_BYTES, filled = 0;
    bucket *cur = NULL;
    for (int64_t p = r->nparams - 1; p >= 0; p--) {
        lt_tensor *t = g->param(ctx, p);
        lt_dtype dt = lt_dtype_of(ctx, t);
        if (ddp_mpi_type(dt) == MPI_DATATYPE_NULL || (dt != LT_FLOAT32 && dt != LT_FLOAT64)) {
            lt_fail(ctx, "ddp: parameter '%s' is %s: gradients are averaged in float32 or "
                         "float64 only", g->name(ctx, p), dt == LT_BFLOAT16 ? "bfloat16" : "not "
                         "a float");
            ddp_reducer_destroy(r);
            return NULL;
        }
        size_t bytes = (size_t)lt_numel(ctx, t) * ddp_dtype_size(dt);
        /* a new bucket: another dtype, or this one would pass its limit (a parameter
         * bigger than the limit gets a bucket of its own) */
        bool full = d->opt.overlap && cur && cur->nparams > 0 && filled + bytes > limit;
        if (!cur || cur->dtype != dt || full) {
            if (cur) limit = cap; /* after the first bucket, the cap */
            int64_t left = p + 1;
            /* overlap false: one bucket per dtype, so reuse an existing one */
            cur = NULL;
            if (!d->opt.overlap)
                for (int i = 0; i < r->nb; i++)
                    if (r->b[i].dtype == dt) cur = &r->b[i];
            if (!cur && !(cur = new_bucket(r, dt, left))) goto oom;
            filled = (size_t)cur->numel * ddp_dtype_size(dt);
        }
        r->bucket_of[p] = cur - r->b;
        r->slot_of[p] = cur->nparams;
        cur->params[cur->nparams] = p;
        cur->offsets[cur->nparams++] = cur->numel;
        cur->numel += lt_numel(ctx, t);
        filled += bytes;
        if (cur->numel > 0x7fffffff) {
            lt_fail(ctx, "ddp: a gradient bucket of %lld elements is more than MPI counts in "
                         "one call: lower --strategy.bucket_cap_mb", (long long)cur->numel);
            ddp_reducer_destroy(r);
            return NULL;
        }
    }
    for (int i = 0; i < r->nb; i++) {
        r->b[i].buf = malloc((size_t)(r->b[i].numel > 0 ? r->b[i].numel : 1) *
                             ddp_dtype_size(r->b[i].dtype));
        if (!r->b[i].buf) goto oom;
    }
    if (d->opt.overlap && g->on_grad_ready(ctx, on_ready, r)) {
        ddp_reducer_destroy(r);
        return NULL;
    }
    return r;
oom:
    ddp_reducer_destroy(r);
    lt_fail(ctx, "ddp: out of memory for the gradient buckets");
    return NULL;
}

void ddp_reducer_destroy(ddp_reducer *r) {
    if (!r) return;
    for (int i = 0; i < r->nb; i++) {
        free(r->b[i].params);
        free(r->b[i].offsets);
        free(r->b[i].buf);
    }
    free(r->b);
    free(r->bucket_of);
    free(r->slot_of);
    free(r->ready);
    free(r);
}

void ddp_reducer_prepare(ddp_reducer *r, lt_ctx *ctx) {
    const lt_gradients_v1 *g = r->d->grads;
    bool accumulating = g->size >= offsetof(lt_gradients_v1, should_accumulate) +
                                       sizeof g->should_accumulate &&
                        g->should_accumulate && g->should_accumulate(ctx);
    r->active = !accumulating; /* DDP's no_sync */
    r->backwards++;
    if (!r->active) return;
    r->synced++;
    r->next = 0;
    r->error = 0;
    r->bytes = r->calls = r->early = 0;
    memset(r->ready, 0, (size_t)(r->nparams > 0 ? r->nparams : 1) * sizeof *r->ready);
    for (int i = 0; i < r->nb; i++) {
        r->b[i].pending = r->d->opt.overlap ? r->b[i].nparams : 0;
        r->b[i].launched = r->b[i].done = false;
        r->b[i].req = MPI_REQUEST_NULL;
    }
    r->in_backward = true;
}

lt_status ddp_reducer_finish(ddp_reducer *r, lt_ctx *ctx) {
    r->in_backward = false;
    if (!r->active) return LT_OK;
    r->active = false;
    /* finalize_backward: what backward did not make ready goes as it is */
    for (int64_t p = 0; p < r->nparams; p++)
        if (!r->ready[p]) {
            copy_in(r, ctx, p, r->d->grads->grad(ctx, p));
            r->ready[p] = true;
            r->b[r->bucket_of[p]].pending--;
        }
    for (int i = 0; i < r->nb; i++) r->b[i].pending = 0;
    while (r->next < r->nb) launch(r, &r->b[r->next++]);
    if (r->error) return ddp_mpi_fail(ctx, r->d, r->error, "the gradients' all-reduce");
    MPI_Request *reqs = malloc((size_t)(r->nb > 0 ? r->nb : 1) * sizeof *reqs);
    if (!reqs) return lt_fail(ctx, "ddp: out of memory waiting for the gradients");
    for (int i = 0; i < r->nb; i++) reqs[i] = r->b[i].done ? MPI_REQUEST_NULL : r->b[i].req;
    double t0 = MPI_Wtime();
    lt_status rc = ddp_wait(ctx, r->d, r->nb, reqs, "the gradients' all-reduce");
    r->wait_s += MPI_Wtime() - t0;
    free(reqs);
    if (rc) return rc;
    for (int i = 0; i < r->nb; i++) copy_out(r, ctx, &r->b[i]);
    return LT_OK;
}

void ddp_reducer_stats(const ddp_reducer *r, ddp_reducer_figures *f) {
    memset(f, 0, sizeof *f);
    if (!r) return;
    f->bytes = r->bytes;
    f->calls = r->calls;
    f->early = r->early;
    f->backwards = r->backwards;
    f->synced = r->synced;
    f->wait_s = r->wait_s;
    f->buckets = r->nb;
}
