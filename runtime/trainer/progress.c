/* progress.c — a tqdm-like line on stderr. */
#include "trainer/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

double ltr_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ltr_progress_init(ltr_progress *p, FILE *out, bool enabled) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->enabled = enabled;
    p->tty = enabled && isatty(fileno(out));
}

void ltr_progress_start(ltr_progress *p, const char *label, int64_t total) {
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->done = 0;
    p->start = ltr_now();
    p->last_draw = 0;
    p->last_decile = 0;
}

static void fmt_time(char *buf, size_t cap, double s) {
    if (s < 0 || s > 359999) s = 0;
    int t = (int)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%02d:%02d", t / 60, t % 60);
}

static void draw(ltr_progress *p, const ltr_metric_dict *metrics, bool final) {
    double el = ltr_now() - p->start;
    double rate = el > 0 ? (double)p->done / el : 0;
    double eta = rate > 0 && p->total > 0 ? (double)(p->total - p->done) / rate : 0;
    char e1[16], e2[16];
    fmt_time(e1, sizeof e1, el);
    fmt_time(e2, sizeof e2, eta);
    if (rate <= 0) snprintf(e2, sizeof e2, "?"); /* tqdm: no rate, no remaining time */
    int pct = p->total > 0 ? (int)(100 * p->done / p->total) : 100;
    char bar[21];
    int fill = p->total < 0 ? 0 : pct / 5;
    for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : ' ';
    bar[20] = '\0';
    if (p->tty) fputs("\r\033[K", p->out);
    if (p->total < 0) /* ABI 1.9: unknown total (an iterable dataset): tqdm's total=None */
        fprintf(p->out, "%s: |%s| %lld/? [%s<%s, %.2fit/s", p->label, bar, (long long)p->done,
                e1, e2, rate);
    else
        fprintf(p->out, "%s: %3d%%|%s| %lld/%lld [%s<%s, %.2fit/s", p->label, pct, bar,
                (long long)p->done, (long long)p->total, e1, e2, rate);
    for (int i = 0; metrics && i < metrics->n; i++)
        fprintf(p->out, ", %s=%.4g", metrics->names[i], metrics->values[i]);
    fputc(']', p->out);
    if (!p->tty || final) fputc('\n', p->out);
    fflush(p->out);
}

void ltr_progress_update(ltr_progress *p, int64_t done, const ltr_metric_dict *metrics) {
    p->done = done;
    if (!p->enabled) return;
    if (p->tty) {
        double now = ltr_now();
        if (now - p->last_draw < 0.1) return;
        p->last_draw = now;
        draw(p, metrics, false);
    } else if (p->total >= 0) { /* an unknown total has no tenths: its final line only */
        int decile = p->total > 0 ? (int)(10 * done / p->total) : 10;
        if (decile > p->last_decile && done < p->total) {
            p->last_decile = decile;
            draw(p, metrics, false);
        }
    }
}

void ltr_progress_end(ltr_progress *p, const ltr_metric_dict *metrics) {
    if (!p->enabled) return;
    draw(p, metrics, true);
}
