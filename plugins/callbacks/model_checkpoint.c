/*
 * model_checkpoint.c — Lightning's ModelCheckpoint (callbacks/model_checkpoint.py) as a
 * callback plugin.
 *
 * init args (Lightning's names and defaults): dirpath null, filename null, monitor null,
 * verbose false, save_last null (true | false | "link"), save_top_k 1, save_weights_only
 * false, mode "min" | "max", auto_insert_metric_name true, every_n_train_steps null,
 * train_time_interval null (seconds, a number), every_n_epochs null,
 * save_on_train_epoch_end null, enable_version_counter true.
 *
 * Reproduced behaviour:
 *  - __validate_init_configuration: save_top_k >= -1, every_n_* >= 0, the three triggers
 *    mutually exclusive, save_top_k not in (-1, 0, 1) needs a monitor; __init_triggers:
 *    none given -> every_n_epochs 1.
 *  - dirpath null -> the first logger's save_dir/name/version/checkpoints,
 *    default_root_dir/checkpoints without a logger (lt_checkpoint_dir, ABI 1.5); the
 *    resolved dirpath is reported (lt_checkpoint_dirpath_add) for `--ckpt-path last`. The
 *    "exists and is not empty" warning at fit setup.
 *  - filenames: _format_checkpoint_name — default "{epoch}-{step}"; each "{name" (up to ':'
 *    or '}') becomes "name={name" when auto_insert_metric_name; values from the monitor
 *    candidates (callback_metrics as float32, epoch/step as ints; a missing name is 0),
 *    formatted as Python's format(value, spec) (py_format.h: the whole format-spec
 *    mini-language; types d, e, E, f, F, g, G, % and none; a bad spec is refused at
 *    create, a type the value cannot take when the name is formatted).
 *    A '/' in a metric name stays a '/' (a subfolder), as in Lightning, which is why
 *    auto_insert_metric_name false exists. Extension ".h5"; version suffix "-v1", "-v2"
 *    (enable_version_counter) while the name exists and is not the file being replaced.
 *  - saving: on_train_batch_end (every_n_train_steps on global_step, or
 *    train_time_interval since on_train_start; monitoring a metric not logged yet, or one
 *    the validation right after the epoch's last batch refreshes, the save is deferred to
 *    on_validation_end as Lightning 2.6 does), on_train_epoch_end or on_validation_end
 *    (_should_save_on_train_epoch_end: given value, else false when check_val_every_n_epoch
 *    != 1, else val_check_interval == 1.0) with every_n_epochs on current_epoch + 1; never
 *    outside fit, during the sanity check, with fast_dev_run, or twice at one global_step.
 *  - _save_topk_checkpoint (monitor: check_monitor_top_k, _update_best_and_save with NaN ->
 *    +/-inf, kth/best by Python's min/max over the insertion-ordered dict, the file falling
 *    out of the top k deleted; the monitor missing: an error once validation has run, else
 *    a warning; no monitor: _save_none_monitor_checkpoint, the previous file removed when
 *    save_top_k == 1), then _save_last_checkpoint ("last" + version suffix; "link": a
 *    symlink to the last saved top-k file). Files are removed only inside dirpath.
 *  - verbose messages (stderr) as Lightning's rank_zero_info.
 *  - state_dict / load_state_dict: monitor, best_model_score, best_model_path,
 *    current_score, dirpath, best_k_models, kth_best_model_path, kth_value,
 *    last_model_path; a changed dirpath reloads best_model_path only (with the warning).
 * Host contract (ABI 1.4): lt_checkpoint_paths_set reports best/last after each save and
 * in setup. Sidecar: dirpath/.model_checkpoint.json {"best_model_path", "last_model_path",
 * "best_model_score"} is rewritten (temp + rename) after each save and read back in setup,
 * so `ltrun test --ckpt-path best` in a new process (same callback config) finds the
 * best file. Deviation: trainer.ckpt_path is not excluded from deletion.
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's ModelCheckpoint: save top-k / last checkpoints"
#include "ltrun.h"

#include "cb_util.h"
#include "py_format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#define MC_PATH 2048
#define MC_MAXK 256

typedef struct {
    char path[MC_PATH];
    double score;
} mc_entry;

typedef struct model_checkpoint {
    char dirpath[1024], filename[512], monitor[256];
    bool has_dirpath, has_filename, has_monitor;
    bool verbose, save_weights_only, max_mode, auto_insert, version_counter;
    int save_last; /* 0 false/None, 1 true, 2 "link" */
    int64_t save_top_k, every_n_train_steps, every_n_epochs;
    double train_time_interval; /* seconds; 0 = None */
    int save_on_train_epoch_end; /* -1 None */
    /* state */
    mc_entry best_k[MC_MAXK];
    int nbest;
    char best_model_path[MC_PATH], kth_best_model_path[MC_PATH], last_model_path[MC_PATH];
    char last_saved[MC_PATH]; /* _last_checkpoint_saved */
    double best_model_score, current_score, kth_value;
    bool has_best_score, has_current_score;
    int64_t last_global_step_saved;
    double last_time_checked;
    bool val_has_run;
    bool defer_save_until_validation; /* a step/time save waits for fresh val metrics */
} model_checkpoint;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* an optional non-negative-or-any int: absent/null -> false */
static bool opt_int(lt_ctx *ctx, const lt_hparams *hp, const char *key, int64_t *out, bool *bad) {
    const char *t = lt_hp_json(ctx, hp, key);
    if (!t || !strcmp(t, "null")) return false;
    char *end;
    long long v = strtoll(t, &end, 10);
    if (*end || end == t) {
        lt_fail(ctx, "model_checkpoint: %s: expected an integer or null, got %s", key, t);
        *bad = true;
    }
    *out = v;
    return true;
}

