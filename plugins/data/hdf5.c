/*
 * hdf5.c — data plugin `hdf5`: train on datasets of an HDF5 file.
 *
 *   ltrun fit --module mlp --data hdf5 --data.path f.h5 --data.x X --data.y y
 *
 * Hparams: path (train file), x and y (dataset names, a group path allowed: "/data/X";
 * defaults "x", "y"), memory_budget_mb (512), plus the common ones of dp_common.h
 * (val_path, test_path: files with the same dataset names; val_fraction, split_seed,
 * batch_size, task). X is [n, ...] of any float or integer type, read as float32
 * samples of shape [...]; y is [n] (class labels, int64) or, with task regression,
 * [n, ...] float32 targets.
 *
 * Memory: when a file's X and y (as float32 / int64) fit in memory_budget_mb they are
 * read once at setup; otherwise samples are read on demand with hyperslab selections, in
 * blocks of rows (the dataset's chunk rows, or 64, halved until 8 blocks fit the budget)
 * kept in an LRU per file: 8 blocks, or for the train file as many as the budget holds.
 *
 * Block shuffle (hparam block_shuffle, default true; ABI 1.5 LT_SAMPLER_BLOCK_RANDOM): a
 * uniformly shuffled epoch over an on-demand file would read nearly a whole block per
 * sample, so the shuffled train split of such a file is drawn by the host's block-random
 * sampler instead: the order of blocks of block_rows samples is shuffled, then the
 * samples inside each window of W consecutive blocks of that order (a shuffle buffer of
 * W * block_rows samples), W sized so its blocks stay in the LRU (the LRU's blocks less
 * 1/8 of them, for the batches that workers load across a window's end; a third of that
 * when val is a random val_fraction of the file, since then the train samples' rows have
 * gaps and a block of samples spans up to 3 blocks of rows). Each block is then read once
 * per epoch. The order stays a pure function of (seed, epoch) and every train sample is
 * seen once per epoch, but it is not torch's randperm order. With it, over budget, the
 * train and val parts of a val_fraction split also keep their rows in file order (the
 * same samples as random_split's, sorted), so val reads sequentially too. block_shuffle
 * false gives torch's orders back (at the old speed); in memory nothing changes. The
 * loader calls get_item from several threads: unless H5is_library_threadsafe says the
 * library is, every HDF5 call is serialised by one mutex; the block LRU is shared state,
 * so an on-demand read always holds that mutex (a thread-safe HDF5 serialises its own
 * calls with a global lock anyway).
 *
 * Like checkpoint loading (runtime/checkpoint/h5util.c), external links, external raw
 * storage and virtual datasets are refused: the data must be in the named file.
 */
#define LT_PLUGIN_DESCRIPTION "datasets of an HDF5 file (read by chunks over a memory budget)"
#include "dp_common.h"

#include <hdf5.h>
#include <pthread.h>
#include <stddef.h>

#define H5D_CACHE_SLOTS 8 /* the LRU's blocks, at least (val and test files: exactly) */

static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;
static bool h5_threadsafe;
static void h5_enter(void) { if (!h5_threadsafe) pthread_mutex_lock(&h5_lock); }
static void h5_leave(void) { if (!h5_threadsafe) pthread_mutex_unlock(&h5_lock); }

typedef struct h5_block {
    int64_t first; /* first row; -1 = empty slot */
    uint64_t used; /* LRU clock */
    float *x;
    double *y;
} h5_block;

/* one file opened for reading on demand */
typedef struct h5_src {
    hid_t file, dx, dy;
    int64_t block_rows;
    uint64_t clock;
    int nslots;
    h5_block *slot;   /* nslots */
    int32_t *slot_of; /* block number -> slot, -1 = not cached */
} h5_src;

typedef struct h5_dm {
    dp_common c;
    const char *xname, *yname;
    double budget_mb;
    bool block_shuffle;
    h5_src src[3]; /* train, val, test */
} h5_dm;

