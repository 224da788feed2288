/*
 * ckpt_hparams.c — load_from_checkpoint's hyperparameters (issue 5). Owned by the
 * checkpoint work.
 *
 * LightningCLI._parse_ckpt_path: when ckpt_path names a file, the hyper_parameters saved
 * in it become the model's defaults and the command line's --model.x apply on top; then
 * the module is built (__init__ gets the merged values) and the weights loaded. ltrun does
 * the same for the data module's hparams (datamodule_hyper_parameters), as
 * LightningDataModule.load_from_checkpoint would. "last" resolves to the last checkpoint
 * when it exists; "best" and missing files change nothing (the restore reports them).
 * The file is only read (JSON text), checked like any checkpoint (ltr_h5_check_safe) and
 * never executed; an unreadable one changes nothing and the restore reports why. Only a
 * checkpoint of the same plugin (its /meta module / datamodule name) contributes hparams,
 * as LightningCLI applies them only to the saved class.
 */
#include "checkpoint/checkpoint.h"
#include "trainer/trainer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static cJSON *read_saved(const char *path, const char *which, const char *plugin) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || H5Fis_hdf5(path) <= 0) return NULL;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return NULL;
    char err[256];
    cJSON *out = NULL;
    if (ltr_h5_check_safe(f, err, sizeof err) == LT_OK && H5Lexists(f, "meta", H5P_DEFAULT) > 0 &&
        H5Lexists(f, "hparams", H5P_DEFAULT) > 0) {
        hid_t m = H5Gopen2(f, "meta", H5P_DEFAULT);
        char *fmt = ltr_h5_get_str(m, "format");
        /* only the same plugin's hparams (LightningCLI: the saved class path) */
        char *name = ltr_h5_get_str(m, !strcmp(which, "module") ? "module" : "datamodule");
        if (!name || !plugin || strcmp(name, plugin)) {
            free(fmt);
            fmt = NULL;
        }
        free(name);
        H5Gclose(m);
        hid_t h = H5Gopen2(f, "hparams", H5P_DEFAULT);
        char *text = fmt && !strcmp(fmt, LTR_CKPT_FORMAT) && H5Lexists(h, which, H5P_DEFAULT) > 0
                         ? ltr_h5_read_str(h, which) : NULL;
        H5Gclose(h);
        out = text ? cJSON_Parse(text) : NULL;
        if (out && !cJSON_IsObject(out)) {
            cJSON_Delete(out);
            out = NULL;
        }
        free(fmt);
        free(text);
    }
    H5Fclose(f);
    return out;
}

cJSON *ltr_ckpt_merged_hparams(const ltr_trainer *t, const char *which, const cJSON *given) {
    const char *cp = t->opts->ckpt_path;
    if (!cp || !strcmp(cp, "best")) return NULL;
    char path[2048];
    if (!strcmp(cp, "last")) ltr_checkpoint_last_path(t, path, sizeof path);
    else snprintf(path, sizeof path, "%s", cp);
    ltr_h5_init();
    const ltr_plugin *p = !strcmp(which, "module") ? &t->module_plugin : &t->data_plugin;
    cJSON *saved = read_saved(path, which, p->desc ? p->desc->name : NULL);
    if (!saved) return NULL;
    /* the command line (and config) on top of the saved values */
    for (const cJSON *it = given ? given->child : NULL; it; it = it->next) {
        cJSON *copy = cJSON_Duplicate(it, true);
        if (!copy) continue;
        if (cJSON_GetObjectItemCaseSensitive(saved, it->string))
            cJSON_ReplaceItemInObjectCaseSensitive(saved, it->string, copy);
        else
            cJSON_AddItemToObject(saved, it->string, copy);
    }
    return saved;
}
