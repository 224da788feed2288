/*
 * ops_linalg.c — matmul (torch.matmul up to N-D @ 2-D) and linear (F.linear), with
 * the GEMMs going straight to the accelerator (OpenBLAS) with the transposes passed
 * as flags: no transposed copies, and backward writes each gradient in place (GEMM
 * beta 0 into a fresh buffer, beta 1 to accumulate into an existing one, parameters'
 * persistent grads included). Outputs live in the arena.
 */
#include "tensor/ops_common.h"

#include <string.h>

/* C = A @ B (2-D, contiguous): dA (+)= dC @ B^T, dB (+)= A^T @ dC */
static lt_status mm_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *a = n->in[0], *b = n->in[1], *g = n->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    int64_t m = a->shape[0], k = a->shape[1], nn = b->shape[1];
    double beta;
    if (a->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *ga = ltr_grad_slot(ctx, a, &beta);
        if (!ga) return LT_ERROR;
        acc->gemm(g->dtype, false, true, m, k, nn, 1.0, g->data, nn, b->data, nn, beta, ga->data, k);
    }
    if (b->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gb = ltr_grad_slot(ctx, b, &beta);
        if (!gb) return LT_ERROR;
        acc->gemm(g->dtype, true, false, k, nn, m, 1.0, a->data, k, g->data, nn, beta, gb->data, nn);
    }
    return LT_OK;
}

static lt_tensor *mm(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    a = ltr_contiguous(ctx, a);
    b = ltr_contiguous(ctx, b);
    if (!a || !b) return NULL;
    int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
    int64_t shape[2] = {m, n};
    lt_tensor *c = ltr_empty(ctx, a->dtype, 2, shape);
    if (!c) return NULL;
    ltr_accel_of(a)->gemm(a->dtype, false, false, m, n, k, 1.0, a->data, k, b->data, n, 0.0,
                          c->data, n);
    const lt_tensor *in[2] = {a, b};
    ltr_record(ctx, "matmul", c, mm_backward, 2, in);
    return c;
}

/* torch.matmul: 1-D @ 1-D is a dot product (0-d); a 1-D left operand is a row [1, k]
 * and a 1-D right one a column [k, 1], the added dim removed from the result; an N-D
 * left operand [..., m, k] with a 1-D or 2-D right one is one GEMM over [(...)*m, k].
 * Views (ltr_reshape) carry the gradients back to the original shapes. */
lt_tensor *ltr_matmul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    if (!a || !b) return NULL;
    const char *op = "lt_matmul";
    if (!ltr_check_float(ctx, op, a) || !ltr_check_float(ctx, op, b) || !ltr_check_same(ctx, op, a, b))
        return NULL;
    char s1[96], s2[96];
    if (a->ndim == 0 || b->ndim == 0) {
        ltr_fail(ctx, "%s: both arguments need at least 1 dimension, got %s and %s", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2));
        return NULL;
    }
    if (b->ndim > 2) {
        ltr_fail(ctx, "%s: batched matmul with a %d-D right operand is not supported yet, got %s "
                      "and %s", op, b->ndim, ltr_shape_str(a, s1, sizeof s1),
                 ltr_shape_str(b, s2, sizeof s2));
        return NULL;
    }
    int64_t k = a->shape[a->ndim - 1], kb = b->shape[0];
    if (k != kb) {
        ltr_fail(ctx, "%s: shapes %s and %s cannot be multiplied (%lld != %lld)", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2), (long long)k,
                 (long long)kb);
        return NULL;
    }
    if (a->ndim == 2 && b->ndim == 2) return mm(ctx, a, b);
    /* result shape: a's leading dims, m unless a is 1-D, n unless b is 1-D */
    int64_t rshape[LT_MAX_DIMS];
    int rnd = 0;
    for (int d = 0; d < a->ndim - 1; d++) rshape[rnd++] = a->shape[d];
    if (b->ndim == 2) rshape[rnd++] = b->shape[1];
    int64_t ashape[2] = {a->ndim == 1 ? 1 : -1, k}, bshape[2] = {k, 1};
    if (a->ndim > 1 && k == 0) { /* -1 cannot be inferred from zero elements */
        ashape[0] = 1;
        for (int d = 0; d < a->ndim - 1; d++) ashape[0] *= a->shape[d];
    }
    const lt_tensor *a2 = ltr_reshape(ctx, a, 2, ashape);
    const lt_tensor *b2 = b->ndim == 1 ? ltr_reshape(ctx, b, 2, bshape) : b;
    lt_tensor *c = a2 && b2 ? mm(ctx, a2, b2) : NULL;
    return c ? ltr_reshape(ctx, c, rnd, rshape) : NULL;
}

/* Gradients of y = x W^T + b over x viewed as [M, in]:
 * dx (+)= dy W; dW (+)= dy^T x; db (+)= sum over rows of dy, each written in place. */
static lt_status linear_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
    const lt_tensor *g = n->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    int64_t in = w->shape[1], out = w->shape[0], m = n->iarg[0];
    double beta;
    if (x->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gx = ltr_grad_slot(ctx, x, &beta);
        if (!gx) return LT_ERROR;
        acc->gemm(g->dtype, false, false, m, in, out, 1.0, g->data, out, w->data, in, beta,
                  gx->data, in);
    }
    if (w->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gw = ltr_grad_slot(ctx, w, &beta);
        if (!gw) return LT_ERROR;
        acc->gemm(g->dtype, true, false, out, in, m, 1.0, g->data, out, x->data, in, beta,
                  gw->data, in);
    }
    if (b && (b->flags & LTR_T_REQUIRES_GRAD)) {
        lt_tensor *gb = ltr_grad_slot(ctx, b, &beta);
        if (!gb) return LT_ERROR;
        acc->sum_rows(g, m, out, gb, beta != 0.0);
    }
    return LT_OK;
}

/* F.linear(x, W, b) = x @ W^T + b for x [..., in], W [out, in], b [out] or NULL. */
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
    bool has_bias = b != NULL;
    x = ltr_contiguous(ctx, x);
    w = ltr_contiguous(ctx, w);
    if (has_bias) b = ltr_contiguous(ctx, b);
    if (!x || !w || (has_bias && !b)) return NULL;
    int64_t in = w->shape[1], out = w->shape[0], m = 1;
    for (int d = 0; d < x->ndim - 1; d++) m *= x->shape[d];
    int64_t shape[LT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out;
    lt_tensor *y = ltr_empty(ctx, x->dtype, x->ndim, shape);
    if (!y) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
    double beta = 0.0;
    if (b) { /* y = the bias rows, then the GEMM accumulates x W^T onto them (addmm) */
        acc->fill_rows(y, m, out, b);
        beta = 1.0;
    }
    acc->gemm(x->dtype, false, true, m, out, in, 1.0, x->data, in, w->data, in, beta, y->data, out);
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_node *n = ltr_record(ctx, "linear", y, linear_backward, b ? 3 : 2, inputs);
    if (n) n->iarg[0] = m;
    return y;
}
lt_tensor *ltr_bmm(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) { (void)a; (void)b; ltr_fail(ctx, "x"); return NULL; }
