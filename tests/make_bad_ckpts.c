/* make_bad_ckpts.c — hostile variants of a real checkpoint for tests/test_ckpt_hostile.sh.
 * Usage: make_bad_ckpts SRC.h5 OUTDIR   (SRC: a full checkpoint of examples/mlp.so)
 *        make_bad_ckpts --data OUT.h5   (a data file for the hdf5 data plugin whose datasets
 *                                        use the test filter, tests/plugins/h5filter_ident.c)
 * Each variant is a copy of SRC with one change made through the HDF5 C API (or, for the
 * checksum, one flipped byte inside a fletcher32-checked chunk): OUTDIR/NAME.h5. */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_FILTER 32999 /* an id from the range HDF5 leaves for testing */

static size_t ident(unsigned flags, size_t ncd, const unsigned cd[], size_t nbytes, size_t *size, void **buf) {
    (void)flags, (void)ncd, (void)cd, (void)size, (void)buf;
    return nbytes;
}
static const H5Z_class2_t IDENT = {H5Z_CLASS_T_VERS, TEST_FILTER, 1, 1, "ltrun test identity", NULL, NULL, ident};

static void die(const char *what) {
    fprintf(stderr, "make_bad_ckpts: %s failed\n", what);
    exit(1);
}
#define CHECK(x) do { if ((x) < 0) die(#x); } while (0)

static const char *src, *outdir;
static char cur[4096];

/* copy SRC to OUTDIR/NAME.h5 and open it read-write */
static hid_t variant(const char *name) {
    snprintf(cur, sizeof cur, "%s/%s.h5", outdir, name);
    FILE *in = fopen(src, "rb"), *out = fopen(cur, "wb");
    if (!in || !out) die("copying the source checkpoint");
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) die("writing a variant");
    fclose(in);
    if (fclose(out)) die("writing a variant");
    hid_t f = H5Fopen(cur, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f);
    return f;
}

static void set_i64(hid_t f, const char *obj, const char *attr, int64_t v) {
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    CHECK(o);
    hid_t a = H5Aopen(o, attr, H5P_DEFAULT);
    CHECK(a);
    CHECK(H5Awrite(a, H5T_NATIVE_INT64, &v));
    H5Aclose(a);
    H5Oclose(o);
}

static void set_f64(hid_t f, const char *obj, const char *attr, double v) {
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    CHECK(o);
    hid_t a = H5Aopen(o, attr, H5P_DEFAULT);
    CHECK(a);
    CHECK(H5Awrite(a, H5T_NATIVE_DOUBLE, &v));
    H5Aclose(a);
    H5Oclose(o);
}

static void put_str_attr(hid_t o, const char *name, const char *v) {
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, strlen(v));
    H5Tset_cset(t, H5T_CSET_UTF8); /* as ltrun writes its strings */
    hid_t a = H5Acreate2(o, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a);
    CHECK(H5Awrite(a, t, v));
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

/* Replace dataset PATH (in group GROUP) with a float32 one of the given dims and dcpl,
 * keeping its dtype/kind/index attributes; data NULL: never written. */
static hid_t replace_f32(hid_t f, const char *group, const char *name, int nd, const hsize_t *dims, hid_t dcpl,
                         const void *data) {
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    CHECK(g);
    hid_t old = H5Dopen2(g, name, H5P_DEFAULT);
    CHECK(old);
    char kind[32] = "";
    int64_t index = -1;
    if (H5Aexists(old, "kind") > 0) {
        hid_t a = H5Aopen(old, "kind", H5P_DEFAULT), t = H5Aget_type(a);
        if (H5Tget_size(t) < sizeof kind) H5Aread(a, t, kind);
        H5Tclose(t);
        H5Aclose(a);
    }
    if (H5Aexists(old, "index") > 0) {
        hid_t a = H5Aopen(old, "index", H5P_DEFAULT);
        H5Aread(a, H5T_NATIVE_INT64, &index);
        H5Aclose(a);
    }
    H5Dclose(old);
    CHECK(H5Ldelete(g, name, H5P_DEFAULT));
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    CHECK(sp);
    hid_t d = H5Dcreate2(g, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(d);
    if (data) CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    put_str_attr(d, "dtype", "float32");
    if (kind[0]) put_str_attr(d, "kind", kind);
    if (index >= 0) {
        hid_t s1 = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(d, "index", H5T_STD_I64LE, s1, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT64, &index);
        H5Aclose(a);
        H5Sclose(s1);
    }
    H5Sclose(sp);
    H5Gclose(g);
    return d;
}

/* a dataset's dims and float32 contents (malloc'd) */
static float *read_f32(hid_t f, const char *path, int *nd, hsize_t *dims) {
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    CHECK(d);
    hid_t sp = H5Dget_space(d);
    *nd = H5Sget_simple_extent_dims(sp, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    float *x = malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    if (!x) die("malloc");
    CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x));
    H5Sclose(sp);
    H5Dclose(d);
    return x;
}

