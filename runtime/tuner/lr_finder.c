/*
 * lr_finder.c — Tuner.lr_find (lightning 2.6 tuner/lr_finder.py) as `ltrun tune
 * --tuner.mode lr_find`: one trial fit of num_training steps (max_steps = num_training,
 * limit_val_batches = num_training, loggers and callbacks replaced by the finder's own
 * _LRCallback, here the in-process callback below).
 *
 *   _exchange_scheduler: one optimizer only; every param group's lr = min_lr; the user's
 *     schedulers dropped; the lr of the step after k optimizer steps is _ExponentialLR's
 *     min_lr * (max_lr / min_lr) ** ((k + 1) / num_training) (_LinearLR: min_lr +
 *     (k + 1) / num_training * (max_lr - min_lr)) for k > 0, min_lr for k = 0 (the
 *     schedulers' get_lr with last_epoch = k).
 *   _LRCallback: on_train_batch_start records that lr, on_train_batch_end the smoothed
 *     loss avg = beta avg + (1 - beta) loss, avg / (1 - beta ** (global_step + 1)), beta
 *     0.98; stops (trainer.should_stop) once global_step > 1 and the smoothed loss
 *     exceeds early_stop_threshold * best (4.0; None = never); both skip the batches that
 *     only accumulate; a step without a loss records NaN.
 *   suggestion(skip_begin=10, skip_end=1): among results[10:-1] with a finite loss, the
 *     steepest descent of torch.gradient(losses, spacing=[lrs]) (float32 tensors, as
 *     torch.tensor of Python floats makes them; second-order central differences inside,
 *     first-order at both ends), the first on ties; None with Lightning's message when
 *     fewer than 2 points remain.
 * Output: the lr/loss pairs as CSV (--tuner.csv, default <default_root_dir>/lr_find.csv),
 * the plot (--tuner.plot, lr_find.png: LRFinder.plot(suggest=True)), the suggestion on
 * stdout; --tuner.fit true then fits with --model.<attr_name> (lr) set to it, from the
 * initial weights (update_attr=True, as LearningRateFinder continues into the fit).
 */
#include "tuner/tuner.h"

#include "trainer/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lr_finder {
    double min_lr, max_lr, threshold; /* threshold NAN: None */
    int64_t num_training;
    bool linear;
    double beta, avg_loss, best_loss;
    double *lrs, *losses;
    int64_t nlrs, nlosses, cap;
    bool oom;
} lr_finder;

/* the finder of the trial now running: one tune per process, on the main thread */
static lr_finder *active;

static void *lrf_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)ctx; (void)hp;
    return active;
}

static bool push(lr_finder *f, double **arr, int64_t *n, double v) {
    if (*n == f->cap) {
        int64_t cap = f->cap ? 2 * f->cap : 128;
        double *a = realloc(f->lrs, (size_t)cap * sizeof *a), *b = a ? realloc(f->losses, (size_t)cap * sizeof *b) : NULL;
        if (a) f->lrs = a;
        if (b) f->losses = b;
        if (!a || !b) return false;
        f->cap = cap;
    }
    (arr == &f->lrs ? f->lrs : f->losses)[(*n)++] = v;
    return true;
}

static double lr_at(const lr_finder *f, int64_t k) {
    if (k <= 0) return f->min_lr;
    double r = (double)(k + 1) / (double)f->num_training;
    return f->linear ? f->min_lr + r * (f->max_lr - f->min_lr)
                     : f->min_lr * pow(f->max_lr / f->min_lr, r);
}

static lt_status set_lr(lt_ctx *ctx, double lr) {
    lt_optimizer *opt = lt_optimizers(ctx, 0);
    for (int g = 0; opt && g < lt_num_param_groups(ctx, opt); g++)
        if (lt_group_set(ctx, opt, g, "lr", lr)) return LT_ERROR;
    return LT_OK;
}

