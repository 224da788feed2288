/*
 * test_autocast.c — torch.autocast("cpu", torch.bfloat16) as the host table serves it
 * (precision/autocast.c): the output dtype of every wrapped op, on and off, against the
 * table PyTorch 1.13.1 printed for the same calls; values and float32 parameter
 * gradients of linear -> relu / softmax / cross_entropy equal to torch's; ops without a
 * bfloat16 kernel computed in float32 and rounded once; lt_autocast(false) regions; the
 * bf16-mixed precision turning it on around a step hook and restoring the state.
 */
#include "check_run.h"
#include "gradcheck.h"
#include "accelerators/deterministic.h"
#include "api/host_api.h"
#include "precision/autocast.h"
#include "precision/precision.h"
#include "tensor/bf16.h"

#include <math.h>
#include <stdlib.h>

static test_env E;
static void setup(void) {
    env_init(&E);
    E.ctx.pub.api = ltr_host_api();
}
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define API (C->api)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static lt_tensor *rand_of(lt_dtype dt, int nd, const int64_t *shape, double lo, double hi) {
    lt_tensor *t = ltr_empty(C, dt, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, lo + (hi - lo) * ltr_rng_uniform(&E.rng));
    return t;
}
static lt_tensor *ok(lt_tensor *t) {
    ck_assert_msg(t != NULL, "op failed: %s", E.ctx.error);
    return t;
}

/* The output dtype of each op through the host table, autocast on, float32 inputs
 * (the lower-precision list gives bfloat16, everything else float32) and bfloat16
 * inputs (the float32 list gives float32, the rest bfloat16). Expected values are what
 * torch 1.13.1 printed for the same ops under torch.autocast("cpu", torch.bfloat16). */
