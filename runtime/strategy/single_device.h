/*
 * single_device.h — the built-in strategy: one process, one device (Lightning's
 * SingleDeviceStrategy). Its collectives are identities; it is what "auto" and
 * "single_device" select, and what a plugin strategy's NULL entries fall back to.
 */
#ifndef LTR_SINGLE_DEVICE_H
#define LTR_SINGLE_DEVICE_H

#include "strategy/strategy.h"

extern const ltr_strategy_ops ltr_single_device_ops;

#endif
