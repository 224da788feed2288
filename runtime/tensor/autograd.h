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
    int64_t pos;                      /* its index on the tape (grad-ready bookkeeping) */
};

typedef struct ltr_tape ltr_tape;

ltr_tape *ltr_tape_create(void);
void ltr_tape_destroy(ltr_tape *t);
/* Forget every node (call with the arena reset). */
void ltr_tape_reset(ltr_tape *t);
int64_t ltr_tape_size(const ltr_tape *t);

/* Called by ltr_backward once a parameter's gradient is final for that backward: after
 * the last node of the graph with the parameter as an input (PyTorch's
 * register_post_accumulate_grad_hook, what DDP's buckets wait for). One per tape; fn NULL
 * removes it. Without one, backward does no extra work. */
typedef void (*ltr_grad_ready_fn)(lt_ctx *ctx, lt_tensor *param, void *user);
void ltr_tape_set_grad_ready(ltr_tape *t, ltr_grad_ready_fn fn, void *user);

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

/* As ltr_accumulate_grad, for a g that the caller made for this call alone (a fresh
 * arena tensor no one else holds): when t has no gradient yet, g becomes it without a
 * copy. Never pass a gradient that is also handed to another tensor. */
lt_status ltr_accumulate_grad_owned(lt_ctx *ctx, const lt_tensor *t, lt_tensor *g);

/* For kernels that accumulate in place (GEMM's beta, sum_rows' accumulate): the buffer
 * that receives t's gradient, with *beta = 1 when it already holds a value (add to it)
 * or 0 when it must be overwritten. The buffer counts as t's gradient from this call on,
 * so the caller must then write all of it. NULL (no error) when t needs no gradient;
 * NULL with an error when out of memory. */
lt_tensor *ltr_grad_slot(lt_ctx *ctx, const lt_tensor *t, double *beta);

#endif
