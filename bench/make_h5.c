/*
 * make_h5.c — writes the HDF5 file bench/loader.sh reads through the hdf5 data plugin
 * over its memory budget: X float32 [N, 784] (pixel/255 of Fashion-MNIST's training
 * images, repeated `copies` times so the file outgrows the budget) chunked by 64 rows,
 * y int64 [N] (the labels), both at the root.
 *
 *   make_h5 OUT.h5 TRAIN_IMAGES_IDX TRAIN_LABELS_IDX [COPIES]
 *
 * The IDX files must be decompressed (the mnist plugin's cache holds them, or gunzip).
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*len);
    if (!b || fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        fprintf(stderr, "%s: read failed\n", path);
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT.h5 TRAIN_IMAGES_IDX TRAIN_LABELS_IDX [COPIES]\n", argv[0]);
        return 2;
    }
    int copies = argc > 4 ? atoi(argv[4]) : 1;
    long ilen, llen;
    unsigned char *img = slurp(argv[2], &ilen), *lab = slurp(argv[3], &llen);
    if (!img || !lab || ilen < 16 || llen < 8) return 1;
    hsize_t n1 = (hsize_t)(llen - 8), pix = 784;
    if ((hsize_t)(ilen - 16) != n1 * pix) {
        fprintf(stderr, "make_h5: %s is not a 28x28 IDX image file for %s\n", argv[2], argv[3]);
        return 1;
    }
    hsize_t n = n1 * (hsize_t)copies;
    hid_t f = H5Fcreate(argv[1], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t xdims[2] = {n, pix}, chunk[2] = {64, pix}, ydims[1] = {n}, ychunk[1] = {4096};
    hid_t xs = H5Screate_simple(2, xdims, NULL), ys = H5Screate_simple(1, ydims, NULL);
    hid_t xp = H5Pcreate(H5P_DATASET_CREATE), yp = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(xp, 2, chunk);
    H5Pset_chunk(yp, 1, ychunk);
    hid_t x = H5Dcreate2(f, "X", H5T_IEEE_F32LE, xs, H5P_DEFAULT, xp, H5P_DEFAULT);
    hid_t y = H5Dcreate2(f, "y", H5T_STD_I64LE, ys, H5P_DEFAULT, yp, H5P_DEFAULT);
    float *rows = malloc(n1 * pix * sizeof *rows);
    int64_t *labels = malloc(n1 * sizeof *labels);
    if (f < 0 || x < 0 || y < 0 || !rows || !labels) {
        fprintf(stderr, "make_h5: cannot create %s\n", argv[1]);
        return 1;
    }
    for (hsize_t i = 0; i < n1 * pix; i++) rows[i] = (float)img[16 + i] / 255.0f;
    for (hsize_t i = 0; i < n1; i++) labels[i] = lab[8 + i];
    for (int c = 0; c < copies; c++) { /* one hyperslab per copy */
        hsize_t off[2] = {n1 * (hsize_t)c, 0}, cnt[2] = {n1, pix};
        hid_t mx = H5Screate_simple(2, cnt, NULL), my = H5Screate_simple(1, cnt, NULL);
        H5Sselect_hyperslab(xs, H5S_SELECT_SET, off, NULL, cnt, NULL);
        H5Sselect_hyperslab(ys, H5S_SELECT_SET, off, NULL, cnt, NULL);
        if (H5Dwrite(x, H5T_NATIVE_FLOAT, mx, xs, H5P_DEFAULT, rows) < 0 ||
            H5Dwrite(y, H5T_NATIVE_INT64, my, ys, H5P_DEFAULT, labels) < 0) {
            fprintf(stderr, "make_h5: writing %s failed\n", argv[1]);
            return 1;
        }
        H5Sclose(mx);
        H5Sclose(my);
    }
    H5Dclose(x);
    H5Dclose(y);
    H5Pclose(xp);
    H5Pclose(yp);
    H5Sclose(xs);
    H5Sclose(ys);
    H5Fclose(f);
    free(rows);
    free(labels);
    free(img);
    free(lab);
    printf("make_h5: %s: %llu samples, %.0f MB of X\n", argv[1], (unsigned long long)n,
           (double)(n * pix * 4) / 1e6);
    return 0;
}
