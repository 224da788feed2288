/*
 * test_numerics_entries.c — the kernel table's numerics entries on known inputs against
 * hand-computed values: optimizer updates (also bit for bit against optimizer.step()),
 * gradient norm / scale / clamp, all_finite, the three conv2d passes (oneDNN's float32
 * path and im2col's float64 one), cross_entropy's tensor outputs, the norm statistics,
 * the loss kernels, first_out_of_range, match_fraction and metric_update.
 */
#include "check_run.h"
#include "gradcheck.h"

#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "optim/optimizer.h"
#include "tensor/bf16.h"

#include <math.h>
#include <string.h>

static test_env E;
#define C (&E.ctx.pub)
static const ltr_accel *K;

static void setup(void) {
    env_init(&E);
    E.ctx.params = &E.params;
    K = ltr_cpu_backend()->kernels;
}
static void teardown(void) { env_free(&E); }

/* a tensor of dtype dt holding v[0..n) (shape given, numel n) */
static lt_tensor *mk(lt_dtype dt, int ndim, const int64_t *shape, const double *v) {
    lt_tensor *t = ltr_empty(C, dt, ndim, shape);
    ck_assert_msg(t != NULL, "ltr_empty: %s", E.ctx.error);
    for (int64_t i = 0, n = ltr_numel(t); v && i < n; i++) ltr_set(t, i, v[i]);
    return t;
}
static lt_tensor *vec(lt_dtype dt, int64_t n, const double *v) { return mk(dt, 1, &n, v); }
static lt_tensor *scalar(lt_dtype dt) { return mk(dt, 0, NULL, NULL); }

