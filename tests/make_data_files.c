/* make_data_files.c — writes the small files tests/test_data_plugins.sh trains on:
 * row i of a table has x = [i, i + 0.5] and label i % 3. Usage: make_data_files DIR.
 *   train.csv (header a,b,label; 20 rows), val.csv (rows 100..103), test.csv (rows 200..205),
 *   noheader.csv (label first, ';'), missing.csv, nonnum.csv, reg.csv (float targets);
 *   x.npy '<f4' v1.0 / y.npy '<i8', x2.npy '<f8' v2.0 / y2.npy '|u1', xi4.npy '<i4',
 *   fortran.npy, big.npy ('>f4'), y19.npy (19 rows);
 *   train.h5 (/data/X float64 [20,2] chunked by 4 rows, /data/y int32 [20]), val.h5 (rows
 *   100..103), test.h5 (rows 200..205), mismatch.h5 (y has 19 rows), strtype.h5 (y is a
 *   string dataset), extlink.h5 (/data/X an external link), blocks.h5 (rows 0..199 chunked
 *   by 8 rows: the hdf5 plugin's block shuffle); messy(): the robustness review's
 *   everyday-messy and hostile csv / npy / hdf5 files. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static hsize_t h5_chunk_rows = 4;

static FILE *open_out(const char *name) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); exit(1); }
    return f;
}

static const char *path_of(const char *name) {
    static char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void table(const char *name, int first, int n, const char *head) {
    FILE *f = open_out(name);
    if (head) fprintf(f, "%s\n", head);
    for (int i = first; i < first + n; i++) fprintf(f, "%d,%g,%d\n", i, i + 0.5, i % 3);
    fclose(f);
}

static void npy_h(const char *name, int version, const char *h, const void *data, size_t bytes);

static void npy(const char *name, int version, const char *descr, const char *fortran,
                int ndim, const long *shape, const void *data, size_t bytes) {
    char h[256], sh[64] = "";
    for (int i = 0; i < ndim; i++) snprintf(sh + strlen(sh), sizeof sh - strlen(sh), "%ld,%s", shape[i], ndim > 1 && i == ndim - 1 ? "" : " ");
    snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, fortran, sh);
    npy_h(name, version, h, data, bytes);
}

/* a .npy file with the header dict `h` as given */
static void npy_h(const char *name, int version, const char *h, const void *data, size_t bytes) {
    size_t pre = version == 1 ? 10 : 12, len = strlen(h) + 1;
    size_t pad = (64 - (pre + len) % 64) % 64;
    FILE *f = open_out(name);
    fwrite("\x93NUMPY", 1, 6, f);
    fputc(version, f), fputc(0, f);
    size_t hl = len + pad;
    if (version == 1) fputc((int)(hl & 255), f), fputc((int)(hl >> 8), f);
    else for (int b = 0; b < 4; b++) fputc((int)((hl >> (8 * b)) & 255), f);
    fputs(h, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    fwrite(data, 1, bytes, f);
    fclose(f);
}

static void h5(const char *name, int first, int n, int ny, int ystring, int extlink) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double *x = malloc(sizeof(double) * 2 * n);
    int *y = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) x[2 * i] = first + i, x[2 * i + 1] = first + i + 0.5, y[i] = (first + i) % 3;
    hsize_t xd[2] = {(hsize_t)n, 2}, yd[1] = {(hsize_t)ny}, ch[2] = {h5_chunk_rows, 2};
    if (extlink) H5Lcreate_external("elsewhere.h5", "/X", g, "X", H5P_DEFAULT, H5P_DEFAULT);
    else {
        hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(pl, 2, ch);
        hid_t s = H5Screate_simple(2, xd, NULL);
        hid_t d = H5Dcreate2(g, "X", H5T_IEEE_F64LE, s, H5P_DEFAULT, pl, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
        H5Dclose(d), H5Sclose(s), H5Pclose(pl);
    }
    hid_t s = H5Screate_simple(1, yd, NULL);
    if (ystring) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 4);
        char *buf = calloc((size_t)ny, 4);
        hid_t d = H5Dcreate2(g, "y", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        H5Dclose(d), H5Tclose(t), free(buf);
    } else {
        hid_t d = H5Dcreate2(g, "y", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y);
        H5Dclose(d);
    }
    H5Sclose(s), H5Gclose(g), H5Fclose(f);
    free(x), free(y);
}

