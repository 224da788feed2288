/*
 * counting_strategy.c — a strategy plugin built from the SDK alone (ltrun.h): it counts
 * every entry the host calls, reports rank 0 of 1 itself (it owns the rank-zero decision),
 * runs the single-device backward and optimizer step through LT_EXT_STRATEGY_BASE, and
 * checks through LT_EXT_GRADIENTS that every trainable parameter became ready exactly once
 * per backward, with a defined, finite gradient (the one grad(i) returns).
 * At teardown it prints "counting_strategy: NAME=COUNT ..." on stderr.
 * COUNTING_FAIL=ENTRY makes that entry fail, COUNTING_CRASH=ENTRY makes it dereference
 * NULL (SIGSEGV); COUNTING_RANK=N reports rank N (of world size 1), COUNTING_RANK=R:L:N:W
 * rank R, local rank L, node rank N of world size W.
 */
#include "ltrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

typedef struct counts {
    const lt_gradients_v1 *grads;
    const lt_strategy_base_v1 *base;
    int64_t nparams;
    int64_t *ready;          /* ready callbacks per parameter in the running backward */
    long setup_environment, setup, batch_to_device, backward, optimizer_step, reduce,
        reduce_bool, barrier, broadcast, all_gather, save_checkpoint;
    long grad_ready, backward_checked; /* callbacks, backwards where every check held */
    const char *fail;
} counts;

static lt_status maybe_fail(lt_ctx *ctx, counts *c, const char *entry) {
    const char *crash = getenv("COUNTING_CRASH");
    if (crash && !strcmp(crash, entry)) {
        /* an address in the unmapped first page: a real fault (UBSan would stop a
         * store through NULL itself, before the signal) */
        volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
        *nowhere = 1;
    }
    if (c->fail && !strcmp(c->fail, entry)) return lt_fail(ctx, "failing %s as asked", entry);
    return LT_OK;
}

static void *cs_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    counts *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fail = getenv("COUNTING_FAIL");
    if (lt_get_extension(ctx, "ltrun.no_such_extension/1") != NULL) {
        lt_fail(ctx, "an unknown extension id got an answer");
        free(c);
        return NULL;
    }
    return c;
}

static void cs_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    counts *c = self;
    free(c->ready);
    free(c);
}

static lt_status cs_setup_environment(lt_ctx *ctx, void *self, lt_strategy_env *env) {
    counts *c = self;
    c->setup_environment++;
    const char *rank = getenv("COUNTING_RANK");
    env->rank = rank ? atoll(rank) : 0;
    env->local_rank = env->node_rank = 0;
    env->world_size = 1;
    long long r, l, n, w; /* "rank:local_rank:node_rank:world_size" */
    if (rank && sscanf(rank, "%lld:%lld:%lld:%lld", &r, &l, &n, &w) == 4) {
        env->rank = r, env->local_rank = l, env->node_rank = n, env->world_size = w;
    }
    return maybe_fail(ctx, c, "setup_environment");
}

static void on_ready(lt_ctx *ctx, int64_t i, lt_tensor *grad, void *user) {
    counts *c = user;
    c->grad_ready++;
    if (i < 0 || i >= c->nparams) {
        lt_fail(ctx, "grad-ready for parameter %lld of %lld", (long long)i, (long long)c->nparams);
        return;
    }
    c->ready[i]++;
    const char *name = c->grads->name(ctx, i);
    if (!grad || grad != c->grads->grad(ctx, i)) {
        lt_fail(ctx, "grad-ready for %s: the gradient is %s", name,
                grad ? "not the one grad(i) returns" : "NULL");
        return;
    }
    int64_t n = lt_numel(ctx, grad);
    const void *d = lt_data(ctx, grad);
    lt_dtype dt = lt_dtype_of(ctx, grad);
    for (int64_t k = 0; k < n; k++) {
        double v = dt == LT_FLOAT64 ? ((const double *)d)[k] : ((const float *)d)[k];
        if (!isfinite(v)) {
            lt_fail(ctx, "grad-ready for %s: element %lld is not finite", name, (long long)k);
            return;
        }
    }
}

static lt_status cs_setup(lt_ctx *ctx, void *self) {
    counts *c = self;
    c->setup++;
    c->grads = lt_get_extension(ctx, LT_EXT_GRADIENTS);
    c->base = lt_get_extension(ctx, LT_EXT_STRATEGY_BASE);
    if (!c->grads || c->grads->size < sizeof *c->grads)
        return lt_fail(ctx, "no %s extension", LT_EXT_GRADIENTS);
    if (!c->base || c->base->size < sizeof *c->base)
        return lt_fail(ctx, "no %s extension", LT_EXT_STRATEGY_BASE);
    c->nparams = c->grads->count(ctx);
    if (c->nparams <= 0) return lt_fail(ctx, "the module has no trainable parameters");
    c->ready = calloc((size_t)c->nparams, sizeof *c->ready);
    if (!c->ready) return lt_fail(ctx, "out of memory");
    for (int64_t i = 0; i < c->nparams; i++)
        if (!c->grads->name(ctx, i) || !c->grads->param(ctx, i))
            return lt_fail(ctx, "parameter %lld has no name or tensor", (long long)i);
    if (c->grads->param(ctx, c->nparams) || c->grads->name(ctx, -1))
        return lt_fail(ctx, "an index out of range got a parameter");
    if (c->grads->on_grad_ready(ctx, on_ready, c)) return LT_ERROR;
    return maybe_fail(ctx, c, "setup");
}

