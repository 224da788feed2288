/* mutate.c — makes hostile variants of a real ltrun checkpoint for the fuzz driver
 * (tests/fuzz/run.sh) and for the targeted regression tests (tests/fuzz/test_inspect.sh).
 *
 *   mutate IN OUT SEED [MUT]
 *       one random mutation of IN into OUT; MUT (0..NMUT-1) picks the kind, by default
 *       SEED % NMUT; every parameter (offsets, which attribute, which value) is drawn from
 *       (SEED, MUT) so a pair reproduces one file exactly. Prints what it did.
 *   mutate IN OUT --attr OBJ NAME TYPE DIMS VALUE
 *       (re)creates attribute NAME of object OBJ: TYPE i64|u64|i32|f64|str|vstr, DIMS "-"
 *       (scalar), "null" or comma-separated dims ("4096", "2,2"); every element is VALUE.
 *   mutate IN OUT --data OBJ TYPE DIMS [VALUE]
 *       re-creates dataset OBJ (its attributes kept) with that type and shape: written
 *       with VALUE when it has under 1 Mi elements, else chunked and never written.
 *   mutate IN OUT --delete OBJ [NAME]     removes a link, or attribute NAME of OBJ
 *   mutate IN OUT --group OBJ             adds an (unknown) group
 *   mutate IN OUT --elink OBJ FILE PATH   adds an external link OBJ -> FILE:PATH
 * IN and OUT may be the same file (the options then edit it in place).
 */
#include <hdf5.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXDIMS 8
#define MAXOBJ 512
#define MAXATTR 2048

static void die(const char *what) {
    fprintf(stderr, "mutate: %s\n", what);
    exit(2);
}

/* ---- splitmix64: the only randomness; a (seed, mutation) pair is one file ---- */
static uint64_t rs;
static uint64_t rnd(void) {
    uint64_t z = (rs += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read the input file");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) die("cannot read the input file");
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len || fclose(f)) die("cannot write the output file");
}

/* ---- typed values ---- */
typedef enum { T_I64, T_U64, T_I32, T_F64, T_STR, T_VSTR } vtype;
static const char *const tnames[] = {"i64", "u64", "i32", "f64", "str", "vstr"};

static vtype parse_type(const char *s) {
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, tnames[i])) return (vtype)i;
    die("TYPE is one of i64 u64 i32 f64 str vstr");
    return T_I64;
}

/* DIMS: "-" scalar, "null" the null dataspace, else "d0,d1,..." */
static hid_t make_space(const char *spec, hsize_t *n) {
    if (!strcmp(spec, "-")) {
        *n = 1;
        return H5Screate(H5S_SCALAR);
    }
    if (!strcmp(spec, "null")) {
        *n = 0;
        return H5Screate(H5S_NULL);
    }
    hsize_t d[MAXDIMS];
    int nd = 0;
    bool over = false;
    *n = 1;
    for (const char *p = spec; *p && nd < MAXDIMS;) {
        char *e;
        d[nd] = strtoull(p, &e, 0);
        if (e == p) die("bad DIMS");
        if (d[nd] && *n > UINT64_MAX / d[nd]) over = true;
        *n *= d[nd++];
        p = *e == ',' ? e + 1 : e;
    }
    if (over) *n = UINT64_MAX;
    return H5Screate_simple(nd, d, NULL);
}

static hid_t file_type(vtype t, const char *value) {
    hid_t s;
    switch (t) {
    case T_I64: return H5Tcopy(H5T_STD_I64LE);
    case T_U64: return H5Tcopy(H5T_STD_U64LE);
    case T_I32: return H5Tcopy(H5T_STD_I32LE);
    case T_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case T_STR:
        s = H5Tcopy(H5T_C_S1);
        H5Tset_size(s, *value ? strlen(value) : 1);
        H5Tset_strpad(s, H5T_STR_NULLPAD);
        H5Tset_cset(s, H5T_CSET_UTF8);
        return s;
    case T_VSTR:
        s = H5Tcopy(H5T_C_S1);
        H5Tset_size(s, H5T_VARIABLE);
        return s;
    }
    return -1;
}