START_TEST(policy_table_matches_torch) {
    lt_tensor *x = rand_of(LT_FLOAT32, 2, SHAPE(4, 8), -1, 1), *w = rand_of(LT_FLOAT32, 2, SHAPE(3, 8), -1, 1);
    lt_tensor *img = rand_of(LT_FLOAT32, 4, SHAPE(2, 3, 8, 8), -1, 1);
    lt_tensor *k = rand_of(LT_FLOAT32, 4, SHAPE(4, 3, 3, 3), -1, 1);
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(4), (const double[]){0, 1, 2, 1});
    ltr_autocast_set(C, true);
    /* lower-precision list, float32 in: bfloat16 out */
    ck_assert_int_eq(ok(API->linear(C, x, w, NULL))->dtype, LT_BFLOAT16);
    ck_assert_int_eq(ok(API->matmul(C, x, ltr_transpose(C, w, 0, 1)))->dtype, LT_BFLOAT16);
    ck_assert_int_eq(ok(API->bmm(C, ltr_unsqueeze(C, x, 0), ltr_unsqueeze(C, ltr_transpose(C, w, 0, 1), 0)))->dtype,
                     LT_BFLOAT16);
    ck_assert_int_eq(ok(API->conv2d(C, img, k, NULL, NULL))->dtype, LT_BFLOAT16);
    /* not on it: float32 in, float32 out (relu, softmax, sum, pools, norms) */
    ck_assert_int_eq(ok(API->relu(C, x))->dtype, LT_FLOAT32);
    ck_assert_int_eq(ok(API->softmax(C, x, -1))->dtype, LT_FLOAT32);
    ck_assert_int_eq(ok(API->max_pool2d(C, img, 2, 2, 0))->dtype, LT_FLOAT32);
    /* bfloat16 in */
    lt_tensor *xb = ok(ltr_to(C, x, LT_BFLOAT16)), *imgb = ok(ltr_to(C, img, LT_BFLOAT16));
    lt_tensor *logits = ok(ltr_narrow(C, xb, 1, 0, 3));
    struct { const char *op; lt_tensor *y; lt_dtype want; } rows[] = {
        /* the float32 list */
        {"cross_entropy", API->cross_entropy(C, ltr_contiguous(C, logits), t), LT_FLOAT32},
        {"mse_loss", API->mse_loss(C, xb, xb, LT_REDUCTION_MEAN), LT_FLOAT32},
        {"l1_loss", API->l1_loss(C, xb, xb, LT_REDUCTION_MEAN), LT_FLOAT32},
        {"smooth_l1_loss", API->smooth_l1_loss(C, xb, xb, LT_REDUCTION_MEAN, 1.0), LT_FLOAT32},
        {"huber_loss", API->huber_loss(C, xb, xb, LT_REDUCTION_MEAN, 1.0), LT_FLOAT32},
        {"binary_cross_entropy_with_logits",
         API->binary_cross_entropy_with_logits(C, xb, API->sigmoid(C, xb), NULL, NULL, LT_REDUCTION_MEAN),
         LT_FLOAT32},
        {"kl_div", API->kl_div(C, xb, xb, LT_REDUCTION_MEAN, true), LT_FLOAT32},
        /* the rest follows its inputs (CPU autocast keeps softmax, norms, sum in bf16) */
        {"relu", API->relu(C, xb), LT_BFLOAT16},
        {"softmax", API->softmax(C, xb, -1), LT_BFLOAT16},
        {"log_softmax", API->log_softmax(C, xb, -1), LT_BFLOAT16},
        {"sum", API->sum(C, xb), LT_BFLOAT16},
        {"mean", API->mean(C, xb), LT_BFLOAT16},
        {"exp", API->exp(C, xb), LT_BFLOAT16},
        {"tanh", API->tanh(C, xb), LT_BFLOAT16},
        {"sigmoid", API->sigmoid(C, xb), LT_BFLOAT16},
        {"gelu", API->gelu(C, xb, LT_GELU_NONE), LT_BFLOAT16},
        {"dropout", API->dropout(C, xb, 0.5, true), LT_BFLOAT16},
        {"var", API->var(C, xb, LT_ALL_DIMS, 1.0, false), LT_BFLOAT16},
        {"max_pool2d", API->max_pool2d(C, imgb, 2, 2, 0), LT_BFLOAT16},
        {"avg_pool2d", API->avg_pool2d(C, imgb, 2, 2, NULL), LT_BFLOAT16},
        {"adaptive_avg_pool2d", API->adaptive_avg_pool2d(C, imgb, 1, 1), LT_BFLOAT16},
        {"layer_norm", API->layer_norm(C, xb, 1, NULL, NULL, 1e-5), LT_BFLOAT16},
        {"group_norm", API->group_norm(C, imgb, 1, NULL, NULL, 1e-5), LT_BFLOAT16},
        /* torch's type promotion: bfloat16 with float32 is float32 */
        {"add(bf16, f32)", API->add(C, xb, x), LT_FLOAT32},
        {"mul(bf16, f32)", API->mul(C, xb, x), LT_FLOAT32},
        {"argmax", API->argmax(C, xb, 1), LT_INT64},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_msg(rows[i].y != NULL, "%s failed: %s", rows[i].op, E.ctx.error);
        ck_assert_msg(rows[i].y->dtype == rows[i].want, "%s: dtype %s, torch gives %s", rows[i].op,
                      ltr_dtype_name(rows[i].y->dtype), ltr_dtype_name(rows[i].want));
    }
    /* off: the float32 list follows its inputs too (torch: bf16 loss for bf16 inputs),
     * and float32 linear stays float32 */
    ltr_autocast_set(C, false);
    ck_assert_int_eq(ok(API->mse_loss(C, xb, xb, LT_REDUCTION_MEAN))->dtype, LT_BFLOAT16);
    ck_assert_int_eq(ok(API->linear(C, x, w, NULL))->dtype, LT_FLOAT32);
    /* float64 is not cast (torch's is_eligible) */
    ltr_autocast_set(C, true);
    lt_tensor *xd = ok(ltr_to(C, x, LT_FLOAT64)), *wd = ok(ltr_to(C, w, LT_FLOAT64));
    ck_assert_int_eq(ok(API->linear(C, xd, wd, NULL))->dtype, LT_FLOAT64);
}
END_TEST

/* linear -> relu / softmax / cross_entropy under autocast, the same numbers torch
 * 1.13.1 printed (tests' comment has the script's inputs), parameter gradients float32 */
