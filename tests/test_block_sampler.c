/* test_block_sampler.c — LT_SAMPLER_BLOCK_RANDOM (ABI 1.5, data/sampler.h): the order is
 * the rule written with torch calls (tables below), a permutation, a pure function of
 * (seed, epoch), local (a window's samples touch at most shuffle_blocks blocks) yet shuffled
 * inside the window; len(DataLoader)/drop_last; shuffle false is sequential; Lightning's
 * distributed wrap shards the block order without reshuffling it; bad options are refused. */
#include "core/context.h"
#include "data/dataloader.h"
#include "data/sampler.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static lt_dataset make_ds(int64_t n, int64_t block, int32_t window, bool shuffle) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = n;
    ds.batch_size = 4;
    ds.shuffle = shuffle;
    ds.seed = -1;
    ds.replacement = true;
    ds.sampler = LT_SAMPLER_BLOCK_RANDOM;
    ds.block_size = block;
    ds.shuffle_blocks = window;
    ds.nfields = 1;
    ds.fields[0] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return ds;
}

/* order of (n, block, window, seed, epoch) on rank `rank` of `world` (train split) */
static int64_t *order(int64_t n, int64_t block, int32_t window, uint64_t seed, int64_t epoch,
                      int32_t rank, int32_t world, int64_t *len) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    lt_dataset ds = make_ds(n, block, window, true);
    ltr_sampler s;
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, seed, rank, world, true,
                                      false), LT_OK);
    *len = ltr_sampler_len(&s);
    int64_t *out = malloc((size_t)*len * sizeof *out);
    ltr_sampler_order(&s, epoch, out);
    ltr_sampler_free(&s);
    return out;
}

/* g = torch.Generator().manual_seed(seed + epoch); nb = ceil(n / B);
 * bp = torch.randperm(nb, generator=g).tolist(); out = []
 * for k in range(0, nb, W):
 *     idx = [i for b in bp[k:k+W] for i in range(b*B, min((b+1)*B, n))]
 *     out += [idx[j] for j in torch.randperm(len(idx), generator=g).tolist()]
 * (torch 1.13) */
static const struct {
    int64_t n, block;
    int32_t window;
    uint64_t seed;
    int64_t epoch;
    int64_t idx[20];
} torch_rule[] = {
    {10, 3, 2, 42, 0, {8, 7, 9, 6, 4, 5, 0, 1, 2, 3}},
    {10, 3, 2, 42, 1, {1, 0, 4, 3, 5, 2, 6, 7, 8, 9}},
    {20, 4, 2, 7, 0, {3, 5, 7, 2, 4, 0, 6, 1, 11, 15, 9, 14, 10, 13, 8, 12, 19, 17, 18, 16}},
};

START_TEST(block_order_is_the_torch_rule) {
    for (size_t c = 0; c < sizeof torch_rule / sizeof *torch_rule; c++) {
        int64_t len;
        int64_t *o = order(torch_rule[c].n, torch_rule[c].block, torch_rule[c].window,
                           torch_rule[c].seed, torch_rule[c].epoch, 0, 1, &len);
        ck_assert_int_eq(len, torch_rule[c].n);
        ck_assert_mem_eq(o, torch_rule[c].idx, (size_t)len * sizeof *o);
        free(o);
    }
}
END_TEST

static void assert_permutation(const int64_t *o, int64_t n) {
    char *seen = calloc((size_t)n, 1);
    for (int64_t i = 0; i < n; i++) {
        ck_assert(o[i] >= 0 && o[i] < n);
        ck_assert_msg(!seen[o[i]], "index %lld twice", (long long)o[i]);
        seen[o[i]] = 1;
    }
    free(seen);
}

START_TEST(block_order_is_a_deterministic_permutation) {
    int64_t n = 1000, len;
    int64_t *a = order(n, 16, 4, 5, 0, 0, 1, &len);
    ck_assert_int_eq(len, n);
    assert_permutation(a, n);
    int64_t *again = order(n, 16, 4, 5, 0, 0, 1, &len); /* same (seed, epoch): same order */
    ck_assert_mem_eq(a, again, (size_t)n * sizeof *a);
    int64_t *e1 = order(n, 16, 4, 5, 1, 0, 1, &len);   /* next epoch */
    int64_t *s6 = order(n, 16, 4, 6, 0, 0, 1, &len);   /* another seed */
    assert_permutation(e1, n);
    assert_permutation(s6, n);
    ck_assert(memcmp(a, e1, (size_t)n * sizeof *a) != 0);
    ck_assert(memcmp(a, s6, (size_t)n * sizeof *a) != 0);
    /* seed + epoch is the generator's seed, as DistributedSampler: (5, 1) == (6, 0) */
    ck_assert_mem_eq(e1, s6, (size_t)n * sizeof *a);
    free(a), free(again), free(e1), free(s6);
}
END_TEST

/* distinct blocks among o[from .. to) */
static int distinct_blocks(const int64_t *o, int64_t from, int64_t to, int64_t block, int64_t n) {
    int64_t nb = (n + block - 1) / block;
    char *seen = calloc((size_t)nb, 1);
    int d = 0;
    for (int64_t i = from; i < to; i++)
        if (!seen[o[i] / block]) seen[o[i] / block] = 1, d++;
    free(seen);
    return d;
}

