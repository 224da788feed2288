/*
 * strategy.c — choosing the run's strategy by --trainer.strategy, and the calls the
 * trainer makes around its entries.
 */
#include "strategy/strategy.h"

#include "precision/precision.h"
#include "strategy/plugin_strategy.h"
#include "strategy/single_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_TRAINING = 1, EXIT_USAGE = 2 }; /* DESIGN.md's exit codes (trainer.h) */

bool ltr_strategy_name_is_builtin(const char *name) {
    return !name || !*name || !strcmp(name, "auto") || !strcmp(name, "single_device");
}

/* The precision o names (the built-ins are static), or NULL with the usage error. */
static ltr_precision *builtin_precision(const ltr_strategy_options *o, int *exit_code, char *err,
                                        size_t errcap) {
    ltr_precision *p = ltr_precision_builtin(o->precision);
    if (!p) {
        *exit_code = EXIT_USAGE;
        snprintf(err, errcap, "--trainer.precision: code %lld is not a built-in precision (use "
                              "32-true, 64-true, bf16-mixed or 16-mixed)", (long long)o->precision);
    }
    return p;
}

/* The launch inputs every strategy gets before setup_environment. */
static void set_launch(ltr_strategy *s, const ltr_strategy_options *o) {
    s->num_threads = o->num_threads;
    s->devices = o->devices;
    s->num_nodes = o->num_nodes > 0 ? o->num_nodes : 1;
    s->argc = o->argc;
    s->argv = o->argv;
}

ltr_strategy *ltr_strategy_create(lt_ctx *ctx, const ltr_strategy_options *o, int *exit_code,
                                  char *err, size_t errcap) {
    bool several = o->devices > 1 || o->num_nodes > 1;
    if (several && o->name && !strcmp(o->name, "single_device")) {
        /* Lightning: SingleDeviceStrategy takes one device */
        *exit_code = EXIT_USAGE;
        snprintf(err, errcap, "--trainer.strategy single_device runs one process on one device, "
                              "but --trainer.devices %lld --trainer.num_nodes %lld ask for more: "
                              "use --trainer.strategy ddp", (long long)o->devices,
                 (long long)(o->num_nodes > 0 ? o->num_nodes : 1));
        return NULL;
    }
    if (several && ltr_strategy_name_is_builtin(o->name)) {
        /* _AcceleratorConnector._choose_strategy: several processes mean DDP */
        ltr_strategy_options ddp = *o;
        ddp.name = "ddp";
        ltr_strategy *s = ltr_strategy_create_plugin(ctx, &ddp, exit_code, err, errcap);
        if (!s && *exit_code == 3) {
            char why[1024];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errcap, "--trainer.devices %lld --trainer.num_nodes %lld: several "
                                  "processes need the ddp strategy plugin (built when configure "
                                  "finds MPI: apt-get install libopenmpi-dev openmpi-bin): %s",
                     (long long)o->devices, (long long)(o->num_nodes > 0 ? o->num_nodes : 1), why);
        }
        return s;
    }
    if (!ltr_strategy_name_is_builtin(o->name))
        return ltr_strategy_create_plugin(ctx, o, exit_code, err, errcap);
    if (o->init_args && o->init_args->child) {
        *exit_code = EXIT_USAGE;
        snprintf(err, errcap, "--strategy.%s: the built-in %s strategy takes no init args (they "
                              "are a strategy plugin's, e.g. --trainer.strategy ddp)",
                 o->init_args->child->string, o->name && *o->name ? o->name : "auto");
        return NULL;
    }
    ltr_precision *p = builtin_precision(o, exit_code, err, errcap);
    if (!p) return NULL;
    ltr_strategy *s = malloc(sizeof *s);
    if (!s) {
        *exit_code = EXIT_TRAINING;
        snprintf(err, errcap, "out of memory creating the single_device strategy");
        return NULL;
    }
    ltr_single_device_init(s, p, o->num_threads);
    set_launch(s, o);
    return s;
}

/* A strategy plugin through its adapter (plugin_strategy.c), with the precision and
 * thread count the built-in would get: entries the plugin leaves NULL run single-device's
 * code on this same struct. */
ltr_strategy *ltr_strategy_create_plugin(lt_ctx *ctx, const ltr_strategy_options *o,
                                         int *exit_code, char *err, size_t errcap) {
    ltr_precision *p = builtin_precision(o, exit_code, err, errcap);
    if (!p) return NULL;
    ltr_strategy *s = ltr_plugin_strategy_create(ctx, o->name, o->init_args, exit_code, err, errcap);
    if (!s) return NULL;
    s->precision = p;
    set_launch(s, o);
    return s;
}

/* The built-in's state is the struct itself; a plugin's is freed by its adapter. The
 * built-in precisions are static. */
void ltr_strategy_destroy(ltr_strategy *s, lt_ctx *ctx) {
    if (!s) return;
    if (s->ops == &ltr_single_device_ops) free(s);
    else ltr_plugin_strategy_destroy(s, ctx);
}

lt_status ltr_strategy_setup_environment(ltr_strategy *s, lt_ctx *ctx) {
    if (s->ops->setup_environment(s, ctx)) return LT_ERROR;
    /* the context's head is what hooks and the loaders' samplers read */
    ctx->rank = (int32_t)s->rank;
    ctx->world_size = (int32_t)s->world_size;
    return LT_OK;
}
