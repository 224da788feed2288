/*
 * cpu.c — the CPU accelerator: GEMMs through OpenBLAS, plain loops (written so gcc
 * vectorises them) for the rest. Each float kernel is instantiated for float and double.
 */
#include "accelerators/accelerator.h"
#include "accelerators/cpu/cpu_conv.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static void cpu_gemm(lt_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                     const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                     int64_t ldc) {
    if (m == 0 || n == 0) return;
    enum CBLAS_TRANSPOSE tA = ta ? CblasTrans : CblasNoTrans, tB = tb ? CblasTrans : CblasNoTrans;
    if (dt == LT_FLOAT64)
        cblas_dgemm(CblasRowMajor, tA, tB, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                    (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
    else
        cblas_sgemm(CblasRowMajor, tA, tB, (blasint)m, (blasint)n, (blasint)k, (float)alpha, a,
                    (blasint)lda, b, (blasint)ldb, (float)beta, c, (blasint)ldc);
}

/* Advance an N-d index over `shape` (last dim fastest); false when done. */
static inline bool next_index(int64_t *idx, const int64_t *shape, int nd) {
    for (int d = nd - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) return true;
        idx[d] = 0;
    }
    return false;
}

#define DEFINE_FLOAT_KERNELS(T, SUF)                                                           \
    static void binary_##SUF(ltr_binary_op op, const lt_tensor *a, const int64_t *as,         \
                             const lt_tensor *b, const int64_t *bs, lt_tensor *out) {         \
        const T *pa = a->data, *pb = b->data;                                                  \
        T *po = out->data;                                                                     \
        int nd = out->ndim;                                                                    \
        int64_t n = ltr_numel(out);                                                            \
        if (n == 0) return;                                                                    \
        if (nd == 0) {                                                                         \
            po[0] = op == LTR_BIN_ADD ? pa[0] + pb[0] : op == LTR_BIN_SUB ? pa[0] - pb[0]      \
                                                                          : pa[0] * pb[0];    \
            return;                                                                            \
        }                                                                                      \
        int64_t inner = out->shape[nd - 1], sa = as[nd - 1], sb = bs[nd - 1];                  \
        int64_t idx[LT_MAX_DIMS] = {0};                                                        \
        for (int64_t o = 0; o < n; o += inner) {                                               \
            int64_t oa = 0, ob = 0;                                                            \
            for (int d = 0; d < nd - 1; d++) {                                                 \
                oa += idx[d] * as[d];                                                          \
                ob += idx[d] * bs[d];                                                          \
            }                                                                                  \
            const T *ra = pa + oa, *rb = pb + ob;                                              \
            T *ro = po + o;                                                                    \
            switch (op) {                                                                      \
            case LTR_BIN_ADD:                                                                  \
                for (int64_t i = 0; i < inner; i++) ro[i] = ra[i * sa] + rb[i * sb];           \
                break;                                                                         \
            case LTR_BIN_SUB:                                                                  \
                for (int64_t i = 0; i < inner; i++) ro[i] = ra[i * sa] - rb[i * sb];           \
                break;                                                                         \
            case LTR_BIN_MUL:                                                                  \
                for (int64_t i = 0; i < inner; i++) ro[i] = ra[i * sa] * rb[i * sb];           \
                break;                                                                         \
            }                                                                                  \
            idx[nd - 1] = inner - 1;                                                           \
            next_index(idx, out->shape, nd);                                                   \
        }                                                                                      \
    }                                                                                          \
    static void reduce_to_##SUF(const lt_tensor *g, const int64_t *os, double scale,          \
                                lt_tensor *out) {                                              \
        const T *pg = g->data;                                                                 \
        T *po = out->data;                                                                     \
        int64_t nout = ltr_numel(out), n = ltr_numel(g);                                       \
        for (int64_t i = 0; i < nout; i++) po[i] = 0;                                          \
        int64_t idx[LT_MAX_DIMS] = {0};                                                        \
        for (int64_t i = 0; i < n; i++) {                                                      \
            int64_t off = 0;                                                                   \
            for (int d = 0; d < g->ndim; d++) off += idx[d] * os[d];                           \
            po[off] += pg[i];                                                                  \
            next_index(idx, g->shape, g->ndim);                                                \
        }                                                                                      \
        if (scale != 1.0)                                                                      \
            for (int64_t i = 0; i < nout; i++) po[i] = (T)(po[i] * scale);                     \
    }                                                                                          \
    static void relu_##SUF(const lt_tensor *x, lt_tensor *y) {                                 \
        const T *restrict px = x->data;                                                        \
        T *restrict py = y->data;                                                              \
        int64_t n = ltr_numel(x);                                                              \
        for (int64_t i = 0; i < n; i++) py[i] = px[i] > 0 ? px[i] : 0;                         \
    }                                                                                          \
    static void relu_backward_##SUF(const lt_tensor *x, const lt_tensor *gy, lt_tensor *gx) {  \
        const T *restrict px = x->data, *restrict pg = gy->data;                               \
        T *restrict po = gx->data;                                                             \
        int64_t n = ltr_numel(x);                                                              \
        for (int64_t i = 0; i < n; i++) { /* both loads unconditional: the loop vectorises */ \
            T gi = pg[i];                                                                      \
            po[i] = px[i] > 0 ? gi : 0;                                                        \
        }                                                                                      \
    }                                                                                          \
    static void fill_##SUF(lt_tensor *t, double v) {                                           \
        T *p = t->data;                                                                        \
        int64_t n = ltr_numel(t);                                                              \
        for (int64_t i = 0; i < n; i++) p[i] = (T)v;                                           \
    }                                                                                          \
    static double sum_##SUF(const lt_tensor *x) {                                              \
        const T *p = x->data;                                                                  \
        int64_t n = ltr_numel(x);                                                              \
        double s = 0;                                                                          \
        for (int64_t i = 0; i < n; i++) s += p[i];                                             \
        return s;                                                                              \
    }                                                                                          \
    static void add_row_##SUF(lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b) {        \
        T *py = y->data;                                                                       \
        const T *restrict pb = b->data;                                                        \
        for (int64_t r = 0; r < m; r++) {                                                      \
            T *restrict row = py + r * n;                                                      \
            for (int64_t j = 0; j < n; j++) row[j] += pb[j];                                   \
        }                                                                                      \
    }                                                                                          \
    static void sum_rows_##SUF(const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out,       \
                               bool accumulate) {                                              \
        const T *pg = g->data;                                                                 \
        T *restrict po = out->data;                                                            \
        if (!accumulate)                                                                       \
            for (int64_t j = 0; j < n; j++) po[j] = 0;                                         \
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
                T mx = -INFINITY;                                                              \
                for (int64_t k = 0; k < dim; k++) mx = r[k * inner] > mx ? r[k * inner] : mx;  \
                double s = 0;                                                                  \
                for (int64_t k = 0; k < dim; k++) s += exp((double)(r[k * inner] - mx));       \
                T lse = (T)(mx + log(s));                                                      \
                for (int64_t k = 0; k < dim; k++) w[k * inner] = r[k * inner] - lse;           \
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
    static void argmax_##SUF(const lt_tensor *x, int64_t outer, int64_t dim, int64_t inner,    \
                             lt_tensor *out) {                                                 \
        const T *px = x->data;                                                                 \
        int64_t *po = out->data;                                                               \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t in = 0; in < inner; in++) {                                           \
                const T *r = px + o * dim * inner + in;                                        \
                int64_t best = 0;                                                              \
                for (int64_t k = 1; k < dim; k++)                                              \
                    if (r[k * inner] > r[best * inner] || isnan(r[k * inner])) {               \
                        best = k;                                                              \
                        if (isnan(r[k * inner])) break; /* torch: NaN is the max */            \
                    }                                                                          \
                po[o * inner + in] = best;                                                     \
            }                                                                                  \
    }

