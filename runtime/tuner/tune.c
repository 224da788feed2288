/*
 * tune.c — `ltrun tune --module M --data D [trainer/model/data flags] [--tuner.KEY V ...]`:
 * splits the tuner's flags from the rest, runs lr_find (the default, Tuner's first
 * method) or scale_batch_size (--tuner.mode), and runs the trials (tuner.h).
 */
#include "tuner/tuner.h"

#include "trainer/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const tuner_keys[] = {
    "mode", "fit",
    /* lr_find */
    "min_lr", "max_lr", "num_training", "lr_mode", "early_stop_threshold", "attr_name", "csv", "plot",
    /* scale_batch_size */
    "scale_mode", "steps_per_trial", "init_val", "max_trials", "batch_arg_name", NULL};

static bool known_key(const char *k) {
    for (int i = 0; tuner_keys[i]; i++)
        if (!strcmp(tuner_keys[i], k)) return true;
    return false;
}

bool ltr_tuner_num(const ltr_tune_args *a, const char *key, double def, double *out, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->tuner, key);
    if (!v) { *out = def; return true; }
    if (cJSON_IsNull(v)) { *out = NAN; return true; } /* None */
    if (!cJSON_IsNumber(v)) {
        snprintf(err, cap, "--tuner.%s: expected a number, got '%s'", key,
                 cJSON_IsString(v) ? v->valuestring : "?");
        return false;
    }
    *out = v->valuedouble;
    return true;
}

bool ltr_tuner_str(const ltr_tune_args *a, const char *key, const char *def, const char **out, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->tuner, key);
    (void)err; (void)cap;
    *out = cJSON_IsString(v) ? v->valuestring : def;
    if (v && !cJSON_IsString(v)) {
        snprintf(err, cap, "--tuner.%s: expected a string", key);
        return false;
    }
    return true;
}

bool ltr_tuner_bool(const ltr_tune_args *a, const char *key, bool def, bool *out, char *err, size_t cap) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->tuner, key);
    if (!v) { *out = def; return true; }
    if (!cJSON_IsBool(v)) {
        snprintf(err, cap, "--tuner.%s: expected true or false", key);
        return false;
    }
    *out = cJSON_IsTrue(v);
    return true;
}

int ltr_tuner_mkparent(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *slash = strrchr(tmp, '/');
    if (!slash || slash == tmp) return 0;
    *slash = '\0';
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

/* argv[0] "fit" + user flags + extra, for ltr_options_parse */
static char **build_argv(const ltr_tune_args *a, const char *const *extra, int nextra, int *argc) {
    char **v = calloc((size_t)(a->argc + nextra + 1), sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < a->argc; i++) v[i] = a->argv[i];
    for (int i = 0; i < nextra; i++) v[a->argc + i] = (char *)extra[i];
    *argc = a->argc + nextra;
    return v;
}

int ltr_tuner_options(const ltr_tune_args *a, ltr_options *o) {
    char err[1024];
    if (ltr_options_parse(a->argc, a->argv, o, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        ltr_options_free(o);
        return LTR_EXIT_USAGE;
    }
    return LTR_EXIT_OK;
}

int ltr_tuner_run(const ltr_tune_args *a, const char *const *extra, int nextra, bool trial,
                  const lt_descriptor *cb, ltr_run_report *rep) {
    int argc;
    char **argv = build_argv(a, extra, nextra, &argc);
    if (!argv) {
        fputs("ltrun: error: out of memory\n", stderr);
        return LTR_EXIT_TRAINING;
    }
    ltr_options o;
    char err[1024];
    int code;
    if (ltr_options_parse(argc, argv, &o, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        code = LTR_EXIT_USAGE;
    } else {
        if (trial) { /* DummyLogger, the tuner's own callback list, nothing written */
            o.logger_disabled = true;
            o.nloggers = 0;
            o.ncallbacks = 0;
            o.results_path = NULL;
            o.run_test = false;
        }
        o.builtin_callback = cb;
        o.report = rep;
        if (rep) { /* rep->quiet is the caller's */
            rep->error[0] = '\0';
            rep->train_samples = -1;
        }
        code = ltr_trainer_run(&o);
    }
    ltr_options_free(&o);
    free(argv);
    return code;
}

/* "--tuner.KEY VALUE" / "--tuner.KEY=VALUE": the value as JSON when it parses (numbers,
 * true/false/null), else as a string */
static int add_tuner_flag(cJSON *tuner, const char *key, const char *value) {
    if (!known_key(key)) {
        fprintf(stderr, "ltrun: error: unknown tuner option --tuner.%s (known: mode, fit, "
                        "min_lr, max_lr, num_training, lr_mode, early_stop_threshold, attr_name, "
                        "csv, plot, scale_mode, steps_per_trial, init_val, max_trials, "
                        "batch_arg_name)\n", key);
        return LTR_EXIT_USAGE;
    }
    cJSON *v = cJSON_Parse(value);
    if (!v || cJSON_IsObject(v) || cJSON_IsArray(v)) {
        cJSON_Delete(v);
        v = cJSON_CreateString(value);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(tuner, key);
    cJSON_AddItemToObject(tuner, key, v);
    return LTR_EXIT_OK;
}

int ltr_tune_main(int argc, char **argv) {
    cJSON *tuner = cJSON_CreateObject();
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!tuner || !rest) {
        cJSON_Delete(tuner);
        free(rest);
        fputs("ltrun: error: out of memory\n", stderr);
        return LTR_EXIT_TRAINING;
    }
    int n = 0, code = LTR_EXIT_OK;
    rest[n++] = argv[0];
    rest[n++] = "fit";
    for (int i = 2; i < argc && code == LTR_EXIT_OK; i++) {
        if (strncmp(argv[i], "--tuner.", 8)) {
            rest[n++] = argv[i];
            continue;
        }
        char key[64];
        const char *k = argv[i] + 8, *eq = strchr(k, '=');
        size_t kl = eq ? (size_t)(eq - k) : strlen(k);
        snprintf(key, sizeof key, "%.*s", (int)(kl < sizeof key ? kl : sizeof key - 1), k);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "ltrun: error: --tuner.%s needs a value\n", key);
            code = LTR_EXIT_USAGE;
        } else code = add_tuner_flag(tuner, key, value);
    }
    if (code == LTR_EXIT_OK) {
        ltr_tune_args a = {.argc = n, .argv = rest, .tuner = tuner};
        char err[256];
        const char *mode;
        if (!ltr_tuner_str(&a, "mode", "lr_find", &mode, err, sizeof err)) {
            fprintf(stderr, "ltrun: error: %s\n", err);
            code = LTR_EXIT_USAGE;
        } else if (!strcmp(mode, "lr_find")) code = ltr_lr_find_main(&a);
        else if (!strcmp(mode, "scale_batch_size")) code = ltr_scale_batch_size_main(&a);
        else {
            fprintf(stderr, "ltrun: error: --tuner.mode: '%s' is not a tuner method; use lr_find "
                            "or scale_batch_size\n", mode);
            code = LTR_EXIT_USAGE;
        }
    }
    cJSON_Delete(tuner);
    free(rest);
    return code;
}
