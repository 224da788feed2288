/*
 * test_autograd.c — every differentiable op against central finite differences in
 * float64 (matmul in all its forms, linear with and without bias and with a shared
 * weight, add/sub/mul with broadcasting both ways, relu away from 0, reshape, flatten,
 * sum, mean, log_softmax on every dim, cross_entropy with ignore_index, a 2-layer MLP),
 * gradients through a non-contiguous input, parameter gradient accumulation across
 * backwards (linear, matmul and mul paths), no-grad mode, backward-twice errors;
 * conv2d (stride, padding, dilation, groups, bias) and max_pool2d.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }

static lt_tensor *f_matmul(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_matmul(c, in[0], in[1])); }
static lt_tensor *f_linear(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_linear(c, in[0], in[1], in[2])); }
static lt_tensor *f_linear_nb(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_linear(c, in[0], in[1], NULL)); }
static lt_tensor *f_add(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_add(c, in[0], in[1])); }
static lt_tensor *f_sub(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_sub(c, in[0], in[1])); }
static lt_tensor *f_mul(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_mul(c, in[0], in[1])); }
static lt_tensor *f_relu(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_relu(c, in[0])); }
static lt_tensor *f_sum(lt_ctx *c, lt_tensor **in, void *a) { return ltr_sum(c, ltr_mul(c, in[0], in[0])); }
static lt_tensor *f_mean(lt_ctx *c, lt_tensor **in, void *a) { return ltr_mean(c, ltr_mul(c, in[0], in[0])); }
static lt_tensor *f_reshape(lt_ctx *c, lt_tensor **in, void *a) {
    int64_t s[2] = {-1, 6};
    return weigh(c, ltr_reshape(c, in[0], 2, s));
}
static lt_tensor *f_flatten(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_flatten(c, in[0], 1)); }
static lt_tensor *f_log_softmax(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_log_softmax(c, in[0], *(int *)a));
}
static lt_tensor *f_cross_entropy(lt_ctx *c, lt_tensor **in, void *a) {
    return ltr_cross_entropy(c, in[0], in[1]);
}
static lt_tensor *f_mlp(lt_ctx *c, lt_tensor **in, void *a) {
    lt_tensor *h = ltr_relu(c, ltr_linear(c, ltr_flatten(c, in[0], 1), in[1], in[2]));
    return ltr_cross_entropy(c, ltr_linear(c, h, in[3], in[4]), in[5]);
}

static lt_tensor *f_shared(lt_ctx *c, lt_tensor **in, void *a) {
    /* one weight used by two layers: its gradient accumulates inside one backward */
    return weigh(c, ltr_linear(c, ltr_relu(c, ltr_linear(c, in[0], in[1], NULL)), in[1], in[2]));
}
static lt_tensor *f_chain(lt_ctx *c, lt_tensor **in, void *a) {
    /* a tensor feeding several ops, and sub/add of a tensor with itself */
    lt_tensor *h = ltr_mul(c, in[0], in[1]);
    lt_tensor *k = ltr_sub(c, ltr_add(c, h, in[0]), ltr_mul(c, h, h));
    return weigh(c, ltr_add(c, k, ltr_sub(c, in[1], in[1])));
}
static lt_tensor *f_conv(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_conv2d(c, in[0], in[1], in[2], a));
}
static lt_tensor *f_conv_nb(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_conv2d(c, in[0], in[1], NULL, a));
}
static lt_tensor *f_pool(lt_ctx *c, lt_tensor **in, void *a) {
    const int64_t *kp = a;
    return weigh(c, ltr_max_pool2d(c, in[0], kp[0], kp[1], kp[2]));
}

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

START_TEST(grad_matmul_forms) {
    lt_tensor *vv[2] = {leaf(&E, 1, SHAPE(4), -1, 1), leaf(&E, 1, SHAPE(4), -1, 1)};
    gradcheck(&E, "matmul 1-D @ 1-D", f_matmul, vv, 2, NULL);
    lt_tensor *vm[2] = {leaf(&E, 1, SHAPE(4), -1, 1), leaf(&E, 2, SHAPE(4, 3), -1, 1)};
    gradcheck(&E, "matmul 1-D @ 2-D", f_matmul, vm, 2, NULL);
    lt_tensor *mv[2] = {leaf(&E, 2, SHAPE(3, 4), -1, 1), leaf(&E, 1, SHAPE(4), -1, 1)};
    gradcheck(&E, "matmul 2-D @ 1-D", f_matmul, mv, 2, NULL);
    lt_tensor *bm[2] = {leaf(&E, 3, SHAPE(2, 3, 4), -1, 1), leaf(&E, 2, SHAPE(4, 2), -1, 1)};
    gradcheck(&E, "matmul 3-D @ 2-D", f_matmul, bm, 2, NULL);
}
END_TEST

