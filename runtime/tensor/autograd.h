/*
 * autograd.h — reverse-mode autograd on a per-step tape.
 *
 * An op that may need gradients calls ltr_record after computing its output. The
 * tape keeps nodes in creation order, which is a topological order, so backward
 * walks it from the end. Nodes and intermediate gradients live in the arena.
 * With ctx->grad_enabled false (torch.no_grad) or no input requiring grad,
 * ltr_record records nothing and returns NULL.
 */
#ifndef LTR_AUTOGRAD_H
#define LTR_AUTOGRAD_H

#include "tensor/tensor.h"

#define LTR_NODE_MAX_IN 4

typedef struct ltr_node ltr_node;
/* Reads n->out->grad and accumulates into the inputs' grads (ltr_accumulate_grad). */
typedef lt_status (*ltr_backward_fn)(lt_ctx *ctx, ltr_node *n);

struct ltr_node {
    const char *op;                   /* "linear", "relu": named in anomaly errors */
    ltr_backward_fn backward;
    lt_tensor *out;
    const lt_tensor *in[LTR_NODE_MAX_IN];
    int nin;
    void *saved;                      /* op-specific, arena memory */
    int64_t iarg[4];
    double farg[2];
};

typedef struct ltr_tape ltr_tape;

ltr_tape *ltr_tape_create(void);
void ltr_tape_destroy(ltr_tape *t);
/* Forget every node (call with the arena reset). */
void ltr_tape_reset(ltr_tape *t);
int64_t ltr_tape_size(const ltr_tape *t);

/* Record `out = op(in...)`; marks out as requiring grad. NULL if nothing to record. */
ltr_node *ltr_record(lt_ctx *ctx, const char *op, lt_tensor *out, ltr_backward_fn backward,
                     int nin, const lt_tensor *const *in);

/* loss.backward(): loss must be a one-element float tensor that requires grad.
 * Parameter grads accumulate (PyTorch semantics); the tape is consumed. */
lt_status ltr_backward(lt_ctx *ctx, lt_tensor *loss);

/* grad += g for an input of a node: allocates (zeroed) intermediate grads on demand,
 * and for parameters copies into an undefined grad or adds into a defined one.
 * g has t's shape, contiguous. Does nothing if t does not require grad. */
lt_status ltr_accumulate_grad(lt_ctx *ctx, const lt_tensor *t, const lt_tensor *g);

#endif
