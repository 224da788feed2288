/*
 * ckpt_save.c — write a checkpoint (format v1, docs/checkpoint-format.md) atomically:
 * the HDF5 file is built in memory, written to a new temporary file beside the target
 * (util/tmpfile.h: O_EXCL|O_NOFOLLOW, an unpredictable name), fsync'd, renamed over the
 * target, and the folder fsync'd. On any error the temporary file is removed and the
 * target left as it was; stale temporary files of dead writers are removed first.
 *
 *
 * Contents follow Lightning's dump_checkpoint: epoch, global_step, version,
 * state_dict, loops, optimizer_states, lr_schedulers, hyper_parameters (and, with
 * weights_only, only the first ones and the state_dict).
 */
#include "checkpoint/checkpoint.h"
#include "precision/precision.h"
#include "checkpoint/h5image.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LTR_VERSION
#define LTR_VERSION "0.0.0"
#endif

/* names of the optimizer state buffers by kind (torch's state keys) */
void ltr_ckpt_state_names(int kind, const char *names[3]) {
    names[0] = names[1] = names[2] = NULL;
    switch (kind) {
    case LTR_OPTIM_SGD: names[0] = "momentum_buffer"; break;
    case LTR_OPTIM_ADAM:
    case LTR_OPTIM_ADAMW: names[0] = "exp_avg", names[1] = "exp_avg_sq", names[2] = "max_exp_avg_sq"; break;
    case LTR_OPTIM_RMSPROP: names[0] = "square_avg", names[1] = "momentum_buffer", names[2] = "grad_avg"; break;
    case LTR_OPTIM_ADAGRAD: names[0] = "sum"; break;
    }
}

/* the resume point: the epoch to run next and its first batch */
void ltr_ckpt_resume_point(const ltr_ckpt_state *s, int64_t *epoch, int64_t *batch) {
    const ltr_ckpt_loop *L = &s->loop;
    if (L->epoch_in_progress) {
        *epoch = L->epoch_index;
        *batch = L->epoch_batches_done;
    } else {
        *epoch = L->epochs_processed;
        *batch = 0;
    }
}

static lt_status write_tensors(hid_t g, lt_tensor *const *list, int64_t n, const char *kind,
                               char *err, size_t cap) {
    for (int64_t i = 0; i < n; i++) {
        const lt_tensor *p = list[i];
        if (strchr(p->name, '/') || !strcmp(p->name, ".")) {
            snprintf(err, cap, "%s '%s': a name with '/' cannot be a checkpoint key", kind, p->name);
            return LT_ERROR;
        }
        if (ltr_h5_write_device_array(g, p->name, p->device, p->dtype, p->ndim, p->shape, p->data)) {
            snprintf(err, cap, "writing %s '%s' failed", kind, p->name);
            return LT_ERROR;
        }
        hid_t d = H5Dopen2(g, p->name, H5P_DEFAULT);
        lt_status rc = d < 0 ? LT_ERROR : ltr_h5_attr_str(d, "kind", kind);
        if (d >= 0 && rc == LT_OK) rc = ltr_h5_attr_i64(d, "index", i);
        if (d >= 0) H5Dclose(d);
        if (rc) {
            snprintf(err, cap, "writing %s '%s' failed", kind, p->name);
            return LT_ERROR;
        }
    }
    return LT_OK;
}

