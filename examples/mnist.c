/*
 * mnist.c — a LightningDataModule in C for MNIST-format IDX files (MNIST,
 * Fashion-MNIST, EMNIST-style), gzipped or not.
 *
 *   --data.data_dir DIR    where train-images-idx3-ubyte[.gz] etc. are
 *                          (default: /usr/share/datasets/fashion-mnist, from the
 *                          Debian package dataset-fashion-mnist)
 *   --data.batch_size 128  --data.val_size 5000  --data.split_seed 42
 *   --data.mean 0.2860 --data.std 0.3530   Normalize() after ToTensor() (x/255);
 *                                          use 0.1307 / 0.3081 for MNIST digits
 *
 * Like Lightning's MNIST examples: the 60000 training images are split into
 * 55000 train / 5000 val by random_split with a fixed generator seed (split_seed);
 * test is the 10000 t10k images. Samples: image float32 [1, 28, 28], label int64.
 */
#define LT_PLUGIN_DESCRIPTION "MNIST-format IDX files (Fashion-MNIST by default)"
#include <ltrun.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct idx_set {
    uint8_t *images; /* n * rows * cols */
    uint8_t *labels; /* n */
    int64_t n, rows, cols;
} idx_set;

typedef struct mnist {
    const char *data_dir;
    int64_t batch_size, val_size, split_seed;
    float lut[256];     /* pixel value -> normalised float */
    idx_set train, test;
    int64_t *perm;      /* random_split permutation of the 60000 training images */
    int64_t ntrain, nval;
} mnist;

static void *mnist_create(lt_ctx *ctx, const lt_hparams *hp) {
    mnist *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->data_dir = lt_hp_str(ctx, hp, "data_dir", "/usr/share/datasets/fashion-mnist");
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 128);
    d->val_size = lt_hp_int(ctx, hp, "val_size", 5000);
    d->split_seed = lt_hp_int(ctx, hp, "split_seed", 42);
    double mean = lt_hp_float(ctx, hp, "mean", 0.2860);
    double std = lt_hp_float(ctx, hp, "std", 0.3530);
    if (d->batch_size < 1) {
        lt_fail(ctx, "--data.batch_size must be >= 1, got %lld", (long long)d->batch_size);
        return NULL;
    }
    if (!(std > 0)) {
        lt_fail(ctx, "--data.std must be > 0, got %g", std);
        return NULL;
    }
    for (int v = 0; v < 256; v++) d->lut[v] = (float)(((double)v / 255.0 - mean) / std);
    return d;
}

static void free_set(idx_set *s) {
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static void mnist_destroy(lt_ctx *ctx, void *self) {
    mnist *d = self;
    free_set(&d->train);
    free_set(&d->test);
    free(d->perm);
}

/* Open DIR/NAME or DIR/NAME.gz; gzread reads plain files as they are. */
static gzFile open_idx(lt_ctx *ctx, const char *dir, const char *name, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s.gz", dir, name);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(path, cap, "%s/%s", dir, name);
        f = gzopen(path, "rb");
    }
    if (!f)
        lt_fail(ctx, "cannot open %s/%s[.gz]: %s (install dataset-fashion-mnist, or point "
                     "--data.data_dir at a folder of IDX files)", dir, name, strerror(errno));
    return f;
}

