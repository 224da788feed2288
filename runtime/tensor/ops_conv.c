/*
 * ops_conv.c — F.conv2d (im2col + GEMM per sample and group) and F.max_pool2d.
 *
 * Forward keeps each sample's columns in the arena so backward does not redo im2col:
 * dW_g = sum_n dY[n,g] cols[n,g]^T, dcols = W_g^T dY[n,g] folded back by col2im,
 * db = sum over n and positions of dY.
 */
#include "tensor/ops_common.h"

#include <string.h>

typedef struct conv_saved {
    lt_conv2d_options opt;
    int64_t k[2], ho, wo;
    void *cols; /* [N, groups, K, Ho*Wo] */
} conv_saved;

static lt_status conv2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *g = n->out->grad;
    const conv_saved *sv = n->saved;
    const ltr_accel *acc = ltr_accel_of(g);
    size_t es = ltr_dtype_size(g->dtype);
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t O = w->shape[0], G = sv->opt.groups, Cg = C / G, Og = O / G;
    int64_t K = Cg * sv->k[0] * sv->k[1], howo = sv->ho * sv->wo;
    const char *gy = g->data, *cols = sv->cols;
    if (w->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *wt = (lt_tensor *)w;
        bool direct = (wt->flags & LTR_T_PARAM) != 0; /* write into the persistent grad */
        lt_tensor *gw = direct ? wt->grad : ltr_empty_like(ctx, w);
        if (!gw) return LT_ERROR;
        bool first = !direct || !(wt->flags & LTR_T_GRAD_DEFINED);
        for (int64_t s = 0; s < N; s++)
            for (int64_t gr = 0; gr < G; gr++)
                acc->gemm(g->dtype, false, true, Og, K, howo, 1.0,
                          gy + (size_t)((s * O + gr * Og) * howo) * es, howo,
                          cols + (size_t)((s * G + gr) * K * howo) * es, howo,
                          first && s == 0 ? 0.0 : 1.0, (char *)gw->data + (size_t)(gr * Og * K) * es, K);
        if (N == 0 && first) acc->fill(gw, 0);
        if (direct) wt->flags |= LTR_T_GRAD_DEFINED;
        else if (ltr_accumulate_grad(ctx, w, gw)) return LT_ERROR;
    }
    if (b && (b->flags & LTR_T_REQUIRES_GRAD)) {
        lt_tensor *gb = ltr_zeros_like(ctx, b);
        if (!gb) return LT_ERROR;
        /* dY viewed as [N*O, Ho*Wo]: sum each row, then over samples */
        for (int64_t s = 0; s < N; s++)
            for (int64_t o = 0; o < O; o++) {
                lt_tensor row = *g;
                row.data = (char *)g->data + (size_t)((s * O + o) * howo) * es;
                row.ndim = 1;
                row.shape[0] = howo;
                ltr_set(gb, o, ltr_get(gb, o) + acc->sum(&row));
            }
        if (ltr_accumulate_grad(ctx, b, gb)) return LT_ERROR;
    }
    if (x->flags & LTR_T_REQUIRES_GRAD) {
        lt_tensor *gx = ltr_zeros_like(ctx, x);
        void *dcols = ltr_scratch(ctx, (size_t)(K * howo) * es);
        if (!gx || !dcols) return LT_ERROR;
        for (int64_t s = 0; s < N; s++)
            for (int64_t gr = 0; gr < G; gr++) {
                acc->gemm(g->dtype, true, false, K, howo, Og, 1.0,
                          (const char *)w->data + (size_t)(gr * Og * K) * es, K,
                          gy + (size_t)((s * O + gr * Og) * howo) * es, howo, 0.0, dcols, howo);
                acc->col2im(g->dtype, dcols, Cg, H, W, sv->k, &sv->opt, sv->ho, sv->wo,
                            (char *)gx->data + (size_t)((s * C + gr * Cg) * H * W) * es);
            }
        if (ltr_accumulate_grad(ctx, x, gx)) return LT_ERROR;
    }
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
    bool grad = ltr_ctx_of(ctx)->grad_enabled &&
                ((x->flags | w->flags | (b ? b->flags : 0)) & LTR_T_REQUIRES_GRAD);
    /* with gradients: every sample's columns stay for backward; without: one buffer */
    void *cols = ltr_scratch(ctx, (size_t)((grad ? N : 1) * G * K * howo) * es);
    if (!y || !cols) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
    for (int64_t s = 0; s < N; s++)
        for (int64_t gr = 0; gr < G; gr++) {
            char *c = (char *)cols + (size_t)(((grad ? s : 0) * G + gr) * K * howo) * es;
            acc->im2col(x->dtype, (const char *)x->data + (size_t)((s * C + gr * Cg) * H * W) * es,
                        Cg, H, W, k, &opt, out[0], out[1], c);
            acc->gemm(x->dtype, false, false, Og, howo, K, 1.0,
                      (const char *)w->data + (size_t)(gr * Og * K) * es, K, c, howo, 0.0,
                      (char *)y->data + (size_t)((s * O + gr * Og) * howo) * es, howo);
        }
    if (b) add_channel_bias(y, b, N, O, howo);
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_node *n = ltr_record(ctx, "conv2d", y, conv2d_backward, b ? 3 : 2, inputs);
    if (n) {
        conv_saved *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        sv->opt = opt;
        sv->k[0] = k[0];
        sv->k[1] = k[1];
        sv->ho = out[0];
        sv->wo = out[1];
        sv->cols = cols;
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
