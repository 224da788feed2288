/* config_origin.c — the path -> (file, line) record of the merged config
 * (config_origin.h says the contract). */
#include "cli/config_origin.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* path itself, or below it ("trainer" covers "trainer.max_epochs", not "trainers") */
static bool covers(const char *path, const char *key) {
    size_t n = strlen(path);
    return !strncmp(key, path, n) && (key[n] == '\0' || key[n] == '.');
}

void ltr_origin_forget(cJSON *origins, const char *path) {
    if (!origins) return;
    for (cJSON *it = origins->child, *next; it; it = next) {
        next = it->next;
        if (covers(path, it->string)) cJSON_Delete(cJSON_DetachItemViaPointer(origins, it));
    }
}

static void add_entry(cJSON *origins, const char *key, const char *file, int line) {
    cJSON *e = cJSON_CreateObject();
    if (!e) return;
    cJSON_AddStringToObject(e, "file", file);
    cJSON_AddNumberToObject(e, "line", line);
    cJSON_AddItemToObject(origins, key, e);
}

void ltr_origin_take(cJSON *origins, const char *path, const char *file, const cJSON *lines) {
    if (!origins) return;
    ltr_origin_forget(origins, path);
    bool have_path = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, lines) {
        if (!covers(path, it->string)) continue;
        have_path |= !strcmp(path, it->string);
        add_entry(origins, it->string, file, (int)it->valuedouble);
    }
    if (!have_path) add_entry(origins, path, file, 0);
}

const char *ltr_origin_describe(const cJSON *origins, const char *path, char *buf, size_t cap) {
    if (!origins || !path) return NULL;
    char key[1024];
    snprintf(key, sizeof key, "%s", path);
    for (;;) { /* the nearest recorded ancestor: a merged "<<" key has no line of its own */
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(origins, key);
        if (e) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file");
            int line = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "line"));
            if (line > 0) snprintf(buf, cap, "--config %s, line %d", f->valuestring, line);
            else snprintf(buf, cap, "--config %s", f->valuestring);
            return buf;
        }
        char *dot = strrchr(key, '.');
        if (!dot) return NULL;
        *dot = '\0';
    }
}

void ltr_origin_annotate(const cJSON *origins, char *err, size_t cap) {
    if (!origins || !origins->child || !err[0]) return;
    const char *msg = err + (strncmp(err, "--", 2) ? 0 : 2);
    /* the dotted key the message starts with: up to ':' or ' ' */
    size_t n = strcspn(msg, ": ");
    if (n == 0 || n >= 1024 || msg[n] != ':' || !memchr(msg, '.', n)) {
        /* "module: ...", "ckpt_path: ...", "--seed / seed_everything: ..." */
        static const char *const tops[] = {"module", "datamodule", "ckpt_path", "seed_everything"};
        const char *key = NULL;
        for (size_t i = 0; i < sizeof tops / sizeof *tops; i++)
            if (strstr(msg, tops[i]) && strstr(msg, tops[i]) < msg + strcspn(msg, ":")) key = tops[i];
        if (!key) return;
        msg = key, n = strlen(key);
    }
    char key[1024], where[1200];
    memcpy(key, msg, n);
    key[n] = '\0';
    if (!ltr_origin_describe(origins, key, where, sizeof where)) return;
    const char *rest = err + (strncmp(err, "--", 2) ? 0 : 2);
    char *copy = strdup(rest);
    if (!copy) return;
    snprintf(err, cap, "%s: %s", where, copy);
    free(copy);
}
