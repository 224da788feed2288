/*
 * npy.c — data plugin `npy`: NumPy .npy arrays, one file for X and one for y.
 *
 *   ltrun fit --module mlp --data npy --data.x_path X.npy --data.y_path y.npy
 *
 * Hparams: x_path, y_path (train), val_x_path/val_y_path (val; else val_fraction of
 * train), test_x_path/test_y_path, plus the common ones of dp_common.h. The format is
 * NEP 1's (numpy.lib.format): magic "\x93NUMPY", version 1.0 (u16 header length) or 2.0
 * (u32), a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}, the
 * data in C order. Accepted descr: '<f4', '<f8', '<i8', '<i4', '|u1' (and '<u1', '|i1').
 * X rows become float32 samples of shape shape[1:] (a 1-D X: one value per sample); y is
 * int64 classes or, with --data.task regression, float32 targets.
 */
#define LT_PLUGIN_DESCRIPTION "NumPy .npy X and y files"
#include "dp_common.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>

typedef struct npy_array {
    char descr[8];
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    int64_t count;
    unsigned char *data; /* malloc'd */
} npy_array;

/* the value after 'key': in the header dict, or NULL */
static const char *dict_value(const char *h, const char *key) {
    char q1[40], q2[40];
    snprintf(q1, sizeof q1, "'%s'", key);
    snprintf(q2, sizeof q2, "\"%s\"", key);
    const char *p = strstr(h, q1);
    if (!p) p = strstr(h, q2);
    if (!p) return NULL;
    p += strlen(q1);
    while (isspace((unsigned char)*p)) p++;
    if (*p != ':') return NULL;
    p++;
    while (isspace((unsigned char)*p)) p++;
    return p;
}

