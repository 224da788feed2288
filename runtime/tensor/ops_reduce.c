/*
 * ops_reduce.c — reductions with torch's semantics: sum/mean over everything (0-d
 * result) or over one or several dims (keepdim), var/std (correction; LT_ALL_DIMS = over
 * everything), max/min along a dim with int64 indices, global max/min, amax/amin,
 * argmax/argmin along a dim (keepdim or not), logsumexp, softmax, log_softmax. All take
 * negative dims. Inputs may be strided (made contiguous first). Outputs live in the
 * arena; every reduction is one reduce_dim (or softmax) kernel call writing its output.
 *
 * Gradients as torch's derivatives.yaml: max/min(dim) route the gradient to the
 * returned index (the first on ties); max()/min() without dim and amax/amin split it
 * evenly among the tied elements; logsumexp: gy * exp(x - y); var: gy * 2(x - mean)/(N -
 * correction); std: gy * (x - mean) / ((N - correction) * std); softmax: y (gy - sum(y gy)).
 */
#include "tensor/ops_common.h"

#include <math.h>

/* the output shape: dim kept as 1 or removed */
static lt_tensor *reduced_like(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_dtype dt) {
    int64_t shape[LT_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != dim) shape[nd++] = x->shape[i];
        else if (keepdim) shape[nd++] = 1;
    return ltr_empty(ctx, dt, nd, shape);
}

