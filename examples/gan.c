/*
 * gan.c — a GAN in C with manual optimization: Lightning's "basic-gan" tutorial
 * (PyTorch Lightning GAN, training_step with two optimizers and toggle_optimizer) on
 * Fashion-MNIST, writing an 8x8 grid of samples as a PNG at the end of every epoch.
 *
 *   ltrun fit --module examples/gan.so --data examples/mnist.so \
 *       --data.mean 0.5 --data.std 0.5 --trainer.max_epochs 5
 *
 * (mean/std 0.5 map the pixels to [-1, 1], the range of the generator's tanh.)
 *
 *   generator      z [N, latent_dim] -> Linear(latent_dim, hidden) -> LeakyReLU(0.2)
 *                  -> Linear(hidden, 784) -> Tanh                   ("generator.*")
 *   discriminator  x [N, 784] -> Linear(784, hidden) -> LeakyReLU(0.2) -> Linear(hidden, 1)
 *                  logits, trained with binary_cross_entropy_with_logits ("discriminator.*")
 *   optimizers     Adam(generator.parameters(), lr, betas=(b1, b2)) and the same for the
 *                  discriminator: lt_optimizers(ctx, 0) and (ctx, 1)
 *
 * Hyperparameters: --model.latent_dim (64), --model.hidden (256), --model.lr (2e-4),
 * --model.b1 (0.5), --model.b2 (0.999), --model.sample_dir (default_root_dir/gan_samples).
 * Logged each step: g_loss and d_loss (progress bar). Samples: sample_dir/epoch_NNN.png,
 * 242x242 8-bit grey (torchvision's make_grid(nrow=8, padding=2) of the 64 images the
 * generator makes from one fixed noise batch, save_image's [-1, 1] -> [0, 255]), written
 * to a temporary name and renamed, so a reader never sees half a file. The same grid goes
 * to the loggers as the tutorial's self.logger.experiment.add_image("generated_images",
 * grid, ...) does: lt_log_image (TensorBoard's Images tab with --logger tensorboard, an
 * artifact with --logger mlflow).
 */
#define LT_PLUGIN_DESCRIPTION "MLP GAN (manual optimization, two Adam optimizers), PNG samples"
#include <ltrun.h>

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GRID 8                       /* images per row and column */
#define NSAMPLES (GRID * GRID)
#define SIDE 28                      /* image side */
#define PAD 2                        /* make_grid's padding */
#define GRID_PX (PAD + GRID * (SIDE + PAD))

typedef struct gan {
    lt_linear_layer g1, g2, d1, d2;
    int64_t latent_dim;
    double lr, b1, b2;
    char default_dir[1200];
    const char *sample_dir;
    float *fixed_z; /* [NSAMPLES, latent_dim]: the same noise at every epoch end */
} gan;

static void *gan_create(lt_ctx *ctx, const lt_hparams *hp) {
    gan *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->latent_dim = lt_hp_int(ctx, hp, "latent_dim", 64);
    int64_t hidden = lt_hp_int(ctx, hp, "hidden", 256);
    m->lr = lt_hp_float(ctx, hp, "lr", 2e-4);
    m->b1 = lt_hp_float(ctx, hp, "b1", 0.5);
    m->b2 = lt_hp_float(ctx, hp, "b2", 0.999);
    snprintf(m->default_dir, sizeof m->default_dir, "%s/gan_samples", lt_default_root_dir(ctx));
    m->sample_dir = lt_hp_str(ctx, hp, "sample_dir", m->default_dir);
    if (m->latent_dim < 1 || hidden < 1) {
        lt_fail(ctx, "--model.latent_dim and --model.hidden must be >= 1");
        return NULL;
    }
    /* self.automatic_optimization = False */
    if (lt_set_automatic_optimization(ctx, false)) return NULL;
    if (lt_linear_init(ctx, &m->g1, "generator.fc1", m->latent_dim, hidden) ||
        lt_linear_init(ctx, &m->g2, "generator.fc2", hidden, SIDE * SIDE) ||
        lt_linear_init(ctx, &m->d1, "discriminator.fc1", SIDE * SIDE, hidden) ||
        lt_linear_init(ctx, &m->d2, "discriminator.fc2", hidden, 1))
        return NULL;
    /* self.validation_z = torch.randn(64, latent_dim), drawn once from the seeded rng */
    int64_t zshape[2] = {NSAMPLES, m->latent_dim};
    lt_tensor *z = lt_randn(ctx, LT_FLOAT32, 2, zshape);
    m->fixed_z = lt_alloc(ctx, (size_t)(NSAMPLES * m->latent_dim) * sizeof(float));
    if (!z || !m->fixed_z) return NULL;
    const void *zd = lt_data(ctx, z);
    for (int64_t i = 0; i < NSAMPLES * m->latent_dim; i++)
        m->fixed_z[i] = lt_dtype_of(ctx, z) == LT_FLOAT64 ? (float)((const double *)zd)[i]
                                                          : ((const float *)zd)[i];
    return m;
}

