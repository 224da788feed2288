/*
 * prediction.c — trainer.predict: the predict loop and the predictions file.
 *
 * Lightning's order (reference/lightning.md §1.5): setup("predict") (DM, CB, LM;
 * trainer.c), the predict dataloader, limit_predict_batches, on_predict_model_eval under
 * inference mode, CB/LM on_predict_start and on_predict_epoch_start, per batch the
 * transfer hooks, CB/LM on_predict_batch_start, predict_step(batch, i) — whose default
 * is forward(batch[0]) here (Lightning's default calls self(batch)) — and CB/LM
 * on_predict_batch_end(outputs), then CB/LM on_predict_epoch_end and on_predict_end, and
 * teardown. Hooks go through hooks.h (callbacks, then the module). Logging is forbidden
 * in predict hooks, as in Lightning.
 * The predict dataloader is the data module's LT_SPLIT_PREDICT dataset; a data module
 * without one is predicted over its test dataset (said on stderr), since ltrun's
 * example data modules describe no predict split.
 *
 * The file (HDF5, readable by h5py/h5dump): one dataset per output name — "predictions"
 * for what predict_step returns, and one per name given to lt_predict_output — with the
 * batches concatenated along dim 0 (a 0-d output counts as one row), in the tensor's
 * dtype (bool as uint8). It is built in memory and written at the end to a temporary file
 * beside PATH, then renamed to PATH (checkpoint/h5image.h), so a failed or interrupted run
 * never leaves a partial file under PATH, and a full disk is a clean error. Memory: the
 * file's size (all predictions, as Lightning's return_predictions keeps them in a list).
 */
#include "checkpoint/checkpoint.h" /* ltr_h5_mem_type */
#include "checkpoint/h5image.h"
#include "trainer/trainer.h"
#include "tensor/ops.h"

#include "tensor/arena.h"
#include "tensor/autograd.h"

#include <hdf5.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)

typedef struct out_dataset {
    char name[128];
    hid_t dset;
    lt_dtype dtype;
    int ndim;                     /* of one batch's output, >= 1 */
    hsize_t shape[LT_MAX_DIMS];   /* shape[0] = rows so far */
} out_dataset;

typedef struct pred_writer {
    hid_t file;                   /* image.file */
    ltr_h5_image image;
    char path[4096];
    out_dataset *ds;
    int n, cap;
    int64_t batch;                /* the batch being written (for messages) */
    int dataloader_idx;           /* ABI 1.9: with several predict loaders the one running
                                     (names get "_dataloader_idx_N"); -1 with one */
} pred_writer;

static out_dataset *find_or_create(pred_writer *w, lt_ctx *ctx, const char *name,
                                   const lt_tensor *x, int ndim, const hsize_t *dims) {
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->ds[i].name, name)) return &w->ds[i];
    if (strlen(name) >= sizeof w->ds[0].name || !*name || strchr(name, '/')) {
        ltr_fail(ctx, "predict: output name '%s' must be 1-127 characters without '/'", name);
        return NULL;
    }
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 4;
        out_dataset *g = realloc(w->ds, (size_t)cap * sizeof *g);
        if (!g) {
            ltr_fail(ctx, "predict: out of memory");
            return NULL;
        }
        w->ds = g;
        w->cap = cap;
    }
    out_dataset *d = &w->ds[w->n];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->dtype = x->dtype;
    d->ndim = ndim;
    hsize_t cur[LT_MAX_DIMS], max[LT_MAX_DIMS], chunk[LT_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        d->shape[i] = i ? dims[i] : 0;
        cur[i] = d->shape[i];
        max[i] = i ? dims[i] : H5S_UNLIMITED;
        chunk[i] = i ? (dims[i] ? dims[i] : 1) : (dims[0] ? dims[0] : 1);
    }
    hid_t space = H5Screate_simple(ndim, cur, max);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, ndim, chunk);
    d->dset = H5Dcreate2(w->file, name, ltr_h5_mem_type(x->dtype), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (d->dset < 0) {
        ltr_fail(ctx, "predict: cannot create dataset '%s' in %s", name, w->path);
        return NULL;
    }
    w->n++;
    return d;
}