static lt_status check_template(lt_ctx *ctx, const char *fn);

static void *mc_create(lt_ctx *ctx, const lt_hparams *hp) {
    model_checkpoint *mc = calloc(1, sizeof *mc);
    if (!mc) return NULL;
    bool bad = false;
    const char *t;
    t = lt_hp_json(ctx, hp, "dirpath");
    if (t && strcmp(t, "null")) {
        snprintf(mc->dirpath, sizeof mc->dirpath, "%s", lt_hp_str(ctx, hp, "dirpath", ""));
        mc->has_dirpath = true;
    }
    t = lt_hp_json(ctx, hp, "filename");
    if (t && strcmp(t, "null")) {
        const char *fn = lt_hp_str(ctx, hp, "filename", "");
        if (strlen(fn) >= sizeof mc->filename) {
            lt_fail(ctx, "model_checkpoint: filename: the template is longer than %zu bytes",
                    sizeof mc->filename - 1);
            bad = true;
        } else if (check_template(ctx, fn)) {
            bad = true;
        }
        snprintf(mc->filename, sizeof mc->filename, "%s", fn);
        mc->has_filename = mc->filename[0] != '\0';
    }
    t = lt_hp_json(ctx, hp, "monitor");
    if (t && strcmp(t, "null")) {
        snprintf(mc->monitor, sizeof mc->monitor, "%s", lt_hp_str(ctx, hp, "monitor", ""));
        mc->has_monitor = true;
    }
    mc->verbose = lt_hp_bool(ctx, hp, "verbose", false);
    t = lt_hp_json(ctx, hp, "save_last");
    if (!t || !strcmp(t, "null") || !strcmp(t, "false")) mc->save_last = 0;
    else if (!strcmp(t, "true")) mc->save_last = 1;
    else if (!strcmp(t, "\"link\"")) mc->save_last = 2;
    else {
        lt_fail(ctx, "model_checkpoint: save_last: expected true, false, null or \"link\", got %s", t);
        bad = true;
    }
    mc->save_top_k = lt_hp_int(ctx, hp, "save_top_k", 1);
    mc->save_weights_only = lt_hp_bool(ctx, hp, "save_weights_only", false);
    const char *mode = lt_hp_str(ctx, hp, "mode", "min");
    mc->auto_insert = lt_hp_bool(ctx, hp, "auto_insert_metric_name", true);
    bool n_steps = opt_int(ctx, hp, "every_n_train_steps", &mc->every_n_train_steps, &bad);
    bool n_epochs = opt_int(ctx, hp, "every_n_epochs", &mc->every_n_epochs, &bad);
    t = lt_hp_json(ctx, hp, "train_time_interval");
    bool has_time = t && strcmp(t, "null");
    if (has_time) {
        char *end;
        mc->train_time_interval = strtod(t, &end);
        if (*end || end == t || mc->train_time_interval <= 0) {
            lt_fail(ctx, "model_checkpoint: train_time_interval: expected a positive number of "
                         "seconds or null, got %s", t);
            bad = true;
        }
    }
    t = lt_hp_json(ctx, hp, "save_on_train_epoch_end");
    if (!t || !strcmp(t, "null")) mc->save_on_train_epoch_end = -1;
    else if (!strcmp(t, "true")) mc->save_on_train_epoch_end = 1;
    else if (!strcmp(t, "false")) mc->save_on_train_epoch_end = 0;
    else {
        lt_fail(ctx, "model_checkpoint: save_on_train_epoch_end: expected true, false or null, got %s", t);
        bad = true;
    }
    mc->version_counter = lt_hp_bool(ctx, hp, "enable_version_counter", true);
    /* __validate_init_configuration */
    if (!bad && mc->save_top_k < -1) {
        lt_fail(ctx, "model_checkpoint: Invalid value for save_top_k=%lld. Must be >= -1",
                (long long)mc->save_top_k);
        bad = true;
    }
    if (!bad && n_steps && mc->every_n_train_steps < 0) {
        lt_fail(ctx, "model_checkpoint: Invalid value for every_n_train_steps=%lld. Must be >= 0",
                (long long)mc->every_n_train_steps);
        bad = true;
    }
    if (!bad && n_epochs && mc->every_n_epochs < 0) {
        lt_fail(ctx, "model_checkpoint: Invalid value for every_n_epochs=%lld. Must be >= 0",
                (long long)mc->every_n_epochs);
        bad = true;
    }
    bool steps_on = n_steps && mc->every_n_train_steps > 0;
    bool epochs_on = n_epochs && mc->every_n_epochs > 0;
    if (!bad && steps_on + epochs_on + has_time > 1) {
        lt_fail(ctx, "model_checkpoint: Combination of parameters every_n_train_steps=%lld, "
                     "every_n_epochs=%lld and train_time_interval=%g should be mutually exclusive.",
                (long long)mc->every_n_train_steps, (long long)mc->every_n_epochs,
                mc->train_time_interval);
        bad = true;
    }
    if (!bad && !mc->has_monitor && mc->save_top_k != -1 && mc->save_top_k != 0 &&
        mc->save_top_k != 1) {
        lt_fail(ctx, "model_checkpoint: ModelCheckpoint(save_top_k=%lld, monitor=None) is not a "
                     "valid configuration. No quantity for top_k to track.",
                (long long)mc->save_top_k);
        bad = true;
    }
    if (!bad && strcmp(mode, "min") && strcmp(mode, "max")) {
        lt_fail(ctx, "model_checkpoint: `mode` can be min, max, got %s", mode);
        bad = true;
    }
    if (!bad && mc->save_top_k > MC_MAXK) {
        lt_fail(ctx, "model_checkpoint: save_top_k=%lld: at most %d are tracked",
                (long long)mc->save_top_k, MC_MAXK);
        bad = true;
    }
    if (bad) {
        free(mc);
        return NULL;
    }
    mc->max_mode = !strcmp(mode, "max");
    /* __init_triggers */
    if (!n_steps && !n_epochs && !has_time) {
        mc->every_n_epochs = 1;
        mc->every_n_train_steps = 0;
    } else {
        if (!n_epochs) mc->every_n_epochs = 0;
        if (!n_steps) mc->every_n_train_steps = 0;
    }
    mc->kth_value = mc->max_mode ? -INFINITY : INFINITY;
    mc->last_global_step_saved = -1;
    return mc;
}

