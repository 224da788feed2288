/* report.c — the metrics table printed after validate/test, and --results JSON. */
#include "trainer/trainer.h"
#include "optim/optimizer.h" /* ltr_optim_pyfloat: Python's repr of a float */
#include "util/tmpfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* shutil.get_terminal_size(fallback=(120, 30)).columns: $COLUMNS, else the terminal
 * on stdout, else 120 */
static int terminal_columns(void) {
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0 && v < 10000) return (int)v;
    }
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 120;
}

/* Python's ("{:^W}" * len(cells)).format(*cells).rstrip(): each cell centred, the odd
 * space right */
static void print_row(const char *const *cells, int ncells, int w) {
    char line[8192];
    size_t n = 0;
    for (int c = 0; c < ncells; c++) {
        int len = (int)strlen(cells[c]);
        int pad = w > len ? w - len : 0;
        int left = pad / 2;
        int wr = snprintf(line + n, sizeof line - n, "%*s%s%*s", left, "", cells[c], pad - left, "");
        if (wr < 0 || (size_t)wr >= sizeof line - n) break;
        n += (size_t)wr;
    }
    while (n > 0 && line[n - 1] == ' ') n--;
    line[n] = '\0';
    printf("%s\n", line);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The name without its "/dataloader_idx_" suffix (k.split("/dataloader_idx_")[0]). */
static void strip_dl_suffix(const char *name, char *out, size_t cap) {
    const char *cut = strstr(name, "/dataloader_idx_");
    size_t len = cut ? (size_t)(cut - name) : strlen(name);
    snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), name);
}

/* The value of stripped name `metric` in dict d ("" when d has none): the last entry
 * whose stripped name matches, as the dict comprehension keeps the last. */
static bool find_value(const ltr_metric_dict *d, const char *metric, char *value, size_t cap) {
    bool found = false;
    for (int i = 0; i < d->n; i++) {
        char key[1024];
        strip_dl_suffix(d->names[i], key, sizeof key);
        if (strcmp(key, metric)) continue;
        ltr_optim_pyfloat(d->values[i], value, cap);
        found = true;
    }
    return found;
}

