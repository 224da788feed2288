/*
 * zlib_data.c — a decode-heavy data module for bench/loader.sh: `length`
 * samples of `dim` float32 values (default 4096 x 3072, a 3x32x32 image each) stored
 * zlib-compressed in memory and inflated by get_item, as a loader reading compressed
 * records (PNG/JPEG files, compressed HDF5 chunks) does. Label: sample index % 10.
 * Hparams: length, dim, batch_size (64), shuffle (true), level (zlib level, 6).
 */
#include <ltrun.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    int64_t length, dim, batch_size;
    bool shuffle;
    unsigned char **blob; /* compressed samples */
    uLongf *blob_len;
} zd;

static void zd_destroy(lt_ctx *ctx, void *self) {
    zd *d = self;
    (void)ctx;
    for (int64_t i = 0; d->blob && i < d->length; i++) free(d->blob[i]);
    free(d->blob);
    free(d->blob_len);
}

static void *zd_create(lt_ctx *ctx, const lt_hparams *hp) {
    zd *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->length = lt_hp_int(ctx, hp, "length", 4096);
    d->dim = lt_hp_int(ctx, hp, "dim", 3072);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 64);
    d->shuffle = lt_hp_bool(ctx, hp, "shuffle", true);
    int level = (int)lt_hp_int(ctx, hp, "level", 6);
    if (d->length < 1 || d->dim < 1) {
        lt_fail(ctx, "zlib_data: length and dim must be >= 1");
        return NULL;
    }
    d->blob = calloc((size_t)d->length, sizeof *d->blob);
    d->blob_len = calloc((size_t)d->length, sizeof *d->blob_len);
    float *x = malloc((size_t)d->dim * sizeof *x);
    if (!d->blob || !d->blob_len || !x) goto oom;
    uint64_t s = 88172645463325252ull;
    for (int64_t i = 0; i < d->length; i++) {
        /* an image-like signal: smooth ramps with 8-bit noise, so it compresses ~2x */
        for (int64_t k = 0; k < d->dim; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            x[k] = (float)((k % 32) * 4 + (int)(s & 15) + (int)(i % 10) * 8) / 255.0f;
        }
        uLongf cap = compressBound((uLong)(d->dim * sizeof *x));
        d->blob[i] = malloc(cap);
        if (!d->blob[i]) goto oom;
        d->blob_len[i] = cap;
        if (compress2(d->blob[i], &d->blob_len[i], (const Bytef *)x,
                      (uLong)(d->dim * sizeof *x), level) != Z_OK) {
            free(x);
            zd_destroy(ctx, d);
            lt_fail(ctx, "zlib_data: compress2 failed");
            return NULL;
        }
    }
    free(x);
    return d;
oom:
    free(x);
    zd_destroy(ctx, d);
    lt_fail(ctx, "zlib_data: out of memory");
    return NULL;
}

static lt_status zd_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    zd *d = self;
    (void)ctx;
    if (split != LT_SPLIT_TRAIN && split != LT_SPLIT_VAL) return LT_OK;
    ds->length = d->length;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN && d->shuffle;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {d->dim}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status zd_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    zd *d = self;
    (void)split;
    uLongf n = (uLongf)(d->dim * sizeof(float));
    if (uncompress(dst[0], &n, d->blob[i], d->blob_len[i]) != Z_OK || n != d->dim * sizeof(float))
        return lt_fail(ctx, "zlib_data: sample %lld does not inflate", (long long)i);
    *(int64_t *)dst[1] = i % 10;
    return LT_OK;
}

LT_DATAMODULE(zlib_data, .create = zd_create, .destroy = zd_destroy, .dataset = zd_dataset,
              .get_item = zd_get_item)