static void mc_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

/* ---------------------------------------------------------------- sidecar */

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void report(lt_ctx *ctx, model_checkpoint *mc) {
    lt_checkpoint_paths_set(ctx, mc->best_model_path, mc->last_model_path);
    char path[MC_PATH + 64], tmp[MC_PATH + 128];
    snprintf(path, sizeof path, "%s/.model_checkpoint.json", mc->dirpath);
    /* the host's temporary file, created O_EXCL under a name nobody can predict: a planted
     * symlink is never written through */
    int fd = lt_tmp_create(ctx, path, tmp, sizeof tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) { /* the sidecar is a convenience: no dirpath yet -> nothing to remember */
        if (fd >= 0) close(fd), remove(tmp);
        return;
    }
    fputs("{\"best_model_path\": ", f);
    json_str(f, mc->best_model_path);
    fputs(", \"last_model_path\": ", f);
    json_str(f, mc->last_model_path);
    fputs("}\n", f);
    if (fclose(f) == 0) rename(tmp, path);
    else remove(tmp);
}

static void read_sidecar(lt_ctx *ctx, model_checkpoint *mc) {
    char path[MC_PATH + 64], buf[3 * MC_PATH + 128];
    snprintf(path, sizeof path, "%s/.model_checkpoint.json", mc->dirpath);
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cb_json_iter it;
    char key[64], val[MC_PATH];
    char best[MC_PATH] = "", last[MC_PATH] = "";
    if (cb_json_begin(&it, buf)) return;
    int r;
    while ((r = cb_json_next(&it, key, sizeof key, val, sizeof val)) > 0) {
        if (!strcmp(key, "best_model_path")) snprintf(best, sizeof best, "%s", val);
        else if (!strcmp(key, "last_model_path")) snprintf(last, sizeof last, "%s", val);
    }
    if (r < 0) return;
    lt_checkpoint_paths_set(ctx, best, last);
}

/* ---------------------------------------------------------------- setup */

static int mkdirs(const char *dir) {
    char buf[MC_PATH];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static lt_status mc_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    model_checkpoint *mc = self;
    if (!mc->has_dirpath) { /* __resolve_ckpt_dir: the first logger's version dir (ABI 1.5) */
        if (lt_checkpoint_dir(ctx, mc->dirpath, sizeof mc->dirpath) != LT_OK) return LT_ERROR;
        mc->has_dirpath = true;
    }
    /* __init_ckpt_dir keeps os.path.realpath(dirpath): absolute, "." segments and a
     * trailing '/' dropped (symlinks are not resolved here) */
    if (mc->dirpath[0] != '/') {
        char cwd[512], rel[sizeof mc->dirpath];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(rel, sizeof rel, "%s", mc->dirpath);
            snprintf(mc->dirpath, sizeof mc->dirpath, "%s/%.500s", cwd, rel);
        }
    }
    char *dot;
    while ((dot = strstr(mc->dirpath, "/./"))) memmove(dot, dot + 2, strlen(dot + 2) + 1);
    size_t len = strlen(mc->dirpath);
    if (len > 2 && !strcmp(mc->dirpath + len - 2, "/.")) mc->dirpath[len -= 2] = '\0';
    while (len > 1 && mc->dirpath[len - 1] == '/') mc->dirpath[--len] = '\0';
    /* setup: dirpath = trainer.strategy.broadcast(dirpath): rank zero's on every rank */
    if (lt_broadcast(ctx, mc->dirpath, sizeof mc->dirpath, 0)) return LT_ERROR;
    if (stage == LT_STAGE_FIT && ctx->rank == 0 && mc->save_top_k != 0) {
        /* __warn_if_dir_not_empty */
        DIR *d = opendir(mc->dirpath);
        if (d) {
            struct dirent *e;
            bool files = false;
            while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                    strcmp(e->d_name, ".model_checkpoint.json"))
                    files = true;
            closedir(d);
            if (files)
                fprintf(stderr, "UserWarning: Checkpoint directory %s exists and is not empty.\n",
                        mc->dirpath);
        }
    }
    lt_checkpoint_dirpath_add(ctx, mc->dirpath); /* where --ckpt-path last looks */
    read_sidecar(ctx, mc); /* --ckpt-path best/last of an earlier process */
    return LT_OK;
}