static hid_t chunked(int nd, const hsize_t *chunk) {
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    CHECK(H5Pset_chunk(pl, nd, chunk));
    return pl;
}

static void both_i64(const char *name, const char *attr, int64_t v) {
    hid_t f = variant(name);
    set_i64(f, "/loops", attr, v);
    set_i64(f, "/meta", attr, v);
    H5Fclose(f);
}

static void one_i64(const char *name, const char *obj, const char *attr, int64_t v) {
    hid_t f = variant(name);
    set_i64(f, obj, attr, v);
    H5Fclose(f);
}

static void one_f64(const char *name, const char *obj, const char *attr, double v) {
    hid_t f = variant(name);
    set_f64(f, obj, attr, v);
    H5Fclose(f);
}

/* the hdf5 data plugin's file: /data/X float64 [20,2], /data/y int32 [20], both chunked
 * with the test filter (readable only where HDF5 finds tests/plugins/h5filter_ident.so) */
static int data_file(const char *path) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f);
    hid_t g = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double x[40];
    int y[20];
    for (int i = 0; i < 20; i++) x[2 * i] = i, x[2 * i + 1] = i + 0.5, y[i] = i % 3;
    hsize_t xd[2] = {20, 2}, yd[1] = {20}, xc[2] = {4, 2}, yc[1] = {4};
    hid_t px = chunked(2, xc), py = chunked(1, yc);
    CHECK(H5Pset_filter(px, TEST_FILTER, H5Z_FLAG_MANDATORY, 0, NULL));
    CHECK(H5Pset_filter(py, TEST_FILTER, H5Z_FLAG_MANDATORY, 0, NULL));
    hid_t sx = H5Screate_simple(2, xd, NULL), sy = H5Screate_simple(1, yd, NULL);
    hid_t dx = H5Dcreate2(g, "X", H5T_IEEE_F64LE, sx, H5P_DEFAULT, px, H5P_DEFAULT);
    hid_t dy = H5Dcreate2(g, "y", H5T_STD_I32LE, sy, H5P_DEFAULT, py, H5P_DEFAULT);
    CHECK(dx);
    CHECK(dy);
    CHECK(H5Dwrite(dx, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x));
    CHECK(H5Dwrite(dy, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y));
    H5Dclose(dx), H5Dclose(dy), H5Sclose(sx), H5Sclose(sy), H5Pclose(px), H5Pclose(py);
    H5Gclose(g);
    return H5Fclose(f) < 0;
}

