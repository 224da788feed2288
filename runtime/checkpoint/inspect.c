/*
 * inspect.c — `ltrun inspect FILE [--json]`: what a checkpoint holds, without plugins or
 * a trainer: metadata, hparams, the parameter table (name, shape, dtype, count), the
 * optimizers, schedulers, loop progress, RNG and any other group. The same safety
 * checks as loading (not HDF5, not an ltrun checkpoint, external links/storage, virtual
 * datasets) end it with status 1.
 *
 * Both outputs come from one JSON document: --json prints it, the text form walks it.
 */
#include "checkpoint/checkpoint.h"
#include "util/regular_file.h"
#include "util/term_escape.h"
#include "tensor/tensor.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Everything below reads a file that may be hostile: each value is read only after its
 * class, rank and size say it fits the buffer, and every group/dataset open goes through
 * access lists that refuse to follow external links (the safety walk refuses them too;
 * this keeps a missed one from opening another file). */
static hid_t gapl = H5P_DEFAULT, dapl = H5P_DEFAULT;

static herr_t no_elink(const char *parent_file, const char *parent_group, const char *file,
                       const char *object, unsigned *flags, hid_t fapl, void *op) {
    (void)parent_file, (void)parent_group, (void)file, (void)object, (void)flags, (void)fapl, (void)op;
    return -1;
}

static void access_lists(void) {
    gapl = H5Pcreate(H5P_GROUP_ACCESS);
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (gapl < 0 || H5Pset_elink_cb(gapl, no_elink, NULL) < 0) gapl = H5P_DEFAULT;
    if (dapl < 0 || H5Pset_elink_cb(dapl, no_elink, NULL) < 0) dapl = H5P_DEFAULT;
}

static void close_all(hid_t f) {
    if (f >= 0) H5Fclose(f);
    if (gapl != H5P_DEFAULT) H5Pclose(gapl);
    if (dapl != H5P_DEFAULT) H5Pclose(dapl);
    gapl = dapl = H5P_DEFAULT;
}

