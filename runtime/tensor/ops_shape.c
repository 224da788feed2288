/*
 * ops_shape.c — reshape (a view of the same storage when the input is contiguous,
 * else a view of a contiguous arena copy, as torch.reshape) and flatten.
 */
#include "tensor/ops_common.h"

#include <string.h>

static lt_status reshape_backward(lt_ctx *ctx, ltr_node *n) {
    /* the gradient holds the same elements in the same order: view it in x's shape. The
     * view shares out's gradient, which is dead once this node has run (out has no other
     * producer), so x may adopt it without a copy. */
    const lt_tensor *x = n->in[0], *g = n->out->grad;
    lt_tensor *gx = ltr_scratch(ctx, sizeof *gx);
    if (!gx) return LT_ERROR;
    *gx = *g;
    gx->ndim = x->ndim;
    memcpy(gx->shape, x->shape, sizeof gx->shape);
    int64_t stride = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        gx->stride[d] = stride;
        stride *= x->shape[d];
    }
    gx->flags = 0;
    gx->grad = NULL;
    gx->node = NULL;
    return ltr_accumulate_grad_owned(ctx, x, gx);
}

lt_tensor *ltr_reshape(lt_ctx *ctx, const lt_tensor *x, int ndim, const int64_t *shape) {
    if (!x) return NULL;
    char s[96];
    if (ndim < 0 || ndim > LT_MAX_DIMS || (ndim > 0 && !shape)) {
        ltr_fail(ctx, "lt_reshape: %d dimensions (0..%d)", ndim, LT_MAX_DIMS);
        return NULL;
    }
    int64_t out[LT_MAX_DIMS], known = 1, numel = ltr_numel(x);
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        out[d] = shape[d];
        if (shape[d] == -1) {
            if (infer >= 0) {
                ltr_fail(ctx, "lt_reshape: only one dimension can be inferred (-1)");
                return NULL;
            }
            infer = d;
        } else if (shape[d] < 0) {
            ltr_fail(ctx, "lt_reshape: invalid dimension %lld", (long long)shape[d]);
            return NULL;
        } else {
            known *= shape[d];
        }
    }
    if (infer >= 0) {
        if (known == 0 || numel % known) {
            ltr_fail(ctx, "lt_reshape: shape %s cannot be viewed with -1 and %lld known elements",
                     ltr_shape_str(x, s, sizeof s), (long long)known);
            return NULL;
        }
        out[infer] = numel / known;
        known *= out[infer];
    }
    if (known != numel) {
        ltr_fail(ctx, "lt_reshape: shape %s (%lld elements) cannot become %d-D with %lld elements",
                 ltr_shape_str(x, s, sizeof s), (long long)numel, ndim, (long long)known);
        return NULL;
    }
    const lt_tensor *src = ltr_contiguous(ctx, x);
    if (!src) return NULL;
    lt_tensor *y = ltr_scratch(ctx, sizeof *y);
    if (!y) return NULL;
    *y = *src; /* a view: same storage */
    y->flags &= ~(uint32_t)(LTR_T_PARAM | LTR_T_GRAD_DEFINED | LTR_T_REQUIRES_GRAD);
    y->grad = NULL;
    y->node = NULL;
    y->name = NULL;
    ltr_set_shape(y, ndim, out);
    const lt_tensor *in[1] = {src};
    ltr_record(ctx, "reshape", y, reshape_backward, 1, in);
    return y;
}

/* torch.flatten(x, start_dim, end_dim=-1) */
lt_tensor *ltr_flatten(lt_ctx *ctx, const lt_tensor *x, int start_dim) {
    if (!x) return NULL;
    int nd = x->ndim ? x->ndim : 1;
    if (start_dim < -nd || start_dim >= nd) {
        char s[96];
        ltr_fail(ctx, "lt_flatten: start_dim %d is out of range for shape %s", start_dim,
                 ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    if (start_dim < 0) start_dim += nd;
    if (x->ndim == 0) {
        int64_t one = 1;
        return ltr_reshape(ctx, x, 1, &one);
    }
    int64_t shape[LT_MAX_DIMS], tail = 1;
    for (int d = 0; d < start_dim; d++) shape[d] = x->shape[d];
    for (int d = start_dim; d < x->ndim; d++) tail *= x->shape[d];
    shape[start_dim] = tail;
    return ltr_reshape(ctx, x, start_dim + 1, shape);
}
