/*
 * simd_clones.h — LTR_SIMD_CLONES: compile a hot loop for AVX-512, AVX2 and baseline
 * x86-64, and let the dynamic loader pick the widest the CPU has (GCC's target_clones,
 * resolved once through a glibc ifunc). The build itself targets baseline x86-64 so one
 * binary runs everywhere; without this, loops bound by sqrt/div (Adam) or by vector width
 * run 4 floats at a time on CPUs that do 16.
 *
 * Same bits on every CPU: the clones differ only in vector width. The build is ISO C
 * (-std=c11), where GCC keeps -ffp-contract=off, so no clone fuses a*b+c into an FMA, and
 * IEEE sqrt/div/add/mul are exact in every instruction set. Under valgrind (no AVX-512)
 * the AVX2 clone runs. Empty on other compilers and targets.
 */
#ifndef LTR_SIMD_CLONES_H
#define LTR_SIMD_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define LTR_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* for loops whose AVX-512 build measured slower than AVX2 (mixed float/int64 selects:
 * the 2x2 max pool runs 4.2 ms baseline, 0.8 ms AVX2, 1.8 ms AVX-512 on this Zen 4) */
#define LTR_SIMD_CLONES_AVX2 __attribute__((target_clones("avx2", "default")))
/* for loops that reproduce another library's fused multiply-adds with explicit fma()/fmaf()
 * (the optimizers, as ATen's vectorised kernels): x86-64-v4 (AVX-512) and v3 (AVX2 + FMA)
 * do them in hardware and vectorise; the baseline clone calls libm's fma, which rounds
 * once too (slower, same bits). "avx512f"/"avx2" alone would not enable FMA. */
#define LTR_SIMD_CLONES_FMA \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LTR_SIMD_CLONES
#define LTR_SIMD_CLONES_AVX2
#define LTR_SIMD_CLONES_FMA
/* Elements per thread work item of the threaded elementwise loops (Adam, relu, bf16
 * casts): 64 KB of float32 per array, so a block and its partner arrays stay in L2.
 * Whole blocks go to threads, so results do not depend on the thread count. */
#define LTR_ELEM_BLOCK 16384

#endif

/* Elements per thread work item of the threaded elementwise loops (Adam, relu, bf16
 * casts): 64 KB of float32 per array, so a block and its partner arrays stay in L2.
 * Whole blocks go to threads, so results do not depend on the thread count. */
#define LTR_ELEM_BLOCK 16384

#endif
