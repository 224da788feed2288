/*
 * cpu.c — the CPU accelerator: GEMMs through OpenBLAS (cblas_sgemm / cblas_dgemm with
 * the transposes passed through, never a transposed copy) or oneDNN's sgemm, plain loops for the rest,
 * written so gcc vectorises them (unit-stride inner loops, restrict outputs, the
 * common broadcast patterns as their own loops). Each float kernel is instantiated
 * for float and double by the macros below; dispatch on dtype happens once per call.
 */
#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "accelerators/deterministic.h"
#include "accelerators/cpu/cpu_conv.h"
#include "accelerators/cpu/cpu_unary.h"
#include "accelerators/cpu/cpu_reductions.h"
#include "accelerators/cpu/cpu_elementwise.h"
#include "accelerators/cpu/cpu_shape.h"
#include "accelerators/cpu/cpu_nn.h"
#include "accelerators/cpu/cpu_numerics.h"
#include "util/simd_clones.h"
#include "tensor/bf16.h"
#include "accelerators/cpu/cpu_dnnl.h"

#include <stdlib.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <math.h>
#include <string.h>
#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

/*
 * float32 GEMMs of at least this many multiply-adds go to oneDNN's dnnl_sgemm (row-major,
 * the same arguments as cblas). Measured on this machine, 2 threads (see the commit that
 * added it): it runs the MLP's GEMMs in 0.46-0.65x OpenBLAS's time under
 * OPENBLAS_CORETYPE=Haswell (oneDNN picks its AVX-512 kernels from CPUID, not from that
 * variable) and 0.75-1.0x with OpenBLAS's own AVX-512 pick; below ~16^3 its call
 * overhead (~0.2 us) loses to OpenBLAS's small-matrix kernels. Doubles stay on
 * cblas_dgemm (oneDNN has no dgemm).
 */
#define DNNL_SGEMM_MIN_MACS (16 * 16 * 16)

/* elementwise loops longer than this split over the OpenMP threads (each element is
 * independent, so the result does not depend on the thread count) */
#define PARALLEL_MIN_ELEMS (1 << 16)

static void cpu_gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                          const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                          double beta, float *c, int64_t ldc);

/* all-bfloat16 GEMM (C too): the products and beta * C accumulate in a float32 copy of C,
 * rounded once at the end (torch's bf16 addmm) */
static void gemm_bf16_out(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                          const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                          double beta, uint16_t *c, int64_t ldc) {
    if (k > 0 && !ltr_deterministic_algorithms() &&
        ltr_dnnl_gemm_bf16(ta, tb, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, true, ldc))
        return;
    float *cf = malloc((size_t)(m * n) * sizeof *cf);
    if (!cf) { /* no memory: NaN, visible, never stale numbers */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = 0x7FC0;
        return;
    }
    if (beta != 0)
        for (int64_t i = 0; i < m; i++) ltr_bf16_widen_f32(cf + i * n, c + i * ldc, n);
    cpu_gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, cf, n);
    for (int64_t i = 0; i < m; i++) ltr_bf16_round_f32(c + i * ldc, cf + i * n, n);
    free(cf);
}

