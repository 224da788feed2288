/* torch_rng.c — PyTorch 1.13's CPU generator (mt19937) and the draws of randperm and
 * multinomial, reproduced exactly (see torch_rng.h). */
#include "util/torch_rng.h"

void ltr_torch_gen_seed(ltr_torch_gen *g, uint64_t seed) {
    /* at::mt19937(seed): init_with_uint32 — the standard mt19937 initialisation with the
     * low 32 bits of the seed */
    g->mt[0] = (uint32_t)(seed & 0xffffffffu);
    for (int i = 1; i < 624; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->mti = 624;
}

uint32_t ltr_torch_gen_random(ltr_torch_gen *g) {
    if (g->mti >= 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (g->mt[i] & 0x80000000u) | (g->mt[(i + 1) % 624] & 0x7fffffffu);
            g->mt[i] = g->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        g->mti = 0;
    }
    uint32_t y = g->mt[g->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t ltr_torch_gen_random64(ltr_torch_gen *g) {
    uint32_t hi = ltr_torch_gen_random(g);
    uint32_t lo = ltr_torch_gen_random(g);
    return ((uint64_t)hi << 32) | lo; /* detail::make64BitsFrom32Bits(hi, lo) */
}

double ltr_torch_gen_uniform(ltr_torch_gen *g) {
    uint64_t v = ltr_torch_gen_random64(g);
    return (double)(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

void ltr_torch_randperm(ltr_torch_gen *g, int64_t n, int64_t *out) {
    for (int64_t i = 0; i < n; i++) out[i] = i;
    for (int64_t i = 0; i < n - 1; i++) {
        int64_t z = (int64_t)(ltr_torch_gen_random(g) % (uint64_t)(n - i));
        int64_t t = out[i];
        out[i] = out[z + i];
        out[z + i] = t;
    }
}

void ltr_torch_multinomial_replacement(ltr_torch_gen *g, const double *w, int64_t n,
                                       int64_t num_samples, double *cum, int64_t *out) {
    double sum = 0;
    for (int64_t j = 0; j < n; j++) {
        sum += w[j];
        cum[j] = sum;
    }
    if (sum > 0 || (sum < 1.00001 && sum > 0.99999))
        for (int64_t j = 0; j < n; j++) cum[j] /= sum;
    for (int64_t s = 0; s < num_samples; s++) {
        double u = ltr_torch_gen_uniform(g);
        cum[n - 1] = 1; /* the last bucket closes at 1 */
        int64_t left = 0, right = n;
        while (right - left > 0) {
            int64_t mid = left + (right - left) / 2;
            if (cum[mid] < u) left = mid + 1;
            else right = mid;
        }
        out[s] = left;
    }
}
