/* test_iterable_loader.c — the loader over an iterable dataset (ABI 1.9; data/iterable.h,
 * data/iter_workers.h) below the trainer: batches and the end of the stream, the
 * lookahead, uneven worker streams in torch's round-robin order, a resumed epoch that
 * skips its first batches, going back restarting the iterator, every iter_begin matched
 * by an iter_end (also when an epoch is cut short or the loader freed mid-stream), and
 * the collate hook's entry points outside a collate. */
#include "core/context.h"
#include "data/collate_fn.h"
#include "data/dataloader.h"
#include "data/sample_store.h"
#include "data/worker_thread.h"
#include "tensor/tensor.h"

#include "check_run.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int begins, ends;
static int64_t stream_len = 10; /* ids 0..n-1; worker w of nw yields ids w, w+nw, ... */
static int64_t worker_len[4] = {-1, -1, -1, -1}; /* cap on a worker's samples (-1: none) */

typedef struct it {
    int64_t next, step, left;
} it;

static lt_status ib(lt_ctx *ctx, void *self, lt_split split, void **out) {
    (void)self, (void)split;
    it *s = malloc(sizeof *s);
    if (!s) return ltr_fail(ctx, "oom");
    int w = -1, nw = 0;
    bool worker = ltr_api_worker_info(ctx, &w, &nw);
    s->next = worker ? w : 0;
    s->step = worker ? nw : 1;
    s->left = worker && worker_len[w] >= 0 ? worker_len[w] : INT64_MAX;
    atomic_fetch_add(&begins, 1);
    *out = s;
    return LT_OK;
}

static lt_status in(lt_ctx *ctx, void *self, lt_split split, void *iter, void *const *dst) {
    (void)ctx, (void)self, (void)split;
    it *s = iter;
    if (s->next >= stream_len || s->left-- <= 0) return LT_STOP_ITERATION;
    *(int64_t *)dst[0] = s->next;
    s->next += s->step;
    return LT_OK;
}

static void ie(lt_ctx *ctx, void *self, lt_split split, void *iter) {
    (void)ctx, (void)self, (void)split;
    free(iter);
    atomic_fetch_add(&ends, 1);
}

static lt_dataset make_ds(int64_t bs, int nw) {
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = -1;
    ds.iterable = true;
    ds.batch_size = bs;
    ds.nfields = 1;
    ds.fields[0] = (lt_field){.name = "id", .dtype = LT_INT64, .ndim = 0};
    ds.num_workers = nw;
    ds.prefetch_factor = 2;
    ds.seed = -1;
    return ds;
}

static void open_loader(ltr_dataloader *dl, ltr_ctx *ctx, lt_dataset ds) {
    ltr_ctx_init(ctx, NULL);
    ck_assert_int_eq(ltr_dataloader_init(dl, &ctx->pub, &ds, LT_SPLIT_TRAIN, NULL, NULL, 1), LT_OK);
    ltr_loader_hooks h = {.iter_begin = ib, .iter_next = in, .iter_end = ie};
    ck_assert_int_eq(ltr_dataloader_attach(dl, &h), LT_OK);
}

/* the epoch's batches as "a,b|c,d|e", asking for batch b then whether it is the last */
static void epoch_text(ltr_dataloader *dl, char *out, size_t cap, int64_t from) {
    size_t k = 0;
    out[0] = '\0';
    for (int64_t b = from;; b++) {
        lt_batch *bt;
        ck_assert_int_eq(ltr_dataloader_get(dl, b, &bt), LT_OK);
        if (!bt) break;
        const int64_t *y = bt->fields[0]->data;
        for (int64_t i = 0; i < bt->size; i++)
            k += (size_t)snprintf(out + k, cap - k, "%s%lld", i ? "," : k ? "|" : "", (long long)y[i]);
        bool last;
        ck_assert_int_eq(ltr_dataloader_peek_end(dl, b, &last), LT_OK);
        /* the batch stays valid while the next one is fetched ahead */
        ck_assert_int_eq(*(const int64_t *)bt->fields[0]->data, y[0]);
        if (last) {
            ck_assert_int_eq(ltr_dataloader_get(dl, b + 1, &bt), LT_OK);
            ck_assert_ptr_null(bt);
            break;
        }
    }
}

