/*
 * trainer.h — Lightning's Trainer: loads the plugins, runs fit / validate / test in
 * Lightning's hook order, collects logged metrics, reports results.
 *
 * trainer.c owns set-up and tear-down (plugins, instances, loaders, optimizer),
 * loops/ the fit, training-epoch, evaluation and prediction loops, report.c the results table
 * and the --results JSON. All of them share ltr_trainer below.
 */
#ifndef LTR_TRAINER_H
#define LTR_TRAINER_H

#include "cli/hparams.h"
#include "cli/options.h"
#include "core/context.h"
#include "data/dataloader.h"
#include "data/loader_options.h"
#include "optim/configure.h"
#include "plugin/loader.h"
#include "tensor/tensor.h"
#include "trainer/hooks.h"
#include "trainer/connectors/logger_connector.h"
#include "trainer/progress.h"
#include "trainer/results.h"
#include "util/rng.h"

#include <signal.h>

/* Exit statuses (DESIGN.md conventions). */
enum { LTR_EXIT_OK = 0, LTR_EXIT_TRAINING = 1, LTR_EXIT_USAGE = 2, LTR_EXIT_PLUGIN = 3,
       LTR_EXIT_INTERRUPTED = 130 };

/* the fit loop's progress, Lightning's names (loops/fit_loop.py,
 * loops/training_epoch_loop.py, connectors/data_connector.py). */
typedef struct ltr_loop_state {
    int64_t num_training_batches;  /* after limit_train_batches */
    int64_t num_val_batches;       /* after limit_val_batches, summed over the val
                                      loaders; 0 = validation off */
    int64_t val_batches[LT_MAX_DATALOADERS]; /* per val loader (trainer.num_val_batches) */
    int64_t val_check_batch;       /* validate when (batch_idx + 1) % this == 0 */
    int64_t total_batch_idx;       /* batches made ready, across epochs, minus 1 */
    int64_t epochs_processed;      /* epoch_progress.current.processed */
    int64_t batches_that_stepped;
    bool should_accumulate;        /* the current batch only accumulates gradients */
    bool is_last_batch;            /* batch_progress.is_last_batch: the epoch's last batch */
    lt_tensor *step_output;        /* validation/test_step's lt_step_output (the step's arena) */
    bool estimated_ready;          /* num_training_batches is known */
    double train_start;            /* max_time's Timer: monotonic seconds at on_train_start */
    /* time-based val_check_interval: monotonic seconds of the last validation's end (or
     * of the train loader's setup), Lightning's trainer._last_val_time */
    double last_val_time;
    /* reload_dataloaders_every_n_epochs: the epoch each loader was last built in
     * (_last_train_dl_reload_epoch / _last_val_dl_reload_epoch); the val one is unknown
     * until the first validation when no sanity check built it (Lightning builds it
     * there), and "never" (-inf) when the sanity check ran outside a validation epoch */
    int64_t train_reload_epoch, val_reload_epoch;
    bool val_reload_known, val_reload_never;
    bool stop_info_shown;
    /* log_every_n_steps (log_gating.c): trainer._active_loop and, for an
     * evaluation/predict loop, its batch_progress.current.ready */
    int active_loop;               /* LTR_LOOP_NONE / FIT / EVAL */
    int64_t eval_ready;
    int64_t eval_total;            /* the running eval/predict loop's batch count */
    /* checkpoints — where in the epoch the fit is, and where a resume starts */
    bool epoch_in_progress;        /* an epoch started and has not run its last batch */
    int64_t epoch_index;           /* that epoch */
    int64_t epoch_batches_done;    /* its batches completed so far */
    int64_t resume_batch;          /* restored mid-epoch: the next epoch starts here (once) */
    /* the restored checkpoint's world size and train batch size per rank (0: not
     * recorded): resume_batch was counted in its batches */
    int64_t resume_world_size, resume_batch_size;
    bool restored;                 /* fit resumes from --ckpt-path (no sanity check) */
} ltr_loop_state;
enum { LTR_LOOP_NONE = 0, LTR_LOOP_FIT, LTR_LOOP_EVAL };

/* the logger connector's state (Lightning's _LoggerConnector and _ResultCollection) */
typedef struct ltr_logged_state {
    ltr_results train, eval;        /* the fit loop's and the evaluation loop's results */
    ltr_results *active;            /* where lt_log goes right now */
    ltr_metric_dict logged;         /* trainer.logged_metrics of the last collection */
    ltr_metric_dict pbar;           /* progress_bar_metrics */
    ltr_metric_dict callback;       /* trainer.callback_metrics */
} ltr_logged_state;

