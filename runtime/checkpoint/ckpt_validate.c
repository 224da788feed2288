/*
 * ckpt_validate.c — the one structural validation pass over a checkpoint file (format v1,
 * docs/checkpoint-format.md). It needs no module, optimizer or data: it runs early at
 * start-up (before any plugin's create and before a logger makes its folder) and again in
 * ltr_ckpt_open, and nothing of the file is used before it passed. Checked:
 *   - safety: no external links, external raw storage or virtual datasets
 *     (ltr_h5_check_safe), and every dataset's filters among HDF5's built-in deflate,
 *     shuffle and fletcher32 (a checkpoint never makes HDF5 load a filter plugin);
 *   - every dataset: a dataspace of at most LT_MAX_DIMS dimensions whose byte size fits
 *     64 bits and is held by the file (all chunks written; the stored bytes can hold the
 *     declared ones), so no reader allocates for data the file does not have;
 *   - every attribute the format names: its class (integer, float, string), a scalar
 *     dataspace, a bounded string size, and its value's range; counters lie in
 *     [0, LTR_CKPT_COUNTER_MAX], so the loops' and optimizers' `+= 1` never overflow;
 *   - optimizer options as torch's constructors check them, optimizer state of the
 *     shape and dtype of its parameter in /state_dict, a non-zero RNG state.
 * Messages name the attribute or dataset and the allowed values; the caller adds the file.
 */
#include "checkpoint/checkpoint.h"
#include "precision/precision.h"
#include "util/regular_file.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_ATTR_STR_MAX 4096             /* names, versions: short */
#define CK_TEXT_MAX ((size_t)256 << 20)  /* JSON texts (hparams, plugin state) */
#define CK_MAX_ENTRIES 1000000           /* tensors in one group */
#define CK_MAX_OPTIMIZERS 1024
#define CK_MAX_GROUPS 4096               /* param groups of one optimizer */
#define CK_DEFLATE_RATIO 1032            /* deflate's largest expansion on inflate */

typedef struct sd_meta {
    char *name;
    int dtype;
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    bool is_param;
    int64_t index;
} sd_meta;

typedef struct vctx {
    hid_t file;
    char *err;
    size_t cap;
    uint64_t fsize;
    bool bad;
    sd_meta *sd;
    int64_t nsd, capsd, nparams;
} vctx;

static bool fail(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(vctx *v, const char *fmt, ...) {
    if (!v->bad) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->err, v->cap, fmt, ap);
        va_end(ap);
    }
    v->bad = true;
    return false;
}

static void shape_text(int nd, const hsize_t *dims, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < nd && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%llu", d ? ", " : "", (unsigned long long)dims[d]);
    if (k < cap) snprintf(buf + k, cap - k, nd == 1 ? ",)" : ")");
}

/* ------------------------------------------------------------------ attributes */

/* Open attribute `name` of obj, checking it is a scalar of class `cls`. -1: absent (an
 * error when required) or wrong (always an error). */
static hid_t open_attr(vctx *v, hid_t obj, const char *where, const char *name, H5T_class_t cls,
                       bool required) {
    static const char *const what[] = {[H5T_INTEGER] = "integer", [H5T_FLOAT] = "float",
                                       [H5T_STRING] = "string"};
    htri_t ex = H5Aexists(obj, name);
    if (ex <= 0) {
        if (required || ex < 0) fail(v, "attribute %s/%s is missing", where, name);
        return -1;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        fail(v, "attribute %s/%s cannot be read (corrupt file)", where, name);
        return -1;
    }
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    size_t size = t >= 0 ? H5Tget_size(t) : 0;
    bool vlen = c == H5T_STRING && H5Tis_variable_str(t) > 0;
    bool scalar = sp >= 0 && H5Sget_simple_extent_type(sp) == H5S_SCALAR;
    bool ok = c == cls && scalar && size > 0 &&
              (cls == H5T_STRING ? vlen || size <= CK_ATTR_STR_MAX : size <= 8);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (!ok) {
        H5Aclose(a);
        fail(v, "attribute %s/%s must be a scalar %s%s (the format's type)", where, name, what[cls],
             cls == H5T_STRING ? " of at most 4096 bytes" : cls == H5T_INTEGER ? " of at most 64 bits" : "");
        return -1;
    }
    return a;
}

/* An integer attribute in [lo, hi]; false when absent (and not required) or refused. */
static bool get_int(vctx *v, hid_t obj, const char *where, const char *name, int64_t lo, int64_t hi,
                    bool required, int64_t *out) {
    hid_t a = open_attr(v, obj, where, name, H5T_INTEGER, required);
    if (a < 0) return false;
    int64_t x = 0;
    herr_t rc = H5Aread(a, H5T_NATIVE_INT64, &x); /* a larger unsigned value clips to INT64_MAX */
    H5Aclose(a);
    if (rc < 0) return fail(v, "attribute %s/%s cannot be read (corrupt file)", where, name);
    if (x < lo || x > hi)
        return fail(v, "attribute %s/%s = %lld is out of range (allowed %lld to %lld)", where, name,
                    (long long)x, (long long)lo, (long long)hi);
    *out = x;
    return true;
}

static bool get_f64(vctx *v, hid_t obj, const char *where, const char *name, bool required, double *out) {
    hid_t a = open_attr(v, obj, where, name, H5T_FLOAT, required);
    if (a < 0) return false;
    herr_t rc = H5Aread(a, H5T_NATIVE_DOUBLE, out);
    H5Aclose(a);
    return rc < 0 ? fail(v, "attribute %s/%s cannot be read (corrupt file)", where, name) : true;
}

/* A scalar string attribute, malloc'd; NULL when absent (and not required) or refused. */
static char *get_str(vctx *v, hid_t obj, const char *where, const char *name, bool required) {
    hid_t a = open_attr(v, obj, where, name, H5T_STRING, required);
    if (a < 0) return NULL;
    char *s = ltr_h5_attr_read_str(a); /* checked above: a scalar of bounded size */
    H5Aclose(a);
    if (!s) fail(v, "attribute %s/%s cannot be read (corrupt file)", where, name);
    return s;
}

