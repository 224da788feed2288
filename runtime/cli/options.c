/* options.c — argv + JSON config -> one merged config tree -> typed trainer options. */
#include "cli/options.h"
#include "precision/precision.h"

#include "ltr_dirs.h" /* LTR_DOCDIR: where `make install` puts the README */

#include "cli/config_origin.h"
#include "cli/pynum.h"
#include "cli/yaml_config.h"
#include "plugin/loader.h" /* --trainer.strategy NAME */
#include "util/regular_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"module", "datamodule", "seed_everything",
                                       "trainer", "model", "data", "ckpt_path", "strategy"};

/* The trainer flags implemented so far: where each lands in ltr_trainer_config and
 * its lower bound (ints). Anything else is refused by name. */
typedef struct {
    const char *key;
    trainer_type type;
    size_t offset; /* into ltr_trainer_config */
    int64_t min;   /* T_INT only */
} trainer_key;



#define FIELD(f) offsetof(ltr_trainer_config, f)
static const trainer_key trainer_keys[] = {
    {"max_epochs", T_INT, FIELD(max_epochs), -1},
    {"max_steps", T_INT, FIELD(max_steps), -1},
    {"limit_train_batches", T_LIMIT, FIELD(limit_train_batches), 0},
    {"limit_val_batches", T_LIMIT, FIELD(limit_val_batches), 0},
    {"limit_test_batches", T_LIMIT, FIELD(limit_test_batches), 0},
    {"num_sanity_val_steps", T_INT, FIELD(num_sanity_val_steps), -1},
    {"check_val_every_n_epoch", T_INT, FIELD(check_val_every_n_epoch), 1},
    {"log_every_n_steps", T_INT, FIELD(log_every_n_steps), 0},
    {"enable_progress_bar", T_BOOL, FIELD(enable_progress_bar), 0},
    {"num_threads", T_INT, FIELD(num_threads), 0},
    {"precision", T_PRECISION, FIELD(precision), 0},
    {"default_root_dir", T_STR, FIELD(default_root_dir), 0},
    /* tools (Lightning's names; None defaults print as null) */
    {"profiler", T_CUSTOM, FIELD(profiler), 0},
    {"detect_anomaly", T_BOOL, FIELD(detect_anomaly), 0},
    {"deterministic", T_CUSTOM, FIELD(deterministic), 0},
    {"benchmark", T_CUSTOM, FIELD(benchmark), 0},
    {"enable_model_summary", T_BOOL, FIELD(enable_model_summary), 0},
    {"enable_checkpointing", T_BOOL, FIELD(enable_checkpointing), 0},
    /* ltrun's own: gzip level of checkpoint tensors (0 = off, contiguous) */
    {"checkpoint_compression", T_INT, FIELD(checkpoint_compression), 0},
    /* ltrun's own: a non-finite loss stops fit (Lightning trains on) */
    {"stop_on_nonfinite_loss", T_BOOL, FIELD(stop_on_nonfinite_loss), 0},
    {"accelerator", T_CUSTOM, FIELD(accelerator), 0},
    {"devices", T_CUSTOM, FIELD(devices), 0},
    {"strategy", T_CUSTOM, FIELD(strategy), 0},
    {"num_nodes", T_INT, FIELD(num_nodes), 1},
    {"sync_batchnorm", T_BOOL, FIELD(sync_batchnorm), 0},
    /* loop flags */
    {"min_epochs", T_INT, FIELD(min_epochs), 0},
    {"min_steps", T_INT, FIELD(min_steps), 0},
    {"max_time", T_TIME, FIELD(max_time), 0},
    {"limit_predict_batches", T_LIMIT, FIELD(limit_predict_batches), 0},
    {"val_check_interval", T_LIMIT, FIELD(val_check_interval), 0},
    {"accumulate_grad_batches", T_INT, FIELD(accumulate_grad_batches), 1},
    {"gradient_clip_val", T_FLOAT, FIELD(gradient_clip_val), 0},
    {"gradient_clip_algorithm", T_CLIP_ALGO, FIELD(gradient_clip_algorithm), 0},
    {"fast_dev_run", T_DEV_RUN, FIELD(fast_dev_run), 0},
    {"overfit_batches", T_LIMIT, FIELD(overfit_batches), 0},
    {"callbacks", T_CALLBACKS, 0, 0},
    {"logger", T_LOGGER, 0, 0},
    /* DistributedSampler around the loaders when world_size > 1 */
    {"use_distributed_sampler", T_BOOL, FIELD(use_distributed_sampler), 0},
    /* torch.inference_mode (true) or torch.no_grad (false) for validate/test/predict */
    {"inference_mode", T_BOOL, FIELD(inference_mode), 0},
    {"barebones", T_BOOL, FIELD(barebones), 0},
    {"reload_dataloaders_every_n_epochs", T_INT, FIELD(reload_dataloaders_every_n_epochs), 0},
};
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* flags where JSON null (Lightning's None) is accepted and keeps the default */
static bool key_nullable(const char *key) {
    static const char *const keys[] = {"check_val_every_n_epoch", "min_epochs", "min_steps",
                                       "max_time", "val_check_interval", "gradient_clip_val",
                                       "gradient_clip_algorithm", "callbacks", "logger",
                                       /* None in Trainer's signature: the effective default
                                        * (barebones' check tells None from a given value) */
                                       "enable_checkpointing", "enable_progress_bar",
                                       "enable_model_summary", "log_every_n_steps",
                                       "num_sanity_val_steps"};
    for (size_t i = 0; i < NKEYS(keys); i++)
        if (!strcmp(keys[i], key)) return true;
    return false;
}

int ltr_usage_error(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return 2;
}

const char *ltr_command_name(ltr_command c) {
    switch (c) {
    case LTR_CMD_FIT: return "fit";
    case LTR_CMD_VALIDATE: return "validate";
    case LTR_CMD_TEST: return "test";
    case LTR_CMD_PREDICT: return "predict";
    case LTR_CMD_HELP: return "help";
    case LTR_CMD_VERSION: return "version";
    }
    return "?";
}

void ltr_options_print_help(FILE *out) {
    fputs(
        "usage: ltrun [fit|validate|test|predict] --module M --data D [options]\n"
        "\n"
        "Trains a LightningModule plugin (M) on a DataModule plugin (D), Lightning-style.\n"
        "M and D are .so files (a path) or names found on the plugin search path\n"
        "(LT_PLUGIN_PATH, then the shipped plugins: `ltrun plugins` lists it).\n"
        "\n"
        "subcommands:\n"
        "  fit        train (the default): sanity validation, then per epoch train + validate\n"
        "  validate   run the validation loop once\n"
        "  test       run the test loop once\n"
        "  predict    run predict_step (default: forward of the batch's first tensor) over\n"
        "             the predict dataset and write the outputs to an HDF5 file\n"
        "\n"
        "tools:\n"
        "  ltrun inspect FILE [--json]     a checkpoint's metadata, hparams and tensors\n"
        "  ltrun plugins                   every plugin on the search path (and rejects)\n"
        "  ltrun new KIND NAME [DIR]       a plugin project from a template (module,\n"
        "                                  datamodule, callback, logger)\n"
        "  ltrun tune [--tuner.mode lr_find|scale_batch_size] --module M --data D ...\n"
        "                                  Lightning's Tuner over fit trials (README)\n"
        "  ltrun export --ckpt-path F --module M --data D --format onnx --output FILE\n"
        "                                  forward as an ONNX model (to_onnx)\n"
        "\n"
        "options:\n"
        "  --module M              the LightningModule plugin\n"
        "  --data D                the DataModule plugin\n"
        "  --config FILE           YAML (LightningCLI's) or JSON config, as --print-config\n"
        "                          writes it; repeatable, later ones and options win\n"
        "  --print-config[=json]   print the merged config (every flag, the plugins'\n"
        "                          hyperparameters with their defaults) as YAML, or JSON,\n"
        "                          and exit\n"
        "  --seed N                seed_everything(N): weights, shuffling, splits; true\n"
        "                          (the default) = PL_GLOBAL_SEED or 0 (\"No seed found\"),\n"
        "                          false = no seeding\n"
        "  --ckpt-path PATH        checkpoint to start from (fit/validate/test/predict);\n"
        "                          \"last\" = default_root_dir/checkpoints/last.h5\n"
        "  --strict BOOL           checkpoint keys must match the module (true); false\n"
        "                          loads the matching subset and warns about the rest\n"
        "  --data-from-checkpoint  also take the data module's hparams saved in --ckpt-path\n"
        "                          (data_dir, cache_dir, ...; --data.KEY still wins); without\n"
        "                          it only the module's saved hparams are used, as LightningCLI\n"
        "  --predictions PATH      predict: the HDF5 file to write (predictions.h5 in\n"
        "                          default_root_dir by default)\n"
        "  --test                  after fit, run the test loop\n"
        "  --results PATH          write each stage's final metrics as JSON\n"
        "  --model.KEY VALUE       hyperparameter for the module (JSON value or text)\n"
        "  --data.KEY VALUE        hyperparameter for the data module\n"
        "  --strategy.KEY VALUE    init arg of the strategy plugin (ddp: bucket_cap_mb,\n"
        "                          timeout, overlap; README)\n"
        "  --trainer.KEY VALUE     Trainer flag, Lightning's name and meaning:\n"
        "      max_epochs (1000 when max_steps is -1 and no max_time), max_steps (-1),\n"
        "      limit_train_batches, limit_val_batches, limit_test_batches\n"
        "        (int = batches, float = fraction; 1.0), num_sanity_val_steps (2, -1 = all),\n"
        "      check_val_every_n_epoch (1), enable_progress_bar (true),\n"
        "      num_threads (OpenBLAS threads; 0 = all cores),\n"
        "      precision (32-true; 64-true: the whole model in float64; bf16-mixed:\n"
        "        torch.autocast(\"cpu\", torch.bfloat16) around the step hooks),\n"
        "      profiler (null, simple, advanced), detect_anomaly (false),\n"
        "      enable_model_summary (true), deterministic (null), benchmark (null; no-op\n"
        "        on CPU), enable_checkpointing (true), accelerator (auto|cpu),\n"
        "      checkpoint_compression (0; 1-9: chunked, shuffled, gzip-compressed tensors),\n"
        "      stop_on_nonfinite_loss (false: train on as Lightning does; true: a nan/inf\n"
        "        loss is an error before backward),\n"
        "      devices (auto = 1 process | N processes per node), num_nodes (1),\n"
        "        strategy (auto|single_device|ddp|a strategy plugin NAME; auto with\n"
        "        devices or num_nodes above 1 is ddp), sync_batchnorm (false),\n"
        "      log_every_n_steps (50: step metrics reach the loggers every n optimizer\n"
        "        steps) and default_root_dir (.)\n"
        "      min_epochs, min_steps, max_time (\"DD:HH:MM:SS\", seconds or {\"hours\": 1}),\n"
        "      limit_predict_batches, val_check_interval (int batches, float fraction\n"
        "        or a duration \"DD:HH:MM:SS\" / {\"minutes\": 30}; 1.0),\n"
        "      check_val_every_n_epoch null (validate every val_check_interval batches\n"
        "        counted across epochs), accumulate_grad_batches (1),\n"
        "      gradient_clip_val, gradient_clip_algorithm (norm | value),\n"
        "      fast_dev_run (false | true | N), overfit_batches (0.0; int or fraction),\n"
        "      use_distributed_sampler (true: DistributedSampler when world_size > 1),\n"
        "      inference_mode (true: validate/test/predict under torch.inference_mode;\n"
        "        false: torch.no_grad), barebones (false), reload_dataloaders_every_n_epochs\n"
        "        (0: ask the data module for the train/val dataset again every n epochs),\n"
        "      the README's table has every flag (see the end of this text)\n"
        "  --callback PATH[:JSON]  load a callback plugin (.so) with its init args; repeatable\n"
        "  --logger NAME[:JSON]    add a logger plugin (csv, jsonl, tensorboard, mlflow or a\n"
        "                          path); repeatable; none given: csv; --trainer.logger\n"
        "                          false: none\n"
        "  -h, --help              this text\n"
        "  --version               print the version\n"
        "\n"
        "exit status: 0 done, 1 training error, 2 usage/config error, 3 plugin/ABI error,\n"
        "             130 interrupted (SIGINT/SIGTERM; the current step finishes first)\n",
        out);
    /* the installed documentation, where `make install` put it */
    fprintf(out, "\ndocumentation: man ltrun; %s/README.md (every flag, plugin and logger)\n",
            LTR_DOCDIR);
}

/* A CLI value as JSON: numbers, true/false, null, arrays, objects and quoted strings
 * parse as JSON; anything else (a path, a word) is the string itself. */
static cJSON *value_from_text(const char *text) {
    cJSON *v = cJSON_ParseWithOpts(text, NULL, 1); /* all of it: "5,4,4" is text, not 5 */
    if (v) ltr_json_exact_ints(v, text); /* 9223372036854775807 stays exact */
    if (v) return v;
    return cJSON_CreateString(text);
}

static void set_member(cJSON *obj, const char *key, cJSON *value) {
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

static cJSON *section(cJSON *tree, const char *name) {
    cJSON *s = cJSON_GetObjectItemCaseSensitive(tree, name);
    if (!s) s = cJSON_AddObjectToObject(tree, name);
    return s;
}

/* Merge src into dst: objects merge key by key, everything else replaces; each value
 * replaced takes its origin from the config file (config_origin.h). prefix: src's
 * dotted path ("" at the top). */
static void merge(cJSON *dst, const cJSON *src, const char *prefix, cJSON *origins,
                  const char *file, const cJSON *lines) {
    const cJSON *item;
    cJSON_ArrayForEach(item, src) {
        char path[1024];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", item->string);
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, item->string);
        if (cur && cJSON_IsObject(cur) && cJSON_IsObject(item)) {
            merge(cur, item, path, origins, file, lines);
        } else {
            set_member(dst, item->string, cJSON_Duplicate(item, 1));
            ltr_origin_take(origins, path, file, lines);
        }
    }
}

/* A config is JSON text, far below this; a bigger file is a mistake (a dataset given as
 * --config), refused before it is read into memory. */
#define LTR_CONFIG_MAX_BYTES ((int64_t)64 << 20)

static int check_and_merge(const char *path, cJSON *cfg, cJSON *lines, ltr_options *o, char *err,
                           size_t cap);

/* JSON when the text starts with '{' or '[' (JSON keeps its own messages and exact
 * numbers); everything else is YAML, whatever the file's name: jsonargparse reads every
 * config with its YAML loader (YAML is a superset of JSON), so --print-config's YAML
 * saved as cfg.json reads back too. */
static bool config_is_yaml(const char *text) {
    text += strspn(text, " \t\r\n");
    return *text != '{' && *text != '[';
}

static int load_config(const char *path, ltr_options *o, char *err, size_t cap) {
    /* a FIFO would block the read and a directory reads as empty: say what it is */
    if (!ltr_check_regular_file(path, "--config", err, cap, NULL)) return 2;
    /* O_NONBLOCK: should path become a FIFO after the check, open does not wait for a
     * writer; fstat then refuses it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return ltr_usage_error(err, cap, "--config %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ltr_usage_error(err, cap, "--config %s: not a regular file", path);
    }
    if ((int64_t)st.st_size > LTR_CONFIG_MAX_BYTES) {
        close(fd);
        return ltr_usage_error(err, cap, "--config %s: %lld bytes is too big for a config "
                                         "(at most %lld MiB)", path, (long long)st.st_size,
                               (long long)(LTR_CONFIG_MAX_BYTES >> 20));
    }
    char *buf = NULL;
    size_t len = 0;
    ssize_t got;
    char chunk[65536];
    while ((got = read(fd, chunk, sizeof chunk)) != 0) {
        if (got < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return ltr_usage_error(err, cap, "--config %s: %s", path, strerror(e));
        }
        if ((int64_t)(len + (size_t)got) > LTR_CONFIG_MAX_BYTES) { /* it grew meanwhile */
            free(buf);
            close(fd);
            return ltr_usage_error(err, cap, "--config %s: bigger than %lld MiB: not a config",
                                   path, (long long)(LTR_CONFIG_MAX_BYTES >> 20));
        }
        char *grown = realloc(buf, len + (size_t)got + 1);
        if (!grown) {
            free(buf);
            close(fd);
            return ltr_usage_error(err, cap, "--config %s: out of memory", path);
        }
        buf = grown;
        memcpy(buf + len, chunk, (size_t)got);
        len += (size_t)got;
    }
    close(fd);
    if (!buf) return ltr_usage_error(err, cap, "--config %s: the file is empty", path);
    buf[len] = '\0';
    cJSON *cfg = NULL;
    if (config_is_yaml(buf)) {
        /* LightningCLI's config files are YAML (yaml_config.c) */
        cJSON *lines = NULL;
        cfg = ltr_yaml_load(buf, len, path, err, cap, &lines);
        free(buf);
        if (!cfg) return 2;
        if (!cJSON_IsObject(cfg)) {
            cJSON_Delete(cfg);
            cJSON_Delete(lines);
            return ltr_usage_error(err, cap, "--config %s: the top level must be a mapping "
                                             "(trainer:, model:, data:, ...)", path);
        }
        return check_and_merge(path, cfg, lines, o, err, cap);
    }
    const char *end = NULL;
    cfg = cJSON_ParseWithOpts(buf, &end, 1);
    if (!cfg) {
        size_t off = end ? (size_t)(end - buf) : 0;
        int line = 1;
        for (size_t i = 0; i < off && i < len; i++) line += buf[i] == '\n';
        free(buf);
        return ltr_usage_error(err, cap, "--config %s: not valid JSON near line %d (byte %zu)",
                           path, line, off);
    }
    ltr_json_exact_ints(cfg, buf); /* 9223372036854775807 stays exact */
    ltr_json_float_literals(cfg, buf); /* 1.0 stays a float, as json.loads reads it */
    /* the keys' lines: JSON as YAML (flow style) when libyaml reads it, else none */
    char ignored[16];
    cJSON *lines = NULL;
    cJSON_Delete(ltr_yaml_load(buf, len, path, ignored, sizeof ignored, &lines));
    free(buf);
    if (!cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        cJSON_Delete(lines);
        return ltr_usage_error(err, cap, "--config %s: the top level must be a JSON object", path);
    }
    return check_and_merge(path, cfg, lines, o, err, cap);
}

