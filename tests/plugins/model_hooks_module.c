/*
 * model_hooks_module.c — a module for tests/test_model_hooks.sh (ABI 1.5 module hooks):
 * LightningModule.configure_callbacks and LightningModule.backward.
 *
 * fc = Linear(2, 3), SGD(lr 0.1), on tests/plugins/trace_data.so.
 * hparams: add ("" | comma list of callback names/paths added in configure_callbacks),
 * args (the JSON init args given to each), backward ("default": loss.backward() |
 * "zero": backward of loss * 0, so no weight moves),
 * add_outside (call lt_add_callback from training_step: an error).
 * Each call of the backward override prints "backward override batch=B".
 */
#include <ltrun.h>

#include <stdio.h>
#include <string.h>

typedef struct {
    lt_linear_layer fc;
    const char *add, *args, *backward;
    bool add_outside;
} mhm;

static void *m_create(lt_ctx *ctx, const lt_hparams *hp) {
    mhm *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 3) != LT_OK) return NULL;
    m->add = lt_hp_str(ctx, hp, "add", "");
    m->args = lt_hp_json(ctx, hp, "args"); /* NULL when not given: {} */
    m->backward = lt_hp_str(ctx, hp, "backward", "default");
    m->add_outside = lt_hp_bool(ctx, hp, "add_outside", false);
    return m;
}

static lt_status m_configure_callbacks(lt_ctx *ctx, void *self) {
    mhm *m = self;
    char names[256];
    snprintf(names, sizeof names, "%s", m->add);
    for (char *save = NULL, *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save))
        if (lt_add_callback(ctx, n, m->args) != LT_OK) return LT_ERROR;
    return LT_OK;
}

static lt_status m_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    mhm *m = self;
    printf("backward override batch=%lld\n", (long long)ctx->batch_idx);
    if (!strcmp(m->backward, "zero")) return lt_tensor_backward(ctx, lt_mul_scalar(ctx, loss, 0.0));
    return lt_tensor_backward(ctx, loss);
}

static lt_tensor *m_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    mhm *m = self;
    if (m->add_outside && lt_add_callback(ctx, "print_hooks", NULL) != LT_OK) return NULL;
    lt_tensor *logits = lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0));
    lt_tensor *loss = lt_cross_entropy(ctx, logits, lt_batch_at(ctx, b, 1));
    lt_log(ctx, "train_loss", loss, LT_ON_EPOCH);
    return loss;
}

static lt_status m_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    mhm *m = self;
    lt_tensor *logits = lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0));
    lt_log(ctx, "val_loss", lt_cross_entropy(ctx, logits, lt_batch_at(ctx, b, 1)), 0);
    return LT_OK;
}

static lt_optimizer *m_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

static lt_status m_backward_hook(lt_ctx *ctx, void *self, lt_tensor *loss) {
    mhm *m = self;
    if (!strcmp(m->backward, "default")) return lt_tensor_backward(ctx, loss);
    return m_backward(ctx, self, loss);
}

LT_MODULE(model_hooks, .create = m_create, .training_step = m_training_step,
          .validation_step = m_validation_step, .configure_optimizers = m_configure_optimizers,
          .configure_callbacks = m_configure_callbacks, .backward = m_backward_hook)
