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

ltr_strategy *ltr_strategy_create(lt_ctx *ctx, const ltr_strategy_options *o, int *exit_code,
                                  char *err, size_t errcap) {
    if (!ltr_strategy_name_is_builtin(o->name))
        return ltr_strategy_create_plugin(ctx, o, exit_code, err, errcap);
    ltr_precision *p = builtin_precision(o, exit_code, err, errcap);
    if (!p) return NULL;
    ltr_strategy *s = malloc(sizeof *s);
    if (!s) {
        *exit_code = EXIT_TRAINING;
        snprintf(err, errcap, "out of memory creating the single_device strategy");
        return NULL;
    }
    ltr_single_device_init(s, p, o->num_threads);
    return s;
}

/* A strategy plugin through its adapter (plugin_strategy.c), with the precision and
 * thread count the built-in would get: entries the plugin leaves NULL run single-device's
 * code on this same struct. */
ltr_strategy *ltr_strategy_create_plugin(lt_ctx *ctx, const ltr_strategy_options *o,
                                         int *exit_code, char *err, size_t errcap) {
    ltr_precision *p = builtin_precision(o, exit_code, err, errcap);
    if (!p) return NULL;
    ltr_strategy *s = ltr_plugin_strategy_create(ctx, o->name, exit_code, err, errcap);
    if (!s) return NULL;
    s->precision = p;
    s->num_threads = o->num_threads;
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
