/*
 * config_forms.c — LightningCLI's subclass form of model: and data: in a config file,
 *   model:
 *     class_path: mlp          # the LightningModule: ltrun's module (a plugin)
 *     init_args: {lr: 0.01}    # its __init__ arguments: ltrun's model hyperparameters
 * read as ltrun's own form (module: mlp, model: {lr: 0.01}); the same for data: and
 * datamodule:. A mapping without class_path is already the hyperparameters.
 */
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

/* lines' paths from..., as to... (the loader's line record follows the rewrite) */
static void rename_lines(cJSON *lines, const char *from, const char *to) {
    size_t n = strlen(from);
    for (cJSON *it = lines ? lines->child : NULL; it; it = it->next) {
        if (strncmp(it->string, from, n) || (it->string[n] && it->string[n] != '.')) continue;
        char renamed[1024];
        snprintf(renamed, sizeof renamed, "%s%s", to, it->string + n);
        char *copy = cJSON_malloc(strlen(renamed) + 1);
        if (!copy) continue;
        strcpy(copy, renamed);
        cJSON_free(it->string);
        it->string = copy;
    }
}

static void unfold(cJSON *cfg, cJSON *lines, const char *section, const char *plugin_key) {
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(cfg, section);
    cJSON *cls = cJSON_IsObject(sec) ? cJSON_GetObjectItemCaseSensitive(sec, "class_path") : NULL;
    if (!cJSON_IsString(cls)) return;
    /* only class_path and init_args: any other key stays and is refused as a hyperparameter
     * typo would be */
    for (const cJSON *it = sec->child; it; it = it->next)
        if (strcmp(it->string, "class_path") && strcmp(it->string, "init_args")) return;
    cJSON *args = cJSON_DetachItemFromObjectCaseSensitive(sec, "init_args");
    cJSON *path = cJSON_DetachItemFromObjectCaseSensitive(sec, "class_path");
    if (cJSON_GetObjectItemCaseSensitive(cfg, plugin_key))
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, plugin_key, path);
    else
        cJSON_AddItemToObject(cfg, plugin_key, path);
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, section,
                                           cJSON_IsObject(args) ? args : cJSON_CreateObject());
    if (!cJSON_IsObject(args)) cJSON_Delete(args);
    char from[64];
    snprintf(from, sizeof from, "%s.class_path", section);
    rename_lines(lines, from, plugin_key);
    snprintf(from, sizeof from, "%s.init_args", section);
    rename_lines(lines, from, section);
}

void ltr_config_class_paths(cJSON *cfg, cJSON *lines) {
    unfold(cfg, lines, "model", "module");
    unfold(cfg, lines, "data", "datamodule");
}