static lt_status npy_read(lt_ctx *ctx, const char *path, npy_array *a) {
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (!f) return lt_fail(ctx, "cannot open %s: %s", path, strerror(errno));
    unsigned char m[10];
    char *h = NULL;
    lt_status st = LT_ERROR;
    if (fread(m, 1, 8, f) != 8 || memcmp(m, "\x93NUMPY", 6)) {
        lt_fail(ctx, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto out;
    }
    uint32_t hlen;
    if (m[6] == 1) {
        if (fread(m, 1, 2, f) != 2) goto trunc;
        hlen = m[0] | (uint32_t)m[1] << 8;
    } else if (m[6] == 2) {
        if (fread(m, 1, 4, f) != 4) goto trunc;
        hlen = m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    } else {
        lt_fail(ctx, "%s: .npy format version %d.%d is not supported (1.0 and 2.0 are)", path,
                m[6], m[7]);
        goto out;
    }
    if (hlen > (1u << 24)) goto trunc;
    h = malloc(hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) goto trunc;
    h[hlen] = '\0';
    const char *v = dict_value(h, "descr");
    if (!v || (*v != '\'' && *v != '"')) {
        lt_fail(ctx, "%s: header has no 'descr' string: %s", path, h);
        goto out;
    }
    size_t k = 0;
    for (v++; *v && *v != '\'' && *v != '"' && k < sizeof a->descr - 1; v++) a->descr[k++] = *v;
    static const char *const ok[] = {"<f4", "<f8", "<i8", "<i4", "|u1", "<u1", "|i1"};
    bool known = false;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) known |= !strcmp(a->descr, ok[i]);
    if (!known) {
        lt_fail(ctx, "%s: dtype '%s' is not supported (use little-endian '<f4', '<f8', '<i8', "
                     "'<i4' or '|u1': np.save(path, a.astype('<f4')))", path, a->descr);
        goto out;
    }
    v = dict_value(h, "fortran_order");
    if (!v || (strncmp(v, "False", 5) && strncmp(v, "True", 4))) {
        lt_fail(ctx, "%s: header has no fortran_order True/False: %s", path, h);
        goto out;
    }
    if (!strncmp(v, "True", 4)) {
        lt_fail(ctx, "%s: fortran_order is True: only C-order arrays are read (save "
                     "np.ascontiguousarray(a))", path);
        goto out;
    }
    v = dict_value(h, "shape");
    if (!v || *v != '(') {
        lt_fail(ctx, "%s: header has no 'shape' tuple: %s", path, h);
        goto out;
    }
    a->count = 1;
    for (v++;;) {
        while (isspace((unsigned char)*v) || *v == ',') v++;
        if (*v == ')') break;
        char *end;
        long long d = strtoll(v, &end, 10);
        if (end == v || d < 0 || a->ndim == LT_MAX_DIMS) {
            lt_fail(ctx, "%s: bad shape in header (at most %d dimensions): %s", path,
                    LT_MAX_DIMS, h);
            goto out;
        }
        if (d > 0 && a->count > INT64_MAX / 16 / d) { /* 16: no byte size can wrap below */
            lt_fail(ctx, "%s: shape in header is too large (its size overflows 64 bits; a "
                         "corrupt header?): %s", path, h);
            goto out;
        }
        a->shape[a->ndim++] = d;
        a->count *= d;
        v = end;
        if (*v == 'L') v++; /* Python 2's long, as numpy.lib.format's _filter_header reads it */
    }
    if (a->ndim == 0) {
        lt_fail(ctx, "%s: a 0-d array has no samples", path);
        goto out;
    }
    size_t esz = (size_t)(a->descr[2] - '0');
    /* the data the shape needs must be in the file, checked before allocating: a shape
     * larger than the file is a truncated file (np.load: "cannot reshape array"), not a
     * reason to ask for terabytes (bytes after the data are ignored, as np.load does) */
    long here = ftell(f), end = -1;
    if (here >= 0 && fseek(f, 0, SEEK_END) == 0) end = ftell(f);
    if (end < 0 || fseek(f, here, SEEK_SET) != 0) {
        lt_fail(ctx, "%s: cannot seek in the file: %s", path, strerror(errno));
        goto out;
    }
    if (a->count * (int64_t)esz > end - here) {
        lt_fail(ctx, "%s: truncated: the header's shape needs %lld data bytes, the file has "
                     "%lld after its header (re-save it with np.save)", path,
                (long long)(a->count * (int64_t)esz), (long long)(end - here));
        goto out;
    }
    a->data = malloc((size_t)a->count * esz + 1);
    if (!a->data) {
        lt_fail(ctx, "%s: out of memory for %lld values", path, (long long)a->count);
        goto out;
    }
    size_t got = fread(a->data, esz, (size_t)a->count, f);
    if (got != (size_t)a->count) {
        lt_fail(ctx, "%s: truncated: %zu of %lld values", path, got, (long long)a->count);
        goto out;
    }
    st = LT_OK;
    goto out;
trunc:
    lt_fail(ctx, "%s: truncated .npy header", path);
out:
    free(h);
    fclose(f);
    if (st) free(a->data), a->data = NULL;
    return st;
}

