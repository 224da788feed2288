/* ltrun/distributed.h — the run's processes as a module or callback sees them: Lightning's
 * global_rank / local_rank / node_rank / world_size, and the strategy's collectives
 * (trainer.strategy.barrier / broadcast / reduce / reduce_boolean_decision,
 * LightningModule.all_gather). Every rank must make the same collective calls in the same
 * order, or the run hangs (as with torch.distributed). On one process each is the
 * identity. Each returns LT_ERROR (message recorded) when called outside a run or when the
 * strategy fails. */
#ifndef LTRUN_DISTRIBUTED_H
#define LTRUN_DISTRIBUTED_H

#include "types.h"
#include "host_api.h"
#include "strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.9: the process topology — what lt_topology answers */
typedef enum lt_topology_key {
    LT_GLOBAL_RANK = 0, /* trainer.global_rank (also ctx->rank) */
    LT_LOCAL_RANK = 1,  /* trainer.local_rank: the rank within its node */
    LT_NODE_RANK = 2,   /* trainer.node_rank */
    LT_WORLD_SIZE = 3   /* trainer.world_size (also ctx->world_size) */
} lt_topology_key;

/* ABI 1.9: one number of the process topology (-1 for an unknown key). */
static inline int64_t lt_topology(lt_ctx *c, lt_topology_key key) {
    return c->api->dist_topology(c, (int)key);
}
static inline int64_t lt_local_rank(lt_ctx *c) { return lt_topology(c, LT_LOCAL_RANK); }
static inline int64_t lt_node_rank(lt_ctx *c) { return lt_topology(c, LT_NODE_RANK); }

/* ABI 1.9: trainer.strategy.barrier(name): wait until every rank reaches it. */
static inline lt_status lt_barrier(lt_ctx *c, const char *name) {
    return c->api->dist_barrier(c, name);
}

/* ABI 1.9: trainer.strategy.broadcast(obj, src): buf[0..bytes) becomes rank src's on
 * every rank (the same bytes on each; plain data, no pointers). */
static inline lt_status lt_broadcast(lt_ctx *c, void *buf, size_t bytes, int64_t src) {
    return c->api->dist_broadcast(c, buf, bytes, src);
}

/* ABI 1.9: trainer.strategy.reduce: values[0..n) replaced by their reduction over the
 * ranks (LT_REDUCE_OP_MEAN: the sum divided by the world size, as Lightning's "mean"). */
static inline lt_status lt_reduce(lt_ctx *c, double *values, int64_t n, lt_reduce_op op) {
    return c->api->dist_reduce(c, values, n, (int)op);
}

/* ABI 1.9: trainer.strategy.reduce_boolean_decision(decision, all): all = true: true
 * only when every rank's *decision is; all = false: true when any rank's is. */
static inline lt_status lt_reduce_boolean_decision(lt_ctx *c, bool *decision, bool all) {
    return c->api->dist_reduce_bool(c, decision, all);
}

/* ABI 1.9: LightningModule.all_gather(x) (sync_grads=False): a new tensor
 * [world_size, *x.shape] holding every rank's x in rank order; with world size 1 no
 * dimension is added (Lightning's special case). Not differentiable. NULL on error. */
static inline lt_tensor *lt_all_gather(lt_ctx *c, const lt_tensor *x) {
    return c->api->dist_all_gather(c, x);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_DISTRIBUTED_H */
