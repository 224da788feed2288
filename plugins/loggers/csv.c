/*
 * csv.c — Lightning's CSVLogger (lightning 2.6: pytorch/loggers/csv_logs.py over
 * fabric/loggers/csv_logs.py _ExperimentWriter), as a logger plugin.
 *
 * init args: save_dir (default: trainer.default_root_dir), name ("lightning_logs";
 * "" drops that level), version (int, or a string used verbatim; default: 1 + the
 * largest existing version_<int>, 0 if none), prefix (""; joined with "-"),
 * flush_logs_every_n_steps (100).
 * Files: <save_dir>/<name>/version_<N>/metrics.csv and hparams.yaml.
 * metrics.csv: one row per log_metrics call, "step" added by the writer; the header is
 * the sorted union of keys seen; rows are buffered and appended on save() (the Trainer
 * calls save after every log_metrics), when (step + 1) % flush_logs_every_n_steps == 0,
 * and at finalize; a new key rewrites the whole file with the wider header; missing
 * values are empty cells; floats as Python repr, "epoch" and "step" as integers.
 */
#include "ltrun.h"
#include "log_dir.h"
#include "yaml_dump.h"

#include <errno.h>
#include <stdbool.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct row {
    int n;
    char **keys;
    double *vals;
} row;

typedef struct csv_logger {
    char dir[2048], metrics_path[2100], hparams_path[2100], prefix[128];
    int64_t flush_every;
    char **keys; /* header, sorted */
    int nkeys;
    row *rows;   /* buffered, not yet written */
    int nrows;
    char *hparams; /* the merged hparams (JSON text), owned */
} csv_logger;

static char *csv_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}



static void put_value(FILE *f, const char *key, double v) {
    char buf[64];
    if ((!strcmp(key, "epoch") || !strcmp(key, "step")) && v == floor(v) && fabs(v) < 9e15)
        fprintf(f, "%lld", (long long)v);
    else {
        py_repr(v, buf, sizeof buf);
        fputs(buf, f);
    }
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void write_rows(FILE *f, csv_logger *l, const row *rows, int nrows) {
    for (int r = 0; r < nrows; r++) {
        for (int k = 0; k < l->nkeys; k++) {
            if (k) fputc(',', f);
            for (int i = 0; i < rows[r].n; i++)
                if (!strcmp(rows[r].keys[i], l->keys[k])) {
                    put_value(f, l->keys[k], rows[r].vals[i]);
                    break;
                }
        }
        fputs("\r\n", f); /* csv.DictWriter's default lineterminator */
    }
}

static void write_header(FILE *f, const csv_logger *l) {
    for (int k = 0; k < l->nkeys; k++) fprintf(f, "%s%s", k ? "," : "", l->keys[k]);
    fputs("\r\n", f);
}

/* Re-read the file's rows (values as written) and write them back under the new header. */
static lt_status rewrite(lt_ctx *ctx, csv_logger *l, char **old_keys, int nold) {
    FILE *f = fopen(l->metrics_path, "r");
    if (!f) return lt_fail(ctx, "csv logger: cannot read %s: %s", l->metrics_path, strerror(errno));
    char tmp[2200];
    /* the host's temporary file (O_EXCL, a name nobody can predict), renamed over it */
    int fd = lt_tmp_create(ctx, l->metrics_path, tmp, sizeof tmp);
    FILE *g = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!g) {
        int e = errno;
        if (fd >= 0) close(fd), unlink(tmp);
        fclose(f);
        return lt_fail(ctx, "csv logger: cannot write a temporary file beside %s: %s", l->metrics_path,
                       strerror(e));
    }
    write_header(g, l);
    char line[65536];
    bool first = true;
    while (fgets(line, sizeof line, f)) {
        if (first) { first = false; continue; }
        line[strcspn(line, "\r\n")] = '\0';
        char *cells[1024];
        int nc = 0;
        char *p = line;
        for (;;) {
            cells[nc++] = p;
            char *c = strchr(p, ',');
            if (!c || nc == 1024) break;
            *c = '\0';
            p = c + 1;
        }
        for (int k = 0; k < l->nkeys; k++) {
            if (k) fputc(',', g);
            for (int i = 0; i < nold && i < nc; i++)
                if (!strcmp(old_keys[i], l->keys[k])) fputs(cells[i], g);
        }
        fputs("\r\n", g);
    }
    fclose(f);
    if (fclose(g) || rename(tmp, l->metrics_path)) {
        int e = errno;
        unlink(tmp);
        return lt_fail(ctx, "csv logger: cannot replace %s: %s", l->metrics_path, strerror(e));
    }
    return LT_OK;
}

static lt_status csv_save(lt_ctx *ctx, void *self) {
    csv_logger *l = self;
    if (l->nrows == 0) return LT_OK;
    /* _record_new_keys: the union, sorted */
    char **old = malloc(sizeof(char *) * (size_t)(l->nkeys + 1));
    int nold = l->nkeys;
    for (int i = 0; i < nold; i++) old[i] = l->keys[i];
    bool grew = false;
    for (int r = 0; r < l->nrows; r++)
        for (int i = 0; i < l->rows[r].n; i++) {
            bool have = false;
            for (int k = 0; k < l->nkeys && !have; k++) have = !strcmp(l->keys[k], l->rows[r].keys[i]);
            if (have) continue;
            l->keys = realloc(l->keys, sizeof(char *) * (size_t)(l->nkeys + 1));
            l->keys[l->nkeys++] = csv_strdup(l->rows[r].keys[i]);
            grew = true;
        }
    qsort(l->keys, (size_t)l->nkeys, sizeof *l->keys, cmp_key);
    struct stat st;
    bool exists = stat(l->metrics_path, &st) == 0;
    lt_status rc = LT_OK;
    if (grew && exists) rc = rewrite(ctx, l, old, nold);
    free(old);
    if (rc) return rc;
    FILE *f = fopen(l->metrics_path, exists ? "a" : "w");
    if (!f) return lt_fail(ctx, "csv logger: cannot write %s: %s", l->metrics_path, strerror(errno));
    if (!exists) write_header(f, l);
    write_rows(f, l, l->rows, l->nrows);
    if (fclose(f)) return lt_fail(ctx, "csv logger: writing %s failed", l->metrics_path);
    for (int r = 0; r < l->nrows; r++) {
        for (int i = 0; i < l->rows[r].n; i++) free(l->rows[r].keys[i]);
        free(l->rows[r].keys);
        free(l->rows[r].vals);
    }
    l->nrows = 0;
    return LT_OK;
}

