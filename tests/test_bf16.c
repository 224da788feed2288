/*
 * test_bf16.c — bfloat16 storage: c10::BFloat16's round-to-nearest-even on known bit
 * patterns, the bulk converters against the scalar rule, lt_to both ways with its
 * gradient, linear / matmul (batched, broadcast, transposed views) with float32
 * accumulation against a float64 reference of the same bf16 inputs, gradient
 * accumulation, shape ops keeping the bits, and every other op refusing bf16 by name.
 */
#include "check_run.h"
#include "gradcheck.h"
#include "tensor/bf16.h"

#include <float.h>
#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static void expect_error(const char *needle) {
    char msg[1024];
    ck_assert_msg(ltr_ctx_take_error(&E.ctx, msg, sizeof msg), "expected an error with '%s'", needle);
    ck_assert_msg(strstr(msg, needle) != NULL, "error '%s' lacks '%s'", msg, needle);
}

/* a random bf16 tensor (values exactly representable), and its float64 twin */
static lt_tensor *rand_bf16(int nd, const int64_t *shape, bool grad) {
    lt_tensor *t = ltr_empty(C, LT_BFLOAT16, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, 2 * ltr_rng_uniform(&E.rng) - 1);
    if (grad) t->flags |= LTR_T_REQUIRES_GRAD;
    return t;
}

/* |got - want| within one bf16 rounding of want (plus float32 accumulation noise) */
static void expect_close_bf16(const lt_tensor *got, const double *want, int64_t n) {
    ck_assert_int_eq(got->dtype, LT_BFLOAT16);
    ck_assert_int_eq(ltr_numel(got), n);
    for (int64_t i = 0; i < n; i++) {
        double g = ltr_get(got, i), tol = fabs(want[i]) * (1.0 / 256) + 1e-6;
        ck_assert_msg(fabs(g - want[i]) <= tol, "element %lld: %.9g vs %.9g", (long long)i, g, want[i]);
    }
}

START_TEST(rounding_bits) {
    /* c10::BFloat16(float) bits: ties to even, NaN quiet, overflow to inf, signs kept */
    ck_assert_uint_eq(ltr_bf16_from_float(1.0f), 0x3F80);
    ck_assert_uint_eq(ltr_bf16_from_float(1.0f + 0x1p-8f), 0x3F80);          /* tie -> even */
    ck_assert_uint_eq(ltr_bf16_from_float(1.0f + 3 * 0x1p-8f), 0x3F82);      /* tie -> even */
    ck_assert_uint_eq(ltr_bf16_from_float(1.0f + 0x1p-8f + 0x1p-20f), 0x3F81); /* above: up */
    ck_assert_uint_eq(ltr_bf16_from_float(-2.5f), 0xC020);
    ck_assert_uint_eq(ltr_bf16_from_float(-0.0f), 0x8000);
    ck_assert_uint_eq(ltr_bf16_from_float(-INFINITY), 0xFF80);
    ck_assert_uint_eq(ltr_bf16_from_float(NAN), 0x7FC0);
    ck_assert_uint_eq(ltr_bf16_from_float(FLT_MAX), 0x7F80);
    ck_assert_uint_eq(ltr_bf16_from_float(0x1p-133f), 0x0001); /* subnormals kept */
    ck_assert(ltr_bf16_to_float(0x3F81) == 1.0f + 0x1p-7f);
    /* the bulk loops (threaded above 128K elements) agree with the scalar rule on
     * arbitrary bit patterns, NaN payloads included */
    int64_t n = 300000;
    float *f = malloc((size_t)n * sizeof *f), *back = malloc((size_t)n * sizeof *back);
    uint16_t *h = malloc((size_t)n * sizeof *h);
    ck_assert(f && back && h);
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(ltr_rng_next(&E.rng) >> 32);
        memcpy(&f[i], &u, sizeof u);
    }
    ltr_bf16_round_f32(h, f, n);
    ltr_bf16_widen_f32(back, h, n);
    for (int64_t i = 0; i < n; i++) {
        ck_assert_uint_eq(h[i], ltr_bf16_from_float(f[i]));
        ck_assert(memcmp(&back[i], &(float){ltr_bf16_to_float(h[i])}, sizeof(float)) == 0);
    }
    free(f), free(back), free(h);
}
END_TEST

