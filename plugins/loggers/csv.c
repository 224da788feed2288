/*
 * csv.c — Lightning's CSVLogger (lightning 2.6: pytorch/loggers/csv_logs.py over
 * fabric/loggers/csv_logs.py _ExperimentWriter), as a logger plugin (issue 6).
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

#include <errno.h>
#include <stdbool.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

static int mkdirs(const char *path) {
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

/* Python repr(float): shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16 */
static void py_repr(double v, char *out, size_t cap) {
    if (isnan(v)) { snprintf(out, cap, "nan"); return; }
    if (isinf(v)) { snprintf(out, cap, v < 0 ? "-inf" : "inf"); return; }
    if (v == 0) { snprintf(out, cap, signbit(v) ? "-0.0" : "0.0"); return; }
    char buf[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    const char *s = buf;
    bool neg = *s == '-';
    if (neg) s++;
    char digits[32];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    digits[nd] = '\0';
    int e = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = '\0';
    char *o = out;
    size_t room = cap;
#define PUT(...) do { int w_ = snprintf(o, room, __VA_ARGS__); o += w_; room -= (size_t)w_; } while (0)
    if (neg) PUT("-");
    if (e >= -5 && e < 16) {
        if (e < 0) {
            PUT("0.");
            for (int i = 0; i < -e - 1; i++) PUT("0");
            PUT("%s", digits);
        } else {
            for (int i = 0; i <= e; i++) PUT("%c", i < nd ? digits[i] : '0');
            PUT(".");
            if (nd > e + 1) PUT("%s", digits + e + 1);
            else PUT("0");
        }
    } else {
        PUT("%c", digits[0]);
        if (nd > 1) PUT(".%s", digits + 1);
        PUT("e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
#undef PUT
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
    snprintf(tmp, sizeof tmp, "%s.tmp", l->metrics_path);
    FILE *g = fopen(tmp, "w");
    if (!g) {
        fclose(f);
        return lt_fail(ctx, "csv logger: cannot write %s: %s", tmp, strerror(errno));
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
    if (fclose(g) || rename(tmp, l->metrics_path))
        return lt_fail(ctx, "csv logger: cannot replace %s: %s", l->metrics_path, strerror(errno));
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
            l->keys[l->nkeys++] = dup(l->rows[r].keys[i]);
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
        r->keys[r->n] = dup(key);
        r->vals[r->n++] = values[i];
    }
    r->keys[r->n] = dup("step");
    r->vals[r->n++] = (double)step;
    if ((step + 1) % l->flush_every == 0) return csv_save(ctx, self);
    return LT_OK;
}

/* save_hparams_to_yaml (PyYAML yaml.dump, sorted keys, block style) for flat values */
static void yaml_value(FILE *f, const char *text);
static lt_status csv_log_hyperparams(lt_ctx *ctx, void *self, const char *json) {
    csv_logger *l = self;
    free(l->hparams);
    l->hparams = dup(json);
    FILE *f = fopen(l->hparams_path, "w");
    if (!f) return lt_fail(ctx, "csv logger: cannot write %s: %s", l->hparams_path, strerror(errno));
    yaml_value(f, json);
    fclose(f);
    return LT_OK;
}

/* A small JSON -> YAML printer in PyYAML's yaml.dump style (sorted keys, block style,
 * two-space indent, floats as repr with ".0" before an exponent, strings plain unless
 * they would read back as something else, then single-quoted). JSON is parsed by hand:
 * plugins reach nothing but ltrun.h and libc. */
typedef struct jv { /* a parsed JSON value */
    int type; /* 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null */
    char *str; double num; bool b;
    struct jv *items; char **keys; int n;
} jv;

static const char *skip_ws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++; return p; }

static const char *parse_str(const char *p, char **out) {
    size_t cap = strlen(p) + 1, n = 0;
    char *s = malloc(cap);
    p++; /* '"' */
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
            if (*p == 'u') { c = '?'; p += 4; }
            s[n++] = c;
            p++;
        } else s[n++] = *p++;
    }
    s[n] = '\0';
    *out = s;
    return *p ? p + 1 : p;
}

static const char *parse_jv(const char *p, jv *v) {
    memset(v, 0, sizeof *v);
    p = skip_ws(p);
    if (*p == '{' || *p == '[') {
        bool obj = *p == '{';
        v->type = obj ? 'o' : 'a';
        p = skip_ws(p + 1);
        while (*p && *p != (obj ? '}' : ']')) {
            v->items = realloc(v->items, sizeof(jv) * (size_t)(v->n + 1));
            v->keys = realloc(v->keys, sizeof(char *) * (size_t)(v->n + 1));
            v->keys[v->n] = NULL;
            if (obj) {
                p = parse_str(skip_ws(p), &v->keys[v->n]);
                p = skip_ws(p);
                if (*p == ':') p++;
            }
            p = skip_ws(parse_jv(p, &v->items[v->n]));
            v->n++;
            if (*p == ',') p = skip_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (*p == '"') { v->type = 's'; return parse_str(p, &v->str); }
    if (!strncmp(p, "true", 4)) { v->type = 'b'; v->b = true; return p + 4; }
    if (!strncmp(p, "false", 5)) { v->type = 'b'; return p + 5; }
    if (!strncmp(p, "null", 4)) { v->type = 'z'; return p + 4; }
    char *end;
    v->type = 'n';
    v->num = strtod(p, &end);
    return end > p ? end : p + 1;
}

static void free_jv(jv *v) {
    for (int i = 0; i < v->n; i++) { free_jv(&v->items[i]); free(v->keys[i]); }
    free(v->items); free(v->keys); free(v->str);
}

static bool plain_ok(const char *s) {
    if (!*s) return false;
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null",
                                        "~", "True", "False", "Null", "NULL", "Yes", "No"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) if (!strcmp(s, words[i])) return false;
    char *end;
    strtod(s, &end);
    if (*end == '\0') return false; /* would read back as a number */
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0])) return false;
    if (strstr(s, ": ") || strstr(s, " #") || s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == ':') return false;
    for (const char *c = s; *c; c++) if ((unsigned char)*c < 0x20) return false;
    return true;
}

