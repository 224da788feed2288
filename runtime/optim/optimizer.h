/*
 * optimizer.h — torch.optim's SGD, Adam, AdamW, RMSprop and Adagrad over a module's
 * parameter store (float32 or float64 parameters, each updated in its own dtype), with
 * param groups (torch's optimizer.param_groups: per-group options, lr first).
 *
 * Update rules are torch.optim's (single-tensor, non-fused path, torch 2.x):
 * a parameter whose grad is undefined (never reached by backward since the last
 * zero_grad, PyTorch's `p.grad is None`) is skipped and its state is not advanced.
 * State buffers are allocated lazily at a parameter's first update, as in PyTorch.
 * Ownership: the optimizer is heap-allocated by ltr_sgd/ltr_adam/... and freed by
 * ltr_optimizer_free (or, when made while ctx->optim is set, by the trainer's
 * ltr_optim_setup_free); it borrows the parameter store, which must outlive it.
 *
 * Param groups: group 0 starts with every parameter; ltr_param_group moves the
 * parameters whose names match into a new group (torch's [{"params": ..., "lr": ...}]).
 * Parameters are updated group by group; each group has its own copy of the options.
 */
#ifndef LTR_OPTIMIZER_H
#define LTR_OPTIMIZER_H

#include "ltrun.h"
#include "tensor/tensor.h"
#include "accelerators/registry.h"
#include "accelerators/accelerator.h"
#include "accelerators/cpu/cpu_optim.h"

typedef enum ltr_optim_kind {
    LTR_OPTIM_SGD = 1,
    LTR_OPTIM_ADAM = 2,
    LTR_OPTIM_ADAMW = 3,
    LTR_OPTIM_RMSPROP = 4,
    LTR_OPTIM_ADAGRAD = 5
} ltr_optim_kind;

/* One optimizer's options (every member starts with `double lr`). */
typedef union ltr_optim_hp {
    lt_sgd_options sgd;
    lt_adam_options adam; /* Adam and AdamW */
    lt_rmsprop_options rmsprop;
    lt_adagrad_options adagrad;
} ltr_optim_hp;

/* optimizer.param_groups[i] */
typedef struct ltr_param_group {
    ltr_optim_hp hp;       /* this group's options; hp.sgd.lr etc. is what schedulers set */
    double initial_lr;     /* group['initial_lr'], set by the first scheduler */
    bool has_initial_lr;
    int64_t *index;        /* the group's parameters: indices into params->params */
    int64_t n;
} ltr_param_group;

/* Per-parameter state, index-aligned with the store's params. */
typedef struct ltr_optim_state {
    /* tensors of the parameter's shape, dtype and device (ltr_heap_tensor), NULL until
     * the state exists */
    lt_tensor *buf1; /* SGD: momentum_buffer; Adam(W): exp_avg; RMSprop: square_avg;
                        Adagrad: sum */
    lt_tensor *buf2; /* Adam(W): exp_avg_sq; RMSprop: momentum_buffer */
    lt_tensor *buf3; /* Adam(W) amsgrad: max_exp_avg_sq; RMSprop centered: grad_avg */
    int64_t step;  /* Adam(W), RMSprop, Adagrad: this parameter's step count */
} ltr_optim_state;

struct lt_optimizer {
    ltr_optim_kind kind;
    const char *name;           /* "SGD", "Adam", "AdamW", "RMSprop", "Adagrad" */
    ltr_param_store *params;    /* borrowed */
    ltr_optim_hp defaults;      /* the constructor's options (torch's optimizer.defaults) */
    ltr_param_group *groups;    /* ngroups entries; group 0 made by the constructor */
    int ngroups;
    ltr_optim_state *state;     /* params->count entries */
    int64_t nstate;
    lt_ctx *ctx;                /* borrowed: where step() records an error (out of memory) */
};

/* SDK entry points: an optimizer over every parameter in ctx->params. Bad options
 * (negative lr, betas outside [0,1), nesterov without momentum or with dampening —
 * the same checks as torch.optim) record an error and return NULL. */
lt_optimizer *ltr_sgd(lt_ctx *ctx, const lt_sgd_options *opt);
lt_optimizer *ltr_adam(lt_ctx *ctx, const lt_adam_options *opt);
lt_optimizer *ltr_adamw(lt_ctx *ctx, const lt_adamw_options *opt);
lt_optimizer *ltr_rmsprop(lt_ctx *ctx, const lt_rmsprop_options *opt);
lt_optimizer *ltr_adagrad(lt_ctx *ctx, const lt_adagrad_options *opt);

