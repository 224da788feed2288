/*
 * ckpt_hooks.c — the checkpoint hooks of modules, data modules and callbacks, and the
 * lt_ckpt_writer / lt_ckpt_reader host calls they use (ABI 1.4). Owned by the
 * checkpoint work (issue 5).
 *
 * Lightning's order (trainer/connectors/checkpoint_connector.py):
 *   dump_checkpoint: callbacks' state_dict (full checkpoints only; kept when not empty,
 *     under checkpoint["callbacks"][state_key]), the data module's state_dict, callbacks'
 *     on_save_checkpoint (full only), then the module's on_save_checkpoint — last.
 *   _restore_modules_and_callbacks: restore_model (the module's on_load_checkpoint, then
 *     the weights), restore_datamodule (load_state_dict when its state is in the file),
 *     and for fit restore_callbacks (every callback's on_load_checkpoint, then
 *     load_state_dict for those whose state is in the file).
 * ltrun's groups: module -> /extra, data module -> /datamodule, callback NAME ->
 * /callbacks/NAME/state (state_dict) and /callbacks/NAME/extra (on_save_checkpoint).
 * Entries are datasets: tensors in their dtype and shape (attribute kind = "tensor"),
 * JSON as a string (kind = "json"). A reader only copies data; nothing is executed.
 */
#include "accelerators/registry.h"
#include "checkpoint/checkpoint.h"
#include "trainer/fault.h"
#include "trainer/trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lt_ckpt_writer {
    hid_t group;
    const char *where; /* "/extra", ... for messages */
};

struct lt_ckpt_reader {
    hid_t group; /* -1: the group is absent (every key is absent) */
    const char *where;
    char **texts; /* get_json results, freed with the reader */
    int ntexts;
};

static bool bad_key(const char *key) {
    return !key || !*key || strchr(key, '/') || !strcmp(key, ".");
}

lt_status ltr_api_ckpt_put_tensor(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const lt_tensor *t) {
    if (!w || !t) return ltr_fail(ctx, "lt_ckpt_put_tensor: no writer or no tensor");
    if (bad_key(key)) return ltr_fail(ctx, "lt_ckpt_put_tensor: key '%s' must be a non-empty name without '/'",
                                      key ? key : "(null)");
    if (H5Lexists(w->group, key, H5P_DEFAULT) > 0)
        return ltr_fail(ctx, "lt_ckpt_put_tensor: %s/%s is written twice", w->where, key);
    const lt_tensor *c = ltr_is_contiguous(t) ? t : ltr_contiguous(ctx, t);
    if (!c) return LT_ERROR;
    hid_t d = -1;
    lt_status rc = ltr_h5_write_device_array(w->group, key, c->device, c->dtype, c->ndim, c->shape, c->data);
    if (rc == LT_OK && (d = H5Dopen2(w->group, key, H5P_DEFAULT)) >= 0) rc = ltr_h5_attr_str(d, "kind", "tensor");
    if (d >= 0) H5Dclose(d);
    return rc ? ltr_fail(ctx, "lt_ckpt_put_tensor: writing %s/%s failed", w->where, key) : LT_OK;
}

lt_status ltr_api_ckpt_put_json(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const char *json) {
    if (!w || !json) return ltr_fail(ctx, "lt_ckpt_put_json: no writer or no text");
    if (bad_key(key)) return ltr_fail(ctx, "lt_ckpt_put_json: key '%s' must be a non-empty name without '/'",
                                      key ? key : "(null)");
    cJSON *parsed = cJSON_Parse(json);
    if (!parsed) return ltr_fail(ctx, "lt_ckpt_put_json: %s/%s is not valid JSON", w->where, key);
    cJSON_Delete(parsed);
    if (H5Lexists(w->group, key, H5P_DEFAULT) > 0)
        return ltr_fail(ctx, "lt_ckpt_put_json: %s/%s is written twice", w->where, key);
    hid_t d = -1;
    lt_status rc = ltr_h5_write_str(w->group, key, json);
    if (rc == LT_OK && (d = H5Dopen2(w->group, key, H5P_DEFAULT)) >= 0) rc = ltr_h5_attr_str(d, "kind", "json");
    if (d >= 0) H5Dclose(d);
    return rc ? ltr_fail(ctx, "lt_ckpt_put_json: writing %s/%s failed", w->where, key) : LT_OK;
}