static hid_t open_group(hid_t loc, const char *name) {
    if (loc < 0 || H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    H5O_info_t oi;
    if (H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP) return -1;
    return H5Gopen2(loc, name, gapl);
}

/* integers as exact JSON numbers (cJSON keeps numbers as double: 2^53 + 1 would round) */
static cJSON *json_i64(int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    return cJSON_CreateRaw(b);
}
static cJSON *json_u64(uint64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return cJSON_CreateRaw(b);
}

/* what an attribute that is not shown holds, e.g. "<4096 strings>" */
static cJSON *not_shown(H5T_class_t cls, hssize_t n, int rank) {
    char b[96];
    const char *what = cls == H5T_STRING ? "strings" : cls == H5T_INTEGER ? "integers"
                     : cls == H5T_FLOAT ? "floats" : "values of an unsupported type";
    if (n < 0) snprintf(b, sizeof b, "<unreadable>");
    else snprintf(b, sizeof b, "<%lld %s%s>", (long long)n, what, rank > 1 ? " (multi-dimensional)" : "");
    return cJSON_CreateString(b);
}

/* an attribute as a JSON value: one string, one number, or a 1-D array of up to 64
 * numbers; anything else is described, not read */
#define MAX_ARRAY 64
static cJSON *attr_json(hid_t a) {
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    size_t size = t < 0 ? 0 : H5Tget_size(t);
    H5S_class_t sc = sp < 0 ? H5S_NO_CLASS : H5Sget_simple_extent_type(sp);
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    cJSON *v = NULL;
    bool one = ltr_h5_one_element(sp), array = sc == H5S_SIMPLE && rank == 1 && n >= 1 && n <= MAX_ARRAY;
    if (cls == H5T_STRING && one) {
        char *s = ltr_h5_attr_read_str(a);
        if (s) v = cJSON_CreateString(s);
        free(s);
    } else if (cls == H5T_INTEGER && size >= 1 && size <= 8 && (one || array)) {
        bool uns = H5Tget_sign(t) == H5T_SGN_NONE;
        int64_t buf[MAX_ARRAY];
        if (H5Aread(a, uns ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, buf) >= 0) {
            v = one ? NULL : cJSON_CreateArray();
            for (hssize_t k = 0; k < (one ? 1 : n); k++) {
                cJSON *x = uns ? json_u64((uint64_t)buf[k]) : json_i64(buf[k]);
                if (one) v = x;
                else cJSON_AddItemToArray(v, x);
            }
        }
    } else if (cls == H5T_FLOAT && size >= 2 && size <= 16 && (one || array)) {
        double buf[MAX_ARRAY];
        if (H5Aread(a, H5T_NATIVE_DOUBLE, buf) >= 0)
            v = one ? cJSON_CreateNumber(buf[0]) : cJSON_CreateDoubleArray(buf, (int)n);
    } else {
        v = not_shown(cls, n, rank);
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    return v ? v : cJSON_CreateNull();
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *op) {
    (void)info;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return 0;
    cJSON_AddItemToObject(op, name, attr_json(a));
    H5Aclose(a);
    return 0;
}

static cJSON *attrs_of(hid_t obj) {
    cJSON *o = cJSON_CreateObject();
    hsize_t idx = 0;
    if (obj >= 0) H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, o);
    return o;
}

/* one dataset: name, shape, dtype, count (+ kind); the count exact, or null when the
 * dims' product does not fit 64 bits */
static cJSON *dataset_json(hid_t loc, const char *name) {
    hid_t d = H5Dopen2(loc, name, dapl);
    if (d < 0) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    hid_t sp = H5Dget_space(d);
    int nd = sp < 0 ? 0 : H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK] = {0};
    if (nd > H5S_MAX_RANK || nd < 0 || (nd > 0 && H5Sget_simple_extent_dims(sp, dims, NULL) < 0)) nd = 0;
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    uint64_t count = sp >= 0 && H5Sget_simple_extent_type(sp) == H5S_NULL ? 0 : 1;
    bool over = false;
    for (int k = 0; k < nd; k++) {
        cJSON_AddItemToArray(shape, json_u64(dims[k]));
        if (dims[k] && count > UINT64_MAX / dims[k]) over = true;
        count *= dims[k];
    }
    int dt = ltr_h5_dataset_dtype(d);
    hid_t t = H5Dget_type(d);
    bool str = t >= 0 && H5Tget_class(t) == H5T_STRING;
    if (t >= 0) H5Tclose(t);
    cJSON_AddStringToObject(o, "dtype", str ? "string" : dt >= 0 ? ltr_dtype_name((lt_dtype)dt) : "unknown");
    cJSON_AddItemToObject(o, "count", over ? cJSON_CreateNull() : json_u64(count));
    char *kind = ltr_h5_get_str(d, "kind");
    if (kind) cJSON_AddStringToObject(o, "kind", kind);
    free(kind);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return o;
}

typedef struct walk {
    cJSON *list;
    char prefix[512];
} walk;

/* every dataset under a group, with its path relative to the group */
static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    walk *w = op;
    H5O_info_t oi;
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_DATASET) return 0;
    cJSON *d = dataset_json(g, name);
    if (d) cJSON_AddItemToArray(w->list, d);
    return 0;
}

static cJSON *datasets_under(hid_t f, const char *group, bool recursive) {
    walk w = {cJSON_CreateArray(), ""};
    hid_t g = open_group(f, group);
    if (g < 0) return w.list;
    if (recursive) H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, list_cb, &w);
    else {
        hsize_t idx = 0;
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &w);
    }
    H5Gclose(g);
    return w.list;
}

/* numbered subgroups (/optimizer/0, /lr_schedulers/1, ...): their attributes */
static cJSON *numbered(hid_t f, const char *group) {
    cJSON *arr = cJSON_CreateArray();
    hid_t g = open_group(f, group);
    for (int i = 0; g >= 0; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%d", i);
        hid_t s = open_group(g, nm);
        if (s < 0) break;
        cJSON *o = attrs_of(s);
        hid_t pgs = open_group(s, "param_groups");
        if (pgs >= 0) { /* an optimizer */
            cJSON *groups = cJSON_AddArrayToObject(o, "param_groups");
            for (int k = 0;; k++) {
                char pg[32];
                snprintf(pg, sizeof pg, "%d", k);
                hid_t gg = open_group(pgs, pg);
                if (gg < 0) break;
                cJSON_AddItemToArray(groups, attrs_of(gg));
                H5Gclose(gg);
            }
            H5Gclose(pgs);
            H5G_info_t gi = {0};
            hid_t st = open_group(s, "state");
            if (st >= 0) {
                H5Gget_info(st, &gi);
                H5Gclose(st);
            }
            cJSON_AddItemToObject(o, "state_entries", json_u64(gi.nlinks));
            cJSON_AddItemToObject(o, "tensors", datasets_under(s, "state", true));
        } else {
            cJSON_AddItemToObject(o, "tensors", datasets_under(g, nm, false));
        }
        cJSON_AddItemToArray(arr, o);
        H5Gclose(s);
    }
    if (g >= 0) H5Gclose(g);
    return arr;
}

