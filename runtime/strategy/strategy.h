/*
 * strategy.h — how training is spread over devices and processes (Lightning's Strategy).
 *
 * The loops never call autograd, the optimizer or a collective directly: they call the
 * run's strategy, which owns its accelerator and precision (Lightning:
 * strategy.accelerator, strategy.precision_plugin). The built-in single-device strategy
 * (single_device.c) is what every run used before this seam existed; a plugin strategy
 * (plugin_strategy.c, a --trainer.strategy NAME .so) implements the same table through
 * the SDK's lt_strategy_vtable, entries it leaves NULL falling back to single-device.
 *
 * Contract:
 *   - setup_environment runs first in a run: before the signal thread, any compute
 *     thread and any loader exists (it fixes rank/world_size and thread counts).
 *   - rank, local_rank, node_rank and world_size are valid after setup_environment and
 *     never change within a run; the loaders' samplers take them from here.
 *   - Every collective (reduce, reduce_bool, barrier, broadcast, all_gather) is called by
 *     every rank in the same order; single-device's are identities.
 *   - save_checkpoint decides which ranks write: `write(arg, path)` builds and writes the
 *     file (single-device and DDP: global rank 0 only; sharded strategies: every rank).
 *   - Entries return LT_OK or LT_ERROR with the message on the context (ltr_fail).
 */
#ifndef LTR_STRATEGY_H
#define LTR_STRATEGY_H

#include "core/context.h"
#include "ltrun.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ltr_precision; /* precision/precision.h */

typedef enum ltr_collective_op { LTR_REDUCE_SUM, LTR_REDUCE_MEAN, LTR_REDUCE_MAX, LTR_REDUCE_MIN } ltr_collective_op;

typedef struct ltr_strategy ltr_strategy;

typedef struct ltr_strategy_ops {
    const char *name; /* "single_device", or the plugin's name */
    lt_status (*setup_environment)(ltr_strategy *s, lt_ctx *ctx);
    /* After configure_model/create: parameters to the device, wrappers (DDP's buckets). */
    lt_status (*setup)(ltr_strategy *s, lt_ctx *ctx);
    void (*teardown)(ltr_strategy *s, lt_ctx *ctx);
    /* Lightning's batch_to_device: the collated batch onto the strategy's device. */
    lt_status (*batch_to_device)(ltr_strategy *s, lt_ctx *ctx, lt_batch *batch);
    /* precision.pre_backward, the backward pass, precision.post_backward */
    lt_status (*backward)(ltr_strategy *s, lt_ctx *ctx, lt_tensor *loss);
    /* precision.optimizer_step around the optimizer's update */
    lt_status (*optimizer_step)(ltr_strategy *s, lt_ctx *ctx, lt_optimizer *opt);
    /* values[0..n) reduced in place over all ranks */
    lt_status (*reduce)(ltr_strategy *s, lt_ctx *ctx, double *values, int64_t n, ltr_collective_op op);
    /* Lightning's reduce_boolean_decision: all = true: every rank's decision must be
     * true; all = false: any rank's true decides */
    lt_status (*reduce_bool)(ltr_strategy *s, lt_ctx *ctx, bool *decision, bool all);
    lt_status (*barrier)(ltr_strategy *s, lt_ctx *ctx, const char *name);
    lt_status (*broadcast)(ltr_strategy *s, lt_ctx *ctx, void *buf, size_t bytes, int64_t src);
    /* out: [world_size, *x's shape], x's dtype */
    lt_status (*all_gather)(ltr_strategy *s, lt_ctx *ctx, const lt_tensor *x, lt_tensor *out);
    lt_status (*save_checkpoint)(ltr_strategy *s, lt_ctx *ctx, const char *path,
                                 lt_status (*write)(void *arg, const char *path), void *arg);
    /* Lightning's Strategy.on_exception: the run failed on this rank (after the
     * callbacks' on_exception, before teardown) */
    void (*on_exception)(ltr_strategy *s, lt_ctx *ctx, const char *message);
} ltr_strategy_ops;

struct ltr_strategy {
    const ltr_strategy_ops *ops;
    void *impl;                      /* the implementation's own state (owned by it) */
    struct ltr_precision *precision; /* owned by the strategy */
    int32_t device;                  /* the registered backend its tensors live on */
    int64_t rank, local_rank, node_rank, world_size;
    /* set before setup_environment: compute threads it gives OpenBLAS and OpenMP
     * (--trainer.num_threads; 0 = their defaults, all cores) */
    int64_t num_threads;
    /* set before setup_environment, for a strategy that starts or checks its processes:
     * --trainer.devices (0 = "auto") and --trainer.num_nodes as asked for, and the
     * command line as given (argv NULL: unknown) */
    int64_t devices, num_nodes;
    int argc;
    char **argv;
    /* LightningModule.backward as the trainer dispatches it (the override, else
     * loss.backward()); the backward entry reaches it through the precision. NULL:
     * loss.backward(). */
    lt_status (*module_backward)(void *arg, lt_ctx *ctx, lt_tensor *loss);
    void *module_backward_arg;
};

static inline bool ltr_strategy_is_global_zero(const ltr_strategy *s) { return s->rank == 0; }

/* What selects a strategy: --trainer.strategy's value and the precision it gets. */
typedef struct ltr_strategy_options {
    const char *name;       /* NULL, "", "auto" or "single_device": the built-in */
    int64_t precision;      /* --trainer.precision as the options store it (LTR_PRECISION_) */
    int64_t num_threads;    /* --trainer.num_threads */
    /* --strategy.KEY / the config's "strategy" object: a plugin's init args (borrowed;
     * NULL or empty: none; the built-in takes none) */
    const cJSON *init_args;
    int64_t devices;        /* --trainer.devices: 0 = "auto", else processes per node */
    int64_t num_nodes;      /* --trainer.num_nodes (>= 1) */
    int argc;               /* the command line as given (argv NULL: unknown) */
    char **argv;
} ltr_strategy_options;

/* Does `name` select the built-in single-device strategy (NULL, "", "auto",
 * "single_device")? */
bool ltr_strategy_name_is_builtin(const char *name);

/*
 * The run's strategy (strategy.c): the built-in for a built-in name, else the plugin
 * of that name (ltr_strategy_create_plugin). "auto" with devices or num_nodes above 1
 * is the "ddp" plugin, as Lightning's _choose_strategy picks DDP for several processes;
 * single_device with more is a usage error, as is an init arg for the built-in. setup_environment is not run yet: the
 * caller runs it first thing (ltr_strategy_setup_environment). On failure: NULL,
 * *exit_code set (2 usage, 3 plugin, 1 otherwise) and err holds one line.
 */
ltr_strategy *ltr_strategy_create(lt_ctx *ctx, const ltr_strategy_options *o, int *exit_code,
                                  char *err, size_t errcap);
/* A plugin strategy by name or path (the plugin adapter's; without plugin support an
 * error naming the value). Same contract as ltr_strategy_create. */
ltr_strategy *ltr_strategy_create_plugin(lt_ctx *ctx, const ltr_strategy_options *o,
                                         int *exit_code, char *err, size_t errcap);
/* teardown has run; frees what create made (NULL is fine). */
void ltr_strategy_destroy(ltr_strategy *s, lt_ctx *ctx);

/* setup_environment, then the context's rank/world_size follow the strategy's. */
lt_status ltr_strategy_setup_environment(ltr_strategy *s, lt_ctx *ctx);

#endif