/* Append one batch's output to dataset `name`. */
static lt_status writer_append(void *self, lt_ctx *ctx, const char *name, const lt_tensor *x) {
    pred_writer *w = self;
    if (!name) return ltr_fail(ctx, "lt_predict_output: the name is NULL");
    char suffixed[160];
    if (w->dataloader_idx >= 0) { /* one dataset per output and dataloader */
        snprintf(suffixed, sizeof suffixed, "%s_dataloader_idx_%d", name, w->dataloader_idx);
        name = suffixed;
    }
    /* HDF5 has no native bfloat16: such outputs are stored as float32 (exact widening) */
    if (x && x->dtype == LT_BFLOAT16 && !(x = ltr_to(ctx, x, LT_FLOAT32))) return LT_ERROR;
    int ndim = x->ndim ? x->ndim : 1;
    hsize_t dims[LT_MAX_DIMS];
    for (int i = 0; i < ndim; i++) dims[i] = x->ndim ? (hsize_t)x->shape[i] : 1;
    out_dataset *d = find_or_create(w, ctx, name, x, ndim, dims);
    if (!d) return LT_ERROR;
    char have[96], got[96];
    if (d->dtype != x->dtype)
        return ltr_fail(ctx, "predict: output '%s' is %s in batch %lld but was %s before", name,
                        ltr_dtype_name(x->dtype), (long long)w->batch, ltr_dtype_name(d->dtype));
    bool same = d->ndim == ndim;
    for (int i = 1; same && i < ndim; i++) same = d->shape[i] == dims[i];
    if (!same) {
        lt_tensor before = {.ndim = d->ndim};
        for (int i = 0; i < d->ndim; i++) before.shape[i] = (int64_t)d->shape[i];
        before.shape[0] = -1;
        return ltr_fail(ctx, "predict: output '%s' has shape %s in batch %lld, but earlier "
                             "batches had %s (-1 = any): batches are concatenated along dim 0, "
                             "so the other dims must agree", name, ltr_shape_str(x, got, sizeof got),
                        (long long)w->batch, ltr_shape_str(&before, have, sizeof have));
    }
    const void *host = ltr_host_bytes(ctx, x); /* copied off the device when it must be */
    if (!host) return LT_ERROR;
    hsize_t start[LT_MAX_DIMS] = {0}, total[LT_MAX_DIMS];
    start[0] = d->shape[0];
    for (int i = 0; i < ndim; i++) total[i] = i ? d->shape[i] : d->shape[0] + dims[0];
    herr_t rc = H5Dset_extent(d->dset, total);
    hid_t fspace = rc >= 0 ? H5Dget_space(d->dset) : -1;
    if (fspace >= 0) rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, dims, NULL);
    hid_t mspace = H5Screate_simple(ndim, dims, NULL);
    if (fspace >= 0 && rc >= 0 && dims[0] > 0)
        rc = H5Dwrite(d->dset, ltr_h5_mem_type(x->dtype), mspace, fspace, H5P_DEFAULT, host);
    H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (fspace < 0 || rc < 0)
        return ltr_fail(ctx, "predict: writing output '%s' of batch %lld to %s failed", name,
                        (long long)w->batch, w->path);
    d->shape[0] = total[0];
    return LT_OK;
}

/* Close the datasets; the file is closed (with every id still open in it) by
 * ltr_h5_image_end. */
static void writer_close(pred_writer *w) {
    for (int i = 0; i < w->n; i++) H5Dclose(w->ds[i].dset);
    w->n = 0;
}

typedef lt_status (*plain_hook_fn)(lt_ctx *, void *);

/* The predict loop over `nbatches` batches of `split`, each output appended to w, in
 * Lightning's order (loops/prediction_loop.py; reference/lightning.md §1.5):
 *   on_run_start:  _on_predict_model_eval (LM on_predict_model_eval; default
 *                  model.eval()), CB/LM on_predict_start, CB/LM on_predict_epoch_start
 *   per batch:     on_before_batch_transfer, batch_to_device, on_after_batch_transfer,
 *                  CB/LM on_predict_batch_start(batch, i), predict_step(batch, i),
 *                  CB/LM on_predict_batch_end(predictions, batch, i)
 *   on_run_end:    CB/LM on_predict_epoch_end, CB/LM on_predict_end, then the module's
 *                  train/eval mode from before the loop comes back (_ModuleMode.restore;
 *                  Lightning has no on_predict_model_train hook).
 * nbatches 0 is Lightning's skip: no hook runs. */
