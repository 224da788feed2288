/* test_dataloader.c — batching, drop_last, seeded shuffling and fetch errors. */
#include "core/context.h"
#include "data/dataloader.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* sample i = (x: float [2] = {i, -i}, y: int64 = i) ; fails at index `fail_at` (and
 * `fail_at2`) */
static int64_t fail_at = -1, fail_at2 = -1;

static lt_status get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index, void *const *dst) {
    if (index == fail_at || index == fail_at2)
        return ltr_fail(ctx, "sample %lld is corrupt", (long long)index);
    float *x = dst[0];
    x[0] = (float)index;
    x[1] = -(float)index;
    *(int64_t *)dst[1] = index;
    return LT_OK;
}

static lt_dataset make_ds(int64_t n, int64_t bs, bool shuffle, bool drop_last) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = n;
    ds.batch_size = bs;
    ds.shuffle = shuffle;
    ds.drop_last = drop_last;
    ds.nfields = 2;
    ds.fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds.fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return ds;
}

START_TEST(len_and_partial_last_batch) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(10, 4, false, false);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 3);
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 2, &b), LT_OK);
    ck_assert_int_eq(b->size, 2);
    ck_assert_int_eq(b->fields[0]->shape[0], 2);
    ck_assert_int_eq(b->fields[0]->shape[1], 2);
    float *x = b->fields[0]->data;
    int64_t *y = b->fields[1]->data;
    ck_assert_float_eq(x[0], 8.0f);
    ck_assert_float_eq(x[1], -8.0f);
    ck_assert_float_eq(x[2], 9.0f);
    ck_assert_int_eq(y[1], 9);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 3, &b), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, NULL, 0));
    ltr_dataloader_free(&dl);
    ds = make_ds(10, 4, false, true);
    ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 2); /* drop_last */
    ltr_dataloader_free(&dl);
}
END_TEST

static void epoch_labels(ltr_dataloader *dl, int64_t epoch, int64_t *out) {
    ltr_dataloader_set_epoch(dl, epoch);
    int64_t k = 0;
    for (int64_t b = 0; b < ltr_dataloader_len(dl); b++) {
        lt_batch *batch;
        ck_assert_int_eq(ltr_dataloader_get(dl, b, &batch), LT_OK);
        for (int64_t i = 0; i < batch->size; i++) out[k++] = ((int64_t *)batch->fields[1]->data)[i];
    }
}

START_TEST(shuffle_is_seeded_permutation_per_epoch) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    enum { N = 100 };
    ltr_dataloader a, b;
    lt_dataset ds = make_ds(N, 7, true, false);
    ltr_dataloader_init(&a, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 42);
    ltr_dataloader_init(&b, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 42);
    int64_t e0[N], e0b[N], e1[N];
    epoch_labels(&a, 0, e0);
    epoch_labels(&b, 0, e0b);
    epoch_labels(&a, 1, e1);
    ck_assert_mem_eq(e0, e0b, sizeof e0); /* same seed, same epoch: same order */
    ck_assert(memcmp(e0, e1, sizeof e0) != 0); /* a new order each epoch */
    int seen[N] = {0};
    bool identity = true;
    for (int i = 0; i < N; i++) {
        seen[e1[i]]++;
        identity &= e0[i] == i;
    }
    for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1); /* a permutation */
    ck_assert(!identity);
    ltr_dataloader_free(&a);
    ltr_dataloader_free(&b);
}
END_TEST

/* batches of 64 KB and more are fetched on the OpenMP threads: every row in place, and
 * of two failing samples the lower index is the one reported, with its own message */
START_TEST(parallel_fetch_rows_and_errors) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(20000, 8192, true, false);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 7), LT_OK);
    ltr_dataloader_set_epoch(&dl, 0);
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_OK);
    const float *x = b->fields[0]->data;
    const int64_t *y = b->fields[1]->data;
    for (int64_t i = 0; i < 8192; i++) {
        ck_assert_int_eq(y[i], dl.order[8192 + i]);
        ck_assert(x[2 * i] == (float)y[i] && x[2 * i + 1] == -(float)y[i]);
    }
    fail_at = dl.order[8192 + 7000], fail_at2 = dl.order[8192 + 100];
    ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_ERROR);
    char msg[1024], want[64];
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    snprintf(want, sizeof want, "get_item(train, %lld) failed: sample %lld is corrupt",
             (long long)fail_at2, (long long)fail_at2);
    ck_assert_msg(strstr(msg, want) != NULL, "'%s' lacks '%s'", msg, want);
    fail_at = fail_at2 = -1;
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(fetch_error_names_split_and_index) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(10, 4, false, false);
    ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 1);
    fail_at = 5;
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_ERROR);
    char msg[1024];
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "get_item(val, 5)"));
    ck_assert_ptr_nonnull(strstr(msg, "sample 5 is corrupt"));
    fail_at = -1;
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(bad_descriptions_are_refused) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(10, 0, false, false);
    char msg[1024];
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "batch_size"));
    ds = make_ds(10, 2, false, false);
    ds.nfields = 0;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "nfields"));
}
END_TEST