/* |got - want| <= tol (0: exactly) */
#define EQ(got, want, tol)                                                                     \
    do {                                                                                       \
        double got_ = (got), want_ = (want);                                                   \
        ck_assert_msg(fabs(got_ - want_) <= (tol), "%s = %.17g, want %.17g", #got, got_, want_); \
    } while (0)

START_TEST(sgd_update_momentum) {
    lt_tensor *p = vec(LT_FLOAT64, 2, (double[]){1, 2}), *g = vec(LT_FLOAT64, 2, (double[]){0.5, -1});
    lt_tensor *buf = vec(LT_FLOAT64, 2, NULL);
    ltr_sgd_scalars s = {.first = true, .momentum = 0.9, .damp1 = 1, .neg_lr = -0.1};
    K->sgd_update(p, g, buf, &s); /* buf = g; p -= 0.1 g */
    EQ(ltr_get(buf, 0), 0.5, 0); EQ(ltr_get(p, 0), 0.95, 1e-15); EQ(ltr_get(p, 1), 2.1, 1e-15);
    s.first = false;
    K->sgd_update(p, g, buf, &s); /* buf = 0.9 buf + g = [0.95, -1.9] */
    EQ(ltr_get(buf, 1), -1.9, 1e-15); EQ(ltr_get(p, 0), 0.855, 1e-15); EQ(ltr_get(p, 1), 2.29, 1e-15);
    lt_tensor *q = vec(LT_FLOAT32, 1, (double[]){1});
    lt_tensor *gq = vec(LT_FLOAT32, 1, (double[]){2});
    K->sgd_update(q, gq, NULL, &(ltr_sgd_scalars){.weight_decay = 0.5, .neg_lr = -0.25});
    EQ(ltr_get(q, 0), 1 - 0.25 * 2.5, 0); /* no momentum: g + wd p */
}
END_TEST

START_TEST(adam_update_first_step) {
    /* step 1: m = 0.05, v = 2.5e-4, step size lr / 0.1 = 1, denom sqrt(v) / sqrt(1e-3) + eps */
    lt_tensor *p = vec(LT_FLOAT64, 1, (double[]){1}), *g = vec(LT_FLOAT64, 1, (double[]){0.5});
    lt_tensor *m = vec(LT_FLOAT64, 1, (double[]){0}), *v = vec(LT_FLOAT64, 1, (double[]){0});
    ltr_adam_scalars s = {.w1 = 0.1, .beta2 = 0.999, .one_minus_b2 = 0.001,
                          .bc2_sqrt = sqrt(0.001), .eps = 1e-8, .neg_step_size = -1};
    K->adam_update(p, g, m, v, NULL, &s);
    EQ(ltr_get(m, 0), 0.05, 1e-16); EQ(ltr_get(v, 0), 2.5e-4, 1e-18);
    EQ(ltr_get(p, 0), 1 - 0.05 / (0.5 + 1e-8), 1e-14);
}
END_TEST

START_TEST(rmsprop_adagrad_first_step) {
    lt_tensor *p = vec(LT_FLOAT64, 1, (double[]){1}), *g = vec(LT_FLOAT64, 1, (double[]){2});
    lt_tensor *sq = vec(LT_FLOAT64, 1, (double[]){0});
    /* square_avg = 0.01 * 4; p -= 0.1 * 2 / (sqrt(0.04) + 0) */
    K->rmsprop_update(p, g, sq, NULL, NULL,
                      &(ltr_rmsprop_scalars){.alpha = 0.99, .one_minus_alpha = 0.01, .neg_lr = -0.1});
    EQ(ltr_get(sq, 0), 0.04, 1e-16); EQ(ltr_get(p, 0), 0.0, 1e-15);
    lt_tensor *sum = vec(LT_FLOAT64, 1, (double[]){0});
    ltr_set(p, 0, 1);
    /* sum = 4; p -= 0.5 * 2 / 2 */
    K->adagrad_update(p, g, sum, &(ltr_adagrad_scalars){.neg_clr = -0.5});
    EQ(ltr_get(sum, 0), 4, 0); EQ(ltr_get(p, 0), 0.5, 0);
}
END_TEST

/* optimizer.step() and the entries called with the scalars optim/ documents give the same
 * bits, over three steps of a 37-element float32 parameter */
enum { NEL = 37 };
static void fill_grad(lt_tensor *p, int step) {
    float *g = p->grad->data;
    for (int i = 0; i < NEL; i++) g[i] = (float)sin(0.37 * i + step) * 0.1f;
    p->flags |= LTR_T_GRAD_DEFINED;
}

START_TEST(entries_match_optimizer_step) {
    for (int rule = 0; rule < 4; rule++) {
        ltr_param_store_free(&E.params);
        ltr_param_store_init(&E.params);
        int64_t n = NEL;
        lt_tensor *p = ltr_param(C, "w", LT_FLOAT32, 1, &n);
        ck_assert_ptr_nonnull(p);
        float w0[NEL], ref[NEL], s1[NEL] = {0}, s2[NEL] = {0}, s3[NEL] = {0};
        for (int i = 0; i < NEL; i++) w0[i] = ((float *)p->data)[i] = (float)cos(0.11 * i);
        memcpy(ref, w0, sizeof ref);
        lt_optimizer *o =
            rule == 0 ? ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .momentum = 0.9, .nesterov = true,
                                                       .weight_decay = 0.01})
            : rule == 1 ? ltr_adamw(C, &(lt_adamw_options){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                                                           .eps = 1e-8, .weight_decay = 0.1,
                                                           .amsgrad = true})
            : rule == 2 ? ltr_rmsprop(C, &(lt_rmsprop_options){.lr = 0.01, .alpha = 0.9, .eps = 1e-8,
                                                               .momentum = 0.5, .centered = true})
                        : ltr_adagrad(C, &(lt_adagrad_options){.lr = 0.1, .lr_decay = 0.01,
                                                               .initial_accumulator_value = 0.1,
                                                               .eps = 1e-10});
        ck_assert_msg(o != NULL, "%s", E.ctx.error);
        lt_tensor rt = *p, gt = *p->grad;
        rt.data = ref;
        /* the reference's state: host arrays seen as tensors of p's shape */
        lt_tensor b1 = {.dtype = p->dtype, .device = p->device, .data = s1};
        ltr_set_shape(&b1, p->ndim, p->shape);
        lt_tensor b2 = b1, b3 = b1;
        b2.data = s2;
        b3.data = s3;
        if (rule == 3) K->fill(&b1, 0.1);
        for (int step = 1; step <= 3; step++) {
            fill_grad(p, step);
            gt.data = p->grad->data;
            ck_assert_int_eq(ltr_optimizer_step(o), LT_OK);
            if (rule == 0) {
                K->sgd_update(&rt, &gt, &b1, &(ltr_sgd_scalars){.nesterov = true, .first = step == 1,
                                                               .weight_decay = 0.01, .momentum = 0.9,
                                                               .damp1 = 1, .neg_lr = -0.1});
            } else if (rule == 1) {
                double bc1 = 1 - pow(0.9, step), bc2 = 1 - pow(0.999, step);
                K->adam_update(&rt, &gt, &b1, &b2, &b3,
                               &(ltr_adam_scalars){.decay = 2, .weight_decay = 0.1,
                                                   .wmul = 1 - 0.01 * 0.1, .w1 = 1 - 0.9,
                                                   .beta2 = 0.999, .one_minus_b2 = 1 - 0.999,
                                                   .bc2_sqrt = pow(bc2, 0.5), .eps = 1e-8,
                                                   .neg_step_size = -(0.01 / bc1)});
            } else if (rule == 2) {
                K->rmsprop_update(&rt, &gt, &b1, &b2, &b3,
                                  &(ltr_rmsprop_scalars){.alpha = 0.9, .one_minus_alpha = 1 - 0.9,
                                                         .eps = 1e-8, .momentum = 0.5, .neg_lr = -0.01});
            } else {
                K->adagrad_update(&rt, &gt, &b1,
                                  &(ltr_adagrad_scalars){.eps = 1e-10,
                                                         .neg_clr = -(0.1 / (1 + (step - 1) * 0.01))});
            }
            ck_assert_msg(memcmp(ref, p->data, sizeof ref) == 0, "rule %d step %d differs", rule, step);
        }
        ck_assert_msg(memcmp(ref, w0, sizeof ref) != 0, "rule %d moved nothing", rule);
        ltr_optimizer_free(o);
    }
}
END_TEST

