/*
 * mlflow.c — Lightning's MLFlowLogger (lightning 2.6 pytorch/loggers/mlflow.py) writing
 * MLflow's file store (mlflow/store/tracking/file_store.py) directly, without mlflow
 *.
 *
 * init args: experiment_name ("lightning_logs"), run_name (default: a generated
 * "<adjective>-<animal>-<n>" as mlflow does), save_dir (default:
 * <trainer.default_root_dir>/mlruns, i.e. Lightning's "./mlruns" when default_root_dir
 * is "."), tracking_uri ("file:<dir>" only; default $MLFLOW_TRACKING_URI when it is a
 * file: URI, else save_dir), tags (a string holding a JSON object of run tags: host
 * hparams are flat, e.g. "tags": "{\\"team\\": \\"a\\"}"), prefix ("" ; joined with "-"),
 * artifact_location (default file://<abs mlruns>/<experiment_id>), run_id (log into an
 * existing run of the experiment).
 *
 * Layout (anchors.md C2):
 *   mlruns/0/meta.yaml                      the "Default" experiment, made with the store
 *   mlruns/<exp_id>/meta.yaml               experiment (found by name, else created with
 *                                           a random integer id)
 *   mlruns/<exp_id>/<run_id>/meta.yaml      run info; status RUNNING (1) until finalize
 *                                           sets FINISHED (3) / FAILED (4) / KILLED (5)
 *                                           and end_time
 *   .../<run_id>/metrics/<key>              "<timestamp_ms> <value> <step>\n" appended per
 *                                           log_metrics (value as Python str(float))
 *   .../<run_id>/params/<key>               str(value), no newline; hparams flattened
 *                                           with "/" (Lightning's _flatten_dict); a
 *                                           different value for a logged key is an error
 *   .../<run_id>/tags/<key>                 mlflow.runName, mlflow.user,
 *                                           mlflow.source.name, mlflow.source.type + tags
 *   .../<run_id>/artifacts/
 *     images/<name>/step_<N>.png             log_image (ABI 1.8): the PNG mlflow's
 *                                           log_image(image, artifact_file) stores
 *     text/<name>/step_<N>.txt               log_text: the text as mlflow's log_text
 *     histograms/<name>/step_<N>.json        log_histogram: MLflow has no histogram
 *                                           type; {"min","max","num","sum",
 *                                           "sum_squares","bucket_limit","bucket"}
 *                                           over numpy's default 10 equal bins
 *   (names cleaned as metric keys are; ".." components are refused)
 * Keys containing "/" become subdirectories, as in the file store. meta.yaml files are
 * written as PyYAML safe_dump(sort_keys=True, default_flow_style=False) writes them.
 */
#include "ltrun.h"
#include "log_dir.h"
#include "png_encode.h"
#include "yaml_dump.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* paths are built into fixed buffers far longer than any real path; gcc cannot see that */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

typedef struct mlf_logger {
    char root[2048];     /* the mlruns dir, absolute */
    char exp_id[32];
    char run_id[40];
    char run_dir[2200];
    char run_name[256];
    char user[128];
    char artifact_uri[2400];
    char prefix[128];
    long long start_ms;
} mlf_logger;

static long long now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


static int mkparent(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *s = strrchr(tmp, '/');
    if (!s) return 0;
    *s = '\0';
    return logger_mkdirs(tmp);
}

static void random_bytes(unsigned char *p, size_t n) {
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(p, 1, n, f) : 0;
    if (f) fclose(f);
    if (got < n) { /* no /dev/urandom: time and pid */
        unsigned long long x = (unsigned long long)now_ms() * 6364136223846793005ull + (unsigned)getpid();
        for (size_t i = got; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            p[i] = (unsigned char)(x >> 56);
        }
    }
}

/* a YAML string scalar: plain when it reads back as that string, else single-quoted */
static void yaml_str(FILE *f, const char *s) {
    jv v = {.type = 's', .str = (char *)s};
    yaml_scalar(f, &v);
}

