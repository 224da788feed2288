/*
 * checkpoint_path.c — where `--ckpt-path` is honoured and the "last" checkpoint written
 * (hook point; loading and saving by the checkpoint work).
 *
 * Lightning restores a checkpoint after the setup hooks and before the loop
 * (trainer._run: setup, configure_model, _restore_modules_and_callbacks, then
 * strategy.setup / configure_optimizers and the optimizer/loop state for fit). ltrun's
 * run_stage calls ltr_checkpoint_restore at that point: the file is validated and the
 * weights loaded (fit, validate, test, predict); for fit the rest of the training state
 * waits for configure_optimizers (ltr_checkpoint_restore_training).
 *
 * "last" is <checkpoint dir>/last.h5 (checkpoint_dir.c: the first logger's version dir +
 * /checkpoints, default_root_dir/checkpoints without a logger), written at the end of fit (and after
 * the step a SIGINT/SIGTERM interrupted) while enable_checkpointing is true — the
 * minimal ModelCheckpoint(save_last=True) — Lightning's default ModelCheckpoint, added
 * only when no Checkpoint callback is given: with a model_checkpoint callback
 * (LT_CALLBACK_CHECKPOINT) configured, the trainer writes nothing itself.
 *
 * a Checkpoint callback reports best_model_path /
 * last_model_path through lt_checkpoint_paths_set (in setup and after each save). "best"
 * resolves to the reported best_model_path (Lightning's _checkpoint_connector
 * ._select_ckpt_path: trainer.checkpoint_callback.best_model_path, an error when empty or
 * without a ModelCheckpoint); "last" to the newest last*.h5 of the checkpoint dirs
 * (checkpoint_dir.c). For `ltrun test` in a new process the callback reads the
 * paths back in setup from the sidecar it keeps in its dirpath (model_checkpoint.c).
 */
#include "checkpoint/checkpoint.h"
#include "strategy/strategy.h"
#include "trainer/trainer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p; 0, or -1 with errno set */
static int ltr_mkdirs(const char *path) {
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

/* a Checkpoint callback the user gave (the default ModelCheckpoint leaves the trainer's
 * own last.h5 in place: `--ckpt-path last` resumes from it) */
static bool has_checkpoint_callback(const ltr_trainer *t) {
    for (int i = 0; i < t->cbs.n; i++)
        if ((t->cbs.items[i].vt->traits & LT_CALLBACK_CHECKPOINT) && !t->cbs.items[i].implicit)
            return true;
    return false;
}

/* ABI 1.4: model_checkpoint paths */
void ltr_api_checkpoint_paths_set(lt_ctx *ctx, const char *best, const char *last) {
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    if (!t) return;
    snprintf(t->ckpt.best_path, sizeof t->ckpt.best_path, "%s", best ? best : "");
    snprintf(t->ckpt.last_path, sizeof t->ckpt.last_path, "%s", last ? last : "");
}

/* The --ckpt-path file known at start-up: false when there is none to check yet ("best"
 * is known only after the callbacks' setup, and a missing "last" is the restore's
 * warning), or with *rc set when the path names no file. */
static bool startup_path(ltr_trainer *t, char *path, size_t cap, lt_status *rc) {
    const char *cp = t->opts->ckpt_path;
    *rc = LT_OK;
    if (!cp || !strcmp(cp, "best")) return false;
    if (!strcmp(cp, "last")) return ltr_checkpoint_last_path(t, path, cap);
    snprintf(path, cap, "%s", cp);
    struct stat st;
    if (stat(path, &st) != 0) { /* a path that does not exist is a usage error (2) */
        ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path %s: no such file (%s)", path, strerror(errno));
        *rc = LT_ERROR;
        return false;
    }
    return true;
}

/* Start-up, before any plugin's create: the structural validation (ckpt_validate.c), so
 * a refused checkpoint runs no plugin code, and its saved hparams are used only once the
 * file passed. */
lt_status ltr_checkpoint_precheck(ltr_trainer *t) {
    char path[4096], err[4096];
    lt_status rc;
    if (!startup_path(t, path, sizeof path, &rc)) return rc;
    if (ltr_ckpt_check_file(path, err, sizeof err)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", err);
        return LT_ERROR;
    }
    return LT_OK;
}

/* After the module's create (its parameters exist), before callbacks and loggers load:
 * phase 1 (the state_dict matched against the module and read), kept for
 * ltr_checkpoint_restore, which applies it where Lightning does (after setup). So a
 * mismatched or corrupt tensor is refused before any logger makes its folder. */
lt_status ltr_checkpoint_open_early(ltr_trainer *t) {
    char path[4096], err[4096];
    lt_status rc;
    /* ABI 1.9: a module with configure_model may build its parameters there: its
     * state_dict is matched when the weights are restored, after configure_model */
    if (LTR_HOOK(t->mvt, lt_module_vtable, configure_model)) return LT_OK;
    if (!startup_path(t, path, sizeof path, &rc)) return rc;
    ltr_ckpt *c = ltr_ckpt_open(t, path, t->opts->ckpt_strict, err, sizeof err);
    if (!c) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", err);
        return LT_ERROR;
    }
    ltr_ckpt_close(t->ckpt.pending);
    t->ckpt.pending = c;
    return LT_OK;
}

