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

#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "tensor/op_hooks.h"

#include <math.h>
#include <stdlib.h>

struct ltr_anomaly {
    ltr_op_observer obs; /* first: the observer's self */
};

/* "nan" / "inf" if t holds one, else NULL. The device scans (all_finite: one flag comes
 * back); only when it says so is the data copied to the host to name the first value.
 * Views are gathered by the kernel into a plain copy first, never recorded (this runs
 * inside the recorder). */
static const char *non_finite(lt_ctx *ctx, const lt_tensor *t) {
    if (!t || (t->dtype != LT_FLOAT32 && t->dtype != LT_FLOAT64)) return NULL;
    const ltr_accel *k = ltr_kernels_of(t);
    if (!ltr_is_contiguous(t)) {
        lt_tensor *c = ltr_empty_like(ctx, t);
        if (!c) return NULL;
        k->strided_copy(t->dtype, t->ndim, t->shape, c->data, c->stride, t->data, t->stride, false);
        t = c;
    }
    lt_tensor *flag = ltr_empty_on(ctx, t->device, LT_BOOL, 0, NULL);
    if (!flag) return NULL;
    k->all_finite(t, flag);
    if (ltr_fetch(flag, 0)) return NULL;
    int64_t n = ltr_numel(t);
    size_t es = ltr_dtype_size(t->dtype);
    lt_tensor h = *t;
    if (!(h.data = ltr_scratch(ctx, (size_t)n * es)) ||
        ltr_tensor_to_host(ctx, t, h.data, (size_t)n * es) != LT_OK)
        return "nan or inf";
    for (int64_t i = 0; i < n; i++) {
        double v = ltr_get(&h, i);
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
    const char *bad = non_finite(ctx, out);
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
        const char *bad = non_finite(ctx, x->grad);
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
