/*
 * single_device.h — the built-in strategy: one process, one device (Lightning's
 * SingleDeviceStrategy). Its collectives are identities; it is what "auto" and
 * "single_device" select, and what a plugin strategy's NULL entries fall back to.
 */
#ifndef LTR_SINGLE_DEVICE_H
#define LTR_SINGLE_DEVICE_H

#include "strategy/strategy.h"

extern const ltr_strategy_ops ltr_single_device_ops;

/* A single-device strategy in *s (zeroed first) with that precision, on device 0. */
void ltr_single_device_init(ltr_strategy *s, struct ltr_precision *precision, int64_t num_threads);

#endif