static lt_status write_text(lt_ctx *ctx, const char *path, const char *text) {
    if (mkparent(path)) return lt_fail(ctx, "mlflow logger: cannot create the directory of %s: %s", path, strerror(errno));
    FILE *f = fopen(path, "w");
    if (!f) return lt_fail(ctx, "mlflow logger: cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    if (fclose(f)) return lt_fail(ctx, "mlflow logger: writing %s failed", path);
    return LT_OK;
}

/* experiment meta.yaml */
static lt_status write_experiment(lt_ctx *ctx, const char *root, const char *id, const char *name,
                                  const char *artifact_location) {
    char dir[2200], path[2300];
    snprintf(dir, sizeof dir, "%s/%s", root, id);
    snprintf(path, sizeof path, "%s/meta.yaml", dir);
    if (logger_mkdirs(dir)) return lt_fail(ctx, "mlflow logger: cannot create %s: %s", dir, strerror(errno));
    FILE *f = fopen(path, "w");
    if (!f) return lt_fail(ctx, "mlflow logger: cannot write %s: %s", path, strerror(errno));
    long long t = now_ms();
    fputs("artifact_location: ", f);
    yaml_str(f, artifact_location);
    fprintf(f, "\ncreation_time: %lld\nexperiment_id: ", t);
    yaml_str(f, id);
    fprintf(f, "\nlast_update_time: %lld\nlifecycle_stage: active\nname: ", t);
    yaml_str(f, name);
    fputc('\n', f);
    if (fclose(f)) return lt_fail(ctx, "mlflow logger: writing %s failed", path);
    return LT_OK;
}

/* status: RunStatus (RUNNING 1, FINISHED 3, FAILED 4, KILLED 5); end_ms < 0: null */
static lt_status write_run_meta(lt_ctx *ctx, const mlf_logger *l, int status, long long end_ms) {
    char path[2300], tmp[2400];
    snprintf(path, sizeof path, "%s/meta.yaml", l->run_dir);
    /* the host's temporary file (O_EXCL, a name nobody can predict), renamed over it */
    int fd = lt_tmp_create(ctx, path, tmp, sizeof tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd), unlink(tmp);
        return lt_fail(ctx, "mlflow logger: cannot write a temporary file beside %s: %s", path,
                       strerror(e));
    }
    fputs("artifact_uri: ", f);
    yaml_str(f, l->artifact_uri);
    fputs("\ndeleted_time: null\n", f);
    if (end_ms < 0) fputs("end_time: null\n", f);
    else fprintf(f, "end_time: %lld\n", end_ms);
    fputs("entry_point_name: ''\nexperiment_id: ", f);
    yaml_str(f, l->exp_id);
    fputs("\nlifecycle_stage: active\nrun_id: ", f);
    yaml_str(f, l->run_id);
    fputs("\nrun_name: ", f);
    yaml_str(f, l->run_name);
    fputs("\nrun_uuid: ", f);
    yaml_str(f, l->run_id);
    fprintf(f, "\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: %lld\n"
               "status: %d\ntags: []\nuser_id: ", l->start_ms, status);
    yaml_str(f, l->user);
    fputc('\n', f);
    if (fclose(f) || rename(tmp, path)) {
        int e = errno; /* before unlink can change it */
        unlink(tmp);
        return lt_fail(ctx, "mlflow logger: writing %s failed: %s", path, strerror(e));
    }
    return LT_OK;
}

/* the "name: ..." line of an experiment meta.yaml, unquoted */
static bool experiment_named(const char *meta, const char *name) {
    FILE *f = fopen(meta, "r");
    if (!f) return false;
    char line[1024];
    bool hit = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "name: ", 6)) continue;
        char *v = line + 6;
        v[strcspn(v, "\n")] = '\0';
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') { /* undo '' escapes */
            char *o = v;
            for (size_t i = 1; i + 1 < n; i++) {
                *o++ = v[i];
                if (v[i] == '\'' && v[i + 1] == '\'') i++;
            }
            *o = '\0';
        }
        hit = !strcmp(v, name);
        break;
    }
    fclose(f);
    return hit;
}

static lt_status write_tag(lt_ctx *ctx, const mlf_logger *l, const char *key, const char *value) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tags/%s", l->run_dir, key);
    return write_text(ctx, path, value);
}

/* ---------------------------------------------------------------- params */

static lt_status log_param(lt_ctx *ctx, mlf_logger *l, const char *key, const jv *v) {
    char val[6001], path[4096];
    py_str(v, val, sizeof val); /* MLflow's 6000-character limit: Lightning truncates */
    snprintf(path, sizeof path, "%s/params/%s", l->run_dir, key);
    FILE *f = fopen(path, "r");
    if (f) { /* params are immutable: the same value again is fine, another is an error */
        char old[6001];
        size_t n = fread(old, 1, sizeof old - 1, f);
        old[n] = '\0';
        fclose(f);
        if (strcmp(old, val))
            return lt_fail(ctx, "mlflow logger: param '%s' was already logged as '%s' in run %s; "
                           "MLflow params are immutable (cannot change it to '%s')",
                           key, old, l->run_id, val);
        return LT_OK;
    }
    return write_text(ctx, path, val);
}