/* A string attribute that must equal one of `allowed` (NULL-terminated); its index or -1. */
static int get_choice(vctx *v, hid_t obj, const char *where, const char *name, const char *const *allowed) {
    char *s = get_str(v, obj, where, name, true);
    if (!s) return -1;
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(s, allowed[i])) {
            free(s);
            return i;
        }
    char list[256] = "";
    for (size_t i = 0, n = 0; allowed[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s\"%s\"", i ? ", " : "", allowed[i]);
    free(s);
    fail(v, "attribute %s/%s has a value the format does not know (allowed: %s)", where, name, list);
    return -1;
}

/* ------------------------------------------------------------------ groups and datasets */

static bool is_type(hid_t loc, const char *name, H5O_type_t type) {
    H5O_info_t oi;
    return H5Lexists(loc, name, H5P_DEFAULT) > 0 && H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT) >= 0 &&
           oi.type == type;
}

/* Open group `name` of loc; -1 when absent (an error when required) or not a group. */
static hid_t open_group(vctx *v, hid_t loc, const char *where, const char *name, bool required) {
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        if (required || ex < 0) fail(v, "%s/%s is missing", where, name);
        return -1;
    }
    if (!is_type(loc, name, H5O_TYPE_GROUP)) {
        fail(v, "%s/%s must be a group", where, name);
        return -1;
    }
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) fail(v, "%s/%s cannot be opened (corrupt file)", where, name);
    return g;
}

typedef struct ds_info {
    int dtype; /* ltrun dtype, -1 unknown */
    int ndim;  /* 0: scalar */
    hsize_t dims[LT_MAX_DIMS];
    bool is_string;
} ds_info;

/* Open dataset `name` of loc (path `where`) and describe it; the storage checks ran on
 * every dataset already (check_storage). -1 when absent (error when required). */
static hid_t open_dataset(vctx *v, hid_t loc, const char *where, const char *name, bool required,
                          ds_info *out) {
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        if (required || ex < 0) fail(v, "dataset %s/%s is missing", where, name);
        return -1;
    }
    if (!is_type(loc, name, H5O_TYPE_DATASET)) {
        fail(v, "%s/%s must be a dataset", where, name);
        return -1;
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        fail(v, "dataset %s/%s cannot be opened (corrupt file)", where, name);
        return -1;
    }
    memset(out, 0, sizeof *out);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    out->is_string = t >= 0 && H5Tget_class(t) == H5T_STRING;
    out->ndim = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (out->ndim >= 0 && out->ndim <= LT_MAX_DIMS) H5Sget_simple_extent_dims(sp, out->dims, NULL);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    out->dtype = -1;
    if (!out->is_string) {
        /* the dtype attribute (when present) must be a scalar string before it is read */
        char full[1100];
        snprintf(full, sizeof full, "%s/%s", where, name);
        if (H5Aexists(d, "dtype") > 0) {
            hid_t a = open_attr(v, d, full, "dtype", H5T_STRING, true);
            if (a < 0) {
                H5Dclose(d);
                return -1;
            }
            H5Aclose(a);
        }
        out->dtype = ltr_h5_dataset_dtype(d);
    }
    return d;
}

/* A tensor dataset: a known dtype that agrees with its dtype attribute. */
static bool check_tensor(vctx *v, hid_t d, const char *where, const char *name, const ds_info *di) {
    char full[1100];
    snprintf(full, sizeof full, "%s/%s", where, name);
    char *tag = get_str(v, d, full, "dtype", true);
    if (!tag) return false;
    bool ok = di->dtype >= 0 && !strcmp(tag, ltr_dtype_name((lt_dtype)di->dtype));
    free(tag);
    if (!ok)
        return fail(v, "dataset %s/%s: its HDF5 type and dtype attribute are not a pair the format "
                       "knows (see docs/checkpoint-format.md, /state_dict)", where, name);
    return true;
}

/* Read a small dataset whose type and size were checked (bounded by the caller). */
static bool read_small(vctx *v, hid_t d, hid_t mtype, void *buf, const char *where, const char *name) {
    char full[512], msg[640];
    snprintf(full, sizeof full, "%s/%s", where, name);
    if (ltr_ckpt_read(d, mtype, buf, full, msg, sizeof msg) == LT_OK) return true;
    return fail(v, "%s", msg);
}

/* A scalar string dataset holding a JSON object (objects only when want_object). */
static bool check_json_dataset(vctx *v, hid_t loc, const char *where, const char *name, bool want_object) {
    ds_info di;
    hid_t d = open_dataset(v, loc, where, name, true, &di);
    if (d < 0) return false;
    bool ok = di.is_string && di.ndim == 0;
    H5Dclose(d);
    if (!ok) return fail(v, "dataset %s/%s must be a scalar string (JSON text)", where, name);
    char *text = ltr_h5_read_str(loc, name);
    if (!text) return fail(v, "dataset %s/%s cannot be read (corrupt file)", where, name);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ok = j && (!want_object || cJSON_IsObject(j));
    cJSON_Delete(j);
    if (!ok)
        return fail(v, "dataset %s/%s is not %s", where, name, want_object ? "a JSON object" : "valid JSON");
    return true;
}

/* ------------------------------------------------------------------ storage of every dataset */

/* Every stored chunk of a chunked dataset (sp: its own dataspace; 1.10 counts no chunks
 * of H5S_ALL): all its filters applied (a chunk may record
 * that it skipped some, e.g. the checksum), no larger than the file, and, where no
 * compression is in the pipeline, exactly one chunk of elements plus the 4-byte
 * Fletcher-32 checksum when there is one. HDF5 itself does not check these before it
 * copies a chunk into a buffer sized by the chunk dimensions. */