static lt_status lrf_on_train_start(lt_ctx *ctx, void *self) {
    (void)self;
    if (lt_optimizers(ctx, 1))
        return lt_fail(ctx, "`model.configure_optimizers()` returned more than 1 optimizer, but "
                            "learning rate finder only works with single optimizer");
    if (!lt_optimizers(ctx, 0))
        return lt_fail(ctx, "the learning rate finder needs the optimizer configure_optimizers returns");
    while (ctx->api->lr_scheduler_config(ctx, 0, NULL))
        if (lt_lr_scheduler_config_remove(ctx, 0)) return LT_ERROR;
    return set_lr(ctx, active->min_lr);
}

static bool accumulating(lt_ctx *ctx, int64_t batch_idx) {
    int64_t acc = (int64_t)lt_trainer_flag(ctx, "accumulate_grad_batches");
    return acc > 1 && (batch_idx + 1) % acc != 0;
}

static lt_status lrf_on_train_batch_start(lt_ctx *ctx, void *self, lt_batch *batch, int64_t batch_idx) {
    lr_finder *f = self;
    (void)batch;
    double lr = lr_at(f, ctx->global_step);
    if (set_lr(ctx, lr)) return LT_ERROR;
    if (accumulating(ctx, batch_idx)) return LT_OK;
    if (!push(f, &f->lrs, &f->nlrs, lr)) return lt_fail(ctx, "lr_find: out of memory");
    return LT_OK;
}

static lt_status lrf_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *batch,
                                        int64_t batch_idx) {
    lr_finder *f = self;
    (void)batch;
    if (accumulating(ctx, batch_idx)) return LT_OK;
    if (!outputs) {
        if (!push(f, &f->losses, &f->nlosses, NAN)) return lt_fail(ctx, "lr_find: out of memory");
        return LT_OK;
    }
    double loss = lt_item(ctx, outputs);
    int64_t step = ctx->global_step;
    f->avg_loss = f->beta * f->avg_loss + (1 - f->beta) * loss;
    double smoothed = f->avg_loss / (1 - pow(f->beta, (double)(step + 1)));
    if (!isnan(f->threshold) && step > 1 && smoothed > f->threshold * f->best_loss)
        lt_set_should_stop(ctx, true);
    if (smoothed < f->best_loss || step == 1) f->best_loss = smoothed;
    if (!push(f, &f->losses, &f->nlosses, smoothed)) return lt_fail(ctx, "lr_find: out of memory");
    return LT_OK;
}

static const lt_callback_vtable lrf_vtable = {
    .size = sizeof(lt_callback_vtable), .create = lrf_create, .on_train_start = lrf_on_train_start,
    .on_train_batch_start = lrf_on_train_batch_start, .on_train_batch_end = lrf_on_train_batch_end};
static const lt_descriptor lrf_descriptor = {LT_ABI_MAJOR, LT_ABI_MINOR, sizeof(lt_descriptor),
                                             LT_KIND_CALLBACK, "lr_finder", "builtin",
                                             "Tuner.lr_find's _LRCallback", &lrf_vtable};