START_TEST(to_and_its_gradient) {
    lt_tensor *x = ltr_empty(C, LT_FLOAT32, 1, SHAPE(4));
    const double v[4] = {1.0 + 0x1p-8, 3.14159265, -1e-3, 65504.0};
    for (int i = 0; i < 4; i++) ltr_set(x, i, v[i]);
    x->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *h = ltr_to(C, x, LT_BFLOAT16);
    ck_assert_int_eq(h->dtype, LT_BFLOAT16);
    /* torch.tensor([...]).bfloat16(): 1.0, 3.140625, -0.00099945068359375, 65536.0 */
    const double want[4] = {1.0, 3.140625, -0.00099945068359375, 65536.0};
    for (int i = 0; i < 4; i++) ck_assert(ltr_get(h, i) == want[i]);
    /* the gradient of x.bfloat16().float() * w is w rounded to bf16 (the cast's backward) */
    lt_tensor *w = ltr_empty(C, LT_FLOAT32, 1, SHAPE(4));
    const double wv[4] = {1.0 + 0x1p-8 + 0x1p-20, 0.1, -7.0, 2.0};
    for (int i = 0; i < 4; i++) ltr_set(w, i, wv[i]);
    lt_tensor *y = ltr_sum(C, ltr_mul(C, ltr_to(C, h, LT_FLOAT32), w));
    ck_assert_int_eq(ltr_backward(C, y), LT_OK);
    for (int i = 0; i < 4; i++)
        ck_assert(ltr_get(x->grad, i) == ltr_bf16_to_float(ltr_bf16_from_float((float)wv[i])));
    /* ints and bools go through float; filling and arange take bf16 too */
    lt_tensor *ints = ltr_to(C, ltr_arange(C, 0, 4, 1, LT_INT64), LT_BFLOAT16);
    for (int i = 0; i < 4; i++) ck_assert(ltr_get(ints, i) == i);
    lt_tensor *full = ltr_full(C, LT_BFLOAT16, 1, SHAPE(3), 0.1);
    for (int i = 0; i < 3; i++) ck_assert_uint_eq(((uint16_t *)full->data)[i], 0x3DCD);
    lt_tensor *back = ltr_to(C, full, LT_INT64);
    ck_assert(ltr_get(back, 0) == 0);
}
END_TEST

/* float64 reference of y = x W^T + b on the bf16 values */
static void linear_ref(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b, int64_t m,
                       int64_t in, int64_t out, double *y) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < out; j++) {
            double s = b ? ltr_get(b, j) : 0;
            for (int64_t k = 0; k < in; k++) s += ltr_get(x, i * in + k) * ltr_get(w, j * in + k);
            y[i * out + j] = s;
        }
}

/* out > 256 crosses the bias-gradient sum's column blocks (cpu_sum_rows) */
static const int64_t linear_shapes[][3] = {{7, 37, 5}, {3, 4, 300}};

START_TEST(linear_forward_backward) {
    const int64_t m = linear_shapes[_i][0], in = linear_shapes[_i][1], out = linear_shapes[_i][2];
    lt_tensor *x = rand_bf16(2, SHAPE(m, in), true), *w = rand_bf16(2, SHAPE(out, in), true);
    lt_tensor *b = rand_bf16(1, SHAPE(out), true);
    lt_tensor *y = ltr_linear(C, x, w, b);
    ck_assert_ptr_nonnull(y);
    double *ref = malloc(sizeof(double) * (size_t)(m * out));
    linear_ref(x, w, b, m, in, out, ref);
    expect_close_bf16(y, ref, m * out);
    /* loss = sum(y * g) with a fixed bf16 g: dx = g W, dW = g^T x, db = column sums of g */
    lt_tensor *g = rand_bf16(2, SHAPE(m, out), false);
    lt_tensor *yg = ltr_to(C, y, LT_FLOAT32);
    lt_tensor *loss = ltr_sum(C, ltr_mul(C, yg, ltr_to(C, g, LT_FLOAT32)));
    ck_assert_int_eq(ltr_backward(C, loss), LT_OK);
    double *dx = malloc(sizeof(double) * (size_t)(m * in));
    double *dw = malloc(sizeof(double) * (size_t)(out * in));
    double *db = malloc(sizeof(double) * (size_t)out);
    for (int64_t i = 0; i < m; i++)
        for (int64_t k = 0; k < in; k++) {
            double s = 0;
            for (int64_t j = 0; j < out; j++) s += ltr_get(g, i * out + j) * ltr_get(w, j * in + k);
            dx[i * in + k] = s;
        }
    for (int64_t j = 0; j < out; j++) {
        db[j] = 0;
        for (int64_t i = 0; i < m; i++) db[j] += ltr_get(g, i * out + j);
        for (int64_t k = 0; k < in; k++) {
            double s = 0;
            for (int64_t i = 0; i < m; i++) s += ltr_get(g, i * out + j) * ltr_get(x, i * in + k);
            dw[j * in + k] = s;
        }
    }
    expect_close_bf16(x->grad, dx, m * in);
    expect_close_bf16(w->grad, dw, out * in);
    expect_close_bf16(b->grad, db, out);
    free(ref);
    free(dx);
    free(dw);
    free(db);
}
END_TEST

