/*
 * test_transforms.c — torchvision.transforms on buffers (runtime/data/transforms.c) and
 * the per-sample random stream. Expected values were generated with torch 1.13
 * (torchvision's tensor code paths spelled with torch ops; the call is named per test).
 */
#include "core/context.h"
#include "data/dataloader.h"
#include "data/transforms.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <string.h>

/* torch.arange(1, 25, dtype=torch.float32).reshape(2, 3, 4) */
static float img[24];
static void fill_img(void) {
    for (int i = 0; i < 24; i++) img[i] = (float)(i + 1);
}

static void assert_floats(const float *got, const float *want, int n) {
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i] || (got[i] - want[i] < 1e-6f && want[i] - got[i] < 1e-6f),
                      "element %d: got %g want %g", i, (double)got[i], (double)want[i]);
}

/* padding (left 2, top 1, right 1, bottom 2) on 3x4 -> 6x7; cropping 6x7 is an exact fit:
 * the whole padded image and no draw (torchvision RandomCrop.get_params). Expected:
 * F.pad(img[None], [2, 1, 1, 2] as (l, r, t, b) = [2, 1, 1, 2], mode)[0];
 * symmetric: numpy.pad(img, ((0,0),(1,2),(2,1)), mode='symmetric'). */
static const float want_constant[84] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 2, 3, 4, -1, -1, -1, 5, 6, 7, 8, -1, -1, -1, 9, 10, 11, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 13, 14, 15, 16, -1, -1, -1, 17, 18, 19, 20, -1, -1, -1, 21, 22, 23, 24, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
static const float want_edge[84] = {1, 1, 1, 2, 3, 4, 4, 1, 1, 1, 2, 3, 4, 4, 5, 5, 5, 6, 7, 8, 8, 9, 9, 9, 10, 11, 12, 12, 9, 9, 9, 10, 11, 12, 12, 9, 9, 9, 10, 11, 12, 12, 13, 13, 13, 14, 15, 16, 16, 13, 13, 13, 14, 15, 16, 16, 17, 17, 17, 18, 19, 20, 20, 21, 21, 21, 22, 23, 24, 24, 21, 21, 21, 22, 23, 24, 24, 21, 21, 21, 22, 23, 24, 24};
static const float want_reflect[84] = {7, 6, 5, 6, 7, 8, 7, 3, 2, 1, 2, 3, 4, 3, 7, 6, 5, 6, 7, 8, 7, 11, 10, 9, 10, 11, 12, 11, 7, 6, 5, 6, 7, 8, 7, 3, 2, 1, 2, 3, 4, 3, 19, 18, 17, 18, 19, 20, 19, 15, 14, 13, 14, 15, 16, 15, 19, 18, 17, 18, 19, 20, 19, 23, 22, 21, 22, 23, 24, 23, 19, 18, 17, 18, 19, 20, 19, 15, 14, 13, 14, 15, 16, 15};
static const float want_symmetric[84] = {2, 1, 1, 2, 3, 4, 4, 2, 1, 1, 2, 3, 4, 4, 6, 5, 5, 6, 7, 8, 8, 10, 9, 9, 10, 11, 12, 12, 10, 9, 9, 10, 11, 12, 12, 6, 5, 5, 6, 7, 8, 8, 14, 13, 13, 14, 15, 16, 16, 14, 13, 13, 14, 15, 16, 16, 18, 17, 17, 18, 19, 20, 20, 22, 21, 21, 22, 23, 24, 24, 22, 21, 21, 22, 23, 24, 24, 18, 17, 17, 18, 19, 20, 20};

START_TEST(random_crop_padding_modes_exact_fit) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    fill_img();
    const float *want[4] = {want_constant, want_edge, want_reflect, want_symmetric};
    for (int mode = 0; mode < 4; mode++) {
        lt_crop_options o = {.size_h = 6, .size_w = 7, .padding = {2, 1, 1, 2}, .fill = -1,
                             .padding_mode = (lt_padding_mode)mode};
        lt_rng r, r0;
        ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 3, &r);
        r0 = r;
        float out[84];
        ck_assert_int_eq(ltr_api_tf_random_crop(&ctx.pub, &r, img, 2, 3, 4, out, &o), LT_OK);
        assert_floats(out, want[mode], 84);
        ck_assert_msg(memcmp(&r, &r0, sizeof r) == 0, "an exact fit draws nothing");
    }
}
END_TEST

