/* empty_strategy.c — a strategy plugin with no entries: everything falls back to the
 * built-in single-device strategy, so a fit with it equals one without. */
#include "ltrun.h"

LT_STRATEGY(empty_strategy, .flags = 0)
