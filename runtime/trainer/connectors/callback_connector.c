/*
 * callback_connector.c — callback plugins (--callback PATH[:JSON]) and hook dispatch in
 * Lightning's order (trainer/call.py: _call_callback_hooks, _call_lightning_module_hook).
 *h.
 */
#include "trainer/trainer.h"

#include "cli/hparams.h"
#include "trainer/fault.h"

#include <cjson/cJSON.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { SIG_VOID, SIG_STAGE, SIG_BATCH, SIG_BATCH_END, SIG_TENSOR, SIG_OPT } hook_sig;

#define NO_MEMBER ((size_t)-1)
typedef struct {
    const char *name;
    hook_sig sig;
    size_t cb_off, mod_off; /* offsets into lt_callback_vtable / lt_module_vtable */
} hook_info;

#define CB(m) offsetof(lt_callback_vtable, m)
#define MOD(m) offsetof(lt_module_vtable, m)
#define H(id, m, sig) [id] = {#m, sig, CB(m), MOD(m)}
static const hook_info hooks[LTR_H_COUNT] = {
    H(LTR_H_SETUP, setup, SIG_STAGE),
    H(LTR_H_TEARDOWN, teardown, SIG_STAGE),
    H(LTR_H_ON_FIT_START, on_fit_start, SIG_VOID),
    H(LTR_H_ON_FIT_END, on_fit_end, SIG_VOID),
    [LTR_H_ON_SANITY_CHECK_START] = {"on_sanity_check_start", SIG_VOID, CB(on_sanity_check_start),
                                     NO_MEMBER},
    [LTR_H_ON_SANITY_CHECK_END] = {"on_sanity_check_end", SIG_VOID, CB(on_sanity_check_end),
                                   NO_MEMBER},
    H(LTR_H_ON_TRAIN_START, on_train_start, SIG_VOID),
    H(LTR_H_ON_TRAIN_END, on_train_end, SIG_VOID),
    H(LTR_H_ON_VALIDATION_START, on_validation_start, SIG_VOID),
    H(LTR_H_ON_VALIDATION_END, on_validation_end, SIG_VOID),
    H(LTR_H_ON_TEST_START, on_test_start, SIG_VOID),
    H(LTR_H_ON_TEST_END, on_test_end, SIG_VOID),
    H(LTR_H_ON_PREDICT_START, on_predict_start, SIG_VOID),
    H(LTR_H_ON_PREDICT_END, on_predict_end, SIG_VOID),
    H(LTR_H_ON_TRAIN_EPOCH_START, on_train_epoch_start, SIG_VOID),
    H(LTR_H_ON_TRAIN_EPOCH_END, on_train_epoch_end, SIG_VOID),
    H(LTR_H_ON_VALIDATION_EPOCH_START, on_validation_epoch_start, SIG_VOID),
    H(LTR_H_ON_VALIDATION_EPOCH_END, on_validation_epoch_end, SIG_VOID),
    H(LTR_H_ON_TEST_EPOCH_START, on_test_epoch_start, SIG_VOID),
    H(LTR_H_ON_TEST_EPOCH_END, on_test_epoch_end, SIG_VOID),
    H(LTR_H_ON_PREDICT_EPOCH_START, on_predict_epoch_start, SIG_VOID),
    H(LTR_H_ON_PREDICT_EPOCH_END, on_predict_epoch_end, SIG_VOID),
    H(LTR_H_ON_TRAIN_BATCH_START, on_train_batch_start, SIG_BATCH),
    H(LTR_H_ON_TRAIN_BATCH_END, on_train_batch_end, SIG_BATCH_END),
    H(LTR_H_ON_VALIDATION_BATCH_START, on_validation_batch_start, SIG_BATCH),
    H(LTR_H_ON_VALIDATION_BATCH_END, on_validation_batch_end, SIG_BATCH_END),
    H(LTR_H_ON_TEST_BATCH_START, on_test_batch_start, SIG_BATCH),
    H(LTR_H_ON_TEST_BATCH_END, on_test_batch_end, SIG_BATCH_END),
    H(LTR_H_ON_PREDICT_BATCH_START, on_predict_batch_start, SIG_BATCH),
    H(LTR_H_ON_PREDICT_BATCH_END, on_predict_batch_end, SIG_BATCH_END),
    H(LTR_H_ON_BEFORE_BACKWARD, on_before_backward, SIG_TENSOR),
    H(LTR_H_ON_AFTER_BACKWARD, on_after_backward, SIG_VOID),
    H(LTR_H_ON_BEFORE_OPTIMIZER_STEP, on_before_optimizer_step, SIG_OPT),
    H(LTR_H_ON_BEFORE_ZERO_GRAD, on_before_zero_grad, SIG_OPT),
};

