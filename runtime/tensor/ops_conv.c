/*
 * ops_conv.c — F.conv2d (im2col + GEMM) and F.max_pool2d.
 *
 * The batch is processed in chunks of samples whose columns ([K, S*Ho*Wo] per group,
 * samples side by side) stay around CONV_CHUNK_BYTES, so each group's GEMM is large
 * enough for OpenBLAS to run well while its operands stay in cache: columns for a whole
 * batch (40 MB for a 16->32 5x5 conv on 14x14 at batch 128) made the step memory-bound.
 * Backward recomputes each chunk's columns (cheaper than keeping them):
 * dW_g += dY_g cols_g^T, dcols = W_g^T dY_g folded back by col2im, db = sums of dY.
 */
#include "tensor/ops_common.h"

#include "tensor/arena.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define CONV_CHUNK_BYTES ((size_t)1 << 20)

/* Chunks run in parallel, one OpenMP thread each; their GEMMs then run serially inside
 * the thread (OpenBLAS's OpenMP build does so within a parallel region): for these
 * sizes that beats threading each GEMM, measured 1.5x on 2 cores. Partial sums (dW,
 * db) are per thread and added in thread order, so a run repeats bit for bit at a
 * given thread count. */
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

typedef struct conv_saved {
    lt_conv2d_options opt;
    int64_t k[2], ho, wo;
} conv_saved;

/* Raw arena memory (not zeroed: every byte is written before it is read). */
static void *arena_raw(lt_ctx *ctx, size_t bytes) {
    void *p = ltr_arena_alloc(ltr_ctx_of(ctx)->arena, bytes);
    if (!p) ltr_fail(ctx, "lt_conv2d: out of memory for %zu bytes of columns", bytes);
    return p;
}

/* [a, b, block] -> [b, a, block]: between the batch's [N, O, HW] and the GEMM's [O, N*HW] */
static void swap_batch_channels(const char *src, char *dst, int64_t a, int64_t b, size_t block) {
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++) memcpy(dst + (size_t)(j * a + i) * block, src + (size_t)(i * b + j) * block, block);
}

/* Samples per chunk: at least 1, columns near CONV_CHUNK_BYTES, and at least one chunk
 * per thread when the batch allows it. */
static int64_t chunk_samples(int64_t N, int64_t rows, int64_t howo, size_t es, int nt) {
    size_t per = (size_t)(rows * howo) * es;
    int64_t s = per ? (int64_t)(CONV_CHUNK_BYTES / per) : N;
    int64_t even = (N + nt - 1) / nt;
    if (s > even) s = even;
    return s < 1 ? 1 : s;
}

/* cols_g [K, n*howo] for group gr of samples s0..s0+n-1 */
static void chunk_im2col(const ltr_accel *acc, const lt_tensor *x, const conv_saved *sv, int64_t gr,
                         int64_t Cg, int64_t s0, int64_t n, char *cols) {
    size_t es = ltr_dtype_size(x->dtype);
    int64_t C = x->shape[1], H = x->shape[2], W = x->shape[3], howo = sv->ho * sv->wo;
    for (int64_t s = 0; s < n; s++)
        acc->im2col(x->dtype, (const char *)x->data + (size_t)(((s0 + s) * C + gr * Cg) * H * W) * es,
                    Cg, H, W, sv->k, &sv->opt, sv->ho, sv->wo, n * howo, cols + (size_t)(s * howo) * es);
}