static lt_tensor *generator(lt_ctx *ctx, gan *m, lt_tensor *z) {
    lt_tensor *h = lt_leaky_relu(ctx, lt_linear(ctx, &m->g1, z), 0.2);
    return lt_tanh(ctx, lt_linear(ctx, &m->g2, h));
}

static lt_tensor *discriminator(lt_ctx *ctx, gan *m, lt_tensor *x) {
    lt_tensor *h = lt_leaky_relu(ctx, lt_linear(ctx, &m->d1, x), 0.2);
    return lt_linear(ctx, &m->d2, h); /* logits */
}

/* forward(z): generated images [N, 784] in [-1, 1] */
static lt_tensor *gan_forward(lt_ctx *ctx, void *self, lt_tensor *z) { return generator(ctx, self, z); }

static lt_tensor *adversarial_loss(lt_ctx *ctx, lt_tensor *logits, lt_tensor *target) {
    return lt_binary_cross_entropy_with_logits(ctx, logits, target, NULL, NULL, LT_REDUCTION_MEAN);
}

static lt_tensor *gan_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx) {
    gan *m = self;
    lt_tensor *imgs = lt_flatten(ctx, lt_batch_at(ctx, batch, 0), 1);
    if (!imgs) return NULL;
    lt_optimizer *opt_g = lt_optimizers(ctx, 0), *opt_d = lt_optimizers(ctx, 1);
    int64_t n = lt_size(ctx, imgs, 0);
    int64_t zshape[2] = {n, m->latent_dim}, yshape[2] = {n, 1};
    lt_tensor *z = lt_randn(ctx, LT_FLOAT32, 2, zshape);
    lt_tensor *valid = lt_ones(ctx, LT_FLOAT32, 2, yshape);
    lt_tensor *fake = lt_zeros(ctx, LT_FLOAT32, 2, yshape);

    /* train the generator: the discriminator's parameters are toggled off, so its
     * gradients are not computed, but the loss flows through it to the generator */
    if (lt_toggle_optimizer(ctx, opt_g)) return NULL;
    lt_tensor *g_loss = adversarial_loss(ctx, discriminator(ctx, m, generator(ctx, m, z)), valid);
    lt_log(ctx, "g_loss", g_loss, LT_PROG_BAR);
    if (lt_manual_backward(ctx, g_loss) || lt_optimizer_step(ctx, opt_g, NULL) ||
        lt_optimizer_zero_grad(ctx, opt_g) || lt_untoggle_optimizer(ctx, opt_g))
        return NULL;

    /* train the discriminator: real images as real, detached generated ones as fake */
    if (lt_toggle_optimizer(ctx, opt_d)) return NULL;
    lt_tensor *real_loss = adversarial_loss(ctx, discriminator(ctx, m, imgs), valid);
    bool was = lt_set_grad_enabled(ctx, false); /* self(z).detach() */
    lt_tensor *generated = generator(ctx, m, z);
    lt_set_grad_enabled(ctx, was);
    lt_tensor *fake_loss = adversarial_loss(ctx, discriminator(ctx, m, generated), fake);
    lt_tensor *d_loss = lt_mul_scalar(ctx, lt_add(ctx, real_loss, fake_loss), 0.5);
    lt_log(ctx, "d_loss", d_loss, LT_PROG_BAR);
    if (lt_manual_backward(ctx, d_loss) || lt_optimizer_step(ctx, opt_d, NULL) ||
        lt_optimizer_zero_grad(ctx, opt_d) || lt_untoggle_optimizer(ctx, opt_d))
        return NULL;
    return NULL; /* the tutorial's training_step returns nothing */
}

