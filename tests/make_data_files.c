/* make_data_files.c — writes the small files tests/test_data_plugins.sh trains on (issue 7):
 * row i of a table has x = [i, i + 0.5] and label i % 3. Usage: make_data_files DIR.
 *   train.csv (header a,b,label; 20 rows), val.csv (rows 100..103), test.csv (rows 200..205),
 *   noheader.csv (label first, ';'), missing.csv, nonnum.csv, reg.csv (float targets);
 *   x.npy '<f4' v1.0 / y.npy '<i8', x2.npy '<f8' v2.0 / y2.npy '|u1', xi4.npy '<i4',
 *   fortran.npy, big.npy ('>f4'), y19.npy (19 rows);
 *   train.h5 (/data/X float64 [20,2] chunked by 4 rows, /data/y int32 [20]), val.h5 (rows
 *   100..103), test.h5 (rows 200..205), mismatch.h5 (y has 19 rows), strtype.h5 (y is a
 *   string dataset), extlink.h5 (/data/X an external link), blocks.h5 (rows 0..199 chunked
 *   by 8 rows: the hdf5 plugin's block shuffle). */
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

static void table(const char *name, int first, int n, const char *head) {
    FILE *f = open_out(name);
    if (head) fprintf(f, "%s\n", head);
    for (int i = first; i < first + n; i++) fprintf(f, "%d,%g,%d\n", i, i + 0.5, i % 3);
    fclose(f);
}

static void npy(const char *name, int version, const char *descr, const char *fortran,
                int ndim, const long *shape, const void *data, size_t bytes) {
    char h[256], sh[64] = "";
    for (int i = 0; i < ndim; i++) snprintf(sh + strlen(sh), sizeof sh - strlen(sh), "%ld,%s", shape[i], ndim > 1 && i == ndim - 1 ? "" : " ");
    snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, fortran, sh);
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
    h5_chunk_rows = 8;
    h5("blocks.h5", 0, 200, 200, 0, 0);
    return 0;
}