int main(int argc, char **argv) {
    if (H5Zregister(&IDENT) < 0) die("H5Zregister");
    if (argc == 3 && !strcmp(argv[1], "--data")) return data_file(argv[2]);
    if (argc != 3) {
        fprintf(stderr, "usage: make_bad_ckpts SRC.h5 OUTDIR | make_bad_ckpts --data OUT.h5\n");
        return 2;
    }
    src = argv[1], outdir = argv[2];

    /* counters at the edge of int64 and below zero */
    both_i64("global_step_max", "global_step", INT64_MAX);
    both_i64("global_step_neg1", "global_step", -1);
    both_i64("global_step_neg2p62", "global_step", -(INT64_C(1) << 62));
    one_i64("total_batch_idx_max", "/loops", "total_batch_idx", INT64_MAX);
    one_i64("batches_that_stepped_max", "/loops", "batches_that_stepped", INT64_MAX);
    hid_t f = variant("current_epoch_max");
    set_i64(f, "/loops", "current_epoch", INT64_MAX);
    set_i64(f, "/meta", "epoch", INT64_MAX);
    H5Fclose(f);
    one_i64("batch_idx_huge", "/loops", "batch_idx", INT64_C(1) << 40);
    one_i64("adam_step_max", "/optimizer/0/state/fc1.weight", "step", INT64_MAX);

    /* optimizer options torch's constructor refuses */
    one_f64("lr_nan", "/optimizer/0/param_groups/0", "lr", NAN);
    one_f64("beta1_negative", "/optimizer/0/param_groups/0", "beta1", -0.5);

    /* shapes: fc1.bias declared (1e9,) in chunks that were never written; (2^62,); and
     * 8589934592 x 8589934592, whose element count overflows 64 bits */
    hsize_t c1[1] = {1 << 16}, c2[2] = {1, 1 << 10};
    f = variant("bias_1e9_unwritten");
    hid_t pl = chunked(1, c1);
    H5Dclose(replace_f32(f, "/state_dict", "fc1.bias", 1, (hsize_t[]){1000000000}, pl, NULL));
    H5Pclose(pl);
    H5Fclose(f);
    f = variant("bias_2p62");
    pl = chunked(1, c1);
    H5Dclose(replace_f32(f, "/state_dict", "fc1.bias", 1, (hsize_t[]){(hsize_t)1 << 62}, pl, NULL));
    H5Pclose(pl);
    H5Fclose(f);
    f = variant("dims_overflow");
    pl = chunked(2, c2);
    H5Dclose(replace_f32(f, "/state_dict", "fc1.weight", 2, (hsize_t[]){(hsize_t)1 << 33, (hsize_t)1 << 33}, pl,
                         NULL));
    H5Pclose(pl);
    H5Fclose(f);

    /* exp_avg of fc1.weight transposed: the same element count, another shape */
    f = variant("exp_avg_transposed");
    int nd;
    hsize_t dims[8];
    float *x = read_f32(f, "/optimizer/0/state/fc1.weight/exp_avg", &nd, dims);
    hsize_t tr[2] = {dims[1], dims[0]};
    H5Dclose(replace_f32(f, "/optimizer/0/state/fc1.weight", "exp_avg", 2, tr, H5P_DEFAULT, x));
    free(x);
    H5Fclose(f);

    /* the host RNG state all zeros */
    f = variant("rng_zero");
    hid_t d = H5Dopen2(f, "/rng/host", H5P_DEFAULT);
    int64_t zero[4] = {0};
    CHECK(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, zero));
    H5Dclose(d);
    H5Fclose(f);

    /* fc2.bias stored through a filter that is not built into HDF5 */
    f = variant("unknown_filter");
    x = read_f32(f, "/state_dict/fc2.bias", &nd, dims);
    pl = chunked(nd, dims);
    CHECK(H5Pset_filter(pl, TEST_FILTER, H5Z_FLAG_MANDATORY, 0, NULL));
    H5Dclose(replace_f32(f, "/state_dict", "fc2.bias", nd, dims, pl, x));
    H5Pclose(pl);
    free(x);
    H5Fclose(f);

    /* fc2.bias with a fletcher32 checksum: intact, and with one data byte flipped */
    haddr_t addr = HADDR_UNDEF;
    for (int corrupt = 0; corrupt < 2; corrupt++) {
        f = variant(corrupt ? "checksum_bad" : "checksum_ok");
        x = read_f32(f, "/state_dict/fc2.bias", &nd, dims);
        pl = chunked(nd, dims);
        CHECK(H5Pset_fletcher32(pl));
        d = replace_f32(f, "/state_dict", "fc2.bias", nd, dims, pl, x);
        hid_t sp = H5Dget_space(d);
        hsize_t off[8];
        unsigned mask;
        hsize_t size;
        CHECK(H5Dget_chunk_info(d, sp, 0, off, &mask, &addr, &size));
        H5Sclose(sp);
        H5Dclose(d);
        H5Pclose(pl);
        free(x);
        H5Fclose(f);
        if (corrupt) {
            FILE *p = fopen(cur, "r+b");
            if (!p || fseek(p, (long)addr + 1, SEEK_SET)) die("opening the checksum variant");
            int b = fgetc(p);
            fseek(p, (long)addr + 1, SEEK_SET);
            fputc(b ^ 0x40, p);
            if (fclose(p)) die("writing the checksum variant");
        }
    }

    /* saved module hparams that make create allocate absurd parameters */
    f = variant("hparams_hidden1e11");
    H5Ldelete(f, "/hparams/module", H5P_DEFAULT);
    {
        const char *j = "{\"hidden1\": 100000000000}";
        hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
        H5Tset_size(t, strlen(j));
        H5Tset_cset(t, H5T_CSET_UTF8);
        hid_t h = H5Gopen2(f, "/hparams", H5P_DEFAULT);
        d = H5Dcreate2(h, "module", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, j));
        H5Dclose(d), H5Gclose(h), H5Sclose(sp), H5Tclose(t);
    }
    H5Fclose(f);
    return 0;
}