/* raw bytes as a file */
static void put(const char *name, const void *p, size_t n) {
    FILE *f = open_out(name);
    fwrite(p, 1, n, f);
    fclose(f);
}

static void put_str(const char *name, const char *s) { put(name, s, strlen(s)); }

/* the robustness review's inputs (everyday-messy and hostile), each named in the test */
static void messy(void) {
    /* the 20 rows of train.csv, CRLF line endings, quoted numbers, spaces around values,
     * 2.0-style labels, no newline after the last row (pandas.read_csv reads all of it) */
    FILE *f = open_out("crlf.csv");
    fprintf(f, "\"a\" , b ,label\r\n\r\n");
    for (int i = 0; i < 20; i++) fprintf(f, " \"%d\" ,%g , %d.0%s", i, i + 0.5, i % 3, i < 19 ? "\r\n" : "");
    fclose(f);
    /* \r alone ends the lines (classic Mac) */
    f = open_out("cr.csv");
    fprintf(f, "a,b,label\r");
    for (int i = 0; i < 20; i++) fprintf(f, "%d,%g,%d\r", i, i + 0.5, i % 3);
    fclose(f);
    /* a header name with the delimiter inside quotes (pandas writes it so) */
    f = open_out("quotedname.csv");
    fprintf(f, "\"a, cm\",b,\"the label\"\n");
    for (int i = 0; i < 20; i++) fprintf(f, "%d,%g,%d\n", i, i + 0.5, i % 3);
    fclose(f);
    /* UTF-8 byte order mark (Excel's "CSV UTF-8") before a headerless table */
    f = open_out("bom.csv");
    fputs("\xEF\xBB\xBF", f);
    for (int i = 0; i < 20; i++) fprintf(f, "%d,%g,%d\n", i, i + 0.5, i % 3);
    fclose(f);
    /* ... and before a header whose first column is the label */
    f = open_out("bomhead.csv");
    fputs("\xEF\xBB\xBFlabel,a,b\n", f);
    for (int i = 0; i < 20; i++) fprintf(f, "%d,%d,%g\n", i % 3, i, i + 0.5);
    fclose(f);
    /* UTF-16LE (Excel's "Unicode text"): NUL bytes everywhere */
    static const char u16[] = "\xFF\xFE" "a\0,\0b\0,\0l\0\n\0" "0\0,\0" "1\0,\0" "2\0\n\0";
    put("utf16.csv", u16, sizeof u16 - 1);
    /* header only; a single data row; ragged rows */
    put_str("headeronly.csv", "a,b,label\n");
    put_str("single.csv", "a,b,label\n3,3.5,0\n");
    put_str("ragged.csv", "a,b,label\n0,0.5,0\n1,1.5\n");
    put_str("extra.csv", "a,b,label\n0,0.5,0\n1,1.5,1,7\n");
    /* NaN / inf / beyond float32 features; negative, huge and fractional labels */
    put_str("nan.csv", "a,b,label\n0,0.5,0\n1,NaN,1\n");
    put_str("inf.csv", "a,b,label\n0,0.5,0\n1,1.5,1\n-inf,2.5,2\n");
    put_str("f32over.csv", "a,b,label\n0,0.5,0\n1,1e39,1\n");
    put_str("neglabel.csv", "a,b,label\n0,0.5,0\n1,1.5,-1\n");
    put_str("hugelabel.csv", "a,b,label\n0,0.5,0\n1,1.5,1e30\n");
    put_str("fraclabel.csv", "a,b,label\n0,0.5,2.5\n");
    /* a line over 64 KB: 2 rows of 20000 columns (label last, 0 or 1) */
    f = open_out("long.csv");
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 20000; j++) {
            if (j == 19999) fprintf(f, "%d\n", r);
            else fprintf(f, "%d.25,", r + j);
        }
    fclose(f);

    /* .npy: header length past the end; data shorter than the shape; 0-d; 1-D X (row i:
     * value i / 2, the first 20 of x.npy);
     * unsupported dtypes; a shape whose byte size overflows 64 bits; a shape whose
     * value count overflows */
    unsigned char th[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 200, 0, '{', '\'', 'd'};
    put("trunchead.npy", th, sizeof th);
    float xf[40];
    int64_t yl[20];
    for (int i = 0; i < 20; i++) xf[2 * i] = (float)i, xf[2 * i + 1] = (float)(i + 0.5), yl[i] = i % 3;
    long s2[2] = {20, 2}, s1[1] = {20}, s0[1] = {0};
    npy("truncdata.npy", 1, "<f4", "False", 2, s2, xf, 10 * sizeof(float));
    npy("zerod.npy", 1, "<f4", "False", 0, s0, xf, sizeof(float));
    npy("x1d.npy", 1, "<f4", "False", 1, s1, xf, 20 * sizeof(float));
    npy("f2.npy", 1, "<f2", "False", 2, s2, xf, 40 * 2);
    npy("b1.npy", 1, "|b1", "False", 1, s1, xf, 20);
    npy("c8.npy", 1, "<c8", "False", 2, s2, xf, sizeof xf);
    npy("obj.npy", 1, "|O", "False", 1, s1, xf, 20);
    long wrap[1] = {2305843009213693953L}; /* * 8 bytes = 2^64 + 8 */
    npy("wrap.npy", 1, "<i8", "False", 1, wrap, yl, sizeof yl);
    long s21[2] = {20, 1}, s20[2] = {20, 0};
    npy("y2d.npy", 1, "<i8", "False", 2, s21, yl, sizeof yl); /* labels as a column (20, 1) */
    npy("x0.npy", 1, "<f4", "False", 2, s20, xf, 0);          /* no features (20, 0) */
    /* Python 2's numpy wrote long shapes as 20L (np.load still reads them) */
    npy_h("py2.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (20L, 2L), }", xf, sizeof xf);
    long wrap4[1] = {4611686018427387905L}; /* * 4 bytes = 2^64 + 4 */
    npy("wrap4.npy", 1, "<f4", "False", 1, wrap4, xf, sizeof xf);
    long huge[2] = {4294967296L, 4294967296L}; /* 2^64 values */
    npy("huge.npy", 1, "<f4", "False", 2, huge, xf, sizeof xf);

    /* HDF5: 1-D X (one feature), 0 rows */
    hid_t h = H5Fcreate(path_of("x1d.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n20[1] = {20}, n0[2] = {0, 2};
    double xv[20];
    int yv[20];
    for (int i = 0; i < 20; i++) xv[i] = i, yv[i] = i % 3;
    hid_t sp = H5Screate_simple(1, n20, NULL);
    hid_t d = H5Dcreate2(h, "X", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, xv), H5Dclose(d);
    d = H5Dcreate2(h, "y", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, yv), H5Dclose(d);
    H5Sclose(sp), H5Fclose(h);
    h = H5Fcreate(path_of("empty.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Screate_simple(2, n0, NULL);
    H5Dclose(H5Dcreate2(h, "X", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(sp);
    sp = H5Screate_simple(1, n0, NULL);
    H5Dclose(H5Dcreate2(h, "y", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(sp), H5Fclose(h);
    /* y as h5py stores a bool array: an enum of int8 {FALSE: 0, TRUE: 1} */
    h = H5Fcreate(path_of("booly.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    sp = H5Screate_simple(1, n20, NULL);
    d = H5Dcreate2(h, "X", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, xv), H5Dclose(d);
    hid_t et = H5Tenum_create(H5T_NATIVE_SCHAR);
    signed char fv = 0, tv = 1, yb[20] = {0};
    H5Tenum_insert(et, "FALSE", &fv), H5Tenum_insert(et, "TRUE", &tv);
    d = H5Dcreate2(h, "y", et, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, et, H5S_ALL, H5S_ALL, H5P_DEFAULT, yb), H5Dclose(d);
    H5Tclose(et), H5Sclose(sp), H5Fclose(h);
    /* X [20, 2^32, 2^32] never written (chunked: nothing allocated): 2^64 values per
     * sample wrap to 0 in 64 bits */
    h = H5Fcreate(path_of("wrap.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t big[3] = {20, 4294967296ull, 4294967296ull}, ch[3] = {1, 1, 1};
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, 3, ch);
    sp = H5Screate_simple(3, big, NULL);
    H5Dclose(H5Dcreate2(h, "X", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT));
    H5Sclose(sp), H5Pclose(pl);
    sp = H5Screate_simple(1, n20, NULL);
    d = H5Dcreate2(h, "y", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, yv), H5Dclose(d);
    H5Sclose(sp), H5Fclose(h);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: make_data_files DIR\n"); return 2; }
    dir = argv[1];
    table("train.csv", 0, 20, "a,b,label");
    table("val.csv", 100, 4, "a,b,label");
    table("test.csv", 200, 6, NULL);
    FILE *f = open_out("noheader.csv");
    for (int i = 0; i < 20; i++) fprintf(f, "%d;%d;%g\n", i % 3, i, i + 0.5);
    fclose(f);
    f = open_out("missing.csv");
    fprintf(f, "a,b,label\n0,0.5,0\n1,,1\n");
    fclose(f);
    f = open_out("nonnum.csv");
    fprintf(f, "a,b,label\n0,0.5,0\n1,1.5,1\n\nabc,2.5,2\n");
    fclose(f);
    f = open_out("reg.csv");
    for (int i = 0; i < 20; i++) fprintf(f, "%d,%g,%g\n", i, i + 0.5, i * 0.25);
    fclose(f);

    float xf[40];
    double xd[40];
    int32_t xi[40];
    int64_t yl[20];
    unsigned char yu[20];
    for (int i = 0; i < 20; i++) {
        xf[2 * i] = (float)i, xf[2 * i + 1] = (float)(i + 0.5);
        xd[2 * i] = i, xd[2 * i + 1] = i + 0.5;
        xi[2 * i] = i, xi[2 * i + 1] = 10 * i;
        yl[i] = i % 3, yu[i] = (unsigned char)(i % 3);
    }
    long s2[2] = {20, 2}, s1[1] = {20}, s19[1] = {19};
    npy("x.npy", 1, "<f4", "False", 2, s2, xf, sizeof xf);
    npy("y.npy", 1, "<i8", "False", 1, s1, yl, sizeof yl);
    npy("x2.npy", 2, "<f8", "False", 2, s2, xd, sizeof xd);
    npy("y2.npy", 2, "|u1", "False", 1, s1, yu, sizeof yu);
    npy("xi4.npy", 1, "<i4", "False", 2, s2, xi, sizeof xi);
    npy("fortran.npy", 1, "<f4", "True", 2, s2, xf, sizeof xf);
    npy("big.npy", 1, ">f4", "False", 2, s2, xf, sizeof xf);
    npy("y19.npy", 1, "<i8", "False", 1, s19, yl, 19 * sizeof *yl);

    h5("train.h5", 0, 20, 20, 0, 0);
    h5("val.h5", 100, 4, 4, 0, 0);
    h5("test.h5", 200, 6, 6, 0, 0);
    h5("mismatch.h5", 0, 20, 19, 0, 0);
    h5("strtype.h5", 0, 20, 20, 1, 0);
    h5("extlink.h5", 0, 20, 20, 0, 1);
    messy();
    h5_chunk_rows = 8;
    h5("blocks.h5", 0, 200, 200, 0, 0);
    return 0;
}
