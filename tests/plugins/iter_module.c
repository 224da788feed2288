/*
 * iter_module.c — test module for iterable datasets and the collate hook (with
 * iter_data.c; tests/test_iterable.sh, test_collate_hook.sh): one weight w [1];
 * loss = mean(float(field 0) * w). Each step prints its batch on stderr:
 *   "train epoch=E batch=I step=G size=S last=L f0=[d0,d1] v0=a,b,... f1=[..] v1=..."
 * (G: global_step before the step; last: lt_trainer_flag "is_last_batch"; every
 * field, its shape and values), and
 * "val batch=I size=S v1=..." for validation_step; predict_step returns field 1 (the
 * ids). It logs "seen" (the summed batch sizes, on epoch) in training and "val_seen" in
 * validation, and on_train_epoch_start prints "epoch_start E total=T" with T
 * lt_trainer_flag "num_training_batches" (inf for an iterable dataset).
 */
#define LT_PLUGIN_DESCRIPTION "prints its batches (iterable / collate tests)"
#include <ltrun.h>

#include <stdio.h>
#include <string.h>

typedef struct im {
    lt_tensor *w;
} im;

static void *im_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    im *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    int64_t one = 1;
    if (!(m->w = lt_param(ctx, "w", LT_FLOAT32, 1, &one))) return NULL;
    return m;
}

/* "fK=[shape] vK=values" for every field of the batch, appended to line */
static void print_fields(lt_ctx *ctx, lt_batch *batch, char *line, size_t cap) {
    size_t k = strlen(line);
#define PUT(...) (k += k < cap ? (size_t)snprintf(line + k, cap - k, __VA_ARGS__) : 0)
    for (int f = 0; f < lt_batch_nfields(ctx, batch); f++) {
        lt_tensor *t = lt_batch_at(ctx, batch, f);
        PUT(" f%d=[", f);
        for (int d = 0; d < lt_ndim(ctx, t); d++)
            PUT("%s%lld", d ? "," : "", (long long)lt_size(ctx, t, d));
        PUT("] v%d=", f);
        const void *p = lt_data(ctx, t);
        for (int64_t i = 0; i < lt_numel(ctx, t); i++) {
            double v = lt_dtype_of(ctx, t) == LT_INT64 ? (double)((const int64_t *)p)[i]
                       : lt_dtype_of(ctx, t) == LT_FLOAT32 ? (double)((const float *)p)[i]
                                                           : (double)((const double *)p)[i];
            PUT("%s%g", i ? "," : "", v);
        }
    }
#undef PUT
}

static lt_tensor *im_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    im *m = self;
    char line[4096]; /* one write: loader threads print on stderr too */
    snprintf(line, sizeof line, "train epoch=%lld batch=%lld step=%lld size=%lld last=%g",
             (long long)ctx->current_epoch, (long long)i, (long long)ctx->global_step,
             (long long)lt_batch_size(ctx, batch), lt_trainer_flag(ctx, "is_last_batch"));
    print_fields(ctx, batch, line, sizeof line);
    fprintf(stderr, "%s\n", line);
    lt_tensor *x = lt_to(ctx, lt_batch_at(ctx, batch, 0), LT_FLOAT32);
    lt_tensor *loss = lt_mean(ctx, lt_mul(ctx, x, m->w));
    lt_log_value(ctx, "seen", (double)lt_batch_size(ctx, batch), LT_ON_EPOCH | LT_REDUCE_SUM);
    return loss;
}

static lt_status im_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    (void)self;
    char line[4096];
    snprintf(line, sizeof line, "val%s batch=%lld size=%lld", ctx->sanity_checking ? " sanity" : "",
             (long long)i, (long long)lt_batch_size(ctx, batch));
    print_fields(ctx, batch, line, sizeof line);
    fprintf(stderr, "%s\n", line);
    lt_log_value(ctx, "val_seen", (double)lt_batch_size(ctx, batch), LT_REDUCE_SUM);
    return LT_OK;
}

static lt_tensor *im_predict_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    (void)self, (void)i;
    return lt_to(ctx, lt_batch_at(ctx, batch, 1), LT_FLOAT32);
}

static lt_status im_on_train_epoch_start(lt_ctx *ctx, void *self) {
    (void)self;
    fprintf(stderr, "epoch_start %lld total=%g\n", (long long)ctx->current_epoch,
            lt_trainer_flag(ctx, "num_training_batches"));
    return LT_OK;
}

static lt_optimizer *im_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.01;
    return lt_sgd(ctx, &o);
}

LT_MODULE(iter_module, .create = im_create, .training_step = im_training_step,
          .validation_step = im_validation_step, .predict_step = im_predict_step,
          .on_train_epoch_start = im_on_train_epoch_start,
          .configure_optimizers = im_configure_optimizers)
