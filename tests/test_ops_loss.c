/*
 * test_ops_loss.c — the pointwise losses (mse, l1, smooth_l1, huber,
 * binary_cross_entropy, binary_cross_entropy_with_logits): finite-difference gradchecks
 * for each reduction, weight and pos_weight, and through non-contiguous (transposed)
 * inputs; values against torch (expressions in comments); float32; error cases.
 */
#include "check_run.h"
#include "gradcheck.h"
#include "nn/nn.h"

#include <stdlib.h>

/* a scalar for gradcheck: reduced losses as they are, reduction "none" through weigh() */
static lt_tensor *to_scalar(lt_ctx *ctx, lt_tensor *out) {
    return out && out->ndim == 0 ? out : weigh(ctx, out);
}

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }

typedef struct { int kind; lt_reduction red; double param; } largs;

static lt_tensor *f_loss(lt_ctx *c, lt_tensor **in, void *a) {
    largs *la = a;
    const lt_tensor *x = in[0], *y = in[1];
    lt_tensor *w = in[2], *pw = in[3];
    switch (la->kind) {
    case 0: return to_scalar(c, ltr_mse_loss(c, x, y, la->red));
    case 1: return to_scalar(c, ltr_l1_loss(c, x, y, la->red));
    case 2: return to_scalar(c, ltr_smooth_l1_loss(c, x, y, la->red, la->param));
    case 3: return to_scalar(c, ltr_huber_loss(c, x, y, la->red, la->param));
    case 4: return to_scalar(c, ltr_binary_cross_entropy(c, x, y, w, la->red));
    case 5: return to_scalar(c, ltr_binary_cross_entropy_with_logits(c, x, y, w, pw, la->red));
    default: return to_scalar(c, ltr_kl_div(c, x, y, la->red, la->kind == 7));
    }
}

static void expect_error(lt_tensor *r, const char *op, const char *frag) {
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(E.ctx.error, op) != NULL && strstr(E.ctx.error, frag) != NULL, "error was: %s", E.ctx.error);
    ck_assert(ltr_ctx_take_error(&E.ctx, NULL, 0));
}

START_TEST(grad_losses) {
    int64_t s[2] = {3, 4}, sw[1] = {4};
    lt_reduction reds[4] = {LT_REDUCTION_NONE, LT_REDUCTION_MEAN, LT_REDUCTION_SUM, LT_REDUCTION_BATCHMEAN};
    for (int kind = 0; kind < 8; kind++)
        for (int r = 0; r < 4; r++)
            for (int withw = 0; withw < 2; withw++) {
                if ((withw && (kind < 4 || kind > 5)) || (r == 3 && kind < 6)) continue;
                lt_tensor *in[4];
                if (kind == 4) in[0] = leaf(&E, 2, s, 0.05, 0.95);
                else in[0] = leaf(&E, 2, s, -2, 2);
                in[1] = leaf(&E, 2, s, kind >= 4 && kind != 7 ? 0.05 : -2, kind >= 4 ? 1 : 2);
                in[2] = withw ? tensor_of(&E, LT_FLOAT64, 1, sw, (double[]){0.5, 2, 1, 0.3}) : NULL;
                in[3] = withw && kind == 5 ? tensor_of(&E, LT_FLOAT64, 1, sw, (double[]){3, 0.5, 1.5, 1}) : NULL;
                largs a = {kind, reds[r], kind == 2 ? 0.8 : 1.3};
                char what[64];
                snprintf(what, sizeof what, "loss %d red %d w %d", kind, r, withw);
                /* with |x - y| spread in [0, 4], beta 0.8 / delta 1.3 put points on both
                 * sides of the kink; none lands within 1e-6 of it */
                gradcheck(&E, what, f_loss, in, 2, &a);
            }
}
END_TEST

