/*
 * options_loop.c — the loop flags: min_epochs, min_steps, max_time, val_check_interval, accumulate_grad_batches,
 * gradient clipping, fast_dev_run, overfit_batches, trainer.callbacks; and how they
 * resolve into the typed config the way Lightning's Trainer.__init__ resolves them
 * (trainer/setup.py::_init_debugging_flags, loops/utilities.py::_parse_loop_limits,
 * callbacks/timer.py for max_time, connectors/data_connector.py for val_check_interval).
 *
 * Contract: options.c calls ltr_options_parse_loop_flag for each of these keys found in
 * the merged tree, then resolve_loop_flags once after every key was read.
 */
#include "cli/options.h"
#include "cli/pynum.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* trainer_type (options.h) names the flag kinds */

int ltr_options_parse_loop_flag(ltr_options *o, const char *key, int type, const cJSON *v,
                                void *field, char *err, size_t cap);
int resolve_loop_flags(ltr_trainer_config *t, char *err, size_t cap);
cJSON *ltr_options_callback_from_text(const char *flag, const char *text, char *err, size_t cap);


/* Timer(duration=...): "DD:HH:MM:SS" (Lightning's regex (\d+):(\d\d):(\d\d):(\d\d)), a
 * dict of timedelta's keywords, or (ltrun) a number of seconds. */
static int parse_time(const cJSON *v, double *out, char *err, size_t cap) {
    double secs;
    if (ltr_json_get_double(v, &secs)) {
        if (!isfinite(secs) || secs < 0)
            return ltr_usage_error(err, cap, "trainer.max_time: expected seconds >= 0, got %g", secs);
        *out = secs;
        return 0;
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        unsigned long d = 0, h, m, sec;
        int n = 0;
        const char *p = s;
        while (isdigit((unsigned char)*p)) p++;
        if (p > s && sscanf(s, "%lu:%2lu:%2lu:%2lu%n", &d, &h, &m, &sec, &n) == 4 && !s[n] &&
            strlen(p) == 9 && p[0] == ':' && p[3] == ':' && p[6] == ':') {
            *out = (double)d * 86400.0 + (double)h * 3600.0 + (double)m * 60.0 + (double)sec;
            return 0;
        }
        return ltr_usage_error(err, cap, "trainer.max_time: '%s' is not a valid duration; expected a string "
                              "in the format DD:HH:MM:SS (e.g. \"00:12:00:00\"), seconds, or "
                              "{\"hours\": 12}", s);
    }
    if (cJSON_IsObject(v)) {
        static const struct { const char *name; double seconds; } units[] = {
            {"weeks", 604800}, {"days", 86400}, {"hours", 3600}, {"minutes", 60},
            {"seconds", 1}, {"milliseconds", 1e-3}, {"microseconds", 1e-6}};
        double total = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, v) {
            size_t i = 0;
            while (i < sizeof units / sizeof units[0] && strcmp(units[i].name, item->string)) i++;
            double amount;
            if (i == sizeof units / sizeof units[0] || !ltr_json_get_double(item, &amount))
                return ltr_usage_error(err, cap, "trainer.max_time: '%s' is not a timedelta field (weeks, "
                                      "days, hours, minutes, seconds, milliseconds, microseconds "
                                      "with a number)", item->string);
            total += amount * units[i].seconds;
        }
        if (total < 0) return ltr_usage_error(err, cap, "trainer.max_time: the duration is negative");
        *out = total;
        return 0;
    }
    return ltr_usage_error(err, cap, "trainer.max_time: expected \"DD:HH:MM:SS\", seconds or a dict");
}

/* datetime.timedelta(**kwargs): its keywords, in seconds */
static const struct { const char *name; double seconds; } timedelta_keywords[] = {
    {"weeks", 604800}, {"days", 86400}, {"hours", 3600}, {"minutes", 60},
    {"seconds", 1}, {"milliseconds", 1e-3}, {"microseconds", 1e-6}};

/* Lightning 2.6's _parse_time_interval_seconds (trainer/setup.py): a str is split on
 * ':' into exactly four int() parts, days:hours:minutes:seconds; a dict is
 * timedelta(**value). A string that int()/float() read is a batch count or fraction,
 * not a duration (1). */