static void cpu_gemm(lt_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                     const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                     int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (dt == LT_BFLOAT16) {
        gemm_bf16_out(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    if (k == 0) { /* C = beta * C; BLAS would reject the leading dimensions of empty A, B */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                if (dt == LT_FLOAT64) {
                    double *p = (double *)c + i * ldc + j;
                    *p = beta == 0 ? 0 : beta * *p;
                } else {
                    float *p = (float *)c + i * ldc + j;
                    *p = beta == 0 ? 0 : (float)(beta * *p);
                }
            }
        return;
    }
#ifdef HAVE_DNNL
    /* oneDNN's sgemm may split K over its threads (a sum order that follows the thread
     * count); deterministic algorithms keep OpenBLAS, which splits only M and N */
    if (dt == LT_FLOAT32 && m * n * k >= DNNL_SGEMM_MIN_MACS && !ltr_deterministic_algorithms() &&
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, (float)alpha, a, lda, b, ldb, (float)beta,
                   c, ldc) == dnnl_success)
        return;
#endif
    enum CBLAS_TRANSPOSE tA = ta ? CblasTrans : CblasNoTrans, tB = tb ? CblasTrans : CblasNoTrans;
    /* OpenBLAS's threaded GEMMs give thread-count-dependent bits for some shapes (its
     * OpenMP build follows OMP_NUM_THREADS): deterministic algorithms run each GEMM on
     * one thread, so the bits are those of a 1-thread run at any thread count */
    int threads = ltr_deterministic_algorithms() ? openblas_get_num_threads() : 1;
#ifdef _OPENMP
    if (omp_in_parallel()) threads = 1; /* inside a team OpenBLAS runs on one thread already */
#endif
    if (threads > 1) openblas_set_num_threads(1);
    if (dt == LT_FLOAT64)
        cblas_dgemm(CblasRowMajor, tA, tB, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                    (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
    else
        cblas_sgemm(CblasRowMajor, tA, tB, (blasint)m, (blasint)n, (blasint)k, (float)alpha, a,
                    (blasint)lda, b, (blasint)ldb, (float)beta, c, (blasint)ldc);
    if (threads > 1) openblas_set_num_threads(threads);
}

/* the float32 copy of a bfloat16 matrix of `rows` rows of `cols` (leading dimension ld) */
static float *widen_matrix(const uint16_t *src, int64_t rows, int64_t cols, int64_t ld) {
    int64_t n = rows ? (rows - 1) * ld + cols : 0;
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    if (f) ltr_bf16_widen_f32(f, src, n);
    return f;
}

/* bfloat16 A, B; float32 C: oneDNN's bf16 matmul, else widen to float32 and sgemm (the
 * same float32 accumulation, at sgemm's speed). Out of memory in the fallback: C = NaN, so
 * the failure surfaces as a NaN loss rather than as silently stale numbers. */
static void cpu_gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                          const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                          double beta, float *c, int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) { /* C = beta * C */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : (float)(beta * c[i * ldc + j]);
        return;
    }
    if (!ltr_deterministic_algorithms() &&
        ltr_dnnl_gemm_bf16(ta, tb, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, false, ldc))
        return;
    float *fa = widen_matrix(a, ta ? k : m, ta ? m : k, lda);
    float *fb = widen_matrix(b, tb ? n : k, tb ? k : n, ldb);
    if (fa && fb) cpu_gemm(LT_FLOAT32, ta, tb, m, n, k, alpha, fa, lda, fb, ldb, beta, c, ldc);
    else
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) c[i * ldc + j] = NAN;
    free(fa);
    free(fb);
}

/*
 * Broadcast loops walk rows of the last dimension. To make rows long and few, size-1
 * dims are dropped and neighbouring dims merged wherever every stride array allows it
 * (stride[d] == stride[d+1] * shape[d+1]): a contiguous same-shape op becomes one flat
 * row, a bias add [M, N] + [N] stays M rows of N, a scalar op becomes one row with
 * stride 0. Returns the collapsed ndim (at least 1).
 */
static int collapse(int nd, const int64_t *shape, int ns, const int64_t *const *st, int64_t *cs,
                    int64_t cst[][LT_MAX_DIMS]) {
    int m = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; merge && k < ns; k++) merge = cst[k][m - 1] == st[k][d] * shape[d];
        if (merge) {
            cs[m - 1] *= shape[d];
            for (int k = 0; k < ns; k++) cst[k][m - 1] = st[k][d];
        } else {
            cs[m] = shape[d];
            for (int k = 0; k < ns; k++) cst[k][m] = st[k][d];
            m++;
        }
    }
    if (m == 0) {
        cs[0] = 1;
        for (int k = 0; k < ns; k++) cst[k][0] = 0;
        m = 1;
    }
    return m;
}

/* Advance the index over the outer dims 0..nd-2 (the last one is the row); false when done. */
static inline bool next_row(int64_t *idx, const int64_t *shape, int nd) {
    for (int d = nd - 2; d >= 0; d--) {
        if (++idx[d] < shape[d]) return true;
        idx[d] = 0;
    }
    return false;
}

