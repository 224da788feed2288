/* test_split.c — PyTorch 1.13's CPU generator (randperm), lt_random_split through the host
 * table, and the Subset / ConcatDataset helpers of ltrun.h. Every expected value below was
 * printed by torch 1.13 (the call is named next to it); CI has no torch. */
#include "core/context.h"
#include "util/torch_rng.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const lt_host_api *ltr_host_api(void);

/* FNV-1a-style digest used to hard-code long torch outputs: h = (h ^ v) * prime, 64-bit */
static uint64_t digest(const int64_t *v, int64_t n) {
    uint64_t h = 1469598103934665603ull;
    for (int64_t i = 0; i < n; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ull;
    return h;
}

static void randperm(uint64_t seed, int64_t n, int64_t *out) {
    ltr_torch_gen g;
    ltr_torch_gen_seed(&g, seed);
    ltr_torch_randperm(&g, n, out);
}

START_TEST(randperm_equals_torch_small) {
    int64_t p[100];
    /* torch.randperm(n, generator=torch.Generator().manual_seed(s)).tolist() */
    randperm(0, 1, p);
    ck_assert_int_eq(p[0], 0);
    randperm(0, 2, p);
    ck_assert_int_eq(p[0], 0);
    ck_assert_int_eq(p[1], 1);
    static const int64_t e5_42[] = {2, 4, 3, 0, 1};
    randperm(42, 5, p);
    ck_assert_mem_eq(p, e5_42, sizeof e5_42);
    static const int64_t e10_0[] = {4, 1, 7, 5, 3, 9, 0, 8, 6, 2};
    randperm(0, 10, p);
    ck_assert_mem_eq(p, e10_0, sizeof e10_0);
    static const int64_t e10_1[] = {5, 6, 1, 2, 0, 8, 9, 3, 7, 4};
    randperm(1, 10, p);
    ck_assert_mem_eq(p, e10_1, sizeof e10_1);
    static const int64_t e100_7[] = {
        15, 59, 71, 57, 2,  27, 87, 54, 36, 96, 98, 76, 28, 43, 8,  80, 58, 91, 61, 25,
        56, 5,  99, 9,  60, 93, 95, 42, 70, 3,  31, 53, 92, 81, 26, 14, 24, 35, 83, 41,
        1,  64, 68, 37, 52, 23, 0,  29, 32, 34, 40, 75, 6,  10, 86, 97, 39, 89, 62, 12,
        90, 79, 4,  48, 45, 85, 38, 33, 78, 84, 67, 50, 16, 51, 73, 63, 17, 46, 65, 66,
        11, 22, 47, 7,  49, 94, 69, 21, 74, 82, 72, 55, 30, 44, 18, 88, 77, 13, 20, 19};
    randperm(7, 100, p);
    ck_assert_mem_eq(p, e100_7, sizeof e100_7);
    /* manual_seed(-1) == manual_seed(2**64 - 1): the low 32 bits seed mt19937 */
    static const int64_t em1[] = {1, 4, 6, 2, 0, 5, 8, 7, 9, 3};
    randperm(UINT64_MAX, 10, p);
    ck_assert_mem_eq(p, em1, sizeof em1);
}
END_TEST

START_TEST(randperm_equals_torch_large) {
    /* digest(torch.randperm(n, generator=torch.Generator().manual_seed(s)).tolist()) */
    static const struct { int64_t n; uint64_t seed, digest; int64_t first[3]; } cases[] = {
        {60000, 0, 8511888781502459997ull, {36044, 10678, 57327}},
        {60000, 42, 17482454573329060307ull, {37542, 43087, 2992}},
        {1000003, 3, 2086681579074711854ull, {651891, 760443, 468698}},
        {1000, 4294967301ull, 3237769016439470169ull, {411, 49, 291}},
        {17, 12345678901ull, 7726486036979189079ull, {8, 16, 11}},
        {70000, 9223372036854775807ull, 9164646772275858339ull, {26371, 63826, 26442}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int64_t *p = malloc((size_t)cases[c].n * sizeof *p);
        randperm(cases[c].seed, cases[c].n, p);
        ck_assert_uint_eq(digest(p, cases[c].n), cases[c].digest);
        ck_assert_mem_eq(p, cases[c].first, sizeof cases[c].first);
        free(p);
    }
}
END_TEST

static lt_status split(ltr_ctx *ctx, int64_t n, const double *lengths, int k, uint64_t seed,
                       int64_t *perm, int64_t *sizes) {
    return lt_random_split(&ctx->pub, n, lengths, k, seed, perm, sizes);
}

START_TEST(random_split_equals_torch) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, ltr_host_api());
    int64_t perm[64], sizes[8];
    /* random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(42)) */
    static const int64_t p1[] = {2, 6, 1, 8, 4, 5, 0, 9, 3, 7};
    ck_assert_int_eq(split(&ctx, 10, (double[]){3, 7}, 2, 42, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 3);
    ck_assert_int_eq(sizes[1], 7);
    ck_assert_mem_eq(perm, p1, sizeof p1);
    /* range(30), [0.3, 0.3, 0.4], seed 42: floor(30 * 0.3) = 8 in binary64, so the
     * remainder 2 goes to parts 0 and 1 -> [9, 9, 12] */
    static const int64_t p2[] = {12, 0,  6, 25, 8,  15, 10, 18, 16, 23, 28, 26, 20, 7, 21,
                                 22, 29, 13, 14, 2, 4,  1,  9,  11, 17, 19, 27, 5,  24, 3};
    ck_assert_int_eq(split(&ctx, 30, (double[]){0.3, 0.3, 0.4}, 3, 42, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 9);
    ck_assert_int_eq(sizes[1], 9);
    ck_assert_int_eq(sizes[2], 12);
    ck_assert_mem_eq(perm, p2, sizeof p2);
    /* range(11), [0.5, 0.5], seed 0 -> [6, 5] */
    static const int64_t p3[] = {10, 0, 4, 3, 5, 8, 2, 1, 9, 7, 6};
    ck_assert_int_eq(split(&ctx, 11, (double[]){0.5, 0.5}, 2, 0, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 6);
    ck_assert_int_eq(sizes[1], 5);
    ck_assert_mem_eq(perm, p3, sizeof p3);
    /* range(5), [0.1, 0.9], seed 1 -> [1, 4] */
    static const int64_t p4[] = {0, 4, 2, 3, 1};
    ck_assert_int_eq(split(&ctx, 5, (double[]){0.1, 0.9}, 2, 1, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 1);
    ck_assert_int_eq(sizes[1], 4);
    ck_assert_mem_eq(perm, p4, sizeof p4);
    /* range(3), [0.2] * 5, seed 7 -> [1, 1, 1, 0, 0] (torch warns for parts 3 and 4) */
    ck_assert_int_eq(split(&ctx, 3, (double[]){0.2, 0.2, 0.2, 0.2, 0.2}, 5, 7, perm, sizes),
                     LT_OK);
    static const int64_t s5[] = {1, 1, 1, 0, 0};
    ck_assert_mem_eq(sizes, s5, sizeof s5);
    /* range(1), [1] -> a count list that also sums to 1: the fraction rule, [1] */
    ck_assert_int_eq(split(&ctx, 1, (double[]){1}, 1, 0, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 1);
    ck_assert_int_eq(perm[0], 0);
    /* range(60000), [55000, 5000], seed 42: the MNIST train/val split */
    int64_t *big = malloc(60000 * sizeof *big);
    ck_assert_int_eq(split(&ctx, 60000, (double[]){55000, 5000}, 2, 42, big, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], 55000);
    ck_assert_int_eq(sizes[1], 5000);
    ck_assert_uint_eq(digest(big, 60000), 17482454573329060307ull);
    static const int64_t val_head[] = {55299, 34709, 13174, 51723, 17718};
    ck_assert_mem_eq(big + 55000, val_head, sizeof val_head);
    free(big);
}
END_TEST

START_TEST(random_split_errors_are_torchs) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, ltr_host_api());
    int64_t perm[16], sizes[4];
    char msg[512];
    ck_assert_int_eq(split(&ctx, 10, (double[]){3, 3}, 2, 0, perm, sizes), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Sum of input lengths"));
    ck_assert_int_eq(split(&ctx, 2, (double[]){1.2, -0.2}, 2, 0, perm, sizes), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Fraction at index 0 is not between 0 and 1"));
    ck_assert_int_eq(split(&ctx, 5, (double[]){2.5, 2.5}, 2, 0, perm, sizes), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "lengths[0] = 2.5 is not a count"));
}
END_TEST

START_TEST(subset_and_concat_helpers) {
    /* Subset(ds, [5, 7, 9])[i] */
    static const int64_t idx[] = {5, 7, 9};
    ck_assert_int_eq(lt_subset_index(idx, 3, 0), 5);
    ck_assert_int_eq(lt_subset_index(idx, 3, 2), 9);
    ck_assert_int_eq(lt_subset_index(idx, 3, -1), 9);
    ck_assert_int_eq(lt_subset_index(idx, 3, -3), 5);
    ck_assert_int_eq(lt_subset_index(idx, 3, 3), -1);
    ck_assert_int_eq(lt_subset_index(idx, 3, -4), -1);
    /* ConcatDataset([range(3), range(0), range(4)]): cumulative_sizes [3, 3, 7];
     * item 3 is the first of the third dataset (bisect_right skips the empty one) */
    int64_t cum[3], s = -9;
    ck_assert_int_eq(lt_concat_cumsum((int64_t[]){3, 0, 4}, 3, cum), 7);
    ck_assert_int_eq(cum[0], 3);
    ck_assert_int_eq(cum[1], 3);
    ck_assert_int_eq(cum[2], 7);
    ck_assert_int_eq(lt_concat_locate(cum, 3, 0, &s), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(lt_concat_locate(cum, 3, 2, &s), 0);
    ck_assert_int_eq(s, 2);
    ck_assert_int_eq(lt_concat_locate(cum, 3, 3, &s), 2);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(lt_concat_locate(cum, 3, 6, &s), 2);
    ck_assert_int_eq(s, 3);
    ck_assert_int_eq(lt_concat_locate(cum, 3, -1, &s), 2); /* len + idx = 6 */
    ck_assert_int_eq(s, 3);
    ck_assert_int_eq(lt_concat_locate(cum, 3, -7, &s), 0);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(lt_concat_locate(cum, 3, -8, &s), -1); /* torch: ValueError */
    ck_assert_int_eq(lt_concat_locate(cum, 3, 7, &s), -1);  /* torch: IndexError */
}
END_TEST

int main(void) {
    Suite *s = suite_create("split");
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, randperm_equals_torch_small);
    tcase_add_test(tc, randperm_equals_torch_large);
    tcase_add_test(tc, random_split_equals_torch);
    tcase_add_test(tc, random_split_errors_are_torchs);
    tcase_add_test(tc, subset_and_concat_helpers);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