static cJSON *group_attrs(hid_t f, const char *group) {
    hid_t g = open_group(f, group);
    if (g < 0) return cJSON_CreateNull();
    cJSON *o = attrs_of(g);
    H5Gclose(g);
    return o;
}

/* /rng/host as hex when it is the 4 integers it should be */
static cJSON *host_state(hid_t f) {
    hid_t g = open_group(f, "rng");
    hid_t d = g >= 0 && H5Lexists(g, "host", H5P_DEFAULT) > 0 ? H5Dopen2(g, "host", dapl) : -1;
    hid_t t = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t n = 0;
    bool fits = t >= 0 && sp >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) <= 8 &&
                H5Sget_simple_extent_type(sp) == H5S_SIMPLE && H5Sget_simple_extent_ndims(sp) == 1 &&
                H5Sget_simple_extent_dims(sp, &n, NULL) == 1 && n == 4;
    int64_t s[4] = {0};
    cJSON *v = NULL;
    if (fits && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0) {
        char hex[80];
        snprintf(hex, sizeof hex, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
                 (uint64_t)s[0], (uint64_t)s[1], (uint64_t)s[2], (uint64_t)s[3]);
        v = cJSON_CreateString(hex);
    } else if (d >= 0) {
        v = cJSON_CreateString("<not 4 integers>");
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    if (g >= 0) H5Gclose(g);
    return v;
}

static herr_t top_cb(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)g, (void)info;
    cJSON_AddItemToArray(op, cJSON_CreateString(name));
    return 0;
}

static cJSON *inspect_json(hid_t f, const char *path) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", path);
    cJSON_AddItemToObject(doc, "meta", group_attrs(f, "meta"));
    cJSON *hp = cJSON_AddObjectToObject(doc, "hparams");
    const char *hk[2] = {"module", "data"};
    for (int i = 0; i < 2; i++) {
        hid_t g = open_group(f, "hparams");
        char *s = g >= 0 ? ltr_h5_read_str(g, hk[i]) : NULL;
        if (g >= 0) H5Gclose(g);
        cJSON *v = s ? cJSON_Parse(s) : NULL;
        cJSON_AddItemToObject(hp, hk[i], v ? v : s ? cJSON_CreateString(s) : cJSON_CreateNull());
        free(s);
    }
    cJSON_AddItemToObject(doc, "state_dict", datasets_under(f, "state_dict", false));
    cJSON_AddItemToObject(doc, "optimizer", numbered(f, "optimizer"));
    cJSON_AddItemToObject(doc, "lr_schedulers", numbered(f, "lr_schedulers"));
    cJSON_AddItemToObject(doc, "loops", group_attrs(f, "loops"));
    cJSON *rng = group_attrs(f, "rng");
    cJSON *hs = cJSON_IsObject(rng) ? host_state(f) : NULL;
    if (hs) cJSON_AddItemToObject(rng, "host_state", hs);
    cJSON_AddItemToObject(doc, "rng", rng);
    /* what the checkpoint hooks stored (ckpt_hooks.c), by group */
    cJSON *hooks = cJSON_AddObjectToObject(doc, "hook_state");
    static const char *const hg[3] = {"extra", "datamodule", "callbacks"};
    for (int i = 0; i < 3; i++) cJSON_AddItemToObject(hooks, hg[i], datasets_under(f, hg[i], true));
    cJSON *groups = cJSON_AddArrayToObject(doc, "groups");
    hsize_t idx = 0;
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, top_cb, groups);
    return doc;
}

/* ---- output: strings from the file never reach the terminal raw ---- */

