/*
 * throughput_monitor.c — Lightning 2.6's ThroughputMonitor
 * (callbacks/throughput_monitor.py) over lightning.fabric's Throughput
 * (fabric/utilities/throughput.py), as a callback plugin.
 *
 * init args: batch_size_fn (null: the batch's size; {"field": F}: batch[F].size(0); {"field":
 * F, "dim": D}: batch[F].size(D)) — Lightning's required callable, here a choice;
 * length_fn (null: no items; {"field": F}: batch[F].numel(), e.g. the tokens of a [B, T]
 * batch; {"field": F, "dim": D}: batch[F].size(0) * batch[F].size(D)); Throughput's
 * window_size 100 (>= 2) and separator "/"; flops_per_batch (null) stands for the
 * module's flops_per_batch attribute and available_flops (null) for
 * get_available_flops(device, dtype) (a plugin module has no Python attributes, and ltrun
 * keeps no per-device peak table).
 *
 * Reproduced behaviour:
 *  - per running stage ("train", "validate", "test", "predict"; never the sanity check) a
 *    Throughput: on_train_start / on_validation_start / on_test_start / on_predict_start
 *    start the stage's clock (t0 = perf_counter), resetting its windows and totals when
 *    fitting or at the stage's first start;
 *  - each batch end: elapsed = now - t0, samples += batch_size_fn(batch), batches += 1,
 *    lengths += length_fn(batch), then Throughput.update(time, batches, samples, lengths,
 *    flops): windows of the last window_size values; time/batches/samples must increase
 *    (_MonotonicWindow's ValueError otherwise), samples >= batches, lengths >= samples;
 *  - Throughput.compute: "time", "batches", "samples" ("lengths"), and once a window is
 *    full: "device/batches_per_sec" = (batches[-1] - batches[0]) / (time[-1] - time[0]),
 *    "device/samples_per_sec", "device/items_per_sec"; with world_size > 1 also the global
 *    "batches_per_sec", "samples_per_sec", "items_per_sec" (the device figure * world
 *    size); flops: "device/flops_per_sec" (= (sum(flops) - flops[0]) / elapsed / world),
 *    "flops_per_sec" (world > 1), "device/mfu" (with available_flops). Keys are prefixed
 *    "<stage><separator>", e.g. "train/device/samples_per_sec";
 *  - logged when the logger connector's should_update_logs holds: training after each
 *    batch that ends an accumulation window (not _should_accumulate) through
 *    log_metrics(metrics) — "epoch" added, step _batches_that_stepped; validation / test /
 *    predict after every batch with step = the loop's total ready batches (validation's
 *    counts every validation run of the fit), no "epoch";
 *  - on_validation_end inside fit: the training clock moves forward by the time spent in
 *    validation, so training throughput excludes it;
 *  - rank zero only (@rank_zero_only).
 * Not reproduced: torch.cuda.synchronize before each reading (ltrun's device work has
 * finished when a batch hook runs on the CPU; on a GPU the reading is asynchronous).
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's ThroughputMonitor: batches/s, samples/s (and items, FLOPs) per stage"
#include "ltrun.h"

#include "cb_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { S_TRAIN, S_VALIDATE, S_TEST, S_PREDICT, S_COUNT };
static const char *const STAGE_NAMES[S_COUNT] = {"train", "validate", "test", "predict"};

typedef struct window { /* a _MonotonicWindow / deque(maxlen=window_size) as a ring */
    double *v;
    int64_t len, head; /* head: the oldest value */
} window;

typedef struct throughput {
    window time, batches, samples, lengths, flops;
    bool started;
    double t0;
    int64_t n_samples, n_batches, n_lengths;
    int64_t total_ready; /* the evaluation/predict loop's batch_progress.total.ready */
} throughput;

typedef struct size_fn {
    bool given;
    int64_t field, dim; /* dim -1: not given */
} size_fn;