START_TEST(stream_batches_end_and_length) {
    ltr_ctx ctx;
    ltr_dataloader dl;
    atomic_store(&begins, 0), atomic_store(&ends, 0);
    open_loader(&dl, &ctx, make_ds(4, 0));
    ck_assert_int_eq(ltr_dataloader_len(&dl), LTR_LEN_UNKNOWN);
    char t[256];
    for (int e = 0; e < 2; e++) {
        ltr_dataloader_set_epoch(&dl, e);
        epoch_text(&dl, t, sizeof t, 0);
        ck_assert_str_eq(t, "0,1,2,3|4,5,6,7|8,9");
    }
    ck_assert_int_eq(begins, 2);
    ck_assert_int_eq(ends, 2);
    ltr_dataloader_free(&dl);
    /* __len__: len(DataLoader) from it, ceil (floor with drop_last) */
    lt_dataset ds = make_ds(4, 0);
    ds.length = 10;
    open_loader(&dl, &ctx, ds);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 3);
    ltr_dataloader_free(&dl);
    ds.drop_last = true;
    open_loader(&dl, &ctx, ds);
    ck_assert_int_eq(ltr_dataloader_len(&dl), 2);
    ltr_dataloader_set_epoch(&dl, 0);
    epoch_text(&dl, t, sizeof t, 0);
    ck_assert_str_eq(t, "0,1,2,3|4,5,6,7"); /* the short last batch dropped */
    ltr_dataloader_free(&dl);
}
END_TEST

/* a resumed epoch (its first get is batch k) skips k batches; going back restarts; an
 * epoch cut short and a loader freed mid-stream still close their iterators */
START_TEST(skip_restart_and_iterators_closed) {
    for (int nw = 0; nw <= 2; nw++) {
        ltr_ctx ctx;
        ltr_dataloader dl;
        atomic_store(&begins, 0), atomic_store(&ends, 0);
        open_loader(&dl, &ctx, make_ds(2, nw));
        char want[256], t[256];
        ltr_dataloader_set_epoch(&dl, 0);
        epoch_text(&dl, want, sizeof want, 0);
        ltr_dataloader_set_epoch(&dl, 1);
        epoch_text(&dl, t, sizeof t, 2); /* from batch 2 */
        ck_assert_str_eq(t, strchr(strchr(want, '|') + 1, '|') + 1);
        lt_batch *bt;
        ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &bt), LT_OK); /* back: a new iterator */
        ck_assert_int_eq(*(const int64_t *)bt->fields[0]->data, 0);
        ltr_dataloader_set_epoch(&dl, 2); /* cut short */
        ck_assert_int_eq(ltr_dataloader_get(&dl, 0, &bt), LT_OK);
        ltr_dataloader_free(&dl); /* mid-stream */
        ck_assert_int_gt(begins, 0);
        ck_assert_int_eq(begins, ends);
    }
}
END_TEST

/* workers whose streams end at different lengths: taken in turn, an ended one skipped */
START_TEST(uneven_workers_round_robin) {
    ltr_ctx ctx;
    ltr_dataloader dl;
    stream_len = 100;
    worker_len[0] = 1, worker_len[1] = 5, worker_len[2] = 3;
    open_loader(&dl, &ctx, make_ds(1, 3));
    char t[256];
    for (int e = 0; e < 2; e++) {
        ltr_dataloader_set_epoch(&dl, e);
        epoch_text(&dl, t, sizeof t, 0);
        /* w0: 0; w1: 1,4,7,10,13; w2: 2,5,8 */
        ck_assert_str_eq(t, "0|1|2|4|5|7|8|10|13");
    }
    ltr_dataloader_free(&dl);
    stream_len = 10;
    worker_len[0] = worker_len[1] = worker_len[2] = -1;
}
END_TEST

START_TEST(collate_entry_points_outside_a_collate) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    lt_batch *b = NULL;
    int64_t shape[1] = {2};
    ck_assert_ptr_null(ltr_api_collate_field(&ctx.pub, b, 0, LT_FLOAT32, 1, shape));
    ck_assert(ltr_ctx_take_error(&ctx, NULL, 0));
    ck_assert_int_eq(ltr_api_default_collate(&ctx.pub, NULL, b), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, NULL, 0));
    ck_assert_ptr_null(ltr_api_sample_field(&ctx.pub, 0, shape));
    ck_assert(ltr_ctx_take_error(&ctx, NULL, 0));
}
END_TEST

START_TEST(torch_refusals) {
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_dataloader dl;
    char msg[1024];
    lt_dataset ds = make_ds(2, 0);
    ds.shuffle = true;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, NULL, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "expected unspecified shuffle option, but got shuffle=True"));
    ds = make_ds(2, 0);
    ds.sampler = LT_SAMPLER_RANDOM;
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, NULL, NULL, 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "expected unspecified sampler option"));
    ds = make_ds(2, 0);
    ck_assert_int_eq(ltr_dataloader_init(&dl, &ctx.pub, &ds, LT_SPLIT_TRAIN, NULL, NULL, 1), LT_OK);
    ltr_loader_hooks none = {0};
    ck_assert_int_eq(ltr_dataloader_attach(&dl, &none), LT_ERROR); /* no iter_next */
    ck_assert(ltr_ctx_take_error(&ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "no iter_next hook"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("iterable_loader");
    TCase *tc = tcase_create("loader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, stream_batches_end_and_length);
    tcase_add_test(tc, skip_restart_and_iterators_closed);
    tcase_add_test(tc, uneven_workers_round_robin);
    tcase_add_test(tc, collate_entry_points_outside_a_collate);
    tcase_add_test(tc, torch_refusals);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
