/*
 * test_tensor.c — op values on hand-computed cases (broadcasting, matmul's 1-D and N-D
 * forms, linear, relu, reductions, log_softmax, cross_entropy, argmax ties and NaN,
 * accuracy, reshape views), errors (messages name the op and shapes; NULL inputs
 * propagate silently), tensor accessors, arena reuse, parameter store, init bounds
 * and seeded determinism; conv2d / max_pool2d values.
 */
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
    check_values(C, t, v, n, tol, 0);
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
    /* torch.relu is clamp_min(x, 0): nan propagates (a NaN loss is not hidden), and
     * -0.0 comes out as +0.0; also across the threaded long-tensor path */
    for (int64_t n = 4; n <= 200000; n += 199996) {
        lt_tensor *v = leaf(&E, 1, SHAPE(n), 0, 0);
        ltr_set(v, 0, NAN), ltr_set(v, 1, -0.0), ltr_set(v, 2, 3.0), ltr_set(v, n - 1, NAN);
        lt_tensor *r = ltr_relu(C, v);
        ck_assert(isnan(ltr_get(r, 0)) && isnan(ltr_get(r, n - 1)));
        ck_assert(ltr_get(r, 1) == 0 && !signbit(ltr_get(r, 1)));
        ck_assert(ltr_get(r, 2) == 3.0);
    }
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

START_TEST(unary_values) {
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 1, SHAPE(4), VALS(-2, 0, 1, 4));
    expect_values(ltr_neg(C, x), VALS(2, 0, -1, -4), 4, 0);
    expect_values(ltr_abs(C, x), VALS(2, 0, 1, 4), 4, 0);
    expect_values(ltr_exp(C, x), VALS(0.135335283, 1, 2.718281828, 54.59815003), 4, 1e-5);
    expect_values(ltr_sigmoid(C, x), VALS(0.119202922, 0.5, 0.731058579, 0.982013790), 4, 1e-6);
    expect_values(ltr_tanh(C, x), VALS(-0.964027580, 0, 0.761594156, 0.999329300), 4, 1e-6);
    lt_tensor *p = tensor_of(&E, LT_FLOAT32, 1, SHAPE(3), VALS(1, 4, 0));
    lt_tensor *s = ltr_sqrt(C, p), *l = ltr_log(C, p);
    expect_values(s, VALS(1, 2, 0), 3, 0);
    ck_assert(isinf(ltr_get(l, 2)) && ltr_get(l, 2) < 0); /* torch.log(0) = -inf */
    lt_tensor *neg = tensor_of(&E, LT_FLOAT32, 1, SHAPE(1), VALS(-1));
    ck_assert(isnan(ltr_get(ltr_sqrt(C, neg), 0)));      /* torch.sqrt(-1) = nan */
    /* abs: gradient 0 at exactly 0, as torch's sign(0) */
    lt_tensor *z = leaf(&E, 1, SHAPE(3), 0, 0);
    ltr_set(z, 0, -1.5);
    ltr_set(z, 2, 2.0);
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_abs(C, z))), LT_OK);
    expect_values(z->grad, VALS(-1, 0, 1), 3, 0);
    ck_assert_ptr_null(ltr_exp(C, tensor_of(&E, LT_INT64, 1, SHAPE(1), VALS(1))));
    expect_error("lt_exp: expected a float tensor");
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
    expect_error("pad should be at most half of kernel size");
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
    expect_error("lt_param: parameters can only be created in the module's create or configure_model hook");
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
    expect_error("lt_param('fc.weight'): a parameter with this name already exists");
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


