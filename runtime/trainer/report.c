/* report.c — the metrics table printed after validate/test, and --results JSON. */
#include "trainer/trainer.h"
#include "util/tmpfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    const char *rule = "────────────────────────────────────────────────────────";
    printf("%s\n%*s%s metric%*sDataLoader 0\n%s\n", rule, 8, "",
           !strcmp(stage, "test") ? "Test" : "Validate", 14, "", rule);
    for (int i = 0; i < metrics->n; i++)
        printf("%*s%-22s %.10g\n", 8, "", names[i], *ltr_dict_get(metrics, names[i]));
    printf("%s\n", rule);
    fflush(stdout);
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