/* The keys of a config file (either format), then merged into the tree; owns cfg and
 * lines (the keys' lines, may be NULL). A key no part of ltrun reads is refused here,
 * naming the file and line, before anything runs. */
static int check_and_merge(const char *path, cJSON *cfg, cJSON *lines, ltr_options *o, char *err,
                           size_t cap) {
    ltr_config_class_paths(cfg, lines);
    const cJSON *item;
    int rc = 0;
    cJSON_ArrayForEach(item, cfg) {
        char where[1200];
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(lines, item->string);
        if (line) snprintf(where, sizeof where, "--config %s, line %d", path, (int)line->valuedouble);
        else snprintf(where, sizeof where, "--config %s", path);
        bool known = false;
        for (size_t i = 0; i < NKEYS(top_keys); i++) known |= !strcmp(item->string, top_keys[i]);
        if (!known) {
            rc = ltr_usage_error(err, cap,
                                 "%s: unknown key '%s' (known: module, datamodule, "
                                 "seed_everything, trainer, model, data, strategy, ckpt_path)",
                                 where, item->string);
            break;
        }
        bool must_be_object = !strcmp(item->string, "trainer") ||
                              !strcmp(item->string, "model") || !strcmp(item->string, "data") ||
                              !strcmp(item->string, "strategy");
        if (must_be_object && !cJSON_IsObject(item) && !cJSON_IsNull(item)) {
            rc = ltr_usage_error(err, cap, "%s: '%s' must be a mapping (%s:, then its keys "
                                 "indented below)", where, item->string, item->string);
            break;
        }
    }
    /* "trainer:" with nothing below it is YAML's null: no trainer keys */
    for (size_t i = 0; !rc && i < 4; i++) {
        static const char *const sections[] = {"trainer", "model", "data", "strategy"};
        if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cfg, sections[i])))
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, sections[i], cJSON_CreateObject());
    }
    if (!rc) merge(o->tree, cfg, "", o->origins, path, lines);
    cJSON_Delete(cfg);
    cJSON_Delete(lines);
    return rc;
}

