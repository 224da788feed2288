/* collectives_probe.c — a callback calling every collective of ltrun/distributed.h once
 * per training epoch end and checking what a one-process run must give back: the
 * topology (rank 0 of 1 on node 0), lt_all_gather's copy with no dimension added
 * (Lightning's world_size-1 rule), lt_reduce / lt_broadcast / lt_reduce_boolean_decision
 * as identities; COLLECTIVES_REFUSE=broadcast|reduce makes a call the host must refuse.
 * Prints "collectives_probe: ok" on stderr per check, or fails the hook naming what
 * differed. */
#include "ltrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lt_status probe(lt_ctx *ctx, void *self) {
    (void)self;
    if (lt_topology(ctx, LT_GLOBAL_RANK) != ctx->rank || lt_topology(ctx, LT_WORLD_SIZE) != 1 ||
        lt_local_rank(ctx) != 0 || lt_node_rank(ctx) != 0 || lt_topology(ctx, (lt_topology_key)9) != -1)
        return lt_fail(ctx, "topology: rank %lld local %lld node %lld world %lld",
                       (long long)lt_topology(ctx, LT_GLOBAL_RANK), (long long)lt_local_rank(ctx),
                       (long long)lt_node_rank(ctx), (long long)lt_topology(ctx, LT_WORLD_SIZE));
    if (lt_barrier(ctx, "collectives_probe")) return LT_ERROR;
    char word[8] = "rank0";
    if (lt_broadcast(ctx, word, sizeof word, 0) || strcmp(word, "rank0"))
        return lt_fail(ctx, "broadcast changed the buffer to '%s'", word);
    double v[2] = {1.5, -2};
    if (lt_reduce(ctx, v, 2, LT_REDUCE_OP_MEAN) || v[0] != 1.5 || v[1] != -2)
        return lt_fail(ctx, "reduce(mean) of one rank gave %g, %g", v[0], v[1]);
    bool d = true, e = false;
    if (lt_reduce_boolean_decision(ctx, &d, true) || lt_reduce_boolean_decision(ctx, &e, false) || !d || e)
        return lt_fail(ctx, "reduce_boolean_decision changed a one-rank decision");
    int64_t shape[2] = {2, 3};
    lt_tensor *x = lt_arange(ctx, 0, 6, 1, LT_FLOAT32);
    lt_tensor *x2 = x ? lt_reshape(ctx, x, 2, shape) : NULL;
    lt_tensor *g = x2 ? lt_all_gather(ctx, x2) : NULL;
    if (!g) return LT_ERROR;
    float host[6];
    if (lt_ndim(ctx, g) != 2 || lt_size(ctx, g, 0) != 2 || lt_size(ctx, g, 1) != 3 ||
        lt_tensor_to_host(ctx, g, host, sizeof host) || host[5] != 5.0f || g == x2)
        return lt_fail(ctx, "all_gather on one rank: not a copy of x with x's shape");
    /* COLLECTIVES_REFUSE=broadcast|reduce: a call the host must refuse (the run fails) */
    const char *refuse = getenv("COLLECTIVES_REFUSE");
    if (refuse && !strcmp(refuse, "broadcast")) return lt_broadcast(ctx, word, sizeof word, 1);
    if (refuse && !strcmp(refuse, "reduce")) return lt_reduce(ctx, v, 2, (lt_reduce_op)7);
    fprintf(stderr, "collectives_probe: ok\n");
    return LT_OK;
}

LT_CALLBACK(collectives_probe, .on_train_epoch_end = probe)
