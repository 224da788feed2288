/*
 * multi_data.c — test data module with several val/test/predict dataloaders
 * (tests/test_multi_loaders.sh; Lightning's val_dataloader returning a list).
 * Fields x float32 [2], y int64 []. Train has 16 samples; loader k of val, test and
 * predict has 4 * (k + 1) samples. Each sample's x[0] is ctx->dataloader_idx as
 * get_item saw it, so the module can check that every batch came from the loader the
 * host says is running and that the data hooks saw that loader.
 *   --data.loaders N      loaders of val/test/predict (default 2; 0: the hook says one)
 *   --data.batch_size B   (default 2)
 *   --data.hole K         dataloader K of val describes no data (length -1)
 */
#define LT_PLUGIN_DESCRIPTION "several val/test/predict dataloaders (test)"
#include <ltrun.h>

typedef struct md {
    int64_t loaders, batch_size, hole;
} md;

static void *md_create(lt_ctx *ctx, const lt_hparams *hp) {
    md *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->loaders = lt_hp_int(ctx, hp, "loaders", 2);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 2);
    d->hole = lt_hp_int(ctx, hp, "hole", -1);
    return d;
}

static int32_t md_num_dataloaders(lt_ctx *ctx, void *self, lt_split split) {
    md *d = self;
    return (int32_t)d->loaders;
}

static lt_status md_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    md *d = self;
    int64_t k = ctx->dataloader_idx;
    if (split == LT_SPLIT_VAL && k == d->hole) return LT_OK;
    ds->length = split == LT_SPLIT_TRAIN ? 16 : 4 * (k + 1);
    ds->batch_size = d->batch_size;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

static lt_status md_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    float *x = dst[0];
    x[0] = (float)ctx->dataloader_idx;
    x[1] = (float)i;
    *(int64_t *)dst[1] = i % 2;
    return LT_OK;
}

LT_DATAMODULE(multi_data, .create = md_create, .dataset = md_dataset, .get_item = md_get_item,
              .num_dataloaders = md_num_dataloaders)
