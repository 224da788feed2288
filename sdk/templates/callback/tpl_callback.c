/*
 * tpl_callback.c — an ltrun Callback (lightning.pytorch.Callback): prints a line at
 * the end of each training and validation epoch, and logs a value of its own
 * (`tpl_callback/epochs_seen`, as pl_module.log from a callback would).
 *
 *   make && ltrun fit --module MODULE --data DATA --callback ./tpl_callback.so
 *   ltrun fit ... --callback './tpl_callback.so:{"prefix": "[cb]"}'
 *
 * init args (the JSON after the path): prefix ("tpl_callback"). Unknown keys are an
 * error naming the key.
 */
#define LT_PLUGIN_VERSION "0.1.0"
#define LT_PLUGIN_DESCRIPTION "tpl_callback: prints epoch ends, logs epochs_seen"
#include <ltrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tpl_callback {
    char prefix[64];
    int64_t epochs_seen;
} tpl_callback;

static void *tpl_callback_create(lt_ctx *ctx, const lt_hparams *hp) {
    tpl_callback *cb = calloc(1, sizeof *cb); /* ours: freed in destroy */
    if (!cb) return NULL;
    snprintf(cb->prefix, sizeof cb->prefix, "%s", lt_hp_str(ctx, hp, "prefix", "tpl_callback"));
    return cb;
}

static void tpl_callback_destroy(lt_ctx *ctx, void *self) { free(self); }

static lt_status tpl_callback_on_train_epoch_end(lt_ctx *ctx, void *self) {
    tpl_callback *cb = self;
    cb->epochs_seen++;
    double loss = 0;
    bool have = lt_callback_metric(ctx, "train_loss_epoch", &loss);
    printf("%s: train epoch %lld ended at step %lld", cb->prefix, (long long)ctx->current_epoch,
           (long long)ctx->global_step);
    if (have) printf(", train_loss_epoch %.4f", loss);
    printf("\n");
    fflush(stdout);
    /* self.log("tpl_callback/epochs_seen", ...) from a callback: an epoch-level value */
    lt_log_value(ctx, "tpl_callback/epochs_seen", (double)cb->epochs_seen, LT_ON_EPOCH);
    return LT_OK;
}

static lt_status tpl_callback_on_validation_epoch_end(lt_ctx *ctx, void *self) {
    tpl_callback *cb = self;
    if (ctx->sanity_checking) return LT_OK; /* as Lightning: skip the sanity check */
    printf("%s: validation epoch %lld ended\n", cb->prefix, (long long)ctx->current_epoch);
    fflush(stdout);
    return LT_OK;
}

LT_CALLBACK(tpl_callback, .create = tpl_callback_create, .destroy = tpl_callback_destroy,
            .on_train_epoch_end = tpl_callback_on_train_epoch_end,
            .on_validation_epoch_end = tpl_callback_on_validation_epoch_end)