static lt_status conv2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *g = n->out->grad;
    const conv_saved *sv = n->saved;
    const ltr_accel *acc = ltr_accel_of(g);
    size_t es = ltr_dtype_size(g->dtype);
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t O = w->shape[0], G = sv->opt.groups, Cg = C / G, Og = O / G;
    int64_t K = Cg * sv->k[0] * sv->k[1], howo = sv->ho * sv->wo;
    bool need_w = (w->flags & LTR_T_REQUIRES_GRAD) != 0, need_x = (x->flags & LTR_T_REQUIRES_GRAD) != 0;
    bool need_b = b && (b->flags & LTR_T_REQUIRES_GRAD);
    int nt = conv_threads((size_t)(K * N * howo) * es);
    int64_t S = chunk_samples(N, K > O ? K : O, howo, es, nt), nchunks = (N + S - 1) / S;
    if (nt > nchunks) nt = (int)nchunks;
    /* per thread: dY chunk as [O, S*HoWo], its columns, dcols and (threaded) a partial dW */
    size_t col_b = (size_t)(K * S * howo) * es;
    size_t at_cols = (size_t)(O * S * howo) * es, at_dcols = at_cols + (need_w ? col_b : 0);
    size_t at_gw = at_dcols + (need_x ? col_b : 0);
    size_t stride = at_gw + (nt > 1 && need_w ? (size_t)(O * K) * es : 0);
    char *bufs = arena_raw(ctx, (size_t)nt * stride);
    double *bsum = need_b ? ltr_scratch(ctx, (size_t)(nt * O) * sizeof *bsum) : NULL; /* zeroed */
    if (!bufs || (need_b && !bsum)) return LT_ERROR;
    bool partial_gw = stride > at_gw;

    lt_tensor *wt = (lt_tensor *)w, *gw = NULL, *gx = NULL;
    bool direct = need_w && (wt->flags & LTR_T_PARAM); /* write into the persistent grad */
    double wbeta = direct && (wt->flags & LTR_T_GRAD_DEFINED) ? 1.0 : 0.0;
    if (need_w && !(gw = direct ? wt->grad : ltr_empty_like(ctx, w))) return LT_ERROR;
    if (need_w && wbeta == 0.0) acc->fill(gw, 0); /* chunks then accumulate (beta 1) */
    if (need_x && !(gx = ltr_zeros_like(ctx, x))) return LT_ERROR;
    lt_tensor gwpart = need_w ? *gw : (lt_tensor){0};
    for (int t = 0; t < nt && partial_gw; t++) { /* partial dW buffers start at zero */
        gwpart.data = bufs + (size_t)t * stride + at_gw;
        acc->fill(&gwpart, 0);
    }

#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t c = 0; c < nchunks; c++) {
        int t = conv_thread_id();
        char *gy = bufs + (size_t)t * stride, *cols = gy + at_cols, *dcols = gy + at_dcols;
        char *gwt = partial_gw ? gy + at_gw : need_w ? gw->data : NULL;
        int64_t s0 = c * S, ns = N - s0 < S ? N - s0 : S, nhw = ns * howo;
        swap_batch_channels((const char *)g->data + (size_t)(s0 * O * howo) * es, gy, ns, O,
                            (size_t)howo * es);
        for (int64_t o = 0; need_b && o < O; o++) { /* db[o] = sum of row o of dY */
            lt_tensor row = *g;
            row.data = gy + (size_t)(o * nhw) * es;
            row.ndim = 1;
            row.shape[0] = nhw;
            bsum[t * O + o] += acc->sum(&row);
        }
        for (int64_t gr = 0; gr < G; gr++) {
            const char *gyg = gy + (size_t)(gr * Og * nhw) * es;
            if (need_w) { /* dW_g += dY_g cols_g^T */
                chunk_im2col(acc, x, sv, gr, Cg, s0, ns, cols);
                acc->gemm(g->dtype, false, true, Og, K, nhw, 1.0, gyg, nhw, cols, nhw, 1.0,
                          gwt + (size_t)(gr * Og * K) * es, K);
            }
            if (need_x) { /* dcols = W_g^T dY_g, folded back per sample */
                acc->gemm(g->dtype, true, false, K, nhw, Og, 1.0,
                          (const char *)w->data + (size_t)(gr * Og * K) * es, K, gyg, nhw, 0.0,
                          dcols, nhw);
                for (int64_t s = 0; s < ns; s++)
                    acc->col2im(g->dtype, dcols + (size_t)(s * howo) * es, Cg, H, W, sv->k, &sv->opt,
                                sv->ho, sv->wo, nhw,
                                (char *)gx->data + (size_t)(((s0 + s) * C + gr * Cg) * H * W) * es);
            }
        }
    }
    if (need_w) {
        for (int t = 0; t < nt && partial_gw; t++) { /* partials added in thread order */
            gwpart.data = bufs + (size_t)t * stride + at_gw;
            acc->add_into(gw, &gwpart);
        }
        if (direct) wt->flags |= LTR_T_GRAD_DEFINED;
        else if (ltr_accumulate_grad(ctx, w, gw)) return LT_ERROR;
    }
    if (need_b) {
        lt_tensor *gb = ltr_empty_like(ctx, b);
        if (!gb) return LT_ERROR;
        for (int64_t o = 0; o < O; o++) {
            double sum = 0;
            for (int t = 0; t < nt; t++) sum += bsum[t * O + o];
            ltr_set(gb, o, sum);
        }
        if (ltr_accumulate_grad(ctx, b, gb)) return LT_ERROR;
    }
    if (need_x && ltr_accumulate_grad(ctx, x, gx)) return LT_ERROR;
    return LT_OK;
}

