/*
 * autocast.c — torch.autocast's op policy on the CPU, and bfloat16 through ops that
 * have only float32/float64 kernels (autocast.h says what and why).
 *
 * Every wrapper is: pick the dtypes (cast_inputs), call the core op on the converted
 * inputs, round the result back to bfloat16 when all its float inputs were bfloat16
 * (finish). With autocast off and no bfloat16 input, cast_inputs changes nothing and
 * the core op runs as it would from the table directly.
 *
 * PyTorch 1.13.1 CPU autocast (torch.autocast("cpu", dtype=torch.bfloat16)):
 *   lower_precision_fp: conv1d, conv2d, conv3d, bmm, mm, baddbmm, addmm, addbmm, linear,
 *     matmul, conv_tbc, _convolution — of these ltrun has linear, matmul, bmm, conv1d,
 *     conv2d (conv_transpose joined the list only in PyTorch 2.x: it follows its inputs);
 *   fp32: the losses (cross_entropy / nll_loss, mse, l1, smooth_l1, huber,
 *     binary_cross_entropy(_with_logits), kl_div, ...), prod, the 3-d pools, the
 *     linalg/fft ops — ltrun has the losses;
 *   everything else runs in its inputs' dtype: softmax, log_softmax, the norms, sum and
 *     mean of a bfloat16 tensor stay bfloat16 on the CPU (unlike CUDA's float32 list).
 */
#include "precision/autocast.h"

#include "core/context.h"
#include "nn/metrics.h"
#include "nn/nn.h"
#include "tensor/ops.h"
#include "tensor/ops_common.h"
#include "tensor/tensor.h"

bool ltr_autocast_set(lt_ctx *ctx, bool on) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    bool was = c->autocast;
    c->autocast = on;
    if (on && c->autocast_dtype != LT_BFLOAT16) c->autocast_dtype = LT_BFLOAT16; /* the CPU default */
    return was;
}

typedef enum {
    LOWER,  /* autocast's lower-precision list, the op has a bfloat16 kernel */
    FP32,   /* autocast's float32 list */
    FOLLOW, /* no bfloat16 kernel: follows its inputs (promotion) */
    FOLLOW_NATIVE, /* follows its inputs, and has an exact bfloat16 kernel (relu, max pool) */
    FOLLOW_FIRST /* a norm: the input's dtype decides, weights and statistics may be float32 */
} policy;

/* The inputs of one call; `round` set when the result goes back to bfloat16. */
#define MAX_IN 5
typedef struct {
    const lt_tensor *in[MAX_IN];
    int n;
    bool round;
} call;

static const lt_tensor *to(lt_ctx *c, const lt_tensor *x, lt_dtype dt) {
    return x->dtype == dt ? x : ltr_to(c, x, dt);
}

/* Rewrites k->in to the dtypes the op runs in; false with the error on the context. */
static bool cast_inputs(lt_ctx *c, policy p, call *k) {
    ltr_ctx *cx = ltr_ctx_of(c);
    bool autocast = cx->autocast;
    bool any_bf16 = false;
    for (int i = 0; i < k->n; i++)
        if (k->in[i] && k->in[i]->dtype == LT_BFLOAT16) any_bf16 = true;
    k->round = false;
    if (!autocast && !any_bf16) return true; /* the common case: nothing to do */
    if (autocast && p == LOWER) {
        /* autocast casts float32 inputs only (float64 stays: torch's is_eligible) */
        for (int i = 0; i < k->n; i++) {
            const lt_tensor *x = k->in[i];
            if (x && x->dtype == LT_FLOAT32 && !(k->in[i] = to(c, x, cx->autocast_dtype))) return false;
        }
        return true; /* the core's bfloat16 GEMM / conv, float32 accumulation */
    } else if (autocast && p == FP32) {
        for (int i = 0; i < k->n; i++) {
            const lt_tensor *x = k->in[i];
            if (x && x->dtype == LT_BFLOAT16 && !(k->in[i] = to(c, x, LT_FLOAT32))) return false;
        }
        return true;
    }
    /* follow the inputs: torch's promotion among the float inputs (integer ones, such
     * as class targets and indices, take no part) */
    bool all_bf16 = true, any_float = false, has_double = false;
    for (int i = 0; i < k->n; i++) {
        const lt_tensor *x = k->in[i];
        if (!x || !ltr_is_floating(x)) continue;
        if (p == FOLLOW_FIRST && i > 0) continue;
        any_float = true;
        if (x->dtype != LT_BFLOAT16) all_bf16 = false;
        if (x->dtype == LT_FLOAT64) has_double = true;
    }
    if (!any_float) return true;
    bool native_bf16 = p == LOWER || p == FOLLOW_NATIVE;
    if (all_bf16 && native_bf16) return true;
    lt_dtype wide = has_double ? LT_FLOAT64 : LT_FLOAT32;
    for (int i = 0; i < k->n; i++) {
        const lt_tensor *x = k->in[i];
        if (x && x->dtype == LT_BFLOAT16 && !(k->in[i] = to(c, x, wide))) return false;
    }
    k->round = all_bf16;
    return true;
}

