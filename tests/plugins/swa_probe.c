/*
 * swa_probe.c — a callback for the stochastic_weight_averaging tests (test_swa.sh,
 *). Given after stochastic_weight_averaging, it prints at each train epoch start
 * "start EPOCH lr=LR[,LR] w=V V ..." (the lr the epoch trains with, every parameter value
 * through lt_param_at, %.9g) and at train end "end w=V V ...". Exercises lt_param_count /
 * lt_param_at (ABI 1.4: swa).
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

static lt_status p_epoch_start(lt_ctx *ctx, void *self) {
    (void)self;
    lt_optimizer *o = lt_optimizers(ctx, 0);
    printf("start %lld lr=", (long long)ctx->current_epoch);
    for (int g = 0; g < lt_num_param_groups(ctx, o); g++)
        printf("%s%.12g", g ? "," : "", lt_group_get(ctx, o, g, "lr"));
    weights(ctx);
    return LT_OK;
}

static lt_status p_train_end(lt_ctx *ctx, void *self) {
    (void)self;
    printf("end");
    weights(ctx);
    /* the BatchNorm buffers after SWA's update_bn, "buf NAME V V ..." */
    for (int64_t i = 0; i < lt_buffer_count(ctx); i++) {
        const char *name;
        lt_tensor *b = lt_buffer_at(ctx, i, &name);
        printf("buf %s", name);
        for (int64_t k = 0; k < lt_numel(ctx, b); k++) {
            if (lt_dtype_of(ctx, b) == LT_INT64) printf(" %lld", (long long)((const int64_t *)lt_data(ctx, b))[k]);
            else printf(" %.9g", ((const float *)lt_data(ctx, b))[k]);
        }
        printf("\n");
    }
    return LT_OK;
}

LT_CALLBACK(swa_probe, .create = p_create, .on_train_epoch_start = p_epoch_start,
            .on_train_end = p_train_end)