START_TEST(values_and_gradients_match_torch) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), (const double[]){0.1, 0.2, 0.3, -1.5, 2.25, 0.7});
    lt_tensor *w = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), (const double[]){0.5, -0.25, 1.1, 0.3, 0.3, 0.3});
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 1, SHAPE(2), (const double[]){0.01, -0.02});
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(2), (const double[]){0, 1});
    w->flags |= LTR_T_REQUIRES_GRAD;
    b->flags |= LTR_T_REQUIRES_GRAD;
    ck_assert(!lt_autocast(C, true));
    lt_tensor *y = ok(API->linear(C, x, w, b));
    lt_tensor *r = ok(API->relu(C, y)), *s = ok(API->softmax(C, y, -1));
    lt_tensor *l = ok(API->cross_entropy(C, y, t));
    ck_assert(lt_autocast(C, false));
    const double want_y[4] = {0.341796875, 0.1611328125, -0.53125, 0.416015625};
    const double want_r[4] = {0.341796875, 0.1611328125, 0.0, 0.416015625};
    const double want_s[4] = {0.546875, 0.455078125, 0.279296875, 0.71875};
    ck_assert_int_eq(y->dtype, LT_BFLOAT16);
    ck_assert_int_eq(r->dtype, LT_BFLOAT16);
    ck_assert_int_eq(s->dtype, LT_BFLOAT16);
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(ltr_get(y, i) == want_y[i], "y[%d] %.10g, torch %.10g", i, ltr_get(y, i), want_y[i]);
        ck_assert_msg(ltr_get(r, i) == want_r[i], "relu[%d] %.10g, torch %.10g", i, ltr_get(r, i), want_r[i]);
        ck_assert_msg(ltr_get(s, i) == want_s[i], "softmax[%d] %.10g, torch %.10g", i, ltr_get(s, i), want_s[i]);
    }
    ck_assert_int_eq(l->dtype, LT_FLOAT32);
    ck_assert_msg(fabs(ltr_get(l, 0) - 0.46730464696884155) < 1e-6, "loss %.10g", ltr_get(l, 0));
    ck_assert_int_eq(ltr_backward(C, l), LT_OK);
    const double want_wg[6] = {-0.2314453125, 0.26953125, 0.029296875, 0.2314453125, -0.26953125, -0.029296875};
    const double want_bg[2] = {-0.087890625, 0.087890625};
    ck_assert_int_eq(w->grad->dtype, LT_FLOAT32);
    ck_assert_int_eq(b->grad->dtype, LT_FLOAT32);
    /* dW is the bfloat16 GEMM g^T @ bf16(x), rounded to bfloat16 then widened, in both.
     * ltrun accumulates in float32 and rounds once (dW[0] = -0.2322488 -> -0.232421875);
     * torch 1.13.1's CPU bfloat16 GEMM rounds its own way (-0.2314453125, also what
     * `g.t() @ x.bfloat16()` gives there): one bfloat16 ulp (2^-7 relative) apart. */
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabs(ltr_get(w->grad, i) - want_wg[i]) <= fabs(want_wg[i]) * 0x1p-7 + 1e-7,
                      "dW[%d] %.10g, torch %.10g", i, ltr_get(w->grad, i), want_wg[i]);
    ck_assert(ltr_get(w->grad, 0) == -0.232421875); /* the correctly rounded float32 sum */
    for (int i = 0; i < 2; i++)
        ck_assert_msg(fabs(ltr_get(b->grad, i) - want_bg[i]) < 1e-7, "db[%d] %.10g, torch %.10g", i,
                      ltr_get(b->grad, i), want_bg[i]);
}
END_TEST

/* An op without a bfloat16 kernel: the float32 op on the widened input, rounded once
 * (torch's CPU bfloat16 kernels compute in float); its gradient reaches the bfloat16
 * input as bfloat16 and the float32 leaf behind it as the float32 op's gradient
 * rounded through the two casts. */
