/*
 * ops_views.c — views sharing the input's storage (torch semantics, no copy): transpose,
 * permute, squeeze (one dim, only when its size is 1; or all size-1 dims), unsqueeze,
 * expand (-1 keeps a size; stride 0 on expanded dims), narrow, select (drops the dim);
 * and contiguous (a copy only when needed).
 *
 * Every view is one metadata transform (view_apply). Backward makes a zeroed gradient
 * in the input's shape, applies the same transform to it, and adds the output's
 * gradient into that view: transpose/permute route it back, narrow/select leave zeros
 * elsewhere, expand's 0 strides sum over the expanded dims.
 */
#include "tensor/ops_common.h"

#include <string.h>

typedef enum { V_TRANSPOSE, V_PERMUTE, V_SQUEEZE, V_SQUEEZE_ALL, V_UNSQUEEZE, V_EXPAND,
               V_NARROW, V_SELECT } view_kind;

typedef struct view_args {
    view_kind kind;
    int64_t a[LT_MAX_DIMS]; /* permute: dims; expand: shape; else a[0..2] */
    int n;                  /* expand: the number of sizes */
} view_args;

static const char *const view_names[] = {"transpose", "permute", "squeeze", "squeeze",
                                         "unsqueeze", "expand", "narrow", "select"};

/* out's shape, strides and data from t's by the (already checked) transform. */
static void view_apply(const view_args *v, const lt_tensor *t, lt_tensor *out) {
    int nd = t->ndim;
    int64_t sh[LT_MAX_DIMS], st[LT_MAX_DIMS];
    char *data = t->data;
    int on = 0;
    switch (v->kind) {
    case V_TRANSPOSE:
        memcpy(sh, t->shape, sizeof sh);
        memcpy(st, t->stride, sizeof st);
        sh[v->a[0]] = t->shape[v->a[1]], st[v->a[0]] = t->stride[v->a[1]];
        sh[v->a[1]] = t->shape[v->a[0]], st[v->a[1]] = t->stride[v->a[0]];
        on = nd;
        break;
    case V_PERMUTE:
        for (int d = 0; d < nd; d++) sh[d] = t->shape[v->a[d]], st[d] = t->stride[v->a[d]];
        on = nd;
        break;
    case V_SQUEEZE:
    case V_SQUEEZE_ALL:
        for (int d = 0; d < nd; d++) {
            bool drop = t->shape[d] == 1 && (v->kind == V_SQUEEZE_ALL || d == v->a[0]);
            if (!drop) sh[on] = t->shape[d], st[on++] = t->stride[d];
        }
        break;
    case V_UNSQUEEZE: {
        int64_t at = v->a[0];
        for (int d = 0; d <= nd; d++) {
            if (d == at) {
                /* torch: stride of the new dim = size * stride of the next one (1 at the end) */
                sh[on] = 1;
                st[on++] = d < nd ? t->shape[d] * t->stride[d] : 1;
            }
            if (d < nd) sh[on] = t->shape[d], st[on++] = t->stride[d];
        }
        break;
    }
    case V_EXPAND: {
        on = v->n;
        int lead = on - nd;
        for (int d = 0; d < on; d++) {
            int sd = d - lead;
            if (sd < 0) sh[d] = v->a[d], st[d] = 0;
            else if (v->a[d] == -1 || v->a[d] == t->shape[sd]) sh[d] = t->shape[sd], st[d] = t->stride[sd];
            else sh[d] = v->a[d], st[d] = 0; /* a size-1 dim broadcast */
        }
        break;
    }
    case V_NARROW:
    case V_SELECT: {
        int64_t dim = v->a[0], start = v->a[1];
        data += (size_t)(start * t->stride[dim]) * ltr_dtype_size(t->dtype);
        for (int d = 0; d < nd; d++) {
            if (d == dim) {
                if (v->kind == V_SELECT) continue;
                sh[on] = v->a[2], st[on++] = t->stride[d];
            } else {
                sh[on] = t->shape[d], st[on++] = t->stride[d];
            }
        }
        break;
    }
    }
    out->ndim = on;
    memset(out->shape, 0, sizeof out->shape);
    memset(out->stride, 0, sizeof out->stride);
    memcpy(out->shape, sh, sizeof(int64_t) * (size_t)on);
    memcpy(out->stride, st, sizeof(int64_t) * (size_t)on);
    out->data = data;
}