static lt_optimizer *gan_configure_optimizers(lt_ctx *ctx, void *self) {
    gan *m = self;
    lt_adam_options o = LT_ADAM_DEFAULTS;
    o.lr = m->lr;
    o.beta1 = m->b1;
    o.beta2 = m->b2;
    /* Adam(self.generator.parameters()), Adam(self.discriminator.parameters()) */
    lt_optimizer *opt_g = lt_adam(ctx, &o), *opt_d = lt_adam(ctx, &o);
    if (!opt_g || !opt_d || lt_optimizer_params(ctx, opt_g, "generator.*") ||
        lt_optimizer_params(ctx, opt_d, "discriminator.*") || lt_add_optimizer(ctx, opt_d))
        return NULL;
    return opt_g; /* [opt_g, opt_d] */
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return errno;
    return 0;
}

/* Write the grey image px [GRID_PX * GRID_PX] to path through path.tmp + rename. */
static lt_status write_png(lt_ctx *ctx, const char *path, unsigned char *px) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    png_bytep rows[GRID_PX];
    for (int y = 0; y < GRID_PX; y++) rows[y] = px + (size_t)y * GRID_PX;
    FILE *f = fopen(tmp, "wb");
    if (!f) return lt_fail(ctx, "cannot write %s: %s (check --model.sample_dir)", tmp, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        unlink(tmp);
        return lt_fail(ctx, "libpng: out of memory writing %s", tmp);
    }
    if (setjmp(png_jmpbuf(png))) { /* libpng's error path: nothing here changed since */
        png_destroy_write_struct(&png, &info);
        fclose(f);
        unlink(tmp);
        return lt_fail(ctx, "libpng failed writing %s", tmp);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, GRID_PX, GRID_PX, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        unlink(tmp);
        return lt_fail(ctx, "cannot write %s: %s", tmp, strerror(e));
    }
    fclose(f);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lt_fail(ctx, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return LT_OK;
}

/* the epoch's samples: generator(fixed_z) as a make_grid PNG */
static lt_status gan_on_train_epoch_end(lt_ctx *ctx, void *self) {
    gan *m = self;
    int64_t zshape[2] = {NSAMPLES, m->latent_dim};
    bool was = lt_set_grad_enabled(ctx, false);
    lt_tensor *imgs = generator(ctx, m, lt_tensor_from(ctx, LT_FLOAT32, 2, zshape, m->fixed_z));
    lt_set_grad_enabled(ctx, was);
    const void *data = imgs ? lt_data(ctx, imgs) : NULL;
    if (!data) return lt_fail(ctx, "generating the epoch's samples failed");
    bool f64 = lt_dtype_of(ctx, imgs) == LT_FLOAT64;
    unsigned char *px = calloc((size_t)GRID_PX * GRID_PX, 1); /* pad_value 0 */
    if (!px) return lt_fail(ctx, "out of memory for the sample grid");
    for (int k = 0; k < NSAMPLES; k++) {
        int y0 = PAD + (k / GRID) * (SIDE + PAD), x0 = PAD + (k % GRID) * (SIDE + PAD);
        for (int i = 0; i < SIDE * SIDE; i++) {
            size_t at = (size_t)k * SIDE * SIDE + (size_t)i;
            double v = f64 ? ((const double *)data)[at] : ((const float *)data)[at];
            /* normalize with value_range (-1, 1), then save_image's mul(255).add(0.5) */
            v = (v + 1.0) / 2.0;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            px[(size_t)(y0 + i / SIDE) * GRID_PX + (size_t)(x0 + i % SIDE)] =
                (unsigned char)(v * 255.0 + 0.5);
        }
    }
    char path[4096];
    int err = make_dirs(m->sample_dir);
    lt_status rc;
    if (err) {
        rc = lt_fail(ctx, "cannot create --model.sample_dir %s: %s", m->sample_dir, strerror(err));
    } else {
        snprintf(path, sizeof path, "%s/epoch_%03lld.png", m->sample_dir,
                 (long long)ctx->current_epoch);
        rc = write_png(ctx, path, px);
    }
    int64_t grid_shape[2] = {GRID_PX, GRID_PX};
    if (rc == LT_OK)
        rc = lt_log_image(ctx, "generated_images", lt_tensor_from(ctx, LT_UINT8, 2, grid_shape, px));
    free(px);
    return rc;
}

LT_MODULE(gan, .create = gan_create, .forward = gan_forward, .training_step = gan_training_step,
          .configure_optimizers = gan_configure_optimizers,
          .on_train_epoch_end = gan_on_train_epoch_end)
