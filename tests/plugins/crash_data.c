/* crash_data.c — fail_data's layout (x float [2], y int64, idx int64; 64 samples a split,
 * batch 4) whose get_item writes through NULL for sample `crash_at` of the training
 * split (-1: never), for tests/test_fault.sh: on the trainer thread, on the OpenMP
 * threads or on a loader worker thread, as --data.num_workers says. */
#include <ltrun.h>

#include <stdint.h>

typedef struct {
    int64_t crash_at;
} cd;

static void *cd_create(lt_ctx *ctx, const lt_hparams *hp) {
    cd *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->crash_at = lt_hp_int(ctx, hp, "crash_at", -1);
    return d;
}

static lt_status cd_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    (void)ctx, (void)self;
    if (split == LT_SPLIT_PREDICT) return LT_OK;
    ds->length = 64;
    ds->batch_size = 4;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = 3;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    ds->fields[2] = (lt_field){.name = "idx", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status cd_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    (void)ctx;
    const cd *d = self;
    if (split == LT_SPLIT_TRAIN && i == d->crash_at) {
        /* a NULL struct's member: a real fault (UBSan would stop a write to NULL itself) */
        volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
        *nowhere = 1;
    }
    float *x = dst[0];
    x[0] = (float)(i % 2);
    x[1] = (float)(1 - i % 2);
    *(int64_t *)dst[1] = i % 2;
    *(int64_t *)dst[2] = i;
    return LT_OK;
}

LT_DATAMODULE(crashdata, .create = cd_create, .dataset = cd_dataset, .get_item = cd_get_item)