typedef struct monitor {
    size_fn batch_size_fn, length_fn;
    int64_t window_size;
    char sep[16];
    bool has_flops, has_available;
    double flops_per_batch, available_flops;
    bool warned_flops;
    throughput st[S_COUNT];
} monitor;

static double perf_counter(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void win_clear(window *w) { w->len = w->head = 0; }
static double win_at(const monitor *m, const window *w, int64_t i) { /* i < 0: from the end */
    if (i < 0) i += w->len;
    return w->v[(w->head + i) % m->window_size];
}
static void win_push(const monitor *m, window *w, double x) {
    if (w->len < m->window_size) w->v[(w->head + w->len++) % m->window_size] = x;
    else {
        w->v[w->head] = x;
        w->head = (w->head + 1) % m->window_size;
    }
}
/* _MonotonicWindow.append */
static lt_status win_push_monotonic(lt_ctx *ctx, const monitor *m, window *w, double x) {
    if (w->len && win_at(m, w, -1) >= x) {
        char a[32], b[32];
        return lt_fail(ctx, "throughput_monitor: Expected the value to increase, last: %s, "
                            "current: %s", cb_pyfloat(win_at(m, w, -1), a, sizeof a),
                       cb_pyfloat(x, b, sizeof b));
    }
    win_push(m, w, x);
    return LT_OK;
}

static void tm_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    monitor *m = self;
    if (!m) return;
    for (int s = 0; s < S_COUNT; s++) {
        free(m->st[s].time.v);
        free(m->st[s].batches.v);
        free(m->st[s].samples.v);
        free(m->st[s].lengths.v);
        free(m->st[s].flops.v);
    }
    free(m);
}

/* null, or {"field": F[, "dim": D]} */
static bool parse_size_fn(lt_ctx *ctx, const lt_hparams *hp, const char *key, size_fn *out) {
    const char *j = lt_hp_json(ctx, hp, key);
    out->dim = -1;
    if (!j || !strcmp(j, "null")) return true;
    cb_json_iter it;
    char k[32], v[64];
    int r;
    if (cb_json_begin(&it, j) || it.open != '{') return false;
    out->field = -1;
    while ((r = cb_json_next(&it, k, sizeof k, v, sizeof v)) == 1) {
        char *end;
        long long x = strtoll(v, &end, 10);
        if (*end || x < 0) return false;
        if (!strcmp(k, "field")) out->field = x;
        else if (!strcmp(k, "dim")) out->dim = x;
        else return false;
    }
    out->given = true;
    return r == 0 && out->field >= 0 && out->field < LT_MAX_FIELDS;
}

static bool optional_number(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool *has,
                            double *v) {
    const char *j = lt_hp_json(ctx, hp, key);
    *has = false;
    if (!j || !strcmp(j, "null")) return true;
    char *end;
    *v = strtod(j, &end);
    *has = true;
    return !*end && *v >= 0;
}

static void *tm_create(lt_ctx *ctx, const lt_hparams *hp) {
    monitor *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->window_size = lt_hp_int(ctx, hp, "window_size", 100);
    snprintf(m->sep, sizeof m->sep, "%s", lt_hp_str(ctx, hp, "separator", "/"));
    if (!parse_size_fn(ctx, hp, "batch_size_fn", &m->batch_size_fn) ||
        !parse_size_fn(ctx, hp, "length_fn", &m->length_fn)) {
        lt_fail(ctx, "throughput_monitor: batch_size_fn / length_fn must be null or "
                     "{\"field\": F} / {\"field\": F, \"dim\": D} with F a batch field index");
        goto fail;
    }
    if (!optional_number(ctx, hp, "flops_per_batch", &m->has_flops, &m->flops_per_batch) ||
        !optional_number(ctx, hp, "available_flops", &m->has_available, &m->available_flops)) {
        lt_fail(ctx, "throughput_monitor: flops_per_batch / available_flops must be null or a "
                     "number >= 0");
        goto fail;
    }
    /* Throughput.__init__: the difference of a window's ends needs two values */
    if (m->window_size <= 1) {
        lt_fail(ctx, "throughput_monitor: window_size must be > 1 (Throughput's assert), got %lld",
                (long long)m->window_size);
        goto fail;
    }
    for (int s = 0; s < S_COUNT; s++) {
        throughput *t = &m->st[s];
        size_t b = (size_t)m->window_size * sizeof(double);
        if (!(t->time.v = malloc(b)) || !(t->batches.v = malloc(b)) ||
            !(t->samples.v = malloc(b)) || !(t->lengths.v = malloc(b)) ||
            !(t->flops.v = malloc(b))) {
            lt_fail(ctx, "throughput_monitor: out of memory");
            goto fail;
        }
    }
    return m;
fail:
    tm_destroy(ctx, m);
    return NULL;
}

