/*
 * test_collate.c — variable-length samples (runtime/data/collate.c): the default collate
 * pads each LT_VARIABLE_DIM dimension to the batch's longest sample with padding_value,
 * as torch.nn.utils.rnn.pad_sequence(batch_first=True, padding_value=...) does; errors for
 * a missing item_shape hook and a shape that contradicts the declaration.
 */
#include "core/context.h"
#include "data/collate.h"
#include "data/dataloader.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <string.h>

/* sample i: tokens int64 [i % 4 + 1] = 10 i + t; pairs float [i % 3 + 1, 2] = i + 0.25 k;
 * label int64 [] = i */
static int64_t bad_shape_at = -1, huge_at = -1, huge_len;

static lt_status item_shape(lt_ctx *ctx, void *self, lt_split split, int64_t i, int f,
                            int64_t *shape) {
    if (f == 0) shape[0] = i == huge_at ? huge_len : i % 4 + 1;
    if (f == 1) {
        shape[0] = i % 3 + 1;
        if (i == bad_shape_at) shape[1] = 3; /* declared 2 */
    }
    return LT_OK;
}

static lt_status get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    int64_t *tok = dst[0];
    for (int64_t t = 0; t < i % 4 + 1; t++) tok[t] = 10 * i + t;
    float *p = dst[1];
    for (int64_t k = 0; k < 2 * (i % 3 + 1); k++) p[k] = (float)i + 0.25f * (float)k;
    *(int64_t *)dst[2] = i;
    return LT_OK;
}

static lt_dataset make_ds(void) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = 5;
    ds.batch_size = 4;
    ds.nfields = 3;
    ds.fields[0] = (lt_field){.name = "tokens", .dtype = LT_INT64, .ndim = 1, .shape = {LT_VARIABLE_DIM}};
    ds.fields[1] = (lt_field){.name = "pairs", .dtype = LT_FLOAT32, .ndim = 2, .shape = {LT_VARIABLE_DIM, 2}};
    ds.fields[2] = (lt_field){.name = "label", .dtype = LT_INT64, .ndim = 0};
    ds.padding_value[0] = -1;
    ds.padding_value[1] = 0.5;
    return ds;
}

START_TEST(padded_batches_match_pad_sequence) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds();
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ck_assert_int_eq(ltr_collate_attach(&dl, item_shape), LT_OK);
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
    ck_assert_int_eq(b->size, 4);
    /* pad_sequence([tensor([10 i + t for t in range(i % 4 + 1)]) for i in range(4)],
     * batch_first=True, padding_value=-1): shape (4, 4) */
    static const int64_t want_tok[16] = {0, -1, -1, -1, 10, 11, -1, -1, 20, 21, 22, -1, 30, 31, 32, 33};
    lt_tensor *t = b->fields[0];
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->shape[0], 4);
    ck_assert_int_eq(t->shape[1], 4);
    for (int k = 0; k < 16; k++) ck_assert_int_eq(((int64_t *)t->data)[k], want_tok[k]);
    /* pad_sequence([tensor([i + 0.25 k for k in range(2 * (i % 3 + 1))]).reshape(-1, 2)
     * for i in range(4)], batch_first=True, padding_value=0.5): shape (4, 3, 2) */
    static const float want_pairs[24] = {0, 0.25, 0.5, 0.5, 0.5, 0.5, 1, 1.25, 1.5, 1.75, 0.5, 0.5, 2, 2.25, 2.5, 2.75, 3, 3.25, 3, 3.25, 0.5, 0.5, 0.5, 0.5};
    t = b->fields[1];
    ck_assert_int_eq(t->ndim, 3);
    ck_assert_int_eq(t->shape[1], 3);
    ck_assert_int_eq(t->shape[2], 2);
    ck_assert_int_eq(t->stride[0], 6);
    for (int k = 0; k < 24; k++) ck_assert_float_eq(((float *)t->data)[k], want_pairs[k]);
    t = b->fields[2];
    ck_assert_int_eq(t->ndim, 1);
    for (int k = 0; k < 4; k++) ck_assert_int_eq(((int64_t *)t->data)[k], k);
    /* the last, partial batch holds sample 4 alone: its own length, no padding */
    ck_assert_int_eq(ltr_dataloader_get(&dl, 1, &b), LT_OK);
    ck_assert_int_eq(b->size, 1);
    ck_assert_int_eq(b->fields[0]->shape[0], 1);
    ck_assert_int_eq(b->fields[0]->shape[1], 1);
    ck_assert_int_eq(((int64_t *)b->fields[0]->data)[0], 40);
    ck_assert_int_eq(b->fields[1]->shape[1], 2);
    ck_assert_float_eq(((float *)b->fields[1]->data)[3], 4.75f);
    ck_assert_int_eq(((int64_t *)b->fields[2]->data)[0], 4);
    /* and back to the long batch: the buffers grow again */
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
    ck_assert_int_eq(b->fields[0]->shape[1], 4);
    ck_assert_int_eq(((int64_t *)b->fields[0]->data)[15], 33);
    ltr_dataloader_free(&dl);
}
END_TEST

