/*
 * rich_progress_bar.c — Lightning 2.6's RichProgressBar (callbacks/progress/
 * rich_progress.py) as a callback plugin: rich's Progress look without Python's rich.
 *
 * init args: refresh_rate (100: redraws per second at most, RichProgressBar's
 * refresh_per_second; 0 disables the bar), leave (false: one training line reused by every
 * epoch; true: each epoch's line stays).
 *
 * Reproduced look (RichProgressBar.configure_columns with the default
 * RichProgressBarTheme), one line per task on stdout (rich's Console):
 *   DESCRIPTION BAR n/total H:MM:SS • H:MM:SS R.RRit/s name: v.vvv ...
 *  - descriptions "Epoch E/max_epochs-1" (padded to the width of "Validation"),
 *    "Validation", "Sanity Checking", "Testing", "Predicting";
 *  - the bar: 40 cells of "━", the done part in #6206E0, a half cell "╸" / "╺" at the
 *    boundary and the rest in rich's bar.back (grey23); a task of unknown length shows an
 *    empty bar and "n/--";
 *  - elapsed • remaining (str(timedelta), "-:--:--" unknown) dim; "R.RRit/s" dim underline;
 *    the training line's metrics (trainer.progress_bar_metrics, format ".3f") italic,
 *    joined by " ", in fit only;
 *  - the validation bar appears under the training bar and is hidden when validation ends,
 *    the sanity-check bar likewise; test / predict bars are new tasks.
 * Terminal: when stdout is a terminal (and NO_COLOR is unset) the tasks are drawn live in
 * place with ANSI colours and styles, as rich's Live; otherwise nothing is drawn while
 * running and the visible tasks are printed once, plain, when the progress stops
 * (teardown, an exception, or the next epoch with leave) — what rich prints when its
 * console is not a terminal.
 * The trait LT_CALLBACK_PROGRESS_BAR makes it replace the built-in bar (one bar at most;
 * --trainer.enable_progress_bar false with it is Lightning's error).
 * Not reproduced: the v_num (logger version) metric; rich's 30-second speed window (the
 * speed is the task's average).
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's RichProgressBar: rich-style live bars (colours on a terminal, plain otherwise)"
#include "ltrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 40
#define PURPLE "\033[38;2;98;6;224m" /* #6206E0, RichProgressBarTheme.progress_bar */
#define GREY23 "\033[38;5;237m"      /* rich's bar.back */
#define DIM "\033[2m"
#define DIM_UL "\033[2;4m"
#define ITALIC "\033[3m"
#define RESET "\033[0m"

typedef struct task {
    char desc[64];
    int64_t total; /* -1: unknown (inf) */
    int64_t completed;
    double start, finished_at;
    bool exists, visible, finished, is_train;
} task;

typedef struct rich_bar {
    int64_t refresh_rate;
    bool leave, live, color;
    bool started; /* a Progress is running */
    task train, eval;
    int drawn;    /* lines drawn live so far */
    double last_draw;
} rich_bar;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *rb_create(lt_ctx *ctx, const lt_hparams *hp) {
    int64_t rr = lt_hp_int(ctx, hp, "refresh_rate", 100);
    bool leave = lt_hp_bool(ctx, hp, "leave", false);
    if (rr < 0) {
        lt_fail(ctx, "rich_progress_bar: refresh_rate must be >= 0, got %lld", (long long)rr);
        return NULL;
    }
    rich_bar *rb = calloc(1, sizeof *rb);
    if (!rb) return NULL;
    /* ProgressBar.setup: disabled off global rank zero */
    rb->refresh_rate = ctx->rank == 0 ? rr : 0;
    rb->leave = leave;
    rb->live = isatty(fileno(stdout));
    const char *nc = getenv("NO_COLOR");
    rb->color = rb->live && !(nc && *nc);
    return rb;
}

static void rb_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

