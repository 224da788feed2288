/*
 * cpu_conv2d.c — the CPU's conv2d entries (cuDNN's shape: forward, backward-data,
 * backward-weight, and the workspace each needs): oneDNN's convolution for the plain
 * float32 and bfloat16 cases, otherwise im2col + GEMM (bfloat16: on float32 copies,
 * cpu_conv2d_bf16.c).
 *
 * The batch is processed in chunks of samples whose columns ([K, S*Ho*Wo] per group,
 * samples side by side) stay around CONV_CHUNK_BYTES, so each group's GEMM is large
 * enough for OpenBLAS to run well while its operands stay in cache: columns for a whole
 * batch (40 MB for a 16->32 5x5 conv on 14x14 at batch 128) made the step memory-bound.
 * Backward recomputes each chunk's columns (cheaper than keeping them):
 * dW_g += dY_g cols_g^T, dcols = W_g^T dY_g folded back by col2im, db = sums of dY.
 */
#include "accelerators/cpu/cpu_numerics.h"

#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "accelerators/cpu/cpu_conv.h"
#include "accelerators/cpu/cpu_dnnl.h"
#include "accelerators/deterministic.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define CONV_CHUNK_BYTES ((size_t)1 << 20)

/* the CPU table's own gemm, sum, fill and add_into */
static const ltr_accel *cpu(void) { return ltr_cpu_backend()->kernels; }

/* Chunks run in parallel, one OpenMP thread each; their GEMMs then run serially inside
 * the thread (OpenBLAS's OpenMP build does so within a parallel region): for these
 * sizes that beats threading each GEMM, measured 1.5x on 2 cores. dW and db are summed
 * per chunk and the chunks' sums added in chunk order, so results are the same bits at
 * any thread count. */
/* Threads for a conv whose columns take `bytes` over the whole batch: one below
 * CONV_PARALLEL_MIN, where waking a team costs more than it saves. */
#define CONV_PARALLEL_MIN ((size_t)1 << 18)
static int conv_threads(size_t bytes) {
#ifdef _OPENMP
    return bytes < CONV_PARALLEL_MIN ? 1 : omp_get_max_threads();
#else
    (void)bytes;
    return 1;
#endif
}

static int conv_thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* oneDNN's view of a conv (float32 CPU tensors only; cpu_dnnl.h) */
static ltr_dnnl_conv_geo dnnl_geo(const lt_tensor *x, const lt_tensor *w, const ltr_conv_geo *sv) {
    ltr_dnnl_conv_geo g;
    memset(&g, 0, sizeof g); /* a cache key compared bytewise */
    g.n = x->shape[0], g.c = x->shape[1], g.h = x->shape[2], g.w = x->shape[3];
    g.o = w->shape[0], g.kh = sv->k[0], g.kw = sv->k[1], g.ho = sv->ho, g.wo = sv->wo;
    for (int i = 0; i < 2; i++) {
        g.stride[i] = sv->opt.stride[i];
        g.padding[i] = sv->opt.padding[i];
        g.dilation[i] = sv->opt.dilation[i];
    }
    g.groups = sv->opt.groups;
    g.bf16 = x->dtype == LT_BFLOAT16;
    return g;
}

/* oneDNN 2.6.3 (Debian 12) crashed inside its JIT code on a grouped, dilated, strided
 * conv in our tests: it serves the plain case (groups 1, dilation 1), im2col the rest.
 * Its reductions (dW, db, and the forward's over C*KH*KW) are split by thread count, so
 * deterministic algorithms take im2col, whose chunks do not depend on it. */
static bool dnnl_eligible(const lt_tensor *x, const lt_conv2d_options *o) {
    return !ltr_deterministic_algorithms() && (x->dtype == LT_FLOAT32 || x->dtype == LT_BFLOAT16) &&
           x->device == 0 && o->groups == 1 && o->dilation[0] == 1 && o->dilation[1] == 1;
}

/* [a, b, block] -> [b, a, block]: between the batch's [N, O, HW] and the GEMM's [O, N*HW] */
void ltr_cpu_swap_batch_channels(const void *srcv, void *dstv, int64_t a, int64_t b, size_t block) {
    const char *src = srcv;
    char *dst = dstv;
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++) memcpy(dst + (size_t)(j * a + i) * block, src + (size_t)(i * b + j) * block, block);
}

/* Samples per chunk: at least 1, at most N, columns near CONV_CHUNK_BYTES. It does not
 * depend on the thread count, so every chunk's GEMMs are the same at any count. */
static int64_t chunk_samples(int64_t N, int64_t rows, int64_t howo, size_t es) {
    size_t per = (size_t)(rows * howo) * es;
    int64_t s = per ? (int64_t)(CONV_CHUNK_BYTES / per) : N;
    return s < 1 ? 1 : s > N ? N : s;
}

