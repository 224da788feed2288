/*
 * torch_rng.h — PyTorch 1.13's CPU generator, bit for bit, for the data pipeline.
 *
 * Owner: the data pipeline. Contract: ltr_torch_gen_seed(g, s) is
 * torch.Generator().manual_seed(s) (CPUGeneratorImpl: an mt19937 seeded with the low
 * 32 bits of s); the draws below consume the engine exactly as the named torch kernels do,
 * so sample orders (randperm, random_split, DistributedSampler, WeightedRandomSampler with
 * replacement) equal PyTorch's for the same seed. The model's own randomness (init,
 * dropout) stays on util/rng.h; only sample orders need cross-framework equality.
 */
#ifndef LTR_TORCH_RNG_H
#define LTR_TORCH_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ltr_torch_gen {
    uint32_t mt[624];
    int mti;
} ltr_torch_gen;

/* torch.Generator().manual_seed(seed) */
void ltr_torch_gen_seed(ltr_torch_gen *g, uint64_t seed);
/* CPUGeneratorImpl::random(): one 32-bit mt19937 output */
uint32_t ltr_torch_gen_random(ltr_torch_gen *g);
/* CPUGeneratorImpl::random64(): (first << 32) | second */
uint64_t ltr_torch_gen_random64(ltr_torch_gen *g);
/* at::uniform_real_distribution<double>(0, 1): 53 low bits of random64() / 2^53 */
double ltr_torch_gen_uniform(ltr_torch_gen *g);
/* torch.randperm(n, generator=g) on CPU (randperm_cpu: Fisher-Yates, r[i] <-> r[i + z],
 * z = random() % (n - i)). */
void ltr_torch_randperm(ltr_torch_gen *g, int64_t n, int64_t *out);
/* torch.multinomial(weights (float64, n), num_samples, replacement=true, generator=g) on
 * CPU for num_samples >= 2 (multinomial_with_replacement: normalised cumulative sums, one
 * uniform per draw, binary search for the first bucket with cum >= u). weights >= 0 with a
 * positive sum (checked by the caller). `cum` is n doubles of scratch. */
void ltr_torch_multinomial_replacement(ltr_torch_gen *g, const double *w, int64_t n,
                                       int64_t num_samples, double *cum, int64_t *out);

#endif
