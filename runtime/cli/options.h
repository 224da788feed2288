/*
 * options.h — ltrun's command line and JSON config, merged into one config tree.
 *
 * Precedence, as LightningCLI: defaults < --config FILE (in order given) < options on
 * the command line (in order given). The merged tree is what --print-config prints
 * and what --config accepts back:
 *   {"module": "mlp.so", "datamodule": "mnist.so", "seed_everything": 42,
 *    "trainer": {...}, "model": {...}, "data": {...}}
 * Limits (limit_*_batches) follow Lightning: an integer is a count of batches, a
 * number with a fraction part (or a string like "1.0") is a fraction of the dataset.
 */
#ifndef LTR_OPTIONS_H
#define LTR_OPTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ltr_command {
    LTR_CMD_FIT = 0,
    LTR_CMD_VALIDATE,
    LTR_CMD_TEST,
    LTR_CMD_HELP,
    LTR_CMD_VERSION,
    LTR_CMD_PREDICT /* trainer.predict */
} ltr_command;

/* limit_*_batches: a count (is_fraction false) or a fraction of the batches. */
typedef struct ltr_limit {
    bool is_fraction;
    double fraction;
    int64_t count;
} ltr_limit;

/* Trainer flags with Lightning's effective defaults. */
typedef struct ltr_trainer_config {
    int64_t max_epochs;   /* -1 = no limit; default 1000 when max_steps is -1 (Lightning) */
    int64_t max_steps;    /* -1 = no limit */
    ltr_limit limit_train_batches, limit_val_batches, limit_test_batches;
    int64_t num_sanity_val_steps; /* 2; -1 = all */
    int64_t check_val_every_n_epoch;
    int64_t log_every_n_steps;
    bool enable_progress_bar;
    int64_t num_threads;  /* compute threads; 0 = all cores */
    int64_t precision;    /* an LTR_PRECISION_ code (precision/precision.h): 32 = "32-true" */
    char precision_alias[8]; /* "16" or "bf16" when given so (Lightning warns), else "" */
    char default_root_dir[1024];
    /* entry points, logging and tools (options.c "tools" block) */
    int64_t profiler;          /* LTR_PROFILER_*: None, "simple", "advanced" */
    bool detect_anomaly;       /* NaN/Inf after each op (forward) and backward node */
    int64_t deterministic;     /* 0 False/None, 1 True, 2 "warn": CPU kernels already are */
    bool benchmark;            /* cudnn.benchmark: accepted, a no-op on CPU */
    bool enable_model_summary; /* the summary table at fit start */
    bool enable_checkpointing; /* write checkpoints/last.h5 at the end of fit */
    int64_t checkpoint_compression; /* gzip level 1-9 of checkpoint tensors; 0 off */
    /* ltrun's own guard: a non-finite training loss is an error (false: Lightning trains
     * on, EarlyStopping(check_finite) stops it when asked) */
    bool stop_on_nonfinite_loss;
    char accelerator[16];      /* "cpu" or "auto" */
    int64_t devices;           /* processes per node; 0 = "auto" (one, unless a launcher says) */
    int64_t num_nodes;         /* machines (1); several need a distributed strategy */
    bool sync_batchnorm;       /* SyncBatchNorm over the ranks (false; world size 1: no effect) */
    /* "auto", "single_device" (the built-in) or a strategy plugin: a NAME found on the
     * plugin search path, or a path to its .so (loaded by the trainer) */
    char strategy[1024];
    /* loop flags (Lightning's meaning; see options.c for the None encodings) */
    int64_t min_epochs;              /* resolved: 0, or 1 when min_steps is set (None) */
    int64_t min_steps;               /* -1 = None */
    double max_time;                 /* seconds; < 0 = None ("DD:HH:MM:SS", seconds, dict) */
    ltr_limit limit_predict_batches; /* 1.0 */
    ltr_limit val_check_interval;    /* int = every N train batches, float = fraction (1.0) */
    int64_t accumulate_grad_batches; /* 1 */
    double gradient_clip_val;        /* 0 = None (no clipping) */
    char gradient_clip_algorithm[8]; /* "norm" | "value"; "" = None ("norm" when clipping) */
    int64_t fast_dev_run;            /* 0 = off; true = 1; N batches of every loop */
    ltr_limit overfit_batches;       /* 0.0 = off; sets limit_train/val_batches, no shuffle */
    bool check_val_every_n_epoch_none; /* check_val_every_n_epoch: null (count across epochs) */
    bool val_check_interval_given;     /* not None (a float one may not go with the above) */
    bool use_distributed_sampler;      /* true (Lightning's default) */
    /* val_check_interval as a duration ("DD:HH:MM:SS" or a timedelta dict, Lightning
     * 2.6): validate once this much wall time passed since the last validation */
    bool val_check_is_time;
    double val_check_time_interval;    /* seconds, when val_check_is_time */
    /* validate/test/predict in torch.inference_mode (true) or torch.no_grad (false):
     * under inference mode lt_set_grad_enabled(ctx, true) records nothing */
    bool inference_mode;
    /* barebones (options_barebones.c): logging, checkpointing, progress bar, model
     * summary and sanity check off; lt_log a warned no-op */
    bool barebones;
    int64_t reload_dataloaders_every_n_epochs; /* 0: never; n: re-ask the data module */
} ltr_trainer_config;