static inline int64_t row_offset(const int64_t *idx, const int64_t *stride, int nd) {
    int64_t off = 0;
    for (int d = 0; d < nd - 1; d++) off += idx[d] * stride[d];
    return off;
}

/* One output row of a binary op, with the unit-stride / broadcast-scalar cases split out
 * so each inner loop vectorises. */
#define ROW_LOOPS(T, OP)                                                                     \
    if (sa == 1 && sb == 1)                                                                  \
        for (int64_t i = 0; i < n; i++) o[i] = a[i] OP b[i];                                 \
    else if (sa == 1 && sb == 0) {                                                           \
        T bv = b[0];                                                                         \
        for (int64_t i = 0; i < n; i++) o[i] = a[i] OP bv;                                   \
    } else if (sa == 0 && sb == 1) {                                                         \
        T av = a[0];                                                                         \
        for (int64_t i = 0; i < n; i++) o[i] = av OP b[i];                                   \
    } else                                                                                   \
        for (int64_t i = 0; i < n; i++) o[i] = a[i * sa] OP b[i * sb];

#define DEFINE_FLOAT_KERNELS(T, SUF)                                                           \
    static void row_##SUF(ltr_binary_op op, T *restrict o, const T *a, int64_t sa, const T *b, \
                          int64_t sb, int64_t n) {                                             \
        switch (op) {                                                                          \
        case LTR_BIN_ADD: ROW_LOOPS(T, +) break;                                               \
        case LTR_BIN_SUB: ROW_LOOPS(T, -) break;                                               \
        case LTR_BIN_MUL: ROW_LOOPS(T, *) break;                                               \
        default: break; /* the others go to cpu_elementwise.c (cpu_binary) */                  \
        }                                                                                      \
    }                                                                                          \
    static void binary_##SUF(ltr_binary_op op, const lt_tensor *a, const int64_t *as,         \
                             const lt_tensor *b, const int64_t *bs, lt_tensor *out) {         \
        const T *pa = a->data, *pb = b->data;                                                  \
        T *po = out->data;                                                                     \
        int64_t n = ltr_numel(out);                                                            \
        if (n == 0) return;                                                                    \
        const int64_t *st[3] = {as, bs, out->stride};                                          \
        int64_t cs[LT_MAX_DIMS], cst[3][LT_MAX_DIMS], idx[LT_MAX_DIMS] = {0};                  \
        int nd = collapse(out->ndim, out->shape, 3, st, cs, cst);                              \
        int64_t inner = cs[nd - 1];                                                            \
        for (int64_t o = 0; o < n; o += inner) {                                               \
            row_##SUF(op, po + o, pa + row_offset(idx, cst[0], nd), cst[0][nd - 1],            \
                      pb + row_offset(idx, cst[1], nd), cst[1][nd - 1], inner);                \
            next_row(idx, cs, nd);                                                             \
        }                                                                                      \
    }                                                                                          \
    static void reduce_to_##SUF(const lt_tensor *g, const int64_t *os, double scale,          \
                                lt_tensor *out) {                                              \
        const T *pg = g->data;                                                                 \
        T *po = out->data;                                                                     \
        int64_t nout = ltr_numel(out), n = ltr_numel(g);                                       \
        memset(po, 0, (size_t)nout * sizeof(T));                                               \
        if (n == 0) return;                                                                    \
        const int64_t *st[2] = {g->stride, os};                                                \
        int64_t cs[LT_MAX_DIMS], cst[2][LT_MAX_DIMS], idx[LT_MAX_DIMS] = {0};                  \
        int nd = collapse(g->ndim, g->shape, 2, st, cs, cst);                                  \
        int64_t inner = cs[nd - 1], sg = cst[0][nd - 1], so = cst[1][nd - 1];                  \
        for (int64_t r = 0; r < n; r += inner) {                                               \
            const T *row = pg + row_offset(idx, cst[0], nd);                                   \
            T *restrict dst = po + row_offset(idx, cst[1], nd);                                \
            if (so == 1 && sg == 1) {                                                          \
                for (int64_t i = 0; i < inner; i++) dst[i] += row[i];                          \
            } else if (so == 0) {                                                              \
                T s = 0;                                                                       \
                for (int64_t i = 0; i < inner; i++) s += row[i * sg];                          \
                dst[0] += s;                                                                   \
            } else {                                                                           \
                for (int64_t i = 0; i < inner; i++) dst[i * so] += row[i * sg];                \
            }                                                                                  \
            next_row(idx, cs, nd);                                                             \
        }                                                                                      \
        if (scale != 1.0)                                                                      \
            for (int64_t i = 0; i < nout; i++) po[i] = (T)(po[i] * scale);                     \
    }                                                                                          \
    /* torch.relu = clamp_min(x, 0): NaN stays NaN, -0 becomes 0. The spans take restrict \
     * pointers as parameters: inside an OpenMP region gcc loses restrict on captured     \
     * variables and falls back to a scalar loop with a branch per element. */            \
    static inline void relu_span_##SUF(const T *restrict px, T *restrict py, int64_t n) {      \
        for (int64_t i = 0; i < n; i++) py[i] = !(px[i] <= 0) ? px[i] : 0;                     \
    }                                                                                          \
    LTR_SIMD_CLONES static void relu_##SUF(const lt_tensor *x, lt_tensor *y) {                 \
        const T *px = x->data;                                                                 \
        T *py = y->data;                                                                       \
        int64_t n = ltr_numel(x), nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;                      \
        _Pragma("omp parallel for schedule(static) if (n > PARALLEL_MIN_ELEMS)")               \
        for (int64_t b = 0; b < nb; b++) {                                                     \
            int64_t s = b * LTR_ELEM_BLOCK, len = n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK;         \
            relu_span_##SUF(px + s, py + s, len);                                              \
        }                                                                                      \
    }                                                                                          \
    /* threshold_backward(grad, x, 0): the gradient where x > 0, else 0 */                    \
    static inline void relu_back_span_##SUF(const T *restrict px, const T *restrict pg,        \
                                            T *restrict po, int64_t n) {                       \
        for (int64_t i = 0; i < n; i++) { /* both loads unconditional: the loop vectorises */ \
            T gi = pg[i];                                                                      \
            po[i] = px[i] > 0 ? gi : 0;                                                        \
        }                                                                                      \
    }                                                                                          \
    LTR_SIMD_CLONES static void relu_backward_##SUF(const lt_tensor *x, const lt_tensor *gy,   \
                                                    lt_tensor *gx) {                           \
        const T *px = x->data, *pg = gy->data;                                                 \
        T *po = gx->data;                                                                      \
        int64_t n = ltr_numel(x), nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;                      \
        _Pragma("omp parallel for schedule(static) if (n > PARALLEL_MIN_ELEMS)")               \
        for (int64_t b = 0; b < nb; b++) {                                                     \
            int64_t s = b * LTR_ELEM_BLOCK, len = n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK;         \
            relu_back_span_##SUF(px + s, pg + s, po + s, len);                                 \
        }                                                                                      \
    }                                                                                          \
    static void fill_rows_##SUF(lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b) {      \
        T *py = y->data;                                                                       \
        for (int64_t r = 0; r < m; r++) memcpy(py + r * n, b->data, (size_t)n * sizeof(T));    \
    }                                                                                          \
    static void sum_rows_##SUF(const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out,       \
                               bool accumulate) {                                              \
        const T *pg = g->data;                                                                 \
        T *restrict po = out->data;                                                            \
        if (!accumulate) memset(po, 0, (size_t)n * sizeof(T));                                 \
        for (int64_t r = 0; r < m; r++) {                                                      \
            const T *restrict row = pg + r * n;                                                \
            for (int64_t j = 0; j < n; j++) po[j] += row[j];                                   \
        }                                                                                      \
    }                                                                                          \
    static void log_softmax_##SUF(const lt_tensor *x, int64_t outer, int64_t dim,              \
                                  int64_t inner, lt_tensor *y) {                               \
        const T *px = x->data;                                                                 \
        T *py = y->data;                                                                       \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                const T *r = px + o * dim * inner + in;                                        \
                T *w = py + o * dim * inner + in;                                              \
                /* stable: x - max - log(sum(exp(x - max))) */                                 \
                T mx = -INFINITY;                                                              \
                for (int64_t k = 0; k < dim; k++) mx = r[k * inner] > mx ? r[k * inner] : mx;  \
                double s = 0;                                                                  \
                for (int64_t k = 0; k < dim; k++) s += exp((double)(r[k * inner] - mx));       \
                double lse = (double)mx + log(s);                                              \
                for (int64_t k = 0; k < dim; k++) w[k * inner] = (T)(r[k * inner] - lse);      \
            }                                                                                  \
    }                                                                                          \
    static void log_softmax_backward_##SUF(const lt_tensor *y, const lt_tensor *gy,            \
                                           int64_t outer, int64_t dim, int64_t inner,          \
                                           lt_tensor *gx) {                                    \
        const T *py = y->data, *pg = gy->data;                                                 \
        T *po = gx->data;                                                                      \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                int64_t base = o * dim * inner + in;                                           \
                double s = 0;                                                                  \
                for (int64_t k = 0; k < dim; k++) s += pg[base + k * inner];                   \
                for (int64_t k = 0; k < dim; k++)                                              \
                    po[base + k * inner] =                                                     \
                        (T)(pg[base + k * inner] - exp((double)py[base + k * inner]) * s);     \
            }                                                                                  \
    }                                                                                          \
    static void cross_entropy_##SUF(const lt_tensor *x, const lt_tensor *t, int64_t ignore,    \
                                    lt_tensor *probs, lt_tensor *loss, lt_tensor *kept) {      \
        int64_t rows = x->shape[0], c = x->shape[1], cnt = 0;                                  \
        const T *px = x->data;                                                                 \
        const int64_t *pt = t->data;                                                           \
        T *pp = probs->data;                                                                   \
        double total = 0;                                                                      \
        for (int64_t i = 0; i < rows; i++) {                                                   \
            const T *r = px + i * c;                                                           \
            T *w = pp + i * c;                                                                 \
            T mx = -INFINITY;                                                                  \
            for (int64_t k = 0; k < c; k++) mx = r[k] > mx ? r[k] : mx;                        \
            double s = 0;                                                                      \
            for (int64_t k = 0; k < c; k++) {                                                  \
                double e = exp((double)(r[k] - mx));                                           \
                w[k] = (T)e;                                                                   \
                s += e;                                                                        \
            }                                                                                  \
            T inv = (T)(1.0 / s);                                                              \
            for (int64_t k = 0; k < c; k++) w[k] *= inv;                                       \
            if (pt[i] != ignore) { /* -log_softmax(x)[i, t_i] = log(s) - (x_t - max) */        \
                total += log(s) - (double)(r[pt[i]] - mx);                                     \
                cnt++;                                                                         \
            }                                                                                  \
        }                                                                                      \
        /* reduction="mean" over the kept rows, rounded once to T; torch: 0/0 is nan */        \
        *(T *)loss->data = (T)(cnt ? total / (double)cnt : NAN);                               \
        *(int64_t *)kept->data = cnt;                                                          \
    }                                                                                          \
    static void cross_entropy_backward_##SUF(const lt_tensor *probs, const lt_tensor *t,       \
                                             int64_t ignore, double scale, lt_tensor *gx) {    \
        int64_t rows = probs->shape[0], c = probs->shape[1];                                   \
        const T *pp = probs->data;                                                             \
        const int64_t *pt = t->data;                                                           \
        T *pg = gx->data, sc = (T)scale;                                                       \
        for (int64_t i = 0; i < rows; i++) {                                                   \
            const T *restrict p = pp + i * c;                                                  \
            T *restrict g = pg + i * c;                                                        \
            if (pt[i] == ignore) {                                                             \
                memset(g, 0, (size_t)c * sizeof(T));                                           \
                continue;                                                                      \
            }                                                                                  \
            for (int64_t k = 0; k < c; k++) g[k] = sc * p[k];                                  \
            g[pt[i]] = (T)(scale * ((double)p[pt[i]] - 1.0));                                  \
        }                                                                                      \
    }                                                                                          \
    static void add_into_##SUF(lt_tensor *dst, const lt_tensor *src) {                         \
        T *restrict d = dst->data;                                                             \
        const T *restrict s = src->data;                                                       \
        int64_t n = ltr_numel(dst);                                                            \
        for (int64_t i = 0; i < n; i++) d[i] += s[i];                                          \
    }