/* Lightning's _flatten_dict(params, delimiter="/") */
static lt_status log_params(lt_ctx *ctx, mlf_logger *l, const char *prefix, const jv *o) {
    for (int i = 0; i < o->n; i++) {
        char key[1024];
        if (prefix[0]) snprintf(key, sizeof key, "%s/%s", prefix, o->keys[i]);
        else snprintf(key, sizeof key, "%s", o->keys[i]);
        lt_status rc = o->items[i].type == 'o' && o->items[i].n > 0
                           ? log_params(ctx, l, key, &o->items[i])
                           : log_param(ctx, l, key, &o->items[i]);
        if (rc) return rc;
    }
    return LT_OK;
}

static lt_status mlf_log_hyperparams(lt_ctx *ctx, void *self, const char *json) {
    jv v;
    parse_jv(json, &v);
    lt_status rc = v.type == 'o' ? log_params(ctx, self, "", &v) : LT_OK;
    free_jv(&v);
    return rc;
}

/* ---------------------------------------------------------------- metrics */

static lt_status mlf_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                 const double *values, int n, int64_t step) {
    mlf_logger *l = self;
    long long ts = now_ms();
    for (int i = 0; i < n; i++) {
        /* Lightning: re.sub("[^a-zA-Z0-9_/. -]+", "", k) (with a warning) */
        char key[512], clean[512], path[4096], val[64];
        if (l->prefix[0]) snprintf(key, sizeof key, "%s-%s", l->prefix, names[i]);
        else snprintf(key, sizeof key, "%s", names[i]);
        size_t o = 0;
        for (const char *c = key; *c; c++)
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("_/. -", *c))
                clean[o++] = *c;
        clean[o] = '\0';
        if (strcmp(clean, key))
            fprintf(stderr, "warning: mlflow logger: metric '%s' renamed to '%s' (MLflow allows "
                            "only alphanumerics, '_', '/', '.', ' ' and '-')\n", key, clean);
        snprintf(path, sizeof path, "%s/metrics/%s", l->run_dir, clean);
        if (mkparent(path))
            return lt_fail(ctx, "mlflow logger: cannot create the directory of %s: %s", path,
                           strerror(errno));
        py_repr(values[i], val, sizeof val);
        char line[256];
        int len = snprintf(line, sizeof line, "%lld %s %lld\n", ts, val, (long long)step);
        FILE *f = fopen(path, "a");
        if (!f) return lt_fail(ctx, "mlflow logger: cannot write %s: %s", path, strerror(errno));
        /* one line per fwrite: a crash never leaves half a line behind a whole one */
        size_t w = fwrite(line, 1, (size_t)len, f);
        if (fclose(f) || w != (size_t)len)
            return lt_fail(ctx, "mlflow logger: writing %s failed", path);
    }
    return LT_OK;
}

/* ------------------------------------------------------------------ artifacts (ABI 1.8) */

/* artifacts/<kind>/<clean name>/step_<N>.<ext>; false (and a message) for a name that
 * would leave the artifacts folder */
static bool artifact_path(lt_ctx *ctx, const mlf_logger *l, const char *kind, const char *name,
                          int64_t step, const char *ext, char *path, size_t cap) {
    char key[512], clean[512];
    if (l->prefix[0]) snprintf(key, sizeof key, "%s-%s", l->prefix, name);
    else snprintf(key, sizeof key, "%s", name);
    size_t o = 0;
    for (const char *c = key; *c && o + 1 < sizeof clean; c++)
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("_/. -", *c))
            clean[o++] = *c;
    clean[o] = '\0';
    const char *p = clean;
    while (*p == '/') p++;
    if (!*p || !strcmp(p, "..") || strstr(p, "../") || (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")) ||
        !strcmp(p, ".")) {
        lt_fail(ctx, "mlflow logger: '%s' is not a usable artifact name (give a name such as "
                     "\"samples/grid\")", name);
        return false;
    }
    snprintf(path, cap, "%s/artifacts/%s/%s/step_%lld.%s", l->run_dir, kind, p, (long long)step, ext);
    return true;
}

