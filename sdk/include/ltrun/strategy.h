/*
 * ltrun/strategy.h — strategy plugins (Lightning's Strategy) and the extension query.
 *
 * A strategy decides how training is spread over devices and processes: it runs the
 * backward pass and the optimizer step, owns the collectives (reduce, barrier, ...) and
 * says which rank is global zero. `ltrun fit --trainer.strategy NAME` loads NAME.so (found
 * as callbacks and loggers are) and calls its LT_STRATEGY table; every entry is optional,
 * and an entry left NULL does what the built-in single-device strategy does.
 *
 *     static lt_status my_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
 *         const lt_strategy_base_v1 *base = lt_get_extension(ctx, LT_EXT_STRATEGY_BASE);
 *         ... before ...
 *         lt_status s = base->backward(ctx, loss);   // Lightning's super().backward(loss)
 *         ... after ...
 *         return s;
 *     }
 *     LT_STRATEGY(my_strategy, .create = my_create, .backward = my_backward);
 *
 * Entries return LT_OK, or LT_ERROR with lt_fail's message (the run stops, exit 1).
 */
#ifndef LTRUN_STRATEGY_H
#define LTRUN_STRATEGY_H

#include "descriptor.h"
#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.7: the reduction of lt_strategy_vtable.reduce (torch.distributed.ReduceOp) */
typedef enum lt_reduce_op {
    LT_REDUCE_OP_SUM = 0,
    LT_REDUCE_OP_MEAN = 1,
    LT_REDUCE_OP_MAX = 2,
    LT_REDUCE_OP_MIN = 3
} lt_reduce_op;

/* What setup_environment reports: the process's place in the run. */
typedef struct lt_strategy_env {
    uint32_t size; /* sizeof(lt_strategy_env) in the host; grows at the end */
    int64_t rank, local_rank, node_rank, world_size;
    /* ABI 1.9, given to the strategy (read them only when `size` covers them): what the
     * Trainer was asked for and how this process was started, for a strategy that
     * launches or checks its processes (Lightning's strategy.num_nodes /
     * parallel_devices and its launcher's command line) */
    int64_t devices;     /* --trainer.devices: processes per node asked for; 0 = "auto" */
    int64_t num_nodes;   /* --trainer.num_nodes (1) */
    /* in: --trainer.num_threads (0 = the default, all cores); out: the compute threads
     * this process should use (0 keeps the default), applied after the entry returns */
    int64_t num_threads;
    int argc;                /* the command line as given (argv[0] the program), for a */
    char *const *argv;       /* launcher that starts the other ranks with it; NULL: unknown */
} lt_strategy_env;

/* ABI 1.7: strategies. `self` is what create returned. The host calls the entries at
 * Lightning's points; each collective is called by every rank in the same order. */
typedef struct lt_strategy_vtable {
    uint32_t size;
    uint32_t flags; /* none defined yet: 0 */
    /* __init__: hp holds the init args, --strategy.KEY VALUE or the config's "strategy"
     * object (ABI 1.9; empty before); a given key the entry never reads is a usage error */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    /* First in a run, before any thread or loader: fix rank and world size. env holds
     * the single-device values (0, 0, 0, 1) on entry; change what differs. */
    lt_status (*setup_environment)(lt_ctx *ctx, void *self, lt_strategy_env *env);
    /* After the module is built: parameters to the device, wrappers (DDP's buckets:
     * register a grad-ready callback through LT_EXT_GRADIENTS here). */
    lt_status (*setup)(lt_ctx *ctx, void *self);
    void (*teardown)(lt_ctx *ctx, void *self);
    lt_status (*batch_to_device)(lt_ctx *ctx, void *self, lt_batch *batch);
    /* loss.backward(), with the precision's wrappers */
    lt_status (*backward)(lt_ctx *ctx, void *self, lt_tensor *loss);
    /* optimizer.step() with the precision's wrappers (the closure already ran) */
    lt_status (*optimizer_step)(lt_ctx *ctx, void *self, lt_optimizer *opt);
    /* values[0..n) reduced in place over every rank */
    lt_status (*reduce)(lt_ctx *ctx, void *self, double *values, int64_t n, lt_reduce_op op);
    /* Lightning's reduce_boolean_decision: all = true: true only when every rank's is;
     * all = false: true when any rank's is */
    lt_status (*reduce_bool)(lt_ctx *ctx, void *self, bool *decision, bool all);
    lt_status (*barrier)(lt_ctx *ctx, void *self, const char *name);
    lt_status (*broadcast)(lt_ctx *ctx, void *self, void *buf, size_t bytes, int64_t src);
    /* out: [world_size, *x's shape] in x's dtype */
    lt_status (*all_gather)(lt_ctx *ctx, void *self, const lt_tensor *x, lt_tensor *out);
    /* Which ranks write checkpoint `path`: call write(arg, path) on those (single device
     * and DDP: global rank 0 only; sharded strategies: every rank). */
    lt_status (*save_checkpoint)(lt_ctx *ctx, void *self, const char *path,
                                 lt_status (*write)(void *arg, const char *path), void *arg);
    /* ABI 1.9: Lightning's Strategy.on_exception: the run failed on this rank with
     * `message` (after the callbacks' on_exception, before teardown). A multi-process
     * strategy ends the other ranks so none waits alone (Lightning's launcher.kill). */
    void (*on_exception)(lt_ctx *ctx, void *self, const char *message);
} lt_strategy_vtable;

