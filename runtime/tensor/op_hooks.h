/*
 * op_hooks.h — a process-wide observer of ops, for the profiler and detect_anomaly
 *. Off (NULL) it costs one load and a branch per recorded op.
 *
 * Where ops are seen: ltr_record (autograd.c) calls after_forward for every op that
 * reaches it — every differentiable op, also under no_grad, after its output is
 * computed — and ltr_backward calls before/after_backward around each node's backward.
 * Ops that never record (argmax, comparisons, metrics) are not seen.
 * Observers are added and removed by the trainer on its own thread; ops run there too.
 */
#ifndef LTR_OP_HOOKS_H
#define LTR_OP_HOOKS_H

#include "tensor/autograd.h"

typedef struct ltr_op_observer ltr_op_observer;
struct ltr_op_observer {
    /* out = op(in...) was just computed */
    void (*after_forward)(ltr_op_observer *self, lt_ctx *ctx, const char *op, lt_tensor *out,
                          int nin, const lt_tensor *const *in);
    void (*before_backward)(ltr_op_observer *self, lt_ctx *ctx, const ltr_node *n);
    /* n's backward ran and accumulated into its inputs' grads */
    void (*after_backward)(ltr_op_observer *self, lt_ctx *ctx, const ltr_node *n);
    ltr_op_observer *next; /* the list's link (set by ltr_op_observer_add) */
};

extern ltr_op_observer *ltr_op_observers; /* NULL: nobody is watching */

void ltr_op_observer_add(ltr_op_observer *o);
void ltr_op_observer_remove(ltr_op_observer *o);

static inline void ltr_op_notify_forward(lt_ctx *ctx, const char *op, lt_tensor *out, int nin,
                                         const lt_tensor *const *in) {
    for (ltr_op_observer *o = ltr_op_observers; o; o = o->next)
        if (o->after_forward) o->after_forward(o, ctx, op, out, nin, in);
}

#endif
