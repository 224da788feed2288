/*
 * tpl_datamodule.c — an ltrun LightningDataModule: a synthetic classification dataset
 * made from a seed (no files). Each class has a centre of +-1 per feature; a sample is
 * its class's centre plus noise. Sample `i` of a split depends only on (seed, split, i),
 * so get_item is a pure function and safe on the loader threads.
 *
 *   make && ltrun fit --module MODULE --data ./tpl_datamodule.so --data.seed 7
 *
 * Hyperparameters (--data.KEY VALUE): seed (0), train_length (256), val_length (64),
 * in_features (8), num_classes (2), batch_size (32), noise (0.5).
 * Fields of a sample: x float32 [in_features], y int64 (the class).
 */
#define LT_PLUGIN_VERSION "0.1.0"
#define LT_PLUGIN_DESCRIPTION "tpl_datamodule: synthetic blobs from a seed"
#include <ltrun.h>

typedef struct tpl_datamodule {
    uint64_t seed;
    int64_t train_length, val_length, in_features, num_classes, batch_size;
    double noise;
} tpl_datamodule;

/* splitmix64: a tiny, good-enough hash for reproducible per-sample randomness */
static uint64_t mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(uint64_t *state) { /* [0, 1) */
    *state = mix(*state);
    return (double)(*state >> 11) * 0x1.0p-53;
}

static void *tpl_datamodule_create(lt_ctx *ctx, const lt_hparams *hp) {
    tpl_datamodule *d = lt_alloc(ctx, sizeof *d); /* freed by the host */
    if (!d) return NULL;
    d->seed = (uint64_t)lt_hp_int(ctx, hp, "seed", 0);
    d->train_length = lt_hp_int(ctx, hp, "train_length", 256);
    d->val_length = lt_hp_int(ctx, hp, "val_length", 64);
    d->in_features = lt_hp_int(ctx, hp, "in_features", 8);
    d->num_classes = lt_hp_int(ctx, hp, "num_classes", 2);
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 32);
    d->noise = lt_hp_float(ctx, hp, "noise", 0.5);
    if (d->in_features < 1 || d->in_features > 4096 || d->num_classes < 2 || d->batch_size < 1) {
        lt_fail(ctx, "tpl_datamodule: need 1 <= in_features <= 4096, num_classes >= 2, "
                     "batch_size >= 1");
        return NULL;
    }
    return d;
}

/* describe a split: the train and val splits exist; test and predict reuse val's data */
static lt_status tpl_datamodule_dataset(lt_ctx *ctx, void *self, lt_split split,
                                        lt_dataset *ds) {
    tpl_datamodule *d = self;
    ds->length = split == LT_SPLIT_TRAIN ? d->train_length : d->val_length;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN; /* seeded by --seed */
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1,
                               .shape = {d->in_features}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

/* write sample `index` of `split` into dst[0] (x) and dst[1] (y); no lt_* ops here */
static lt_status tpl_datamodule_get_item(lt_ctx *ctx, void *self, lt_split split,
                                         int64_t index, void *const *dst) {
    tpl_datamodule *d = self;
    /* test/predict share val's samples; train and val differ */
    uint64_t stream = split == LT_SPLIT_TRAIN ? 1 : 2;
    uint64_t state = mix(d->seed ^ mix(stream << 40 ^ (uint64_t)index));
    int64_t label = (int64_t)(mix(state) % (uint64_t)d->num_classes);
    float *x = dst[0];
    for (int64_t j = 0; j < d->in_features; j++) {
        /* the class centre: +-1 per feature, fixed by (seed, class, feature) */
        uint64_t c = mix(d->seed * 31 + (uint64_t)label * 4099 + (uint64_t)j);
        double centre = (c & 1) ? 1.0 : -1.0;
        /* roughly normal noise: the sum of four uniforms, centred, times `noise` */
        double n = uniform(&state) + uniform(&state) + uniform(&state) + uniform(&state) - 2.0;
        x[j] = (float)(centre + d->noise * n);
    }
    *(int64_t *)dst[1] = label;
    return LT_OK;
}

LT_DATAMODULE(tpl_datamodule, .create = tpl_datamodule_create,
              .dataset = tpl_datamodule_dataset, .get_item = tpl_datamodule_get_item)
