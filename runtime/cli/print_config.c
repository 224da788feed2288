/*
 * print_config.c — --print-config as LightningCLI prints it: the whole run config, YAML
 * by default (JSON with --print-config=json), that --config reads back to the same
 * config. On top of the merged tree (with options.c's defaults for every flag):
 *   - Lightning's Trainer arguments ltrun accepts at their default (trainer_fixed.c)
 *     and the None ones it has (logger, callbacks), as LightningCLI lists each init arg;
 *   - limits as numbers: 1.0 a fraction, 10 batches (not the strings of the tree);
 *   - model: and data: with every hyperparameter the plugins' create hooks read, the
 *     defaults included (the record checkpoints save, hparams.h);
 *   - the order of Trainer.__init__'s signature, and LightningCLI's top-level order.
 */
#include "cli/print_config.h"

#include "cli/pynum.h"
#include "cli/yaml_config.h"
#include "plugin/loader.h"
#include "trainer/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trainer.__init__'s arguments in the order of its signature (Lightning 2.6); ltrun's
 * own flags follow in the table's order. */
static const char *const signature_order[] = {
    "accelerator", "strategy", "devices", "num_nodes", "precision", "logger", "callbacks",
    "fast_dev_run", "max_epochs", "min_epochs", "max_steps", "min_steps", "max_time",
    "limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches",
    "overfit_batches", "val_check_interval", "check_val_every_n_epoch", "num_sanity_val_steps",
    "log_every_n_steps", "enable_checkpointing", "enable_progress_bar", "enable_model_summary",
    "accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm", "deterministic",
    "benchmark", "inference_mode", "use_distributed_sampler", "profiler", "detect_anomaly",
    "barebones", "plugins", "sync_batchnorm", "reload_dataloaders_every_n_epochs",
    "default_root_dir", "enable_autolog_hparams", "model_registry", NULL};

/* LightningCLI's top level (after ltrun's plugin selectors, its class_path) */
static const char *const top_order[] = {"module", "datamodule", "seed_everything", "trainer",
                                        "model", "data", "ckpt_path", NULL};

/* the members of obj in `order` first, then the others as they were */
static void reorder(cJSON *obj, const char *const *order) {
    cJSON *sorted = cJSON_CreateObject();
    for (const char *const *k = order; *k; k++) {
        cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(obj, *k);
        if (it) cJSON_AddItemToObject(sorted, *k, it);
    }
    while (obj->child) {
        cJSON *it = cJSON_DetachItemViaPointer(obj, obj->child);
        cJSON_AddItemToObject(sorted, it->string, it);
    }
    while (sorted->child) {
        cJSON *it = cJSON_DetachItemViaPointer(sorted, sorted->child);
        cJSON_AddItemToObject(obj, it->string, it);
    }
    cJSON_Delete(sorted);
}

/* a limit the tree keeps as text ("1.0", "0.5") as the number it is: an integral
 * fraction as raw 1.0 (a float when read back, yaml_config.h), others as numbers */
static void limit_as_number(cJSON *trainer, cJSON *v) {
    if (!cJSON_IsString(v)) return;
    int64_t n;
    double d;
    cJSON *num = NULL;
    if (ltr_py_int(v->valuestring, &n) == LTR_PYNUM_OK) num = ltr_json_int(n);
    else if (ltr_py_float(v->valuestring, &d) == LTR_PYNUM_OK && isfinite(d)) {
        char lit[64];
        if (d != floor(d)) num = cJSON_CreateNumber(d);
        else if (fabs(d) < 1e16 && snprintf(lit, sizeof lit, "%.1f", d) > 0) num = cJSON_CreateRaw(lit);
    }
    /* ...InObject, not ...ViaPointer: the replacement needs the key (cJSON's lookups
     * stop at a member without one) */
    if (num) cJSON_ReplaceItemInObjectCaseSensitive(trainer, v->string, num);
}

static void add_trainer_defaults(cJSON *tr) {
    /* None defaults LightningCLI prints (logger None: the default logger) */
    static const char *const nones[] = {"logger", "callbacks", NULL};
    for (const char *const *k = nones; *k; k++)
        if (!cJSON_GetObjectItemCaseSensitive(tr, *k)) cJSON_AddNullToObject(tr, *k);
    /* the arguments ltrun runs at their default only; the lead wires real flags of the
     * same names into options.c's table, whose print defaults then come first */
    for (size_t i = 0; ltr_trainer_fixed_key(i); i++) {
        const char *key = ltr_trainer_fixed_key(i);
        if (cJSON_GetObjectItemCaseSensitive(tr, key)) continue;
        cJSON *v = cJSON_Parse(ltr_trainer_fixed_default(key));
        if (v) cJSON_AddItemToObject(tr, key, v);
    }
    for (cJSON *v = tr->child, *next; v; v = next) {
        next = v->next;
        if (ltr_trainer_key_type(v->string) == T_LIMIT) limit_as_number(tr, v);
    }
    reorder(tr, signature_order);
}

