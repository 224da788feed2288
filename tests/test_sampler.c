/* test_sampler.c — torch.utils.data samplers (data/sampler.h) and the loader's use of them:
 * DistributedSampler shards, WeightedRandomSampler draws, the random sampler's per-epoch
 * permutation, len(DataLoader) over len(sampler), Lightning's distributed wrap, and the
 * same order after a simulated restore. Expected values were printed by torch 1.13 (the
 * call is named above each table); CI has no torch. */
#include "core/context.h"
#include "data/dataloader.h"
#include "data/sampler.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lt_dataset make_ds(int64_t n, bool shuffle, bool drop_last, lt_sampler kind) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = n;
    ds.batch_size = 2;
    ds.shuffle = shuffle;
    ds.drop_last = drop_last;
    ds.seed = -1;
    ds.replacement = true;
    ds.sampler = kind;
    ds.nfields = 1;
    ds.fields[0] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return ds;
}

/* for r in range(world): s = DistributedSampler(range(n), num_replicas=world, rank=r,
 * shuffle=shuffle, seed=seed, drop_last=drop_last); s.set_epoch(epoch); list(s)
 * -> the ranks' lists concatenated (each num_samples long) */
static const struct {
    int64_t n;
    int world, shuffle, drop_last;
    uint64_t seed;
    int64_t epoch, num_samples;
    int64_t idx[12];
} shards[] = {
#include "sampler_shards.inc"
};

START_TEST(distributed_sampler_equals_torch) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    for (size_t c = 0; c < sizeof shards / sizeof *shards; c++) {
        lt_dataset ds = make_ds(shards[c].n, shards[c].shuffle, shards[c].drop_last,
                                LT_SAMPLER_DISTRIBUTED);
        for (int r = 0; r < shards[c].world; r++) {
            ltr_sampler s;
            ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, shards[c].seed, r,
                                              shards[c].world, true, false), LT_OK);
            int64_t ns = shards[c].num_samples, out[12];
            ck_assert_msg(ltr_sampler_len(&s) == ns, "case %zu rank %d: len %lld, torch %lld", c,
                          r, (long long)ltr_sampler_len(&s), (long long)ns);
            ltr_sampler_order(&s, shards[c].epoch, out);
            for (int64_t i = 0; i < ns; i++)
                ck_assert_msg(out[i] == shards[c].idx[r * ns + i],
                              "case %zu (n %lld world %d shuffle %d drop %d seed %llu epoch %lld) "
                              "rank %d [%lld]: %lld, torch %lld", c, (long long)shards[c].n,
                              shards[c].world, shards[c].shuffle, shards[c].drop_last,
                              (unsigned long long)shards[c].seed, (long long)shards[c].epoch, r,
                              (long long)i, (long long)out[i], (long long)shards[c].idx[r * ns + i]);
            ltr_sampler_free(&s);
        }
    }
}
END_TEST

static const double W[] = {0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0.0, 1.5};

static void weighted(int64_t ns, bool replacement, uint64_t seed, int64_t epoch, int64_t *out) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    lt_dataset ds = make_ds(8, false, false, LT_SAMPLER_WEIGHTED_RANDOM);
    ds.weights = W;
    ds.num_samples = ns;
    ds.replacement = replacement;
    ltr_sampler s;
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, seed, 0, 1, true, false), LT_OK);
    ck_assert_int_eq(ltr_sampler_len(&s), ns);
    ltr_sampler_order(&s, epoch, out);
    ltr_sampler_free(&s);
}

START_TEST(weighted_sampler_equals_torch) {
    /* list(WeightedRandomSampler(W, ns, replacement,
     *                            generator=torch.Generator().manual_seed(seed))) */
    int64_t out[20];
    static const int64_t r8_0[] = {7, 4, 4, 7, 4, 5, 2, 4};
    weighted(8, true, 0, 0, out);
    ck_assert_mem_eq(out, r8_0, sizeof r8_0);
    static const int64_t r20_5[] = {4, 3, 4, 4, 3, 7, 4, 5, 7, 4, 4, 4, 7, 3, 1, 4, 4, 4, 5, 4};
    weighted(20, true, 5, 0, out);
    ck_assert_mem_eq(out, r20_5, sizeof r20_5);
    weighted(20, true, 2, 3, out); /* epoch e draws with seed + e */
    ck_assert_mem_eq(out, r20_5, sizeof r20_5);
    weighted(1, true, 0, 0, out); /* one draw: torch's exponential fast path */
    ck_assert_int_eq(out[0], 7);
    static const int64_t n4_0[] = {7, 4, 1, 2};
    weighted(4, false, 0, 0, out);
    ck_assert_mem_eq(out, n4_0, sizeof n4_0);
    static const int64_t n7_3[] = {3, 0, 1, 7, 4, 5, 2}; /* weight 0 (index 6) never drawn */
    weighted(7, false, 3, 0, out);
    ck_assert_mem_eq(out, n7_3, sizeof n7_3);
    weighted(1, false, 9, 0, out);
    ck_assert_int_eq(out[0], 4);
}
END_TEST