/* str(timedelta(seconds=int(s))) */
static void fmt_delta(char *buf, size_t cap, double s, bool known) {
    if (!known || !(s >= 0)) {
        snprintf(buf, cap, "-:--:--");
        return;
    }
    long t = (long)s;
    if (t >= 86400) snprintf(buf, cap, "%ld day%s, %ld:%02ld:%02ld", t / 86400, t / 86400 > 1 ? "s" : "",
                             t / 3600 % 24, t / 60 % 60, t % 60);
    else snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static void put(FILE *out, const rich_bar *rb, const char *style, const char *text) {
    if (!*text) return;
    if (rb->color && style) fprintf(out, "%s%s%s", style, text, RESET);
    else fputs(text, out);
}

/* rich's ProgressBar: halves of cells, "╸" ends the done part on a half, "╺" starts the
 * back part on a whole cell */
static void put_bar(FILE *out, const rich_bar *rb, const task *t) {
    char done[BAR_WIDTH * 3 + 8] = "", back[BAR_WIDTH * 3 + 8] = "";
    int halves = t->total > 0 ? (int)(BAR_WIDTH * 2 * (t->completed < t->total ? t->completed : t->total) / t->total) : 0;
    int full = halves / 2, half = halves % 2;
    for (int i = 0; i < full; i++) strcat(done, "━");
    if (half) strcat(done, "╸");
    int rest = BAR_WIDTH - full - half;
    if (rest > 0 && !half && full) {
        strcat(back, "╺");
        rest--;
    }
    for (int i = 0; i < rest; i++) strcat(back, "━");
    put(out, rb, PURPLE, done);
    put(out, rb, GREY23, back);
}

static void put_task(lt_ctx *ctx, FILE *out, const rich_bar *rb, const task *t) {
    double now = t->finished ? t->finished_at : now_s();
    double el = now - t->start;
    fprintf(out, "%s ", t->desc);
    put_bar(out, rb, t);
    if (t->total >= 0) fprintf(out, " %lld/%lld ", (long long)t->completed, (long long)t->total);
    else fprintf(out, " %lld/-- ", (long long)t->completed);
    double speed = t->completed > 0 && el > 0 ? (double)t->completed / el : NAN;
    char a[48], b[48], s[160];
    fmt_delta(a, sizeof a, el, true);
    if (t->finished) fmt_delta(b, sizeof b, 0, true);
    else fmt_delta(b, sizeof b, (double)(t->total - t->completed) / speed, t->total >= 0 && isfinite(speed));
    snprintf(s, sizeof s, "%s • %s", a, b);
    put(out, rb, DIM, s);
    fputc(' ', out);
    snprintf(s, sizeof s, "%.2fit/s", isfinite(speed) ? speed : 0.0);
    put(out, rb, DIM_UL, s);
    /* MetricsTextColumn: the training task in fit, not during the sanity check */
    if (t->is_train && ctx->stage == LT_STAGE_FIT && !ctx->sanity_checking) {
        int64_t nm = lt_metrics_count(ctx, LT_PROGRESS_BAR_METRICS);
        char text[1024] = "";
        size_t len = 0;
        for (int64_t i = 0; i < nm && len < sizeof text; i++) {
            const char *name = lt_metrics_name(ctx, LT_PROGRESS_BAR_METRICS, i);
            double v;
            if (name && lt_progress_bar_metric(ctx, name, &v))
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%s: %.3f", len ? " " : "", name, v);
        }
        if (len) {
            fputc(' ', out);
            put(out, rb, ITALIC, text);
        }
    }
}

/* redraw the visible tasks in place (live), throttled to refresh_rate per second */
static void refresh(lt_ctx *ctx, rich_bar *rb, bool hard) {
    if (!rb->live || !rb->started || rb->refresh_rate == 0) return;
    double now = now_s();
    if (!hard && now - rb->last_draw < 1.0 / (double)rb->refresh_rate) return;
    rb->last_draw = now;
    FILE *out = stdout;
    if (rb->drawn) fprintf(out, "\r\033[%dA", rb->drawn);
    int n = 0;
    const task *ts[2] = {&rb->train, &rb->eval};
    for (int i = 0; i < 2; i++) {
        if (!ts[i]->exists || !ts[i]->visible) continue;
        fputs("\033[2K", out);
        put_task(ctx, out, rb, ts[i]);
        fputc('\n', out);
        n++;
    }
    for (int i = n; i < rb->drawn; i++) fputs("\033[2K\n", out); /* lines no longer shown */
    if (rb->drawn > n) fprintf(out, "\033[%dA", rb->drawn - n);
    rb->drawn = n;
    fflush(out);
}

/* _init_progress */
static void init_progress(rich_bar *rb) {
    if (rb->refresh_rate == 0 || rb->started) return;
    rb->started = true;
    rb->drawn = 0;
    rb->train.exists = rb->eval.exists = false;
}

/* _stop_progress: the last frame stays; not on a terminal it is printed now, plain */
static void stop_progress(lt_ctx *ctx, rich_bar *rb) {
    if (!rb->started) return;
    refresh(ctx, rb, true);
    if (!rb->live) {
        const task *ts[2] = {&rb->train, &rb->eval};
        for (int i = 0; i < 2; i++) {
            if (!ts[i]->exists || !ts[i]->visible) continue;
            put_task(ctx, stdout, rb, ts[i]);
            fputc('\n', stdout);
        }
        fflush(stdout);
    }
    rb->started = false;
    rb->drawn = 0;
}

static void new_task(task *t, const char *desc, double total, bool visible, bool is_train) {
    snprintf(t->desc, sizeof t->desc, "%s", desc);
    t->total = isfinite(total) && total >= 0 ? (int64_t)total : -1;
    t->completed = 0;
    t->start = now_s();
    t->exists = true;
    t->visible = visible;
    t->finished = false;
    t->is_train = is_train;
}

static void advance(lt_ctx *ctx, rich_bar *rb, task *t, int64_t n) {
    if (!rb->started || !t->exists) return;
    t->completed = n;
    t->visible = true;
    if (t->total >= 0 && n >= t->total && !t->finished) {
        t->finished = true;
        t->finished_at = now_s();
        refresh(ctx, rb, true);
        return;
    }
    refresh(ctx, rb, false);
}

static lt_status rb_on_start(lt_ctx *ctx, void *self) {
    (void)ctx;
    init_progress(self);
    return LT_OK;
}

static lt_status rb_on_sanity_check_end(lt_ctx *ctx, void *self) {
    rich_bar *rb = self;
    rb->eval.visible = false;
    refresh(ctx, rb, true);
    return LT_OK;
}

static lt_status rb_on_train_epoch_start(lt_ctx *ctx, void *self) {
    rich_bar *rb = self;
    if (rb->refresh_rate == 0) return LT_OK;
    char desc[64];
    double me = lt_trainer_flag(ctx, "max_epochs");
    if (me >= 0) snprintf(desc, sizeof desc, "Epoch %lld/%lld", (long long)ctx->current_epoch,
                          (long long)me - 1);
    else snprintf(desc, sizeof desc, "Epoch %lld", (long long)ctx->current_epoch);
    char padded[64];
    snprintf(padded, sizeof padded, "%-10s", desc); /* len("Validation") */
    if (rb->train.exists && rb->leave) { /* each epoch's bar stays */
        stop_progress(ctx, rb);
        init_progress(rb);
    }
    new_task(&rb->train, padded, lt_trainer_flag(ctx, "num_training_batches"), true, true);
    refresh(ctx, rb, true);
    return LT_OK;
}

static lt_status rb_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                       int64_t i) {
    (void)o, (void)b;
    rich_bar *rb = self;
    advance(ctx, rb, &rb->train, i + 1);
    return LT_OK;
}

