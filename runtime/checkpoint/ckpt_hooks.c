/*
 * ckpt_hooks.c — the checkpoint hooks of modules, data modules and callbacks, and the
 * lt_ckpt_writer / lt_ckpt_reader host calls they use (ABI 1.4).
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

static lt_status hook_result(const ltr_ckpt_state *s, lt_status rc, const char *who, const char *name,
                             const char *hook, char *err, size_t cap) {
    char msg[1024] = "";
    bool had = ltr_ctx_take_error(s->ctx, msg, sizeof msg);
    if (rc == LT_OK && !had) return LT_OK;
    snprintf(err, cap, "%s '%s', hook %s: %s", who, name, hook,
             msg[0] ? msg : "the hook returned an error without a message (call lt_fail)");
    return LT_ERROR;
}

typedef ltr_ckpt_save_fn save_fn;
typedef ltr_ckpt_load_fn load_fn;

/* fn(self, io) with the hook announced for a crash report */
static lt_status call_save(const ltr_ckpt_state *s, save_fn fn, void *self, lt_ckpt_writer *w,
                           const char *who, const char *plugin, const char *hook) {
    if (s->hook_enter) s->hook_enter(s->owner, who, plugin, hook);
    lt_status rc = fn(&s->ctx->pub, self, w);
    if (s->hook_leave) s->hook_leave(s->owner, hook);
    return rc;
}
static lt_status call_load(const ltr_ckpt_state *s, load_fn fn, void *self, lt_ckpt_reader *r,
                           const char *who, const char *plugin, const char *hook) {
    if (s->hook_enter) s->hook_enter(s->owner, who, plugin, hook);
    lt_status rc = fn(&s->ctx->pub, self, r);
    if (s->hook_leave) s->hook_leave(s->owner, hook);
    return rc;
}

/* Run fn into a new group `name` of loc; drop the group again when empty and drop_empty. */
static lt_status save_into(const ltr_ckpt_state *s, hid_t loc, const char *name, const char *where, bool drop_empty,
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
        lt_status hrc = call_save(s, fn, self, &w, who, plugin, hook);
        rc = hook_result(s, hrc, who, plugin, hook, err, cap);
    }
    H5G_info_t gi = {0};
    bool empty = H5Gget_info(g, &gi) >= 0 && gi.nlinks == 0;
    H5Gclose(g);
    if (rc == LT_OK && empty && drop_empty) H5Ldelete(loc, name, H5P_DEFAULT);
    return rc;
}

static const char *mod_name(const ltr_ckpt_state *s) {
    return s->module.name ? s->module.name : "module";
}
static const char *dm_name(const ltr_ckpt_state *s) {
    return s->datamodule.name ? s->datamodule.name : "datamodule";
}