int ltr_options_parse_val_check_time(const cJSON *v, double *seconds, char *err, size_t cap) {
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        int64_t n;
        double d;
        if (ltr_py_int(s, &n) != LTR_PYNUM_INVALID || ltr_py_float(s, &d) != LTR_PYNUM_INVALID)
            return 1; /* "0.5", "10": how the command line writes a number */
        int64_t part[4];
        int nparts = 0;
        bool integers = true;
        for (const char *p = s;; nparts++) {
            const char *colon = strchr(p, ':');
            size_t len = colon ? (size_t)(colon - p) : strlen(p);
            char text[64];
            if (nparts < 4) {
                snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), p);
                integers &= len < sizeof text && ltr_py_int(text, &part[nparts]) == LTR_PYNUM_OK;
            }
            if (!colon) {
                nparts++;
                break;
            }
            p = colon + 1;
        }
        if (nparts != 4)
            return ltr_usage_error(err, cap, "trainer.val_check_interval: Invalid time format for "
                                             "`val_check_interval`: '%s'. Expected 'DD:HH:MM:SS'.", s);
        if (!integers)
            return ltr_usage_error(err, cap, "trainer.val_check_interval: Non-integer component in "
                                             "`val_check_interval` string: '%s'. Use 'DD:HH:MM:SS'.", s);
        *seconds = (double)part[0] * 86400.0 + (double)part[1] * 3600.0 + (double)part[2] * 60.0 +
                   (double)part[3];
        return 0;
    }
    if (cJSON_IsObject(v)) {
        double total = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, v) {
            size_t i = 0, nk = sizeof timedelta_keywords / sizeof timedelta_keywords[0];
            while (i < nk && strcmp(timedelta_keywords[i].name, item->string)) i++;
            double amount;
            if (i == nk)
                return ltr_usage_error(err, cap, "trainer.val_check_interval: '%s' is an invalid "
                                                 "keyword argument for timedelta() (weeks, days, "
                                                 "hours, minutes, seconds, milliseconds, "
                                                 "microseconds)", item->string);
            if (!ltr_json_get_double(item, &amount) || !isfinite(amount))
                return ltr_usage_error(err, cap, "trainer.val_check_interval: timedelta's %s "
                                                 "must be a number", item->string);
            total += amount * timedelta_keywords[i].seconds;
        }
        *seconds = total;
        return 0;
    }
    return 1;
}

static int parse_callbacks(ltr_options *o, const cJSON *v, char *err, size_t cap) {
    /* Trainer(callbacks=Callback): one callback, not in a list (LightningCLI takes both) */
    bool single = cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "class_path");
    if (single) {
        cJSON *one = cJSON_CreateArray();
        cJSON_AddItemReferenceToArray(one, (cJSON *)v);
        int rc = parse_callbacks(o, one, err, cap);
        cJSON_Delete(one); /* the reference only: v stays in the tree */
        if (!rc) snprintf(o->callbacks[o->ncallbacks - 1].origin, sizeof o->callbacks[0].origin,
                          "trainer.callbacks.init_args");
        return rc;
    }
    if (!cJSON_IsArray(v))
        return ltr_usage_error(err, cap, "trainer.callbacks: expected a list of {\"class_path\": PATH, "
                              "\"init_args\": {...}} (or --callback PATH[:JSON])");
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
        if (o->ncallbacks == LTR_MAX_CALLBACKS)
            return ltr_usage_error(err, cap, "trainer.callbacks: at most %d callbacks", LTR_MAX_CALLBACKS);
        ltr_callback_spec *c = &o->callbacks[o->ncallbacks];
        const cJSON *path = cJSON_IsString(item) ? item
                                                 : cJSON_GetObjectItemCaseSensitive(item, "class_path");
        const cJSON *args = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "init_args")
                                                 : NULL;
        if (!cJSON_IsString(path) || !path->valuestring[0])
            return ltr_usage_error(err, cap, "trainer.callbacks[%d]: needs \"class_path\" (the callback "
                                  "plugin's .so path)", o->ncallbacks);
        if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
            return ltr_usage_error(err, cap, "trainer.callbacks[%d]: \"init_args\" must be an object",
                        o->ncallbacks);
        static const cJSON empty = {.type = cJSON_Object};
        c->path = path->valuestring;
        c->init_args = cJSON_IsObject(args) ? args : &empty;
        snprintf(c->origin, sizeof c->origin, "trainer.callbacks.%d.init_args", o->ncallbacks);
        o->ncallbacks++;
    }
    return 0;
}

int ltr_options_parse_loop_flag(ltr_options *o, const char *key, int type, const cJSON *v,
                                void *field, char *err, size_t cap) {
    ltr_trainer_config *t = &o->trainer;
    switch (type) {
    case T_FLOAT: { /* gradient_clip_val */
        double d;
        if (!ltr_json_get_double(v, &d) || !isfinite(d))
            return ltr_usage_error(err, cap, "trainer.%s: expected a number or null", key);
        *(double *)field = d;
        return 0;
    }
    case T_TIME:
        return parse_time(v, (double *)field, err, cap);
    case T_CLIP_ALGO: { /* GradClipAlgorithmType.supported_type(algorithm.lower()) */
        char low[16] = "";
        if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof low)
            for (size_t i = 0; v->valuestring[i]; i++)
                low[i] = (char)tolower((unsigned char)v->valuestring[i]);
        if (strcmp(low, "norm") && strcmp(low, "value"))
            return ltr_usage_error(err, cap, "trainer.gradient_clip_algorithm: '%s' is invalid. Allowed "
                                  "algorithms: value, norm", cJSON_IsString(v) ? v->valuestring : "?");
        snprintf(t->gradient_clip_algorithm, sizeof t->gradient_clip_algorithm, "%s", low);
        return 0;
    }
    case T_DEV_RUN: { /* fast_dev_run: bool or int >= 0 */
        int64_t n = -1;
        if (cJSON_IsBool(v)) t->fast_dev_run = cJSON_IsTrue(v) ? 1 : 0;
        else if (ltr_json_get_int(v, &n) == LTR_PYNUM_OK && n >= 0)
            t->fast_dev_run = n;
        else
            return ltr_usage_error(err, cap, "trainer.fast_dev_run: expected true, false or a number of "
                                  "batches >= 0 (up to 9223372036854775807)");
        return 0;
    }
    case T_CALLBACKS:
        return parse_callbacks(o, v, err, cap);
    }
    return ltr_usage_error(err, cap, "trainer.%s: internal error (unknown flag type)", key);
}

