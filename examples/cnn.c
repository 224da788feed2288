/*
 * cnn.c — a LightningModule in C: the small CNN classifier for 28x28 images.
 *
 *   Conv(1->16, 5, pad 2)-ReLU-MaxPool2-Conv(16->32, 5, pad 2)-ReLU-MaxPool2-
 *   Linear(1568->128)-ReLU-Linear(128->10), Adam.
 *
 *   ltrun fit --module examples/cnn.so --data examples/mnist.so --trainer.max_epochs 3 --test
 *
 * Hyperparameters: --model.lr (1e-3), --model.channels1 (16), --model.channels2 (32),
 * --model.hidden (128), --model.num_classes (10).
 */
#define LT_PLUGIN_DESCRIPTION "2-conv CNN classifier for 28x28 images (Adam)"
#include <ltrun.h>

typedef struct cnn {
    lt_conv2d_layer conv1, conv2;
    lt_linear_layer fc1, fc2;
    double lr;
} cnn;

static void *cnn_create(lt_ctx *ctx, const lt_hparams *hp) {
    cnn *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 1e-3);
    int64_t c1 = lt_hp_int(ctx, hp, "channels1", 16);
    int64_t c2 = lt_hp_int(ctx, hp, "channels2", 32);
    int64_t hidden = lt_hp_int(ctx, hp, "hidden", 128);
    int64_t classes = lt_hp_int(ctx, hp, "num_classes", 10);
    lt_conv2d_options same = LT_CONV2D_DEFAULTS;
    same.padding[0] = same.padding[1] = 2; /* 5x5 kernel, "same" size */
    if (lt_conv2d_init(ctx, &m->conv1, "conv1", 1, c1, 5, &same) ||
        lt_conv2d_init(ctx, &m->conv2, "conv2", c1, c2, 5, &same) ||
        lt_linear_init(ctx, &m->fc1, "fc1", c2 * 7 * 7, hidden) ||
        lt_linear_init(ctx, &m->fc2, "fc2", hidden, classes))
        return NULL;
    return m;
}

/* forward(x): x [N, 1, 28, 28] -> logits [N, classes] */
static lt_tensor *cnn_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    cnn *m = self;
    lt_tensor *h = lt_max_pool2d(ctx, lt_relu(ctx, lt_conv2d(ctx, &m->conv1, x)), 2);
    h = lt_max_pool2d(ctx, lt_relu(ctx, lt_conv2d(ctx, &m->conv2, h)), 2);
    h = lt_relu(ctx, lt_linear(ctx, &m->fc1, lt_flatten(ctx, h, 1)));
    return lt_linear(ctx, &m->fc2, h);
}

static lt_tensor *cnn_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_tensor *loss = lt_cross_entropy(ctx, cnn_forward(ctx, self, lt_batch_at(ctx, batch, 0)),
                                       lt_batch_at(ctx, batch, 1));
    lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
    return loss;
}

static lt_status evaluate(lt_ctx *ctx, void *self, lt_batch *batch, const char *loss_name,
                          const char *acc_name) {
    lt_tensor *logits = cnn_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    lt_log(ctx, loss_name, lt_cross_entropy(ctx, logits, y), LT_PROG_BAR);
    lt_log(ctx, acc_name, lt_accuracy(ctx, logits, y), LT_PROG_BAR);
    return LT_OK;
}

static lt_status cnn_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return evaluate(ctx, self, batch, "val/loss", "val/acc");
}

static lt_status cnn_test_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    return evaluate(ctx, self, batch, "test/loss", "test/acc");
}

static lt_optimizer *cnn_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    opt.lr = ((cnn *)self)->lr;
    return lt_adam(ctx, &opt);
}

LT_MODULE(cnn, .create = cnn_create, .forward = cnn_forward, .training_step = cnn_training_step,
          .validation_step = cnn_validation_step, .test_step = cnn_test_step,
          .configure_optimizers = cnn_configure_optimizers)
