/*
 * ops_elementwise.c — add, sub, mul with NumPy/PyTorch broadcasting; relu; and
 * div, pow, maximum, minimum, the comparisons, where and masked_fill, all broadcasting.
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

/* Two float inputs of one dtype and device whose shapes broadcast: the output's shape
 * and each input's strides aligned to it. NULL inputs fail silently. */
static bool binary_operands(lt_ctx *ctx, const char *op, const lt_tensor *a, const lt_tensor *b,
                            int *nd, int64_t *shape, int64_t *as, int64_t *bs) {
    return a && b && ltr_check_float(ctx, op, a) && ltr_check_float(ctx, op, b) &&
           ltr_check_same(ctx, op, a, b) && broadcast(ctx, op, a, b, nd, shape, as, bs);
}

static lt_tensor *binary(lt_ctx *ctx, const char *op, ltr_binary_op kind, const lt_tensor *a,
                         const lt_tensor *b) {
    int nd;
    int64_t shape[LT_MAX_DIMS], as[LT_MAX_DIMS], bs[LT_MAX_DIMS];
    if (!binary_operands(ctx, op, a, b, &nd, shape, as, bs)) return NULL;
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
    ltr_accel_of(gx)->pointwise_backward(LTR_PW_RELU, n->in[0], n->out, 0, 0, n->out->grad, gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

lt_tensor *ltr_relu(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !ltr_check_floating(ctx, "lt_relu", x)) return NULL; /* bfloat16: exact */
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    ltr_accel_of(x)->pointwise(LTR_PW_RELU, x, 0, 0, y);
    const lt_tensor *in[1] = {x};
    ltr_record(ctx, "relu", y, relu_backward, 1, in);
    return y;
}

/* ---- elementwise (div, pow, maximum, minimum, comparisons, where, masked_fill).
 * Broadcast inputs are expanded to contiguous copies of the output's shape (only when
 * they are not already that), so the kernels are flat loops. */

/* t's strides aligned to an (already valid) broadcast shape of nd dims */
static void aligned_strides(const lt_tensor *t, int nd, int64_t *st) {
    for (int d = 0; d < nd; d++) {
        int dt = d - (nd - t->ndim);
        st[d] = dt >= 0 && t->shape[dt] != 1 ? t->stride[dt] : 0;
    }
}

static const lt_tensor *expand_to(lt_ctx *ctx, const lt_tensor *t, int nd, const int64_t *shape) {
    bool same = t->ndim == nd && ltr_is_contiguous(t);
    for (int d = 0; same && d < nd; d++) same = t->shape[d] == shape[d];
    if (same) return t;
    lt_tensor *o = ltr_empty(ctx, t->dtype, nd, shape);
    if (!o) return NULL;
    int64_t st[LT_MAX_DIMS];
    aligned_strides(t, nd, st);
    ltr_accel_of(t)->expand(t, st, o);
    return o;
}

/* saved: the expanded inputs the backward reads */
typedef struct ew_saved {
    const lt_tensor *a, *b;
} ew_saved;

static lt_status ew_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *a = n->in[0], *b = n->in[1];
    const ew_saved *s = n->saved;
    lt_tensor *g = n->out->grad;
    bool wa = a->flags & LTR_T_REQUIRES_GRAD, wb = b->flags & LTR_T_REQUIRES_GRAD;
    lt_tensor *ga = wa ? ltr_empty_like(ctx, g) : NULL, *gb = wb ? ltr_empty_like(ctx, g) : NULL;
    if ((wa && !ga) || (wb && !gb)) return LT_ERROR;
    ltr_accel_of(g)->binary_backward((ltr_binary_op)n->iarg[0], s->a, s->b, n->out, g, ga, gb);
    bool taken = true; /* g itself is never handed on here */
    if (wa && give(ctx, a, unbroadcast(ctx, ga, a, 1.0), n, &taken)) return LT_ERROR;
    if (wb && give(ctx, b, unbroadcast(ctx, gb, b, 1.0), n, &taken)) return LT_ERROR;
    return LT_OK;
}