START_TEST(broadcasting_more) {
    /* [2, 3, 2] + [3, 1]: the middle dim matches, the last broadcasts */
    double v[12];
    for (int i = 0; i < 12; i++) v[i] = i;
    lt_tensor *a = tensor_of(&E, LT_FLOAT64, 3, SHAPE(2, 3, 2), v);
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 2, SHAPE(3, 1), VALS(100, 200, 300));
    expect_values(ltr_add(C, a, b),
                  VALS(100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311), 12, 0);
    expect_values(ltr_sub(C, b, a),
                  VALS(100, 99, 198, 197, 296, 295, 94, 93, 192, 191, 290, 289), 12, 0);
    /* a strided (transposed) view as an input: [[0, 2, 4], [1, 3, 5]] of storage 0..5 */
    lt_tensor *st = tensor_of(&E, LT_FLOAT32, 2, SHAPE(3, 2), VALS(0, 1, 2, 3, 4, 5));
    lt_tensor view = *st;
    view.shape[0] = 2;
    view.shape[1] = 3;
    view.stride[0] = 1;
    view.stride[1] = 2;
    ck_assert(!ltr_is_contiguous(&view));
    ck_assert_ptr_null(ltr_data(&view));
    lt_tensor *one = tensor_of(&E, LT_FLOAT32, 1, SHAPE(3), VALS(1, 1, 1));
    expect_values(ltr_mul(C, &view, one), VALS(0, 2, 4, 1, 3, 5), 6, 0);
    expect_values(ltr_relu(C, &view), VALS(0, 2, 4, 1, 3, 5), 6, 0);
    expect_values(ltr_sum(C, &view), VALS(15), 1, 0);
    /* scalar op scalar is 0-d */
    lt_tensor *s1 = tensor_of(&E, LT_FLOAT32, 0, NULL, VALS(3));
    lt_tensor *p = ltr_mul(C, s1, s1);
    ck_assert_int_eq(p->ndim, 0);
    expect_values(p, VALS(9), 1, 0);
}
END_TEST

START_TEST(matmul_forms) {
    lt_tensor *v = tensor_of(&E, LT_FLOAT32, 1, SHAPE(3), VALS(1, 2, 3));
    lt_tensor *m = tensor_of(&E, LT_FLOAT32, 2, SHAPE(3, 2), VALS(1, 0, 0, 1, 1, 1));
    lt_tensor *mt = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), VALS(1, 0, 1, 0, 1, 1));
    lt_tensor *dot = ltr_matmul(C, v, v); /* torch: 1-D @ 1-D is a 0-d dot product */
    ck_assert_int_eq(dot->ndim, 0);
    expect_values(dot, VALS(14), 1, 0);
    lt_tensor *vm = ltr_matmul(C, v, m); /* [3] @ [3, 2] -> [2] */
    ck_assert_int_eq(vm->ndim, 1);
    expect_values(vm, VALS(4, 5), 2, 0);
    lt_tensor *mv = ltr_matmul(C, mt, v); /* [2, 3] @ [3] -> [2] */
    ck_assert_int_eq(mv->ndim, 1);
    expect_values(mv, VALS(4, 5), 2, 0);
    double b[12];
    for (int i = 0; i < 12; i++) b[i] = i;
    lt_tensor *batch = tensor_of(&E, LT_FLOAT32, 3, SHAPE(2, 2, 3), b); /* [2, 2, 3] @ [3, 2] */
    lt_tensor *r = ltr_matmul(C, batch, m);
    ck_assert_int_eq(r->ndim, 3);
    ck_assert_int_eq(r->shape[0], 2);
    ck_assert_int_eq(r->shape[2], 2);
    expect_values(r, VALS(2, 3, 8, 9, 14, 15, 20, 21), 8, 0);
    /* an empty inner dimension gives zeros, as torch */
    lt_tensor *e1 = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 0), NULL);
    lt_tensor *e2 = tensor_of(&E, LT_FLOAT32, 2, SHAPE(0, 3), NULL);
    expect_values(ltr_matmul(C, e1, e2), VALS(0, 0, 0, 0, 0, 0), 6, 0);
    lt_tensor *s = tensor_of(&E, LT_FLOAT32, 0, NULL, VALS(1));
    ck_assert_ptr_null(ltr_matmul(C, s, v));
    expect_error("at least 1 dimension");
    /* a 3-D right operand broadcasts the left one: torch.matmul(m, batch) */
    expect_values(ltr_matmul(C, m, batch),
                  VALS(0, 1, 2, 3, 4, 5, 3, 5, 7, 6, 7, 8, 9, 10, 11, 15, 17, 19), 18, 0);
    ck_assert_ptr_null(ltr_matmul(C, v, mt));
    expect_error("lt_matmul: shapes [3] and [2, 3] cannot be multiplied");
}
END_TEST

