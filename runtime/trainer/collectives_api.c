/* collectives_api.c — the processes and collectives a module or callback reaches
 * (ltrun/distributed.h, ABI 1.9): each goes to the run's strategy, as Lightning's
 * trainer.strategy.barrier / broadcast / reduce / reduce_boolean_decision and
 * LightningModule.all_gather do; a strategy's failure comes back with its name. */
#include "trainer/trainer.h"

#include "strategy/strategy.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"

#include <string.h>

/* The run's strategy, or NULL with an error naming the call (no run: a plugin's create
 * under `ltrun inspect`, say). */
static ltr_strategy *strategy_for(lt_ctx *c, const char *call) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (t && t->strategy) return t->strategy;
    ltr_fail(c, "%s: no run is in progress (collectives need the trainer's strategy)", call);
    return NULL;
}

/* A strategy's error with the call in front (a plugin strategy's message already names
 * the plugin and its entry: "strategy 'NAME' (PATH), barrier: ..."). */
static lt_status checked(lt_ctx *c, const ltr_strategy *s, const char *call, lt_status rc) {
    if (rc == LT_OK) return LT_OK;
    char msg[1024] = "";
    ltr_ctx_take_error(ltr_ctx_of(c), msg, sizeof msg);
    return ltr_fail(c, "%s: %s", call, msg[0] ? msg : s->ops->name);
}

int64_t ltr_api_dist_topology(lt_ctx *c, int key) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    const ltr_strategy *s = t ? t->strategy : NULL;
    switch (key) {
    case LT_GLOBAL_RANK: return s ? s->rank : c->rank;
    case LT_LOCAL_RANK: return s ? s->local_rank : 0;
    case LT_NODE_RANK: return s ? s->node_rank : 0;
    case LT_WORLD_SIZE: return s ? s->world_size : c->world_size;
    }
    return -1;
}

lt_status ltr_api_dist_barrier(lt_ctx *c, const char *name) {
    ltr_strategy *s = strategy_for(c, "lt_barrier");
    if (!s) return LT_ERROR;
    return checked(c, s, "lt_barrier", s->ops->barrier(s, c, name ? name : "lt_barrier"));
}

lt_status ltr_api_dist_broadcast(lt_ctx *c, void *buf, size_t bytes, int64_t src) {
    ltr_strategy *s = strategy_for(c, "lt_broadcast");
    if (!s) return LT_ERROR;
    if (src < 0 || src >= s->world_size)
        return ltr_fail(c, "lt_broadcast: src %lld is not a rank of this run (world size %lld)",
                        (long long)src, (long long)s->world_size);
    if (bytes && !buf) return ltr_fail(c, "lt_broadcast: buf is NULL");
    return checked(c, s, "lt_broadcast", s->ops->broadcast(s, c, buf, bytes, src));
}

lt_status ltr_api_dist_reduce(lt_ctx *c, double *values, int64_t n, int op) {
    ltr_strategy *s = strategy_for(c, "lt_reduce");
    if (!s) return LT_ERROR;
    if (op < LT_REDUCE_OP_SUM || op > LT_REDUCE_OP_MIN)
        return ltr_fail(c, "lt_reduce: unknown reduction %d (use LT_REDUCE_OP_SUM, _MEAN, _MAX or "
                           "_MIN)", op);
    if (n < 0 || (n && !values)) return ltr_fail(c, "lt_reduce: %lld values at %p", (long long)n, (void *)values);
    /* the SDK's numbering is the host's (strategy.h keeps them equal) */
    return checked(c, s, "lt_reduce", s->ops->reduce(s, c, values, n, (ltr_collective_op)op));
}

lt_status ltr_api_dist_reduce_bool(lt_ctx *c, bool *decision, bool all) {
    ltr_strategy *s = strategy_for(c, "lt_reduce_boolean_decision");
    if (!s) return LT_ERROR;
    if (!decision) return ltr_fail(c, "lt_reduce_boolean_decision: decision is NULL");
    return checked(c, s, "lt_reduce_boolean_decision", s->ops->reduce_bool(s, c, decision, all));
}

lt_tensor *ltr_api_dist_all_gather(lt_ctx *c, const lt_tensor *x) {
    ltr_strategy *s = strategy_for(c, "lt_all_gather");
    if (!s) return NULL;
    if (!x) {
        ltr_fail(c, "lt_all_gather: x is NULL");
        return NULL;
    }
    if (x->ndim + 1 > LT_MAX_DIMS) {
        ltr_fail(c, "lt_all_gather: x has %d dimensions; the gathered tensor would exceed %d",
                 x->ndim, LT_MAX_DIMS);
        return NULL;
    }
    int64_t shape[LT_MAX_DIMS];
    shape[0] = s->world_size;
    memcpy(shape + 1, x->shape, (size_t)x->ndim * sizeof *shape);
    const lt_tensor *src = ltr_is_contiguous(x) ? x : ltr_contiguous(c, x);
    lt_tensor *out = src ? ltr_empty_on(c, x->device, x->dtype, x->ndim + 1, shape) : NULL;
    if (!out) return NULL;
    if (checked(c, s, "lt_all_gather", s->ops->all_gather(s, c, src, out))) return NULL;
    /* Lightning: "for the special case where world_size is 1, no additional dimension is
     * added to the tensor(s)" */
    return s->world_size == 1 ? ltr_reshape(c, out, x->ndim, x->shape) : out;
}
