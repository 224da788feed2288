/*
 * media_module.c — a module for tests/test_media_log.sh: Linear(2, 3) trained with SGD,
 * whose first training step of every epoch logs, at trainer.global_step:
 *   lt_log_image "samples/rgb": float CHW [3, 2, 3], values -0.5 .. 1.5 step 0.1 in
 *                  row-major order (clipped, scaled by 255, truncated);
 *   lt_log_image "samples/gray": uint8 HW [2, 2] {0, 100, 200, 255} (three channels);
 *   lt_log_histogram "values": float [7] {-1, 0, 0, 0.5, 2, 3e-12, -4e-12};
 *   lt_log_text "note": "hello **world**".
 * hparams: bad ("none" | "shape": a [2, 2, 2, 2] image | "channels": a [2, 3, 3] image |
 * "empty_name"), for the error messages.
 */
#include "ltrun.h"

#include <string.h>

typedef struct {
    lt_linear_layer fc;
    const char *bad;
} media;

static void *m_create(lt_ctx *ctx, const lt_hparams *hp) {
    media *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 3) != LT_OK) return NULL;
    m->bad = lt_hp_str(ctx, hp, "bad", "none");
    return m;
}

static lt_status log_media(lt_ctx *ctx, media *m) {
    float rgb[18];
    for (int i = 0; i < 18; i++) rgb[i] = -0.5f + 0.1f * (float)i;
    int64_t rgb_shape[3] = {3, 2, 3};
    uint8_t gray[4] = {0, 100, 200, 255};
    int64_t gray_shape[2] = {2, 2};
    float values[7] = {-1, 0, 0, 0.5f, 2, 3e-12f, -4e-12f};
    int64_t n7 = 7;
    if (!strcmp(m->bad, "shape")) {
        int64_t s4[4] = {2, 2, 2, 2};
        return lt_log_image(ctx, "bad", lt_zeros(ctx, LT_FLOAT32, 4, s4));
    }
    if (!strcmp(m->bad, "channels")) {
        int64_t s3[3] = {2, 3, 3};
        return lt_log_image(ctx, "bad", lt_zeros(ctx, LT_FLOAT32, 3, s3));
    }
    if (!strcmp(m->bad, "empty_name")) return lt_log_text(ctx, "", "x");
    if (lt_log_image(ctx, "samples/rgb", lt_tensor_from(ctx, LT_FLOAT32, 3, rgb_shape, rgb)) ||
        lt_log_image(ctx, "samples/gray", lt_tensor_from(ctx, LT_UINT8, 2, gray_shape, gray)) ||
        lt_log_histogram(ctx, "values", lt_tensor_from(ctx, LT_FLOAT32, 1, &n7, values)) ||
        lt_log_text(ctx, "note", "hello **world**"))
        return LT_ERROR;
    return LT_OK;
}

static lt_tensor *m_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    media *m = self;
    if (i == 0 && log_media(ctx, m)) return NULL;
    lt_tensor *logits = lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0));
    lt_tensor *loss = lt_cross_entropy(ctx, logits, lt_batch_at(ctx, b, 1));
    lt_log(ctx, "train_loss", loss, LT_ON_STEP);
    return loss;
}

static lt_optimizer *m_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

LT_MODULE(media_module, .create = m_create, .training_step = m_training_step,
          .configure_optimizers = m_configure_optimizers)