START_TEST(grad_norm_scale_clamp_finite) {
    lt_tensor *g = vec(LT_FLOAT32, 2, (double[]){3, 4}), *acc = scalar(LT_FLOAT64);
    ltr_set(acc, 0, 1);
    K->sq_norm_accum(g, acc);
    EQ(ltr_get(acc, 0), 26, 0);
    K->grad_scale(g, 0.5);
    EQ(ltr_get(g, 0), 1.5, 0); EQ(ltr_get(g, 1), 2, 0);
    lt_tensor *h = vec(LT_FLOAT64, 3, (double[]){-3, 0.5, NAN});
    K->grad_clamp(h, 1);
    EQ(ltr_get(h, 0), -1, 0); EQ(ltr_get(h, 1), 0.5, 0);
    ck_assert(isnan(ltr_get(h, 2)));
    lt_tensor *flag = scalar(LT_BOOL);
    K->all_finite(vec(LT_FLOAT32, 2, (double[]){1, 2}), flag);
    ck_assert_int_eq((int)ltr_get(flag, 0), 1);
    K->all_finite(vec(LT_FLOAT64, 2, (double[]){1, -INFINITY}), flag);
    ck_assert_int_eq((int)ltr_get(flag, 0), 0);
    K->all_finite(vec(LT_BFLOAT16, 2, (double[]){1, NAN}), flag);
    ck_assert_int_eq((int)ltr_get(flag, 0), 0);
    K->all_finite(vec(LT_INT64, 1, (double[]){7}), flag);
    ck_assert_int_eq((int)ltr_get(flag, 0), 1);
}
END_TEST

/* x [1, 1, 3, 3] = 1..9, w [1, 1, 2, 2] = ones: y = the window sums [12, 16, 24, 28];
 * with gy = ones, gx counts the windows over each pixel and gw = y, gb = 4 */
