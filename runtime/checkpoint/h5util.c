/*
 * h5util.c — the small HDF5 vocabulary the checkpoint writer, reader and inspector
 * share: attributes, typed datasets (bfloat16 as uint16 with dtype="bfloat16"),
 * strings, and the safety walk that refuses external links, external raw storage and
 * virtual datasets.
 */
#include "checkpoint/checkpoint.h"
#include "tensor/tensor.h"
#include "accelerators/registry.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

void ltr_h5_init(void) {
    static int done;
    if (done) return;
    done = 1;
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our messages, not HDF5's stack dumps */
    /* Filter-plugin loading is left as it is: data files may use filters from
     * HDF5_PLUGIN_PATH (as h5py), whether or not a checkpoint was opened first; a
     * checkpoint naming a filter that is not built in is refused before any read
     * (ltr_ckpt_validate). */
}

hid_t ltr_h5_group(hid_t loc, const char *name) {
    return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/* the numbered children of /optimizer and /lr_schedulers ("0", "1", ...) */
hid_t ltr_h5_group_at(hid_t loc, int i) {
    char nm[32];
    snprintf(nm, sizeof nm, "%d", i);
    return ltr_h5_group(loc, nm);
}

hid_t ltr_h5_open_at(hid_t loc, int i) {
    char nm[32];
    snprintf(nm, sizeof nm, "%d", i);
    return H5Lexists(loc, nm, H5P_DEFAULT) > 0 ? H5Gopen2(loc, nm, H5P_DEFAULT) : -1;
}

static lt_status put_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc < 0 ? LT_ERROR : LT_OK;
}

static hid_t str_type(size_t len) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

lt_status ltr_h5_attr_str(hid_t obj, const char *name, const char *value) {
    hid_t t = str_type(strlen(value));
    lt_status rc = put_attr(obj, name, t, t, *value ? value : "");
    H5Tclose(t);
    return rc;
}

lt_status ltr_h5_attr_i64(hid_t obj, const char *name, int64_t value) {
    return put_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

lt_status ltr_h5_attr_f64(hid_t obj, const char *name, double value) {
    return put_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

/* Untrusted files: a value is read only from a dataspace that holds exactly one element
 * (scalar, or simple with one point); a string array or a 4096-element counter would
 * otherwise be written by H5Aread/H5Dread into a buffer sized for one. */
bool ltr_h5_one_element(hid_t sp) {
    H5S_class_t c = sp < 0 ? H5S_NO_CLASS : H5Sget_simple_extent_type(sp);
    return c == H5S_SCALAR || (c == H5S_SIMPLE && H5Sget_simple_extent_npoints(sp) == 1);
}

/* an attribute that exists, opened (or -1) */
static hid_t open_attr(hid_t obj, const char *name) {
    return H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
}

static lt_status get_num(hid_t obj, const char *name, hid_t mtype, H5T_class_t want, void *out) {
    hid_t a = open_attr(obj, name);
    if (a < 0) return LT_ERROR;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    size_t size = t < 0 ? 0 : H5Tget_size(t);
    bool ok = t >= 0 && H5Tget_class(t) == want && size >= 1 && size <= 16 && ltr_h5_one_element(sp) &&
              H5Aread(a, mtype, out) >= 0;
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    H5Aclose(a);
    return ok ? LT_OK : LT_ERROR;
}

lt_status ltr_h5_get_i64(hid_t obj, const char *name, int64_t *out) {
    return get_num(obj, name, H5T_NATIVE_INT64, H5T_INTEGER, out);
}

lt_status ltr_h5_get_f64(hid_t obj, const char *name, double *out) {
    return get_num(obj, name, H5T_NATIVE_DOUBLE, H5T_FLOAT, out);
}

/* A string from an attribute or dataset whose type is `t` (fixed or variable length) and
 * dataspace `sp`: one string only, and a fixed-length one no longer than the bytes the
 * object stores (a never-written 1 GiB string type is refused before the allocation). */
static char *read_string(hid_t obj, hid_t t, hid_t sp, bool is_attr) {
    char *s = NULL;
    if (t < 0 || H5Tget_class(t) != H5T_STRING || !ltr_h5_one_element(sp)) return NULL;
    if (H5Tis_variable_str(t) > 0) {
        hid_t m = H5Tcopy(H5T_C_S1);
        H5Tset_size(m, H5T_VARIABLE);
        char *v = NULL;
        herr_t rc = is_attr ? H5Aread(obj, m, &v) : H5Dread(obj, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
        if (rc >= 0 && v) s = strdup(v);
        if (v) H5free_memory(v);
        H5Tclose(m);
        return s;
    }
    size_t n = H5Tget_size(t);
    hsize_t stored = is_attr ? H5Aget_storage_size(obj) : H5Dget_storage_size(obj);
    if (n == 0 || n > ((size_t)1 << 30) || stored < n) return NULL;
    s = calloc(n + 1, 1);
    if (!s) return NULL;
    hid_t m = str_type(n);
    herr_t rc = is_attr ? H5Aread(obj, m, s) : H5Dread(obj, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, s);
    H5Tclose(m);
    if (rc < 0) {
        free(s);
        return NULL;
    }
    return s;
}

char *ltr_h5_attr_read_str(hid_t a) {
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    char *s = read_string(a, t, sp, true);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    return s;
}

char *ltr_h5_get_str(hid_t obj, const char *name) {
    hid_t a = open_attr(obj, name);
    if (a < 0) return NULL;
    char *s = ltr_h5_attr_read_str(a);
    H5Aclose(a);
    return s;
}

char *ltr_h5_read_str(hid_t loc, const char *name) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    char *s = read_string(d, t, sp, false);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return s;
}

lt_status ltr_h5_write_str(hid_t loc, const char *name, const char *value) {
    hid_t t = str_type(strlen(value));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, *value ? value : "");
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    return rc < 0 ? LT_ERROR : LT_OK;
}

hid_t ltr_h5_mem_type(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return H5T_NATIVE_FLOAT;
    case LT_FLOAT64: return H5T_NATIVE_DOUBLE;
    case LT_INT64: return H5T_NATIVE_INT64;
    case LT_INT32: return H5T_NATIVE_INT32;
    case LT_UINT8:
    case LT_BOOL: return H5T_NATIVE_UINT8;
    case LT_BFLOAT16: return H5T_NATIVE_UINT16;
    }
    return -1;
}

