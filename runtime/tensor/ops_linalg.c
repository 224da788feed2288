/*
 * ops_linalg.c — matmul (torch.matmul, batched with broadcasting), bmm and linear (F.linear), with
 * the GEMMs going straight to the accelerator (OpenBLAS) with the transposes passed
 * as flags: no transposed copies, and backward writes each gradient in place (GEMM
 * beta 0 into a fresh buffer, beta 1 to accumulate into an existing one, parameters'
 * persistent grads included). Outputs live in the arena.
 * bfloat16 operands give bfloat16 results computed with float32 accumulation, rounded
 * once per GEMM (a gradient accumulated into an existing bf16 grad is rounded once too,
 * where torch rounds the new term first).
 */
#include "tensor/ops_common.h"

#include <string.h>

/* float32, float64 or bfloat16 (GEMMs take all three; bfloat16 accumulates in float32) */
static bool check_gemm_operand(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (t->dtype != LT_BFLOAT16) return ltr_check_float(ctx, op, t);
    if (!ltr_kernels_of(t)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, t->device);
        return false;
    }
    return true;
}

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

/* ---------------------------------------------------------- batched */

/* How GEMM reads the last two dims [r, c] of t: row-major with rows ld apart (trans
 * false), or a transpose of row-major memory [c, r] with rows ld apart (trans true, as
 * a transposed view of a contiguous matrix is). false when neither (copy first). */
static bool mat_layout(const lt_tensor *t, bool *trans, int64_t *ld) {
    int64_t r = t->shape[t->ndim - 2], c = t->shape[t->ndim - 1];
    int64_t sr = t->stride[t->ndim - 2], sc = t->stride[t->ndim - 1];
    int64_t cr = c > 1 ? c : 1, rr = r > 1 ? r : 1;
    if (r == 0 || c == 0) { /* nothing is read */
        *trans = false;
        *ld = cr;
        return true;
    }
    if ((c <= 1 || sc == 1) && (r <= 1 || sr >= cr)) {
        *trans = false;
        *ld = r <= 1 ? cr : sr;
        return true;
    }
    if ((r <= 1 || sr == 1) && (c <= 1 || sc >= rr)) {
        *trans = true;
        *ld = c <= 1 ? rr : sc;
        return true;
    }
    return false;
}

/* element offset of batch element i (batch shape bs[nb]) in t, whose leading t->ndim-2
 * dims align right with bs (size-1 dims broadcast); strides st (t's, or contiguous) */
static int64_t batch_offset(const lt_tensor *t, const int64_t *st, int nb, const int64_t *bs,
                            int64_t i) {
    int64_t off = 0;
    int tb = t->ndim - 2;
    for (int d = nb - 1; d >= 0; d--) {
        int64_t id = i % bs[d];
        i /= bs[d];
        int td = d - (nb - tb);
        if (td >= 0 && t->shape[td] != 1) off += id * st[td];
    }
    return off;
}

static void contiguous_strides(const lt_tensor *t, int64_t *st) {
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        st[d] = s;
        s *= t->shape[d];
    }
}

/* the batch shape of out: [..., n, m] */
static int64_t batch_count(const lt_tensor *out, int *nb, int64_t *bs) {
    int64_t count = 1;
    *nb = out->ndim - 2;
    for (int d = 0; d < *nb; d++) {
        bs[d] = out->shape[d];
        count *= bs[d];
    }
    return count;
}

/* dA[batch] (+)= dC @ B^T and dB[batch] (+)= A^T @ dC, summed over the batch elements
 * that broadcast onto one of the operand's (its grad is contiguous in its shape) */
