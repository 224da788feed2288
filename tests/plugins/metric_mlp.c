/*
 * metric_mlp.c — test module for lt_log_metric (tests/test_metrics_e2e.sh): a small
 * MLP that keeps torchmetrics-style metric objects made in create, updates them each
 * step and logs the objects. validation logs both val/macc (an accuracy metric object,
 * computed over the epoch) and val/acc (the batch-size weighted mean of lt_accuracy):
 * for accuracy the two agree. The epoch-start hooks fail the run if a metric logged
 * in the previous epoch was not reset.
 */
#define LT_PLUGIN_DESCRIPTION "MLP logging metric objects (test)"
#include <ltrun.h>

#include <math.h>

typedef struct mm {
    lt_linear_layer fc1, fc2;
    lt_metric *val_acc, *train_f1;
} mm;

static void *mm_create(lt_ctx *ctx, const lt_hparams *hp) {
    mm *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    if (lt_linear_init(ctx, &m->fc1, "fc1", 784, 32) || lt_linear_init(ctx, &m->fc2, "fc2", 32, 10))
        return NULL;
    lt_metric_options o = LT_METRIC_DEFAULTS;
    o.num_classes = 10;
    m->val_acc = lt_metric_new(ctx, LT_METRIC_ACCURACY, &o);
    m->train_f1 = lt_metric_new(ctx, LT_METRIC_F1, &o);
    return m->val_acc && m->train_f1 ? m : NULL;
}

static lt_tensor *mm_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    mm *m = self;
    return lt_linear(ctx, &m->fc2, lt_relu(ctx, lt_linear(ctx, &m->fc1, lt_flatten(ctx, x, 1))));
}

static lt_tensor *mm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    mm *m = self;
    lt_tensor *logits = mm_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    lt_tensor *loss = lt_cross_entropy(ctx, logits, y);
    if (lt_metric_update(ctx, m->train_f1, logits, y) != LT_OK) return NULL;
    lt_log_metric(ctx, "train/f1", m->train_f1, LT_ON_STEP | LT_ON_EPOCH);
    return loss;
}

static lt_status mm_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    mm *m = self;
    lt_tensor *logits = mm_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 1);
    if (lt_metric_update(ctx, m->val_acc, logits, y) != LT_OK) return LT_ERROR;
    lt_log_metric(ctx, "val/macc", m->val_acc, LT_ON_EPOCH);
    lt_log(ctx, "val/acc", lt_accuracy(ctx, logits, y), LT_ON_EPOCH);
    return LT_OK;
}

static lt_status check_reset(lt_ctx *ctx, lt_metric *m, const char *what) {
    lt_tensor *v = lt_metric_compute(ctx, m);
    if (!v) return LT_ERROR;
    double x = lt_item(ctx, v);
    /* accuracy of nothing is nan; macro F1 of nothing is 0 */
    if (!(isnan(x) || x == 0)) {
        lt_fail(ctx, "%s was not reset at the epoch start: %g", what, x);
        return LT_ERROR;
    }
    return LT_OK;
}

static lt_status mm_on_train_epoch_start(lt_ctx *ctx, void *self) {
    return check_reset(ctx, ((mm *)self)->train_f1, "train/f1");
}
static lt_status mm_on_validation_epoch_start(lt_ctx *ctx, void *self) {
    return check_reset(ctx, ((mm *)self)->val_acc, "val/macc");
}

static lt_optimizer *mm_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_adam_options opt = LT_ADAM_DEFAULTS;
    return lt_adam(ctx, &opt);
}

LT_MODULE(metric_mlp, .create = mm_create, .forward = mm_forward,
          .training_step = mm_training_step, .validation_step = mm_validation_step,
          .configure_optimizers = mm_configure_optimizers,
          .on_train_epoch_start = mm_on_train_epoch_start,
          .on_validation_epoch_start = mm_on_validation_epoch_start)
