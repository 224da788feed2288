/*
 * plugin_strategy.h — a strategy plugin (LT_STRATEGY, --trainer.strategy NAME) behind the
 * ltr_strategy interface, and the extension query (lt_get_extension) it may use.
 */
#ifndef LTR_PLUGIN_STRATEGY_H
#define LTR_PLUGIN_STRATEGY_H

#include "strategy/strategy.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Load the strategy plugin `spec` (a NAME on the plugin search path or a path to a .so),
 * check its kind and ABI, and run its create hook. On failure: NULL, *exit_code set
 * (3 for a plugin that cannot be loaded, 1 when create fails) and err holds one line
 * naming the plugin; init_args (borrowed, may be NULL) are create's hp, and a given
 * key create never read is a usage error (2) naming --strategy.KEY. The strategy's
 * precision and device are the caller's to set.
 */
ltr_strategy *ltr_plugin_strategy_create(lt_ctx *ctx, const char *spec, const cJSON *init_args,
                                         int *exit_code, char *err, size_t errcap);
/* Run the plugin's destroy hook and unload it (NULL is fine). Call after teardown. */
void ltr_plugin_strategy_destroy(ltr_strategy *s, lt_ctx *ctx);

/* lt_host_api.get_extension: the extension struct for `id`, NULL when the id is unknown
 * or the caller is not a strategy plugin (see ltrun/strategy.h). */
const void *ltr_api_get_extension(lt_ctx *ctx, const char *id);

#endif