static lt_tensor *ew_binary(lt_ctx *ctx, const char *op, ltr_binary_op kind, const lt_tensor *a,
                            const lt_tensor *b) {
    int nd;
    int64_t shape[LT_MAX_DIMS], as[LT_MAX_DIMS], bs[LT_MAX_DIMS];
    if (!binary_operands(ctx, op, a, b, &nd, shape, as, bs)) return NULL;
    const lt_tensor *ae = expand_to(ctx, a, nd, shape), *be = expand_to(ctx, b, nd, shape);
    lt_tensor *out = ae && be ? ltr_empty(ctx, a->dtype, nd, shape) : NULL;
    if (!out) return NULL;
    ltr_accel_of(a)->binary(kind, ae, ae->stride, be, be->stride, out);
    const lt_tensor *in[2] = {a, b};
    ltr_node *n = ltr_record(ctx, op + 3, out, ew_backward, 2, in);
    if (n) {
        ew_saved *s = ltr_scratch(ctx, sizeof *s);
        if (!s) return NULL;
        s->a = ae;
        s->b = be;
        n->saved = s;
        n->iarg[0] = kind;
    }
    return out;
}

/* torch.div (true division), torch.pow(tensor, tensor), torch.maximum / torch.minimum
 * (NaN propagates; on ties each input gets half the gradient) */
lt_tensor *ltr_div(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return ew_binary(ctx, "lt_div", LTR_BIN_DIV, a, b);
}
lt_tensor *ltr_pow(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return ew_binary(ctx, "lt_pow", LTR_BIN_POW, a, b);
}
lt_tensor *ltr_maximum(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return ew_binary(ctx, "lt_maximum", LTR_BIN_MAXIMUM, a, b);
}
lt_tensor *ltr_minimum(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    return ew_binary(ctx, "lt_minimum", LTR_BIN_MINIMUM, a, b);
}

static bool check_any(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (!ltr_refuse_bf16(ctx, op, t)) return false;
    if (!ltr_kernels_of(t)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, t->device);
        return false;
    }
    return true;
}

/* Comparisons: same dtype (any), broadcasting, bool result, no gradient. Unlike torch,
 * mixed dtypes are refused rather than promoted: convert with lt_to first. */