static lt_status write_optimizer(hid_t og, const lt_optimizer *o) {
    lt_status rc = ltr_h5_attr_str(og, "name", o->name);
    rc |= ltr_h5_attr_i64(og, "kind", o->kind);
    rc |= ltr_h5_attr_i64(og, "num_param_groups", o->ngroups);
    hid_t pg = ltr_h5_group(og, "param_groups");
    for (int g = 0; g < o->ngroups && rc == LT_OK; g++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%d", g);
        hid_t gg = ltr_h5_group(pg, nm);
        const ltr_param_group *G = &o->groups[g];
        for (int k = 0; ltr_group_key_at(o, k); k++)
            rc |= ltr_h5_attr_f64(gg, ltr_group_key_at(o, k), ltr_group_get(o, g, ltr_group_key_at(o, k)));
        if (G->has_initial_lr) rc |= ltr_h5_attr_f64(gg, "initial_lr", G->initial_lr);
        /* params: the parameters' names (torch keeps indices; names survive reordering) */
        size_t len = 1;
        for (int64_t j = 0; j < G->n; j++) len += strlen(o->params->params[G->index[j]]->name) + 1;
        char *names = calloc(len, 1);
        if (!names) rc = LT_ERROR;
        for (int64_t j = 0; names && j < G->n; j++) {
            if (j) strcat(names, "\n");
            strcat(names, o->params->params[G->index[j]]->name);
        }
        if (names) rc |= ltr_h5_write_str(gg, "params", names);
        free(names);
        rc |= ltr_h5_write_array(gg, "param_index", LT_INT64, 1, &G->n, G->index);
        H5Gclose(gg);
    }
    H5Gclose(pg);
    /* state: per parameter with a state (torch's optimizer.state[p]) */
    hid_t sg = ltr_h5_group(og, "state");
    const char *bn[3];
    ltr_ckpt_state_names(o->kind, bn);
    for (int64_t i = 0; i < o->nstate && rc == LT_OK; i++) {
        const ltr_optim_state *s = &o->state[i];
        if (!s->buf1 && !s->buf2 && !s->buf3 && !s->step) continue;
        const lt_tensor *p = o->params->params[i];
        hid_t pg2 = ltr_h5_group(sg, p->name);
        rc |= ltr_h5_attr_i64(pg2, "step", s->step);
        rc |= ltr_h5_attr_i64(pg2, "param_index", i);
        const lt_tensor *bufs[3] = {s->buf1, s->buf2, s->buf3};
        for (int b = 0; b < 3; b++)
            if (bufs[b] && bn[b])
                rc |= ltr_h5_write_device_array(pg2, bn[b], p->device, p->dtype, p->ndim, p->shape,
                                                bufs[b]->data);
        H5Gclose(pg2);
    }
    H5Gclose(sg);
    return rc ? LT_ERROR : LT_OK;
}

static lt_status write_scheduler(hid_t g, const lt_lr_scheduler *s, const ltr_optim_setup *os) {
    lt_status rc = ltr_h5_attr_str(g, "name", s->name);
    rc |= ltr_h5_attr_i64(g, "kind", s->kind);
    int opt = -1;
    for (int i = 0; i < os->noptimizers; i++)
        if (os->optimizers[i] == s->opt) opt = i;
    rc |= ltr_h5_attr_i64(g, "optimizer", opt);
    rc |= ltr_h5_attr_i64(g, "last_epoch", s->last_epoch);
    rc |= ltr_h5_attr_i64(g, "_step_count", s->step_count);
    rc |= ltr_h5_attr_f64(g, "T_i", s->t_i);
    rc |= ltr_h5_attr_f64(g, "T_cur", s->t_cur);
    rc |= ltr_h5_attr_f64(g, "best", s->best);
    rc |= ltr_h5_attr_i64(g, "num_bad_epochs", s->num_bad_epochs);
    rc |= ltr_h5_attr_i64(g, "cooldown_counter", s->cooldown_counter);
    int64_t n = s->ngroups;
    rc |= ltr_h5_write_array(g, "base_lrs", LT_FLOAT64, 1, &n, s->base_lrs);
    rc |= ltr_h5_write_array(g, "_last_lr", LT_FLOAT64, 1, &n, s->last_lr);
    return rc ? LT_ERROR : LT_OK;
}


/* The hparams a checkpoint stores: each value read, in read order, given ones exactly as
 * given (their JSON), defaults as read; then given keys that were not read (a plugin that
 * reads lazily). NULL when there is nothing (written as {}). Owned by the caller. */
static cJSON *hparams_to_save(const cJSON *given, const cJSON *read) {
    if (!given && !read) return NULL;
    cJSON *out = cJSON_CreateObject();
    const cJSON *it;
    if (read) cJSON_ArrayForEach(it, read) {
            const cJSON *g = given ? cJSON_GetObjectItemCaseSensitive(given, it->string) : NULL;
            cJSON_AddItemToObject(out, it->string, cJSON_Duplicate(g ? g : it, true));
        }
    if (given) cJSON_ArrayForEach(it, given) {
            if (!cJSON_GetObjectItemCaseSensitive(out, it->string))
                cJSON_AddItemToObject(out, it->string, cJSON_Duplicate(it, true));
        }
    return out;
}

/* Lightning's dump_checkpoint (full checkpoints only): a non-empty
 * precision_plugin.state_dict() under the plugin's class name, here
 * /precision/<class_name> as JSON text (GradScaler's scale, growth tracker, ...). */