/* `name` exists as hard/soft links all the way down; external links refused */
static lt_status check_path(lt_ctx *ctx, hid_t file, const char *path, const char *name) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + (buf[0] == '/'); *p;) {
        char *slash = strchr(p, '/');
        if (slash) *slash = '\0';
        htri_t ex = H5Lexists(file, buf, H5P_DEFAULT);
        if (ex <= 0)
            return lt_fail(ctx, "%s: no dataset '%s' (no '%s' in the file; h5ls -r %s lists "
                                "what is there)", path, name, buf, path);
        H5L_info_t info;
        if (H5Lget_info(file, buf, &info, H5P_DEFAULT) < 0 ||
            (info.type != H5L_TYPE_HARD && info.type != H5L_TYPE_SOFT))
            return lt_fail(ctx, "%s: '%s' is an external (or user-defined) link: ltrun refuses "
                                "data outside the named file", path, buf);
        if (!slash) break;
        *slash = '/';
        p = slash + 1;
    }
    return LT_OK;
}

/* open dataset `name`, check type and storage; dims out */
static hid_t open_ds(lt_ctx *ctx, hid_t file, const char *path, const char *name, int *nd,
                     hsize_t dims[H5S_MAX_RANK]) {
    if (check_path(ctx, file, path, name)) return -1;
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) {
        lt_fail(ctx, "%s: '%s' is not a dataset", path, name);
        return -1;
    }
    hid_t t = H5Dget_type(ds), pl = H5Dget_create_plist(ds), sp = H5Dget_space(ds);
    H5T_class_t cls = H5Tget_class(t);
    int next = H5Pget_external_count(pl);
    H5D_layout_t layout = H5Pget_layout(pl);
    *nd = H5Sget_simple_extent_ndims(sp);
    if (*nd >= 1 && *nd <= H5S_MAX_RANK) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Tclose(t);
    H5Pclose(pl);
    H5Sclose(sp);
    const char *why = NULL;
    char msg[200];
    if (next != 0 || layout == H5D_VIRTUAL)
        why = next ? "keeps its data in external files" : "is a virtual dataset";
    else if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        /* named, with the fix: "class 8" told an h5py user nothing about their bool y */
        const char *what = cls == H5T_STRING ? "strings"
                           : cls == H5T_ENUM ? "an enum (h5py stores bool so)"
                           : cls == H5T_COMPOUND ? "a compound (structured) type" : "not numeric";
        snprintf(msg, sizeof msg, "has an unsupported dtype (HDF5 class %d: %s): only float "
                                  "and integer datasets are read (h5py: f[name] = "
                                  "a.astype('i8') or 'f4')", (int)cls, what);
        why = msg;
    } else if (*nd < 1 || *nd > LT_MAX_DIMS + 1)
        why = "must have 1 to LT_MAX_DIMS + 1 dimensions (samples first)";
    if (why) {
        H5Dclose(ds);
        lt_fail(ctx, "%s: dataset '%s' %s", path, name, why);
        return -1;
    }
    return ds;
}

static lt_status read_rows(hid_t ds, hid_t memtype, int64_t first, int64_t count, void *out) {
    hid_t sp = H5Dget_space(ds);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t start[H5S_MAX_RANK] = {0}, cnt[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(sp, cnt, NULL);
    start[0] = (hsize_t)first;
    cnt[0] = (hsize_t)count;
    herr_t e = H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, cnt, NULL);
    hid_t ms = H5Screate_simple(nd, cnt, NULL);
    if (e >= 0) e = H5Dread(ds, memtype, ms, sp, H5P_DEFAULT, out);
    H5Sclose(ms);
    H5Sclose(sp);
    return e < 0 ? LT_ERROR : LT_OK;
}

static lt_status h5_convert_y(lt_ctx *ctx, const dp_common *c, const dp_source *s,
                              const double *yv, int64_t first, int64_t rows, void *y) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < s->ynumel; k++) {
            char where[1300];
            snprintf(where, sizeof where, "%s: y row %lld", s->path, (long long)(first + r));
            if (dp_put_label(ctx, c, y, r * s->ynumel + k, yv[r * s->ynumel + k], where))
                return LT_ERROR;
        }
    return LT_OK;
}

