/* ext_probe.c — a callback asking for the strategy extensions: callers that are not
 * strategy plugins get NULL for every id, known or not. Prints "ext_probe: ..." on stderr. */
#include "ltrun.h"

#include <stdio.h>

static lt_status probe(lt_ctx *ctx, void *self) {
    (void)self;
    fprintf(stderr, "ext_probe: gradients=%s strategy_base=%s\n",
            lt_get_extension(ctx, LT_EXT_GRADIENTS) ? "answered" : "NULL",
            lt_get_extension(ctx, LT_EXT_STRATEGY_BASE) ? "answered" : "NULL");
    return LT_OK;
}

LT_CALLBACK(ext_probe, .on_train_start = probe)