DEFINE_FLOAT_KERNELS(float, f32)
DEFINE_FLOAT_KERNELS(double, f64)

#define DISPATCH(name, t, ...) \
    ((t)->dtype == LT_FLOAT64 ? name##_f64(__VA_ARGS__) : name##_f32(__VA_ARGS__))

static void cpu_binary(ltr_binary_op op, const lt_tensor *a, const int64_t *as, const lt_tensor *b,
                       const int64_t *bs, lt_tensor *out) {
    if (op >= LTR_BIN_DIV) { /* the add/sub/mul row loops stay first: the MLP's hot path */
        ltr_cpu_binary_ew(op, a, as, b, bs, out);
        return;
    }
    DISPATCH(binary, out, op, a, as, b, bs, out);
}
static void cpu_reduce_to(const lt_tensor *g, const int64_t *os, double scale, lt_tensor *out) {
    DISPATCH(reduce_to, out, g, os, scale, out);
}
/* relu on bfloat16 bits, exactly as on the float values (no rounding: the result is
 * the input or 0): clamp_min's NaN stays, -0 and every other negative become +0. In
 * bits: the non-NaN negatives are 0x8000..0xff80 and the positives 0x0001..0x7f80 (inf
 * included), so one unsigned compare each and the loops vectorise. */
static inline void relu_bf16_span(const uint16_t *restrict px, uint16_t *restrict py, int64_t n) {
    for (int64_t i = 0; i < n; i++) py[i] = (uint16_t)(px[i] - 0x8000u) <= 0x7f80u ? 0 : px[i];
}
static void relu_bf16(const lt_tensor *x, lt_tensor *y) {
    const uint16_t *px = x->data;
    uint16_t *py = y->data;
    int64_t n = ltr_numel(x), nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN_ELEMS)
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * LTR_ELEM_BLOCK, len = n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK;
        relu_bf16_span(px + s, py + s, len);
    }
}
/* threshold_backward: the gradient where x > 0 (0x0001..0x7f80), else 0 */
static inline void relu_back_bf16_span(const uint16_t *restrict px, const uint16_t *restrict pg,
                                       uint16_t *restrict po, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t g = pg[i];
        po[i] = (uint16_t)(px[i] - 1u) < 0x7f80u ? g : 0;
    }
}
static void relu_backward_bf16(const lt_tensor *x, const lt_tensor *gy, lt_tensor *gx) {
    const uint16_t *px = x->data, *pg = gy->data;
    uint16_t *po = gx->data;
    int64_t n = ltr_numel(x), nb = (n + LTR_ELEM_BLOCK - 1) / LTR_ELEM_BLOCK;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN_ELEMS)
    for (int64_t b = 0; b < nb; b++) {
        int64_t s = b * LTR_ELEM_BLOCK, len = n - s < LTR_ELEM_BLOCK ? n - s : LTR_ELEM_BLOCK;
        relu_back_bf16_span(px + s, pg + s, po + s, len);
    }
}

