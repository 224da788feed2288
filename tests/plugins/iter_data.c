/*
 * iter_data.c — test data module for iterable datasets (torch's IterableDataset) and the
 * collate hook (tests/test_iterable.sh, test_collate_hook.sh, test_loader_timeout.sh;
 * the module is iter_module.c). Built twice: iter_data.so without a collate hook and,
 * with -DITER_COLLATE, iter_collate_data.so with one.
 *
 * Sample `id` (0..n-1): field x is float32 [2] = {id, worker id (-1 on the training
 * thread)}, or with --data.variable true int64 [LT_VARIABLE_DIM] of length id % 3 + 1
 * holding id * 10 + k; field y is int64 = id. The train split yields ids 0..n-1 in order;
 * with workers each worker yields the ids congruent to its id (torch's get_worker_info
 * sharding), unless --data.shard false (then every worker yields all of them).
 *   --data.n N (10)            train samples        --data.batch_size B (4)
 *   --data.val_n N (0)         an iterable val (and predict) split of N samples
 *   --data.map true            the train split is map-style (get_item, item_shape)
 *   --data.has_len true        the iterable train split has __len__ = n
 *   --data.drop_last true      --data.shuffle true (torch refuses it)
 *   --data.fail_at ID          iter_next / get_item fails at that id
 *   --data.sleep_at ID --data.sleep_s S   sleeps S seconds before yielding that id
 *   --data.collate MODE        (iter_collate_data.so) "pad_front": x padded at the front
 *                              with -1 plus a third field, the lengths; "default":
 *                              lt_default_collate; "gap": makes field 1 only (an error)
 * iter_begin prints "iter_begin split=S worker=W" and iter_end "iter_end split=S
 * worker=W yielded=K" on stderr; iter_begin allocates the iterator state.
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "iterable datasets and the collate hook (test)"
#include <ltrun.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct idm {
    int64_t n, val_n, batch_size, fail_at, sleep_at;
    double sleep_s;
    bool map, has_len, drop_last, shuffle, variable, shard;
    char collate[16];
} idm;

typedef struct iter_state {
    int64_t next, n, step;
    int worker;
    lt_split split;
} iter_state;

static void *idm_create(lt_ctx *ctx, const lt_hparams *hp) {
    idm *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->n = lt_hp_int(ctx, hp, "n", 10);
    d->val_n = lt_hp_int(ctx, hp, "val_n", 0);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 4);
    d->fail_at = lt_hp_int(ctx, hp, "fail_at", -1);
    d->sleep_at = lt_hp_int(ctx, hp, "sleep_at", -1);
    d->sleep_s = lt_hp_float(ctx, hp, "sleep_s", 0.0);
    d->map = lt_hp_bool(ctx, hp, "map", false);
    d->has_len = lt_hp_bool(ctx, hp, "has_len", false);
    d->drop_last = lt_hp_bool(ctx, hp, "drop_last", false);
    d->shuffle = lt_hp_bool(ctx, hp, "shuffle", false);
    d->variable = lt_hp_bool(ctx, hp, "variable", false);
    d->shard = lt_hp_bool(ctx, hp, "shard", true);
    snprintf(d->collate, sizeof d->collate, "%s", lt_hp_str(ctx, hp, "collate", "pad_front"));
    return d;
}

static lt_status idm_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    idm *d = self;
    bool train = split == LT_SPLIT_TRAIN;
    if (!train && split != LT_SPLIT_VAL && split != LT_SPLIT_PREDICT) return LT_OK;
    if (!train && d->val_n <= 0) return LT_OK; /* no such split */
    ds->batch_size = d->batch_size;
    ds->drop_last = d->drop_last;
    ds->shuffle = train && d->shuffle;
    ds->nfields = 2;
    if (d->variable)
        ds->fields[0] = (lt_field){.name = "x", .dtype = LT_INT64, .ndim = 1, .shape = {LT_VARIABLE_DIM}};
    else
        ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    ds->padding_value[0] = -7; /* the built-in collate's pad, visible in the batch */
    if (train && d->map) {
        ds->length = d->n;
        return LT_OK;
    }
    ds->iterable = true;
    ds->length = train && d->has_len ? d->n : -1;
    return LT_OK;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* write sample `id` (sleeping / failing where asked) */
static lt_status write_sample(lt_ctx *ctx, idm *d, int64_t id, void *const *dst) {
    if (id == d->sleep_at && d->sleep_s > 0) sleep_s(d->sleep_s);
    if (id == d->fail_at) return lt_fail(ctx, "sample %lld is corrupt", (long long)id);
    int w = -1, nw = 0;
    lt_worker_info(ctx, &w, &nw);
    if (d->variable) {
        int64_t len = id % 3 + 1;
        int64_t *x = dst[0] ? dst[0] : lt_sample_field(ctx, 0, &len); /* NULL: iterable */
        if (!x) return LT_ERROR;
        for (int64_t k = 0; k < len; k++) x[k] = id * 10 + k;
    } else {
        float *x = dst[0];
        x[0] = (float)id;
        x[1] = (float)w;
    }
    *(int64_t *)dst[1] = id;
    return LT_OK;
}