static void put_padded(FILE *out, const char *s, int width) {
    char *e = ltr_term_escaped(s);
    fprintf(out, "%-*s", width, e ? e : "?");
    free(e);
}

static void put_str(FILE *out, const char *s) { put_padded(out, s, 0); }

/* JSON output: cJSON escapes C0 controls but writes DEL, C1 controls, the bidi overrides
 * and bytes that are not UTF-8 as they are; outside strings its output is plain ASCII,
 * so this pass can only change string contents: \u00XX escapes, U+FFFD for invalid bytes. */
static char *json_safe(const char *json) {
    size_t len = strlen(json);
    char *o = malloc(len * 6 + 1), *q = o;
    if (!o) return NULL;
    const unsigned char *p = (const unsigned char *)json;
    while (*p) {
        uint32_t c = 0;
        int n = ltr_utf8_seq(p, &c);
        if (n && (!ltr_term_active_cp(c) || c < 0x20)) memcpy(q, p, (size_t)n), q += n; /* C0: cJSON's layout */
        else if (n) q += sprintf(q, "\\u%04x", (unsigned)c);
        else q += sprintf(q, "\\ufffd"), n = 1;
        p += n;
    }
    *q = 0;
    return o;
}

/* a number as the file has it: integers exactly, floats in the shortest form that reads
 * back exactly (Python's repr) */
static void put_number(FILE *out, const cJSON *v) {
    if (!cJSON_IsNumber(v) && !cJSON_IsRaw(v)) { /* e.g. an optimizer group without param_groups */
        fputs("?", out);
        return;
    }
    if (cJSON_IsRaw(v)) {
        fputs(v->valuestring, out);
        return;
    }
    char b[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v->valuedouble);
        if (strtod(b, NULL) == v->valuedouble) break;
    }
    fputs(b, out);
}

static void print_value(FILE *out, const cJSON *v) {
    if (cJSON_IsString(v)) put_str(out, v->valuestring);
    else if (cJSON_IsNumber(v) || cJSON_IsRaw(v)) put_number(out, v);
    else {
        char *s = cJSON_PrintUnformatted(v);
        if (s) put_str(out, s);
        else fputs("?", out);
        cJSON_free(s);
    }
}

static void print_shape(FILE *out, const cJSON *shape, int width) {
    char buf[256];
    size_t k = (size_t)snprintf(buf, sizeof buf, "[");
    const cJSON *d;
    int i = 0;
    cJSON_ArrayForEach(d, shape) {
        if (k < sizeof buf) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "",
                                                  cJSON_IsRaw(d) ? d->valuestring : "?");
        i++;
    }
    if (k < sizeof buf) snprintf(buf + k, sizeof buf - k, "]");
    fprintf(out, "%-*s", width, buf);
}

static void print_attrs(FILE *out, const cJSON *o, const char *indent) {
    const cJSON *a;
    cJSON_ArrayForEach(a, o) {
        if (cJSON_IsArray(a) && a->child && cJSON_IsObject(a->child)) continue;
        fputs(indent, out);
        put_str(out, a->string);
        fputs(": ", out);
        print_value(out, a);
        fputc('\n', out);
    }
}

static const char *str_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void print_tensor_row(FILE *out, const cJSON *e, int width) {
    fputs("  ", out);
    put_padded(out, str_of(e, "name"), width);
    fputs("  ", out);
    print_shape(out, cJSON_GetObjectItem(e, "shape"), 16);
    fputc(' ', out);
    put_padded(out, str_of(e, "dtype"), 9);
    const cJSON *c = cJSON_GetObjectItem(e, "count");
    fprintf(out, " %12s  ", cJSON_IsRaw(c) ? c->valuestring : "overflow");
    put_str(out, str_of(e, "kind"));
    fputc('\n', out);
}