/* the whole file under a temporary name, then renamed: never a torn artifact */
static lt_status write_artifact(lt_ctx *ctx, const char *path, const void *data, size_t n) {
    if (mkparent(path))
        return lt_fail(ctx, "mlflow logger: cannot create the directory of %s: %s", path, strerror(errno));
    char tmp[4200];
    int fd = lt_tmp_create(ctx, path, tmp, sizeof tmp);
    if (fd < 0) return lt_fail(ctx, "mlflow logger: cannot write %s: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return lt_fail(ctx, "mlflow logger: cannot write %s: %s", path, strerror(errno));
    }
    size_t w = fwrite(data, 1, n, f);
    if (fclose(f) || w != n || rename(tmp, path)) {
        unlink(tmp);
        return lt_fail(ctx, "mlflow logger: writing %s failed: %s", path, strerror(errno));
    }
    return LT_OK;
}

static lt_status mlf_log_image(lt_ctx *ctx, void *self, const char *name, const uint8_t *hwc,
                               int64_t h, int64_t w, int64_t c, int64_t step) {
    char path[4096];
    if (!artifact_path(ctx, self, "images", name, step, "png", path, sizeof path)) return LT_ERROR;
    png_bytes png;
    const char *why = "";
    if (png_encode(hwc, h, w, c, &png, &why))
        return lt_fail(ctx, "mlflow logger: image '%s': %s", name, why);
    lt_status rc = write_artifact(ctx, path, png.p, png.n);
    free(png.p);
    return rc;
}

static lt_status mlf_log_text(lt_ctx *ctx, void *self, const char *name, const char *text,
                              int64_t step) {
    char path[4096];
    if (!artifact_path(ctx, self, "text", name, step, "txt", path, sizeof path)) return LT_ERROR;
    return write_artifact(ctx, path, text, strlen(text));
}

static void json_num(FILE *f, double v) {
    char t[64];
    if (isfinite(v)) {
        py_repr(v, t, sizeof t);
        fputs(t, f);
    } else fputs(isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity", f); /* json.dumps */
}

static lt_status mlf_log_histogram(lt_ctx *ctx, void *self, const char *name, const double *values,
                                   int64_t n, int64_t step) {
    char path[4096];
    if (!artifact_path(ctx, self, "histograms", name, step, "json", path, sizeof path)) return LT_ERROR;
    if (n < 1) return lt_fail(ctx, "mlflow logger: histogram '%s': the input has no element", name);
    double mn = INFINITY, mx = -INFINITY, sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        if (values[i] < mn) mn = values[i];
        if (values[i] > mx) mx = values[i];
        sum += values[i];
        sq += values[i] * values[i];
    }
    if (!isfinite(mn) || !isfinite(mx))
        return lt_fail(ctx, "mlflow logger: histogram '%s': the values are not finite", name);
    /* np.histogram(values) : 10 equal bins over [min, max] ([min - 0.5, max + 0.5] when
     * they are equal), the last closed on the right */
    enum { NB = 10 };
    double lo = mn, hi = mx, edges[NB + 1], counts[NB] = {0};
    if (lo == hi) { lo -= 0.5; hi += 0.5; }
    for (int i = 0; i <= NB; i++) edges[i] = lo + (hi - lo) * i / NB;
    for (int64_t i = 0; i < n; i++) {
        int b = (int)((values[i] - lo) / (hi - lo) * NB);
        if (b >= NB) b = NB - 1;
        if (b < 0) b = 0;
        counts[b] += 1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return lt_fail(ctx, "mlflow logger: out of memory");
    fputs("{\"min\": ", f); json_num(f, mn);
    fputs(", \"max\": ", f); json_num(f, mx);
    fprintf(f, ", \"num\": %lld, \"sum\": ", (long long)n); json_num(f, sum);
    fputs(", \"sum_squares\": ", f); json_num(f, sq);
    fputs(", \"bucket_limit\": [", f);
    for (int i = 0; i <= NB; i++) { if (i) fputs(", ", f); json_num(f, edges[i]); }
    fputs("], \"bucket\": [", f);
    for (int i = 0; i < NB; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)counts[i]);
    fputs("]}\n", f);
    if (fclose(f)) { free(text); return lt_fail(ctx, "mlflow logger: out of memory"); }
    lt_status rc = write_artifact(ctx, path, text, len);
    free(text);
    return rc;
}

static lt_status mlf_save(lt_ctx *ctx, void *self) {
    (void)ctx;
    (void)self;
    return LT_OK; /* every write is complete when log_* returns */
}

