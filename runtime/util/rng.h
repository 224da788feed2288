/*
 * rng.h — seeded, reproducible random numbers for init, shuffling and dropout.
 *
 * The generator is xoshiro256** seeded through splitmix64: the same seed gives the
 * same stream on every machine. (PyTorch uses mt19937; we do not reproduce its bit
 * stream, only its distributions.)
 */
#ifndef LTR_RNG_H
#define LTR_RNG_H

#include <stdint.h>

typedef struct ltr_rng {
    uint64_t s[4];
} ltr_rng;

void ltr_rng_seed(ltr_rng *r, uint64_t seed);
uint64_t ltr_rng_next(ltr_rng *r);
/* uniform in [0, 1) with 53 random bits */
double ltr_rng_uniform(ltr_rng *r);
/* standard normal (Box-Muller) */
double ltr_rng_normal(ltr_rng *r);
/* uniform integer in [0, n) without modulo bias; n > 0 */
uint64_t ltr_rng_below(ltr_rng *r, uint64_t n);
/* out = a uniformly random permutation of 0..n-1 (Fisher-Yates) from `seed` */
void ltr_randperm(uint64_t seed, int64_t n, int64_t *out);

#endif
