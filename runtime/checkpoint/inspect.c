/*
 * inspect.c — `ltrun inspect FILE [--json]`: what a checkpoint holds, without plugins or
 * a trainer: metadata, hparams, the parameter table (name, shape, dtype, count), the
 * optimizers, schedulers, loop progress, RNG and any other group. The same safety
 * checks as loading (not HDF5, not an ltrun checkpoint, external links/storage, virtual
 * datasets) end it with status 1. Owned by the checkpoint work (issue 5).
 *
 * Both outputs come from one JSON document: --json prints it, the text form walks it.
 */
#include "checkpoint/checkpoint.h"
#include "tensor/tensor.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* an attribute as a JSON value (numbers, strings; arrays of numbers) */
static cJSON *attr_json(hid_t a) {
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    H5T_class_t cls = H5Tget_class(t);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    cJSON *v = NULL;
    if (cls == H5T_STRING) {
        char *s = NULL;
        if (H5Tis_variable_str(t) > 0) {
            hid_t m = H5Tcopy(H5T_C_S1);
            H5Tset_size(m, H5T_VARIABLE);
            if (H5Aread(a, m, &s) >= 0 && s) v = cJSON_CreateString(s);
            if (s) H5free_memory(s);
            H5Tclose(m);
        } else {
            size_t len = H5Tget_size(t);
            s = calloc(len + 1, 1);
            if (s && H5Aread(a, t, s) >= 0) v = cJSON_CreateString(s);
            free(s);
        }
    } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && n >= 1 && n <= 64) {
        double buf[64];
        if (H5Aread(a, H5T_NATIVE_DOUBLE, buf) >= 0)
            v = n == 1 ? cJSON_CreateNumber(buf[0]) : cJSON_CreateDoubleArray(buf, (int)n);
    }
    H5Tclose(t);
    H5Sclose(sp);
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
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, o);
    return o;
}

/* one dataset: name, shape, dtype, count (+ kind) */
static cJSON *dataset_json(hid_t loc, const char *name) {
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    hid_t sp = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[32] = {0};
    if (nd > 32) nd = 32;
    if (nd > 0) H5Sget_simple_extent_dims(sp, dims, NULL);
    cJSON *shape = cJSON_AddArrayToObject(o, "shape");
    double count = 1;
    for (int k = 0; k < nd; k++) {
        cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)dims[k]));
        count *= (double)dims[k];
    }
    int dt = ltr_h5_dataset_dtype(d);
    hid_t t = H5Dget_type(d);
    bool str = H5Tget_class(t) == H5T_STRING;
    H5Tclose(t);
    cJSON_AddStringToObject(o, "dtype", str ? "string" : dt >= 0 ? ltr_dtype_name((lt_dtype)dt) : "unknown");
    cJSON_AddNumberToObject(o, "count", count);
    char *kind = ltr_h5_get_str(d, "kind");
    if (kind) cJSON_AddStringToObject(o, "kind", kind);
    free(kind);
    H5Sclose(sp);
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
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) return w.list;
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
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
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) return arr;
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    for (int i = 0;; i++) {
        hid_t s = ltr_h5_open_at(g, i);
        if (s < 0) break;
        cJSON *o = attrs_of(s);
        if (H5Lexists(s, "param_groups", H5P_DEFAULT) > 0) { /* an optimizer */
            cJSON *groups = cJSON_AddArrayToObject(o, "param_groups");
            for (int k = 0;; k++) {
                char pg[48];
                snprintf(pg, sizeof pg, "param_groups/%d", k);
                if (H5Lexists(s, pg, H5P_DEFAULT) <= 0) break;
                hid_t gg = H5Gopen2(s, pg, H5P_DEFAULT);
                cJSON_AddItemToArray(groups, attrs_of(gg));
                H5Gclose(gg);
            }
            H5G_info_t gi = {0};
            if (H5Lexists(s, "state", H5P_DEFAULT) > 0) {
                hid_t st = H5Gopen2(s, "state", H5P_DEFAULT);
                H5Gget_info(st, &gi);
                H5Gclose(st);
            }
            cJSON_AddNumberToObject(o, "state_entries", (double)gi.nlinks);
            cJSON_AddItemToObject(o, "tensors", datasets_under(s, "state", true));
        } else {
            char nm[32];
            snprintf(nm, sizeof nm, "%d", i);
            cJSON_AddItemToObject(o, "tensors", datasets_under(g, nm, false));
        }
        cJSON_AddItemToArray(arr, o);
        H5Gclose(s);
    }
    H5Gclose(g);
    return arr;
}