static bool check_chunks(vctx *v, hid_t d, hid_t sp, hid_t pl, const char *path, int nd,
                         const hsize_t *cd, size_t es, hsize_t nchunks) {
    bool deflate = false, checksum = false;
    int nf = H5Pget_nfilters(pl);
    for (int i = 0; i < nf; i++) {
        unsigned flags;
        size_t ncv = 0;
        H5Z_filter_t id = H5Pget_filter2(pl, (unsigned)i, &flags, &ncv, NULL, 0, NULL, NULL);
        deflate = deflate || id == H5Z_FILTER_DEFLATE;
        checksum = checksum || id == H5Z_FILTER_FLETCHER32;
    }
    uint64_t chunk_bytes = es;
    for (int k = 0; k < nd; k++)
        if (__builtin_mul_overflow(chunk_bytes, (uint64_t)cd[k], &chunk_bytes))
            return fail(v, "dataset %s has chunks whose byte size does not fit 64 bits", path);
    uint64_t exact = chunk_bytes + (checksum ? 4 : 0);
    for (hsize_t i = 0; i < nchunks; i++) {
        hsize_t off[LT_MAX_DIMS > 0 ? LT_MAX_DIMS : 1];
        unsigned mask = 0;
        haddr_t addr;
        hsize_t size = 0;
        if (H5Dget_chunk_info(d, sp, i, off, &mask, &addr, &size) < 0)
            return fail(v, "dataset %s: chunk %llu cannot be read (corrupt file)", path, (unsigned long long)i);
        if (mask != 0)
            return fail(v, "dataset %s: chunk %llu skipped some of its filters (filter mask %#x; ltrun "
                           "never writes that: a corrupt file)", path, (unsigned long long)i, mask);
        if (size == 0 || size > v->fsize || (!deflate && size != exact))
            return fail(v, "dataset %s: chunk %llu holds %llu bytes where %s%llu belong (a corrupt file)",
                        path, (unsigned long long)i, (unsigned long long)size, deflate ? "at most " : "",
                        (unsigned long long)(deflate ? v->fsize : exact));
    }
    return true;
}

static bool check_storage(vctx *v, hid_t d, const char *path) {
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d), pl = H5Dget_create_plist(d);
    bool ok = t >= 0 && sp >= 0 && pl >= 0;
    if (!ok) fail(v, "dataset %s cannot be read (corrupt file)", path);
    int nf = ok ? H5Pget_nfilters(pl) : 0;
    /* its filters are HDF5's built-in ones: ltr_h5_check_safe ran first */
    H5S_class_t sc = ok ? H5Sget_simple_extent_type(sp) : H5S_NO_CLASS;
    if (ok && sc != H5S_SCALAR && sc != H5S_SIMPLE)
        ok = fail(v, "dataset %s has an empty (null) dataspace, which the format does not use", path);
    int nd = ok ? H5Sget_simple_extent_ndims(sp) : 0;
    if (ok && (nd < 0 || nd > LT_MAX_DIMS))
        ok = fail(v, "dataset %s has %d dimensions (at most %d)", path, nd, LT_MAX_DIMS);
    hsize_t dims[LT_MAX_DIMS > 0 ? LT_MAX_DIMS : 1];
    if (ok && nd > 0) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5T_class_t cls = ok ? H5Tget_class(t) : H5T_NO_CLASS;
    bool vlen = cls == H5T_VLEN || (cls == H5T_STRING && H5Tis_variable_str(t) > 0);
    if (ok && vlen && !(cls == H5T_STRING && nd == 0))
        ok = fail(v, "dataset %s holds variable-length data, which the format has only as a scalar "
                     "string", path);
    /* the element count and byte size, overflow-checked */
    uint64_t n = 1, bytes = 0;
    char sh[256] = "";
    if (ok) shape_text(nd, dims, sh, sizeof sh);
    for (int k = 0; ok && k < nd; k++)
        if (dims[k] > (hsize_t)INT64_MAX || __builtin_mul_overflow(n, (uint64_t)dims[k], &n) ||
            n > (uint64_t)INT64_MAX)
            ok = fail(v, "dataset %s declares shape %s, whose element count does not fit 64 bits", path, sh);
    size_t es = ok ? H5Tget_size(t) : 0;
    if (ok && !vlen &&
        (es == 0 || __builtin_mul_overflow(n, (uint64_t)es, &bytes) || bytes > (uint64_t)INT64_MAX))
        ok = fail(v, "dataset %s declares shape %s of %zu-byte elements, whose byte size does not fit "
                     "64 bits", path, sh, es);
    if (ok && !vlen && bytes > 0) {
        uint64_t stored = H5Dget_storage_size(d);
        H5D_layout_t layout = H5Pget_layout(pl);
        if (layout == H5D_CHUNKED) {
            hsize_t cd[LT_MAX_DIMS > 0 ? LT_MAX_DIMS : 1], have = 0;
            uint64_t want = 1;
            int cnd = H5Pget_chunk(pl, nd, cd);
            for (int k = 0; ok && k < nd; k++) {
                if (cnd != nd || cd[k] == 0) {
                    ok = fail(v, "dataset %s has a chunk layout that does not match its shape", path);
                    break;
                }
                /* ltrun never writes a chunk larger than the dataset, and libhdf5 1.10 reads
                 * past its own chunk buffer when the stored chunk is smaller than the chunk
                 * dimensions claim (found by the fuzz harness): refused here */
                if (cd[k] > dims[k]) {
                    ok = fail(v, "dataset %s has chunks of %llu along dimension %d, larger than its "
                                 "extent %llu (not written by ltrun; a corrupt file)", path,
                              (unsigned long long)cd[k], k, (unsigned long long)dims[k]);
                    break;
                }
                uint64_t per = dims[k] / cd[k] + (dims[k] % cd[k] != 0);
                if (__builtin_mul_overflow(want, per, &want)) want = UINT64_MAX;
            }
            if (ok && (H5Dget_num_chunks(d, sp, &have) < 0 || have < want))
                ok = fail(v, "dataset %s declares shape %s (%llu bytes) but only %llu of its %llu chunks "
                             "are in the file (never written or truncated)", path, sh,
                          (unsigned long long)bytes, (unsigned long long)have, (unsigned long long)want);
            if (ok) ok = check_chunks(v, d, sp, pl, path, nd, cd, es, have);
        }
        if (ok && stored > v->fsize)
            ok = fail(v, "dataset %s declares %llu stored bytes, more than the whole file (%llu bytes)",
                      path, (unsigned long long)stored, (unsigned long long)v->fsize);
        if (ok && nf == 0 && stored < bytes)
            ok = fail(v, "dataset %s declares shape %s (%llu bytes) but the file holds %llu bytes of its "
                         "data (truncated, or never written)", path, sh, (unsigned long long)bytes,
                      (unsigned long long)stored);
        if (ok && nf > 0 && (stored == 0 || bytes / CK_DEFLATE_RATIO > stored))
            ok = fail(v, "dataset %s declares shape %s (%llu bytes), more than its %llu compressed bytes "
                         "can hold", path, sh, (unsigned long long)bytes, (unsigned long long)stored);
    }
    if (ok && vlen) {
        /* a scalar variable-length string: its text lives in the file's heap */
    } else if (ok && cls == H5T_STRING && es > CK_TEXT_MAX) {
        ok = fail(v, "dataset %s is a string of %zu bytes (at most %zu)", path, es, CK_TEXT_MAX);
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (pl >= 0) H5Pclose(pl);
    return ok;
}