START_TEST(grad_shared_and_chained) {
    lt_tensor *in[3] = {leaf(&E, 2, SHAPE(4, 3), -1, 1), leaf(&E, 2, SHAPE(3, 3), -1, 1),
                        leaf(&E, 1, SHAPE(3), -1, 1)};
    gradcheck(&E, "shared weight", f_shared, in, 3, NULL);
    lt_tensor *ch[2] = {leaf(&E, 2, SHAPE(3, 4), -1, 1), leaf(&E, 1, SHAPE(4), -1, 1)};
    gradcheck(&E, "chain", f_chain, ch, 2, NULL);
}
END_TEST

/* A transposed (non-contiguous) leaf: ops copy it contiguous, and the copy's gradient
 * comes back to the leaf in its logical order (grads are contiguous in its shape). */
START_TEST(grad_through_strided_input) {
    lt_tensor *x = leaf(&E, 2, SHAPE(3, 2), -1, 1); /* storage of a [3, 2] */
    x->shape[0] = 2;
    x->shape[1] = 3;
    x->stride[0] = 1;
    x->stride[1] = 2; /* now x = storage^T, [2, 3] */
    double wv[6] = {1, 2, 3, 4, 5, 6};
    lt_tensor *w = tensor_of(&E, LT_FLOAT64, 2, SHAPE(3, 2), wv);
    lt_tensor *y = ltr_sum(&E.ctx.pub, ltr_mul(&E.ctx.pub, ltr_matmul(&E.ctx.pub, x, w),
                                               tensor_of(&E, LT_FLOAT64, 1, SHAPE(2), (double[]){1, -1})));
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_OK);
    ck_assert_ptr_nonnull(x->grad);
    /* d/dx[i, j] = w[j, 0] - w[j, 1] = -1 for every element */
    for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(ltr_get(x->grad, i), -1.0, 1e-12);
    /* the same through relu (an elementwise op on a strided input) */
    x->grad = NULL;
    for (int i = 0; i < 6; i++) ltr_set(x, i, i + 1.0);
    y = ltr_sum(&E.ctx.pub, ltr_mul(&E.ctx.pub, ltr_relu(&E.ctx.pub, x),
                                    tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 3), wv)));
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_OK);
    for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(ltr_get(x->grad, i), wv[i], 1e-12);
}
END_TEST

START_TEST(grad_matmul) {
    lt_tensor *in[2] = {leaf(&E, 2, SHAPE(3, 4), -1, 1), leaf(&E, 2, SHAPE(4, 5), -1, 1)};
    gradcheck(&E, "matmul", f_matmul, in, 2, NULL);
}
END_TEST

START_TEST(grad_linear) {
    lt_tensor *in[3] = {leaf(&E, 2, SHAPE(5, 4), -1, 1), leaf(&E, 2, SHAPE(3, 4), -1, 1),
                        leaf(&E, 1, SHAPE(3), -1, 1)};
    gradcheck(&E, "linear", f_linear, in, 3, NULL);
    lt_tensor *in3[3] = {leaf(&E, 3, SHAPE(2, 3, 4), -1, 1), leaf(&E, 2, SHAPE(2, 4), -1, 1),
                         leaf(&E, 1, SHAPE(2), -1, 1)};
    gradcheck(&E, "linear 3-D input", f_linear, in3, 3, NULL);
    lt_tensor *nb[2] = {leaf(&E, 2, SHAPE(5, 4), -1, 1), leaf(&E, 2, SHAPE(3, 4), -1, 1)};
    gradcheck(&E, "linear without bias", f_linear_nb, nb, 2, NULL);
}
END_TEST