static cJSON *group_attrs(hid_t f, const char *group) {
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) return cJSON_CreateNull();
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    cJSON *o = attrs_of(g);
    H5Gclose(g);
    return o;
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
        char p[32];
        snprintf(p, sizeof p, "hparams/%s", hk[i]);
        char *s = H5Lexists(f, "hparams", H5P_DEFAULT) > 0 ? ltr_h5_read_str(f, p) : NULL;
        cJSON *v = s ? cJSON_Parse(s) : NULL;
        cJSON_AddItemToObject(hp, hk[i], v ? v : s ? cJSON_CreateString(s) : cJSON_CreateNull());
        free(s);
    }
    cJSON_AddItemToObject(doc, "state_dict", datasets_under(f, "state_dict", false));
    cJSON_AddItemToObject(doc, "optimizer", numbered(f, "optimizer"));
    cJSON_AddItemToObject(doc, "lr_schedulers", numbered(f, "lr_schedulers"));
    cJSON_AddItemToObject(doc, "loops", group_attrs(f, "loops"));
    cJSON *rng = group_attrs(f, "rng");
    if (cJSON_IsObject(rng)) {
        int64_t s[4] = {0};
        hid_t g = H5Gopen2(f, "rng", H5P_DEFAULT);
        hid_t d = H5Lexists(g, "host", H5P_DEFAULT) > 0 ? H5Dopen2(g, "host", H5P_DEFAULT) : -1;
        if (d >= 0 && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0) {
            char hex[80];
            snprintf(hex, sizeof hex, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
                     (uint64_t)s[0], (uint64_t)s[1], (uint64_t)s[2], (uint64_t)s[3]);
            cJSON_AddStringToObject(rng, "host_state", hex);
        }
        if (d >= 0) H5Dclose(d);
        H5Gclose(g);
    }
    cJSON_AddItemToObject(doc, "rng", rng);
    /* issue 5: what the checkpoint hooks stored (ckpt_hooks.c), by group */
    cJSON *hooks = cJSON_AddObjectToObject(doc, "hook_state");
    static const char *const hg[3] = {"extra", "datamodule", "callbacks"};
    for (int i = 0; i < 3; i++) cJSON_AddItemToObject(hooks, hg[i], datasets_under(f, hg[i], true));
    cJSON *groups = cJSON_AddArrayToObject(doc, "groups");
    hsize_t idx = 0;
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, top_cb, groups);
    return doc;
}

static void print_shape(FILE *out, const cJSON *shape, char *buf, size_t cap) {
    (void)out;
    size_t k = (size_t)snprintf(buf, cap, "[");
    const cJSON *d;
    int i = 0;
    cJSON_ArrayForEach(d, shape) k += (size_t)snprintf(buf + k, k < cap ? cap - k : 0, "%s%.0f",
                                                       i++ ? ", " : "", d->valuedouble);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

static void print_value(FILE *out, const cJSON *v) {
    if (cJSON_IsString(v)) fputs(v->valuestring, out);
    else if (cJSON_IsNumber(v)) { /* the shortest form that reads back exactly (Python's repr) */
        char b[40];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(b, sizeof b, "%.*g", prec, v->valuedouble);
            if (strtod(b, NULL) == v->valuedouble) break;
        }
        fputs(b, out);
    }
    else {
        char *s = cJSON_PrintUnformatted(v);
        fputs(s ? s : "?", out);
        cJSON_free(s);
    }
}

static void print_attrs(FILE *out, const cJSON *o, const char *indent) {
    const cJSON *a;
    cJSON_ArrayForEach(a, o) {
        if (cJSON_IsArray(a) && a->child && cJSON_IsObject(a->child)) continue;
        fprintf(out, "%s%s: ", indent, a->string);
        print_value(out, a);
        fputc('\n', out);
    }
}

