/* test_workers.c — the DataLoader's worker threads: the same batches for any
 * num_workers / prefetch_factor, strict order when samples are slow, a worker's
 * get_item error named and not hanging, persistent_workers, resume at batch k, and
 * DataLoader's option checks. */
#include "core/context.h"
#include "data/dataloader.h"
#include "data/workers.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXN 512
static int64_t fail_at = -1;
static int slow_mode;                 /* 1: some samples sleep up to 2 ms */
static atomic_int calls[MAXN];        /* get_item calls per sample index */

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* sample i = (x: float [3] = {i, 2i, -i}, y: int64 = i) */
static lt_status get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index, void *const *dst) {
    (void)self, (void)split;
    if (index < MAXN) atomic_fetch_add(&calls[index], 1);
    if (slow_mode && (index * 2654435761u) % 7 == 0) sleep_us((long)((index * 40503u) % 2000));
    if (index == fail_at) return ltr_fail(ctx, "sample %lld is corrupt", (long long)index);
    float *x = dst[0];
    x[0] = (float)index, x[1] = 2.0f * (float)index, x[2] = -(float)index;
    *(int64_t *)dst[1] = index;
    return LT_OK;
}

static lt_dataset make_ds(int64_t n, int64_t bs, bool shuffle, int nw, int pf) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = n;
    ds.batch_size = bs;
    ds.shuffle = shuffle;
    ds.nfields = 2;
    ds.fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {3}};
    ds.fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    ds.num_workers = nw;
    ds.prefetch_factor = pf;
    ds.seed = -1;
    return ds;
}

/* every batch of `epochs` epochs, y values flattened (-1 after a partial batch) */
static void run_epochs(int nw, int pf, bool persistent, int epochs, int64_t *out, int64_t n,
                       int64_t bs) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(n, bs, true, nw, pf);
    ds.persistent_workers = persistent;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 42), LT_OK);
    int64_t nb = ltr_dataloader_len(&dl), k = 0;
    for (int e = 0; e < epochs; e++) {
        ltr_dataloader_set_epoch(&dl, e);
        for (int64_t b = 0; b < nb; b++) {
            lt_batch *bt;
            ck_assert_int_eq(ltr_dataloader_get(&dl, b, &bt), LT_OK);
            const int64_t *y = bt->fields[1]->data;
            const float *x = bt->fields[0]->data;
            ck_assert_int_eq(bt->fields[0]->shape[0], bt->size);
            for (int64_t i = 0; i < bs; i++) {
                if (i < bt->size) {
                    ck_assert(x[3 * i] == (float)y[i] && x[3 * i + 2] == -(float)y[i]);
                    out[k++] = y[i];
                } else {
                    out[k++] = -1;
                }
            }
        }
    }
    ltr_dataloader_free(&dl);
}

START_TEST(same_batches_for_any_workers_and_prefetch) {
    enum { N = 37, BS = 4, EP = 3, NB = (N + BS - 1) / BS };
    static int64_t want[EP * NB * BS], got[EP * NB * BS];
    run_epochs(0, 2, false, EP, want, N, BS);
    for (int nw = 1; nw <= 3; nw++)
        for (int pf = 1; pf <= 4; pf++) {
            memset(got, 0xff, sizeof got);
            run_epochs(nw, pf, pf % 2 == 0, EP, got, N, BS);
            for (int i = 0; i < EP * NB * BS; i++)
                ck_assert_msg(got[i] == want[i], "num_workers %d prefetch %d: slot %d is %lld, "
                              "want %lld", nw, pf, i, (long long)got[i], (long long)want[i]);
        }
}
END_TEST

/* some samples sleep: the batches still come in the sampler's order */
START_TEST(in_order_when_samples_are_slow) {
    enum { N = 64, BS = 2, EP = 2, NB = N / BS };
    static int64_t want[EP * NB * BS], got[EP * NB * BS];
    run_epochs(0, 2, false, EP, want, N, BS);
    slow_mode = 1;
    run_epochs(3, 3, false, EP, got, N, BS);
    slow_mode = 0;
    ck_assert_mem_eq(got, want, sizeof want);
}
END_TEST