/* Lightning: "success" -> FINISHED, "failed" -> FAILED, "finished" -> FINISHED;
 * ltrun's "interrupted" (Ctrl-C) -> KILLED */
static lt_status mlf_finalize(lt_ctx *ctx, void *self, const char *status) {
    mlf_logger *l = self;
    int st = 3;
    if (!strcmp(status, "failed")) st = 4;
    else if (!strcmp(status, "interrupted")) st = 5;
    return write_run_meta(ctx, l, st, now_ms());
}

/* ---------------------------------------------------------------- create */

static void gen_run_name(char *out, size_t cap) {
    static const char *adj[] = {"bold", "calm", "clever", "eager", "gentle", "happy", "keen",
                                "lucky", "merry", "quiet", "rare", "sharp", "silent", "swift"};
    static const char *animal[] = {"ant", "bat", "crab", "deer", "eel", "fox", "gull", "hawk",
                                   "lark", "mole", "owl", "seal", "toad", "wolf"};
    unsigned char r[4];
    random_bytes(r, sizeof r);
    snprintf(out, cap, "%s-%s-%d", adj[r[0] % 14], animal[r[1] % 14], (r[2] << 8 | r[3]) % 1000);
}

static void *mlf_create(lt_ctx *ctx, const lt_hparams *hp) {
    mlf_logger *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    const char *exp_name = lt_hp_str(ctx, hp, "experiment_name", "lightning_logs");
    const char *run_name = lt_hp_str(ctx, hp, "run_name", "");
    char dflt[2048];
    snprintf(dflt, sizeof dflt, "%s/mlruns", lt_default_root_dir(ctx));
    const char *save_dir = lt_hp_str(ctx, hp, "save_dir", dflt);
    const char *env_uri = getenv("MLFLOW_TRACKING_URI");
    const char *uri = lt_hp_str(ctx, hp, "tracking_uri",
                                env_uri && !strncmp(env_uri, "file:", 5) ? env_uri : "");
    const char *tags = lt_hp_str(ctx, hp, "tags", "");
    const char *run_id = lt_hp_str(ctx, hp, "run_id", "");
    const char *art_loc = lt_hp_str(ctx, hp, "artifact_location", "");
    snprintf(l->prefix, sizeof l->prefix, "%s", lt_hp_str(ctx, hp, "prefix", ""));
    const char *dir = save_dir;
    if (uri[0]) {
        if (strncmp(uri, "file:", 5)) {
            lt_fail(ctx, "mlflow logger: tracking_uri '%s' is not a file: URI; this logger "
                         "writes MLflow's file store only (use file:<dir> or save_dir)", uri);
            free(l);
            return NULL;
        }
        dir = uri + 5;
        if (!strncmp(dir, "//", 2)) dir += 2;
    }
    /* @rank_zero_experiment: the store is global rank zero's (the host sends the other
     * ranks no writes); version_dir is only read by rank zero's checkpoints */
    if (ctx->rank != 0) {
        snprintf(l->root, sizeof l->root, "%s", dir);
        return l;
    }
    char abs[PATH_MAX];
    if (logger_mkdirs(dir) || !realpath(dir, abs)) {
        lt_fail(ctx, "mlflow logger: cannot create %s: %s", dir, strerror(errno));
        free(l);
        return NULL;
    }
    snprintf(l->root, sizeof l->root, "%s", abs);
    const char *u = getenv("LOGNAME");
    if (!u || !*u) u = getenv("USER");
    if (!u || !*u) {
        struct passwd *pw = getpwuid(getuid());
        u = pw ? pw->pw_name : "unknown";
    }
    snprintf(l->user, sizeof l->user, "%s", u);
    char meta[2300], loc[2400];
    /* FileStore.__init__: the Default experiment "0" */
    snprintf(meta, sizeof meta, "%s/0/meta.yaml", l->root);
    struct stat st;
    if (stat(meta, &st) != 0) {
        snprintf(loc, sizeof loc, "file://%s/0", l->root);
        if (write_experiment(ctx, l->root, "0", "Default", loc)) goto fail;
    }
    /* get_experiment_by_name, else create_experiment(name, artifact_location) */
    DIR *d = opendir(l->root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(meta, sizeof meta, "%s/%s/meta.yaml", l->root, e->d_name);
        if (experiment_named(meta, exp_name)) {
            snprintf(l->exp_id, sizeof l->exp_id, "%s", e->d_name);
            break;
        }
    }
    if (d) closedir(d);
    if (!l->exp_id[0]) {
        unsigned char r[8];
        random_bytes(r, sizeof r);
        uint64_t x = 0;
        for (int i = 0; i < 8; i++) x = x << 8 | r[i];
        x %= 1000000000000000000ull; /* a random unique integer id, as a string */
        if (x < 100000000000000000ull) x += 100000000000000000ull;
        snprintf(l->exp_id, sizeof l->exp_id, "%llu", (unsigned long long)x);
        if (art_loc[0]) snprintf(loc, sizeof loc, "%s", art_loc);
        else snprintf(loc, sizeof loc, "file://%s/%s", l->root, l->exp_id);
        if (write_experiment(ctx, l->root, l->exp_id, exp_name, loc)) goto fail;
    }
    /* the experiment's artifact_location (re-read is not needed: we wrote or found it) */
    if (art_loc[0]) snprintf(loc, sizeof loc, "%s", art_loc);
    else snprintf(loc, sizeof loc, "file://%s/%s", l->root, l->exp_id);
    l->start_ms = now_ms();
    if (run_id[0]) { /* resume an existing run */
        snprintf(l->run_id, sizeof l->run_id, "%s", run_id);
        snprintf(l->run_dir, sizeof l->run_dir, "%s/%s/%s", l->root, l->exp_id, l->run_id);
        if (stat(l->run_dir, &st) != 0) {
            lt_fail(ctx, "mlflow logger: run_id '%s' not found in experiment '%s' (%s)", run_id,
                    exp_name, l->run_dir);
            goto fail;
        }
    } else { /* uuid4().hex */
        unsigned char r[16];
        random_bytes(r, sizeof r);
        r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
        r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
        for (int i = 0; i < 16; i++) snprintf(l->run_id + 2 * i, 3, "%02x", r[i]);
        snprintf(l->run_dir, sizeof l->run_dir, "%s/%s/%s", l->root, l->exp_id, l->run_id);
    }
    if (run_name[0]) snprintf(l->run_name, sizeof l->run_name, "%s", run_name);
    else gen_run_name(l->run_name, sizeof l->run_name);
    snprintf(l->artifact_uri, sizeof l->artifact_uri, "%s/%s/artifacts", loc, l->run_id);
    char sub[2300];
    static const char *subs[] = {"metrics", "params", "tags", "artifacts"};
    for (int i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s/%s", l->run_dir, subs[i]);
        if (logger_mkdirs(sub)) {
            lt_fail(ctx, "mlflow logger: cannot create %s: %s", sub, strerror(errno));
            goto fail;
        }
    }
    if (write_run_meta(ctx, l, 1, -1)) goto fail;
    /* resolve_tags: the run name and context tags, then the user's tags */
    if (write_tag(ctx, l, "mlflow.runName", l->run_name) ||
        write_tag(ctx, l, "mlflow.user", l->user) ||
        write_tag(ctx, l, "mlflow.source.name", "ltrun") ||
        write_tag(ctx, l, "mlflow.source.type", "LOCAL"))
        goto fail;
    if (tags[0]) {
        jv t;
        parse_jv(tags, &t);
        if (t.type != 'o') {
            free_jv(&t);
            lt_fail(ctx, "mlflow logger: tags must be a JSON object of strings, got %s", tags);
            goto fail;
        }
        for (int i = 0; i < t.n; i++) {
            char val[6001];
            py_str(&t.items[i], val, sizeof val);
            if (write_tag(ctx, l, t.keys[i], val)) {
                free_jv(&t);
                goto fail;
            }
        }
        free_jv(&t);
    }
    return l;
fail:
    free(l);
    return NULL;
}

static void mlf_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}


/* ABI 1.5: checkpoint dir — MLFlowLogger's save_dir (the mlruns dir), name
 * (experiment_id) and version (run_id): <mlruns>/<exp_id>/<run_id> */
static lt_status mlf_version_dir(lt_ctx *ctx, void *self, char *buf, size_t cap) {
    (void)ctx;
    snprintf(buf, cap, "%s", ((mlf_logger *)self)->run_dir);
    return LT_OK;
}

LT_LOGGER(mlflow, .create = mlf_create, .destroy = mlf_destroy,
          .log_hyperparams = mlf_log_hyperparams, .log_metrics = mlf_log_metrics,
          .save = mlf_save, .finalize = mlf_finalize,
          .version_dir = mlf_version_dir, .log_image = mlf_log_image,
          .log_histogram = mlf_log_histogram, .log_text = mlf_log_text)
