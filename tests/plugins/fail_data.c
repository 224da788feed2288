/* fail_data.c — trace_data's layout (x float [2], y int64, idx int64; batch 4), 64
 * samples a split, whose get_item fails at sample `fail_at` (-1: never) and sleeps
 * `slow_us` on every 5th sample: a data module for the loader's worker tests (issue 7). */
#include <ltrun.h>

#include <time.h>

typedef struct {
    int64_t fail_at, slow_us;
} fd;

static void *fd_create(lt_ctx *ctx, const lt_hparams *hp) {
    fd *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->fail_at = lt_hp_int(ctx, hp, "fail_at", -1);
    d->slow_us = lt_hp_int(ctx, hp, "slow_us", 0);
    return d;
}
static lt_status fd_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
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
static lt_status fd_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    const fd *d = self;
    if (d->slow_us > 0 && i % 5 == 0) {
        struct timespec ts = {0, (long)(d->slow_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (split == LT_SPLIT_TRAIN && i == d->fail_at)
        return lt_fail(ctx, "sample %lld is unreadable", (long long)i);
    float *x = dst[0];
    x[0] = (float)(i % 2);
    x[1] = (float)(1 - i % 2);
    *(int64_t *)dst[1] = i % 2;
    *(int64_t *)dst[2] = i;
    return LT_OK;
}
LT_DATAMODULE(faildata, .create = fd_create, .dataset = fd_dataset, .get_item = fd_get_item)
