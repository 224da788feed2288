/* autograd.c — the per-step tape, backward, and gradient accumulation. */
#include "tensor/autograd.h"

#include "tensor/arena.h"

#include <stdlib.h>
#include <string.h>

struct ltr_tape {
    ltr_node **nodes;
    int64_t n, cap;
};

ltr_tape *ltr_tape_create(void) { return calloc(1, sizeof(ltr_tape)); }

void ltr_tape_destroy(ltr_tape *t) {
    if (!t) return;
    free(t->nodes);
    free(t);
}

void ltr_tape_reset(ltr_tape *t) { t->n = 0; }
int64_t ltr_tape_size(const ltr_tape *t) { return t->n; }

ltr_node *ltr_record(lt_ctx *ctx, const char *op, lt_tensor *out, ltr_backward_fn backward,
                     int nin, const lt_tensor *const *in) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (!out || !c->grad_enabled || !c->tape) return NULL;
    bool needed = false;
    for (int i = 0; i < nin; i++) needed |= in[i] && (in[i]->flags & LTR_T_REQUIRES_GRAD);
    if (!needed) return NULL;
    ltr_tape *t = c->tape;
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 64;
        ltr_node **grown = realloc(t->nodes, (size_t)cap * sizeof *grown);
        if (!grown) {
            ltr_fail(ctx, "%s: out of memory recording the autograd tape", op);
            return NULL;
        }
        t->nodes = grown;
        t->cap = cap;
    }
    ltr_node *n = ltr_arena_alloc(c->arena, sizeof *n);
    if (!n) {
        ltr_fail(ctx, "%s: out of memory recording the autograd tape", op);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->op = op;
    n->backward = backward;
    n->out = out;
    n->nin = nin;
    for (int i = 0; i < nin; i++) n->in[i] = in[i];
    out->flags |= LTR_T_REQUIRES_GRAD;
    out->node = n;
    t->nodes[t->n++] = n;
    return n;
}

/* dst += src elementwise, both contiguous, same numel and dtype */
static void add_into(lt_tensor *dst, const lt_tensor *src) {
    int64_t n = ltr_numel(dst);
    if (dst->dtype == LT_FLOAT64) {
        double *restrict d = dst->data;
        const double *restrict s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] += s[i];
    } else {
        float *restrict d = dst->data;
        const float *restrict s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] += s[i];
    }
}

lt_status ltr_accumulate_grad(lt_ctx *ctx, const lt_tensor *ct, const lt_tensor *g) {
    lt_tensor *t = (lt_tensor *)ct; /* grads are bookkeeping, not the tensor's value */
    if (!t || !g || !(t->flags & LTR_T_REQUIRES_GRAD)) return LT_OK;
    size_t bytes = (size_t)ltr_numel(t) * ltr_dtype_size(t->dtype);
    if (t->flags & LTR_T_PARAM) {
        /* PyTorch: p.grad is None -> the gradient is stored; otherwise it accumulates */
        if (!(t->flags & LTR_T_GRAD_DEFINED)) {
            memcpy(t->grad->data, g->data, bytes);
            t->flags |= LTR_T_GRAD_DEFINED;
        } else {
            add_into(t->grad, g);
        }
        return LT_OK;
    }
    if (!t->grad) {
        t->grad = ltr_empty_like(ctx, t);
        if (!t->grad) return LT_ERROR;
        memcpy(t->grad->data, g->data, bytes);
    } else {
        add_into(t->grad, g);
    }
    return LT_OK;
}

lt_status ltr_backward(lt_ctx *ctx, lt_tensor *loss) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (!loss) return LT_ERROR;
    if (ltr_numel(loss) != 1)
        return ltr_fail(ctx, "backward: the loss must have one element (grad can be implicitly "
                             "created only for scalar outputs)");
    if (!(loss->flags & LTR_T_REQUIRES_GRAD))
        return ltr_fail(ctx, "backward: the loss does not require grad (it was not computed from "
                             "parameters, or under no-grad)");
    lt_tensor *seed = ltr_empty_like(ctx, loss);
    if (!seed) return LT_ERROR;
    ltr_set(seed, 0, 1.0);
    if (ltr_accumulate_grad(ctx, loss, seed)) return LT_ERROR;
    ltr_tape *t = c->tape;
    /* creation order is a topological order: walk it backwards */
    for (int64_t i = t->n - 1; i >= 0; i--) {
        ltr_node *n = t->nodes[i];
        if (!n->out->grad) continue; /* does not lead to the loss */
        if (n->backward(ctx, n) != LT_OK || c->failed) {
            if (!c->failed) ltr_fail(ctx, "backward of %s failed", n->op);
            ltr_tape_reset(t);
            return LT_ERROR;
        }
    }
    ltr_tape_reset(t); /* retain_graph=False */
    return LT_OK;
}