/* a transposed (non-contiguous) input: mse's gradient 2 (x - y) lands in x's logical order */
START_TEST(grad_strided_input) {
    int64_t s32[2] = {3, 2}, s23[2] = {2, 3};
    for (int kind = 0; kind < 6; kind++) {
        lt_tensor *x = leaf(&E, 2, s32, 0.1, 0.9);
        x->shape[0] = 2; x->shape[1] = 3; x->stride[0] = 1; x->stride[1] = 2;
        lt_tensor *xc = ltr_contiguous(&E.ctx.pub, x);
        lt_tensor *xl = tensor_of(&E, LT_FLOAT64, 2, s23, NULL);
        for (int i = 0; i < 6; i++) ltr_set(xl, i, ltr_get(xc, i));
        xl->flags |= LTR_T_REQUIRES_GRAD;
        lt_tensor *y = leaf(&E, 2, s23, 0, 1);
        y->flags &= ~LTR_T_REQUIRES_GRAD;
        largs a = {kind, LT_REDUCTION_SUM, 0.5};
        ltr_tape_reset(E.tape);
        lt_tensor *in1[4] = {x, y, NULL, NULL}, *in2[4] = {xl, y, NULL, NULL};
        ck_assert_int_eq(ltr_backward(&E.ctx.pub, f_loss(&E.ctx.pub, in1, &a)), LT_OK);
        ltr_tape_reset(E.tape);
        ck_assert_int_eq(ltr_backward(&E.ctx.pub, f_loss(&E.ctx.pub, in2, &a)), LT_OK);
        ck_assert_ptr_nonnull(x->grad);
        for (int i = 0; i < 6; i++)
            ck_assert_double_eq_tol(ltr_get(x->grad, i), ltr_get(xl->grad, i), 1e-12);
        if (kind == 0)
            for (int i = 0; i < 6; i++)
                ck_assert_double_eq_tol(ltr_get(x->grad, i), 2 * (ltr_get(xc, i) - ltr_get(y, i)), 1e-12);
    }
}
END_TEST

/* cross_entropy_ex / nll_loss: in[0] logits, in[1] target (int64 or probabilities) */
typedef struct { lt_cross_entropy_options o; bool nll; } ceargs;
static lt_tensor *f_ce(lt_ctx *c, lt_tensor **in, void *a) {
    ceargs *ca = a;
    if (ca->nll) {
        lt_nll_loss_options n = {ca->o.weight, ca->o.ignore_index, ca->o.reduction};
        return to_scalar(c, ltr_nll_loss(c, in[0], in[1], &n));
    }
    return to_scalar(c, ltr_cross_entropy_ex(c, in[0], in[1], &ca->o));
}

START_TEST(grad_cross_entropy_ex) {
    int64_t s2[2] = {5, 4}, s3[3] = {2, 4, 3}, n5[1] = {5}, n23[2] = {2, 3}, c4[1] = {4};
    lt_reduction reds[3] = {LT_REDUCTION_NONE, LT_REDUCTION_MEAN, LT_REDUCTION_SUM};
    lt_tensor *w = tensor_of(&E, LT_FLOAT64, 1, c4, (double[]){0.5, 2.0, 1.0, 0.3});
    for (int nll = 0; nll < 2; nll++)
        for (int r = 0; r < 3; r++)
            for (int withw = 0; withw < 2; withw++)
                for (int ls = 0; ls < 2; ls++) {
                    if (nll && ls) continue;
                    ceargs a = {LT_CROSS_ENTROPY_DEFAULTS, nll};
                    a.o.reduction = reds[r];
                    a.o.weight = withw ? w : NULL;
                    a.o.label_smoothing = ls ? 0.2 : 0;
                    char what[80];
                    snprintf(what, sizeof what, "%s red %d w %d ls %d", nll ? "nll" : "ce", r, withw, ls);
                    /* [N, C] with an ignored target; ignore_index 1 on the 3-d case */
                    lt_tensor *in[2] = {leaf(&E, 2, s2, -2, 2),
                                        tensor_of(&E, LT_INT64, 1, n5, (double[]){2, -100, 0, 3, 1})};
                    gradcheck(&E, what, f_ce, in, 2, &a);
                    a.o.ignore_index = 1;
                    lt_tensor *in3[2] = {leaf(&E, 3, s3, -2, 2),
                                         tensor_of(&E, LT_INT64, 2, n23, (double[]){3, 1, 0, 2, 2, 1})};
                    gradcheck(&E, what, f_ce, in3, 2, &a);
                    if (!nll) { /* probability targets: gradients for logits and target */
                        a.o.ignore_index = -100;
                        lt_tensor *pin[2] = {leaf(&E, 2, s2, -2, 2), leaf(&E, 2, s2, 0, 1)};
                        gradcheck(&E, what, f_ce, pin, 2, &a);
                    }
                }
}
END_TEST