START_TEST(grad_binary_broadcast) {
    gc_fn fns[3] = {f_add, f_sub, f_mul};
    const char *names[3] = {"add", "sub", "mul"};
    for (int k = 0; k < 3; k++) {
        lt_tensor *same[2] = {leaf(&E, 2, SHAPE(3, 4), -1, 1), leaf(&E, 2, SHAPE(3, 4), -1, 1)};
        gradcheck(&E, names[k], fns[k], same, 2, NULL);
        lt_tensor *cross[2] = {leaf(&E, 2, SHAPE(3, 1), -1, 1), leaf(&E, 2, SHAPE(1, 4), -1, 1)};
        gradcheck(&E, names[k], fns[k], cross, 2, NULL);
        lt_tensor *row[2] = {leaf(&E, 3, SHAPE(2, 3, 4), -1, 1), leaf(&E, 1, SHAPE(4), -1, 1)};
        gradcheck(&E, names[k], fns[k], row, 2, NULL);
        lt_tensor *scalar[2] = {leaf(&E, 0, NULL, -1, 1), leaf(&E, 2, SHAPE(2, 3), -1, 1)};
        gradcheck(&E, names[k], fns[k], scalar, 2, NULL);
    }
}
END_TEST

START_TEST(grad_relu_reductions_shapes) {
    lt_tensor *x[1] = {leaf(&E, 2, SHAPE(4, 5), -1, 1)};
    /* keep inputs away from the kink at 0, where the derivative is not defined */
    for (int64_t i = 0; i < 20; i++) {
        double v = ltr_get(x[0], i);
        ltr_set(x[0], i, v + (v >= 0 ? 0.1 : -0.1));
    }
    gradcheck(&E, "relu", f_relu, x, 1, NULL);
    lt_tensor *s[1] = {leaf(&E, 3, SHAPE(2, 3, 2), -1, 1)};
    gradcheck(&E, "sum", f_sum, s, 1, NULL);
    gradcheck(&E, "mean", f_mean, s, 1, NULL);
    gradcheck(&E, "reshape", f_reshape, s, 1, NULL);
    gradcheck(&E, "flatten", f_flatten, s, 1, NULL);
}
END_TEST

START_TEST(grad_log_softmax) {
    lt_tensor *x[1] = {leaf(&E, 3, SHAPE(2, 3, 4), -3, 3)};
    for (int dim = -1; dim < 3; dim++) gradcheck(&E, "log_softmax", f_log_softmax, x, 1, &dim);
}
END_TEST

START_TEST(grad_cross_entropy) {
    double t[5] = {0, 3, -100, 2, 3}; /* -100: ignore_index, no loss and no count */
    lt_tensor *in[2] = {leaf(&E, 2, SHAPE(5, 4), -3, 3), tensor_of(&E, LT_INT64, 1, SHAPE(5), t)};
    gradcheck(&E, "cross_entropy", f_cross_entropy, in, 2, NULL);
}
END_TEST

START_TEST(grad_mlp_composite) {
    double t[6] = {1, 0, 2, 2, 1, 0};
    lt_tensor *in[6] = {leaf(&E, 3, SHAPE(6, 2, 3), -1, 1), leaf(&E, 2, SHAPE(5, 6), -1, 1),
                        leaf(&E, 1, SHAPE(5), -1, 1), leaf(&E, 2, SHAPE(3, 5), -1, 1),
                        leaf(&E, 1, SHAPE(3), -1, 1), tensor_of(&E, LT_INT64, 1, SHAPE(6), t)};
    gradcheck(&E, "mlp", f_mlp, in, 6, NULL);
}
END_TEST

START_TEST(grad_conv2d) {
    lt_conv2d_options o = LT_CONV2D_DEFAULTS;
    lt_tensor *in[3] = {leaf(&E, 4, SHAPE(2, 2, 5, 5), -1, 1), leaf(&E, 4, SHAPE(3, 2, 3, 3), -1, 1),
                        leaf(&E, 1, SHAPE(3), -1, 1)};
    gradcheck(&E, "conv2d", f_conv, in, 3, &o);
    o.stride[0] = 2, o.padding[0] = 1, o.padding[1] = 2, o.dilation[1] = 2;
    gradcheck(&E, "conv2d stride/padding/dilation", f_conv, in, 3, &o);
    lt_conv2d_options w = LT_CONV2D_DEFAULTS; /* strided and padded along the width */
    w.stride[1] = 3, w.padding[1] = 2, w.dilation[0] = 2, w.padding[0] = 1;
    gradcheck(&E, "conv2d width stride/padding", f_conv, in, 3, &w);
    lt_conv2d_options g = LT_CONV2D_DEFAULTS;
    g.groups = 2, g.padding[0] = g.padding[1] = 1;
    lt_tensor *gin[3] = {leaf(&E, 4, SHAPE(2, 4, 4, 4), -1, 1), leaf(&E, 4, SHAPE(6, 2, 2, 3), -1, 1),
                         leaf(&E, 1, SHAPE(6), -1, 1)};
    gradcheck(&E, "conv2d groups", f_conv, gin, 3, &g);
    gradcheck(&E, "conv2d without bias", f_conv_nb, gin, 2, &g);
}
END_TEST