static int read_u32be(gzFile f, uint32_t *out) {
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* Read one IDX file: magic 0x0000080D (unsigned byte, D dims), D big-endian sizes, data. */
static uint8_t *read_idx(lt_ctx *ctx, const char *dir, const char *name, int want_dims,
                         int64_t dims[3]) {
    char path[4096];
    gzFile f = open_idx(ctx, dir, name, path, sizeof path);
    if (!f) return NULL;
    uint8_t *data = NULL;
    uint32_t magic = 0;
    if (read_u32be(f, &magic) || magic != (uint32_t)(0x800 | want_dims)) {
        lt_fail(ctx, "%s: not an IDX file of %d-dimensional unsigned bytes (magic 0x%08x, "
                     "expected 0x%08x)", path, want_dims, magic, 0x800u | (unsigned)want_dims);
        goto out;
    }
    int64_t total = 1;
    for (int i = 0; i < want_dims; i++) {
        uint32_t v;
        if (read_u32be(f, &v) || v == 0 || v > 100000000u) {
            lt_fail(ctx, "%s: bad or truncated header (dimension %d)", path, i);
            goto out;
        }
        dims[i] = v;
        total *= v;
    }
    data = malloc((size_t)total);
    if (!data) {
        lt_fail(ctx, "%s: out of memory for %lld bytes", path, (long long)total);
        goto out;
    }
    int64_t got = 0;
    while (got < total) {
        unsigned chunk = total - got > (1 << 30) ? 1u << 30 : (unsigned)(total - got);
        int r = gzread(f, data + got, chunk);
        if (r <= 0) break;
        got += r;
    }
    if (got != total) {
        lt_fail(ctx, "%s: truncated: %lld of %lld data bytes (re-download or reinstall the file)",
                path, (long long)got, (long long)total);
        free(data);
        data = NULL;
    }
out:
    gzclose(f);
    return data;
}

static lt_status load_set(lt_ctx *ctx, mnist *d, const char *prefix, idx_set *s) {
    char name[64];
    int64_t idims[3], ldims[3];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    s->images = read_idx(ctx, d->data_dir, name, 3, idims);
    if (!s->images) return LT_ERROR;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    s->labels = read_idx(ctx, d->data_dir, name, 1, ldims);
    if (!s->labels) return LT_ERROR;
    if (idims[0] != ldims[0])
        return lt_fail(ctx, "%s/%s-*: %lld images but %lld labels", d->data_dir, prefix,
                       (long long)idims[0], (long long)ldims[0]);
    for (int64_t i = 0; i < ldims[0]; i++)
        if (s->labels[i] > 9)
            return lt_fail(ctx, "%s/%s-labels-idx1-ubyte: label %d at index %lld is not a class "
                                "0..9", d->data_dir, prefix, s->labels[i], (long long)i);
    s->n = idims[0];
    s->rows = idims[1];
    s->cols = idims[2];
    return LT_OK;
}

static lt_status mnist_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    mnist *d = self;
    if ((stage == LT_STAGE_FIT || stage == LT_STAGE_VALIDATE) && !d->train.images) {
        if (load_set(ctx, d, "train", &d->train)) return LT_ERROR;
        if (d->val_size < 0 || d->val_size >= d->train.n)
            return lt_fail(ctx, "--data.val_size %lld: must be in [0, %lld)",
                           (long long)d->val_size, (long long)d->train.n);
        d->nval = d->val_size;
        d->ntrain = d->train.n - d->nval;
        d->perm = malloc((size_t)d->train.n * sizeof *d->perm);
        if (!d->perm) return lt_fail(ctx, "out of memory");
        /* random_split(full, [ntrain, nval], generator=seeded): first ntrain of a
         * seeded permutation are train, the rest val */
        lt_randperm(ctx, (uint64_t)d->split_seed, d->train.n, d->perm);
    }
    if (stage == LT_STAGE_TEST && !d->test.images)
        if (load_set(ctx, d, "t10k", &d->test)) return LT_ERROR;
    return LT_OK;
}

static lt_status mnist_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    mnist *d = self;
    const idx_set *s = split == LT_SPLIT_TEST ? &d->test : &d->train;
    if (!s->images || split == LT_SPLIT_PREDICT) return LT_OK; /* not set up: no data */
    ds->length = split == LT_SPLIT_TRAIN ? d->ntrain : split == LT_SPLIT_VAL ? d->nval : s->n;
    if (split == LT_SPLIT_VAL && d->nval == 0) ds->length = -1;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "image", .dtype = LT_FLOAT32, .ndim = 3,
                               .shape = {1, s->rows, s->cols}};
    ds->fields[1] = (lt_field){.name = "label", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status mnist_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                                void *const *dst) {
    mnist *d = self;
    const idx_set *s = split == LT_SPLIT_TEST ? &d->test : &d->train;
    int64_t i = index;
    if (split == LT_SPLIT_TRAIN) i = d->perm[index];
    else if (split == LT_SPLIT_VAL) i = d->perm[d->ntrain + index];
    int64_t npix = s->rows * s->cols;
    const uint8_t *px = s->images + i * npix;
    float *out = dst[0];
    for (int64_t p = 0; p < npix; p++) out[p] = d->lut[px[p]];
    *(int64_t *)dst[1] = s->labels[i];
    return LT_OK;
}

LT_DATAMODULE(mnist, .create = mnist_create, .destroy = mnist_destroy, .setup = mnist_setup,
              .dataset = mnist_dataset, .get_item = mnist_get_item)