static herr_t visit_storage(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    vctx *v = op;
    if (info->type != H5L_TYPE_HARD) return 0; /* soft links: their target is visited */
    H5O_info_t oi;
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0) {
        fail(v, "'/%s' cannot be read (corrupt or truncated file)", name);
        return 1;
    }
    if (oi.type == H5O_TYPE_GROUP) return 0;
    if (oi.type != H5O_TYPE_DATASET) {
        fail(v, "'/%s' is neither a group nor a dataset: the format has only those", name);
        return 1;
    }
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        fail(v, "dataset '/%s' cannot be opened (corrupt or truncated file)", name);
        return 1;
    }
    char path[1100];
    snprintf(path, sizeof path, "/%s", name);
    bool ok = check_storage(v, d, path);
    H5Dclose(d);
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ the format's groups */

static bool check_meta(vctx *v, int64_t *weights_only) {
    hid_t m = is_type(v->file, "meta", H5O_TYPE_GROUP) ? H5Gopen2(v->file, "meta", H5P_DEFAULT) : -1;
    char *fmt = NULL;
    if (m >= 0 && H5Aexists(m, "format") > 0) fmt = get_str(v, m, "/meta", "format", true);
    if (v->bad || !fmt || strcmp(fmt, LTR_CKPT_FORMAT)) {
        free(fmt);
        if (m >= 0) H5Gclose(m);
        return fail(v, "an HDF5 file but not an ltrun checkpoint (no /meta attribute format = \"%s\" with "
                       "a format_version)", LTR_CKPT_FORMAT);
    }
    free(fmt);
    int64_t version = 0;
    bool ok = get_int(v, m, "/meta", "format_version", INT64_MIN, INT64_MAX, true, &version);
    if (ok && (version > LTR_CKPT_VERSION || version < 1))
        ok = fail(v, "checkpoint format version %lld; this ltrun reads version%s %d%s", (long long)version,
                  LTR_CKPT_VERSION > 1 ? "s 1 to" : "", LTR_CKPT_VERSION,
                  version > LTR_CKPT_VERSION ? " (written by a newer ltrun: upgrade ltrun to load it)" : "");
    ok = ok && get_int(v, m, "/meta", "weights_only", 0, 1, true, weights_only);
    static const char *const strs[] = {"ltrun_version", "abi_version", "module", "datamodule"};
    for (size_t i = 0; ok && i < sizeof strs / sizeof *strs; i++) {
        char *s = get_str(v, m, "/meta", strs[i], true);
        ok = s != NULL;
        free(s);
    }
    /* any precision this build knows (precision/precision.c's names) */
    char *prec = ok ? get_str(v, m, "/meta", "precision", true) : NULL;
    ok = ok && prec;
    if (ok && !ltr_precision_by_name(prec))
        ok = fail(v, "attribute /meta/precision is \"%s\", a precision this build does not know "
                     "(it knows \"32-true\", \"64-true\", \"bf16-mixed\")", prec);
    free(prec);
    int64_t x;
    ok = ok && get_int(v, m, "/meta", "epoch", 0, LTR_CKPT_COUNTER_MAX, true, &x);
    ok = ok && get_int(v, m, "/meta", "global_step", 0, LTR_CKPT_COUNTER_MAX, true, &x);
    H5Gclose(m);
    return ok;
}

static bool check_hparams(vctx *v) {
    hid_t h = open_group(v, v->file, "", "hparams", true);
    if (h < 0) return false;
    bool ok = check_json_dataset(v, h, "/hparams", "module", true) &&
              check_json_dataset(v, h, "/hparams", "data", true);
    H5Gclose(h);
    return ok;
}

static herr_t visit_sd(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    vctx *v = op;
    if (v->nsd >= CK_MAX_ENTRIES) {
        fail(v, "/state_dict has more than %d tensors", CK_MAX_ENTRIES);
        return 1;
    }
    ds_info di;
    hid_t d = open_dataset(v, g, "/state_dict", name, true, &di);
    if (d < 0) return 1;
    static const char *const kinds[] = {"parameter", "buffer", NULL};
    int64_t index = 0;
    int kind = -1;
    bool ok = !di.is_string ? true : fail(v, "/state_dict/%s is a string, not a tensor", name);
    char where[1100];
    snprintf(where, sizeof where, "/state_dict/%s", name);
    ok = ok && check_tensor(v, d, "/state_dict", name, &di);
    ok = ok && (kind = get_choice(v, d, where, "kind", kinds)) >= 0;
    ok = ok && get_int(v, d, where, "index", 0, CK_MAX_ENTRIES, true, &index);
    H5Dclose(d);
    if (!ok) return 1;
    if (v->nsd == v->capsd) {
        int64_t cap = v->capsd ? 2 * v->capsd : 32;
        sd_meta *s = realloc(v->sd, (size_t)cap * sizeof *s);
        if (!s) {
            fail(v, "out of memory");
            return 1;
        }
        v->sd = s, v->capsd = cap;
    }
    sd_meta *e = &v->sd[v->nsd];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    if (!e->name) {
        fail(v, "out of memory");
        return 1;
    }
    v->nsd++;
    e->dtype = di.dtype;
    e->ndim = di.ndim;
    for (int k = 0; k < di.ndim; k++) e->shape[k] = (int64_t)di.dims[k];
    e->is_param = kind == 0;
    e->index = index;
    v->nparams += e->is_param;
    return 0;
}