static lt_status predict_loop(ltr_trainer *t, lt_split split, const int64_t *max_batches,
                              pred_writer *w) {
    lt_tensor *(*step)(lt_ctx *, void *, lt_batch *, int64_t) = MOD_HOOK(t, predict_step);
    lt_tensor *(*forward)(lt_ctx *, void *, lt_tensor *) = MOD_HOOK(t, forward);
    const char *hook = step ? "predict_step" : "forward";
    int nl = t->nloaders[split];
    int64_t total = 0;
    for (int k = 0; k < nl; k++) total = ltr_batches_add(total, max_batches[k] > 0 ? max_batches[k] : 0);
    if (total <= 0) return LT_OK; /* _PredictionLoop.skip: sum(max_batches) == 0 */
    t->loop.active_loop = LTR_LOOP_EVAL; /* trainer._active_loop (log_gating.c) */
    t->loop.eval_ready = 0;
    t->loop.eval_total = total; /* lt_trainer_flag "num_eval_batches" */
    ltr_progress bar = t->progress;
    for (int k = 0; k < nl; k++) ltr_dataloader_set_epoch(ltr_trainer_loader(t, split, k), 0);
    lt_status rc = LT_OK;
    plain_hook_fn model_eval = MOD_HOOK(t, on_predict_model_eval);
    if (model_eval) {
        ltr_trainer_hook_begin(t, true, "on_predict_model_eval");
        rc = ltr_trainer_hook_done(t, true, "on_predict_model_eval", model_eval(&t->ctx.pub, t->module));
    } else {
        t->ctx.pub.training = false; /* default: self.trainer.model.eval() */
    }
    if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_PREDICT_START, NULL);
    if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_PREDICT_EPOCH_START, NULL);
    bool warned_none = false;
    /* the loaders one after the other (ABI 1.9; a list from predict_dataloader), the
     * bar restarting for each as "Predicting DataLoader k" */
    int last = -1;
    for (int k = 0; k < nl; k++)
        if (max_batches[k] > 0) last = k;
    for (int k = 0; rc == LT_OK && k < nl; k++) {
        int64_t nbatches = max_batches[k];
        if (nbatches <= 0) continue;
        t->ctx.pub.dataloader_idx = k;
        w->dataloader_idx = nl > 1 ? k : -1;
        char desc[64];
        if (nl > 1) snprintf(desc, sizeof desc, "Predicting DataLoader %d", k);
        else snprintf(desc, sizeof desc, "Predicting");
        ltr_progress_start(&bar, desc, nbatches == LTR_INF_BATCHES ? -1 : nbatches);
        for (int64_t b = 0; rc == LT_OK && b < nbatches && !ltr_trainer_interrupted(t); b++) {
            lt_batch *batch;
            if ((rc = ltr_loop_fetch(t, split, b, &batch))) break;
            if (!batch) break; /* ABI 1.9: an iterable dataset's stream ended */
            t->loop.eval_ready++; /* batch_progress.increment_ready */
            t->ctx.pub.batch_idx = b;
            t->ctx.batch_size = (double)batch->size;
            w->batch = b;
            ltr_hook_args a = {.batch = batch, .batch_idx = b};
            if ((rc = ltr_hook_call(t, LTR_H_ON_PREDICT_BATCH_START, &a))) break;
            if ((rc = ltr_step_context_enter(t, hook))) break;
            ltr_trainer_hook_begin(t, true, hook);
            t->ctx.predict_sink = writer_append;
            t->ctx.predict_sink_self = w;
            lt_tensor *out = step ? step(&t->ctx.pub, t->module, batch, b)
                                  : forward(&t->ctx.pub, t->module, ltr_batch_at(&t->ctx.pub, batch, 0));
            ltr_step_context_exit(t, hook);
            /* None from predict_step: nothing for this batch; an error was recorded if any */
            if (out && !t->ctx.failed) writer_append(w, &t->ctx.pub, "predictions", out);
            t->ctx.predict_sink = NULL;
            t->ctx.predict_sink_self = NULL;
            if (!out && !step && !t->ctx.failed) ltr_fail(&t->ctx.pub, "forward returned NULL");
            bool none = !out && !t->ctx.failed;
            rc = ltr_trainer_hook_done(t, true, hook, LT_OK);
            if (rc == LT_OK && none && !warned_none) { /* WarningCache: once */
                warned_none = true;
                fprintf(stderr, "UserWarning: predict returned None if it was on purpose, ignore "
                                "this warning...\n");
            }
            /* on_predict_batch_end(outputs = what predict_step returned, batch, batch_idx) */
            a.tensor = out;
            if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_PREDICT_BATCH_END, &a);
            ltr_tape_reset(t->tape);
            ltr_arena_reset(t->arena);
            ltr_progress_update(&bar, b + 1, NULL);
        }
        if (rc == LT_OK && k != last) ltr_progress_end(&bar, NULL);
    }
    t->ctx.pub.batch_idx = -1;
    t->ctx.pub.dataloader_idx = 0;
    if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_PREDICT_EPOCH_END, NULL);
    if (rc == LT_OK) rc = ltr_hook_call(t, LTR_H_ON_PREDICT_END, NULL);
    ltr_tape_reset(t->tape);
    ltr_arena_reset(t->arena);
    if (rc == LT_OK) ltr_progress_end(&bar, NULL);
    t->loop.active_loop = LTR_LOOP_NONE;
    return rc;
}

