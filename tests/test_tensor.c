/* test_tensor.c — op values on hand-computed cases, errors, arena, parameters, init. */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define VALS(...) ((const double[]){__VA_ARGS__})

static void expect_values(const lt_tensor *t, const double *v, int64_t n, double tol) {
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(ltr_numel(t), n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabs(ltr_get(t, i) - v[i]) <= tol, "element %lld: %.9g != %.9g", (long long)i,
                      ltr_get(t, i), v[i]);
}

static void expect_error(const char *needle) {
    char msg[1024];
    ck_assert_msg(ltr_ctx_take_error(&E.ctx, msg, sizeof msg), "expected an error with '%s'", needle);
    ck_assert_msg(strstr(msg, needle) != NULL, "error '%s' lacks '%s'", msg, needle);
}

START_TEST(broadcasting_values) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 1), VALS(1, 2));
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 1, SHAPE(3), VALS(10, 20, 30));
    lt_tensor *s = ltr_add(C, a, b);
    ck_assert_int_eq(s->ndim, 2);
    ck_assert_int_eq(s->shape[0], 2);
    ck_assert_int_eq(s->shape[1], 3);
    expect_values(s, VALS(11, 21, 31, 12, 22, 32), 6, 0);
    expect_values(ltr_sub(C, a, b), VALS(-9, -19, -29, -8, -18, -28), 6, 0);
    expect_values(ltr_mul(C, a, b), VALS(10, 20, 30, 20, 40, 60), 6, 0);
    lt_tensor *sc = tensor_of(&E, LT_FLOAT32, 0, NULL, VALS(0.5));
    expect_values(ltr_mul(C, sc, b), VALS(5, 10, 15), 3, 0);
}
END_TEST

START_TEST(matmul_linear_values) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), VALS(1, 2, 3, 4, 5, 6));
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 2, SHAPE(3, 2), VALS(7, 8, 9, 10, 11, 12));
    expect_values(ltr_matmul(C, a, b), VALS(58, 64, 139, 154), 4, 0);
    /* F.linear(x, W, b) = x W^T + b */
    lt_tensor *w = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), VALS(1, 0, -1, 2, 1, 0));
    lt_tensor *bias = tensor_of(&E, LT_FLOAT32, 1, SHAPE(2), VALS(0.5, -0.5));
    expect_values(ltr_linear(C, a, w, bias), VALS(-1.5, 3.5, -1.5, 12.5), 4, 1e-6);
    expect_values(ltr_linear(C, a, w, NULL), VALS(-2, 4, -2, 13), 4, 1e-6);
}
END_TEST

START_TEST(relu_reductions_values) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 1, SHAPE(4), VALS(-1, 0, 2, -3));
    expect_values(ltr_relu(C, x), VALS(0, 0, 2, 0), 4, 0);
    expect_values(ltr_sum(C, x), VALS(-2), 1, 0);
    expect_values(ltr_mean(C, x), VALS(-0.5), 1, 0);
    lt_tensor *empty = tensor_of(&E, LT_FLOAT32, 1, SHAPE(0), NULL);
    ck_assert(isnan(ltr_get(ltr_mean(C, empty), 0))); /* torch: mean of nothing is nan */
    /* relu's gradient at exactly 0 is 0, as in PyTorch */
    lt_tensor *z = leaf(&E, 1, SHAPE(3), 0, 0);
    ltr_set(z, 1, 1.0);
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_relu(C, z))), LT_OK);
    expect_values(z->grad, VALS(0, 1, 0), 3, 0);
}
END_TEST

START_TEST(log_softmax_cross_entropy_values) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 2, SHAPE(1, 3), VALS(1, 2, 3));
    /* log(e^1 + e^2 + e^3) = 3.40760596 */
    expect_values(ltr_log_softmax(C, x, 1), VALS(-2.40760596, -1.40760596, -0.40760596), 3, 1e-6);
    expect_values(ltr_log_softmax(C, x, 0), VALS(0, 0, 0), 3, 0);
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(1), VALS(2));
    expect_values(ltr_cross_entropy(C, x, t), VALS(0.40760596), 1, 1e-6);
    /* large logits stay finite (stable log-sum-exp) */
    lt_tensor *big = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 2), VALS(1000, 0, 0, 1000));
    lt_tensor *t2 = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(0, 0));
    expect_values(ltr_cross_entropy(C, big, t2), VALS(500), 1, 1e-3);
    /* ignore_index=-100: mean over the other targets */
    lt_tensor *t3 = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(-100, 1));
    expect_values(ltr_cross_entropy(C, big, t3), VALS(0), 1, 1e-6);
}
END_TEST