/* cols_g [K, n*howo] for group gr of samples s0..s0+n-1 */
static void chunk_im2col(const lt_tensor *x, const ltr_conv_geo *sv, int64_t gr, int64_t Cg,
                         int64_t s0, int64_t n, char *cols) {
    size_t es = ltr_dtype_size(x->dtype);
    int64_t C = x->shape[1], H = x->shape[2], W = x->shape[3], howo = sv->ho * sv->wo;
    for (int64_t s = 0; s < n; s++)
        ltr_cpu_im2col(x->dtype, (const char *)x->data + (size_t)(((s0 + s) * C + gr * Cg) * H * W) * es,
                       Cg, H, W, sv->k, &sv->opt, sv->ho, sv->wo, n * howo, cols + (size_t)(s * howo) * es);
}

/* The im2col plan of one conv: sizes, chunking and threads (the same for every pass) */
typedef struct conv_plan {
    size_t es;
    int64_t N, C, H, W, O, G, Cg, Og, K, howo, S, nchunks;
    int nt;
} conv_plan;

static conv_plan plan_of(const lt_tensor *x, const lt_tensor *w, const ltr_conv_geo *g) {
    conv_plan p;
    p.es = ltr_dtype_size(x->dtype);
    p.N = x->shape[0], p.C = x->shape[1], p.H = x->shape[2], p.W = x->shape[3];
    p.O = w->shape[0], p.G = g->opt.groups, p.Cg = p.C / p.G, p.Og = p.O / p.G;
    p.K = p.Cg * g->k[0] * g->k[1], p.howo = g->ho * g->wo;
    p.nt = conv_threads((size_t)(p.K * p.N * p.howo) * p.es);
    p.S = chunk_samples(p.N, p.K > p.O ? p.K : p.O, p.howo, p.es);
    p.nchunks = (p.N + p.S - 1) / p.S;
    if (p.nt > p.nchunks) p.nt = (int)p.nchunks;
    return p;
}

size_t ltr_cpu_conv2d_workspace(int pass, const lt_tensor *x, const lt_tensor *w,
                                const ltr_conv_geo *g, bool need_w, bool need_b) {
    conv_plan p = plan_of(x, w, g);
    size_t col_b = (size_t)(p.K * p.S * p.howo) * p.es, gy_b = (size_t)(p.O * p.S * p.howo) * p.es;
    size_t dnnl_b = 0, im_b = 0;
    if (pass == LTR_CONV_FORWARD) {
        dnnl_b = (size_t)p.O * sizeof(float); /* zero bias */
        im_b = (size_t)p.nt * (col_b + gy_b);
    } else if (pass == LTR_CONV_BACKWARD_DATA) {
        im_b = (size_t)p.nt * (gy_b + col_b);
    } else {
        /* oneDNN: dW when it is not wanted or is added to, db when it is not wanted */
        dnnl_b = (size_t)(p.O * p.K) * sizeof(float) + (size_t)p.O * sizeof(float);
        im_b = (need_b ? (size_t)(p.nchunks * p.O) * sizeof(double) : 0) +
               (size_t)p.nt * (gy_b + (need_w ? col_b : 0)) +
               (need_w ? (size_t)p.nchunks * (size_t)(p.O * p.K) * p.es : 0);
    }
    if (!dnnl_eligible(x, &g->opt)) dnnl_b = 0;
    /* bfloat16: oneDNN's bf16 kernel, or float32 ones on widened copies if it cannot */
    if (x->dtype == LT_BFLOAT16) im_b = ltr_cpu_conv2d_bf16_workspace(pass, x, w, g, need_w, need_b);
    return dnnl_b > im_b ? dnnl_b : im_b;
}

/* y [N, O, Ho*Wo] += b[o] on every position of channel o */
void ltr_cpu_add_channel_bias(lt_tensor *y, const lt_tensor *b, int64_t N, int64_t O, int64_t howo) {
    for (int64_t s = 0; s < N; s++)
        for (int64_t o = 0; o < O; o++) {
            int64_t at = (s * O + o) * howo;
            if (y->dtype == LT_FLOAT64) {
                double *r = (double *)y->data + at, bo = ((const double *)b->data)[o];
                for (int64_t i = 0; i < howo; i++) r[i] += bo;
            } else {
                float *r = (float *)y->data + at, bo = ((const float *)b->data)[o];
                for (int64_t i = 0; i < howo; i++) r[i] += bo;
            }
        }
}