static bool check_state_dict(vctx *v) {
    hid_t sd = open_group(v, v->file, "", "state_dict", true);
    if (sd < 0) return false;
    hsize_t idx = 0;
    herr_t rc = H5Literate(sd, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_sd, v);
    H5Gclose(sd);
    if (!v->bad && rc < 0) fail(v, "/state_dict cannot be read (truncated or corrupt)");
    return !v->bad;
}

static const sd_meta *find_sd(const vctx *v, const char *name) {
    for (int64_t i = 0; i < v->nsd; i++)
        if (!strcmp(v->sd[i].name, name)) return &v->sd[i];
    return NULL;
}

static const char *const OPT_NAMES[] = {[LTR_OPTIM_SGD] = "SGD", [LTR_OPTIM_ADAM] = "Adam",
                                        [LTR_OPTIM_ADAMW] = "AdamW", [LTR_OPTIM_RMSPROP] = "RMSprop",
                                        [LTR_OPTIM_ADAGRAD] = "Adagrad"};

typedef struct st_visit {
    vctx *v;
    const char *where; /* /optimizer/<i>/state */
    int kind;
} st_visit;

static herr_t visit_state(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    st_visit *s = op;
    vctx *v = s->v;
    const sd_meta *p = find_sd(v, name);
    if (!p || !p->is_param) {
        fail(v, "%s/%s names no parameter of /state_dict", s->where, name);
        return 1;
    }
    char where[1200];
    snprintf(where, sizeof where, "%s/%s", s->where, name);
    hid_t pg = open_group(v, g, s->where, name, true);
    if (pg < 0) return 1;
    int64_t x;
    bool ok = get_int(v, pg, where, "step", 0, LTR_CKPT_COUNTER_MAX, true, &x) &&
              get_int(v, pg, where, "param_index", 0, CK_MAX_ENTRIES, true, &x);
    if (ok && x != p->index)
        ok = fail(v, "attribute %s/param_index = %lld, but /state_dict/%s has index %lld", where, (long long)x,
                  name, (long long)p->index);
    const char *bn[3];
    ltr_ckpt_state_names(s->kind, bn);
    H5G_info_t gi = {0};
    if (ok && H5Gget_info(pg, &gi) < 0) ok = fail(v, "%s cannot be read (corrupt file)", where);
    hsize_t found = 0;
    for (int b = 0; ok && b < 3; b++) {
        if (!bn[b] || H5Lexists(pg, bn[b], H5P_DEFAULT) <= 0) continue;
        found++;
        ds_info di;
        hid_t d = open_dataset(v, pg, where, bn[b], true, &di);
        if (d < 0) {
            ok = false;
            break;
        }
        ok = check_tensor(v, d, where, bn[b], &di);
        H5Dclose(d);
        bool same = ok && di.dtype == p->dtype && di.ndim == p->ndim;
        for (int k = 0; same && k < p->ndim; k++) same = (int64_t)di.dims[k] == p->shape[k];
        if (ok && !same) {
            char a[256], c[256];
            hsize_t pd[LT_MAX_DIMS];
            for (int k = 0; k < p->ndim; k++) pd[k] = (hsize_t)p->shape[k];
            shape_text(di.ndim, di.dims, a, sizeof a);
            shape_text(p->ndim, pd, c, sizeof c);
            ok = fail(v, "dataset %s/%s is %s of shape %s, but its parameter /state_dict/%s is %s of shape %s",
                      where, bn[b], di.dtype >= 0 ? ltr_dtype_name((lt_dtype)di.dtype) : "?", a, name,
                      ltr_dtype_name((lt_dtype)p->dtype), c);
        }
    }
    if (ok && found != gi.nlinks)
        ok = fail(v, "%s holds entries that are not %s state (docs/checkpoint-format.md, /optimizer)", where,
                  OPT_NAMES[s->kind]);
    H5Gclose(pg);
    return ok ? 0 : 1;
}

/* One param group's options as torch's constructor checks them. */
static bool check_group(vctx *v, hid_t gg, const char *where, int kind) {
    bool is_bool;
    double upper, x, vals[16] = {0};
    const char *key;
    int k = 0;
    for (; (key = ltr_optim_kind_key(kind, k, &is_bool, &upper)); k++) {
        if (!get_f64(v, gg, where, key, true, &x)) return false;
        if (k < 16) vals[k] = x;
        if (is_bool ? !(x == 0 || x == 1) : !(x >= 0 && x < upper)) {
            char bound[64] = "";
            if (!is_bool && upper < INFINITY) snprintf(bound, sizeof bound, " and < %g", upper);
            return fail(v, "attribute %s/%s = %g is invalid: torch.optim.%s refuses it (allowed: %s%s)",
                        where, key, x, OPT_NAMES[kind], is_bool ? "0 or 1" : ">= 0", bound);
        }
    }
    if (kind == LTR_OPTIM_SGD) {
        /* keys: lr, momentum, dampening, weight_decay, nesterov, maximize */
        if (vals[4] == 1 && (vals[1] <= 0 || vals[2] != 0))
            return fail(v, "attributes %s: nesterov = 1 needs momentum > 0 and dampening = 0 (torch.optim.SGD "
                           "refuses it)", where);
    }
    if (H5Aexists(gg, "initial_lr") > 0) {
        if (!get_f64(v, gg, where, "initial_lr", true, &x)) return false;
        if (!(x >= 0 && isfinite(x)))
            return fail(v, "attribute %s/initial_lr = %g is invalid (allowed: a finite value >= 0)", where, x);
    }
    return true;
}

