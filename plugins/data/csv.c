/*
 * csv.c — data plugin `csv`: a numeric table with a label column.
 *
 *   ltrun fit --module mlp --data csv --data.path train.csv --data.label_column species
 *
 * Hparams: path (train), label_column (a header name, or a 0-based index, negative from
 * the end; default the last column), delimiter (','), skiprows (0: pandas' skiprows=N,
 * the first N lines are not data, e.g. the "150,4,setosa,..." count line scikit-learn's
 * shipped CSVs start with), plus the common ones of dp_common.h (val_path, test_path,
 * val_fraction, test_fraction, standardize, split_seed, batch_size, task). A file
 * starting with gzip's magic bytes is read decompressed (pandas' compression='infer'
 * does so by the .gz name; here the content decides). A first
 * row with any non-numeric field is a header. Every other column is a float32 feature
 * (sample shape [ncols - 1]); the label is an int64 class (task classification) or a
 * float32 target (task regression). Blank lines are skipped; a missing (empty or NaN),
 * non-numeric or non-finite value is an error naming the file, line and column.
 * As pandas.read_csv reads them: CRLF or lone-CR line endings, a UTF-8 byte order mark,
 * "quoted" numbers and names (a delimiter inside quotes included), spaces around values,
 * no newline after the last row, labels written 2.0. Not read: a newline inside quotes.
 */
#define LT_PLUGIN_DESCRIPTION "numeric CSV table with a label column"
#include "dp_common.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <zlib.h>

typedef struct csv_dm {
    dp_common c;
    const char *label_column;
    char delim;
    int64_t skiprows;
} csv_dm;

