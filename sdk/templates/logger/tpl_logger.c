/*
 * tpl_logger.c — an ltrun Logger (lightning.pytorch.loggers.Logger): writes what the
 * trainer logs to a plain text file, one line per call:
 *
 *   hparams {"lr": 0.01, ...}
 *   step 3 epoch=0 train_loss_step=0.6931
 *   finalize success
 *
 *   make && ltrun fit --module MODULE --data DATA --logger ./tpl_logger.so
 *   ltrun fit ... --logger './tpl_logger.so:{"file": "run.txt"}'
 *
 * init args: save_dir (--trainer.default_root_dir), file ("tpl_logger.txt").
 * Unknown keys are an error naming the key.
 */
#define LT_PLUGIN_VERSION "0.1.0"
#define LT_PLUGIN_DESCRIPTION "tpl_logger: metrics to a text file"
#include <ltrun.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tpl_logger {
    FILE *f;
    char path[2048];
} tpl_logger;

static void *tpl_logger_create(lt_ctx *ctx, const lt_hparams *hp) {
    tpl_logger *lg = calloc(1, sizeof *lg); /* ours: freed in destroy */
    if (!lg) return NULL;
    const char *save_dir = lt_hp_str(ctx, hp, "save_dir", lt_default_root_dir(ctx));
    const char *file = lt_hp_str(ctx, hp, "file", "tpl_logger.txt");
    snprintf(lg->path, sizeof lg->path, "%s/%s", save_dir, file);
    return lg; /* the file is opened at the first write: a run refused for a bad init
                  arg (checked after create) leaves nothing behind */
}

/* the open file, or NULL after lt_fail */
static FILE *out(lt_ctx *ctx, tpl_logger *lg) {
    if (!lg->f && !(lg->f = fopen(lg->path, "a")))
        lt_fail(ctx, "tpl_logger: cannot open %s: %s", lg->path, strerror(errno));
    return lg->f;
}

static void tpl_logger_destroy(lt_ctx *ctx, void *self) {
    tpl_logger *lg = self;
    if (lg->f) fclose(lg->f);
    free(lg);
}

static lt_status tpl_logger_log_hyperparams(lt_ctx *ctx, void *self, const char *params_json) {
    tpl_logger *lg = self;
    if (!out(ctx, lg)) return LT_ERROR;
    fprintf(lg->f, "hparams %s\n", params_json);
    return LT_OK;
}

static lt_status tpl_logger_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                        const double *values, int n, int64_t step) {
    tpl_logger *lg = self;
    if (!out(ctx, lg)) return LT_ERROR;
    fprintf(lg->f, "step %lld", (long long)step);
    for (int i = 0; i < n; i++) fprintf(lg->f, " %s=%.6g", names[i], values[i]);
    fputc('\n', lg->f);
    return LT_OK;
}

static lt_status tpl_logger_save(lt_ctx *ctx, void *self) {
    tpl_logger *lg = self;
    if (!lg->f) return LT_OK; /* nothing written yet */
    return fflush(lg->f) ? lt_fail(ctx, "tpl_logger: writing %s: %s", lg->path, strerror(errno))
                         : LT_OK;
}

static lt_status tpl_logger_finalize(lt_ctx *ctx, void *self, const char *status) {
    tpl_logger *lg = self;
    if (!out(ctx, lg)) return LT_ERROR;
    fprintf(lg->f, "finalize %s\n", status);
    return tpl_logger_save(ctx, self);
}

LT_LOGGER(tpl_logger, .create = tpl_logger_create, .destroy = tpl_logger_destroy,
          .log_hyperparams = tpl_logger_log_hyperparams,
          .log_metrics = tpl_logger_log_metrics, .save = tpl_logger_save,
          .finalize = tpl_logger_finalize)
