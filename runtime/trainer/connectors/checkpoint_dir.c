/*
 * checkpoint_dir.c — where checkpoints go and where `--ckpt-path last` looks (ABI 1.5).
 *
 * Reproduces Lightning's ModelCheckpoint.__resolve_ckpt_dir (no dirpath argument):
 *   with loggers: os.path.join(loggers[0].save_dir or default_root_dir, loggers[0].name,
 *                 version if str else f"version_{version}", "checkpoints") — the
 *                 logger's version_dir hook gives everything before "checkpoints" (its
 *                 version resolved once, at create, so logs and checkpoints share it);
 *   without:      default_root_dir/checkpoints.
 * A first logger built against ABI 1.4 (no version_dir hook) gets
 * default_root_dir/checkpoints (ltrun's choice: it cannot name its folder).
 * The trainer's own "last" checkpoint (checkpoint_path.c, when no Checkpoint callback is
 * configured — Lightning's default ModelCheckpoint) is written there as last.h5.
 *
 * `--ckpt-path last` (checkpoint_connector._select_ckpt_path): the candidates are every
 * last*.h5 (stem matching ^last(-\d+)?, i.e. starting with "last") in the dirpath of
 * each Checkpoint callback (reported through lt_checkpoint_dirpath_add in setup), and
 * in the directory above when no Checkpoint callback is configured; the newest by
 * modification time wins. A callback's reported last_model_path is a candidate too (a
 * Checkpoint callback that does not report its dirpath).
 */
#include "trainer/trainer.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void ltr_checkpoint_dir(const ltr_trainer *t, char *buf, size_t cap) {
    const char *root = t->opts->trainer.default_root_dir;
    if (t->lgs.n > 0) {
        const ltr_logger *lg = &t->lgs.items[0];
        lt_status (*fn)(lt_ctx *, void *, char *, size_t) =
            LTR_HOOK(lg->vt, lt_logger_vtable, version_dir);
        char dir[2048] = "";
        lt_ctx *ctx = (lt_ctx *)&t->ctx.pub;
        lt_status rc = fn ? fn(ctx, lg->self, dir, sizeof dir) : LT_ERROR;
        ltr_ctx_take_error((ltr_ctx *)&t->ctx, NULL, 0); /* a failing hook: the fallback */
        if (rc == LT_OK && dir[0]) {
            snprintf(buf, cap, "%s/checkpoints", dir);
            return;
        }
    }
    snprintf(buf, cap, "%s/checkpoints", root);
}

/* a Checkpoint callback the user gave (the default ModelCheckpoint leaves the trainer's
 * own last.h5 in place: `--ckpt-path last` resumes from it) */
static bool has_checkpoint_callback(const ltr_trainer *t) {
    for (int i = 0; i < t->cbs.n; i++)
        if ((t->cbs.items[i].vt->traits & LT_CALLBACK_CHECKPOINT) && !t->cbs.items[i].implicit)
            return true;
    return false;
}

static bool newer(const struct stat *a, const struct stat *b) {
    return a->st_mtim.tv_sec != b->st_mtim.tv_sec ? a->st_mtim.tv_sec > b->st_mtim.tv_sec
                                                  : a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

static void consider(const char *path, char *best, size_t cap, struct stat *best_st) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (best[0] && !newer(&st, best_st)) return;
    snprintf(best, cap, "%s", path);
    *best_st = st;
}

static void scan(const char *dir, char *best, size_t cap, struct stat *best_st) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        /* "last*.h5": never a temp file of a save (those start with '.', util/tmpfile.h) */
        if (strncmp(e->d_name, "last", 4) || n < 7 || strcmp(e->d_name + n - 3, ".h5")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        consider(path, best, cap, best_st);
    }
    closedir(d);
}

/* every <experiment>/<version>/checkpoints folder's last*.h5 */
static void scan_versions(const char *experiment, char *best, size_t cap, struct stat *best_st) {
    DIR *d = opendir(experiment);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s/checkpoints", experiment, e->d_name) <
            sizeof path)
            scan(path, best, cap, best_st);
    }
    closedir(d);
}

/* Beyond Lightning (whose "last" looks in the new run's folder only): a new run's logger
 * makes a new version folder, so `last` takes the newest last*.h5 of the same experiment
 * (<save_dir>/<name>/<any version>/checkpoints). Before the loggers exist (start-up) the
 * default logger's <default_root_dir>/lightning_logs is that experiment. */
static void scan_experiment(const ltr_trainer *t, char *best, size_t cap, struct stat *best_st) {
    char exp[4096];
    if (t->lgs.n > 0) {
        ltr_checkpoint_dir(t, exp, sizeof exp);
        char *s = strrchr(exp, '/');
        if (!s || strcmp(s, "/checkpoints")) return;
        *s = '\0';
        if (!(s = strrchr(exp, '/')) || s == exp) return;
        *s = '\0'; /* the version folder's parent */
    } else if (!t->opts->logger_disabled && !t->lgs.dummy) {
        snprintf(exp, sizeof exp, "%s/lightning_logs", t->opts->trainer.default_root_dir);
    } else {
        return;
    }
    scan_versions(exp, best, cap, best_st);
}

bool ltr_checkpoint_last_path(const ltr_trainer *t, char *buf, size_t cap) {
    struct stat st = {0};
    buf[0] = '\0';
    for (int i = 0; i < t->ckpt.ndirpaths; i++) scan(t->ckpt.dirpaths[i], buf, cap, &st);
    if (t->ckpt.last_path[0]) consider(t->ckpt.last_path, buf, cap, &st);
    if (!has_checkpoint_callback(t)) {
        char dir[4096];
        ltr_checkpoint_dir(t, dir, sizeof dir);
        scan(dir, buf, cap, &st);
        scan_experiment(t, buf, cap, &st);
    }
    return buf[0] != '\0';
}

/* ABI 1.5: checkpoint dir */
lt_status ltr_api_checkpoint_dir(lt_ctx *ctx, char *buf, size_t cap) {
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    if (!t) return ltr_fail(ctx, "lt_checkpoint_dir: no trainer is running");
    if (!buf || cap == 0) return ltr_fail(ctx, "lt_checkpoint_dir: no buffer");
    ltr_checkpoint_dir(t, buf, cap);
    return LT_OK;
}

void ltr_api_checkpoint_dirpath_add(lt_ctx *ctx, const char *dirpath) {
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    if (!t || !dirpath || !dirpath[0]) return;
    for (int i = 0; i < t->ckpt.ndirpaths; i++)
        if (!strcmp(t->ckpt.dirpaths[i], dirpath)) return;
    if (t->ckpt.ndirpaths == (int)(sizeof t->ckpt.dirpaths / sizeof t->ckpt.dirpaths[0])) return;
    snprintf(t->ckpt.dirpaths[t->ckpt.ndirpaths++], sizeof t->ckpt.dirpaths[0], "%s", dirpath);
}
