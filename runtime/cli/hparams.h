/*
 * hparams.h — hyperparameters handed to a plugin's create hook (--model.x / --data.x).
 *
 * Values come from the JSON config and dotted CLI options. Every lt_hp_* read is
 * recorded with the value actually used (given or default): that record is the
 * plugin's save_hyperparameters() for free. A key that was given but never read is a
 * typo until proven otherwise: ltr_hparams_check_unread reports it.
 */
#ifndef LTR_HPARAMS_H
#define LTR_HPARAMS_H

#include "ltrun.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct lt_hparams {
    const cJSON *given; /* borrowed: an object of key -> value */
    cJSON *used;        /* owned: key -> value read (given or default) */
    const char *option_prefix; /* "--model." or "--data.", for messages */
    /* config_origin.h: where a --config set the values (borrowed, may be NULL) and
     * their dotted path there ("model", "trainer.callbacks.0.init_args"), so that a
     * message about a key names the file and line */
    const cJSON *origins;
    char origin_path[128];
};

/* `given` is borrowed and must outlive hp; NULL means no values given. */
void ltr_hparams_init(lt_hparams *hp, const cJSON *given, const char *option_prefix);
void ltr_hparams_free(lt_hparams *hp);
/* Messages about a key name the --config file and line that set it (origins: the
 * options' record, borrowed; path: the values' dotted path in the config). */
void ltr_hparams_set_origin(lt_hparams *hp, const cJSON *origins, const char *path);
/* Error (LT_ERROR, message in err) if a given key was never read. */
lt_status ltr_hparams_check_unread(const lt_hparams *hp, const char *plugin, char *err,
                                   size_t cap);

/* lt_host_api members */
int64_t ltr_hp_int(lt_ctx *ctx, const lt_hparams *hp, const char *key, int64_t dflt);
double ltr_hp_float(lt_ctx *ctx, const lt_hparams *hp, const char *key, double dflt);
bool ltr_hp_bool(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool dflt);
const char *ltr_hp_str(lt_ctx *ctx, const lt_hparams *hp, const char *key, const char *dflt);

#endif