START_TEST(windows_are_local_and_shuffled_inside) {
    int64_t n = 1024, b = 16, len;
    int32_t w = 4;
    for (int64_t epoch = 0; epoch < 3; epoch++) {
        int64_t *o = order(n, b, w, 11, epoch, 0, 1, &len);
        /* every window of w * b consecutive samples: exactly w blocks, each whole */
        for (int64_t s = 0; s < n; s += w * b)
            ck_assert_int_eq(distinct_blocks(o, s, s + w * b, b, n), w);
        /* shuffled inside: neighbours share a block about 1 time in w (63/255 here), not
         * always (w = 1 or unshuffled) nor 1 time in 64 (a full shuffle) */
        int same = 0;
        for (int64_t i = 1; i < n; i++) same += o[i] / b == o[i - 1] / b;
        ck_assert_msg(same > n / 8 && same < n / 2, "%d of %lld neighbours in one block", same,
                      (long long)n);
        free(o);
    }
    /* a short last block (1000 = 62 * 16 + 8): the order splits into runs that each open
     * at most w blocks and finish every block they open before the next run starts */
    int64_t *o = order(1000, b, w, 3, 0, 0, 1, &len);
    char opened[63] = {0};
    int64_t open_blocks = 0, rows_left = 0;
    for (int64_t i = 0; i < 1000; i++) {
        int64_t blk = o[i] / b;
        if (!opened[blk]) {
            if (open_blocks == w && rows_left == 0) open_blocks = 0; /* the next window */
            opened[blk] = 1;
            open_blocks++;
            rows_left += blk == 62 ? 8 : b;
            ck_assert_int_le(open_blocks, w);
        }
        rows_left--;
    }
    ck_assert_int_eq(rows_left, 0);
    free(o);
    /* window 1: each run of b samples is one whole block, not in row order */
    o = order(n, b, 1, 3, 0, 0, 1, &len);
    int ascending = 0;
    for (int64_t s = 0; s < n; s += b) {
        ck_assert_int_eq(distinct_blocks(o, s, s + b, b, n), 1);
        int asc = 1;
        for (int64_t i = s + 1; i < s + b; i++) asc &= o[i] == o[i - 1] + 1;
        ascending += asc;
    }
    ck_assert_int_lt(ascending, 2);
    free(o);
    /* a window larger than the dataset: one window, a plain shuffle of everything */
    o = order(100, 16, 1000, 3, 0, 0, 1, &len);
    assert_permutation(o, 100);
    free(o);
}
END_TEST

START_TEST(distributed_wrap_shards_the_block_order) {
    /* world 3 (Lightning's wrap, train split): rank r = base[r::3] padded from the start
     * (DistributedSampler(shuffle=False) over the block order), every index on some rank */
    int64_t n = 100, len, blen;
    int64_t *base = order(n, 8, 2, 9, 1, 0, 1, &blen);
    char seen[100] = {0};
    for (int32_t r = 0; r < 3; r++) {
        int64_t *o = order(n, 8, 2, 9, 1, r, 3, &len);
        ck_assert_int_eq(len, 34); /* ceil(100 / 3), padded */
        for (int64_t i = 0; i < len; i++) {
            ck_assert_int_eq(o[i], base[(r + i * 3) % n]);
            seen[o[i]] = 1;
        }
        free(o);
    }
    for (int i = 0; i < 100; i++) ck_assert(seen[i]);
    free(base);
    /* locality per rank (96 = 12 whole blocks of 8, windows of 16 positions): 5 consecutive
     * samples of a rank are 13 consecutive positions of the block order, <= 2 windows */
    n = 96;
    for (int32_t r = 0; r < 3; r++) {
        int64_t *o = order(n, 8, 2, 9, 1, r, 3, &len);
        ck_assert_int_eq(len, 32);
        for (int64_t s = 0; s + 5 <= len; s++) ck_assert_int_le(distinct_blocks(o, s, s + 5, 8, n), 4);
        free(o);
    }
}
END_TEST

static lt_status get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index, void *const *dst) {
    (void)ctx, (void)self, (void)split;
    *(int64_t *)dst[0] = index;
    return LT_OK;
}

START_TEST(loader_len_drop_last_and_sequential) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_batch *b;
    lt_dataset ds = make_ds(10, 3, 2, true);
    ds.seed = 42;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 3); /* 10 samples, batch 4 */
    ck_assert_mem_eq(dl.order, torch_rule[0].idx, 10 * sizeof(int64_t));
    ck_assert_int_eq(ltr_dataloader_get(&dl, 2, &b), LT_OK);
    ck_assert_int_eq(b->size, 2);
    ck_assert_int_eq(((int64_t *)b->fields[0]->data)[1], torch_rule[0].idx[9]);
    ltr_dataloader_set_epoch(&dl, 1);
    ck_assert_mem_eq(dl.order, torch_rule[1].idx, 10 * sizeof(int64_t));
    ltr_dataloader_free(&dl);
    ds.drop_last = true;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 2);
    ltr_dataloader_free(&dl);
    /* shuffle false (e.g. overfit_batches turned it off): sequential */
    ds = make_ds(10, 3, 2, false);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    for (int64_t i = 0; i < 10; i++) ck_assert_int_eq(dl.order[i], i);
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(bad_block_options_are_refused) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_sampler s;
    lt_dataset ds = make_ds(10, 0, 2, true);
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(ctx.error, "block_size >= 1"));
    ltr_ctx_init(&ctx, NULL);
    ds = make_ds(10, 3, 0, true);
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(ctx.error, "shuffle_blocks >= 1"));
    ltr_ctx_init(&ctx, NULL);
    ds = make_ds(10, 3, 2, true);
    ds.size = offsetof(lt_dataset, block_size); /* a plugin built before ABI 1.5's fields */
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(ctx.error, "ABI 1.5"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("block_sampler");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, block_order_is_the_torch_rule);
    tcase_add_test(tc, block_order_is_a_deterministic_permutation);
    tcase_add_test(tc, windows_are_local_and_shuffled_inside);
    tcase_add_test(tc, distributed_wrap_shards_the_block_order);
    tcase_add_test(tc, loader_len_drop_last_and_sequential);
    tcase_add_test(tc, bad_block_options_are_refused);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
