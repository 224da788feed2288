/*
 * config_forms.c — LightningCLI's subclass form of model: and data: in a config file,
 *   model:
 *     class_path: mlp          # the LightningModule: ltrun's module (a plugin)
 *     init_args: {lr: 0.01}    # its __init__ arguments: ltrun's model hyperparameters
 * read as ltrun's own form (module: mlp, model: {lr: 0.01}); the same for data: and
 * datamodule:. A mapping without class_path is already the hyperparameters.
 */
#include "cli/options.h"

#include <string.h>

static void unfold(cJSON *cfg, const char *section, const char *plugin_key) {
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
}

void ltr_config_class_paths(cJSON *cfg) {
    unfold(cfg, "model", "module");
    unfold(cfg, "data", "datamodule");
}