static lt_status view_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *g = n->out->grad;
    const view_args *v = n->saved;
    lt_tensor *gx = ltr_zeros_like(ctx, x);
    if (!gx) return LT_ERROR;
    lt_tensor gv = *gx;
    view_apply(v, gx, &gv);
    ltr_accel_of(g)->strided_copy(g->dtype, gv.ndim, gv.shape, gv.data, gv.stride, g->data,
                                  g->stride, true);
    return ltr_accumulate_grad_owned(ctx, x, gx);
}

static lt_tensor *make_view(lt_ctx *ctx, const lt_tensor *x, const view_args *v) {
    lt_tensor *y = ltr_scratch(ctx, sizeof *y);
    view_args *saved = ltr_scratch(ctx, sizeof *saved);
    if (!y || !saved) return NULL;
    *saved = *v;
    *y = *x;
    y->flags &= ~(uint32_t)(LTR_T_PARAM | LTR_T_GRAD_DEFINED | LTR_T_REQUIRES_GRAD);
    y->grad = NULL;
    y->node = NULL;
    y->name = NULL;
    view_apply(saved, x, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, view_names[v->kind], y, view_backward, 1, in);
    if (n) n->saved = saved;
    return y;
}

/* dim in [-nd, nd) (nd = ndim, or ndim + 1 for unsqueeze) -> [0, nd); false + error. */
static bool wrap_dim(lt_ctx *ctx, const char *op, const lt_tensor *x, int64_t *dim, int nd) {
    int r = nd ? nd : 1; /* torch lets a 0-d tensor take dim 0 / -1 */
    if (*dim < -r || *dim >= r) {
        char s[96];
        ltr_fail(ctx, "%s: dim %lld is out of range for shape %s (expected [%d, %d])", op,
                 (long long)*dim, ltr_shape_str(x, s, sizeof s), -r, r - 1);
        return false;
    }
    if (*dim < 0) *dim += r;
    return true;
}

static bool check_x(lt_ctx *ctx, const char *op, const lt_tensor *x) {
    if (!ltr_kernels_of(x)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, x->device);
        return false;
    }
    return true;
}

/* torch.transpose(x, d0, d1); a 0-d or 1-D tensor with in-range dims comes back as is */
lt_tensor *ltr_transpose(lt_ctx *ctx, const lt_tensor *x, int d0, int d1) {
    if (!x || !check_x(ctx, "lt_transpose", x)) return NULL;
    view_args v = {.kind = V_TRANSPOSE, .a = {d0, d1}};
    if (!wrap_dim(ctx, "lt_transpose", x, &v.a[0], x->ndim) ||
        !wrap_dim(ctx, "lt_transpose", x, &v.a[1], x->ndim))
        return NULL;
    if (x->ndim == 0) v.kind = V_PERMUTE; /* nothing to swap */
    return make_view(ctx, x, &v);
}

/* torch.permute(x, dims): dims a permutation of [0, ndim), negatives count from the end */
lt_tensor *ltr_permute(lt_ctx *ctx, const lt_tensor *x, int ndims, const int *dims) {
    if (!x || !check_x(ctx, "lt_permute", x)) return NULL;
    char s[96];
    if (ndims != x->ndim || (ndims > 0 && !dims)) {
        ltr_fail(ctx, "lt_permute: %d dims given for shape %s (need %d)", ndims,
                 ltr_shape_str(x, s, sizeof s), x->ndim);
        return NULL;
    }
    view_args v = {.kind = V_PERMUTE};
    bool seen[LT_MAX_DIMS] = {false};
    for (int d = 0; d < ndims; d++) {
        v.a[d] = dims[d];
        if (!wrap_dim(ctx, "lt_permute", x, &v.a[d], x->ndim)) return NULL;
        if (seen[v.a[d]]) {
            ltr_fail(ctx, "lt_permute: dim %d repeats in the permutation of shape %s", dims[d],
                     ltr_shape_str(x, s, sizeof s));
            return NULL;
        }
        seen[v.a[d]] = true;
    }
    return make_view(ctx, x, &v);
}

/* torch.squeeze(x, dim): removes dim only when its size is 1 (else x's shape, as a view) */
lt_tensor *ltr_squeeze(lt_ctx *ctx, const lt_tensor *x, int dim) {
    if (!x || !check_x(ctx, "lt_squeeze", x)) return NULL;
    view_args v = {.kind = V_SQUEEZE, .a = {dim}};
    if (!wrap_dim(ctx, "lt_squeeze", x, &v.a[0], x->ndim)) return NULL;
    return make_view(ctx, x, &v);
}

/* torch.squeeze(x): removes every size-1 dim */
lt_tensor *ltr_squeeze_all(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !check_x(ctx, "lt_squeeze_all", x)) return NULL;
    view_args v = {.kind = V_SQUEEZE_ALL};
    return make_view(ctx, x, &v);
}