static lt_tensor *t23(lt_dtype dt, const double *v) {
    int64_t s[2] = {2, 3};
    return tensor_of(&E, dt, 2, s, v);
}

START_TEST(values_vs_torch) {
    static const double X[] = {0.5, -1.2, 2.0, 0.1, 3.0, -0.4}, Y[] = {0.0, 1.0, 1.5, 0.2, -1.0, -0.5};
    static const double P[] = {0.2, 0.9, 0.0, 0.6, 1.0, 0.3}, T[] = {0, 1, 1, 1, 0, 0.5};
    lt_ctx *c = &E.ctx.pub;
    int64_t s3[1] = {3};
    for (int k = 0; k < 2; k++) {
        lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
        double tol = k ? 1e-5 : 1e-12;
        lt_tensor *x = t23(dt, X), *y = t23(dt, Y), *p = t23(dt, P), *t = t23(dt, T);
        lt_tensor *w = tensor_of(&E, dt, 1, s3, (double[]){0.5, 2.0, 1.0});
        lt_tensor *pw = tensor_of(&E, dt, 1, s3, (double[]){3.0, 0.5, 1.5});
        /* x, y, p, t, w, pw as above, dtype float64: torch.tensor([[...]]) */
        /* F.mse_loss(x,y) / reduction='sum' */
        ck_assert_double_eq_tol(ltr_get(ltr_mse_loss(c, x, y, LT_REDUCTION_MEAN), 0), 3.5600000000000005, tol * 4);
        ck_assert_double_eq_tol(ltr_get(ltr_mse_loss(c, x, y, LT_REDUCTION_SUM), 0), 21.360000000000003, tol * 21);
        /* F.l1_loss(x,y) */
        ck_assert_double_eq_tol(ltr_get(ltr_l1_loss(c, x, y, LT_REDUCTION_MEAN), 0), 1.2333333333333332, tol);
        /* F.smooth_l1_loss(x,y,beta=1.0); F.smooth_l1_loss(x,y,beta=0.5,reduction='sum') */
        ck_assert_double_eq_tol(ltr_get(ltr_smooth_l1_loss(c, x, y, LT_REDUCTION_MEAN, 1.0), 0), 0.91, tol);
        ck_assert_double_eq_tol(ltr_get(ltr_smooth_l1_loss(c, x, y, LT_REDUCTION_SUM, 0.5), 0), 6.22, tol * 6);
        /* F.huber_loss(x,y,delta=0.7) */
        ck_assert_double_eq_tol(ltr_get(ltr_huber_loss(c, x, y, LT_REDUCTION_MEAN, 0.7), 0), 0.6849999999999999, tol);
        /* F.binary_cross_entropy(p,t); ...(p,t,weight=w,reduction='sum'): log clamped at -100 */
        ck_assert_double_eq_tol(ltr_get(ltr_binary_cross_entropy(c, p, t, NULL, LT_REDUCTION_MEAN), 0), 33.60327559414506, tol * 34);
        ck_assert_double_eq_tol(ltr_get(ltr_binary_cross_entropy(c, p, t, w, LT_REDUCTION_SUM), 0), 301.35802949298807, tol * 300);
        /* F.binary_cross_entropy_with_logits(x,t); ...(x,t,weight=w,pos_weight=pw,reduction='sum') */
        ck_assert_double_eq_tol(ltr_get(ltr_binary_cross_entropy_with_logits(c, x, t, NULL, NULL, LT_REDUCTION_MEAN), 0), 1.1617144544347295, tol);
        ck_assert_double_eq_tol(ltr_get(ltr_binary_cross_entropy_with_logits(c, x, t, w, pw, LT_REDUCTION_SUM), 0), 10.145751734750325, tol * 10);
        /* reduction none keeps the shape: (x - y)^2 by hand */
        lt_tensor *n = ltr_mse_loss(c, x, y, LT_REDUCTION_NONE);
        ck_assert_int_eq(n->ndim, 2);
        ck_assert_int_eq(n->dtype, dt);
        for (int i = 0; i < 6; i++) ck_assert_double_eq_tol(ltr_get(n, i), (X[i] - Y[i]) * (X[i] - Y[i]), tol * 16);
    }
    {
        lt_tensor *x = t23(LT_FLOAT64, X), *p = t23(LT_FLOAT64, P);
        /* F.kl_div(x, p), F.kl_div(x, p, reduction='batchmean'): p has a 0 (adds 0) */
        ck_assert_double_eq_tol(ltr_get(ltr_kl_div(c, x, p, LT_REDUCTION_MEAN, false), 0), -0.5073998770227065, 1e-12);
        ck_assert_double_eq_tol(ltr_get(ltr_kl_div(c, x, p, LT_REDUCTION_BATCHMEAN, false), 0), -1.5221996310681196, 1e-12);
        /* F.kl_div(x, x*0.3, reduction='sum', log_target=True) */
        lt_tensor *x3 = t23(LT_FLOAT64, (double[]){0.15, -0.36, 0.6, 0.03, 0.9, -0.12});
        ck_assert_double_eq_tol(ltr_get(ltr_kl_div(c, x, x3, LT_REDUCTION_SUM, true), 0), -7.360520820127482, 1e-12);
        lt_tensor *x32 = t23(LT_FLOAT32, X), *p32 = t23(LT_FLOAT32, P);
        ck_assert_double_eq_tol(ltr_get(ltr_kl_div(c, x32, p32, LT_REDUCTION_MEAN, false), 0), -0.5073998770227065, 1e-5);
        expect_error(ltr_mse_loss(c, x, p, LT_REDUCTION_BATCHMEAN), "lt_mse_loss", "reduction");
    }
    /* stable form: F.binary_cross_entropy_with_logits(tensor([100.,-100.]), tensor([0.,1.])) = 100 */
    int64_t s2[1] = {2};
    lt_tensor *bx = tensor_of(&E, LT_FLOAT32, 1, s2, (double[]){100, -100});
    lt_tensor *by = tensor_of(&E, LT_FLOAT32, 1, s2, (double[]){0, 1});
    ck_assert_double_eq_tol(ltr_get(ltr_binary_cross_entropy_with_logits(c, bx, by, NULL, NULL, LT_REDUCTION_MEAN), 0), 100.0, 1e-4);
}
END_TEST