/* a gzip file (magic 1f 8b), decompressed whole; NULL with the message on error */
static char *slurp_gz(lt_ctx *ctx, const char *path, size_t *len) {
    gzFile g = gzopen(path, "rb");
    if (!g) {
        lt_fail(ctx, "cannot open %s: %s", path, strerror(errno ? errno : ENOMEM));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (int r; buf && (r = gzread(g, buf + n, (unsigned)(cap - n - 1))) > 0;) {
        n += (size_t)r;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    int zerr = Z_OK;
    const char *msg = gzerror(g, &zerr);
    if (buf && zerr != Z_OK && zerr != Z_STREAM_END) {
        lt_fail(ctx, "%s: not a valid gzip file (%s): decompress it or write it again",
                path, zerr == Z_ERRNO ? strerror(errno) : msg);
        free(buf);
        buf = NULL;
    } else if (!buf) lt_fail(ctx, "%s: out of memory", path);
    gzclose(g);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

static char *slurp(lt_ctx *ctx, const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        lt_fail(ctx, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char magic[2];
    bool gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    rewind(f);
    if (gz) {
        fclose(f);
        return slurp_gz(ctx, path, len);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += r;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    /* a read error (EISDIR: fopen opens a folder) read as an empty file: "no data rows" */
    if (buf && ferror(f)) {
        lt_fail(ctx, "cannot read %s: %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (!buf) lt_fail(ctx, "%s: out of memory", path);
    else buf[n] = '\0';
    *len = n;
    return buf;
}

/* split one line (NUL-terminated, no newline) at delim in place; returns the count. A
 * delimiter inside a "quoted" field is part of it, as pandas.read_csv (quotechar '"')
 * reads a header name such as "length, cm" (it split the header into one column more
 * than the rows); trim() removes the quotes. */
static int split_fields(char *line, char delim, char **out, int max) {
    int n = 0;
    for (char *p = line;;) {
        char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (*q == '"') {
            q = strchr(q + 1, '"'); /* the closing quote, else the field runs to the end */
            q = q ? strchr(q, delim) : NULL;
        } else q = strchr(p, delim);
        if (n < max) out[n] = p;
        n++;
        if (!q) break;
        *q = '\0';
        p = q + 1;
    }
    return n;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    /* "quoted" fields */
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
    }
    return s;
}

/* A number, as pandas.read_csv's float parsing takes it; NaN (pandas: a missing value,
 * as an empty field is here) and values that are not finite as float32 (inf, 1e39: the
 * features and regression targets are float32) are refused: they made a NaN loss
 * that pointed at the learning rate, not at the file's line and column. Class labels
 * are checked further by dp_put_label. */
static bool parse_num(const char *s, double *v) {
    if (!*s) return false;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (*end != '\0' || end == s) return false;
    if (!(fabs(*v) <= FLT_MAX)) { /* NaN or beyond float32 (a tiny value becomes 0, as in numpy) */
        if (!isnan(*v)) *v = INFINITY;
        return false;
    }
    return true;
}

#define CSV_MAX_COLS 65536

static lt_status load_csv(lt_ctx *ctx, csv_dm *d, const char *path, dp_source *s,
                          const dp_source *like) {
    size_t len;
    char *text = slurp(ctx, path, &len);
    if (!text) return LT_ERROR;
    /* A NUL byte ends the text for strchr/strtod: the rest of the file would be dropped
     * without a word. It means a binary or UTF-16 file (Excel's "Unicode text"). */
    if (memchr(text, '\0', len)) {
        free(text);
        return lt_fail(ctx, "%s: contains NUL bytes: not a text CSV (a UTF-16 or binary file? "
                            "save it as UTF-8 CSV)", path);
    }
    /* a UTF-8 byte order mark (Excel's "CSV UTF-8") is not part of the first field:
     * skipped, as pandas.read_csv does; left in, it made a headerless first row a header
     * (one row lost) and hid a header's first name from --data.label_column */
    char *body = text;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) body += 3;
    char **f = malloc(CSV_MAX_COLS * sizeof *f);
    char **names = NULL;
    lt_status st = LT_ERROR;
    int ncols = -1, label = -1;
    bool header = false;
    int64_t rows = 0, cap = 0, line_no = 0;
    float *x = NULL;
    double *yv = NULL;
    *s = (dp_source){.path = path};
    if (!f) {
        lt_fail(ctx, "%s: out of memory", path);
        goto out;
    }
    for (char *line = body, *next; line; line = next) {
        /* \n, \r\n, or a lone \r (old Mac / Excel for Mac "CSV"): pandas.read_csv ends a
         * line at each; a \r-only file was one long line, its rows read as a header */
        next = strpbrk(line, "\r\n");
        if (next) {
            bool crlf = next[0] == '\r' && next[1] == '\n';
            *next++ = '\0';
            if (crlf) next++;
        }
        line_no++;
        if (line_no <= d->skiprows) continue; /* skiprows: not data, not even a header */
        char *t = line;
        while (*t == ' ' || *t == '\t' || *t == '\r') t++;
        if (!*t) continue; /* blank line */
        int n = split_fields(line, d->delim, f, CSV_MAX_COLS);
        if (n > CSV_MAX_COLS) {
            lt_fail(ctx, "%s:%lld: more than %d columns", path, (long long)line_no, CSV_MAX_COLS);
            goto out;
        }
        for (int j = 0; j < n; j++) f[j] = trim(f[j]);
        if (ncols < 0) { /* first row: header when any field is not a number */
            ncols = n;
            for (int j = 0; j < n && !header; j++) {
                double v;
                /* NaN / inf / 1e39 are numbers, refused later with their line: not a header */
                header = !parse_num(f[j], &v) && *f[j] && !isnan(v) && !isinf(v);
            }
            if (ncols < 2) {
                lt_fail(ctx, "%s:%lld: one column only (delimiter '%c'?): a label column and at "
                             "least one feature are needed (--data.delimiter)", path,
                        (long long)line_no, d->delim);
                goto out;
            }
            /* the label column: a name, else an index */
            const char *lc = d->label_column;
            char *end;
            long idx = strtol(lc, &end, 10);
            if (!*lc) label = ncols - 1;
            else if (*end == '\0' && end != lc) {
                /* range-checked as a long: cast first, 4294967296 was column 0 */
                long col = idx < 0 ? ncols + idx : idx;
                label = col >= 0 && col < ncols ? (int)col : -1;
                if (label < 0) {
                    lt_fail(ctx, "%s: --data.label_column %s is out of range: the table has %d "
                                 "columns", path, lc, ncols);
                    goto out;
                }
            } else {
                for (int j = 0; header && j < n && label < 0; j++)
                    if (!strcmp(f[j], lc)) label = j;
                if (label < 0) {
                    /* list what the header has, so a typo or a skipped line shows */
                    char found[1024] = "";
                    size_t used = 0;
                    for (int j = 0; j < n && used + 8 < sizeof found; j++) {
                        int w = snprintf(found + used, sizeof found - used, "%s'%s'",
                                         j ? ", " : "", f[j]);
                        if (w < 0 || (size_t)w >= sizeof found - used) {
                            snprintf(found + used, sizeof found - used, ", ...");
                            break;
                        }
                        used += (size_t)w;
                    }
                    if (header)
                        lt_fail(ctx, "%s: --data.label_column '%s' is not a column of the header "
                                     "row (line %lld: %s)", path, lc, (long long)line_no, found);
                    else
                        lt_fail(ctx, "%s: --data.label_column '%s' is a name but the file has "
                                     "no header row (line %lld: %s); give a column index",
                                path, lc, (long long)line_no, found);
                    goto out;
                }
            }
            if (header) {
                names = malloc((size_t)n * sizeof *names);
                if (!names) goto oom;
                for (int j = 0; j < n; j++) names[j] = f[j];
                continue;
            }
        }
        if (n != ncols) {
            lt_fail(ctx, "%s:%lld: %d columns, expected %d as in the first row%s", path,
                    (long long)line_no, n, ncols,
                    d->skiprows ? "" : " (a first line that is not data, such as scikit-learn's "
                                       "count line: --data.skiprows 1)");
            goto out;
        }
        if (rows == cap) {
            cap = cap ? 2 * cap : 1024;
            float *nx = realloc(x, (size_t)cap * (size_t)(ncols - 1) * sizeof *x);
            if (nx) x = nx;
            double *ny = realloc(yv, (size_t)cap * sizeof *yv);
            if (ny) yv = ny;
            if (!nx || !ny) goto oom;
        }
        for (int j = 0, k = 0; j < n; j++) {
            double v;
            if (!parse_num(f[j], &v)) {
                char col[300];
                if (names) snprintf(col, sizeof col, "column %d ('%s')", j + 1, names[j]);
                else snprintf(col, sizeof col, "column %d", j + 1);
                if (!*f[j]) lt_fail(ctx, "%s:%lld: %s: missing value", path, (long long)line_no, col);
                else if (isnan(v))
                    lt_fail(ctx, "%s:%lld: %s: missing value ('%s'; drop or fill it: "
                                 "df.dropna() / df.fillna())", path, (long long)line_no, col, f[j]);
                else if (isinf(v))
                    lt_fail(ctx, "%s:%lld: %s: '%s' is not a finite float32 value (|v| <= "
                                 "3.4e38)", path, (long long)line_no, col, f[j]);
                else lt_fail(ctx, "%s:%lld: %s: '%s' is not a number", path, (long long)line_no,
                             col, f[j]);
                goto out;
            }
            if (j == label && !d->c.regression) { /* a class label, named by line and column */
                int64_t cls;
                char where[1400];
                if (names) snprintf(where, sizeof where, "%s:%lld: column %d ('%s')", path,
                                    (long long)line_no, j + 1, names[j]);
                else snprintf(where, sizeof where, "%s:%lld: column %d", path, (long long)line_no, j + 1);
                if (dp_put_label(ctx, &d->c, &cls, 0, v, where)) goto out;
            }
            if (j == label) yv[rows] = v;
            else x[rows * (ncols - 1) + k++] = (float)v;
        }
        rows++;
    }
    if (rows == 0) {
        lt_fail(ctx, "%s: no data rows", path);
        goto out;
    }
    s->n = rows;
    s->xndim = 1;
    s->xshape[0] = s->xnumel = ncols - 1;
    s->yndim = 0;
    s->ynumel = 1;
    s->x = x;
    x = NULL;
    s->y = malloc((size_t)rows * 8);
    if (!s->y) goto oom;
    for (int64_t i = 0; i < rows; i++) {
        char where[1200];
        snprintf(where, sizeof where, "%s: data row %lld", path, (long long)i + 1);
        if (dp_put_label(ctx, &d->c, s->y, i, yv[i], where)) goto out;
    }
    st = like ? dp_check_like(ctx, like, s) : LT_OK;
    goto out;
oom:
    lt_fail(ctx, "%s: out of memory", path);
out:
    free(x);
    free(yv);
    free(f);
    free(names);
    free(text);
    if (st) dp_source_free(s);
    return st;
}

static void *csv_create(lt_ctx *ctx, const lt_hparams *hp) {
    csv_dm *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->label_column = lt_hp_str(ctx, hp, "label_column", "");
    const char *delim = lt_hp_str(ctx, hp, "delimiter", ",");
    if (!strcmp(delim, "\\t") || !strcmp(delim, "tab")) delim = "\t";
    if (strlen(delim) != 1) {
        lt_fail(ctx, "--data.delimiter '%s': one character expected (',', ';', 'tab')", delim);
        return NULL;
    }
    d->delim = delim[0];
    d->skiprows = lt_hp_int(ctx, hp, "skiprows", 0);
    if (d->skiprows < 0) {
        lt_fail(ctx, "--data.skiprows must be >= 0, got %lld", (long long)d->skiprows);
        return NULL;
    }
    if (dp_common_read(ctx, hp, &d->c, "path")) return NULL;
    return d;
}

static void csv_destroy(lt_ctx *ctx, void *self) { dp_common_free(&((csv_dm *)self)->c); }

/* a val file is read with the train file's header and label column */
static lt_status csv_load(lt_ctx *ctx, void *self, const char *path, lt_split which,
                          dp_source *out) {
    csv_dm *d = self;
    return load_csv(ctx, d, path, out, which == LT_SPLIT_VAL ? &d->c.train : NULL);
}

static lt_status csv_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    return dp_setup(ctx, self, &((csv_dm *)self)->c, stage, csv_load);
}

static lt_status csv_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    return dp_dataset(ctx, &((csv_dm *)self)->c, split, ds);
}

static lt_status csv_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                              void *const *dst) {
    return dp_get_item(ctx, self, &((csv_dm *)self)->c, split, index, dst);
}

LT_DATAMODULE(csv, .create = csv_create, .destroy = csv_destroy, .setup = csv_setup,
              .dataset = csv_dataset, .get_item = csv_get_item)
