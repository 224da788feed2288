/* loader_options.c — --data.num_workers & co. over every split; see loader_options.h. */
#include "data/loader_options.h"

#include "cli/hparams.h"
#include "core/context.h"

#include <limits.h>
#include <string.h>

static bool given(const lt_hparams *hp, const char *key) {
    return hp && hp->given && cJSON_GetObjectItemCaseSensitive(hp->given, key);
}

lt_status ltr_loader_overrides_read(lt_ctx *ctx, const lt_hparams *hp, ltr_loader_overrides *o) {
    memset(o, 0, sizeof *o);
    if ((o->has_num_workers = given(hp, "num_workers")))
        o->num_workers = ltr_hp_int(ctx, hp, "num_workers", 0);
    if ((o->has_prefetch_factor = given(hp, "prefetch_factor")))
        o->prefetch_factor = ltr_hp_int(ctx, hp, "prefetch_factor", 2);
    if ((o->has_persistent_workers = given(hp, "persistent_workers")))
        o->persistent_workers = ltr_hp_bool(ctx, hp, "persistent_workers", false);
    if ((o->has_pin_memory = given(hp, "pin_memory")))
        o->pin_memory = ltr_hp_bool(ctx, hp, "pin_memory", false);
    if ((o->has_timeout = given(hp, "timeout")))
        o->timeout = ltr_hp_float(ctx, hp, "timeout", 0.0);
    if (ltr_ctx_of(ctx)->failed) return LT_ERROR;
    /* out of int32 range: clamp so the loader's own check names the value as too
     * small/large instead of a wrapped one */
    if (o->num_workers > INT_MAX || o->num_workers < INT_MIN)
        return ltr_fail(ctx, "%snum_workers: %lld is out of range", hp->option_prefix,
                        (long long)o->num_workers);
    if (o->prefetch_factor > INT_MAX || o->prefetch_factor < INT_MIN)
        return ltr_fail(ctx, "%sprefetch_factor: %lld is out of range", hp->option_prefix,
                        (long long)o->prefetch_factor);
    return LT_OK;
}

void ltr_loader_overrides_apply(const ltr_loader_overrides *o, lt_dataset *ds) {
    if (o->has_num_workers) ds->num_workers = (int32_t)o->num_workers;
    if (o->has_prefetch_factor) ds->prefetch_factor = (int32_t)o->prefetch_factor;
    if (o->has_persistent_workers) ds->persistent_workers = o->persistent_workers;
    if (o->has_pin_memory) ds->pin_memory = o->pin_memory;
    if (o->has_timeout) ds->timeout = o->timeout;
}