START_TEST(variable_dims_need_item_shape_and_consistent_shapes) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds();
    char msg[900];
    /* no item_shape hook */
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ck_assert_int_eq(ltr_collate_attach(&dl, NULL), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "item_shape"));
    ck_assert_ptr_nonnull(strstr(msg, "'tokens'"));
    /* a fixed dimension that differs from the declaration */
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_VAL, get_item, NULL, 1), LT_OK);
    ck_assert_int_eq(ltr_collate_attach(&dl, item_shape), LT_OK);
    bad_shape_at = 2;
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "item_shape(val, 2) gave field 1 ('pairs') the shape [3, 3] but the dataset declares [-1, 2]"));
    bad_shape_at = -1;
    ltr_dataloader_free(&dl);
    /* negative dimensions other than LT_VARIABLE_DIM stay refused */
    ds.fields[0].shape[0] = -2;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "negative dimension"));
    /* fixed-shape loaders do not take the padded path */
    ds = make_ds();
    ds.fields[0].shape[0] = 1;
    ds.fields[1].shape[0] = 1;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ck_assert(!dl.variable);
    ck_assert_int_eq(ltr_collate_attach(&dl, NULL), LT_OK);
    ltr_dataloader_free(&dl);
}
END_TEST


/* a sample length whose padded batch overflows a 64-bit byte count (a plugin's garbage
 * shape) is an error naming the split, sample and field; it wrapped to a tiny buffer and
 * the batch came back with shape [4, 2^62] over it */
START_TEST(huge_sample_shape_is_an_error) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    lt_dataset ds = make_ds();
    char msg[900];
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, get_item, NULL, 1), LT_OK);
    ck_assert_int_eq(ltr_collate_attach(&dl, item_shape), LT_OK);
    const int64_t lens[] = {(int64_t)1 << 62, INT64_MAX};
    for (int k = 0; k < 2; k++) {
        huge_at = 1, huge_len = lens[k];
        lt_batch *b;
        ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_ERROR);
        ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
        ck_assert_msg(strstr(msg, "the train loader: sample 1's field 0 ('tokens') is too large"),
                      "%s", msg);
    }
    /* each sample fits (2^62 bytes) but the padded batch of 4 does not */
    huge_at = 1, huge_len = (int64_t)1 << 59;
    lt_batch *b;
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "the train loader: a batch of 4 samples of field 0 ('tokens') "
                              "padded to [576460752303423488] is more bytes"), "%s", msg);
    huge_at = -1; /* and the loader works again */
    ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &b), LT_OK);
    ck_assert_int_eq(b->fields[0]->shape[1], 4);
    ltr_dataloader_free(&dl);
}
END_TEST

int main(void) {
    Suite *s = suite_create("collate");
    TCase *tc = tcase_create("collate");
    tcase_add_test(tc, padded_batches_match_pad_sequence);
    tcase_add_test(tc, variable_dims_need_item_shape_and_consistent_shapes);
    tcase_add_test(tc, huge_sample_shape_is_an_error);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
