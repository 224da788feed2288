/*
 * tuner.h — `ltrun tune`: Lightning's Tuner (lightning.pytorch.tuner.Tuner) for the
 * command line. Tuner.lr_find (tuner/lr_finder.py) and Tuner.scale_batch_size
 * (tuner/batch_size_scaling.py) run as trials: `fit` runs of the same module and data
 * with the user's flags, the tuner's limits on top, loggers and callbacks off (Lightning
 * swaps in a DummyLogger and its own callback list), each trial building its module
 * afresh from the same seed, so the weights every trial (and the fit after it) starts
 * from are the initial ones — what Lightning's save/restore of an initial checkpoint
 * gives. `--tuner.fit true` then fits with the result applied, as the LearningRateFinder
 * / BatchSizeFinder callbacks continue into the fit.
 */
#ifndef LTR_TUNER_H
#define LTR_TUNER_H

#include "cli/options.h"
#include "ltrun.h"

#include <stdbool.h>

/* `ltrun tune ...` (argv[1] == "tune"); returns the exit status */
int ltr_tune_main(int argc, char **argv);

/* ---- shared by the tuner's parts ---- */

/* the user's command line without "tune" and the --tuner.* flags */
typedef struct ltr_tune_args {
    int argc;
    char **argv;        /* argv[0] = program, argv[1] = "fit", then the user's flags */
    const cJSON *tuner; /* the --tuner.* values, as JSON (owned by the caller) */
} ltr_tune_args;

/* --tuner.<key> as a number / string / bool, or `def` when not given; a value of the
 * wrong type is a usage error (returns false with err filled) */
bool ltr_tuner_num(const ltr_tune_args *a, const char *key, double def, double *out, char *err, size_t cap);
bool ltr_tuner_str(const ltr_tune_args *a, const char *key, const char *def, const char **out, char *err, size_t cap);
bool ltr_tuner_bool(const ltr_tune_args *a, const char *key, bool def, bool *out, char *err, size_t cap);

/* One fit of the user's command line with `extra` flags after it. trial: loggers,
 * callbacks, --results and --test off, the in-process callback `cb` (may be NULL) run
 * first. The exit status; rep (may be NULL) gets the first error and the train set's length. */
int ltr_tuner_run(const ltr_tune_args *a, const char *const *extra, int nextra, bool trial,
                  const lt_descriptor *cb, ltr_run_report *rep);
/* the parsed options of the user's command line (for flags such as fast_dev_run) */
int ltr_tuner_options(const ltr_tune_args *a, ltr_options *o);

/* the folders above path, made as needed; 0 or -1 with errno */
int ltr_tuner_mkparent(const char *path);

int ltr_lr_find_main(const ltr_tune_args *a);
int ltr_scale_batch_size_main(const ltr_tune_args *a);

/* loss against learning rate as a PNG line chart (log x when log_x), the point at
 * `mark` (-1: none) in red: LRFinder.plot(suggest=True)'s figure. LT_OK or an error in err. */
lt_status ltr_plot_png(const char *path, const double *x, const double *y, int64_t n, bool log_x,
                       int64_t mark, char *err, size_t cap);

#endif