START_TEST(linear_edge_shapes) {
    /* 3-D input: x[..., in] with the leading dims kept */
    double v[12];
    for (int i = 0; i < 12; i++) v[i] = i;
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 3, SHAPE(2, 3, 2), v);
    lt_tensor *w = tensor_of(&E, LT_FLOAT32, 2, SHAPE(1, 2), VALS(1, -1));
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 1, SHAPE(1), VALS(10));
    lt_tensor *y = ltr_linear(C, x, w, b);
    ck_assert_int_eq(y->ndim, 3);
    ck_assert_int_eq(y->shape[2], 1);
    expect_values(y, VALS(9, 9, 9, 9, 9, 9), 6, 0);
    /* in_features 0: the bias alone (torch: an empty matmul is zeros) */
    lt_tensor *x0 = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 0), NULL);
    lt_tensor *w0 = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 0), NULL);
    lt_tensor *b0 = tensor_of(&E, LT_FLOAT32, 1, SHAPE(2), VALS(1, 2));
    expect_values(ltr_linear(C, x0, w0, b0), VALS(1, 2, 1, 2), 4, 0);
    expect_values(ltr_linear(C, x0, w0, NULL), VALS(0, 0, 0, 0), 4, 0);
    ck_assert_ptr_null(ltr_linear(C, x, w, w));
    expect_error("lt_linear: bias [1, 2] does not match weight [1, 2]");
}
END_TEST

START_TEST(argmax_nan_and_dims) {
    /* torch.argmax treats NaN as the maximum: the first NaN wins */
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 2, SHAPE(3, 3), VALS(1, NAN, 5, NAN, 9, NAN, 2, 2, 2));
    expect_values(ltr_argmax(C, x, 1), VALS(1, 0, 0), 3, 0);
    expect_values(ltr_argmax(C, x, -1), VALS(1, 0, 0), 3, 0);
    ck_assert_int_eq(ltr_argmax(C, x, 0)->dtype, LT_INT64);
    ck_assert_ptr_null(ltr_argmax(C, x, 2));
    expect_error("lt_argmax: dim 2 is out of range for shape [3, 3]");
    /* accuracy is a 0-d float32 that records nothing */
    lt_tensor *l = leaf(&E, 2, SHAPE(2, 2), -1, 1);
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(0, 1));
    lt_tensor *acc = ltr_accuracy(C, ltr_contiguous(C, l), t);
    ck_assert_int_eq(acc->ndim, 0);
    ck_assert_int_eq(acc->dtype, LT_FLOAT32);
    ck_assert(!(acc->flags & LTR_T_REQUIRES_GRAD));
}
END_TEST

START_TEST(cross_entropy_two_rows) {
    /* rows [0, 0] with target 1: log 2; [0, ln 3] with target 0: log(1 + 3) = log 4 */
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 2), VALS(0, 0, 0, log(3.0)));
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(1, 0));
    lt_tensor *l = ltr_cross_entropy(C, x, t);
    ck_assert_int_eq(l->ndim, 0);
    expect_values(l, VALS((log(2.0) + log(4.0)) / 2), 1, 1e-12);
    lt_tensor *neg = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(0, -1));
    ck_assert_ptr_null(ltr_cross_entropy(C, x, neg));
    expect_error("target -1 at index 1 is out of bounds for 2 classes");
    lt_tensor *all_ignored = tensor_of(&E, LT_INT64, 1, SHAPE(2), VALS(-100, -100));
    ck_assert(isnan(ltr_get(ltr_cross_entropy(C, x, all_ignored), 0))); /* torch: nan */
}
END_TEST

