/*
 * textchars.c — a LightningDataModule in C for character-level language modelling on
 * any text file, byte by byte (vocabulary: the 256 byte values, so any encoding works
 * and the model needs no vocabulary file).
 *
 *   --data.path FILE        the text (default /usr/share/common-licenses/GPL-3, which
 *                           Debian's base-files package puts on every system)
 *   --data.block_size 64    context length T
 *   --data.batch_size 32    --data.val_fraction 0.1
 *
 * As minGPT's CharDataset: sample i is x = text[i : i+T], y = text[i+1 : i+T+1] (the
 * next byte at every position), one sample per start position. The first
 * (1 - val_fraction) of the file trains, the rest validates (and tests): a split by
 * position, so no validation window overlaps the training text. Fields: x int64 [T],
 * y int64 [T].
 */
#define LT_PLUGIN_DESCRIPTION "byte-level text windows for language models (minGPT's CharDataset)"
#include <ltrun.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct textchars {
    const char *path;
    int64_t block_size, batch_size;
    double val_fraction;
    unsigned char *text; /* the whole file */
    int64_t len, ntrain; /* bytes; the first ntrain bytes train */
} textchars;

static void *text_create(lt_ctx *ctx, const lt_hparams *hp) {
    textchars *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->path = lt_hp_str(ctx, hp, "path", "/usr/share/common-licenses/GPL-3");
    d->block_size = lt_hp_int(ctx, hp, "block_size", 64);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 32);
    d->val_fraction = lt_hp_float(ctx, hp, "val_fraction", 0.1);
    if (d->block_size < 1 || d->batch_size < 1) {
        lt_fail(ctx, "--data.block_size and --data.batch_size must be >= 1");
        return NULL;
    }
    if (!(d->val_fraction > 0 && d->val_fraction < 1)) {
        lt_fail(ctx, "--data.val_fraction must be in (0, 1), got %g", d->val_fraction);
        return NULL;
    }
    return d;
}

static void text_destroy(lt_ctx *ctx, void *self) {
    textchars *d = self;
    free(d->text);
}

static lt_status text_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    textchars *d = self;
    if (d->text) return LT_OK;
    FILE *f = fopen(d->path, "rb");
    if (!f) return lt_fail(ctx, "cannot open %s: %s (set --data.path to a text file)", d->path,
                           strerror(errno));
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *grown = realloc(buf, cap *= 2);
            if (!grown) free(buf);
            buf = grown;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) return lt_fail(ctx, "%s: out of memory", d->path);
    if (err) {
        free(buf);
        return lt_fail(ctx, "%s: read error", d->path);
    }
    d->text = buf;
    d->len = (int64_t)n;
    d->ntrain = (int64_t)((double)n * (1 - d->val_fraction));
    /* each part needs at least one window of T + 1 bytes */
    if (d->ntrain < d->block_size + 1 || d->len - d->ntrain < d->block_size + 1)
        return lt_fail(ctx, "%s: %lld bytes are too few for block_size %lld with val_fraction "
                            "%g (each split needs block_size + 1 bytes)", d->path,
                       (long long)d->len, (long long)d->block_size, d->val_fraction);
    return LT_OK;
}

static lt_status text_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    textchars *d = self;
    if (!d->text || split == LT_SPLIT_PREDICT) return LT_OK;
    int64_t part = split == LT_SPLIT_TRAIN ? d->ntrain : d->len - d->ntrain;
    ds->length = part - d->block_size; /* start positions with T + 1 bytes after them */
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_INT64, .ndim = 1, .shape = {d->block_size}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 1, .shape = {d->block_size}};
    return LT_OK;
}

static lt_status text_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                               void *const *dst) {
    textchars *d = self;
    const unsigned char *p = d->text + index + (split == LT_SPLIT_TRAIN ? 0 : d->ntrain);
    int64_t *x = dst[0], *y = dst[1];
    for (int64_t t = 0; t < d->block_size; t++) {
        x[t] = p[t];
        y[t] = p[t + 1];
    }
    return LT_OK;
}

LT_DATAMODULE(textchars, .create = text_create, .destroy = text_destroy, .setup = text_setup,
              .dataset = text_dataset, .get_item = text_get_item)