/* n elements of VALUE in the file type's memory layout (NULL when too large) */
static void *fill(vtype t, hid_t ft, const char *value, hsize_t n) {
    if (n > ((hsize_t)1 << 20)) return NULL;
    size_t es = t == T_VSTR ? sizeof(char *) : H5Tget_size(ft);
    unsigned char *b = calloc(n ? n : 1, es);
    if (!b) die("out of memory");
    for (hsize_t i = 0; i < n; i++) {
        unsigned char *e = b + i * es;
        switch (t) {
        case T_I64: { int64_t v = strtoll(value, NULL, 0); memcpy(e, &v, 8); } break;
        case T_U64: { uint64_t v = strtoull(value, NULL, 0); memcpy(e, &v, 8); } break;
        case T_I32: { int32_t v = (int32_t)strtol(value, NULL, 0); memcpy(e, &v, 4); } break;
        case T_F64: { double v = strtod(value, NULL); memcpy(e, &v, 8); } break;
        case T_STR: memcpy(e, value, strlen(value) < es ? strlen(value) : es); break;
        case T_VSTR: { const char *p = value; memcpy(e, &p, sizeof p); } break;
        }
    }
    return b;
}

/* the memory type that writes fill()'s buffer (the file type, LE = native here) */
static hid_t mem_type(vtype t, hid_t ft) {
    switch (t) {
    case T_I64: return H5Tcopy(H5T_NATIVE_INT64);
    case T_U64: return H5Tcopy(H5T_NATIVE_UINT64);
    case T_I32: return H5Tcopy(H5T_NATIVE_INT32);
    case T_F64: return H5Tcopy(H5T_NATIVE_DOUBLE);
    default: return H5Tcopy(ft);
    }
}