static void print_text(FILE *out, const cJSON *doc) {
    const cJSON *meta = cJSON_GetObjectItem(doc, "meta");
    fprintf(out, "checkpoint %s\n", str_of(doc, "file"));
    print_attrs(out, meta, "  ");
    const cJSON *hp = cJSON_GetObjectItem(doc, "hparams");
    fputs("hparams:\n", out);
    const cJSON *h;
    cJSON_ArrayForEach(h, hp) {
        fprintf(out, "  %s: ", h->string);
        print_value(out, h);
        fputc('\n', out);
    }
    const cJSON *sd = cJSON_GetObjectItem(doc, "state_dict"), *e;
    uint64_t total = 0;
    bool over = false;
    int width = 4;
    cJSON_ArrayForEach(e, sd) {
        int w = (int)strlen(str_of(e, "name"));
        if (w > width) width = w < 60 ? w : 60;
        const cJSON *c = cJSON_GetObjectItem(e, "count");
        uint64_t n = cJSON_IsRaw(c) ? strtoull(c->valuestring, NULL, 10) : 0;
        if (!cJSON_IsRaw(c) || n > UINT64_MAX - total) over = true;
        else total += n;
    }
    fprintf(out, "state_dict: %d tensors, ", cJSON_GetArraySize(sd));
    if (over) fputs("more elements than 64 bits count\n", out);
    else fprintf(out, "%" PRIu64 " elements\n", total);
    fprintf(out, "  %-*s  %-16s %-9s %12s  %s\n", width, "name", "shape", "dtype", "count", "kind");
    cJSON_ArrayForEach(e, sd) print_tensor_row(out, e, width);
    const cJSON *opt = cJSON_GetObjectItem(doc, "optimizer"), *o;
    int i = 0;
    cJSON_ArrayForEach(o, opt) {
        const cJSON *nm = cJSON_GetObjectItem(o, "name");
        fprintf(out, "optimizer %d: ", i++);
        put_str(out, cJSON_IsString(nm) ? nm->valuestring : "?");
        fputs(", state for ", out);
        put_number(out, cJSON_GetObjectItem(o, "state_entries"));
        fputs(" parameter(s)\n", out);
        const cJSON *g;
        int k = 0;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(o, "param_groups")) {
            fprintf(out, "  param group %d:", k++);
            const cJSON *a;
            cJSON_ArrayForEach(a, g) {
                fputc(' ', out);
                put_str(out, a->string);
                fputc('=', out);
                print_value(out, a);
            }
            fputc('\n', out);
        }
    }
    i = 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(doc, "lr_schedulers")) {
        fprintf(out, "lr_scheduler %d:\n", i++);
        print_attrs(out, o, "  ");
    }
    const cJSON *loops = cJSON_GetObjectItem(doc, "loops");
    if (cJSON_IsObject(loops)) {
        fputs("loops:\n", out);
        print_attrs(out, loops, "  ");
    }
    const cJSON *rng = cJSON_GetObjectItem(doc, "rng");
    if (cJSON_IsObject(rng)) {
        fputs("rng:\n", out);
        print_attrs(out, rng, "  ");
    }
    const cJSON *hooks = cJSON_GetObjectItem(doc, "hook_state"), *grp;
    cJSON_ArrayForEach(grp, hooks) {
        if (!cJSON_GetArraySize(grp)) continue;
        fprintf(out, "%s (checkpoint hooks):\n", grp->string);
        cJSON_ArrayForEach(e, grp) {
            fputs("  ", out);
            put_str(out, str_of(e, "name"));
            fputs("  ", out);
            print_shape(out, cJSON_GetObjectItem(e, "shape"), 0);
            fputc(' ', out);
            put_str(out, str_of(e, "dtype"));
            fputs("  ", out);
            put_str(out, str_of(e, "kind"));
            fputc('\n', out);
        }
    }
    fputs("groups:", out);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "groups")) {
        fputs(" /", out);
        put_str(out, cJSON_IsString(e) ? e->valuestring : "?");
    }
    fputc('\n', out);
}

/* the file access list for an untrusted file: closing the file closes every object
 * still open in it (no handle outlives the file into HDF5's shutdown) */
static hid_t untrusted_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(fapl);
        fapl = -1;
    }
    return fapl;
}

/* The file's part of inspect: open, the safety walk, the format check, the output. In
 * the child (below) the file is never closed: the process leaves with _exit. */
