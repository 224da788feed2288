/*
 * dp_common.h — what the table data plugins (hdf5, csv, npy) share. Header-only: each plugin is one .so.
 *
 * A "source" is one file's samples: n rows, X of shape [n, xshape...] converted to
 * float32 (what the models take, as ToTensor() gives float32), y as int64 class labels
 * (task classification, the default) or float32 targets (task regression). Sources are
 * kept in memory (x/y arrays) or read on demand through `read` (hdf5 over its budget).
 *
 * Splits, as a LightningDataModule with random_split does it:
 *   train: the train file; val: --data.val_path, else a val_fraction of the train file
 *   split off with random_split(train, [1 - f, f], generator=manual_seed(split_seed));
 *   test: --data.test_path, else a test_fraction of the train file (none without
 *   either): random_split(train, [1 - v - t, v, t], generator=manual_seed(split_seed));
 *   predict: the test split's X, if any.
 * Common hparams: batch_size (128, as the mnist plugin), val_fraction (0.1), test_fraction
 * (0), split_seed (42), val_path, test_path, task ("classification" | "regression"),
 * standardize (false: true z-scores every feature with the train split's mean and
 * population std, sklearn's StandardScaler fitted on train; a constant feature is only
 * centred, as StandardScaler leaves its scale 1).
 */
#ifndef LT_DATA_PLUGIN_COMMON_H
#define LT_DATA_PLUGIN_COMMON_H

#include <ltrun.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dp_source {
    const char *path; /* "" = no such source */
    int64_t n;
    int xndim;                   /* per sample */
    int64_t xshape[LT_MAX_DIMS]; /* per sample */
    int64_t xnumel;              /* per sample */
    int yndim;
    int64_t yshape[LT_MAX_DIMS];
    int64_t ynumel;
    float *x;   /* n * xnumel, or NULL when read on demand */
    void *y;    /* n * ynumel int64 (classification) or float (regression) */
    /* on-demand reading (x == NULL): sample i into x (xnumel floats) and y */
    lt_status (*read)(lt_ctx *ctx, void *self, struct dp_source *s, int64_t i, float *x, void *y);
    void *impl; /* the plugin's per-source state */
} dp_source;

typedef struct dp_common {
    int64_t batch_size, split_seed;
    double val_fraction, test_fraction;
    const char *train_path, *val_path, *test_path;
    bool regression, standardize;
    dp_source train, val, test;
    int64_t *perm; /* split of train into train/val(/test): [train | val | test] */
    int64_t ntrain, nval, ntest;
    bool split_done;
    float *mean, *scale; /* standardize: per feature, from the train split */
} dp_common;

/* the test split is a fraction of the train file */
static inline bool dp_test_from_train(const dp_common *c) {
    return !*c->test_path && c->test_fraction > 0;
}

static inline lt_status dp_common_read(lt_ctx *ctx, const lt_hparams *hp, dp_common *c,
                                       const char *train_key) {
    c->batch_size = lt_hp_int(ctx, hp, "batch_size", 128);
    c->split_seed = lt_hp_int(ctx, hp, "split_seed", 42);
    c->val_fraction = lt_hp_float(ctx, hp, "val_fraction", 0.1);
    c->test_fraction = lt_hp_float(ctx, hp, "test_fraction", 0.0);
    c->standardize = lt_hp_bool(ctx, hp, "standardize", false);
    c->train_path = lt_hp_str(ctx, hp, train_key, "");
    c->val_path = lt_hp_str(ctx, hp, "val_path", "");
    c->test_path = lt_hp_str(ctx, hp, "test_path", "");
    const char *task = lt_hp_str(ctx, hp, "task", "classification");
    if (!strcmp(task, "regression")) c->regression = true;
    else if (strcmp(task, "classification"))
        return lt_fail(ctx, "--data.task '%s': expected classification or regression", task);
    if (c->batch_size < 1)
        return lt_fail(ctx, "--data.batch_size must be >= 1, got %lld", (long long)c->batch_size);
    if (!(c->val_fraction >= 0 && c->val_fraction < 1))
        return lt_fail(ctx, "--data.val_fraction must be in [0, 1), got %g", c->val_fraction);
    if (!(c->test_fraction >= 0 && c->test_fraction < 1))
        return lt_fail(ctx, "--data.test_fraction must be in [0, 1), got %g", c->test_fraction);
    if (c->test_fraction > 0 && *c->test_path)
        return lt_fail(ctx, "--data.test_fraction %g and --data.test_path %s: give one of them",
                       c->test_fraction, c->test_path);
    if ((*c->val_path ? 0 : c->val_fraction) + c->test_fraction >= 1)
        return lt_fail(ctx, "--data.val_fraction %g + --data.test_fraction %g leave no training "
                            "rows: their sum must be below 1", c->val_fraction, c->test_fraction);
    if (!*c->train_path)
        return lt_fail(ctx, "--data.%s is required: the training file", train_key);
    return LT_OK;
}