/* trainer.profiler and trainer.detect_anomaly (NULL: off) */
typedef struct ltr_tools {
    struct ltr_profiler *profiler;
    struct ltr_anomaly *anomaly;
} ltr_tools;

/* manual optimization (loops/manual.c) */
typedef struct ltr_manual_state {
    bool enabled;                   /* the module set automatic_optimization = False */
    bool step_running;              /* inside the manual batch's training_step: steps count */
    int8_t *requires_grad_state;    /* toggle_optimizer's saved flags by parameter index
                                       (-1: not saved); owned, NULL until the first toggle */
} ltr_manual_state;

/* the checkpoint connector's state (connectors/checkpoint_*.c) */
typedef struct ltr_ckpt_conn_state {
    struct ltr_ckpt *pending;       /* opened at start-up (ltr_checkpoint_open_early) until
                                       ltr_checkpoint_restore applies the weights; then, for
                                       fit, its optimizer/loop state applied after
                                       configure_optimizers (owned) */
    cJSON *model_hp, *data_hp;      /* load_from_checkpoint: saved hparams + overrides
                                       (owned; NULL: the options' own) */
    /* ModelCheckpoint.best_model_path / last_model_path as the callback last reported
     * them (lt_checkpoint_paths_set); "" when none */
    char best_path[2048], last_path[2048];
    /* the dirpaths Checkpoint callbacks reported in setup, where `--ckpt-path last`
     * looks for last*.h5 */
    char dirpaths[8][1024];
    int ndirpaths;
} ltr_ckpt_conn_state;

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
    ltr_dataloader loaders[4];      /* by lt_split: its first (often only) loader */
    bool has_loader[4];
    /* ABI 1.9: several loaders of a split (num_dataloaders): how many (0 without a
     * loader) and the ones after the first (owned; ltr_trainer_loader reaches them all) */
    int nloaders[4];
    ltr_dataloader *more_loaders[4];
    ltr_logged_state metrics;       /* the logger connector's results and metric dicts */
    ltr_progress progress;
    cJSON *stage_results;           /* {"validate": {...}, "test": {...}} (owned) */
    bool should_stop;
    int exit_code;                  /* set with the first error */
    ltr_tools tools;                /* profiler, detect_anomaly */
    /* hooks, callbacks and loop flags */
    ltr_callback_set cbs;           /* --callback plugins, in dispatch order */
    bool attaching_model_callbacks; /* ABI 1.5: inside the module's configure_callbacks */
    ltr_loop_state loop;            /* fit-loop progress (loops/) */
    char error_msg[1024];           /* the first error, for on_exception */
    bool exception_handled;         /* on_exception was called for it (once per run) */
    bool barebones_log_warned;      /* barebones: lt_log's warning was shown */
    ltr_manual_state manual;        /* manual optimization (loops/manual.c) */
    ltr_logger_set lgs;             /* trainer.loggers (logger_connector.c) */
    ltr_ckpt_conn_state ckpt;       /* the checkpoint connector's state */
    /* --data.num_workers & co., read at the data module's
     * create, applied to every split's loader */
    ltr_loader_overrides loader_over;
    /* the run's strategy (strategy/strategy.h; owned): made first, before the signal
     * thread; the loops reach autograd, the optimizer and collectives only through it */
    struct ltr_strategy *strategy;
    bool strategy_set_up;           /* strategy.setup ran (once a run, at the first stage,
                                       after configure_model) */
    /* ABI 1.9: module hooks — DataHooks.prepare_data_per_node of the module and of the
     * data module (true unless lt_set_prepare_data_per_node in create said false) */
    bool module_prepare_data_per_node, dm_prepare_data_per_node;
} ltr_trainer;

/* Does this process write the run's files and output (loggers, checkpoints, the progress
 * bar, the results table, --results, --predictions)? Lightning's rank_zero_only: the
 * strategy's global rank 0. */
bool ltr_trainer_is_global_zero(const ltr_trainer *t);

/* Run the command in `o`; returns the process exit status. */
int ltr_trainer_run(const ltr_options *o);

/* ---- shared between trainer.c, loops/ and report.c ---- */

/* Call a hook: sets the context's plugin/hook names, runs `rc`, and turns a returned
 * error or a recorded one into "module 'mlp' hook training_step: <message>". */