static int set_attr(hid_t file, const char *obj, const char *name, vtype t, const char *dims,
                    const char *value) {
    hid_t o = H5Oopen(file, obj, H5P_DEFAULT);
    if (o < 0) return -1;
    if (H5Aexists(o, name) > 0) H5Adelete(o, name);
    hsize_t n;
    hid_t sp = make_space(dims, &n), ft = file_type(t, value), mt = mem_type(t, ft);
    hid_t a = H5Acreate2(o, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
    void *buf = fill(t, ft, value, n);
    int rc = a < 0 || !buf || H5Awrite(a, mt, buf) < 0 ? -1 : 0;
    free(buf);
    if (a >= 0) H5Aclose(a);
    H5Tclose(mt), H5Tclose(ft), H5Sclose(sp), H5Oclose(o);
    return rc;
}

/* copies every attribute of `from` to `to` (the input is a trusted checkpoint) */
static herr_t copy_attr(hid_t from, const char *name, const H5A_info_t *info, void *op) {
    (void)info;
    hid_t to = *(hid_t *)op, a = H5Aopen(from, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    size_t bytes = H5Tget_size(t) * (size_t)(n > 0 ? n : 1);
    void *buf = calloc(bytes ? bytes : 1, 1);
    if (buf && H5Aread(a, t, buf) >= 0) {
        hid_t b = H5Acreate2(to, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (b >= 0) H5Awrite(b, t, buf), H5Aclose(b);
        if (H5Tis_variable_str(t) > 0) H5Dvlen_reclaim(t, sp, H5P_DEFAULT, buf);
    }
    free(buf);
    H5Tclose(t), H5Sclose(sp), H5Aclose(a);
    return 0;
}

static int set_data(hid_t file, const char *path, vtype t, const char *dims, const char *value) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.mutate-new", path);
    hsize_t n;
    hid_t sp = make_space(dims, &n), ft = file_type(t, value), mt = mem_type(t, ft);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    void *buf = fill(t, ft, value, n);
    if (!buf) { /* too large to write: chunked, never written (no storage at all) */
        int nd = H5Sget_simple_extent_ndims(sp);
        hsize_t d[MAXDIMS], c[MAXDIMS];
        H5Sget_simple_extent_dims(sp, d, NULL);
        for (int k = 0; k < nd; k++) c[k] = 1;
        if (nd > 0) c[nd - 1] = d[nd - 1] < 1024 ? (d[nd - 1] ? d[nd - 1] : 1) : 1024;
        H5Pset_chunk(dcpl, nd, c);
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    }
    hid_t dn = H5Dcreate2(file, tmp, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = dn < 0 ? -1 : 0;
    if (rc == 0 && buf && n > 0 && H5Dwrite(dn, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) rc = -1;
    hid_t old = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Oopen(file, path, H5P_DEFAULT) : -1;
    if (rc == 0 && old >= 0) {
        hsize_t idx = 0;
        H5Aiterate2(old, H5_INDEX_NAME, H5_ITER_INC, &idx, copy_attr, &dn);
    }
    if (old >= 0) H5Oclose(old), H5Ldelete(file, path, H5P_DEFAULT);
    if (dn >= 0) H5Dclose(dn);
    if (rc == 0 && H5Lmove(file, tmp, file, path, H5P_DEFAULT, H5P_DEFAULT) < 0) rc = -1;
    free(buf);
    H5Pclose(dcpl), H5Tclose(mt), H5Tclose(ft), H5Sclose(sp);
    return rc;
}

/* ---- what the input holds: objects and attributes ---- */
typedef struct {
    char path[512];
    H5O_type_t type;
} obj_t;
typedef struct {
    int obj;
    char name[128];
    H5T_class_t cls;
    bool vlen;
    hssize_t n;
} attr_t;
static obj_t objs[MAXOBJ];
static attr_t attrs[MAXATTR];
static int nobj, nattr;

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)op;
    H5O_info_t oi;
    if (info->type != H5L_TYPE_HARD || nobj >= MAXOBJ || H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0)
        return 0;
    snprintf(objs[nobj].path, sizeof objs[nobj].path, "/%s", name);
    objs[nobj++].type = oi.type;
    return 0;
}

static void survey(hid_t f) {
    snprintf(objs[0].path, sizeof objs[0].path, "/");
    objs[0].type = H5O_TYPE_GROUP;
    nobj = 1;
    H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, NULL);
    for (int i = 0; i < nobj; i++) {
        hid_t o = H5Oopen(f, objs[i].path, H5P_DEFAULT);
        H5O_info_t oi;
        H5Oget_info(o, &oi);
        for (hsize_t k = 0; k < oi.num_attrs && nattr < MAXATTR; k++) {
            attr_t *a = &attrs[nattr];
            a->obj = i;
            if (H5Aget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, k, a->name, sizeof a->name,
                                   H5P_DEFAULT) < 0) continue;
            hid_t at = H5Aopen(o, a->name, H5P_DEFAULT), t = H5Aget_type(at), sp = H5Aget_space(at);
            a->cls = H5Tget_class(t);
            a->vlen = H5Tis_variable_str(t) > 0;
            a->n = H5Sget_simple_extent_npoints(sp);
            H5Tclose(t), H5Sclose(sp), H5Aclose(at);
            nattr++;
        }
        H5Oclose(o);
    }
}

/* a random object of a type (-1 for any), or an attribute of a class (-1 any) */
static int pick_obj(int type) {
    int c[MAXOBJ], n = 0;
    for (int i = 0; i < nobj; i++)
        if (type < 0 || objs[i].type == (H5O_type_t)type) c[n++] = i;
    return n ? c[below((uint64_t)n)] : -1;
}
static int pick_attr(int cls) {
    static int c[MAXATTR];
    int n = 0;
    for (int i = 0; i < nattr; i++)
        if (cls < 0 || attrs[i].cls == (H5T_class_t)cls) c[n++] = i;
    return n ? c[below((uint64_t)n)] : -1;
}