START_TEST(emulated_ops_round_once) {
    lt_tensor *x = rand_of(LT_FLOAT32, 2, SHAPE(3, 5), -2, 2);
    x->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *xb = ok(ltr_to(C, x, LT_BFLOAT16));
    lt_tensor *wide = ok(ltr_to(C, xb, LT_FLOAT32));
    lt_tensor *want = ok(ltr_tanh(C, wide)), *got = ok(API->tanh(C, xb));
    ck_assert_int_eq(got->dtype, LT_BFLOAT16);
    for (int64_t i = 0; i < 15; i++)
        ck_assert(ltr_get(got, i) == ltr_bf16_to_float(ltr_bf16_from_float((float)ltr_get(want, i))));
    ck_assert_int_eq(ltr_backward(C, ok(API->sum(C, ok(API->to(C, got, LT_FLOAT32))))), LT_OK);
    ck_assert_int_eq(x->grad->dtype, LT_FLOAT32);
    for (int64_t i = 0; i < 15; i++) {
        float d = (float)(1.0 - ltr_get(want, i) * ltr_get(want, i)); /* tanh' at the bf16 input */
        ck_assert_msg(fabs(ltr_get(x->grad, i) - d) <= fabs(d) / 128 + 1e-6, "d tanh[%lld] %.8g vs %.8g",
                      (long long)i, ltr_get(x->grad, i), d);
    }
}
END_TEST

/* |got - want| within `ulps` bfloat16 steps of want (at least of the smallest normal's) */
static void near_bf16(const lt_tensor *got, const lt_tensor *want, double ulps, const char *what) {
    ck_assert_int_eq(ltr_numel(got), ltr_numel(want));
    for (int64_t i = 0; i < ltr_numel(got); i++) {
        double g = ltr_get(got, i), w = ltr_get(want, i);
        double tol = ulps * fmax(fabs(w), 1e-3) / 128.0;
        ck_assert_msg(fabs(g - w) <= tol, "%s[%lld]: %.8g vs %.8g", what, (long long)i, g, w);
    }
}

/* conv2d with bfloat16 tensors (autocast's lower-precision list): oneDNN's bf16 kernel,
 * and the widened float32 path deterministic algorithms take, both give the float32
 * conv of the same (bf16) values rounded once — within one bfloat16 step, the sums'
 * order being the kernels' own — for y, dx, dw and db. */
START_TEST(conv2d_bf16_matches_rounded_float32) {
    lt_tensor *x = rand_of(LT_FLOAT32, 4, SHAPE(3, 4, 9, 9), -1, 1);
    lt_tensor *w = rand_of(LT_FLOAT32, 4, SHAPE(6, 4, 3, 3), -1, 1);
    lt_tensor *b = rand_of(LT_FLOAT32, 1, SHAPE(6), -1, 1);
    lt_tensor *xb = ok(ltr_to(C, x, LT_BFLOAT16)), *wb = ok(ltr_to(C, w, LT_BFLOAT16));
    lt_tensor *bb = ok(ltr_to(C, b, LT_BFLOAT16));
    /* the reference: float32 on the bf16 values, the gradient seed a bf16-exact tensor */
    lt_tensor *xr = ok(ltr_to(C, xb, LT_FLOAT32)), *wr = ok(ltr_to(C, wb, LT_FLOAT32));
    lt_tensor *br = ok(ltr_to(C, bb, LT_FLOAT32));
    lt_conv2d_options o = LT_CONV2D_DEFAULTS;
    o.padding[0] = o.padding[1] = 1;
    lt_tensor *leaves[3] = {xr, wr, br};
    for (int i = 0; i < 3; i++) leaves[i]->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *yr = ok(ltr_conv2d(C, xr, wr, br, &o));
    lt_tensor *seed = ok(ltr_to(C, ok(ltr_to(C, rand_of(LT_FLOAT32, 4, yr->shape, -1, 1), LT_BFLOAT16)), LT_FLOAT32));
    ck_assert_int_eq(ltr_backward(C, ok(ltr_sum(C, ok(ltr_mul(C, yr, seed))))), LT_OK);
    for (int path = 0; path < 2; path++) { /* 0: oneDNN where built in; 1: widened float32 */
        ltr_use_deterministic_algorithms(path == 1);
        lt_tensor *xg = ok(ltr_to(C, xb, LT_BFLOAT16)), *wg = ok(ltr_to(C, wb, LT_BFLOAT16));
        lt_tensor *bg = ok(ltr_to(C, bb, LT_BFLOAT16));
        lt_tensor *in[3] = {xg, wg, bg};
        for (int i = 0; i < 3; i++) in[i]->flags |= LTR_T_REQUIRES_GRAD;
        lt_tensor *y = ok(ltr_conv2d(C, xg, wg, bg, &o));
        ck_assert_int_eq(y->dtype, LT_BFLOAT16);
        near_bf16(y, yr, 1.0, path ? "y (widened)" : "y (oneDNN)");
        lt_tensor *sb = ok(ltr_to(C, seed, LT_BFLOAT16));
        ck_assert_int_eq(ltr_backward(C, ok(ltr_sum(C, ok(ltr_to(C, ok(ltr_mul(C, ok(ltr_to(C, y, LT_FLOAT32)),
                                                                                ok(ltr_to(C, sb, LT_FLOAT32)))),
                                                                    LT_FLOAT32))))),
                         LT_OK);
        for (int i = 0; i < 3; i++) {
            ck_assert_ptr_nonnull(in[i]->grad);
            ck_assert_int_eq(in[i]->grad->dtype, LT_BFLOAT16);
            near_bf16(in[i]->grad, leaves[i]->grad, 1.0, i == 0 ? "dx" : i == 1 ? "dw" : "db");
        }
    }
    ltr_use_deterministic_algorithms(false);
}
END_TEST

