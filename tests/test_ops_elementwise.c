/*
 * test_ops_elementwise.c — the issue-3 elementwise family: div, pow (tensor and scalar),
 * add/mul by a scalar, clamp, maximum/minimum (ties split), where, masked_fill,
 * comparisons (float and int64), leaky_relu, gelu (erf and tanh), silu, softplus, elu,
 * to(dtype), zeros/ones/full/arange/rand/randn, and all of them through the SDK wrappers. Gradients against finite differences
 * in float64 (broadcasting both ways, a transposed input), values against numbers
 * computed with PyTorch (the expression is given with each), errors, float32.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static void expect(const lt_tensor *t, const double *v, int64_t n, double tol) {
    check_values(C, t, v, n, tol, 0);
}

static void expect_error(lt_tensor *t, const char *op) {
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(E.ctx.error, op) != NULL, "error '%s' does not name %s", E.ctx.error, op);
    E.ctx.failed = false;
    E.ctx.error[0] = 0;
}

typedef lt_tensor *(*bin_fn)(lt_ctx *, const lt_tensor *, const lt_tensor *);
static lt_tensor *f_bin(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ((bin_fn)a)(c, in[0], in[1])); }

START_TEST(grad_binary) {
    bin_fn fns[4] = {ltr_div, ltr_pow, ltr_maximum, ltr_minimum};
    const char *names[4] = {"div", "pow", "maximum", "minimum"};
    for (int k = 0; k < 4; k++) {
        /* positive bases for pow, divisors away from 0; distinct values (no ties) */
        lt_tensor *same[2] = {leaf(&E, 2, SHAPE(3, 4), 0.5, 2), leaf(&E, 2, SHAPE(3, 4), 0.5, 2)};
        gradcheck(&E, names[k], f_bin, same, 2, (void *)fns[k]);
        lt_tensor *cross[2] = {leaf(&E, 2, SHAPE(3, 1), 0.5, 2), leaf(&E, 2, SHAPE(1, 4), 0.5, 2)};
        gradcheck(&E, names[k], f_bin, cross, 2, (void *)fns[k]);
        lt_tensor *row[2] = {leaf(&E, 3, SHAPE(2, 3, 4), 0.5, 2), leaf(&E, 1, SHAPE(4), 0.5, 2)};
        gradcheck(&E, names[k], f_bin, row, 2, (void *)fns[k]);
        lt_tensor *sc[2] = {leaf(&E, 0, NULL, 0.5, 2), leaf(&E, 2, SHAPE(2, 3), 0.5, 2)};
        gradcheck(&E, names[k], f_bin, sc, 2, (void *)fns[k]);
    }
}
END_TEST

/* x: a float64 leaf [3, 2] turned in place into its transpose [2, 3] (strides 1, 2) */
static lt_tensor *transposed_leaf(void) {
    lt_tensor *x = leaf(&E, 2, SHAPE(3, 2), 0.5, 2);
    x->shape[0] = 2; x->shape[1] = 3; x->stride[0] = 1; x->stride[1] = 2;
    return x;
}

START_TEST(grad_noncontiguous) {
    /* gradcheck perturbs contiguous inputs only, so the gradients through a strided
     * (transposed) input are checked against their closed forms */
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 1, SHAPE(3), (double[]){2, 4, 8});
    b->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *x = transposed_leaf();
    lt_tensor *y = ltr_div(C, x, b);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq_tol(ltr_get(y, i * 3 + j), ((double *)x->data)[j * 2 + i] / ltr_get(b, j), 1e-15);
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, y)), LT_OK);
    ck_assert_ptr_nonnull(x->grad);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) /* d sum(x / b) / dx[i, j] = 1 / b[j] */
            ck_assert_double_eq_tol(ltr_get(x->grad, i * 3 + j), 1 / ltr_get(b, j), 1e-12);
    /* d / db[j] = -sum_i x[i, j] / b[j]^2 */
    for (int j = 0; j < 3; j++) {
        double s = ((double *)x->data)[j * 2] + ((double *)x->data)[j * 2 + 1];
        ck_assert_double_eq_tol(ltr_get(b->grad, j), -s / (ltr_get(b, j) * ltr_get(b, j)), 1e-12);
    }
    /* a pointwise op (silu) and where on the strided input: d silu = s (1 + x (1 - s)) */
    ltr_tape_reset(E.tape);
    x = transposed_leaf();
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, ltr_silu(C, x))), LT_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            double xv = ((double *)x->data)[j * 2 + i], s = 1 / (1 + exp(-xv));
            ck_assert_double_eq_tol(ltr_get(x->grad, i * 3 + j), s * (1 + xv * (1 - s)), 1e-12);
        }
    ltr_tape_reset(E.tape);
    x = transposed_leaf();
    lt_tensor *cond = tensor_of(&E, LT_BOOL, 1, SHAPE(3), (double[]){1, 0, 1});
    lt_tensor *w = ltr_where(C, cond, x, tensor_of(&E, LT_FLOAT64, 0, NULL, (double[]){0}));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq(ltr_get(w, i * 3 + j), j == 1 ? 0 : ((double *)x->data)[j * 2 + i]);
    ck_assert_int_eq(ltr_backward(C, ltr_sum(C, w)), LT_OK);
    for (int i = 0; i < 6; i++) ck_assert_double_eq(ltr_get(x->grad, i), i % 3 == 1 ? 0 : 1);
}
END_TEST