const char *ltr_hook_name(ltr_hook_id h) { return hooks[h].name; }

typedef void (*any_fn)(void);

/* The function pointer at `off` of a vtable whose first field is its size; NULL when
 * the plugin's vtable is older than the member or the member is NULL. */
static any_fn member(const void *vt, size_t off) {
    if (!vt || off == NO_MEMBER || off + sizeof(any_fn) > *(const uint32_t *)vt) return NULL;
    any_fn fn;
    memcpy(&fn, (const char *)vt + off, sizeof fn);
    return fn;
}

static lt_status invoke(lt_ctx *ctx, void *self, hook_sig sig, any_fn fn, const ltr_hook_args *a) {
    static const ltr_hook_args none = {0};
    if (!a) a = &none;
    switch (sig) {
    case SIG_VOID: return ((lt_status(*)(lt_ctx *, void *))fn)(ctx, self);
    case SIG_STAGE: return ((lt_status(*)(lt_ctx *, void *, lt_stage))fn)(ctx, self, a->stage);
    case SIG_BATCH:
        return ((lt_status(*)(lt_ctx *, void *, lt_batch *, int64_t))fn)(ctx, self, a->batch,
                                                                        a->batch_idx);
    case SIG_BATCH_END:
        return ((lt_status(*)(lt_ctx *, void *, lt_tensor *, lt_batch *, int64_t))fn)(
            ctx, self, a->tensor, a->batch, a->batch_idx);
    case SIG_TENSOR: return ((lt_status(*)(lt_ctx *, void *, lt_tensor *))fn)(ctx, self, a->tensor);
    case SIG_OPT: return ((lt_status(*)(lt_ctx *, void *, lt_optimizer *))fn)(ctx, self, a->opt);
    }
    return LT_ERROR;
}

/* Report a callback hook's error as "callback 'x' (path), hook h: message". */
static lt_status callback_done(ltr_trainer *t, const ltr_callback *cb, const char *hook,
                               lt_status rc) {
    char msg[1024] = "";
    bool had = ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    t->ctx.hook_name = NULL;
    if (rc == LT_OK && !had) return LT_OK;
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "callback '%s' (%s), hook %s: %s", cb->label,
                      cb->plugin.path, hook,
                      msg[0] ? msg : "the hook returned an error without a message (call lt_fail)");
    return LT_ERROR;
}

lt_status ltr_callbacks_call(ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a,
                             ltr_cb_select which) {
    for (int i = 0; i < t->cbs.n; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        bool monitoring = cb->vt->traits & (LT_CALLBACK_CHECKPOINT | LT_CALLBACK_MONITORING);
        if ((which == LTR_CB_MONITORING && !monitoring) ||
            (which == LTR_CB_NON_MONITORING && monitoring))
            continue;
        any_fn fn = member(cb->vt, hooks[h].cb_off);
        if (!fn) continue;
        t->ctx.plugin_name = cb->label;
        t->ctx.hook_name = hooks[h].name;
        ltr_fault_push(LTR_FAULT_CALLBACK, cb->label, cb->plugin.path, hooks[h].name,
                       t->ctx.pub.current_epoch, t->ctx.pub.batch_idx);
        lt_status rc = invoke(&t->ctx.pub, cb->self, hooks[h].sig, fn, a);
        ltr_fault_pop(hooks[h].name);
        if (callback_done(t, cb, hooks[h].name, rc)) return LT_ERROR;
    }
    return LT_OK;
}

