/*
 * weights_probe.c — a callback for the weight averaging tests (test_weight_averaging.sh).
 * Given after the averaging callback, it prints every parameter value (through
 * lt_param_at, %.9g): "step G w=..." at each on_train_batch_end (G = global_step, the
 * weights the optimizer step made), "val E w=..." at each on_validation_epoch_start (what
 * validation runs on) and "end w=..." at on_train_end.
 */
#include <ltrun.h>

#include <stdio.h>

static void *p_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    return lt_alloc(ctx, 1);
}

static void weights(lt_ctx *ctx) {
    printf(" w=");
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        lt_tensor *p = lt_param_at(ctx, i, NULL);
        const float *d = lt_data(ctx, p);
        for (int64_t k = 0; k < lt_numel(ctx, p); k++) printf("%.9g ", d[k]);
    }
    printf("\n");
}

static lt_status p_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)self, (void)o, (void)b, (void)i;
    printf("step %lld", (long long)ctx->global_step);
    weights(ctx);
    return LT_OK;
}

static lt_status p_val_start(lt_ctx *ctx, void *self) {
    (void)self;
    printf("val %lld", (long long)ctx->current_epoch);
    weights(ctx);
    return LT_OK;
}

static lt_status p_train_end(lt_ctx *ctx, void *self) {
    (void)self;
    printf("end");
    weights(ctx);
    return LT_OK;
}

LT_CALLBACK(weights_probe, .create = p_create, .on_train_batch_end = p_batch_end,
            .on_validation_epoch_start = p_val_start, .on_train_end = p_train_end)