/* relu and max pooling run on bfloat16 bits as they are (torch's CPU kernels do): the
 * same values and gradients, bit for bit, as the float32 op on the widened input —
 * NaN kept, -0 and negatives to +0, the first maximum winning a tie */
START_TEST(relu_and_max_pool_bf16_are_exact) {
    lt_tensor *x = rand_of(LT_FLOAT32, 4, SHAPE(2, 3, 6, 6), -2, 2);
    ltr_set(x, 0, NAN);
    ltr_set(x, 1, -0.0);
    ltr_set(x, 2, 0.0);
    ltr_set(x, 7, ltr_get(x, 6)); /* a tie inside the first 2x2 window */
    /* a: relu -> 2x2 pool (each input reaches one window: exact); b: an overlapping,
     * padded 3x3 stride-2 pool (an input's gradients are added: each addition rounded,
     * as torch's bfloat16 accumulation does) */
    lt_tensor *ab = ok(ltr_to(C, x, LT_BFLOAT16)), *bb = ok(ltr_to(C, x, LT_BFLOAT16));
    lt_tensor *aw = ok(ltr_to(C, ab, LT_FLOAT32)), *bw = ok(ltr_to(C, bb, LT_FLOAT32));
    lt_tensor *leaves[4] = {ab, bb, aw, bw};
    for (int i = 0; i < 4; i++) leaves[i]->flags |= LTR_T_REQUIRES_GRAD;
    lt_pool2d_options po = LT_POOL2D_DEFAULTS;
    po.padding[0] = po.padding[1] = 1;
    po.stride[0] = po.stride[1] = 2;
    lt_tensor *yb = ok(ltr_relu(C, ab)), *yw = ok(ltr_relu(C, aw));
    lt_tensor *pb = ok(ltr_max_pool2d(C, yb, 2, 2, 0)), *pw = ok(ltr_max_pool2d(C, yw, 2, 2, 0));
    lt_tensor *qb = ok(ltr_max_pool2d_ex(C, bb, 3, 3, &po)), *qw = ok(ltr_max_pool2d_ex(C, bw, 3, 3, &po));
    ck_assert_int_eq(yb->dtype, LT_BFLOAT16);
    ck_assert_int_eq(pb->dtype, LT_BFLOAT16);
    ck_assert_int_eq(qb->dtype, LT_BFLOAT16);
    const lt_tensor *got[3] = {yb, pb, qb}, *want[3] = {yw, pw, qw};
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < ltr_numel(got[k]); i++) {
            double g = ltr_get(got[k], i), w = ltr_get(want[k], i);
            ck_assert_msg((isnan(g) && isnan(w)) || (g == w && signbit(g) == signbit(w)),
                          "output %d [%lld]: %g vs %g", k, (long long)i, g, w);
        }
    /* gradients from bf16-exact seeds, one backward over both branches and both dtypes */
    lt_tensor *sp = ok(ltr_to(C, ok(ltr_to(C, rand_of(LT_FLOAT32, 4, pw->shape, -1, 1), LT_BFLOAT16)), LT_FLOAT32));
    lt_tensor *sq = ok(ltr_to(C, ok(ltr_to(C, rand_of(LT_FLOAT32, 4, qw->shape, -1, 1), LT_BFLOAT16)), LT_FLOAT32));
    lt_tensor *terms[4] = {ok(ltr_mul(C, ok(ltr_to(C, pb, LT_FLOAT32)), sp)), ok(ltr_mul(C, ok(ltr_to(C, qb, LT_FLOAT32)), sq)),
                           ok(ltr_mul(C, pw, sp)), ok(ltr_mul(C, qw, sq))};
    lt_tensor *loss = ok(ltr_sum(C, terms[0]));
    for (int i = 1; i < 4; i++) loss = ok(ltr_add(C, loss, ok(ltr_sum(C, terms[i]))));
    ck_assert_int_eq(ltr_backward(C, loss), LT_OK);
    ck_assert_int_eq(ab->grad->dtype, LT_BFLOAT16);
    for (int64_t i = 0; i < ltr_numel(x); i++) {
        double g = ltr_get(ab->grad, i), w = ltr_get(aw->grad, i);
        ck_assert_msg(g == w, "relu/pool dx[%lld]: %g vs %g", (long long)i, g, w);
        g = ltr_get(bb->grad, i), w = ltr_get(bw->grad, i);
        ck_assert_msg(fabs(g - w) <= 2 * fabs(w) / 128 + 1e-6, "overlapping pool dx[%lld]: %g vs %g", (long long)i, g, w);
    }
}
END_TEST

