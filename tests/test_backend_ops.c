/*
 * test_backend_ops.c — every op front-end of runtime/tensor/ops.h x every float dtype x
 * every registered backend, the way ggml's test-backend-ops proves a backend:
 *   values    the op on backend B in dtype D against the CPU backend's float64 reference;
 *   gradients d sum(op(x) * w) / dx on B in D against central differences of the CPU
 *             float64 reference (h = 1e-6).
 * One line per op x dtype x backend case ("ok" / "values only" / "skip"), so a new backend
 * is proven by running this binary. A second test checks each backend's kernel table
 * (size, version, names, the CPU table complete) and a third holds hand-computed values.
 * Inputs reach a backend through its device (lt_copy_), results and gradients come back
 * the same way: test_backend_ops_fake.sh runs it with tests/fake_device.c's backend
 * registered (LTR_TEST_DEVICE=fake), whose kernels refuse memory not from its pool.
 */
#include "gradcheck.h"

#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "nn/metrics.h"
#include "nn/nn.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ the cases */

/* an input: 'f' float leaf with gradient, 'c' float constant, 'i' int64 in [0, hi),
 * 'b' bool mask; nd dims of shape s; floats uniform in [lo, hi) */
typedef struct in_spec {
    char kind;
    int nd;
    int64_t s[4];
    double lo, hi;
} in_spec;

typedef lt_tensor *(*case_fn)(lt_ctx *c, lt_tensor **x);

/* SEEDED: drawn from the context's generator, reseeded alike for the reference and the
 * backend: every backend draws the one stream (rng_fill's contract), so values compare */
enum { GRAD = 0, NOGRAD = 1, RANDOM = 2, BF16 = 4, SEEDED = 8 };

typedef struct bcase {
    const char *name;
    case_fn f;
    int flags;
    int nin;
    in_spec in[4];
} bcase;

static lt_dtype cur_dt; /* the dtype of the case being run (creation ops take it) */

#define F(name, expr) \
    static lt_tensor *f_##name(lt_ctx *c, lt_tensor **x) { (void)x; return (expr); }

static const int dims01[2] = {0, 1}, dim1[1] = {1}, perm[3] = {2, 0, 1};
static const int64_t shp6[2] = {6, 2}, shp34[2] = {3, 4}, shp234[3] = {2, 3, 4};

