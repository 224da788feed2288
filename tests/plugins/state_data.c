/* state_data.c — a data module with checkpoint state (companion tests/test_ckpt_hooks.sh): 64 samples (x float [784], y int64 in 0..9) per
 * split, batch 16. It counts the datasets it described ("built"); state_dict stores
 * {"built": n} and the tensor "built" (int64 [1]) under /datamodule; load_state_dict
 * reads both back and prints "data load_state_dict: built=N" to stderr. */
#include <ltrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t built;
} sd;

static void *sd_create(lt_ctx *ctx, const lt_hparams *hp) {
    (void)hp;
    sd *d = lt_alloc(ctx, sizeof *d);
    if (d) d->built = 0;
    return d;
}

static lt_status sd_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    (void)ctx, (void)split;
    ((sd *)self)->built++;
    ds->length = 64;
    ds->batch_size = 16;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {784}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status sd_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    (void)ctx, (void)self, (void)split;
    float *x = dst[0];
    for (int k = 0; k < 784; k++) x[k] = (float)((i * 31 + k * 7) % 13) / 13.0f;
    *(int64_t *)dst[1] = i % 10;
    return LT_OK;
}

static lt_status sd_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    sd *d = self;
    char json[64];
    snprintf(json, sizeof json, "{\"built\": %lld}", (long long)d->built);
    int64_t one = 1;
    lt_tensor *t = lt_full(ctx, LT_INT64, 1, &one, (double)d->built);
    if (!t) return LT_ERROR;
    return lt_ckpt_put_json(ctx, w, "json", json) || lt_ckpt_put_tensor(ctx, w, "built", t) ? LT_ERROR : LT_OK;
}

static lt_status sd_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    sd *d = self;
    int64_t one = 1;
    lt_tensor *t = lt_zeros(ctx, LT_INT64, 1, &one);
    const char *json = lt_ckpt_get_json(ctx, r, "json");
    if (!t || !json || lt_ckpt_get_tensor(ctx, r, "built", t)) return lt_fail(ctx, "state incomplete");
    const char *p = strstr(json, "\"built\":");
    if (!p || strtoll(p + 8, NULL, 10) != ((int64_t *)lt_data(ctx, t))[0]) return lt_fail(ctx, "state disagrees");
    if (lt_ckpt_has_key(ctx, r, "nothing") || lt_ckpt_get_json(ctx, r, "nothing"))
        return lt_fail(ctx, "an absent key reads as present");
    d->built = strtoll(p + 8, NULL, 10);
    fprintf(stderr, "data load_state_dict: built=%lld\n", (long long)d->built);
    return LT_OK;
}

LT_DATAMODULE(state_data, .create = sd_create, .dataset = sd_dataset, .get_item = sd_get_item,
              .state_dict = sd_state_dict, .load_state_dict = sd_load_state_dict)
