/*
 * timer.c — Lightning's Timer (callbacks/timer.py) as a callback plugin: stops
 * training once the training time reaches `duration`. The trainer's max_time flag does
 * the same internally (loops.c); this is the callback users add themselves.
 *
 *
 * init args: duration ("DD:HH:MM:SS", Lightning's regex (\d+):(\d\d):(\d\d):(\d\d); a
 * dict of timedelta's keywords {"hours": 1, "minutes": 30}; or (ltrun, as max_time)
 * seconds; null = no limit, the timer only measures), interval "step" | "epoch"
 * ("step"), verbose (true).
 *
 * Reproduced behaviour: the training time runs from on_train_start to on_train_end
 * (time.monotonic); on_fit_start checks it whatever the interval; interval "step" checks
 * at each on_train_batch_end, "epoch" at each on_train_epoch_end; once elapsed >=
 * duration it sets should_stop (honoured after min_epochs/min_steps) and, when verbose,
 * logs "Time limit reached. Elapsed time is H:MM:SS. Signaling Trainer to stop." with
 * the elapsed whole seconds as str(timedelta) writes them.
 * Not reproduced: a Timer among the callbacks does not change max_epochs' default (set
 * --trainer.max_epochs -1 for a time-only limit).
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's Timer: stop training when a time budget is spent"
#include "ltrun.h"

#include "cb_util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct timer_cb {
    double duration; /* seconds; < 0 = None */
    bool interval_epoch, verbose;
    double start, end; /* monotonic seconds of on_train_start / on_train_end; < 0 = None */
    double offset;     /* training seconds of the runs before a resume (load_state_dict) */
} timer_cb;

static double monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Timer.__init__'s duration parsing; false with a message in err */
static bool parse_duration(const char *t, double *out, char *err, size_t cap) {
    char key[64], val[64];
    if (!t || !strcmp(t, "null")) {
        *out = -1;
        return true;
    }
    if (t[0] == '"') { /* re.fullmatch(r"(\d+):(\d\d):(\d\d):(\d\d)", duration.strip()) */
        char s[128];
        snprintf(s, sizeof s, "%s", t + 1);
        char *q = strrchr(s, '"');
        if (q) *q = '\0';
        char *p = s;
        while (isspace((unsigned char)*p)) p++;
        size_t n = strlen(p);
        while (n && isspace((unsigned char)p[n - 1])) p[--n] = '\0';
        size_t d = 0;
        while (isdigit((unsigned char)p[d])) d++;
        bool ok = d > 0 && n == d + 9 && p[d] == ':' && p[d + 3] == ':' && p[d + 6] == ':';
        for (int k = 1; ok && k < 9; k++)
            if (k % 3 && !isdigit((unsigned char)p[d + (size_t)k])) ok = false;
        if (!ok) {
            snprintf(err, cap, "`Timer(duration='%s')` is not a valid duration. Expected a string "
                               "in the format DD:HH:MM:SS.", s);
            return false;
        }
        *out = strtod(p, NULL) * 86400 + atoi(p + d + 1) * 3600 + atoi(p + d + 4) * 60 +
               atoi(p + d + 7);
        return true;
    }
    if (t[0] == '{') { /* timedelta(**duration) */
        static const struct { const char *name; double s; } units[] = {
            {"weeks", 604800}, {"days", 86400}, {"hours", 3600}, {"minutes", 60},
            {"seconds", 1}, {"milliseconds", 1e-3}, {"microseconds", 1e-6}};
        cb_json_iter it;
        int r;
        double total = 0;
        if (cb_json_begin(&it, t)) goto bad;
        while ((r = cb_json_next(&it, key, sizeof key, val, sizeof val)) == 1) {
            size_t u = 0;
            while (u < sizeof units / sizeof *units && strcmp(units[u].name, key)) u++;
            char *end;
            double v = strtod(val, &end);
            if (u == sizeof units / sizeof *units || *end) {
                snprintf(err, cap, "duration: '%s' is not a timedelta keyword with a number "
                                   "(weeks, days, hours, minutes, seconds, milliseconds, "
                                   "microseconds)", key);
                return false;
            }
            total += v * units[u].s;
        }
        if (r < 0) goto bad;
        *out = total;
        return true;
    }
    char *end;
    double v = strtod(t, &end);
    if (!*end && end != t && isfinite(v) && v >= 0) {
        *out = v;
        return true;
    }
bad:
    snprintf(err, cap, "duration: expected \"DD:HH:MM:SS\", a dict like {\"hours\": 1}, seconds "
                       "or null, got %s", t);
    return false;
}