START_TEST(argmax_accuracy_values) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 2, SHAPE(3, 3), VALS(1, 5, 5, 9, 0, 1, 2, 2, 3));
    expect_values(ltr_argmax(C, x, 1), VALS(1, 0, 2), 3, 0); /* ties: first index */
    expect_values(ltr_argmax(C, x, 0), VALS(1, 0, 0), 3, 0);
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(3), VALS(1, 1, 2));
    expect_values(ltr_accuracy(C, x, t), VALS(2.0 / 3.0), 1, 1e-7);
}
END_TEST

START_TEST(conv_pool_values) {
    /* 1x1x3x3 input 1..9, a 2x2 kernel of ones: each output sums a 2x2 window */
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 4, SHAPE(1, 1, 3, 3), VALS(1, 2, 3, 4, 5, 6, 7, 8, 9));
    lt_tensor *w = tensor_of(&E, LT_FLOAT32, 4, SHAPE(1, 1, 2, 2), VALS(1, 1, 1, 1));
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 1, SHAPE(1), VALS(0.5));
    expect_values(ltr_conv2d(C, x, w, b, NULL), VALS(12.5, 16.5, 24.5, 28.5), 4, 0);
    /* padding 1: corners see one element each of the kernel's window */
    lt_conv2d_options o = LT_CONV2D_DEFAULTS;
    o.padding[0] = o.padding[1] = 1;
    o.stride[0] = o.stride[1] = 2;
    expect_values(ltr_conv2d(C, x, w, NULL, &o), VALS(1, 5, 11, 28), 4, 0);
    lt_tensor *y = ltr_max_pool2d(C, x, 2, 1, 0);
    ck_assert_int_eq(y->shape[2], 2);
    expect_values(y, VALS(5, 6, 8, 9), 4, 0);
    expect_values(ltr_max_pool2d(C, x, 2, 0, 1), VALS(1, 3, 7, 9), 4, 0); /* stride 0 = kernel */
    ck_assert_ptr_null(ltr_conv2d(C, x, tensor_of(&E, LT_FLOAT32, 4, SHAPE(1, 2, 2, 2), NULL), NULL, NULL));
    expect_error("do not fit");
    ck_assert_ptr_null(ltr_max_pool2d(C, x, 2, 2, 2));
    expect_error("padding in [0, kernel/2]");
}
END_TEST

START_TEST(reshape_flatten) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 3, SHAPE(2, 3, 4), NULL);
    lt_tensor *y = ltr_reshape(C, x, 2, SHAPE(4, -1));
    ck_assert_int_eq(y->shape[1], 6);
    ck_assert_ptr_eq(y->data, x->data); /* a view */
    lt_tensor *f = ltr_flatten(C, x, 1);
    ck_assert_int_eq(f->ndim, 2);
    ck_assert_int_eq(f->shape[1], 12);
    ck_assert_ptr_null(ltr_reshape(C, x, 2, SHAPE(5, -1)));
    expect_error("cannot be viewed");
    ck_assert_ptr_null(ltr_reshape(C, x, 2, SHAPE(-1, -1)));
    expect_error("only one dimension");
}
END_TEST

START_TEST(errors_name_op_and_shapes) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), NULL);
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 2, SHAPE(4, 5), NULL);
    ck_assert_ptr_null(ltr_matmul(C, a, b));
    expect_error("lt_matmul: shapes [2, 3] and [4, 5] cannot be multiplied");
    ck_assert_ptr_null(ltr_add(C, a, b));
    expect_error("lt_add: shapes [2, 3] and [4, 5] cannot be broadcast");
    ck_assert_ptr_null(ltr_linear(C, a, b, NULL));
    expect_error("lt_linear: input [2, 3] does not match weight [4, 5]");
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(0, 7));
    ck_assert_ptr_null(ltr_cross_entropy(C, a, t));
    expect_error("target 7 at index 1 is out of bounds for 3 classes");
    lt_tensor *tf = tensor_of(&E, LT_FLOAT32, 1, SHAPE(2), NULL);
    ck_assert_ptr_null(ltr_cross_entropy(C, a, tf));
    expect_error("int64");
    lt_tensor *d = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 3), NULL);
    ck_assert_ptr_null(ltr_add(C, a, d));
    expect_error("dtypes differ");
    /* an error flows through later ops without new messages, like a NaN */
    lt_tensor *bad = ltr_matmul(C, a, b);
    ck_assert_ptr_null(ltr_sum(C, ltr_relu(C, bad)));
    expect_error("lt_matmul");
    ck_assert(!ltr_ctx_take_error(&E.ctx, NULL, 0));
    ck_assert_ptr_null(ltr_log_softmax(C, a, 2));
    expect_error("dim 2 is out of range");
}
END_TEST

