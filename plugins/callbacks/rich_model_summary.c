/*
 * rich_model_summary.c — Lightning 2.6's RichModelSummary (callbacks/rich_model_summary.py)
 * as a callback plugin: the ModelSummary's data drawn as rich draws it.
 *
 * init args: max_depth (1), as ModelSummary (-1 all, 0 none); header_style ("bold
 * magenta", RichModelSummary's summarize_kwargs; one of "bold magenta", "bold", "none").
 *
 * Reproduced look, on stdout at on_fit_start (rich's console): a rich Table (box
 * HEAVY_HEAD: ┏━┳━┓ header ┡━╇━┩ rows │ │ └─┴─┘) with the columns of the summary — " "
 * (the row index, dim), Name, Type, Params (right-justified), Mode and whatever further
 * columns the host's summary has — then the grid of totals: "Trainable params: N",
 * "Non-trainable params: N", "Total params: N", "Total estimated model params size (MB):
 * X", "Modules in train mode: N", "Modules in eval mode: N" (labels bold; each value
 * "{:<10}" as Lightning formats them, trailing blanks dropped). Colours and styles only
 * when stdout is a terminal and NO_COLOR is unset; plain text otherwise (rich without a
 * terminal). The values come from the host's summary (lt_model_summary, the same table
 * the built-in and the model_summary plugin print), so counts and names agree with them.
 * The trait LT_CALLBACK_MODEL_SUMMARY makes the trainer skip its built-in table.
 * Difference: ltrun's summary has no FLOPs column, so neither the column nor "Total FLOPs"
 * is drawn.
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's RichModelSummary: the model's layer table drawn as rich does"
#include "ltrun.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS 12
#define MAX_ROWS 512
#define CELL 128

typedef struct rsum {
    int max_depth;
    const char *header_style; /* ANSI, or NULL */
    bool color;
} rsum;

static void *rs_create(lt_ctx *ctx, const lt_hparams *hp) {
    int64_t d = lt_hp_int(ctx, hp, "max_depth", 1);
    const char *hs = lt_hp_str(ctx, hp, "header_style", "bold magenta");
    if (d < -1) {
        lt_fail(ctx, "rich_model_summary: max_depth must be -1 (all), 0 (none) or a positive "
                     "depth, got %lld", (long long)d);
        return NULL;
    }
    const char *ansi = !strcmp(hs, "bold magenta") ? "\033[1;35m" : !strcmp(hs, "bold") ? "\033[1m"
                       : !strcmp(hs, "none") ? "" : NULL;
    if (!ansi) {
        lt_fail(ctx, "rich_model_summary: header_style must be \"bold magenta\", \"bold\" or "
                     "\"none\", got '%s'", hs);
        return NULL;
    }
    rsum *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->max_depth = (int)d;
    r->header_style = ansi;
    const char *nc = getenv("NO_COLOR");
    r->color = isatty(fileno(stdout)) && !(nc && *nc);
    return r;
}

static void rs_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    size_t k = 0;
    while (s[k] && isspace((unsigned char)s[k])) k++;
    memmove(s, s + k, n - k + 1);
}

typedef struct table {
    char cell[MAX_ROWS + 1][MAX_COLS][CELL]; /* row 0: the header */
    int ncols, nrows;                        /* nrows: data rows */
    int width[MAX_COLS];
} table;

/* "a | b | c" into cells; the number of cells */
static int split_row(const char *line, char out[MAX_COLS][CELL]) {
    int n = 0;
    const char *p = line;
    while (n < MAX_COLS) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len >= CELL) len = CELL - 1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        trim(out[n]);
        n++;
        if (!bar) break;
        p = bar + 1;
    }
    return n;
}

static void hline(FILE *o, const table *t, const char *l, const char *m, const char *r, const char *h) {
    fputs(l, o);
    for (int c = 0; c < t->ncols; c++) {
        for (int i = 0; i < t->width[c] + 2; i++) fputs(h, o);
        fputs(c + 1 < t->ncols ? m : r, o);
    }
    fputc('\n', o);
}