/* LRFinder.suggestion(skip_begin, skip_end): the index into the results, -1 for None */
static int64_t suggestion(const double *lrs, const double *losses, int64_t n, int skip_begin, int skip_end) {
    int64_t lo = skip_begin, hi = n - skip_end, m = 0;
    if (hi - lo < 2) return -1;
    float *x = malloc((size_t)(hi - lo) * sizeof *x), *y = malloc((size_t)(hi - lo) * sizeof *y);
    int64_t *idx = malloc((size_t)(hi - lo) * sizeof *idx);
    int64_t best = -1;
    if (x && y && idx) {
        for (int64_t i = lo; i < hi; i++)
            if (isfinite((float)losses[i])) {
                x[m] = (float)lrs[i];
                y[m] = (float)losses[i];
                idx[m++] = i;
            }
        if (m >= 2) {
            float min_g = INFINITY;
            int64_t arg = 0;
            bool nan_seen = false;
            for (int64_t i = 0; i < m; i++) {
                float g;
                if (i == 0) g = (y[1] - y[0]) / (x[1] - x[0]);
                else if (i == m - 1) g = (y[m - 1] - y[m - 2]) / (x[m - 1] - x[m - 2]);
                else {
                    float dx1 = x[i] - x[i - 1], dx2 = x[i + 1] - x[i];
                    float a = -dx2 / (dx1 * (dx1 + dx2)), b = (dx2 - dx1) / (dx1 * dx2),
                          c = dx1 / (dx2 * (dx1 + dx2));
                    g = a * y[i - 1] + b * y[i] + c * y[i + 1];
                }
                /* torch.argmin: the first minimum, the first NaN before any number */
                if (isnan(g)) {
                    if (!nan_seen) arg = i;
                    nan_seen = true;
                } else if (!nan_seen && (i == 0 || g < min_g)) {
                    min_g = g;
                    arg = i;
                }
            }
            best = idx[arg];
        }
    }
    free(x); free(y); free(idx);
    return best;
}

/* Python's repr of a float (shortest round-trip text) */
static void py_float(double v, char *buf, size_t cap) {
    if (isnan(v)) { snprintf(buf, cap, "nan"); return; }
    if (isinf(v)) { snprintf(buf, cap, v > 0 ? "inf" : "-inf"); return; }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, cap, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".e")) snprintf(buf + strlen(buf), cap - strlen(buf), ".0");
}

static lt_status write_csv(const char *path, const double *lrs, const double *losses, int64_t n,
                           char *err, size_t cap) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = ltr_tuner_mkparent(path) ? NULL : fopen(tmp, "w");
    if (!f) {
        snprintf(err, cap, "--tuner.csv: cannot write %s: %s", path, strerror(errno));
        return LT_ERROR;
    }
    fputs("lr,loss\n", f);
    for (int64_t i = 0; i < n; i++) {
        char a[40], b[40];
        py_float(lrs[i], a, sizeof a);
        py_float(losses[i], b, sizeof b);
        fprintf(f, "%s,%s\n", a, b);
    }
    if (fclose(f) || rename(tmp, path)) {
        snprintf(err, cap, "--tuner.csv: writing %s failed: %s", path, strerror(errno));
        remove(tmp);
        return LT_ERROR;
    }
    return LT_OK;
}