/* The op's result, rounded to bfloat16 when the call computed a bfloat16 op in float32
 * (integer and boolean results — argmax, indices — stay as they are). */
static lt_tensor *finish(lt_ctx *c, const call *k, lt_tensor *y) {
    if (!y || !k->round || y->dtype != LT_FLOAT32) return y;
    return ltr_to(c, y, LT_BFLOAT16);
}

/* BEGIN(policy, inputs...) ... return END(core op on IN(0), IN(1), ...) */
#define BEGIN(pol, ...)                                                   \
    call k_ = {.in = {__VA_ARGS__}};                                      \
    k_.n = (int)(sizeof((const lt_tensor *[]){__VA_ARGS__}) / sizeof(const lt_tensor *)); \
    if (!cast_inputs(c, pol, &k_)) return NULL
#define IN(i) (k_.in[i])
#define END(expr) finish(c, &k_, (expr))

/* ---- the lower-precision list */
lt_tensor *ltr_ac_matmul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    BEGIN(LOWER, a, b);
    return END(ltr_matmul(c, IN(0), IN(1)));
}
lt_tensor *ltr_ac_linear(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b) {
    BEGIN(LOWER, x, w, b);
    return END(ltr_linear(c, IN(0), IN(1), IN(2)));
}
lt_tensor *ltr_ac_bmm(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    BEGIN(LOWER, a, b);
    return END(ltr_bmm(c, IN(0), IN(1)));
}
lt_tensor *ltr_ac_conv1d(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv1d_options *opt) {
    BEGIN(LOWER, x, w, b);
    return END(ltr_conv1d(c, IN(0), IN(1), IN(2), opt));
}
lt_tensor *ltr_ac_conv2d(lt_ctx *c, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                         const lt_conv2d_options *opt) {
    BEGIN(LOWER, x, w, b);
    return END(ltr_conv2d(c, IN(0), IN(1), IN(2), opt));
}

/* ---- the float32 list */
lt_tensor *ltr_ac_cross_entropy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target) {
    BEGIN(FP32, logits, target);
    return END(ltr_cross_entropy(c, IN(0), IN(1)));
}
lt_tensor *ltr_ac_cross_entropy_ex(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target,
                                   const lt_cross_entropy_options *opt) {
    BEGIN(FP32, logits, target);
    return END(ltr_cross_entropy_ex(c, IN(0), IN(1), opt));
}
lt_tensor *ltr_ac_nll_loss(lt_ctx *c, const lt_tensor *logp, const lt_tensor *target,
                           const lt_nll_loss_options *opt) {
    BEGIN(FP32, logp, target);
    return END(ltr_nll_loss(c, IN(0), IN(1), opt));
}
lt_tensor *ltr_ac_mse_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red) {
    BEGIN(FP32, x, y);
    return END(ltr_mse_loss(c, IN(0), IN(1), red));
}
lt_tensor *ltr_ac_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red) {
    BEGIN(FP32, x, y);
    return END(ltr_l1_loss(c, IN(0), IN(1), red));
}
lt_tensor *ltr_ac_smooth_l1_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y,
                                 lt_reduction red, double beta) {
    BEGIN(FP32, x, y);
    return END(ltr_smooth_l1_loss(c, IN(0), IN(1), red, beta));
}
lt_tensor *ltr_ac_huber_loss(lt_ctx *c, const lt_tensor *x, const lt_tensor *y, lt_reduction red,
                             double delta) {
    BEGIN(FP32, x, y);
    return END(ltr_huber_loss(c, IN(0), IN(1), red, delta));
}
lt_tensor *ltr_ac_binary_cross_entropy(lt_ctx *c, const lt_tensor *p, const lt_tensor *y,
                                       const lt_tensor *weight, lt_reduction red) {
    BEGIN(FP32, p, y, weight);
    return END(ltr_binary_cross_entropy(c, IN(0), IN(1), IN(2), red));
}
lt_tensor *ltr_ac_binary_cross_entropy_with_logits(lt_ctx *c, const lt_tensor *x,
                                                   const lt_tensor *y, const lt_tensor *weight,
                                                   const lt_tensor *pos_weight, lt_reduction red) {
    BEGIN(FP32, x, y, weight, pos_weight);
    return END(ltr_binary_cross_entropy_with_logits(c, IN(0), IN(1), IN(2), IN(3), red));
}
lt_tensor *ltr_ac_kl_div(lt_ctx *c, const lt_tensor *input, const lt_tensor *target,
                         lt_reduction red, bool log_target) {
    BEGIN(FP32, input, target);
    return END(ltr_kl_div(c, IN(0), IN(1), red, log_target));
}