F(matmul, ltr_matmul(c, x[0], x[1]))
F(linear, ltr_linear(c, x[0], x[1], x[2]))
F(add, ltr_add(c, x[0], x[1]))
F(sub, ltr_sub(c, x[0], x[1]))
F(mul, ltr_mul(c, x[0], x[1]))
F(relu, ltr_relu(c, x[0]))
F(reshape, ltr_reshape(c, x[0], 2, shp6))
F(flatten, ltr_flatten(c, x[0], 1))
F(sum, ltr_sum(c, x[0]))
F(mean, ltr_mean(c, x[0]))
F(log_softmax, ltr_log_softmax(c, x[0], 1))
F(cross_entropy, ltr_cross_entropy(c, x[0], x[1]))
F(argmax, ltr_argmax(c, x[0], 1))
static lt_tensor *f_conv2d(lt_ctx *c, lt_tensor **x) {
    lt_conv2d_options o = LT_CONV2D_DEFAULTS;
    o.padding[0] = o.padding[1] = 1;
    return ltr_conv2d(c, x[0], x[1], x[2], &o);
}
F(max_pool2d, ltr_max_pool2d(c, x[0], 2, 2, 0))
F(neg, ltr_neg(c, x[0]))
F(exp, ltr_exp(c, x[0]))
F(log, ltr_log(c, x[0]))
F(sqrt, ltr_sqrt(c, x[0]))
F(abs, ltr_abs(c, x[0]))
F(sigmoid, ltr_sigmoid(c, x[0]))
F(tanh, ltr_tanh(c, x[0]))
F(accuracy, ltr_accuracy(c, x[0], x[1]))
F(sum_dim, ltr_sum_dim(c, x[0], dims01, 2, false))
F(mean_dim, ltr_mean_dim(c, x[0], dim1, 1, true))
F(var, ltr_var(c, x[0], 1, 1.0, false))
F(std, ltr_std(c, x[0], 0, 0.0, true))
F(max_dim, ltr_max_dim(c, x[0], 1, false, NULL))
F(min_dim, ltr_min_dim(c, x[0], 0, true, NULL))
F(max, ltr_max(c, x[0]))
F(min, ltr_min(c, x[0]))
F(amax, ltr_amax(c, x[0], 1, false))
F(amin, ltr_amin(c, x[0], 0, false))
F(argmax_dim, ltr_argmax_dim(c, x[0], 0, true))
F(argmin_dim, ltr_argmin_dim(c, x[0], 1, false))
F(logsumexp, ltr_logsumexp(c, x[0], 1, false))
F(softmax, ltr_softmax(c, x[0], 0))
static lt_tensor *f_conv1d(lt_ctx *c, lt_tensor **x) {
    lt_conv1d_options o = LT_CONV1D_DEFAULTS;
    o.padding = 1;
    return ltr_conv1d(c, x[0], x[1], x[2], &o);
}
static lt_tensor *f_conv_transpose2d(lt_ctx *c, lt_tensor **x) {
    lt_conv_transpose2d_options o = LT_CONV_TRANSPOSE2D_DEFAULTS;
    o.stride[0] = o.stride[1] = 2;
    return ltr_conv_transpose2d(c, x[0], x[1], x[2], &o);
}
static lt_tensor *f_avg_pool2d(lt_ctx *c, lt_tensor **x) {
    lt_pool2d_options o = LT_POOL2D_DEFAULTS;
    o.stride[0] = o.stride[1] = 1;
    o.padding[0] = o.padding[1] = 1;
    return ltr_avg_pool2d(c, x[0], 3, 3, &o);
}
static lt_tensor *f_max_pool2d_ex(lt_ctx *c, lt_tensor **x) {
    lt_pool2d_options o = LT_POOL2D_DEFAULTS;
    o.stride[0] = o.stride[1] = 2;
    o.padding[0] = o.padding[1] = 1;
    o.ceil_mode = true;
    return ltr_max_pool2d_ex(c, x[0], 3, 2, &o);
}
F(adaptive_avg_pool2d, ltr_adaptive_avg_pool2d(c, x[0], 2, 3))
F(div, ltr_div(c, x[0], x[1]))
F(pow, ltr_pow(c, x[0], x[1]))
F(maximum, ltr_maximum(c, x[0], x[1]))
F(minimum, ltr_minimum(c, x[0], x[1]))
F(eq, ltr_eq(c, x[0], x[1]))
F(ne, ltr_ne(c, x[0], x[1]))
F(lt, ltr_lt(c, x[0], x[1]))
F(le, ltr_le(c, x[0], x[1]))
F(gt, ltr_gt(c, x[0], x[1]))
F(ge, ltr_ge(c, x[0], x[1]))
F(where, ltr_where(c, x[0], x[1], x[2]))
F(masked_fill, ltr_masked_fill(c, x[0], x[1], -2.5))
F(add_scalar, ltr_add_scalar(c, x[0], 1.5))
F(mul_scalar, ltr_mul_scalar(c, x[0], -0.75))
F(pow_scalar, ltr_pow_scalar(c, x[0], 2.5))
F(clamp, ltr_clamp(c, x[0], -0.5, 0.5))
F(leaky_relu, ltr_leaky_relu(c, x[0], 0.1))
F(elu, ltr_elu(c, x[0], 1.3))
F(softplus, ltr_softplus(c, x[0], 2.0, 1.0))
F(silu, ltr_silu(c, x[0]))
F(gelu, ltr_gelu(c, x[0], LT_GELU_NONE))
F(gelu_tanh, ltr_gelu(c, x[0], LT_GELU_TANH))
F(to, ltr_to(c, ltr_to(c, x[0], LT_FLOAT64), cur_dt))
F(full, ltr_full(c, cur_dt, 2, shp34, 0.25))
F(zeros, ltr_zeros_op(c, cur_dt, 2, shp34))
F(ones, ltr_ones(c, cur_dt, 3, shp234))
F(arange, ltr_arange(c, -1.0, 2.0, 0.25, cur_dt))
F(rand, ltr_rand(c, cur_dt, 2, shp34))
F(randn, ltr_randn(c, cur_dt, 2, shp34))
F(transpose, ltr_transpose(c, x[0], 0, 2))
F(permute, ltr_permute(c, x[0], 3, perm))
F(squeeze, ltr_squeeze(c, x[0], 1))
F(squeeze_all, ltr_squeeze_all(c, x[0]))
F(unsqueeze, ltr_unsqueeze(c, x[0], -1))
F(expand, ltr_expand(c, x[0], 3, shp234))
F(narrow, ltr_narrow(c, x[0], 1, 1, 2))
F(select, ltr_select(c, x[0], 0, 1))
F(contiguous, ltr_contiguous_op(c, ltr_transpose(c, x[0], 0, 1)))
F(index_select, ltr_index_select(c, x[0], 0, x[1]))
static lt_tensor *f_cat(lt_ctx *c, lt_tensor **x) {
    const lt_tensor *ts[2] = {x[0], x[1]};
    return ltr_cat(c, ts, 2, 1);
}
static lt_tensor *f_stack(lt_ctx *c, lt_tensor **x) {
    const lt_tensor *ts[2] = {x[0], x[1]};
    return ltr_stack(c, ts, 2, 0);
}
static lt_tensor *f_split(lt_ctx *c, lt_tensor **x) { /* the pieces rejoined in reverse */
    lt_tensor *p[4];
    int n = ltr_split_tensor(c, x[0], 2, 1, p, 4);
    if (n != 3) return NULL;
    const lt_tensor *r[3] = {p[2], p[1], p[0]};
    return ltr_cat(c, r, 3, 1);
}
static lt_tensor *f_chunk(lt_ctx *c, lt_tensor **x) {
    lt_tensor *p[4];
    int n = ltr_chunk(c, x[0], 2, 0, p, 4);
    if (n != 2) return NULL;
    return ltr_mul(c, p[0], p[1]);
}
F(bmm, ltr_bmm(c, x[0], x[1]))
F(mse_loss, ltr_mse_loss(c, x[0], x[1], LT_REDUCTION_MEAN))
F(l1_loss, ltr_l1_loss(c, x[0], x[1], LT_REDUCTION_NONE))
F(smooth_l1_loss, ltr_smooth_l1_loss(c, x[0], x[1], LT_REDUCTION_SUM, 0.5))
F(huber_loss, ltr_huber_loss(c, x[0], x[1], LT_REDUCTION_MEAN, 0.5))
F(binary_cross_entropy, ltr_binary_cross_entropy(c, x[0], x[1], NULL, LT_REDUCTION_MEAN))
F(bce_with_logits, ltr_binary_cross_entropy_with_logits(c, x[0], x[1], NULL, x[2],
                                                        LT_REDUCTION_MEAN))
