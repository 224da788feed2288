/*
 * ops_reduce.c — sum, mean (over all elements, 0-d result), log_softmax(dim),
 * argmax(dim). Outputs live in the arena.
 */
#include "tensor/ops_common.h"

#include <math.h>

static lt_status sum_backward(lt_ctx *ctx, ltr_node *n) {
    /* d(sum)/dx = 1, d(mean)/dx = 1/numel: the scalar gradient, scaled, everywhere (read
     * on the device: no host round trip) */
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->reduce_dim_backward(LTR_RED_SUM, NULL, NULL, NULL, n->out->grad, 1,
                                          ltr_numel(gx), 1, n->farg[0], gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

static lt_tensor *reduce_all(lt_ctx *ctx, const char *op, const lt_tensor *x, bool mean) {
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty(ctx, x->dtype, 0, NULL) : NULL;
    if (!y) return NULL;
    int64_t n = ltr_numel(x);
    /* accumulated in double; MEAN divides by n (nan for no elements, as torch) */
    ltr_accel_of(x)->reduce_dim(mean ? LTR_RED_MEAN : LTR_RED_SUM, x, 1, n, 1, 1.0, y, NULL);
    const lt_tensor *in[1] = {x};
    ltr_node *node = ltr_record(ctx, mean ? "mean" : "sum", y, sum_backward, 1, in);
    if (node) node->farg[0] = mean ? 1.0 / (double)(n ? n : 1) : 1.0;
    return y;
}

lt_tensor *ltr_sum(lt_ctx *ctx, const lt_tensor *x) { return reduce_all(ctx, "lt_sum", x, false); }
lt_tensor *ltr_mean(lt_ctx *ctx, const lt_tensor *x) { return reduce_all(ctx, "lt_mean", x, true); }

static lt_status log_softmax_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->log_softmax_backward(n->out, n->out->grad, n->iarg[0], n->iarg[1], n->iarg[2], gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

lt_tensor *ltr_log_softmax(lt_ctx *ctx, const lt_tensor *x, int dim) {
    if (!x || !ltr_check_float(ctx, "lt_log_softmax", x) || !ltr_wrap_dim(ctx, "lt_log_softmax", x, &dim))
        return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    int64_t outer, d, inner;
    ltr_split_at(x, dim, &outer, &d, &inner);
    ltr_accel_of(x)->log_softmax(x, outer, d, inner, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, "log_softmax", y, log_softmax_backward, 1, in);
    if (n) {
        n->iarg[0] = outer;
        n->iarg[1] = d;
        n->iarg[2] = inner;
    }
    return y;
}

/* torch.argmax(x, dim): int64, the dim removed (keepdim=False), the first index of the
 * maximum on ties, a NaN counting as the maximum. Not differentiable: records nothing. */
lt_tensor *ltr_argmax(lt_ctx *ctx, const lt_tensor *x, int dim) {
    if (!x || !ltr_check_float(ctx, "lt_argmax", x) || !ltr_wrap_dim(ctx, "lt_argmax", x, &dim))
        return NULL;
    x = ltr_contiguous(ctx, x);
    if (!x) return NULL;
    if (x->ndim && x->shape[dim] == 0) {
        ltr_fail(ctx, "lt_argmax: cannot take the argmax of an empty dimension");
        return NULL;
    }
    int64_t shape[LT_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != dim) shape[nd++] = x->shape[i];
    lt_tensor *out = ltr_empty(ctx, LT_INT64, nd, shape);
    if (!out) return NULL;
    int64_t outer, d, inner;
    ltr_split_at(x, dim, &outer, &d, &inner);
    ltr_accel_of(x)->reduce_dim(LTR_RED_MAX, x, outer, d, inner, 0, NULL, out);
    return out;
}
