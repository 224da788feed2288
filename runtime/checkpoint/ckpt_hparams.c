/*
 * ckpt_hparams.c — load_from_checkpoint's hyperparameters.
 *
 * LightningCLI._parse_ckpt_path: when ckpt_path names a file, the hyper_parameters saved
 * in it become the model's defaults and the command line's --model.x apply on top; then
 * the module is built (__init__ gets the merged values) and the weights loaded. Only the
 * model's: the CLI parses them as {subcommand: {"model": hparams}} and never reads
 * datamodule_hyper_parameters; only a Python call of LightningDataModule.load_from_checkpoint
 * uses those. ltrun does the same by default: the data module's saved hparams are names of
 * files and folders (data_dir, cache_dir, a csv path), and taking them from a checkpoint
 * let a file someone handed over decide what is read and written (a saved cache_dir made
 * `ltrun test --ckpt-path X` write the decompressed test set into that folder; a saved csv
 * path made the csv plugin open /etc/passwd and quote it). They apply only with
 * --data-from-checkpoint. Every saved value used is named on stderr, one line per module.
 *
 * "last" resolves to the last checkpoint when it exists; "best" and missing files change
 * nothing (the restore reports them). The file is only read (JSON text), checked like any
 * checkpoint (ltr_h5_check_safe) and never executed; an unreadable one changes nothing and
 * the restore reports why. Only a checkpoint of the same plugin (its /meta module /
 * datamodule name) contributes hparams, as LightningCLI applies them only to the saved class.
 */
#include "checkpoint/checkpoint.h"
#include "cli/pynum.h"
#include "util/term_escape.h"

#include <stdbool.h>
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
        if (out) ltr_json_exact_ints(out, text); /* int64 hparams come back exact */
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

/* Append at most `most` bytes of text to out[len..cap), escaped (util/term_escape.h): a
 * checkpoint's strings reach the user's terminal. */
static size_t put_safe(char *out, size_t len, size_t cap, const char *text, size_t most) {
    if (len >= cap) return len;
    char *e = ltr_term_escaped(text);
    int w = snprintf(out + len, cap - len, "%.*s", (int)most, e ? e : "?");
    free(e);
    return w < 0 ? len : len + (size_t)w < cap ? len + (size_t)w : cap - 1;
}

/* "key=value, ..." of the saved values that were used (not given on the command line),
 * the values as compact JSON, long ones cut. */
static void list_used(const cJSON *saved, const cJSON *given, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (const cJSON *it = saved->child; it && len + 8 < cap; it = it->next) {
        if (given && cJSON_GetObjectItemCaseSensitive(given, it->string)) continue;
        char *v = cJSON_PrintUnformatted(it);
        if (len) len = put_safe(out, len, cap, ", ", 2);
        len = put_safe(out, len, cap, it->string ? it->string : "?", 64);
        len = put_safe(out, len, cap, "=", 1);
        len = put_safe(out, len, cap, v ? v : "?", 80);
        if (v && strlen(v) > 80) len = put_safe(out, len, cap, "...", 3);
        cJSON_free(v);
    }
}

cJSON *ltr_ckpt_hparams_from(const char *path, const char *which, const char *plugin,
                             bool data_from_checkpoint, const cJSON *given) {
    ltr_h5_init();
    bool module = !strcmp(which, "module");
    const char *name = plugin ? plugin : "?";
    cJSON *saved = read_saved(path, which, plugin);
    if (!saved) return NULL;
    char used[1024];
    list_used(saved, given, used, sizeof used);
    if (!module && !data_from_checkpoint) {
        /* file and folder names from a checkpoint: only when the user asks */
        if (used[0])
            fprintf(stderr, "ltrun: not using the data module hparams saved in %s (%s): pass "
                            "--data-from-checkpoint to use them, or --data.KEY\n", path, used);
        cJSON_Delete(saved);
        return NULL;
    }
    if (used[0])
        fprintf(stderr, "ltrun: using hparams saved in %s for %s '%s': %s; pass --%s.KEY to "
                        "override\n", path, module ? "module" : "data module", name, used,
                module ? "model" : "data");
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
