/*
 * sampler.h — torch.utils.data's samplers for a loader's sample order: sequential, random,
 * weighted random and the DistributedSampler that Lightning puts around them.
 *
 * Owner: the data pipeline. Contract: the order of epoch e is a pure function of
 * (seed, e, rank, world_size, the dataset's sampler options), so a run resumed in the
 * middle of an epoch sees the same remaining batches; the draws use PyTorch 1.13's CPU
 * generator (util/torch_rng.h), so the orders equal PyTorch's where PyTorch's are
 * reproducible:
 *  - random: torch.randperm(n, generator=torch.Generator().manual_seed(seed + e)), which is
 *    DistributedSampler's rule. torch's RandomSampler draws its generator's seed from the
 *    global RNG, so its order cannot be reproduced across frameworks; Lightning replaces the
 *    sampler with a DistributedSampler (this rule) whenever it wraps samplers, so we use the
 *    rule on one process too.
 *  - weighted random: torch.multinomial(weights, num_samples, replacement, generator) with
 *    the generator seeded seed + e (torch's WeightedRandomSampler takes the global RNG when
 *    given no generator): replacement with num_samples >= 2 draws as the CPU kernel does
 *    (cumulative sums, a uniform per draw); otherwise the Gumbel/exponential trick
 *    q = p / Exp(1), topk (argmax for one draw), as torch 1.13 without MKL does.
 *  - distributed: DistributedSampler(num_replicas=world, rank, shuffle, seed, drop_last):
 *    positions = randperm(m, g(seed + e)) if shuffle else 0..m-1; total_size =
 *    num_samples * world, padding by repeating the positions from their start as often as
 *    needed (or truncation with drop_last), then positions[rank:total_size:world], each
 *    mapped through the base order (the identity where the DistributedSampler replaces a
 *    random/sequential sampler; the weighted draws under DistributedSamplerWrapper).
 *    Explicit (LT_SAMPLER_DISTRIBUTED): shuffle and drop_last are the dataset's. Lightning's
 *    wrap (world_size > 1, use_distributed_sampler; data_connector._get_distributed_sampler
 *    and _process_dataloader in Lightning 2.x): drop_last false, seed = the run's;
 *    shuffle = true for the train split (whatever its sampler) and "was it random" for the
 *    others, false while overfit_batches is on; predict is sharded without padding
 *    (UnrepeatedDistributedSamplerWrapper around its sampler).
 *  - block random (ABI 1.5, LT_SAMPLER_BLOCK_RANDOM; no torch sampler: the shuffle buffer
 *    of tf.data / webdataset over chunk-sized runs, for data read by blocks such as the
 *    hdf5 plugin over its memory budget): with B = block_size, W = shuffle_blocks and
 *    nb = ceil(n / B) blocks (block b = indices b*B .. min((b+1)*B, n) - 1), in torch
 *    terms, g = torch.Generator().manual_seed(seed + e); bp = torch.randperm(nb, g); then
 *    for each window bp[k*W : (k+1)*W] in turn: idx = the window's blocks' indices
 *    concatenated in bp's order; the epoch continues with idx[torch.randperm(len(idx), g)].
 *    So every index once per epoch, and each window's samples are one contiguous run of
 *    the order touching at most W blocks. With shuffle false it is sequential. Under
 *    Lightning's distributed wrap the block order is sharded by DistributedSampler's rule
 *    without shuffling the positions again (shuffle = False, as a
 *    DistributedSamplerWrapper(shuffle=False)): rank r takes every world-th index of it, so
 *    a rank's run of W*B/world consecutive samples still lies within one window.
 */
#ifndef LTR_SAMPLER_H
#define LTR_SAMPLER_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ltr_sampler {
    lt_sampler kind;      /* resolved base: SEQUENTIAL, RANDOM, WEIGHTED_RANDOM or BLOCK_RANDOM */
    int64_t length;       /* the dataset's length */
    uint64_t seed;
    const double *weights; /* weighted: `length` weights (borrowed from the data module) */
    int64_t num_samples;  /* weighted: draws per epoch */
    bool replacement;
    bool distributed;     /* a DistributedSampler over the base order's positions */
    bool dist_shuffle, dist_drop_last, dist_unrepeated;
    int32_t rank, world;
    int64_t *tmp;         /* distributed: positions, padded (owned) */
    int64_t *base;        /* distributed: the base order (owned) */
    double *dwork;        /* weighted: cumulative sums / keys (owned) */
    /* ABI 1.5: block shuffle — rows per block, window in blocks; scratch (owned): the
     * block order (nblocks) and a window's indices and their permutation */
    int64_t block_size, window;
    int64_t *bperm, *wbuf, *wperm;
    struct ltr_sampler_key *keys; /* weighted without replacement: topk scratch (owned) */
} ltr_sampler;

/* Resolves ds's sampler options (sampler, shuffle, drop_last, weights, num_samples,
 * replacement) for a split; `seed` is the seed to use (ds->seed >= 0, else the run's).
 * use_distributed_sampler: Lightning's wrap when world > 1; overfit_batches: the
 * trainer's flag is on (the wrap does not shuffle). Errors (torch's messages, naming the
 * split) are recorded in ctx. */
lt_status ltr_sampler_init(ltr_sampler *s, lt_ctx *ctx, const lt_dataset *ds, lt_split split,
                           uint64_t seed, int32_t rank, int32_t world,
                           bool use_distributed_sampler, bool overfit_batches);
void ltr_sampler_free(ltr_sampler *s);
/* len(sampler): the indices one epoch yields on this rank */
int64_t ltr_sampler_len(const ltr_sampler *s);
/* out[ltr_sampler_len(s)] = the order of `epoch` */
void ltr_sampler_order(ltr_sampler *s, int64_t epoch, int64_t *out);

#endif