static const char *const hostile_strings[] = {
    "\x1b[31mred\x1b]0;title\x07\x1b[0m", "\xc2\x9b" "2J", "\xff\xfe\x80", "a\x7f" "b", "",
    "{\"hidden1\": 1e11}", "{\"hidden1\": 9223372036854775807}", "{\"data_dir\": \"/nonexistent\"}",
    "[1, 2, 3]", "{", "../../../etc/passwd", "\xe2\x80\xae" "txt.exe", "ltrun-checkpoint ",
    "64-true", "SGD", "nonsense",
};
static const char *const counters[] = {
    "9223372036854775807", "-9223372036854775808", "-1", "0", "4611686018427387904",
    "9007199254740993", "2147483648", "-2",
};
static const char *const floats[] = {"nan", "inf", "-inf", "1e308", "-0", "4.9e-324", "-1e300"};
static const char *const huge_dims[] = {
    "1000000000", "4611686018427387904", "8589934592,8589934592", "2147483648,2147483648,2147483648",
    "18446744073709551615", "0", "1000000000,784",
};

#define NMUT 18
static const char *const mutnames[NMUT] = {
    "bitflip", "byterun", "truncate", "attr_array", "attr_str2int", "attr_num2str",
    "attr_fixvar", "attr_counter", "attr_rank", "data_huge", "data_shape", "data_type",
    "delete_link", "delete_attr", "extra_group", "str_array_data", "hostile_string", "combo",
};

static char desc[4096];
static void say(const char *fmt, const char *a, const char *b, const char *c) {
    size_t k = strlen(desc);
    snprintf(desc + k, sizeof desc - k, k ? "; " : "");
    k = strlen(desc);
    snprintf(desc + k, sizeof desc - k, fmt, a, b, c);
}

/* dims for a value-bearing dataset: a small shape unlike the original */
static const char *small_dims(void) {
    static const char *const d[] = {"-", "0", "1", "3", "7,5", "784,8", "4096", "2,2,2"};
    return d[below(8)];
}

static vtype type_of_class(H5T_class_t c, bool vlen) {
    return c == H5T_STRING ? (vlen ? T_VSTR : T_STR) : c == H5T_FLOAT ? T_F64 : T_I64;
}