/* bf16-mixed around a step hook: on inside, the state restored after, a region with
 * lt_autocast(false) runs in float32 and a step that leaves autocast off is undone */
START_TEST(bf16_mixed_forward_context) {
    ltr_precision *p = ltr_precision_by_name("bf16-mixed");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p, ltr_precision_builtin(LTR_PRECISION_BF16_MIXED));
    ck_assert_str_eq(p->ops->class_name, "MixedPrecision");
    ck_assert_int_eq(ltr_precision_float_dtype(p), LT_FLOAT32); /* master weights */
    lt_tensor *x = rand_of(LT_FLOAT32, 2, SHAPE(2, 4), -1, 1), *w = rand_of(LT_FLOAT32, 2, SHAPE(3, 4), -1, 1);
    ck_assert(!E.ctx.autocast);
    ck_assert_int_eq(ltr_precision_forward_enter(p, C, "training_step"), LT_OK);
    ck_assert(E.ctx.autocast);
    ck_assert_int_eq(ok(API->linear(C, x, w, NULL))->dtype, LT_BFLOAT16);
    bool was = lt_autocast(C, false);
    ck_assert(was);
    ck_assert_int_eq(ok(API->linear(C, x, w, NULL))->dtype, LT_FLOAT32);
    /* the step forgets to restore: the precision's exit does */
    ltr_precision_forward_exit(p, C, "training_step");
    ck_assert(!E.ctx.autocast);
    ck_assert_int_eq(ok(API->linear(C, x, w, NULL))->dtype, LT_FLOAT32);
    /* the true precisions leave it alone */
    ltr_precision *p32 = ltr_precision_by_name("32-true");
    ck_assert_int_eq(ltr_precision_forward_enter(p32, C, "training_step"), LT_OK);
    ck_assert(!E.ctx.autocast);
    ltr_precision_forward_exit(p32, C, "training_step");
}
END_TEST

int main(void) {
    Suite *s = suite_create("autocast");
    TCase *tc = tcase_create("autocast");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, policy_table_matches_torch);
    tcase_add_test(tc, values_and_gradients_match_torch);
    tcase_add_test(tc, emulated_ops_round_once);
    tcase_add_test(tc, conv2d_bf16_matches_rounded_float32);
    tcase_add_test(tc, relu_and_max_pool_bf16_are_exact);
    tcase_add_test(tc, bf16_mixed_forward_context);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