static bool check_optimizer(vctx *v, hid_t og, int i, int64_t *ngroups) {
    char where[64];
    snprintf(where, sizeof where, "/optimizer/%d", i);
    static const char *const names[] = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", NULL};
    int kind = get_choice(v, og, where, "name", names) + 1; /* LTR_OPTIM_SGD = 1 ... */
    int64_t k = 0;
    if (kind <= 0 || !get_int(v, og, where, "kind", 1, 5, true, &k)) return false;
    if (k != kind)
        return fail(v, "attribute %s/kind = %lld does not match its name %s (%d)", where, (long long)k,
                    OPT_NAMES[kind], kind);
    if (!get_int(v, og, where, "num_param_groups", 0, CK_MAX_GROUPS, true, ngroups)) return false;
    hid_t pg = open_group(v, og, where, "param_groups", true);
    if (pg < 0) return false;
    bool ok = true;
    for (int64_t g = 0; ok && g < *ngroups; g++) {
        char nm[32], gw[128];
        snprintf(nm, sizeof nm, "%lld", (long long)g);
        snprintf(gw, sizeof gw, "%s/param_groups/%lld", where, (long long)g);
        hid_t gg = open_group(v, pg, where, nm, true);
        if (gg < 0) {
            ok = false;
            break;
        }
        ok = check_group(v, gg, gw, kind);
        ds_info di;
        hid_t d = ok ? open_dataset(v, gg, gw, "param_index", true, &di) : -1;
        if (ok && d < 0) ok = false;
        if (ok && (di.dtype != LT_INT64 || di.ndim != 1 || di.dims[0] > (hsize_t)v->nparams))
            ok = fail(v, "dataset %s/param_index must be int64 of shape (n,), n at most the %lld parameters "
                         "in /state_dict", gw, (long long)v->nparams);
        int64_t *idx = ok && di.dims[0] ? malloc((size_t)di.dims[0] * sizeof *idx) : NULL;
        if (ok && di.dims[0] && !idx) ok = fail(v, "out of memory");
        if (ok && idx) ok = read_small(v, d, H5T_NATIVE_INT64, idx, gw, "param_index");
        for (hsize_t j = 0; ok && idx && j < di.dims[0]; j++)
            if (idx[j] < 0 || idx[j] >= v->nparams)
                ok = fail(v, "dataset %s/param_index holds %lld (allowed 0 to %lld: the parameters' indices)",
                          gw, (long long)idx[j], (long long)v->nparams - 1);
        free(idx);
        if (d >= 0) H5Dclose(d);
        if (ok && H5Lexists(gg, "params", H5P_DEFAULT) > 0) {
            hid_t pd = open_dataset(v, gg, gw, "params", true, &di);
            if (pd < 0) ok = false;
            else {
                H5Dclose(pd);
                if (!di.is_string || di.ndim != 0)
                    ok = fail(v, "dataset %s/params must be a scalar string", gw);
            }
        }
        H5Gclose(gg);
    }
    H5Gclose(pg);
    if (!ok) return false;
    hid_t sg = open_group(v, og, where, "state", false);
    if (v->bad) return false;
    if (sg < 0) return true;
    char sw[80];
    snprintf(sw, sizeof sw, "%s/state", where);
    st_visit s = {v, sw, kind};
    hsize_t idx = 0;
    herr_t rc = H5Literate(sg, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_state, &s);
    H5Gclose(sg);
    if (!v->bad && rc < 0) fail(v, "%s cannot be read (truncated or corrupt)", sw);
    return !v->bad;
}

/* A float64 vector of n values, each finite and >= 0 (learning rates). */
static bool check_lrs(vctx *v, hid_t g, const char *where, const char *name, int64_t n) {
    ds_info di;
    hid_t d = open_dataset(v, g, where, name, true, &di);
    if (d < 0) return false;
    bool ok = di.dtype == LT_FLOAT64 && di.ndim == 1 && (int64_t)di.dims[0] == n;
    if (!ok) {
        H5Dclose(d);
        return fail(v, "dataset %s/%s must be float64 of shape (%lld,): one per param group of its optimizer",
                    where, name, (long long)n);
    }
    double *x = malloc((size_t)(n ? n : 1) * sizeof *x);
    ok = x ? (n == 0 || read_small(v, d, H5T_NATIVE_DOUBLE, x, where, name)) : fail(v, "out of memory");
    H5Dclose(d);
    for (int64_t j = 0; ok && j < n; j++)
        if (!(x[j] >= 0 && isfinite(x[j])))
            ok = fail(v, "dataset %s/%s holds %g (allowed: learning rates, finite and >= 0)", where, name,
                      x[j]);
    free(x);
    return ok;
}