lt_status ltr_ckpt_save_hooks(const ltr_ckpt_state *s, hid_t f, bool weights_only, char *err,
                              size_t cap) {
    hid_t cg = ltr_h5_group(f, "callbacks");
    if (cg < 0) {
        snprintf(err, cap, "creating /callbacks failed");
        return LT_ERROR;
    }
    lt_status rc = LT_OK;
    /* 1. callbacks' state_dict (not for weights_only), keyed by the callback's name */
    for (int i = 0; i < s->ncallbacks && rc == LT_OK && !weights_only; i++) {
        ltr_ckpt_party p, *cb = &p;
        s->callback_at(s->owner, i, &p);
        save_fn fn = cb->state_dict;
        if (!fn) continue;
        hid_t g = ltr_h5_group(cg, cb->name);
        if (g < 0) {
            snprintf(err, cap, "creating /callbacks/%s failed", cb->name);
            rc = LT_ERROR;
            break;
        }
        char where[128];
        snprintf(where, sizeof where, "/callbacks/%s/state", cb->name);
        rc = save_into(s, g, "state", where, true, fn, cb->self, "callback", cb->name, "state_dict", err, cap);
        H5Gclose(g);
    }
    /* 2. the data module's state_dict */
    if (rc == LT_OK)
        rc = save_into(s, f, "datamodule", "/datamodule", false, s->datamodule.state_dict,
                       s->datamodule.self, "data module", dm_name(s), "state_dict", err, cap);
    /* 3. callbacks' on_save_checkpoint (not for weights_only) */
    for (int i = 0; i < s->ncallbacks && rc == LT_OK && !weights_only; i++) {
        ltr_ckpt_party p, *cb = &p;
        s->callback_at(s->owner, i, &p);
        save_fn fn = cb->on_save_checkpoint;
        if (!fn) continue;
        hid_t g = H5Lexists(cg, cb->name, H5P_DEFAULT) > 0 ? H5Gopen2(cg, cb->name, H5P_DEFAULT)
                                                            : ltr_h5_group(cg, cb->name);
        if (g < 0) {
            snprintf(err, cap, "creating /callbacks/%s failed", cb->name);
            rc = LT_ERROR;
            break;
        }
        char where[128];
        snprintf(where, sizeof where, "/callbacks/%s/extra", cb->name);
        rc = save_into(s, g, "extra", where, true, fn, cb->self, "callback", cb->name, "on_save_checkpoint",
                       err, cap);
        H5G_info_t gi = {0};
        bool empty = H5Gget_info(g, &gi) >= 0 && gi.nlinks == 0;
        H5Gclose(g);
        if (empty) H5Ldelete(cg, cb->name, H5P_DEFAULT);
    }
    H5Gclose(cg);
    /* 4. the module's on_save_checkpoint, last */
    if (rc == LT_OK)
        rc = save_into(s, f, "extra", "/extra", false, s->module.on_save_checkpoint, s->module.self,
                       "module", mod_name(s), "on_save_checkpoint", err, cap);
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

static lt_status load_from(const ltr_ckpt_state *s, hid_t file, const char *path, load_fn fn, void *self,
                           const char *who, const char *plugin, const char *hook, char *err, size_t cap) {
    lt_ckpt_reader r = {-1, path, NULL, 0};
    if (path_exists(file, path)) r.group = H5Gopen2(file, path, H5P_DEFAULT);
    lt_status hrc = call_load(s, fn, self, &r, who, plugin, hook);
    lt_status rc = hook_result(s, hrc, who, plugin, hook, err, cap);
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

lt_status ltr_ckpt_load_module_hook_view(const ltr_ckpt_state *s, hid_t file, char *err, size_t cap) {
    load_fn fn = s->module.on_load_checkpoint;
    if (!fn) return LT_OK;
    return load_from(s, file, "/extra", fn, s->module.self, "module", mod_name(s), "on_load_checkpoint",
                     err, cap);
}

lt_status ltr_ckpt_load_other_hooks_view(const ltr_ckpt_state *s, hid_t file, bool fitting,
                                         char *err, size_t cap) {
    load_fn fn = s->datamodule.load_state_dict;
    /* restore_datamodule: only when the data module's state is in the checkpoint */
    if (fn && nonempty_group(file, "/datamodule") &&
        load_from(s, file, "/datamodule", fn, s->datamodule.self, "data module", dm_name(s), "load_state_dict",
                  err, cap))
        return LT_ERROR;
    if (!fitting) return LT_OK; /* restore_callbacks runs for fit only */
    for (int i = 0; i < s->ncallbacks; i++) { /* on_load_checkpoint: every callback */
        ltr_ckpt_party p, *cb = &p;
        s->callback_at(s->owner, i, &p);
        load_fn f = cb->on_load_checkpoint;
        char path[128];
        snprintf(path, sizeof path, "/callbacks/%s/extra", cb->name);
        if (f && load_from(s, file, path, f, cb->self, "callback", cb->name, "on_load_checkpoint", err, cap))
            return LT_ERROR;
    }
    for (int i = 0; i < s->ncallbacks; i++) { /* load_state_dict: those with a state */
        ltr_ckpt_party p, *cb = &p;
        s->callback_at(s->owner, i, &p);
        load_fn f = cb->load_state_dict;
        char path[128];
        snprintf(path, sizeof path, "/callbacks/%s/state", cb->name);
        if (f && nonempty_group(file, path) &&
            load_from(s, file, path, f, cb->self, "callback", cb->name, "load_state_dict", err, cap))
            return LT_ERROR;
    }
    return LT_OK;
}

/* checkpoint["state_dict"][name] = value (ABI 1.8): the file's /state_dict/<name>, written
 * by the save before the hooks run, is replaced by value; its dtype and shape must match,
 * and its attributes ("kind", "index") are kept. */
lt_status ltr_api_ckpt_put_state_dict(lt_ctx *ctx, lt_ckpt_writer *w, const char *name,
                                      const lt_tensor *value) {
    if (!w || !value) return ltr_fail(ctx, "lt_ckpt_put_state_dict: no writer or no tensor");
    if (bad_key(name))
        return ltr_fail(ctx, "lt_ckpt_put_state_dict: '%s' is not a state_dict name", name ? name : "(null)");
    hid_t file = H5Iget_file_id(w->group);
    hid_t sd = file >= 0 && H5Lexists(file, "state_dict", H5P_DEFAULT) > 0
                   ? H5Gopen2(file, "state_dict", H5P_DEFAULT) : -1;
    lt_status rc = LT_OK;
    if (sd < 0 || H5Lexists(sd, name, H5P_DEFAULT) <= 0) {
        rc = ltr_fail(ctx, "lt_ckpt_put_state_dict: the checkpoint's state_dict has no '%s' "
                           "(only the module's parameters and buffers can be replaced)", name);
        goto out;
    }
    hid_t d = H5Dopen2(sd, name, H5P_DEFAULT);
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[LT_MAX_DIMS] = {0};
    int nd = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (nd >= 0 && nd <= LT_MAX_DIMS) H5Sget_simple_extent_dims(space, dims, NULL);
    char kind[32] = "parameter";
    int64_t index = -1;
    bool has_index = d >= 0 && H5Aexists(d, "index") > 0;
    if (d >= 0) {
        char *k = ltr_h5_get_str(d, "kind");
        if (k) snprintf(kind, sizeof kind, "%s", k);
        free(k);
        if (has_index) ltr_h5_get_i64(d, "index", &index);
    }
    bool same = nd == (value->ndim ? value->ndim : 0) || (nd == 0 && value->ndim == 0);
    for (int i = 0; same && i < value->ndim; i++) same = dims[i] == (hsize_t)value->shape[i];
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1;
    hid_t mt = ltr_h5_mem_type(value->dtype);
    same = same && ft >= 0 && mt >= 0 && H5Tequal(ft, mt) > 0;
    if (ft >= 0) H5Tclose(ft);
    if (space >= 0) H5Sclose(space);
    if (d >= 0) H5Dclose(d);
    if (!same) {
        rc = ltr_fail(ctx, "lt_ckpt_put_state_dict('%s'): the value's dtype or shape differs from "
                           "the module's tensor", name);
        goto out;
    }
    const lt_tensor *c = ltr_is_contiguous(value) ? value : ltr_contiguous(ctx, value);
    if (!c || H5Ldelete(sd, name, H5P_DEFAULT) < 0 ||
        ltr_h5_write_device_array(sd, name, c->device, c->dtype, c->ndim, c->shape, c->data)) {
        rc = ltr_fail(ctx, "lt_ckpt_put_state_dict: writing state_dict/%s failed", name);
        goto out;
    }
    if ((d = H5Dopen2(sd, name, H5P_DEFAULT)) >= 0) {
        rc = ltr_h5_attr_str(d, "kind", kind);
        if (rc == LT_OK && has_index) rc = ltr_h5_attr_i64(d, "index", index);
        H5Dclose(d);
    } else rc = LT_ERROR;
    if (rc) rc = ltr_fail(ctx, "lt_ckpt_put_state_dict: writing state_dict/%s failed", name);
out:
    if (sd >= 0) H5Gclose(sd);
    if (file >= 0) H5Fclose(file);
    return rc;
}
