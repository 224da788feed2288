/*
 * mlp.c — a LightningModule in C: the 784-256-128-10 ReLU MLP classifier.
 *
 *   ltrun fit --module examples/mlp.so --data examples/mnist.so --trainer.max_epochs 3
 *
 * Hyperparameters: --model.lr (1e-3), --model.hidden1 (256), --model.hidden2 (128),
 * --model.num_classes (10), --model.in_features (784), --model.task (classification |
 * regression: one output trained with mse_loss against a float target, logging
 * STAGE/loss and STAGE/mae instead of STAGE/acc; the data modules' --data.task regression).
 */
#define LT_PLUGIN_DESCRIPTION "784-256-128-10 ReLU MLP classifier (Adam)"
#include <ltrun.h>

#include <stdio.h>
#include <string.h>

typedef struct mlp {
    lt_linear_layer fc1, fc2, fc3;
    double lr;
    bool regression;
} mlp;

static void *mlp_create(lt_ctx *ctx, const lt_hparams *hp) {
    mlp *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 1e-3);
    int64_t in = lt_hp_int(ctx, hp, "in_features", 784);
    int64_t h1 = lt_hp_int(ctx, hp, "hidden1", 256);
    int64_t h2 = lt_hp_int(ctx, hp, "hidden2", 128);
    int64_t classes = lt_hp_int(ctx, hp, "num_classes", 10);
    const char *task = lt_hp_str(ctx, hp, "task", "classification");
    m->regression = !strcmp(task, "regression");
    if (!m->regression && strcmp(task, "classification")) {
        lt_fail(ctx, "--model.task '%s': expected classification or regression", task);
        return NULL;
    }
    if (m->regression) classes = 1; /* one output: the predicted target */
    if (lt_linear_init(ctx, &m->fc1, "fc1", in, h1) || lt_linear_init(ctx, &m->fc2, "fc2", h1, h2) ||
        lt_linear_init(ctx, &m->fc3, "fc3", h2, classes))
        return NULL;
    return m;
}

/* forward(x): x [N, 1, 28, 28] (or [N, 784]) -> logits [N, classes] */
static lt_tensor *mlp_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    mlp *m = self;
    lt_tensor *h = lt_flatten(ctx, x, 1);
    h = lt_relu(ctx, lt_linear(ctx, &m->fc1, h));
    h = lt_relu(ctx, lt_linear(ctx, &m->fc2, h));
    return lt_linear(ctx, &m->fc3, h);
}

/* regression: the [N, 1] output as [N], the shape of the float targets */
static lt_tensor *prediction(lt_ctx *ctx, void *self, lt_batch *batch) {
    return lt_squeeze(ctx, mlp_forward(ctx, self, lt_batch_at(ctx, batch, 0)), -1);
}

static lt_tensor *mlp_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    if (((mlp *)self)->regression) {
        lt_tensor *loss = lt_mse_loss(ctx, prediction(ctx, self, batch), lt_batch_at(ctx, batch, 1),
                                      LT_REDUCTION_MEAN);
        lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
        return loss;
    }
    lt_tensor *logits = mlp_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *loss = lt_cross_entropy(ctx, logits, lt_batch_at(ctx, batch, 1));
    lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
    return loss;
}

/* validation_step and test_step share this: loss and accuracy, averaged per epoch */
static lt_status evaluate(lt_ctx *ctx, void *self, lt_batch *batch, const char *loss_name,
                          const char *acc_name) {
    if (((mlp *)self)->regression) {
        lt_tensor *pred = prediction(ctx, self, batch), *y = lt_batch_at(ctx, batch, 1);
        char mae_name[32];
        snprintf(mae_name, sizeof mae_name, "%.*s/mae", (int)strcspn(loss_name, "/"), loss_name);
        lt_log(ctx, loss_name, lt_mse_loss(ctx, pred, y, LT_REDUCTION_MEAN), LT_PROG_BAR);
        lt_log(ctx, mae_name, lt_l1_loss(ctx, pred, y, LT_REDUCTION_MEAN), LT_PROG_BAR);
        return LT_OK;
    }
    lt_tensor *logits = mlp_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    lt_log(ctx, loss_name, lt_cross_entropy(ctx, logits, y), LT_PROG_BAR);
    lt_log(ctx, acc_name, lt_accuracy(ctx, logits, y), LT_PROG_BAR);
    return LT_OK;
}

static lt_status mlp_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return evaluate(ctx, self, batch, "val/loss", "val/acc");
}

static lt_status mlp_test_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return evaluate(ctx, self, batch, "test/loss", "test/acc");
}

static lt_optimizer *mlp_configure_optimizers(lt_ctx *ctx, void *self) {
    mlp *m = self;
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    opt.lr = m->lr;
    return lt_adam(ctx, &opt);
}

LT_MODULE(mlp, .create = mlp_create, .forward = mlp_forward,
          .training_step = mlp_training_step, .validation_step = mlp_validation_step,
          .test_step = mlp_test_step, .configure_optimizers = mlp_configure_optimizers)
