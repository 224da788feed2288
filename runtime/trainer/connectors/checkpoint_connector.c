/* checkpoint_connector.c — the trainer's state as checkpoint/state_view.h's view, and the
 * trainer's checkpoint entry points over runtime/checkpoint. */
#include "trainer/connectors/checkpoint_connector.h"

#include "checkpoint/checkpoint.h"
#include "precision/precision.h"
#include "strategy/strategy.h"
#include "trainer/fault.h"
#include "trainer/trainer.h"

#include <stdio.h>
#include <string.h>

static void callback_at(void *owner, int i, ltr_ckpt_party *out) {
    const ltr_callback *cb = &((ltr_trainer *)owner)->cbs.items[i];
    *out = (ltr_ckpt_party){
        .who = "callback",
        .name = cb->label,
        .self = cb->self,
        .state_dict = LTR_HOOK(cb->vt, lt_callback_vtable, state_dict),
        .on_save_checkpoint = LTR_HOOK(cb->vt, lt_callback_vtable, on_save_checkpoint),
        .load_state_dict = LTR_HOOK(cb->vt, lt_callback_vtable, load_state_dict),
        .on_load_checkpoint = LTR_HOOK(cb->vt, lt_callback_vtable, on_load_checkpoint),
    };
}

static void hook_enter(void *owner, const char *who, const char *name, const char *hook) {
    ltr_fault_push_named(owner, who, name, hook); /* for a crash report (fault.h) */
}

static void hook_leave(void *owner, const char *hook) {
    (void)owner;
    ltr_fault_pop(hook);
}

void ltr_trainer_ckpt_state(ltr_trainer *t, ltr_ckpt_state *s) {
    const ltr_loop_state *L = &t->loop;
    *s = (ltr_ckpt_state){
        .ctx = &t->ctx,
        .params = &t->params,
        .optim = &t->optim_setup,
        .rng = t->rng.s,
        .loader_seed = t->has_loader[LT_SPLIT_TRAIN] ? &t->loaders[LT_SPLIT_TRAIN].seed : NULL,
        .loop = {.epochs_processed = L->epochs_processed,
                 .total_batch_idx = L->total_batch_idx,
                 .batches_that_stepped = L->batches_that_stepped,
                 .epoch_in_progress = L->epoch_in_progress,
                 .epoch_index = L->epoch_index,
                 .epoch_batches_done = L->epoch_batches_done,
                 .resume_batch = L->resume_batch,
                 .restored = L->restored,
                 .world_size = t->ctx.pub.world_size,
                 .batch_size = t->has_loader[LT_SPLIT_TRAIN] ? t->loaders[LT_SPLIT_TRAIN].ds.batch_size : 0},
        .module_name = t->module_plugin.desc ? t->module_plugin.desc->name : NULL,
        .data_name = t->data_plugin.desc ? t->data_plugin.desc->name : NULL,
        .model_hp = t->model_hp.given,
        .data_hp = t->data_hp.given,
        .model_hp_read = t->model_hp.used,
        .data_hp_read = t->data_hp.used,
        .precision = t->strategy ? t->strategy->precision
                                 : ltr_precision_builtin(t->opts ? t->opts->trainer.precision : LTR_PRECISION_32_TRUE),
        /* --trainer.checkpoint_compression (ltrun's own flag; 0 = off) */
        .compression = t->opts ? (int)t->opts->trainer.checkpoint_compression : 0,
        .ncallbacks = t->cbs.n,
        .callback_at = callback_at,
        .hook_enter = hook_enter,
        .hook_leave = hook_leave,
        .owner = t,
    };
    s->module = (ltr_ckpt_party){
        .who = "module",
        .name = s->module_name,
        .self = t->module,
        .on_save_checkpoint = t->module_created ? LTR_HOOK(t->mvt, lt_module_vtable, on_save_checkpoint) : NULL,
        .on_load_checkpoint = t->module_created ? LTR_HOOK(t->mvt, lt_module_vtable, on_load_checkpoint) : NULL,
    };
    s->datamodule = (ltr_ckpt_party){
        .who = "data module",
        .name = s->data_name,
        .self = t->dm,
        .state_dict = t->dm_created ? LTR_HOOK(t->dvt, lt_datamodule_vtable, state_dict) : NULL,
        .load_state_dict = t->dm_created ? LTR_HOOK(t->dvt, lt_datamodule_vtable, load_state_dict) : NULL,
    };
}

lt_status ltr_ckpt_save(ltr_trainer *t, const char *path, bool weights_only, char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    return ltr_ckpt_save_view(&s, path, weights_only, err, cap);
}

lt_status ltr_ckpt_save_level(ltr_trainer *t, const char *path, bool weights_only, int compression,
                              char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    return ltr_ckpt_save_level_view(&s, path, weights_only, compression, err, cap);
}

ltr_ckpt *ltr_ckpt_open(ltr_trainer *t, const char *path, bool strict, char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    return ltr_ckpt_open_view(&s, path, strict, err, cap);
}

void ltr_ckpt_apply_weights(ltr_trainer *t, ltr_ckpt *c) {
    (void)t;
    ltr_ckpt_copy_weights(c);
}

lt_status ltr_ckpt_apply_training(ltr_trainer *t, ltr_ckpt *c, char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    lt_status rc = ltr_ckpt_apply_training_view(&s, c, err, cap);
    /* the loop counters the view restored (unchanged when nothing was applied) */
    ltr_loop_state *L = &t->loop;
    L->epochs_processed = s.loop.epochs_processed;
    L->total_batch_idx = s.loop.total_batch_idx;
    L->batches_that_stepped = s.loop.batches_that_stepped;
    L->resume_batch = s.loop.resume_batch;
    L->restored = s.loop.restored;
    L->resume_world_size = s.loop.world_size;
    L->resume_batch_size = s.loop.batch_size;
    return rc;
}

lt_status ltr_ckpt_load_module_hook(ltr_trainer *t, ltr_ckpt *c, char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    return ltr_ckpt_load_module_hook_view(&s, ltr_ckpt_file(c), err, cap);
}

lt_status ltr_ckpt_load_other_hooks(ltr_trainer *t, ltr_ckpt *c, bool fitting, char *err, size_t cap) {
    ltr_ckpt_state s;
    ltr_trainer_ckpt_state(t, &s);
    return ltr_ckpt_load_other_hooks_view(&s, ltr_ckpt_file(c), fitting, err, cap);
}

cJSON *ltr_ckpt_merged_hparams(const ltr_trainer *t, const char *which, const cJSON *given) {
    const char *cp = t->opts->ckpt_path;
    if (!cp || !strcmp(cp, "best")) return NULL;
    char path[2048];
    if (!strcmp(cp, "last")) ltr_checkpoint_last_path(t, path, sizeof path);
    else snprintf(path, sizeof path, "%s", cp);
    const ltr_plugin *p = !strcmp(which, "module") ? &t->module_plugin : &t->data_plugin;
    return ltr_ckpt_hparams_from(path, which, p->desc ? p->desc->name : NULL,
                                 t->opts->data_from_checkpoint, given);
}
