/* fail_data.c — trace_data's layout (x float [2], y int64, idx int64; batch 4), 64
 * samples a split, whose get_item fails at sample `fail_at` (-1: never) and sleeps
 * `slow_us` on every 5th sample: a data module for the loader's worker tests.
 * worker_init (ABI 1.5) prints "worker_init SPLIT ID of N" and fails for worker
 * `init_fail` (-1: none); it keeps the id in a thread-local that get_item checks against
 * lt_worker_info (and that there is no worker id on a num_workers 0 fetch). Sample
 * `crash_at` of the training split (-1: never) faults instead, for tests/test_fault.sh's
 * crash report from the trainer thread, the OpenMP threads or a loader worker. */
#include <ltrun.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef struct {
    int64_t fail_at, slow_us, init_fail, crash_at;
} fd;

static _Thread_local int my_worker = -1; /* what worker_init was told on this thread */

static lt_status fd_worker_init(lt_ctx *ctx, void *self, lt_split split, int id, int n) {
    const fd *d = self;
    fprintf(stderr, "worker_init %s %d of %d\n",
            split == LT_SPLIT_TRAIN ? "train" : split == LT_SPLIT_VAL ? "val" : "other", id, n);
    if (id == d->init_fail) return lt_fail(ctx, "cannot open the shard of worker %d", id);
    my_worker = id;
    return LT_OK;
}

static void *fd_create(lt_ctx *ctx, const lt_hparams *hp) {
    fd *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->fail_at = lt_hp_int(ctx, hp, "fail_at", -1);
    d->slow_us = lt_hp_int(ctx, hp, "slow_us", 0);
    d->init_fail = lt_hp_int(ctx, hp, "init_fail", -1);
    d->crash_at = lt_hp_int(ctx, hp, "crash_at", -1);
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
    int id, n;
    bool in_worker = lt_worker_info(ctx, &id, &n);
    if (in_worker ? id != my_worker || n < 1 : my_worker != -1 || id != -1 || n != 0)
        return lt_fail(ctx, "lt_worker_info says %s worker %d of %d, worker_init said %d",
                       in_worker ? "" : "no", id, n, my_worker);
    if (d->slow_us > 0 && i % 5 == 0) {
        struct timespec ts = {0, (long)(d->slow_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (split == LT_SPLIT_TRAIN && i == d->crash_at) {
        /* a NULL struct's member: a real fault (UBSan would stop a write to NULL itself) */
        volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
        *nowhere = 1;
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
LT_DATAMODULE(faildata, .create = fd_create, .dataset = fd_dataset, .get_item = fd_get_item,
              .worker_init = fd_worker_init)
