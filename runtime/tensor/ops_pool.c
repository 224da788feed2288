/*
 * ops_pool.c — pooling front-ends: F.avg_pool2d (stride, padding,
 * ceil_mode, count_include_pad), F.max_pool2d with every option (dilation, ceil_mode;
 * lt_max_pool2d is its square-kernel shorthand), and
 * F.adaptive_avg_pool2d. Output sizes, argument checks and window rules are torch's
 * (aten/src/ATen/native/Pool.h: pooling_output_shape, pool2d_shape_check).
 */
#include "tensor/ops_common.h"

#include "tensor/arena.h"

/* torch's pooling_output_shape: floor or ceil of (in + 2p - d(k-1) - 1) / s, + 1; with
 * ceil_mode the last window must start inside the input or its left padding. */
static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil_mode && (out - 1) * s >= in + p) out--;
    return out;
}

/* Checks x and the options; fills the geometry. NULL on error (already reported). */
static const lt_tensor *pool_setup(lt_ctx *ctx, const char *op, const lt_tensor *x, int64_t kh,
                                   int64_t kw, const lt_pool2d_options *optp, bool max_pool,
                                   ltr_pool_geo *g) {
    /* max pooling picks elements: bfloat16 runs as is (exact); averages refuse it */
    if (!x || !(max_pool ? ltr_check_floating(ctx, op, x) : ltr_check_float(ctx, op, x))) return NULL;
    lt_pool2d_options o = optp ? *optp : LT_POOL2D_DEFAULTS;
    char s1[96];
    if (x->ndim != 4) {
        ltr_fail(ctx, "%s: expected input [N, C, H, W], got %s", op, ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    int64_t k[2] = {kh, kw};
    for (int i = 0; i < 2; i++) {
        g->k[i] = k[i];
        g->s[i] = o.stride[i] == 0 ? k[i] : o.stride[i]; /* torch: stride=None means kernel */
        g->p[i] = o.padding[i];
        g->d[i] = o.dilation[i];
        if (k[i] < 1 || g->s[i] < 1 || g->p[i] < 0 || g->d[i] < 1) {
            ltr_fail(ctx, "%s: kernel %lldx%lld, stride, dilation must be >= 1 and padding >= 0",
                     op, (long long)kh, (long long)kw);
            return NULL;
        }
        if (!max_pool && g->d[i] != 1) /* only max pooling has dilation */ {
            ltr_fail(ctx, "%s: has no dilation (got %lld)", op, (long long)g->d[i]);
            return NULL;
        }
        if (g->p[i] > k[i] / 2) {
            ltr_fail(ctx, "%s: pad should be at most half of kernel size, got padding %lld for "
                          "kernel %lld", op, (long long)g->p[i], (long long)k[i]);
            return NULL;
        }
    }
    int64_t H = x->shape[2], W = x->shape[3];
    g->ho = pool_out(H, k[0], g->s[0], g->p[0], g->d[0], o.ceil_mode);
    g->wo = pool_out(W, k[1], g->s[1], g->p[1], g->d[1], o.ceil_mode);
    g->count_include_pad = o.count_include_pad;
    if (g->ho < 1 || g->wo < 1) {
        ltr_fail(ctx, "%s: input %s is too small for the %lldx%lld window (output %lldx%lld)", op,
                 ltr_shape_str(x, s1, sizeof s1), (long long)kh, (long long)kw, (long long)g->ho,
                 (long long)g->wo);
        return NULL;
    }
    return ltr_contiguous(ctx, x);
}

typedef struct pool_saved {
    ltr_pool_geo g;
    int64_t *idx; /* max pooling's argmax */
} pool_saved;

/* y = op(x) on the tape with its geometry (and max pooling's argmax) for backward */
static lt_tensor *record_pool(lt_ctx *ctx, const char *op, ltr_backward_fn backward,
                              const lt_tensor *x, lt_tensor *y, const ltr_pool_geo *g, int64_t *idx) {
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, op, y, backward, 1, in);
    if (n) {
        pool_saved *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        sv->g = *g;
        sv->idx = idx;
        n->saved = sv;
    }
    return y;
}

static lt_status avg_pool2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *gy = n->out->grad;
    const pool_saved *sv = n->saved;
    lt_tensor *gx = ltr_empty_like(ctx, x);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gy)->avg_pool2d_backward(gy->dtype, gy->data, x->shape[0] * x->shape[1],
                                          x->shape[2], x->shape[3], &sv->g, gx->data);
    return ltr_accumulate_grad(ctx, x, gx);
}

