/*
 * update_bn.c — torch.optim.swa_utils.update_bn(loader, model) for callbacks (ABI 1.5:
 * update_bn,).
 *
 * Reproduces torch 1.13's update_bn: for every BatchNorm module with running stats,
 * reset_running_stats() (running_mean 0, running_var 1, num_batches_tracked 0) and
 * momentum=None (the running stats become the cumulative average over batches, factor
 * 1/num_batches_tracked); model.train(); for each batch of the loader: input = batch[0]
 * when the batch is a list/tuple; model(input); then the momenta and the train/eval mode
 * come back. torch runs it under no_grad in practice (SWA's averaged model): here
 * without grad. Lightning's StochasticWeightAveraging gets the same statistics from one
 * extra forward-only training epoch; ltrun runs this pass over the train loader
 * (len(train_dataloader) batches, the order of epoch current_epoch, i.e. Lightning's
 * extra epoch) with the module's forward hook.
 *
 * BatchNorm layers are found by their buffers NAME.running_mean / NAME.running_var /
 * NAME.num_batches_tracked (lt_batchnorm_init); ltr_ctx.bn_cumulative makes
 * lt_batchnorm use momentum=None while the pass runs (runtime/nn/layers.c). A module
 * calling the lt_batch_norm op with its own momentum is not affected.
 */
#include "trainer/trainer.h"
#include "trainer/fault.h"

#include "tensor/arena.h"
#include "tensor/tensor.h"
#include "accelerators/accelerator.h"
#include "accelerators/registry.h"

#include <stdio.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* reset_running_stats of every BatchNorm layer; the number of layers found */
static int reset_running_stats(lt_ctx *ctx) {
    int n = 0;
    for (int64_t i = 0; i < ltr_api_buffer_count(ctx); i++) {
        const char *name;
        lt_tensor *b = ltr_api_buffer_at(ctx, i, &name);
        if (!b || !b->data) continue;
        /* written on the buffers' device (fill) */
        if (ends_with(name, ".running_mean") && b->dtype == LT_FLOAT32) {
            ltr_kernels_of(b)->fill(b, 0.0);
            n++;
        } else if (ends_with(name, ".running_var") && b->dtype == LT_FLOAT32) {
            ltr_kernels_of(b)->fill(b, 1.0);
        } else if (ends_with(name, ".num_batches_tracked") && b->dtype == LT_INT64) {
            ltr_kernels_of(b)->fill(b, 0.0);
        }
    }
    return n;
}

lt_status ltr_api_update_bn(lt_ctx *ctx) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    ltr_trainer *t = c->trainer;
    if (!t) return ltr_fail(ctx, "lt_update_bn: no trainer is running");
    lt_tensor *(*forward)(lt_ctx *, void *, lt_tensor *) = LTR_HOOK(t->mvt, lt_module_vtable, forward);
    if (!forward) { /* a warning, not an error: the run's weights are all there */
        fprintf(stderr, "UserWarning: lt_update_bn: module '%s' has no forward hook (update_bn "
                        "calls model(batch[0]) on every train batch): the BatchNorm running "
                        "statistics were not recomputed\n", t->module_plugin.desc->name);
        return LT_OK;
    }
    if (!c->arena) return ltr_fail(ctx, "lt_update_bn: no per-step memory here");
    if (reset_running_stats(ctx) == 0) return LT_OK; /* no BatchNorm: nothing to do */
    ltr_dataloader *dl = &t->loaders[LT_SPLIT_TRAIN];
    int64_t nb = ltr_dataloader_len(dl);
    bool was_training = ctx->training, was_grad = c->grad_enabled;
    const char *plugin = c->plugin_name, *hook = c->hook_name;
    int64_t batch_idx = ctx->batch_idx;
    ltr_dataloader_set_epoch(dl, ctx->current_epoch);
    ctx->training = true; /* model.train() */
    c->grad_enabled = false;
    c->bn_cumulative = true; /* momentum = None */
    lt_status rc = LT_OK;
    /* ABI 1.9: an iterable train dataset (nb unknown): until its stream ends */
    for (int64_t b = 0; rc == LT_OK && (nb == LTR_LEN_UNKNOWN || b < nb); b++) {
        ltr_arena_mark mark = ltr_arena_get_mark(c->arena);
        lt_batch *batch;
        c->plugin_name = t->module_plugin.desc->name;
        c->hook_name = "forward";
        ctx->batch_idx = b;
        rc = ltr_loop_fetch(t, LT_SPLIT_TRAIN, b, &batch);
        if (rc == LT_OK && !batch) { /* the stream ended */
            ltr_arena_rewind(c->arena, mark);
            break;
        }
        if (rc == LT_OK) {
            c->plugin_name = t->module_plugin.desc->name;
            c->hook_name = "forward";
            ltr_fault_push(LTR_FAULT_MODULE, t->module_plugin.desc->name, t->module_plugin.path,
                           "forward", ctx->current_epoch, b); /* for a crash report */
            lt_tensor *out = forward(ctx, t->module, ltr_batch_at(ctx, batch, 0));
            ltr_fault_pop("forward");
            if (!out || c->failed) {
                if (!c->failed) ltr_fail(ctx, "lt_update_bn: forward returned NULL");
                rc = LT_ERROR;
            }
        }
        ltr_arena_rewind(c->arena, mark);
    }
    c->bn_cumulative = false;
    ctx->training = was_training;
    c->grad_enabled = was_grad;
    ctx->batch_idx = batch_idx;
    if (rc == LT_OK) {
        c->plugin_name = plugin;
        c->hook_name = hook;
    }
    return rc;
}
