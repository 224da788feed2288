/*
 * init.c — torch.nn.init schemes and nn.Linear's default initialisation, in place on
 * (contiguous) parameters, drawing from ctx->rng in element order: the same seed gives
 * bit-identical parameters. The distributions are torch's; the bit stream is not
 * (see util/rng.h).
 */
#include "tensor/tensor.h"
#include "util/rng.h"

#include <math.h>
#include <stdio.h>

static bool init_target_ok(lt_ctx *ctx, const lt_tensor *t, const char *fn) {
    if (!t) return false;
    if (!ltr_ctx_of(ctx)->rng) {
        ltr_fail(ctx, "%s: no random generator here (initialise in create)", fn);
        return false;
    }
    if (t->dtype != LT_FLOAT32 && t->dtype != LT_FLOAT64) {
        ltr_fail(ctx, "%s: needs a float tensor, got %s", fn, ltr_dtype_name(t->dtype));
        return false;
    }
    return true;
}

void ltr_init_uniform(lt_ctx *ctx, lt_tensor *t, double low, double high) {
    if (!init_target_ok(ctx, t, "lt_init_uniform")) return;
    ltr_rng *r = ltr_ctx_of(ctx)->rng;
    int64_t n = ltr_numel(t);
    for (int64_t i = 0; i < n; i++) ltr_set(t, i, low + (high - low) * ltr_rng_uniform(r));
}

void ltr_init_normal(lt_ctx *ctx, lt_tensor *t, double mean, double std) {
    if (!init_target_ok(ctx, t, "lt_init_normal")) return;
    ltr_rng *r = ltr_ctx_of(ctx)->rng;
    int64_t n = ltr_numel(t);
    for (int64_t i = 0; i < n; i++) ltr_set(t, i, mean + std * ltr_rng_normal(r));
}

void ltr_init_constant(lt_ctx *ctx, lt_tensor *t, double v) {
    if (!t) return;
    int64_t n = ltr_numel(t);
    for (int64_t i = 0; i < n; i++) ltr_set(t, i, v);
}

/* torch.nn.init._calculate_fan_in_and_fan_out: fan_in = size(1) * receptive field */
static int64_t fan_in(const lt_tensor *t) {
    int64_t receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
    return t->ndim >= 2 ? t->shape[1] * receptive : 0;
}

/* kaiming_uniform_(t, a, mode="fan_in", nonlinearity="leaky_relu"):
 * gain = sqrt(2 / (1 + a^2)), bound = gain * sqrt(3 / fan_in) */
void ltr_init_kaiming_uniform(lt_ctx *ctx, lt_tensor *t, double a) {
    if (!t) return;
    if (t->ndim >= 2 && ltr_numel(t) == 0) return; /* torch: zero-element init is a no-op */
    int64_t fi = fan_in(t);
    if (fi <= 0) {
        ltr_fail(ctx, "lt_init_kaiming_uniform: needs a tensor with at least 2 dimensions "
                      "(fan_in cannot be computed)");
        return;
    }
    double bound = sqrt(2.0 / (1.0 + a * a)) * sqrt(3.0 / (double)fi);
    ltr_init_uniform(ctx, t, -bound, bound);
}

/* nn.Linear.reset_parameters: kaiming_uniform_(weight, a=sqrt(5)), which is
 * U(-1/sqrt(in), 1/sqrt(in)); bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
/* The parameters of PyTorch's layers with weights (nn.Linear, nn.ConvNd):
 * "NAME.weight" of `wshape` with kaiming_uniform_(a=sqrt(5)), which for fan_in is
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and, if asked, "NAME.bias" [out] with
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (reset_parameters). */
static lt_status weighted_layer_params_n(lt_ctx *ctx, const char *name, int ndim,
                                         const int64_t *wshape, bool bias, int64_t bias_n,
                                         lt_tensor **weight, lt_tensor **bias_out) {
    char pname[512];
    snprintf(pname, sizeof pname, "%s.weight", name);
    *weight = ltr_param(ctx, pname, LT_FLOAT32, ndim, wshape);
    if (!*weight) return LT_ERROR;
    ltr_init_kaiming_uniform(ctx, *weight, sqrt(5.0));
    *bias_out = NULL;
    if (bias) {
        snprintf(pname, sizeof pname, "%s.bias", name);
        *bias_out = ltr_param(ctx, pname, LT_FLOAT32, 1, &bias_n);
        if (!*bias_out) return LT_ERROR;
        int64_t fan_in = 1;
        for (int d = 1; d < ndim; d++) fan_in *= wshape[d];
        double b = 1.0 / sqrt((double)fan_in);
        ltr_init_uniform(ctx, *bias_out, -b, b);
    }
    return ltr_ctx_of(ctx)->failed ? LT_ERROR : LT_OK;
}

