/*
 * batch_size_scaling.c — Tuner.scale_batch_size (lightning 2.6
 * tuner/batch_size_scaling.py) as `ltrun tune --tuner.mode scale_batch_size`: trial fits
 * of steps_per_trial steps (max_steps = limit_val_batches = steps_per_trial,
 * limit_train_batches 1.0, no loggers or callbacks), each with --data.<batch_arg_name>
 * set to the size under test, from init_val (2):
 *   power (default): double after every success, halve at the first out-of-memory
 *     failure (and stop there if any trial had succeeded), at most max_trials (25)
 *     trials — after the last success the doubled, untried size is the answer, as
 *     _run_power_scaling returns it;
 *   binsearch: double until a failure, then bisect between the last success and the
 *     failure until they are 1 apart (max_trials successes at most).
 * A size that reaches the train set's length stops the search ("The batch size N is
 * greater or equal than the length of your dataset."). Out of memory is what
 * is_oom_error means on CPU: a trial that fails with an allocation failure ("out of
 * memory", "can't allocate memory", "Cannot allocate memory"); any other failure stops
 * the tuner with the trial's exit status. Every trial starts from the module's initial
 * weights (tuner.h); the found size is printed and, with --tuner.fit true, used for the
 * fit (BatchSizeFinder continuing into the fit).
 */
#include "tuner/tuner.h"

#include "trainer/trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bs_search {
    const ltr_tune_args *a;
    const char *arg;       /* batch_arg_name */
    int64_t steps;         /* steps_per_trial */
    int64_t dataset_len;   /* len(train set) once a trial has run; -1 before */
} bs_search;

enum { TRIAL_OK = 0, TRIAL_OOM = 1, TRIAL_FAILED = 2 };

static bool is_oom_error(const char *msg) {
    return strstr(msg, "out of memory") || strstr(msg, "can't allocate memory") ||
           strstr(msg, "Cannot allocate memory");
}

/* one trial with batch size `size`; *code gets the exit status of a non-OOM failure */
static int trial(bs_search *s, int64_t size, int *code) {
    char flag[128], size_text[32], steps_text[32];
    snprintf(flag, sizeof flag, "--data.%s", s->arg);
    snprintf(size_text, sizeof size_text, "%lld", (long long)size);
    snprintf(steps_text, sizeof steps_text, "%lld", (long long)s->steps);
    const char *extra[] = {flag, size_text, "--trainer.max_steps", steps_text,
                           "--trainer.limit_train_batches", "1.0", "--trainer.limit_val_batches",
                           steps_text, "--trainer.enable_checkpointing", "false",
                           "--trainer.enable_progress_bar", "false",
                           "--trainer.enable_model_summary", "false"};
    ltr_run_report rep = {.quiet = true}; /* an OOM is an answer, not an error to print */
    int rc = ltr_tuner_run(s->a, extra, (int)(sizeof extra / sizeof extra[0]), true, NULL, &rep);
    if (rep.train_samples >= 0) s->dataset_len = rep.train_samples;
    if (rc == LTR_EXIT_OK) return TRIAL_OK;
    if (is_oom_error(rep.error)) return TRIAL_OOM;
    if (rep.error[0]) fprintf(stderr, "ltrun: error: %s\n", rep.error);
    *code = rc;
    return TRIAL_FAILED;
}

/* _adjust_batch_size: the next size (value >= 0) or size * factor; changed false when
 * the current size already reaches the dataset's length */
static int64_t adjust(bs_search *s, int64_t cur, double factor, int64_t value, const char *desc,
                      bool *changed) {
    if (s->dataset_len >= 0 && cur >= s->dataset_len) {
        printf("The batch size %lld is greater or equal than the length of your dataset.\n", (long long)cur);
        *changed = false;
        return cur;
    }
    int64_t next = value >= 0 ? value : (int64_t)((double)cur * factor);
    if (desc) printf("Batch size %lld %s, trying batch size %lld\n", (long long)cur, desc, (long long)next);
    fflush(stdout);
    *changed = next != cur;
    return next;
}