static void start(lt_ctx *ctx, monitor *m, int s) {
    throughput *t = &m->st[s];
    if (ctx->stage == LT_STAGE_FIT || !t->started) { /* reset_needed */
        win_clear(&t->time);
        win_clear(&t->batches);
        win_clear(&t->samples);
        win_clear(&t->lengths);
        win_clear(&t->flops);
        t->n_samples = t->n_batches = t->n_lengths = 0;
        t->started = true;
    }
    t->t0 = perf_counter();
}

static int64_t apply_size_fn(lt_ctx *ctx, const size_fn *f, lt_batch *b, bool length) {
    if (!f->given) return lt_batch_size(ctx, b);
    lt_tensor *x = lt_batch_at(ctx, b, (int)f->field);
    if (!x) return -1;
    if (length)
        return f->dim < 0 ? lt_numel(ctx, x)
                          : (f->dim < lt_ndim(ctx, x) ? lt_size(ctx, x, 0) * lt_size(ctx, x, (int)f->dim) : -1);
    int64_t d = f->dim < 0 ? 0 : f->dim;
    return d < lt_ndim(ctx, x) ? lt_size(ctx, x, (int)d) : -1;
}

/* ThroughputMonitor._update + Throughput.update */
static lt_status update(lt_ctx *ctx, monitor *m, int s, lt_batch *b) {
    throughput *t = &m->st[s];
    double elapsed = perf_counter() - t->t0;
    if (m->length_fn.given) {
        int64_t l = apply_size_fn(ctx, &m->length_fn, b, true);
        if (l < 0) return lt_fail(ctx, "throughput_monitor: length_fn: the batch has no field %lld "
                                       "(or no dim %lld)", (long long)m->length_fn.field,
                                  (long long)m->length_fn.dim);
        t->n_lengths += l;
    }
    if (!m->has_flops && !m->warned_flops) {
        m->warned_flops = true;
        fprintf(stderr, "UserWarning: When using the `ThroughputMonitor`, you need to define a "
                        "`flops_per_batch` attribute or property in the module to compute the "
                        "FLOPs (give throughput_monitor's init arg flops_per_batch).\n");
    }
    int64_t bs = apply_size_fn(ctx, &m->batch_size_fn, b, false);
    if (bs < 0) return lt_fail(ctx, "throughput_monitor: batch_size_fn: the batch has no field "
                                    "%lld (or no dim %lld)", (long long)m->batch_size_fn.field,
                               (long long)m->batch_size_fn.dim);
    t->n_samples += bs;
    t->n_batches += 1;
    if (win_push_monotonic(ctx, m, &t->time, elapsed) != LT_OK) return LT_ERROR;
    if (t->n_samples < t->n_batches)
        return lt_fail(ctx, "throughput_monitor: Expected samples (%lld) to be greater or equal "
                            "than batches (%lld)", (long long)t->n_samples, (long long)t->n_batches);
    if (win_push_monotonic(ctx, m, &t->batches, (double)t->n_batches) != LT_OK ||
        win_push_monotonic(ctx, m, &t->samples, (double)t->n_samples) != LT_OK)
        return LT_ERROR;
    if (m->length_fn.given) {
        if (t->n_lengths < t->n_samples)
            return lt_fail(ctx, "throughput_monitor: Expected lengths (%lld) to be greater or "
                                "equal than samples (%lld)", (long long)t->n_lengths,
                           (long long)t->n_samples);
        if (win_push_monotonic(ctx, m, &t->lengths, (double)t->n_lengths) != LT_OK) return LT_ERROR;
    }
    if (m->has_flops) win_push(m, &t->flops, m->flops_per_batch * (double)ctx->world_size);
    return LT_OK;
}