START_TEST(weighted_sampler_equals_torch_large) {
    /* w = [((i * 7919) % 1000) / 997.0 for i in range(1000)] (index 0 weighs 0);
     * digest (FNV-1a style, as test_split.c) of list(WeightedRandomSampler(w, ns,
     * replacement, generator=torch.Generator().manual_seed(seed))) */
    static double w[1000];
    for (int i = 0; i < 1000; i++) w[i] = (double)((i * 7919) % 1000) / 997.0;
    static const struct { int64_t ns; bool replacement; uint64_t seed, digest; int64_t head[4]; } cases[] = {
        {5000, true, 11, 7845765964218135365ull, {192, 884, 669, 662}},
        {300, false, 12, 10748954853824243598ull, {531, 153, 740, 458}},
    };
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    for (size_t c = 0; c < 2; c++) {
        lt_dataset ds = make_ds(1000, false, false, LT_SAMPLER_WEIGHTED_RANDOM);
        ds.weights = w;
        ds.num_samples = cases[c].ns;
        ds.replacement = cases[c].replacement;
        ltr_sampler s;
        ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, cases[c].seed, 0, 1, true, false), LT_OK);
        int64_t *out = malloc((size_t)cases[c].ns * sizeof *out);
        ltr_sampler_order(&s, 0, out);
        uint64_t h = 1469598103934665603ull;
        for (int64_t i = 0; i < cases[c].ns; i++) h = (h ^ (uint64_t)out[i]) * 1099511628211ull;
        ck_assert_mem_eq(out, cases[c].head, sizeof cases[c].head);
        ck_assert_uint_eq(h, cases[c].digest);
        free(out);
        ltr_sampler_free(&s);
    }
}
END_TEST

START_TEST(weighted_sampler_errors_are_torchs) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    char msg[1024];
    ltr_sampler s;
    lt_dataset ds = make_ds(8, false, false, LT_SAMPLER_WEIGHTED_RANDOM);
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "needs `weights`"));
    ds.weights = W;
    ds.num_samples = 8;
    ds.replacement = false; /* 8 draws, 7 positive weights */
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "not enough non-negative category"));
    ds.num_samples = 9;
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "cannot sample n_sample > prob_dist.size(-1)"));
    double bad[8] = {1, 1, -1, 1, 1, 1, 1, 1};
    ds.weights = bad;
    ds.replacement = true;
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 0, 1, true, false), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "element < 0 (weights[2] = -1)"));
    ds = make_ds(8, false, false, LT_SAMPLER_DISTRIBUTED);
    ck_assert_int_eq(ltr_sampler_init(&s, &ctx.pub, &ds, LT_SPLIT_TRAIN, 0, 2, 2, true, false), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Invalid rank 2, rank should be in the interval [0, 1]"));
}
END_TEST

static lt_status get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index, void *const *dst) {
    (void)ctx, (void)self, (void)split;
    *(int64_t *)dst[0] = index;
    return LT_OK;
}

