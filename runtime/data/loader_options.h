/*
 * loader_options.h — `--data.<option>` for the DataLoader options of every split
 *: num_workers, prefetch_factor, persistent_workers, pin_memory, timeout (ABI 1.9).
 *
 * The host reads them from the data module's hparams when given (so any data module
 * takes `--data.num_workers 2` without reading it itself, and the unread-hparam check
 * passes), and applies them over what the module's dataset hook set, for every split.
 * batch_size, shuffle and drop_last stay the data module's own hyperparameters.
 */
#ifndef LTR_LOADER_OPTIONS_H
#define LTR_LOADER_OPTIONS_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ltr_loader_overrides {
    bool has_num_workers, has_prefetch_factor, has_persistent_workers, has_pin_memory;
    int64_t num_workers, prefetch_factor;
    bool persistent_workers, pin_memory;
    bool has_timeout; /* ABI 1.9: DataLoader(timeout=), seconds */
    double timeout;
} ltr_loader_overrides;

/* Read the given ones (recorded as read); a wrong type is an error in ctx naming
 * the option. */
lt_status ltr_loader_overrides_read(lt_ctx *ctx, const lt_hparams *hp, ltr_loader_overrides *o);
/* Put them into a split's dataset description (after its dataset hook). */
void ltr_loader_overrides_apply(const ltr_loader_overrides *o, lt_dataset *ds);

#endif