typedef struct pw_case {
    const char *name;
    int kind;
    double p0, p1;
} pw_case;

static lt_tensor *apply_pw(lt_ctx *c, const lt_tensor *x, const pw_case *k) {
    switch (k->kind) {
    case 0: return ltr_add_scalar(c, x, k->p0);
    case 1: return ltr_mul_scalar(c, x, k->p0);
    case 2: return ltr_pow_scalar(c, x, k->p0);
    case 3: return ltr_clamp(c, x, k->p0, k->p1);
    case 4: return ltr_leaky_relu(c, x, k->p0);
    case 5: return ltr_elu(c, x, k->p0);
    case 6: return ltr_softplus(c, x, k->p0, k->p1);
    case 7: return ltr_silu(c, x);
    case 8: return ltr_gelu(c, x, LT_GELU_NONE);
    case 9: return ltr_gelu(c, x, LT_GELU_TANH);
    default: return ltr_to(c, ltr_to(c, x, LT_FLOAT32), LT_FLOAT64);
    }
}
static lt_tensor *f_pw(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, apply_pw(c, in[0], a)); }

START_TEST(grad_pointwise) {
    pw_case cases[] = {{"add_scalar", 0, 2.5, 0}, {"mul_scalar", 1, -1.5, 0}, {"pow_scalar", 2, 2.7, 0},
                       {"pow_scalar int", 2, 3, 0}, {"clamp", 3, -0.7, 0.6}, {"clamp min only", 3, -0.3, INFINITY},
                       {"leaky_relu", 4, 0.01, 0}, {"elu", 5, 1.3, 0}, {"softplus", 6, 1, 20},
                       {"softplus beta 2 threshold 1", 6, 2, 1}, {"silu", 7, 0, 0}, {"gelu", 8, 0, 0},
                       {"gelu tanh", 9, 0, 0}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        bool pos = cases[k].kind == 2;
        lt_tensor *x = leaf(&E, 2, SHAPE(3, 4), pos ? 0.5 : -2, 2);
        /* keep away from kinks (0; clamp bounds; softplus threshold 0.5 for beta 2 t 1) */
        for (int64_t i = 0; i < 12; i++) {
            double v = ltr_get(x, i);
            if (fabs(v) < 0.05 || fabs(v - cases[k].p0) < 0.05 || fabs(v - cases[k].p1) < 0.05 ||
                fabs(v - 0.5) < 0.05)
                ltr_set(x, i, v + 0.11);
        }
        lt_tensor *in[1] = {x};
        gradcheck(&E, cases[k].name, f_pw, in, 1, &cases[k]);
    }
    /* to(float32) and back: the gradient converts back (identity up to rounding) */
    lt_tensor *x = leaf(&E, 2, SHAPE(2, 3), -1, 1);
    ltr_tape_reset(E.tape);
    lt_tensor *y = ltr_sum(C, ltr_to(C, ltr_mul_scalar(C, ltr_to(C, x, LT_FLOAT32), 3), LT_FLOAT64));
    ck_assert_int_eq(ltr_backward(C, y), LT_OK);
    for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(ltr_get(x->grad, i), 3, 1e-6);
}
END_TEST

/* where and masked_fill: the condition broadcasts too */
static lt_tensor *f_where(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_where(c, a, in[0], in[1])); }
static lt_tensor *f_masked(lt_ctx *c, lt_tensor **in, void *a) { return weigh(c, ltr_masked_fill(c, in[0], a, 7.5)); }