F(kl_div, ltr_kl_div(c, x[0], x[1], LT_REDUCTION_BATCHMEAN, false))
static lt_tensor *f_cross_entropy_ex(lt_ctx *c, lt_tensor **x) {
    lt_cross_entropy_options o = LT_CROSS_ENTROPY_DEFAULTS;
    o.label_smoothing = 0.1;
    return ltr_cross_entropy_ex(c, x[0], x[1], &o);
}
static lt_tensor *f_nll_loss(lt_ctx *c, lt_tensor **x) {
    lt_nll_loss_options o = LT_NLL_LOSS_DEFAULTS;
    o.reduction = LT_REDUCTION_SUM;
    return ltr_nll_loss(c, x[0], x[1], &o);
}
F(batch_norm, ltr_batch_norm(c, x[0], NULL, NULL, x[1], x[2], true, 0.1, 1e-5))
F(layer_norm, ltr_layer_norm(c, x[0], 1, x[1], x[2], 1e-5))
F(group_norm, ltr_group_norm(c, x[0], 2, x[1], x[2], 1e-5))
F(dropout_eval, ltr_dropout(c, x[0], 0.5, false))
F(dropout, ltr_dropout(c, x[0], 0.5, true))
/* nn.init in place on a fresh tensor of the case's dtype on the context's device */
#define INIT(name, call)                                                  \
    static lt_tensor *f_##name(lt_ctx *c, lt_tensor **x) {                \
        (void)x;                                                          \
        lt_tensor *t = ltr_empty(c, cur_dt, 2, shp34);                    \
        if (t) call;                                                      \
        return ((ltr_ctx *)c)->failed ? NULL : t;                         \
    }
INIT(init_uniform, ltr_init_uniform(c, t, -0.5, 2.0))
INIT(init_normal, ltr_init_normal(c, t, 1.0, 0.5))
INIT(init_trunc_normal, ltr_init_trunc_normal(c, t, 0.0, 1.0, -0.5, 0.5))
INIT(init_orthogonal, ltr_init_orthogonal(c, t, 1.5))
INIT(init_constant, ltr_init_constant(c, t, -0.375))
F(embedding, ltr_embedding(c, x[0], x[1], -1))
F(sdpa, ltr_scaled_dot_product_attention(c, x[0], x[1], x[2], NULL, true, 0))

#define FL(...) {'f', __VA_ARGS__}
#define CO(...) {'c', __VA_ARGS__}
#define IX(nd_, s_, n_) {'i', nd_, s_, 0, n_}
#define MK(nd_, s_) {'b', nd_, s_, 0, 1}
#define S(...) {__VA_ARGS__}
#define C1(name, fl, a) {#name, f_##name, fl, 1, {a}}
#define C2(name, fl, a, b) {#name, f_##name, fl, 2, {a, b}}
#define C3(name, fl, a, b, c3) {#name, f_##name, fl, 3, {a, b, c3}}
#define C0(name, fl) {#name, f_##name, fl, 0, {{0}}}

/* inputs: 2x3 and friends, small enough for central differences per element */
#define M23 FL(2, S(2, 3), -1, 1)
#define M34 FL(2, S(3, 4), -1, 1)
#define T234 FL(3, S(2, 3, 4), -1, 1)
#define POS23 FL(2, S(2, 3), 0.5, 2)
#define IMG FL(4, S(2, 2, 4, 5), -1, 1)