static void eval_task(lt_ctx *ctx, rich_bar *rb, const char *desc, int64_t batch_idx) {
    if (rb->refresh_rate == 0 || batch_idx != 0) return; /* has_dataloader_changed */
    init_progress(rb);
    new_task(&rb->eval, ctx->sanity_checking ? "Sanity Checking" : desc,
             lt_trainer_flag(ctx, "num_eval_batches"), false, false);
}

static lt_status rb_on_validation_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    eval_task(ctx, self, "Validation", i);
    return LT_OK;
}
static lt_status rb_on_test_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    eval_task(ctx, self, "Testing", i);
    rich_bar *rb = self;
    if (i == 0) rb->eval.visible = true;
    return LT_OK;
}
static lt_status rb_on_predict_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    eval_task(ctx, self, "Predicting", i);
    rich_bar *rb = self;
    if (i == 0) rb->eval.visible = true;
    return LT_OK;
}

static lt_status rb_on_eval_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                      int64_t i) {
    (void)o, (void)b;
    rich_bar *rb = self;
    advance(ctx, rb, &rb->eval, i + 1);
    return LT_OK;
}

/* the validation bar goes when validation inside fit ends */
static lt_status rb_on_validation_epoch_end(lt_ctx *ctx, void *self) {
    rich_bar *rb = self;
    if (ctx->stage == LT_STAGE_FIT && !ctx->sanity_checking && rb->eval.exists) {
        rb->eval.visible = false;
        refresh(ctx, rb, true);
    }
    return LT_OK;
}

static lt_status rb_on_train_epoch_end(lt_ctx *ctx, void *self) {
    refresh(ctx, self, true); /* _update_metrics */
    return LT_OK;
}

static lt_status rb_teardown(lt_ctx *ctx, void *self, lt_stage stage) {
    (void)stage;
    stop_progress(ctx, self);
    return LT_OK;
}

static void rb_on_exception(lt_ctx *ctx, void *self, const char *message) {
    (void)message;
    stop_progress(ctx, self);
}

LT_CALLBACK(rich_progress_bar, .traits = LT_CALLBACK_PROGRESS_BAR, .create = rb_create,
            .destroy = rb_destroy, .teardown = rb_teardown, .on_train_start = rb_on_start,
            .on_validation_start = rb_on_start, .on_test_start = rb_on_start,
            .on_predict_start = rb_on_start, .on_sanity_check_start = rb_on_start,
            .on_sanity_check_end = rb_on_sanity_check_end,
            .on_train_epoch_start = rb_on_train_epoch_start,
            .on_train_batch_end = rb_on_train_batch_end,
            .on_train_epoch_end = rb_on_train_epoch_end,
            .on_validation_batch_start = rb_on_validation_batch_start,
            .on_validation_batch_end = rb_on_eval_batch_end,
            .on_validation_epoch_end = rb_on_validation_epoch_end,
            .on_test_batch_start = rb_on_test_batch_start,
            .on_test_batch_end = rb_on_eval_batch_end,
            .on_predict_batch_start = rb_on_predict_batch_start,
            .on_predict_batch_end = rb_on_eval_batch_end, .on_exception = rb_on_exception)