bool ltr_module_has(ltr_trainer *t, ltr_hook_id h) {
    return member(t->mvt, hooks[h].mod_off) != NULL;
}

lt_status ltr_module_call(ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a) {
    any_fn fn = member(t->mvt, hooks[h].mod_off);
    if (!fn) return LT_OK;
    ltr_trainer_hook_begin(t, true, hooks[h].name);
    lt_status rc = invoke(&t->ctx.pub, t->module, hooks[h].sig, fn, a);
    /* only on_train_batch_start may answer LT_SKIP_EPOCH (Lightning's -1) */
    bool skip = rc == LT_SKIP_EPOCH && h == LTR_H_ON_TRAIN_BATCH_START;
    if (ltr_trainer_hook_done(t, true, hooks[h].name, skip || rc == LT_SKIP_EPOCH ? LT_OK : rc))
        return LT_ERROR;
    return skip ? LT_SKIP_EPOCH : LT_OK;
}

lt_status ltr_hook_call(ltr_trainer *t, ltr_hook_id h, const ltr_hook_args *a) {
    if (ltr_callbacks_call(t, h, a, LTR_CB_ALL)) return LT_ERROR;
    return ltr_module_call(t, h, a);
}

void ltr_callbacks_on_exception(ltr_trainer *t, const char *message) {
    for (int i = 0; i < t->cbs.n; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        void (*fn)(lt_ctx *, void *, const char *) = LTR_HOOK(cb->vt, lt_callback_vtable, on_exception);
        if (!fn || !cb->created) continue;
        t->ctx.plugin_name = cb->label;
        t->ctx.hook_name = "on_exception";
        fn(&t->ctx.pub, cb->self, message);
        ltr_ctx_take_error(&t->ctx, NULL, 0);
    }
    void (*dm)(lt_ctx *, void *, const char *) =
        LTR_HOOK(t->dvt, lt_datamodule_vtable, on_exception);
    if (dm && t->dm_created) {
        ltr_trainer_hook_begin(t, false, "on_exception");
        dm(&t->ctx.pub, t->dm, message);
        ltr_ctx_take_error(&t->ctx, NULL, 0);
        ltr_fault_pop("on_exception");
    }
    t->ctx.hook_name = NULL;
}

/* Loads, labels and creates one callback plugin from SPEC (a name on the plugin search
 * path or a path) with its init args, appended to t->cbs (grown as needed). */
/* a free slot at the end of t->cbs (NULL + error on OOM) */
static ltr_callback *callback_slot(ltr_trainer *t) {
    if (t->cbs.n == t->cbs.cap) {
        int cap = t->cbs.cap ? 2 * t->cbs.cap : 4;
        ltr_callback *items = realloc(t->cbs.items, (size_t)cap * sizeof *items);
        if (!items) {
            ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading callbacks");
            return NULL;
        }
        memset(items + t->cbs.n, 0, (size_t)(cap - t->cbs.n) * sizeof *items);
        t->cbs.items = items;
        t->cbs.cap = cap;
    }
    return &t->cbs.items[t->cbs.n];
}

