/* save_callback.c — trainer.save_checkpoint from a callback (tests/test_checkpoint.sh): at on_train_epoch_end of epoch `epoch` (init arg, default 0)
 * it calls lt_save_checkpoint(ctx, path, weights_only), or with `step` at on_train_batch_end
 * when global_step reaches it. Init args: path, weights_only, epoch, step. */
#include "ltrun.h"

#include <stdbool.h>

typedef struct {
    const char *path;
    bool weights_only;
    int64_t epoch, step;
} sc;

static void *sc_create(lt_ctx *ctx, const lt_hparams *hp) {
    sc *s = lt_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->path = lt_hp_str(ctx, hp, "path", "saved.h5");
    s->weights_only = lt_hp_bool(ctx, hp, "weights_only", false);
    s->epoch = lt_hp_int(ctx, hp, "epoch", 0);
    s->step = lt_hp_int(ctx, hp, "step", -1);
    return s;
}

static lt_status sc_on_train_epoch_end(lt_ctx *ctx, void *self) {
    sc *s = self;
    if (s->step >= 0 || ctx->current_epoch != s->epoch) return LT_OK;
    return lt_save_checkpoint(ctx, s->path, s->weights_only);
}

/* step >= 0: save in on_train_batch_end once global_step reaches it (mid-epoch) */
static lt_status sc_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)o, (void)b, (void)i;
    sc *s = self;
    if (s->step < 0 || ctx->global_step != s->step) return LT_OK;
    return lt_save_checkpoint(ctx, s->path, s->weights_only);
}

LT_CALLBACK(save_ckpt, .create = sc_create, .on_train_epoch_end = sc_on_train_epoch_end,
            .on_train_batch_end = sc_on_train_batch_end)
