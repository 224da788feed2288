/*
 * prediction_writer.c — Lightning's BasePredictionWriter (callbacks/prediction_writer.py)
 * with the write_on_batch_end / write_on_epoch_end of Lightning's documented CustomWriter
 * example, as a callback plugin writing NumPy .npy files.
 *
 * init args: output_dir ("<default_root_dir>/predictions"), write_interval "batch"
 * (Lightning's default) | "epoch" | "batch_and_epoch"; anything else is Lightning's
 * MisconfigurationException message.
 *
 * Reproduced behaviour:
 *  - on_predict_batch_end, when the interval writes per batch: write_on_batch_end(
 *    prediction = what predict_step returned, batch_indices, batch, batch_idx,
 *    dataloader_idx = 0) writes OUTPUT_DIR/<dataloader_idx>/<batch_idx>.npy (the example's
 *    os.path.join(output_dir, dataloader_idx, f"{batch_idx}.pt")). A batch whose
 *    predict_step returned None writes nothing.
 *  - on_predict_epoch_end, when the interval writes per epoch: write_on_epoch_end(
 *    predictions, batch_indices) writes OUTPUT_DIR/predictions.npy (the batches'
 *    predictions concatenated along dim 0, i.e. torch.cat(predictions); a 0-d prediction
 *    is one row) and OUTPUT_DIR/batch_indices.npy (int64, one row per sample: the
 *    sampler's index of each predicted sample, trainer.predict_loop.epoch_batch_indices
 *    flattened). With several processes each rank writes predictions_<rank>.npy and
 *    batch_indices_<rank>.npy (the example's multi-device form); their indices are the
 *    positions in that rank's own sample stream.
 *  - batch_indices: the predict dataloader's sampler is sequential (shuffle off), so a
 *    batch's indices are the running sample count; a prediction whose first dim is not the
 *    batch size (a per-batch scalar) gets the batch's first index only.
 *
 * Format (documented in the README): NumPy .npy version 1.0 — the magic "\x93NUMPY", a
 * little-endian header dict {'descr', 'fortran_order': False, 'shape'} padded to 64 bytes,
 * then the C-order data; descr '<f4' float32 (bfloat16 is widened to float32 exactly),
 * '<f8' float64, '<i8' int64, '<i4' int32, '|u1' uint8, '|b1' bool. numpy.load reads it.
 * Every file is written to a temporary name beside it and renamed (lt_tmp_create), so an
 * interrupted run never leaves a torn file under the final name. Predictions of different
 * trailing shapes cannot be concatenated: the epoch write fails naming the batches (use
 * write_interval "batch" then).
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's BasePredictionWriter: predictions to .npy files per batch and/or per epoch"
#include "ltrun.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct pred_batch {
    void *data; /* host copy, in the stored dtype */
    int64_t rows;
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    int64_t batch_idx;
} pred_batch;

typedef struct writer {
    char dir[4096];
    bool on_batch, on_epoch;
    lt_dtype dtype; /* of the stored predictions (bfloat16 stored as float32) */
    pred_batch *batches;
    int64_t n, cap;
    int64_t *indices; /* epoch_batch_indices, flattened */
    int64_t nidx, idx_cap;
    int64_t seen; /* samples so far (the sequential sampler's next index) */
} writer;

static void clear_epoch(writer *w) {
    for (int64_t i = 0; i < w->n; i++) free(w->batches[i].data);
    w->n = 0;
    w->nidx = 0;
}

static void pw_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    writer *w = self;
    if (!w) return;
    clear_epoch(w);
    free(w->batches);
    free(w->indices);
    free(w);
}

static void *pw_create(lt_ctx *ctx, const lt_hparams *hp) {
    const char *interval = lt_hp_str(ctx, hp, "write_interval", "batch");
    const char *dir = lt_hp_str(ctx, hp, "output_dir", NULL);
    writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    if (!strcmp(interval, "batch")) w->on_batch = true;
    else if (!strcmp(interval, "epoch")) w->on_epoch = true;
    else if (!strcmp(interval, "batch_and_epoch")) w->on_batch = w->on_epoch = true;
    else {
        lt_fail(ctx, "prediction_writer: `write_interval` should be one of ['batch', 'epoch', "
                     "'batch_and_epoch'] (got '%s')", interval);
        free(w);
        return NULL;
    }
    if (dir && !*dir) {
        lt_fail(ctx, "prediction_writer: output_dir is empty (give a folder, or leave it out for "
                     "<default_root_dir>/predictions)");
        free(w);
        return NULL;
    }
    if (dir) snprintf(w->dir, sizeof w->dir, "%s", dir);
    return w;
}

