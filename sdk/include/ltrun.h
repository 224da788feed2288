/*
 * ltrun.h — the whole SDK for ltrun plugins (LightningModule, DataModule, ...).
 *
 * A plugin is a shared object that exports one entry symbol, `ltrun_plugin_entry`,
 * written for you by LT_MODULE(...) / LT_DATAMODULE(...). The host calls it once,
 * checks the descriptor's ABI version, then calls the hooks in the vtable.
 *
 * Rules of the contract (the README's "Writing a plugin" has the rest):
 *  - Plugins link nothing from the host. Every service is a function pointer in
 *    lt_host_api, reached through ctx->api; the static inline wrappers in
 *    the topic headers under ltrun/ make calls read as plain C (`lt_relu(ctx, x)`).
 *  - Every struct that may grow starts with a `size` field and only grows at the end.
 *    ABI major differs -> refused; plugin minor > host minor -> refused; older minor works.
 *  - A hook left NULL gets Lightning's default behaviour.
 *  - Tensors returned by ops live in the per-step arena: never free them; they are
 *    invalid after the hook returns (the host resets the arena after each step).
 *    Parameters (lt_param, lt_linear_init) are owned by the host for the whole run.
 *  - Errors: ops given bad input record a message and return NULL; every op given a NULL
 *    input returns NULL, so an error flows to the end of the hook like a NaN. After each
 *    hook the host checks for a recorded error and reports plugin + hook + message.
 *    Call lt_fail() to report your own.
 */
#ifndef LTRUN_H
#define LTRUN_H

/* The SDK's topic headers, in dependency order: the types plugins fill, the host's
 * function table (ltrun/host_api.h, members in the order they were added), the
 * descriptor and the vtable of each plugin kind, then the documented lt_* wrappers. */
#include "ltrun/types.h"
#include "ltrun/options.h"
#include "ltrun/host_api.h"
#include "ltrun/descriptor.h"
#include "ltrun/module.h"
#include "ltrun/data.h"
#include "ltrun/callback.h"
#include "ltrun/logger.h"
#include "ltrun/core.h"
#include "ltrun/tensor.h"
#include "ltrun/ops.h"
#include "ltrun/nn.h"
#include "ltrun/log.h"
#include "ltrun/optim.h"
#include "ltrun/trainer.h"
#include "ltrun/checkpoint.h"
#include "ltrun/strategy.h"
#include "ltrun/grads.h"
#include "ltrun/distributed.h"

#endif /* LTRUN_H */