lt_status ltr_trainer_hook_done(ltr_trainer *t, bool is_module, const char *hook, lt_status rc);
void ltr_trainer_hook_begin(ltr_trainer *t, bool is_module, const char *hook);
/* The module's (is_module) or data module's name, for messages ("?" before loading). */
const char *ltr_trainer_plugin_name(const ltr_trainer *t, bool is_module);
/* Record a trainer-level error (first wins) with its exit status. */
void ltr_trainer_error(ltr_trainer *t, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Batches to run from a loader of `len` batches under a limit (Lightning's
 * _parse_num_batches); -1 with an error when a positive fraction rounds to 0.
 * ABI 1.9: a loader of unknown length (an iterable dataset, len LTR_LEN_UNKNOWN) has
 * LTR_INF_BATCHES (Lightning's float('inf')) under 1.0, the count under an int, and a
 * fraction other than 1.0 is Lightning's MisconfigurationException. */
int64_t ltr_limit_batches(ltr_trainer *t, const char *flag, ltr_limit limit, int64_t len);
/* ABI 1.9: float('inf') batches — an iterable dataset's epoch, which ends when its
 * stream does; sums of batch counts saturate at it */
#define LTR_INF_BATCHES INT64_MAX
static inline int64_t ltr_batches_add(int64_t a, int64_t b) {
    return a > LTR_INF_BATCHES - b ? LTR_INF_BATCHES : a + b;
}

lt_status ltr_fit_loop(ltr_trainer *t);

/* precision.forward_context around a step hook (training/validation/test/predict_step,
 * forward): enter before the hook, exit right after it; a failed enter is reported. */
lt_status ltr_step_context_enter(ltr_trainer *t, const char *hook);
/* strategy.barrier(name) where Lightning has one; a failure is reported */
lt_status ltr_trainer_barrier(ltr_trainer *t, const char *name);
void ltr_step_context_exit(ltr_trainer *t, const char *hook);

/* the automatic-optimization step of one batch — closure
 * (training_step, zero_grad, backward), optimizer_step with on_before_optimizer_step and
 * gradient clipping. *outputs gets the loss for on_train_batch_end (or NULL). */
lt_status ltr_automatic_step(ltr_trainer *t, lt_batch *batch, int64_t batch_idx,
                             lt_tensor **outputs);
/* Strategy.backward — CB/LM on_before_backward(loss), the
 * backward pass, CB/LM on_after_backward. LT_ERROR with t->exit_code set when a hook
 * failed (reported), else with the backward pass's message left on the context. */
lt_status ltr_strategy_backward(ltr_trainer *t, lt_tensor *loss, lt_optimizer *opt,
                                int64_t batch_idx);
/* manual optimization — the configuration check at fit's start
 * (gradient_clip_val, accumulate_grad_batches) and one batch (training_step alone). */
lt_status ltr_verify_manual_optimization(ltr_trainer *t);
lt_status ltr_manual_step(ltr_trainer *t, lt_batch *batch, int64_t batch_idx, lt_tensor **outputs);
/* num_training_batches and val_check_batch from the loader and the flags
 * (_FitLoop.setup_data); usable before configure_optimizers. */
lt_status ltr_fit_setup_data(ltr_trainer *t);
/* trainer.estimated_stepping_batches; -1 = infinite */
int64_t ltr_estimated_stepping_batches(ltr_trainer *t);
/* Lightning's _FitLoop._can_stop_early (min_epochs and min_steps met) */
bool ltr_can_stop_early(const ltr_trainer *t);
/* One evaluation run over `split` (validation or test); sanity = the pre-fit check. */
/* max_batches[k]: the batches to run from loader k (one per loader of the split). */
lt_status ltr_eval_loop(ltr_trainer *t, lt_split split, const int64_t *max_batches, bool sanity);

/* Print the metrics table Lightning prints after validate/test, one column per
 * dataloader's dict (per_dl[0 .. ndl); ndl 0: metrics alone), and keep the stage's
 * metrics (all loaders' together) for --results. */
void ltr_report_stage(ltr_trainer *t, const char *stage, const ltr_metric_dict *metrics,
                      const ltr_metric_dict *per_dl, int ndl);
/* Write t->stage_results to path atomically (temp file + rename). */
lt_status ltr_report_write_json(ltr_trainer *t, const char *path);

/* Set by the first SIGINT/SIGTERM of a run (signal_connector.c); the loops stop after the step. */
extern volatile sig_atomic_t ltr_interrupted;
/* Route SIGINT/SIGTERM to a thread of their own (first: ltr_interrupted; second: the
 * default action). Call before any compute thread exists; idempotent. */
void ltr_signals_install(void);
/* A stop request as every rank sees it: `local` reduced through the strategy's
 * reduce_bool with any-rank semantics (Lightning's reduce_boolean_decision(all=False)).
 * Every rank calls it at the same points of the loops; a failed reduction is reported
 * and stops (true). */
bool ltr_stop_decision(ltr_trainer *t, bool local);
/* The SIGINT/SIGTERM flag (ltr_interrupted) through ltr_stop_decision. */
bool ltr_trainer_interrupted(ltr_trainer *t);

/* ---- entry points, logging and tools ---- */

/* Build the loader of `split` from the data module's dataset hook
 * (connectors/data_connector.c); a split it does not provide leaves has_loader[split]
 * false. */
lt_status ltr_trainer_build_loader(ltr_trainer *t, lt_split split);
/* _DataConnector.prepare_data (connectors/data_connector.c): the data module's, then the
 * module's prepare_data, each on the ranks its prepare_data_per_node picks. */
lt_status ltr_prepare_data(ltr_trainer *t);
/* Loader k (0 .. nloaders[split]-1) of a split. */
ltr_dataloader *ltr_trainer_loader(ltr_trainer *t, lt_split split, int k);
/* Free every loader of a split. */
void ltr_trainer_free_loaders(ltr_trainer *t, lt_split split);
/* Lightning's per-dataloader max_batches of an evaluation split: limit_*_batches applied
 * to each loader's length (_parse_num_batches) into out[0 .. nloaders); returns their
 * sum, -1 with an error reported. */
int64_t ltr_eval_max_batches(ltr_trainer *t, lt_split split, const char *flag, ltr_limit limit,
                             int64_t *out);
/* trainer.predict's loop and predictions file (loops/prediction.c). */
lt_status ltr_predict_stage(ltr_trainer *t);
/* next(data_fetcher) and the batch strategy.batch_to_device (loops/fit.c), for every loop;
 * *batch NULL (LT_OK) when an iterable dataset's stream ended before batch b (ABI 1.9) */
lt_status ltr_loop_fetch(ltr_trainer *t, lt_split split, int64_t b, lt_batch **batch);
/* log_every_n_steps (log_gating.c): Lightning's _LoggerConnector.should_update_logs, and
 * update_train_step_metrics (the step's logged metrics to the loggers when it is time) */
bool ltr_should_update_logs(const ltr_trainer *t);
void ltr_update_train_step_metrics(ltr_trainer *t, const ltr_metric_dict *step_log);
/* Restore --ckpt-path after the setup hooks (checkpoint_path.c); LT_OK when path is NULL. */
lt_status ltr_checkpoint_restore(ltr_trainer *t, const char *ckpt_path, lt_stage stage);
/* --ckpt-path at start-up (checkpoint_path.c): validated before any plugin runs (precheck),
 * then matched against the module and read right after its create (open_early) */
lt_status ltr_checkpoint_precheck(ltr_trainer *t);
lt_status ltr_checkpoint_open_early(ltr_trainer *t);
/* after configure_optimizers, the pending checkpoint's training
 * state (optimizers, schedulers, loops, RNG); LT_OK when none. Then the "last" checkpoint
 * at the end of fit (and on SIGINT/SIGTERM), and its path. */
lt_status ltr_checkpoint_restore_training(ltr_trainer *t);
lt_status ltr_checkpoint_save_last(ltr_trainer *t);
/* the newest last*.h5 in the checkpoint dirs; false (buf "" ) when
 * none exists */
bool ltr_checkpoint_last_path(const ltr_trainer *t, char *buf, size_t cap);
/* Lightning's __resolve_ckpt_dir without a dirpath argument */
void ltr_checkpoint_dir(const ltr_trainer *t, char *buf, size_t cap);
/* seed_everything as LightningCLI calls it: the seed to use; messages to msg (seed.c). */
uint64_t ltr_seed_everything(const ltr_options *o, FILE *msg);
/* Lightning's ModelSummary table (summary.c). */
void ltr_model_summary(const ltr_trainer *t, FILE *out);

/* trainer.profiler (profiler.c): actions (hooks) and op kinds, reported at the end. */
typedef struct ltr_profiler ltr_profiler;
ltr_profiler *ltr_profiler_create(int kind); /* LTR_PROFILER_SIMPLE / ADVANCED */
void ltr_profiler_start(ltr_profiler *p, const char *owner, const char *action);
void ltr_profiler_stop(ltr_profiler *p, const char *owner, const char *action);
void ltr_profiler_report(ltr_profiler *p, FILE *out, const char *stage);
void ltr_profiler_destroy(ltr_profiler *p);

/* trainer.detect_anomaly (anomaly.c): NaN/Inf after each op and backward node. */
typedef struct ltr_anomaly ltr_anomaly;
ltr_anomaly *ltr_anomaly_create(void);
void ltr_anomaly_destroy(ltr_anomaly *a);

/* fill the host table's trainer members (host_services.c); before the first hook */
void ltr_trainer_serve_host_api(void);

/* the trainer's checkpoint entry points (checkpoint_connector.c) */
#include "trainer/connectors/checkpoint_connector.h"

#endif
