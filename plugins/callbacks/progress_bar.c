/*
 * progress_bar.c — Lightning's TQDMProgressBar (callbacks/progress/tqdm_progress.py) as a
 * callback plugin.
 *
 * init args: refresh_rate (1): redraw every refresh_rate-th batch (and at the last one,
 * ProgressBar._should_update: n % refresh_rate == 0 or n == total; 0 disables the bar);
 * leave (false): keep each finished training epoch's line on a terminal (otherwise the
 * next epoch overwrites it); process_position (0): on a terminal, draw that many lines
 * below the cursor (several processes' bars one under another).
 *
 * Reproduced behaviour: the trait LT_CALLBACK_PROGRESS_BAR makes the trainer drop its
 * built-in bar (a given ProgressBar replaces the default; with enable_progress_bar false,
 * or two bars, the trainer reports Lightning's MisconfigurationException). Lines on
 * stderr in the built-in bar's format:
 *   LABEL: PCT%|BAR| n/total [elapsed<eta, R.RRit/s, metric=v, ...]
 *   (an infinite total, an iterable dataset's: "LABEL: |BAR| n/? [...]", tqdm's total=None)
 * labels "Sanity Checking", "Epoch N", "Validation", "Testing", "Predicting"; the
 * metrics are trainer.progress_bar_metrics (training, and at the end of each
 * evaluation loop). On a terminal: one live line per stage, redrawn in place; the
 * validation and sanity-check bars are cleared when they end (leave=False) and the
 * training line comes back. Not on a terminal: a plain line at each tenth of the stage
 * (at a redraw point) and a final line, as the built-in does; evaluation inside fit is
 * not drawn there (plain logs stay short), as the built-in.
 * Not reproduced: tqdm's v_num postfix (the logger version).
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's TQDMProgressBar: live progress lines with it/s, ETA and metrics"
#include "ltrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct bar {
    char label[64];
    int64_t total, n; /* total -1: unknown (an iterable dataset's inf) */
    double start;
    int last_decile;
    int64_t drawn_n; /* n at the last drawing (-1: none) */
    bool active;
} bar;

typedef struct pbar_cb {
    int64_t refresh_rate, position;
    bool leave, tty;
    bar train, eval;
    bool eval_in_fit; /* the evaluation bar runs inside fit (validation, sanity check) */
} pbar_cb;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fmt_time(char *buf, size_t cap, double s) {
    if (s < 0 || s > 359999) s = 0;
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, cap, "%02d:%02d", t / 60, t % 60);
}

/* one line; final: end it with a newline on a terminal too */
static void draw(lt_ctx *ctx, pbar_cb *pb, bar *b, bool metrics, bool final) {
    FILE *out = stderr;
    b->drawn_n = b->n;
    double el = now_s() - b->start;
    double rate = el > 0 ? (double)b->n / el : 0;
    double eta = rate > 0 && b->total > 0 ? (double)(b->total - b->n) / rate : 0;
    char e1[16], e2[16], fill[21];
    fmt_time(e1, sizeof e1, el);
    fmt_time(e2, sizeof e2, eta);
    if (rate <= 0) snprintf(e2, sizeof e2, "?"); /* tqdm: no rate, no remaining time */
    int pct = b->total > 0 ? (int)(100 * b->n / b->total) : 100;
    for (int i = 0; i < 20; i++) fill[i] = b->total >= 0 && i < pct / 5 ? '#' : ' ';
    fill[20] = '\0';
    if (pb->tty) {
        fputs("\r", out);
        if (pb->position > 0) fprintf(out, "\033[%lldB", (long long)pb->position);
        fputs("\033[K", out);
    }
    if (b->total < 0) /* tqdm with total=None: "n/?", no percentage */
        fprintf(out, "%s: |%s| %lld/? [%s<%s, %.2fit/s", b->label, fill, (long long)b->n, e1, e2,
                rate);
    else
        fprintf(out, "%s: %3d%%|%s| %lld/%lld [%s<%s, %.2fit/s", b->label, pct, fill,
                (long long)b->n, (long long)b->total, e1, e2, rate);
    int64_t nm = metrics ? lt_metrics_count(ctx, LT_PROGRESS_BAR_METRICS) : 0;
    for (int64_t i = 0; i < nm; i++) {
        const char *name = lt_metrics_name(ctx, LT_PROGRESS_BAR_METRICS, i);
        double v;
        if (name && lt_progress_bar_metric(ctx, name, &v)) fprintf(out, ", %s=%.4g", name, v);
    }
    fputc(']', out);
    if (pb->tty && pb->position > 0) fprintf(out, "\033[%lldA", (long long)pb->position);
    if (!pb->tty || final) fputc('\n', out);
    fflush(out);
}

static void *pb_create(lt_ctx *ctx, const lt_hparams *hp) {
    int64_t rr = lt_hp_int(ctx, hp, "refresh_rate", 1);
    int64_t pos = lt_hp_int(ctx, hp, "process_position", 0);
    bool leave = lt_hp_bool(ctx, hp, "leave", false);
    if (rr < 0 || pos < 0) {
        lt_fail(ctx, "progress_bar: %s must be >= 0, got %lld",
                rr < 0 ? "refresh_rate" : "process_position", (long long)(rr < 0 ? rr : pos));
        return NULL;
    }
    pbar_cb *pb = calloc(1, sizeof *pb);
    if (!pb) return NULL;
    /* ProgressBar.setup: disabled off global rank zero */
    pb->refresh_rate = ctx->rank == 0 ? rr : 0;
    pb->position = pos;
    pb->leave = leave;
    pb->tty = isatty(fileno(stderr));
    return pb;
}