/* the loaded entry cb (t->cbs.n already counts it): label, hparams, create */
static lt_status callback_create(ltr_trainer *t, ltr_callback *cb, const cJSON *init_args) {
    char err[1024];
    cb->vt = cb->plugin.desc->vtable;
    int twins = 0;
    for (int j = 0; j < t->cbs.n - 1; j++)
        twins += !strcmp(t->cbs.items[j].plugin.desc->name, cb->plugin.desc->name);
    ltr_plugin_label(cb->label, sizeof cb->label, cb->plugin.desc->name, twins);
    cb->hp = calloc(1, sizeof *cb->hp);
    if (!cb->hp) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading callbacks");
        return LT_ERROR;
    }
    ltr_hparams_init(cb->hp, init_args, "--callback init arg ");
    for (int i = 0; i < t->opts->ncallbacks; i++) /* a config's callback: name its line */
        if (t->opts->callbacks[i].init_args == init_args)
            ltr_hparams_set_origin(cb->hp, t->opts->origins, t->opts->callbacks[i].origin);
    void *(*create)(lt_ctx *, const lt_hparams *) = LTR_HOOK(cb->vt, lt_callback_vtable, create);
    if (create) {
        const char *plugin = t->ctx.plugin_name, *hook = t->ctx.hook_name;
        t->ctx.plugin_name = cb->label;
        t->ctx.hook_name = "create";
        ltr_fault_push(LTR_FAULT_CALLBACK, cb->label, cb->plugin.path, "create",
                       t->ctx.pub.current_epoch, -1);
        cb->self = create(&t->ctx.pub, cb->hp);
        ltr_fault_pop("create");
        if (callback_done(t, cb, "create", cb->self ? LT_OK : LT_ERROR)) return LT_ERROR;
        t->ctx.plugin_name = plugin;
        t->ctx.hook_name = hook;
    }
    cb->created = true;
    if (ltr_hparams_check_unread(cb->hp, cb->label, err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "%s", err);
        return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_callback_add(ltr_trainer *t, const char *spec, const cJSON *init_args,
                           const char *option) {
    char err[1024], path[4096];
    /* a NAME is found on the plugin search path (plugin/discover.c) */
    ltr_callback *cb = callback_slot(t);
    if (!cb) return LT_ERROR;
    if (ltr_plugin_resolve(spec, LT_KIND_CALLBACK, path, sizeof path, err, sizeof err) ||
        ltr_plugin_load(path, LT_KIND_CALLBACK, &cb->plugin, err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_PLUGIN, "%s: %s", option, err);
        return LT_ERROR;
    }
    t->cbs.n++;
    return callback_create(t, cb, init_args);
}

/* ltrun tune's in-process callback (options.builtin_callback): no file, no handle */
static lt_status builtin_callback_add(ltr_trainer *t, const lt_descriptor *d) {
    ltr_callback *cb = callback_slot(t);
    if (!cb) return LT_ERROR;
    cb->plugin.path = malloc(sizeof "(ltrun tune)");
    if (!cb->plugin.path) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading callbacks");
        return LT_ERROR;
    }
    memcpy(cb->plugin.path, "(ltrun tune)", sizeof "(ltrun tune)");
    cb->plugin.desc = d;
    t->cbs.n++;
    return callback_create(t, cb, NULL);
}

/* Where the shipped model_checkpoint plugin is: on the plugin search path, else beside a
 * build tree's ltrun (BUILD/plugins/callbacks/); false when neither has it. */
static bool find_model_checkpoint(char *path, size_t cap) {
    char err[512];
    if (ltr_plugin_resolve("model_checkpoint", LT_KIND_CALLBACK, path, cap, err, sizeof err) == LT_OK)
        return true;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return false;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = '\0';
    if ((size_t)snprintf(path, cap, "%s/plugins/callbacks/model_checkpoint.so", exe) >= cap) return false;
    return access(path, R_OK) == 0;
}

/* callback_connector._configure_checkpoint_callbacks: with enable_checkpointing and no
 * Checkpoint callback given, a default ModelCheckpoint() (every epoch's end,
 * epoch=E-step=S.h5 in the first logger's version_dir/checkpoints, on_save_checkpoint
 * there). For fit, where it saves; without the shipped plugin the trainer's last.h5 is
 * all there is. */
static lt_status add_default_checkpoint(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    if (o->command != LTR_CMD_FIT || !o->trainer.enable_checkpointing ||
        ltr_callbacks_have(t, LT_CALLBACK_CHECKPOINT))
        return LT_OK;
    char path[4096];
    if (!find_model_checkpoint(path, sizeof path)) return LT_OK;
    static const cJSON no_args = {.type = cJSON_Object};
    if (ltr_callback_add(t, path, &no_args, "the default ModelCheckpoint")) return LT_ERROR;
    t->cbs.items[t->cbs.n - 1].implicit = true;
    return LT_OK;
}

