/*
 * export_module.c — a module for tests/test_export.sh: a small CNN over [N, 1, 8, 8]
 * images using every op family the ONNX exporter covers:
 *   conv1 Conv2d(1, 4, 3, padding 1) -> BatchNorm2d(4) -> ReLU -> MaxPool2d(2)
 *   -> conv2 Conv2d(4, 6, 3, padding 1) -> sigmoid -> AvgPool2d(2)
 *   -> up ConvTranspose2d(6, 6, 3, stride 2, padding 1, output_padding 1) -> tanh -> flatten
 *   -> fc1 Linear(96, 16) -> Dropout(0.5) -> LeakyReLU(0.1) -> fc2 Linear(16, 3)
 *   -> log_softmax(dim 1)
 * trained with cross entropy (forward's log-probabilities through nll) and SGD.
 * --model.bad_op true adds a transpose pair to forward (an op the exporter refuses).
 */
#include "ltrun.h"

typedef struct {
    lt_conv2d_layer conv1, conv2;
    lt_conv_transpose2d_layer up;
    lt_batchnorm_layer bn;
    lt_linear_layer fc1, fc2;
    bool bad_op;
} cnn;

static void *e_create(lt_ctx *ctx, const lt_hparams *hp) {
    cnn *m = lt_alloc(ctx, sizeof *m);
    lt_conv2d_options o = LT_CONV2D_DEFAULTS;
    o.padding[0] = o.padding[1] = 1;
    if (!m || lt_conv2d_init(ctx, &m->conv1, "conv1", 1, 4, 3, &o) ||
        lt_batchnorm_init(ctx, &m->bn, "bn", 4, NULL) ||
        lt_conv2d_init(ctx, &m->conv2, "conv2", 4, 6, 3, &o) ||
        lt_linear_init(ctx, &m->fc1, "fc1", 96, 16) || lt_linear_init(ctx, &m->fc2, "fc2", 16, 3))
        return NULL;
    lt_conv_transpose2d_options u = LT_CONV_TRANSPOSE2D_DEFAULTS;
    u.stride[0] = u.stride[1] = 2;
    u.padding[0] = u.padding[1] = 1;
    u.output_padding[0] = u.output_padding[1] = 1;
    if (lt_conv_transpose2d_init(ctx, &m->up, "up", 6, 6, 3, &u)) return NULL;
    m->bad_op = lt_hp_bool(ctx, hp, "bad_op", false);
    return m;
}

static lt_tensor *e_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    cnn *m = self;
    lt_tensor *h = lt_max_pool2d(ctx, lt_relu(ctx, lt_batchnorm(ctx, &m->bn, lt_conv2d(ctx, &m->conv1, x))), 2);
    h = lt_avg_pool2d(ctx, lt_sigmoid(ctx, lt_conv2d(ctx, &m->conv2, h)), 2);
    h = lt_tanh(ctx, lt_conv_transpose2d(ctx, &m->up, h));
    if (m->bad_op) h = lt_transpose(ctx, lt_transpose(ctx, h, 2, 3), 2, 3);
    h = lt_flatten(ctx, h, 1);
    h = lt_leaky_relu(ctx, lt_dropout_layer(ctx, lt_linear(ctx, &m->fc1, h), 0.5), 0.1);
    return lt_log_softmax(ctx, lt_linear(ctx, &m->fc2, h), 1);
}

static lt_tensor *e_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    return lt_cross_entropy(ctx, e_forward(ctx, self, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}

static lt_optimizer *e_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.05;
    return lt_sgd(ctx, &o);
}

LT_MODULE(export_module, .create = e_create, .forward = e_forward,
          .training_step = e_training_step, .configure_optimizers = e_configure_optimizers)
