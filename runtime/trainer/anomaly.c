/*
 * anomaly.c — trainer.detect_anomaly: torch.autograd.detect_anomaly for ltrun.
 *
 * After every op that reaches the autograd recorder (forward; also under no_grad) the
 * output is checked for NaN/Inf, and after every backward node the gradients it wrote
 * into its inputs are checked: the first non-finite value fails the hook with the op's
 * name and the direction, like torch's "Function 'LogBackward0' returned nan values in
 * its 0th output". (torch checks only backward; the forward check finds the op that
 * first made a NaN, which is what the flag is used for.) Off, nothing here runs.
 */
#include "trainer/trainer.h"

#include "tensor/op_hooks.h"

#include <math.h>
#include <stdlib.h>

struct ltr_anomaly {
    ltr_op_observer obs; /* first: the observer's self */
};

/* "nan" / "inf" if t holds one, else NULL. */
static const char *non_finite(const lt_tensor *t) {
    if (!t || (t->dtype != LT_FLOAT32 && t->dtype != LT_FLOAT64)) return NULL;
    int64_t n = ltr_numel(t);
    bool contiguous = ltr_is_contiguous(t);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = i;
        if (!contiguous) { /* a view: element i in row-major order, through the strides */
            off = 0;
            for (int64_t d = t->ndim - 1, rest = i; d >= 0; d--) {
                off += (rest % t->shape[d]) * t->stride[d];
                rest /= t->shape[d];
            }
        }
        double v = t->dtype == LT_FLOAT32 ? (double)((const float *)t->data)[off]
                                          : ((const double *)t->data)[off];
        if (isnan(v)) return "nan";
        if (isinf(v)) return "inf";
    }
    return NULL;
}

static void on_forward(ltr_op_observer *self, lt_ctx *ctx, const char *op, lt_tensor *out,
                       int nin, const lt_tensor *const *in) {
    (void)self;
    (void)nin;
    (void)in;
    if (ltr_ctx_of(ctx)->failed) return;
    const char *bad = non_finite(out);
    if (bad) {
        char s[96];
        ltr_fail(ctx, "detect_anomaly: forward of '%s' produced %s values in its output "
                      "(shape %s)", op, bad, ltr_shape_str(out, s, sizeof s));
    }
}

static void on_after_backward(ltr_op_observer *self, lt_ctx *ctx, const ltr_node *n) {
    (void)self;
    for (int i = 0; i < n->nin; i++) {
        const lt_tensor *x = n->in[i];
        if (!x || !(x->flags & LTR_T_REQUIRES_GRAD) || !x->grad) continue;
        if ((x->flags & LTR_T_PARAM) && !(x->flags & LTR_T_GRAD_DEFINED)) continue;
        const char *bad = non_finite(x->grad);
        if (bad) {
            char s[96];
            ltr_fail(ctx, "detect_anomaly: backward of '%s' returned %s values in its %dth "
                          "output (the gradient of input %d%s%s, shape %s)", n->op, bad, i, i,
                     x->name ? " " : "", x->name ? x->name : "",
                     ltr_shape_str(x->grad, s, sizeof s));
            return;
        }
    }
}

ltr_anomaly *ltr_anomaly_create(void) {
    ltr_anomaly *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->obs.after_forward = on_forward;
    a->obs.after_backward = on_after_backward;
    ltr_op_observer_add(&a->obs);
    return a;
}

void ltr_anomaly_destroy(ltr_anomaly *a) {
    if (!a) return;
    ltr_op_observer_remove(&a->obs);
    free(a);
}