/* on-demand read of sample i through the block LRU */
static lt_status h5_read_sample(lt_ctx *ctx, void *self, dp_source *s, int64_t i, float *x,
                                void *y) {
    h5_dm *d = self;
    h5_src *h = s->impl;
    lt_status st = LT_OK;
    pthread_mutex_lock(&h5_lock); /* the LRU's slots and clock, whatever HDF5 is */
    int64_t first = i - i % h->block_rows, blk = i / h->block_rows;
    h5_block *b = h->slot_of[blk] >= 0 ? &h->slot[h->slot_of[blk]] : NULL;
    if (!b) {
        h5_block *victim = &h->slot[0];
        for (int k = 1; k < h->nslots; k++)
            if (h->slot[k].used < victim->used) victim = &h->slot[k];
        b = victim;
        if (b->first >= 0) h->slot_of[b->first / h->block_rows] = -1;
        int64_t rows = first + h->block_rows > s->n ? s->n - first : h->block_rows;
        b->first = -1;
        if (read_rows(h->dx, H5T_NATIVE_FLOAT, first, rows, b->x) ||
            read_rows(h->dy, H5T_NATIVE_DOUBLE, first, rows, b->y))
            st = lt_fail(ctx, "%s: reading rows %lld..%lld of '%s'/'%s' failed", s->path,
                         (long long)first, (long long)(first + rows - 1), d->xname, d->yname);
        else b->first = first, h->slot_of[blk] = (int32_t)(b - h->slot);
    }
    if (!st) {
        b->used = ++h->clock;
        int64_t r = i - first;
        memcpy(x, b->x + r * s->xnumel, (size_t)s->xnumel * sizeof *x);
        st = h5_convert_y(ctx, &d->c, s, b->y + r * s->ynumel, i, 1, y);
    }
    pthread_mutex_unlock(&h5_lock);
    return st;
}