START_TEST(cross_entropy_values) {
    lt_ctx *c = &E.ctx.pub;
    int64_t s34[2] = {3, 4}, n3[1] = {3}, c4[1] = {4}, s143[3] = {1, 4, 3}, s13[2] = {1, 3};
    static const double X[] = {0.5, -1.2, 2.0, 0.3, 0.1, 3.0, -0.4, 1.1, -0.7, 0.2, 0.9, -1.5};
    /* p = torch.softmax(torch.tensor([[1.,0,2,0.5],[0,0,0,1],[2,1,0,0]]), 1) */
    static const double P[] = {0.21309730428862375, 0.07839411721683971, 0.5792585299413737,
                               0.12925004855316274, 0.17487770452710943, 0.17487770452710943,
                               0.17487770452710943, 0.4753668864186717, 0.6102956854136231,
                               0.22451523569930604, 0.08259453944353537, 0.08259453944353537};
    for (int k = 0; k < 2; k++) {
        lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
        double tol = k ? 1e-5 : 1e-12;
        lt_tensor *x = tensor_of(&E, dt, 2, s34, X), *p = tensor_of(&E, dt, 2, s34, P);
        lt_tensor *t = tensor_of(&E, LT_INT64, 1, n3, (double[]){2, -100, 0});
        lt_tensor *t2 = tensor_of(&E, LT_INT64, 1, n3, (double[]){2, 1, 0});
        lt_tensor *w = tensor_of(&E, dt, 1, c4, (double[]){0.5, 2.0, 1.0, 0.3});
        lt_cross_entropy_options o = LT_CROSS_ENTROPY_DEFAULTS;
        /* F.cross_entropy(x, t2) */
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, t2, NULL), 0), 0.921478921643856, tol);
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy(c, x, t2), 0), 0.921478921643856, tol);
        /* F.cross_entropy(x, t2, weight=w, label_smoothing=0.2) */
        o.weight = w;
        o.label_smoothing = 0.2;
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, t2, &o), 0), 0.7231029151700701, tol);
        /* F.cross_entropy(x, t, weight=w, label_smoothing=0.2): t has -100 */
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, t, &o), 0), 1.2518338064968066, tol);
        /* F.cross_entropy(x, p, weight=w, label_smoothing=0.1) */
        o.label_smoothing = 0.1;
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, p, &o), 0), 1.279106370053131, tol);
        /* F.cross_entropy(x, p) */
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, p, NULL), 0), 1.7638187526769433, tol);
        /* F.cross_entropy(x, t, reduction='sum') */
        o = LT_CROSS_ENTROPY_DEFAULTS;
        o.reduction = LT_REDUCTION_SUM;
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x, t, &o), 0), 2.550967774233224, tol);
        /* F.cross_entropy(x, t, weight=w, reduction='none') */
        o.reduction = LT_REDUCTION_NONE;
        o.weight = w;
        lt_tensor *nn = ltr_cross_entropy_ex(c, x, t, &o);
        ck_assert_int_eq(nn->ndim, 1);
        ck_assert_double_eq_tol(ltr_get(nn, 0), 0.36919930736901835, tol);
        ck_assert_double_eq_tol(ltr_get(nn, 1), 0.0, tol);
        ck_assert_double_eq_tol(ltr_get(nn, 2), 1.090884233432103, tol);
        /* F.nll_loss(x, t2, weight=w); F.nll_loss(x, t, reduction='sum') */
        lt_nll_loss_options no = LT_NLL_LOSS_DEFAULTS;
        no.weight = w;
        ck_assert_double_eq_tol(ltr_get(ltr_nll_loss(c, x, t2, &no), 0), -2.185714285714286, tol);
        no = LT_NLL_LOSS_DEFAULTS;
        no.reduction = LT_REDUCTION_SUM;
        ck_assert_double_eq_tol(ltr_get(ltr_nll_loss(c, x, t, &no), 0), -1.3, tol);
        /* x3 = (torch.arange(12.).reshape(1,4,3).sin()*2); F.cross_entropy(x3, [[3,0,1]], weight=w) */
        lt_tensor *x3 = tensor_of(&E, dt, 3, s143, NULL);
        for (int i = 0; i < 12; i++) ltr_set(x3, i, sin((double)i) * 2);
        o = LT_CROSS_ENTROPY_DEFAULTS;
        o.weight = w;
        ck_assert_double_eq_tol(ltr_get(ltr_cross_entropy_ex(c, x3, tensor_of(&E, LT_INT64, 2, s13, (double[]){3, 0, 1}), &o), 0),
                                3.430698882859677, tol);
    }
    /* all targets ignored: mean is 0/0 = nan, as torch */
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 2, s34, X);
    lt_tensor *ti = tensor_of(&E, LT_INT64, 1, n3, (double[]){-100, -100, -100});
    ck_assert(isnan(ltr_get(ltr_cross_entropy_ex(c, x, ti, NULL), 0)));
    /* errors name the op and the bad value / shapes */
    expect_error(ltr_cross_entropy_ex(c, x, tensor_of(&E, LT_INT64, 1, n3, (double[]){0, 4, 1}), NULL),
                 "lt_cross_entropy_ex", "target 4 at index 1");
    expect_error(ltr_nll_loss(c, x, tensor_of(&E, LT_INT64, 1, n3, (double[]){0, -3, 1}), NULL),
                 "lt_nll_loss", "target -3");
    expect_error(ltr_cross_entropy_ex(c, x, tensor_of(&E, LT_INT64, 1, c4, NULL), NULL),
                 "lt_cross_entropy_ex", "[4]");
    expect_error(ltr_cross_entropy_ex(c, x, tensor_of(&E, LT_FLOAT64, 1, c4, NULL), NULL),
                 "lt_cross_entropy_ex", "probabilities");
    lt_cross_entropy_options o = LT_CROSS_ENTROPY_DEFAULTS;
    o.weight = tensor_of(&E, LT_FLOAT64, 1, n3, NULL);
    expect_error(ltr_cross_entropy_ex(c, x, ti, &o), "lt_cross_entropy_ex", "weight");
    o = LT_CROSS_ENTROPY_DEFAULTS;
    o.label_smoothing = 1.5;
    expect_error(ltr_cross_entropy_ex(c, x, ti, &o), "lt_cross_entropy_ex", "label_smoothing");
}
END_TEST