/* Two sources are one dataset's splits: same X sample shape and y shape. */
static inline lt_status dp_check_like(lt_ctx *ctx, const dp_source *a, const dp_source *b) {
    bool same = a->xndim == b->xndim && a->yndim == b->yndim;
    for (int i = 0; same && i < a->xndim; i++) same = a->xshape[i] == b->xshape[i];
    for (int i = 0; same && i < a->yndim; i++) same = a->yshape[i] == b->yshape[i];
    if (!same)
        return lt_fail(ctx, "%s: its samples' shape differs from %s's (X %lld values per "
                            "sample here, %lld there)", b->path, a->path,
                       (long long)b->xnumel, (long long)a->xnumel);
    return LT_OK;
}

/* torch.utils.data.random_split(range(n), [1 - f, f], generator=manual_seed(seed)) through
 * the host's lt_random_split (ABI 1.5):
 * perm[0 .. ntrain) is train, perm[ntrain .. n) val. */
static inline lt_status dp_split(lt_ctx *ctx, dp_common *c) {
    int64_t n = c->train.n;
    c->perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *c->perm);
    if (!c->perm) return lt_fail(ctx, "%s: out of memory", c->train.path);
    double vf = *c->val_path ? 0 : c->val_fraction, tf = dp_test_from_train(c) ? c->test_fraction : 0;
    c->ntest = 0;
    if (vf == 0 && tf == 0) {
        for (int64_t i = 0; i < n; i++) c->perm[i] = i;
        c->ntrain = n;
        c->nval = 0;
    } else if (tf == 0) {
        double lengths[2] = {1 - vf, vf};
        int64_t sizes[2];
        if (lt_random_split(ctx, n, lengths, 2, (uint64_t)c->split_seed, c->perm, sizes))
            return LT_ERROR;
        c->ntrain = sizes[0];
        c->nval = sizes[1];
    } else { /* random_split(full, [1 - v - t, v, t]): train, val, test in that order */
        double lengths[3] = {1 - vf - tf, vf, tf};
        int64_t sizes[3];
        if (lt_random_split(ctx, n, lengths, 3, (uint64_t)c->split_seed, c->perm, sizes))
            return LT_ERROR;
        c->ntrain = sizes[0];
        c->nval = sizes[1];
        c->ntest = sizes[2];
    }
    if (c->ntrain < 1)
        return lt_fail(ctx, "%s: no training samples left (%lld rows, --data.val_fraction %g)",
                       c->train.path, (long long)n, c->val_fraction);
    c->split_done = true;
    return LT_OK;
}

static inline const dp_source *dp_source_of(const dp_common *c, lt_split split) {
    switch (split) {
    case LT_SPLIT_TRAIN: return &c->train;
    case LT_SPLIT_VAL: return *c->val_path ? &c->val : &c->train;
    default: return dp_test_from_train(c) ? &c->train : &c->test;
    }
}

static inline lt_status dp_dataset(lt_ctx *ctx, const dp_common *c, lt_split split,
                                   lt_dataset *ds) {
    const dp_source *s = dp_source_of(c, split);
    bool from_train = split == LT_SPLIT_TRAIN || split == LT_SPLIT_VAL ||
                      ((split == LT_SPLIT_TEST || split == LT_SPLIT_PREDICT) && dp_test_from_train(c));
    if (!c->split_done && from_train) return LT_OK;
    if (s->n <= 0) return LT_OK; /* not loaded: no such split */
    int64_t len = s->n;
    if (split == LT_SPLIT_TRAIN) len = c->ntrain;
    else if (split == LT_SPLIT_VAL && !*c->val_path) len = c->nval;
    else if (split != LT_SPLIT_VAL && dp_test_from_train(c)) len = c->ntest;
    if (len <= 0) return LT_OK;
    ds->length = len;
    ds->batch_size = c->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = split == LT_SPLIT_PREDICT ? 1 : 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = s->xndim};
    memcpy(ds->fields[0].shape, s->xshape, sizeof s->xshape);
    ds->fields[1] = (lt_field){.name = "y", .dtype = c->regression ? LT_FLOAT32 : LT_INT64,
                               .ndim = s->yndim};
    memcpy(ds->fields[1].shape, s->yshape, sizeof s->yshape);
    return LT_OK;
}