typedef struct metrics {
    char names[16][96];
    const char *ptrs[16];
    double values[16];
    int n;
} metrics;

static void put(metrics *o, const monitor *m, int s, const char *key, double v) {
    snprintf(o->names[o->n], sizeof o->names[o->n], "%s%s%s", STAGE_NAMES[s], m->sep, key);
    o->ptrs[o->n] = o->names[o->n];
    o->values[o->n++] = v;
}

/* ThroughputMonitor._compute: Throughput.compute, prefixed, to the loggers */
static lt_status compute(lt_ctx *ctx, monitor *m, int s, int64_t step) {
    if (!lt_should_update_logs(ctx)) return LT_OK;
    const throughput *t = &m->st[s];
    metrics o = {.n = 0};
    char k[64];
    bool global = ctx->world_size > 1;
    double W = (double)ctx->world_size;
    put(&o, m, s, "time", win_at(m, &t->time, -1));
    put(&o, m, s, "batches", win_at(m, &t->batches, -1));
    put(&o, m, s, "samples", win_at(m, &t->samples, -1));
    if (t->lengths.len) put(&o, m, s, "lengths", win_at(m, &t->lengths, -1));
    if (t->time.len == m->window_size) {
        double el = win_at(m, &t->time, -1) - win_at(m, &t->time, 0);
        double db = win_at(m, &t->batches, -1) - win_at(m, &t->batches, 0);
        double ds = win_at(m, &t->samples, -1) - win_at(m, &t->samples, 0);
        snprintf(k, sizeof k, "device%sbatches_per_sec", m->sep);
        put(&o, m, s, k, db / el);
        snprintf(k, sizeof k, "device%ssamples_per_sec", m->sep);
        put(&o, m, s, k, ds / el);
        if (global) {
            put(&o, m, s, "batches_per_sec", db / el * W);
            put(&o, m, s, "samples_per_sec", ds / el * W);
        }
        if (t->lengths.len == m->window_size) {
            double dl = win_at(m, &t->lengths, -1) - win_at(m, &t->lengths, 0);
            snprintf(k, sizeof k, "device%sitems_per_sec", m->sep);
            put(&o, m, s, k, dl / el);
            if (global) put(&o, m, s, "items_per_sec", dl / el * W);
        }
    }
    if (t->flops.len == m->window_size) {
        double sum = 0;
        for (int64_t i = 0; i < t->flops.len; i++) sum += win_at(m, &t->flops, i);
        double el = win_at(m, &t->time, -1) - win_at(m, &t->time, 0);
        double fps = (sum - win_at(m, &t->flops, 0)) / el;
        if (global) put(&o, m, s, "flops_per_sec", fps);
        snprintf(k, sizeof k, "device%sflops_per_sec", m->sep);
        put(&o, m, s, k, fps / W);
        if (m->has_available && m->available_flops > 0) {
            snprintf(k, sizeof k, "device%smfu", m->sep);
            put(&o, m, s, k, fps / W / m->available_flops);
        }
    }
    return lt_logger_log_metrics_step(ctx, o.n, o.ptrs, o.values, step);
}

static lt_status tm_on_train_start(lt_ctx *ctx, void *self) {
    if (ctx->rank == 0) start(ctx, self, S_TRAIN);
    return LT_OK;
}