static int64_t power_scaling(bs_search *s, int64_t size, int64_t max_trials, int *code) {
    bool any_success = false, changed;
    for (int64_t t = 0; t < max_trials; t++) {
        int r = trial(s, size, code);
        if (r == TRIAL_FAILED) return -1;
        if (r == TRIAL_OK) {
            size = adjust(s, size, 2.0, -1, "succeeded", &changed);
            if (!changed) break;
            any_success = true;
        } else {
            size = adjust(s, size, 0.5, -1, "failed", &changed);
            if (any_success) break;
        }
    }
    return size;
}

static int64_t binary_scaling(bs_search *s, int64_t size, int64_t max_trials, int *code) {
    int64_t low = 1, high = 0, count = 0; /* high 0: None */
    bool changed;
    for (;;) {
        int r = trial(s, size, code);
        if (r == TRIAL_FAILED) return -1;
        if (r == TRIAL_OK) {
            if (++count > max_trials) break;
            low = size;
            if (high) {
                if (high - low <= 1) break;
                size = adjust(s, size, 1.0, (high + low) / 2, "succeeded", &changed);
            } else size = adjust(s, size, 2.0, -1, "succeeded", &changed);
            if (!changed) break;
        } else {
            high = size;
            size = adjust(s, size, 1.0, (high + low) / 2, "failed", &changed);
            if (high - low <= 1) break;
        }
    }
    return size;
}

int ltr_scale_batch_size_main(const ltr_tune_args *a) {
    char err[512];
    const char *mode, *arg;
    double steps, init, trials;
    bool fit;
    if (!ltr_tuner_str(a, "scale_mode", "power", &mode, err, sizeof err) ||
        !ltr_tuner_str(a, "batch_arg_name", "batch_size", &arg, err, sizeof err) ||
        !ltr_tuner_num(a, "steps_per_trial", 3, &steps, err, sizeof err) ||
        !ltr_tuner_num(a, "init_val", 2, &init, err, sizeof err) ||
        !ltr_tuner_num(a, "max_trials", 25, &trials, err, sizeof err) ||
        !ltr_tuner_bool(a, "fit", false, &fit, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        return LTR_EXIT_USAGE;
    }
    if (strcmp(mode, "power") && strcmp(mode, "binsearch")) {
        fprintf(stderr, "ltrun: error: --tuner.scale_mode should be either of ('power', "
                        "'binsearch'), got '%s'\n", mode);
        return LTR_EXIT_USAGE;
    }
    if (!(steps >= 1) || !(init >= 1) || !(trials >= 1)) {
        fprintf(stderr, "ltrun: error: scale_batch_size needs --tuner.steps_per_trial, "
                        "--tuner.init_val and --tuner.max_trials >= 1\n");
        return LTR_EXIT_USAGE;
    }
    ltr_options o;
    int code = ltr_tuner_options(a, &o);
    if (code) return code;
    bool dev_run = o.trainer.fast_dev_run > 0;
    ltr_options_free(&o);
    if (dev_run) {
        fprintf(stderr, "Skipping batch size scaler since `fast_dev_run` is enabled.\n");
        return fit ? ltr_tuner_run(a, NULL, 0, false, NULL, NULL) : LTR_EXIT_OK;
    }
    bs_search s = {.a = a, .arg = arg, .steps = (int64_t)steps, .dataset_len = -1};
    int64_t size = (int64_t)init;
    size = !strcmp(mode, "power") ? power_scaling(&s, size, (int64_t)trials, &code)
                                  : binary_scaling(&s, size, (int64_t)trials, &code);
    if (size < 0) {
        fprintf(stderr, "ltrun: error: scale_batch_size: a trial failed for a reason other than "
                        "memory (above); the search stopped\n");
        return code;
    }
    printf("Finished batch size finder, will continue with full run using batch size %lld\n",
           (long long)size);
    printf("scale_batch_size: %s = %lld\n", arg, (long long)size);
    fflush(stdout);
    if (!fit) return LTR_EXIT_OK;
    char flag[128], size_text[32];
    snprintf(flag, sizeof flag, "--data.%s", arg);
    snprintf(size_text, sizeof size_text, "%lld", (long long)size);
    const char *set[] = {flag, size_text};
    return ltr_tuner_run(a, set, 2, false, NULL, NULL);
}