/* ---- ops that follow their inputs */
#define FOLLOW_BINARY(name, core)                                                  \
    lt_tensor *ltr_ac_##name(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { \
        BEGIN(FOLLOW, a, b);                                                       \
        return END(core(c, IN(0), IN(1)));                                         \
    }
FOLLOW_BINARY(add, ltr_add)
FOLLOW_BINARY(sub, ltr_sub)
FOLLOW_BINARY(mul, ltr_mul)
FOLLOW_BINARY(div, ltr_div)
FOLLOW_BINARY(maximum, ltr_maximum)
FOLLOW_BINARY(minimum, ltr_minimum)

#define FOLLOW_UNARY(name, core)                                  \
    lt_tensor *ltr_ac_##name(lt_ctx *c, const lt_tensor *x) {    \
        BEGIN(FOLLOW, x);                                         \
        return END(core(c, IN(0)));                               \
    }
lt_tensor *ltr_ac_relu(lt_ctx *c, const lt_tensor *x) {
    BEGIN(FOLLOW_NATIVE, x);
    return END(ltr_relu(c, IN(0)));
}
FOLLOW_UNARY(neg, ltr_neg)
FOLLOW_UNARY(exp, ltr_exp)
FOLLOW_UNARY(log, ltr_log)
FOLLOW_UNARY(sqrt, ltr_sqrt)
FOLLOW_UNARY(abs, ltr_abs)
FOLLOW_UNARY(sigmoid, ltr_sigmoid)
FOLLOW_UNARY(tanh, ltr_tanh)
FOLLOW_UNARY(silu, ltr_silu)
FOLLOW_UNARY(sum, ltr_sum)
FOLLOW_UNARY(mean, ltr_mean)

/* a unary op with extra arguments: FOLLOW_ARGS(name, core, (params), (args)) */
#define FOLLOW_ARGS(name, core, params, args)              \
    lt_tensor *ltr_ac_##name(lt_ctx *c, const lt_tensor *x, FOLLOW_UNPAREN params) { \
        BEGIN(FOLLOW, x);                                   \
        const lt_tensor *x_ = IN(0);                        \
        return END(core(c, x_, FOLLOW_UNPAREN args));       \
    }