static bool has(lt_ckpt_reader *r, const char *key) {
    return r && r->group >= 0 && !bad_key(key) && H5Lexists(r->group, key, H5P_DEFAULT) > 0;
}

bool ltr_api_ckpt_has_key(lt_ctx *ctx, lt_ckpt_reader *r, const char *key) {
    (void)ctx;
    return has(r, key);
}

lt_status ltr_api_ckpt_get_tensor(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, lt_tensor *dst) {
    if (!dst) return ltr_fail(ctx, "lt_ckpt_get_tensor: no destination tensor");
    if (!has(r, key))
        return ltr_fail(ctx, "lt_ckpt_get_tensor: the checkpoint has no %s/%s", r ? r->where : "?",
                        key ? key : "(null)");
    if (!ltr_is_contiguous(dst)) return ltr_fail(ctx, "lt_ckpt_get_tensor: the destination must be contiguous");
    hid_t d = H5Dopen2(r->group, key, H5P_DEFAULT);
    if (d < 0) return ltr_fail(ctx, "lt_ckpt_get_tensor: %s/%s is not a dataset", r->where, key);
    hid_t sp = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[LT_MAX_DIMS];
    bool same = ltr_h5_dataset_dtype(d) == (int)dst->dtype && nd == dst->ndim;
    if (same) H5Sget_simple_extent_dims(sp, dims, NULL);
    for (int k = 0; same && k < nd; k++) same = (int64_t)dims[k] == dst->shape[k];
    lt_status rc = LT_OK;
    if (!same)
        rc = ltr_fail(ctx, "lt_ckpt_get_tensor: %s/%s does not have the destination's dtype (%s) and "
                           "shape (%d dims)", r->where, key, ltr_dtype_name(dst->dtype), dst->ndim);
    else if (ltr_numel(dst) > 0) {
        char where[1100], msg[1300];
        snprintf(where, sizeof where, "%s/%s", r->where, key);
        /* read on the host, then onto dst's device unless the host may write it in place */
        void *self;
        bool direct = ltr_device_of(dst->device, &self)->host_accessible;
        size_t bytes = (size_t)ltr_numel(dst) * ltr_dtype_size(dst->dtype);
        void *buf = direct ? dst->data : malloc(bytes);
        if (!buf)
            rc = ltr_fail(ctx, "lt_ckpt_get_tensor: out of memory reading %s", where);
        else if (ltr_ckpt_read(d, ltr_h5_mem_type(dst->dtype), buf, where, msg, sizeof msg))
            rc = ltr_fail(ctx, "lt_ckpt_get_tensor: %s", msg);
        else if (!direct)
            ltr_h5_to_device(dst->device, dst->data, buf, bytes);
        if (!direct) free(buf);
    }
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

const char *ltr_api_ckpt_get_json(lt_ctx *ctx, lt_ckpt_reader *r, const char *key) {
    (void)ctx;
    if (!has(r, key)) return NULL;
    char *s = ltr_h5_read_str(r->group, key);
    if (!s) return NULL;
    char **texts = realloc(r->texts, (size_t)(r->ntexts + 1) * sizeof *texts);
    if (!texts) {
        free(s);
        return NULL;
    }
    r->texts = texts;
    r->texts[r->ntexts++] = s;
    return s;
}

/* ------------------------------------------------------------------ hook calls */

static lt_status hook_result(ltr_trainer *t, lt_status rc, const char *who, const char *name,
                             const char *hook, char *err, size_t cap) {
    char msg[1024] = "";
    bool had = ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    if (rc == LT_OK && !had) return LT_OK;
    snprintf(err, cap, "%s '%s', hook %s: %s", who, name, hook,
             msg[0] ? msg : "the hook returned an error without a message (call lt_fail)");
    return LT_ERROR;
}

typedef lt_status (*save_fn)(lt_ctx *, void *, lt_ckpt_writer *);
typedef lt_status (*load_fn)(lt_ctx *, void *, lt_ckpt_reader *);

/* Run fn into a new group `name` of loc; drop the group again when empty and drop_empty. */
static lt_status save_into(ltr_trainer *t, hid_t loc, const char *name, const char *where, bool drop_empty,
                           save_fn fn, void *self, const char *who, const char *plugin,
                           const char *hook, char *err, size_t cap) {
    hid_t g = ltr_h5_group(loc, name);
    if (g < 0) {
        snprintf(err, cap, "creating %s failed", where);
        return LT_ERROR;
    }
    lt_status rc = LT_OK;
    if (fn) {
        lt_ckpt_writer w = {g, where};
        ltr_fault_push_named(t, who, plugin, hook); /* for a crash report (fault.h) */
        lt_status hrc = fn(&t->ctx.pub, self, &w);
        ltr_fault_pop(hook);
        rc = hook_result(t, hrc, who, plugin, hook, err, cap);
    }
    H5G_info_t gi = {0};
    bool empty = H5Gget_info(g, &gi) >= 0 && gi.nlinks == 0;
    H5Gclose(g);
    if (rc == LT_OK && empty && drop_empty) H5Ldelete(loc, name, H5P_DEFAULT);
    return rc;
}

static const char *mod_name(const ltr_trainer *t) {
    return t->module_plugin.desc ? t->module_plugin.desc->name : "module";
}
static const char *dm_name(const ltr_trainer *t) {
    return t->data_plugin.desc ? t->data_plugin.desc->name : "datamodule";
}

lt_status ltr_ckpt_save_hooks(ltr_trainer *t, hid_t f, bool weights_only, char *err, size_t cap) {
    hid_t cg = ltr_h5_group(f, "callbacks");
    if (cg < 0) {
        snprintf(err, cap, "creating /callbacks failed");
        return LT_ERROR;
    }
    lt_status rc = LT_OK;
    /* 1. callbacks' state_dict (not for weights_only), keyed by the callback's name */
    for (int i = 0; i < t->cbs.n && rc == LT_OK && !weights_only; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        save_fn fn = LTR_HOOK(cb->vt, lt_callback_vtable, state_dict);
        if (!fn) continue;
        hid_t g = ltr_h5_group(cg, cb->label);
        if (g < 0) {
            snprintf(err, cap, "creating /callbacks/%s failed", cb->label);
            rc = LT_ERROR;
            break;
        }
        char where[128];
        snprintf(where, sizeof where, "/callbacks/%s/state", cb->label);
        rc = save_into(t, g, "state", where, true, fn, cb->self, "callback", cb->label, "state_dict", err, cap);
        H5Gclose(g);
    }
    /* 2. the data module's state_dict */
    if (rc == LT_OK)
        rc = save_into(t, f, "datamodule", "/datamodule", false,
                       t->dm_created ? LTR_HOOK(t->dvt, lt_datamodule_vtable, state_dict) : NULL, t->dm,
                       "data module", dm_name(t), "state_dict", err, cap);
    /* 3. callbacks' on_save_checkpoint (not for weights_only) */
    for (int i = 0; i < t->cbs.n && rc == LT_OK && !weights_only; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        save_fn fn = LTR_HOOK(cb->vt, lt_callback_vtable, on_save_checkpoint);
        if (!fn) continue;
        hid_t g = H5Lexists(cg, cb->label, H5P_DEFAULT) > 0 ? H5Gopen2(cg, cb->label, H5P_DEFAULT)
                                                            : ltr_h5_group(cg, cb->label);
        if (g < 0) {
            snprintf(err, cap, "creating /callbacks/%s failed", cb->label);
            rc = LT_ERROR;
            break;
        }
        char where[128];
        snprintf(where, sizeof where, "/callbacks/%s/extra", cb->label);
        rc = save_into(t, g, "extra", where, true, fn, cb->self, "callback", cb->label, "on_save_checkpoint",
                       err, cap);
        H5G_info_t gi = {0};
        bool empty = H5Gget_info(g, &gi) >= 0 && gi.nlinks == 0;
        H5Gclose(g);
        if (empty) H5Ldelete(cg, cb->label, H5P_DEFAULT);
    }
    H5Gclose(cg);
    /* 4. the module's on_save_checkpoint, last */
    if (rc == LT_OK)
        rc = save_into(t, f, "extra", "/extra", false,
                       t->module_created ? LTR_HOOK(t->mvt, lt_module_vtable, on_save_checkpoint) : NULL,
                       t->module, "module", mod_name(t), "on_save_checkpoint", err, cap);
    return rc;
}

/* H5Lexists on every component of an absolute path (a missing middle one is no error) */
static bool path_exists(hid_t file, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) return false;
            if (!c) return true;
            *p = c;
        }
    }
}