void ltr_cpu_conv2d_forward(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                            ltr_conv_geo *g, void *ws, lt_tensor *y) {
    if (dnnl_eligible(x, &g->opt)) { /* oneDNN's convolution when the build has it */
        ltr_dnnl_conv_geo dg = dnnl_geo(x, w, g);
        void *bias = b ? b->data : ws;
        if (!b) memset(ws, 0, (size_t)w->shape[0] * sizeof(float));
        if (ltr_dnnl_conv2d_forward(&dg, x->data, w->data, bias, y->data)) {
            g->algo = LTR_CONV_ALGO_DNNL;
            return;
        }
    }
    g->algo = LTR_CONV_ALGO_IM2COL;
    if (x->dtype == LT_BFLOAT16) { /* no bf16 kernel served it: float32, rounded once */
        ltr_cpu_conv2d_forward_bf16_widened(x, w, b, g, ws, y);
        return;
    }
    conv_plan p = plan_of(x, w, g);
    const size_t es = p.es;
    const int64_t O = p.O, G = p.G, Cg = p.Cg, Og = p.Og, K = p.K, howo = p.howo, S = p.S, N = p.N;
    size_t col_b = (size_t)(K * S * howo) * es, yt_b = (size_t)(O * S * howo) * es;
    char *bufs = ws; /* per thread: cols, Y chunk */
    const ltr_accel *acc = cpu();
#pragma omp parallel for schedule(static) num_threads(p.nt) if (p.nt > 1)
    for (int64_t c = 0; c < p.nchunks; c++) {
        char *cols = bufs + (size_t)conv_thread_id() * (col_b + yt_b), *yt = cols + col_b;
        int64_t s0 = c * S, ns = N - s0 < S ? N - s0 : S, nhw = ns * howo;
        for (int64_t gr = 0; gr < G; gr++) { /* Y_g [Og, S*HoWo] = W_g [Og, K] @ cols_g */
            chunk_im2col(x, g, gr, Cg, s0, ns, cols);
            acc->gemm(x->dtype, false, false, Og, nhw, K, 1.0,
                      (const char *)w->data + (size_t)(gr * Og * K) * es, K, cols, nhw, 0.0,
                      yt + (size_t)(gr * Og * nhw) * es, nhw);
        }
        ltr_cpu_swap_batch_channels(yt, (char *)y->data + (size_t)(s0 * O * howo) * es, O, ns,
                            (size_t)howo * es);
    }
    if (b) ltr_cpu_add_channel_bias(y, b, N, O, howo);
}

void ltr_cpu_conv2d_backward_data(const lt_tensor *gy, const lt_tensor *w, const ltr_conv_geo *g,
                                  void *ws, lt_tensor *gx) {
    if (g->algo == LTR_CONV_ALGO_DNNL) {
        ltr_dnnl_conv_geo dg = dnnl_geo(gx, w, g);
        if (ltr_dnnl_conv2d_backward_data(&dg, gy->data, w->data, gx->data)) return;
    }
    if (gy->dtype == LT_BFLOAT16) {
        ltr_cpu_conv2d_backward_data_bf16_widened(gy, w, g, ws, gx);
        return;
    }
    conv_plan p = plan_of(gx, w, g);
    const size_t es = p.es;
    const int64_t N = p.N, C = p.C, H = p.H, W = p.W, O = p.O, G = p.G, Cg = p.Cg, Og = p.Og;
    const int64_t K = p.K, howo = p.howo, S = p.S;
    size_t gy_b = (size_t)(O * S * howo) * es, stride = gy_b + (size_t)(K * S * howo) * es;
    char *bufs = ws; /* per thread: dY chunk as [O, S*HoWo], then dcols */
    const ltr_accel *acc = cpu();
    memset(gx->data, 0, (size_t)ltr_numel(gx) * es); /* the columns are added in */
#pragma omp parallel for schedule(static) num_threads(p.nt) if (p.nt > 1)
    for (int64_t c = 0; c < p.nchunks; c++) {
        char *gyc = bufs + (size_t)conv_thread_id() * stride, *dcols = gyc + gy_b;
        int64_t s0 = c * S, ns = N - s0 < S ? N - s0 : S, nhw = ns * howo;
        ltr_cpu_swap_batch_channels((const char *)gy->data + (size_t)(s0 * O * howo) * es, gyc, ns, O,
                            (size_t)howo * es);
        for (int64_t gr = 0; gr < G; gr++) { /* dcols = W_g^T dY_g, folded back per sample */
            const char *gyg = gyc + (size_t)(gr * Og * nhw) * es;
            acc->gemm(gy->dtype, true, false, K, nhw, Og, 1.0,
                      (const char *)w->data + (size_t)(gr * Og * K) * es, K, gyg, nhw, 0.0, dcols, nhw);
            for (int64_t s = 0; s < ns; s++)
                ltr_cpu_col2im(gy->dtype, dcols + (size_t)(s * howo) * es, Cg, H, W, g->k, &g->opt,
                               g->ho, g->wo, nhw,
                               (char *)gx->data + (size_t)(((s0 + s) * C + gr * Cg) * H * W) * es);
        }
    }
}