static hid_t file_type(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return H5T_IEEE_F32LE;
    case LT_FLOAT64: return H5T_IEEE_F64LE;
    case LT_INT64: return H5T_STD_I64LE;
    case LT_INT32: return H5T_STD_I32LE;
    case LT_UINT8:
    case LT_BOOL: return H5T_STD_U8LE;
    case LT_BFLOAT16: return H5T_STD_U16LE;
    }
    return -1;
}

/* checkpoint compression, set around one save (ckpt_save.c); 0: off */
static int deflate_level;
void ltr_h5_set_compression(int level) { deflate_level = level; }

/* Chunks of at most this many bytes: a tensor up to 4 MiB is one chunk (one checksum), a
 * larger one is split along its first dimensions, the last ones kept whole first. */
#define CHUNK_BYTES ((hsize_t)4 << 20)

lt_status ltr_h5_write_array(hid_t loc, const char *name, lt_dtype dt, int ndim,
                             const int64_t *shape, const void *data) {
    hsize_t dims[LT_MAX_DIMS > 0 ? LT_MAX_DIMS : 1];
    for (int d = 0; d < ndim; d++) dims[d] = (hsize_t)shape[d];
    hid_t sp = ndim == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(ndim, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    hid_t dcpl = H5P_DEFAULT, ftype = file_type(dt);
    /* every tensor with data carries a Fletcher-32 checksum per chunk (HDF5 verifies it on
     * every read); a 0-d tensor's scalar dataspace cannot be chunked and has none */
    if (ndim > 0 && n > 0) {
        hsize_t chunk[LT_MAX_DIMS > 0 ? LT_MAX_DIMS : 1];
        hsize_t rem = CHUNK_BYTES / H5Tget_size(ftype);
        for (int k = ndim - 1; k >= 0; k--) {
            chunk[k] = dims[k] < rem ? dims[k] : rem;
            if (chunk[k] == 0) chunk[k] = 1;
            /* equal chunks along a split dimension: an edge chunk is stored whole */
            hsize_t parts = (dims[k] + chunk[k] - 1) / chunk[k];
            if (parts > 1) chunk[k] = (dims[k] + parts - 1) / parts;
            rem = rem / chunk[k] ? rem / chunk[k] : 1;
        }
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        bool ok = dcpl >= 0 && H5Pset_chunk(dcpl, ndim, chunk) >= 0;
        /* shuffle + gzip for tensors of 1024 elements or more */
        if (ok && deflate_level > 0 && n >= 1024)
            ok = H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, (unsigned)deflate_level) >= 0;
        if (ok) ok = H5Pset_fletcher32(dcpl) >= 0; /* last: it checks the stored bytes */
        if (!ok) {
            if (dcpl >= 0) H5Pclose(dcpl);
            H5Sclose(sp);
            return LT_ERROR;
        }
    }
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl != H5P_DEFAULT) H5Pclose(dcpl);
    herr_t rc = d < 0 ? -1 : 0;
    if (rc >= 0 && n > 0) rc = H5Dwrite(d, ltr_h5_mem_type(dt), H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    /* the dtype attribute says what the bytes mean (bool and bfloat16 have no HDF5 type) */
    if (rc >= 0 && ltr_h5_attr_str(d, "dtype", ltr_dtype_name(dt))) rc = -1;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc < 0 ? LT_ERROR : LT_OK;
}

