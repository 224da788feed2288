/*
 * optimizer.h — torch.optim's SGD and Adam over a module's parameter store
 * (float32 or float64 parameters, each updated in its own dtype).
 *
 * Update rules are torch.optim's (single-tensor, non-fused path, torch 2.x):
 * a parameter whose grad is undefined (never reached by backward since the last
 * zero_grad, PyTorch's `p.grad is None`) is skipped and its state is not advanced.
 * State buffers are allocated lazily at a parameter's first update, as in PyTorch.
 * Ownership: the optimizer is heap-allocated by ltr_sgd/ltr_adam and freed by
 * ltr_optimizer_free; it borrows the parameter store, which must outlive it.
 */
#ifndef LTR_OPTIMIZER_H
#define LTR_OPTIMIZER_H

#include "ltrun.h"
#include "tensor/tensor.h"

typedef enum ltr_optim_kind { LTR_OPTIM_SGD = 1, LTR_OPTIM_ADAM = 2 } ltr_optim_kind;

/* Per-parameter state, index-aligned with the store's params. */
typedef struct ltr_optim_state {
    void *buf1;    /* SGD: momentum_buffer; Adam: exp_avg (the parameter's dtype) */
    void *buf2;    /* Adam: exp_avg_sq */
    void *buf3;    /* Adam amsgrad: max_exp_avg_sq */
    int64_t step;  /* Adam: this parameter's step count */
} ltr_optim_state;

struct lt_optimizer {
    ltr_optim_kind kind;
    const char *name;           /* "SGD", "Adam" */
    ltr_param_store *params;    /* borrowed */
    lt_sgd_options sgd;         /* valid when kind == LTR_OPTIM_SGD */
    lt_adam_options adam;       /* valid when kind == LTR_OPTIM_ADAM */
    ltr_optim_state *state;     /* params->count entries */
    int64_t nstate;
    lt_ctx *ctx;                /* borrowed: where step() records an error (out of memory) */
};

/* SDK entry points: an optimizer over every parameter in ctx->params. Bad options
 * (negative lr, betas outside [0,1), nesterov without momentum or with dampening —
 * the same checks as torch.optim) record an error and return NULL. */
lt_optimizer *ltr_sgd(lt_ctx *ctx, const lt_sgd_options *opt);
lt_optimizer *ltr_adam(lt_ctx *ctx, const lt_adam_options *opt);

/* optimizer.step(): one update of every parameter with a defined grad. */
lt_status ltr_optimizer_step(lt_optimizer *o);
/* optimizer.zero_grad(set_to_none=True) */
void ltr_optimizer_zero_grad(lt_optimizer *o);
void ltr_optimizer_free(lt_optimizer *o);

/* internal to runtime/optim */
lt_optimizer *ltr_optimizer_new(lt_ctx *ctx, ltr_optim_kind kind, const char *name);
/* The zeroed state buffer *buf (n elements of elsize bytes), made at first use; NULL
 * when out of memory. */
void *ltr_optim_buffer(void **buf, int64_t n, size_t elsize);
/* x as Python's repr(float) writes it ("1.5", "-1.0", "1e-08", "nan"), for torch's
 * error messages; returns buf. */
const char *ltr_optim_pyfloat(double x, char *buf, size_t cap);
lt_status ltr_sgd_step(lt_optimizer *o);
lt_status ltr_adam_step(lt_optimizer *o);

#endif
