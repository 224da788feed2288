/*
 * old_logger.c — a logger plugin built against the logger layout of ABI 1.7, before the
 * media hooks (log_image, log_histogram, log_text) existed: lt_logger_vtable as it was,
 * frozen here and declared by hand (no LT_LOGGER), with minor 7 in its descriptor. Three
 * members stand physically after the old end, pointing at a canary that writes "OUT OF
 * BOUNDS" to the trace: the host must load it, send it its scalars, and never call past
 * `size` when a module logs media. init arg: trace (the file its hooks append to).
 */
#include <ltrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct old_logger_vtable { /* lt_logger_vtable at ABI 1.7 */
    uint32_t size, flags;
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    lt_status (*log_hyperparams)(lt_ctx *ctx, void *self, const char *params_json);
    lt_status (*log_metrics)(lt_ctx *ctx, void *self, const char *const *names,
                             const double *values, int n, int64_t step);
    lt_status (*save)(lt_ctx *ctx, void *self);
    lt_status (*finalize)(lt_ctx *ctx, void *self, const char *status);
    lt_status (*version_dir)(lt_ctx *ctx, void *self, char *buf, size_t cap);
} old_logger_vtable;

typedef struct with_canary {
    old_logger_vtable vt;
    void *after[3]; /* where ABI 1.8's media hooks would be */
} with_canary;

static char trace_path[1024];

static void note(const char *what) {
    FILE *f = trace_path[0] ? fopen(trace_path, "a") : NULL;
    if (!f) return;
    fprintf(f, "%s\n", what);
    fclose(f);
}

static void *ol_create(lt_ctx *ctx, const lt_hparams *hp) {
    snprintf(trace_path, sizeof trace_path, "%s", lt_hp_str(ctx, hp, "trace", ""));
    note("create");
    return malloc(1);
}
static void ol_destroy(lt_ctx *ctx, void *self) { (void)ctx; free(self); }
static lt_status ol_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                const double *values, int n, int64_t step) {
    (void)ctx; (void)self; (void)values; (void)step;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], "train_loss")) note("log_metrics train_loss");
    return LT_OK;
}
static lt_status canary(void) {
    note("OUT OF BOUNDS");
    return LT_ERROR;
}

static const with_canary old_vtable = {
    {.size = sizeof(old_logger_vtable), .create = ol_create, .destroy = ol_destroy,
     .log_metrics = ol_log_metrics},
    {(void *)canary, (void *)canary, (void *)canary}};
static const lt_descriptor old_descriptor = {1, 7, sizeof(lt_descriptor), LT_KIND_LOGGER,
                                             "old_logger", "0.1.0", "ABI 1.7 logger", &old_vtable};
static const lt_descriptor *const old_list[] = {&old_descriptor};
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host, uint32_t *count);
LT_EXPORT const lt_descriptor *const *ltrun_plugin_entry(const lt_host_api *host, uint32_t *count) {
    (void)host;
    *count = 1;
    return old_list;
}