START_TEST(grad_where_masked_fill) {
    lt_tensor *cond = tensor_of(&E, LT_BOOL, 2, SHAPE(3, 1), (double[]){1, 0, 1});
    lt_tensor *in[2] = {leaf(&E, 2, SHAPE(1, 4), -1, 1), leaf(&E, 2, SHAPE(3, 4), -1, 1)};
    gradcheck(&E, "where", f_where, in, 2, cond);
    lt_tensor *cu8 = tensor_of(&E, LT_UINT8, 1, SHAPE(4), (double[]){0, 1, 1, 0});
    lt_tensor *in2[2] = {leaf(&E, 2, SHAPE(3, 4), -1, 1), leaf(&E, 0, NULL, -1, 1)};
    gradcheck(&E, "where uint8 scalar b", f_where, in2, 2, cu8);
    lt_tensor *mask = tensor_of(&E, LT_BOOL, 2, SHAPE(2, 1), (double[]){0, 1});
    lt_tensor *in3[1] = {leaf(&E, 2, SHAPE(2, 3), -1, 1)};
    gradcheck(&E, "masked_fill", f_masked, in3, 1, mask);
    /* values: masked_fill broadcasting x [3] against mask [2, 3] (torch's out-of-place form) */
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 1, SHAPE(3), (double[]){1, 2, 3});
    lt_tensor *m = tensor_of(&E, LT_BOOL, 2, SHAPE(2, 3), (double[]){1, 0, 0, 0, 0, 1});
    lt_tensor *r = ltr_masked_fill(C, x, m, -1);
    ck_assert_int_eq(r->ndim, 2);
    expect(r, (double[]){-1, 2, 3, 1, 2, -1}, 6, 0);
    /* where on int64 values */
    lt_tensor *ia = tensor_of(&E, LT_INT64, 1, SHAPE(3), (double[]){1, 2, 3});
    lt_tensor *ib = tensor_of(&E, LT_INT64, 1, SHAPE(3), (double[]){-1, -2, -3});
    lt_tensor *w = ltr_where(C, tensor_of(&E, LT_BOOL, 1, SHAPE(3), (double[]){0, 1, 0}), ia, ib);
    ck_assert_int_eq(w->dtype, LT_INT64);
    expect(w, (double[]){-1, 2, -3}, 3, 0);
}
END_TEST

