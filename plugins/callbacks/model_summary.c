/*
 * model_summary.c — Lightning's ModelSummary (callbacks/model_summary.py) as a callback
 * plugin.
 *
 * init args: max_depth (1): the table's depth in dotted module names; -1 all modules, 0
 * no summary.
 * Reproduced behaviour: on_fit_start prints the summary table (Name, Type, Params, Mode;
 * trainable/non-trainable/total params, size in MB, modules in train/eval mode) —
 * the same table the built-in prints, computed by the host (lt_model_summary), with
 * nested rows ("enc.0") up to max_depth, parents before their children as in
 * Module.named_modules. max_depth 0 prints nothing (ModelSummary.on_fit_start returns
 * when not self._max_depth). The trait LT_CALLBACK_MODEL_SUMMARY makes the trainer skip
 * its built-in table (_configure_model_summary_callback: a user's ModelSummary replaces
 * the default; Lightning raises nothing when enable_model_summary is False and the
 * callback is given — the callback still prints).
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's ModelSummary: the model's layer table at fit start"
#include "ltrun.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct summary_cb {
    int max_depth;
} summary_cb;

static void *ms_create(lt_ctx *ctx, const lt_hparams *hp) {
    int64_t d = lt_hp_int(ctx, hp, "max_depth", 1);
    if (d < -1) { /* ModelSummary accepts any int; below -1 means nothing sensible */
        lt_fail(ctx, "model_summary: max_depth must be -1 (all), 0 (none) or a positive "
                     "depth, got %lld", (long long)d);
        return NULL;
    }
    summary_cb *ms = calloc(1, sizeof *ms);
    if (ms) ms->max_depth = (int)d;
    return ms;
}

static void ms_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static lt_status ms_on_fit_start(lt_ctx *ctx, void *self) {
    summary_cb *ms = self;
    if (!ms->max_depth || ctx->rank != 0) return LT_OK; /* trainer.is_global_zero prints */
    fputs(lt_model_summary(ctx, ms->max_depth), stderr);
    fflush(stderr);
    return LT_OK;
}

LT_CALLBACK(model_summary, .traits = LT_CALLBACK_MODEL_SUMMARY, .create = ms_create,
            .destroy = ms_destroy, .on_fit_start = ms_on_fit_start)
