/*
 * test_ops_reduce.c — the reductions (ops_reductions.c): finite-difference gradchecks in
 * float64 for sum/mean over dims, var/std, max/min along a dim and global, amax/amin,
 * logsumexp, softmax (random shapes, negative dims, keepdim); gradients through a
 * transposed (non-contiguous) leaf equal those of its contiguous copy; values against
 * numbers printed by torch 1.13 (ties, keepdim shapes, NaN, -inf rows, empty dims);
 * float32 paths; errors (bad dims, duplicates, empty max, int input) name the op.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

typedef struct { int dims[3]; int nd; bool keep; double corr; int op; } rarg;
enum { SUM, MEAN, VAR, STD, MAXD, MIND, MAXG, MING, AMAX, AMIN, LSE, SOFTMAX, GVAR, GSTD };

static lt_tensor *apply(lt_ctx *c, const lt_tensor *x, const rarg *a) {
    lt_tensor *idx = NULL;
    switch (a->op) {
    case SUM: return ltr_sum_dim(c, x, a->dims, a->nd, a->keep);
    case MEAN: return ltr_mean_dim(c, x, a->dims, a->nd, a->keep);
    case VAR: return ltr_var(c, x, a->dims[0], a->corr, a->keep);
    case STD: return ltr_std(c, x, a->dims[0], a->corr, a->keep);
    case GVAR: return ltr_var(c, x, LT_ALL_DIMS, a->corr, a->keep);
    case GSTD: return ltr_std(c, x, LT_ALL_DIMS, a->corr, a->keep);
    case MAXD: return ltr_max_dim(c, x, a->dims[0], a->keep, &idx);
    case MIND: return ltr_min_dim(c, x, a->dims[0], a->keep, NULL);
    case MAXG: return ltr_max(c, x);
    case MING: return ltr_min(c, x);
    case AMAX: return ltr_amax(c, x, a->dims[0], a->keep);
    case AMIN: return ltr_amin(c, x, a->dims[0], a->keep);
    case LSE: return ltr_logsumexp(c, x, a->dims[0], a->keep);
    case SOFTMAX: return ltr_softmax(c, x, a->dims[0]);
    }
    return NULL;
}
static lt_tensor *f_red(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, apply(c, in[0], a)); }

START_TEST(gradchecks) {
    static const rarg cases[] = {
        {{-1}, 1, false, 0, SUM}, {{0, 2}, 2, true, 0, SUM}, {{-3, -2}, 2, false, 0, SUM},
        {{0}, 0, false, 0, SUM}, {{1}, 1, true, 0, MEAN}, {{2, -3}, 2, false, 0, MEAN},
        {{1}, 1, false, 1, VAR}, {{-1}, 1, true, 0, VAR}, {{0}, 1, false, 1, STD},
        {{2}, 1, true, 0, STD}, {{0}, 1, false, 1, GVAR}, {{0}, 1, true, 0, GSTD},
        {{1}, 1, false, 0, MAXD}, {{-1}, 1, true, 0, MIND}, {{0}, 0, false, 0, MAXG},
        {{0}, 0, false, 0, MING}, {{-2}, 1, true, 0, AMAX}, {{0}, 1, false, 0, AMIN},
        {{1}, 1, false, 0, LSE}, {{-1}, 1, true, 0, LSE}, {{0}, 1, false, 0, SOFTMAX},
        {{-1}, 1, false, 0, SOFTMAX}, {{1}, 1, false, 0, SOFTMAX},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t shape[3] = {1 + (int64_t)(ltr_rng_uniform(&E.rng) * 3), 2 + (int64_t)(ltr_rng_uniform(&E.rng) * 3),
                            1 + (int64_t)(ltr_rng_uniform(&E.rng) * 4)};
        lt_tensor *in[1] = {leaf(&E, 3, shape, -2, 2)};
        char name[32];
        snprintf(name, sizeof name, "reduce case %zu", k);
        gradcheck(&E, name, f_red, in, 1, (void *)&cases[k]);
    }
}
END_TEST

/* gradient through a transposed leaf == gradient through its contiguous copy */
START_TEST(grad_noncontiguous) {
    static const rarg cases[] = {
        {{0}, 1, false, 0, SUM}, {{-1, 0}, 2, true, 0, MEAN}, {{1}, 1, false, 1, VAR},
        {{0}, 1, true, 0, STD}, {{1}, 1, false, 0, MAXD}, {{0}, 1, false, 0, AMIN},
        {{0}, 1, false, 0, LSE}, {{1}, 1, false, 0, SOFTMAX}, {{0}, 0, false, 1, GVAR},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lt_tensor *x = leaf(&E, 2, SHAPE(4, 3), -1, 1); /* storage of a [4, 3] */
        x->shape[0] = 3;
        x->shape[1] = 4;
        x->stride[0] = 1;
        x->stride[1] = 3; /* x = storage^T, [3, 4] */
        lt_tensor *xc = leaf(&E, 2, SHAPE(3, 4), 0, 0);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) ltr_set(xc, i * 4 + j, ltr_get(x, j * 3 + i));
        ltr_tape_reset(E.tape);
        ck_assert_int_eq(ltr_backward(C, f_red(C, &x, (void *)&cases[k])), LT_OK);
        ltr_tape_reset(E.tape);
        ck_assert_int_eq(ltr_backward(C, f_red(C, &xc, (void *)&cases[k])), LT_OK);
        ck_assert_ptr_nonnull(x->grad);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) {
                double g = x->grad->stride[0] == 1 ? ltr_get(x->grad, j * 3 + i) : ltr_get(x->grad, i * 4 + j);
                ck_assert_msg(fabs(g - ltr_get(xc->grad, i * 4 + j)) < 1e-12, "case %zu [%d,%d]", k, i, j);
                ck_assert(ltr_get(xc->grad, i * 4 + j) != 0 || cases[k].op == MAXD || cases[k].op == AMIN);
            }
    }
}
END_TEST