static int structural(hid_t f, int mut) {
    int i, o;
    char nm[160];
    switch (mut) {
    case 3: /* attr_array: an attribute as an array of 2 or 4096 of its own kind */
        if ((i = pick_attr(-1)) < 0) return -1;
        {
            attr_t *a = &attrs[i];
            vtype t = type_of_class(a->cls, a->vlen);
            if (below(3) == 0) t = t == T_STR ? T_VSTR : t == T_VSTR ? T_STR : t;
            /* an attribute message holds at most 64 KiB: 4096 short strings, 3000 pointers */
            const char *dims = below(2) ? "2" : t == T_VSTR ? "3000" : "4096";
            say("%s@%s -> array [%s]", objs[a->obj].path, a->name, dims);
            return set_attr(f, objs[a->obj].path, a->name, t, dims,
                            t >= T_STR ? (dims[0] == '2' ? "ltrun-checkpoint" : "mlp") : counters[below(8)]);
        }
    case 4: /* a string attribute becomes an integer */
        if ((i = pick_attr(H5T_STRING)) < 0) return -1;
        say("%s@%s string -> i64%s", objs[attrs[i].obj].path, attrs[i].name, "");
        return set_attr(f, objs[attrs[i].obj].path, attrs[i].name, T_I64, "-", "1");
    case 5: /* a number becomes a string */
        if ((i = pick_attr(below(2) ? H5T_INTEGER : H5T_FLOAT)) < 0) return -1;
        say("%s@%s number -> string%s", objs[attrs[i].obj].path, attrs[i].name, "");
        return set_attr(f, objs[attrs[i].obj].path, attrs[i].name, below(2) ? T_STR : T_VSTR, "-", "1");
    case 6: /* fixed <-> variable-length string, sometimes an array of them */
        if ((i = pick_attr(H5T_STRING)) < 0) return -1;
        {
            vtype t = attrs[i].vlen ? T_STR : T_VSTR;
            const char *dims = below(2) ? "-" : below(2) ? "2" : t == T_VSTR ? "3000" : "4096";
            say("%s@%s fixed <-> variable string [%s]", objs[attrs[i].obj].path, attrs[i].name, dims);
            return set_attr(f, objs[attrs[i].obj].path, attrs[i].name, t, dims,
                            dims[0] == '3' || dims[0] == '4' ? "mlp" : "ltrun-checkpoint");
        }
    case 7: /* counters at the edges */
        if ((i = pick_attr(below(4) ? H5T_INTEGER : H5T_FLOAT)) < 0) return -1;
        {
            bool fl = attrs[i].cls == H5T_FLOAT;
            const char *v = fl ? floats[below(7)] : counters[below(8)];
            say("%s@%s = %s", objs[attrs[i].obj].path, attrs[i].name, v);
            return set_attr(f, objs[attrs[i].obj].path, attrs[i].name, fl ? T_F64 : below(4) ? T_I64 : T_U64,
                            "-", v);
        }
    case 8: /* rank: 2-D, a valid 1-element 1-D, or the null dataspace */
        if ((i = pick_attr(-1)) < 0) return -1;
        {
            static const char *const r[] = {"2,2", "1", "null", "1,1", "0"};
            const char *dims = r[below(5)];
            attr_t *a = &attrs[i];
            vtype t = type_of_class(a->cls, a->vlen);
            say("%s@%s dataspace -> %s", objs[a->obj].path, a->name, dims);
            return set_attr(f, objs[a->obj].path, a->name, t, dims, t >= T_STR ? "x" : "1");
        }
    case 9: /* huge dims: chunked, never written */
        if ((o = pick_obj(H5O_TYPE_DATASET)) < 0) return -1;
        {
            const char *dims = huge_dims[below(7)];
            say("%s dims -> [%s] (never written)", objs[o].path, dims, "");
            return set_data(f, objs[o].path, below(2) ? T_F64 : T_I64, dims, "0");
        }
    case 10: /* a small shape unlike the original, written */
        if ((o = pick_obj(H5O_TYPE_DATASET)) < 0) return -1;
        {
            const char *dims = small_dims();
            hid_t d = H5Dopen2(f, objs[o].path, H5P_DEFAULT), t = H5Dget_type(d);
            H5T_class_t c = H5Tget_class(t);
            bool vl = H5Tis_variable_str(t) > 0;
            H5Tclose(t), H5Dclose(d);
            vtype vt = type_of_class(c, vl);
            say("%s shape -> [%s]", objs[o].path, dims, "");
            if (vt == T_F64 && below(2)) vt = T_I32; /* and a type unlike float32 */
            return set_data(f, objs[o].path, vt, dims, vt >= T_STR ? "{}" : counters[below(8)]);
        }
    case 11: /* another type, same-ish shape */
        if ((o = pick_obj(H5O_TYPE_DATASET)) < 0) return -1;
        {
            static const vtype ts[] = {T_STR, T_VSTR, T_I64, T_U64, T_I32, T_F64};
            vtype t = ts[below(6)];
            say("%s type -> %s%s", objs[o].path, tnames[t], "");
            return set_data(f, objs[o].path, t, t >= T_STR ? "-" : small_dims(), t >= T_STR ? "1.5" : "1");
        }
    case 12: /* a missing group or dataset */
        if ((o = pick_obj(-1)) <= 0) return -1;
        say("delete %s%s%s", objs[o].path, "", "");
        return H5Ldelete(f, objs[o].path, H5P_DEFAULT) < 0 ? -1 : 0;
    case 13: /* a missing attribute */
        if ((i = pick_attr(-1)) < 0) return -1;
        {
            say("delete %s@%s%s", objs[attrs[i].obj].path, attrs[i].name, "");
            hid_t ob = H5Oopen(f, objs[attrs[i].obj].path, H5P_DEFAULT);
            int rc = H5Adelete(ob, attrs[i].name) < 0 ? -1 : 0;
            H5Oclose(ob);
            return rc;
        }
    case 14: /* extra unknown groups, with odd attributes and datasets */
        if ((o = pick_obj(H5O_TYPE_GROUP)) < 0) return -1;
        {
            snprintf(nm, sizeof nm, "%s%szz_unknown%d", objs[o].path, strcmp(objs[o].path, "/") ? "/" : "",
                     (int)below(100));
            hid_t g = H5Gcreate2(f, nm, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0) return -1;
            H5Gclose(g);
            say("add group %s%s%s", nm, "", "");
            set_attr(f, nm, hostile_strings[below(16)], T_VSTR, below(2) ? "-" : "4096", "x");
            set_attr(f, nm, "count", T_I64, "4096", counters[below(8)]);
            char ds[200];
            snprintf(ds, sizeof ds, "%s/%d", nm, (int)below(3));
            return set_data(f, ds, T_STR, "-", hostile_strings[below(16)]);
        }
    case 15: /* a string dataset (hparams, JSON entries) as an array of strings */
    {
        int c[MAXOBJ], n = 0;
        for (int k = 0; k < nobj; k++) {
            if (objs[k].type != H5O_TYPE_DATASET) continue;
            hid_t d = H5Dopen2(f, objs[k].path, H5P_DEFAULT), t = H5Dget_type(d);
            if (H5Tget_class(t) == H5T_STRING) c[n++] = k;
            H5Tclose(t), H5Dclose(d);
        }
        if (!n) return -1;
        o = c[below((uint64_t)n)];
        const char *dims = below(2) ? "2" : "4096";
        say("%s -> string array [%s]%s", objs[o].path, dims, "");
        return set_data(f, objs[o].path, below(2) ? T_STR : T_VSTR, dims, "{\"hidden1\": 8}");
    }
    case 16: /* hostile string content in an attribute or a string dataset */
        if ((i = pick_attr(H5T_STRING)) < 0) return -1;
        {
            int hs = (int)below(16);
            const char *v = hostile_strings[hs];
            char num[16];
            snprintf(num, sizeof num, "%d", hs);
            say("%s@%s = hostile string #%s", objs[attrs[i].obj].path, attrs[i].name, num);
            if (below(4) == 0) { /* and the escapes in a dataset name too */
                char p[700];
                snprintf(p, sizeof p, "/state_dict/%s", v);
                set_data(f, p, T_F64, "2", "1");
            }
            return set_attr(f, objs[attrs[i].obj].path, attrs[i].name, below(2) ? T_STR : T_VSTR, "-", v);
        }
    }
    return -1;
}