static inline lt_status dp_get_item(lt_ctx *ctx, void *self, const dp_common *c, lt_split split,
                                    int64_t index, void *const *dst) {
    const dp_source *s = dp_source_of(c, split);
    int64_t i = index;
    if (split == LT_SPLIT_TRAIN) i = c->perm[index];
    else if (split == LT_SPLIT_VAL && !*c->val_path) i = c->perm[c->ntrain + index];
    else if (split != LT_SPLIT_VAL && dp_test_from_train(c)) i = c->perm[c->ntrain + c->nval + index];
    size_t ysz = c->regression ? sizeof(float) : sizeof(int64_t);
    if (!s->x) {
        lt_status st;
        if (split != LT_SPLIT_PREDICT) st = s->read(ctx, self, (dp_source *)s, i, dst[0], dst[1]);
        else {
            void *y = malloc((size_t)s->ynumel * ysz + 1); /* predict has no y field */
            if (!y) return lt_fail(ctx, "%s: out of memory", s->path);
            st = s->read(ctx, self, (dp_source *)s, i, dst[0], y);
            free(y);
        }
        if (st) return st;
    } else {
        memcpy(dst[0], s->x + i * s->xnumel, (size_t)s->xnumel * sizeof(float));
        if (split != LT_SPLIT_PREDICT)
            memcpy(dst[1], (const char *)s->y + (size_t)i * s->ynumel * ysz,
                   (size_t)s->ynumel * ysz);
    }
    if (c->mean) { /* StandardScaler.transform: (x - mean) / scale, in float32 */
        float *x = dst[0];
        for (int64_t k = 0; k < s->xnumel; k++) x[k] = (x[k] - c->mean[k]) / c->scale[k];
    }
    return LT_OK;
}

/* Set y (classification: an integral, non-negative class; regression: any number). */
static inline lt_status dp_put_label(lt_ctx *ctx, const dp_common *c, void *y, int64_t k,
                                     double v, const char *where) {
    if (c->regression) {
        ((float *)y)[k] = (float)v;
        return LT_OK;
    }
    /* range first: converting a double outside int64 (1e30, inf) is undefined behaviour */
    if (!(v >= 0 && v < 9223372036854775808.0 && v == (double)(int64_t)v))
        return lt_fail(ctx, "%s: label %g is not a class index (a whole number >= 0; use "
                            "--data.task regression for float targets)", where, v);
    ((int64_t *)y)[k] = (int64_t)v;
    return LT_OK;
}

static inline void dp_source_free(dp_source *s) {
    free(s->x);
    free(s->y);
    s->x = NULL;
    s->y = NULL;
}

/* the three sources and the split permutation */
static inline void dp_common_free(dp_common *c) {
    dp_source_free(&c->train);
    dp_source_free(&c->val);
    dp_source_free(&c->test);
    free(c->perm);
    free(c->mean);
    free(c->scale);
    c->perm = NULL;
    c->mean = c->scale = NULL;
}

/* StandardScaler().fit(train split): per feature the mean and the population std
 * (ddof 0), accumulated in double over the train rows only (val and test rows must not
 * leak into the statistics); scale 1 where the std is 0. */
