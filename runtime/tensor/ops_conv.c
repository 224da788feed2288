/*
 * ops_conv.c — F.conv2d, F.conv1d and F.conv_transpose2d: shape checks, outputs and
 * autograd (conv1d/conv2d also in bfloat16). conv2d computes through the kernel table's conv entries (forward,
 * backward-data, backward-weight: oneDNN or im2col + GEMM on the CPU,
 * accelerators/cpu/cpu_conv2d.c); conv_transpose2d composes the table's gemm, im2col
 * and col2im.
 */
#include "tensor/ops_common.h"

#include "tensor/arena.h"

#include <string.h>

/* Raw step-arena memory on the device of `on` (not zeroed: every byte is written before
 * it is read): kernels' workspaces live where the kernels run. */
static void *arena_raw(lt_ctx *ctx, const lt_tensor *on, size_t bytes) {
    ltr_arena *a = ltr_arena_on(ltr_ctx_of(ctx)->arena, on->device);
    void *p = a ? ltr_arena_alloc(a, bytes) : NULL;
    if (!p) ltr_fail(ctx, "lt_conv2d: out of memory for %zu bytes of columns", bytes);
    return p;
}

/* conv1d/conv2d take bfloat16 too (autocast's lower-precision list): float32
 * accumulation, outputs and gradients rounded once, as torch's mkldnn bf16 conv.
 * dX through backward-data, dW and db through backward-weight (the kernel table's conv
 * entries, on the path the forward took). A parameter's dW is written into its
 * persistent grad (added to when defined); other gradients go through fresh tensors. */
static lt_status conv2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *g = n->out->grad;
    const ltr_conv_geo *sv = n->saved;
    const ltr_accel *acc = ltr_accel_of(g);
    bool need_w = (w->flags & LTR_T_REQUIRES_GRAD) != 0, need_x = (x->flags & LTR_T_REQUIRES_GRAD) != 0;
    bool need_b = b && (b->flags & LTR_T_REQUIRES_GRAD);
    if (need_x) {
        lt_tensor *gx = ltr_empty_like(ctx, x);
        void *ws = gx ? arena_raw(ctx, x, acc->conv2d_workspace(LTR_CONV_BACKWARD_DATA, x, w, sv, false, false)) : NULL;
        if (!ws) return LT_ERROR;
        acc->conv2d_backward_data(g, w, sv, ws, gx);
        if (ltr_accumulate_grad_owned(ctx, x, gx)) return LT_ERROR;
    }
    if (!need_w && !need_b) return LT_OK;
    lt_tensor *wt = (lt_tensor *)w, *gw = NULL, *gb = NULL;
    bool direct = need_w && (wt->flags & LTR_T_PARAM); /* write into the persistent grad */
    bool accumulate = direct && (wt->flags & LTR_T_GRAD_DEFINED);
    if (need_w && !(gw = direct ? wt->grad : ltr_empty_like(ctx, w))) return LT_ERROR;
    if (need_b && !(gb = ltr_empty_like(ctx, b))) return LT_ERROR;
    void *ws = arena_raw(ctx, x, acc->conv2d_workspace(LTR_CONV_BACKWARD_WEIGHT, x, w, sv, need_w, need_b));
    if (!ws) return LT_ERROR;
    acc->conv2d_backward_weight(x, g, sv, ws, gw, accumulate, gb);
    if (direct) wt->flags |= LTR_T_GRAD_DEFINED;
    else if (need_w && ltr_accumulate_grad_owned(ctx, w, gw)) return LT_ERROR;
    if (need_b && ltr_accumulate_grad_owned(ctx, b, gb)) return LT_ERROR;
    return LT_OK;
}

