/* bf16.c — bulk bfloat16 <-> float32 conversion (see bf16.h for the rounding rule). */
#include "tensor/bf16.h"
#include "util/simd_clones.h"

LTR_SIMD_CLONES void ltr_bf16_round_f32(uint16_t *restrict dst, const float *restrict src, int64_t n) {
#pragma omp parallel for simd if (n > (1 << 17)) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
        /* NaN: exponent all ones and a non-zero mantissa */
        dst[i] = (uint16_t)((u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC0u : r);
    }
}

LTR_SIMD_CLONES void ltr_bf16_widen_f32(float *restrict dst, const uint16_t *restrict src, int64_t n) {
#pragma omp parallel for simd if (n > (1 << 17)) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(&dst[i], &u, sizeof u);
    }
}