static lt_status mkdirs(lt_ctx *ctx, const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return lt_fail(ctx, "prediction_writer: cannot create folder '%s': %s (choose "
                                    "another output_dir)", buf, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return lt_fail(ctx, "prediction_writer: output_dir '%s' is not a folder", path);
    return LT_OK;
}

static lt_status pw_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    writer *w = self;
    if (stage != LT_STAGE_PREDICT) return LT_OK;
    if (!w->dir[0]) snprintf(w->dir, sizeof w->dir, "%s/predictions", lt_default_root_dir(ctx));
    return LT_OK;
}

static const char *descr(lt_dtype d) {
    switch (d) {
    case LT_FLOAT32: return "<f4";
    case LT_FLOAT64: return "<f8";
    case LT_INT64: return "<i8";
    case LT_INT32: return "<i4";
    case LT_UINT8: return "|u1";
    case LT_BOOL: return "|b1";
    default: return NULL;
    }
}

static size_t elem_bytes(lt_dtype d) {
    return d == LT_FLOAT64 || d == LT_INT64 ? 8 : d == LT_UINT8 || d == LT_BOOL ? 1 : 4;
}

/* one .npy file at `path`, through a temporary file renamed over it */
static lt_status write_npy(lt_ctx *ctx, const char *path, lt_dtype dtype, int ndim,
                           const int64_t *shape, const void *data, size_t bytes) {
    char hdr[512], shp[256] = "";
    size_t k = 0;
    for (int d = 0; d < ndim; d++)
        k += (size_t)snprintf(shp + k, sizeof shp - k, "%lld,%s", (long long)shape[d],
                              d + 1 < ndim ? " " : "");
    if (ndim > 1) shp[k - 1] = '\0'; /* (3, 4) — a 1-tuple keeps its comma: (3,) */
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr(dtype), shp);
    /* magic (6) + version (2) + header length (2) + header, padded with spaces and ended
     * by '\n' to a multiple of 64 */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    char tmp[4200];
    int fd = lt_tmp_create(ctx, path, tmp, sizeof tmp);
    if (fd < 0)
        return lt_fail(ctx, "prediction_writer: cannot create a file beside '%s': %s", path,
                       strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return lt_fail(ctx, "prediction_writer: cannot write '%s': %s", path, strerror(errno));
    }
    uint16_t hl = (uint16_t)(n + pad + 1);
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                              (unsigned char)(hl >> 8)};
    bool ok = fwrite(head, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && (bytes == 0 || fwrite(data, 1, bytes, f) == bytes);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lt_fail(ctx, "prediction_writer: writing '%s' failed: %s (free space there or "
                            "choose another output_dir)", path, strerror(e));
    }
    return LT_OK;
}

/* the prediction as host data in its stored dtype (bfloat16 widened to float32) */
static void *host_copy(lt_ctx *ctx, const lt_tensor *t, lt_dtype *stored) {
    lt_dtype d = lt_dtype_of(ctx, t);
    int64_t n = lt_numel(ctx, t);
    *stored = d == LT_BFLOAT16 ? LT_FLOAT32 : d;
    if (!descr(*stored)) {
        lt_fail(ctx, "prediction_writer: predictions of this dtype cannot be written");
        return NULL;
    }
    size_t raw = (size_t)n * (d == LT_BFLOAT16 ? 2 : elem_bytes(d));
    void *buf = malloc((size_t)n * elem_bytes(*stored) + 1);
    if (!buf) {
        lt_fail(ctx, "prediction_writer: out of memory");
        return NULL;
    }
    if (lt_tensor_to_host(ctx, t, buf, raw) != LT_OK) {
        free(buf);
        return NULL;
    }
    if (d == LT_BFLOAT16) { /* float32's top 16 bits: widen in place, from the end */
        uint16_t *h = buf;
        uint32_t *f = buf;
        for (int64_t i = n - 1; i >= 0; i--) f[i] = (uint32_t)h[i] << 16;
    }
    return buf;
}