static lt_status write_precision(const ltr_ckpt_state *t, hid_t f, char *err, size_t cap) {
    bool failed = false;
    cJSON *state = ltr_precision_state_dict(t->precision, &t->ctx->pub, &failed);
    if (failed) {
        char why[1024] = "";
        ltr_ctx_take_error(t->ctx, why, sizeof why);
        snprintf(err, cap, "precision '%s', state_dict: %s", ltr_precision_name(t->precision), why);
        return LT_ERROR;
    }
    if (!state) return LT_OK;
    char *text = cJSON_PrintUnformatted(state);
    cJSON_Delete(state);
    hid_t g = text ? ltr_h5_group(f, "precision") : -1;
    lt_status rc = g < 0 ? LT_ERROR : ltr_h5_write_str(g, t->precision->ops->class_name, text);
    if (g >= 0) H5Gclose(g);
    cJSON_free(text);
    if (rc) snprintf(err, cap, "writing the precision's state failed");
    return rc;
}

static lt_status write_contents(const ltr_ckpt_state *t, hid_t f, bool weights_only, char *err,
                                size_t cap) {
    int64_t epoch, batch;
    ltr_ckpt_resume_point(t, &epoch, &batch);
    hid_t m = ltr_h5_group(f, "meta");
    char abi[32];
    snprintf(abi, sizeof abi, "%d.%d", LT_ABI_MAJOR, LT_ABI_MINOR);
    lt_status rc = m < 0 ? LT_ERROR : LT_OK;
    if (rc == LT_OK) {
        rc |= ltr_h5_attr_str(m, "format", LTR_CKPT_FORMAT);
        rc |= ltr_h5_attr_i64(m, "format_version", LTR_CKPT_VERSION);
        rc |= ltr_h5_attr_str(m, "ltrun_version", LTR_VERSION);
        rc |= ltr_h5_attr_str(m, "abi_version", abi);
        rc |= ltr_h5_attr_str(m, "precision", ltr_precision_name(t->precision));
        rc |= ltr_h5_attr_i64(m, "epoch", epoch);
        rc |= ltr_h5_attr_i64(m, "global_step", t->ctx->pub.global_step);
        rc |= ltr_h5_attr_i64(m, "weights_only", weights_only);
        rc |= ltr_h5_attr_str(m, "module", t->module_name ? t->module_name : "");
        rc |= ltr_h5_attr_str(m, "datamodule", t->data_name ? t->data_name : "");
        H5Gclose(m);
    }
    /* hyper_parameters / datamodule_hyper_parameters as JSON text */
    hid_t h = ltr_h5_group(f, "hparams");
    /* the values the plugins were created with (--ckpt-path's saved ones included) and
     * every default they read: save_hyperparameters() keeps all __init__ arguments */
    cJSON *mh = hparams_to_save(t->model_hp, t->model_hp_read);
    cJSON *dh = hparams_to_save(t->data_hp, t->data_hp_read);
    char *mj = mh ? cJSON_PrintUnformatted(mh) : NULL;
    char *dj = dh ? cJSON_PrintUnformatted(dh) : NULL;
    cJSON_Delete(mh);
    cJSON_Delete(dh);
    rc |= ltr_h5_write_str(h, "module", mj ? mj : "{}");
    rc |= ltr_h5_write_str(h, "data", dj ? dj : "{}");
    cJSON_free(mj);
    cJSON_free(dj);
    H5Gclose(h);
    if (rc) {
        snprintf(err, cap, "writing the metadata failed");
        return LT_ERROR;
    }
    hid_t sd = ltr_h5_group(f, "state_dict");
    rc = write_tensors(sd, t->params->params, t->params->count, "parameter", err, cap);
    if (rc == LT_OK) rc = write_tensors(sd, t->params->buffers, t->params->nbuffers, "buffer", err, cap);
    H5Gclose(sd);
    if (rc) return rc;
    /* weights_only: the data module's state and the module's on_save_checkpoint still
     * run (Lightning's dump_checkpoint) */
    if (weights_only) return ltr_ckpt_save_hooks(t, f, true, err, cap);

    hid_t og = ltr_h5_group(f, "optimizer");
    rc |= ltr_h5_attr_i64(og, "count", t->optim->noptimizers);
    for (int i = 0; i < t->optim->noptimizers && rc == LT_OK; i++) {
        hid_t g = ltr_h5_group_at(og, i);
        rc |= write_optimizer(g, t->optim->optimizers[i]);
        H5Gclose(g);
    }
    H5Gclose(og);
    hid_t lg = ltr_h5_group(f, "lr_schedulers");
    /* every scheduler made in the run, in creation order (SequentialLR's children too) */
    rc |= ltr_h5_attr_i64(lg, "count", t->optim->nowned_sched);
    for (int i = 0; i < t->optim->nowned_sched && rc == LT_OK; i++) {
        hid_t g = ltr_h5_group_at(lg, i);
        rc |= write_scheduler(g, t->optim->owned_sched[i], t->optim);
        H5Gclose(g);
    }
    H5Gclose(lg);
    if (rc) {
        snprintf(err, cap, "writing the optimizer and scheduler states failed");
        return LT_ERROR;
    }
    if (write_precision(t, f, err, cap)) return LT_ERROR;
    const ltr_ckpt_loop *L = &t->loop;
    hid_t loops = ltr_h5_group(f, "loops");
    rc |= ltr_h5_attr_i64(loops, "epochs_processed", L->epochs_processed);
    rc |= ltr_h5_attr_i64(loops, "current_epoch", epoch);
    rc |= ltr_h5_attr_i64(loops, "batch_idx", batch);
    rc |= ltr_h5_attr_i64(loops, "total_batch_idx", L->total_batch_idx);
    rc |= ltr_h5_attr_i64(loops, "batches_that_stepped", L->batches_that_stepped);
    rc |= ltr_h5_attr_i64(loops, "global_step", t->ctx->pub.global_step);
    /* who counted batch_idx: a resume under another world size converts it (ltrun's) */
    rc |= ltr_h5_attr_i64(loops, "world_size", L->world_size > 0 ? L->world_size : 1);
    if (L->batch_size > 0) rc |= ltr_h5_attr_i64(loops, "batch_size", L->batch_size);
    H5Gclose(loops);
    hid_t rg = ltr_h5_group(f, "rng");
    int64_t four = 4;
    rc |= ltr_h5_write_array(rg, "host", LT_INT64, 1, &four, t->rng);
    rc |= ltr_h5_attr_i64(rg, "seed", (int64_t)t->ctx->seed);
    rc |= ltr_h5_attr_i64(rg, "dataloader_seed", (int64_t)(t->loader_seed ? *t->loader_seed : t->ctx->seed));
    rc |= ltr_h5_attr_i64(rg, "dataloader_epoch", epoch);
    H5Gclose(rg);
    if (rc) {
        snprintf(err, cap, "writing loop progress and RNG state failed");
        return LT_ERROR;
    }
    /* callbacks' and the data module's state, on_save_checkpoint (ckpt_hooks.c) */
    return ltr_ckpt_save_hooks(t, f, false, err, cap);
}