lt_status ltr_predict_stage(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    if (!MOD_HOOK(t, predict_step) && !MOD_HOOK(t, forward)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "module '%s' (%s) has neither predict_step nor "
                          "forward: predict needs one of them", t->module_plugin.desc->name,
                          t->module_plugin.path);
        return LT_ERROR;
    }
    lt_split split = LT_SPLIT_PREDICT;
    if (ltr_trainer_build_loader(t, split)) return LT_ERROR;
    if (!t->has_loader[split]) {
        split = LT_SPLIT_TEST;
        if (ltr_trainer_build_loader(t, split)) return LT_ERROR;
        if (!t->has_loader[split]) {
            ltr_trainer_error(t, LTR_EXIT_TRAINING, "data module '%s' provides no predict (or "
                              "test) dataset: predict needs one (fill lt_dataset for "
                              "LT_SPLIT_PREDICT)", t->data_plugin.desc->name);
            return LT_ERROR;
        }
        fprintf(stderr, "data module '%s' has no predict dataset: predicting over its test "
                "dataset\n", t->data_plugin.desc->name);
    }
    /* limit_predict_batches (fast_dev_run sets it to N: options_loop.c) */
    int64_t max_batches[LT_MAX_DATALOADERS];
    int64_t n = ltr_eval_max_batches(t, split, "limit_predict_batches",
                                     t->opts->trainer.limit_predict_batches, max_batches);
    if (n < 0) return LT_ERROR;

    pred_writer w = {.file = -1, .dataloader_idx = -1};
    if (o->predictions_path) snprintf(w.path, sizeof w.path, "%s", o->predictions_path);
    else snprintf(w.path, sizeof w.path, "%s/predictions.h5", o->trainer.default_root_dir);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by ltrun, once */
    char msg[768] = "";
    if (ltr_h5_image_begin(&w.image, w.path, msg, sizeof msg)) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "--predictions %s: %s", w.path, msg);
        return LT_ERROR;
    }
    w.file = w.image.file;
    bool was_training = t->ctx.pub.training, was_grad = t->ctx.grad_enabled;
    ltr_results *was_active = t->metrics.active;
    t->ctx.grad_enabled = false; /* _no_grad_context: no_grad / inference_mode */
    t->ctx.inference_mode = t->opts->trainer.inference_mode; /* Trainer(inference_mode) */
    t->metrics.active = NULL;    /* self.log is forbidden in predict hooks */
    lt_status rc = predict_loop(t, split, max_batches, &w);
    t->ctx.pub.training = was_training;
    t->ctx.grad_enabled = was_grad;
    t->ctx.inference_mode = false;
    t->metrics.active = was_active;

    int nds = w.n;
    char summary[1024] = "";
    size_t len = 0;
    for (int i = 0; i < w.n && len < sizeof summary; i++) {
        lt_tensor shape = {.ndim = w.ds[i].ndim};
        for (int k = 0; k < w.ds[i].ndim; k++) shape.shape[k] = (int64_t)w.ds[i].shape[k];
        char s[96];
        int m = snprintf(summary + len, sizeof summary - len, "%s%s %s %s", i ? ", " : "",
                         w.ds[i].name, ltr_dtype_name(w.ds[i].dtype), ltr_shape_str(&shape, s, sizeof s));
        if (m > 0) len += (size_t)m;
    }
    writer_close(&w);
    free(w.ds);
    bool stopped = ltr_trainer_interrupted(t); /* a collective: every rank asks */
    /* one file per run: rank zero's (the others' images are dropped) */
    bool commit = rc == LT_OK && !stopped && ltr_trainer_is_global_zero(t) && !o->predictions_discard;
    if (ltr_h5_image_end(&w.image, w.path, commit, msg, sizeof msg) && commit) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "--predictions %s: writing the file failed: %s; "
                          "the previous file (if any) is unchanged (free space there or give "
                          "another --predictions path)", w.path, msg);
        return LT_ERROR;
    }
    if (commit)
        fprintf(stderr, "Predictions of %lld batches written to %s (%s)\n",
                (long long)t->loop.eval_ready, w.path, /* the batches run (an iterable's count
                                                          is known only at its end) */
                nds ? summary : "no outputs");
    return rc;
}