lt_status ltr_checkpoint_restore(ltr_trainer *t, const char *ckpt_path, lt_stage stage) {
    if (!ckpt_path) return LT_OK;
    char path[4096];
    if (!strcmp(ckpt_path, "last")) {
        if (!ltr_checkpoint_last_path(t, path, sizeof path)) { /* checkpoint_dir.c */
            char dir[2048];
            ltr_checkpoint_dir(t, dir, sizeof dir);
            /* Lightning's _select_ckpt_path warns and loads nothing: fit starts from
             * scratch; evaluating "last" without one is an error in ltrun */
            if (stage == LT_STAGE_FIT) {
                fprintf(stderr, "UserWarning: .fit(ckpt_path=\"last\") is set, but there is no "
                                "last checkpoint available. No checkpoint will be loaded. HINT: "
                                "Set `ModelCheckpoint(..., save_last=True)`. (looked in %s)\n",
                        t->ckpt.ndirpaths ? t->ckpt.dirpaths[0] : dir);
                return LT_OK;
            }
            ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path last: no last checkpoint at %s "
                              "(ltrun fit writes last.h5 there when enable_checkpointing is "
                              "true; a new run's logger version is a new folder: pass the file, "
                              "a fixed logger version or a model_checkpoint dirpath)",
                              t->ckpt.ndirpaths ? t->ckpt.dirpaths[0] : dir);
            return LT_ERROR;
        }
        char here[2048];
        ltr_checkpoint_dir(t, here, sizeof here);
        size_t hn = strlen(here);
        if (strncmp(path, here, hn) || path[hn] != '/') /* say which, when it is not here */
            fprintf(stderr, "ltrun: --ckpt-path last: the newest last checkpoint of this "
                            "experiment is %s (an earlier run's folder; this run logs to %s)\n",
                    path, here);
    } else if (!strcmp(ckpt_path, "best")) {
        /* Lightning's _select_ckpt_path for "best" */
        const char *fn = stage == LT_STAGE_FIT ? "fit" : stage == LT_STAGE_VALIDATE ? "validate"
                         : stage == LT_STAGE_TEST ? "test" : "predict";
        if (!has_checkpoint_callback(t)) {
            ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path best: .%s(ckpt_path=\"best\") is set "
                              "but `ModelCheckpoint` is not configured; pass the fit's "
                              "--callback model_checkpoint:{...} (same dirpath), a file or "
                              "\"last\"", fn);
            return LT_ERROR;
        }
        if (!t->ckpt.best_path[0]) {
            ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path best: .%s(ckpt_path=\"best\") is set "
                              "but `ModelCheckpoint` is not configured to save the best model "
                              "(best_model_path is empty: no fit saved into its dirpath yet)", fn);
            return LT_ERROR;
        }
        snprintf(path, sizeof path, "%s", t->ckpt.best_path);
        struct stat st;
        if (stat(path, &st) != 0) {
            ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path best: best_model_path %s: no such "
                              "file (%s)", path, strerror(errno));
            return LT_ERROR;
        }
    } else {
        snprintf(path, sizeof path, "%s", ckpt_path);
        struct stat st;
        if (stat(path, &st) != 0) { /* a path that does not exist is a usage error (2) */
            ltr_trainer_error(t, LTR_EXIT_USAGE, "--ckpt-path %s: no such file (%s)", path,
                              strerror(errno));
            return LT_ERROR;
        }
    }
    char err[4096];
    /* opened at start-up (ltr_checkpoint_open_early) when it is the same file */
    ltr_ckpt *c = t->ckpt.pending;
    t->ckpt.pending = NULL;
    if (c && strcmp(ltr_ckpt_path(c), path)) {
        ltr_ckpt_close(c);
        c = NULL;
    }
    if (!c) c = ltr_ckpt_open(t, path, t->opts->ckpt_strict, err, sizeof err);
    if (!c) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", err);
        return LT_ERROR;
    }
    if (ltr_ckpt_warning(c)) fprintf(stderr, "UserWarning: %s\n", ltr_ckpt_warning(c));
    if (stage == LT_STAGE_FIT && ltr_ckpt_weights_only(c)) {
        char msg[1024];
        ltr_ckpt_apply_training(t, c, msg, sizeof msg); /* the weights-only message */
        ltr_ckpt_close(c);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", msg);
        return LT_ERROR;
    }
    /* Lightning's restore_model (the module's on_load_checkpoint, then the
     * weights) and restore_datamodule / restore_callbacks (ckpt_hooks.c) */
    if (ltr_ckpt_load_module_hook(t, c, err, sizeof err)) {
        ltr_ckpt_close(c);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "checkpoint '%s': %s", path, err);
        return LT_ERROR;
    }
    ltr_ckpt_apply_weights(t, c);
    if (ltr_ckpt_load_other_hooks(t, c, stage == LT_STAGE_FIT, err, sizeof err)) {
        ltr_ckpt_close(c);
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "checkpoint '%s': %s", path, err);
        return LT_ERROR;
    }
    fprintf(stderr, "Restoring states from the checkpoint path at %s\n", path);
    if (stage == LT_STAGE_FIT) t->ckpt.pending = c; /* the rest after configure_optimizers */
    else ltr_ckpt_close(c);
    return LT_OK;
}

