/*
 * ops_common.h — checks and helpers shared by the op front-ends (internal).
 * Every check records an error naming the op and returns false; callers return NULL.
 */
#ifndef LTR_OPS_COMMON_H
#define LTR_OPS_COMMON_H

#include "accelerators/registry.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"

#include <stdio.h>

/* float32 / float64: what the compute kernels take */
static inline bool ltr_is_float(const lt_tensor *t) {
    return t->dtype == LT_FLOAT32 || t->dtype == LT_FLOAT64;
}
/* any floating dtype, bfloat16 storage included */
static inline bool ltr_is_floating(const lt_tensor *t) {
    return ltr_is_float(t) || t->dtype == LT_BFLOAT16;
}

/* A float input on a known device, contiguous; records an error naming `op`. */
/* Ops without a bfloat16 path refuse it by name (false, error recorded). */
static inline bool ltr_refuse_bf16(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (t->dtype != LT_BFLOAT16) return true;
    ltr_fail(ctx, "%s: bfloat16 is not supported by this op (bfloat16 tensors go through "
             "lt_to, lt_linear, lt_matmul, lt_conv1d/2d, lt_relu, lt_max_pool2d and the shape ops); convert with "
             "lt_to(ctx, x, LT_FLOAT32) first", op);
    return false;
}

static inline bool ltr_check_float(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (!ltr_refuse_bf16(ctx, op, t)) return false;
    if (!ltr_is_float(t)) {
        ltr_fail(ctx, "%s: expected a float tensor, got %s", op, ltr_dtype_name(t->dtype));
        return false;
    }
    if (!ltr_kernels_of(t)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, t->device);
        return false;
    }
    return true;
}

/* As ltr_check_float, bfloat16 accepted too: for ops with a bfloat16 kernel. */
static inline bool ltr_check_floating(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (t->dtype != LT_BFLOAT16) return ltr_check_float(ctx, op, t);
    if (!ltr_kernels_of(t)) {
        ltr_fail(ctx, "%s: no accelerator for device %d", op, t->device);
        return false;
    }
    return true;
}

static inline bool ltr_check_same(lt_ctx *ctx, const char *op, const lt_tensor *a,
                                  const lt_tensor *b) {
    if (a->dtype != b->dtype) {
        ltr_fail(ctx, "%s: dtypes differ (%s and %s); convert one first", op,
                 ltr_dtype_name(a->dtype), ltr_dtype_name(b->dtype));
        return false;
    }
    if (a->device != b->device) {
        ltr_fail(ctx, "%s: tensors are on different devices (%d and %d)", op, a->device, b->device);
        return false;
    }
    return true;
}

static inline const ltr_accel *ltr_accel_of(const lt_tensor *t) { return ltr_kernels_of(t); }

/* The first index of contiguous x (float or int64) outside [lo, hi] (nan included),
 * skipping `skip`; -1 if none, -2 with an error recorded (out of memory). The device
 * scans (first_out_of_range); one int64 comes back to the host, not the data. */
static inline int64_t ltr_first_out_of_range(lt_ctx *ctx, const lt_tensor *x, double lo,
                                             double hi, bool has_skip, double skip) {
    lt_tensor *idx = ltr_empty_on(ctx, x->device, LT_INT64, 0, NULL);
    if (!idx) return -2;
    ltr_accel_of(x)->first_out_of_range(x, lo, hi, has_skip, skip, idx);
    return (int64_t)ltr_fetch(idx, 0);
}

/* *out = the sum of contiguous float x, accumulated and kept in double (reduce_dim into a
 * 0-d float64 view of *out), for front-ends that still gather per-channel sums on the host */
static inline void ltr_sum_to_double(const ltr_accel *acc, const lt_tensor *x, double *out) {
    lt_tensor y = *x;
    y.dtype = LT_FLOAT64;
    y.ndim = 0;
    y.data = out;
    acc->reduce_dim(LTR_RED_SUM, x, 1, ltr_numel(x), 1, 1.0, &y, NULL);
}

/* [outer, dim, inner] view of a contiguous tensor around dimension d (kernels that work
 * along one dim take these three sizes) */
static inline void ltr_split_at(const lt_tensor *x, int d, int64_t *outer, int64_t *dim,
                                int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < d; i++) *outer *= x->shape[i];
    for (int i = d + 1; i < x->ndim; i++) *inner *= x->shape[i];
    *dim = x->ndim ? x->shape[d] : 1;
}

/* A negative dim counted from the end, checked against x's dims; torch accepts dim 0 / -1
 * for 0-d tensors. Records an error naming `op` when out of range. */
static inline bool ltr_wrap_dim(lt_ctx *ctx, const char *op, const lt_tensor *x, int *dim) {
    int nd = x->ndim ? x->ndim : 1;
    if (*dim < -nd || *dim >= nd) {
        char s[96];
        ltr_fail(ctx, "%s: dim %d is out of range for shape %s", op, *dim, ltr_shape_str(x, s, sizeof s));
        return false;
    }
    if (*dim < 0) *dim += nd;
    return true;
}

#endif
