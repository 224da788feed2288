/*
 * ops_pointwise.c — scalar-parameter elementwise ops (the elementwise family):
 * x + s, x * s, x ** p, clamp, leaky_relu, elu, softplus, silu, gelu (exact / tanh),
 * with torch's forward formulas and derivatives.yaml gradients; dtype conversion
 * (Tensor.to(dtype)); creation (zeros, ones, full, arange, rand, randn).
 */
#include "tensor/ops_common.h"
#include "core/context.h"
#include "util/rng.h"

#include <math.h>

static lt_status pw_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->pointwise_backward((int)n->iarg[0], n->in[0], n->out, n->farg[0], n->farg[1],
                                         n->out->grad, gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

static lt_tensor *pointwise(lt_ctx *ctx, const char *op, ltr_pw_op kind, const lt_tensor *x,
                            double p0, double p1) {
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    ltr_accel_of(x)->pointwise(kind, x, p0, p1, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, op + 3, y, pw_backward, 1, in);
    if (n) {
        n->iarg[0] = kind;
        n->farg[0] = p0;
        n->farg[1] = p1;
    }
    return y;
}

lt_tensor *ltr_add_scalar(lt_ctx *ctx, const lt_tensor *x, double s) {
    return pointwise(ctx, "lt_add_scalar", LTR_PW_ADD_SCALAR, x, s, 0);
}
lt_tensor *ltr_mul_scalar(lt_ctx *ctx, const lt_tensor *x, double s) {
    return pointwise(ctx, "lt_mul_scalar", LTR_PW_MUL_SCALAR, x, s, 0);
}
/* torch.pow(x, p): gradient p * x^(p-1), 0 when p == 0 */
lt_tensor *ltr_pow_scalar(lt_ctx *ctx, const lt_tensor *x, double p) {
    return pointwise(ctx, "lt_pow_scalar", LTR_PW_POW_SCALAR, x, p, 0);
}
/* torch.clamp(x, min, max): min(max(x, min), max) (min > max gives max, NaN stays NaN);
 * the gradient passes where min <= x <= max. +-INFINITY means no bound. */
lt_tensor *ltr_clamp(lt_ctx *ctx, const lt_tensor *x, double min, double max) {
    if (isnan(min) || isnan(max)) {
        ltr_fail(ctx, "lt_clamp: min and max must not be NaN (use -INFINITY/INFINITY for no bound)");
        return NULL;
    }
    return pointwise(ctx, "lt_clamp", LTR_PW_CLAMP, x, min, max);
}
/* F.leaky_relu: gradient 1 for x > 0, negative_slope otherwise (also at 0) */
lt_tensor *ltr_leaky_relu(lt_ctx *ctx, const lt_tensor *x, double negative_slope) {
    return pointwise(ctx, "lt_leaky_relu", LTR_PW_LEAKY_RELU, x, negative_slope, 0);
}
/* F.elu (scale = input_scale = 1): gradient alpha * exp(x) for x <= 0 */
lt_tensor *ltr_elu(lt_ctx *ctx, const lt_tensor *x, double alpha) {
    return pointwise(ctx, "lt_elu", LTR_PW_ELU, x, alpha, 0);
}
/* F.softplus: x where x * beta > threshold, else log1p(exp(beta x)) / beta */
lt_tensor *ltr_softplus(lt_ctx *ctx, const lt_tensor *x, double beta, double threshold) {
    return pointwise(ctx, "lt_softplus", LTR_PW_SOFTPLUS, x, beta, threshold);
}
lt_tensor *ltr_silu(lt_ctx *ctx, const lt_tensor *x) {
    return pointwise(ctx, "lt_silu", LTR_PW_SILU, x, 0, 0);
}
/* F.gelu(x, approximate='none' | 'tanh') */
lt_tensor *ltr_gelu(lt_ctx *ctx, const lt_tensor *x, lt_gelu_approximate approximate) {
    if (approximate != LT_GELU_NONE && approximate != LT_GELU_TANH) {
        ltr_fail(ctx, "lt_gelu: approximate must be LT_GELU_NONE or LT_GELU_TANH, got %d",
                 (int)approximate);
        return NULL;
    }
    return pointwise(ctx, "lt_gelu", approximate == LT_GELU_TANH ? LTR_PW_GELU_TANH : LTR_PW_GELU,
                     x, 0, 0);
}

static bool known_dtype(lt_dtype dt) {
    return dt == LT_FLOAT32 || dt == LT_FLOAT64 || dt == LT_INT64 || dt == LT_INT32 ||
           dt == LT_UINT8 || dt == LT_BOOL || dt == LT_BFLOAT16;
}

/* float -> float (bfloat16 included): the gradient converts back */
static lt_status to_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->convert(n->out->grad, gx);
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

/* Tensor.to(dtype): always a new arena tensor (torch returns x itself when the dtype
 * already matches; here that case is a copy that still carries the gradient).
 * Float -> int truncates toward zero; -> bool is x != 0. Differentiable float -> float. */
lt_tensor *ltr_to(lt_ctx *ctx, const lt_tensor *x, lt_dtype dtype) {
    if (!x) return NULL;
    if (!known_dtype(dtype)) {
        ltr_fail(ctx, "lt_to: unknown dtype %d", (int)dtype);
        return NULL;
    }
    if (!ltr_kernels_of(x)) {
        ltr_fail(ctx, "lt_to: no accelerator for device %d", x->device);
        return NULL;
    }
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty(ctx, dtype, x->ndim, x->shape) : NULL;
    if (!y) return NULL;
    ltr_accel_of(x)->convert(x, y);
    if (ltr_is_floating(x) && ltr_is_floating(y)) {
        const lt_tensor *in[1] = {x};
        ltr_record(ctx, "to", y, to_backward, 1, in);
    }
    return y;
}

static lt_tensor *create(lt_ctx *ctx, const char *op, lt_dtype dt, int ndim, const int64_t *shape) {
    if (!known_dtype(dt)) {
        ltr_fail(ctx, "%s: unknown dtype %d", op, (int)dt);
        return NULL;
    }
    if (ndim < 0 || ndim > LT_MAX_DIMS || (ndim > 0 && !shape)) {
        ltr_fail(ctx, "%s: bad ndim %d", op, ndim);
        return NULL;
    }
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0) {
            ltr_fail(ctx, "%s: negative size %lld in dimension %d", op, (long long)shape[d], d);
            return NULL;
        }
    /* a float32 request follows the run's precision (64-true: float64) */
    return ltr_empty(ctx, ltr_float_dtype(ctx, dt), ndim, shape);
}

