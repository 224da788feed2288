/* ckpt_module.c — checkpoint hooks and load_from_checkpoint (tests/test_checkpoint.sh). A 784-hidden-10 MLP (SGD) whose hidden size comes from the
 * hparam "hidden" (default 8). on_save_checkpoint stores the training batches it has seen
 * as a tensor ("seen", int64 [2]: batches, 1000 + batches) and as JSON ({"batches": n}) under
 * /extra; on_load_checkpoint reads both back, checks they agree and prints
 * "on_load_checkpoint: batches=N" to stderr; on_fit_end prints "module batches=N".
 * "zero_batch" k: epoch 0's batch k contributes no gradient (loss * 0), the reference for
 * a resume in the middle of an accumulate_grad_batches window. */
#include <ltrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lt_linear_layer fc1, fc2;
    int64_t batches;
    int64_t zero_batch; /* epoch 0's batch whose loss is multiplied by 0 (-1: none) */
} cm;

static void *cm_create(lt_ctx *ctx, const lt_hparams *hp) {
    cm *m = lt_alloc(ctx, sizeof *m);
    int64_t hidden = lt_hp_int(ctx, hp, "hidden", 8);
    if (!m || lt_linear_init(ctx, &m->fc1, "fc1", 784, hidden) || lt_linear_init(ctx, &m->fc2, "fc2", hidden, 10))
        return NULL;
    m->batches = 0;
    m->zero_batch = lt_hp_int(ctx, hp, "zero_batch", -1);
    return m;
}

static lt_tensor *cm_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    cm *m = self;
    return lt_linear(ctx, &m->fc2, lt_relu(ctx, lt_linear(ctx, &m->fc1, lt_flatten(ctx, x, 1))));
}

static lt_tensor *cm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    cm *m = self;
    m->batches++;
    lt_tensor *loss = lt_cross_entropy(ctx, cm_forward(ctx, self, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
    /* the reference for a resume in the middle of an accumulation window: this batch's
     * gradient never reaches the step, as when its accumulated gradient is lost */
    return ctx->current_epoch == 0 && i == m->zero_batch ? lt_mul_scalar(ctx, loss, 0.0) : loss;
}

static lt_status cm_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    lt_tensor *logits = cm_forward(ctx, self, lt_batch_at(ctx, b, 0));
    lt_log(ctx, "test/acc", lt_accuracy(ctx, logits, lt_batch_at(ctx, b, 1)), LT_PROG_BAR);
    return LT_OK;
}

static lt_optimizer *cm_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.05;
    return lt_sgd(ctx, &o);
}

static lt_status cm_on_save_checkpoint(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    cm *m = self;
    int64_t two = 2;
    lt_tensor *t = lt_tensor_new(ctx, LT_INT64, 1, &two);
    if (!t) return LT_ERROR;
    int64_t *d = lt_data(ctx, t);
    d[0] = m->batches, d[1] = 1000 + m->batches;
    char json[64];
    snprintf(json, sizeof json, "{\"batches\": %lld}", (long long)m->batches);
    if (lt_ckpt_put_tensor(ctx, w, "seen", t) || lt_ckpt_put_json(ctx, w, "meta", json)) return LT_ERROR;
    return LT_OK;
}

static lt_status cm_on_load_checkpoint(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    cm *m = self;
    int64_t two = 2;
    lt_tensor *t = lt_tensor_new(ctx, LT_INT64, 1, &two);
    if (!t || lt_ckpt_get_tensor(ctx, r, "seen", t)) return LT_ERROR;
    const char *json = lt_ckpt_get_json(ctx, r, "meta");
    const char *p = json ? strstr(json, "\"batches\":") : NULL;
    int64_t *d = lt_data(ctx, t);
    if (!p || strtoll(p + 10, NULL, 10) != d[0] || d[1] != 1000 + d[0])
        return lt_fail(ctx, "the stored tensor and JSON disagree");
    m->batches = d[0];
    fprintf(stderr, "on_load_checkpoint: batches=%lld\n", (long long)m->batches);
    return LT_OK;
}

static lt_status cm_on_fit_end(lt_ctx *ctx, void *self) {
    (void)ctx;
    fprintf(stderr, "module batches=%lld\n", (long long)((cm *)self)->batches);
    return LT_OK;
}

LT_MODULE(ckpt_module, .create = cm_create, .forward = cm_forward, .training_step = cm_training_step,
          .test_step = cm_test_step, .configure_optimizers = cm_configure_optimizers,
          .on_fit_end = cm_on_fit_end, .on_save_checkpoint = cm_on_save_checkpoint,
          .on_load_checkpoint = cm_on_load_checkpoint)