static const bcase cases[] = {
    C2(matmul, BF16, M23, FL(2, S(3, 4), -1, 1)),
    C3(linear, BF16, M23, FL(2, S(4, 3), -1, 1), FL(1, S(4), -1, 1)),
    C2(add, GRAD, M23, FL(1, S(3), -1, 1)),
    C2(sub, GRAD, FL(2, S(2, 1), -1, 1), M23),
    C2(mul, GRAD, M23, FL(0, S(0), -1, 1)),
    C1(relu, GRAD, M23),
    C1(reshape, BF16, FL(2, S(3, 4), -1, 1)),
    C1(flatten, BF16, T234),
    C1(sum, GRAD, T234),
    C1(mean, GRAD, T234),
    C1(log_softmax, GRAD, M34),
    C2(cross_entropy, GRAD, M34, IX(1, S(3), 4)),
    C1(argmax, NOGRAD, M34),
    C3(conv2d, GRAD, IMG, FL(4, S(3, 2, 3, 3), -1, 1), FL(1, S(3), -1, 1)),
    C1(max_pool2d, GRAD, IMG),
    C1(neg, GRAD, M23),
    C1(exp, GRAD, M23),
    C1(log, GRAD, POS23),
    C1(sqrt, GRAD, POS23),
    C1(abs, GRAD, M23),
    C1(sigmoid, GRAD, M23),
    C1(tanh, GRAD, M23),
    C2(accuracy, NOGRAD, M34, IX(1, S(3), 4)),
    C1(sum_dim, GRAD, T234),
    C1(mean_dim, GRAD, T234),
    C1(var, GRAD, M34),
    C1(std, GRAD, M34),
    C1(max_dim, GRAD, M34),
    C1(min_dim, GRAD, M34),
    C1(max, GRAD, M34),
    C1(min, GRAD, M34),
    C1(amax, GRAD, M34),
    C1(amin, GRAD, M34),
    C1(argmax_dim, NOGRAD, M34),
    C1(argmin_dim, NOGRAD, M34),
    C1(logsumexp, GRAD, M34),
    C1(softmax, GRAD, M34),
    C3(conv1d, GRAD, FL(3, S(2, 2, 5), -1, 1), FL(3, S(3, 2, 3), -1, 1), FL(1, S(3), -1, 1)),
    C3(conv_transpose2d, GRAD, FL(4, S(1, 2, 3, 3), -1, 1), FL(4, S(2, 2, 2, 2), -1, 1),
       FL(1, S(2), -1, 1)),
    C1(avg_pool2d, GRAD, IMG),
    C1(max_pool2d_ex, GRAD, IMG),
    C1(adaptive_avg_pool2d, GRAD, IMG),
    C2(div, GRAD, M23, FL(1, S(3), 0.5, 2)),
    C2(pow, GRAD, POS23, M23),
    C2(maximum, GRAD, M23, FL(2, S(2, 1), -1, 1)),
    C2(minimum, GRAD, M23, M23),
    C2(eq, NOGRAD, M23, M23),
    C2(ne, NOGRAD, M23, M23),
    C2(lt, NOGRAD, M23, FL(1, S(3), -1, 1)),
    C2(le, NOGRAD, M23, M23),
    C2(gt, NOGRAD, M23, M23),
    C2(ge, NOGRAD, FL(2, S(2, 1), -1, 1), M23),
    C3(where, GRAD, MK(2, S(2, 3)), M23, FL(1, S(3), -1, 1)),
    C2(masked_fill, GRAD, M23, MK(1, S(3))),
    C1(add_scalar, GRAD, M23),
    C1(mul_scalar, GRAD, M23),
    C1(pow_scalar, GRAD, POS23),
    C1(clamp, GRAD, M23),
    C1(leaky_relu, GRAD, M23),
    C1(elu, GRAD, M23),
    C1(softplus, GRAD, M23),
    C1(silu, GRAD, M23),
    C1(gelu, GRAD, M23),
    C1(gelu_tanh, GRAD, M23),
    C1(to, GRAD | BF16, M23),
    C0(full, NOGRAD | BF16),
    C0(zeros, NOGRAD | BF16),
    C0(ones, NOGRAD | BF16),
    C0(arange, NOGRAD),
    C0(rand, SEEDED),
    C0(randn, SEEDED),
    C0(init_uniform, SEEDED),
    C0(init_normal, SEEDED),
    C0(init_trunc_normal, SEEDED),
    C0(init_orthogonal, SEEDED),
    C0(init_constant, NOGRAD),
    C1(transpose, BF16, T234),
    C1(permute, BF16, T234),
    C1(squeeze, BF16, FL(3, S(2, 1, 3), -1, 1)),
    C1(squeeze_all, BF16, FL(4, S(1, 2, 1, 3), -1, 1)),
    C1(unsqueeze, BF16, M23),
    C1(expand, BF16, FL(2, S(3, 1), -1, 1)),
    C1(narrow, BF16, M34),
    C1(select, BF16, T234),
    C1(contiguous, BF16, M34),
    C2(index_select, BF16, M34, IX(1, S(5), 3)),
    C2(cat, BF16, M23, FL(2, S(2, 2), -1, 1)),
    C2(stack, BF16, M23, M23),
    C1(split, BF16, FL(2, S(2, 5), -1, 1)),
    C1(chunk, GRAD, FL(2, S(4, 3), -1, 1)),
    C2(bmm, GRAD, T234, FL(3, S(2, 4, 2), -1, 1)),
    C2(mse_loss, GRAD, M23, M23),
    C2(l1_loss, GRAD, M23, M23),
    C2(smooth_l1_loss, GRAD, M23, M23),
    C2(huber_loss, GRAD, M23, M23),
    C2(binary_cross_entropy, GRAD, FL(2, S(2, 3), 0.1, 0.9), CO(2, S(2, 3), 0, 1)),
    C3(bce_with_logits, GRAD, M23, CO(2, S(2, 3), 0, 1), CO(1, S(3), 0.5, 2)),
    C2(kl_div, GRAD, FL(2, S(2, 3), -2, -0.5), CO(2, S(2, 3), 0.1, 1)),
    C2(cross_entropy_ex, GRAD, M34, IX(1, S(3), 4)),
    C2(nll_loss, GRAD, M34, IX(1, S(3), 4)),
    C3(batch_norm, GRAD, FL(3, S(3, 2, 2), -1, 1), FL(1, S(2), 0.5, 2), FL(1, S(2), -1, 1)),
    C3(layer_norm, GRAD, M34, FL(1, S(4), 0.5, 2), FL(1, S(4), -1, 1)),
    C3(group_norm, GRAD, FL(3, S(2, 4, 3), -1, 1), FL(1, S(4), 0.5, 2), FL(1, S(4), -1, 1)),
    C1(dropout_eval, GRAD, M23),
    C1(dropout, SEEDED, M23),
    C2(embedding, GRAD, FL(2, S(5, 3), -1, 1), IX(1, S(4), 5)),
    C3(sdpa, GRAD, FL(3, S(1, 3, 2), -1, 1), FL(3, S(1, 3, 2), -1, 1), FL(3, S(1, 3, 2), -1, 1)),
};
enum { NCASES = sizeof cases / sizeof cases[0] };

/* ------------------------------------------------------------------ the runner */

/* input k of case bc, float64 on the cpu, seeded by case and input so every dtype and
 * backend sees the same numbers */
static lt_tensor *make_input(test_env *e, const bcase *bc, int k) {
    const in_spec *s = &bc->in[k];
    ltr_rng r;
    ltr_rng_seed(&r, 1000u + 17u * (unsigned)(bc - cases) + (unsigned)k);
    lt_dtype dt = s->kind == 'i' ? LT_INT64 : s->kind == 'b' ? LT_BOOL : LT_FLOAT64;
    lt_tensor *t = ltr_empty(&e->ctx.pub, dt, s->nd, s->s);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) {
        double u = ltr_rng_uniform(&r);
        double v = s->kind == 'i' ? (double)(int64_t)(u * s->hi) : s->kind == 'b' ? (u < 0.5)
                                                                                  : s->lo + (s->hi - s->lo) * u;
        ltr_set(t, i, v);
    }
    return t;
}

/* a copy of x with float inputs in dt, on backend b: made on the CPU, then copied
 * through b's device */
static lt_tensor *to_case(test_env *e, const lt_tensor *x, char kind, lt_dtype dt, int b) {
    lt_dtype want = kind == 'f' || kind == 'c' ? dt : x->dtype;
    lt_tensor *t = ltr_empty_on(&e->ctx.pub, 0, want, x->ndim, x->shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, ltr_get(x, i));
    if (b != 0) {
        lt_tensor *d = ltr_empty_on(&e->ctx.pub, b, want, x->ndim, x->shape);
        ck_assert_ptr_nonnull(d);
        ck_assert_int_eq(ltr_copy_(&e->ctx.pub, d, t), LT_OK);
        t = d;
    }
    if (kind == 'f') t->flags |= LTR_T_REQUIRES_GRAD;
    return t;
}