/* ---------------------------------------------------------------- names */

/* value of a monitor candidate; false -> missing (Lightning puts tensor(0)) */
static bool candidate(lt_ctx *ctx, const char *name, double *v, bool *is_int) {
    *is_int = false;
    if (!strcmp(name, "epoch") || !strcmp(name, "step")) {
        double m;
        *is_int = true;
        if (lt_callback_metric(ctx, name, &m)) *v = (double)(int64_t)m;
        else *v = (double)(!strcmp(name, "epoch") ? ctx->current_epoch : ctx->global_step);
        return true;
    }
    double m;
    if (!lt_callback_metric(ctx, name, &m)) {
        *v = 0;
        *is_int = true;
        return false;
    }
    *v = (double)(float)m; /* callback_metrics are float32 tensors */
    return true;
}

/* Each "{name[:spec]}" field of a filename template in turn: fn(key, spec, arg); a
 * field longer than the buffers is an error. 0, or fn's / the walk's -1 (message in err). */
typedef int (*mc_field_fn)(const char *key, const char *spec, void *arg, char *err, size_t cap);

/* Python's format(value, spec) of a field; an error names the template and the field */
typedef struct {
    lt_ctx *ctx;
    const model_checkpoint *mc;
    char *name;
    size_t n, cap;
} mc_name_buf;

static int walk_template(const char *fn, mc_name_buf *b, mc_field_fn field, void *arg, char *err,
                         size_t cap) {
    for (const char *p = fn; *p;) {
        if (*p != '{') {
            if (b) {
                if (b->n + 1 >= b->cap) return snprintf(err, cap, "the name is longer than %d bytes: shorten the filename template "
                                        "or set auto_insert_metric_name false", MC_PATH), -1;
                b->name[b->n++] = *p;
            }
            p++;
            continue;
        }
        const char *q = p + 1;
        while (*q && *q != ':' && *q != '}') q++;
        if (!*q) { /* no closing: copied as is */
            if (b) {
                if (b->n + 1 >= b->cap) return snprintf(err, cap, "the name is longer than %d bytes: shorten the filename template "
                                        "or set auto_insert_metric_name false", MC_PATH), -1;
                b->name[b->n++] = *p;
            }
            p++;
            continue;
        }
        char key[256], spec[256] = "";
        if (q - p - 1 >= (long)sizeof key)
            return snprintf(err, cap, "a field name is longer than %zu bytes: shorten it", sizeof key - 1), -1;
        snprintf(key, sizeof key, "%.*s", (int)(q - p - 1), p + 1);
        const char *end = q;
        if (*q == ':') {
            end = strchr(q, '}');
            if (!end) end = q + strlen(q);
            if (end - q - 1 >= (long)sizeof spec) {
                snprintf(err, cap, "field '%s': the format spec is too long", key);
                return -1;
            }
            snprintf(spec, sizeof spec, "%.*s", (int)(end - q - 1), q + 1);
        }
        if (field(key, spec, arg, err, cap)) return -1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* mc_create: every field's spec parses (the value's type is checked when formatting) */
static int check_field(const char *key, const char *spec, void *arg, char *err, size_t cap) {
    (void)arg;
    pyf_spec s;
    char why[256];
    if (!pyf_parse(spec, &s, NULL, why, sizeof why)) return 0;
    snprintf(err, cap, "field '{%.100s:%.100s}': %.250s", key, spec, why);
    return -1;
}

static int format_field(const char *key, const char *spec, void *arg, char *err, size_t cap) {
    mc_name_buf *b = arg;
    double v;
    bool is_int;
    candidate(b->ctx, key, &v, &is_int);
    char val[4096], why[256];
    if (pyf_format(val, sizeof val, v, is_int, spec, why, sizeof why)) {
        snprintf(err, cap, "field '{%.100s:%.100s}': %.250s", key, spec, why);
        return -1;
    }
    int w = b->mc->auto_insert ? snprintf(b->name + b->n, b->cap - b->n, "%s=%s", key, val)
                               : snprintf(b->name + b->n, b->cap - b->n, "%s", val);
    if (w < 0 || (size_t)w >= b->cap - b->n) return snprintf(err, cap, "the name is longer than %d bytes: shorten the filename template "
                                        "or set auto_insert_metric_name false", MC_PATH), -1;
    b->n += (size_t)w;
    return 0;
}

static lt_status check_template(lt_ctx *ctx, const char *fn) {
    char err[512];
    if (walk_template(fn, NULL, check_field, NULL, err, sizeof err) == 0) return LT_OK;
    return lt_fail(ctx, "model_checkpoint: filename '%s': %s", fn, err);
}

static const char *template_of(const model_checkpoint *mc, const char *filename) {
    return filename ? filename : mc->has_filename ? mc->filename : "{epoch}-{step}";
}

/* _format_checkpoint_name + format_checkpoint_name */
static lt_status format_name(lt_ctx *ctx, const model_checkpoint *mc, const char *filename, int ver,
                             char *out, size_t cap) {
    const char *fn = template_of(mc, filename);
    char name[MC_PATH], err[512];
    mc_name_buf b = {ctx, mc, name, 0, sizeof name};
    if (walk_template(fn, &b, format_field, &b, err, sizeof err))
        return lt_fail(ctx, "model_checkpoint: filename '%s': %s", fn, err);
    name[b.n] = '\0';
    int w = ver > 0 ? snprintf(out, cap, "%s/%s-v%d.h5", mc->dirpath, name, ver)
                    : snprintf(out, cap, "%s/%s.h5", mc->dirpath, name);
    if (w < 0 || (size_t)w >= cap)
        return lt_fail(ctx, "model_checkpoint: filename '%s': the path %s/%s.h5 is too long", fn,
                       mc->dirpath, name);
    return LT_OK;
}

static bool file_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ModelCheckpoint.file_exists: rank zero's answer on every rank (strategy.broadcast) */
static lt_status file_exists_everywhere(lt_ctx *ctx, const char *path, bool *exists) {
    *exists = file_exists(path);
    return lt_broadcast(ctx, exists, sizeof *exists, 0);
}

/* _get_metric_interpolated_filepath_name / the last name's version loop */
static lt_status versioned_name(lt_ctx *ctx, const model_checkpoint *mc, const char *filename,
                                const char *keep, char *out, size_t cap) {
    if (format_name(ctx, mc, filename, 0, out, cap)) return LT_ERROR;
    if (!mc->version_counter) return LT_OK;
    for (int v = 1;; v++) {
        bool exists;
        if (file_exists_everywhere(ctx, out, &exists)) return LT_ERROR;
        if (!exists || !strcmp(out, keep ? keep : "")) return LT_OK;
        if (format_name(ctx, mc, filename, v, out, cap)) return LT_ERROR;
    }
}

/* ---------------------------------------------------------------- saving */

static bool should_remove(const model_checkpoint *mc, const char *previous, const char *current) {
    if (!strcmp(previous, current)) return false;
    size_t n = strlen(mc->dirpath);
    return !strncmp(previous, mc->dirpath, n) && previous[n] == '/'; /* dirpath in parents */
}

static void remove_ckpt(const char *path) {
    if (remove(path) && errno != ENOENT)
        fprintf(stderr, "UserWarning: model_checkpoint: could not remove %s (%s)\n", path,
                strerror(errno));
}

static lt_status save_file(lt_ctx *ctx, model_checkpoint *mc, const char *path) {
    /* the file may sit in a subfolder of dirpath ('/' in a metric name) */
    char dir[MC_PATH];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdirs(dir))
            return lt_fail(ctx, "model_checkpoint: cannot create %s (%s)", dir, strerror(errno));
    }
    if (lt_save_checkpoint(ctx, path, mc->save_weights_only)) return LT_ERROR;
    mc->last_global_step_saved = ctx->global_step;
    snprintf(mc->last_saved, sizeof mc->last_saved, "%s", path);
    report(ctx, mc);
    return LT_OK;
}

