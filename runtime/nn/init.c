/*
 * init.c — torch.nn.init schemes and nn.Linear's default initialisation, in place on
 * (contiguous) parameters, drawing from ctx->rng in element order: the same seed gives
 * bit-identical parameters. The distributions are torch's; the bit stream is not
 * (see util/rng.h).
 */
#include "tensor/tensor.h"

#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "core/context.h"
#include "util/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* the draws are made on t's device, from the host's generator state (rng_fill) */
void ltr_init_uniform(lt_ctx *ctx, lt_tensor *t, double low, double high) {
    if (!init_target_ok(ctx, t, "lt_init_uniform")) return;
    const double arg[2] = {low, high};
    ltr_kernels_of(t)->rng_fill(LTR_RNG_UNIFORM, t, arg, ltr_ctx_of(ctx)->rng);
}

void ltr_init_normal(lt_ctx *ctx, lt_tensor *t, double mean, double std) {
    if (!init_target_ok(ctx, t, "lt_init_normal")) return;
    const double arg[2] = {mean, std};
    ltr_kernels_of(t)->rng_fill(LTR_RNG_NORMAL, t, arg, ltr_ctx_of(ctx)->rng);
}

void ltr_init_constant(lt_ctx *ctx, lt_tensor *t, double v) {
    (void)ctx;
    if (t) ltr_kernels_of(t)->fill(t, v);
}

/* kaiming_uniform_(t, a, mode="fan_in", nonlinearity="leaky_relu"):
 * gain = sqrt(2 / (1 + a^2)), bound = gain * sqrt(3 / fan_in) */
void ltr_init_kaiming_uniform_ex(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                 const char *nl);
void ltr_init_kaiming_uniform(lt_ctx *ctx, lt_tensor *t, double a) {
    ltr_init_kaiming_uniform_ex(ctx, t, a, "fan_in", "leaky_relu");
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
    ltr_param_store_note_module(ctx, name, "Linear"); /* model summary */
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
    ltr_param_store_note_module(ctx, name, "Conv2d"); /* model summary */
    return weighted_layer_params(ctx, name, 4, wshape, bias, &l->weight, &l->bias);
}

/* conv */
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
    ltr_param_store_note_module(ctx, name, "Conv1d"); /* model summary */
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
    ltr_param_store_note_module(ctx, name, "ConvTranspose2d"); /* model summary */
    return weighted_layer_params_n(ctx, name, 4, wshape, bias, out, &l->weight, &l->bias);
}

/* ------------------------------------------------------------ nn */

/* torch.nn.init._calculate_fan_in_and_fan_out (>= 2 dims; else an error). */
static bool fans(lt_ctx *ctx, const lt_tensor *t, const char *fn, double *fi, double *fo) {
    if (t->ndim < 2) {
        ltr_fail(ctx, "%s: needs a tensor with at least 2 dimensions (fan_in and fan_out "
                      "cannot be computed)", fn);
        return false;
    }
    double receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= (double)t->shape[d];
    *fi = (double)t->shape[1] * receptive;
    *fo = (double)t->shape[0] * receptive;
    return true;
}

/* torch.nn.init.calculate_gain(nonlinearity, param); param NAN = None (leaky_relu's
 * negative slope then 0.01). Unknown names are an error (returns NAN). */
double ltr_calculate_gain(lt_ctx *ctx, const char *nl, double param) {
    if (!nl) nl = "";
    static const char *const linear[] = {"linear", "conv1d", "conv2d", "conv3d",
                                         "conv_transpose1d", "conv_transpose2d",
                                         "conv_transpose3d", "sigmoid"};
    for (size_t i = 0; i < sizeof linear / sizeof *linear; i++)
        if (!strcmp(nl, linear[i])) return 1.0;
    if (!strcmp(nl, "tanh")) return 5.0 / 3;
    if (!strcmp(nl, "relu")) return sqrt(2.0);
    if (!strcmp(nl, "leaky_relu")) {
        double slope = isnan(param) ? 0.01 : param;
        return sqrt(2.0 / (1 + slope * slope));
    }
    if (!strcmp(nl, "selu")) return 3.0 / 4;
    ltr_fail(ctx, "lt_calculate_gain: unsupported nonlinearity '%s'", nl);
    return NAN;
}

/* xavier_uniform_(t, gain): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) */
void ltr_init_xavier_uniform(lt_ctx *ctx, lt_tensor *t, double gain) {
    double fi, fo;
    if (!t || !fans(ctx, t, "lt_init_xavier_uniform", &fi, &fo)) return;
    double a = gain * sqrt(6.0 / (fi + fo));
    ltr_init_uniform(ctx, t, -a, a);
}

/* xavier_normal_(t, gain): N(0, std), std = gain * sqrt(2 / (fan_in + fan_out)) */
void ltr_init_xavier_normal(lt_ctx *ctx, lt_tensor *t, double gain) {
    double fi, fo;
    if (!t || !fans(ctx, t, "lt_init_xavier_normal", &fi, &fo)) return;
    ltr_init_normal(ctx, t, 0.0, gain * sqrt(2.0 / (fi + fo)));
}