/* torch.full(shape, value, dtype) (and zeros, ones) */
lt_tensor *ltr_full(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape, double value) {
    lt_tensor *t = create(ctx, "lt_full", dt, ndim, shape);
    if (t) ltr_kernels_of(t)->fill(t, value);
    return t;
}
lt_tensor *ltr_zeros_op(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return ltr_full(ctx, dt, ndim, shape, 0);
}
lt_tensor *ltr_ones(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return ltr_full(ctx, dt, ndim, shape, 1);
}

/* torch.arange(start, end, step, dtype): ceil((end - start) / step) elements */
lt_tensor *ltr_arange(lt_ctx *ctx, double start, double end, double step, lt_dtype dt) {
    if (step == 0 || isnan(step) || !isfinite(start) || !isfinite(end)) {
        ltr_fail(ctx, "lt_arange: step must be nonzero and bounds finite (start %g, end %g, step %g)",
                 start, end, step);
        return NULL;
    }
    if ((step > 0 && end < start) || (step < 0 && end > start)) {
        ltr_fail(ctx, "lt_arange: upper bound and larger bound inconsistent with step sign "
                      "(start %g, end %g, step %g)", start, end, step);
        return NULL;
    }
    if (dt == LT_BOOL) {
        ltr_fail(ctx, "lt_arange: bool is not supported");
        return NULL;
    }
    int64_t n = (int64_t)ceil((end - start) / step);
    lt_tensor *t = create(ctx, "lt_arange", dt, 1, &n);
    if (t) ltr_kernels_of(t)->arange(t, start, step);
    return t;
}

/* torch.rand / torch.randn (float dtypes) from the context's seeded rng: the same seed
 * gives the same numbers (not torch's generator, so not torch's numbers) */
static lt_tensor *rand_fill(lt_ctx *ctx, const char *op, lt_dtype dt, int ndim, const int64_t *shape,
                         bool normal) {
    if (dt != LT_FLOAT32 && dt != LT_FLOAT64) {
        ltr_fail(ctx, "%s: expected a float dtype, got %s", op, ltr_dtype_name(dt));
        return NULL;
    }
    ltr_rng *r = ltr_ctx_of(ctx)->rng;
    if (!r) {
        ltr_fail(ctx, "%s: the context has no random number generator", op);
        return NULL;
    }
    lt_tensor *t = create(ctx, op, dt, ndim, shape);
    if (!t) return NULL;
    ltr_accel_of(t)->rng_fill(normal ? LTR_RNG_RANDN : LTR_RNG_RAND, t, NULL, r);
    return t;
}
lt_tensor *ltr_rand(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return rand_fill(ctx, "lt_rand", dt, ndim, shape, false);
}
lt_tensor *ltr_randn(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return rand_fill(ctx, "lt_randn", dt, ndim, shape, true);
}