START_TEST(random_sampler_is_distributed_samplers_rule) {
    /* shuffle=True on one process: torch.randperm(10, generator=
     * torch.Generator().manual_seed(seed + epoch)), seed = ds.seed when >= 0 */
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds(10, true, false, LT_SAMPLER_AUTO);
    ds.seed = 42;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 7), LT_OK);
    /* the DistributedSampler table, world 1, seed 42: epochs 0 and 1 */
    static const int64_t e0[] = {2, 6, 1, 8, 4, 5, 0, 9, 3, 7}, e1[] = {8, 4, 9, 0, 5, 1, 6, 7, 2, 3};
    ck_assert_mem_eq(dl.order, e0, sizeof e0);
    ltr_dataloader_set_epoch(&dl, 1);
    ck_assert_mem_eq(dl.order, e1, sizeof e1);
    ltr_dataloader_free(&dl);
    /* ds.seed -1: the run's seed (the init argument); randperm(10, manual_seed(0)) */
    ds.seed = -1;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    static const int64_t s0[] = {4, 1, 7, 5, 3, 9, 0, 8, 6, 2};
    ck_assert_mem_eq(dl.order, s0, sizeof s0);
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(loader_len_follows_the_sampler) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_batch *b;
    /* weighted: 5 draws of 8 samples, batch 2 -> 3 batches (2 with drop_last) */
    lt_dataset ds = make_ds(8, false, false, LT_SAMPLER_WEIGHTED_RANDOM);
    ds.weights = W;
    ds.num_samples = 5;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 3);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 2, &b), LT_OK);
    ck_assert_int_eq(b->size, 1);
    ltr_dataloader_free(&dl);
    ds.drop_last = true;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 2);
    ltr_dataloader_free(&dl);
    /* explicit distributed on world 3, rank 2: 10 samples -> a shard of 4 (padded), the
     * table's row (10, 3, shuffle 0, drop 0): rank 2 = {2, 5, 8, 1} */
    ctx.pub.world_size = 3;
    ctx.pub.rank = 2;
    ds = make_ds(10, false, false, LT_SAMPLER_DISTRIBUTED);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 2);
    ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_OK);
    ck_assert_int_eq(((int64_t *)b->fields[0]->data)[0], 8);
    ck_assert_int_eq(((int64_t *)b->fields[0]->data)[1], 1);
    ltr_dataloader_free(&dl);
    /* with drop_last the shard is 3 (sampler and loader) -> 1 batch */
    ds.drop_last = true;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(dl.order_len, 3);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 1);
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(lightning_wraps_loaders_when_distributed) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    ctx.pub.world_size = 2;
    ctx.pub.rank = 1;
    /* train: DistributedSampler(shuffle=True, seed=the run's seed, drop_last=False) even
     * though the loader's drop_last is set, and whether or not it shuffled (Lightning's
     * _process_dataloader passes shuffle=True for training): the table's
     * (7, 2, 1, 0, 42, 1) row, rank 1 */
    static const int64_t r1[] = {1, 4, 0, 3};
    for (int shuffle = 0; shuffle <= 1; shuffle++) {
        lt_dataset ds = make_ds(7, shuffle, true, LT_SAMPLER_AUTO);
        ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 42), LT_OK);
        ltr_dataloader_set_epoch(&dl, 1);
        ck_assert_int_eq(dl.order_len, 4);
        ck_assert_int_eq(ltr_dataloader_len(&dl), 2); /* the DataLoader's drop_last: 4 / 2 */
        ck_assert_mem_eq(dl.order, r1, sizeof r1);
        ltr_dataloader_free(&dl);
    }
    /* val, sequential: DistributedSampler(shuffle=False): rank 1 of range(7) on 2 ranks
     * is [1, 3, 5, 0]; the same for train while overfit_batches is on */
    static const int64_t v1[] = {1, 3, 5, 0};
    lt_dataset ds = make_ds(7, false, false, LT_SAMPLER_AUTO);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 42), LT_OK);
    ltr_dataloader_set_epoch(&dl, 1);
    ck_assert_mem_eq(dl.order, v1, sizeof v1);
    ltr_dataloader_free(&dl);
    static const ltr_sampler_policy overfit = {.use_distributed_sampler = true,
                                               .overfit_batches = true};
    ck_assert_int_eq(ltr_dataloader_init_policy(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL,
                                                42, &overfit), LT_OK);
    ltr_dataloader_set_epoch(&dl, 1);
    ck_assert_mem_eq(dl.order, v1, sizeof v1);
    ltr_dataloader_free(&dl);
    /* val, shuffled: shuffled too (table row (7, 2, 1, 0, 42, 1) again) */
    ds = make_ds(7, true, false, LT_SAMPLER_AUTO);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 42), LT_OK);
    ltr_dataloader_set_epoch(&dl, 1);
    ck_assert_mem_eq(dl.order, r1, sizeof r1);
    ltr_dataloader_free(&dl);
    /* predict: UnrepeatedDistributedSampler, no padding: 7 samples -> rank 1 gets 1, 3, 5 */
    ds = make_ds(7, false, false, LT_SAMPLER_AUTO);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_PREDICT, get_item, NULL, 0), LT_OK);
    ck_assert_int_eq(dl.order_len, 3);
    static const int64_t p1[] = {1, 3, 5};
    ck_assert_mem_eq(dl.order, p1, sizeof p1);
    ltr_dataloader_free(&dl);
    /* weighted, train: DistributedSamplerWrapper(shuffle=True, seed 0) around the 8 draws
     * of seed 0, {7, 4, 4, 7, 4, 5, 2, 4}: positions list(DistributedSampler(range(8),
     * num_replicas=3, rank=2, shuffle=True, seed=0)) = [7, 5, 4] -> [4, 5, 4] */
    ctx.pub.world_size = 3;
    ctx.pub.rank = 2;
    ds = make_ds(8, false, false, LT_SAMPLER_WEIGHTED_RANDOM);
    ds.weights = W;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 0), LT_OK);
    static const int64_t w2[] = {4, 5, 4};
    ck_assert_int_eq(dl.order_len, 3);
    ck_assert_mem_eq(dl.order, w2, sizeof w2);
    ltr_dataloader_free(&dl);
    /* weighted, val: unshuffled (not a RandomSampler): pad to 9 -> positions 2, 5, 8 */
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 0), LT_OK);
    static const int64_t w2v[] = {4, 5, 7};
    ck_assert_mem_eq(dl.order, w2v, sizeof w2v);
    ltr_dataloader_free(&dl);
    /* --trainer.use_distributed_sampler false: every rank reads the whole order */
    static const ltr_sampler_policy no_wrap = {.use_distributed_sampler = false};
    ds = make_ds(7, false, false, LT_SAMPLER_AUTO);
    ck_assert_int_eq(ltr_dataloader_init_policy(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL,
                                                0, &no_wrap), LT_OK);
    ck_assert_int_eq(dl.order_len, 7);
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(order_survives_a_restore) {
    /* a run that stops in epoch 2 at batch 3 and a fresh loader (a restored run: new
     * process, same seed) that jumps straight to epoch 2 see the same remaining batches */
    static const lt_sampler kinds[] = {LT_SAMPLER_AUTO, LT_SAMPLER_WEIGHTED_RANDOM,
                                       LT_SAMPLER_DISTRIBUTED};
    for (int w = 1; w <= 3; w++)
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            ltr_ctx ctx;
            ltr_ctx_init(&ctx, NULL);
            ctx.pub.world_size = w;
            ctx.pub.rank = w - 1;
            lt_dataset ds = make_ds(8, true, false, kinds[k]);
            ds.weights = W;
            ltr_dataloader a, b;
            ck_assert_int_eq(ltr_dataloader_init(&a, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 5), LT_OK);
            ltr_dataloader_set_epoch(&a, 1);
            ltr_dataloader_set_epoch(&a, 2);
            /* the restored run was started with another --seed; the checkpoint's
             * dataloader_seed is written back to the loader (ckpt_load.c) */
            ck_assert_int_eq(ltr_dataloader_init(&b, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 99), LT_OK);
            b.seed = 5;
            ltr_dataloader_set_epoch(&b, 2);
            ck_assert_int_eq(a.order_len, b.order_len);
            ck_assert_mem_eq(a.order, b.order, (size_t)a.order_len * sizeof *a.order);
            /* and a different epoch gives a different order (the shuffle is live) */
            ltr_dataloader_set_epoch(&b, 3);
            ck_assert(memcmp(a.order, b.order, (size_t)a.order_len * sizeof *a.order) != 0);
            ltr_dataloader_free(&a);
            ltr_dataloader_free(&b);
        }
}
END_TEST

int main(void) {
    Suite *s = suite_create("sampler");
    TCase *tc = tcase_create("sampler");
    tcase_add_test(tc, distributed_sampler_equals_torch);
    tcase_add_test(tc, weighted_sampler_equals_torch);
    tcase_add_test(tc, weighted_sampler_equals_torch_large);
    tcase_add_test(tc, weighted_sampler_errors_are_torchs);
    tcase_add_test(tc, random_sampler_is_distributed_samplers_rule);
    tcase_add_test(tc, loader_len_follows_the_sampler);
    tcase_add_test(tc, lightning_wraps_loaders_when_distributed);
    tcase_add_test(tc, order_survives_a_restore);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