/* The bias has wshape[0] elements (nn.Linear, nn.ConvNd). */
static lt_status weighted_layer_params(lt_ctx *ctx, const char *name, int ndim,
                                       const int64_t *wshape, bool bias, lt_tensor **weight,
                                       lt_tensor **bias_out) {
    return weighted_layer_params_n(ctx, name, ndim, wshape, bias, wshape[0], weight, bias_out);
}

lt_status ltr_linear_init(lt_ctx *ctx, lt_linear_layer *l, const char *name, int64_t in,
                          int64_t out, bool bias) {
    if (!l || !name) return ltr_fail(ctx, "lt_linear_init: layer and name are required");
    if (in <= 0 || out <= 0)
        return ltr_fail(ctx, "lt_linear_init('%s'): in_features and out_features must be > 0, "
                             "got %lld and %lld", name, (long long)in, (long long)out);
    int64_t wshape[2] = {out, in};
    l->in_features = in;
    l->out_features = out;
    return weighted_layer_params(ctx, name, 2, wshape, bias, &l->weight, &l->bias);
}

lt_status ltr_conv2d_init(lt_ctx *ctx, lt_conv2d_layer *l, const char *name, int64_t in,
                          int64_t out, int64_t kernel, const lt_conv2d_options *opt, bool bias) {
    if (!l || !name) return ltr_fail(ctx, "lt_conv2d_init: layer and name are required");
    l->opt = opt ? *opt : LT_CONV2D_DEFAULTS;
    int64_t groups = l->opt.groups;
    if (in <= 0 || out <= 0 || kernel <= 0 || groups < 1 || in % groups || out % groups)
        return ltr_fail(ctx, "lt_conv2d_init('%s'): in %lld, out %lld, kernel %lld, groups %lld: "
                             "all must be > 0, in and out divisible by groups", name, (long long)in,
                        (long long)out, (long long)kernel, (long long)groups);
    int64_t wshape[4] = {out, in / groups, kernel, kernel};
    return weighted_layer_params(ctx, name, 4, wshape, bias, &l->weight, &l->bias);
}

/* issue 3: conv */
/* nn.Conv1d: weight [out, in/groups, k], init as nn.Conv2d (fan_in = in/groups * k). */
lt_status ltr_conv1d_init(lt_ctx *ctx, lt_conv1d_layer *l, const char *name, int64_t in,
                          int64_t out, int64_t kernel, const lt_conv1d_options *opt, bool bias) {
    if (!l || !name) return ltr_fail(ctx, "lt_conv1d_init: layer and name are required");
    l->opt = opt ? *opt : LT_CONV1D_DEFAULTS;
    int64_t groups = l->opt.groups;
    if (in <= 0 || out <= 0 || kernel <= 0 || groups < 1 || in % groups || out % groups)
        return ltr_fail(ctx, "lt_conv1d_init('%s'): in %lld, out %lld, kernel %lld, groups %lld: "
                             "all must be > 0, in and out divisible by groups", name, (long long)in,
                        (long long)out, (long long)kernel, (long long)groups);
    int64_t wshape[3] = {out, in / groups, kernel};
    return weighted_layer_params(ctx, name, 3, wshape, bias, &l->weight, &l->bias);
}

/* nn.ConvTranspose2d: weight [in, out/groups, k, k]; torch's reset_parameters is the same
 * kaiming_uniform_(a=sqrt(5)), and _calculate_fan_in_and_fan_out takes fan_in from dim 1,
 * so fan_in = out/groups * k * k for both the weight and the bias [out] bound. */
lt_status ltr_conv_transpose2d_init(lt_ctx *ctx, lt_conv_transpose2d_layer *l, const char *name,
                                    int64_t in, int64_t out, int64_t kernel,
                                    const lt_conv_transpose2d_options *opt, bool bias) {
    if (!l || !name) return ltr_fail(ctx, "lt_conv_transpose2d_init: layer and name are required");
    l->opt = opt ? *opt : LT_CONV_TRANSPOSE2D_DEFAULTS;
    int64_t groups = l->opt.groups;
    if (in <= 0 || out <= 0 || kernel <= 0 || groups < 1 || in % groups || out % groups)
        return ltr_fail(ctx, "lt_conv_transpose2d_init('%s'): in %lld, out %lld, kernel %lld, "
                             "groups %lld: all must be > 0, in and out divisible by groups", name,
                        (long long)in, (long long)out, (long long)kernel, (long long)groups);
    int64_t wshape[4] = {in, out / groups, kernel, kernel};
    return weighted_layer_params_n(ctx, name, 4, wshape, bias, out, &l->weight, &l->bias);
}