lt_tensor *ltr_avg_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                          const lt_pool2d_options *opt) {
    ltr_pool_geo g;
    x = pool_setup(ctx, "lt_avg_pool2d", x, kh, kw, opt, false, &g);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], g.ho, g.wo};
    lt_tensor *y = ltr_empty(ctx, x->dtype, 4, shape);
    if (!y) return NULL;
    ltr_accel_of(x)->avg_pool2d(x->dtype, x->data, x->shape[0] * x->shape[1], x->shape[2],
                                x->shape[3], &g, y->data);
    return record_pool(ctx, "avg_pool2d", avg_pool2d_backward, x, y, &g, NULL);
}

static lt_status max_pool2d_ex_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *g = n->out->grad;
    const pool_saved *sv = n->saved;
    lt_tensor *gx = ltr_empty_like(ctx, x);
    if (!gx) return LT_ERROR;
    ltr_accel_of(g)->max_pool2d_backward(g->dtype, g->data, sv->idx, x->shape[0] * x->shape[1],
                                         x->shape[2], x->shape[3], &sv->g, gx->data);
    return ltr_accumulate_grad(ctx, x, gx);
}

static lt_tensor *max_pool(lt_ctx *ctx, const char *op, const lt_tensor *x, int64_t kh, int64_t kw,
                           const lt_pool2d_options *opt) {
    ltr_pool_geo g;
    x = pool_setup(ctx, op, x, kh, kw, opt, true, &g);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], g.ho, g.wo};
    lt_tensor *y = ltr_empty(ctx, x->dtype, 4, shape);
    if (!y) return NULL;
    lt_tensor *argmax = ltr_empty_on(ctx, x->device, LT_INT64, 4, shape); /* on the device */
    if (!argmax) return NULL;
    int64_t *idx = argmax->data;
    ltr_accel_of(x)->max_pool2d(x->dtype, x->data, x->shape[0] * x->shape[1], x->shape[2],
                                   x->shape[3], &g, y->data, idx);
    return record_pool(ctx, "max_pool2d", max_pool2d_ex_backward, x, y, &g, idx);
}

lt_tensor *ltr_max_pool2d_ex(lt_ctx *ctx, const lt_tensor *x, int64_t kh, int64_t kw,
                             const lt_pool2d_options *opt) {
    return max_pool(ctx, "lt_max_pool2d_ex", x, kh, kw, opt);
}

/* F.max_pool2d(x, kernel, stride (<= 0: = kernel), padding): the square shorthand */
lt_tensor *ltr_max_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t kernel, int64_t stride,
                          int64_t padding) {
    lt_pool2d_options o = LT_POOL2D_DEFAULTS;
    o.stride[0] = o.stride[1] = stride > 0 ? stride : 0;
    o.padding[0] = o.padding[1] = padding;
    return max_pool(ctx, "lt_max_pool2d", x, kernel, kernel, &o);
}

static lt_status adaptive_avg_pool2d_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *gy = n->out->grad;
    lt_tensor *gx = ltr_empty_like(ctx, x);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gy)->adaptive_avg_pool2d_backward(gy->dtype, gy->data, x->shape[0] * x->shape[1],
                                                   x->shape[2], x->shape[3], gy->shape[2],
                                                   gy->shape[3], gx->data);
    return ltr_accumulate_grad(ctx, x, gx);
}

lt_tensor *ltr_adaptive_avg_pool2d(lt_ctx *ctx, const lt_tensor *x, int64_t oh, int64_t ow) {
    const char *op = "lt_adaptive_avg_pool2d";
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    char s1[96];
    if (x->ndim != 4 || x->shape[2] < 1 || x->shape[3] < 1) {
        ltr_fail(ctx, "%s: expected input [N, C, H, W] with H, W > 0, got %s", op,
                 ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    if (oh < 1 || ow < 1) {
        ltr_fail(ctx, "%s: output size must be >= 1, got %lldx%lld", op, (long long)oh, (long long)ow);
        return NULL;
    }
    x = ltr_contiguous(ctx, x);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], x->shape[1], oh, ow};
    lt_tensor *y = ltr_empty(ctx, x->dtype, 4, shape);
    if (!y) return NULL;
    ltr_accel_of(x)->adaptive_avg_pool2d(x->dtype, x->data, x->shape[0] * x->shape[1], x->shape[2],
                                         x->shape[3], oh, ow, y->data);
    const lt_tensor *in[1] = {x};
    ltr_record(ctx, "adaptive_avg_pool2d", y, adaptive_avg_pool2d_backward, 1, in);
    return y;
}
