/* crash_module.c — a module that crashes or hangs inside a hook on request, for the
 * fault handler's tests (tests/test_fault.sh). A 2-in 2-out linear layer on fail_data's
 * samples (x float [2], y int64). hparams:
 *   crash     none | training_step | validation_step | on_save_checkpoint
 *   how       segv (a write through NULL) | abort | stack (unbounded recursion) | spin
 *             (loops forever; prints "crashy: spinning" first) | fail (training_step
 *             returns an error: an exception, not a crash)
 *   at_batch  the batch of the epoch whose step crashes (default 3; validation: the
 *             validation batch) */
#include <ltrun.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lt_linear_layer fc;
    const char *crash, *how;
    int64_t at_batch;
} crashy;

static void *cr_create(lt_ctx *ctx, const lt_hparams *hp) {
    crashy *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 2)) return NULL;
    m->crash = lt_hp_str(ctx, hp, "crash", "none");
    m->how = lt_hp_str(ctx, hp, "how", "segv");
    m->at_batch = lt_hp_int(ctx, hp, "at_batch", 3);
    return m;
}

/* no tail call: each level keeps a page of its own stack alive */
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* on purpose */
static int deep(volatile char *up, int n) {
    volatile char page[4096];
    page[0] = (char)n;
    page[4095] = up ? up[0] : 0;
    return deep(page, n + 1) + page[4095];
}

static void do_crash(const crashy *m) {
    if (!strcmp(m->how, "abort")) abort();
    if (!strcmp(m->how, "stack")) {
        deep(NULL, 0);
    } else if (!strcmp(m->how, "spin")) {
        fputs("crashy: spinning\n", stderr);
        for (volatile uint64_t k = 0;; k++) {}
    }
    /* a NULL struct's member: a real fault (UBSan would stop a write to NULL itself) */
    volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
    *nowhere = 1;
}

static lt_tensor *cr_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    crashy *m = self;
    if (!strcmp(m->crash, "training_step") && i == m->at_batch) {
        if (!strcmp(m->how, "fail")) {
            lt_fail(ctx, "crashy: failing on purpose at batch %lld", (long long)i);
            return NULL;
        }
        do_crash(m);
    }
    return lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}

static lt_status cr_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    crashy *m = self;
    if (!strcmp(m->crash, "validation_step") && i == m->at_batch && !ctx->sanity_checking) do_crash(m);
    lt_log(ctx, "val_loss",
           lt_cross_entropy(ctx, lt_linear(ctx, &m->fc, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1)), 0);
    return LT_OK;
}

static lt_optimizer *cr_configure_optimizers(lt_ctx *ctx, void *self) {
    (void)self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    return lt_sgd(ctx, &o);
}

static lt_status cr_on_save_checkpoint(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    (void)ctx, (void)w;
    crashy *m = self;
    if (!strcmp(m->crash, "on_save_checkpoint")) do_crash(m);
    return LT_OK;
}

LT_MODULE(crashy, .create = cr_create, .training_step = cr_training_step,
          .validation_step = cr_validation_step, .configure_optimizers = cr_configure_optimizers,
          .on_save_checkpoint = cr_on_save_checkpoint)