static void yaml_scalar(FILE *f, const jv *v) {
    char buf[64];
    switch (v->type) {
    case 'b': fputs(v->b ? "true" : "false", f); break;
    case 'z': fputs("null", f); break;
    case 'n':
        if (v->num == floor(v->num) && fabs(v->num) < 1e15) fprintf(f, "%lld", (long long)v->num);
        else {
            py_repr(v->num, buf, sizeof buf);
            char *e = strchr(buf, 'e');
            if (e && !memchr(buf, '.', (size_t)(e - buf))) { /* PyYAML: 1e-05 -> 1.0e-05 */
                fprintf(f, "%.*s.0%s", (int)(e - buf), buf, e);
            } else if (!strcmp(buf, "nan")) fputs(".nan", f);
            else if (!strcmp(buf, "inf")) fputs(".inf", f);
            else if (!strcmp(buf, "-inf")) fputs("-.inf", f);
            else fputs(buf, f);
        }
        break;
    case 's':
        if (plain_ok(v->str)) fputs(v->str, f);
        else {
            fputc('\'', f);
            for (const char *c = v->str; *c; c++) { if (*c == '\'') fputc('\'', f); fputc(*c, f); }
            fputc('\'', f);
        }
        break;
    }
}

static void yaml_block(FILE *f, const jv *v, int indent);

static void yaml_child(FILE *f, const jv *c, int indent) {
    if ((c->type == 'o' || c->type == 'a') && c->n > 0) {
        fputc('\n', f);
        yaml_block(f, c, indent);
    } else if (c->type == 'o') fputs(" {}\n", f);
    else if (c->type == 'a') fputs(" []\n", f);
    else { fputc(' ', f); yaml_scalar(f, c); fputc('\n', f); }
}

static void yaml_block(FILE *f, const jv *v, int indent) {
    if (v->type == 'o') {
        int order[1024], n = v->n < 1024 ? v->n : 1024;
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 1; i < n; i++) /* sort_keys=True */
            for (int j = i; j > 0 && strcmp(v->keys[order[j - 1]], v->keys[order[j]]) > 0; j--) {
                int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
            }
        for (int i = 0; i < n; i++) {
            const jv *c = &v->items[order[i]];
            fprintf(f, "%*s", indent, "");
            jv k = {.type = 's', .str = v->keys[order[i]]};
            yaml_scalar(f, &k);
            fputc(':', f);
            yaml_child(f, c, indent + 2);
        }
    } else { /* a list: "- item" at the parent's indent, as yaml.dump writes it */
        for (int i = 0; i < v->n; i++) {
            const jv *c = &v->items[i];
            fprintf(f, "%*s-", indent > 2 ? indent - 2 : 0, "");
            yaml_child(f, c, indent);
        }
    }
}

static void yaml_value(FILE *f, const char *text) {
    jv v;
    parse_jv(text, &v);
    if ((v.type == 'o' || v.type == 'a') && v.n == 0) fputs(v.type == 'o' ? "{}\n" : "[]\n", f);
    else if (v.type == 'o' || v.type == 'a') yaml_block(f, &v, 0);
    else { yaml_scalar(f, &v); fputs("\n...\n", f); }
    free_jv(&v);
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
    char root[1800];
    if (name[0]) snprintf(root, sizeof root, "%s/%s", save_dir, name);
    else snprintf(root, sizeof root, "%s", save_dir);
    if (version[0]) {
        /* an int version given as a number reads back as its text: "3" -> version_3 */
        char *end;
        strtol(version, &end, 10);
        if (*end == '\0') snprintf(l->dir, sizeof l->dir, "%s/version_%s", root, version);
        else snprintf(l->dir, sizeof l->dir, "%s/%s", root, version);
    } else { /* _get_next_version: 1 + max version_<int>, 0 if none */
        long next = 0;
        DIR *d = opendir(root);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strncmp(e->d_name, "version_", 8)) continue;
            char *end;
            long v = strtol(e->d_name + 8, &end, 10);
            if (*end == '\0' && e->d_name[8] && v + 1 > next) next = v + 1;
        }
        if (d) closedir(d);
        snprintf(l->dir, sizeof l->dir, "%s/version_%ld", root, next);
    }
    if (mkdirs(l->dir)) {
        lt_fail(ctx, "csv logger: cannot create %s: %s", l->dir, strerror(errno));
        free(l);
        return NULL;
    }
    snprintf(l->metrics_path, sizeof l->metrics_path, "%s/metrics.csv", l->dir);
    snprintf(l->hparams_path, sizeof l->hparams_path, "%s/hparams.yaml", l->dir);
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

LT_LOGGER(csv, .create = csv_create, .destroy = csv_destroy,
          .log_hyperparams = csv_log_hyperparams, .log_metrics = csv_log_metrics,
          .save = csv_save, .finalize = csv_finalize)