void ltr_cpu_conv2d_backward_weight(const lt_tensor *x, const lt_tensor *gy, const ltr_conv_geo *g,
                                    void *ws, lt_tensor *gw, bool accumulate, lt_tensor *gb) {
    const ltr_accel *acc = cpu();
    /* gw's shape, for oneDNN's scratch dW; w itself is not read */
    int64_t O = gy->shape[1];
    lt_tensor wshape = {.dtype = x->dtype, .device = x->device};
    int64_t ws4[4] = {O, x->shape[1] / g->opt.groups, g->k[0], g->k[1]};
    ltr_set_shape(&wshape, 4, ws4);
    if (g->algo == LTR_CONV_ALGO_DNNL) {
        ltr_dnnl_conv_geo dg = dnnl_geo(x, &wshape, g);
        int64_t ok = ltr_numel(&wshape);
        float *tmp_w = ws, *tmp_b = tmp_w + ok; /* room for float32; bfloat16 takes half */
        void *dw = gw && !accumulate ? gw->data : (void *)tmp_w, *db = gb ? gb->data : (void *)tmp_b;
        if (ltr_dnnl_conv2d_backward_weights(&dg, x->data, gy->data, dw, db)) {
            if (gw && accumulate) { /* grad += this dW, as gradient accumulation adds */
                wshape.data = tmp_w;
                acc->add_into(gw, &wshape);
            }
            return;
        }
    }
    if (x->dtype == LT_BFLOAT16) {
        ltr_cpu_conv2d_backward_weight_bf16_widened(x, gy, g, ws, gw, accumulate, gb);
        return;
    }
    conv_plan p = plan_of(x, &wshape, g);
    const size_t es = p.es;
    const int64_t N = p.N, G = p.G, Cg = p.Cg, Og = p.Og, K = p.K, howo = p.howo, S = p.S;
    const int64_t nchunks = p.nchunks;
    const bool need_w = gw != NULL, need_b = gb != NULL;
    size_t gy_b = (size_t)(O * S * howo) * es, col_b = (size_t)(K * S * howo) * es;
    size_t stride = gy_b + (need_w ? col_b : 0), gw_b = (size_t)(O * K) * es;
    /* per chunk: its db sums (double) and dW; per thread: dY chunk and its columns */
    double *bsum = ws;
    char *bufs = (char *)ws + (need_b ? (size_t)(nchunks * O) * sizeof(double) : 0);
    char *gwc = bufs + (size_t)p.nt * stride;
    if (need_w && !accumulate) acc->fill(gw, 0); /* the chunks' dW are then added */
#pragma omp parallel for schedule(static) num_threads(p.nt) if (p.nt > 1)
    for (int64_t c = 0; c < nchunks; c++) {
        char *gyc = bufs + (size_t)conv_thread_id() * stride, *cols = gyc + gy_b;
        char *gwt = need_w ? gwc + (size_t)c * gw_b : NULL;
        int64_t s0 = c * S, ns = N - s0 < S ? N - s0 : S, nhw = ns * howo;
        ltr_cpu_swap_batch_channels((const char *)gy->data + (size_t)(s0 * O * howo) * es, gyc, ns, O,
                            (size_t)howo * es);
        for (int64_t o = 0; need_b && o < O; o++) { /* db[o] = sum of row o of dY */
            lt_tensor row = *gy, sum = *gy; /* summed in double, unrounded (reduce_dim's SUM) */
            row.data = gyc + (size_t)(o * nhw) * es;
            row.ndim = 1;
            row.shape[0] = nhw;
            sum.dtype = LT_FLOAT64;
            sum.ndim = 0;
            sum.data = &bsum[c * O + o];
            acc->reduce_dim(LTR_RED_SUM, &row, 1, nhw, 1, 1.0, &sum, NULL);
        }
        for (int64_t gr = 0; need_w && gr < G; gr++) { /* this chunk's dW_g = dY_g cols_g^T */
            const char *gyg = gyc + (size_t)(gr * Og * nhw) * es;
            chunk_im2col(x, g, gr, Cg, s0, ns, cols);
            acc->gemm(gy->dtype, false, true, Og, K, nhw, 1.0, gyg, nhw, cols, nhw, 0.0,
                      gwt + (size_t)(gr * Og * K) * es, K);
        }
    }
    if (need_w) {
        lt_tensor part = *gw;
        for (int64_t c = 0; c < nchunks; c++) { /* chunks' dW added in chunk order */
            part.data = gwc + (size_t)c * gw_b;
            acc->add_into(gw, &part);
        }
    }
    for (int64_t o = 0; need_b && o < O; o++) {
        double sum = 0;
        for (int64_t c = 0; c < nchunks; c++) sum += bsum[c * O + o];
        if (gb->dtype == LT_FLOAT64) ((double *)gb->data)[o] = sum;
        else ((float *)gb->data)[o] = (float)sum;
    }
}