START_TEST(conv2d_three_passes) {
    for (int f = 0; f < 2; f++) {
        lt_dtype dt = f ? LT_FLOAT64 : LT_FLOAT32; /* oneDNN (when built), then im2col */
        double xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones[4] = {1, 1, 1, 1};
        lt_tensor *x = mk(dt, 4, (int64_t[]){1, 1, 3, 3}, xv);
        lt_tensor *w = mk(dt, 4, (int64_t[]){1, 1, 2, 2}, ones);
        lt_tensor *y = mk(dt, 4, (int64_t[]){1, 1, 2, 2}, NULL);
        ltr_conv_geo g = {.opt = LT_CONV2D_DEFAULTS, .k = {2, 2}, .ho = 2, .wo = 2};
        char *ws = ltr_scratch(C, K->conv2d_workspace(LTR_CONV_FORWARD, x, w, &g, false, false) + 64);
        K->conv2d_forward(x, w, NULL, &g, ws, y);
        ck_assert_int_ne(g.algo, LTR_CONV_ALGO_ANY);
        double want[4] = {12, 16, 24, 28};
        for (int i = 0; i < 4; i++) EQ(ltr_get(y, i), want[i], 0);
        lt_tensor *gy = mk(dt, 4, (int64_t[]){1, 1, 2, 2}, ones), *gx = mk(dt, 4, x->shape, NULL);
        ws = ltr_scratch(C, K->conv2d_workspace(LTR_CONV_BACKWARD_DATA, x, w, &g, false, false) + 64);
        K->conv2d_backward_data(gy, w, &g, ws, gx);
        double cnt[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
        for (int i = 0; i < 9; i++) EQ(ltr_get(gx, i), cnt[i], 0);
        lt_tensor *gw = mk(dt, 4, w->shape, ones), *gb = vec(dt, 1, NULL);
        ws = ltr_scratch(C, K->conv2d_workspace(LTR_CONV_BACKWARD_WEIGHT, x, w, &g, true, true) + 64);
        K->conv2d_backward_weight(x, gy, &g, ws, gw, true, gb); /* gw += */
        for (int i = 0; i < 4; i++) EQ(ltr_get(gw, i), want[i] + 1, 0);
        EQ(ltr_get(gb, 0), 4, 0);
        K->conv2d_backward_weight(x, gy, &g, ws, NULL, false, gb); /* db alone */
        EQ(ltr_get(gb, 0), 4, 0);
    }
}
END_TEST

START_TEST(cross_entropy_writes_tensors) {
    lt_tensor *x = mk(LT_FLOAT64, 2, (int64_t[]){1, 2}, (double[]){0, 0});
    lt_tensor *probs = mk(LT_FLOAT64, 2, (int64_t[]){1, 2}, NULL);
    lt_tensor *loss = scalar(LT_FLOAT64), *kept = scalar(LT_INT64);
    K->cross_entropy(x, vec(LT_INT64, 1, (double[]){1}), -100, probs, loss, kept);
    EQ(ltr_get(loss, 0), log(2.0), 1e-15); EQ(ltr_get(kept, 0), 1, 0); EQ(ltr_get(probs, 0), 0.5, 0);
    K->cross_entropy(x, vec(LT_INT64, 1, (double[]){-100}), -100, probs, loss, kept);
    ck_assert(isnan(ltr_get(loss, 0)));
    EQ(ltr_get(kept, 0), 0, 0);
}
END_TEST

START_TEST(norm_statistics_tensors) {
    lt_tensor *x = vec(LT_FLOAT32, 4, (double[]){1, 2, 3, 4});
    lt_tensor *mean = vec(LT_FLOAT64, 1, NULL), *var = vec(LT_FLOAT64, 1, NULL);
    K->norm_stats(x, 1, 1, 4, mean, var);
    EQ(ltr_get(mean, 0), 2.5, 0); EQ(ltr_get(var, 0), 1.25, 1e-15);
    lt_tensor *rm = vec(LT_FLOAT32, 1, (double[]){0}), *rv = vec(LT_FLOAT32, 1, (double[]){1});
    K->norm_running_update(rm, rv, mean, var, 0.1, 4); /* rv: 0.9 + 0.1 * 1.25 * 4 / 3 */
    EQ(ltr_get(rm, 0), 0.25, 1e-7); EQ(ltr_get(rv, 0), 0.9 + 0.1 * 1.25 * 4 / 3, 1e-7);
    ltr_set(var, 0, 3);
    K->norm_invstd(var, 1);
    EQ(ltr_get(var, 0), 0.5, 0);
}
END_TEST

/* SyncBatchNorm's backward halves: with this x's own sums and count they are norm_backward
 * bit for bit; the sums over a bigger (global) count give invstd * (gy - sum/count - ...) */
START_TEST(norm_backward_halves) {
    lt_tensor *y = mk(LT_FLOAT32, 3, (int64_t[]){2, 2, 1}, (double[]){-1, 0.5, 1, -0.5});
    lt_tensor *gy = mk(LT_FLOAT32, 3, y->shape, (double[]){0.25, 1, -0.75, 2});
    lt_tensor *invstd = vec(LT_FLOAT64, 2, (double[]){2, 0.5}), *sums = vec(LT_FLOAT64, 4, NULL);
    lt_tensor *fused = mk(LT_FLOAT32, 3, y->shape, NULL), *halves = mk(LT_FLOAT32, 3, y->shape, NULL);
    K->norm_backward(y, gy, 2, 2, 1, invstd, true, fused);
    K->norm_backward_reduce(y, gy, 2, 2, 1, sums);
    EQ(ltr_get(sums, 0), -0.5, 0); EQ(ltr_get(sums, 1), 3, 0);      /* sum gy per channel */
    EQ(ltr_get(sums, 2), -1, 0); EQ(ltr_get(sums, 3), -0.5, 0);     /* sum gy * y */
    K->norm_backward_elemt(y, gy, 2, 2, 1, invstd, sums, 2, halves);
    for (int i = 0; i < 4; i++) EQ(ltr_get(halves, i), ltr_get(fused, i), 0);
    K->norm_backward_elemt(y, gy, 2, 2, 1, invstd, sums, 4, halves); /* a count of 4 */
    EQ(ltr_get(halves, 0), 2 * (0.25 + 0.125 - 0.25), 1e-7);
    K->norm_backward_elemt(y, gy, 2, 2, 1, invstd, NULL, 4, halves); /* no sums: gy * invstd */
    EQ(ltr_get(halves, 3), 1, 0);
}
END_TEST

START_TEST(loss_kernels) {
    lt_tensor *x = vec(LT_FLOAT64, 2, (double[]){1, 2}), *y = vec(LT_FLOAT64, 2, (double[]){0, 0});
    lt_tensor *out = scalar(LT_FLOAT64), *d = mk(LT_FLOAT64, 2, (int64_t[]){2, 2}, NULL);
    K->pointwise_loss(LTR_LOSS_MSE, x, y, NULL, NULL, 0, LT_REDUCTION_MEAN, out, d);
    EQ(ltr_get(out, 0), 2.5, 0);
    double dw[4] = {2, 4, -2, -4};
    for (int i = 0; i < 4; i++) EQ(ltr_get(d, i), dw[i], 0);
    lt_tensor *gout = scalar(LT_FLOAT64), *g = vec(LT_FLOAT64, 2, NULL);
    ltr_set(gout, 0, 1);
    K->pointwise_loss_backward(LT_REDUCTION_MEAN, d, 0, gout, 2, g);
    EQ(ltr_get(g, 0), 1, 0); EQ(ltr_get(g, 1), 2, 0);
    /* cross entropy over [[0, 0]] with target 1: log 2; d/dx = softmax - onehot */
    lt_tensor *logits = mk(LT_FLOAT64, 2, (int64_t[]){1, 2}, (double[]){0, 0});
    lt_tensor *sv = mk(LT_FLOAT64, 2, (int64_t[]){3, 2}, NULL), *scale = scalar(LT_FLOAT64);
    lt_tensor *t = vec(LT_INT64, 1, (double[]){1});
    K->ce_loss(logits, t, NULL, -100, LT_REDUCTION_MEAN, 0, true, sv, out, scale);
    EQ(ltr_get(out, 0), log(2.0), 1e-15); EQ(ltr_get(scale, 0), 1, 0);
    lt_tensor *gx = mk(LT_FLOAT64, 2, (int64_t[]){1, 2}, NULL);
    K->ce_loss_backward(logits, sv, LT_REDUCTION_MEAN, true, gout, scale, gx, NULL);
    EQ(ltr_get(gx, 0), 0.5, 1e-15); EQ(ltr_get(gx, 1), -0.5, 1e-15);
    lt_tensor *idx = scalar(LT_INT64);
    K->first_out_of_range(vec(LT_FLOAT32, 3, (double[]){0.5, 1, 1.5}), 0, 1, false, 0, idx);
    EQ(ltr_get(idx, 0), 2, 0);
    K->first_out_of_range(vec(LT_INT64, 3, (double[]){-100, 1, 3}), 0, 2, true, -100, idx);
    EQ(ltr_get(idx, 0), 2, 0);
    K->first_out_of_range(vec(LT_INT64, 2, (double[]){-100, 1}), 0, 2, true, -100, idx);
    EQ(ltr_get(idx, 0), -1, 0);
    lt_tensor *acc = scalar(LT_FLOAT32);
    K->match_fraction(vec(LT_INT64, 4, (double[]){1, 2, 3, 4}), vec(LT_INT64, 4, (double[]){1, 0, 3, 0}), acc);
    EQ(ltr_get(acc, 0), 0.5, 0);
}
END_TEST

START_TEST(metric_update_adds) {
    lt_tensor *cnt = vec(LT_INT64, 4, (double[]){0, 0, 0, 0}), *sums = vec(LT_FLOAT64, 2, (double[]){0, 0});
    /* confusion matrix [true, predicted]: (0,0), (0,1), (1,1) */
    K->metric_update(LT_METRIC_CONFUSION_MATRIX, 2, 1, vec(LT_INT64, 3, (double[]){0, 1, 1}),
                     vec(LT_INT64, 3, (double[]){0, 0, 1}), cnt, sums);
    double want[4] = {1, 1, 0, 1};
    for (int i = 0; i < 4; i++) EQ(ltr_get(cnt, i), want[i], 0);
    EQ(ltr_get(sums, 1), 3, 0);
    ltr_set(sums, 0, 0), ltr_set(sums, 1, 0);
    K->metric_update(LT_METRIC_MAE, 0, 1, vec(LT_FLOAT32, 2, (double[]){1, 2}),
                     vec(LT_FLOAT32, 2, (double[]){0, 4}), NULL, sums);
    EQ(ltr_get(sums, 0), 3, 0); EQ(ltr_get(sums, 1), 2, 0);
    /* top-2 accuracy on scores: row 0's target 2 has one higher class (hit), row 1's none */
    lt_tensor *sc = mk(LT_FLOAT32, 2, (int64_t[]){2, 3}, (double[]){0.1, 0.7, 0.2, 0.5, 0.3, 0.2});
    ltr_set(sums, 0, 0), ltr_set(sums, 1, 0);
    K->metric_update(LT_METRIC_ACCURACY, 3, 2, sc, vec(LT_INT64, 2, (double[]){2, 0}), NULL, sums);
    EQ(ltr_get(sums, 0), 2, 0); EQ(ltr_get(sums, 1), 2, 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("numerics_entries");
    TCase *tc = tcase_create("entries");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sgd_update_momentum);
    tcase_add_test(tc, adam_update_first_step);
    tcase_add_test(tc, rmsprop_adagrad_first_step);
    tcase_add_test(tc, entries_match_optimizer_step);
    tcase_add_test(tc, grad_norm_scale_clamp_finite);
    tcase_add_test(tc, conv2d_three_passes);
    tcase_add_test(tc, cross_entropy_writes_tensors);
    tcase_add_test(tc, norm_statistics_tensors);
    tcase_add_test(tc, norm_backward_halves);
    tcase_add_test(tc, loss_kernels);
    tcase_add_test(tc, metric_update_adds);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