static bool check_schedulers(vctx *v, hid_t lg, int64_t nopt, const int64_t *opt_groups) {
    int64_t count = 0;
    if (!get_int(v, lg, "/lr_schedulers", "count", 0, CK_MAX_OPTIMIZERS, true, &count)) return false;
    for (int64_t i = 0; i < count; i++) {
        char nm[32], where[64];
        snprintf(nm, sizeof nm, "%lld", (long long)i);
        snprintf(where, sizeof where, "/lr_schedulers/%lld", (long long)i);
        hid_t g = open_group(v, lg, "/lr_schedulers", nm, true);
        if (g < 0) return false;
        int64_t x, opt = 0;
        double f;
        char *name = get_str(v, g, where, "name", true);
        free(name);
        bool ok = name && get_int(v, g, where, "kind", 0, 1024, true, &x) &&
                  (nopt > 0 ? get_int(v, g, where, "optimizer", 0, nopt - 1, true, &opt)
                            : fail(v, "%s exists but /optimizer has no optimizer for it", where)) &&
                  get_int(v, g, where, "last_epoch", -1, LTR_CKPT_COUNTER_MAX, true, &x) &&
                  get_int(v, g, where, "_step_count", 0, LTR_CKPT_COUNTER_MAX, true, &x) &&
                  get_int(v, g, where, "num_bad_epochs", 0, LTR_CKPT_COUNTER_MAX, true, &x) &&
                  get_int(v, g, where, "cooldown_counter", 0, LTR_CKPT_COUNTER_MAX, true, &x);
        static const char *const fl[] = {"T_i", "T_cur", "best"};
        for (int k = 0; ok && k < 3; k++) {
            ok = get_f64(v, g, where, fl[k], true, &f);
            if (ok && (isnan(f) || (k < 2 && !isfinite(f))))
                ok = fail(v, "attribute %s/%s = %g is invalid (allowed: a %s number)", where, fl[k], f,
                          k < 2 ? "finite" : "non-NaN");
        }
        ok = ok && check_lrs(v, g, where, "base_lrs", opt_groups[opt]) &&
             check_lrs(v, g, where, "_last_lr", opt_groups[opt]);
        H5Gclose(g);
        if (!ok) return false;
    }
    return true;
}

static bool check_loops(vctx *v, hid_t lp) {
    static const char *const keys[6] = {"epochs_processed", "current_epoch", "batch_idx",
                                        "total_batch_idx", "batches_that_stepped", "global_step"};
    int64_t L[6];
    for (int k = 0; k < 6; k++)
        if (!get_int(v, lp, "/loops", keys[k], k == 3 ? -1 : 0, LTR_CKPT_COUNTER_MAX, true, &L[k]))
            return false;
    /* batch_idx batches of the current epoch were made ready, so total_batch_idx + 1 >= it */
    if (L[2] > L[3] + 1)
        return fail(v, "attribute /loops/batch_idx = %lld is out of range (allowed 0 to total_batch_idx + 1 "
                       "= %lld)", (long long)L[2], (long long)(L[3] + 1));
    hid_t m = H5Gopen2(v->file, "meta", H5P_DEFAULT);
    int64_t epoch = 0, step = 0;
    bool ok = m >= 0 && get_int(v, m, "/meta", "epoch", 0, LTR_CKPT_COUNTER_MAX, true, &epoch) &&
              get_int(v, m, "/meta", "global_step", 0, LTR_CKPT_COUNTER_MAX, true, &step);
    if (m >= 0) H5Gclose(m);
    if (!ok) return false;
    if (L[1] != epoch)
        return fail(v, "attribute /loops/current_epoch = %lld differs from /meta/epoch = %lld", (long long)L[1],
                    (long long)epoch);
    if (L[5] != step)
        return fail(v, "attribute /loops/global_step = %lld differs from /meta/global_step = %lld",
                    (long long)L[5], (long long)step);
    /* optional: the world size and train batch size per rank that counted batch_idx */
    int64_t x;
    if (H5Aexists(lp, "world_size") > 0 &&
        !get_int(v, lp, "/loops", "world_size", 1, LTR_CKPT_COUNTER_MAX, true, &x))
        return false;
    if (H5Aexists(lp, "batch_size") > 0 &&
        !get_int(v, lp, "/loops", "batch_size", 1, LTR_CKPT_COUNTER_MAX, true, &x))
        return false;
    return true;
}

static bool check_rng(vctx *v, hid_t rg) {
    ds_info di;
    hid_t d = open_dataset(v, rg, "/rng", "host", true, &di);
    if (d < 0) return false;
    int64_t s[4] = {0};
    bool ok = di.dtype == LT_INT64 && di.ndim == 1 && di.dims[0] == 4
                  ? read_small(v, d, H5T_NATIVE_INT64, s, "/rng", "host")
                  : fail(v, "dataset /rng/host must be int64 of shape (4,) (the xoshiro256** state)");
    H5Dclose(d);
    if (ok && !(s[0] | s[1] | s[2] | s[3]))
        ok = fail(v, "dataset /rng/host is all zeros, a state xoshiro256** never leaves (every draw would "
                     "be 0): the file is corrupt or was not written by ltrun");
    int64_t x;
    ok = ok && get_int(v, rg, "/rng", "dataloader_seed", INT64_MIN, INT64_MAX, true, &x);
    if (ok && H5Aexists(rg, "seed") > 0) ok = get_int(v, rg, "/rng", "seed", INT64_MIN, INT64_MAX, true, &x);
    if (ok && H5Aexists(rg, "dataloader_epoch") > 0)
        ok = get_int(v, rg, "/rng", "dataloader_epoch", 0, LTR_CKPT_COUNTER_MAX, true, &x);
    return ok;
}

/* /extra, /datamodule, /callbacks/<name>/{state,extra}: tensors and JSON texts */
typedef struct hk_visit {
    vctx *v;
    const char *where;
} hk_visit;

static herr_t visit_hook_entry(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    hk_visit *h = op;
    vctx *v = h->v;
    ds_info di;
    hid_t d = open_dataset(v, g, h->where, name, true, &di);
    if (d < 0) return 1;
    char where[1200];
    snprintf(where, sizeof where, "%s/%s", h->where, name);
    static const char *const kinds[] = {"tensor", "json", NULL};
    int kind = get_choice(v, d, where, "kind", kinds);
    bool ok = kind >= 0;
    if (ok && kind == 0)
        ok = !di.is_string ? check_tensor(v, d, h->where, name, &di)
                           : fail(v, "dataset %s has kind \"tensor\" but holds a string", where);
    H5Dclose(d);
    if (ok && kind == 1) ok = check_json_dataset(v, g, h->where, name, false);
    return ok ? 0 : 1;
}

