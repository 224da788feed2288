/*
 * make_idx.c — writes a small, learnable MNIST-format data set for the tests.
 *
 *   make_idx DIR NTRAIN NTEST [plain|gzip] [truncate|badmagic|badlabel]
 *
 * Class k (0..9) is a bright 6x6 block at a position that depends on k, on noisy
 * background; an MLP separates the classes within an epoch. The optional last
 * argument damages train-images (truncated data, wrong magic) or a train label.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint64_t state = 12345;
static unsigned rnd(void) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(state >> 33);
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static int write_file(const char *dir, const char *name, int gzip, const unsigned char *buf,
                      size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gzip ? ".gz" : "");
    if (gzip) {
        gzFile f = gzopen(path, "wb");
        if (!f || gzwrite(f, buf, (unsigned)n) != (int)n) return -1;
        return gzclose(f) == Z_OK ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n) return -1;
    return fclose(f);
}

static int make_set(const char *dir, const char *prefix, int n, int gzip, const char *damage) {
    size_t isz = 16 + (size_t)n * 784, lsz = 8 + (size_t)n;
    unsigned char *img = malloc(isz), *lab = malloc(lsz);
    if (!img || !lab) return -1;
    put_u32(img, damage && !strcmp(damage, "badmagic") ? 0x0801 : 0x0803);
    put_u32(img + 4, (uint32_t)n);
    put_u32(img + 8, 28);
    put_u32(img + 12, 28);
    put_u32(lab, 0x0801);
    put_u32(lab + 4, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        int k = (int)(rnd() % 10);
        lab[8 + i] = (unsigned char)k;
        unsigned char *px = img + 16 + (size_t)i * 784;
        for (int p = 0; p < 784; p++) px[p] = (unsigned char)(rnd() % 96);
        int r0 = 2 + (k / 5) * 12 + (int)(rnd() % 3), c0 = 2 + (k % 5) * 5;
        for (int r = r0; r < r0 + 6; r++)
            for (int c = c0; c < c0 + 4 && c < 28; c++) px[r * 28 + c] = (unsigned char)(200 + rnd() % 56);
    }
    if (damage && !strcmp(damage, "badlabel")) lab[8 + n / 2] = 42;
    if (damage && !strcmp(damage, "truncate")) isz = 16 + (size_t)n * 784 / 2;
    int rc = write_file(dir, strcmp(prefix, "train") ? "t10k-images-idx3-ubyte"
                                                     : "train-images-idx3-ubyte", gzip, img, isz) ||
             write_file(dir, strcmp(prefix, "train") ? "t10k-labels-idx1-ubyte"
                                                     : "train-labels-idx1-ubyte", gzip, lab, lsz);
    free(img);
    free(lab);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: make_idx DIR NTRAIN NTEST [plain|gzip] [truncate|badmagic|badlabel]\n");
        return 2;
    }
    int gzip = argc > 4 && !strcmp(argv[4], "gzip");
    const char *damage = argc > 5 ? argv[5] : NULL;
    if (make_set(argv[1], "train", atoi(argv[2]), gzip, damage) ||
        make_set(argv[1], "t10k", atoi(argv[3]), gzip, NULL)) {
        perror("make_idx");
        return 1;
    }
    return 0;
}