/* newer-format writes: attributes over 64 KiB (4096 strings) need dense storage */
static hid_t open_rw(const char *path) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (f < 0) die("the input is not an HDF5 file");
    return f;
}

static int random_mutation(const char *in, const char *out, uint64_t seed, int mut) {
    rs = seed * 1000003u + (uint64_t)mut;
    size_t len;
    unsigned char *b = slurp(in, &len);
    if (mut <= 2) {
        if (len == 0) die("empty input");
        char d[200];
        if (mut == 0) {
            int k = 1 + (int)below(16);
            for (int j = 0; j < k; j++) b[below(len)] ^= (unsigned char)(1u << below(8));
            snprintf(desc, sizeof desc, "flip %d bits", k);
        } else if (mut == 1) {
            size_t off = below(len), n = 1 + below(64);
            static const int vals[] = {0x00, 0xff, 0x7f, 0x80};
            int v = below(2) ? vals[below(4)] : -1;
            for (size_t j = off; j < off + n && j < len; j++) b[j] = v < 0 ? (unsigned char)rnd() : (unsigned char)v;
            snprintf(d, sizeof d, "%zu bytes of %s at %zu", n, v < 0 ? "random" : v ? "0xff/0x7f/0x80" : "0x00", off);
            snprintf(desc, sizeof desc, "%s", d);
        } else {
            len = below(len);
            snprintf(desc, sizeof desc, "truncate to %zu bytes", len);
        }
        spit(out, b, len);
        free(b);
        return 0;
    }
    spit(out, b, len);
    free(b);
    hid_t f = open_rw(out);
    survey(f);
    int rc;
    if (mut == 17) { /* two to four structural mutations at once */
        int k = 2 + (int)below(3);
        rc = 0;
        for (int j = 0; j < k; j++) {
            nattr = 0;
            survey(f);
            if (structural(f, 3 + (int)below(14)) < 0) rc = -1;
        }
        rc = 0; /* some may not apply; the file is still a mutant */
    } else {
        rc = structural(f, mut);
    }
    if (H5Fclose(f) < 0) rc = -1;
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fputs("usage: mutate IN OUT SEED [MUT] | IN OUT --attr OBJ NAME TYPE DIMS VALUE |\n"
              "       IN OUT --data OBJ TYPE DIMS [VALUE] | IN OUT --delete OBJ [NAME] | IN OUT --group OBJ |\n"
              "       IN OUT --elink OBJ FILE PATH\n",
              stderr);
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *in = argv[1], *out = argv[2];
    if (argv[3][0] != '-') {
        uint64_t seed = strtoull(argv[3], NULL, 0);
        int mut = argc > 4 ? atoi(argv[4]) : (int)(seed % NMUT);
        if (mut < 0 || mut >= NMUT) die("MUT out of range");
        int rc = random_mutation(in, out, seed, mut);
        printf("seed %" PRIu64 " mut %d %s: %s%s\n", seed, mut, mutnames[mut], desc,
               rc ? " (did not apply: the file is a plain copy)" : "");
        return 0;
    }
    if (strcmp(in, out)) {
        size_t len;
        unsigned char *b = slurp(in, &len);
        spit(out, b, len);
        free(b);
    }
    hid_t f = open_rw(out);
    int rc = -1;
    if (!strcmp(argv[3], "--attr") && argc == 9)
        rc = set_attr(f, argv[4], argv[5], parse_type(argv[6]), argv[7], argv[8]);
    else if (!strcmp(argv[3], "--data") && (argc == 7 || argc == 8))
        rc = set_data(f, argv[4], parse_type(argv[5]), argv[6], argc == 8 ? argv[7] : "0");
    else if (!strcmp(argv[3], "--delete") && argc == 5)
        rc = H5Ldelete(f, argv[4], H5P_DEFAULT) < 0 ? -1 : 0;
    else if (!strcmp(argv[3], "--delete") && argc == 6) {
        hid_t o = H5Oopen(f, argv[4], H5P_DEFAULT);
        rc = o < 0 || H5Adelete(o, argv[5]) < 0 ? -1 : 0;
        if (o >= 0) H5Oclose(o);
    } else if (!strcmp(argv[3], "--elink") && argc == 7) {
        rc = H5Lcreate_external(argv[5], argv[6], f, argv[4], H5P_DEFAULT, H5P_DEFAULT) < 0 ? -1 : 0;
    } else if (!strcmp(argv[3], "--group") && argc == 5) {
        hid_t g = H5Gcreate2(f, argv[4], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = g < 0 ? -1 : 0;
        if (g >= 0) H5Gclose(g);
    } else
        die("bad arguments (see the usage)");
    if (H5Fclose(f) < 0) rc = -1;
    if (rc) die("the edit failed (no such object?)");
    return 0;
}