static bool better(const model_checkpoint *mc, double a, double b) {
    return mc->max_mode ? a > b : a < b;
}

/* Python's min/max(dict, key=dict.get): the first of the equal extremes in insertion order */
static int extreme(const model_checkpoint *mc, bool want_best) {
    int k = 0;
    for (int i = 1; i < mc->nbest; i++) {
        double a = mc->best_k[i].score, b = mc->best_k[k].score;
        if (want_best ? better(mc, a, b) : better(mc, b, a)) k = i;
    }
    return k;
}

static void verbose_epoch_step(lt_ctx *ctx, char *buf, size_t cap) {
    snprintf(buf, cap, "Epoch %lld, global step %lld", (long long)ctx->current_epoch,
             (long long)ctx->global_step);
}

static lt_status update_best_and_save(lt_ctx *ctx, model_checkpoint *mc, double current) {
    int64_t k = mc->save_top_k == -1 ? mc->nbest + 1 : mc->save_top_k;
    char del[MC_PATH] = "";
    if (mc->nbest == k && k > 0) {
        int i;
        for (i = 0; i < mc->nbest && strcmp(mc->best_k[i].path, mc->kth_best_model_path); i++) {}
        if (i < mc->nbest) {
            snprintf(del, sizeof del, "%s", mc->best_k[i].path);
            memmove(&mc->best_k[i], &mc->best_k[i + 1], (size_t)(mc->nbest - i - 1) * sizeof *mc->best_k);
            mc->nbest--;
        }
    }
    if (isnan(current)) current = mc->max_mode ? -INFINITY : INFINITY;
    char filepath[MC_PATH];
    if (versioned_name(ctx, mc, NULL, del, filepath, sizeof filepath)) return LT_ERROR;
    mc->current_score = current;
    mc->has_current_score = true;
    if (mc->nbest >= MC_MAXK) { /* save_top_k -1 past the tracked maximum: keep the newest */
        memmove(&mc->best_k[0], &mc->best_k[1], (size_t)(mc->nbest - 1) * sizeof *mc->best_k);
        mc->nbest--;
    }
    /* best_k_models[filepath] = current (an existing key keeps its place) */
    int at;
    for (at = 0; at < mc->nbest && strcmp(mc->best_k[at].path, filepath); at++) {}
    if (at == mc->nbest) snprintf(mc->best_k[mc->nbest++].path, MC_PATH, "%s", filepath);
    mc->best_k[at].score = current;
    if (mc->nbest == k) {
        int w = extreme(mc, false);
        snprintf(mc->kth_best_model_path, sizeof mc->kth_best_model_path, "%s", mc->best_k[w].path);
        mc->kth_value = mc->best_k[w].score;
    }
    int b = extreme(mc, true);
    snprintf(mc->best_model_path, sizeof mc->best_model_path, "%s", mc->best_k[b].path);
    mc->best_model_score = mc->best_k[b].score;
    mc->has_best_score = true;
    if (mc->verbose) {
        char es[96];
        verbose_epoch_step(ctx, es, sizeof es);
        fprintf(stderr, "%s: '%s' reached %0.5f (best %0.5f), saving model to '%s' as top %lld\n",
                es, mc->monitor, current, mc->best_model_score, filepath, (long long)k);
    }
    if (save_file(ctx, mc, filepath)) return LT_ERROR;
    if (del[0] && should_remove(mc, del, filepath)) remove_ckpt(del);
    return LT_OK;
}

