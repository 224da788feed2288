/* ops_linalg.c — matmul (2-D) and linear (F.linear), GEMMs through the accelerator. */
#include "tensor/ops_common.h"

#include <string.h>

/* C = A @ B: dA = dC @ B^T, dB = A^T @ dC */
static lt_status matmul_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *a = n->in[0], *b = n->in[1], *g = n->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    int64_t m = a->shape[0], k = a->shape[1], nn = b->shape[1];
    if (a->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *ga = ltr_empty_like(ctx, a);
        if (!ga) return LT_ERROR;
        acc->gemm(g->dtype, false, true, m, k, nn, 1.0, g->data, nn, b->data, nn, 0.0, ga->data, k);
        if (ltr_accumulate_grad(ctx, a, ga)) return LT_ERROR;
    }
    if (b->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gb = ltr_empty_like(ctx, b);
        if (!gb) return LT_ERROR;
        acc->gemm(g->dtype, true, false, k, nn, m, 1.0, a->data, k, g->data, nn, 0.0, gb->data, nn);
        if (ltr_accumulate_grad(ctx, b, gb)) return LT_ERROR;
    }
    return LT_OK;
}

lt_tensor *ltr_matmul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    if (!a || !b) return NULL;
    if (!ltr_check_float(ctx, "lt_matmul", a) || !ltr_check_float(ctx, "lt_matmul", b) ||
        !ltr_check_same(ctx, "lt_matmul", a, b))
        return NULL;
    char s1[96], s2[96];
    if (a->ndim != 2 || b->ndim != 2) {
        ltr_fail(ctx, "lt_matmul: only 2-D @ 2-D is supported so far, got %s and %s",
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2));
        return NULL;
    }
    if (a->shape[1] != b->shape[0]) {
        ltr_fail(ctx, "lt_matmul: shapes %s and %s cannot be multiplied (%lld != %lld)",
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2),
                 (long long)a->shape[1], (long long)b->shape[0]);
        return NULL;
    }
    a = ltr_contiguous(ctx, a);
    b = ltr_contiguous(ctx, b);
    if (!a || !b) return NULL;
    int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
    int64_t shape[2] = {m, n};
    lt_tensor *c = ltr_empty(ctx, a->dtype, 2, shape);
    if (!c) return NULL;
    if (k == 0) ltr_accel_of(a)->fill(c, 0);
    else ltr_accel_of(a)->gemm(a->dtype, false, false, m, n, k, 1.0, a->data, k, b->data, n, 0.0, c->data, n);
    const lt_tensor *in[2] = {a, b};
    ltr_record(ctx, "matmul", c, matmul_backward, 2, in);
    return c;
}

/* Gradients of y = x W^T + b over x viewed as [M, in]:
 * dx = dy W; dW (+)= dy^T x; db (+)= sum over rows of dy. A parameter's gradient is
 * written in place by the GEMM (beta 0 when undefined, 1 to accumulate), saving a
 * temporary and a pass over it. */
static lt_status linear_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *g = n->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    int64_t in = w->shape[1], out = w->shape[0], m = ltr_numel(x) / in;
    if (x->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gx = ltr_empty_like(ctx, x);
        if (!gx) return LT_ERROR;
        acc->gemm(g->dtype, false, false, m, in, out, 1.0, g->data, out, w->data, in, 0.0, gx->data, in);
        if (ltr_accumulate_grad(ctx, x, gx)) return LT_ERROR;
    }
    if (w->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *wt = (lt_tensor *)w;
        if (wt->flags & LTR_T_PARAM) {
            double beta = wt->flags & LTR_T_GRAD_DEFINED ? 1.0 : 0.0;
            acc->gemm(g->dtype, true, false, out, in, m, 1.0, g->data, out, x->data, in, beta,
                      wt->grad->data, in);
            wt->flags |= LTR_T_GRAD_DEFINED;
        } else {
            lt_tensor *gw = ltr_empty_like(ctx, w);
            if (!gw) return LT_ERROR;
            acc->gemm(g->dtype, true, false, out, in, m, 1.0, g->data, out, x->data, in, 0.0, gw->data, in);
            if (ltr_accumulate_grad(ctx, w, gw)) return LT_ERROR;
        }
    }
    if (b && (b->flags & LTR_T_REQUIRES_GRAD)) {
        lt_tensor *bt = (lt_tensor *)b;
        if (bt->flags & LTR_T_PARAM) {
            acc->sum_rows(g, m, out, bt->grad, (bt->flags & LTR_T_GRAD_DEFINED) != 0);
            bt->flags |= LTR_T_GRAD_DEFINED;
        } else {
            lt_tensor *gb = ltr_empty_like(ctx, b);
            if (!gb) return LT_ERROR;
            acc->sum_rows(g, m, out, gb, false);
            if (ltr_accumulate_grad(ctx, b, gb)) return LT_ERROR;
        }
    }
    return LT_OK;
}

lt_tensor *ltr_linear(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b) {
    if (!x || !w) return NULL;
    const char *op = "lt_linear";
    if (!ltr_check_float(ctx, op, x) || !ltr_check_float(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!ltr_check_float(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
    char s1[96], s2[96];
    if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1]) {
        ltr_fail(ctx, "%s: input %s does not match weight %s (need [..., %lld])", op,
                 ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2),
                 w->ndim == 2 ? (long long)w->shape[1] : -1LL);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        ltr_fail(ctx, "%s: bias %s does not match weight %s (need [%lld])", op,
                 ltr_shape_str(b, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2),
                 (long long)w->shape[0]);
        return NULL;
    }
    x = ltr_contiguous(ctx, x);
    w = ltr_contiguous(ctx, w);
    if (b) b = ltr_contiguous(ctx, b);
    if (!x || !w) return NULL;
    int64_t in = w->shape[1], out = w->shape[0], m = ltr_numel(x) / (in ? in : 1);
    int64_t shape[LT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out;
    lt_tensor *y = ltr_empty(ctx, x->dtype, x->ndim, shape);
    if (!y) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
    double beta = 0.0;
    if (b) { /* y = broadcast bias, then the GEMM accumulates onto it */
        acc->fill(y, 0);
        acc->add_row(y, m, out, b);
        beta = 1.0;
    }
    if (in == 0) {
        if (!b) acc->fill(y, 0);
    } else {
        acc->gemm(x->dtype, false, true, m, out, in, 1.0, x->data, in, w->data, in, beta, y->data, out);
    }
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_record(ctx, "linear", y, linear_backward, b ? 3 : 2, inputs);
    return y;
}
