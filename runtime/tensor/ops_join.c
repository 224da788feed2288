/*
 * ops_join.c — copies that gather or join (torch semantics): index_select (backward:
 * index_add), cat, stack (= cat of unsqueezed views), and split (views along dim, like
 * torch.split: pieces of split_size, the last one smaller).
 *
 * cat takes any number of inputs: the node keeps them in `saved` (the node's in[] holds
 * only one that requires grad, so that the tape records it) and backward hands each
 * input a contiguous copy of its slice of the gradient.
 */
#include "tensor/ops_common.h"

#include <string.h>

/* ---------------------------------------------------------------- index_select */

static lt_status index_select_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *idx = n->in[1], *g = n->out->grad;
    lt_tensor *gx = ltr_zeros_like(ctx, x);
    if (!gx) return LT_ERROR;
    ltr_accel_of(g)->index_add(g->dtype, g->data, n->iarg[0], x->shape[n->iarg[2]], n->iarg[1],
                               idx->data, ltr_numel(idx), gx->data);
    return ltr_accumulate_grad_owned(ctx, x, gx);
}

/* torch.index_select(x, dim, index): index int64, 1-D (or 0-d), entries in [0, size) */
lt_tensor *ltr_index_select(lt_ctx *ctx, const lt_tensor *x, int dim, const lt_tensor *index) {
    if (!x || !index) return NULL;
    const char *op = "lt_index_select";
    char s1[96], s2[96];
    if (!ltr_kernels_of(x)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, x->device);
        return NULL;
    }
    if (index->dtype != LT_INT64 || index->ndim > 1) {
        ltr_fail(ctx, "%s: index must be a 1-D int64 tensor, got %s %s", op,
                 ltr_dtype_name(index->dtype), ltr_shape_str(index, s2, sizeof s2));
        return NULL;
    }
    int nd = x->ndim ? x->ndim : 1;
    if (dim < -nd || dim >= nd) {
        ltr_fail(ctx, "%s: dim %d is out of range for shape %s", op, dim,
                 ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    if (dim < 0) dim += nd;
    x = ltr_contiguous(ctx, x);
    index = ltr_contiguous(ctx, index);
    if (!x || !index) return NULL;
    int64_t size = x->ndim ? x->shape[dim] : 1, nidx = ltr_numel(index);
    const int64_t *ip = index->data; /* device memory: the kernels read it */
    int64_t bad = ltr_first_out_of_range(ctx, index, 0, (double)(size - 1), false, 0);
    if (bad == -2) return NULL;
    if (bad >= 0) {
        ltr_fail(ctx, "%s: index %lld is out of range for dim %d of shape %s", op,
                 (long long)ltr_fetch(index, bad), dim, ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    int64_t outer = 1, inner = 1, shape[LT_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        shape[d] = x->shape[d];
        if (d < dim) outer *= x->shape[d];
        if (d > dim) inner *= x->shape[d];
    }
    if (x->ndim == 0 && nidx != 1) { /* torch: a 0-d x takes exactly one index, gives 0-d */
        ltr_fail(ctx, "%s: a 0-dim input takes one index, got %lld", op, (long long)nidx);
        return NULL;
    }
    int ond = x->ndim;
    if (x->ndim) shape[dim] = nidx;
    lt_tensor *y = ltr_empty(ctx, x->dtype, ond, shape);
    if (!y) return NULL;
    ltr_accel_of(x)->index_select(x->dtype, x->data, outer, size, inner, ip, nidx, y->data);
    if (ltr_is_float(x)) {
        const lt_tensor *in[2] = {x, index};
        ltr_node *n = ltr_record(ctx, "index_select", y, index_select_backward, 2, in);
        if (n) {
            n->iarg[0] = outer;
            n->iarg[1] = inner;
            n->iarg[2] = x->ndim ? dim : 0;
        }
    }
    return y;
}

/* ------------------------------------------------------------------------- cat */

typedef struct cat_saved {
    int n;
    const lt_tensor **in;
    int64_t dim;
} cat_saved;

static lt_status cat_backward(lt_ctx *ctx, ltr_node *node) {
    const cat_saved *sv = node->saved;
    const lt_tensor *g = node->out->grad;
    const ltr_accel *acc = ltr_accel_of(g);
    size_t es = ltr_dtype_size(g->dtype);
    int64_t off = 0;
    for (int i = 0; i < sv->n; i++) {
        const lt_tensor *x = sv->in[i];
        int64_t len = x->shape[sv->dim];
        if (x->flags & LTR_T_REQUIRES_GRAD) {
            lt_tensor *gx = ltr_empty_like(ctx, x);
            if (!gx) return LT_ERROR;
            acc->strided_copy(g->dtype, g->ndim, x->shape, gx->data, gx->stride,
                              (const char *)g->data + (size_t)(off * g->stride[sv->dim]) * es,
                              g->stride, false);
            if (ltr_accumulate_grad_owned(ctx, x, gx)) return LT_ERROR;
        }
        off += len;
    }
    return LT_OK;
}

/* torch.cat(tensors, dim): same dtype, device and ndim (>= 1); sizes equal except at dim */
lt_tensor *ltr_cat(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim) {
    const char *op = "lt_cat";
    char s1[96], s2[96];
    if (n <= 0 || !ts) {
        ltr_fail(ctx, "%s: expected a non-empty list of tensors", op);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!ts[i]) return NULL;
    const lt_tensor *t0 = ts[0];
    if (!ltr_kernels_of(t0)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, t0->device);
        return NULL;
    }
    if (t0->ndim == 0) {
        ltr_fail(ctx, "%s: zero-dimensional tensor (at position 0) cannot be concatenated", op);
        return NULL;
    }
    if (dim < -t0->ndim || dim >= t0->ndim) {
        ltr_fail(ctx, "%s: dim %d is out of range for shape %s", op, dim,
                 ltr_shape_str(t0, s1, sizeof s1));
        return NULL;
    }
    if (dim < 0) dim += t0->ndim;
    int64_t shape[LT_MAX_DIMS];
    memcpy(shape, t0->shape, sizeof shape);
    shape[dim] = 0;
    const lt_tensor *grad_in = NULL;
    for (int i = 0; i < n; i++) {
        const lt_tensor *t = ts[i];
        if (!ltr_check_same(ctx, op, t0, t)) return NULL;
        bool ok = t->ndim == t0->ndim;
        for (int d = 0; ok && d < t->ndim; d++) ok = d == dim || t->shape[d] == t0->shape[d];
        if (!ok) {
            ltr_fail(ctx, "%s: sizes of tensors must match except in dimension %d: tensor 0 has "
                          "shape %s, tensor %d has shape %s", op, dim,
                     ltr_shape_str(t0, s1, sizeof s1), i, ltr_shape_str(t, s2, sizeof s2));
            return NULL;
        }
        shape[dim] += t->shape[dim];
        if (!grad_in && (t->flags & LTR_T_REQUIRES_GRAD)) grad_in = t;
    }
    lt_tensor *y = ltr_empty(ctx, t0->dtype, t0->ndim, shape);
    if (!y) return NULL;
    const ltr_accel *acc = ltr_accel_of(t0);
    size_t es = ltr_dtype_size(y->dtype);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const lt_tensor *t = ts[i];
        acc->strided_copy(y->dtype, y->ndim, t->shape,
                          (char *)y->data + (size_t)(off * y->stride[dim]) * es, y->stride,
                          t->data, t->stride, false);
        off += t->shape[dim];
    }
    if (grad_in && ltr_is_float(y)) {
        cat_saved *sv = ltr_scratch(ctx, sizeof *sv);
        const lt_tensor **list = ltr_scratch(ctx, sizeof *list * (size_t)n);
        if (!sv || !list) return NULL;
        memcpy(list, ts, sizeof *list * (size_t)n);
        sv->n = n;
        sv->in = list;
        sv->dim = dim;
        const lt_tensor *in[1] = {grad_in};
        ltr_node *node = ltr_record(ctx, "cat", y, cat_backward, 1, in);
        if (node) node->saved = sv;
    }
    return y;
}

/* torch.stack(tensors, dim): all the same shape; dim in [-ndim-1, ndim] */
lt_tensor *ltr_stack(lt_ctx *ctx, const lt_tensor *const *ts, int n, int dim) {
    const char *op = "lt_stack";
    char s1[96], s2[96];
    if (n <= 0 || !ts) {
        ltr_fail(ctx, "%s: expected a non-empty list of tensors", op);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!ts[i]) return NULL;
    for (int i = 1; i < n; i++) {
        bool ok = ts[i]->ndim == ts[0]->ndim;
        for (int d = 0; ok && d < ts[0]->ndim; d++) ok = ts[i]->shape[d] == ts[0]->shape[d];
        if (!ok) {
            ltr_fail(ctx, "%s: stack expects each tensor to be equal size, but got %s at entry 0 "
                          "and %s at entry %d", op, ltr_shape_str(ts[0], s1, sizeof s1),
                     ltr_shape_str(ts[i], s2, sizeof s2), i);
            return NULL;
        }
    }
    int r = ts[0]->ndim + 1;
    if (dim < -r || dim >= r) {
        ltr_fail(ctx, "%s: dim %d is out of range for stacking shape %s (expected [%d, %d])", op,
                 dim, ltr_shape_str(ts[0], s1, sizeof s1), -r, r - 1);
        return NULL;
    }
    if (dim < 0) dim += r;
    const lt_tensor **u = ltr_scratch(ctx, sizeof *u * (size_t)n);
    if (!u) return NULL;
    for (int i = 0; i < n; i++)
        if (!(u[i] = ltr_unsqueeze(ctx, ts[i], dim))) return NULL;
    return ltr_cat(ctx, u, n, dim);
}

/* torch.split(x, split_size, dim): views of split_size along dim (the last may be
 * smaller); writes up to max_out of them to out and returns how many there are in all
 * (ceil(size / split_size), 1 for a 0-size dim), -1 on error. */
int ltr_split_tensor(lt_ctx *ctx, const lt_tensor *x, int64_t split_size, int dim,
                     lt_tensor **out, int max_out) {
    if (!x) return -1;
    const char *op = "lt_split_tensor";
    char s[96];
    if (x->ndim == 0) {
        ltr_fail(ctx, "%s: cannot split a 0-dim tensor", op);
        return -1;
    }
    if (dim < -x->ndim || dim >= x->ndim) {
        ltr_fail(ctx, "%s: dim %d is out of range for shape %s", op, dim,
                 ltr_shape_str(x, s, sizeof s));
        return -1;
    }
    if (dim < 0) dim += x->ndim;
    int64_t size = x->shape[dim];
    if (split_size < 0 || (split_size == 0 && size != 0)) {
        ltr_fail(ctx, "%s: split_size %lld is invalid for dim %d of shape %s", op,
                 (long long)split_size, dim, ltr_shape_str(x, s, sizeof s));
        return -1;
    }
    int64_t count = size == 0 ? 1 : (size + split_size - 1) / split_size;
    if (count > 0x7fffffff) {
        ltr_fail(ctx, "%s: %lld pieces is too many", op, (long long)count);
        return -1;
    }
    for (int64_t i = 0; i < count && i < max_out; i++) {
        int64_t start = i * split_size, len = size - start < split_size ? size - start : split_size;
        if (!out) break;
        out[i] = ltr_narrow(ctx, x, dim, start, len);
        if (!out[i]) return -1;
    }
    return (int)count;
}

/* torch.chunk(x, chunks, dim): split with split_size = ceil(size / chunks) */
int ltr_chunk(lt_ctx *ctx, const lt_tensor *x, int chunks, int dim, lt_tensor **out, int max_out) {
    if (!x) return -1;
    if (chunks <= 0) {
        ltr_fail(ctx, "lt_chunk: chunks must be positive, got %d", chunks);
        return -1;
    }
    if (x->ndim == 0 || dim < -x->ndim || dim >= x->ndim) {
        char s[96];
        ltr_fail(ctx, "lt_chunk: dim %d is out of range for shape %s", dim,
                 ltr_shape_str(x, s, sizeof s));
        return -1;
    }
    if (dim < 0) dim += x->ndim;
    int64_t size = x->shape[dim];
    if (size == 0) { /* torch: `chunks` empty pieces */
        for (int i = 0; out && i < chunks && i < max_out; i++)
            if (!(out[i] = ltr_narrow(ctx, x, dim, 0, 0))) return -1;
        return chunks;
    }
    return ltr_split_tensor(ctx, x, (size + chunks - 1) / chunks, dim, out, max_out);
}