/* How a trainer flag's value is parsed (options.c's table). T_CUSTOM: a flag with its
 * own parser (options.c's custom_parsers); from T_FLOAT on: the loop flags, parsed in
 * options_loop.c. */
typedef enum { T_INT, T_BOOL, T_STR, T_LIMIT, T_PRECISION, T_CUSTOM,
               T_FLOAT, T_TIME, T_CLIP_ALGO, T_DEV_RUN, T_CALLBACKS,
               T_LOGGER } trainer_type;

/* trainer.profiler */
enum { LTR_PROFILER_NONE = 0, LTR_PROFILER_SIMPLE = 1, LTR_PROFILER_ADVANCED = 2 };

/* a --callback PATH[:JSON] (trainer.callbacks[i] = {"class_path", "init_args"}) */
typedef struct ltr_callback_spec {
    const char *path;       /* borrowed from the tree */
    const cJSON *init_args; /* object (never NULL) */
    char origin[48];        /* its init_args' dotted path in the config, for messages
                             * (config_origin.h): "trainer.callbacks.0.init_args" */
} ltr_callback_spec;
#define LTR_MAX_CALLBACKS 32

typedef struct ltr_options {
    ltr_command command;
    cJSON *tree;          /* owned: the merged config */
    cJSON *origins;       /* owned: which --config file and line set each value
                           * (config_origin.h), for messages naming them */
    /* typed views into the tree, valid after ltr_options_parse */
    const char *module_spec, *data_spec;
    const cJSON *model_hparams, *data_hparams; /* objects (never NULL) */
    const cJSON *strategy_args; /* --strategy.KEY / "strategy": a strategy plugin's init
                                 * args (NULL when none given) */
    ltr_trainer_config trainer;
    uint64_t seed;
    bool seed_given;
    bool print_config;
    int print_format;     /* LTR_PRINT_YAML (LightningCLI's) or LTR_PRINT_JSON */
    /* --print-config: where the trainer puts the plugins' hyperparameters, defaults
     * included, after their create hooks (NULL: a run) */
    struct ltr_plugin_hparams *hparams_out;
    bool run_test;        /* fit --test: test after fitting */
    const char *results_path; /* --results (borrowed from argv) */
    /* entry points */
    const char *ckpt_path;    /* --ckpt-path / "ckpt_path" in the config (NULL: none) */
    const char *predictions_path; /* predict: --predictions (borrowed; NULL: default) */
    bool predictions_discard;     /* predict writes no file (ltrun export traces forward) */
    bool seed_quiet;          /* seed_everything false: no seeding message (LightningCLI) */
    /* callbacks in the order given */
    int ncallbacks;
    ltr_callback_spec callbacks[LTR_MAX_CALLBACKS];
    /* trainer.logger — false: none; true/absent: the default CSV logger;
     * a list of NAME | {"class_path": NAME, "init_args": {...}} (--logger NAME[:JSON]) */
    bool logger_disabled;
    int nloggers;
    ltr_callback_spec loggers[LTR_MAX_CALLBACKS];
    /* checkpoints */
    bool ckpt_strict;         /* --strict BOOL (true): load_state_dict's strict */
    bool data_from_checkpoint; /* --data-from-checkpoint: the data module's saved hparams
                                * (paths among them) apply too (ckpt_hparams.c) */
    /* ltrun tune (runtime/tuner/): an in-process callback created before --callback's,
     * and where the run reports how it ended (NULL: neither) */
    const struct lt_descriptor *builtin_callback;
    struct ltr_run_report *report;
    /* the command line as given (borrowed from main; NULL: unknown), for the resume
     * command an interrupted fit prints */
    int argc;
    char **argv;
} ltr_options;