static bool right_justified(const table *t, int c) {
    return !strcmp(t->cell[0][c], "Params") || !strcmp(t->cell[0][c], "FLOPs") ||
           !strcmp(t->cell[0][c], "Params per Device") || !strcmp(t->cell[0][c], "In sizes") ||
           !strcmp(t->cell[0][c], "Out sizes");
}

static void row(FILE *o, const rsum *r, const table *t, int i, const char *edge) {
    fputs(edge, o);
    for (int c = 0; c < t->ncols; c++) {
        const char *s = t->cell[i][c];
        const char *style = i == 0 ? r->header_style : c == 0 ? "\033[2m" : "";
        bool on = r->color && style && *style && *s;
        int pad = t->width[c] - (int)strlen(s);
        fputc(' ', o);
        if (right_justified(t, c)) fprintf(o, "%*s", pad, "");
        fprintf(o, "%s%s%s", on ? style : "", s, on ? "\033[0m" : "");
        if (!right_justified(t, c)) fprintf(o, "%*s", pad, "");
        fputc(' ', o);
        fputs(edge, o);
    }
    fputc('\n', o);
}

static lt_status rs_on_fit_start(lt_ctx *ctx, void *self) {
    rsum *r = self;
    if (!r->max_depth || ctx->rank != 0) return LT_OK; /* trainer.is_global_zero prints */
    const char *text = lt_model_summary(ctx, r->max_depth);
    if (!text || !*text) return LT_OK;
    table *t = calloc(1, sizeof *t);
    if (!t) return lt_fail(ctx, "rich_model_summary: out of memory");
    char totals[16][2][CELL];
    int ntot = 0, dashes = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        if (line[0] == '-') {
            dashes++;
        } else if (strchr(line, '|') && dashes < 2) {
            char cells[MAX_COLS][CELL];
            int n = split_row(line, cells);
            int at = dashes == 0 ? 0 : ++t->nrows;
            if (at > MAX_ROWS) continue;
            if (at == 0) t->ncols = n;
            for (int c = 0; c < t->ncols && c < n; c++) snprintf(t->cell[at][c], CELL, "%.127s", cells[c]);
        } else if (dashes >= 2 && ntot < 16) { /* "35        Trainable params" */
            char *s = line;
            while (*s == ' ') s++;
            char *sp = strchr(s, ' ');
            if (!sp) continue;
            *sp = '\0';
            snprintf(totals[ntot][0], CELL, "%.127s", s);
            snprintf(totals[ntot][1], CELL, "%.127s", sp + 1);
            trim(totals[ntot][1]);
            ntot++;
        }
    }
    FILE *o = stdout;
    if (t->ncols) {
        for (int c = 0; c < t->ncols; c++)
            for (int i = 0; i <= t->nrows; i++) {
                int w = (int)strlen(t->cell[i][c]);
                if (w > t->width[c]) t->width[c] = w;
            }
        hline(o, t, "┏", "┳", "┓", "━");
        row(o, r, t, 0, "┃");
        hline(o, t, "┡", "╇", "┩", "━");
        for (int i = 1; i <= t->nrows; i++) row(o, r, t, i, "│");
        hline(o, t, "└", "┴", "┘", "─");
    }
    for (int i = 0; i < ntot; i++) {
        char val[CELL + 16];
        snprintf(val, sizeof val, "%-10.127s", totals[i][0]);
        trim(val);
        if (r->color) fprintf(o, "\033[1m%s\033[0m: %s\n", totals[i][1], val);
        else fprintf(o, "%s: %s\n", totals[i][1], val);
    }
    fflush(o);
    free(t);
    return LT_OK;
}

LT_CALLBACK(rich_model_summary, .traits = LT_CALLBACK_MODEL_SUMMARY, .create = rs_create,
            .destroy = rs_destroy, .on_fit_start = rs_on_fit_start)