lt_tensor *ltr_conv2d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                      const lt_conv2d_options *optp) {
    if (!x || !w) return NULL;
    const char *op = "lt_conv2d";
    if (!ltr_check_floating(ctx, op, x) || !ltr_check_floating(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!ltr_check_floating(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
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
    if (!y) return NULL;
    ltr_conv_geo geo = {.opt = opt, .k = {k[0], k[1]}, .ho = out[0], .wo = out[1]};
    const ltr_accel *acc = ltr_accel_of(x);
    void *ws = arena_raw(ctx, x, acc->conv2d_workspace(LTR_CONV_FORWARD, x, w, &geo, false, false));
    if (!ws) return NULL;
    acc->conv2d_forward(x, w, b, &geo, ws, y);
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_node *n = ltr_record(ctx, "conv2d", y, conv2d_backward, b ? 3 : 2, inputs);
    if (n) {
        ltr_conv_geo *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        *sv = geo;
        n->saved = sv;
    }
    return y;
}

/* ------------------------------------------------------------ conv */

/* F.conv1d as F.conv2d on [N, C, 1, L] with a [O, C/g, 1, k] weight: the same im2col +
 * GEMM path, and the reshapes carry the gradients back to the 3-D tensors. */
lt_tensor *ltr_conv1d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                      const lt_conv1d_options *optp) {
    if (!x || !w) return NULL;
    const char *op = "lt_conv1d";
    if (!ltr_check_floating(ctx, op, x) || !ltr_check_floating(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!ltr_check_floating(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
    lt_conv1d_options o = optp ? *optp : LT_CONV1D_DEFAULTS;
    char s1[96], s2[96];
    if (x->ndim != 3 || w->ndim != 3) {
        ltr_fail(ctx, "%s: expected input [N, C, L] and weight [O, C/groups, k], got %s and %s", op,
                 ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    if (o.stride < 1 || o.dilation < 1 || o.padding < 0 || o.groups < 1) {
        ltr_fail(ctx, "%s: stride, dilation and groups must be >= 1 and padding >= 0", op);
        return NULL;
    }
    int64_t span = o.dilation * (w->shape[2] - 1) + 1;
    if (x->shape[2] + 2 * o.padding < span) {
        ltr_fail(ctx, "%s: input %s (padded) is smaller than the kernel %s", op,
                 ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    if (x->shape[1] % o.groups || w->shape[0] % o.groups || w->shape[1] != x->shape[1] / o.groups) {
        ltr_fail(ctx, "%s: input %s, weight %s and groups=%lld do not fit (weight needs [O, C/groups, "
                      "k] with C and O divisible by groups)", op, ltr_shape_str(x, s1, sizeof s1),
                 ltr_shape_str(w, s2, sizeof s2), (long long)o.groups);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        ltr_fail(ctx, "%s: bias %s does not match %lld output channels", op,
                 ltr_shape_str(b, s1, sizeof s1), (long long)w->shape[0]);
        return NULL;
    }
    lt_conv2d_options o2 = {.stride = {1, o.stride}, .padding = {0, o.padding},
                            .dilation = {1, o.dilation}, .groups = o.groups};
    int64_t xs[4] = {x->shape[0], x->shape[1], 1, x->shape[2]};
    int64_t ws[4] = {w->shape[0], w->shape[1], 1, w->shape[2]};
    lt_tensor *y = ltr_conv2d(ctx, ltr_reshape(ctx, x, 4, xs), ltr_reshape(ctx, w, 4, ws), b, &o2);
    if (!y) return NULL;
    int64_t ys[3] = {y->shape[0], y->shape[1], y->shape[3]};
    return ltr_reshape(ctx, y, 3, ys);
}

/*
 * F.conv_transpose2d: the adjoint of conv2d. With w [C, O/g, kh, kw] read per group as
 * W_g [C/g, K = O/g*kh*kw], the columns W_g^T X_g [K, N*H*W] are folded by col2im into
 * y [N, O, Ho, Wo], Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1.
 * Backward unfolds dY with im2col: dX_g = W_g dcols_g, dW_g = X_g dcols_g^T (one GEMM
 * over the whole batch, so the sum over samples is BLAS's, independent of OpenMP).
 */
typedef struct convt_saved {
    lt_conv2d_options geo; /* the geometry of the conv2d whose adjoint this is */
    int64_t k[2], ho, wo;
    void *xt; /* x as [C, N*H*W] */
} convt_saved;

static lt_status conv_transpose2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *g = n->out->grad;
    const convt_saved *sv = n->saved;
    const ltr_accel *acc = ltr_accel_of(g);
    size_t es = ltr_dtype_size(g->dtype);
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t G = sv->geo.groups, Cg = C / G, O = w->shape[1] * G, Og = O / G;
    int64_t K = Og * sv->k[0] * sv->k[1], hw = H * W, nhw = N * hw, howo = sv->ho * sv->wo;
    bool need_x = x->flags & LTR_T_REQUIRES_GRAD, need_w = w->flags & LTR_T_REQUIRES_GRAD;
    if (need_x || need_w) {
        char *dcols = arena_raw(ctx, g, (size_t)(G * K * nhw) * es);
        char *gxt = need_x ? arena_raw(ctx, x, (size_t)(C * nhw) * es) : NULL;
        if (!dcols || (need_x && !gxt)) return LT_ERROR;
        for (int64_t gr = 0; gr < G; gr++) {
            char *dc = dcols + (size_t)(gr * K * nhw) * es;
            /* each sample writes its own columns: disjoint, thread-count independent */
#pragma omp parallel for if (N > 1 && K * nhw > 65536) schedule(static)
            for (int64_t s = 0; s < N; s++)
                acc->im2col(g->dtype, (const char *)g->data + (size_t)((s * O + gr * Og) * howo) * es,
                            Og, sv->ho, sv->wo, sv->k, &sv->geo, H, W, nhw, dc + (size_t)(s * hw) * es);
            if (need_x) /* dX_g [Cg, NHW] = W_g [Cg, K] dcols_g [K, NHW] */
                acc->gemm(g->dtype, false, false, Cg, nhw, K, 1.0,
                          (const char *)w->data + (size_t)(gr * Cg * K) * es, K, dc, nhw, 0.0,
                          gxt + (size_t)(gr * Cg * nhw) * es, nhw);
        }
        if (need_w) {
            lt_tensor *wt = (lt_tensor *)w;
            bool direct = (wt->flags & LTR_T_PARAM) != 0;
            lt_tensor *gw = direct ? wt->grad : ltr_empty_like(ctx, w);
            if (!gw) return LT_ERROR;
            double beta = direct && (wt->flags & LTR_T_GRAD_DEFINED) ? 1.0 : 0.0;
            for (int64_t gr = 0; gr < G; gr++) /* dW_g [Cg, K] = X_g dcols_g^T */
                acc->gemm(g->dtype, false, true, Cg, K, nhw, 1.0,
                          (const char *)sv->xt + (size_t)(gr * Cg * nhw) * es, nhw,
                          dcols + (size_t)(gr * K * nhw) * es, nhw, beta,
                          (char *)gw->data + (size_t)(gr * Cg * K) * es, K);
            if (nhw == 0 && beta == 0.0) acc->fill(gw, 0);
            if (direct) wt->flags |= LTR_T_GRAD_DEFINED;
            else if (ltr_accumulate_grad(ctx, w, gw)) return LT_ERROR;
        }
        if (need_x) {
            lt_tensor *gx = ltr_empty_like(ctx, x);
            if (!gx) return LT_ERROR;
            acc->swap_batch_channels(gxt, gx->data, C, N, (size_t)hw * es);
            if (ltr_accumulate_grad(ctx, x, gx)) return LT_ERROR;
        }
    }
    if (b && (b->flags & LTR_T_REQUIRES_GRAD)) {
        lt_tensor *gb = ltr_empty_like(ctx, b);
        if (!gb) return LT_ERROR;
        /* db[o] = sum over samples of each row dY[s, o]'s double sum, in sample order, on
         * the device: the rows' sums [N, O], then their sum over N, rounded once */
        const int64_t nos[2] = {N, O};
        lt_tensor *rows = ltr_empty_on(ctx, g->device, LT_FLOAT64, 2, nos);
        lt_tensor *sum = ltr_empty_on(ctx, g->device, LT_FLOAT64, 1, &O);
        if (!rows || !sum) return LT_ERROR;
        acc->reduce_dim(LTR_RED_SUM, g, N * O, howo, 1, 1.0, rows, NULL);
        acc->reduce_dim(LTR_RED_SUM, rows, 1, N, O, 1.0, sum, NULL);
        acc->convert(sum, gb);
        if (ltr_accumulate_grad(ctx, b, gb)) return LT_ERROR;
    }
    return LT_OK;
}

lt_tensor *ltr_conv_transpose2d(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *w,
                                const lt_tensor *b, const lt_conv_transpose2d_options *optp) {
    if (!x || !w) return NULL;
    const char *op = "lt_conv_transpose2d";
    if (!ltr_check_float(ctx, op, x) || !ltr_check_float(ctx, op, w) || !ltr_check_same(ctx, op, x, w))
        return NULL;
    if (b && (!ltr_check_float(ctx, op, b) || !ltr_check_same(ctx, op, x, b))) return NULL;
    lt_conv_transpose2d_options opt = optp ? *optp : LT_CONV_TRANSPOSE2D_DEFAULTS;
    char s1[96], s2[96];
    if (x->ndim != 4 || w->ndim != 4) {
        ltr_fail(ctx, "%s: expected input [N, C, H, W] and weight [C, O/groups, kh, kw], got %s and %s",
                 op, ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2));
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (opt.stride[i] < 1 || opt.dilation[i] < 1 || opt.padding[i] < 0 || opt.output_padding[i] < 0) {
            ltr_fail(ctx, "%s: stride and dilation must be >= 1, padding and output_padding >= 0", op);
            return NULL;
        }
        /* torch: "output padding must be smaller than either stride or dilation" */
        if (opt.output_padding[i] >= opt.stride[i] && opt.output_padding[i] >= opt.dilation[i]) {
            ltr_fail(ctx, "%s: output_padding %lld must be smaller than either stride or dilation", op,
                     (long long)opt.output_padding[i]);
            return NULL;
        }
    }
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], G = opt.groups;
    if (G < 1 || w->shape[0] != C || C % G) {
        ltr_fail(ctx, "%s: input %s, weight %s and groups=%lld do not fit (weight needs [C, "
                      "O/groups, kh, kw] with C divisible by groups)", op, ltr_shape_str(x, s1, sizeof s1),
                 ltr_shape_str(w, s2, sizeof s2), (long long)G);
        return NULL;
    }
    int64_t O = w->shape[1] * G;
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        ltr_fail(ctx, "%s: bias %s does not match %lld output channels", op,
                 ltr_shape_str(b, s1, sizeof s1), (long long)O);
        return NULL;
    }
    int64_t k[2] = {w->shape[2], w->shape[3]}, in[2] = {H, W}, out[2];
    for (int i = 0; i < 2; i++) {
        out[i] = (in[i] - 1) * opt.stride[i] - 2 * opt.padding[i] + opt.dilation[i] * (k[i] - 1) +
                 opt.output_padding[i] + 1;
        if (out[i] < 1 || k[i] < 1) {
            ltr_fail(ctx, "%s: input %s with weight %s gives a non-positive output size %lld", op,
                     ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(w, s2, sizeof s2), (long long)out[i]);
            return NULL;
        }
    }
    bool has_b = b != NULL;
    x = ltr_contiguous(ctx, x);
    w = ltr_contiguous(ctx, w);
    if (b) b = ltr_contiguous(ctx, b);
    if (!x || !w || (has_b && !b)) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
    int64_t yshape[4] = {N, O, out[0], out[1]};
    lt_tensor *y = ltr_zeros(ctx, x->dtype, 4, yshape);
    size_t es = ltr_dtype_size(x->dtype);
    int64_t Cg = C / G, Og = O / G, K = Og * k[0] * k[1], hw = H * W, nhw = N * hw;
    int64_t howo = out[0] * out[1];
    char *xt = arena_raw(ctx, x, (size_t)(C * nhw) * es);
    char *cols = arena_raw(ctx, x, (size_t)(K * nhw) * es);
    if (!y || !xt || !cols) return NULL;
    acc->swap_batch_channels(x->data, xt, N, C, (size_t)hw * es);
    lt_conv2d_options geo = {.stride = {opt.stride[0], opt.stride[1]},
                             .padding = {opt.padding[0], opt.padding[1]},
                             .dilation = {opt.dilation[0], opt.dilation[1]}, .groups = G};
    for (int64_t gr = 0; gr < G; gr++) {
        /* cols [K, NHW] = W_g^T [K, Cg] X_g [Cg, NHW] */
        acc->gemm(x->dtype, true, false, K, nhw, Cg, 1.0,
                  (const char *)w->data + (size_t)(gr * Cg * K) * es, K,
                  xt + (size_t)(gr * Cg * nhw) * es, nhw, 0.0, cols, nhw);
        /* each sample folds into its own output block: disjoint writes */
#pragma omp parallel for if (N > 1 && K * nhw > 65536) schedule(static)
        for (int64_t s = 0; s < N; s++)
            acc->col2im(x->dtype, cols + (size_t)(s * hw) * es, Og, out[0], out[1], k, &geo, H, W, nhw,
                        (char *)y->data + (size_t)((s * O + gr * Og) * howo) * es);
    }
    if (b) acc->add_channel_bias(y, b, N, O, howo);
    const lt_tensor *inputs[3] = {x, w, b};
    ltr_node *n = ltr_record(ctx, "conv_transpose2d", y, conv_transpose2d_backward, b ? 3 : 2, inputs);
    if (n) {
        convt_saved *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        sv->geo = geo;
        sv->k[0] = k[0];
        sv->k[1] = k[1];
        sv->ho = out[0];
        sv->wo = out[1];
        sv->xt = xt;
        n->saved = sv;
    }
    return y;
}