START_TEST(values_vs_torch) {
    double xv[6] = {-2, -0.5, 0, 0.5, 3, 25};
    for (int f32 = 0; f32 < 2; f32++) {
        lt_dtype dt = f32 ? LT_FLOAT32 : LT_FLOAT64;
        double tol = f32 ? 1e-5 : 1e-10;
        lt_tensor *x = tensor_of(&E, dt, 1, SHAPE(6), xv);
        x->flags |= LTR_T_REQUIRES_GRAD;
        struct { int kind; double p0, p1; double y[6], g[6]; } c[] = {
            /* F.leaky_relu(x, 0.01), x = [-2, -0.5, 0, 0.5, 3, 25] (float64); grads from .sum().backward() */
            {4, 0.01, 0, {-0.02, -0.005, 0, 0.5, 3, 25}, {0.01, 0.01, 0.01, 1, 1, 1}},
            /* F.gelu(x) */
            {8, 0, 0, {-0.0455002638964, -0.154268769363, 0, 0.345731230637, 2.99595030591, 25},
             {-0.0852318010782, 0.132504875344, 0.5, 0.867495124656, 1.0119456472, 1}},
            /* F.gelu(x, approximate='tanh') */
            {9, 0, 0, {-0.0454023059122, -0.154285990175, 0, 0.345714009825, 2.99636260792, 25},
             {-0.0860992566236, 0.132630096465, 0.5, 0.867369903535, 1.01158416663, 1}},
            /* F.silu(x) */
            {7, 0, 0, {-0.238405844044, -0.188770334399, 0, 0.311229665601, 2.85772238047, 24.9999999997},
             {-0.0907842487849, 0.260038812697, 0.5, 0.739961187303, 1.08810410602, 1.00000000033}},
            /* F.softplus(x) (beta 1, threshold 20) */
            {6, 1, 20, {0.126928011043, 0.47407698418, 0.69314718056, 0.97407698418, 3.04858735157, 25},
             {0.119202922022, 0.377540668798, 0.5, 0.622459331202, 0.952574126822, 1}},
            /* F.elu(x) (alpha 1): the gradient at 0 is alpha */
            {5, 1, 0, {-0.864664716763, -0.393469340287, 0, 0.5, 3, 25},
             {0.135335283237, 0.606530659713, 1, 1, 1, 1}},
            /* x.clamp(-0.5, 0.5): the gradient passes at the bounds */
            {3, -0.5, 0.5, {-0.5, -0.5, 0, 0.5, 0.5, 0.5}, {0, 1, 1, 1, 0, 0}},
        };
        for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
            ltr_tape_reset(E.tape);
            x->grad = NULL;
            pw_case pc = {"", c[k].kind, c[k].p0, c[k].p1};
            lt_tensor *y = apply_pw(C, x, &pc);
            ck_assert_int_eq(y->dtype, dt);
            expect(y, c[k].y, 6, tol * (1 + 25 * (k == 3)));
            ck_assert_int_eq(ltr_backward(C, ltr_sum(C, y)), LT_OK);
            expect(x->grad, c[k].g, 6, tol);
        }
        /* F.softplus(x, beta=2, threshold=5) */
        expect(ltr_softplus(C, x, 2, 5),
               (double[]){0.0090749639589, 0.156630843759, 0.34657359028, 0.656630843759, 3, 25}, 6, tol);
        /* a = [[1,2,3],[4,5,6]], b = [2,2,0.5]; torch.div/pow/maximum/minimum(a, b), and
         * a.grad, b.grad after .sum().backward() (maximum/minimum: ties at a == b split) */
        double av[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {2, 2, 0.5};
        struct { bin_fn f; double y[6], ga[6], gb[3]; } bc[] = {
            {ltr_div, {0.5, 1, 6, 2, 2.5, 12}, {0.5, 0.5, 2, 0.5, 0.5, 2}, {-1.25, -1.75, -36}},
            {ltr_pow, {1, 4, 1.73205080757, 16, 25, 2.44948974278},
             {2, 4, 0.288675134595, 8, 10, 0.204124145232}, {22.1807097779, 43.0085365331, 6.2917487432}},
            {ltr_maximum, {2, 2, 3, 4, 5, 6}, {0, 0.5, 1, 1, 1, 1}, {1, 0.5, 0}},
            {ltr_minimum, {1, 2, 0.5, 2, 2, 0.5}, {1, 0.5, 0, 0, 0, 0}, {1, 1.5, 2}},
        };
        for (size_t k = 0; k < 4; k++) {
            lt_tensor *a = tensor_of(&E, dt, 2, SHAPE(2, 3), av), *b = tensor_of(&E, dt, 1, SHAPE(3), bv);
            a->flags |= LTR_T_REQUIRES_GRAD;
            b->flags |= LTR_T_REQUIRES_GRAD;
            ltr_tape_reset(E.tape);
            lt_tensor *y = bc[k].f(C, a, b);
            expect(y, bc[k].y, 6, tol * 10);
            ck_assert_int_eq(ltr_backward(C, ltr_sum(C, y)), LT_OK);
            expect(a->grad, bc[k].ga, 6, tol * 10);
            expect(b->grad, bc[k].gb, 3, tol * 10);
        }
    }
    /* hand cases: pow_scalar(x, 0) has gradient 0 (even at x = 0); NaN propagates */
    lt_tensor *z = tensor_of(&E, LT_FLOAT64, 1, SHAPE(2), (double[]){0, NAN});
    expect(ltr_pow_scalar(C, z, 0), (double[]){1, 1}, 2, 0);
    lt_tensor *mx = ltr_maximum(C, z, tensor_of(&E, LT_FLOAT64, 1, SHAPE(2), (double[]){1, 1}));
    ck_assert_double_eq(ltr_get(mx, 0), 1);
    ck_assert(isnan(ltr_get(mx, 1)));
    ck_assert(isnan(ltr_get(ltr_clamp(C, z, -1, 1), 1)));
    /* clamp with min > max gives max (torch) */
    ck_assert_double_eq(ltr_get(ltr_clamp(C, z, 2, 1), 0), 1);
}
END_TEST

