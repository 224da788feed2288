/* ddp_data.c — a small deterministic classification set for the ddp tests
 * (tests/test_ddp.sh): sample i has x float [8] (a fixed function of i), y int64 in
 * [0, 4) and idx int64 = i, so a module can say which samples a rank saw. Hparams:
 * length (256, every split), batch_size (16), drop_last (true: even shards), shuffle
 * (true: the train split). DDP_PREPARE=FILE: prepare_data appends "prepare_data rank R"
 * to FILE (Lightning runs it on local rank 0 of each node only). */
#include <ltrun.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int64_t length, batch_size;
    bool drop_last, shuffle;
} dd;

static void *dd_create(lt_ctx *ctx, const lt_hparams *hp) {
    dd *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->length = lt_hp_int(ctx, hp, "length", 256);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 16);
    d->drop_last = lt_hp_bool(ctx, hp, "drop_last", true);
    d->shuffle = lt_hp_bool(ctx, hp, "shuffle", true);
    return d;
}

static lt_status dd_prepare_data(lt_ctx *ctx, void *self) {
    const char *path = getenv("DDP_PREPARE");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "prepare_data rank %d\n", (int)ctx->rank);
        fclose(f);
    }
    return LT_OK;
}

static lt_status dd_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    dd *d = self;
    ds->length = d->length;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN && d->shuffle;
    ds->drop_last = d->drop_last;
    ds->nfields = 3;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {8}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    ds->fields[2] = (lt_field){.name = "idx", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status dd_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    float *x = dst[0];
    for (int k = 0; k < 8; k++) x[k] = (float)sin(0.37 * (double)(i + 1) * (k + 1) + split);
    *(int64_t *)dst[1] = (i * 7 + i / 5) % 4;
    *(int64_t *)dst[2] = i;
    return LT_OK;
}

LT_DATAMODULE(ddp_data, .create = dd_create, .prepare_data = dd_prepare_data, .dataset = dd_dataset, .get_item = dd_get_item)