/* a worker's get_item error names the split and index, comes at its batch's turn (the
 * batches before it are delivered), and returns instead of hanging (check's timeout) */
START_TEST(worker_error_names_index_without_hang) {
    for (int persistent = 0; persistent <= 1; persistent++) {
        ltr_ctx ctx;
        ltr_ctx_init(&ctx, NULL);
        ltr_dataloader dl;
        lt_dataset ds = make_ds(40, 4, false, 2, 2);
        ds.persistent_workers = persistent;
        ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 1), LT_OK);
        fail_at = 21; /* batch 5 */
        lt_batch *b;
        for (int64_t i = 0; i < 5; i++) ck_assert_int_eq(ltr_dataloader_get(&dl, i, &b), LT_OK);
        ck_assert_int_eq(ltr_dataloader_get(&dl, 5, &b), LT_ERROR);
        char msg[1024];
        ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
        ck_assert_msg(strstr(msg, "get_item(val, 21) failed: sample 21 is corrupt"), "%s", msg);
        ck_assert_int_eq(ltr_workers_alive(dl.workers), persistent ? 2 : 0);
        fail_at = -1;
        /* the loader is usable again (a new epoch) */
        ltr_dataloader_set_epoch(&dl, 1);
        ck_assert_int_eq(ltr_dataloader_get(&dl, 5, &b), LT_OK);
        ck_assert_int_eq(((int64_t *)b->fields[1]->data)[1], 21);
        ltr_dataloader_free(&dl);
    }
}
END_TEST

/* persistent_workers keeps the threads between epochs; otherwise they end with the
 * epoch (its last batch) or at set_epoch, and always at free */
START_TEST(persistent_workers_outlive_the_epoch) {
    for (int persistent = 0; persistent <= 1; persistent++) {
        ltr_ctx ctx;
        ltr_ctx_init(&ctx, NULL);
        ltr_dataloader dl;
        lt_dataset ds = make_ds(12, 4, true, 3, 2);
        ds.persistent_workers = persistent;
        ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
        ck_assert_int_eq(ltr_workers_alive(dl.workers), 0); /* started by the first get */
        lt_batch *b;
        ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
        ck_assert_int_eq(ltr_workers_alive(dl.workers), 3);
        ltr_dataloader_set_epoch(&dl, 1); /* an epoch left early (limit_train_batches) */
        ck_assert_int_eq(ltr_workers_alive(dl.workers), persistent ? 3 : 0);
        for (int64_t i = 0; i < 3; i++) ck_assert_int_eq(ltr_dataloader_get(&dl, i, &b), LT_OK);
        ck_assert_int_eq(ltr_workers_alive(dl.workers), persistent ? 3 : 0); /* exhausted */
        ltr_dataloader_free(&dl);
    }
}
END_TEST

/* a resumed epoch starts at batch k: the workers fetch from k on, never 0..k-1, and a
 * batch asked out of turn (random access) is right too */
START_TEST(resume_prefetches_from_batch_k) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(100, 5, false, 2, 3);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    for (int i = 0; i < MAXN; i++) atomic_store(&calls[i], 0);
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 7, &b), LT_OK);
    ck_assert_int_eq(((int64_t *)b->fields[1]->data)[0], 35);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 8, &b), LT_OK);
    ck_assert_int_eq(((int64_t *)b->fields[1]->data)[4], 44);
    ltr_dataloader_set_epoch(&dl, 1); /* waits for the fetches under way */
    for (int i = 0; i < 35; i++) ck_assert_int_eq(atomic_load(&calls[i]), 0);
    /* at most 1 + num_workers * prefetch_factor batches ahead of the last get */
    for (int i = 5 * (9 + 6); i < 100; i++) ck_assert_int_eq(atomic_load(&calls[i]), 0);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 3, &b), LT_OK);
    ck_assert_int_eq(((int64_t *)b->fields[1]->data)[2], 17);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 19, &b), LT_OK); /* the last batch */
    ck_assert_int_eq(((int64_t *)b->fields[1]->data)[4], 99);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
    ck_assert_int_eq(((int64_t *)b->fields[1]->data)[0], 0);
    /* random access mixed with short sequential runs: each restart's batches land in
     * their own slots (a worker woken mid-restart once fetched from the old start) */
    uint64_t r = 12345;
    for (int it = 0; it < 300; it++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int64_t start = (int64_t)((r >> 33) % 20);
        for (int64_t k = start; k < start + 3 && k < 20; k++) {
            ck_assert_int_eq(ltr_dataloader_get(&dl, k, &b), LT_OK);
            const int64_t *y = b->fields[1]->data;
            for (int i = 0; i < 5; i++) ck_assert_int_eq(y[i], 5 * k + i);
        }
    }
    ltr_dataloader_free(&dl);
}
END_TEST

