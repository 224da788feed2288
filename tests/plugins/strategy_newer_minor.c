/* A strategy plugin built for the next ABI minor: newer than this ltrun. */
#define FAKE_MAJOR 1
#define FAKE_MINOR (LT_ABI_MINOR + 1)
#define FAKE_NAME "strategy_newer_minor"
#define FAKE_KIND LT_KIND_STRATEGY
#define FAKE_VT_SIZE sizeof(lt_strategy_vtable)
#define FAKE_COUNT 1
#include "fake_descriptor.h"
