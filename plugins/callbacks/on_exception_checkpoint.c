/*
 * on_exception_checkpoint.c — Lightning's OnExceptionCheckpoint
 * (callbacks/on_exception_checkpoint.py) as a callback plugin: when an error ends the run
 * (on_exception), the trainer's state is written to dirpath/filename.h5 through
 * trainer.save_checkpoint, so the work done so far can be resumed (--ckpt-path FILE).
 *
 * init args (Lightning's names): dirpath (required: an error can come at any moment, so
 * it is not resolved later in setup), filename "on_exception" (without the extension;
 * empty is refused, as Lightning's ValueError "The filename cannot be empty").
 * Reproduced behaviour: a Checkpoint (so, as in Lightning, it counts among the trainer's
 * checkpoint callbacks: no default ModelCheckpoint is added beside it); an existing file is
 * overwritten; teardown (called only after a run that ended without an error) removes
 * the file, as Lightning's strategy.remove_checkpoint(ckpt_path) does.
 */
#define _POSIX_C_SOURCE 200809L
#define LT_PLUGIN_DESCRIPTION "Lightning's OnExceptionCheckpoint: a checkpoint when an error stops fit"
#include "ltrun.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char ckpt_path[2048]; /* os.path.join(dirpath, filename + FILE_EXTENSION) */
    char dirpath[1024];
} on_exception_checkpoint;

static void *oec_create(lt_ctx *ctx, const lt_hparams *hp) {
    const char *dir = lt_hp_str(ctx, hp, "dirpath", NULL);
    const char *filename = lt_hp_str(ctx, hp, "filename", "on_exception");
    if (!dir || !dir[0]) {
        lt_fail(ctx, "on_exception_checkpoint: dirpath is required (the folder the checkpoint "
                     "goes to), e.g. --callback 'on_exception_checkpoint:{\"dirpath\": \".\"}'");
        return NULL;
    }
    if (!filename || !filename[0]) {
        lt_fail(ctx, "on_exception_checkpoint: The filename cannot be empty");
        return NULL;
    }
    on_exception_checkpoint *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    size_t dl = strlen(dir);
    int n = snprintf(o->ckpt_path, sizeof o->ckpt_path, "%s%s%s.h5", dir,
                     dl && dir[dl - 1] == '/' ? "" : "/", filename);
    if (n < 0 || (size_t)n >= sizeof o->ckpt_path || dl >= sizeof o->dirpath) {
        lt_fail(ctx, "on_exception_checkpoint: dirpath/filename is longer than %zu bytes",
                sizeof o->ckpt_path - 1);
        free(o);
        return NULL;
    }
    memcpy(o->dirpath, dir, dl + 1);
    return o;
}

static void oec_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static void oec_on_exception(lt_ctx *ctx, void *self, const char *message) {
    (void)message;
    on_exception_checkpoint *o = self;
    /* torch.save makes no folder; the CheckpointIO's makedirs does (exist_ok) */
    mkdir(o->dirpath, 0777);
    if (lt_save_checkpoint(ctx, o->ckpt_path, false) == LT_OK)
        fprintf(stderr, "on_exception_checkpoint: saved the state at the error to %s "
                        "(resume with --ckpt-path %s)\n", o->ckpt_path, o->ckpt_path);
}

static lt_status oec_teardown(lt_ctx *ctx, void *self, lt_stage stage) {
    (void)ctx;
    (void)stage;
    on_exception_checkpoint *o = self;
    if (remove(o->ckpt_path) && errno != ENOENT)
        fprintf(stderr, "UserWarning: on_exception_checkpoint: could not remove %s (%s)\n",
                o->ckpt_path, strerror(errno));
    return LT_OK;
}

LT_CALLBACK(on_exception_checkpoint, .traits = LT_CALLBACK_CHECKPOINT, .create = oec_create,
            .destroy = oec_destroy, .on_exception = oec_on_exception, .teardown = oec_teardown)