/* A limit as the user wrote it, read as Python reads it: int("10") is 10 batches,
 * float("0.5") / "1.0" / "1e-1" a fraction; "0x10" is neither (Python's int() and float()
 * refuse it). */
static int limit_from_text(const char *opt, const char *text, cJSON **out, char *err,
                           size_t cap) {
    int64_t n;
    double d;
    ltr_pynum r = ltr_py_int(text, &n);
    if (r == LTR_PYNUM_OK && n >= 0) {
        *out = ltr_json_int(n);
        return 0;
    }
    if (r == LTR_PYNUM_RANGE && text[strspn(text, " \t")] != '-')
        return ltr_usage_error(err, cap, "%s: %s is out of range (a batch count is at most "
                                         "9223372036854775807)", opt, text);
    if (r != LTR_PYNUM_INVALID || ltr_py_float(text, &d) != LTR_PYNUM_OK || !isfinite(d) || d < 0)
        return ltr_usage_error(err, cap, "%s: expected a batch count (int) or a fraction (float), "
                                     "got '%s'", opt, text);
    if (d == floor(d) && d >= 9223372036854775808.0)
        return ltr_usage_error(err, cap, "%s: %s is out of range (a batch count is at most "
                                         "9223372036854775807)", opt, text);
    /* keep the int/float distinction through JSON: integral fractions become "1.0" */
    if (d == floor(d)) {
        char buf[400];
        snprintf(buf, sizeof buf, "%.1f", d);
        *out = cJSON_CreateString(buf);
    } else {
        *out = cJSON_CreateNumber(d);
    }
    return 0;
}