/* pad_if_needed, size (5, 6) on 3x4 with reflect: width padded by 2 on both sides, then
 * height by 2 on both sides -> 7x8: F.pad(F.pad(img[None], [2, 2, 0, 0], 'reflect'),
 * [0, 0, 2, 2], 'reflect')[0]; the crop is padded[:, top:top+5, left:left+6] with
 * top = randint(0, 3) drawn before left = randint(0, 3). */
static const float want_pin[112] = {11, 10, 9, 10, 11, 12, 11, 10, 7, 6, 5, 6, 7, 8, 7, 6, 3, 2, 1, 2, 3, 4, 3, 2, 7, 6, 5, 6, 7, 8, 7, 6, 11, 10, 9, 10, 11, 12, 11, 10, 7, 6, 5, 6, 7, 8, 7, 6, 3, 2, 1, 2, 3, 4, 3, 2, 23, 22, 21, 22, 23, 24, 23, 22, 19, 18, 17, 18, 19, 20, 19, 18, 15, 14, 13, 14, 15, 16, 15, 14, 19, 18, 17, 18, 19, 20, 19, 18, 23, 22, 21, 22, 23, 24, 23, 22, 19, 18, 17, 18, 19, 20, 19, 18, 15, 14, 13, 14, 15, 16, 15, 14};

START_TEST(random_crop_pad_if_needed_and_position) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    fill_img();
    lt_crop_options o = {.size_h = 5, .size_w = 6, .pad_if_needed = true,
                         .padding_mode = LT_PAD_REFLECT};
    bool seen_top[3] = {0}, seen_left[3] = {0};
    for (int64_t index = 0; index < 64; index++) {
        lt_rng r, copy;
        ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, index, &r);
        copy = r;
        int64_t top = ltr_api_rng_randint(&copy, 0, 3), left = ltr_api_rng_randint(&copy, 0, 3);
        seen_top[top] = seen_left[left] = true;
        float out[60];
        ck_assert_int_eq(ltr_api_tf_random_crop(&ctx.pub, &r, img, 2, 3, 4, out, &o), LT_OK);
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 6; x++)
                    ck_assert_float_eq(out[(c * 5 + y) * 6 + x],
                                       want_pin[(c * 7 + top + y) * 8 + left + x]);
    }
    for (int k = 0; k < 3; k++) ck_assert(seen_top[k] && seen_left[k]); /* every position */
}
END_TEST

START_TEST(random_crop_errors) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    fill_img();
    lt_rng r;
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 0, &r);
    float out[200];
    char msg[512];
    lt_crop_options big = {.size_h = 4, .size_w = 4};
    ck_assert_int_eq(ltr_api_tf_random_crop(&ctx.pub, &r, img, 2, 3, 4, out, &big), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Required crop size (4, 4) is larger than input image size (3, 4)"));
    lt_crop_options refl = {.size_h = 3, .size_w = 4, .padding = {0, 3, 0, 0},
                            .padding_mode = LT_PAD_REFLECT}; /* torch: padding 3 >= height 3 */
    ck_assert_int_eq(ltr_api_tf_random_crop(&ctx.pub, &r, img, 2, 3, 4, out, &refl), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "reflect"));
}
END_TEST

START_TEST(normalize_to_tensor_hflip) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    fill_img();
    /* (img - mean[:, None, None]) / std[:, None, None], mean (0.5, 10), std (2, 0.25) */
    static const float want_norm[24] = {0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.25, 4.75, 5.25, 5.75, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56};
    const float mean[2] = {0.5f, 10.0f}, std[2] = {2.0f, 0.25f};
    float x[24];
    memcpy(x, img, sizeof x);
    ck_assert_int_eq(ltr_api_tf_normalize(&ctx.pub, x, 2, 3, 4, mean, std), LT_OK);
    assert_floats(x, want_norm, 24);
    const float zero[2] = {1.0f, 0.0f};
    ck_assert_int_eq(ltr_api_tf_normalize(&ctx.pub, x, 2, 3, 4, mean, zero), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, NULL, 0));
    /* hwc.permute(2, 0, 1).contiguous().to(torch.float32).div(255) (ToTensor) */
    const uint8_t hwc[12] = {0, 255, 128, 1, 2, 3, 10, 20, 30, 254, 127, 64};
    static const float want_tt[12] = {0, 0.00392156886, 0.0392156877, 0.996078432, 1, 0.00784313772, 0.0784313753, 0.498039216, 0.501960814, 0.0117647061, 0.117647059, 0.250980407};
    float chw[12];
    ck_assert_int_eq(ltr_api_tf_to_tensor(&ctx.pub, hwc, 2, 2, 3, chw), LT_OK);
    assert_floats(chw, want_tt, 12);
    /* torch.flip(img, [-1]) when rand() < p; p = 1 always, p = 0 never */
    static const float want_flip[24] = {4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13, 20, 19, 18, 17, 24, 23, 22, 21};
    lt_rng r;
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 0, &r);
    memcpy(x, img, sizeof x);
    ck_assert(ltr_api_tf_random_hflip(&r, x, 2, 3, 4, 1.0));
    assert_floats(x, want_flip, 24);
    ck_assert(!ltr_api_tf_random_hflip(&r, x, 2, 3, 4, 0.0));
    assert_floats(x, want_flip, 24);
    /* p = 0.5: flipped iff the sample's first uniform draw < 0.5; about half of 200 */
    int flips = 0;
    for (int64_t i = 0; i < 200; i++) {
        lt_rng a, b;
        ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, i, &a);
        b = a;
        memcpy(x, img, sizeof x);
        bool f = ltr_api_tf_random_hflip(&a, x, 2, 3, 4, 0.5);
        ck_assert_int_eq(f, ltr_api_rng_uniform(&b) < 0.5);
        assert_floats(x, f ? want_flip : img, 24);
        flips += f;
    }
    ck_assert_int_gt(flips, 70);
    ck_assert_int_lt(flips, 130);
}
END_TEST