lt_status ltr_checkpoint_restore_training(ltr_trainer *t) {
    ltr_ckpt *c = t->ckpt.pending;
    if (!c) return LT_OK;
    t->ckpt.pending = NULL;
    char err[2048];
    lt_status rc = ltr_ckpt_apply_training(t, c, err, sizeof err);
    ltr_ckpt_close(c);
    if (rc) ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", err);
    return rc;
}

/* One checkpoint file, built and written by the ranks the strategy chooses. */
typedef struct ckpt_write {
    ltr_trainer *t;
    bool weights_only;
    const char *mkdir;  /* a folder to create first (the "last" checkpoint's), or NULL */
    char err[4096];
} ckpt_write;

static lt_status write_file(void *arg, const char *path) {
    ckpt_write *w = arg;
    if (w->mkdir && ltr_mkdirs(w->mkdir) != 0) {
        snprintf(w->err, sizeof w->err, "cannot create the checkpoint folder %s (%s)", w->mkdir,
                 strerror(errno));
        return LT_ERROR;
    }
    return ltr_ckpt_save(w->t, path, w->weights_only, w->err, sizeof w->err);
}

/* Lightning's trainer.save_checkpoint: strategy.save_checkpoint, then a barrier. An error
 * is in w->err, or on the context when the strategy itself failed. */
static lt_status save_through_strategy(ltr_trainer *t, const char *path, ckpt_write *w) {
    ltr_strategy *s = t->strategy;
    w->err[0] = '\0';
    lt_status rc = s->ops->save_checkpoint(s, &t->ctx.pub, path, write_file, w);
    if (rc == LT_OK) rc = s->ops->barrier(s, &t->ctx.pub, "Trainer.save_checkpoint");
    if (rc != LT_OK && !w->err[0]) {
        char msg[1024] = "";
        ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
        snprintf(w->err, sizeof w->err, "strategy '%s', save_checkpoint %s: %s", s->ops->name,
                 path, msg[0] ? msg : "failed without a message");
    }
    return rc;
}

lt_status ltr_checkpoint_save_last(ltr_trainer *t) {
    const ltr_trainer_config *cfg = &t->opts->trainer;
    if (!cfg->enable_checkpointing || cfg->fast_dev_run > 0) return LT_OK;
    if (has_checkpoint_callback(t)) return LT_OK; /* the given ModelCheckpoint saves */
    char dir[2048], path[2100];
    ltr_checkpoint_dir(t, dir, sizeof dir); /* the first logger's version dir */
    ckpt_write w = {.t = t, .weights_only = false, .mkdir = dir};
    if (t->ckpt.last_path[0]) snprintf(path, sizeof path, "%s", t->ckpt.last_path);
    else snprintf(path, sizeof path, "%s/last.h5", dir);
    if (save_through_strategy(t, path, &w)) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING, "%s", w.err);
        return LT_ERROR;
    }
    return LT_OK;
}

/* ABI 1.4: checkpoints — trainer.save_checkpoint(path, weights_only) for modules and
 * callbacks (the model_checkpoint callback writes through here) */
lt_status ltr_api_save_checkpoint(lt_ctx *ctx, const char *path, bool weights_only) {
    ltr_trainer *t = ltr_ctx_of(ctx)->trainer;
    if (!t) return ltr_fail(ctx, "lt_save_checkpoint: no trainer is running");
    if (!path || !*path) return ltr_fail(ctx, "lt_save_checkpoint: no path given");
    ckpt_write w = {.t = t, .weights_only = weights_only};
    if (save_through_strategy(t, path, &w)) return ltr_fail(ctx, "lt_save_checkpoint: %s", w.err);
    return LT_OK;
}