static lt_status reduce_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->reduce_dim_backward((int)n->iarg[3], n->in[0], n->out, n->saved, n->out->grad,
                                          n->iarg[0], n->iarg[1], n->iarg[2], n->farg[0], gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

/* one reduction along one (wrapped) dim of x; idx_out: MAX/MIN's indices if wanted;
 * with_idx_grad: the gradient goes to the index (else split among ties) */
static lt_tensor *reduce1(lt_ctx *ctx, const char *op, const char *name, int rop,
                          const lt_tensor *x, int dim, bool keepdim, double arg,
                          lt_tensor **idx_out, bool with_idx_grad) {
    if (!x || !ltr_check_float(ctx, op, x) || !ltr_wrap_dim(ctx, op, x, &dim)) return NULL;
    x = ltr_contiguous(ctx, x);
    if (!x) return NULL;
    int64_t outer, d, inner;
    ltr_split_at(x, dim, &outer, &d, &inner);
    if (d == 0 && (rop == LTR_RED_MAX || rop == LTR_RED_MIN)) {
        char s[96];
        ltr_fail(ctx, "%s: cannot reduce over the empty dim %d of shape %s (no identity)", op, dim,
                 ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    lt_tensor *y = reduced_like(ctx, x, dim, keepdim, x->dtype);
    lt_tensor *idx = NULL;
    if (!y) return NULL;
    if (idx_out || with_idx_grad) {
        idx = reduced_like(ctx, x, dim, keepdim, LT_INT64);
        if (!idx) return NULL;
    }
    ltr_accel_of(x)->reduce_dim(rop, x, outer, d, inner, arg, y, idx);
    if (idx_out) *idx_out = idx;
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, name, y, reduce_backward, 1, in);
    if (n) {
        n->iarg[0] = outer;
        n->iarg[1] = d;
        n->iarg[2] = inner;
        n->iarg[3] = rop;
        n->farg[0] = arg;
        n->saved = with_idx_grad ? idx : NULL;
    }
    return y;
}

/* torch.sum / torch.mean(x, dim=dims, keepdim): one pass per dim (each accumulated in
 * double), from the last dim to the first, dims kept, then reshaped if !keepdim.
 * ndims == 0 reduces over every dim (torch's dim=[]). Duplicate dims are an error. */
static lt_tensor *sum_mean_dims(lt_ctx *ctx, const char *op, const lt_tensor *x, const int *dims,
                                int ndims, bool keepdim, bool mean) {
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    if (ndims < 0 || ndims > LT_MAX_DIMS || (ndims > 0 && !dims)) {
        ltr_fail(ctx, "%s: bad dim list (%d dims)", op, ndims);
        return NULL;
    }
    bool red[LT_MAX_DIMS] = {false};
    int nd = x->ndim;
    if (ndims == 0)
        for (int i = 0; i < nd; i++) red[i] = true;
    for (int j = 0; j < ndims; j++) {
        int d = dims[j];
        if (!ltr_wrap_dim(ctx, op, x, &d)) return NULL;
        if (nd == 0) continue;
        if (red[d]) {
            ltr_fail(ctx, "%s: dim %d appears multiple times in the list of dims", op, d);
            return NULL;
        }
        red[d] = true;
    }
    const lt_tensor *y = x;
    if (nd == 0) /* a 0-d tensor: sum over "dim 0" is the value itself */
        return reduce1(ctx, op, mean ? "mean_dim" : "sum_dim", LTR_RED_SUM, x, 0, keepdim, 1.0,
                       NULL, false);
    for (int i = nd - 1; i >= 0; i--) {
        if (!red[i]) continue;
        double scale = mean ? (x->shape[i] ? 1.0 / (double)x->shape[i] : NAN) : 1.0;
        y = reduce1(ctx, op, mean ? "mean_dim" : "sum_dim", LTR_RED_SUM, y, i, true, scale, NULL, false);
        if (!y) return NULL;
    }
    if (keepdim) return (lt_tensor *)y;
    int64_t shape[LT_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < nd; i++)
        if (!red[i]) shape[k++] = x->shape[i];
    return ltr_reshape(ctx, y, k, shape);
}

lt_tensor *ltr_sum_dim(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim) {
    return sum_mean_dims(ctx, "lt_sum_dim", x, dims, ndims, keepdim, false);
}
lt_tensor *ltr_mean_dim(lt_ctx *ctx, const lt_tensor *x, const int *dims, int ndims, bool keepdim) {
    return sum_mean_dims(ctx, "lt_mean_dim", x, dims, ndims, keepdim, true);
}

/* x flattened to 1-D (for the global forms) */
static const lt_tensor *flat(lt_ctx *ctx, const lt_tensor *x) {
    int64_t n = ltr_numel(x);
    return ltr_reshape(ctx, x, 1, &n);
}

static lt_tensor *var_std(lt_ctx *ctx, const char *op, int rop, const lt_tensor *x, int dim,
                          double correction, bool keepdim) {
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    if (dim == LT_ALL_DIMS) {
        /* torch.var(x, correction=c) over all elements: a 0-d result (keepdim: all ones) */
        int64_t ones[LT_MAX_DIMS];
        int nd = x->ndim;
        for (int i = 0; i < nd; i++) ones[i] = 1;
        lt_tensor *y = reduce1(ctx, op, op + 3, rop, flat(ctx, x), 0, false, correction, NULL, false);
        return ltr_reshape(ctx, y, keepdim ? nd : 0, ones);
    }
    return reduce1(ctx, op, op + 3, rop, x, dim, keepdim, correction, NULL, false);
}
lt_tensor *ltr_var(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim) {
    return var_std(ctx, "lt_var", LTR_RED_VAR, x, dim, correction, keepdim);
}
lt_tensor *ltr_std(lt_ctx *ctx, const lt_tensor *x, int dim, double correction, bool keepdim) {
    return var_std(ctx, "lt_std", LTR_RED_STD, x, dim, correction, keepdim);
}

lt_tensor *ltr_max_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices) {
    return reduce1(ctx, "lt_max_dim", "max_dim", LTR_RED_MAX, x, dim, keepdim, 0, indices, true);
}
lt_tensor *ltr_min_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim, lt_tensor **indices) {
    return reduce1(ctx, "lt_min_dim", "min_dim", LTR_RED_MIN, x, dim, keepdim, 0, indices, true);
}
lt_tensor *ltr_amax(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim) {
    return reduce1(ctx, "lt_amax", "amax", LTR_RED_MAX, x, dim, keepdim, 0, NULL, false);
}
lt_tensor *ltr_amin(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim) {
    return reduce1(ctx, "lt_amin", "amin", LTR_RED_MIN, x, dim, keepdim, 0, NULL, false);
}
/* torch.max(x) / torch.min(x): 0-d, NaN propagates, gradient split evenly among ties */
lt_tensor *ltr_max(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !ltr_check_float(ctx, "lt_max", x)) return NULL;
    return reduce1(ctx, "lt_max", "max", LTR_RED_MAX, flat(ctx, x), 0, false, 0, NULL, false);
}
lt_tensor *ltr_min(lt_ctx *ctx, const lt_tensor *x) {
    if (!x || !ltr_check_float(ctx, "lt_min", x)) return NULL;
    return reduce1(ctx, "lt_min", "min", LTR_RED_MIN, flat(ctx, x), 0, false, 0, NULL, false);
}