static const trainer_key *find_trainer_key(const char *key) {
    for (size_t i = 0; i < NKEYS(trainer_keys); i++)
        if (!strcmp(trainer_keys[i].key, key)) return &trainer_keys[i];
    return NULL;
}

int ltr_trainer_key_type(const char *key) {
    const trainer_key *k = find_trainer_key(key);
    return k ? (int)k->type : -1;
}

static int unknown_trainer_key(const char *where, const char *key, char *err, size_t cap) {
    char known[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < NKEYS(trainer_keys); i++) {
        int n = snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                         trainer_keys[i].key);
        if (n < 0 || (size_t)n >= sizeof known - len) break;
        len += (size_t)n;
    }
    return ltr_usage_error(err, cap, "%s%s: unknown Trainer flag (known: %s)", where, key, known);
}

static int parse_limit(const cJSON *v, const char *name, ltr_limit *out, char *err, size_t cap) {
    char opt[128];
    snprintf(opt, sizeof opt, "trainer.%s", name);
    cJSON *canon = NULL;
    if (cJSON_IsString(v) || (cJSON_IsRaw(v) && v->valuestring && strpbrk(v->valuestring, ".eEn"))) {
        /* a string keeps how the user wrote it: "1.0" is a fraction, "10" a count; a
         * config's float literal 1.0 (raw, yaml_config.h) reads the same way */
        int rc = limit_from_text(opt, v->valuestring, &canon, err, cap);
        if (rc) return rc;
        v = canon;
    }
    int64_t n;
    ltr_pynum r = ltr_json_get_int(v, &n);
    int rc = 0;
    if (cJSON_IsString(v)) { /* an integral float ("1.0", "2.0"): Lightning's 2.0 -> int(2) */
        double d = strtod(v->valuestring, NULL);
        out->is_fraction = d <= 1.0;
        out->fraction = d;
        out->count = (int64_t)d; /* limit_from_text kept it below 2^63 */
    } else if (r == LTR_PYNUM_OK && n >= 0) {
        out->is_fraction = false;
        out->count = n;
    } else if (r == LTR_PYNUM_RANGE && (cJSON_IsRaw(v) ? v->valuestring[0] != '-' : v->valuedouble > 0)) {
        char txt[64];
        rc = ltr_usage_error(err, cap, "%s: %s is out of range (a batch count is at most "
                                       "9223372036854775807)", opt,
                             ltr_json_number_text(v, txt, sizeof txt));
    } else if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
        rc = ltr_usage_error(err, cap, "%s: expected a batch count or a fraction", opt);
    } else if (v->valuedouble > 1.0) {
        rc = ltr_usage_error(err, cap, "%s: a fraction must be in [0.0, 1.0], got %g", opt,
                             v->valuedouble);
    } else {
        out->is_fraction = true;
        out->fraction = v->valuedouble;
    }
    cJSON_Delete(canon);
    return rc;
}

/* Lightning's precision values: 32/"32"/"32-true", 64/"64"/"64-true", "bf16-mixed" and
 * "16-mixed" (on the CPU Lightning runs bf16-mixed for it: precision.c) run; "16" and
 * "bf16" are its deprecated aliases of the mixed modes (_convert_precision_to_unified_args,
 * which warns: `alias` keeps what was typed). The float16/bf16 "true" modes and
 * transformer-engine are Lightning values that ltrun does not run yet. */