/* x = torch.tensor([((i*7)%11 - 5)/3 for i in range(24)]).reshape(2,3,4) */
static lt_tensor *xval(lt_dtype dt) {
    double v[24];
    for (int i = 0; i < 24; i++) v[i] = ((i * 7) % 11 - 5) / 3.0;
    return tensor_of(&E, dt, 3, SHAPE(2, 3, 4), v);
}

static void expect(const lt_tensor *t, const double *v, int64_t n, double tol) {
    check_values(C, t, v, n, tol, tol);
}
static void expect_i(const lt_tensor *t, const int64_t *v, int64_t n) {
    ck_assert_msg(t != NULL, "%s", E.ctx.error);
    ck_assert_int_eq(t->dtype, LT_INT64);
    ck_assert_int_eq(ltr_numel(t), n);
    for (int64_t i = 0; i < n; i++) ck_assert_int_eq(((const int64_t *)t->data)[i], v[i]);
}
static void expect_shape(const lt_tensor *t, int nd, const int64_t *s) {
    ck_assert_int_eq(t->ndim, nd);
    for (int i = 0; i < nd; i++) ck_assert_int_eq(t->shape[i], s[i]);
}

static void values_for(lt_dtype dt, double tol) {
    lt_tensor *x = xval(dt), *idx = NULL;
    /* torch.sum(x, dim=(-1, 0)) */
    lt_tensor *y = ltr_sum_dim(C, x, (int[]){-1, 0}, 2, false);
    expect(y, (double[]){2.0, -0.3333333333333335, -2.6666666666666665}, 3, tol);
    expect_shape(y, 1, SHAPE(3));
    /* torch.mean(x, dim=(0, 2), keepdim=True) */
    y = ltr_mean_dim(C, x, (int[]){0, 2}, 2, true);
    expect(y, (double[]){0.25, -0.041666666666666685, -0.3333333333333333}, 3, tol);
    expect_shape(y, 3, SHAPE(1, 3, 1));
    /* torch.var(x, 1) */
    y = ltr_var(C, x, 1, 1, false);
    expect(y, (double[]){1.1481481481481481, 1.1481481481481481, 1.1481481481481481, 2.777777777777778,
                         1.1481481481481481, 1.1481481481481481, 2.777777777777778, 1.148148148148148}, 8, tol);
    expect_shape(y, 2, SHAPE(2, 4));
    /* torch.std(x, -1, correction=0) */
    expect(ltr_std(C, x, -1, 0, false), (double[]){1.2692955176439846, 0.8333333333333334, 1.0374916331657276,
                                                    0.8333333333333334, 1.0374916331657276, 1.0374916331657276}, 6, tol);
    /* torch.var(x), torch.std(x) */
    y = ltr_var(C, x, LT_ALL_DIMS, 1, false);
    expect(y, (double[]){1.201086956521739}, 1, tol);
    ck_assert_int_eq(y->ndim, 0);
    y = ltr_std(C, x, LT_ALL_DIMS, 1, true);
    expect(y, (double[]){1.0959411282189109}, 1, tol);
    expect_shape(y, 3, SHAPE(1, 1, 1));
    /* v, i = torch.max(x, 1) */
    y = ltr_max_dim(C, x, 1, false, &idx);
    expect(y, (double[]){0.3333333333333333, 1.0, 1.3333333333333333, 1.6666666666666667, 1.0,
                         1.3333333333333333, 1.6666666666666667, 0.6666666666666666}, 8, tol);
    expect_i(idx, (int64_t[]){1, 2, 1, 0, 2, 1, 0, 2}, 8);
    /* v, i = torch.min(x, -1, keepdim=True) -> shape [2, 3, 1] */
    y = ltr_min_dim(C, x, -1, true, &idx);
    expect(y, (double[]){-1.6666666666666667, -1.0, -1.6666666666666667, -0.6666666666666666,
                         -1.3333333333333333, -1.6666666666666667}, 6, tol);
    expect_i(idx, (int64_t[]){0, 1, 3, 1, 3, 2}, 6);
    expect_shape(y, 3, SHAPE(2, 3, 1));
    expect_shape(idx, 3, SHAPE(2, 3, 1));
    /* torch.argmax(x, 0), torch.argmin(x, 2, keepdim=True) */
    expect_i(ltr_argmax_dim(C, x, 0, false), (int64_t[]){1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1}, 12);
    idx = ltr_argmin_dim(C, x, 2, true);
    expect_i(idx, (int64_t[]){0, 1, 3, 1, 3, 2}, 6);
    expect_shape(idx, 3, SHAPE(2, 3, 1));
    /* torch.logsumexp(x, 1) */
    expect(ltr_logsumexp(C, x, 1, false),
           (double[]){0.6141500576767317, 1.6161941000497482, 1.6141500576767316, 1.8692397664699238,
                      1.6161941000497482, 1.6141500576767316, 1.8692397664699238, 1.2828607667164147}, 8, tol);
    /* torch.softmax(x, -1) */
    expect(ltr_softmax(C, x, -1),
           (double[]){0.023774334836715046, 0.24516708653328007, 0.06462534237034334, 0.6664332362596614,
                      0.21283794752102717, 0.05610347384896802, 0.578553525152928, 0.15250505347707696,
                      0.06781007269696045, 0.6992749986447483, 0.18432688839863437, 0.04858804025965696,
                      0.21283794752102717, 0.05610347384896799, 0.578553525152928, 0.15250505347707694,
                      0.06781007269696045, 0.6992749986447483, 0.18432688839863437, 0.04858804025965698,
                      0.48789724534814616, 0.12860831756831792, 0.03390078444888714, 0.3495936526346487}, 24, tol);
    /* global max/min */
    expect(ltr_max(C, x), (double[]){1.6666666666666667}, 1, tol);
    expect(ltr_min(C, x), (double[]){-1.6666666666666667}, 1, tol);
    expect(ltr_amax(C, x, -1, false), (double[]){1.6666666666666667, 1.3333333333333333, 1.0,
                                                  1.6666666666666667, 1.3333333333333333, 1.0}, 6, tol);
}