void ltr_report_stage(ltr_trainer *t, const char *stage, const ltr_metric_dict *metrics,
                      const ltr_metric_dict *per_dl, int ndl) {
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < metrics->n; i++)
        cJSON_AddNumberToObject(obj, metrics->names[i], metrics->values[i]);
    if (cJSON_GetObjectItemCaseSensitive(t->stage_results, stage))
        cJSON_ReplaceItemInObjectCaseSensitive(t->stage_results, stage, obj);
    else
        cJSON_AddItemToObject(t->stage_results, stage, obj);
    /* the table is printed by rank zero (_EvaluationLoop._print_results) */
    if (!strcmp(stage, "fit") || !ltr_trainer_is_global_zero(t)) return;
    if (ndl <= 0) {
        per_dl = metrics;
        ndl = 1;
    }

    /* _EvaluationLoop._print_results without rich: the dataloader suffix removed, the
     * metrics of every dataloader sorted by name, one column per dataloader ("DataLoader
     * i"), " " where a dataloader lacks a metric; every column max_length wide and
     * centred (str.format's ^), the rule as wide as the terminal, rows right-stripped,
     * as many dataloader columns per table as fit beside the metric column */
    int total = 0;
    for (int d = 0; d < ndl; d++) total += per_dl[d].n;
    if (total == 0) return;
    char **names = malloc((size_t)total * sizeof *names);
    if (!names) return;
    int nnames = 0;
    for (int d = 0; d < ndl; d++)
        for (int i = 0; i < per_dl[d].n; i++) {
            char key[1024];
            strip_dl_suffix(per_dl[d].names[i], key, sizeof key);
            bool seen = false;
            for (int j = 0; j < nnames && !seen; j++) seen = !strcmp(names[j], key);
            if (!seen && (names[nnames] = strdup(key))) nnames++;
        }
    qsort(names, (size_t)nnames, sizeof *names, by_name);
    int term = terminal_columns();
    char header[32];
    snprintf(header, sizeof header, "DataLoader %d", ndl - 1);
    size_t longest = strlen(header);
    for (int i = 0; i < nnames; i++)
        if (strlen(names[i]) > longest) longest = strlen(names[i]);
    int max_length = (int)(longest > 25 ? longest : 25);
    if (max_length > term / 2) max_length = term / 2;
    int num_cols = (term - max_length) / max_length;
    if (num_cols < 1) num_cols = 1;
    char *rule = malloc((size_t)term * 3 + 1); /* "─" is 3 bytes in UTF-8 */
    char (*values)[40] = malloc((size_t)(ndl + 1) * sizeof *values);
    const char **cells = malloc((size_t)(ndl + 1) * sizeof *cells);
    char (*headers)[32] = malloc((size_t)(ndl + 1) * sizeof *headers);
    if (!rule || !values || !cells || !headers) goto out;
    for (int i = 0; i < term; i++) memcpy(rule + 3 * i, "\xe2\x94\x80", 3);
    rule[3 * term] = '\0';
    for (int first = 0; first < ndl; first += num_cols) {
        int ncols = ndl - first < num_cols ? ndl - first : num_cols;
        printf("%s\n", rule);
        cells[0] = !strcmp(stage, "test") ? "Test metric" : "Validate metric";
        for (int c = 0; c < ncols; c++) {
            snprintf(headers[c], sizeof headers[c], "DataLoader %d", first + c);
            cells[1 + c] = headers[c];
        }
        print_row(cells, 1 + ncols, max_length);
        printf("%s\n", rule);
        for (int i = 0; i < nnames; i++) {
            for (int c = 0; c < ncols; c++) {
                if (!find_value(&per_dl[first + c], names[i], values[c], sizeof values[c]))
                    snprintf(values[c], sizeof values[c], " ");
                cells[1 + c] = values[c];
            }
            /* a name wider than half the terminal wraps, as Lightning cuts it */
            const char *m = names[i];
            int half = term / 2;
            while ((int)strlen(m) > half) {
                char piece[1024];
                snprintf(piece, sizeof piece, "%.*s", half < 1023 ? half : 1023, m);
                cells[0] = piece;
                print_row(cells, 1 + ncols, max_length);
                m += half;
            }
            cells[0] = m;
            if ((int)strlen(names[i]) > half) {
                cells[1] = " ";
                print_row(cells, 2, max_length);
            } else {
                print_row(cells, 1 + ncols, max_length);
            }
        }
        printf("%s\n", rule);
    }
    fflush(stdout);
out:
    free(rule);
    free(values);
    free(cells);
    free(headers);
    for (int i = 0; i < nnames; i++) free(names[i]);
    free(names);
}

lt_status ltr_report_write_json(ltr_trainer *t, const char *path) {
    if (!ltr_trainer_is_global_zero(t)) return LT_OK; /* one file per run: rank zero's */
    /* the weights as the run left them: two runs agree bit for bit iff digests agree */
    char digest[24];
    snprintf(digest, sizeof digest, "%016llx", (unsigned long long)ltr_param_store_digest(&t->params));
    cJSON *old = cJSON_GetObjectItemCaseSensitive(t->stage_results, "weights_digest");
    if (old) cJSON_SetValuestring(old, digest);
    else cJSON_AddStringToObject(t->stage_results, "weights_digest", digest);
    char *text = cJSON_Print(t->stage_results);
    if (!text) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "--results %s: out of memory", path);
        return LT_ERROR;
    }
    /* temp file in the same folder + rename: readers see the old file or the new one */
    char tmp[4200];
    int fd = ltr_tmp_create(path, tmp, sizeof tmp); /* O_EXCL, unpredictable name */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f && fd >= 0) close(fd);
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f) ok = (fflush(f) == 0) & (fsync(fileno(f)) == 0) & (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp, path) == 0;
    int e = errno;
    cJSON_free(text);
    if (!ok) {
        if (fd >= 0) unlink(tmp); /* only a file this call made */
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "--results %s: cannot write: %s", path,
                          strerror(e));
        return LT_ERROR;
    }
    return LT_OK;
}