/* element i as a double (little-endian host assumed, as the header check demands '<') */
static double npy_at(const npy_array *a, int64_t i) {
    const unsigned char *p = a->data;
    switch (a->descr[1]) {
    case 'f':
        if (a->descr[2] == '4') { float v; memcpy(&v, p + 4 * i, 4); return v; }
        else { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case 'i':
        if (a->descr[2] == '8') { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
        if (a->descr[2] == '4') { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
        return (int8_t)p[i];
    default: return p[i];
    }
}

static lt_status load_source(lt_ctx *ctx, const dp_common *c, const char *xpath,
                             const char *ypath, dp_source *s) {
    npy_array x, y;
    if (!*ypath) return lt_fail(ctx, "%s: no y file given for it (--data.*y_path)", xpath);
    if (npy_read(ctx, xpath, &x)) return LT_ERROR;
    if (npy_read(ctx, ypath, &y)) {
        free(x.data);
        return LT_ERROR;
    }
    lt_status st = LT_ERROR;
    if (x.shape[0] != y.shape[0]) {
        lt_fail(ctx, "%s has %lld rows but %s has %lld: X and y must have the same first "
                     "dimension", xpath, (long long)x.shape[0], ypath, (long long)y.shape[0]);
        goto out;
    }
    *s = (dp_source){.path = xpath, .n = x.shape[0]};
    s->xndim = x.ndim > 1 ? x.ndim - 1 : 1;
    s->xshape[0] = 1;
    for (int i = 1; i < x.ndim; i++) s->xshape[i - 1] = x.shape[i];
    s->xnumel = s->n ? x.count / s->n : 1;
    if (x.ndim == 1) s->xnumel = 1;
    s->ynumel = s->n ? y.count / s->n : 1;
    if (!c->regression && s->ynumel != 1) {
        lt_fail(ctx, "%s: class labels must be one per row (shape (%lld,)), got %lld per row",
                ypath, (long long)s->n, (long long)s->ynumel);
        goto out;
    }
    s->yndim = y.ndim - 1;
    for (int i = 1; i < y.ndim; i++) s->yshape[i - 1] = y.shape[i];
    s->x = malloc((size_t)(x.count ? x.count : 1) * sizeof(float));
    s->y = malloc((size_t)(y.count ? y.count : 1) * 8);
    if (!s->x || !s->y) {
        lt_fail(ctx, "%s: out of memory", xpath);
        goto out;
    }
    for (int64_t i = 0; i < x.count; i++) s->x[i] = (float)npy_at(&x, i);
    for (int64_t i = 0; i < y.count; i++) {
        char where[1200];
        snprintf(where, sizeof where, "%s: row %lld", ypath, (long long)(i / s->ynumel));
        if (dp_put_label(ctx, c, s->y, i, npy_at(&y, i), where)) goto out;
    }
    st = LT_OK;
out:
    free(x.data);
    free(y.data);
    if (st) dp_source_free(s);
    return st;
}

typedef struct npy_dm {
    dp_common c;
    const char *y_path, *val_y_path, *test_y_path;
} npy_dm;

static void *npy_create(lt_ctx *ctx, const lt_hparams *hp) {
    npy_dm *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    /* val_x_path / test_x_path are the common val_path / test_path under npy's names */
    const char *vx = lt_hp_str(ctx, hp, "val_x_path", ""), *tx = lt_hp_str(ctx, hp, "test_x_path", "");
    d->y_path = lt_hp_str(ctx, hp, "y_path", "");
    d->val_y_path = lt_hp_str(ctx, hp, "val_y_path", "");
    d->test_y_path = lt_hp_str(ctx, hp, "test_y_path", "");
    if (dp_common_read(ctx, hp, &d->c, "x_path")) return NULL;
    if (*vx) d->c.val_path = vx;
    if (*tx) d->c.test_path = tx;
    if (!*d->y_path) {
        lt_fail(ctx, "--data.y_path is required: the labels/targets .npy for --data.x_path");
        return NULL;
    }
    return d;
}

static void npy_destroy(lt_ctx *ctx, void *self) { dp_common_free(&((npy_dm *)self)->c); }

/* X from `path`, y from the y file of the same split */
static lt_status npy_load(lt_ctx *ctx, void *self, const char *path, lt_split which,
                          dp_source *out) {
    npy_dm *d = self;
    const char *y = which == LT_SPLIT_TRAIN ? d->y_path
                    : which == LT_SPLIT_VAL ? d->val_y_path : d->test_y_path;
    return load_source(ctx, &d->c, path, y, out);
}

static lt_status npy_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    return dp_setup(ctx, self, &((npy_dm *)self)->c, stage, npy_load);
}

static lt_status npy_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    return dp_dataset(ctx, &((npy_dm *)self)->c, split, ds);
}

static lt_status npy_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                              void *const *dst) {
    return dp_get_item(ctx, self, &((npy_dm *)self)->c, split, index, dst);
}

LT_DATAMODULE(npy, .create = npy_create, .destroy = npy_destroy, .setup = npy_setup,
              .dataset = npy_dataset, .get_item = npy_get_item)