static lt_status load_from(ltr_trainer *t, hid_t file, const char *path, load_fn fn, void *self,
                           const char *who, const char *plugin, const char *hook, char *err, size_t cap) {
    lt_ckpt_reader r = {-1, path, NULL, 0};
    if (path_exists(file, path)) r.group = H5Gopen2(file, path, H5P_DEFAULT);
    ltr_fault_push_named(t, who, plugin, hook); /* for a crash report (fault.h) */
    lt_status hrc = fn(&t->ctx.pub, self, &r);
    ltr_fault_pop(hook);
    lt_status rc = hook_result(t, hrc, who, plugin, hook, err, cap);
    if (r.group >= 0) H5Gclose(r.group);
    for (int i = 0; i < r.ntexts; i++) free(r.texts[i]);
    free(r.texts);
    return rc;
}

static bool nonempty_group(hid_t file, const char *path) {
    if (!path_exists(file, path)) return false;
    hid_t g = H5Gopen2(file, path, H5P_DEFAULT);
    if (g < 0) return false;
    H5G_info_t gi = {0};
    bool ok = H5Gget_info(g, &gi) >= 0 && gi.nlinks > 0;
    H5Gclose(g);
    return ok;
}

lt_status ltr_ckpt_load_module_hook(ltr_trainer *t, hid_t file, char *err, size_t cap) {
    load_fn fn = t->module_created ? LTR_HOOK(t->mvt, lt_module_vtable, on_load_checkpoint) : NULL;
    if (!fn) return LT_OK;
    return load_from(t, file, "/extra", fn, t->module, "module", mod_name(t), "on_load_checkpoint", err, cap);
}