static void print_text(FILE *out, const cJSON *doc) {
    const cJSON *meta = cJSON_GetObjectItem(doc, "meta");
    fprintf(out, "checkpoint %s\n", cJSON_GetObjectItem(doc, "file")->valuestring);
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
    double total = 0;
    int width = 4;
    cJSON_ArrayForEach(e, sd) {
        int w = (int)strlen(cJSON_GetObjectItem(e, "name")->valuestring);
        if (w > width) width = w;
        total += cJSON_GetObjectItem(e, "count")->valuedouble;
    }
    fprintf(out, "state_dict: %d tensors, %.0f elements\n", cJSON_GetArraySize(sd), total);
    fprintf(out, "  %-*s  %-16s %-9s %12s  %s\n", width, "name", "shape", "dtype", "count", "kind");
    cJSON_ArrayForEach(e, sd) {
        char shape[128];
        print_shape(out, cJSON_GetObjectItem(e, "shape"), shape, sizeof shape);
        const cJSON *kind = cJSON_GetObjectItem(e, "kind");
        fprintf(out, "  %-*s  %-16s %-9s %12.0f  %s\n", width, cJSON_GetObjectItem(e, "name")->valuestring,
                shape, cJSON_GetObjectItem(e, "dtype")->valuestring,
                cJSON_GetObjectItem(e, "count")->valuedouble, kind ? kind->valuestring : "");
    }
    const cJSON *opt = cJSON_GetObjectItem(doc, "optimizer"), *o;
    int i = 0;
    cJSON_ArrayForEach(o, opt) {
        const cJSON *nm = cJSON_GetObjectItem(o, "name");
        fprintf(out, "optimizer %d: %s, state for %.0f parameter(s)\n", i++,
                cJSON_IsString(nm) ? nm->valuestring : "?",
                cJSON_GetObjectItem(o, "state_entries")->valuedouble);
        const cJSON *g;
        int k = 0;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(o, "param_groups")) {
            fprintf(out, "  param group %d:", k++);
            const cJSON *a;
            cJSON_ArrayForEach(a, g) {
                fprintf(out, " %s=", a->string);
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
            char shape[128];
            print_shape(out, cJSON_GetObjectItem(e, "shape"), shape, sizeof shape);
            const cJSON *kind = cJSON_GetObjectItem(e, "kind");
            fprintf(out, "  %s  %s %s  %s\n", cJSON_GetObjectItem(e, "name")->valuestring, shape,
                    cJSON_GetObjectItem(e, "dtype")->valuestring, kind ? kind->valuestring : "");
        }
    }
    fputs("groups:", out);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "groups")) fprintf(out, " /%s", e->valuestring);
    fputc('\n', out);
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
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        fprintf(stderr, "ltrun: error: inspect: cannot open '%s'\n", path);
        return 1;
    }
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0) {
        fprintf(stderr, "ltrun: error: inspect: '%s' is not an HDF5 file\n", path);
        return 1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char err[1024];
    if (f < 0) {
        fprintf(stderr, "ltrun: error: inspect: '%s' cannot be opened (truncated or corrupt)\n", path);
        return 1;
    }
    if (ltr_h5_check_safe(f, err, sizeof err) || ltr_ckpt_check_filters(f, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: inspect: '%s': %s\n", path, err);
        H5Fclose(f);
        return 1;
    }
    hid_t m = H5Lexists(f, "meta", H5P_DEFAULT) > 0 ? H5Gopen2(f, "meta", H5P_DEFAULT) : -1;
    char *fmt = m >= 0 ? ltr_h5_get_str(m, "format") : NULL;
    if (m >= 0) H5Gclose(m);
    bool ours = fmt && !strcmp(fmt, LTR_CKPT_FORMAT);
    free(fmt);
    if (!ours) {
        fprintf(stderr, "ltrun: error: inspect: '%s' is an HDF5 file but not an ltrun checkpoint\n", path);
        H5Fclose(f);
        return 1;
    }
    cJSON *doc = inspect_json(f, path);
    H5Fclose(f);
    if (json) {
        char *s = cJSON_Print(doc);
        puts(s ? s : "{}");
        cJSON_free(s);
    } else {
        print_text(stdout, doc);
    }
    cJSON_Delete(doc);
    return 0;
}