static lt_status save_topk(lt_ctx *ctx, model_checkpoint *mc) {
    if (mc->save_top_k == 0) return LT_OK;
    if (mc->has_monitor) {
        double current;
        bool is_int;
        /* _monitor_candidates: callback_metrics plus "epoch" and "step" */
        if (!candidate(ctx, mc->monitor, &current, &is_int)) {
            /* the monitor_candidates list in Lightning's message */
            char avail[2048] = "";
            size_t len = 0;
            int64_t n = lt_metrics_count(ctx, LT_CALLBACK_METRICS);
            for (int64_t i = 0; i < n && len < sizeof avail; i++) {
                int w = snprintf(avail + len, sizeof avail - len, "'%s', ",
                                 lt_metrics_name(ctx, LT_CALLBACK_METRICS, i));
                if (w < 0) break;
                len += (size_t)w;
            }
            if (len < sizeof avail)
                snprintf(avail + len, sizeof avail - len, "'epoch', 'step'");
            char m[3072];
            snprintf(m, sizeof m, "`ModelCheckpoint(monitor='%s')` could not find the monitored "
                     "key in the returned metrics: [%s]. HINT: Did you call `log('%s', value)` "
                     "in the `LightningModule`?", mc->monitor, avail, mc->monitor);
            if (mc->val_has_run) return lt_fail(ctx, "model_checkpoint: %s", m);
            fprintf(stderr, "UserWarning: %s\n", m);
            return LT_OK;
        }
        current = (double)(float)current;
        /* check_monitor_top_k */
        bool update = mc->save_top_k == -1 || mc->nbest < mc->save_top_k;
        if (!update) {
            /* torch.lt/gt with NaN is false: a NaN never displaces a kept model */
            update = !isnan(current) && better(mc, current, mc->kth_value);
            /* "make sure all processes are unanimous on the decision" */
            if (lt_reduce_boolean_decision(ctx, &update, true)) return LT_ERROR;
        }
        if (update) return update_best_and_save(ctx, mc, current);
        if (mc->verbose) {
            char es[96];
            verbose_epoch_step(ctx, es, sizeof es);
            fprintf(stderr, "%s: '%s' was not in top %lld\n", es, mc->monitor,
                    (long long)mc->save_top_k);
        }
        return LT_OK;
    }
    /* _save_none_monitor_checkpoint */
    char filepath[MC_PATH], previous[MC_PATH];
    if (versioned_name(ctx, mc, NULL, mc->best_model_path, filepath, sizeof filepath)) return LT_ERROR;
    snprintf(previous, sizeof previous, "%s", mc->best_model_path);
    snprintf(mc->best_model_path, sizeof mc->best_model_path, "%s", filepath);
    if (mc->verbose) {
        char es[96];
        verbose_epoch_step(ctx, es, sizeof es);
        fprintf(stderr, "%s: saving model to '%s'\n", es, filepath);
    }
    if (save_file(ctx, mc, filepath)) return LT_ERROR;
    if (mc->save_top_k == 1 && previous[0] && should_remove(mc, previous, filepath))
        remove_ckpt(previous);
    return LT_OK;
}

static lt_status save_last(lt_ctx *ctx, model_checkpoint *mc) {
    if (!mc->save_last) return LT_OK;
    char filepath[MC_PATH], previous[MC_PATH];
    if (versioned_name(ctx, mc, "last", mc->last_model_path, filepath, sizeof filepath)) return LT_ERROR;
    snprintf(previous, sizeof previous, "%s", mc->last_model_path);
    snprintf(mc->last_model_path, sizeof mc->last_model_path, "%s", filepath);
    if (mc->save_last == 2 && mc->last_saved[0] && mc->save_top_k != 0) {
        /* _link_checkpoint: a relative symlink to the last saved file */
        remove(filepath);
        const char *target = mc->last_saved;
        size_t n = strlen(mc->dirpath);
        if (!strncmp(target, mc->dirpath, n) && target[n] == '/') target += n + 1;
        if (symlink(target, filepath))
            return lt_fail(ctx, "model_checkpoint: save_last=\"link\": cannot link %s -> %s (%s)",
                           filepath, target, strerror(errno));
        report(ctx, mc);
    } else if (save_file(ctx, mc, filepath)) {
        return LT_ERROR;
    }
    if (previous[0] && should_remove(mc, previous, filepath)) remove_ckpt(previous);
    return LT_OK;
}

