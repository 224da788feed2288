/*
 * cpu_random.c — the CPU's rng_fill and count_add (accelerator.h): the seeded fills of
 * torch.rand / randn, nn.init and dropout's mask, drawn from the host generator in
 * element order so a run's numbers depend on its seed alone; and a counter buffer's
 * increment.
 */
#include "accelerators/cpu/cpu_numerics.h"
#include "accelerators/accelerator.h"

void ltr_cpu_rng_fill(int kind, lt_tensor *t, const double *arg, ltr_rng *r) {
    int64_t n = ltr_numel(t);
    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (kind) {
        case LTR_RNG_RAND:
            v = ltr_rng_uniform(r);
            if (t->dtype == LT_FLOAT32 && (float)v >= 1.0f) v = 0x1.fffffep-1; /* stay in [0, 1) */
            break;
        case LTR_RNG_RANDN: v = ltr_rng_normal(r); break;
        case LTR_RNG_UNIFORM: v = arg[0] + (arg[1] - arg[0]) * ltr_rng_uniform(r); break;
        case LTR_RNG_NORMAL: v = arg[0] + arg[1] * ltr_rng_normal(r); break;
        case LTR_RNG_TRUNC_NORMAL: /* rejection: torch's distribution, another stream */
            do v = arg[0] + arg[1] * ltr_rng_normal(r);
            while (v < arg[2] || v > arg[3]);
            break;
        default: /* LTR_RNG_DROPOUT */
            v = ltr_rng_uniform(r) >= arg[0] ? arg[1] : 0.0;
            break;
        }
        ltr_set(t, i, v);
    }
}

void ltr_cpu_count_add(lt_tensor *t, int64_t delta) { *(int64_t *)t->data += delta; }