static inline lt_status dp_fit_standardize(lt_ctx *ctx, void *self, dp_common *c) {
    const dp_source *s = &c->train;
    int64_t d = s->xnumel;
    double *sum = calloc((size_t)d, sizeof *sum), *sq = calloc((size_t)d, sizeof *sq);
    float *row = malloc((size_t)d * sizeof *row + 1);
    void *y = malloc((size_t)s->ynumel * 8 + 1);
    c->mean = malloc((size_t)d * sizeof *c->mean);
    c->scale = malloc((size_t)d * sizeof *c->scale);
    lt_status st = LT_OK;
    if (!sum || !sq || !row || !y || !c->mean || !c->scale) st = lt_fail(ctx, "%s: out of memory", s->path);
    for (int pass = 0; pass < 2 && !st; pass++) /* mean first, then the squared deviations */
        for (int64_t r = 0; r < c->ntrain && !st; r++) {
            int64_t i = c->perm[r];
            const float *x = s->x ? s->x + i * d : row;
            if (!s->x) st = s->read(ctx, self, (dp_source *)s, i, row, y);
            for (int64_t k = 0; k < d && !st; k++) {
                if (pass == 0) sum[k] += x[k];
                else sq[k] += ((double)x[k] - sum[k]) * ((double)x[k] - sum[k]);
            }
            if (pass == 0 && r == c->ntrain - 1)
                for (int64_t k = 0; k < d; k++) sum[k] /= (double)c->ntrain;
        }
    for (int64_t k = 0; k < d && !st; k++) {
        double sd = sqrt(sq[k] / (double)c->ntrain);
        c->mean[k] = (float)sum[k];
        c->scale[k] = sd > 0 ? (float)sd : 1.0f;
    }
    free(sum);
    free(sq);
    free(row);
    free(y);
    if (st) {
        free(c->mean);
        free(c->scale);
        c->mean = c->scale = NULL;
    }
    return st;
}

/* A plugin's file reader: `path` as the source of split `which` (LT_SPLIT_TRAIN, _VAL
 * or _TEST) into *out. */
typedef lt_status (*dp_load_fn)(lt_ctx *ctx, void *self, const char *path, lt_split which,
                                dp_source *out);

/* What every reader's source must be, checked once here: X has values per sample (an X
 * of shape [n, 0] reached the model as [batch, 0], failing there without the file's
 * name); class labels stored as a column ([n, 1], sklearn's / Keras' habit) are the
 * [n] targets cross_entropy takes (np.ravel(y)): the readers already count them as one
 * per row, but handed [batch, 1] on, which the loss refused. */
static inline lt_status dp_load(lt_ctx *ctx, void *self, const dp_common *c, dp_load_fn load,
                                const char *path, lt_split which, dp_source *s) {
    if (load(ctx, self, path, which, s)) return LT_ERROR;
    if (s->xnumel == 0)
        return lt_fail(ctx, "%s: X has no values per sample (shape [n, 0, ...]): nothing to "
                            "train on", path);
    if (!c->regression && s->ynumel == 1) s->yndim = 0;
    return LT_OK;
}

/* setup(stage) of every file plugin: train (+ val file, shaped like train) and the split
 * for fit/validate, once; the test file for test/predict, once. */
static inline lt_status dp_setup(lt_ctx *ctx, void *self, dp_common *c, lt_stage stage,
                                 dp_load_fn load) {
    /* fit --test with no test split would fail only after training: say so now. An
     * older host answers NAN (unknown key): no check. */
    if (stage == LT_STAGE_FIT && !*c->test_path && !dp_test_from_train(c) &&
        lt_trainer_flag(ctx, "test_after_fit") == 1.0)
        return lt_fail(ctx, "--test: this data module has no test split (the test would fail "
                            "after training): give --data.test_path FILE or --data.test_fraction F");
    /* the train file is needed for test/predict too when the test rows or the
     * standardisation statistics come from it */
    bool need_train = stage == LT_STAGE_FIT || stage == LT_STAGE_VALIDATE ||
                      dp_test_from_train(c) || c->standardize;
    if (need_train && !c->split_done) {
        if (dp_load(ctx, self, c, load, c->train_path, LT_SPLIT_TRAIN, &c->train)) return LT_ERROR;
        if (*c->val_path && (dp_load(ctx, self, c, load, c->val_path, LT_SPLIT_VAL, &c->val) ||
                             dp_check_like(ctx, &c->train, &c->val)))
            return LT_ERROR;
        if (dp_split(ctx, c)) return LT_ERROR;
        if (c->standardize && dp_fit_standardize(ctx, self, c)) return LT_ERROR;
    }
    if ((stage == LT_STAGE_TEST || stage == LT_STAGE_PREDICT) && *c->test_path && !c->test.n)
        if (dp_load(ctx, self, c, load, c->test_path, LT_SPLIT_TEST, &c->test)) return LT_ERROR;
    return LT_OK;
}

#endif