/* y [N, O, Ho*Wo] += b[o] on every position of channel o */
static void add_channel_bias(lt_tensor *y, const lt_tensor *b, int64_t N, int64_t O, int64_t howo) {
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

lt_tensor *ltr_conv2d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                      const lt_conv2d_options *optp) {
    if (!x || !w) return NULL;
    const char *op = "lt_conv2d";
    if (!ltr_check_float(ctx, op, x) || !ltr_check_float(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!ltr_check_float(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
    lt_conv2d_options opt = optp ? *optp : LT_CONV2D_DEFAULTS;
    char s1[96], s2[96];
    if (x->ndim != 4 || w->ndim != 4) {
        ltr_fail(ctx, "%s: expected input [N, C, H, W] and weight [O, C/groups, kh, kw], got %s and %s",
                 op, ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        if (opt.stride[i] < 1 || opt.dilation[i] < 1 || opt.padding[i] < 0) {
            ltr_fail(ctx, "%s: stride and dilation must be >= 1 and padding >= 0", op);
            return NULL;
        }
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t O = w->shape[0], G = opt.groups;
    if (G < 1 || C % G || O % G || w->shape[1] != C / G) {
        ltr_fail(ctx, "%s: input %s, weight %s and groups=%lld do not fit (weight needs [O, C/groups, "
                      "kh, kw] with C and O divisible by groups)", op, ltr_shape_str(x, s1, sizeof s1),
                 ltr_shape_str(w, s2, sizeof s2), (long long)G);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        ltr_fail(ctx, "%s: bias %s does not match %lld output channels", op,
                 ltr_shape_str(b, s1, sizeof s1), (long long)O);
        return NULL;
    }
    int64_t k[2] = {w->shape[2], w->shape[3]}, out[2];
    int64_t in[2] = {H, W};
    for (int i = 0; i < 2; i++) {
        int64_t span = opt.dilation[i] * (k[i] - 1) + 1;
        out[i] = (in[i] + 2 * opt.padding[i] - span) / opt.stride[i] + 1;
        if (in[i] + 2 * opt.padding[i] < span || out[i] < 1) {
            ltr_fail(ctx, "%s: input %s (padded) is smaller than the kernel %s", op,
                     ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2));
            return NULL;
        }
    }
    x = ltr_contiguous(ctx, x);
    w = ltr_contiguous(ctx, w);
    if (b) b = ltr_contiguous(ctx, b);
    if (!x || !w) return NULL;
    int64_t yshape[4] = {N, O, out[0], out[1]};
    lt_tensor *y = ltr_empty(ctx, x->dtype, 4, yshape);
    int64_t Cg = C / G, Og = O / G, K = Cg * k[0] * k[1], howo = out[0] * out[1];
    size_t es = ltr_dtype_size(x->dtype);
    conv_saved geo = {.opt = opt, .k = {k[0], k[1]}, .ho = out[0], .wo = out[1]};
    int nt = conv_threads((size_t)(K * N * howo) * es);
    int64_t S = chunk_samples(N, K > O ? K : O, howo, es, nt), nchunks = (N + S - 1) / S;
    if (nt > nchunks) nt = (int)nchunks;
    size_t col_b = (size_t)(K * S * howo) * es, yt_b = (size_t)(O * S * howo) * es;
    char *bufs = arena_raw(ctx, (size_t)nt * (col_b + yt_b)); /* per thread: cols, Y chunk */
    if (!y || !bufs) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t c = 0; c < nchunks; c++) {
        char *cols = bufs + (size_t)conv_thread_id() * (col_b + yt_b), *yt = cols + col_b;
        int64_t s0 = c * S, ns = N - s0 < S ? N - s0 : S, nhw = ns * howo;
        for (int64_t gr = 0; gr < G; gr++) { /* Y_g [Og, S*HoWo] = W_g [Og, K] @ cols_g */
            chunk_im2col(acc, x, &geo, gr, Cg, s0, ns, cols);
            acc->gemm(x->dtype, false, false, Og, nhw, K, 1.0,
                      (const char *)w->data + (size_t)(gr * Og * K) * es, K, cols, nhw, 0.0,
                      yt + (size_t)(gr * Og * nhw) * es, nhw);
        }
        swap_batch_channels(yt, (char *)y->data + (size_t)(s0 * O * howo) * es, O, ns,
                            (size_t)howo * es);
    }
    if (b) add_channel_bias(y, b, N, O, howo);
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_node *n = ltr_record(ctx, "conv2d", y, conv2d_backward, b ? 3 : 2, inputs);
    if (n) {
        conv_saved *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        *sv = geo;
        n->saved = sv;
    }
    return y;
}

static lt_status max_pool2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *g = n->out->grad;
    lt_tensor *gx = ltr_empty_like(ctx, x);
    if (!gx) return LT_ERROR;
    ltr_accel_of(g)->max_pool2d_backward(g->dtype, g->data, n->saved, x->shape[0] * x->shape[1],
                                         x->shape[2] * x->shape[3], g->shape[2] * g->shape[3],
                                         gx->data);
    return ltr_accumulate_grad(ctx, x, gx);
}

lt_tensor *ltr_max_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t kernel, int64_t stride,
                          int64_t padding) {
    if (!x || !ltr_check_float(ctx, "lt_max_pool2d", x)) return NULL;
    char s1[96];
    if (x->ndim != 4) {
        ltr_fail(ctx, "lt_max_pool2d: expected input [N, C, H, W], got %s", ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    if (stride <= 0) stride = kernel; /* torch: stride=None means kernel_size */
    if (kernel < 1 || padding < 0 || padding > kernel / 2) {
        /* torch: "pad should be at most half of effective kernel size" */
        ltr_fail(ctx, "lt_max_pool2d: kernel must be >= 1 and padding in [0, kernel/2], got kernel "
                      "%lld, padding %lld", (long long)kernel, (long long)padding);
        return NULL;
    }
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t ho = (H + 2 * padding - kernel) / stride + 1, wo = (W + 2 * padding - kernel) / stride + 1;
    if (H + 2 * padding < kernel || W + 2 * padding < kernel) {
        ltr_fail(ctx, "lt_max_pool2d: input %s is smaller than the %lldx%lld window",
                 ltr_shape_str(x, s1, sizeof s1), (long long)kernel, (long long)kernel);
        return NULL;
    }
    x = ltr_contiguous(ctx, x);
    int64_t shape[4] = {x->shape[0], x->shape[1], ho, wo};
    lt_tensor *y = ltr_empty(ctx, x->dtype, 4, shape);
    int64_t *idx = ltr_scratch(ctx, (size_t)ltr_numel(y) * sizeof *idx);
    if (!y || !idx) return NULL;
    ltr_accel_of(x)->max_pool2d(x->dtype, x->data, x->shape[0] * x->shape[1], H, W, kernel, stride,
                                padding, ho, wo, y->data, idx);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, "max_pool2d", y, max_pool2d_backward, 1, in);
    if (n) n->saved = idx;
    return y;
}