static int parse_precision(const cJSON *v, int64_t *out, char *alias, size_t alias_cap, char *err,
                           size_t cap) {
    char text[64];
    alias[0] = '\0';
    if (cJSON_IsNumber(v)) snprintf(text, sizeof text, "%g", v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(text, sizeof text, "%s", v->valuestring);
    else return ltr_usage_error(err, cap, "trainer.precision: expected \"32-true\", \"64-true\", \"bf16-mixed\" or \"16-mixed\"");
    if (!strcmp(text, "32") || !strcmp(text, "32-true")) *out = LTR_PRECISION_32_TRUE;
    else if (!strcmp(text, "64") || !strcmp(text, "64-true")) *out = LTR_PRECISION_64_TRUE;
    else if (!strcmp(text, "bf16-mixed") || !strcmp(text, "bf16")) *out = LTR_PRECISION_BF16_MIXED;
    else if (!strcmp(text, "16-mixed") || !strcmp(text, "16")) *out = LTR_PRECISION_16_MIXED;
    else {
        static const char *const later[] = {"16-true", "bf16-true", "transformer-engine",
                                            "transformer-engine-float16"};
        for (size_t i = 0; i < NKEYS(later); i++)
            if (!strcmp(text, later[i]))
                return ltr_usage_error(err, cap, "trainer.precision: '%s' is not implemented yet; "
                                             "use 32-true, 64-true, bf16-mixed or 16-mixed", text);
        return ltr_usage_error(err, cap, "trainer.precision: '%s' is not a precision (Lightning's "
                                     "values: 32-true, 64-true, 16-mixed, bf16-mixed, 16-true, "
                                     "bf16-true, transformer-engine)", text);
    }
    if (!strcmp(text, "16") || !strcmp(text, "bf16")) snprintf(alias, alias_cap, "%.5s", text);
    return 0;
}

/* An int64 from the tree: a JSON integer, or the exact raw text of a big one. */
static int parse_int(const cJSON *v, const char *name, int64_t *out, char *err, size_t cap) {
    ltr_pynum r = ltr_json_get_int(v, out);
    if (r == LTR_PYNUM_RANGE) {
        char txt[64];
        return ltr_usage_error(err, cap, "trainer.%s: %s is out of range (an integer from "
                                         "-9223372036854775808 to 9223372036854775807)", name,
                               ltr_json_number_text(v, txt, sizeof txt));
    }
    if (r != LTR_PYNUM_OK) {
        /* a config's float literal (1e300, 2.0) is a float, as Python reads it */
        char txt[64];
        if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
            return ltr_usage_error(err, cap, "trainer.%s: expected an integer, got %s", name,
                                   ltr_json_number_text(v, txt, sizeof txt));
        if (cJSON_IsString(v))
            return ltr_usage_error(err, cap, "trainer.%s: expected an integer, got '%s'", name,
                                   v->valuestring);
        return ltr_usage_error(err, cap, "trainer.%s: expected an integer", name);
    }
    return 0;
}

/* ---- tools — Trainer flags of the tools work, with Lightning's values ---- */

/* Lightning's profiler=None | "simple" | "advanced"; "pytorch"/"xla" are Lightning values
 * ltrun does not have. */
static int parse_profiler(const cJSON *v, void *field, char *err, size_t cap) {
    int64_t *out = field;
    if (cJSON_IsNull(v)) { *out = LTR_PROFILER_NONE; return 0; }
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (s && !strcmp(s, "simple")) *out = LTR_PROFILER_SIMPLE;
    else if (s && !strcmp(s, "advanced")) *out = LTR_PROFILER_ADVANCED;
    else if (s && (!strcmp(s, "pytorch") || !strcmp(s, "xla")))
        return ltr_usage_error(err, cap, "trainer.profiler: '%s' is a Lightning profiler ltrun does "
                                     "not have; use simple or advanced", s);
    else
        return ltr_usage_error(err, cap, "trainer.profiler: expected null, \"simple\" or \"advanced\"");
    return 0;
}

/* deterministic: None/False, True or "warn" (torch.use_deterministic_algorithms). */
static int parse_deterministic(const cJSON *v, void *field, char *err, size_t cap) {
    int64_t *out = field;
    if (cJSON_IsNull(v) || cJSON_IsFalse(v)) *out = 0;
    else if (cJSON_IsTrue(v)) *out = 1;
    else if (cJSON_IsString(v) && !strcmp(v->valuestring, "warn")) *out = 2;
    else return ltr_usage_error(err, cap, "trainer.deterministic: expected true, false, null or \"warn\"");
    return 0;
}

static int parse_bool_or_null(const cJSON *v, void *field, char *err, size_t cap) {
    if (!cJSON_IsBool(v) && !cJSON_IsNull(v))
        return ltr_usage_error(err, cap, "trainer.benchmark: expected true, false or null");
    *(bool *)field = cJSON_IsTrue(v);
    return 0;
}

static int parse_accelerator(const cJSON *v, void *field, char *err, size_t cap) {
    static const char *const lightning[] = {"gpu", "cuda", "mps", "tpu", "hpu", "xla"};
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (!s) return ltr_usage_error(err, cap, "trainer.accelerator: expected a name (cpu or auto)");
    if (!strcmp(s, "cpu") || !strcmp(s, "auto")) {
        snprintf(field, 16, "%s", s);
        return 0;
    }
    for (size_t i = 0; i < NKEYS(lightning); i++)
        if (!strcmp(s, lightning[i]))
            return ltr_usage_error(err, cap, "trainer.accelerator: '%s' is not available in this "
                                         "build: ltrun runs on cpu (accelerators: cpu, auto)", s);
    return ltr_usage_error(err, cap, "trainer.accelerator: '%s' is not an accelerator (ltrun has: "
                                 "cpu, auto)", s);
}

/* Processes per node on the CPU (Lightning's _parse_cpu_cores): a count >= 1 or "auto"
 * (stored as 0: one process, or what the launcher started). Several need a distributed
 * strategy (ddp), which the strategy's creation checks. */
static int parse_devices(const cJSON *v, void *field, char *err, size_t cap) {
    int64_t n = -1;
    if (cJSON_IsString(v) && !strcmp(v->valuestring, "auto")) n = 0;
    else if (cJSON_IsString(v) && ltr_py_int(v->valuestring, &n) != LTR_PYNUM_OK) n = -1;
    else if (!cJSON_IsString(v) && ltr_json_get_int(v, &n) != LTR_PYNUM_OK) n = -1;
    else if (n == 0) n = -1;
    if (n < 0 || n > 1048576)
        return ltr_usage_error(err, cap, "trainer.devices: expected a number of processes (>= 1) "
                                     "or \"auto\" (on the cpu accelerator devices counts "
                                     "processes; several need --trainer.strategy ddp)");
    *(int64_t *)field = n;
    return 0;
}

#define STRATEGY_CAP sizeof ((ltr_trainer_config *)0)->strategy
/* "auto" and "single_device" are the built-in; anything else names a strategy plugin,
 * resolved here so a name nothing provides is a usage error before any work. Loading it
 * (kind and ABI checks, exit 3) is the trainer's (strategy/plugin_strategy.c). */
static int parse_strategy(const cJSON *v, void *field, char *err, size_t cap) {
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    if (s && (!strcmp(s, "auto") || !strcmp(s, "single_device"))) {
        snprintf(field, STRATEGY_CAP, "%s", s);
        return 0;
    }
    if (!s || !*s)
        return ltr_usage_error(err, cap, "trainer.strategy: %s is not a strategy: give auto, "
                                     "single_device or a strategy plugin's name",
                               s ? "\"\"" : "(not a string)");
    char path[4096], why[1024];
    if (ltr_plugin_resolve(s, LT_KIND_STRATEGY, path, sizeof path, why, sizeof why) != LT_OK)
        return ltr_usage_error(err, cap, "trainer.strategy: '%s' is not available: ltrun has auto and "
                                     "single_device built in, and no strategy plugin of that "
                                     "name was found (%s)", s, why);
    if (strlen(s) >= STRATEGY_CAP)
        return ltr_usage_error(err, cap, "trainer.strategy: the name is %zu bytes long (at most "
                                     "%zu): give a shorter path", strlen(s),
                               STRATEGY_CAP - 1);
    snprintf(field, STRATEGY_CAP, "%s", s);
    return 0;
}

/* T_CUSTOM flags: their parsers (v is never NULL; 0, or 2 with err set) */
static const struct {
    const char *key;
    int (*parse)(const cJSON *v, void *field, char *err, size_t cap);
} custom_parsers[] = {
    {"profiler", parse_profiler}, {"deterministic", parse_deterministic},
    {"benchmark", parse_bool_or_null}, {"accelerator", parse_accelerator},
    {"devices", parse_devices}, {"strategy", parse_strategy},
};

static int parse_custom(const cJSON *v, const char *key, void *field, char *err, size_t cap) {
    for (size_t i = 0; i < NKEYS(custom_parsers); i++)
        if (!strcmp(custom_parsers[i].key, key)) return custom_parsers[i].parse(v, field, err, cap);
    return ltr_usage_error(err, cap, "trainer.%s: no parser (a bug in ltrun)", key);
}

/* --print-config writes every flag (LightningCLI prints the full config): these are the
 * defaults written for absent keys, each one a value --config accepts back. Keys the
 * parser does not know are skipped, so the table may name flags of other parts. */
static const struct { const char *key, *json; } print_defaults[] = {
    {"max_epochs", "null"}, {"max_steps", "-1"},
    {"limit_train_batches", "\"1.0\""}, {"limit_val_batches", "\"1.0\""},
    {"limit_test_batches", "\"1.0\""}, {"num_sanity_val_steps", "2"},
    {"check_val_every_n_epoch", "1"}, {"log_every_n_steps", "50"},
    {"enable_progress_bar", "true"}, {"num_threads", "0"}, {"precision", "\"32-true\""},
    {"default_root_dir", "\".\""}, {"profiler", "null"}, {"detect_anomaly", "false"},
    {"deterministic", "null"}, {"benchmark", "null"}, {"enable_model_summary", "true"},
    {"enable_checkpointing", "true"}, {"checkpoint_compression", "0"},
    {"stop_on_nonfinite_loss", "false"}, {"accelerator", "\"auto\""}, {"devices", "\"auto\""},
    {"strategy", "\"auto\""}, {"num_nodes", "1"}, {"sync_batchnorm", "false"},
    /* loop flags (options_loop.c) */
    {"min_epochs", "null"}, {"min_steps", "null"}, {"max_time", "null"},
    {"limit_predict_batches", "\"1.0\""},
    /* val_check_interval's default is None (1.0 once resolved): null reads back as None,
     * where "1.0" would be a given float that check_val_every_n_epoch null refuses */
    {"val_check_interval", "null"},
    {"accumulate_grad_batches", "1"}, {"gradient_clip_val", "null"},
    {"gradient_clip_algorithm", "null"}, {"fast_dev_run", "false"}, {"overfit_batches", "\"0.0\""},
    /* data pipeline */
    {"use_distributed_sampler", "true"},
    {"inference_mode", "true"}, {"barebones", "false"}, {"reload_dataloaders_every_n_epochs", "0"},
};

/* Fill the absent trainer flags (and seed_everything) with their defaults; under
 * barebones the flags it turns off print as None, their signature default, so that the
 * config reads back (a given True would be refused). */
static void add_print_defaults(cJSON *tree, bool barebones) {
    static const char *const barebones_off[] = {"enable_checkpointing", "enable_progress_bar",
                                                "enable_model_summary", "log_every_n_steps",
                                                "num_sanity_val_steps"};
    cJSON *tr = cJSON_GetObjectItemCaseSensitive(tree, "trainer");
    for (size_t i = 0; i < NKEYS(print_defaults); i++) {
        if (!find_trainer_key(print_defaults[i].key) ||
            cJSON_GetObjectItemCaseSensitive(tr, print_defaults[i].key))
            continue;
        const char *json = print_defaults[i].json;
        for (size_t j = 0; barebones && j < NKEYS(barebones_off); j++)
            if (!strcmp(barebones_off[j], print_defaults[i].key)) json = "null";
        cJSON *v = cJSON_Parse(json);
        if (v) cJSON_AddItemToObject(tr, print_defaults[i].key, v);
    }
    /* LightningCLI's seed_everything default is true: a random seed */
    if (!cJSON_GetObjectItemCaseSensitive(tree, "seed_everything"))
        cJSON_AddTrueToObject(tree, "seed_everything");
}
/* ---- end tools ---- */
/* loop flags (options_loop.c) */
int ltr_options_parse_loggers(ltr_options *o, const cJSON *v, char *err, size_t cap);
int ltr_options_parse_loop_flag(ltr_options *o, const char *key, int type, const cJSON *v,
                                void *field, char *err, size_t cap);
int resolve_loop_flags(ltr_trainer_config *t, char *err, size_t cap);
cJSON *ltr_options_callback_from_text(const char *flag, const char *text, char *err, size_t cap);

/* Typed view of the merged tree, with Lightning's defaults for what is absent. */
int ltr_options_resolve(ltr_options *o, char *err, size_t cap) {
    ltr_trainer_config *t = &o->trainer;
    int rc0;
    memset(t, 0, sizeof *t);
    t->max_epochs = -2; /* unset: resolved below as Lightning does */
    t->max_steps = -1;
    t->limit_train_batches = t->limit_val_batches = t->limit_test_batches =
        (ltr_limit){.is_fraction = true, .fraction = 1.0};
    t->num_sanity_val_steps = 2;
    t->check_val_every_n_epoch = 1;
    t->log_every_n_steps = 50;
    t->enable_progress_bar = true;
    t->precision = 32;
    snprintf(t->default_root_dir, sizeof t->default_root_dir, ".");
    /* tools */
    t->enable_model_summary = t->enable_checkpointing = true;
    t->use_distributed_sampler = true;
    snprintf(t->accelerator, sizeof t->accelerator, "auto");
    t->devices = 0; /* "auto" */
    t->num_nodes = 1;
    snprintf(t->strategy, sizeof t->strategy, "auto");
    /* loop flags, Lightning's defaults (None where it has None) */
    t->min_epochs = -1;
    t->min_steps = -1;
    t->max_time = -1;
    t->limit_predict_batches = t->val_check_interval =
        (ltr_limit){.is_fraction = true, .fraction = 1.0};
    t->accumulate_grad_batches = 1;
    t->overfit_batches = (ltr_limit){.is_fraction = true, .fraction = 0.0};
    t->inference_mode = true;
    o->ncallbacks = 0;
    o->nloggers = 0;
    o->logger_disabled = false;

    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o->tree, "trainer");
    const cJSON *v;
    cJSON_ArrayForEach(v, tr) {
        const trainer_key *k = find_trainer_key(v->string);
        if (!k && ltr_trainer_fixed_default(v->string)) { /* trainer_fixed.c */
            int rc = ltr_trainer_check_fixed(v->string, v, err, cap);
            if (rc) return rc;
            continue;
        }
        if (!k) return unknown_trainer_key("trainer.", v->string, err, cap);
        char *field = (char *)t + k->offset;
        int rc = 0;
        if (key_nullable(k->key) && cJSON_IsNull(v)) { /* None keeps the default */
            if (!strcmp(k->key, "check_val_every_n_epoch")) t->check_val_every_n_epoch_none = true;
            continue;
        }
        switch (k->type) {
        case T_FLOAT: case T_TIME: case T_CLIP_ALGO: case T_DEV_RUN: case T_CALLBACKS:
            rc = ltr_options_parse_loop_flag(o, k->key, k->type, v, field, err, cap);
            break;
        case T_LOGGER:
            rc = ltr_options_parse_loggers(o, v, err, cap);
            break;
        case T_INT:
            if (cJSON_IsNull(v) && !strcmp(k->key, "max_epochs")) continue; /* None: default */
            rc = parse_int(v, k->key, (int64_t *)field, err, cap);
            if (!rc && *(int64_t *)field < k->min)
                rc = ltr_usage_error(err, cap, "trainer.%s: must be >= %lld, got %lld", k->key,
                                 (long long)k->min, (long long)*(int64_t *)field);
            /* OpenBLAS and OpenMP take the thread count as an int */
            if (!rc && !strcmp(k->key, "num_threads") && *(int64_t *)field > INT32_MAX)
                rc = ltr_usage_error(err, cap, "trainer.%s: must be <= %d, got %lld", k->key,
                                 INT32_MAX, (long long)*(int64_t *)field);
            break;
        case T_LIMIT:
            if (!strcmp(k->key, "val_check_interval")) {
                t->val_check_interval_given = true;
                /* Lightning 2.6: a str, dict or timedelta is a wall-time interval */
                rc = ltr_options_parse_val_check_time(v, &t->val_check_time_interval, err, cap);
                t->val_check_is_time = rc == 0;
                if (rc != 1) break;
            }
            rc = parse_limit(v, k->key, (ltr_limit *)field, err, cap);
            break;
        case T_BOOL:
            if (!cJSON_IsBool(v)) rc = ltr_usage_error(err, cap, "trainer.%s: expected true or false", k->key);
            else *(bool *)field = cJSON_IsTrue(v);
            break;
        case T_PRECISION:
            rc = parse_precision(v, (int64_t *)field, t->precision_alias, sizeof t->precision_alias,
                                 err, cap);
            break;
        case T_STR: /* the only string flag is default_root_dir */
            if (!cJSON_IsString(v)) rc = ltr_usage_error(err, cap, "trainer.%s: expected a path", k->key);
            else snprintf(field, sizeof t->default_root_dir, "%s", v->valuestring);
            break;
        case T_CUSTOM:
            rc = parse_custom(v, k->key, field, err, cap);
            break;
        }
        if (rc) return rc;
    }
    /* Trainer.__init__'s barebones block comes before the debugging flags */
    if ((rc0 = ltr_options_apply_barebones(o, tr, err, cap))) return rc0;
    /* Lightning's _parse_loop_limits and _init_debugging_flags */
    if ((rc0 = resolve_loop_flags(t, err, cap))) return rc0;

    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o->tree, "module");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o->tree, "datamodule");
    if (m && !cJSON_IsString(m)) return ltr_usage_error(err, cap, "module: expected a plugin name or path");
    if (d && !cJSON_IsString(d)) return ltr_usage_error(err, cap, "datamodule: expected a plugin name or path");
    o->module_spec = m ? m->valuestring : NULL;
    o->data_spec = d ? d->valuestring : NULL;
    o->model_hparams = cJSON_GetObjectItemCaseSensitive(o->tree, "model");
    o->data_hparams = cJSON_GetObjectItemCaseSensitive(o->tree, "data");
    o->strategy_args = cJSON_GetObjectItemCaseSensitive(o->tree, "strategy");

    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o->tree, "seed_everything");
    /* LightningCLI's seed_everything: an int, true (the default) or null =
     * seed_everything() with no seed, false = no seeding (trainer/seed.c). Lightning 2.6
     * raises ValueError for a seed outside numpy's [0, 2^32-1]. */
    o->seed_given = s && (cJSON_IsNumber(s) || cJSON_IsRaw(s));
    o->seed_quiet = s && cJSON_IsFalse(s);
    int64_t seed = 0;
    ltr_pynum sr = o->seed_given ? ltr_json_get_int(s, &seed) : LTR_PYNUM_OK;
    if ((s && !cJSON_IsBool(s) && !cJSON_IsNull(s) && !o->seed_given) || sr == LTR_PYNUM_INVALID)
        return ltr_usage_error(err, cap, "--seed / seed_everything: expected an integer, true or false");
    if (o->seed_given) {
        char txt[64];
        if (sr == LTR_PYNUM_RANGE || seed < 0 || seed > 4294967295LL)
            return ltr_usage_error(err, cap, "--seed / seed_everything: %s is not in bounds, numpy "
                                         "accepts from 0 to 4294967295",
                                   ltr_json_number_text(s, txt, sizeof txt));
        o->seed = (uint64_t)seed;
    }
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(o->tree, "ckpt_path");
    if (ck && !cJSON_IsNull(ck) && !cJSON_IsString(ck))
        return ltr_usage_error(err, cap, "ckpt_path: expected a path, \"best\" or \"last\"");
    o->ckpt_path = ck && cJSON_IsString(ck) ? ck->valuestring : NULL;
    /* a FIFO would block the checkpoint reader: refuse what exists but is not a file
     * (a missing file is reported by the restore, which knows the stage) */
    struct stat st;
    if (o->ckpt_path && strcmp(o->ckpt_path, "last") && strcmp(o->ckpt_path, "best") &&
        stat(o->ckpt_path, &st) == 0 &&
        !ltr_check_regular_file(o->ckpt_path, "--ckpt-path", err, cap, NULL))
        return 2;
    return 0;
}