/* given values over what create read: every init arg in the order read, then any
 * given one create did not read (the run refuses it; a config keeps it visible) */
static void merge_read(cJSON *section, const cJSON *read) {
    if (!read) return;
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *it = read->child; it; it = it->next) {
        cJSON *given = cJSON_DetachItemFromObjectCaseSensitive(section, it->string);
        cJSON_AddItemToObject(out, it->string, given ? given : cJSON_Duplicate(it, 1));
    }
    while (section->child) {
        cJSON *it = cJSON_DetachItemViaPointer(section, section->child);
        cJSON_AddItemToObject(out, it->string, it);
    }
    while (out->child) {
        cJSON *it = cJSON_DetachItemViaPointer(out, out->child);
        cJSON_AddItemToObject(section, it->string, it);
    }
    cJSON_Delete(out);
}

/* trainer.callbacks as {class_path, init_args} with every init arg each callback's
 * create read (a bare NAME becomes that form; a single callback stays single) */
static void callbacks_read(cJSON *trainer, const cJSON *read) {
    cJSON *list = cJSON_GetObjectItemCaseSensitive(trainer, "callbacks");
    if (!read || !list) return;
    bool single = cJSON_IsObject(list);
    const cJSON *args = read->child;
    for (cJSON *cb = single ? list : list->child; cb && args; cb = single ? NULL : cb->next,
               args = args->next) {
        if (cJSON_IsString(cb)) { /* NAME -> {class_path: NAME, init_args: {}} */
            cJSON *form = cJSON_CreateObject();
            cJSON_AddStringToObject(form, "class_path", cb->valuestring);
            cJSON_AddObjectToObject(form, "init_args");
            cJSON_ReplaceItemViaPointer(list, cb, form); /* a list member: no key to keep */
            cb = form;
        }
        cJSON *init = cJSON_GetObjectItemCaseSensitive(cb, "init_args");
        if (!cJSON_IsObject(init)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cb, "init_args");
            init = cJSON_AddObjectToObject(cb, "init_args");
        }
        merge_read(init, args);
    }
}

/* Both plugins found: their create hooks, through the trainer (trainer.c). A plugin
 * that cannot be found is a warning: the trainer flags print all the same. */
static int plugin_hparams(const ltr_options *o, ltr_plugin_hparams *hp) {
    const char *specs[2] = {o->module_spec, o->data_spec};
    const char *flags[2] = {"--module", "--data"};
    lt_plugin_kind kinds[2] = {LT_KIND_MODULE, LT_KIND_DATAMODULE};
    if (!specs[0] && !specs[1]) return 0;
    for (int i = 0; i < 2; i++) {
        char path[4096], why[1024];
        if (!specs[i]) {
            fprintf(stderr, "ltrun: warning: --print-config: no %s given, so model: and data: "
                            "show only the hyperparameters given\n", flags[i]);
            return 0;
        }
        if (ltr_plugin_resolve(specs[i], kinds[i], path, sizeof path, why, sizeof why) != LT_OK) {
            fprintf(stderr, "ltrun: warning: --print-config: %s %s: %s; model: and data: show "
                            "only the hyperparameters given\n", flags[i], specs[i], why);
            return 0;
        }
    }
    ltr_options probe = *o;
    probe.hparams_out = hp;
    return ltr_trainer_run(&probe);
}

int ltr_print_config(const ltr_options *o, FILE *out, const char *header) {
    ltr_plugin_hparams hp = {0};
    int code = plugin_hparams(o, &hp);
    if (code) {
        cJSON_Delete(hp.model);
        cJSON_Delete(hp.data);
        cJSON_Delete(hp.callbacks);
        return code;
    }
    cJSON *tree = cJSON_Duplicate(o->tree, 1);
    add_trainer_defaults(cJSON_GetObjectItemCaseSensitive(tree, "trainer"));
    merge_read(cJSON_GetObjectItemCaseSensitive(tree, "model"), hp.model);
    merge_read(cJSON_GetObjectItemCaseSensitive(tree, "data"), hp.data);
    callbacks_read(cJSON_GetObjectItemCaseSensitive(tree, "trainer"), hp.callbacks);
    cJSON_Delete(hp.model);
    cJSON_Delete(hp.data);
    cJSON_Delete(hp.callbacks);
    /* LightningCLI prints ckpt_path: null for every subcommand */
    if (!cJSON_GetObjectItemCaseSensitive(tree, "ckpt_path")) cJSON_AddNullToObject(tree, "ckpt_path");
    reorder(tree, top_order);
    char *text = o->print_format == LTR_PRINT_JSON ? cJSON_Print(tree) : ltr_yaml_dump(tree, header);
    cJSON_Delete(tree);
    if (!text) {
        fputs("ltrun: error: --print-config: out of memory\n", stderr);
        return LTR_EXIT_TRAINING;
    }
    fputs(text, out);
    if (o->print_format == LTR_PRINT_JSON) fputc('\n', out);
    if (o->print_format == LTR_PRINT_JSON) cJSON_free(text);
    else free(text);
    return 0;
}