int ltr_lr_find_main(const ltr_tune_args *a) {
    char err[4600];
    double min_lr, max_lr, num, thr;
    const char *lr_mode, *attr, *csv, *plot;
    bool fit;
    if (!ltr_tuner_num(a, "min_lr", 1e-8, &min_lr, err, sizeof err) ||
        !ltr_tuner_num(a, "max_lr", 1.0, &max_lr, err, sizeof err) ||
        !ltr_tuner_num(a, "num_training", 100, &num, err, sizeof err) ||
        !ltr_tuner_num(a, "early_stop_threshold", 4.0, &thr, err, sizeof err) ||
        !ltr_tuner_str(a, "lr_mode", "exponential", &lr_mode, err, sizeof err) ||
        !ltr_tuner_str(a, "attr_name", "lr", &attr, err, sizeof err) ||
        !ltr_tuner_str(a, "csv", NULL, &csv, err, sizeof err) ||
        !ltr_tuner_str(a, "plot", NULL, &plot, err, sizeof err) ||
        !ltr_tuner_bool(a, "fit", false, &fit, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        return LTR_EXIT_USAGE;
    }
    if (strcmp(lr_mode, "exponential") && strcmp(lr_mode, "linear")) {
        fprintf(stderr, "ltrun: error: --tuner.lr_mode: mode should be either `linear` or "
                        "`exponential`, got '%s'\n", lr_mode);
        return LTR_EXIT_USAGE;
    }
    if (!(min_lr > 0) || !(max_lr > min_lr) || !(num >= 1) || num != floor(num)) {
        fprintf(stderr, "ltrun: error: lr_find needs 0 < --tuner.min_lr < --tuner.max_lr and an "
                        "integer --tuner.num_training >= 1 (got %g, %g, %g)\n", min_lr, max_lr, num);
        return LTR_EXIT_USAGE;
    }
    ltr_options o;
    int code = ltr_tuner_options(a, &o);
    if (code) return code;
    bool dev_run = o.trainer.fast_dev_run > 0;
    char root[1024], csv_path[2048], plot_path[2048];
    snprintf(root, sizeof root, "%s", o.trainer.default_root_dir[0] ? o.trainer.default_root_dir : ".");
    ltr_options_free(&o);
    if (dev_run) {
        fprintf(stderr, "Skipping learning rate finder since `fast_dev_run` is enabled.\n");
        return fit ? ltr_tuner_run(a, NULL, 0, false, NULL, NULL) : LTR_EXIT_OK;
    }
    snprintf(csv_path, sizeof csv_path, "%s", csv ? csv : "");
    if (!csv) snprintf(csv_path, sizeof csv_path, "%s/lr_find.csv", root);
    snprintf(plot_path, sizeof plot_path, "%s", plot ? plot : "");
    if (!plot) snprintf(plot_path, sizeof plot_path, "%s/lr_find.png", root);

    lr_finder f = {.min_lr = min_lr, .max_lr = max_lr, .threshold = thr, .num_training = (int64_t)num,
                   .linear = !strcmp(lr_mode, "linear"), .beta = 0.98};
    char n_text[32];
    snprintf(n_text, sizeof n_text, "%lld", (long long)f.num_training);
    const char *extra[] = {"--trainer.max_steps", n_text, "--trainer.limit_val_batches", n_text,
                           "--trainer.enable_checkpointing", "false", "--trainer.enable_progress_bar",
                           "false", "--trainer.enable_model_summary", "false"};
    active = &f;
    ltr_run_report rep;
    code = ltr_tuner_run(a, extra, (int)(sizeof extra / sizeof extra[0]), true, &lrf_descriptor, &rep);
    active = NULL;
    if (code) {
        free(f.lrs);
        free(f.losses);
        return code;
    }
    int64_t n = f.nlrs < f.nlosses ? f.nlrs : f.nlosses;
    if (n < f.num_training)
        fprintf(stderr, "LR finder stopped early after %lld steps due to diverging loss.\n", (long long)n);
    int64_t best = suggestion(f.lrs, f.losses, n, 10, 1);
    if (best < 0)
        fprintf(stderr, "Failed to compute suggestion for learning rate because there are not enough "
                        "points. Increase the loop iteration limits or the size of your "
                        "dataset/dataloader.\n");
    if (write_csv(csv_path, f.lrs, f.losses, n, err, sizeof err) ||
        ltr_plot_png(plot_path, f.lrs, f.losses, n, !f.linear, best, err, sizeof err)) {
        fprintf(stderr, "ltrun: error: %s\n", err);
        code = LTR_EXIT_TRAINING;
    }
    char lr_text[40] = "None";
    if (best >= 0) py_float(f.lrs[best], lr_text, sizeof lr_text);
    if (!code) {
        printf("lr_find: %lld learning rates from %g to %g (%s); values in %s, plot in %s\n",
               (long long)n, min_lr, max_lr, lr_mode, csv_path, plot_path);
        printf("lr_find: suggested learning rate: %s\n", lr_text);
        fflush(stdout);
    }
    free(f.lrs);
    free(f.losses);
    if (code || !fit) return code;
    if (best < 0) return ltr_tuner_run(a, NULL, 0, false, NULL, NULL);
    /* update_attr: the module's lr attribute (hparam) set to the suggestion for the fit */
    char flag[128];
    snprintf(flag, sizeof flag, "--model.%s", attr);
    fprintf(stderr, "Learning rate set to %s\n", lr_text);
    const char *set[] = {flag, lr_text};
    return ltr_tuner_run(a, set, 2, false, NULL, NULL);
}