static int inspect_file(const char *path, bool json, bool child) {
    char err[1024];
    if (H5Fis_hdf5(path) <= 0) {
        fprintf(stderr, "ltrun: error: inspect: '%s' is not an HDF5 file\n", path);
        return 1;
    }
    hid_t fapl = untrusted_fapl();
    hid_t f = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (f < 0) {
        fprintf(stderr, "ltrun: error: inspect: '%s' cannot be opened (truncated or corrupt)\n", path);
        return 1;
    }
    if (ltr_h5_check_safe(f, err, sizeof err)) {
        fputs("ltrun: error: inspect: '", stderr);
        fputs(path, stderr);
        fputs("': ", stderr);
        put_str(stderr, err); /* it names an object of the file */
        fputc('\n', stderr);
        if (!child) H5Fclose(f);
        return 1;
    }
    access_lists();
    hid_t m = open_group(f, "meta");
    char *fmt = m >= 0 ? ltr_h5_get_str(m, "format") : NULL;
    if (m >= 0) H5Gclose(m);
    bool ours = fmt && !strcmp(fmt, LTR_CKPT_FORMAT);
    free(fmt);
    if (!ours) {
        fprintf(stderr, "ltrun: error: inspect: '%s' is an HDF5 file but not an ltrun checkpoint\n", path);
        close_all(child ? -1 : f);
        return 1;
    }
    cJSON *doc = inspect_json(f, path);
    close_all(child ? -1 : f);
    if (json) {
        char *s = cJSON_Print(doc), *safe = s ? json_safe(s) : NULL;
        puts(safe ? safe : "{}");
        free(safe);
        cJSON_free(s);
    } else {
        print_text(stdout, doc);
    }
    cJSON_Delete(doc);
    return 0;
}

/* libhdf5 1.10.8 itself can crash on a corrupt file (a SEGV in H5A__close when the cache
 * of an object header with a broken attribute message is freed): the file is read in a
 * child process whose output comes back through a pipe and is printed only when the
 * child ends normally; a child killed by a signal is reported as a corrupt file. */
static int inspect_isolated(const char *path, bool json) {
    int fd[2];
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd)) return inspect_file(path, json, false); /* no pipe or process to spare: in-process */
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return inspect_file(path, json, false);
    }
    if (pid == 0) {
        close(fd[0]);
        int rc = dup2(fd[1], STDOUT_FILENO) < 0 ? 1 : inspect_file(path, json, true);
        fflush(stdout);
        fflush(stderr);
        _exit(rc); /* no HDF5 teardown of the untrusted file */
    }
    close(fd[1]);
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    for (;;) {
        if (out && len == cap) {
            char *bigger = realloc(out, cap * 2);
            if (!bigger) free(out);
            out = bigger, cap *= 2;
        }
        char sink[4096];
        ssize_t n = out ? read(fd[0], out + len, cap - len) : read(fd[0], sink, sizeof sink);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out) len += (size_t)n;
    }
    close(fd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    int rc = 1;
    if (WIFEXITED(st)) {
        rc = WEXITSTATUS(st);
        if (!out && rc == 0) {
            fprintf(stderr, "ltrun: error: inspect: '%s': out of memory holding the output\n", path);
            rc = 1;
        } else if (out) fwrite(out, 1, len, stdout);
    } else {
        fprintf(stderr, "ltrun: error: inspect: '%s' cannot be read: the reader crashed on it (signal %d; "
                        "a corrupt file)\n", path, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    free(out);
    return rc;
}

int ltr_ckpt_inspect_main(int argc, char **argv) {
    const char *path = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: ltrun inspect FILE [--json]\n"
                 "  print a checkpoint's metadata, hparams, parameter table (name, shape, dtype,\n"
                 "  count), optimizer and scheduler state, loop progress and RNG state");
            return 0;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "ltrun: error: inspect: unexpected argument '%s' (usage: ltrun inspect "
                            "FILE [--json])\n", argv[i]);
            return 2;
        } else path = argv[i];
    }
    if (!path) {
        fputs("ltrun: error: inspect: no file given (usage: ltrun inspect FILE [--json])\n", stderr);
        return 2;
    }
    ltr_h5_init();
    char err[1024];
    /* a FIFO, a device or a directory would block or fail inside HDF5 */
    if (!ltr_check_regular_file(path, "inspect:", err, sizeof err, NULL)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        return 1;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        fprintf(stderr, "ltrun: error: inspect: cannot open '%s'\n", path);
        return 1;
    }
    fclose(probe);
    return inspect_isolated(path, json);
}
