/*
 * summary.c — Lightning's ModelSummary table at fit start.
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
 * Issue 6: the same table to any depth for the model_summary callback plugin
 * (lt_model_summary, ModelSummary(max_depth)): rows for the dotted names up to max_depth
 * components (-1: all), each parent before its children (Module.named_modules order), a
 * parent's Params summing its children's; the built-in is max_depth 1, unchanged.
 */
#define _GNU_SOURCE /* open_memstream */
#include "trainer/trainer.h"

#include "precision/precision.h"

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
    int64_t order[16]; /* first-seen index of each ancestor (pre-order sort key) */
    int depth;
} row;

/* the length of the first `depth` dot-separated components of name (depth <= 0: all) */
static size_t prefix_len(const char *name, int depth) {
    size_t len = strlen(name);
    if (depth <= 0) return len;
    const char *p = name;
    for (int d = 0; d < depth; d++) {
        const char *dot = strchr(p, '.');
        if (!dot) return len;
        p = dot + 1;
    }
    return (size_t)(p - 1 - name);
}

static int ndots(const char *name, size_t len) {
    int n = 0;
    for (size_t i = 0; i < len; i++) n += name[i] == '.';
    return n;
}

static row *row_find(row *rows, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (strlen(rows[i].name) == len && !strncmp(rows[i].name, name, len)) return &rows[i];
    return NULL;
}

/* the row for the first `len` chars of name, made (with its ancestors) when new */
static row *row_for_len(row *rows, int *n, const char *name, size_t len) {
    if (len >= sizeof rows[0].name) len = sizeof rows[0].name - 1;
    row *r = row_find(rows, *n, name, len);
    if (r) return r;
    int depth = ndots(name, len) + 1;
    int64_t order[16] = {0};
    for (int d = 1; d < depth && d <= 16; d++) /* parents first: Module.named_modules */
        order[d - 1] = row_for_len(rows, n, name, prefix_len(name, d))->order[d - 1];
    r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    memcpy(r->name, name, len);
    memcpy(r->order, order, sizeof order);
    if (depth <= 16) r->order[depth - 1] = *n;
    r->depth = depth;
    r->type = "Module";
    return r;
}

static int row_cmp(const void *a, const void *b) {
    const row *x = a, *y = b;
    for (int d = 0; d < 16; d++)
        if (x->order[d] != y->order[d]) return x->order[d] < y->order[d] ? -1 : 1;
    return 0;
}

/* The table with the modules up to max_depth levels (-1: all; Lightning's
 * ModelSummary(max_depth)); the built-in prints max_depth 1. */
static void summary_depth(const ltr_trainer *t, int max_depth, FILE *out) {
    const ltr_param_store *s = &t->params;
    int64_t cap = 0; /* every prefix of every name may be a row */
    for (int64_t i = 0; i < s->nmodules; i++) cap += ndots(s->module_names[i], strlen(s->module_names[i])) + 1;
    for (int64_t i = 0; i < s->count; i++) cap += ndots(s->params[i]->name, strlen(s->params[i]->name)) + 1;
    for (int64_t i = 0; i < s->nbuffers; i++) cap += ndots(s->buffers[i]->name, strlen(s->buffers[i]->name)) + 1;
    row *rows = calloc((size_t)cap + 1, sizeof *rows);
    if (!rows) return;
    int n = 0;
    int64_t modules = 0;
    int lim = max_depth < 0 ? 0 : max_depth;
    /* layers first, in the order create made them; then groups of raw tensors */
    for (int64_t i = 0; i < s->nmodules; i++) {
        const char *mn = s->module_names[i];
        size_t len = prefix_len(mn, lim);
        row *r = row_for_len(rows, &n, mn, len);
        if (len == strlen(mn)) r->type = s->module_types[i];
        modules++;
    }
    for (int64_t i = 0; i < s->count; i++) {
        const char *pn = s->params[i]->name;
        if (!strchr(pn, '.')) continue; /* a bare parameter is no module (not a row) */
        /* the owning module (the name less its last component), cut at max_depth */
        size_t own = (size_t)(strrchr(pn, '.') - pn), len = prefix_len(pn, lim);
        if (len > own) len = own;
        int64_t numel = ltr_numel(s->params[i]);
        row_for_len(rows, &n, pn, len);
        for (int d = 1; d <= ndots(pn, len) + 1; d++) /* counted in every ancestor row */
            row_for_len(rows, &n, pn, prefix_len(pn, d))->params += numel;
    }
    for (int64_t i = 0; i < s->nbuffers; i++) {
        const char *bn = s->buffers[i]->name;
        if (!strchr(bn, '.')) continue;
        size_t own = (size_t)(strrchr(bn, '.') - bn), len = prefix_len(bn, lim);
        row_for_len(rows, &n, bn, len > own ? own : len);
    }
    qsort(rows, (size_t)n, sizeof *rows, row_cmp);
    for (int i = 0; i < n; i++) {
        if (rows[i].depth != 1) continue; /* the module count as before: top level groups */
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
             (double)total * ltr_precision_param_bits(t->opts->trainer.precision) / 8.0 * 1e-6);
    fprintf(out, "%-10sTotal estimated model params size (MB)\n", mb);
    fprintf(out, "%-10lldModules in train mode\n", (long long)modules);
    fprintf(out, "%-10sModules in eval mode\n", "0");
    free(rows);
}

/* ModelSummary.on_fit_start summarizes on global rank zero only */
void ltr_model_summary(const ltr_trainer *t, FILE *out) {
    if (ltr_trainer_is_global_zero(t)) summary_depth(t, 1, out);
}

/* ABI 1.4: progress bar — lt_model_summary: the table as text (max_depth 0: ""), kept
 * until the next call (hooks run on the main thread) */
const char *ltr_api_model_summary(lt_ctx *c, int max_depth) {
    static char *text;
    static size_t len;
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    free(text);
    text = NULL;
    if (!t) return "";
    FILE *f = open_memstream(&text, &len);
    if (!f) return "";
    if (max_depth != 0) summary_depth(t, max_depth < -1 ? -1 : max_depth, f);
    fclose(f);
    return text ? text : "";
}
