/*
 * trainer.h — Lightning's Trainer: loads the plugins, runs fit / validate / test in
 * Lightning's hook order, collects logged metrics, reports results.
 *
 * trainer.c owns set-up and tear-down (plugins, instances, loaders, optimizer),
 * loops.c the fit, training-epoch and evaluation loops, report.c the results table
 * and the --results JSON. All of them share ltr_trainer below.
 */
#ifndef LTR_TRAINER_H
#define LTR_TRAINER_H

#include "cli/hparams.h"
#include "cli/options.h"
#include "core/context.h"
#include "data/dataloader.h"
#include "optim/configure.h"
#include "plugin/loader.h"
#include "tensor/tensor.h"
#include "trainer/progress.h"
#include "trainer/results.h"
#include "util/rng.h"

#include <signal.h>

/* Exit statuses (DESIGN.md conventions). */
enum { LTR_EXIT_OK = 0, LTR_EXIT_TRAINING = 1, LTR_EXIT_USAGE = 2, LTR_EXIT_PLUGIN = 3,
       LTR_EXIT_INTERRUPTED = 130 };

typedef struct ltr_trainer {
    const ltr_options *opts;
    ltr_plugin module_plugin, data_plugin;
    const void *mvt, *dvt;          /* the plugins' vtables (size-checked through LTR_HOOK) */
    ltr_ctx ctx;                    /* the one context every hook gets */
    ltr_arena *arena;
    ltr_tape *tape;
    ltr_param_store params;
    ltr_rng rng;
    lt_hparams model_hp, data_hp;
    void *module, *dm;              /* instances made by the plugins' create hooks */
    bool module_created, dm_created;
    lt_optimizer *optim;            /* trainer.optimizers[0] (in optim_setup) */
    ltr_optim_setup optim_setup;    /* configure_optimizers' optimizers and scheduler configs */
    ltr_dataloader loaders[4];      /* by lt_split */
    bool has_loader[4];
    ltr_results train_results, eval_results;
    ltr_results *active_results;    /* where lt_log goes right now */
    ltr_metric_dict logged;         /* trainer.logged_metrics of the last collection */
    ltr_metric_dict pbar;           /* progress_bar_metrics */
    ltr_metric_dict callback;       /* trainer.callback_metrics */
    ltr_progress progress;
    cJSON *stage_results;           /* {"validate": {...}, "test": {...}} (owned) */
    bool should_stop;
    int exit_code;                  /* set with the first error */
} ltr_trainer;

/* Run the command in `o`; returns the process exit status. */
int ltr_trainer_run(const ltr_options *o);

/* ---- shared between trainer.c, loops.c and report.c ---- */

/* Call a hook: sets the context's plugin/hook names, runs `rc`, and turns a returned
 * error or a recorded one into "module 'mlp' hook training_step: <message>". */
lt_status ltr_trainer_hook_done(ltr_trainer *t, bool is_module, const char *hook, lt_status rc);
void ltr_trainer_hook_begin(ltr_trainer *t, bool is_module, const char *hook);
/* Record a trainer-level error (first wins) with its exit status. */
void ltr_trainer_error(ltr_trainer *t, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Batches to run from a loader of `len` batches under a limit (Lightning's
 * _parse_num_batches); -1 with an error when a positive fraction rounds to 0. */
int64_t ltr_limit_batches(ltr_trainer *t, const char *flag, ltr_limit limit, int64_t len);

lt_status ltr_fit_loop(ltr_trainer *t);
/* One evaluation run over `split` (validation or test); sanity = the pre-fit check. */
lt_status ltr_eval_loop(ltr_trainer *t, lt_split split, int64_t max_batches, bool sanity);

/* Print the metrics table Lightning prints after validate/test, and keep the stage's
 * metrics for --results. */
void ltr_report_stage(ltr_trainer *t, const char *stage, const ltr_metric_dict *metrics);
/* Write t->stage_results to path atomically (temp file + rename). */
lt_status ltr_report_write_json(ltr_trainer *t, const char *path);

extern volatile sig_atomic_t ltr_interrupted;

#endif