START_TEST(comparisons) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, NAN});
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 1, SHAPE(3), (double[]){2, 2, 2});
    bin_fn fns[6] = {ltr_eq, ltr_ne, ltr_lt, ltr_le, ltr_gt, ltr_ge};
    /* a == b etc. with a = [[1,2,3],[4,5,nan]], b = [2,2,2] (NaN compares false except !=) */
    double want[6][6] = {{0, 1, 0, 0, 0, 0}, {1, 0, 1, 1, 1, 1}, {1, 0, 0, 0, 0, 0},
                         {1, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 1, 0}, {0, 1, 1, 1, 1, 0}};
    for (int k = 0; k < 6; k++) {
        lt_tensor *r = fns[k](C, a, b);
        ck_assert_int_eq(r->dtype, LT_BOOL);
        ck_assert_int_eq(r->ndim, 2);
        expect(r, want[k], 6, 0);
    }
    /* int64 labels vs argmax-style predictions, broadcast [3,1] vs [2] -> [3,2] */
    lt_tensor *i = tensor_of(&E, LT_INT64, 2, SHAPE(3, 1), (double[]){0, 1, 7});
    lt_tensor *j = tensor_of(&E, LT_INT64, 1, SHAPE(2), (double[]){1, 7});
    expect(ltr_eq(C, i, j), (double[]){0, 0, 1, 0, 0, 1}, 6, 0);
    expect(ltr_lt(C, i, j), (double[]){1, 1, 0, 1, 0, 0}, 6, 0);
    /* float32 and int32 */
    lt_tensor *f = tensor_of(&E, LT_FLOAT32, 1, SHAPE(2), (double[]){0.1, 0.2});
    expect(ltr_ge(C, f, tensor_of(&E, LT_FLOAT32, 0, NULL, (double[]){0.15})), (double[]){0, 1}, 2, 0);
    lt_tensor *k32 = tensor_of(&E, LT_INT32, 1, SHAPE(2), (double[]){-3, 3});
    expect(ltr_gt(C, k32, tensor_of(&E, LT_INT32, 1, SHAPE(1), (double[]){0})), (double[]){0, 1}, 2, 0);
    /* no gradient recorded */
    lt_tensor *g = leaf(&E, 1, SHAPE(3), -1, 1);
    ck_assert(!(ltr_eq(C, g, g)->flags & LTR_T_REQUIRES_GRAD));
}
END_TEST