static void pb_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static bool drawn(const pbar_cb *pb, const bar *b) {
    return pb->refresh_rate > 0 && (pb->tty || !(b == &pb->eval && pb->eval_in_fit));
}

static void start(pbar_cb *pb, bar *b, const char *label, double total) {
    snprintf(b->label, sizeof b->label, "%s", label);
    /* Lightning's convert_inf: an infinite (iterable) or unknown total is None */
    b->total = isfinite(total) && total >= 0 ? (int64_t)total : -1;
    b->n = 0;
    b->start = now_s();
    b->last_decile = 0;
    b->drawn_n = -1;
    b->active = true;
    (void)pb;
}

/* ProgressBar._should_update, then the built-in's redraw rule */
static void update(lt_ctx *ctx, pbar_cb *pb, bar *b, int64_t n, bool metrics) {
    b->n = n;
    if (!drawn(pb, b) || !(n % pb->refresh_rate == 0 || n == b->total)) return;
    if (pb->tty) {
        draw(ctx, pb, b, metrics, false);
        return;
    }
    if (b->total < 0) return; /* no tenths of an unknown total: the final line only */
    int decile = b->total > 0 ? (int)(10 * n / b->total) : 10;
    if (decile > b->last_decile && n < b->total) {
        b->last_decile = decile;
        draw(ctx, pb, b, metrics, false);
    }
}

static void finish(lt_ctx *ctx, pbar_cb *pb, bar *b, bool metrics, bool keep) {
    if (!b->active) return;
    b->active = false;
    if (!drawn(pb, b)) return;
    if (pb->tty && !keep) { /* leave=False: the line goes */
        fputs("\r\033[K", stderr);
        fflush(stderr);
        return;
    }
    if (pb->tty && !metrics && b->drawn_n == b->n) fputc('\n', stderr); /* already drawn */
    else draw(ctx, pb, b, metrics, true);
    fflush(stderr);
}

static lt_status pb_on_train_epoch_start(lt_ctx *ctx, void *self) {
    pbar_cb *pb = self;
    char label[64];
    snprintf(label, sizeof label, "Epoch %lld", (long long)ctx->current_epoch);
    start(pb, &pb->train, label, lt_trainer_flag(ctx, "num_training_batches"));
    return LT_OK;
}
static lt_status pb_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                       int64_t i) {
    (void)o;
    (void)b;
    pbar_cb *pb = self;
    update(ctx, pb, &pb->train, i + 1, true);
    return LT_OK;
}
static lt_status pb_on_train_epoch_end(lt_ctx *ctx, void *self) {
    pbar_cb *pb = self;
    /* not on a terminal: the final line; on one: the line stays until the next epoch
     * overwrites it (leave=False) or ends with a newline (leave=True) */
    if (!pb->tty) finish(ctx, pb, &pb->train, true, true);
    else if (pb->leave) finish(ctx, pb, &pb->train, true, true);
    else if (drawn(pb, &pb->train)) draw(ctx, pb, &pb->train, true, false);
    return LT_OK;
}
static lt_status pb_on_train_end(lt_ctx *ctx, void *self) {
    pbar_cb *pb = self;
    if (pb->tty && pb->train.active && drawn(pb, &pb->train)) { /* close: keep the last line */
        pb->train.active = false;
        fputc('\n', stderr);
        fflush(stderr);
    }
    (void)ctx;
    return LT_OK;
}

static void eval_start(lt_ctx *ctx, pbar_cb *pb, const char *label) {
    pb->eval_in_fit = ctx->stage == LT_STAGE_FIT;
    start(pb, &pb->eval, ctx->sanity_checking ? "Sanity Checking" : label,
          lt_trainer_flag(ctx, "num_eval_batches"));
}
static void eval_end(lt_ctx *ctx, pbar_cb *pb) {
    bool in_fit = pb->eval_in_fit;
    finish(ctx, pb, &pb->eval, false, !in_fit); /* the test bar has no postfix */
    /* the training line comes back under a cleared validation bar */
    if (pb->tty && in_fit && pb->train.active && drawn(pb, &pb->train))
        draw(ctx, pb, &pb->train, true, false);
}
static lt_status pb_on_validation_start(lt_ctx *ctx, void *self) {
    eval_start(ctx, self, "Validation");
    return LT_OK;
}
static lt_status pb_on_test_start(lt_ctx *ctx, void *self) {
    eval_start(ctx, self, "Testing");
    return LT_OK;
}
static lt_status pb_on_predict_start(lt_ctx *ctx, void *self) {
    eval_start(ctx, self, "Predicting");
    return LT_OK;
}
static lt_status pb_on_eval_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                      int64_t i) {
    (void)o;
    (void)b;
    pbar_cb *pb = self;
    update(ctx, pb, &pb->eval, i + 1, false);
    return LT_OK;
}
static lt_status pb_on_eval_end(lt_ctx *ctx, void *self) {
    eval_end(ctx, self);
    return LT_OK;
}

LT_CALLBACK(progress_bar, .traits = LT_CALLBACK_PROGRESS_BAR, .create = pb_create,
            .destroy = pb_destroy, .on_train_epoch_start = pb_on_train_epoch_start,
            .on_train_batch_end = pb_on_train_batch_end,
            .on_train_epoch_end = pb_on_train_epoch_end, .on_train_end = pb_on_train_end,
            .on_validation_start = pb_on_validation_start,
            .on_validation_batch_end = pb_on_eval_batch_end,
            .on_validation_end = pb_on_eval_end, .on_test_start = pb_on_test_start,
            .on_test_batch_end = pb_on_eval_batch_end, .on_test_end = pb_on_eval_end,
            .on_predict_start = pb_on_predict_start,
            .on_predict_batch_end = pb_on_eval_batch_end, .on_predict_end = pb_on_eval_end)