static void expect_init_error(lt_dataset ds, const char *want) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    char msg[1024];
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_msg(strstr(msg, want) && strstr(msg, "the val loader"), "'%s' lacks '%s'", msg, want);
}

/* torch.utils.data.DataLoader.__init__'s checks (torch 1.13 messages) */
START_TEST(options_are_checked_as_pytorch_does) {
    expect_init_error(make_ds(8, 2, false, -1, 2), "num_workers option should be non-negative");
    expect_init_error(make_ds(8, 2, false, 0, 4),
                      "prefetch_factor option could only be specified in multiprocessing");
    expect_init_error(make_ds(8, 2, false, 2, 0), "prefetch_factor must be > 0");
    lt_dataset ds = make_ds(8, 2, false, 0, 2);
    ds.persistent_workers = true;
    expect_init_error(ds, "persistent_workers option needs num_workers > 0");
    /* pin_memory without a device accelerator: accepted (PyTorch warns and ignores) */
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    ds = make_ds(8, 2, false, 1, 2);
    ds.pin_memory = true;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ltr_dataloader_free(&dl);
}
END_TEST


/* worker_init runs on the worker thread with the worker's own context; a restart of the
 * prefetch (a batch asked out of turn) must not reset that context while worker_init
 * still runs on it: worker 1's init fails slowly, and its message must survive a
 * restart made meanwhile (it was lost, "(no message)", when the restart did not wait) */
static lt_status slow_failing_init(lt_ctx *ctx, void *self, lt_split split, int id, int n) {
    (void)self, (void)split, (void)n;
    if (id != 1) return LT_OK;
    ltr_fail(ctx, "worker 1 could not open its shard");
    sleep_us(100000);
    return LT_ERROR;
}

START_TEST(restart_waits_for_worker_init) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(40, 2, false, 2, 2);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 1), LT_OK);
    dl.worker_init = slow_failing_init;
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK); /* worker 0's */
    /* out of turn while worker 1 is (likely) still in its init: the run restarts at 5
     * (worker 0's), and batch 6 is worker 1's */
    ck_assert_int_eq(ltr_dataloader_get(&dl, 5, &b), LT_OK);
    lt_status rc = ltr_dataloader_get(&dl, 6, &b);
    ck_assert_int_eq(rc, LT_ERROR);
    char msg[1024];
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "worker_init(val, worker 1 of 2) failed: worker 1 could not open "
                              "its shard"), "%s", msg);
    ltr_dataloader_free(&dl);
}
END_TEST

int main(void) {
    Suite *s = suite_create("workers");
    TCase *tc = tcase_create("workers");
    tcase_set_timeout(tc, 60); /* a hang fails instead of blocking the suite */
    tcase_add_test(tc, same_batches_for_any_workers_and_prefetch);
    tcase_add_test(tc, in_order_when_samples_are_slow);
    tcase_add_test(tc, worker_error_names_index_without_hang);
    tcase_add_test(tc, persistent_workers_outlive_the_epoch);
    tcase_add_test(tc, resume_prefetches_from_batch_k);
    tcase_add_test(tc, options_are_checked_as_pytorch_does);
    tcase_add_test(tc, restart_waits_for_worker_init);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