START_TEST(conversion_and_creation) {
    /* torch.tensor([-1.7, -0.2, 0, 0.5, 2.9]).to(torch.int64) -> [-1, 0, 0, 0, 2]; .to(bool) -> [T,T,F,T,T] */
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 1, SHAPE(5), (double[]){-1.7, -0.2, 0, 0.5, 2.9});
    lt_tensor *i = ltr_to(C, x, LT_INT64);
    ck_assert_int_eq(i->dtype, LT_INT64);
    expect(i, (double[]){-1, 0, 0, 0, 2}, 5, 0);
    expect(ltr_to(C, x, LT_BOOL), (double[]){1, 1, 0, 1, 1}, 5, 0);
    expect(ltr_to(C, ltr_to(C, x, LT_BOOL), LT_FLOAT32), (double[]){1, 1, 0, 1, 1}, 5, 0);
    expect(ltr_to(C, i, LT_INT32), (double[]){-1, 0, 0, 0, 2}, 5, 0);
    expect(ltr_to(C, x, LT_FLOAT32), (double[]){-1.7, -0.2, 0, 0.5, 2.9}, 5, 1e-6);
    /* a mask from a comparison, used as float weights */
    lt_tensor *w = ltr_to(C, ltr_gt(C, x, tensor_of(&E, LT_FLOAT64, 0, NULL, (double[]){0})), LT_FLOAT64);
    expect(w, (double[]){0, 0, 0, 1, 1}, 5, 0);

    expect(ltr_zeros_op(C, LT_INT64, 2, SHAPE(2, 2)), (double[]){0, 0, 0, 0}, 4, 0);
    expect(ltr_ones(C, LT_FLOAT32, 1, SHAPE(3)), (double[]){1, 1, 1}, 3, 0);
    lt_tensor *fl = ltr_full(C, LT_FLOAT64, 2, SHAPE(1, 2), -2.5);
    ck_assert_int_eq(fl->ndim, 2);
    expect(fl, (double[]){-2.5, -2.5}, 2, 0);
    /* torch.arange(0, 5) -> [0..4] int64; torch.arange(1, 2, 0.3) -> [1, 1.3, 1.6, 1.9];
     * torch.arange(5, 0, -2) -> [5, 3, 1] */
    lt_tensor *ar = ltr_arange(C, 0, 5, 1, LT_INT64);
    ck_assert_int_eq(ar->dtype, LT_INT64);
    expect(ar, (double[]){0, 1, 2, 3, 4}, 5, 0);
    expect(ltr_arange(C, 1, 2, 0.3, LT_FLOAT64), (double[]){1, 1.3, 1.6, 1.9}, 4, 1e-12);
    expect(ltr_arange(C, 5, 0, -2, LT_INT64), (double[]){5, 3, 1}, 3, 0);
    ck_assert_int_eq(ltr_numel(ltr_arange(C, 3, 3, 1, LT_INT64)), 0);

    /* rand / randn: same seed -> same numbers; rand in [0, 1); randn roughly N(0, 1) */
    ltr_rng_seed(&E.rng, 7);
    lt_tensor *r1 = ltr_rand(C, LT_FLOAT64, 1, SHAPE(1000));
    ltr_rng_seed(&E.rng, 7);
    lt_tensor *r2 = ltr_rand(C, LT_FLOAT64, 1, SHAPE(1000));
    double mean = 0;
    for (int k = 0; k < 1000; k++) {
        ck_assert_double_eq(ltr_get(r1, k), ltr_get(r2, k));
        ck_assert(ltr_get(r1, k) >= 0 && ltr_get(r1, k) < 1);
        mean += ltr_get(r1, k) / 1000;
    }
    ck_assert_double_eq_tol(mean, 0.5, 0.05);
    lt_tensor *n = ltr_randn(C, LT_FLOAT32, 2, SHAPE(100, 100));
    ck_assert_int_eq(n->dtype, LT_FLOAT32);
    double m = 0, v = 0;
    for (int k = 0; k < 10000; k++) m += ltr_get(n, k) / 10000;
    for (int k = 0; k < 10000; k++) v += (ltr_get(n, k) - m) * (ltr_get(n, k) - m) / 10000;
    ck_assert_double_eq_tol(m, 0, 0.05);
    ck_assert_double_eq_tol(v, 1, 0.05);
    ck_assert(!(n->flags & LTR_T_REQUIRES_GRAD));
}
END_TEST

START_TEST(errors) {
    lt_tensor *a = tensor_of(&E, LT_FLOAT64, 2, SHAPE(2, 3), NULL);
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 1, SHAPE(4), NULL);
    lt_tensor *f32 = tensor_of(&E, LT_FLOAT32, 1, SHAPE(3), NULL);
    lt_tensor *i64 = tensor_of(&E, LT_INT64, 1, SHAPE(3), NULL);
    expect_error(ltr_div(C, a, b), "lt_div");
    expect_error(ltr_pow(C, a, f32), "lt_pow");
    expect_error(ltr_maximum(C, i64, i64), "lt_maximum");
    expect_error(ltr_minimum(C, a, b), "lt_minimum");
    expect_error(ltr_eq(C, a, b), "lt_eq");
    expect_error(ltr_lt(C, a, i64), "lt_lt");
    expect_error(ltr_where(C, a, a, a), "lt_where");                       /* float cond */
    expect_error(ltr_where(C, ltr_gt(C, a, a), a, b), "lt_where");        /* shapes */
    expect_error(ltr_where(C, ltr_gt(C, a, a), a, f32), "lt_where");      /* dtypes */
    expect_error(ltr_masked_fill(C, a, a, 0), "lt_masked_fill");
    expect_error(ltr_masked_fill(C, b, ltr_gt(C, a, a), 0), "lt_masked_fill");
    expect_error(ltr_leaky_relu(C, i64, 0.01), "lt_leaky_relu");
    expect_error(ltr_gelu(C, a, (lt_gelu_approximate)5), "lt_gelu");
    expect_error(ltr_clamp(C, a, NAN, 1), "lt_clamp");
    expect_error(ltr_silu(C, i64), "lt_silu");
    expect_error(ltr_to(C, a, (lt_dtype)42), "lt_to");
    expect_error(ltr_arange(C, 0, 5, 0, LT_INT64), "lt_arange");
    expect_error(ltr_arange(C, 5, 0, 1, LT_INT64), "lt_arange");
    expect_error(ltr_full(C, LT_FLOAT64, 1, SHAPE(-1), 0), "lt_full");
    expect_error(ltr_rand(C, LT_INT64, 1, SHAPE(2)), "lt_rand");
    /* NULL inputs: NULL back, no new error */
    ck_assert_ptr_null(ltr_div(C, NULL, a));
    ck_assert_ptr_null(ltr_where(C, NULL, a, a));
    ck_assert_ptr_null(ltr_gelu(C, NULL, LT_GELU_NONE));
    ck_assert(!E.ctx.failed);
}
END_TEST