int ltr_options_set_dotted(cJSON *tree, const char *opt, const char *value, char *err, size_t cap) {
    const char *dot = strchr(opt, '.');
    size_t seclen = (size_t)(dot - opt);
    const char *key = dot + 1;
    if (!*key) return ltr_usage_error(err, cap, "--%s: missing a name after the dot", opt);
    char sec[16];
    if (seclen >= sizeof sec) return ltr_usage_error(err, cap, "--%s: unknown option", opt);
    memcpy(sec, opt, seclen);
    sec[seclen] = '\0';
    if (!strcmp(sec, "trainer")) {
        const trainer_key *k = find_trainer_key(key);
        if (!k && ltr_trainer_fixed_default(key)) { /* checked in resolve (trainer_fixed.c) */
            set_member(section(tree, "trainer"), key, value_from_text(value));
            return 0;
        }
        if (!k) return unknown_trainer_key("--trainer.", key, err, cap);
        cJSON *v = NULL;
        if (key_nullable(k->key) && !strcmp(value, "null")) {
            v = cJSON_CreateNull(); /* None */
        } else if (!strcmp(k->key, "val_check_interval") &&
                   (strchr(value, ':') || value[strspn(value, " ")] == '{')) {
            v = value_from_text(value); /* a duration: checked in resolve (options_loop.c) */
        } else if (k->type == T_LIMIT) {
            char name[128];
            snprintf(name, sizeof name, "--trainer.%s", key);
            int rc = limit_from_text(name, value, &v, err, cap);
            if (rc) return rc;
        } else if (k->type == T_STR) {
            v = cJSON_CreateString(value);
        } else if (k->type == T_CUSTOM) {
            v = value_from_text(value); /* checked by the flag's parser in resolve */
        } else if (k->type >= T_FLOAT) {
            /* JSON if it parses ("3", "0.5", "true", "null", {...}), else text
             * ("00:01:00:00", "norm"); resolve() checks the type */
            int64_t n;
            ltr_pynum r = ltr_py_int(value, &n); /* ints exactly, to int64's edge */
            if (r == LTR_PYNUM_RANGE)
                return ltr_usage_error(err, cap, "--trainer.%s: %s is out of range (an integer "
                                                 "from -9223372036854775808 to "
                                                 "9223372036854775807)", key, value);
            v = r == LTR_PYNUM_OK ? ltr_json_int(n) : cJSON_ParseWithOpts(value, NULL, 1);
            if (!v) v = cJSON_CreateString(value); /* the whole text, or a string */
        } else if (k->type == T_PRECISION) {
            /* Lightning takes 64 and "64-true" alike; keep what was written */
            int64_t n;
            v = ltr_py_int(value, &n) == LTR_PYNUM_OK ? ltr_json_int(n) : cJSON_CreateString(value);
        } else if (k->type == T_INT) {
            /* Python's int() of the text: "1e3", "3.0" and "0x10" are not ints */
            int64_t n;
            ltr_pynum r = ltr_py_int(value, &n);
            if (r == LTR_PYNUM_RANGE)
                return ltr_usage_error(err, cap, "--trainer.%s: %s is out of range (an integer "
                                                 "from -9223372036854775808 to "
                                                 "9223372036854775807)", key, value);
            if (r == LTR_PYNUM_OK) v = ltr_json_int(n);
            else if (!strcmp(value, "null") && !strcmp(key, "max_epochs")) v = cJSON_CreateNull();
            else return ltr_usage_error(err, cap, "--trainer.%s: expected an integer, got '%s'",
                                        key, value);
        } else {
            v = cJSON_ParseWithOpts(value, NULL, 1);
            if (!cJSON_IsBool(v)) {
                cJSON_Delete(v);
                return ltr_usage_error(err, cap, "--trainer.%s: expected true or false, got '%s'",
                                       key, value);
            }
        }
        set_member(section(tree, "trainer"), key, v);
    } else if (!strcmp(sec, "model") || !strcmp(sec, "data") || !strcmp(sec, "strategy")) {
        set_member(section(tree, sec), key, value_from_text(value));
    } else {
        return ltr_usage_error(err, cap, "--%s: unknown option (dotted options are --trainer.*, "
                                     "--model.*, --data.* and --strategy.*)", opt);
    }
    return 0;
}