static void cs_teardown(lt_ctx *ctx, void *self) {
    (void)ctx;
    counts *c = self;
    fprintf(stderr,
            "counting_strategy: setup_environment=%ld setup=%ld batch_to_device=%ld backward=%ld "
            "optimizer_step=%ld reduce=%ld reduce_bool=%ld barrier=%ld broadcast=%ld "
            "all_gather=%ld save_checkpoint=%ld params=%lld grad_ready=%ld backward_checked=%ld\n",
            c->setup_environment, c->setup, c->batch_to_device, c->backward, c->optimizer_step,
            c->reduce, c->reduce_bool, c->barrier, c->broadcast, c->all_gather,
            c->save_checkpoint, (long long)c->nparams, c->grad_ready, c->backward_checked);
}

static lt_status cs_batch_to_device(lt_ctx *ctx, void *self, lt_batch *batch) {
    counts *c = self;
    c->batch_to_device++;
    return c->base->batch_to_device(ctx, batch);
}

static lt_status cs_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    counts *c = self;
    c->backward++;
    if (maybe_fail(ctx, c, "backward")) return LT_ERROR;
    memset(c->ready, 0, (size_t)c->nparams * sizeof *c->ready);
    if (c->base->backward(ctx, loss)) return LT_ERROR;
    for (int64_t i = 0; i < c->nparams; i++)
        if (c->ready[i] != 1)
            return lt_fail(ctx, "parameter %s became ready %lld times in one backward",
                           c->grads->name(ctx, i), (long long)c->ready[i]);
    c->backward_checked++;
    return LT_OK;
}

static lt_status cs_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *opt) {
    counts *c = self;
    c->optimizer_step++;
    return c->base->optimizer_step(ctx, opt);
}

/* One process: every collective is the identity, as single-device's. */
static lt_status cs_reduce(lt_ctx *ctx, void *self, double *v, int64_t n, lt_reduce_op op) {
    (void)v, (void)n, (void)op;
    counts *c = self;
    c->reduce++;
    return maybe_fail(ctx, c, "reduce");
}
static lt_status cs_reduce_bool(lt_ctx *ctx, void *self, bool *decision, bool all) {
    (void)decision, (void)all;
    counts *c = self;
    c->reduce_bool++;
    return maybe_fail(ctx, c, "reduce_bool");
}
static lt_status cs_barrier(lt_ctx *ctx, void *self, const char *name) {
    (void)name;
    counts *c = self;
    c->barrier++;
    return maybe_fail(ctx, c, "barrier");
}
static lt_status cs_broadcast(lt_ctx *ctx, void *self, void *buf, size_t bytes, int64_t src) {
    (void)buf, (void)bytes, (void)src;
    counts *c = self;
    c->broadcast++;
    return maybe_fail(ctx, c, "broadcast");
}
static lt_status cs_all_gather(lt_ctx *ctx, void *self, const lt_tensor *x, lt_tensor *out) {
    counts *c = self;
    c->all_gather++;
    int64_t n = lt_numel(ctx, x);
    lt_dtype dt = lt_dtype_of(ctx, x);
    size_t esz = dt == LT_FLOAT64 || dt == LT_INT64 ? 8
                 : dt == LT_UINT8 || dt == LT_BOOL  ? 1
                 : dt == LT_BFLOAT16                ? 2
                                                    : 4;
    memcpy(lt_data(ctx, out), lt_data(ctx, x), (size_t)n * esz);
    return maybe_fail(ctx, c, "all_gather");
}
static lt_status cs_save_checkpoint(lt_ctx *ctx, void *self, const char *path,
                                    lt_status (*write)(void *arg, const char *path), void *arg) {
    counts *c = self;
    c->save_checkpoint++;
    if (maybe_fail(ctx, c, "save_checkpoint")) return LT_ERROR;
    return write(arg, path); /* the only rank is global zero */
}

LT_STRATEGY(counting_strategy, .create = cs_create, .destroy = cs_destroy,
            .setup_environment = cs_setup_environment, .setup = cs_setup,
            .teardown = cs_teardown, .batch_to_device = cs_batch_to_device,
            .backward = cs_backward, .optimizer_step = cs_optimizer_step, .reduce = cs_reduce,
            .reduce_bool = cs_reduce_bool, .barrier = cs_barrier, .broadcast = cs_broadcast,
            .all_gather = cs_all_gather, .save_checkpoint = cs_save_checkpoint)