lt_status ltr_ckpt_load_other_hooks(ltr_trainer *t, hid_t file, bool fitting, char *err, size_t cap) {
    load_fn fn = t->dm_created ? LTR_HOOK(t->dvt, lt_datamodule_vtable, load_state_dict) : NULL;
    /* restore_datamodule: only when the data module's state is in the checkpoint */
    if (fn && nonempty_group(file, "/datamodule") &&
        load_from(t, file, "/datamodule", fn, t->dm, "data module", dm_name(t), "load_state_dict", err, cap))
        return LT_ERROR;
    if (!fitting) return LT_OK; /* restore_callbacks runs for fit only */
    for (int i = 0; i < t->cbs.n; i++) { /* on_load_checkpoint: every callback */
        ltr_callback *cb = &t->cbs.items[i];
        load_fn f = LTR_HOOK(cb->vt, lt_callback_vtable, on_load_checkpoint);
        char path[128];
        snprintf(path, sizeof path, "/callbacks/%s/extra", cb->label);
        if (f && load_from(t, file, path, f, cb->self, "callback", cb->label, "on_load_checkpoint", err, cap))
            return LT_ERROR;
    }
    for (int i = 0; i < t->cbs.n; i++) { /* load_state_dict: those with a state */
        ltr_callback *cb = &t->cbs.items[i];
        load_fn f = LTR_HOOK(cb->vt, lt_callback_vtable, load_state_dict);
        char path[128];
        snprintf(path, sizeof path, "/callbacks/%s/state", cb->label);
        if (f && nonempty_group(file, path) &&
            load_from(t, file, path, f, cb->self, "callback", cb->label, "load_state_dict", err, cap))
            return LT_ERROR;
    }
    return LT_OK;
}
