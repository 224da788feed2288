/*
 * autoencoder.c — a LightningModule in C: a convolutional autoencoder for 28x28 images
 * (Lightning's LitAutoEncoder idea with convolutions), trained with MSE to reproduce
 * its input.
 *
 *   encoder: Conv(1->16, 3, stride 2, pad 1)-ReLU-Conv(16->32, 3, stride 2, pad 1)-ReLU
 *            [N, 32, 7, 7]
 *   decoder: ConvTranspose(32->16, 3, stride 2, pad 1, output_padding 1)-ReLU-
 *            ConvTranspose(16->1, 3, stride 2, pad 1, output_padding 1)  [N, 1, 28, 28]
 *
 *   ltrun fit --module examples/autoencoder.so --data examples/mnist.so --trainer.max_epochs 1 --test
 *
 * Logs train/loss, val/loss and test/loss (F.mse_loss, mean over pixels). The images
 * are the data module's normalised ones, so a loss well under 1 (the variance of a
 * normalised pixel) means the code of 32x7x7 carries the image.
 * Hyperparameters: --model.lr (1e-3), --model.channels1 (16), --model.channels2 (32).
 */
#define LT_PLUGIN_DESCRIPTION "convolutional autoencoder for 28x28 images (MSE, Adam)"
#include <ltrun.h>

typedef struct autoencoder {
    lt_conv2d_layer enc1, enc2;
    lt_conv_transpose2d_layer dec1, dec2;
    double lr;
} autoencoder;

static void *ae_create(lt_ctx *ctx, const lt_hparams *hp) {
    autoencoder *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 1e-3);
    int64_t c1 = lt_hp_int(ctx, hp, "channels1", 16);
    int64_t c2 = lt_hp_int(ctx, hp, "channels2", 32);
    lt_conv2d_options down = LT_CONV2D_DEFAULTS;
    down.stride[0] = down.stride[1] = 2;
    down.padding[0] = down.padding[1] = 1;
    lt_conv_transpose2d_options up = LT_CONV_TRANSPOSE2D_DEFAULTS;
    up.stride[0] = up.stride[1] = 2;
    up.padding[0] = up.padding[1] = 1;
    up.output_padding[0] = up.output_padding[1] = 1;
    if (lt_conv2d_init(ctx, &m->enc1, "encoder.0", 1, c1, 3, &down) ||
        lt_conv2d_init(ctx, &m->enc2, "encoder.2", c1, c2, 3, &down) ||
        lt_conv_transpose2d_init(ctx, &m->dec1, "decoder.0", c2, c1, 3, &up) ||
        lt_conv_transpose2d_init(ctx, &m->dec2, "decoder.2", c1, 1, 3, &up))
        return NULL;
    return m;
}

/* forward(x [N, 1, 28, 28]) -> reconstruction [N, 1, 28, 28] */
static lt_tensor *ae_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    autoencoder *m = self;
    lt_tensor *z = lt_relu(ctx, lt_conv2d(ctx, &m->enc2, lt_relu(ctx, lt_conv2d(ctx, &m->enc1, x))));
    return lt_conv_transpose2d(ctx, &m->dec2, lt_relu(ctx, lt_conv_transpose2d(ctx, &m->dec1, z)));
}

static lt_tensor *loss_of(lt_ctx *ctx, void *self, lt_batch *batch) {
    lt_tensor *x = lt_batch_at(ctx, batch, 0);
    return lt_mse_loss(ctx, ae_forward(ctx, self, x), x, LT_REDUCTION_MEAN);
}

static lt_tensor *ae_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_tensor *loss = loss_of(ctx, self, batch);
    lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH | LT_PROG_BAR);
    return loss;
}

static lt_status ae_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_log(ctx, "val/loss", loss_of(ctx, self, batch), LT_PROG_BAR);
    return LT_OK;
}

static lt_status ae_test_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    lt_log(ctx, "test/loss", loss_of(ctx, self, batch), LT_PROG_BAR);
    return LT_OK;
}

static lt_optimizer *ae_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    opt.lr = ((autoencoder *)self)->lr;
    return lt_adam(ctx, &opt);
}

LT_MODULE(autoencoder, .create = ae_create, .forward = ae_forward,
          .training_step = ae_training_step, .validation_step = ae_validation_step,
          .test_step = ae_test_step, .configure_optimizers = ae_configure_optimizers)