/* Param groups (see lt_host_api.param_group / group_set / group_get): a new group of
 * the parameters whose names match one of the '|'-separated fnmatch globs in `names`;
 * its index, or -1 with an error recorded (no parameter matches, steps already taken). */
int ltr_param_group_add(lt_ctx *ctx, lt_optimizer *o, const char *names);
/* torch's optimizer.add_param_group({"params": P, "lr": lr}) at any time (lt_host_api
 * optimizer_add_param_group): P = the parameters matching `names` that require grad and
 * are in no group (one in a group is torch's ValueError); defaults + lr (NAN: the
 * defaults' lr). The new group's index, or -1 with an error recorded. */
int ltr_optimizer_add_param_group(lt_ctx *ctx, lt_optimizer *o, const char *names, double lr);
/* is `param` in one of o's groups */
bool ltr_optimizer_has_param(lt_ctx *ctx, const lt_optimizer *o, const lt_tensor *param);
lt_status ltr_group_set(lt_ctx *ctx, lt_optimizer *o, int group, const char *key, double value);
double ltr_group_get(const lt_optimizer *o, int group, const char *key); /* NAN: no such key */
int ltr_num_param_groups(const lt_optimizer *o);
/* the i-th param group option key of o's kind ("lr", ...), NULL past the end */
const char *ltr_group_key_at(const lt_optimizer *o, int i);
/* The same by kind (LTR_OPTIM_*), for checking a checkpoint before any optimizer exists:
 * whether the option is a boolean, and the bound a value must stay below (betas: 1) on
 * top of the constructors' `0 <= x`. */
const char *ltr_optim_kind_key(int kind, int i, bool *is_bool, double *upper);
/* manual optimization: keep only the parameters matching `names` (torch's
 * Adam(self.generator.parameters())); before any step. Errors recorded on ctx. */
lt_status ltr_optimizer_params(lt_ctx *ctx, lt_optimizer *o, const char *names);
/* The optimizer's parameters, group by group (torch's param_groups[*]['params']) into
 * out (NULL: count only); returns how many. */
int64_t ltr_optimizer_param_list(const lt_optimizer *o, lt_tensor **out);
/* Is params->params[param_index] in one of o's groups? */
bool ltr_optimizer_holds(const lt_optimizer *o, int64_t param_index);
/* &param_groups[group]['lr'] (group in range) */
double *ltr_group_lr(lt_optimizer *o, int group);
/* &param_groups[group]['momentum'] (SGD, RMSprop) or &['betas'][0] (Adam, AdamW);
 * NULL for Adagrad, which has neither */
double *ltr_group_momentum(lt_optimizer *o, int group);

/* optimizer.step(): one update of every parameter with a defined grad. */
lt_status ltr_optimizer_step(lt_optimizer *o);
/* optimizer.zero_grad(set_to_none=True) */
void ltr_optimizer_zero_grad(lt_optimizer *o);
void ltr_optimizer_free(lt_optimizer *o);

/* internal to runtime/optim */
/* An optimizer over every parameter of ctx->params, one group with options *hp. */
lt_optimizer *ltr_optimizer_new(lt_ctx *ctx, ltr_optim_kind kind, const char *name,
                                const ltr_optim_hp *hp);
/* The zeroed state buffer *buf (n elements of elsize bytes) of parameter p, made at first
 * use on p's device; NULL when out of memory. */
lt_tensor *ltr_optim_buffer(const lt_tensor *p, lt_tensor **buf);
/* Free parameter i's state buffers (through its device) and zero its state. */
void ltr_optim_state_release(lt_optimizer *o, int64_t i);
/* x as Python's repr(float) writes it ("1.5", "-1.0", "1e-08", "nan"), for torch's
 * error messages; returns buf. */
const char *ltr_optim_pyfloat(double x, char *buf, size_t cap);
lt_status ltr_sgd_step(lt_optimizer *o);
lt_status ltr_adam_step(lt_optimizer *o); /* Adam and AdamW */
lt_status ltr_rmsprop_step(lt_optimizer *o);
lt_status ltr_adagrad_step(lt_optimizer *o);

/* The update hook: the kernel table's entry for p's device. The parity test's second copy
 * of the optimizers (tests/test_optim_parity.c, built with LTR_OPTIM_PARITY_COPY and
 * LTR_OPTIM_SQRT set to torch's root) calls its own copy of the CPU loops instead,
 * renamed by Makefile.am. */
#ifdef LTR_OPTIM_PARITY_COPY /* not LTR_OPTIM_SQRT: cpu_optim.h defines that one always */
#define LTR_OPTIM_UPDATE(p, entry) ltr_cpu_##entry
#else
#define LTR_OPTIM_UPDATE(p, entry) (ltr_kernels_of(p)->entry)
#endif

#endif