typedef lt_tensor *(*unary_fn)(lt_ctx *, const lt_tensor *);
static lt_tensor *f_unary(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ((unary_fn)a)(c, in[0])); }

START_TEST(grad_unary) {
    unary_fn fns[7] = {ltr_neg, ltr_exp, ltr_log, ltr_sqrt, ltr_abs, ltr_sigmoid, ltr_tanh};
    const char *names[7] = {"neg", "exp", "log", "sqrt", "abs", "sigmoid", "tanh"};
    for (int k = 0; k < 7; k++) {
        /* log and sqrt on (0.5, 2); the others on [-2, 2) away from abs's kink at 0 */
        bool positive = k == 2 || k == 3;
        lt_tensor *x = leaf(&E, 2, SHAPE(3, 4), positive ? 0.5 : -2, 2);
        if (k == 4)
            for (int64_t i = 0; i < 12; i++) ltr_set(x, i, ltr_get(x, i) + (ltr_get(x, i) >= 0 ? 0.1 : -0.1));
        lt_tensor *in[1] = {x};
        gradcheck(&E, names[k], f_unary, in, 1, (void *)fns[k]);
    }
}
END_TEST

START_TEST(grad_max_pool2d) {
    /* distinct values: a tie would make the derivative undefined */
    lt_tensor *x = leaf(&E, 4, SHAPE(2, 2, 6, 5), 0, 1);
    for (int64_t i = 0; i < ltr_numel(x); i++) ltr_set(x, i, (double)((i * 37) % 120) / 7.0);
    lt_tensor *in[1] = {x};
    int64_t k2[3] = {2, 2, 0}, k3[3] = {3, 2, 1};
    gradcheck(&E, "max_pool2d 2x2", f_pool, in, 1, k2);
    gradcheck(&E, "max_pool2d 3x3 stride 2 padding 1", f_pool, in, 1, k3);
}
END_TEST

/* Parameters accumulate across backwards until zero_grad (set_to_none) */
START_TEST(param_grads_accumulate) {
    E.ctx.params = &E.params;
    lt_tensor *w = ltr_param(&E.ctx.pub, "w", LT_FLOAT64, 2, SHAPE(2, 3));
    lt_tensor *b = ltr_param(&E.ctx.pub, "b", LT_FLOAT64, 1, SHAPE(2));
    E.ctx.params = NULL;
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < 6; i++) ltr_set(w, i, 0.1 * (i + 1));
    double xv[3] = {1, -2, 3};
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 2, SHAPE(1, 3), xv);
    ck_assert(!(w->flags & LTR_T_GRAD_DEFINED));
    for (int pass = 1; pass <= 2; pass++) {
        lt_tensor *y = ltr_sum(&E.ctx.pub, ltr_linear(&E.ctx.pub, x, w, b));
        ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_OK);
        /* d sum(x W^T + b) / dW[r, c] = x[c]; db = 1 */
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++) ck_assert_double_eq_tol(ltr_get(w->grad, r * 3 + c), pass * xv[c], 1e-12);
        ck_assert_double_eq_tol(ltr_get(b->grad, 1), pass, 1e-12);
    }
    ltr_param_store_zero_grad(&E.params);
    ck_assert(!(w->flags & LTR_T_GRAD_DEFINED));
    ck_assert_int_eq(ltr_tape_size(E.tape), 0); /* backward consumed the tape */
    /* after zero_grad the next backward overwrites (p.grad was None) */
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, ltr_sum(&E.ctx.pub, ltr_linear(&E.ctx.pub, x, w, b))), LT_OK);
    ck_assert_double_eq_tol(ltr_get(w->grad, 2), xv[2], 1e-12);
    ck_assert_double_eq_tol(ltr_get(b->grad, 0), 1, 1e-12);
}
END_TEST

