/*
 * ops_common.h — checks and helpers shared by the op front-ends (internal).
 * Every check records an error naming the op and returns false; callers return NULL.
 */
#ifndef LTR_OPS_COMMON_H
#define LTR_OPS_COMMON_H

#include "accelerators/accelerator.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"

#include <stdio.h>

static inline bool ltr_is_float(const lt_tensor *t) {
    return t->dtype == LT_FLOAT32 || t->dtype == LT_FLOAT64;
}

/* A float input on a known device, contiguous; records an error naming `op`. */
static inline bool ltr_check_float(lt_ctx *ctx, const char *op, const lt_tensor *t) {
    if (!ltr_is_float(t)) {
        ltr_fail(ctx, "%s: expected a float tensor, got %s", op, ltr_dtype_name(t->dtype));
        return false;
    }
    if (!ltr_accel_get(t->device)) {
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

static inline const ltr_accel *ltr_accel_of(const lt_tensor *t) { return ltr_accel_get(t->device); }

#endif
