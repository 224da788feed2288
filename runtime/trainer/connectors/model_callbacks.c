/*
 * model_callbacks.c — LightningModule.configure_callbacks and LightningModule.backward
 * (ABI 1.5 module hooks) with their host calls lt_add_callback / lt_tensor_backward.
 *
 * configure_callbacks reproduces Lightning's CallbackConnector._attach_model_callbacks
 * (called at the start of every Trainer._run, before prepare_data): the callbacks the
 * module returns replace every trainer callback of the same type — here, of the same
 * plugin — the rest keep their order, the module's are appended, then
 * _reorder_callbacks moves Checkpoint callbacks last. Lightning prints which callbacks
 * were overridden (rank_zero_info); so does this.
 */
#include "trainer/trainer.h"
#include "trainer/fault.h"

#include "tensor/autograd.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD_HOOK(t, m) LTR_HOOK((t)->mvt, lt_module_vtable, m)

/* lt_add_callback: only while the module's configure_callbacks runs */
lt_status ltr_api_add_callback(lt_ctx *ctx, const char *name_or_path, const char *init_args_json) {
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    if (!t || !t->attaching_model_callbacks)
        return ltr_fail(ctx, "lt_add_callback is only allowed inside the module's "
                             "configure_callbacks hook");
    if (!name_or_path || !name_or_path[0])
        return ltr_fail(ctx, "lt_add_callback: no callback name or path");
    cJSON *args = init_args_json ? cJSON_Parse(init_args_json) : cJSON_CreateObject();
    if (!args || !cJSON_IsObject(args)) {
        cJSON_Delete(args);
        return ltr_fail(ctx, "lt_add_callback(\"%s\"): init args must be a JSON object, got '%s'",
                        name_or_path, init_args_json);
    }
    if (ltr_callback_add(t, name_or_path, args, "configure_callbacks") != LT_OK) {
        /* the trainer error names the plugin; a partly added entry owns nothing yet */
        cJSON_Delete(args);
        return LT_ERROR;
    }
    t->cbs.items[t->cbs.n - 1].owned_args = args; /* hp->given borrows it */
    return LT_OK;
}

static bool added_by_module(const ltr_trainer *t, int first_added, const char *name) {
    for (int i = first_added; i < t->cbs.n; i++)
        if (!strcmp(t->cbs.items[i].plugin.desc->name, name)) return true;
    return false;
}

/* labels "name", "name#2"... in list order, as ltr_callback_add gives them */
static void relabel(ltr_trainer *t) {
    for (int i = 0; i < t->cbs.n; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        int twins = 0;
        for (int j = 0; j < i; j++)
            twins += !strcmp(t->cbs.items[j].plugin.desc->name, cb->plugin.desc->name);
        ltr_plugin_label(cb->label, sizeof cb->label, cb->plugin.desc->name, twins);
    }
}

lt_status ltr_attach_model_callbacks(ltr_trainer *t) {
    lt_status (*fn)(lt_ctx *, void *) = MOD_HOOK(t, configure_callbacks);
    if (!fn) return LT_OK;
    int first_added = t->cbs.n;
    t->attaching_model_callbacks = true;
    ltr_trainer_hook_begin(t, true, "configure_callbacks");
    lt_status rc = fn(&t->ctx.pub, t->module);
    t->attaching_model_callbacks = false;
    if (ltr_trainer_hook_done(t, true, "configure_callbacks", rc) || t->exit_code) return LT_ERROR;
    if (t->cbs.n == first_added) return LT_OK; /* `if not model_callbacks: return` */
    /* drop the trainer's callbacks of a plugin the module added (type(c) in override_types) */
    int kept = 0;
    char overridden[512] = "";
    for (int i = 0; i < t->cbs.n; i++) {
        ltr_callback *cb = &t->cbs.items[i];
        if (i < first_added && added_by_module(t, first_added, cb->plugin.desc->name)) {
            if (!strstr(overridden, cb->plugin.desc->name)) {
                size_t len = strlen(overridden);
                snprintf(overridden + len, sizeof overridden - len, "%s%s", len ? ", " : "",
                         cb->plugin.desc->name);
            }
            ltr_callback_destroy(t, cb);
            ltr_plugin_unload(&cb->plugin);
            continue;
        }
        t->cbs.items[kept++] = *cb;
    }
    if (overridden[0])
        fprintf(stderr, "The following callbacks returned in `LightningModule.configure_callbacks` "
                        "will override existing callbacks passed to Trainer: %s\n", overridden);
    memset(t->cbs.items + kept, 0, (size_t)(t->cbs.n - kept) * sizeof *t->cbs.items);
    t->cbs.n = kept;
    relabel(t);
    return ltr_callbacks_arrange(t);
}

/* lt_tensor_backward: loss.backward() */
lt_status ltr_api_tensor_backward(lt_ctx *ctx, lt_tensor *loss) {
    if (!loss) return ltr_fail(ctx, "lt_tensor_backward: no loss (NULL)");
    return ltr_backward(ctx, loss);
}

/* Strategy.backward -> LightningModule.backward(loss): the override, else loss.backward() */
lt_status ltr_module_backward(ltr_trainer *t, lt_tensor *loss) {
    lt_status (*fn)(lt_ctx *, void *, lt_tensor *) = MOD_HOOK(t, backward);
    if (!fn) return ltr_backward(&t->ctx.pub, loss);
    const char *plugin = t->ctx.plugin_name, *hook = t->ctx.hook_name;
    t->ctx.plugin_name = t->module_plugin.desc->name;
    t->ctx.hook_name = "backward";
    ltr_fault_push(LTR_FAULT_MODULE, t->module_plugin.desc->name, t->module_plugin.path, "backward",
                   t->ctx.pub.current_epoch, t->ctx.pub.batch_idx); /* for a crash report */
    lt_status rc = fn(&t->ctx.pub, t->module, loss);
    ltr_fault_pop("backward");
    t->ctx.plugin_name = plugin;
    t->ctx.hook_name = hook;
    return rc;
}
