/*
 * ops_elementwise.c — add, sub, mul with NumPy/PyTorch broadcasting; relu.
 * Outputs and backward temporaries live in the arena.
 */
#include "tensor/ops_common.h"

#include <string.h>

/* Broadcast shapes (PyTorch rules: align on the right; sizes equal or 1). Fills out
 * shape and each input's strides aligned to the output (0 on broadcast dims). */
static bool broadcast(lt_ctx *ctx, const char *op, const lt_tensor *a, const lt_tensor *b, int *nd,
                      int64_t *shape, int64_t *as, int64_t *bs) {
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < n; d++) {
        int da = d - (n - a->ndim), db = d - (n - b->ndim);
        int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char s1[96], s2[96];
            ltr_fail(ctx, "%s: shapes %s and %s cannot be broadcast (dimension %d: %lld vs %lld)",
                     op, ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2), d,
                     (long long)sa, (long long)sb);
            return false;
        }
        shape[d] = sa == 1 ? sb : sa;
        as[d] = da >= 0 && sa != 1 ? a->stride[da] : 0;
        bs[d] = db >= 0 && sb != 1 ? b->stride[db] : 0;
    }
    *nd = n;
    return true;
}

/* The gradient g (output shape) summed down to input t's shape. */
static lt_tensor *unbroadcast(lt_ctx *ctx, const lt_tensor *g, const lt_tensor *t, double scale) {
    int n = g->ndim;
    bool same = t->ndim == n && scale == 1.0;
    for (int d = 0; same && d < n; d++) same = t->shape[d] == g->shape[d];
    if (same) return (lt_tensor *)g;
    lt_tensor *out = ltr_empty_like(ctx, t);
    if (!out) return NULL;
    int64_t os[LT_MAX_DIMS];
    for (int d = 0; d < n; d++) {
        int dt = d - (n - t->ndim);
        os[d] = dt >= 0 && t->shape[dt] != 1 ? out->stride[dt] : 0;
    }
    ltr_accel_of(g)->reduce_to(g, os, scale, out);
    return out;
}

/* Hand gr (t's gradient) to t. A tensor that is not out's gradient was made for this
 * call alone and can be adopted; out's gradient itself is dead once this node's
 * backward runs (out has no other producer), so one input may adopt it as well. */
static lt_status give(lt_ctx *ctx, const lt_tensor *t, lt_tensor *gr, ltr_node *n, bool *g_taken) {
    if (!gr) return LT_ERROR;
    if (gr != n->out->grad || !*g_taken) {
        if (gr == n->out->grad) *g_taken = true;
        return ltr_accumulate_grad_owned(ctx, t, gr);
    }
    return ltr_accumulate_grad(ctx, t, gr);
}

/* add: ga = gb = g; sub: ga = g, gb = -g; mul: ga = g * b, gb = g * a; each summed over
 * the dims its input was broadcast along (PyTorch's sum_to_size in the backward). */
static lt_status binary_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *a = n->in[0], *b = n->in[1];
    lt_tensor *g = n->out->grad;
    ltr_binary_op op = (ltr_binary_op)n->iarg[0];
    const int64_t *saved = n->saved; /* mul: b's then a's strides aligned to out */
    bool taken = false;
    if (a->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *ga = g;
        if (op == LTR_BIN_MUL) { /* d(a*b)/da = b */
            ga = ltr_empty_like(ctx, g);
            if (!ga) return LT_ERROR;
            ltr_accel_of(g)->binary(LTR_BIN_MUL, g, g->stride, b, saved, ga);
        }
        if (give(ctx, a, unbroadcast(ctx, ga, a, 1.0), n, &taken)) return LT_ERROR;
    }
    if (b->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gb = g;
        if (op == LTR_BIN_MUL) {
            gb = ltr_empty_like(ctx, g);
            if (!gb) return LT_ERROR;
            ltr_accel_of(g)->binary(LTR_BIN_MUL, g, g->stride, a, saved + LT_MAX_DIMS, gb);
        }
        double scale = op == LTR_BIN_SUB ? -1.0 : 1.0;
        if (give(ctx, b, unbroadcast(ctx, gb, b, scale), n, &taken)) return LT_ERROR;
    }
    return LT_OK;
}

static lt_tensor *binary(lt_ctx *ctx, const char *op, ltr_binary_op kind, const lt_tensor *a,
                         const lt_tensor *b) {
    if (!a || !b) return NULL;
    if (!ltr_check_float(ctx, op, a) || !ltr_check_float(ctx, op, b) ||
        !ltr_check_same(ctx, op, a, b))
        return NULL;
    int nd;
    int64_t shape[LT_MAX_DIMS], as[LT_MAX_DIMS], bs[LT_MAX_DIMS];
    if (!broadcast(ctx, op, a, b, &nd, shape, as, bs)) return NULL;
    lt_tensor *out = ltr_empty(ctx, a->dtype, nd, shape);
    if (!out) return NULL;
    ltr_accel_of(a)->binary(kind, a, as, b, bs, out);
    const lt_tensor *in[2] = {a, b};
    ltr_node *n = ltr_record(ctx, op, out, binary_backward, 2, in);
    if (n) {
        n->iarg[0] = kind;
        if (kind == LTR_BIN_MUL) {
            /* backward multiplies g (out's shape) by the other input, broadcast again */
            int64_t *saved = ltr_scratch(ctx, 2 * LT_MAX_DIMS * sizeof *saved);
            if (!saved) return NULL;
            memcpy(saved, bs, (size_t)nd * sizeof *bs);
            memcpy(saved + LT_MAX_DIMS, as, (size_t)nd * sizeof *as);
            n->saved = saved;
        }
    }
    return out;
}

lt_tensor *ltr_add(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return binary(ctx, "lt_add", LTR_BIN_ADD, a, b);
}
lt_tensor *ltr_sub(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return binary(ctx, "lt_sub", LTR_BIN_SUB, a, b);
}
lt_tensor *ltr_mul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return binary(ctx, "lt_mul", LTR_BIN_MUL, a, b);
}

/* PyTorch's threshold_backward: the gradient passes where x > 0, and is 0 at x == 0 */
static lt_status relu_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->relu_backward(n->in[0], n->out->grad, gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

lt_tensor *ltr_relu(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !ltr_check_float(ctx, "lt_relu", x)) return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    ltr_accel_of(x)->relu(x, y);
    const lt_tensor *in[1] = {x};
    ltr_record(ctx, "relu", y, relu_backward, 1, in);
    return y;
}