START_TEST(values_float64) { values_for(LT_FLOAT64, 1e-12); }
END_TEST
START_TEST(values_float32) { values_for(LT_FLOAT32, 1e-6); }
END_TEST

/* the float32 backward kernels agree with float64 (1e-5) */
START_TEST(grad_float32) {
    static const rarg cases[] = {
        {{-1, 0}, 2, false, 0, SUM}, {{1}, 1, true, 0, MEAN}, {{1}, 1, false, 1, VAR},
        {{-1}, 1, false, 0, STD}, {{1}, 1, false, 0, MAXD}, {{0}, 0, false, 0, MING},
        {{2}, 1, false, 0, AMAX}, {{1}, 1, false, 0, LSE}, {{-1}, 1, false, 0, SOFTMAX},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lt_tensor *x[2] = {xval(LT_FLOAT64), xval(LT_FLOAT32)};
        for (int j = 0; j < 2; j++) {
            x[j]->flags |= LTR_T_REQUIRES_GRAD;
            ltr_tape_reset(E.tape);
            ck_assert_int_eq(ltr_backward(C, f_red(C, &x[j], (void *)&cases[k])), LT_OK);
        }
        ck_assert_int_eq(x[1]->grad->dtype, LT_FLOAT32);
        for (int i = 0; i < 24; i++)
            ck_assert_msg(fabs(ltr_get(x[0]->grad, i) - ltr_get(x[1]->grad, i)) < 1e-5, "case %zu [%d]", k, i);
    }
}
END_TEST