/* Every op given a NULL input returns NULL and records no new error */
START_TEST(null_inputs_propagate) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 2), NULL);
    lt_tensor *t = tensor_of(&E, LT_INT64, 1, SHAPE(2), NULL);
    ck_assert_ptr_null(ltr_matmul(C, NULL, a));
    ck_assert_ptr_null(ltr_matmul(C, a, NULL));
    ck_assert_ptr_null(ltr_linear(C, NULL, a, NULL));
    ck_assert_ptr_null(ltr_linear(C, a, NULL, NULL));
    ck_assert_ptr_null(ltr_add(C, NULL, a));
    ck_assert_ptr_null(ltr_sub(C, a, NULL));
    ck_assert_ptr_null(ltr_mul(C, NULL, NULL));
    ck_assert_ptr_null(ltr_relu(C, NULL));
    ck_assert_ptr_null(ltr_reshape(C, NULL, 1, SHAPE(4)));
    ck_assert_ptr_null(ltr_flatten(C, NULL, 0));
    ck_assert_ptr_null(ltr_sum(C, NULL));
    ck_assert_ptr_null(ltr_mean(C, NULL));
    ck_assert_ptr_null(ltr_log_softmax(C, NULL, 1));
    ck_assert_ptr_null(ltr_cross_entropy(C, NULL, t));
    ck_assert_ptr_null(ltr_cross_entropy(C, a, NULL));
    ck_assert_ptr_null(ltr_argmax(C, NULL, 0));
    ck_assert_ptr_null(ltr_accuracy(C, NULL, t));
    ck_assert_ptr_null(ltr_contiguous(C, NULL));
    ck_assert(ltr_item(C, NULL) == 0);
    ck_assert(!ltr_ctx_take_error(&E.ctx, NULL, 0));
    ck_assert_int_eq(ltr_backward(C, NULL), LT_ERROR);
}
END_TEST

START_TEST(tensor_accessors) {
    lt_tensor *z = ltr_tensor_from(C, LT_FLOAT32, 2, SHAPE(2, 3), NULL); /* no data: zeros */
    expect_values(z, VALS(0, 0, 0, 0, 0, 0), 6, 0);
    int64_t raw[3] = {7, -2, 9};
    lt_tensor *i = ltr_tensor_from(C, LT_INT64, 1, SHAPE(3), raw);
    ck_assert_int_eq(((int64_t *)ltr_data(i))[1], -2);
    ck_assert_int_eq(ltr_dim_size(z, -1), 3);
    ck_assert_int_eq(ltr_dim_size(z, 0), 2);
    ck_assert_int_eq(ltr_numel_api(z), 6);
    ck_assert_int_eq((int)ltr_dtype(i), LT_INT64);
    ck_assert_int_eq(ltr_ndim(i), 1);
    char buf[64];
    ck_assert_str_eq(ltr_shape_str(z, buf, sizeof buf), "[2, 3]");
    ck_assert_str_eq(ltr_shape_str(ltr_sum(C, z), buf, sizeof buf), "[]");
    ck_assert(ltr_item(C, ltr_tensor_new(C, LT_FLOAT64, 0, NULL)) == 0);
    ltr_item(C, z);
    expect_error("lt_item: the tensor has shape [2, 3]");
    ck_assert_ptr_null(ltr_tensor_new(C, LT_FLOAT32, 1, SHAPE(-2)));
    expect_error("negative dimension");
    /* a reshape of a contiguous tensor is a view; its gradient comes back in x's shape */
    lt_tensor *x = leaf(&E, 2, SHAPE(2, 3), -1, 1);
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_reshape(C, x, 1, SHAPE(-1)))), LT_OK);
    ck_assert_int_eq(x->grad->ndim, 2);
    expect_values(x->grad, VALS(1, 1, 1, 1, 1, 1), 6, 0);
}
END_TEST

START_TEST(arena_steady_state) {
    /* the same step twice after a reset hands out the same blocks and grows nothing */
    ltr_arena *a = ltr_arena_create(4096);
    void *first[20];
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < 20; i++) {
            void *p = ltr_arena_alloc(a, (size_t)(i * 700 + 1));
            ck_assert_int_eq((uintptr_t)p % 64, 0);
            memset(p, 0xab, (size_t)(i * 700 + 1)); /* asan: the block is really that big */
            if (step == 0) first[i] = p;
            else ck_assert_ptr_eq(p, first[i]);
        }
        ck_assert_uint_ge(ltr_arena_used(a), 20 * 700 / 2);
        ltr_arena_reset(a);
    }
    size_t high = ltr_arena_high_water(a);
    ck_assert_uint_gt(high, 0);
    ck_assert_uint_eq(ltr_arena_used(a), 0);
    ltr_arena_destroy(a);
}
END_TEST