/* _should_skip_saving_checkpoint */
static bool skip_saving(lt_ctx *ctx, const model_checkpoint *mc) {
    return lt_trainer_flag(ctx, "fast_dev_run") > 0 || ctx->stage != LT_STAGE_FIT ||
           ctx->sanity_checking || mc->last_global_step_saved == ctx->global_step;
}

/* _should_save_on_train_epoch_end */
static bool on_epoch_end_mode(lt_ctx *ctx, const model_checkpoint *mc) {
    if (mc->save_on_train_epoch_end >= 0) return mc->save_on_train_epoch_end;
    /* time-based validation (val_check_interval as a duration): always at validation end */
    if (!isnan(lt_trainer_flag(ctx, "val_check_time_interval"))) return false;
    if (lt_trainer_flag(ctx, "check_val_every_n_epoch") != 1.0) return false;
    if (lt_trainer_flag(ctx, "num_val_batches") == 0.0) return true; /* no validation */
    return lt_trainer_flag(ctx, "val_check_interval") == 1.0;
}

static lt_status epoch_save(lt_ctx *ctx, model_checkpoint *mc) {
    if (mc->every_n_epochs >= 1 && (ctx->current_epoch + 1) % mc->every_n_epochs == 0 &&
        save_topk(ctx, mc))
        return LT_ERROR;
    return save_last(ctx, mc);
}

static lt_status mc_on_train_start(lt_ctx *ctx, void *self) {
    (void)ctx;
    ((model_checkpoint *)self)->last_time_checked = now_s();
    return LT_OK;
}

/* Will a validation run right after this batch? Lightning 2.6's check in
 * on_train_batch_end: the last batch of the epoch, validation enabled (val batches > 0)
 * and check_val_every_n_epoch None or dividing current_epoch + 1. A host that does not
 * report is_last_batch / num_val_batches (NaN) says no. */
static bool validation_follows(lt_ctx *ctx) {
    if (lt_trainer_flag(ctx, "is_last_batch") != 1.0) return false;
    if (!(lt_trainer_flag(ctx, "num_val_batches") > 0)) return false;
    double every = lt_trainer_flag(ctx, "check_val_every_n_epoch");
    return isnan(every) || every < 1 || (ctx->current_epoch + 1) % (int64_t)every == 0;
}

/* the monitored key among _monitor_candidates: callback_metrics plus epoch and step */
static bool monitor_present(lt_ctx *ctx, const model_checkpoint *mc) {
    double v;
    return !strcmp(mc->monitor, "epoch") || !strcmp(mc->monitor, "step") ||
           lt_callback_metric(ctx, mc->monitor, &v);
}

static lt_status mc_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *outputs,
                                       lt_batch *batch, int64_t batch_idx) {
    (void)outputs;
    (void)batch;
    (void)batch_idx;
    model_checkpoint *mc = self;
    bool skip_state = skip_saving(ctx, mc);
    bool skip_batch = mc->every_n_train_steps < 1 || ctx->global_step % mc->every_n_train_steps;
    bool skip_time = true;
    double now = now_s();
    if (mc->train_time_interval > 0)
        skip_time = now - mc->last_time_checked < mc->train_time_interval;
    if (skip_batch && skip_time) return LT_OK;
    if (!skip_time) mc->last_time_checked = now;
    /* Lightning 2.6 (its fix for issue #20185): a step/time save monitoring a metric that
     * is not there yet (validation-only), or that validation is about to refresh (this is
     * the epoch's last batch and validation runs next while saves happen at validation
     * end), waits for on_validation_end, top-k and last together. */
    if (mc->has_monitor && (!monitor_present(ctx, mc) ||
                            (!on_epoch_end_mode(ctx, mc) && validation_follows(ctx)))) {
        mc->defer_save_until_validation = true;
        return LT_OK;
    }
    if (skip_state) return LT_OK;
    if (save_topk(ctx, mc)) return LT_ERROR;
    return save_last(ctx, mc);
}

static lt_status mc_on_train_epoch_end(lt_ctx *ctx, void *self) {
    model_checkpoint *mc = self;
    if (skip_saving(ctx, mc) || !on_epoch_end_mode(ctx, mc)) return LT_OK;
    return epoch_save(ctx, mc);
}

static lt_status mc_on_validation_end(lt_ctx *ctx, void *self) {
    model_checkpoint *mc = self;
    if (ctx->stage == LT_STAGE_FIT && !ctx->sanity_checking) mc->val_has_run = true;
    if (skip_saving(ctx, mc) || on_epoch_end_mode(ctx, mc)) return LT_OK;
    if (mc->defer_save_until_validation) { /* the deferred step/time save, metrics fresh */
        mc->defer_save_until_validation = false;
        if (save_topk(ctx, mc)) return LT_ERROR;
        return save_last(ctx, mc);
    }
    return epoch_save(ctx, mc);
}

/* ---------------------------------------------------------------- state */