static lt_status load_h5(lt_ctx *ctx, h5_dm *d, const char *path, dp_source *s, h5_src *h,
                         bool train) {
    *s = (dp_source){.path = path};
    h->file = h->dx = h->dy = -1;
    lt_status st = LT_ERROR;
    h5_enter();
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our messages, not HDF5's stack dumps */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int nx = 0, ny = 0;
    hsize_t xd[H5S_MAX_RANK], yd[H5S_MAX_RANK];
    hid_t dx = -1, dy = -1;
    if (f < 0) {
        lt_fail(ctx, "cannot open %s as an HDF5 file", path);
        goto out;
    }
    if ((dx = open_ds(ctx, f, path, d->xname, &nx, xd)) < 0 ||
        (dy = open_ds(ctx, f, path, d->yname, &ny, yd)) < 0)
        goto out;
    if (xd[0] != yd[0]) {
        lt_fail(ctx, "%s: '%s' has %llu rows but '%s' has %llu: their first dimensions must "
                     "match", path, d->xname, (unsigned long long)xd[0], d->yname,
                (unsigned long long)yd[0]);
        goto out;
    }
    s->n = (int64_t)xd[0];
    s->xndim = nx > 1 ? nx - 1 : 1;
    s->xshape[0] = 1;
    s->xnumel = 1;
    /* values per sample, checked: [20, 2^32, 2^32] wrapped to 0 values (a dataset that
     * large can exist unwritten, chunked) and reached the model as [batch, 0] */
    double xvals = 1, yvals = 1;
    for (int k = 1; k < nx; k++) xvals *= (double)xd[k];
    for (int k = 1; k < ny; k++) yvals *= (double)yd[k];
    if (xvals > 1e15 || yvals > 1e15) {
        lt_fail(ctx, "%s: dataset '%s': %g values per sample is too large to read (a sample "
                     "is one row of the first dimension)", path, xvals > 1e15 ? d->xname : d->yname,
                xvals > 1e15 ? xvals : yvals);
        goto out;
    }
    for (int k = 1; k < nx; k++) s->xnumel *= (int64_t)(s->xshape[k - 1] = (int64_t)xd[k]);
    s->yndim = ny - 1;
    s->ynumel = 1;
    for (int k = 1; k < ny; k++) s->ynumel *= (int64_t)(s->yshape[k - 1] = (int64_t)yd[k]);
    if (!d->c.regression && s->ynumel != 1) {
        lt_fail(ctx, "%s: dataset '%s': class labels must be one per row ([n]), got %lld per "
                     "row (--data.task regression for vector targets)", path, d->yname,
                (long long)s->ynumel);
        goto out;
    }
    if (s->n == 0) {
        lt_fail(ctx, "%s: dataset '%s' has no rows", path, d->xname);
        goto out;
    }
    double bytes = (double)s->n * (double)(s->xnumel * 4 + s->ynumel * 8);
    if (bytes <= d->budget_mb * 1048576.0) { /* fits: read once */
        s->x = malloc((size_t)(s->n * s->xnumel) * sizeof(float));
        double *yv = malloc((size_t)(s->n * s->ynumel) * sizeof(double));
        s->y = malloc((size_t)(s->n * s->ynumel) * 8);
        if (!s->x || !yv || !s->y) {
            free(yv);
            lt_fail(ctx, "%s: out of memory (lower --data.memory_budget_mb to read on demand)", path);
            goto out;
        }
        if (read_rows(dx, H5T_NATIVE_FLOAT, 0, s->n, s->x) ||
            read_rows(dy, H5T_NATIVE_DOUBLE, 0, s->n, yv)) {
            free(yv);
            lt_fail(ctx, "%s: reading '%s'/'%s' failed", path, d->xname, d->yname);
            goto out;
        }
        st = h5_convert_y(ctx, &d->c, s, yv, 0, s->n, s->y);
        free(yv);
        goto out;
    }
    /* over budget: blocks of the chunk's rows (or 64) on demand; 8 blocks within budget */
    hid_t pl = H5Dget_create_plist(dx);
    hsize_t chunk[H5S_MAX_RANK];
    h->block_rows = 64;
    if (H5Pget_layout(pl) == H5D_CHUNKED && H5Pget_chunk(pl, H5S_MAX_RANK, chunk) > 0)
        h->block_rows = (int64_t)chunk[0];
    H5Pclose(pl);
    double row_bytes = (double)(s->xnumel * 4 + s->ynumel * 8);
    while (h->block_rows > 1 &&
           H5D_CACHE_SLOTS * h->block_rows * row_bytes > d->budget_mb * 1048576.0)
        h->block_rows /= 2;
    /* the train file's LRU: as many blocks as the budget holds (its block shuffle's
     * window), at least 8, at most the file's */
    int64_t nblocks = (s->n + h->block_rows - 1) / h->block_rows;
    double fit = (double)(int64_t)(d->budget_mb * 1048576.0 / (h->block_rows * row_bytes));
    h->nslots = H5D_CACHE_SLOTS;
    if (train && fit > H5D_CACHE_SLOTS) h->nslots = fit < (double)nblocks ? (int)fit : (int)nblocks;
    if (h->nslots > nblocks) h->nslots = (int)nblocks;
    h->slot = calloc((size_t)h->nslots, sizeof *h->slot);
    h->slot_of = malloc((size_t)nblocks * sizeof *h->slot_of);
    if (!h->slot || !h->slot_of) {
        lt_fail(ctx, "%s: out of memory", path);
        goto out;
    }
    for (int64_t k = 0; k < nblocks; k++) h->slot_of[k] = -1;
    for (int k = 0; k < h->nslots; k++) {
        h->slot[k].first = -1;
        h->slot[k].x = malloc((size_t)(h->block_rows * s->xnumel) * sizeof(float));
        h->slot[k].y = malloc((size_t)(h->block_rows * s->ynumel) * sizeof(double));
        if (!h->slot[k].x || !h->slot[k].y) {
            lt_fail(ctx, "%s: out of memory", path);
            goto out;
        }
    }
    h->file = f, h->dx = dx, h->dy = dy;
    f = dx = dy = -1;
    s->read = h5_read_sample;
    s->impl = h;
    st = LT_OK;
out:
    if (dx >= 0) H5Dclose(dx);
    if (dy >= 0) H5Dclose(dy);
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    h5_leave();
    if (st) dp_source_free(s);
    return st;
}