/* F.max_pool2d(x, k, return_indices=True), torch's CPU rule: a later value takes over when
 * greater or NaN, so the first maximum wins and the last NaN does.
 * torch: x = [[1, 3, nan, 0, nan, 1], [3, 2, 5, 7, nan, 0]], k 2 -> [3, nan, nan], [1, 2, 10];
 *        [[nan, 1, 2], [nan, 0, 1], [0, 0, 0]], k 3 -> nan at index 3 */
START_TEST(max_pool_2x2_ties_and_nan) {
    /* which input each window picked: the gradient of sum(y) lands there (1, else 0) */
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 4, SHAPE(1, 1, 2, 6),
                             VALS(1, 3, NAN, 0, NAN, 1, 3, 2, 5, 7, NAN, 0));
    x->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *y = ltr_max_pool2d(C, x, 2, 2, 0);
    ck_assert_ptr_nonnull(y);
    ck_assert_double_eq(ltr_get(y, 0), 3);
    ck_assert(isnan(ltr_get(y, 1)) && isnan(ltr_get(y, 2)));
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, y)), LT_OK);
    /* the 3 at (0,1) wins over the 3 at (1,0); the NaN at 2; of two NaNs, the last (10) */
    for (int64_t i = 0; i < 12; i++)
        ck_assert_msg(ltr_get(x->grad, i) == (i == 1 || i == 2 || i == 10), "grad[%lld] = %g",
                      (long long)i, ltr_get(x->grad, i));
    lt_tensor *x3 = tensor_of(&E, LT_FLOAT64, 4, SHAPE(1, 1, 3, 3), VALS(NAN, 1, 2, NAN, 0, 1, 0, 0, 0));
    x3->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *y3 = ltr_max_pool2d(C, x3, 3, 3, 0); /* the general kernel */
    ck_assert(y3 && isnan(ltr_get(y3, 0)));
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, y3)), LT_OK);
    for (int64_t i = 0; i < 9; i++) ck_assert_double_eq(ltr_get(x3->grad, i), i == 3);
}
END_TEST

START_TEST(arena_mark_rewind) {
    ltr_arena *a = ltr_arena_create(4096);
    void *before = ltr_arena_alloc(a, 100);
    ltr_arena_mark m = ltr_arena_get_mark(a);
    size_t used = ltr_arena_used(a);
    void *in_scope = ltr_arena_alloc(a, 3000);
    for (int i = 0; i < 5; i++) ltr_arena_alloc(a, 5000); /* spills into new chunks */
    ltr_arena_rewind(a, m);
    ck_assert_uint_eq(ltr_arena_used(a), used);
    /* the next block is where the rewound ones began; the older one is untouched */
    ck_assert_ptr_eq(ltr_arena_alloc(a, 3000), in_scope);
    ck_assert_ptr_ne(before, in_scope);
    /* a mark taken before any allocation rewinds everything */
    ltr_arena *b = ltr_arena_create(4096);
    ltr_arena_mark m0 = ltr_arena_get_mark(b);
    void *p0 = ltr_arena_alloc(b, 10);
    ltr_arena_rewind(b, m0);
    ck_assert_uint_eq(ltr_arena_used(b), 0);
    ck_assert_ptr_eq(ltr_arena_alloc(b, 10), p0);
    ltr_arena_destroy(a);
    ltr_arena_destroy(b);
}
END_TEST