/* t = [[1,3,3],[2,2,0]] */
static lt_tensor *tie_leaf(void) {
    lt_tensor *t = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 3), (double[]){1, 3, 3, 2, 2, 0});
    t->flags |= LTR_T_REQUIRES_GRAD;
    return t;
}

START_TEST(ties_gradients) {
    lt_tensor *t = tie_leaf(), *idx = NULL;
    /* v, i = torch.max(t, 1); v.sum().backward() -> i [1, 0], grad [[0,1,0],[1,0,0]] */
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_max_dim(C, t, 1, false, &idx))), LT_OK);
    expect_i(idx, (int64_t[]){1, 0}, 2);
    expect(t->grad, (double[]){0, 1, 0, 1, 0, 0}, 6, 1e-15);
    /* torch.max(t).backward() -> [[0, .5, .5], [0, 0, 0]] */
    t = tie_leaf();
    ck_assert_int_eq(ltr_backward(C, ltr_max(C, t)), LT_OK);
    expect(t->grad, (double[]){0, 0.5, 0.5, 0, 0, 0}, 6, 1e-15);
    /* torch.amax(t, 1).sum().backward() -> [[0, .5, .5], [.5, .5, 0]] */
    t = tie_leaf();
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_amax(C, t, 1, false))), LT_OK);
    expect(t->grad, (double[]){0, 0.5, 0.5, 0.5, 0.5, 0}, 6, 1e-15);
    /* torch.min(t).backward() -> [[0,0,0],[0,0,1]] */
    t = tie_leaf();
    ck_assert_int_eq(ltr_backward(C, ltr_min(C, t)), LT_OK);
    expect(t->grad, (double[]){0, 0, 0, 0, 0, 1}, 6, 1e-15);
}
END_TEST