int ltr_h5_dataset_dtype(hid_t ds) {
    char *tag = ltr_h5_get_str(ds, "dtype");
    hid_t t = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(t) : H5T_SGN_NONE;
    H5Tclose(t);
    int dt = -1;
    if (cls == H5T_FLOAT) dt = size == 4 ? LT_FLOAT32 : size == 8 ? LT_FLOAT64 : -1;
    else if (cls == H5T_INTEGER && sign == H5T_SGN_2) dt = size == 8 ? LT_INT64 : size == 4 ? LT_INT32 : -1;
    else if (cls == H5T_INTEGER && size == 1) dt = LT_UINT8;
    else if (cls == H5T_INTEGER && size == 2 && tag && !strcmp(tag, "bfloat16")) dt = LT_BFLOAT16;
    if (dt == LT_UINT8 && tag && !strcmp(tag, "bool")) dt = LT_BOOL;
    free(tag);
    return dt;
}

/* ---- the safety walk ---- */
typedef struct safe_walk {
    char *err;
    size_t cap;
    bool bad;
} safe_walk;

static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    safe_walk *w = op;
    if (info->type == H5L_TYPE_EXTERNAL || (info->type != H5L_TYPE_HARD && info->type != H5L_TYPE_SOFT)) {
        snprintf(w->err, w->cap, "'/%s' is an external (or user-defined) link: ltrun refuses "
                                 "checkpoints that point outside themselves", name);
        w->bad = true;
        return 1;
    }
    if (info->type == H5L_TYPE_SOFT) return 0; /* resolved inside the file; target visited */
    H5O_info_t oi;
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0) {
        snprintf(w->err, w->cap, "'/%s' cannot be read (corrupt or truncated file)", name);
        w->bad = true;
        return 1;
    }
    if (oi.type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        snprintf(w->err, w->cap, "dataset '/%s' cannot be opened (corrupt or truncated file)", name);
        w->bad = true;
        return 1;
    }
    hid_t pl = H5Dget_create_plist(d);
    int next = H5Pget_external_count(pl);
    H5D_layout_t layout = H5Pget_layout(pl);
    /* filters: HDF5's built-in ones only (what ltrun writes), so that reading a checkpoint
     * never loads a filter plugin; data files keep HDF5_PLUGIN_PATH (docs/checkpoint-format.md) */
    int nf = H5Pget_nfilters(pl);
    H5Z_filter_t foreign = H5Z_FILTER_NONE;
    for (int i = 0; i < nf && foreign == H5Z_FILTER_NONE; i++) {
        unsigned flags = 0;
        size_t ncd = 0; /* no name and no filter_config: neither needs the filter itself */
        H5Z_filter_t id = H5Pget_filter2(pl, (unsigned)i, &flags, &ncd, NULL, 0, NULL, NULL);
        if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_FLETCHER32) foreign = id;
    }
    H5Pclose(pl);
    H5Dclose(d);
    if (nf < 0 || foreign != H5Z_FILTER_NONE) {
        if (nf < 0) snprintf(w->err, w->cap, "dataset '/%s' cannot be read (corrupt file)", name);
        else snprintf(w->err, w->cap, "dataset /%s uses HDF5 filter %d, which is not built into HDF5: "
                                      "ltrun reads checkpoints with the deflate, shuffle and fletcher32 "
                                      "filters only and never loads a filter plugin for them", name, (int)foreign);
        w->bad = true;
        return 1;
    }
    if (next != 0 || layout == H5D_VIRTUAL) {
        snprintf(w->err, w->cap, "dataset '/%s' %s: ltrun refuses checkpoints that read files "
                                 "outside themselves", name,
                 next != 0 ? "keeps its data in external files" : "is a virtual dataset");
        w->bad = true;
        return 1;
    }
    return 0;
}

lt_status ltr_h5_check_safe(hid_t file, char *err, size_t cap) {
    safe_walk w = {err, cap, false};
    herr_t rc = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit_link, &w);
    if (w.bad) return LT_ERROR;
    if (rc < 0) {
        snprintf(err, cap, "the file's structure cannot be read (corrupt or truncated)");
        return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_h5_write_device_array(hid_t loc, const char *name, int device, lt_dtype dt,
                                    int ndim, const int64_t *shape, const void *data) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(device, &self);
    if (dev->host_accessible) return ltr_h5_write_array(loc, name, dt, ndim, shape, data);
    size_t bytes = ltr_dtype_size(dt);
    for (int d = 0; d < ndim; d++) bytes *= (size_t)shape[d];
    void *host = malloc(bytes ? bytes : 1);
    if (!host) return LT_ERROR;
    dev->copy_d2h(self, host, data, bytes);
    dev->synchronize(self); /* the bytes are there before H5Dwrite reads them */
    lt_status rc = ltr_h5_write_array(loc, name, dt, ndim, shape, host);
    free(host);
    return rc;
}

void ltr_h5_to_device(int device, void *dst, const void *host, size_t bytes) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(device, &self);
    dev->copy_h2d(self, dst, host, bytes);
    dev->synchronize(self); /* the host buffer may be freed next */
}

void *ltr_h5_to_new_device(int device, void *host, size_t bytes) {
    if (!host) return NULL;
    void *self;
    const ltr_device_ops *dev = ltr_device_of(device, &self);
    void *d = dev->alloc(self, bytes);
    if (d) ltr_h5_to_device(device, d, host, bytes);
    free(host);
    return d;
}