/* The same accumulation through matmul (GEMM into the grad slot) and mul (copy/add) */
START_TEST(param_grads_accumulate_matmul_mul) {
    E.ctx.params = &E.params;
    lt_tensor *m = ltr_param(&E.ctx.pub, "m", LT_FLOAT64, 2, SHAPE(3, 2));
    lt_tensor *s = ltr_param(&E.ctx.pub, "s", LT_FLOAT64, 1, SHAPE(2));
    E.ctx.params = NULL;
    for (int i = 0; i < 6; i++) ltr_set(m, i, i - 2.5);
    ltr_set(s, 0, 2);
    ltr_set(s, 1, -3);
    double xv[3] = {1, 2, -1};
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 2, SHAPE(1, 3), xv);
    double gm_once[6], gs_once[2];
    for (int pass = 1; pass <= 2; pass++) {
        /* loss = sum((x @ m) * s) */
        lt_tensor *y = ltr_sum(&E.ctx.pub, ltr_mul(&E.ctx.pub, ltr_matmul(&E.ctx.pub, x, m), s));
        ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_OK);
        for (int i = 0; i < 6; i++) {
            double want = xv[i / 2] * ltr_get(s, i % 2); /* dm[r, c] = x[r] s[c] */
            if (pass == 1) gm_once[i] = ltr_get(m->grad, i);
            ck_assert_double_eq_tol(ltr_get(m->grad, i), pass * want, 1e-12);
        }
        for (int c = 0; c < 2; c++) {
            double xm = 0;
            for (int r = 0; r < 3; r++) xm += xv[r] * ltr_get(m, r * 2 + c);
            if (pass == 1) gs_once[c] = ltr_get(s->grad, c);
            ck_assert_double_eq_tol(ltr_get(s->grad, c), pass * xm, 1e-12);
        }
    }
    ck_assert_double_eq_tol(gm_once[1] * 2, ltr_get(m->grad, 1), 1e-12);
    ck_assert_double_eq_tol(gs_once[0] * 2, ltr_get(s->grad, 0), 1e-12);
}
END_TEST

/* The tape is consumed by backward (retain_graph=False): a second backward through the
 * same graph is an error, as in PyTorch, instead of silently giving no gradients. */
START_TEST(backward_twice_is_an_error) {
    lt_tensor *a = leaf(&E, 2, SHAPE(2, 2), -1, 1);
    lt_tensor *y = ltr_sum(&E.ctx.pub, ltr_mul(&E.ctx.pub, a, a));
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_OK);
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(E.ctx.error, "second time"));
    ltr_ctx_take_error(&E.ctx, NULL, 0);
    lt_tensor *v = ltr_relu(&E.ctx.pub, a);
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, v), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(E.ctx.error, "backward: the loss has shape [2, 2]"));
}
END_TEST

START_TEST(no_grad_records_nothing) {
    lt_tensor *a = leaf(&E, 2, SHAPE(2, 2), -1, 1);
    E.ctx.grad_enabled = false;
    lt_tensor *y = ltr_sum(&E.ctx.pub, ltr_relu(&E.ctx.pub, a));
    E.ctx.grad_enabled = true;
    ck_assert_int_eq(ltr_tape_size(E.tape), 0);
    ck_assert(!(y->flags & LTR_T_REQUIRES_GRAD));
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, y), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(E.ctx.error, "does not require grad"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("autograd");
    TCase *tc = tcase_create("gradcheck");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, grad_matmul);
    tcase_add_test(tc, grad_linear);
    tcase_add_test(tc, grad_binary_broadcast);
    tcase_add_test(tc, grad_relu_reductions_shapes);
    tcase_add_test(tc, grad_log_softmax);
    tcase_add_test(tc, grad_cross_entropy);
    tcase_add_test(tc, grad_mlp_composite);
    tcase_add_test(tc, grad_conv2d);
    tcase_add_test(tc, grad_max_pool2d);
    tcase_add_test(tc, grad_unary);
    tcase_add_test(tc, param_grads_accumulate);
    tcase_add_test(tc, no_grad_records_nothing);
    tcase_add_test(tc, grad_matmul_forms);
    tcase_add_test(tc, grad_shared_and_chained);
    tcase_add_test(tc, grad_through_strided_input);
    tcase_add_test(tc, param_grads_accumulate_matmul_mul);
    tcase_add_test(tc, backward_twice_is_an_error);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