enum { LTR_PRINT_YAML = 0, LTR_PRINT_JSON = 1 };

/* The hyperparameters each plugin's create read, with the value used (given or default),
 * in the order read: LightningCLI's model: and data: with every init arg. Owned. */
typedef struct ltr_plugin_hparams {
    cJSON *model, *data;
    cJSON *callbacks; /* one object per trainer.callbacks entry, in order */
} ltr_plugin_hparams;

/* How a trainer run ended, for the tuner's trials. */
typedef struct ltr_run_report {
    bool quiet;            /* in: keep the first error here instead of printing it */
    char error[1024];      /* the first error ("" when none) */
    int64_t train_samples; /* len(train dataset); -1 when no train loader was built */
} ltr_run_report;

/* Parse argv (argv[0] is the program). Returns 0 on success, 2 on a usage error with
 * one line in err naming the option. --help / --version set the command. */
int ltr_options_parse(int argc, char **argv, ltr_options *o, char *err, size_t cap);
/* A usage error for the option parsers (options*.c): the message into err, exit status 2. */
int ltr_usage_error(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ltr_options_free(ltr_options *o);
/* Resolve o->tree into the typed views (defaults for what is absent); 0 or 2 with err. */
int ltr_options_resolve(ltr_options *o, char *err, size_t cap);
/* --SECTION.KEY VALUE into a tree (SECTION: trainer, model, data), VALUE read as the
 * command line reads it; 0 or 2 with err naming --SECTION.KEY. */
int ltr_options_set_dotted(cJSON *tree, const char *opt, const char *value, char *err, size_t cap);
/* How options.c's table reads trainer.KEY (a trainer_type), or -1 for no such flag. */
int ltr_trainer_key_type(const char *key);
/* Lightning Trainer arguments without an ltrun flag, accepted at their default only
 * (trainer_fixed.c): the default as JSON text, or NULL for any other key; the i-th key
 * (NULL past the end); 0 when v is that default, else 2 with err. */
const char *ltr_trainer_fixed_default(const char *key);
const char *ltr_trainer_fixed_key(size_t i);
int ltr_trainer_check_fixed(const char *key, const cJSON *v, char *err, size_t cap);
/* PL_TRAINER_<FLAG> variables as defaults of the trainer flags the tree lacks
 * (env_defaults.c); 0 or 2 with err naming the variable. */
int ltr_env_trainer_defaults(cJSON *tree, char *err, size_t cap);
/* trainer.barebones: Lightning's refusals of a flag set against it (the tree says
 * what was given) and the flags it turns off (options_barebones.c); 0 or 2 with err. */
int ltr_options_apply_barebones(ltr_options *o, const cJSON *trainer, char *err, size_t cap);
/* val_check_interval as a duration (options_loop.c): a "DD:HH:MM:SS" string or a dict of
 * timedelta's keywords into seconds; 1 when v is no duration (a number), 0 parsed, 2 err. */
int ltr_options_parse_val_check_time(const cJSON *v, double *seconds, char *err, size_t cap);
/* A config's model: {class_path, init_args} (and data:) as module: + model:
 * (config_forms.c); lines (the loader's path -> line, may be NULL) renamed alike. */
void ltr_config_class_paths(cJSON *cfg, cJSON *lines);
void ltr_options_print_help(FILE *out);
const char *ltr_command_name(ltr_command c);

#endif