static lt_status idm_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                              void *const *dst) {
    (void)split;
    return write_sample(ctx, self, index, dst);
}

static lt_status idm_item_shape(lt_ctx *ctx, void *self, lt_split split, int64_t index, int field,
                                int64_t *shape) {
    (void)ctx, (void)self, (void)split, (void)field;
    shape[0] = index % 3 + 1;
    return LT_OK;
}

static lt_status idm_iter_begin(lt_ctx *ctx, void *self, lt_split split, void **iter) {
    idm *d = self;
    iter_state *st = malloc(sizeof *st); /* freed by iter_end: a leak checker sees it */
    if (!st) return lt_fail(ctx, "out of memory");
    int w = -1, nw = 0;
    bool in_worker = lt_worker_info(ctx, &w, &nw);
    st->split = split;
    st->n = split == LT_SPLIT_TRAIN ? d->n : d->val_n;
    st->worker = w;
    /* torch's pattern: each worker yields its share of the stream */
    st->next = in_worker && d->shard ? w : 0;
    st->step = in_worker && d->shard ? nw : 1;
    fprintf(stderr, "iter_begin split=%d worker=%d\n", (int)split, w);
    *iter = st;
    return LT_OK;
}

static lt_status idm_iter_next(lt_ctx *ctx, void *self, lt_split split, void *iter,
                               void *const *dst) {
    (void)split;
    iter_state *st = iter;
    if (st->next >= st->n) return LT_STOP_ITERATION;
    int64_t id = st->next;
    st->next += st->step;
    return write_sample(ctx, self, id, dst);
}

static void idm_iter_end(lt_ctx *ctx, void *self, lt_split split, void *iter) {
    (void)ctx, (void)self;
    iter_state *st = iter;
    fprintf(stderr, "iter_end split=%d worker=%d next=%lld\n", (int)split, st->worker,
            (long long)st->next);
    free(st);
}

#ifdef ITER_COLLATE
/* "pad_front": x [B, maxlen] padded with -1 at the front (left padding, which the
 * built-in collate cannot do), y as given, and a third field: each sample's length */
static lt_status idm_collate(lt_ctx *ctx, void *self, lt_split split, const lt_samples *s,
                             lt_batch *out) {
    idm *d = self;
    (void)split;
    if (!strcmp(d->collate, "default")) return lt_default_collate(ctx, s, out);
    int64_t n = s->count;
    if (!strcmp(d->collate, "gap")) {
        int64_t shape[1] = {n};
        return lt_collate_field(ctx, out, 1, LT_INT64, 1, shape) ? LT_OK : LT_ERROR;
    }
    if (s->fields[0].dtype != LT_INT64)
        return lt_fail(ctx, "collate pad_front wants --data.variable true");
    int64_t maxlen = 0;
    for (int64_t i = 0; i < n; i++)
        if (lt_sample_shape(s, i, 0)[0] > maxlen) maxlen = lt_sample_shape(s, i, 0)[0];
    int64_t xs[2] = {n, maxlen}, ns[1] = {n};
    int64_t *x = lt_collate_field(ctx, out, 0, LT_INT64, 2, xs);
    int64_t *y = lt_collate_field(ctx, out, 1, LT_INT64, 1, ns);
    int64_t *len = lt_collate_field(ctx, out, 2, LT_INT64, 1, ns);
    if (!x || !y || !len) return LT_ERROR;
    for (int64_t i = 0; i < n; i++) {
        int64_t l = lt_sample_shape(s, i, 0)[0];
        const int64_t *src = lt_sample_data(s, i, 0);
        for (int64_t k = 0; k < maxlen - l; k++) x[i * maxlen + k] = -1;
        memcpy(x + i * maxlen + (maxlen - l), src, (size_t)l * sizeof *src);
        y[i] = *(const int64_t *)lt_sample_data(s, i, 1);
        len[i] = l;
    }
    return LT_OK;
}
#define IDM_COLLATE .collate = idm_collate,
#define IDM_NAME iter_collate_data
#else
#define IDM_COLLATE
#define IDM_NAME iter_data
#endif

LT_DATAMODULE(IDM_NAME, .create = idm_create, .dataset = idm_dataset, .get_item = idm_get_item,
              .item_shape = idm_item_shape, .iter_begin = idm_iter_begin,
              .iter_next = idm_iter_next, .iter_end = idm_iter_end, IDM_COLLATE)