static lt_status pw_on_predict_batch_end(lt_ctx *ctx, void *self, lt_tensor *out,
                                         lt_batch *batch, int64_t batch_idx) {
    writer *w = self;
    int64_t bs = batch ? lt_batch_size(ctx, batch) : 0;
    int64_t first = w->seen;
    w->seen += bs;
    if (!out) return LT_OK; /* predict_step returned None */
    lt_dtype stored;
    void *data = host_copy(ctx, out, &stored);
    if (!data) return LT_ERROR;
    int nd = lt_ndim(ctx, out);
    int64_t shape[LT_MAX_DIMS];
    for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, out, d);
    size_t bytes = (size_t)lt_numel(ctx, out) * elem_bytes(stored);
    lt_status rc = LT_OK;
    if (w->on_batch) {
        char sub[4200], path[4300];
        /* ABI 1.9: the predict dataloader running (0 with one) */
        snprintf(sub, sizeof sub, "%s/%lld", w->dir, (long long)ctx->dataloader_idx);
        snprintf(path, sizeof path, "%s/%lld.npy", sub, (long long)batch_idx);
        rc = mkdirs(ctx, sub);
        if (rc == LT_OK) rc = write_npy(ctx, path, stored, nd, shape, data, bytes);
    }
    if (rc != LT_OK || !w->on_epoch) {
        free(data);
        return rc;
    }
    if (w->n && (w->dtype != stored || w->batches[0].ndim != (nd ? nd : 1))) goto mismatch;
    if (w->n)
        for (int d = 1; d < nd; d++)
            if (w->batches[0].shape[d] != shape[d]) goto mismatch;
    if (w->n == w->cap) {
        int64_t c = w->cap ? 2 * w->cap : 16;
        pred_batch *b = realloc(w->batches, (size_t)c * sizeof *b);
        if (!b) {
            free(data);
            return lt_fail(ctx, "prediction_writer: out of memory");
        }
        w->batches = b;
        w->cap = c;
    }
    pred_batch *pb = &w->batches[w->n++];
    w->dtype = stored;
    pb->data = data;
    pb->batch_idx = batch_idx;
    pb->ndim = nd ? nd : 1; /* a 0-d prediction is one row */
    pb->rows = nd ? shape[0] : 1;
    pb->shape[0] = pb->rows;
    for (int d = 1; d < nd; d++) pb->shape[d] = shape[d];
    /* the batch's sampler indices: one per row when the rows are the samples */
    int64_t nidx = pb->rows == bs ? bs : 1;
    if (w->nidx + nidx > w->idx_cap) {
        int64_t c = (w->idx_cap ? 2 * w->idx_cap : 256) + nidx;
        int64_t *ix = realloc(w->indices, (size_t)c * sizeof *ix);
        if (!ix) return lt_fail(ctx, "prediction_writer: out of memory");
        w->indices = ix;
        w->idx_cap = c;
    }
    for (int64_t i = 0; i < nidx; i++) w->indices[w->nidx++] = first + i;
    return LT_OK;
mismatch:
    free(data);
    return lt_fail(ctx, "prediction_writer: batch %lld's prediction does not stack with batch "
                        "%lld's (different dtype or trailing shape): write_interval \"epoch\" "
                        "concatenates them along dim 0; use write_interval \"batch\"",
                   (long long)batch_idx, (long long)w->batches[0].batch_idx);
}

static lt_status pw_on_predict_epoch_start(lt_ctx *ctx, void *self) {
    (void)ctx;
    writer *w = self;
    clear_epoch(w);
    w->seen = 0;
    return mkdirs(ctx, w->dir);
}

static lt_status pw_on_predict_epoch_end(lt_ctx *ctx, void *self) {
    writer *w = self;
    if (!w->on_epoch) return LT_OK;
    char pred[4300], idx[4300], suffix[32] = "";
    if (ctx->world_size > 1) snprintf(suffix, sizeof suffix, "_%d", (int)ctx->rank);
    snprintf(pred, sizeof pred, "%s/predictions%s.npy", w->dir, suffix);
    snprintf(idx, sizeof idx, "%s/batch_indices%s.npy", w->dir, suffix);
    int64_t rows = 0, shape[LT_MAX_DIMS] = {0};
    int nd = w->n ? w->batches[0].ndim : 1;
    for (int64_t i = 0; i < w->n; i++) rows += w->batches[i].rows;
    for (int d = 1; d < nd; d++) shape[d] = w->batches[0].shape[d];
    shape[0] = rows;
    size_t row_bytes = elem_bytes(w->n ? w->dtype : LT_FLOAT32);
    for (int d = 1; d < nd; d++) row_bytes *= (size_t)shape[d];
    char *all = malloc(rows * row_bytes + 1);
    if (!all) return lt_fail(ctx, "prediction_writer: out of memory");
    size_t off = 0;
    for (int64_t i = 0; i < w->n; i++) {
        size_t b = (size_t)w->batches[i].rows * row_bytes;
        memcpy(all + off, w->batches[i].data, b);
        off += b;
    }
    lt_status rc = write_npy(ctx, pred, w->n ? w->dtype : LT_FLOAT32, nd, shape, all, off);
    free(all);
    int64_t ni = w->nidx;
    if (rc == LT_OK)
        rc = write_npy(ctx, idx, LT_INT64, 1, &ni, w->indices, (size_t)ni * sizeof(int64_t));
    clear_epoch(w);
    return rc;
}

LT_CALLBACK(prediction_writer, .create = pw_create, .destroy = pw_destroy, .setup = pw_setup,
            .on_predict_epoch_start = pw_on_predict_epoch_start,
            .on_predict_batch_end = pw_on_predict_batch_end,
            .on_predict_epoch_end = pw_on_predict_epoch_end)