START_TEST(matmul_batched_views_and_accumulation) {
    /* a [2,1,3,4] @ b^T where b is [5,4] stored as [4,5] transposed: [2,1,3,5]... via
     * broadcasting against a [3,4,5] right operand */
    lt_tensor *a = rand_bf16(4, SHAPE(2, 1, 3, 4), true);
    lt_tensor *bt = rand_bf16(3, SHAPE(3, 5, 4), true);
    lt_tensor *b = ltr_transpose(C, bt, 1, 2); /* [3,4,5], a transposed view */
    lt_tensor *c = ltr_matmul(C, a, b);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->ndim, 4);
    ck_assert_int_eq(c->shape[1], 3);
    double ref[2 * 3 * 3 * 5];
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 3; q++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++) {
                    double s = 0;
                    for (int k = 0; k < 4; k++)
                        s += ltr_get(a, (p * 3 + i) * 4 + k) * ltr_get(bt, (q * 5 + j) * 4 + k);
                    ref[((p * 3 + q) * 3 + i) * 5 + j] = s;
                }
    expect_close_bf16(c, ref, 90);
    /* a used twice: its bf16 gradient accumulates (d/da sum(a @ b) twice) */
    lt_tensor *x = rand_bf16(2, SHAPE(3, 4), true), *wt = rand_bf16(2, SHAPE(4, 2), false);
    lt_tensor *s = ltr_add(C, ltr_to(C, ltr_matmul(C, x, wt), LT_FLOAT32),
                           ltr_to(C, ltr_matmul(C, x, wt), LT_FLOAT32));
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, s)), LT_OK);
    double gx[12];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) gx[i * 4 + k] = 2 * (ltr_get(wt, k * 2) + ltr_get(wt, k * 2 + 1));
    expect_close_bf16(x->grad, gx, 12);
}
END_TEST

START_TEST(shape_ops_keep_bits) {
    lt_tensor *x = rand_bf16(2, SHAPE(3, 4), false);
    lt_tensor *t = ltr_contiguous(C, ltr_transpose(C, x, 0, 1));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            ck_assert_uint_eq(((uint16_t *)t->data)[j * 3 + i], ((uint16_t *)x->data)[i * 4 + j]);
    const lt_tensor *parts[2] = {x, x};
    lt_tensor *cat = ltr_cat(C, parts, 2, 0);
    ck_assert(!memcmp((uint16_t *)cat->data + 12, x->data, 12 * sizeof(uint16_t)));
    lt_tensor *idx = ltr_arange(C, 2, -1, -1, LT_INT64); /* [2, 1, 0] */
    lt_tensor *sel = ltr_index_select(C, x, 0, idx);
    ck_assert(!memcmp(sel->data, (uint16_t *)x->data + 8, 4 * sizeof(uint16_t)));
    lt_tensor *e = ltr_contiguous(C, ltr_expand(C, ltr_unsqueeze(C, x, 0), 3, SHAPE(2, 3, 4)));
    ck_assert(!memcmp((uint16_t *)e->data + 12, x->data, 12 * sizeof(uint16_t)));
}
END_TEST

START_TEST(other_ops_refuse_bf16) {
    lt_tensor *x = rand_bf16(1, SHAPE(4), false);
    ck_assert_ptr_null(ltr_sigmoid(C, x));
    expect_error("lt_sigmoid: bfloat16 is not supported");
    ck_assert_ptr_null(ltr_sum(C, x));
    expect_error("lt_to(ctx, x, LT_FLOAT32)");
    ck_assert_ptr_null(ltr_add(C, x, x));
    expect_error("bfloat16");
    ck_assert_ptr_null(ltr_eq(C, x, x));
    expect_error("lt_eq: bfloat16");
    ck_assert_ptr_null(ltr_masked_fill(C, x, ltr_gt(C, ltr_to(C, x, LT_FLOAT32), ltr_to(C, x, LT_FLOAT32)), 0));
    expect_error("lt_masked_fill: bfloat16");
    lt_tensor *f = ltr_empty(C, LT_FLOAT32, 2, SHAPE(4, 4));
    ck_assert_ptr_null(ltr_matmul(C, x, f));
    expect_error("dtypes differ");
}
END_TEST

int main(void) {
    Suite *s = suite_create("bf16");
    TCase *tc = tcase_create("bf16");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rounding_bits);
    tcase_add_test(tc, to_and_its_gradient);
    tcase_add_loop_test(tc, linear_forward_backward, 0, 2);
    tcase_add_test(tc, matmul_batched_views_and_accumulation);
    tcase_add_test(tc, shape_ops_keep_bits);
    tcase_add_test(tc, other_ops_refuse_bf16);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