static lt_tensor *compare(lt_ctx *ctx, const char *op, ltr_cmp_op kind, const lt_tensor *a,
                          const lt_tensor *b) {
    if (!a || !b) return NULL;
    if (!check_any(ctx, op, a) || !check_any(ctx, op, b) || !ltr_check_same(ctx, op, a, b))
        return NULL;
    int nd;
    int64_t shape[LT_MAX_DIMS], as[LT_MAX_DIMS], bs[LT_MAX_DIMS];
    if (!broadcast(ctx, op, a, b, &nd, shape, as, bs)) return NULL;
    const lt_tensor *ae = expand_to(ctx, a, nd, shape), *be = expand_to(ctx, b, nd, shape);
    lt_tensor *out = ae && be ? ltr_empty(ctx, LT_BOOL, nd, shape) : NULL;
    if (!out) return NULL;
    ltr_accel_of(a)->compare(kind, ae, be, out);
    return out;
}
lt_tensor *ltr_eq(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_eq", LTR_CMP_EQ, a, b); }
lt_tensor *ltr_ne(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_ne", LTR_CMP_NE, a, b); }
lt_tensor *ltr_lt(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_lt", LTR_CMP_LT, a, b); }
lt_tensor *ltr_le(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_le", LTR_CMP_LE, a, b); }
lt_tensor *ltr_gt(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_gt", LTR_CMP_GT, a, b); }
lt_tensor *ltr_ge(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { return compare(ctx, "lt_ge", LTR_CMP_GE, a, b); }

/* where / masked_fill backward: in[0] = a (or NULL), in[1] = b; saved = expanded cond */
static lt_status where_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *a = n->in[0], *b = n->in[1], *cond = n->saved;
    lt_tensor *g = n->out->grad;
    bool wa = a && (a->flags & LTR_T_REQUIRES_GRAD), wb = b->flags & LTR_T_REQUIRES_GRAD;
    lt_tensor *ga = wa ? ltr_empty_like(ctx, g) : NULL, *gb = wb ? ltr_empty_like(ctx, g) : NULL;
    if ((wa && !ga) || (wb && !gb)) return LT_ERROR;
    ltr_accel_of(g)->where_backward(cond, g, ga, gb);
    bool taken = true;
    if (wa && give(ctx, a, unbroadcast(ctx, ga, a, 1.0), n, &taken)) return LT_ERROR;
    if (wb && give(ctx, b, unbroadcast(ctx, gb, b, 1.0), n, &taken)) return LT_ERROR;
    return LT_OK;
}

static bool check_mask(lt_ctx *ctx, const char *op, const lt_tensor *m) {
    if (m->dtype != LT_BOOL && m->dtype != LT_UINT8) {
        ltr_fail(ctx, "%s: the condition/mask must be bool or uint8, got %s", op,
                 ltr_dtype_name(m->dtype));
        return false;
    }
    return check_any(ctx, op, m);
}

/* A stand-in with only a shape (for broadcasting a third tensor against two). */
static lt_tensor shape_only(int nd, const int64_t *shape) {
    lt_tensor t;
    memset(&t, 0, sizeof t);
    t.ndim = nd;
    for (int d = 0; d < nd; d++) t.shape[d] = shape[d];
    return t;
}

/* torch.where(cond, a, b): all three broadcast; a and b of one dtype (any); the
 * gradient flows to a where cond and to b elsewhere */
lt_tensor *ltr_where(lt_ctx *ctx, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) {
    const char *op = "lt_where";
    if (!cond || !a || !b) return NULL;
    if (!check_mask(ctx, op, cond) || !check_any(ctx, op, a) || !ltr_check_same(ctx, op, a, b))
        return NULL;
    int nd, nd2;
    int64_t shape[LT_MAX_DIMS], shape2[LT_MAX_DIMS], s1[LT_MAX_DIMS], s2[LT_MAX_DIMS];
    if (!broadcast(ctx, op, a, b, &nd, shape, s1, s2)) return NULL;
    lt_tensor ab = shape_only(nd, shape);
    if (!broadcast(ctx, op, cond, &ab, &nd2, shape2, s1, s2)) return NULL;
    const lt_tensor *ce = expand_to(ctx, cond, nd2, shape2), *ae = expand_to(ctx, a, nd2, shape2),
                    *be = expand_to(ctx, b, nd2, shape2);
    lt_tensor *out = ce && ae && be ? ltr_empty(ctx, a->dtype, nd2, shape2) : NULL;
    if (!out) return NULL;
    ltr_accel_of(a)->where(ce, ae, be, out);
    if (ltr_is_float(a)) {
        const lt_tensor *in[2] = {a, b};
        ltr_node *n = ltr_record(ctx, "where", out, where_backward, 2, in);
        if (n) n->saved = (void *)ce;
    }
    return out;
}

/* Tensor.masked_fill(mask, value): value where mask, x elsewhere; mask and x broadcast
 * (torch's out-of-place form); the gradient flows to x where the mask is false. */
lt_tensor *ltr_masked_fill(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *mask, double value) {
    const char *op = "lt_masked_fill";
    if (!x || !mask) return NULL;
    if (!check_any(ctx, op, x) || !check_mask(ctx, op, mask)) return NULL;
    int nd;
    int64_t shape[LT_MAX_DIMS], s1[LT_MAX_DIMS], s2[LT_MAX_DIMS];
    if (!broadcast(ctx, op, mask, x, &nd, shape, s1, s2)) return NULL;
    const lt_tensor *me = expand_to(ctx, mask, nd, shape), *xe = expand_to(ctx, x, nd, shape);
    lt_tensor *v = me && xe ? ltr_empty(ctx, x->dtype, nd, shape) : NULL;
    lt_tensor *out = v ? ltr_empty(ctx, x->dtype, nd, shape) : NULL;
    if (!out) return NULL;
    ltr_accel_of(x)->fill(v, value);
    ltr_accel_of(x)->where(me, v, xe, out);
    if (ltr_is_float(x)) {
        const lt_tensor *in[2] = {NULL, x};
        ltr_node *n = ltr_record(ctx, "masked_fill", out, where_backward, 2, in);
        if (n) n->saved = (void *)me;
    }
    return out;
}
