/*
 * trainer_fixed.c — Lightning 2.6 Trainer arguments that ltrun has no flag for yet but
 * accepts at the value that changes nothing for it, so that a LightningCLI config (and
 * --print-config's own output) reads back: plugins null, model_registry null, ... Any
 * other value is refused by name. A real flag of the same name in options.c's table
 * takes precedence: these are consulted only for keys that table does not know.
 */
#include "cli/options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *key, *json; /* Lightning's default, as --print-config writes it */
} fixed[] = {
    {"plugins", "null"},
    /* hyperparameters are always logged at run start (ltr_loggers_log_hyperparams) */
    {"enable_autolog_hparams", "true"},
    {"model_registry", "null"},
};
#define NFIXED (sizeof fixed / sizeof fixed[0])

const char *ltr_trainer_fixed_default(const char *key) {
    for (size_t i = 0; i < NFIXED; i++)
        if (!strcmp(fixed[i].key, key)) return fixed[i].json;
    return NULL;
}

const char *ltr_trainer_fixed_key(size_t i) { return i < NFIXED ? fixed[i].key : NULL; }

int ltr_trainer_check_fixed(const char *key, const cJSON *v, char *err, size_t cap) {
    const char *json = ltr_trainer_fixed_default(key);
    cJSON *want = json ? cJSON_Parse(json) : NULL;
    bool same = want && v && cJSON_Compare(want, v, true);
    /* num_nodes 1.0 or "1" is not Lightning's int either: only the exact default */
    cJSON_Delete(want);
    if (same) return 0;
    char *got = v ? cJSON_PrintUnformatted(v) : NULL;
    int rc = ltr_usage_error(err, cap, "trainer.%s: ltrun runs it only at Lightning's default %s "
                                       "(got %s): leave it out or set %s", key, json,
                             got ? got : "?", json);
    cJSON_free(got);
    return rc;
}
