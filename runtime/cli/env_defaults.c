/*
 * env_defaults.c — PL_TRAINER_<FLAG> environment variables, as Lightning's
 * _defaults_from_env_vars (utilities/argparse.py): each one, when set and not empty,
 * is the default of that Trainer argument; a value given in a --config or on the
 * command line wins. The value is read as _parse_env_variables reads it, with
 * ast.literal_eval (True, None, 3, 0.5, 'text'), and as the text itself when that
 * fails ("simple"). Variables that name no Trainer argument are ignored, as there.
 */
#include "cli/options.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

extern char **environ;

/* literal_eval of the text, as the text a --trainer.KEY option would take */
static const char *python_literal(const char *v, char *buf, size_t cap) {
    size_t n = strlen(v);
    if (!strcmp(v, "True")) return "true";
    if (!strcmp(v, "False")) return "false";
    if (!strcmp(v, "None")) return "null";
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) { /* 'text' */
        snprintf(buf, cap, "%.*s", (int)(n - 2), v + 1);
        return buf;
    }
    return v;
}

/* trainer.KEY into the tree, unless a config or the command line gave it already */
static int apply_one(cJSON *tree, const char *name, const char *key, const char *value,
                     char *err, size_t cap) {
    cJSON *tr = cJSON_GetObjectItemCaseSensitive(tree, "trainer");
    if (tr && cJSON_GetObjectItemCaseSensitive(tr, key)) return 0;
    char opt[160], lit[1024], why[1024];
    snprintf(opt, sizeof opt, "trainer.%s", key);
    const char *text = python_literal(value, lit, sizeof lit);
    /* checked alone first, so that a bad value names its variable */
    ltr_options alone;
    memset(&alone, 0, sizeof alone);
    alone.tree = cJSON_CreateObject();
    int rc = ltr_options_set_dotted(alone.tree, opt, text, why, sizeof why);
    if (!rc) {
        cJSON_AddObjectToObject(alone.tree, "model");
        cJSON_AddObjectToObject(alone.tree, "data");
        rc = ltr_options_resolve(&alone, why, sizeof why);
    }
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(alone.tree, "trainer"), key);
    cJSON_Delete(alone.tree);
    if (rc) {
        cJSON_Delete(v);
        /* the option's name in the message is this variable's */
        const char *msg = why;
        size_t olen = strlen(opt);
        if (!strncmp(msg, "--", 2) && !strncmp(msg + 2, opt, olen) && msg[olen + 2] == ':') msg += olen + 4;
        else if (!strncmp(msg, opt, olen) && msg[olen] == ':') msg += olen + 2;
        return ltr_usage_error(err, cap, "environment variable %s=%s: %s", name, value, msg);
    }
    if (!tr) tr = cJSON_AddObjectToObject(tree, "trainer");
    cJSON_AddItemToObject(tr, key, v);
    return 0;
}

int ltr_env_trainer_defaults(cJSON *tree, char *err, size_t cap) {
    static const char prefix[] = "PL_TRAINER_";
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, prefix, sizeof prefix - 1)) continue;
        const char *eq = strchr(*e, '=');
        if (!eq || !eq[1]) continue; /* unset or "": no default (Lightning skips it too) */
        char name[128], key[128];
        size_t n = (size_t)(eq - *e);
        if (n >= sizeof name) continue;
        memcpy(name, *e, n);
        name[n] = '\0';
        /* the argument's name upper-cased is the variable's tail: lower it back */
        size_t k = 0;
        for (const char *p = name + sizeof prefix - 1; *p && k + 1 < sizeof key; p++)
            key[k++] = (char)tolower((unsigned char)*p);
        key[k] = '\0';
        bool upper = true; /* PL_TRAINER_max_epochs is not the name Lightning looks up */
        for (const char *p = name + sizeof prefix - 1; *p; p++) upper &= !islower((unsigned char)*p);
        if (!upper) continue;
        if (ltr_trainer_key_type(key) < 0 && !ltr_trainer_fixed_default(key)) continue;
        int rc = apply_one(tree, name, key, eq + 1, err, cap);
        if (rc) return rc;
    }
    return 0;
}