DEFINE_FLOAT_KERNELS(float, f32)
DEFINE_FLOAT_KERNELS(double, f64)

#define DISPATCH(name, t, ...) \
    ((t)->dtype == LT_FLOAT64 ? name##_f64(__VA_ARGS__) : name##_f32(__VA_ARGS__))

static void cpu_binary(ltr_binary_op op, const lt_tensor *a, const int64_t *as, const lt_tensor *b,
                       const int64_t *bs, lt_tensor *out) {
    DISPATCH(binary, out, op, a, as, b, bs, out);
}
static void cpu_reduce_to(const lt_tensor *g, const int64_t *os, double scale, lt_tensor *out) {
    DISPATCH(reduce_to, out, g, os, scale, out);
}
static void cpu_relu(const lt_tensor *x, lt_tensor *y) { DISPATCH(relu, x, x, y); }
static void cpu_relu_backward(const lt_tensor *x, const lt_tensor *gy, lt_tensor *gx) {
    DISPATCH(relu_backward, x, x, gy, gx);
}
static void cpu_fill(lt_tensor *t, double v) { DISPATCH(fill, t, t, v); }
static double cpu_sum(const lt_tensor *x) { return DISPATCH(sum, x, x); }
static void cpu_add_row(lt_tensor *y, int64_t m, int64_t n, const lt_tensor *b) {
    DISPATCH(add_row, y, y, m, n, b);
}
static void cpu_sum_rows(const lt_tensor *g, int64_t m, int64_t n, lt_tensor *out, bool acc) {
    DISPATCH(sum_rows, g, g, m, n, out, acc);
}
static void cpu_log_softmax(const lt_tensor *x, int64_t o, int64_t d, int64_t i, lt_tensor *y) {
    DISPATCH(log_softmax, x, x, o, d, i, y);
}
static void cpu_log_softmax_backward(const lt_tensor *y, const lt_tensor *gy, int64_t o, int64_t d,
                                     int64_t i, lt_tensor *gx) {
    DISPATCH(log_softmax_backward, y, y, gy, o, d, i, gx);
}
static void cpu_argmax(const lt_tensor *x, int64_t o, int64_t d, int64_t i, lt_tensor *out) {
    DISPATCH(argmax, x, x, o, d, i, out);
}

static const ltr_accel cpu_accel = {
    .name = "cpu",
    .gemm = cpu_gemm,
    .binary = cpu_binary,
    .reduce_to = cpu_reduce_to,
    .relu = cpu_relu,
    .relu_backward = cpu_relu_backward,
    .fill = cpu_fill,
    .sum = cpu_sum,
    .add_row = cpu_add_row,
    .sum_rows = cpu_sum_rows,
    .log_softmax = cpu_log_softmax,
    .log_softmax_backward = cpu_log_softmax_backward,
    .argmax = cpu_argmax,
    .im2col = ltr_cpu_im2col,
    .col2im = ltr_cpu_col2im,
    .max_pool2d = ltr_cpu_max_pool2d,
    .max_pool2d_backward = ltr_cpu_max_pool2d_backward,
};

const ltr_accel *ltr_accel_get(int32_t device) { return device == 0 ? &cpu_accel : NULL; }