static void h5_src_close(h5_src *h) {
    if (h->dx > 0) H5Dclose(h->dx);
    if (h->dy > 0) H5Dclose(h->dy);
    if (h->file > 0) H5Fclose(h->file);
    for (int k = 0; k < h->nslots && h->slot; k++) free(h->slot[k].x), free(h->slot[k].y);
    free(h->slot);
    free(h->slot_of);
    memset(h, 0, sizeof *h);
}

static void *h5_create(lt_ctx *ctx, const lt_hparams *hp) {
    h5_dm *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->xname = lt_hp_str(ctx, hp, "x", "x");
    d->yname = lt_hp_str(ctx, hp, "y", "y");
    d->budget_mb = lt_hp_float(ctx, hp, "memory_budget_mb", 512);
    d->block_shuffle = lt_hp_bool(ctx, hp, "block_shuffle", true);
    if (!(d->budget_mb >= 0)) {
        lt_fail(ctx, "--data.memory_budget_mb must be >= 0, got %g", d->budget_mb);
        return NULL;
    }
    if (dp_common_read(ctx, hp, &d->c, "path")) return NULL;
    hbool_t ts = 0;
    H5is_library_threadsafe(&ts);
    h5_threadsafe = ts;
    return d;
}

static void h5_destroy(lt_ctx *ctx, void *self) {
    h5_dm *d = self;
    dp_source *s[3] = {&d->c.train, &d->c.val, &d->c.test};
    h5_enter();
    for (int k = 0; k < 3; k++) {
        dp_source_free(s[k]);
        h5_src_close(&d->src[k]);
    }
    h5_leave();
    free(d->c.perm);
    d->c.perm = NULL;
}

/* each split's file keeps its open handles in its own h5_src */
static lt_status h5_load(lt_ctx *ctx, void *self, const char *path, lt_split which,
                         dp_source *out) {
    h5_dm *d = self;
    int k = which == LT_SPLIT_TRAIN ? 0 : which == LT_SPLIT_VAL ? 1 : 2;
    return load_h5(ctx, d, path, out, &d->src[k], which == LT_SPLIT_TRAIN);
}

static int by_row(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static lt_status h5_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    h5_dm *d = self;
    bool had_split = d->c.split_done;
    if (dp_setup(ctx, self, &d->c, stage, h5_load)) return LT_ERROR;
    if (d->c.split_done && !had_split && !d->c.train.x && d->block_shuffle) {
        /* over budget: the train and val parts of the split in file order (see above) */
        qsort(d->c.perm, (size_t)d->c.ntrain, sizeof *d->c.perm, by_row);
        qsort(d->c.perm + d->c.ntrain, (size_t)d->c.nval, sizeof *d->c.perm, by_row);
    }
    return LT_OK;
}

static lt_status h5_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    h5_dm *d = self;
    if (dp_dataset(ctx, &d->c, split, ds)) return LT_ERROR;
    const h5_src *h = &d->src[0];
    if (split == LT_SPLIT_TRAIN && ds->length > 0 && ds->shuffle && !d->c.train.x &&
        d->block_shuffle && ds->size >= offsetof(lt_dataset, shuffle_blocks) + sizeof(int32_t)) {
        /* ABI 1.5: block shuffle over the LRU's blocks (see above) */
        int w = h->nslots - h->nslots / 8;
        if (d->c.nval > 0) w /= 3;
        ds->sampler = LT_SAMPLER_BLOCK_RANDOM;
        ds->block_size = h->block_rows;
        ds->shuffle_blocks = w > 1 ? w : 1;
    }
    return LT_OK;
}

static lt_status h5_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                             void *const *dst) {
    return dp_get_item(ctx, self, &((h5_dm *)self)->c, split, index, dst);
}

LT_DATAMODULE(hdf5, .create = h5_create, .destroy = h5_destroy, .setup = h5_setup,
              .dataset = h5_dataset, .get_item = h5_get_item)