#define FOLLOW_UNPAREN(...) __VA_ARGS__
FOLLOW_ARGS(gelu, ltr_gelu, (lt_gelu_approximate approximate), (approximate))
FOLLOW_ARGS(leaky_relu, ltr_leaky_relu, (double negative_slope), (negative_slope))
FOLLOW_ARGS(add_scalar, ltr_add_scalar, (double s), (s))
FOLLOW_ARGS(mul_scalar, ltr_mul_scalar, (double s), (s))
FOLLOW_ARGS(pow_scalar, ltr_pow_scalar, (double p), (p))
FOLLOW_ARGS(clamp, ltr_clamp, (double min, double max), (min, max))
FOLLOW_ARGS(dropout, ltr_dropout, (double p, bool training), (p, training))
FOLLOW_ARGS(sum_dim, ltr_sum_dim, (const int *dims, int ndims, bool keepdim), (dims, ndims, keepdim))
FOLLOW_ARGS(mean_dim, ltr_mean_dim, (const int *dims, int ndims, bool keepdim), (dims, ndims, keepdim))
FOLLOW_ARGS(amax, ltr_amax, (int dim, bool keepdim), (dim, keepdim))
FOLLOW_ARGS(var, ltr_var, (int dim, double correction, bool keepdim), (dim, correction, keepdim))
FOLLOW_ARGS(std, ltr_std, (int dim, double correction, bool keepdim), (dim, correction, keepdim))
FOLLOW_ARGS(logsumexp, ltr_logsumexp, (int dim, bool keepdim), (dim, keepdim))
FOLLOW_ARGS(softmax, ltr_softmax, (int dim), (dim))
FOLLOW_ARGS(log_softmax, ltr_log_softmax, (int dim), (dim))
FOLLOW_ARGS(argmax, ltr_argmax, (int dim), (dim))
FOLLOW_ARGS(argmax_dim, ltr_argmax_dim, (int dim, bool keepdim), (dim, keepdim))
/* max pooling follows its inputs too, on the bfloat16 kernel when they are bfloat16 */
lt_tensor *ltr_ac_max_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel, int64_t stride,
                             int64_t padding) {
    BEGIN(FOLLOW_NATIVE, x);
    return END(ltr_max_pool2d(c, IN(0), kernel, stride, padding));
}
lt_tensor *ltr_ac_max_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                const lt_pool2d_options *opt) {
    BEGIN(FOLLOW_NATIVE, x);
    return END(ltr_max_pool2d_ex(c, IN(0), kh, kw, opt));
}
FOLLOW_ARGS(avg_pool2d, ltr_avg_pool2d, (int64_t kh, int64_t kw, const lt_pool2d_options *opt),
            (kh, kw, opt))
FOLLOW_ARGS(adaptive_avg_pool2d, ltr_adaptive_avg_pool2d, (int64_t oh, int64_t ow), (oh, ow))

/* ---- norms: the input decides (torch's CPU kernels take a bfloat16 input with float32
 * weights and statistics and return bfloat16); bfloat16 weights are widened too */
lt_tensor *ltr_ac_batch_norm(lt_ctx *c, const lt_tensor *x, lt_tensor *running_mean,
                             lt_tensor *running_var, const lt_tensor *weight, const lt_tensor *bias,
                             bool training, double momentum, double eps) {
    BEGIN(FOLLOW_FIRST, x, weight, bias);
    return END(ltr_batch_norm(c, IN(0), running_mean, running_var, IN(1), IN(2), training,
                              momentum, eps));
}
lt_tensor *ltr_ac_batchnorm_forward(lt_ctx *c, lt_batchnorm_layer *l, const lt_tensor *x) {
    BEGIN(FOLLOW_FIRST, x);
    return END(ltr_batchnorm_forward(c, l, IN(0)));
}
lt_tensor *ltr_ac_layer_norm(lt_ctx *c, const lt_tensor *x, int normalized_ndim,
                             const lt_tensor *weight, const lt_tensor *bias, double eps) {
    BEGIN(FOLLOW_FIRST, x, weight, bias);
    return END(ltr_layer_norm(c, IN(0), normalized_ndim, IN(1), IN(2), eps));
}
lt_tensor *ltr_ac_group_norm(lt_ctx *c, const lt_tensor *x, int64_t num_groups,
                             const lt_tensor *weight, const lt_tensor *bias, double eps) {
    BEGIN(FOLLOW_FIRST, x, weight, bias);
    return END(ltr_group_norm(c, IN(0), num_groups, IN(1), IN(2), eps));
}

/* ---- metrics: computed from the widened logits, returned as the core returns them */
lt_tensor *ltr_ac_accuracy(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target) {
    BEGIN(FOLLOW, logits, target);
    k_.round = false;
    return END(ltr_accuracy(c, IN(0), IN(1)));
}
lt_tensor *ltr_ac_accuracy_topk(lt_ctx *c, const lt_tensor *logits, const lt_tensor *target,
                                int64_t k) {
    BEGIN(FOLLOW, logits, target);
    k_.round = false;
    return END(ltr_accuracy_topk(c, IN(0), IN(1), k));
}
