/*
 * varlen_data.c — test data module with variable-length int64 token sequences
 * (tests/test_varlen.sh): fields tokens int64 [LT_VARIABLE_DIM], length int64 [],
 * label int64 []. Sample i has 1..12 tokens in 0..7 drawn from a hash of i; label 1 when
 * more than half of them are < 4. Batches are padded with token 8 (padding_value), as a
 * collate_fn with pad_sequence(batch_first=True, padding_value=8) would.
 *   --data.length 512 --data.batch_size 16
 * Built twice: varlen_data_noshape.so (-DVARLEN_NO_ITEM_SHAPE) has no item_shape hook.
 *   --data.bad_shape true       item_shape reports sample 3 with a negative length
 */
#define LT_PLUGIN_DESCRIPTION "variable-length token sequences (test)"
#include <ltrun.h>

typedef struct vl {
    int64_t length, batch_size;
    bool bad_shape;
} vl;

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int64_t seq_len(lt_split s, int64_t i) { return 1 + (int64_t)(mix(((uint64_t)s << 32) + (uint64_t)i) % 12); }
static int64_t token(lt_split s, int64_t i, int64_t t) {
    return (int64_t)(mix(((uint64_t)s << 48) ^ ((uint64_t)i << 8) ^ (uint64_t)t ^ 0x5555) % 8);
}

static void *vl_create(lt_ctx *ctx, const lt_hparams *hp) {
    vl *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->length = lt_hp_int(ctx, hp, "length", 512);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 16);
    d->bad_shape = lt_hp_bool(ctx, hp, "bad_shape", false);
    return d;
}

static lt_status vl_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    vl *d = self;
    if (split == LT_SPLIT_PREDICT) return LT_OK;
    ds->length = split == LT_SPLIT_TRAIN ? d->length : d->length / 4;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = 3;
    ds->fields[0] = (lt_field){.name = "tokens", .dtype = LT_INT64, .ndim = 1, .shape = {LT_VARIABLE_DIM}};
    ds->fields[1] = (lt_field){.name = "length", .dtype = LT_INT64, .ndim = 0};
    ds->fields[2] = (lt_field){.name = "label", .dtype = LT_INT64, .ndim = 0};
    ds->padding_value[0] = 8;
    return LT_OK;
}

__attribute__((unused)) static lt_status vl_item_shape(lt_ctx *ctx, void *self, lt_split split, int64_t i, int f,
                               int64_t *shape) {
    vl *d = self;
    shape[0] = d->bad_shape && i == 3 ? -5 : seq_len(split, i);
    return LT_OK;
}

static lt_status vl_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    int64_t n = seq_len(split, i), low = 0;
    int64_t *tok = dst[0];
    for (int64_t t = 0; t < n; t++) {
        tok[t] = token(split, i, t);
        low += tok[t] < 4;
    }
    *(int64_t *)dst[1] = n;
    *(int64_t *)dst[2] = 2 * low > n;
    return LT_OK;
}

#ifdef VARLEN_NO_ITEM_SHAPE
LT_DATAMODULE(varlen_data, .create = vl_create, .dataset = vl_dataset, .get_item = vl_get_item)
#else
LT_DATAMODULE(varlen_data, .create = vl_create, .dataset = vl_dataset, .get_item = vl_get_item,
              .item_shape = vl_item_shape)
#endif