static bool check_hook_group(vctx *v, hid_t loc, const char *parent, const char *name) {
    char where[1200];
    snprintf(where, sizeof where, "%s/%s", parent, name);
    hid_t g = open_group(v, loc, parent, name, false);
    if (g < 0) return !v->bad;
    hk_visit h = {v, where};
    hsize_t idx = 0;
    herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_hook_entry, &h);
    H5Gclose(g);
    if (!v->bad && rc < 0) fail(v, "%s cannot be read (truncated or corrupt)", where);
    return !v->bad;
}

static herr_t visit_callback(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    vctx *v = op;
    hid_t cg = open_group(v, g, "/callbacks", name, true);
    if (cg < 0) return 1;
    char where[1100];
    snprintf(where, sizeof where, "/callbacks/%s", name);
    bool ok = check_hook_group(v, cg, where, "state") && check_hook_group(v, cg, where, "extra");
    H5Gclose(cg);
    return ok ? 0 : 1;
}

/* /precision (full checkpoints, optional): one JSON object per precision class name. */
static herr_t visit_precision(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    return check_json_dataset(op, g, "/precision", name, true) ? 0 : 1;
}

static bool check_precision(vctx *v) {
    hid_t g = open_group(v, v->file, "", "precision", false);
    if (g < 0) return !v->bad;
    hsize_t idx = 0;
    herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_precision, v);
    H5Gclose(g);
    if (!v->bad && rc < 0) fail(v, "/precision cannot be read (truncated or corrupt)");
    return !v->bad;
}

static bool check_training(vctx *v) {
    hid_t og = open_group(v, v->file, "", "optimizer", true);
    hid_t lg = og >= 0 ? open_group(v, v->file, "", "lr_schedulers", true) : -1;
    hid_t lp = lg >= 0 ? open_group(v, v->file, "", "loops", true) : -1;
    hid_t rg = lp >= 0 ? open_group(v, v->file, "", "rng", true) : -1;
    int64_t count = 0, groups[CK_MAX_OPTIMIZERS] = {0};
    bool ok = rg >= 0 && get_int(v, og, "/optimizer", "count", 0, CK_MAX_OPTIMIZERS, true, &count);
    for (int64_t i = 0; ok && i < count; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%lld", (long long)i);
        hid_t g = open_group(v, og, "/optimizer", nm, true);
        ok = g >= 0 && check_optimizer(v, g, (int)i, &groups[i]);
        if (g >= 0) H5Gclose(g);
    }
    ok = ok && check_schedulers(v, lg, count, groups) && check_loops(v, lp) && check_rng(v, rg) &&
         check_precision(v);
    if (og >= 0) H5Gclose(og);
    if (lg >= 0) H5Gclose(lg);
    if (lp >= 0) H5Gclose(lp);
    if (rg >= 0) H5Gclose(rg);
    return ok;
}

lt_status ltr_ckpt_validate(hid_t file, char *err, size_t cap) {
    ltr_h5_init();
    vctx v = {.file = file, .err = err, .cap = cap};
    hsize_t fsize = 0;
    if (H5Fget_filesize(file, &fsize) < 0) fail(&v, "the file's size cannot be read");
    v.fsize = fsize;
    if (!v.bad && ltr_h5_check_safe(file, err, cap)) v.bad = true;
    int64_t wo = 0;
    if (!v.bad) check_meta(&v, &wo);
    if (!v.bad) {
        herr_t rc = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit_storage, &v);
        if (!v.bad && rc < 0) fail(&v, "the file's structure cannot be read (corrupt or truncated)");
    }
    if (!v.bad) check_hparams(&v);
    if (!v.bad) check_state_dict(&v);
    if (!v.bad && !wo) check_training(&v);
    if (!v.bad) check_hook_group(&v, file, "", "extra");
    if (!v.bad) check_hook_group(&v, file, "", "datamodule");
    if (!v.bad) {
        hid_t cg = open_group(&v, file, "", "callbacks", false);
        if (cg >= 0) {
            hsize_t idx = 0;
            herr_t rc = H5Literate(cg, H5_INDEX_NAME, H5_ITER_INC, &idx, visit_callback, &v);
            if (!v.bad && rc < 0) fail(&v, "/callbacks cannot be read (truncated or corrupt)");
            H5Gclose(cg);
        }
    }
    for (int64_t i = 0; i < v.nsd; i++) free(v.sd[i].name);
    free(v.sd);
    return v.bad ? LT_ERROR : LT_OK;
}

lt_status ltr_ckpt_check_file(const char *path, char *err, size_t cap) {
    ltr_h5_init();
    if (!ltr_check_regular_file(path, "checkpoint", err, cap, NULL)) return LT_ERROR; /* a FIFO would block */
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, cap, "checkpoint '%s' is not an HDF5 file (ltrun checkpoints are .h5 files "
                           "written by ltrun fit or lt_save_checkpoint)", path);
        return LT_ERROR;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, cap, "checkpoint '%s': the HDF5 file cannot be opened (truncated or corrupt)", path);
        return LT_ERROR;
    }
    char msg[2048];
    lt_status rc = ltr_ckpt_validate(f, msg, sizeof msg);
    H5Fclose(f);
    if (rc) snprintf(err, cap, "checkpoint '%s': %s", path, msg);
    return rc;
}

/* The walk for HDF5's description of a failed read: fletcher32 reports a checksum error. */
static herr_t find_checksum(unsigned n, const H5E_error2_t *e, void *op) {
    (void)n;
    if (e->desc && (strstr(e->desc, "Fletcher32") || strstr(e->desc, "checksum"))) *(bool *)op = true;
    return 0;
}

lt_status ltr_ckpt_read(hid_t d, hid_t mem_type, void *buf, const char *where, char *err, size_t cap) {
    H5Eclear2(H5E_DEFAULT);
    if (H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) return LT_OK;
    bool checksum = false;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_checksum, &checksum);
    H5Eclear2(H5E_DEFAULT);
    if (checksum)
        snprintf(err, cap, "tensor %s is corrupt (checksum mismatch): the file was damaged after it was "
                           "written; resume from another checkpoint", where);
    else snprintf(err, cap, "tensor %s cannot be read (truncated or corrupt data)", where);
    return LT_ERROR;
}