/* std = calculate_gain(nonlinearity, a) / sqrt(fan) for kaiming_*_ (NAN on error) */
static double kaiming_std(lt_ctx *ctx, const lt_tensor *t, const char *fn, double a,
                          const char *mode, const char *nl) {
    double fi, fo;
    if (!fans(ctx, t, fn, &fi, &fo)) return NAN;
    bool in = !mode || !strcmp(mode, "fan_in");
    if (!in && strcmp(mode, "fan_out")) {
        ltr_fail(ctx, "%s: mode '%s' not supported, please use one of fan_in, fan_out", fn, mode);
        return NAN;
    }
    double gain = ltr_calculate_gain(ctx, nl ? nl : "leaky_relu", a);
    return gain / sqrt(in ? fi : fo);
}

/* kaiming_uniform_(t, a, mode, nonlinearity): U(-b, b), b = sqrt(3) * gain / sqrt(fan) */
void ltr_init_kaiming_uniform_ex(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                 const char *nl) {
    if (!t) return;
    if (t->ndim >= 2 && ltr_numel(t) == 0) return; /* torch: zero-element init is a no-op */
    double std = kaiming_std(ctx, t, "lt_init_kaiming_uniform", a, mode, nl);
    if (isnan(std)) return;
    ltr_init_uniform(ctx, t, -sqrt(3.0) * std, sqrt(3.0) * std);
}

/* kaiming_normal_(t, a, mode, nonlinearity): N(0, gain / sqrt(fan)) */
void ltr_init_kaiming_normal(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                             const char *nl) {
    if (!t) return;
    if (t->ndim >= 2 && ltr_numel(t) == 0) return;
    double std = kaiming_std(ctx, t, "lt_init_kaiming_normal", a, mode, nl);
    if (isnan(std)) return;
    ltr_init_normal(ctx, t, 0.0, std);
}

/* trunc_normal_(t, mean, std, a, b): N(mean, std) restricted to [a, b] (rejection
 * sampling: the same distribution as torch's inverse-CDF method, another stream). */
void ltr_init_trunc_normal(lt_ctx *ctx, lt_tensor *t, double mean, double std, double a,
                           double b) {
    if (!init_target_ok(ctx, t, "lt_init_trunc_normal")) return;
    if (!(a < b) || !(std > 0) || (b - mean) / std < -6 || (a - mean) / std > 6) {
        ltr_fail(ctx, "lt_init_trunc_normal: needs a < b, std > 0 and [a, b] within 6 std of "
                      "the mean (got mean %g, std %g, a %g, b %g)", mean, std, a, b);
        return;
    }
    const double arg[4] = {mean, std, a, b};
    ltr_kernels_of(t)->rng_fill(LTR_RNG_TRUNC_NORMAL, t, arg, ltr_ctx_of(ctx)->rng);
}

/* orthogonal_(t, gain): t viewed as [rows, numel/rows] is filled from a normal matrix
 * with torch's recipe: transpose if rows < cols, QR, Q's columns times sign(diag(R)),
 * transpose back, times gain. Q with R's diagonal made positive is what modified
 * Gram-Schmidt produces directly (in double), so that is used. */
void ltr_init_orthogonal(lt_ctx *ctx, lt_tensor *t, double gain) {
    if (!init_target_ok(ctx, t, "lt_init_orthogonal")) return;
    if (t->ndim < 2) {
        ltr_fail(ctx, "lt_init_orthogonal: only tensors with 2 or more dimensions are supported");
        return;
    }
    int64_t rows = t->shape[0], n = ltr_numel(t);
    if (n == 0) return;
    int64_t cols = n / rows;
    int64_t m = rows > cols ? rows : cols, k = rows > cols ? cols : rows; /* A: [m, k] */
    double *A = ltr_scratch(ctx, (size_t)(m * k) * sizeof(double));
    if (!A) return;
    ltr_rng *r = ltr_ctx_of(ctx)->rng;
    /* the flattened [rows, cols] normal matrix, stored as A (its transpose if rows < cols) */
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double v = ltr_rng_normal(r);
            if (rows >= cols) A[i * k + j] = v;
            else A[j * k + i] = v;
        }
    for (int64_t j = 0; j < k; j++) { /* column j of A becomes q_j */
        for (int64_t p = 0; p < j; p++) {
            double dot = 0;
            for (int64_t i = 0; i < m; i++) dot += A[i * k + p] * A[i * k + j];
            for (int64_t i = 0; i < m; i++) A[i * k + j] -= dot * A[i * k + p];
        }
        double nrm = 0;
        for (int64_t i = 0; i < m; i++) nrm += A[i * k + j] * A[i * k + j];
        nrm = sqrt(nrm);
        for (int64_t i = 0; i < m; i++) A[i * k + j] = nrm > 0 ? A[i * k + j] / nrm : 0;
    }
    /* Q built on the host (a one-off QR), stored in t's dtype and copied to its device */
    size_t es = ltr_dtype_size(t->dtype);
    void *host = ltr_scratch(ctx, (size_t)n * es);
    if (!host) return;
    lt_tensor h = *t;
    h.data = host;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            ltr_set(&h, i * cols + j, gain * (rows >= cols ? A[i * k + j] : A[j * k + i]));
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    dev->copy_h2d(self, t->data, host, (size_t)n * es);
    dev->synchronize(self); /* the scratch dies at the next reset */
}
