/*
 * ddp.c — the `ddp` strategy (--trainer.strategy ddp): Lightning's DDPStrategy with
 * PyTorch's DistributedDataParallel semantics, one process per rank, over MPI.
 *
 *   create             --strategy.bucket_cap_mb (25), --strategy.timeout (60 s),
 *                      --strategy.overlap (true)
 *   setup_environment  MPI and the topology (environment.c); `--trainer.devices N`
 *                      without mpirun restarts the command under mpirun (launcher.c)
 *   setup              the base setup, then rank 0's parameters and buffers broadcast
 *                      (DDP's _sync_module_states) and the gradient buckets made
 *   backward           the base backward with the buckets' all-reduces started inside
 *                      it, then waited for: the gradients are the ranks' average when
 *                      backward returns (no_sync on accumulation micro-batches)
 *   collectives        collectives.c, bounded by --strategy.timeout
 *   save_checkpoint    global rank 0 writes (Strategy.save_checkpoint's is_global_zero)
 *   on_exception       marks the rank failed; teardown/destroy then end the job
 *                      (MPI_Abort) so that no rank waits alone
 *
 * LTRUN_DDP_STATS=1 prints, at teardown on rank 0, the reducer's figures (bytes and
 * calls of a step's all-reduce, how many started during backward, backwards that
 * synchronised, time waited after backward): what tests/test_ddp.sh and bench/ddp.sh read.
 */
#include "ddp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ddp_create(lt_ctx *ctx, const lt_hparams *hp) {
    ddp *d = calloc(1, sizeof *d);
    if (!d) {
        lt_fail(ctx, "ddp: out of memory");
        return NULL;
    }
    d->world = MPI_COMM_NULL;
    d->world_size = 1;
    d->opt.bucket_cap_mb = lt_hp_float(ctx, hp, "bucket_cap_mb", 25.0);
    d->opt.timeout_s = lt_hp_float(ctx, hp, "timeout", 60.0);
    d->opt.overlap = lt_hp_bool(ctx, hp, "overlap", true);
    if (!(d->opt.bucket_cap_mb > 0) || !(d->opt.timeout_s > 0)) {
        lt_fail(ctx, "ddp: --strategy.%s must be > 0, got %g",
                !(d->opt.bucket_cap_mb > 0) ? "bucket_cap_mb" : "timeout",
                !(d->opt.bucket_cap_mb > 0) ? d->opt.bucket_cap_mb : d->opt.timeout_s);
        free(d);
        return NULL;
    }
    return d;
}

static void ddp_destroy(lt_ctx *ctx, void *self) {
    ddp *d = self;
    ddp_reducer_destroy(d->reducer);
    /* teardown never ran: the run stopped before it began (a plugin that did not load,
     * a refused checkpoint); the other ranks must not wait for this one */
    if (!d->torn_down) d->failed = true;
    ddp_env_end(d);
    free(d);
}

static lt_status ddp_setup_environment(lt_ctx *ctx, void *self, lt_strategy_env *env) {
    ddp *d = self;
    d->grads = lt_get_extension(ctx, LT_EXT_GRADIENTS);
    d->base = lt_get_extension(ctx, LT_EXT_STRATEGY_BASE);
    if (!d->grads || !d->base)
        return lt_fail(ctx, "ddp: this ltrun has no %s extension", !d->grads ? LT_EXT_GRADIENTS
                                                                            : LT_EXT_STRATEGY_BASE);
    return ddp_env_setup(ctx, d, env);
}

static lt_status ddp_setup(lt_ctx *ctx, void *self) {
    ddp *d = self;
    const lt_strategy_base_v1 *b = d->base;
    if (b->size >= offsetof(lt_strategy_base_v1, setup) + sizeof b->setup && b->setup &&
        b->setup(ctx))
        return LT_ERROR;
    if (d->world_size == 1) return LT_OK; /* one rank: nothing to share */
    if (ddp_broadcast_module_states(ctx, d)) return LT_ERROR;
    if (ctx->stage != LT_STAGE_FIT) return LT_OK; /* evaluation: no gradients */
    d->reducer = ddp_reducer_create(ctx, d);
    return d->reducer ? LT_OK : LT_ERROR;
}