/* torch.unsqueeze(x, dim), dim in [-ndim-1, ndim] */
lt_tensor *ltr_unsqueeze(lt_ctx *ctx, const lt_tensor *x, int dim) {
    if (!x || !check_x(ctx, "lt_unsqueeze", x)) return NULL;
    char s[96];
    if (x->ndim >= LT_MAX_DIMS) {
        ltr_fail(ctx, "lt_unsqueeze: shape %s already has %d dims (the most)",
                 ltr_shape_str(x, s, sizeof s), LT_MAX_DIMS);
        return NULL;
    }
    view_args v = {.kind = V_UNSQUEEZE, .a = {dim}};
    if (!wrap_dim(ctx, "lt_unsqueeze", x, &v.a[0], x->ndim + 1)) return NULL;
    return make_view(ctx, x, &v);
}

/* x.expand(*shape): ndim >= x's; -1 keeps a size; only size-1 dims (and new leading
 * ones, which cannot be -1) change size, with stride 0 */
lt_tensor *ltr_expand(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape) {
    if (!x || !check_x(ctx, "lt_expand", x)) return NULL;
    char s[96];
    if (ndim < x->ndim || ndim > LT_MAX_DIMS || (ndim > 0 && !shape)) {
        ltr_fail(ctx, "lt_expand: %d sizes given for shape %s (need %d..%d)", ndim,
                 ltr_shape_str(x, s, sizeof s), x->ndim, LT_MAX_DIMS);
        return NULL;
    }
    view_args v = {.kind = V_EXPAND};
    v.n = ndim;
    int lead = ndim - x->ndim;
    for (int d = 0; d < ndim; d++) {
        int64_t want = shape[d];
        v.a[d] = want;
        bool ok;
        if (d < lead) ok = want >= 0;
        else ok = want == -1 || want == x->shape[d - lead] || (x->shape[d - lead] == 1 && want >= 0);
        if (!ok) {
            ltr_fail(ctx, "lt_expand: shape %s cannot expand to size %lld at dim %d "
                          "(only size-1 dims expand; -1 only on existing dims)",
                     ltr_shape_str(x, s, sizeof s), (long long)want, d);
            return NULL;
        }
    }
    return make_view(ctx, x, &v);
}

/* torch.narrow(x, dim, start, length); start may be negative (counts from the end) */
lt_tensor *ltr_narrow(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t start, int64_t length) {
    if (!x || !check_x(ctx, "lt_narrow", x)) return NULL;
    char s[96];
    if (x->ndim == 0) {
        ltr_fail(ctx, "lt_narrow: cannot be applied to a 0-dim tensor");
        return NULL;
    }
    view_args v = {.kind = V_NARROW, .a = {dim}};
    if (!wrap_dim(ctx, "lt_narrow", x, &v.a[0], x->ndim)) return NULL;
    int64_t size = x->shape[v.a[0]];
    if (start < 0) start += size;
    if (start < 0 || start > size || length < 0 || start + length > size) {
        ltr_fail(ctx, "lt_narrow: start %lld + length %lld exceeds dim %d of shape %s",
                 (long long)start, (long long)length, dim, ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    v.a[1] = start;
    v.a[2] = length;
    return make_view(ctx, x, &v);
}

/* torch.select(x, dim, index) = x[..., index, ...]: drops dim; index may be negative */
lt_tensor *ltr_select(lt_ctx *ctx, const lt_tensor *x, int dim, int64_t index) {
    if (!x || !check_x(ctx, "lt_select", x)) return NULL;
    char s[96];
    if (x->ndim == 0) {
        ltr_fail(ctx, "lt_select: cannot be applied to a 0-dim tensor");
        return NULL;
    }
    view_args v = {.kind = V_SELECT, .a = {dim}};
    if (!wrap_dim(ctx, "lt_select", x, &v.a[0], x->ndim)) return NULL;
    int64_t size = x->shape[v.a[0]];
    if (index < -size || index >= size) {
        ltr_fail(ctx, "lt_select: index %lld is out of range for dim %d of shape %s",
                 (long long)index, dim, ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    v.a[1] = index < 0 ? index + size : index;
    v.a[2] = 1;
    return make_view(ctx, x, &v);
}

/* x.contiguous(): x itself when already contiguous, else a differentiable copy */
lt_tensor *ltr_contiguous_op(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !check_x(ctx, "lt_contiguous", x)) return NULL;
    return ltr_contiguous(ctx, x);
}