/* t as a contiguous CPU tensor the test can read (copied off its device) */
static const lt_tensor *on_cpu(test_env *e, const lt_tensor *t) {
    const lt_tensor *c = ltr_contiguous(&e->ctx.pub, t);
    ck_assert_ptr_nonnull(c);
    if (c->device == 0) return c;
    lt_tensor *h = ltr_empty_on(&e->ctx.pub, 0, c->dtype, c->ndim, c->shape);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(ltr_copy_(&e->ctx.pub, h, c), LT_OK);
    return h;
}

static lt_tensor *scalar_of(test_env *e, const bcase *bc, lt_tensor **in) {
    e->ctx.grad_enabled = true;
    return weigh(&e->ctx.pub, bc->f(&e->ctx.pub, in));
}

static double ref_eval(test_env *e, const bcase *bc, lt_tensor **in) {
    lt_dtype dt = cur_dt;
    cur_dt = LT_FLOAT64;
    e->ctx.grad_enabled = false;
    lt_tensor *y = weigh(&e->ctx.pub, bc->f(&e->ctx.pub, in));
    e->ctx.grad_enabled = true;
    cur_dt = dt;
    ck_assert_msg(y != NULL, "%s: reference failed: %s", bc->name, e->ctx.error);
    return ltr_get(y, 0);
}

static bool is_float_dtype(lt_dtype dt) {
    return dt == LT_FLOAT32 || dt == LT_FLOAT64 || dt == LT_BFLOAT16;
}

/* one op x dtype x backend: returns what was proven */
static const char *run_one(const bcase *bc, lt_dtype dt, int b) {
    const bool bf16 = dt == LT_BFLOAT16;
    if (bf16 && !(bc->flags & BF16)) return "skip (no bfloat16 path)";
    test_env e;
    env_init(&e);
    e.ctx.device = 0; /* the reference: the CPU, whatever the default device is */
    cur_dt = LT_FLOAT64;
    lt_tensor *ref_in[4], *in[4];
    for (int k = 0; k < bc->nin; k++) ref_in[k] = make_input(&e, bc, k);
    e.ctx.grad_enabled = false;
    ltr_rng_seed(&e.rng, 7);
    lt_tensor *ref = bc->f(&e.ctx.pub, ref_in);
    ck_assert_msg(ref != NULL, "%s: cpu float64 reference failed: %s", bc->name, e.ctx.error);
    ref = ltr_contiguous(&e.ctx.pub, ref);

    cur_dt = dt;
    for (int k = 0; k < bc->nin; k++) in[k] = to_case(&e, ref_in[k], bc->in[k].kind, dt, b);
    e.ctx.grad_enabled = !(bc->flags & (NOGRAD | RANDOM | SEEDED)) && !bf16;
    ltr_rng_seed(&e.rng, 7);
    e.ctx.device = b; /* what the op makes goes to the backend under test */
    lt_tensor *y = bc->f(&e.ctx.pub, in);
    ck_assert_msg(y != NULL, "%s %s on %s: failed: %s", bc->name, ltr_dtype_name(dt),
                  ltr_backend_at(b)->name, e.ctx.error);
    ck_assert_int_eq(y->ndim, ref->ndim);
    for (int d = 0; d < y->ndim; d++) ck_assert_int_eq(y->shape[d], ref->shape[d]);
    bool floating = is_float_dtype(ref->dtype);
    /* float64 results follow the case's dtype; others (int64 indices, bool masks,
     * accuracy's float32) are fixed */
    lt_dtype want_dt = ref->dtype == LT_FLOAT64 ? dt : ref->dtype;
    ck_assert_msg(y->dtype == want_dt, "%s %s: output dtype %s",
                  bc->name, ltr_dtype_name(dt), ltr_dtype_name(y->dtype));
    const lt_tensor *yc = on_cpu(&e, y);
    double atol = dt == LT_FLOAT64 ? 1e-10 : bf16 ? 2e-2 : 2e-5, rtol = dt == LT_FLOAT64 ? 1e-9 : bf16 ? 1e-2 : 2e-5;
    for (int64_t i = 0; i < ltr_numel(ref); i++) {
        double got = ltr_get(yc, i), want = ltr_get(ref, i);
        if (bc->flags & RANDOM) { /* the draws themselves are the generator's business */
            ck_assert_msg(isfinite(got), "%s %s: element %lld not finite", bc->name,
                          ltr_dtype_name(dt), (long long)i);
            continue;
        }
        ck_assert_msg(floating ? fabs(got - want) <= atol + rtol * fabs(want) : got == want,
                      "%s %s on %s: element %lld: got %.12g, want %.12g (cpu float64)", bc->name,
                      ltr_dtype_name(dt), ltr_backend_at(b)->name, (long long)i, got, want);
    }
    if ((bc->flags & (NOGRAD | RANDOM | SEEDED)) || bf16) {
        env_free(&e);
        return (bc->flags & RANDOM) ? "ok (shape, dtype, finite)"
               : (bc->flags & SEEDED) ? "ok (values, seeded stream)" : "ok (values)";
    }

    /* gradients: analytic on the backend in dt against central differences of the CPU
     * float64 reference */
    ltr_tape_reset(e.tape);
    lt_tensor *s = scalar_of(&e, bc, in);
    ck_assert_msg(s != NULL, "%s: %s", bc->name, e.ctx.error);
    ck_assert_int_eq(ltr_backward(&e.ctx.pub, s), LT_OK);
    const double h = 1e-6;
    double gatol = dt == LT_FLOAT64 ? 1e-6 : 2e-3, grtol = dt == LT_FLOAT64 ? 1e-5 : 2e-3;
    int checked = 0;
    for (int k = 0; k < bc->nin; k++) {
        if (bc->in[k].kind != 'f') continue;
        lt_tensor *x = ref_in[k];
        ck_assert_msg(in[k]->grad != NULL, "%s %s: input %d got no gradient", bc->name,
                      ltr_dtype_name(dt), k);
        const lt_tensor *g = on_cpu(&e, in[k]->grad);
        for (int64_t i = 0; i < ltr_numel(x); i++) {
            double v = ltr_get(x, i);
            ltr_set(x, i, v + h);
            e.ctx.device = 0;
            double fp = ref_eval(&e, bc, ref_in);
            ltr_set(x, i, v - h);
            double fm = ref_eval(&e, bc, ref_in);
            ltr_set(x, i, v);
            double num = (fp - fm) / (2 * h), ana = ltr_get(g, i);
            ck_assert_msg(fabs(num - ana) <= gatol + grtol * fabs(num),
                          "%s %s on %s: d/d in%d[%lld]: analytical %.10g, numerical %.10g",
                          bc->name, ltr_dtype_name(dt), ltr_backend_at(b)->name, k,
                          (long long)i, ana, num);
            checked++;
        }
    }
    env_free(&e);
    return checked ? "ok (values, gradients)" : "ok (values)";
}