/* --results is written after the run: a path that cannot be written must fail now, not
 * after the training it was to record. The folder must exist and be writable, and the
 * path must not be a directory (the file itself is replaced by a rename). */
static int check_results_path(const char *path, char *err, size_t cap) {
    struct stat st;
    if (!*path) return ltr_usage_error(err, cap, "--results: expected a file path");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ltr_usage_error(err, cap, "--results %s: is a directory; give a file path "
                                         "(e.g. %s/results.json)", path, path);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        return ltr_usage_error(err, cap, "--results %s: the folder %s does not exist (%s): "
                                         "create it first", path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ltr_usage_error(err, cap, "--results %s: %s is not a folder: give a path in an existing folder",
                               path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return ltr_usage_error(err, cap, "--results %s: the folder %s is not writable (%s): give a path in "
                                         "a folder you can write", path, dir, strerror(errno));
    return 0;
}

int ltr_options_parse(int argc, char **argv, ltr_options *o, char *err, size_t cap) {
    memset(o, 0, sizeof *o);
    o->tree = cJSON_CreateObject();
    o->origins = cJSON_CreateObject();
    o->ckpt_strict = true;
    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        const char *c = argv[i++];
        if (!strcmp(c, "fit")) o->command = LTR_CMD_FIT;
        else if (!strcmp(c, "validate")) o->command = LTR_CMD_VALIDATE;
        else if (!strcmp(c, "test")) o->command = LTR_CMD_TEST;
        else if (!strcmp(c, "predict")) o->command = LTR_CMD_PREDICT;
        else if (!strcmp(c, "help")) o->command = LTR_CMD_HELP;
        else return ltr_usage_error(err, cap, "unknown subcommand '%s' (fit, validate, test, "
                                          "predict; see ltrun --help)", c);
    }
    int rc = 0;
    for (; i < argc && !rc; i++) {
        char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            o->command = LTR_CMD_HELP;
            return 0;
        }
        if (!strcmp(arg, "--version")) {
            o->command = LTR_CMD_VERSION;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0)
            return ltr_usage_error(err, cap, "unexpected argument '%s' (options start with --)", arg);
        /* --name=value or --name value */
        char name[256];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (nlen >= sizeof name) return ltr_usage_error(err, cap, "option too long: %.40s...", arg);
        memcpy(name, arg + 2, nlen);
        name[nlen] = '\0';
        if (!strcmp(name, "print-config") || !strcmp(name, "print_config")) {
            /* LightningCLI prints YAML; --print-config=json the JSON form */
            o->print_config = true;
            if (!eq || !strcmp(eq + 1, "yaml")) o->print_format = LTR_PRINT_YAML;
            else if (!strcmp(eq + 1, "json")) o->print_format = LTR_PRINT_JSON;
            else return ltr_usage_error(err, cap, "--%s=%s: expected --%s (YAML, as LightningCLI), "
                                              "--%s=yaml or --%s=json", name, eq + 1, name,
                                        name, name);
            continue;
        }
        bool is_flag = !strcmp(name, "test") || !strcmp(name, "data-from-checkpoint");
        if (is_flag) {
            if (eq) return ltr_usage_error(err, cap, "--%s takes no value", name);
            if (!strcmp(name, "test")) o->run_test = true;
            else o->data_from_checkpoint = true;
            continue;
        }
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return ltr_usage_error(err, cap, "--%s: missing its value", name);
            value = argv[++i];
        }
        /* a command-line value replaces what a config set there: no config origin */
        if (strchr(name, '.')) ltr_origin_forget(o->origins, name);
        else if (!strcmp(name, "data")) ltr_origin_forget(o->origins, "datamodule");
        else if (!strcmp(name, "seed")) ltr_origin_forget(o->origins, "seed_everything");
        else if (!strcmp(name, "ckpt-path") || !strcmp(name, "ckpt_path") || !strcmp(name, "module"))
            ltr_origin_forget(o->origins, !strcmp(name, "module") ? "module" : "ckpt_path");
        if (!strcmp(name, "module")) set_member(o->tree, "module", cJSON_CreateString(value));
        else if (!strcmp(name, "data")) set_member(o->tree, "datamodule", cJSON_CreateString(value));
        else if (!strcmp(name, "config")) rc = load_config(value, o, err, cap);
        else if (!strcmp(name, "results")) o->results_path = value;
        else if (!strcmp(name, "ckpt-path") || !strcmp(name, "ckpt_path"))
            set_member(o->tree, "ckpt_path", cJSON_CreateString(value));
        else if (!strcmp(name, "predictions")) o->predictions_path = value;
        else if (!strcmp(name, "strict")) { /* load_state_dict's strict */
            if (!strcmp(value, "true") || !strcmp(value, "True")) o->ckpt_strict = true;
            else if (!strcmp(value, "false") || !strcmp(value, "False")) o->ckpt_strict = false;
            else return ltr_usage_error(err, cap, "--strict: expected true or false, got '%s'", value);
        }
        else if (!strcmp(name, "callback")) { /* --callback PATH[:JSON] */
            cJSON *cb = ltr_options_callback_from_text("--callback", value, err, cap);
            if (!cb) return 2;
            cJSON *tr = section(o->tree, "trainer");
            cJSON *list = cJSON_GetObjectItemCaseSensitive(tr, "callbacks");
            if (!cJSON_IsArray(list)) {
                list = cJSON_CreateArray();
                set_member(tr, "callbacks", list);
            }
            cJSON_AddItemToArray(list, cb);
        }
        else if (!strcmp(name, "logger")) { /* --logger NAME[:JSON] */
            cJSON *lg = ltr_options_callback_from_text("--logger", value, err, cap);
            if (!lg) return 2;
            cJSON *tr = section(o->tree, "trainer");
            cJSON *list = cJSON_GetObjectItemCaseSensitive(tr, "logger");
            if (!cJSON_IsArray(list)) {
                list = cJSON_CreateArray();
                set_member(tr, "logger", list);
            }
            cJSON_AddItemToArray(list, lg);
        }
        else if (!strcmp(name, "seed")) {
            /* LightningCLI: int | bool; the int as Python's int() reads it */
            int64_t n = 0;
            ltr_pynum r = ltr_py_int(value, &n);
            if (r == LTR_PYNUM_RANGE)
                return ltr_usage_error(err, cap, "--seed / seed_everything: %s is not in bounds, "
                                                 "numpy accepts from 0 to 4294967295", value);
            cJSON *v = !strcmp(value, "true") ? cJSON_CreateTrue()
                       : !strcmp(value, "false") ? cJSON_CreateFalse()
                       : r == LTR_PYNUM_OK ? ltr_json_int(n) : NULL;
            if (!v)
                return ltr_usage_error(err, cap, "--seed: expected an integer (or true/false), got '%s'",
                                   value);
            set_member(o->tree, "seed_everything", v);
        } else if (strchr(name, '.')) rc = ltr_options_set_dotted(o->tree, name, value, err, cap);
        else return ltr_usage_error(err, cap, "--%s: unknown option (see ltrun --help)", name);
    }
    if (rc) return rc;
    if (o->command == LTR_CMD_HELP) return 0;
    /* PL_TRAINER_* below every config and option (env_defaults.c) */
    if ((rc = ltr_env_trainer_defaults(o->tree, err, cap))) return rc;
    section(o->tree, "trainer");
    section(o->tree, "model");
    section(o->tree, "data");
    rc = ltr_options_resolve(o, err, cap);
    if (rc) ltr_origin_annotate(o->origins, err, cap); /* the file and line that set it */
    if (!rc && o->print_config) add_print_defaults(o->tree, o->trainer.barebones);
    if (!rc && o->results_path) rc = check_results_path(o->results_path, err, cap);
    if (!rc && o->predictions_path && o->command != LTR_CMD_PREDICT)
        rc = ltr_usage_error(err, cap, "--predictions is an option of ltrun predict");
    return rc;
}

void ltr_options_free(ltr_options *o) {
    cJSON_Delete(o->tree);
    cJSON_Delete(o->origins);
    memset(o, 0, sizeof *o);
}
