/* cpu_bf16.c — the CPU backend's bulk bfloat16 <-> float32 conversion loops (see
 * tensor/bf16.h for the rounding rule): behind the kernel table's `convert` entry and the
 * bf16 paths of gemm_bf16 / sum_rows, so ops reach them only through the table. */
#include "tensor/bf16.h"
#include "util/simd_clones.h"

/* Long tensors split over threads in blocks; the block loops take restrict pointers as
 * parameters (inside an OpenMP region gcc would lose restrict and not vectorise). */
#define PARALLEL_MIN (1 << 17)

static inline void round_span(uint16_t *restrict dst, const float *restrict src, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        uint32_t r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
        /* NaN: exponent all ones and a non-zero mantissa */
        dst[i] = (uint16_t)((u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC0u : r);
    }
}

static inline void widen_span(float *restrict dst, const uint16_t *restrict src, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(&dst[i], &u, sizeof u);
    }
}

LTR_SIMD_CLONES void ltr_bf16_round_f32(uint16_t *restrict dst, const float *restrict src, int64_t n) {
    int64_t nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * LTR_ELEM_BLOCK;
        round_span(dst + s, src + s, n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK);
    }
}

LTR_SIMD_CLONES void ltr_bf16_widen_f32(float *restrict dst, const uint16_t *restrict src, int64_t n) {
    int64_t nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * LTR_ELEM_BLOCK;
        widen_span(dst + s, src + s, n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK);
    }
}