START_TEST(nan_inf_empty) {
    lt_tensor *n = tensor_of(&E, LT_FLOAT32, 2, SHAPE(2, 3), (double[]){1, NAN, 5, NAN, 2, NAN}), *idx;
    /* torch.max(n, 1) -> (nan, nan), (1, 0); torch.max(n) nan; torch.argmin(n, 1) -> (1, 0) */
    lt_tensor *v = ltr_max_dim(C, n, 1, false, &idx);
    ck_assert(isnan(ltr_get(v, 0)) && isnan(ltr_get(v, 1)));
    expect_i(idx, (int64_t[]){1, 0}, 2);
    ck_assert(isnan(ltr_get(ltr_max(C, n), 0)));
    expect_i(ltr_argmin_dim(C, n, 1, false), (int64_t[]){1, 0}, 2);
    /* torch.logsumexp([[-inf, -inf], [inf, 1]], 1) -> [-inf, inf] */
    lt_tensor *l = ltr_logsumexp(C, tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 2),
                                              (double[]){-INFINITY, -INFINITY, INFINITY, 1}), 1, false);
    ck_assert(isinf(ltr_get(l, 0)) && ltr_get(l, 0) < 0);
    ck_assert(isinf(ltr_get(l, 1)) && ltr_get(l, 1) > 0);
    /* torch.var(torch.tensor([3.])) -> nan */
    ck_assert(isnan(ltr_get(ltr_var(C, tensor_of(&E, LT_FLOAT64, 1, SHAPE(1), (double[]){3}), 0, 1, false), 0)));
    /* torch.sum(zeros(2, 0), 1) -> [0, 0]; torch.mean(...) -> [nan, nan] */
    lt_tensor *z = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 0), NULL);
    expect(ltr_sum_dim(C, z, (int[]){1}, 1, false), (double[]){0, 0}, 2, 0);
    ck_assert(isnan(ltr_get(ltr_mean_dim(C, z, (int[]){1}, 1, false), 1)));
    /* float32 sums accumulate in double: 1e6 ones + 1e-? -> exact */
    lt_tensor *big = ltr_empty(C, LT_FLOAT32, 2, SHAPE(1, 1 << 20));
    for (int64_t i = 0; i < (1 << 20); i++) ltr_set(big, i, 0.1);
    ck_assert_double_eq_tol(ltr_get(ltr_sum_dim(C, big, (int[]){-1}, 1, false), 0), 104857.6015625, 0.02);
}
END_TEST

/* the recorded error contains `needle` (and is cleared) */
static void expect_error(const char *needle) {
    char msg[1024];
    ck_assert_msg(ltr_ctx_take_error(&E.ctx, msg, sizeof msg), "expected an error with '%s'", needle);
    ck_assert_msg(strstr(msg, needle) != NULL, "'%s' not in '%s'", needle, msg);
}

START_TEST(errors) {
    lt_tensor *x = xval(LT_FLOAT64);
    ck_assert_ptr_null(ltr_sum_dim(C, x, (int[]){3}, 1, false));
    expect_error("lt_sum_dim: dim 3 is out of range");
    ck_assert_ptr_null(ltr_mean_dim(C, x, (int[]){1, -2}, 2, false));
    expect_error("appears multiple times");
    ck_assert_ptr_null(ltr_var(C, x, -4, 1, false));
    expect_error("lt_var");
    ck_assert_ptr_null(ltr_max_dim(C, x, 3, false, NULL));
    expect_error("lt_max_dim");
    ck_assert_ptr_null(ltr_softmax(C, x, -4));
    expect_error("lt_softmax");
    ck_assert_ptr_null(ltr_logsumexp(C, x, 5, false));
    expect_error("lt_logsumexp");
    ck_assert_ptr_null(ltr_argmin_dim(C, x, 3, true));
    expect_error("lt_argmin_dim");
    lt_tensor *z = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 0), NULL);
    ck_assert_ptr_null(ltr_amax(C, z, 1, false));
    expect_error("lt_amax");
    ck_assert_ptr_null(ltr_max(C, z));
    expect_error("lt_max");
    lt_tensor *i = ltr_empty(C, LT_INT64, 1, SHAPE(3));
    ck_assert_ptr_null(ltr_std(C, i, 0, 1, false));
    expect_error("lt_std");
    ck_assert_ptr_null(ltr_min(C, NULL));
    ck_assert(!ltr_ctx_take_error(&E.ctx, NULL, 0)); /* NULL input: silent */
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_reduce");
    TCase *tc = tcase_create("reduce");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, gradchecks);
    tcase_add_test(tc, grad_noncontiguous);
    tcase_add_test(tc, values_float64);
    tcase_add_test(tc, values_float32);
    tcase_add_test(tc, ties_gradients);
    tcase_add_test(tc, grad_float32);
    tcase_add_test(tc, nan_inf_empty);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