START_TEST(errors) {
    lt_ctx *c = &E.ctx.pub;
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s2[1] = {2};
    lt_tensor *a = tensor_of(&E, LT_FLOAT64, 2, s23, NULL), *b = tensor_of(&E, LT_FLOAT64, 2, s32, NULL);
    expect_error(ltr_mse_loss(c, a, b, LT_REDUCTION_MEAN), "lt_mse_loss", "same shape");
    lt_tensor *f = tensor_of(&E, LT_FLOAT32, 2, s23, NULL);
    expect_error(ltr_l1_loss(c, a, f, LT_REDUCTION_MEAN), "lt_l1_loss", "dtypes differ");
    lt_tensor *i = tensor_of(&E, LT_INT64, 2, s23, NULL);
    expect_error(ltr_huber_loss(c, i, i, LT_REDUCTION_MEAN, 1.0), "lt_huber_loss", "float");
    expect_error(ltr_huber_loss(c, a, a, LT_REDUCTION_MEAN, 0.0), "lt_huber_loss", "delta");
    expect_error(ltr_smooth_l1_loss(c, a, a, (lt_reduction)7, 1.0), "lt_smooth_l1_loss", "reduction");
    lt_tensor *p = tensor_of(&E, LT_FLOAT64, 2, s23, (double[]){0.1, 0.2, 1.5, 0.3, 0.4, 0.5});
    expect_error(ltr_binary_cross_entropy(c, p, a, NULL, LT_REDUCTION_MEAN), "lt_binary_cross_entropy", "1.5");
    lt_tensor *w = tensor_of(&E, LT_FLOAT64, 1, s2, NULL);
    expect_error(ltr_binary_cross_entropy_with_logits(c, a, a, NULL, w, LT_REDUCTION_MEAN),
                 "lt_binary_cross_entropy_with_logits", "pos_weight");
    ck_assert_ptr_null(ltr_mse_loss(c, NULL, a, LT_REDUCTION_MEAN));
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_loss");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grad_losses);
    tcase_add_test(tc, grad_strided_input);
    tcase_add_test(tc, values_vs_torch);
    tcase_add_test(tc, grad_cross_entropy_ex);
    tcase_add_test(tc, cross_entropy_values);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