static lt_status tm_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *out, lt_batch *b,
                                       int64_t batch_idx) {
    (void)out;
    monitor *m = self;
    if (ctx->rank != 0) return LT_OK;
    if (update(ctx, m, S_TRAIN, b) != LT_OK) return LT_ERROR;
    /* not fit_loop._should_accumulate(): the batch ends an accumulation window or the epoch */
    double acc = lt_trainer_flag(ctx, "accumulate_grad_batches");
    double nb = lt_trainer_flag(ctx, "num_training_batches");
    int64_t a = isfinite(acc) && acc >= 1 ? (int64_t)acc : 1;
    /* an iterable dataset's last batch is known from is_last_batch (its count is inf) */
    bool last = (isfinite(nb) && (double)(batch_idx + 1) >= nb) ||
                lt_trainer_flag(ctx, "is_last_batch") == 1.0;
    if ((batch_idx + 1) % a == 0 || last) return compute(ctx, m, S_TRAIN, -1);
    return LT_OK;
}

static lt_status eval_start(lt_ctx *ctx, monitor *m, int s) {
    if (ctx->rank == 0 && !ctx->sanity_checking) start(ctx, m, s);
    return LT_OK;
}

/* validation (trainer.validate and inside fit), test, predict: step = total ready batches */
static lt_status eval_batch_end(lt_ctx *ctx, monitor *m, int s, lt_batch *b) {
    if (ctx->rank != 0 || ctx->sanity_checking) return LT_OK;
    m->st[s].total_ready++;
    if (update(ctx, m, s, b) != LT_OK) return LT_ERROR;
    return compute(ctx, m, s, m->st[s].total_ready);
}

static lt_status tm_on_validation_start(lt_ctx *ctx, void *self) { return eval_start(ctx, self, S_VALIDATE); }
static lt_status tm_on_test_start(lt_ctx *ctx, void *self) { return eval_start(ctx, self, S_TEST); }
static lt_status tm_on_predict_start(lt_ctx *ctx, void *self) { return eval_start(ctx, self, S_PREDICT); }
static lt_status tm_on_validation_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)o, (void)i;
    return eval_batch_end(ctx, self, S_VALIDATE, b);
}
static lt_status tm_on_test_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)o, (void)i;
    return eval_batch_end(ctx, self, S_TEST, b);
}
static lt_status tm_on_predict_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)o, (void)i;
    return eval_batch_end(ctx, self, S_PREDICT, b);
}

/* the training clock skips the validation time (fit only) */
static lt_status tm_on_validation_end(lt_ctx *ctx, void *self) {
    monitor *m = self;
    if (ctx->rank != 0 || ctx->sanity_checking || ctx->stage != LT_STAGE_FIT) return LT_OK;
    throughput *tr = &m->st[S_TRAIN], *va = &m->st[S_VALIDATE];
    double train_elapsed = tr->time.len ? win_at(m, &tr->time, -1) : 0.0;
    double val_elapsed = va->time.len ? win_at(m, &va->time, -1) : 0.0;
    double training_finished = tr->t0 + train_elapsed;
    tr->t0 += (va->t0 - training_finished) + val_elapsed;
    return LT_OK;
}

/* the running validation count comes back on resume (the loop's progress in Lightning) */
static lt_status tm_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    monitor *m = self;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)m->st[S_VALIDATE].total_ready);
    return lt_ckpt_put_json(ctx, w, "validate_total_ready", buf);
}

static lt_status tm_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    monitor *m = self;
    const char *j = lt_ckpt_get_json(ctx, r, "validate_total_ready");
    if (j) m->st[S_VALIDATE].total_ready = strtoll(j, NULL, 10);
    return LT_OK;
}

LT_CALLBACK(throughput_monitor, .create = tm_create, .destroy = tm_destroy,
            .on_train_start = tm_on_train_start, .on_train_batch_end = tm_on_train_batch_end,
            .on_validation_start = tm_on_validation_start,
            .on_validation_batch_end = tm_on_validation_batch_end,
            .on_validation_end = tm_on_validation_end, .on_test_start = tm_on_test_start,
            .on_test_batch_end = tm_on_test_batch_end, .on_predict_start = tm_on_predict_start,
            .on_predict_batch_end = tm_on_predict_batch_end, .state_dict = tm_state_dict,
            .load_state_dict = tm_load_state_dict)
