/*
 * autograd.c — the per-step tape, backward, and gradient accumulation.
 *
 * Ownership: the tape's node array is heap memory owned by the tape (it grows and is
 * kept across resets, so a steady-state step allocates nothing); the nodes themselves,
 * and every non-parameter gradient, live in the step's arena. Parameter gradients are
 * the parameter's persistent heap buffer (param_store.c).
 */
#include "tensor/autograd.h"

#include "accelerators/registry.h"
#include "tensor/arena.h"
#include "tensor/op_hooks.h"

#include <stdlib.h>
#include <string.h>

struct ltr_tape {
    ltr_node **nodes;
    int64_t n, cap;
    ltr_grad_ready_fn grad_ready; /* NULL: no parameter readiness is tracked */
    void *grad_ready_user;
};

ltr_tape *ltr_tape_create(void) { return calloc(1, sizeof(ltr_tape)); }

void ltr_tape_destroy(ltr_tape *t) {
    if (!t) return;
    free(t->nodes);
    free(t);
}

void ltr_tape_reset(ltr_tape *t) { t->n = 0; }
int64_t ltr_tape_size(const ltr_tape *t) { return t->n; }

void ltr_tape_set_grad_ready(ltr_tape *t, ltr_grad_ready_fn fn, void *user) {
    t->grad_ready = fn;
    t->grad_ready_user = fn ? user : NULL;
}

ltr_node *ltr_record(lt_ctx *ctx, const char *op, lt_tensor *out, ltr_backward_fn backward,
                     int nin, const lt_tensor *const *in) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (out && ltr_op_observers) ltr_op_notify_forward(ctx, op, out, nin, in);
    /* torch.no_grad() or torch.inference_mode(): nothing */
    if (!out || !c->grad_enabled || c->inference_mode || !c->tape) return NULL;
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
    n->pos = t->n;
    for (int i = 0; i < nin; i++) n->in[i] = in[i];
    out->flags |= LTR_T_REQUIRES_GRAD;
    out->node = n;
    t->nodes[t->n++] = n;
    return n;
}

lt_tensor *ltr_grad_slot(lt_ctx *ctx, const lt_tensor *ct, double *beta) {
    lt_tensor *t = (lt_tensor *)ct; /* grads are bookkeeping, not the tensor's value */
    *beta = 0.0;
    if (!t || !(t->flags & LTR_T_REQUIRES_GRAD)) return NULL;
    if (t->flags & LTR_T_PARAM) {
        /* PyTorch: p.grad is None -> the gradient is stored; otherwise it accumulates */
        if (t->flags & LTR_T_GRAD_DEFINED) *beta = 1.0;
        t->flags |= LTR_T_GRAD_DEFINED;
        return t->grad;
    }
    if (t->grad) {
        *beta = 1.0;
        return t->grad;
    }
    t->grad = ltr_empty_like(ctx, t);
    return t->grad;
}

lt_status ltr_accumulate_grad(lt_ctx *ctx, const lt_tensor *t, const lt_tensor *g) {
    if (!t || !(t->flags & LTR_T_REQUIRES_GRAD)) return LT_OK;
    if (!g) return LT_ERROR; /* the backward that made g failed and said why */
    double beta;
    lt_tensor *dst = ltr_grad_slot(ctx, t, &beta);
    if (!dst) return LT_ERROR;
    if (beta == 0.0) {
        void *self;
        ltr_device_of(dst->device, &self)->copy_d2d(self, dst->data, g->data,
                                                    (size_t)ltr_numel(t) * ltr_dtype_size(t->dtype));
    } else
        ltr_kernels_of(dst)->add_into(dst, g);
    return LT_OK;
}

lt_status ltr_accumulate_grad_owned(lt_ctx *ctx, const lt_tensor *ct, lt_tensor *g) {
    lt_tensor *t = (lt_tensor *)ct;
    if (t && (t->flags & LTR_T_REQUIRES_GRAD) && !(t->flags & LTR_T_PARAM) && !t->grad && g) {
        t->grad = g; /* adopt: saves a copy of every intermediate gradient */
        return LT_OK;
    }
    return ltr_accumulate_grad(ctx, t, g);
}

/* A parameter and the tape index of the last node (in the reverse pass) that adds to its
 * gradient. */
typedef struct ready_at {
    lt_tensor *param;
    int64_t pos;
} ready_at;

