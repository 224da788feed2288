/*
 * multi_module.c — test module for several evaluation dataloaders
 * (tests/test_multi_loaders.sh, with multi_data.c): Linear(2, 2). validation_step and
 * test_step fail unless every sample's x[0] equals ctx->dataloader_idx (the batch came
 * from the loader the host runs, whose get_item saw that index), and so do
 * on_before_batch_transfer (its dataloader_idx argument) and the batch start hooks.
 * They log "loss" (cross entropy), "dl" (ctx->dataloader_idx: its mean is the index) and
 * "samples" (summed batch sizes); on_validation_epoch_end / on_test_epoch_end log
 * "epoch_end" = 7. Each evaluation step prints "step <stage> dl=K batch=B" on stderr.
 *   --model.plain true    also log "plain" with add_dataloader_idx=False
 *   --model.plain_unique true   log "plain_dl<K>" with add_dataloader_idx=False
 */
#define LT_PLUGIN_DESCRIPTION "checks dataloader_idx in the evaluation hooks (test)"
#include <ltrun.h>

#include <stdio.h>

typedef struct mm {
    lt_linear_layer fc;
    bool plain, plain_unique;
} mm;

static void *mm_create(lt_ctx *ctx, const lt_hparams *hp) {
    mm *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->plain = lt_hp_bool(ctx, hp, "plain", false);
    m->plain_unique = lt_hp_bool(ctx, hp, "plain_unique", false);
    if (lt_linear_init(ctx, &m->fc, "fc", 2, 2)) return NULL;
    return m;
}

/* every sample of the batch came from loader ctx->dataloader_idx */
static lt_status check_loader(lt_ctx *ctx, lt_batch *batch, int64_t want, const char *where) {
    lt_tensor *x = lt_batch_at(ctx, batch, 0);
    const float *v = lt_data(ctx, x);
    for (int64_t i = 0; i < lt_size(ctx, x, 0); i++)
        if (v[2 * i] != (float)want)
            return lt_fail(ctx, "%s: sample %lld came from dataloader %g, the hook was told %lld",
                           where, (long long)i, (double)v[2 * i], (long long)want);
    return LT_OK;
}

static lt_tensor *mm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    mm *m = self;
    lt_tensor *loss = lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, batch, 0)),
                                       lt_batch_at(ctx, batch, 1));
    lt_log(ctx, "train_loss", loss, LT_ON_STEP);
    return loss;
}

static lt_status eval_step(lt_ctx *ctx, mm *m, lt_batch *batch, int64_t i, const char *stage) {
    if (check_loader(ctx, batch, ctx->dataloader_idx, stage) != LT_OK) return LT_ERROR;
    fprintf(stderr, "step %s%s dl=%lld batch=%lld\n", ctx->sanity_checking ? "sanity " : "", stage,
            (long long)ctx->dataloader_idx, (long long)i);
    lt_tensor *logits = lt_linear(ctx, &m->fc, lt_batch_at(ctx, batch, 0));
    lt_log(ctx, "loss", lt_cross_entropy(ctx, logits, lt_batch_at(ctx, batch, 1)), 0);
    lt_log_value(ctx, "dl", (double)ctx->dataloader_idx, 0);
    lt_log_value(ctx, "samples", (double)lt_batch_size(ctx, batch), LT_REDUCE_SUM);
    lt_log_options o = LT_LOG_DEFAULTS;
    o.add_dataloader_idx = false;
    if (m->plain) lt_log_value_ex(ctx, "plain", (double)ctx->dataloader_idx, &o);
    if (m->plain_unique) {
        char name[32];
        snprintf(name, sizeof name, "plain_dl%lld", (long long)ctx->dataloader_idx);
        lt_log_value_ex(ctx, name, 10.0 + (double)ctx->dataloader_idx, &o);
    }
    return LT_OK;
}

static lt_status mm_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return eval_step(ctx, self, batch, i, "val");
}
static lt_status mm_test_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return eval_step(ctx, self, batch, i, "test");
}

static lt_tensor *mm_predict_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    if (check_loader(ctx, batch, ctx->dataloader_idx, "predict_step") != LT_OK) return NULL;
    return lt_batch_at(ctx, batch, 0);
}

static lt_status mm_before_transfer(lt_ctx *ctx, void *self, lt_batch *batch, int64_t dataloader_idx) {
    if (dataloader_idx != ctx->dataloader_idx)
        return lt_fail(ctx, "on_before_batch_transfer got dataloader_idx %lld, ctx says %lld",
                       (long long)dataloader_idx, (long long)ctx->dataloader_idx);
    return check_loader(ctx, batch, dataloader_idx, "on_before_batch_transfer");
}

static lt_status mm_val_batch_start(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return check_loader(ctx, batch, ctx->dataloader_idx, "on_validation_batch_start");
}
static lt_status mm_test_batch_start(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return check_loader(ctx, batch, ctx->dataloader_idx, "on_test_batch_start");
}

static lt_status mm_epoch_end(lt_ctx *ctx, void *self) {
    lt_log_value(ctx, "epoch_end", 7.0, LT_ON_EPOCH);
    return LT_OK;
}

static lt_optimizer *mm_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

LT_MODULE(multi_module, .create = mm_create, .training_step = mm_training_step,
          .validation_step = mm_validation_step, .test_step = mm_test_step,
          .predict_step = mm_predict_step, .on_before_batch_transfer = mm_before_transfer,
          .on_validation_batch_start = mm_val_batch_start,
          .on_test_batch_start = mm_test_batch_start,
          .on_validation_epoch_end = mm_epoch_end, .on_test_epoch_end = mm_epoch_end,
          .configure_optimizers = mm_configure_optimizers)