static lt_status csv_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                 const double *values, int n, int64_t step) {
    csv_logger *l = self;
    l->rows = realloc(l->rows, sizeof(row) * (size_t)(l->nrows + 1));
    row *r = &l->rows[l->nrows++];
    r->keys = malloc(sizeof(char *) * (size_t)(n + 1));
    r->vals = malloc(sizeof(double) * (size_t)(n + 1));
    r->n = 0;
    for (int i = 0; i < n; i++) {
        char key[512];
        if (l->prefix[0]) snprintf(key, sizeof key, "%s-%s", l->prefix, names[i]);
        else snprintf(key, sizeof key, "%s", names[i]);
        r->keys[r->n] = csv_strdup(key);
        r->vals[r->n++] = values[i];
    }
    r->keys[r->n] = csv_strdup("step");
    r->vals[r->n++] = (double)step;
    if ((step + 1) % l->flush_every == 0) return csv_save(ctx, self);
    return LT_OK;
}

/* save_hparams_to_yaml (PyYAML yaml.dump, sorted keys, block style) for flat values */
static void yaml_value(FILE *f, const char *text);
static lt_status csv_log_hyperparams(lt_ctx *ctx, void *self, const char *json) {
    csv_logger *l = self;
    free(l->hparams);
    l->hparams = csv_strdup(json);
    FILE *f = fopen(l->hparams_path, "w");
    if (!f) return lt_fail(ctx, "csv logger: cannot write %s: %s", l->hparams_path, strerror(errno));
    yaml_value(f, json);
    fclose(f);
    return LT_OK;
}


static lt_status csv_finalize(lt_ctx *ctx, void *self, const char *status) {
    (void)status;
    return csv_save(ctx, self);
}

static void *csv_create(lt_ctx *ctx, const lt_hparams *hp) {
    csv_logger *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    const char *save_dir = lt_hp_str(ctx, hp, "save_dir", lt_default_root_dir(ctx));
    const char *name = lt_hp_str(ctx, hp, "name", "lightning_logs");
    const char *version = lt_hp_str(ctx, hp, "version", "");
    snprintf(l->prefix, sizeof l->prefix, "%s", lt_hp_str(ctx, hp, "prefix", ""));
    l->flush_every = lt_hp_int(ctx, hp, "flush_logs_every_n_steps", 100);
    if (l->flush_every < 1) {
        lt_fail(ctx, "csv logger: flush_logs_every_n_steps must be >= 1, got %lld",
                (long long)l->flush_every);
        free(l);
        return NULL;
    }
    logger_version_dir(l->dir, sizeof l->dir, save_dir, name, version);
    /* _ExperimentWriter._check_log_dir_exists: a reused version folder (a fixed
     * version) that holds files is warned about before its metrics.csv goes */
    DIR *d = opendir(l->dir);
    if (d) {
        struct dirent *e;
        bool files = false;
        while (!files && (e = readdir(d))) files = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(d);
        if (files && ctx->rank == 0)
            fprintf(stderr, "UserWarning: Experiment logs directory %s exists and is not empty. "
                            "Previous log files in this directory will be deleted when the new "
                            "ones are saved!\n", l->dir);
    }
    snprintf(l->metrics_path, sizeof l->metrics_path, "%s/metrics.csv", l->dir);
    snprintf(l->hparams_path, sizeof l->hparams_path, "%s/hparams.yaml", l->dir);
    /* @rank_zero_experiment: the files are global rank zero's (the host sends the other
     * ranks no writes); another rank creates and deletes nothing */
    if (ctx->rank != 0) return l;
    if (logger_mkdirs(l->dir)) {
        lt_fail(ctx, "csv logger: cannot create %s: %s", l->dir, strerror(errno));
        free(l);
        return NULL;
    }
    remove(l->metrics_path); /* an existing metrics.csv is deleted (_ExperimentWriter) */
    return l;
}

static void csv_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    csv_logger *l = self;
    if (!l) return;
    for (int r = 0; r < l->nrows; r++) {
        for (int i = 0; i < l->rows[r].n; i++) free(l->rows[r].keys[i]);
        free(l->rows[r].keys);
        free(l->rows[r].vals);
    }
    free(l->rows);
    for (int k = 0; k < l->nkeys; k++) free(l->keys[k]);
    free(l->keys);
    free(l->hparams);
    free(l);
}


/* ABI 1.5: checkpoint dir — ModelCheckpoint's os.path.join(save_dir, name, version) */
static lt_status csv_version_dir(lt_ctx *ctx, void *self, char *buf, size_t cap) {
    (void)ctx;
    snprintf(buf, cap, "%s", ((csv_logger *)self)->dir);
    return LT_OK;
}

LT_LOGGER(csv, .create = csv_create, .destroy = csv_destroy,
          .log_hyperparams = csv_log_hyperparams, .log_metrics = csv_log_metrics,
          .save = csv_save, .finalize = csv_finalize,
          .version_dir = csv_version_dir)