static lt_status bmm_backward(lt_ctx *ctx, ltr_node *node) {
    const lt_tensor *a = node->in[0], *b = node->in[1], *g = node->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    size_t es = ltr_dtype_size(g->dtype);
    int64_t n = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1], m = b->shape[b->ndim - 1];
    int nb;
    int64_t bs[LT_MAX_DIMS], gst[LT_MAX_DIMS], cnt = batch_count(g, &nb, bs);
    bool ta, tb;
    int64_t lda, ldb;
    mat_layout(a, &ta, &lda);
    mat_layout(b, &tb, &ldb);
    contiguous_strides(g, gst);
    for (int which = 0; which < 2; which++) {
        const lt_tensor *t = which ? b : a;
        if (!(t->flags & LTR_T_REQUIRES_GRAD)) continue;
        double beta;
        lt_tensor *gt = ltr_grad_slot(ctx, t, &beta);
        if (!gt) return LT_ERROR;
        if (beta == 0.0) acc->fill(gt, 0.0);
        if (n == 0 || m == 0 || k == 0) continue;
        int64_t tst[LT_MAX_DIMS];
        contiguous_strides(t, tst);
        for (int64_t i = 0; i < cnt; i++) {
            const char *gp = (const char *)g->data + (size_t)batch_offset(g, gst, nb, bs, i) * es;
            char *dst = (char *)gt->data + (size_t)batch_offset(t, tst, nb, bs, i) * es;
            if (which == 0) { /* dA [n,k] += dC [n,m] @ B^T */
                const char *bp = (const char *)b->data + (size_t)batch_offset(b, b->stride, nb, bs, i) * es;
                acc->gemm(g->dtype, false, !tb, n, k, m, 1.0, gp, m, bp, ldb, 1.0, dst, k);
            } else { /* dB [k,m] += A^T @ dC */
                const char *ap = (const char *)a->data + (size_t)batch_offset(a, a->stride, nb, bs, i) * es;
                acc->gemm(g->dtype, !ta, false, k, m, n, 1.0, ap, lda, gp, m, 1.0, dst, m);
            }
        }
    }
    return LT_OK;
}

/* a [..., n, k] @ b [..., k, m], both >= 2-D, batch dims broadcast: one GEMM per batch
 * element, transposed views passed as GEMM flags (other layouts are copied first) */
static lt_tensor *batched(lt_ctx *ctx, const char *op, const lt_tensor *a, const lt_tensor *b) {
    char s1[96], s2[96];
    int64_t n = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1];
    int64_t kb = b->shape[b->ndim - 2], m = b->shape[b->ndim - 1];
    if (k != kb) {
        ltr_fail(ctx, "%s: shapes %s and %s cannot be multiplied (%lld != %lld)", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2), (long long)k,
                 (long long)kb);
        return NULL;
    }
    int na = a->ndim - 2, nbb = b->ndim - 2, nb = na > nbb ? na : nbb;
    int64_t shape[LT_MAX_DIMS];
    for (int d = 0; d < nb; d++) {
        int da = d - (nb - na), db = d - (nb - nbb);
        int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            ltr_fail(ctx, "%s: batch dims of %s and %s cannot be broadcast (dimension %d: %lld "
                          "vs %lld)", op, ltr_shape_str(a, s1, sizeof s1),
                     ltr_shape_str(b, s2, sizeof s2), d, (long long)sa, (long long)sb);
            return NULL;
        }
        shape[d] = sa == 1 ? sb : sa;
    }
    if (nb + 2 > LT_MAX_DIMS) {
        ltr_fail(ctx, "%s: result would have more than %d dims", op, LT_MAX_DIMS);
        return NULL;
    }
    shape[nb] = n;
    shape[nb + 1] = m;
    bool ta, tb;
    int64_t lda, ldb;
    if (!mat_layout(a, &ta, &lda)) a = ltr_contiguous(ctx, a);
    if (!a || !mat_layout(a, &ta, &lda)) return NULL;
    if (!mat_layout(b, &tb, &ldb)) b = ltr_contiguous(ctx, b);
    if (!b || !mat_layout(b, &tb, &ldb)) return NULL;
    lt_tensor *c = ltr_empty(ctx, a->dtype, nb + 2, shape);
    if (!c) return NULL;
    size_t es = ltr_dtype_size(c->dtype);
    int nbc;
    int64_t bs[LT_MAX_DIMS], cnt = batch_count(c, &nbc, bs);
    const ltr_accel *acc = ltr_accel_of(a);
    if (k == 0) acc->fill(c, 0.0);
    else if (n > 0 && m > 0)
        for (int64_t i = 0; i < cnt; i++) {
            const char *ap = (const char *)a->data + (size_t)batch_offset(a, a->stride, nb, bs, i) * es;
            const char *bp = (const char *)b->data + (size_t)batch_offset(b, b->stride, nb, bs, i) * es;
            acc->gemm(a->dtype, ta, tb, n, m, k, 1.0, ap, lda, bp, ldb, 0.0,
                      (char *)c->data + (size_t)(i * n * m) * es, m);
        }
    const lt_tensor *in[2] = {a, b};
    ltr_record(ctx, "matmul", c, bmm_backward, 2, in);
    return c;
}

