/*
 * collectives.c — Lightning's DDPStrategy collectives (barrier, broadcast, reduce,
 * reduce_boolean_decision, all_gather) over MPI, each bounded by --strategy.timeout.
 *
 * MPI's blocking calls wait forever for a rank that died or hangs (Lightning issue #19604:
 * one rank raises, the rest wait). So every collective here is the non-blocking call
 * (MPI_Ibarrier, MPI_Ibcast, MPI_Iallreduce, MPI_Iallgather) and a wait that gives up
 * after the timeout: the rank is marked failed and the error names the call, which ends
 * the run and then the job (ddp_env_end). The wait polls MPI_Testall, yielding the core
 * between polls and napping once the wait is long, so a rank that waits gives its core
 * to one that works (2 ranks on 2 cores).
 */
#include "ddp.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

lt_status ddp_mpi_fail(lt_ctx *ctx, ddp *d, int code, const char *what) {
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", code);
    d->failed = true;
    snprintf(d->failure, sizeof d->failure, "%s: %s", what, text);
    return lt_fail(ctx, "%s failed on rank %d (host %s): %s", what, d->rank, d->host, text);
}

size_t ddp_dtype_size(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT64: case LT_INT64: return 8;
    case LT_FLOAT32: case LT_INT32: return 4;
    case LT_BFLOAT16: return 2;
    case LT_UINT8: case LT_BOOL: return 1;
    }
    return 0;
}

MPI_Datatype ddp_mpi_type(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return MPI_FLOAT;
    case LT_FLOAT64: return MPI_DOUBLE;
    case LT_INT64: return MPI_INT64_T;
    case LT_INT32: return MPI_INT32_T;
    default: return MPI_DATATYPE_NULL; /* bfloat16, bool, uint8: no MPI sum */
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lt_status ddp_wait(lt_ctx *ctx, ddp *d, int n, MPI_Request *reqs, const char *what) {
    double start = now_s();
    long pause_ns = 0;
    for (;;) {
        int done = 0;
        int rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, what);
        if (done) return LT_OK;
        double waited = now_s() - start;
        if (waited > d->opt.timeout_s) {
            d->failed = true;
            snprintf(d->failure, sizeof d->failure, "%s: no answer from the other ranks in %g s",
                     what, d->opt.timeout_s);
            return lt_fail(ctx, "%s: rank %d (host %s) waited %g s for the other ranks "
                                "(--strategy.timeout %g): one of them failed, hangs or makes "
                                "other collective calls than this one", what, d->rank, d->host,
                           waited, d->opt.timeout_s);
        }
        /* A non-blocking collective moves on only inside MPI calls (each round of its
         * algorithm waits for the next test), so poll tightly at first, yielding the core
         * to whatever else is runnable; after 5 ms (a partner that is still computing)
         * nap, up to 0.5 ms, so a waiting rank stops taking a core from a working one */
        if (waited < 5e-3) {
            sched_yield();
        } else {
            pause_ns = pause_ns ? (pause_ns * 2 > 500000 ? 500000 : pause_ns * 2) : 50000;
            nanosleep(&(struct timespec){0, pause_ns}, NULL);
        }
    }
}

/* A rank that failed makes no further collective: its partners may be gone. */
static lt_status usable(lt_ctx *ctx, const ddp *d, const char *what) {
    if (!d->failed) return LT_OK;
    return lt_fail(ctx, "%s: not run, this rank already failed (%s)", what,
                   d->failure[0] ? d->failure : "see above");
}

lt_status ddp_barrier(lt_ctx *ctx, ddp *d, const char *name) {
    char what[160];
    snprintf(what, sizeof what, "barrier '%s'", name ? name : "");
    if (usable(ctx, d, what)) return LT_ERROR;
    MPI_Request req;
    int rc = MPI_Ibarrier(d->world, &req);
    return rc != MPI_SUCCESS ? ddp_mpi_fail(ctx, d, rc, what) : ddp_wait(ctx, d, 1, &req, what);
}

lt_status ddp_broadcast(lt_ctx *ctx, ddp *d, void *buf, size_t bytes, int64_t src) {
    if (usable(ctx, d, "broadcast")) return LT_ERROR;
    if (src < 0 || src >= d->world_size)
        return lt_fail(ctx, "broadcast: source rank %lld does not exist (world size %d)",
                       (long long)src, d->world_size);
    /* counts are ints: large buffers go in pieces */
    for (size_t off = 0; off < bytes;) {
        size_t piece = bytes - off < (size_t)INT_MAX ? bytes - off : (size_t)INT_MAX;
        MPI_Request req;
        int rc = MPI_Ibcast((char *)buf + off, (int)piece, MPI_BYTE, (int)src, d->world, &req);
        if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "broadcast");
        if (ddp_wait(ctx, d, 1, &req, "broadcast")) return LT_ERROR;
        off += piece;
    }
    return LT_OK;
}