lt_status ltr_callbacks_load(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    if (o->builtin_callback && builtin_callback_add(t, o->builtin_callback)) return LT_ERROR;
    for (int i = 0; i < o->ncallbacks; i++)
        if (ltr_callback_add(t, o->callbacks[i].path, o->callbacks[i].init_args, "--callback"))
            return LT_ERROR;
    if (add_default_checkpoint(t)) return LT_ERROR;
    return ltr_callbacks_arrange(t);
}

lt_status ltr_callbacks_arrange(ltr_trainer *t) {
    const ltr_options *o = t->opts;
    if (t->cbs.n == 0) return LT_OK;
    /* _reorder_callbacks: all Checkpoint callbacks last, the others keep their order */
    ltr_callback *sorted = calloc((size_t)t->cbs.n, sizeof *sorted);
    if (!sorted) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory loading callbacks");
        return LT_ERROR;
    }
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < t->cbs.n; i++)
            if (!!(t->cbs.items[i].vt->traits & LT_CALLBACK_CHECKPOINT) == pass)
                sorted[k++] = t->cbs.items[i];
    free(t->cbs.items);
    t->cbs.items = sorted;
    t->cbs.cap = t->cbs.n;
    /* callback_connector._configure_progress_bar — a ProgressBar callback
     * replaces the built-in bar; two, or one with enable_progress_bar=False, are a
     * MisconfigurationException. (_configure_model_summary_callback raises nothing: a
     * ModelSummary callback runs whatever enable_model_summary says and the built-in
     * table is skipped, trainer.c.) */
    int bars = 0;
    const char *bar = NULL;
    for (int i = 0; i < t->cbs.n; i++)
        if (t->cbs.items[i].vt->traits & LT_CALLBACK_PROGRESS_BAR) {
            bars++;
            bar = t->cbs.items[i].label;
        }
    if (bars > 1) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "--callback: You added multiple progress bar "
                          "callbacks to the Trainer, but currently only one progress bar is "
                          "supported.");
        return LT_ERROR;
    }
    if (bars == 1 && !o->trainer.enable_progress_bar) {
        ltr_trainer_error(t, LTR_EXIT_USAGE, "--callback: Trainer was configured with "
                          "`enable_progress_bar=False` but found `%s` in callbacks list (drop "
                          "--trainer.enable_progress_bar false or the callback).", bar);
        return LT_ERROR;
    }
    if (bars == 1) t->progress.enabled = t->progress.tty = false; /* the built-in is off */
    return LT_OK;
}

bool ltr_callbacks_have(const ltr_trainer *t, uint32_t trait) {
    for (int i = 0; i < t->cbs.n; i++)
        if (t->cbs.items[i].vt->traits & trait) return true;
    return false;
}

/* destroy hook and hparams of one callback (its plugin stays loaded) */
void ltr_callback_destroy(ltr_trainer *t, ltr_callback *cb) {
    void (*destroy)(lt_ctx *, void *) = LTR_HOOK(cb->vt, lt_callback_vtable, destroy);
    if (cb->created && destroy) {
        t->ctx.plugin_name = cb->label;
        t->ctx.hook_name = "destroy";
        destroy(&t->ctx.pub, cb->self);
        ltr_ctx_take_error(&t->ctx, NULL, 0);
    }
    cb->created = false;
    if (cb->hp) {
        ltr_hparams_free(cb->hp);
        free(cb->hp);
        cb->hp = NULL;
    }
    cJSON_Delete(cb->owned_args);
    cb->owned_args = NULL;
}

void ltr_callbacks_free(ltr_trainer *t) {
    for (int i = 0; i < t->cbs.n; i++) ltr_callback_destroy(t, &t->cbs.items[i]);
    /* unload after every destroy: two entries may share one dlopen handle */
    for (int i = 0; i < t->cbs.n; i++) ltr_plugin_unload(&t->cbs.items[i].plugin);
    free(t->cbs.items);
    t->cbs.items = NULL;
    t->cbs.n = t->cbs.cap = 0;
}