static const lt_dtype dtypes[] = {LT_FLOAT32, LT_FLOAT64, LT_BFLOAT16};

START_TEST(op_cases) {
    const bcase *bc = &cases[_i];
    for (int b = 0; b < ltr_backend_count(); b++)
        for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
            const char *what = run_one(bc, dtypes[d], b);
            printf("%-8s %-22s %-9s %s\n", ltr_backend_at(b)->name, bc->name,
                   ltr_dtype_name(dtypes[d]), what);
            fflush(stdout);
        }
}
END_TEST

/* ------------------------------------------------------------------ the tables */

START_TEST(kernel_tables) {
    ck_assert_int_ge(ltr_backend_count(), 1);
    ck_assert_str_eq(ltr_backend_at(0)->name, "cpu");
    for (int b = 0; b < ltr_backend_count(); b++) {
        const ltr_accel *a = ltr_backend_at(b)->kernels;
        ck_assert_msg(ltr_accel_table_ok(a), "backend %s: kernel table size %zu / version %u "
                      "not this host's (%zu / %u)", ltr_backend_at(b)->name, a ? a->size : 0,
                      a ? a->api_version : 0, sizeof(ltr_accel), LTR_ACCEL_API_VERSION);
        int supported = 0;
        for (int op = 0; op < LTR_OP_COUNT; op++) {
            const char *name = ltr_kernel_op_name((ltr_kernel_op)op);
            ck_assert_ptr_nonnull(name);
            for (int j = 0; j < op; j++) ck_assert_str_ne(name, ltr_kernel_op_name((ltr_kernel_op)j));
            bool s = ltr_accel_supports_op(a, (ltr_kernel_op)op);
            supported += s;
            /* the CPU is the reference: it has every kernel */
            ck_assert_msg(b != 0 || s, "cpu lacks kernel %s", name);
        }
        printf("%-8s kernel table: %d of %d ops\n", ltr_backend_at(b)->name, supported,
               (int)LTR_OP_COUNT);
    }
    ck_assert_ptr_null(ltr_kernel_op_name(LTR_OP_COUNT));
    ck_assert_str_eq(ltr_kernel_op_name(LTR_OP_GEMM), "gemm");
    ck_assert_str_eq(ltr_kernel_op_name(LTR_OP_BINARY), "binary");
    /* an older backend's shorter table: the entries past its size are unsupported */
    ltr_accel shorter = *ltr_backend_at(0)->kernels;
    shorter.size = offsetof(ltr_accel, binary);
    ck_assert(ltr_accel_supports_op(&shorter, LTR_OP_GEMM));
    ck_assert(!ltr_accel_supports_op(&shorter, LTR_OP_BINARY));
    ck_assert(!ltr_accel_supports_op(&shorter, LTR_OP_EMBEDDING_BACKWARD));
    shorter = *ltr_backend_at(0)->kernels;
    shorter.softmax = NULL;
    ck_assert(!ltr_accel_supports_op(&shorter, LTR_OP_SOFTMAX));
    shorter.api_version = LTR_ACCEL_API_VERSION + 1;
    ck_assert(!ltr_accel_table_ok(&shorter));
    ck_assert(!ltr_accel_supports_op(NULL, LTR_OP_GEMM));
}
END_TEST

/* ------------------------------------------- state entries through their front-ends */

/* v[0..n) as a dt tensor of shape s on backend b (made on the CPU, copied through b) */
static lt_tensor *on_backend(test_env *e, int b, lt_dtype dt, int nd, const int64_t *s,
                             const double *v) {
    lt_tensor *h = ltr_empty_on(&e->ctx.pub, 0, dt, nd, s);
    ck_assert_ptr_nonnull(h);
    for (int64_t i = 0; i < ltr_numel(h); i++) ltr_set(h, i, v[i]);
    if (b == 0) return h;
    lt_tensor *d = ltr_empty_on(&e->ctx.pub, b, dt, nd, s);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(ltr_copy_(&e->ctx.pub, d, h), LT_OK);
    return d;
}

/* metric_update / metric_merge / metric_value / first_out_of_range (lt_metric objects,
 * their state on the device), lerp, count_add, and cross_entropy_backward's gradient and
 * kept count read as tensors: every backend against the CPU, bit for bit */
