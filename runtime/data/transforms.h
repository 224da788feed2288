/*
 * transforms.h — per-sample transforms (torchvision.transforms semantics) on plain
 * buffers, and the per-sample random stream they draw from. Owned by the data
 * pipeline. Everything here is safe on loader threads: no lt_* tensor ops,
 * no arena, only the buffers passed in (errors go to ctx, as get_item's do).
 *
 * Randomness: a sample's stream is derived from (loader seed, loader epoch, split,
 * sample index) only — never from which thread fetches it or in what order — so a run
 * is reproducible under --seed with any number of workers. The loader declares the
 * (seed, epoch) of the fetch in progress on the calling thread (ltr_fetch_scope_set);
 * get_item asks for its sample's stream with lt_sample_rng(ctx, split, index).
 */
#ifndef LTR_TRANSFORMS_H
#define LTR_TRANSFORMS_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

/* The loader's get_item call: runs fn with (seed, epoch) declared on the calling thread
 * for lt_sample_rng, cleared again after. epoch is the epoch of the batch being fetched
 * (a worker prefetching epoch e+1 passes e+1); seed the loader's seed. */
lt_status ltr_get_item_scoped(lt_status (*fn)(lt_ctx *, void *, lt_split, int64_t, void *const *),
                              lt_ctx *ctx, void *self, lt_split split, int64_t index,
                              void *const *dst, uint64_t seed, int64_t epoch);
/* (tests) declare a scope without a call; ltr_fetch_scope_clear ends it */
void ltr_fetch_scope_set(uint64_t seed, int64_t epoch);
void ltr_fetch_scope_clear(void);

/* lt_host_api members */
void ltr_api_sample_rng(lt_ctx *ctx, lt_split split, int64_t index, lt_rng *out);
double ltr_api_rng_uniform(lt_rng *r);
int64_t ltr_api_rng_randint(lt_rng *r, int64_t low, int64_t high);
lt_status ltr_api_tf_to_tensor(lt_ctx *ctx, const uint8_t *hwc, int64_t h, int64_t w, int64_t c,
                               float *chw);
lt_status ltr_api_tf_normalize(lt_ctx *ctx, float *chw, int64_t c, int64_t h, int64_t w,
                               const float *mean, const float *std);
lt_status ltr_api_tf_random_crop(lt_ctx *ctx, lt_rng *r, const float *src, int64_t c, int64_t h,
                                 int64_t w, float *dst, const lt_crop_options *o);
bool ltr_api_tf_random_hflip(lt_rng *r, float *chw, int64_t c, int64_t h, int64_t w, double p);

#endif
