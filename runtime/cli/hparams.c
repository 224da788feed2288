/* hparams.c — typed, recorded reads of a plugin's hyperparameters. */
#include "cli/hparams.h"

#include "cli/config_origin.h"
#include "cli/pynum.h"
#include "core/context.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltr_hparams_init(lt_hparams *hp, const cJSON *given, const char *option_prefix) {
    hp->given = given;
    hp->used = cJSON_CreateObject();
    hp->option_prefix = option_prefix;
    hp->origins = NULL;
    hp->origin_path[0] = '\0';
}

void ltr_hparams_set_origin(lt_hparams *hp, const cJSON *origins, const char *path) {
    hp->origins = origins;
    snprintf(hp->origin_path, sizeof hp->origin_path, "%s", path ? path : "");
}

/* How a message names key: "--config F, line N: model.key" when a config set it,
 * else the option ("--model.key") */
static const char *key_name(const lt_hparams *hp, const char *key, char *buf, size_t cap) {
    char path[512], where[1200];
    snprintf(path, sizeof path, "%s.%s", hp->origin_path, key);
    if (hp->origin_path[0] && ltr_origin_describe(hp->origins, path, where, sizeof where))
        snprintf(buf, cap, "%s: %s", where, path);
    else
        snprintf(buf, cap, "%s%s", hp->option_prefix, key);
    return buf;
}

void ltr_hparams_free(lt_hparams *hp) {
    cJSON_Delete(hp->used);
    hp->used = NULL;
}

static const cJSON *lookup(const lt_hparams *hp, const char *key) {
    return hp && hp->given ? cJSON_GetObjectItemCaseSensitive(hp->given, key) : NULL;
}

/* A given value of the wrong type: an error naming the option and what it needs. */
static void type_error(lt_ctx *ctx, const lt_hparams *hp, const char *key, const cJSON *v,
                       const char *expected) {
    char *txt = cJSON_PrintUnformatted(v);
    char name[2048];
    ltr_fail(ctx, "%s: expected %s, got %s", key_name(hp, key, name, sizeof name), expected,
             txt ? txt : "?");
    cJSON_free(txt);
}

/* The read is recorded even when the value is the default: hparams show what ran. */
static void record(const lt_hparams *hp, const char *key, cJSON *value) {
    cJSON *used = hp->used;
    cJSON_DeleteItemFromObjectCaseSensitive(used, key);
    cJSON_AddItemToObject(used, key, value);
}

int64_t ltr_hp_int(lt_ctx *ctx, const lt_hparams *hp, const char *key, int64_t dflt) {
    const cJSON *v = lookup(hp, key);
    int64_t out = dflt;
    if (v) {
        /* an integer within int64, exactly (a raw node keeps digits a double would lose) */
        int64_t n;
        ltr_pynum r = ltr_json_get_int(v, &n);
        if (r == LTR_PYNUM_OK) {
            out = n;
        } else if (r == LTR_PYNUM_RANGE) {
            char txt[64];
            ltr_fail(ctx, "%s%s: %s is out of range (an integer from -9223372036854775808 to "
                          "9223372036854775807)", hp->option_prefix, key,
                     ltr_json_number_text(v, txt, sizeof txt));
        } else {
            type_error(ctx, hp, key, v, "an integer");
        }
    }
    record(hp, key, ltr_json_int(out));
    return out;
}

double ltr_hp_float(lt_ctx *ctx, const lt_hparams *hp, const char *key, double dflt) {
    const cJSON *v = lookup(hp, key);
    double out = dflt;
    if (v) {
        if (!ltr_json_get_double(v, &out)) type_error(ctx, hp, key, v, "a number"); /* raw big ints too */
    }
    record(hp, key, cJSON_CreateNumber(out));
    return out;
}

bool ltr_hp_bool(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool dflt) {
    const cJSON *v = lookup(hp, key);
    bool out = dflt;
    if (v) {
        if (!cJSON_IsBool(v)) {
            type_error(ctx, hp, key, v, "true or false");
        } else {
            out = cJSON_IsTrue(v);
        }
    }
    record(hp, key, cJSON_CreateBool(out));
    return out;
}

const char *ltr_hp_str(lt_ctx *ctx, const lt_hparams *hp, const char *key, const char *dflt) {
    const cJSON *v = lookup(hp, key);
    cJSON *rec;
    if (v && (cJSON_IsString(v) || (cJSON_IsRaw(v) && v->valuestring))) {
        rec = cJSON_CreateString(v->valuestring); /* raw: a big integer's digits */
    } else if (v && cJSON_IsNumber(v)) {
        /* "--data.data_dir 2024" arrives as a number; the user meant the text */
        char *txt = cJSON_PrintUnformatted(v);
        rec = cJSON_CreateString(txt ? txt : "");
        cJSON_free(txt);
    } else {
        if (v) {
            type_error(ctx, hp, key, v, "a string");
        }
        if (!dflt) return NULL;
        rec = cJSON_CreateString(dflt);
    }
    record(hp, key, rec);
    /* the returned string lives in hp->used until ltr_hparams_free */
    return cJSON_GetObjectItemCaseSensitive(hp->used, key)->valuestring;
}

lt_status ltr_hparams_check_unread(const lt_hparams *hp, const char *plugin, char *err,
                                   size_t cap) {
    if (!hp->given) return LT_OK;
    const cJSON *item;
    cJSON_ArrayForEach(item, hp->given) {
        if (cJSON_GetObjectItemCaseSensitive(hp->used, item->string)) continue;
        char known[512] = "";
        size_t len = 0;
        const cJSON *u;
        cJSON_ArrayForEach(u, hp->used) {
            int n = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "",
                             u->string);
            if (n < 0 || (size_t)n >= sizeof known - len) break;
            len += (size_t)n;
        }
        char name[2048];
        snprintf(err, cap, "%s: plugin '%s' has no such hyperparameter (it reads: %s)",
                 key_name(hp, item->string, name, sizeof name), plugin, len ? known : "none");
        return LT_ERROR;
    }
    return LT_OK;
}