START_TEST(state_entries) {
    enum { NKIND = 7 };
    const lt_metric_kind kinds[NKIND] = {LT_METRIC_ACCURACY, LT_METRIC_PRECISION,
                                         LT_METRIC_RECALL, LT_METRIC_F1,
                                         LT_METRIC_CONFUSION_MATRIX, LT_METRIC_MAE,
                                         LT_METRIC_MSE};
    double want[NKIND][3]; /* the CPU's epoch value, batch value, compute()[0] */
    const int64_t s43[2] = {4, 3}, s4[1] = {4};
    const double scores[2][12] = {{0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4, 0.2, 0.5, 0.3},
                                  {0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4}};
    const double labels[2][4] = {{1, 0, 2, 2}, {0, 2, 1, 1}};
    for (int b = 0; b < ltr_backend_count(); b++) {
        test_env e;
        env_init(&e);
        e.ctx.device = b; /* the metrics' state goes to the backend under test */
        lt_ctx *c = &e.ctx.pub;
        for (int k = 0; k < NKIND; k++) {
            bool reg = kinds[k] == LT_METRIC_MAE || kinds[k] == LT_METRIC_MSE;
            lt_metric_options o = LT_METRIC_DEFAULTS;
            o.num_classes = reg ? 0 : 3;
            lt_metric *m = ltr_metric_new(c, kinds[k], &o);
            ck_assert_msg(m != NULL, "%s", e.ctx.error);
            for (int u = 0; u < 2; u++) {
                lt_tensor *p = on_backend(&e, b, LT_FLOAT32, 2, s43, scores[u]);
                lt_tensor *t = reg ? on_backend(&e, b, LT_FLOAT32, 2, s43, scores[1 - u])
                                   : on_backend(&e, b, LT_INT64, 1, s4, labels[u]);
                ck_assert_msg(ltr_metric_update(c, m, p, t) == LT_OK, "%s", e.ctx.error);
            }
            lt_tensor *r = ltr_metric_compute(c, m);
            ck_assert_ptr_nonnull(r);
            double got[3] = {ltr_metric_epoch_value(m), ltr_metric_batch_value(m), ltr_fetch(r, 0)};
            for (int j = 0; j < 3; j++) {
                if (b == 0) want[k][j] = got[j];
                else
                    ck_assert_msg(got[j] == want[k][j] || (isnan(got[j]) && isnan(want[k][j])),
                                  "%s metric %d value %d: %.17g, cpu %.17g",
                                  ltr_backend_at(b)->name, (int)kinds[k], j, got[j], want[k][j]);
            }
            /* a class index out of range is found on the device and named */
            if (!reg) {
                const double bad[4] = {1, 0, 7, 2};
                lt_tensor *p = on_backend(&e, b, LT_FLOAT32, 2, s43, scores[0]);
                ck_assert(ltr_metric_update(c, m, p, on_backend(&e, b, LT_INT64, 1, s4, bad)) != LT_OK);
                ck_assert_msg(strstr(e.ctx.error, "target 7 at index 2"), "%s", e.ctx.error);
                char err[1024];
                ltr_ctx_take_error(&e.ctx, err, sizeof err);
            }
        }
        /* one value by hand: argmax hits 3 of 4 in each update */
        if (b == 0) ck_assert_double_eq_tol(want[0][0], 0.75, 1e-12);
        /* lerp (lt_lerp_): both of torch's formulas (|w| < 0.5 and not), in each dtype,
         * bit for bit the CPU's; the ends exact */
        static double lerp_want[2][2][12];
        const double ws[2] = {0.3, 0.8};
        for (int d = 0; d < 2; d++)
            for (int w = 0; w < 2; w++) {
                lt_dtype dt = d ? LT_FLOAT64 : LT_FLOAT32;
                lt_tensor *dst = on_backend(&e, b, dt, 2, s43, scores[0]);
                ck_assert_int_eq(ltr_lerp_(c, dst, on_backend(&e, b, dt, 2, s43, scores[1]), ws[w]), LT_OK);
                for (int64_t i = 0; i < 12; i++) {
                    double got = ltr_fetch(dst, i);
                    if (b == 0) lerp_want[d][w][i] = got;
                    else ck_assert_msg(got == lerp_want[d][w][i], "%s lerp %s w %g [%lld]: %.17g, cpu %.17g",
                                       ltr_backend_at(b)->name, ltr_dtype_name(dt), ws[w],
                                       (long long)i, got, lerp_want[d][w][i]);
                }
                lt_tensor *end = on_backend(&e, b, dt, 2, s43, scores[0]);
                ck_assert_int_eq(ltr_lerp_(c, end, on_backend(&e, b, dt, 2, s43, scores[1]), 1.0), LT_OK);
                for (int64_t i = 0; i < 12; i++)
                    ck_assert(ltr_fetch(end, i) == (d ? scores[1][i] : (double)(float)scores[1][i]));
            }
        /* count_add: a counter buffer on the device */
        lt_tensor *n = ltr_zeros_on(c, b, LT_INT64, 0, NULL);
        ck_assert_ptr_nonnull(n);
        ltr_kernels_of(n)->count_add(n, 3);
        ltr_kernels_of(n)->count_add(n, -1);
        ck_assert_int_eq((int64_t)ltr_fetch(n, 0), 2);
        /* cross_entropy with every target ignored: loss nan, kept 0, gradient 0 (no host
         * read of either in backward) */
        const double ign[4] = {-100, -100, -100, -100};
        lt_tensor *x = on_backend(&e, b, LT_FLOAT32, 2, s43, scores[0]);
        x->flags |= LTR_T_REQUIRES_GRAD;
        lt_tensor *loss = ltr_cross_entropy(c, x, on_backend(&e, b, LT_INT64, 1, s4, ign));
        ck_assert_msg(loss != NULL, "%s", e.ctx.error);
        ck_assert(isnan(ltr_fetch(loss, 0)));
        ck_assert_int_eq(ltr_backward(c, loss), LT_OK);
        for (int64_t i = 0; i < 12; i++) ck_assert(ltr_fetch(x->grad, i) == 0);
        env_free(&e);
    }
}
END_TEST

/* A backend that says its memory is not host-accessible must mean it: where tests/
 * fake_device.c's is registered, a host read of its tensor data dies of SIGSEGV (what
 * makes test_backend_ops_fake.sh and test_fake_device.sh proofs), while the same data
 * read through the device's copy is fine. */