static void ddp_teardown(lt_ctx *ctx, void *self) {
    ddp *d = self;
    d->torn_down = true;
    if (getenv("LTRUN_DDP_STATS") && d->rank == 0) {
        ddp_reducer_figures f;
        ddp_reducer_stats(d->reducer, &f);
        fprintf(stderr, "ltrun: ddp: world %d, %lld buckets; all-reduce per step: %lld bytes in "
                        "%lld calls, %lld started during backward; backwards %lld, synchronised "
                        "%lld; waited %.6f s after backward\n", d->world_size,
                (long long)f.buckets, (long long)f.bytes, (long long)f.calls, (long long)f.early,
                (long long)f.backwards, (long long)f.synced, f.wait_s);
    }
    if (d->failed) ddp_env_end(d); /* after the loggers' finalize: end the job now */
}

static lt_status ddp_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    ddp *d = self;
    if (!d->reducer) return d->base->backward(ctx, loss);
    if (d->failed) return lt_fail(ctx, "backward: this rank already failed (%s)", d->failure);
    ddp_reducer_prepare(d->reducer, ctx);
    lt_status rc = d->base->backward(ctx, loss);
    lt_status fin = ddp_reducer_finish(d->reducer, ctx);
    return rc ? rc : fin;
}

static lt_status ddp_reduce_entry(lt_ctx *ctx, void *self, double *values, int64_t n,
                                  lt_reduce_op op) {
    ddp *d = self;
    if (d->world_size == 1) return LT_OK;
    return ddp_reduce(ctx, d, values, n, op);
}

static lt_status ddp_reduce_bool_entry(lt_ctx *ctx, void *self, bool *decision, bool all) {
    ddp *d = self;
    return d->world_size == 1 ? LT_OK : ddp_reduce_bool(ctx, d, decision, all);
}

static lt_status ddp_barrier_entry(lt_ctx *ctx, void *self, const char *name) {
    ddp *d = self;
    return d->world_size == 1 ? LT_OK : ddp_barrier(ctx, d, name);
}

static lt_status ddp_broadcast_entry(lt_ctx *ctx, void *self, void *buf, size_t bytes,
                                     int64_t src) {
    ddp *d = self;
    if (d->world_size == 1 && src == 0) return LT_OK;
    return ddp_broadcast(ctx, d, buf, bytes, src);
}

static lt_status ddp_all_gather_entry(lt_ctx *ctx, void *self, const lt_tensor *x,
                                      lt_tensor *out) {
    return ddp_all_gather(ctx, self, x, out);
}

/* Lightning's Strategy.save_checkpoint: `if self.is_global_zero:` write */
static lt_status ddp_save_checkpoint(lt_ctx *ctx, void *self, const char *path,
                                     lt_status (*write)(void *arg, const char *path), void *arg) {
    ddp *d = self;
    return d->rank == 0 ? write(arg, path) : LT_OK;
}

static void ddp_on_exception(lt_ctx *ctx, void *self, const char *message) {
    ddp *d = self;
    if (!d->failed) snprintf(d->failure, sizeof d->failure, "%s", message);
    d->failed = true;
}

LT_STRATEGY(ddp, .create = ddp_create, .destroy = ddp_destroy,
            .setup_environment = ddp_setup_environment, .setup = ddp_setup,
            .teardown = ddp_teardown, .backward = ddp_backward, .reduce = ddp_reduce_entry,
            .reduce_bool = ddp_reduce_bool_entry, .barrier = ddp_barrier_entry,
            .broadcast = ddp_broadcast_entry, .all_gather = ddp_all_gather_entry,
            .save_checkpoint = ddp_save_checkpoint, .on_exception = ddp_on_exception)
