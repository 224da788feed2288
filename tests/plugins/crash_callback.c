/* crash_callback.c — a callback whose on_train_batch_end writes through NULL at batch
 * `at_batch` (init arg, default 2) of epoch 0, for tests/test_fault.sh. */
#include <ltrun.h>

#include <stdint.h>

typedef struct {
    int64_t at_batch;
} ccb;

static void *ccb_create(lt_ctx *ctx, const lt_hparams *hp) {
    ccb *c = lt_alloc(ctx, sizeof *c);
    if (!c) return NULL;
    c->at_batch = lt_hp_int(ctx, hp, "at_batch", 2);
    return c;
}

static lt_status ccb_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)o, (void)b;
    const ccb *c = self;
    if (ctx->current_epoch == 0 && i == c->at_batch) {
        /* a NULL struct's member: a real fault (UBSan would stop a write to NULL itself) */
        volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
        *nowhere = 1;
    }
    return LT_OK;
}

LT_CALLBACK(crashcb, .create = ccb_create, .on_train_batch_end = ccb_on_train_batch_end)
