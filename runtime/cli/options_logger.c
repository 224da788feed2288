/*
 * options_logger.c — trainer.logger.
 *
 * Lightning's Trainer(logger=...): True (the default) means the default logger, here
 * the "csv" plugin (Lightning picks CSVLogger(save_dir=default_root_dir) when
 * tensorboard is not importable); False means none; a logger or a list of loggers
 * means those. In a config: "logger": false | true | "csv" | {"class_path": "csv",
 * "init_args": {...}} | a list of those. --logger NAME[:JSON] appends to the list.
 */
#include "cli/options.h"

#include <stdarg.h>
#include <stdio.h>


static int add_one(ltr_options *o, const cJSON *item, int i, char *err, size_t cap) {
    if (o->nloggers == LTR_MAX_CALLBACKS)
        return ltr_usage_error(err, cap, "trainer.logger: at most %d loggers", LTR_MAX_CALLBACKS);
    const cJSON *path = cJSON_IsString(item) ? item
                                             : cJSON_GetObjectItemCaseSensitive(item, "class_path");
    const cJSON *args = cJSON_IsObject(item) ? cJSON_GetObjectItemCaseSensitive(item, "init_args")
                                             : NULL;
    if (!cJSON_IsString(path) || !path->valuestring[0])
        return ltr_usage_error(err, cap, "trainer.logger[%d]: expected a logger NAME or {\"class_path\": "
                              "NAME, \"init_args\": {...}} (e.g. --logger csv)", i < 0 ? 0 : i);
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        return ltr_usage_error(err, cap, "trainer.logger[%d]: \"init_args\" must be an object", i < 0 ? 0 : i);
    static const cJSON empty = {.type = cJSON_Object};
    ltr_callback_spec *l = &o->loggers[o->nloggers++];
    l->path = path->valuestring;
    l->init_args = cJSON_IsObject(args) ? args : &empty;
    if (i < 0) snprintf(l->origin, sizeof l->origin, "trainer.logger.init_args");
    else snprintf(l->origin, sizeof l->origin, "trainer.logger.%d.init_args", i);
    return 0;
}

int ltr_options_parse_loggers(ltr_options *o, const cJSON *v, char *err, size_t cap) {
    o->nloggers = 0;
    o->logger_disabled = false;
    if (cJSON_IsBool(v)) {
        o->logger_disabled = cJSON_IsFalse(v);
        return 0;
    }
    if (!cJSON_IsArray(v)) return add_one(o, v, -1, err, cap); /* one logger, not a list */
    if (cJSON_GetArraySize(v) == 0) o->logger_disabled = true; /* logger=[]: none */
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, v) {
        if (add_one(o, item, i++, err, cap)) return 2;
    }
    return 0;
}