START_TEST(device_memory_faults) {
    int checked = 0;
    for (int b = 0; b < ltr_backend_count(); b++) {
        void *self;
        const ltr_device_ops *dev = ltr_device_of(b, &self);
        if (dev->host_accessible || strcmp(ltr_backend_at(b)->name, "fake")) continue;
        test_env e;
        env_init(&e);
        const int64_t s3[1] = {3};
        lt_tensor *t = on_backend(&e, b, LT_FLOAT32, 1, s3, (const double[]){1, 2, 3});
        ck_assert(ltr_fetch(t, 2) == 3); /* through the device: fine */
        fflush(stdout);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            signal(SIGSEGV, SIG_DFL); /* the fault itself, not a handler's report */
            volatile float v = ((volatile float *)t->data)[0];
            (void)v;
            _exit(0);
        }
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
                      "a host read of %s memory did not fault (status %d)", ltr_backend_at(b)->name, st);
        checked++;
        env_free(&e);
    }
    /* the CPU, the reference, is the host's own memory */
    ck_assert(ltr_device_of(0, &(void *){0})->host_accessible);
    printf("device memory faults on the host: %d backend(s) checked\n", checked);
}
END_TEST

/* ------------------------------------------------------------------ known values */

START_TEST(known_values) {
    test_env e;
    env_init(&e);
    e.ctx.device = 0; /* the values are read on the host: the CPU's (op_cases covers every backend) */
    lt_ctx *c = &e.ctx.pub;
    const int64_t s23[2] = {2, 3}, s3[1] = {3}, s0[1] = {0};
    const double xv[6] = {1, -2, 3, NAN, 0.5, -0.0};
    for (size_t d = 0; d < 2; d++) {
        lt_dtype dt = dtypes[d];
        lt_tensor *x = tensor_of(&e, dt, 2, s23, xv);
        lt_tensor *row = tensor_of(&e, dt, 1, s3, (const double[]){2, 4, -1});
        /* relu: NaN stays NaN, -0 becomes +0 (torch's clamp_min) */
        lt_tensor *r = ltr_relu(c, x);
        ck_assert(isnan(ltr_get(r, 3)));
        ck_assert(!signbit(ltr_get(r, 5)));
        ck_assert(ltr_get(r, 0) == 1 && ltr_get(r, 1) == 0 && ltr_get(r, 4) == 0.5);
        /* broadcast div, maximum (NaN propagates), pow */
        check_values(c, ltr_div(c, row, row), (const double[]){1, 1, 1}, 3, 0, 0);
        lt_tensor *mx = ltr_maximum(c, x, row);
        ck_assert(ltr_get(mx, 0) == 2 && ltr_get(mx, 1) == 4 && ltr_get(mx, 2) == 3);
        ck_assert(isnan(ltr_get(mx, 3)));
        check_values(c, ltr_pow(c, row, tensor_of(&e, dt, 0, NULL, (const double[]){2})),
                     (const double[]){4, 16, 1}, 3, 0, 0);
        /* sum and mean of no elements: 0 and nan; argmax: the first NaN, the first tie */
        lt_tensor *empty = tensor_of(&e, dt, 1, s0, NULL);
        ck_assert(ltr_get(ltr_sum(c, empty), 0) == 0);
        ck_assert(isnan(ltr_get(ltr_mean(c, empty), 0)));
        check_values(c, ltr_sum(c, row), (const double[]){5}, 1, 0, 0);
        check_values(c, ltr_mean(c, row), (const double[]){5.0 / 3}, 1, 1e-7, 0);
        lt_tensor *am = ltr_argmax(c, x, 1);
        ck_assert(ltr_get(am, 0) == 2 && ltr_get(am, 1) == 0);
        lt_tensor *ties = tensor_of(&e, dt, 1, s3, (const double[]){5, 7, 7});
        ck_assert(ltr_get(ltr_argmax(c, ties, 0), 0) == 1);
        /* fill through full/masked_fill: any value, any dtype */
        check_values(c, ltr_full(c, dt, 1, s3, -1.5), (const double[]){-1.5, -1.5, -1.5}, 3, 0, 0);
        lt_tensor *fi = ltr_full(c, LT_INT64, 1, s3, 7);
        ck_assert(fi->dtype == LT_INT64 && ltr_get(fi, 2) == 7);
        /* max_pool2d's gradient goes to the window's maximum, added over overlaps */
        const int64_t s4[4] = {1, 1, 2, 3};
        lt_tensor *p = tensor_of(&e, dt, 4, s4, (const double[]){1, 9, 2, 3, 4, 5});
        p->flags |= LTR_T_REQUIRES_GRAD;
        lt_pool2d_options o = LT_POOL2D_DEFAULTS;
        o.stride[0] = o.stride[1] = 1;
        lt_tensor *py = ltr_max_pool2d_ex(c, p, 2, 2, &o);
        check_values(c, py, (const double[]){9, 9}, 2, 0, 0);
        ltr_tape_reset(e.tape);
        py = ltr_max_pool2d_ex(c, p, 2, 2, &o);
        ck_assert_int_eq(ltr_backward(c, ltr_sum(c, py)), LT_OK);
        check_values(c, p->grad, (const double[]){0, 2, 0, 0, 0, 0}, 6, 0, 0);
        ltr_tape_reset(e.tape);
    }
    env_free(&e);
}
END_TEST

int main(void) {
    Suite *s = suite_create("backend_ops");
    TCase *t = tcase_create("tables");
    tcase_add_test(t, kernel_tables);
    tcase_add_test(t, known_values);
    tcase_add_test(t, state_entries);
    tcase_add_test(t, device_memory_faults);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("ops");
    tcase_set_timeout(o, 60);
    tcase_add_loop_test(o, op_cases, 0, NCASES);
    suite_add_tcase(s, o);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