static bool limit_enabled(ltr_limit l) { return l.is_fraction ? l.fraction > 0 : l.count > 0; }

int resolve_loop_flags(ltr_trainer_config *t, char *err, size_t cap) {
    /* _DataConnector.on_trainer_init: a float val_check_interval needs epochs (the
     * default None does not: it becomes 1.0, every num_training_batches batches) */
    if (t->check_val_every_n_epoch_none && t->val_check_interval_given &&
        !t->val_check_is_time && t->val_check_interval.is_fraction)
        return ltr_usage_error(err, cap, "trainer.val_check_interval should be an integer or a "
                              "time-based duration (str 'DD:HH:MM:SS' or dict kwargs for "
                              "timedelta) when check_val_every_n_epoch=None, found %g",
                    t->val_check_interval.fraction);
    if (t->overfit_batches.is_fraction && t->overfit_batches.fraction > 1.0)
        return ltr_usage_error(err, cap, "trainer.overfit_batches: a fraction must be in [0.0, 1.0]");
    /* _parse_loop_limits: max_epochs None -> 1000 unless max_steps or a Timer (max_time)
     * bounds the run; min_epochs None -> 1 when min_steps is set (so should_stop raised in
     * on_fit_start is re-evaluated after an epoch), else 0 */
    if (t->max_epochs == -2) t->max_epochs = t->max_steps == -1 && t->max_time < 0 ? 1000 : -1;
    if (t->min_epochs == -1) t->min_epochs = t->min_steps != -1 ? 1 : 0;
    /* _init_debugging_flags */
    bool overfit = limit_enabled(t->overfit_batches);
    if (t->fast_dev_run > 0) {
        ltr_limit n = {.is_fraction = false, .count = t->fast_dev_run};
        if (!overfit) t->limit_train_batches = t->limit_val_batches = n;
        t->limit_test_batches = t->limit_predict_batches = n;
        t->max_steps = t->fast_dev_run;
        t->num_sanity_val_steps = 0;
        t->max_epochs = 1;
        t->val_check_interval = (ltr_limit){.is_fraction = true, .fraction = 1.0};
        t->val_check_is_time = false; /* "time not applicable in fast_dev_run" */
        t->check_val_every_n_epoch = 1;
        t->check_val_every_n_epoch_none = false;
    }
    if (overfit) t->limit_train_batches = t->limit_val_batches = t->overfit_batches;
    return 0;
}

/* --callback PATH[:JSON] and --logger NAME[:JSON] (`flag` names which, for messages): the
 * JSON starts at the first ":{"; without one the whole text is the path. Returns
 * {"class_path": PATH, "init_args": {...}} or NULL with err set. */
cJSON *ltr_options_callback_from_text(const char *flag, const char *text, char *err, size_t cap) {
    bool logger = !strcmp(flag, "--logger");
    const char *sep = strstr(text, ":{");
    size_t plen = sep ? (size_t)(sep - text) : strlen(text);
    if (plen == 0) {
        ltr_usage_error(err, cap, "%s: expected %s, e.g. %s", flag,
                        logger ? "NAME[:JSON]" : "PATH[:JSON]",
                        logger ? "--logger csv or --logger ./my_logger.so:'{\"key\": 1}'"
                               : "--callback ./my_callback.so:'{\"patience\": 3}'");
        return NULL;
    }
    cJSON *args = sep ? cJSON_ParseWithOpts(sep + 1, NULL, 1) : cJSON_CreateObject();
    if (!cJSON_IsObject(args)) {
        cJSON_Delete(args);
        ltr_usage_error(err, cap, "%s %s: the init args after ':' must be a JSON object", flag, text);
        return NULL;
    }
    char *path = malloc(plen + 1);
    if (!path) {
        cJSON_Delete(args);
        ltr_usage_error(err, cap, "%s: out of memory", flag);
        return NULL;
    }
    memcpy(path, text, plen);
    path[plen] = '\0';
    cJSON *cb = cJSON_CreateObject();
    cJSON_AddStringToObject(cb, "class_path", path);
    cJSON_AddItemToObject(cb, "init_args", args);
    free(path);
    return cb;
}
