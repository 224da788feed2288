/*
 * bf16.h — bfloat16 storage: the top 16 bits of an IEEE float32 (LT_BFLOAT16).
 *
 * Rounding is c10::BFloat16's round_to_nearest_even: ties go to the even bf16, NaN stays
 * a quiet NaN (0x7FC0), infinities and signed zeros are kept. Widening is exact. Doubles
 * and integers convert through float, as PyTorch's casts do.
 */
#ifndef LTR_BF16_H
#define LTR_BF16_H

#include <stdint.h>
#include <string.h>

static inline uint16_t ltr_bf16_from_float(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (f != f) return 0x7FC0;
    u += 0x7FFFu + ((u >> 16) & 1u); /* round half to even on the dropped 16 bits */
    return (uint16_t)(u >> 16);
}

static inline float ltr_bf16_to_float(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
/* a + b in float32, rounded once (torch's bf16 add, and gradient accumulation) */
static inline uint16_t ltr_bf16_add(uint16_t a, uint16_t b) {
    return ltr_bf16_from_float(ltr_bf16_to_float(a) + ltr_bf16_to_float(b));
}

/* bulk forms (vectorised loops): dst[i] = round(src[i]) / widen(src[i]). The CPU
 * backend's (accelerators/cpu/cpu_bf16.c), host memory only: ops convert tensors through
 * the kernel table's `convert` entry. */
void ltr_bf16_round_f32(uint16_t *restrict dst, const float *restrict src, int64_t n);
void ltr_bf16_widen_f32(float *restrict dst, const uint16_t *restrict src, int64_t n);

#endif