/* relu keeps its own vectorised, threaded loops (every MLP step runs it); the other
 * pointwise ops go to cpu_elementwise.c */
static void cpu_pointwise(int op, const lt_tensor *x, double p0, double p1, lt_tensor *y) {
    if (op == LTR_PW_RELU && x->dtype == LT_BFLOAT16) {
        relu_bf16(x, y);
        return;
    }
    if (op == LTR_PW_RELU) {
        DISPATCH(relu, x, x, y);
        return;
    }
    ltr_cpu_pointwise(op, x, p0, p1, y);
}
static void cpu_pointwise_backward(int op, const lt_tensor *x, const lt_tensor *y, double p0,
                                   double p1, const lt_tensor *g, lt_tensor *gx) {
    if (op == LTR_PW_RELU && x->dtype == LT_BFLOAT16) {
        relu_backward_bf16(x, g, gx);
        return;
    }
    if (op == LTR_PW_RELU) {
        DISPATCH(relu_backward, x, x, g, gx);
        return;
    }
    ltr_cpu_pointwise_backward(op, x, y, p0, p1, g, gx);
}
static void cpu_fill_rows(lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b) {
    if (y->dtype == LT_BFLOAT16) { /* rows of bits: a copy */
        for (int64_t i = 0; i < m; i++)
            memcpy((uint16_t *)y->data + i * n, b->data, (size_t)n * sizeof(uint16_t));
        return;
    }
    DISPATCH(fill_rows, y, y, m, n, b);
}
static void cpu_sum_rows(const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out, bool acc) {
    if (g->dtype == LT_BFLOAT16) { /* summed in float32, rounded once (torch's bf16 sum) */
        /* column blocks with their float32 sums on the stack: no allocation on the bf16
         * training path, and each column's additions stay in row order */
        enum { COLS = 256 };
        const uint16_t *gb = g->data;
        uint16_t *o = out->data;
        for (int64_t j0 = 0; j0 < n; j0 += COLS) {
            int64_t w = n - j0 < COLS ? n - j0 : COLS;
            float sum[COLS];
            for (int64_t j = 0; j < w; j++) sum[j] = acc ? ltr_bf16_to_float(o[j0 + j]) : 0.0f;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < w; j++) sum[j] += ltr_bf16_to_float(gb[i * n + j0 + j]);
            ltr_bf16_round_f32(o + j0, sum, w);
        }
        return;
    }
    DISPATCH(sum_rows, g, g, m, n, out, acc);
}
static void cpu_log_softmax(const lt_tensor *x, int64_t o, int64_t d, int64_t i, lt_tensor *y) {
    DISPATCH(log_softmax, x, x, o, d, i, y);
}
static void cpu_log_softmax_backward(const lt_tensor *y, const lt_tensor *gy, int64_t o, int64_t d,
                                     int64_t i, lt_tensor *gx) {
    DISPATCH(log_softmax_backward, y, y, gy, o, d, i, gx);
}
static void cpu_cross_entropy(const lt_tensor *x, const lt_tensor *t, int64_t ignore,
                              lt_tensor *probs, lt_tensor *loss, lt_tensor *kept) {
    DISPATCH(cross_entropy, x, x, t, ignore, probs, loss, kept);
}
static void cpu_cross_entropy_backward(const lt_tensor *probs, const lt_tensor *t, int64_t ignore,
                                       const lt_tensor *gout, const lt_tensor *kept, lt_tensor *gx) {
    int64_t k = *(const int64_t *)kept->data;
    double scale = ltr_get(gout, 0) * (k ? 1.0 / (double)k : 0.0);
    DISPATCH(cross_entropy_backward, probs, probs, t, ignore, scale, gx);
}
static void cpu_add_into(lt_tensor *dst, const lt_tensor *src) {
    if (dst->dtype == LT_BFLOAT16) { /* gradient accumulation: a float add, rounded once */
        uint16_t *d = dst->data;
        const uint16_t *s = src->data;
        for (int64_t i = 0, n = ltr_numel(dst); i < n; i++)
            d[i] = ltr_bf16_add(d[i], s[i]);
        return;
    }
    DISPATCH(add_into, dst, dst, src);
}