static void put_str(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const char *s) {
    char buf[2 * MC_PATH + 4];
    size_t n = 0;
    buf[n++] = '"';
    for (; *s && n + 3 < sizeof buf; s++) {
        if (*s == '"' || *s == '\\') buf[n++] = '\\';
        buf[n++] = *s;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    lt_ckpt_put_json(ctx, w, key, buf);
}

static void put_num(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, bool has, double v) {
    char buf[64];
    lt_ckpt_put_json(ctx, w, key, cb_json_number(v, has, buf, sizeof buf));
}

static lt_status mc_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    model_checkpoint *mc = self;
    if (mc->has_monitor) put_str(ctx, w, "monitor", mc->monitor);
    else lt_ckpt_put_json(ctx, w, "monitor", "null");
    put_num(ctx, w, "best_model_score", mc->has_best_score, mc->best_model_score);
    put_str(ctx, w, "best_model_path", mc->best_model_path);
    put_num(ctx, w, "current_score", mc->has_current_score, mc->current_score);
    put_str(ctx, w, "dirpath", mc->dirpath);
    /* best_k_models: {path: score} in insertion order */
    size_t cap = (size_t)(mc->nbest + 1) * (2 * MC_PATH + 64), n = 0;
    char *buf = malloc(cap);
    if (!buf) return lt_fail(ctx, "model_checkpoint: out of memory");
    buf[n++] = '{';
    for (int i = 0; i < mc->nbest; i++) {
        if (i) buf[n++] = ',';
        buf[n++] = '"';
        for (const char *s = mc->best_k[i].path; *s; s++) {
            if (*s == '"' || *s == '\\') buf[n++] = '\\';
            buf[n++] = *s;
        }
        double v = mc->best_k[i].score;
        n += (size_t)snprintf(buf + n, cap - n, "\":%s", "");
        if (isinf(v)) n += (size_t)snprintf(buf + n, cap - n, "%s", v < 0 ? "\"-inf\"" : "\"inf\"");
        else n += (size_t)snprintf(buf + n, cap - n, "%.17g", v);
    }
    buf[n++] = '}';
    buf[n] = '\0';
    lt_ckpt_put_json(ctx, w, "best_k_models", buf);
    free(buf);
    put_str(ctx, w, "kth_best_model_path", mc->kth_best_model_path);
    put_num(ctx, w, "kth_value", true, mc->kth_value);
    put_str(ctx, w, "last_model_path", mc->last_model_path);
    return LT_OK;
}

/* a JSON string (without quotes, simple escapes undone) or number text */
static bool get_text(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, char *out, size_t cap) {
    const char *j = lt_ckpt_get_json(ctx, r, key);
    if (!j) return false;
    if (*j != '"') {
        snprintf(out, cap, "%s", j);
        return true;
    }
    size_t n = 0;
    for (j++; *j && *j != '"' && n + 1 < cap; j++) {
        if (*j == '\\' && j[1]) j++;
        out[n++] = *j;
    }
    out[n] = '\0';
    return true;
}


static lt_status mc_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    model_checkpoint *mc = self;
    char dir[MC_PATH], buf[MC_PATH];
    if (!get_text(ctx, r, "dirpath", dir, sizeof dir)) snprintf(dir, sizeof dir, "%s", mc->dirpath);
    if (!strcmp(dir, mc->dirpath)) {
        if (get_text(ctx, r, "best_model_score", buf, sizeof buf)) {
            mc->has_best_score = strcmp(buf, "null") != 0;
            if (mc->has_best_score) mc->best_model_score = cb_parse_number(buf);
        }
        get_text(ctx, r, "kth_best_model_path", mc->kth_best_model_path,
                 sizeof mc->kth_best_model_path);
        if (get_text(ctx, r, "kth_value", buf, sizeof buf)) mc->kth_value = cb_parse_number(buf);
        const char *bk = lt_ckpt_get_json(ctx, r, "best_k_models");
        cb_json_iter it;
        if (bk && !cb_json_begin(&it, bk)) {
            char key[MC_PATH], val[64];
            mc->nbest = 0;
            while (mc->nbest < MC_MAXK &&
                   cb_json_next(&it, key, sizeof key, val, sizeof val) > 0) {
                snprintf(mc->best_k[mc->nbest].path, MC_PATH, "%s", key);
                mc->best_k[mc->nbest++].score = cb_parse_number(val);
            }
        }
        get_text(ctx, r, "last_model_path", mc->last_model_path, sizeof mc->last_model_path);
    } else {
        fprintf(stderr, "UserWarning: The dirpath has changed from '%s' to '%s', therefore "
                        "`best_model_score`, `kth_best_model_path`, `kth_value`, "
                        "`last_model_path` and `best_k_models` won't be reloaded. Only "
                        "`best_model_path` will be reloaded.\n", dir, mc->dirpath);
    }
    get_text(ctx, r, "best_model_path", mc->best_model_path, sizeof mc->best_model_path);
    lt_checkpoint_paths_set(ctx, mc->best_model_path, mc->last_model_path);
    return LT_OK;
}

LT_CALLBACK(model_checkpoint, .traits = LT_CALLBACK_CHECKPOINT, .create = mc_create,
            .destroy = mc_destroy, .setup = mc_setup, .on_train_start = mc_on_train_start,
            .on_train_batch_end = mc_on_train_batch_end,
            .on_train_epoch_end = mc_on_train_epoch_end,
            .on_validation_end = mc_on_validation_end, .state_dict = mc_state_dict,
            .load_state_dict = mc_load_state_dict)
