/*
 * options_barebones.c — Trainer(barebones=True), as Lightning 2.6's Trainer.__init__:
 * every feature that may impact raw speed is off — checkpointing, the loggers, the
 * progress bar, log_every_n_steps (0), the model summary and the sanity check — and a
 * flag given against it raises with Lightning's message (a given False/0/None is fine:
 * Lightning tests the value, and its signature default for these is None). fast_dev_run,
 * detect_anomaly and profiler may not be turned on with it either. lt_log becomes a
 * warned no-op (trainer.c's log sink), and the run says what barebones turned off.
 *
 * Contract: options.c calls ltr_options_apply_barebones once, after every trainer key
 * was read into o->trainer and before the debugging flags resolve; `trainer` is the
 * merged tree's trainer section (what was given: configs, options, PL_TRAINER_*).
 */
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

/* The value as Python's repr prints it in Lightning's message: True, 50, 'simple'. */
static const char *python_repr(const cJSON *v, char *buf, size_t cap) {
    if (cJSON_IsTrue(v)) return "True";
    if (cJSON_IsFalse(v)) return "False";
    if (cJSON_IsNull(v)) return "None";
    if (cJSON_IsString(v)) {
        snprintf(buf, cap, "'%s'", v->valuestring);
        return buf;
    }
    if (cJSON_IsRaw(v) && v->valuestring) return v->valuestring;
    char *text = cJSON_PrintUnformatted(v);
    snprintf(buf, cap, "%s", text ? text : "?");
    cJSON_free(text);
    return buf;
}

/* given: present and not Lightning's "off" value (None, False, 0) */
static bool given_on(const cJSON *v) {
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v)) return false;
    if (cJSON_IsNumber(v)) return v->valuedouble != 0;
    return true;
}

int ltr_options_apply_barebones(ltr_options *o, const cJSON *trainer, char *err, size_t cap) {
    ltr_trainer_config *t = &o->trainer;
    if (!t->barebones) return 0;
    /* in Trainer.__init__'s order: the opt-outs, then the opt-ins */
    static const struct { const char *key, *why; } refused[] = {
        {"enable_checkpointing", "Checkpointing can impact raw speed so it is disabled in barebones mode."},
        {"logger", "Logging can impact raw speed so it is disabled in barebones mode."},
        {"enable_progress_bar", "The progress bar can impact raw speed so it is disabled in barebones mode."},
        {"log_every_n_steps", "Logging can impact raw speed so it is disabled in barebones mode."},
        {"enable_model_summary", "Model summary can impact raw speed so it is disabled in barebones mode."},
        {"num_sanity_val_steps", "Sanity checking can impact raw speed so it is disabled in barebones mode."},
        {"fast_dev_run", "Development run is not meant for raw speed evaluation so it is disabled in "
                         "barebones mode."},
        {"detect_anomaly", "Anomaly detection can impact raw speed so it is disabled in barebones mode."},
        {"profiler", "Profiling can impact raw speed so it is disabled in barebones mode."},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(trainer, refused[i].key);
        /* logger: anything but None and False ([] too); profiler: anything but None */
        bool on = !strcmp(refused[i].key, "logger") ? v && !cJSON_IsNull(v) && !cJSON_IsFalse(v)
                  : !strcmp(refused[i].key, "profiler") ? v && !cJSON_IsNull(v)
                                                        : given_on(v);
        if (!on) continue;
        char repr[256];
        return ltr_usage_error(err, cap, "trainer.%s: `Trainer(barebones=True, %s=%s)` was passed. %s",
                               refused[i].key, refused[i].key, python_repr(v, repr, sizeof repr),
                               refused[i].why);
    }
    t->enable_checkpointing = false;
    o->logger_disabled = true;
    o->nloggers = 0;
    t->enable_progress_bar = false;
    t->log_every_n_steps = 0;
    t->enable_model_summary = false;
    t->num_sanity_val_steps = 0;
    return 0;
}