START_TEST(arena_reuses_memory) {
    ltr_arena *a = ltr_arena_create(1024);
    void *p1 = ltr_arena_alloc(a, 100);
    void *p2 = ltr_arena_alloc(a, 5000); /* larger than a chunk: a chunk of its own */
    ck_assert_int_eq((uintptr_t)p1 % 64, 0);
    ck_assert_int_eq((uintptr_t)p2 % 64, 0);
    size_t high = ltr_arena_high_water(a);
    ltr_arena_reset(a);
    ck_assert_int_eq(ltr_arena_used(a), 0);
    ck_assert_ptr_eq(ltr_arena_alloc(a, 100), p1); /* same memory again: no new allocation */
    ck_assert_ptr_eq(ltr_arena_alloc(a, 5000), p2);
    ck_assert_int_eq(ltr_arena_high_water(a), high);
    ltr_arena_destroy(a);
}
END_TEST

START_TEST(params_and_init) {
    ck_assert_ptr_null(ltr_param(C, "w", LT_FLOAT32, 1, SHAPE(3)));
    expect_error("only be created in the module's create hook");
    E.ctx.params = &E.params;
    lt_linear_layer l;
    ck_assert_int_eq(ltr_linear_init(C, &l, "fc", 400, 30, true), LT_OK);
    ck_assert_ptr_nonnull(ltr_param_store_find(&E.params, "fc.weight"));
    ck_assert_ptr_nonnull(ltr_param_store_find(&E.params, "fc.bias"));
    ck_assert_int_eq(ltr_param_store_numel(&E.params), 400 * 30 + 30);
    /* nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; check the bound and
     * that the values spread over it */
    double bound = 1.0 / 20.0, mx = 0, sum = 0;
    for (int64_t i = 0; i < 12000; i++) {
        double v = ltr_get(l.weight, i);
        ck_assert(fabs(v) <= bound);
        mx = fmax(mx, fabs(v));
        sum += v;
    }
    ck_assert(mx > 0.99 * bound);
    ck_assert(fabs(sum / 12000) < 0.002);
    for (int64_t i = 0; i < 30; i++) ck_assert(fabs(ltr_get(l.bias, i)) <= bound);
    ck_assert_int_eq(ltr_linear_init(C, &l, "fc", 4, 3, true), LT_ERROR);
    expect_error("already exists");
    E.ctx.params = NULL;
}
END_TEST

START_TEST(init_is_seeded) {
    float first[50];
    for (int run = 0; run < 2; run++) {
        test_env e;
        env_init(&e);
        ltr_rng_seed(&e.rng, 7);
        e.ctx.params = &e.params;
        lt_tensor *w = ltr_param(&e.ctx.pub, "w", LT_FLOAT32, 2, SHAPE(5, 10));
        ltr_init_kaiming_uniform(&e.ctx.pub, w, sqrt(5.0));
        if (run == 0) memcpy(first, w->data, sizeof first);
        else ck_assert_mem_eq(first, w->data, sizeof first); /* bit-identical */
        env_free(&e);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("tensor");
    TCase *tc = tcase_create("values");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, broadcasting_values);
    tcase_add_test(tc, matmul_linear_values);
    tcase_add_test(tc, relu_reductions_values);
    tcase_add_test(tc, log_softmax_cross_entropy_values);
    tcase_add_test(tc, argmax_accuracy_values);
    tcase_add_test(tc, conv_pool_values);
    tcase_add_test(tc, reshape_flatten);
    tcase_add_test(tc, errors_name_op_and_shapes);
    tcase_add_test(tc, arena_reuses_memory);
    tcase_add_test(tc, params_and_init);
    tcase_add_test(tc, init_is_seeded);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