lt_status ltr_ckpt_save_view(const ltr_ckpt_state *s, const char *path, bool weights_only,
                             char *err, size_t cap) {
    return ltr_ckpt_save_level_view(s, path, weights_only, s->compression, err, cap);
}

lt_status ltr_ckpt_save_level_view(const ltr_ckpt_state *t, const char *path, bool weights_only,
                                   int compression, char *err, size_t cap) {
    ltr_h5_init();
    if (compression < 0 || compression > 9) {
        snprintf(err, cap, "checkpoint '%s': --trainer.checkpoint_compression %d: use 0 (off) or a gzip "
                           "level 1-9", path, compression);
        return LT_ERROR;
    }
    if (compression > 0 && !H5Zfilter_avail(H5Z_FILTER_DEFLATE)) {
        snprintf(err, cap, "checkpoint '%s': this HDF5 library has no gzip (deflate) filter; use "
                           "--trainer.checkpoint_compression 0", path);
        return LT_ERROR;
    }
    if (!H5Zfilter_avail(H5Z_FILTER_FLETCHER32)) {
        snprintf(err, cap, "saving checkpoint '%s' failed: this HDF5 library was built without "
                           "the Fletcher-32 filter that checkpoints need", path);
        return LT_ERROR;
    }
    char msg[768] = "";
    ltr_h5_image im;
    if (ltr_h5_image_begin(&im, path, msg, sizeof msg)) {
        snprintf(err, cap, "saving checkpoint '%s' failed: %s", path, msg);
        return LT_ERROR;
    }
    ltr_h5_set_compression(compression);
    lt_status rc = write_contents(t, im.file, weights_only, msg, sizeof msg);
    ltr_h5_set_compression(0);
    if (ltr_h5_image_end(&im, path, rc == LT_OK, msg, sizeof msg)) {
        snprintf(err, cap, "saving checkpoint '%s' failed: %s; the previous file (if any) is unchanged",
                 path, msg);
        return LT_ERROR;
    }
    return LT_OK;
}