/* a batch_size larger than the dataset (torch: one batch of all the samples, or none with
 * drop_last): the buffers hold the samples a batch can have, not batch_size rows (a
 * huge batch_size was an out-of-memory error, or with one near INT64_MAX an overflowed
 * size, a 64-byte buffer and a negative len) */
START_TEST(batch_larger_than_the_dataset) {
    /* len(DataLoader(range(10), batch_size=bs)) == 1, drop_last=True: 0 (torch 1.13) */
    const int64_t sizes[] = {11, (int64_t)1 << 40, INT64_MAX / 2, INT64_MAX};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int drop = 0; drop <= 1; drop++) {
            ltr_ctx ctx;
            ltr_ctx_init(&ctx, NULL);
            ltr_dataloader dl;
            lt_dataset ds = make_ds(10, sizes[k], false, drop);
            ck_assert_msg(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL,
                                              1) == LT_OK, "batch_size %lld: %s",
                          (long long)sizes[k], ctx.error);
            ck_assert_int_eq(ltr_dataloader_len(&dl), drop ? 0 : 1);
            if (!drop) {
                lt_batch *b;
                ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
                ck_assert_int_eq(b->size, 10);
                ck_assert_int_eq(b->fields[0]->shape[0], 10);
                const int64_t *y = b->fields[1]->data;
                const float *x = b->fields[0]->data;
                for (int i = 0; i < 10; i++) {
                    ck_assert_int_eq(y[i], i);
                    ck_assert(x[2 * i + 1] == -(float)i);
                }
            }
            ltr_dataloader_free(&dl);
        }
    /* a shape whose batch overflows 64 bits is an error naming the field, not a small
     * buffer that the samples overrun */
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(10, 4, false, false);
    ds.fields[0].ndim = 2;
    ds.fields[0].shape[0] = ds.fields[0].shape[1] = (int64_t)1 << 31;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1),
                     LT_ERROR);
    char msg[1024];
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "the train dataset: field 0 ('x') is too large"), "%s", msg);
}
END_TEST


/* a sample that fails once (a read error that a retry would not see): the error is the
 * one get_item gave, and get_item is not called again for it (the failing sample was
 * fetched a second time "for a clean message", which then read "(no message)") */
static int flaky_calls;
static lt_status flaky_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                                void *const *dst) {
    if (index == 5 && flaky_calls++ == 0)
        return ltr_fail(ctx, "read error on sample %lld", (long long)index);
    return get_item(ctx, self, split, index, dst);
}

START_TEST(fetch_error_keeps_get_items_message) {
    for (int nw = 0; nw <= 1; nw++) {
        ltr_ctx ctx;
        ltr_ctx_init(&ctx, NULL);
        ltr_dataloader dl;
        lt_dataset ds = make_ds(10, 4, false, false);
        ds.num_workers = nw;
        ds.prefetch_factor = 2;
        ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TEST, flaky_get_item,
                                             NULL, 1), LT_OK);
        flaky_calls = 0;
        lt_batch *b;
        ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_ERROR);
        char msg[1024];
        ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
        ck_assert_msg(strstr(msg, "get_item(test, 5) failed: read error on sample 5"),
                      "num_workers %d: %s", nw, msg);
        ck_assert_int_eq(flaky_calls, 1);
        ltr_dataloader_free(&dl);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("dataloader");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, len_and_partial_last_batch);
    tcase_add_test(tc, shuffle_is_seeded_permutation_per_epoch);
    tcase_add_test(tc, fetch_error_names_split_and_index);
    tcase_add_test(tc, parallel_fetch_rows_and_errors);
    tcase_add_test(tc, bad_descriptions_are_refused);
    tcase_add_test(tc, batch_larger_than_the_dataset);
    tcase_add_test(tc, fetch_error_keeps_get_items_message);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
