/*
 * jsonl.c — a JSON Lines logger: one JSON object per log_metrics call,
 * {"step": N, "metrics": {"name": value, ...}} (names in the order given, "epoch"
 * included as the host passes it), plus one {"hparams": {...}} line per
 * log_hyperparams and {"status": "..."} at finalize. Lines are flushed on save().
 * init args: save_dir (default_root_dir), name ("lightning_logs"), version (next free
 * version_N, as the csv logger), file ("metrics.jsonl").
 * Non-finite values are written as null (JSON has no NaN).
 */
#include "ltrun.h"
#include "log_dir.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct jsonl_logger {
    FILE *f;
    char path[2200];
    char dir[2048]; /* ABI 1.5: the version dir */
} jsonl_logger;


static void put_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void *jsonl_create(lt_ctx *ctx, const lt_hparams *hp) {
    jsonl_logger *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    const char *save_dir = lt_hp_str(ctx, hp, "save_dir", lt_default_root_dir(ctx));
    const char *name = lt_hp_str(ctx, hp, "name", "lightning_logs");
    const char *version = lt_hp_str(ctx, hp, "version", "");
    const char *file = lt_hp_str(ctx, hp, "file", "metrics.jsonl");
    char dir[2048];
    logger_version_dir(dir, sizeof dir, save_dir, name, version);
    snprintf(l->path, sizeof l->path, "%s/%s", dir, file);
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    /* @rank_zero_experiment: the file is global rank zero's (the host sends the other
     * ranks no writes) */
    if (ctx->rank != 0) return l;
    if (logger_mkdirs(dir) || !(l->f = fopen(l->path, "w"))) {
        lt_fail(ctx, "jsonl logger: cannot create %s: %s", l->path, strerror(errno));
        free(l);
        return NULL;
    }
    return l;
}

static void jsonl_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    jsonl_logger *l = self;
    if (l && l->f) fclose(l->f);
    free(l);
}

static lt_status jsonl_log_hyperparams(lt_ctx *ctx, void *self, const char *json) {
    (void)ctx;
    jsonl_logger *l = self;
    fprintf(l->f, "{\"hparams\":%s}\n", json);
    return LT_OK;
}

static lt_status jsonl_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                   const double *values, int n, int64_t step) {
    (void)ctx;
    jsonl_logger *l = self;
    fprintf(l->f, "{\"step\":%lld,\"metrics\":{", (long long)step);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', l->f);
        put_str(l->f, names[i]);
        if (isfinite(values[i])) fprintf(l->f, ":%.17g", values[i]);
        else fputs(":null", l->f);
    }
    fputs("}}\n", l->f);
    return LT_OK;
}

static lt_status jsonl_save(lt_ctx *ctx, void *self) {
    jsonl_logger *l = self;
    if (fflush(l->f)) return lt_fail(ctx, "jsonl logger: writing %s failed", l->path);
    return LT_OK;
}

static lt_status jsonl_finalize(lt_ctx *ctx, void *self, const char *status) {
    jsonl_logger *l = self;
    fputs("{\"status\":", l->f);
    put_str(l->f, status);
    fputs("}\n", l->f);
    return jsonl_save(ctx, self);
}


/* ABI 1.5: checkpoint dir — ModelCheckpoint's os.path.join(save_dir, name, version) */
static lt_status jsonl_version_dir(lt_ctx *ctx, void *self, char *buf, size_t cap) {
    (void)ctx;
    snprintf(buf, cap, "%s", ((jsonl_logger *)self)->dir);
    return LT_OK;
}

LT_LOGGER(jsonl, .create = jsonl_create, .destroy = jsonl_destroy,
          .log_hyperparams = jsonl_log_hyperparams, .log_metrics = jsonl_log_metrics,
          .save = jsonl_save, .finalize = jsonl_finalize,
          .version_dir = jsonl_version_dir)