/* The SDK path a plugin takes: lt_* wrappers through the host API table */
START_TEST(through_sdk) {
    E.ctx.pub.api = ltr_host_api();
    lt_ctx *c = C;
    lt_tensor *x = lt_arange(c, -2, 2, 1, LT_FLOAT64);                 /* [-2, -1, 0, 1] */
    lt_tensor *m = lt_lt(c, x, lt_zeros(c, LT_FLOAT64, 0, NULL));     /* x < 0 */
    lt_tensor *y = lt_where(c, m, lt_mul_scalar(c, x, 0.5), lt_add_scalar(c, x, 1));
    expect(y, (double[]){-1, -0.5, 1, 2}, 4, 0);
    expect(lt_masked_fill(c, x, m, 9), (double[]){9, 9, 0, 1}, 4, 0);
    expect(lt_clamp(c, x, -INFINITY, 0), (double[]){-2, -1, 0, 0}, 4, 0);
    expect(lt_div(c, x, lt_full(c, LT_FLOAT64, 1, SHAPE(1), 2)), (double[]){-1, -0.5, 0, 0.5}, 4, 0);
    expect(lt_pow(c, lt_ones(c, LT_FLOAT64, 1, SHAPE(4)), x), (double[]){1, 1, 1, 1}, 4, 0);
    expect(lt_pow_scalar(c, x, 2), (double[]){4, 1, 0, 1}, 4, 0);
    expect(lt_maximum(c, x, lt_zeros(c, LT_FLOAT64, 0, NULL)), (double[]){0, 0, 0, 1}, 4, 0);
    expect(lt_minimum(c, x, lt_zeros(c, LT_FLOAT64, 0, NULL)), (double[]){-2, -1, 0, 0}, 4, 0);
    expect(lt_to(c, lt_ge(c, x, x), LT_INT64), (double[]){1, 1, 1, 1}, 4, 0);
    expect(lt_eq(c, x, x), (double[]){1, 1, 1, 1}, 4, 0);
    expect(lt_ne(c, x, x), (double[]){0, 0, 0, 0}, 4, 0);
    expect(lt_le(c, x, x), (double[]){1, 1, 1, 1}, 4, 0);
    expect(lt_gt(c, x, x), (double[]){0, 0, 0, 0}, 4, 0);
    expect(lt_leaky_relu(c, x, 0.01), (double[]){-0.02, -0.01, 0, 1}, 4, 1e-15);
    expect(lt_elu(c, x, 1), (double[]){exp(-2) - 1, exp(-1) - 1, 0, 1}, 4, 1e-15);
    expect(lt_silu(c, x), (double[]){-2 / (1 + exp(2)), -1 / (1 + exp(1)), 0, 1 / (1 + exp(-1))}, 4, 1e-15);
    expect(lt_softplus(c, x, 1, 20), (double[]){log1p(exp(-2)), log1p(exp(-1)), log(2), log1p(exp(1))}, 4, 1e-15);
    expect(lt_gelu(c, x, LT_GELU_NONE), (double[]){-2 * 0.5 * (1 + erf(-2 / sqrt(2))),
                                                   -0.5 * (1 + erf(-1 / sqrt(2))), 0, 0.5 * (1 + erf(1 / sqrt(2)))}, 4, 1e-15);
    ck_assert_int_eq(ltr_numel(lt_rand(c, LT_FLOAT32, 1, SHAPE(3))), 3);
    ck_assert_int_eq(ltr_numel(lt_randn(c, LT_FLOAT64, 1, SHAPE(3))), 3);
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_elementwise");
    TCase *tc = tcase_create("elementwise");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, grad_binary);
    tcase_add_test(tc, grad_noncontiguous);
    tcase_add_test(tc, grad_pointwise);
    tcase_add_test(tc, grad_where_masked_fill);
    tcase_add_test(tc, values_vs_torch);
    tcase_add_test(tc, comparisons);
    tcase_add_test(tc, conversion_and_creation);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, through_sdk);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
