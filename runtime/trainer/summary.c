/*
 * summary.c — Lightning's ModelSummary table at fit start (issue 4).
 *
 * As lightning.pytorch.utilities.model_summary (max_depth=1), plain-text form:
 *     | Name | Type   | Params | Mode
 *   ------------------------------------
 *   0 | fc1  | Linear | 100 K  | train
 *   ------------------------------------
 *   101 K     Trainable params
 *   0         Non-trainable params
 *   101 K     Total params
 *   0.407     Total estimated model params size (MB)
 *   2         Modules in train mode
 *   0         Modules in eval mode
 * One row per top-level layer: the first component of the parameter and buffer names,
 * its type from the lt_*_init call that made it ("Module" for a group of deeper layers
 * or raw lt_param tensors). Counts use get_human_readable_count; the size is
 * params x precision bits / 8 / 1e6, as Lightning's _precision_megabytes. Every
 * parameter is trainable (ltrun has no freezing yet).
 */
#include "trainer/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lightning.pytorch.utilities.model_summary.get_human_readable_count */
static void human_count(int64_t number, char *buf, size_t cap) {
    static const char *const labels[] = {" ", "K", "M", "B", "T"};
    int digits = number > 0 ? (int)floor(log10((double)number)) + 1 : 1;
    int groups = (digits + 2) / 3;
    if (groups > 5) groups = 5;
    double x = (double)number * pow(10.0, -3.0 * (groups - 1));
    int index = groups - 1;
    if (index < 1 || x >= 100) snprintf(buf, cap, "%lld %s", (long long)x, labels[index]);
    else snprintf(buf, cap, "%.1f %s", x, labels[index]);
}

typedef struct row {
    char name[128];
    const char *type;
    int64_t params;
} row;

static size_t top_len(const char *name) {
    const char *dot = strchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

static row *row_for(row *rows, int *n, const char *name) {
    size_t len = top_len(name);
    if (len >= sizeof rows[0].name) len = sizeof rows[0].name - 1;
    for (int i = 0; i < *n; i++)
        if (strlen(rows[i].name) == len && !strncmp(rows[i].name, name, len)) return &rows[i];
    row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    memcpy(r->name, name, len);
    r->type = "Module";
    return r;
}

void ltr_model_summary(const ltr_trainer *t, FILE *out) {
    const ltr_param_store *s = &t->params;
    int64_t cap = s->count + s->nbuffers + s->nmodules + 1;
    row *rows = calloc((size_t)cap, sizeof *rows);
    if (!rows) return;
    int n = 0;
    int64_t modules = 0;
    /* layers first, in the order create made them; then groups of raw tensors */
    for (int64_t i = 0; i < s->nmodules; i++) {
        row *r = row_for(rows, &n, s->module_names[i]);
        if (!strchr(s->module_names[i], '.')) r->type = s->module_types[i];
        modules++;
    }
    for (int64_t i = 0; i < s->count; i++) {
        const char *pn = s->params[i]->name;
        if (!strchr(pn, '.')) continue; /* a bare parameter is no module (not a row) */
        row_for(rows, &n, pn)->params += ltr_numel(s->params[i]);
    }
    for (int64_t i = 0; i < s->nbuffers; i++)
        if (strchr(s->buffers[i]->name, '.')) row_for(rows, &n, s->buffers[i]->name);
    for (int i = 0; i < n; i++) {
        bool noted = false; /* a group no lt_*_init named is a module of its own */
        for (int64_t k = 0; k < s->nmodules && !noted; k++)
            noted = !strncmp(s->module_names[k], rows[i].name, strlen(rows[i].name)) &&
                    (s->module_names[k][strlen(rows[i].name)] == '\0' ||
                     s->module_names[k][strlen(rows[i].name)] == '.');
        if (!noted) modules++;
    }

    int wn = 4, wt = 4, wp = 6;
    char cnt[32];
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(rows[i].name);
        if (l > wn) wn = l;
        l = (int)strlen(rows[i].type);
        if (l > wt) wt = l;
        human_count(rows[i].params, cnt, sizeof cnt);
        l = (int)strlen(cnt);
        if (l > wp) wp = l;
    }
    int widx = n > 10 ? (int)floor(log10((double)(n - 1))) + 1 : 1;
    int width = widx + wn + wt + wp + 5 + 5 * 3; /* sum of widths + 3 per column */
    fprintf(out, "%*s | %-*s | %-*s | %-*s | Mode \n", widx, "", wn, "Name", wt, "Type", wp, "Params");
    for (int i = 0; i < width; i++) fputc('-', out);
    fputc('\n', out);
    for (int i = 0; i < n; i++) {
        human_count(rows[i].params, cnt, sizeof cnt);
        fprintf(out, "%-*d | %-*s | %-*s | %-*s | train\n", widx, i, wn, rows[i].name, wt,
                rows[i].type, wp, cnt);
    }
    for (int i = 0; i < width; i++) fputc('-', out);
    fputc('\n', out);
    int64_t total = ltr_param_store_numel(s);
    human_count(total, cnt, sizeof cnt);
    fprintf(out, "%-10sTrainable params\n", cnt);
    fprintf(out, "%-10sNon-trainable params\n", "0");
    fprintf(out, "%-10sTotal params\n", cnt);
    char mb[32];
    snprintf(mb, sizeof mb, "%.3f",
             (double)total * (double)t->opts->trainer.precision / 8.0 * 1e-6);
    fprintf(out, "%-10sTotal estimated model params size (MB)\n", mb);
    fprintf(out, "%-10lldModules in train mode\n", (long long)modules);
    fprintf(out, "%-10sModules in eval mode\n", "0");
    free(rows);
}
