/* ddp_collectives_probe.c — a callback calling every collective of ltrun/distributed.h
 * at each training epoch end and checking what a run of world size W must give back
 * (tests/test_ddp.sh): the topology (local rank = rank on one node), lt_broadcast from the
 * last rank, lt_reduce sum/mean/max/min of (rank + 1), lt_reduce_boolean_decision all/any of
 * "rank == 0", lt_all_gather of a rank-dependent [2, 3] tensor ([W, 2, 3], rank order).
 * Prints "ddp_collectives_probe: ok rank R of W" on stderr, or fails the hook naming
 * what differed. */
#include "ltrun.h"

#include <stdio.h>
#include <string.h>

static lt_status probe(lt_ctx *ctx, void *self) {
    (void)self;
    int64_t r = lt_topology(ctx, LT_GLOBAL_RANK), w = lt_topology(ctx, LT_WORLD_SIZE);
    if (r != ctx->rank || w != ctx->world_size || lt_local_rank(ctx) != r || lt_node_rank(ctx) != 0)
        return lt_fail(ctx, "topology: rank %lld local %lld node %lld world %lld", (long long)r,
                       (long long)lt_local_rank(ctx), (long long)lt_node_rank(ctx), (long long)w);
    if (lt_barrier(ctx, "ddp_collectives_probe")) return LT_ERROR;
    char word[32];
    snprintf(word, sizeof word, "from %lld", (long long)r);
    char want[32];
    snprintf(want, sizeof want, "from %lld", (long long)(w - 1));
    if (lt_broadcast(ctx, word, sizeof word, w - 1) || strcmp(word, want))
        return lt_fail(ctx, "broadcast from rank %lld gave '%s'", (long long)(w - 1), word);
    double s = (double)(r + 1), m = s, hi = s, lo = s;
    double tri = (double)(w * (w + 1) / 2);
    if (lt_reduce(ctx, &s, 1, LT_REDUCE_OP_SUM) || lt_reduce(ctx, &m, 1, LT_REDUCE_OP_MEAN) ||
        lt_reduce(ctx, &hi, 1, LT_REDUCE_OP_MAX) || lt_reduce(ctx, &lo, 1, LT_REDUCE_OP_MIN))
        return LT_ERROR;
    if (s != tri || m != tri / (double)w || hi != (double)w || lo != 1.0)
        return lt_fail(ctx, "reduce of rank + 1: sum %g mean %g max %g min %g", s, m, hi, lo);
    bool all = r == 0, any = r == 0;
    if (lt_reduce_boolean_decision(ctx, &all, true) || lt_reduce_boolean_decision(ctx, &any, false))
        return LT_ERROR;
    if (all != (w == 1) || !any)
        return lt_fail(ctx, "reduce_boolean_decision of rank == 0: all %d any %d", all, any);
    int64_t shape[2] = {2, 3};
    lt_tensor *x = lt_add_scalar(ctx, lt_arange(ctx, 0, 6, 1, LT_FLOAT32), 10.0 * (double)r);
    lt_tensor *x2 = x ? lt_reshape(ctx, x, 2, shape) : NULL;
    lt_tensor *g = x2 ? lt_all_gather(ctx, x2) : NULL;
    if (!g) return LT_ERROR;
    float host[64];
    if (w > 10 || lt_ndim(ctx, g) != 3 || lt_size(ctx, g, 0) != w || lt_size(ctx, g, 2) != 3 ||
        lt_tensor_to_host(ctx, g, host, (size_t)(6 * w) * sizeof(float)))
        return lt_fail(ctx, "all_gather: not a [%lld, 2, 3] tensor", (long long)w);
    for (int64_t k = 0; k < 6 * w; k++)
        if (host[k] != (float)(10 * (k / 6) + k % 6))
            return lt_fail(ctx, "all_gather: element %lld is %g", (long long)k, host[k]);
    fprintf(stderr, "ddp_collectives_probe: ok rank %lld of %lld\n", (long long)r, (long long)w);
    return LT_OK;
}

LT_CALLBACK(ddp_collectives_probe, .on_train_epoch_end = probe)