/* torch.argmax/argmin(x, dim, keepdim): int64, first index on ties, NaN wins. Records
 * nothing (not differentiable). */
static lt_tensor *arg_ext(lt_ctx *ctx, const char *op, int rop, const lt_tensor *x, int dim,
                          bool keepdim) {
    if (!x || !ltr_check_float(ctx, op, x) || !ltr_wrap_dim(ctx, op, x, &dim)) return NULL;
    x = ltr_contiguous(ctx, x);
    if (!x) return NULL;
    int64_t outer, d, inner;
    ltr_split_at(x, dim, &outer, &d, &inner);
    if (d == 0) {
        ltr_fail(ctx, "%s: cannot take the %s of an empty dimension", op, op + 3);
        return NULL;
    }
    lt_tensor *idx = reduced_like(ctx, x, dim, keepdim, LT_INT64);
    if (!idx) return NULL;
    ltr_accel_of(x)->reduce_dim(rop, x, outer, d, inner, 0, NULL, idx); /* indices only */
    return idx;
}
lt_tensor *ltr_argmax_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim) {
    return arg_ext(ctx, "lt_argmax_dim", LTR_RED_MAX, x, dim, keepdim);
}
lt_tensor *ltr_argmin_dim(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim) {
    return arg_ext(ctx, "lt_argmin_dim", LTR_RED_MIN, x, dim, keepdim);
}

/* torch.logsumexp(x, dim, keepdim): log(sum(exp(x - m))) + m, m = max unless infinite */
lt_tensor *ltr_logsumexp(lt_ctx *ctx, const lt_tensor *x, int dim, bool keepdim) {
    return reduce1(ctx, "lt_logsumexp", "logsumexp", LTR_RED_LOGSUMEXP, x, dim, keepdim, 0, NULL, false);
}

static lt_status softmax_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->softmax_backward(n->out, n->out->grad, n->iarg[0], n->iarg[1], n->iarg[2], gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

/* torch.softmax(x, dim): exp(x - max) / sum, per row along dim */
lt_tensor *ltr_softmax(lt_ctx *ctx, const lt_tensor *x, int dim) {
    if (!x || !ltr_check_float(ctx, "lt_softmax", x) || !ltr_wrap_dim(ctx, "lt_softmax", x, &dim)) return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    int64_t outer, d, inner;
    ltr_split_at(x, dim, &outer, &d, &inner);
    ltr_accel_of(x)->softmax(x, outer, d, inner, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, "softmax", y, softmax_backward, 1, in);
    if (n) {
        n->iarg[0] = outer;
        n->iarg[1] = d;
        n->iarg[2] = inner;
    }
    return y;
}

/* ---- over all elements (sum, mean), log_softmax, argmax(dim) */

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
    return arg_ext(ctx, "lt_argmax", LTR_RED_MAX, x, dim, false);
}
