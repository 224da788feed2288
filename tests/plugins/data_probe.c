/* data_probe.c — a tiny module for the data plugin tests (tests/test_data_plugins.sh): a
 * linear layer in_features -> num_classes (cross_entropy) or -> 1 (mse, --model.regression
 * true), and every sample it is given appended to --model.dump as "SPLIT x0 x1 ... | y",
 * so the test sees which rows reach which split with which values. */
#include <ltrun.h>

#include <stdio.h>

typedef struct probe {
    lt_linear_layer fc;
    const char *dump;
    bool regression;
} probe;

static void *probe_create(lt_ctx *ctx, const lt_hparams *hp) {
    probe *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->dump = lt_hp_str(ctx, hp, "dump", "");
    m->regression = lt_hp_bool(ctx, hp, "regression", false);
    int64_t in = lt_hp_int(ctx, hp, "in_features", 2);
    int64_t out = m->regression ? 1 : lt_hp_int(ctx, hp, "num_classes", 3);
    if (lt_linear_init(ctx, &m->fc, "fc", in, out)) return NULL;
    return m;
}

static void dump(lt_ctx *ctx, probe *m, const char *split, lt_batch *b) {
    FILE *f = *m->dump ? fopen(m->dump, "a") : NULL;
    if (!f) return;
    lt_tensor *x = lt_batch_at(ctx, b, 0), *y = lt_batch_at(ctx, b, 1);
    int64_t n = lt_batch_size(ctx, b), per = lt_numel(ctx, x) / n, yper = lt_numel(ctx, y) / n;
    const float *xv = lt_data(ctx, x);
    for (int64_t i = 0; i < n; i++) {
        fprintf(f, "%s", split);
        for (int64_t k = 0; k < per; k++) fprintf(f, " %g", xv[i * per + k]);
        fprintf(f, " |");
        for (int64_t k = 0; k < yper; k++) {
            if (lt_dtype_of(ctx, y) == LT_INT64)
                fprintf(f, " %lld", (long long)((const int64_t *)lt_data(ctx, y))[i * yper + k]);
            else fprintf(f, " %g", ((const float *)lt_data(ctx, y))[i * yper + k]);
        }
        fprintf(f, "\n");
    }
    fclose(f);
}

static lt_tensor *probe_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    return lt_linear(ctx, &((probe *)self)->fc, lt_flatten(ctx, x, 1));
}

static lt_tensor *loss_of(lt_ctx *ctx, probe *m, lt_batch *b) {
    lt_tensor *out = lt_linear(ctx, &m->fc, lt_flatten(ctx, lt_batch_at(ctx, b, 0), 1));
    lt_tensor *y = lt_batch_at(ctx, b, 1);
    if (m->regression) return lt_mse_loss(ctx, lt_flatten(ctx, out, 0), lt_flatten(ctx, y, 0),
                                          LT_REDUCTION_MEAN);
    return lt_cross_entropy(ctx, out, y);
}

static lt_tensor *probe_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    dump(ctx, self, "train", b);
    return loss_of(ctx, self, b);
}
static lt_status probe_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    dump(ctx, self, "val", b);
    lt_log(ctx, "val/loss", loss_of(ctx, self, b), 0);
    return LT_OK;
}
static lt_status probe_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    dump(ctx, self, "test", b);
    lt_log(ctx, "test/loss", loss_of(ctx, self, b), 0);
    return LT_OK;
}
static lt_optimizer *probe_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_sgd_options o = LT_SGD_DEFAULTS;
    return lt_sgd(ctx, &o);
}

LT_MODULE(data_probe, .create = probe_create, .forward = probe_forward, .training_step = probe_training_step,
          .validation_step = probe_validation_step, .test_step = probe_test_step,
          .configure_optimizers = probe_configure_optimizers)
