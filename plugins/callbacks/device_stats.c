/*
 * device_stats.c — Lightning's DeviceStatsMonitor (callbacks/device_stats_monitor.py) as a
 * callback plugin, for the CPU accelerator.
 *
 * init args: cpu_stats (null | true | false; on the CPU accelerator null and true log the
 * stats, false logs nothing, as Lightning's).
 *
 * Reproduced behaviour: at on_{train,validation,test}_batch_{start,end}, when the logger
 * connector would log (should_update_logs), the device stats go straight to every
 * logger at _batches_that_stepped, keyed "DeviceStatsMonitor.<hook>/<stat>". setup("fit")
 * without a logger is an error. Stats (Linux /proc, as psutil reads them): Lightning's
 * get_cpu_stats keys cpu_percent (system CPU use since the previous reading; 0.0 the first
 * time, as psutil.cpu_percent()), cpu_vm_percent (virtual_memory().percent: (total -
 * available) / total), cpu_swap_percent; and ltrun's process stats: process_cpu_time
 * (user + system seconds), process_rss_mb (resident set, MiB), process_threads.
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's DeviceStatsMonitor for the CPU: CPU, memory, RSS, threads"
#include "ltrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct device_stats {
    bool off; /* cpu_stats false */
    unsigned long long last_busy, last_total;
    bool have_last;
} device_stats;

static void *ds_create(lt_ctx *ctx, const lt_hparams *hp) {
    device_stats *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    const char *c = lt_hp_json(ctx, hp, "cpu_stats");
    if (c && strcmp(c, "null") && strcmp(c, "true") && strcmp(c, "false")) {
        lt_fail(ctx, "device_stats: cpu_stats: expected true, false or null, got %s", c);
        free(d);
        return NULL;
    }
    d->off = c && !strcmp(c, "false");
    return d;
}

static void ds_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static lt_status ds_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    (void)self;
    if (stage != LT_STAGE_FIT) return LT_OK;
    if (!(lt_trainer_flag(ctx, "num_loggers") > 0))
        return lt_fail(ctx, "Cannot use `DeviceStatsMonitor` callback with `Trainer(logger=False)`"
                            " (drop --trainer.logger false or give --logger).");
    return LT_OK;
}

/* psutil.cpu_percent(interval=None): busy share of the jiffies since the last call */
static double cpu_percent(device_stats *d) {
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[10] = {0};
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9])
              : 0;
    if (f) fclose(f);
    if (n < 4) return 0.0;
    /* psutil: guest time is already in user/nice; idle = idle + iowait */
    unsigned long long total = 0;
    for (int i = 0; i < 8 && i < n; i++) total += v[i];
    unsigned long long idle = v[3] + (n > 4 ? v[4] : 0), busy = total - idle;
    double pct = 0.0;
    if (d->have_last && total > d->last_total)
        pct = 100.0 * (double)(busy - d->last_busy) / (double)(total - d->last_total);
    d->last_busy = busy;
    d->last_total = total;
    d->have_last = true;
    return pct < 0 ? 0.0 : pct;
}

static double meminfo(const char *key) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == ':') {
            v = strtod(line + k + 1, NULL);
            break;
        }
    if (f) fclose(f);
    return v;
}

static double status_value(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = 0;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == ':') {
            v = strtod(line + k + 1, NULL);
            break;
        }
    if (f) fclose(f);
    return v;
}

static lt_status log_stats(lt_ctx *ctx, device_stats *d, const char *hook) {
    if (d->off || !lt_should_update_logs(ctx)) return LT_OK;
    double total = meminfo("MemTotal"), avail = meminfo("MemAvailable");
    double swap = meminfo("SwapTotal"), swap_free = meminfo("SwapFree");
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    static const char *const keys[] = {"cpu_percent", "cpu_vm_percent", "cpu_swap_percent",
                                       "process_cpu_time", "process_rss_mb", "process_threads"};
    double values[6] = {
        cpu_percent(d),
        total > 0 && avail >= 0 ? 100.0 * (total - avail) / total : 0.0,
        swap > 0 ? 100.0 * (swap - swap_free) / swap : 0.0,
        (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9,
        status_value("VmRSS") / 1024.0,
        status_value("Threads")};
    char names[6][128];
    const char *np[6];
    for (int i = 0; i < 6; i++) {
        snprintf(names[i], sizeof names[i], "DeviceStatsMonitor.%s/%s", hook, keys[i]);
        np[i] = names[i];
    }
    return lt_logger_log_metrics(ctx, 6, np, values);
}

#define BATCH_START(h)                                                                   \
    static lt_status ds_##h(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {           \
        (void)b;                                                                         \
        (void)i;                                                                         \
        return log_stats(ctx, self, #h);                                                 \
    }
#define BATCH_END(h)                                                                     \
    static lt_status ds_##h(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) { \
        (void)o;                                                                         \
        (void)b;                                                                         \
        (void)i;                                                                         \
        return log_stats(ctx, self, #h);                                                 \
    }
BATCH_START(on_train_batch_start)
BATCH_END(on_train_batch_end)
BATCH_START(on_validation_batch_start)
BATCH_END(on_validation_batch_end)
BATCH_START(on_test_batch_start)
BATCH_END(on_test_batch_end)

LT_CALLBACK(device_stats, .create = ds_create, .destroy = ds_destroy, .setup = ds_setup,
            .on_train_batch_start = ds_on_train_batch_start,
            .on_train_batch_end = ds_on_train_batch_end,
            .on_validation_batch_start = ds_on_validation_batch_start,
            .on_validation_batch_end = ds_on_validation_batch_end,
            .on_test_batch_start = ds_on_test_batch_start,
            .on_test_batch_end = ds_on_test_batch_end)