/* torch.bmm(a [B,n,k], b [B,k,m]) -> [B,n,m]: no broadcasting */
lt_tensor *ltr_bmm(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    if (!a || !b) return NULL;
    const char *op = "lt_bmm";
    if (!check_gemm_operand(ctx, op, a) || !check_gemm_operand(ctx, op, b) || !ltr_check_same(ctx, op, a, b))
        return NULL;
    char s1[96], s2[96];
    if (a->ndim != 3 || b->ndim != 3 || a->shape[0] != b->shape[0]) {
        ltr_fail(ctx, "%s: expected 3-D tensors with the same batch size, got %s and %s", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2));
        return NULL;
    }
    return batched(ctx, op, a, b);
}


/* torch.matmul: 1-D @ 1-D is a dot product (0-d); a 1-D left operand is a row [1, k]
 * and a 1-D right one a column [k, 1], the added dim removed from the result; an N-D
 * left operand [..., m, k] with a 1-D or 2-D right one is one GEMM over [(...)*m, k];
 * 2-D @ 2-D and any right operand of 3 or more dims go through `batched` (batch dims
 * broadcast, e.g. [A,1,n,k] @ [B,k,m] -> [A,B,n,m]).
 * Views (ltr_reshape) carry the gradients back to the original shapes. */
lt_tensor *ltr_matmul(lt_ctx *ctx, const lt_tensor *a, const lt_tensor *b) {
    if (!a || !b) return NULL;
    const char *op = "lt_matmul";
    if (!check_gemm_operand(ctx, op, a) || !check_gemm_operand(ctx, op, b) || !ltr_check_same(ctx, op, a, b))
        return NULL;
    char s1[96], s2[96];
    if (a->ndim == 0 || b->ndim == 0) {
        ltr_fail(ctx, "%s: both arguments need at least 1 dimension, got %s and %s", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2));
        return NULL;
    }
    if (b->ndim > 2 || (a->ndim == 2 && b->ndim == 2)) {
        /* batched (2-D @ 2-D too, so that transposed views become GEMM flags): a 1-D left
         * operand is a row [1, k] whose added dim leaves the result */
        const lt_tensor *a2 = a->ndim == 1 ? ltr_unsqueeze(ctx, a, 0) : a;
        lt_tensor *c = a2 ? batched(ctx, op, a2, b) : NULL;
        return c && a->ndim == 1 ? ltr_squeeze(ctx, c, -2) : c;
    }
    int64_t k = a->shape[a->ndim - 1], kb = b->shape[0];
    if (k != kb) {
        ltr_fail(ctx, "%s: shapes %s and %s cannot be multiplied (%lld != %lld)", op,
                 ltr_shape_str(a, s1, sizeof s1), ltr_shape_str(b, s2, sizeof s2), (long long)k,
                 (long long)kb);
        return NULL;
    }
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
    if (!check_gemm_operand(ctx, op, x) || !check_gemm_operand(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!check_gemm_operand(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
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