static void *tm_create(lt_ctx *ctx, const lt_hparams *hp) {
    timer_cb *tm = calloc(1, sizeof *tm);
    if (!tm) return NULL;
    char err[512];
    bool ok = parse_duration(lt_hp_json(ctx, hp, "duration"), &tm->duration, err, sizeof err);
    const char *interval = lt_hp_str(ctx, hp, "interval", "step");
    tm->verbose = lt_hp_bool(ctx, hp, "verbose", true);
    tm->start = tm->end = -1;
    if (!ok) lt_fail(ctx, "timer: %s", err);
    else if (strcmp(interval, "step") && strcmp(interval, "epoch")) {
        lt_fail(ctx, "timer: Unsupported parameter value `Timer(interval=%s)`. Possible values "
                     "are: step, epoch.", interval);
        ok = false;
    }
    if (!ok) {
        free(tm);
        return NULL;
    }
    tm->interval_epoch = !strcmp(interval, "epoch");
    return tm;
}

static void tm_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

/* time_elapsed(RunningStage.TRAINING) */
static double elapsed(const timer_cb *tm) {
    if (tm->start < 0) return tm->offset;
    return (tm->end < 0 ? monotonic_s() : tm->end) - tm->start + tm->offset;
}

static void check(lt_ctx *ctx, timer_cb *tm) {
    if (tm->duration < 0) return;
    double e = elapsed(tm);
    if (e < tm->duration) return;
    lt_set_should_stop(ctx, true);
    if (tm->verbose) {
        long s = (long)e, days = s / 86400; /* str(timedelta(seconds=int(elapsed))) */
        char d[48] = "";
        if (days) snprintf(d, sizeof d, "%ld day%s, ", days, days == 1 ? "" : "s");
        fprintf(stderr, "Time limit reached. Elapsed time is %s%ld:%02ld:%02ld. Signaling "
                        "Trainer to stop.\n", d, s % 86400 / 3600, s / 60 % 60, s % 60);
    }
}

static lt_status tm_on_train_start(lt_ctx *ctx, void *self) {
    (void)ctx;
    timer_cb *tm = self;
    tm->start = monotonic_s();
    tm->end = -1;
    return LT_OK;
}
static lt_status tm_on_train_end(lt_ctx *ctx, void *self) {
    (void)ctx;
    ((timer_cb *)self)->end = monotonic_s();
    return LT_OK;
}
static lt_status tm_on_fit_start(lt_ctx *ctx, void *self) {
    check(ctx, self);
    return LT_OK;
}
static lt_status tm_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                       int64_t i) {
    (void)o;
    (void)b;
    (void)i;
    timer_cb *tm = self;
    if (!tm->interval_epoch) check(ctx, tm);
    return LT_OK;
}
static lt_status tm_on_train_epoch_end(lt_ctx *ctx, void *self) {
    timer_cb *tm = self;
    if (tm->interval_epoch) check(ctx, tm);
    return LT_OK;
}

/* Timer.state_dict: {"time_elapsed": {"train": seconds}} (Lightning keys every
 * RunningStage; only training time is measured here); load_state_dict makes it the offset
 * the resumed run's time is added to */
static lt_status tm_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    char buf[96];
    snprintf(buf, sizeof buf, "{\"train\": %.17g}", elapsed(self));
    return lt_ckpt_put_json(ctx, w, "time_elapsed", buf);
}
static lt_status tm_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    timer_cb *tm = self;
    const char *j = lt_ckpt_get_json(ctx, r, "time_elapsed");
    const char *t = j ? strstr(j, "\"train\"") : NULL;
    if (t && (t = strchr(t, ':'))) tm->offset = strtod(t + 1, NULL);
    return LT_OK;
}

LT_CALLBACK(timer, .create = tm_create, .destroy = tm_destroy, .on_fit_start = tm_on_fit_start,
            .on_train_start = tm_on_train_start, .on_train_end = tm_on_train_end,
            .on_train_batch_end = tm_on_train_batch_end,
            .on_train_epoch_end = tm_on_train_epoch_end, .state_dict = tm_state_dict,
            .load_state_dict = tm_load_state_dict)