/* a sample's stream depends on (seed, epoch, split, index) only */
START_TEST(sample_rng_is_a_function_of_seed_epoch_split_index) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    lt_rng a, b;
    ltr_fetch_scope_set(7, 2);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 5, &a);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 6, &b); /* another sample between */
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 5, &b);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 4, &b);
    ck_assert(memcmp(&a, &b, sizeof a) != 0);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_VAL, 5, &b);
    ck_assert(memcmp(&a, &b, sizeof a) != 0);
    ltr_fetch_scope_set(7, 3); /* the next epoch */
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 5, &b);
    ck_assert(memcmp(&a, &b, sizeof a) != 0);
    ltr_fetch_scope_set(8, 2); /* another seed */
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 5, &b);
    ck_assert(memcmp(&a, &b, sizeof a) != 0);
    ltr_fetch_scope_set(7, 2);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 5, &b);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    /* randint stays in [low, high) */
    for (int i = 0; i < 100; i++) {
        int64_t v = ltr_api_rng_randint(&a, 3, 6);
        ck_assert(v >= 3 && v < 6);
    }
}
END_TEST

/* get_item writes the first word of its sample's stream: what the loader declared */
static lt_status rng_item(lt_ctx *ctx, void *self, lt_split split, int64_t index, void *const *dst) {
    lt_rng r;
    ltr_api_sample_rng(ctx, split, index, &r);
    *(uint64_t *)dst[0] = r.s[0];
    return LT_OK;
}

START_TEST(loader_declares_its_seed_and_epoch) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ctx.seed = 99;
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = 4;
    ds.batch_size = 4;
    ds.shuffle = true;
    ds.seed = -1; /* the host's pre-fill: the loader takes the seed it is given (7) */
    ds.nfields = 1;
    ds.fields[0] = (lt_field){.name = "w", .dtype = LT_INT64, .ndim = 0};
    ltr_dataloader dl;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, rng_item, NULL, 7), LT_OK);
    for (int64_t epoch = 0; epoch < 2; epoch++) {
        ltr_dataloader_set_epoch(&dl, epoch);
        lt_batch *b;
        ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
        for (int i = 0; i < 4; i++) {
            lt_rng want;
            ltr_fetch_scope_set(7, epoch); /* loader seed 7, not the run's 99 */
            ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, dl.order[i], &want);
            ltr_fetch_scope_clear();
            ck_assert(((uint64_t *)b->fields[0]->data)[i] == want.s[0]);
        }
    }
    /* after the fetch the scope is gone: the run's seed and current_epoch apply */
    lt_rng a, b;
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 0, &a);
    ltr_fetch_scope_set(99, 0);
    ltr_api_sample_rng(&ctx.pub, LT_SPLIT_TRAIN, 0, &b);
    ltr_fetch_scope_clear();
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    ltr_dataloader_free(&dl);
}
END_TEST

int main(void) {
    Suite *s = suite_create("transforms");
    TCase *tc = tcase_create("transforms");
    tcase_add_test(tc, random_crop_padding_modes_exact_fit);
    tcase_add_test(tc, random_crop_pad_if_needed_and_position);
    tcase_add_test(tc, random_crop_errors);
    tcase_add_test(tc, normalize_to_tensor_hflip);
    tcase_add_test(tc, sample_rng_is_a_function_of_seed_epoch_split_index);
    tcase_add_test(tc, loader_declares_its_seed_and_epoch);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