static const ltr_accel cpu_accel = {
    .size = sizeof(ltr_accel),
    .api_version = LTR_ACCEL_API_VERSION,
    .name = "cpu",
    .gemm = cpu_gemm,
    .gemm_bf16 = cpu_gemm_bf16,
    .binary = cpu_binary,
    .binary_backward = ltr_cpu_binary_backward,
    .reduce_to = cpu_reduce_to,
    .fill = ltr_cpu_fill,
    .fill_rows = cpu_fill_rows,
    .sum_rows = cpu_sum_rows,
    .log_softmax = cpu_log_softmax,
    .log_softmax_backward = cpu_log_softmax_backward,
    .cross_entropy = cpu_cross_entropy,
    .cross_entropy_backward = cpu_cross_entropy_backward,
    .add_into = cpu_add_into,
    .im2col = ltr_cpu_im2col,
    .col2im = ltr_cpu_col2im,
    .unary = ltr_cpu_unary,
    .unary_backward = ltr_cpu_unary_backward,
    .reduce_dim = ltr_cpu_reduce_dim,
    .reduce_dim_backward = ltr_cpu_reduce_dim_backward,
    .softmax = ltr_cpu_softmax,
    .softmax_backward = ltr_cpu_softmax_backward,
    .avg_pool2d = ltr_cpu_avg_pool2d,
    .avg_pool2d_backward = ltr_cpu_avg_pool2d_backward,
    .max_pool2d = ltr_cpu_max_pool2d,
    .max_pool2d_backward = ltr_cpu_max_pool2d_backward,
    .adaptive_avg_pool2d = ltr_cpu_adaptive_avg_pool2d,
    .adaptive_avg_pool2d_backward = ltr_cpu_adaptive_avg_pool2d_backward,
    .expand = ltr_cpu_expand,
    .compare = ltr_cpu_compare,
    .where = ltr_cpu_where,
    .where_backward = ltr_cpu_where_backward,
    .pointwise = cpu_pointwise,
    .pointwise_backward = cpu_pointwise_backward,
    .convert = ltr_cpu_convert,
    .arange = ltr_cpu_arange,
    .strided_copy = ltr_cpu_strided_copy,
    .index_select = ltr_cpu_index_select,
    .index_add = ltr_cpu_index_add,
    .norm_stats = ltr_cpu_norm_stats_t,
    .norm_apply = ltr_cpu_norm_apply_t,
    .norm_backward = ltr_cpu_norm_backward_t,
    .embedding = ltr_cpu_embedding,
    .embedding_backward = ltr_cpu_embedding_backward,
    /* numerics entries */
    .sgd_update = ltr_cpu_sgd_update,
    .adam_update = ltr_cpu_adam_update,
    .rmsprop_update = ltr_cpu_rmsprop_update,
    .adagrad_update = ltr_cpu_adagrad_update,
    .sq_norm_accum = ltr_cpu_sq_norm_accum,
    .grad_scale = ltr_cpu_grad_scale,
    .grad_clamp = ltr_cpu_grad_clamp,
    .all_finite = ltr_cpu_all_finite,
    .conv2d_workspace = ltr_cpu_conv2d_workspace,
    .swap_batch_channels = ltr_cpu_swap_batch_channels,
    .add_channel_bias = ltr_cpu_add_channel_bias,
    .conv2d_forward = ltr_cpu_conv2d_forward,
    .conv2d_backward_data = ltr_cpu_conv2d_backward_data,
    .conv2d_backward_weight = ltr_cpu_conv2d_backward_weight,
    .norm_invstd = ltr_cpu_norm_invstd,
    .norm_running_update = ltr_cpu_norm_running_update,
    .pointwise_loss = ltr_cpu_pointwise_loss,
    .pointwise_loss_backward = ltr_cpu_pointwise_loss_backward,
    .ce_loss = ltr_cpu_ce_loss,
    .ce_loss_backward = ltr_cpu_ce_loss_backward,
    .first_out_of_range = ltr_cpu_first_out_of_range,
    .match_fraction = ltr_cpu_match_fraction,
    .metric_update = ltr_cpu_metric_update,
    .rng_fill = ltr_cpu_rng_fill,
    .count_add = ltr_cpu_count_add,
    .metric_merge = ltr_cpu_metric_merge,
    .metric_value = ltr_cpu_metric_value,
    .lerp = ltr_cpu_lerp,
    .norm_backward_reduce = ltr_cpu_norm_backward_reduce_t,
    .norm_backward_elemt = ltr_cpu_norm_backward_elemt_t,
};

/* Registered by the registry on first use, through the checks every backend passes. */
static const ltr_backend cpu_backend = {.name = "cpu", .kernels = &cpu_accel};

const ltr_backend *ltr_cpu_backend(void) {
    static ltr_backend b;
    if (!b.device) {
        b = cpu_backend;
        b.device = ltr_cpu_device();
    }
    return &b;
}