/* LT_STRATEGY(name, .create = ..., .backward = ..., ...) */
#define LT_STRATEGY(name, ...) \
    LT__DESCRIPTOR(name, LT_KIND_STRATEGY, lt_strategy_vtable, __VA_ARGS__)

/*
 * ABI 1.7: the extension query (CLAP's get_extension). Services only some plugin kinds
 * may use live outside the host table, behind a versioned string id: "ltrun.NAME/N" is
 * version N of the struct, which only ever grows at the end (check `size` before reading
 * a member added later); an incompatible change is a new id "ltrun.NAME/N+1".
 *
 * lt_get_extension returns NULL for an id the host does not know, and for every id when
 * the caller is not a strategy plugin (modules, data modules, callbacks and loggers always
 * get NULL; accelerator plugins will get theirs). The pointer stays valid for the run.
 */
static inline const void *lt_get_extension(lt_ctx *ctx, const char *id) {
    return ctx->api->get_extension(ctx, id);
}

/* "ltrun.gradients/1": the trainable parameters and their gradients. */
#define LT_EXT_GRADIENTS "ltrun.gradients/1"
/* Called during backward once parameter `param_index`'s gradient is final for this
 * backward (every node of the graph that contributes to it has run): PyTorch's
 * register_post_accumulate_grad_hook. grad is the parameter's .grad (accumulated over
 * earlier backwards when gradients accumulate); it may be changed in place. */
typedef void (*lt_grad_ready_fn)(lt_ctx *ctx, int64_t param_index, lt_tensor *grad,
                                 void *user);
typedef struct lt_gradients_v1 {
    uint32_t size;
    /* number of trainable parameters (Lightning's "Trainable params" list), in creation
     * order; indices below are 0..count-1 */
    int64_t (*count)(lt_ctx *ctx);
    const char *(*name)(lt_ctx *ctx, int64_t i);      /* "fc1.weight"; NULL out of range */
    lt_tensor *(*param)(lt_ctx *ctx, int64_t i);      /* the parameter; NULL out of range */
    lt_tensor *(*grad)(lt_ctx *ctx, int64_t i);       /* its .grad; NULL when undefined */
    /* One callback per run: a second call replaces the first, cb NULL removes it. Costs
     * nothing when none is registered. */
    lt_status (*on_grad_ready)(lt_ctx *ctx, lt_grad_ready_fn cb, void *user);
    /* ABI 1.9 (check size): true while the backward being run belongs to an accumulation
     * micro-batch that no optimizer step follows (the training loop's _should_accumulate;
     * Lightning runs it under strategy.block_backward_sync, DDP's no_sync); false in
     * manual optimization and outside training */
    bool (*should_accumulate)(lt_ctx *ctx);
} lt_gradients_v1;

/* "ltrun.strategy_base/1": the built-in single-device strategy's entries, for a plugin
 * entry that wraps them (Lightning's super().backward(...)). They act on the run's
 * model and optimizers exactly as an entry left NULL would. */
#define LT_EXT_STRATEGY_BASE "ltrun.strategy_base/1"
typedef struct lt_strategy_base_v1 {
    uint32_t size;
    lt_status (*batch_to_device)(lt_ctx *ctx, lt_batch *batch);
    lt_status (*backward)(lt_ctx *ctx, lt_tensor *loss);
    lt_status (*optimizer_step)(lt_ctx *ctx, lt_optimizer *opt);
    /* ABI 1.9 (check size): Lightning's super().setup(trainer) — the precision's
     * convert_module, what a setup entry left NULL does */
    lt_status (*setup)(lt_ctx *ctx);
} lt_strategy_base_v1;

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_STRATEGY_H */