/* lt_set_grad_enabled / lt_scope_begin / lt_scope_end through the host API table */
START_TEST(grad_mode_and_scopes) {
    const lt_host_api *api = ltr_host_api();
    lt_tensor *w = leaf(&E, 2, SHAPE(4, 4), -1, 1);
    /* no_grad: nothing recorded; the previous mode comes back */
    ck_assert(api->set_grad_enabled(C, false));
    ck_assert_ptr_null(ltr_mul(C, w, w)->node);
    ck_assert(!api->set_grad_enabled(C, true));
    ck_assert_ptr_nonnull(ltr_mul(C, w, w)->node);

    size_t used = ltr_arena_used(E.arena);
    api->set_grad_enabled(C, false);
    void *outer = api->scope_begin(C);
    ck_assert_ptr_nonnull(outer);
    for (int i = 0; i < 100; i++) {
        void *inner = api->scope_begin(C);
        lt_tensor *y = ltr_relu(C, ltr_matmul(C, w, w));
        ck_assert_ptr_nonnull(y);
        ck_assert_int_eq(api->scope_end(C, inner), LT_OK);
    }
    ck_assert_int_eq(api->scope_end(C, outer), LT_OK);
    ck_assert_uint_eq(ltr_arena_used(E.arena), used); /* 100 loop bodies, no growth */
    ck_assert_int_eq(api->scope_end(C, outer), LT_ERROR); /* ended twice */
    expect_error("ended twice");

    /* a recorded op inside a scope keeps the scope from freeing its tensors */
    api->set_grad_enabled(C, true);
    void *sc = api->scope_begin(C);
    ltr_mul(C, w, w);
    ck_assert_int_eq(api->scope_end(C, sc), LT_ERROR);
    expect_error("recorded for backward");
}
END_TEST

START_TEST(kaiming_bounds) {
    E.ctx.params = &E.params;
    /* kaiming_uniform_(a=0): gain sqrt(2), bound sqrt(6 / fan_in); fan_in = 8 * 3 * 3 */
    lt_tensor *k = ltr_param(C, "conv", LT_FLOAT32, 4, SHAPE(4, 8, 3, 3));
    ltr_init_kaiming_uniform(C, k, 0.0);
    double bound = sqrt(6.0 / 72.0), mx = 0;
    for (int64_t i = 0; i < ltr_numel(k); i++) mx = fmax(mx, fabs(ltr_get(k, i)));
    ck_assert(mx <= bound && mx > 0.95 * bound);
    lt_tensor *v = ltr_param(C, "vec", LT_FLOAT32, 1, SHAPE(5));
    ltr_init_kaiming_uniform(C, v, 0.0);
    expect_error("at least 2 dimensions");
    ltr_init_constant(C, v, 0.25);
    expect_values(v, VALS(0.25, 0.25, 0.25, 0.25, 0.25), 5, 0);
    lt_tensor *nrm = ltr_param(C, "nrm", LT_FLOAT64, 1, SHAPE(4000));
    ltr_init_normal(C, nrm, 2.0, 0.5);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < 4000; i++) {
        s += ltr_get(nrm, i);
        s2 += ltr_get(nrm, i) * ltr_get(nrm, i);
    }
    double mean = s / 4000, sd = sqrt(s2 / 4000 - mean * mean);
    ck_assert(fabs(mean - 2.0) < 0.05 && fabs(sd - 0.5) < 0.05);
    ck_assert_ptr_null(ltr_param(C, "vec", LT_FLOAT32, 1, SHAPE(5)));
    expect_error("'vec'");
    ck_assert_ptr_null(ltr_param(C, "ints", LT_INT64, 1, SHAPE(5)));
    expect_error("float32 or float64");
    ltr_param_store_zero_grad(&E.params);
    E.ctx.params = NULL;
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
    tcase_add_test(tc, unary_values);
    tcase_add_test(tc, reshape_flatten);
    tcase_add_test(tc, errors_name_op_and_shapes);
    tcase_add_test(tc, arena_reuses_memory);
    tcase_add_test(tc, arena_mark_rewind);
    tcase_add_test(tc, max_pool_2x2_ties_and_nan);
    tcase_add_test(tc, grad_mode_and_scopes);
    tcase_add_test(tc, params_and_init);
    tcase_add_test(tc, init_is_seeded);
    tcase_add_test(tc, broadcasting_more);
    tcase_add_test(tc, matmul_forms);
    tcase_add_test(tc, linear_edge_shapes);
    tcase_add_test(tc, argmax_nan_and_dims);
    tcase_add_test(tc, cross_entropy_two_rows);
    tcase_add_test(tc, null_inputs_propagate);
    tcase_add_test(tc, tensor_accessors);
    tcase_add_test(tc, arena_steady_state);
    tcase_add_test(tc, kaiming_bounds);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