static int by_param_then_pos(const void *a, const void *b) {
    const ready_at *x = a, *y = b;
    uintptr_t px = (uintptr_t)x->param, py = (uintptr_t)y->param;
    if (px != py) return px < py ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_pos_descending(const void *a, const void *b) {
    const ready_at *x = a, *y = b;
    return x->pos < y->pos ? 1 : x->pos > y->pos ? -1 : 0;
}

/* For a registered grad-ready hook: which parameters become final after which node. Only
 * nodes that lead to the loss count (the reverse pass skips the others), so reachability
 * is walked first. Returns the schedule in reverse-pass order (pos descending) in *out;
 * -1 when out of memory (the error is recorded). */
static int64_t ready_schedule(lt_ctx *ctx, ltr_tape *t, const lt_tensor *loss, ready_at **out) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    int64_t n = t->n;
    *out = NULL;
    if (n == 0 || !loss->node) return 0;
    bool *reach = ltr_arena_alloc(c->arena, (size_t)n * sizeof *reach);
    ready_at *r = ltr_arena_alloc(c->arena, (size_t)n * LTR_NODE_MAX_IN * sizeof *r);
    if (!reach || !r) {
        ltr_fail(ctx, "backward: out of memory scheduling the gradient-ready hooks");
        return -1;
    }
    memset(reach, 0, (size_t)n * sizeof *reach);
    reach[loss->node->pos] = true;
    int64_t m = 0;
    for (int64_t i = n - 1; i >= 0; i--) {
        if (!reach[i]) continue;
        const ltr_node *nd = t->nodes[i];
        for (int k = 0; k < nd->nin; k++) {
            const lt_tensor *in = nd->in[k];
            if (!in || !(in->flags & LTR_T_REQUIRES_GRAD)) continue;
            const ltr_node *src = in->node; /* only nodes of this tape (not a consumed one) */
            if (src && src->pos < i && t->nodes[src->pos] == src) reach[src->pos] = true;
            if (in->flags & LTR_T_PARAM) r[m++] = (ready_at){(lt_tensor *)in, i};
        }
    }
    qsort(r, (size_t)m, sizeof *r, by_param_then_pos);
    int64_t u = 0; /* keep each parameter's lowest index: the last node the pass visits */
    for (int64_t i = 0; i < m; i++)
        if (u == 0 || r[u - 1].param != r[i].param) r[u++] = r[i];
    qsort(r, (size_t)u, sizeof *r, by_pos_descending);
    *out = r;
    return u;
}

static void fire_ready(lt_ctx *ctx, ltr_tape *t, lt_tensor *param) {
    if (param->flags & LTR_T_GRAD_DEFINED) t->grad_ready(ctx, param, t->grad_ready_user);
}

lt_status ltr_backward(lt_ctx *ctx, lt_tensor *loss) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (!loss) return LT_ERROR;
    char s[96];
    if (ltr_numel(loss) != 1)
        return ltr_fail(ctx, "backward: the loss has shape %s; grad can be implicitly created "
                             "only for scalar outputs", ltr_shape_str(loss, s, sizeof s));
    if (loss->dtype != LT_FLOAT32 && loss->dtype != LT_FLOAT64)
        return ltr_fail(ctx, "backward: the loss must be a float tensor, got %s",
                        ltr_dtype_name(loss->dtype));
    if (!(loss->flags & LTR_T_REQUIRES_GRAD))
        return ltr_fail(ctx, "backward: the loss does not require grad (it was not computed from "
                             "parameters, or under no-grad)");
    ltr_tape *t = c->tape;
    if (loss->node) {
        /* its node must still be on the tape: a consumed graph is gone (retain_graph=False) */
        bool found = false;
        for (int64_t i = t ? t->n - 1 : -1; i >= 0 && !found; i--) found = t->nodes[i] == loss->node;
        if (!found)
            return ltr_fail(ctx, "backward: trying to backward through the graph a second time "
                                 "(its tape was already consumed by an earlier backward)");
    }
    lt_tensor *seed = ltr_empty_like(ctx, loss);
    if (!seed) return LT_ERROR;
    ltr_kernels_of(seed)->fill(seed, 1.0); /* one element (checked above) */
    if (ltr_accumulate_grad_owned(ctx, loss, seed)) return LT_ERROR;
    ready_at *ready = NULL;
    int64_t nready = 0, next_ready = 0;
    if (t && t->grad_ready) {
        if (loss->flags & LTR_T_PARAM) fire_ready(ctx, t, loss); /* the loss is a leaf */
        nready = ready_schedule(ctx, t, loss, &ready);
        if (nready < 0) {
            ltr_tape_reset(t);
            return LT_ERROR;
        }
    }
    /* creation order is a topological order: walk it backwards */
    for (int64_t i = t ? t->n - 1 : -1; i >= 0; i--) {
        ltr_node *n = t->nodes[i];
        /* parameters whose last contribution came from node i + 1 or later are final */
        while (next_ready < nready && ready[next_ready].pos > i) {
            fire_ready(ctx, t, ready[next_ready++].param);
            if (c->failed) {
                ltr_tape_reset(t);
                return LT_ERROR;
            }
        }
        if (!n->out->grad) continue; /* does not lead to the loss */
        /* the profiler times each node, detect_anomaly checks what it wrote */
        for (ltr_op_observer *o = ltr_op_observers; o; o = o->next)
            if (o->before_backward) o->before_backward(o, ctx, n);
        lt_status brc = n->backward(ctx, n);
        for (ltr_op_observer *o = ltr_op_observers; o && brc == LT_OK && !c->failed; o = o->next)
            if (o->after_backward) o->after_backward(o, ctx, n);
        if (brc != LT_OK || c->failed) {
            if (!c->failed) ltr_fail(ctx, "backward of %s failed", n->op);
            ltr_tape_reset(t);
            return LT_ERROR;
        }
    }
    while (next_ready < nready) { /* those whose last node is the tape's first */
        fire_ready(ctx, t, ready[next_ready++].param);
        if (c->failed) {
            ltr_tape_reset(t);
            return LT_ERROR;
        }
    }
    if (t) ltr_tape_reset(t); /* retain_graph=False: the graph is consumed */
    return LT_OK;
}
