/*
 * context.h — the host's side of lt_ctx.
 *
 * Every hook and op receives an lt_ctx*; the host allocates an ltr_ctx whose first
 * member is the public lt_ctx, so ltr_ctx_of() is a cast. The context owns nothing
 * itself: the arena, tape and parameter store are borrowed from whoever set it up
 * (the trainer, or a test), and outlive it.
 */
#ifndef LTR_CONTEXT_H
#define LTR_CONTEXT_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ltr_arena ltr_arena;
typedef struct ltr_tape ltr_tape;
typedef struct ltr_param_store ltr_param_store;
typedef struct ltr_rng ltr_rng;
typedef struct ltr_optim_setup ltr_optim_setup;

/* Receives lt_log / lt_log_value calls; set by the trainer (NULL: logging is an error). */
typedef void (*ltr_log_sink)(void *sink_self, lt_ctx *ctx, const char *name, double value,
                             double batch_size, unsigned flags);

typedef struct ltr_ctx {
    lt_ctx pub;                /* must stay first */
    ltr_arena *arena;          /* per-step memory for intermediates (borrowed) */
    ltr_tape *tape;            /* autograd record of this step (borrowed) */
    ltr_param_store *params;   /* where lt_param registers parameters (borrowed; NULL = none) */
    ltr_rng *rng;              /* init / dropout randomness (borrowed) */
    uint64_t seed;             /* the run's seed (--seed) */
    bool grad_enabled;         /* false = torch.no_grad(): ops record nothing */
    /* torch.inference_mode(): ops record nothing whatever grad_enabled says (enable_grad
     * does not leave it); the eval and predict loops set it with Trainer(inference_mode) */
    bool inference_mode;
    lt_dtype float_dtype;      /* what a float32 request becomes: set by the run's
                                  precision (precision.h, convert_module): float64 under
                                  64-true (Lightning's DoublePrecision), else float32 */
    /* torch.autocast's state (precision/autocast.c): on, the ops of its lower-precision
     * list run in autocast_dtype and those of its float32 list in float32; set by a
     * mixed precision's forward_context and by lt_autocast */
    bool autocast;
    lt_dtype autocast_dtype;
    bool failed;               /* an error was recorded and not yet taken */
    char error[1024];          /* the first error message since the last ltr_ctx_take_error */
    const char *plugin_name;   /* for error messages: who is running */
    const char *hook_name;
    ltr_log_sink log_sink;
    void *log_sink_self;
    void *log_metric;          /* the lt_metric being logged by lt_log_metric, else NULL */
    double batch_size;         /* size of the current batch, for epoch-mean weighting */
    void **allocs;             /* lt_alloc blocks to free after destroy */
    int64_t nallocs, cap_allocs;
    struct lt_tensor **owned;  /* ltr_alloc_tensor's device tensors, freed with allocs */
    int64_t nowned, cap_owned;
    /* the trainer's metric dicts by lt_metrics_dict (borrowed; NULL = empty) */
    const struct ltr_metric_dict *metric_dicts[3];
    /* where lt_predict_output goes (set by the predict loop; NULL elsewhere) */
    lt_status (*predict_sink)(void *self, lt_ctx *ctx, const char *name, const lt_tensor *value);
    void *predict_sink_self;
    /* ABI 1.4: hooks — the running trainer (an ltr_trainer*), for the trainer-control
     * host calls (lt_should_stop, lt_optimizer_step, ...); NULL outside a run */
    void *trainer;
    /* pulls the running results into metric_dicts before one is read (Lightning's
     * callback_metrics & co. are properties); set with `trainer` */
    void (*refresh_metrics)(void *trainer);
    /* ABI 1.4: optimizers and schedulers of the run (borrowed from the trainer; NULL =
     * none: what lt_sgd/lt_step_lr/... make belongs to the caller) */
    ltr_optim_setup *optim;
    /* while set, lt_batchnorm layers in training
     * use momentum=None (cumulative average), as torch.optim.swa_utils.update_bn sets */
    bool bn_cumulative;
    /* SyncBatchNorm (--trainer.sync_batchnorm with several ranks, Lightning's layer_sync):
     * while set, nn.BatchNorm layers in training add their per-channel statistics and
     * gradient sums over every rank through it (values[0..n) replaced on each rank by
     * their sum over the ranks; every rank calls it alike). Set by the trainer from its
     * strategy; NULL: each process normalises with its own batch's statistics. */
    lt_status (*bn_sync_sum)(void *arg, lt_ctx *ctx, double *values, int64_t n);
    void *bn_sync_arg;
    int32_t device; /* where ltr_empty & co, parameters and batches go (accelerators/registry.h) */
    /* the strategy plugin whose entry (or grad-ready callback) runs now, else NULL:
     * lt_get_extension answers only it (strategy/plugin_strategy.c) */
    struct ltr_strategy *ext_strategy;
} ltr_ctx;

static inline ltr_ctx *ltr_ctx_of(lt_ctx *c) { return (ltr_ctx *)c; }

/* The dtype a plugin's float32 request (a parameter, lt_tensor_new, a batch field) gets
 * under the run's precision: 64-true runs the whole model in double, as Lightning's
 * DoublePrecision makes float64 the default dtype for init, forward and inputs. */
static inline lt_dtype ltr_float_dtype(lt_ctx *c, lt_dtype requested) {
    return requested == LT_FLOAT32 ? ((ltr_ctx *)c)->float_dtype : requested;
}

/* The process-wide host API table handed to plugins (runtime/api/host_api.c). */
const lt_host_api *ltr_host_api(void);

/* Zero the context and attach `api` (ltr_host_api() in the host; tests may pass NULL
 * when no plugin code runs). Borrowed parts are set by the caller; grad is enabled. */
void ltr_ctx_init(ltr_ctx *ctx, const lt_host_api *api);
/* Free the lt_alloc blocks made through this context. */
void ltr_ctx_free_allocs(ltr_ctx *ctx);

/* Record an error (first one wins; later ones are dropped). Returns LT_ERROR. */
lt_status ltr_fail(lt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
lt_status ltr_vfail(lt_ctx *ctx, const char *fmt, va_list ap);
/* true if an error is pending; copies it to buf (if given) and clears it. */
bool ltr_ctx_take_error(ltr_ctx *ctx, char *buf, size_t cap);

/* Per-step scratch memory (arena), zeroed. */
void *ltr_scratch(lt_ctx *ctx, size_t bytes);
/* Instance memory for plugins: zeroed, freed by ltr_ctx_free_allocs. */
void *ltr_alloc(lt_ctx *ctx, size_t bytes);

#endif
