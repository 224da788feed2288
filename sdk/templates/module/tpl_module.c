/*
 * tpl_module.c — an ltrun LightningModule: a one-layer linear classifier trained with Adam.
 *
 *   make && ltrun fit --module ./tpl_module.so --data DATAMODULE --trainer.max_epochs 3
 *
 * Hyperparameters (--model.KEY VALUE): in_features (8), num_classes (2), lr (1e-2).
 * Everything comes from <ltrun.h>: the host owns parameters and tensors (see its header
 * comment for the rules); NULL hooks get Lightning's defaults.
 */
#define LT_PLUGIN_VERSION "0.1.0"
#define LT_PLUGIN_DESCRIPTION "tpl_module: linear classifier (Adam)"
#include <ltrun.h>

typedef struct tpl_module {
    lt_linear_layer fc; /* nn.Linear(in_features, num_classes) */
    double lr;
} tpl_module;

/* __init__: read hyperparameters, create the parameters */
static void *tpl_module_create(lt_ctx *ctx, const lt_hparams *hp) {
    tpl_module *m = lt_alloc(ctx, sizeof *m); /* freed by the host */
    if (!m) return NULL;
    int64_t in = lt_hp_int(ctx, hp, "in_features", 8);
    int64_t classes = lt_hp_int(ctx, hp, "num_classes", 2);
    m->lr = lt_hp_float(ctx, hp, "lr", 1e-2);
    if (lt_linear_init(ctx, &m->fc, "fc", in, classes)) return NULL;
    return m;
}

/* forward(x): x [N, in_features] -> logits [N, num_classes] */
static lt_tensor *tpl_module_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    tpl_module *m = self;
    return lt_linear(ctx, &m->fc, lt_flatten(ctx, x, 1));
}

/* batch fields: 0 = x (float32 features), 1 = y (int64 class) */
static lt_tensor *tpl_module_training_step(lt_ctx *ctx, void *self, lt_batch *batch,
                                           int64_t batch_idx) {
    (void)batch_idx;
    lt_tensor *logits = tpl_module_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *loss = lt_cross_entropy(ctx, logits, lt_batch_at(ctx, batch, 1));
    lt_log(ctx, "train_loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
    return loss;
}

static lt_status tpl_module_validation_step(lt_ctx *ctx, void *self, lt_batch *batch,
                                            int64_t batch_idx) {
    (void)batch_idx;
    lt_tensor *logits = tpl_module_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    lt_log(ctx, "val_loss", lt_cross_entropy(ctx, logits, y), LT_PROG_BAR);
    lt_log(ctx, "val_acc", lt_accuracy(ctx, logits, y), LT_PROG_BAR);
    return LT_OK;
}

static lt_optimizer *tpl_module_configure_optimizers(lt_ctx *ctx, void *self) {
    tpl_module *m = self;
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    opt.lr = m->lr;
    return lt_adam(ctx, &opt);
}

LT_MODULE(tpl_module, .create = tpl_module_create, .forward = tpl_module_forward,
          .training_step = tpl_module_training_step,
          .validation_step = tpl_module_validation_step,
          .configure_optimizers = tpl_module_configure_optimizers)
