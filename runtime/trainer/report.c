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

/* Python's "{:^W}{:^W}".format(a, b).rstrip(): padding split with the odd space right */
static void print_row(const char *a, const char *b, int w) {
    char line[4096];
    size_t n = 0;
    const char *cells[2] = {a, b};
    for (int c = 0; c < 2; c++) {
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

void ltr_report_stage(ltr_trainer *t, const char *stage, const ltr_metric_dict *metrics) {
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; i < metrics->n; i++)
        cJSON_AddNumberToObject(obj, metrics->names[i], metrics->values[i]);
    if (cJSON_GetObjectItemCaseSensitive(t->stage_results, stage))
        cJSON_ReplaceItemInObjectCaseSensitive(t->stage_results, stage, obj);
    else
        cJSON_AddItemToObject(t->stage_results, stage, obj);
    /* the table is printed by rank zero (_EvaluationLoop._print_results) */
    if (!strcmp(stage, "fit") || metrics->n == 0 || !ltr_trainer_is_global_zero(t)) return;

    /* Lightning's table: metrics sorted by name, one dataloader column */
    char **names = malloc((size_t)metrics->n * sizeof *names);
    if (!names) return;
    for (int i = 0; i < metrics->n; i++) names[i] = metrics->names[i];
    qsort(names, (size_t)metrics->n, sizeof *names, by_name);
    /* _EvaluationLoop._print_results without rich: every column max_length wide and
     * centred (str.format's ^), the rule as wide as the terminal, rows right-stripped */
    int term = terminal_columns();
    size_t longest = strlen("DataLoader 0");
    for (int i = 0; i < metrics->n; i++)
        if (strlen(names[i]) > longest) longest = strlen(names[i]);
    int max_length = (int)(longest > 25 ? longest : 25);
    if (max_length > term / 2) max_length = term / 2;
    char *rule = malloc((size_t)term * 3 + 1); /* "─" is 3 bytes in UTF-8 */
    if (!rule) {
        free(names);
        return;
    }
    for (int i = 0; i < term; i++) memcpy(rule + 3 * i, "\xe2\x94\x80", 3);
    rule[3 * term] = '\0';
    printf("%s\n", rule);
    print_row(!strcmp(stage, "test") ? "Test metric" : "Validate metric", "DataLoader 0",
              max_length);
    printf("%s\n", rule);
    for (int i = 0; i < metrics->n; i++) {
        char value[40];
        ltr_optim_pyfloat(*ltr_dict_get(metrics, names[i]), value, sizeof value);
        /* a name wider than half the terminal wraps, as Lightning cuts it */
        const char *m = names[i];
        int half = term / 2;
        while ((int)strlen(m) > half) {
            char piece[1024];
            snprintf(piece, sizeof piece, "%.*s", half < 1023 ? half : 1023, m);
            print_row(piece, value, max_length);
            m += half;
        }
        print_row(m, (int)strlen(names[i]) > half ? " " : value, max_length);
    }
    printf("%s\n", rule);
    fflush(stdout);
    free(rule);
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