lt_status ddp_reduce(lt_ctx *ctx, ddp *d, double *values, int64_t n, lt_reduce_op op) {
    if (usable(ctx, d, "reduce")) return LT_ERROR;
    MPI_Op mop;
    switch (op) {
    case LT_REDUCE_OP_SUM: case LT_REDUCE_OP_MEAN: mop = MPI_SUM; break;
    case LT_REDUCE_OP_MAX: mop = MPI_MAX; break;
    case LT_REDUCE_OP_MIN: mop = MPI_MIN; break;
    default: return lt_fail(ctx, "reduce: unknown reduction %d", (int)op);
    }
    if (n <= 0) return LT_OK;
    if (n > INT_MAX) return lt_fail(ctx, "reduce: %lld values at once is too many", (long long)n);
    MPI_Request req;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, values, (int)n, MPI_DOUBLE, mop, d->world, &req);
    if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "reduce");
    if (ddp_wait(ctx, d, 1, &req, "reduce")) return LT_ERROR;
    /* Lightning's "mean": the sum divided by the world size */
    if (op == LT_REDUCE_OP_MEAN)
        for (int64_t i = 0; i < n; i++) values[i] /= (double)d->world_size;
    return LT_OK;
}

lt_status ddp_reduce_bool(lt_ctx *ctx, ddp *d, bool *decision, bool all) {
    if (usable(ctx, d, "reduce_boolean_decision")) return LT_ERROR;
    /* DDPStrategy.reduce_boolean_decision: the sum of the ranks' decisions compared with
     * the world size (all) or with 0 (any) */
    int v = *decision ? 1 : 0;
    MPI_Request req;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_SUM, d->world, &req);
    if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "reduce_boolean_decision");
    if (ddp_wait(ctx, d, 1, &req, "reduce_boolean_decision")) return LT_ERROR;
    *decision = all ? v == d->world_size : v > 0;
    return LT_OK;
}

lt_status ddp_all_gather(lt_ctx *ctx, ddp *d, const lt_tensor *x, lt_tensor *out) {
    if (usable(ctx, d, "all_gather")) return LT_ERROR;
    lt_dtype dt = lt_dtype_of(ctx, x);
    int64_t n = lt_numel(ctx, x);
    size_t bytes = (size_t)n * ddp_dtype_size(dt);
    if (lt_dtype_of(ctx, out) != dt || lt_numel(ctx, out) != n * d->world_size)
        return lt_fail(ctx, "all_gather: out must be a [%d, *x.shape] tensor of x's dtype",
                       d->world_size);
    if (bytes > (size_t)INT_MAX)
        return lt_fail(ctx, "all_gather: %zu bytes a rank is more than MPI counts in one call",
                       bytes);
    lt_tensor *src = lt_contiguous(ctx, x); /* x may be a view */
    if (!src) return LT_ERROR;
    MPI_Request req;
    int rc = MPI_Iallgather(lt_data(ctx, src), (int)bytes, MPI_BYTE, lt_data(ctx, out),
                            (int)bytes, MPI_BYTE, d->world, &req);
    if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "all_gather");
    return ddp_wait(ctx, d, 1, &req, "all_gather");
}

/* One tensor's bytes from rank 0 to all. */
static lt_status broadcast_tensor(lt_ctx *ctx, ddp *d, lt_tensor *t, const char *name) {
    size_t bytes = (size_t)lt_numel(ctx, t) * ddp_dtype_size(lt_dtype_of(ctx, t));
    char what[300];
    snprintf(what, sizeof what, "broadcast of rank 0's '%s'", name ? name : "?");
    for (size_t off = 0; off < bytes;) {
        size_t piece = bytes - off < (size_t)INT_MAX ? bytes - off : (size_t)INT_MAX;
        MPI_Request req;
        int rc = MPI_Ibcast((char *)lt_data(ctx, t) + off, (int)piece, MPI_BYTE, 0, d->world, &req);
        if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, what);
        if (ddp_wait(ctx, d, 1, &req, what)) return LT_ERROR;
        off += piece;
    }
    return LT_OK;
}

lt_status ddp_broadcast_module_states(lt_ctx *ctx, ddp *d) {
    if (usable(ctx, d, "broadcast of the module's states")) return LT_ERROR;
    /* every rank must have the same tensors in the same order, or the bytes land in the
     * wrong places: compare the counts first */
    int64_t mine[2] = {lt_param_count(ctx), lt_buffer_count(ctx)};
    int64_t zero[2] = {mine[0], mine[1]};
    MPI_Request req;
    int rc = MPI_Ibcast(zero, 2, MPI_INT64_T, 0, d->world, &req);
    if (rc != MPI_SUCCESS) return ddp_mpi_fail(ctx, d, rc, "broadcast of the parameter count");
    if (ddp_wait(ctx, d, 1, &req, "broadcast of the parameter count")) return LT_ERROR;
    if (zero[0] != mine[0] || zero[1] != mine[1]) {
        d->failed = true;
        snprintf(d->failure, sizeof d->failure, "the module differs from rank 0's");
        return lt_fail(ctx, "rank %d has %lld parameters and %lld buffers, rank 0 has %lld and "
                            "%lld: every rank must build the same module", d->rank,
                       (long long)mine[0], (long long)mine[1], (long long)zero[0],
                       (long long)zero[1]);
    }
    for (int64_t i = 0; i < mine[0]; i++) {
        const char *name = NULL;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (p && broadcast_tensor(ctx, d, p, name)) return LT_ERROR;
    }
    for (int64_t i = 0; i < mine[1]; i++) {
        const char *name = NULL;
        lt_tensor *b = lt_buffer_at(ctx, i, &name);
        if (b && broadcast_tensor(ctx, d, b, name)) return LT_ERROR;
    }
    return LT_OK;
}
