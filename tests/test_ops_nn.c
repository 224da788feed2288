/*
 * test_ops_nn.c — "nn": batch_norm (train/eval, 2-D and 4-D, running stats),
 * layer_norm, group_norm, dropout, embedding: finite-difference gradient checks in
 * float64, values against PyTorch (numbers pasted from torch 2.x, expressions in the
 * comments), float32 paths, error cases; buffers (lt_buffer) and the nn layer helpers.
 */
#include "check_run.h"
#include "gradcheck.h"
#include "optim/optimizer.h"
#include "nn/nn.h"

#include <stdlib.h>

static test_env E;
static void setup(void) {
    env_init(&E);
    E.ctx.params = &E.params;
}
static void teardown(void) { env_free(&E); }

static void expect_values(const lt_tensor *t, const double *v, int64_t n, double tol) {
    check_values(&E.ctx.pub, t, v, n, tol, tol);
}

static void expect_error(const char *needle) {
    ck_assert_msg(E.ctx.failed, "expected an error containing '%s'", needle);
    ck_assert_msg(strstr(E.ctx.error, needle) != NULL, "error '%s' lacks '%s'", E.ctx.error, needle);
    ltr_ctx_take_error(&E.ctx, NULL, 0);
}

/* ------------------------------------------------------------------ gradchecks */

static lt_tensor *f_bn_train(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_batch_norm(c, in[0], NULL, NULL, in[1], in[2], true, 0.1, 1e-5));
}
static lt_tensor *f_bn_eval(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_batch_norm(c, in[0], in[3], in[4], in[1], in[2], false, 0.1, 1e-5));
}
START_TEST(grad_batch_norm) {
    int64_t s2[2] = {5, 3}, s4[4] = {3, 2, 2, 3}, c3[1] = {3}, c2[1] = {2};
    lt_tensor *in[5] = {leaf(&E, 2, s2, -2, 2), leaf(&E, 1, c3, 0.5, 1.5), leaf(&E, 1, c3, -1, 1)};
    gradcheck(&E, "batch_norm train 2-D", f_bn_train, in, 3, NULL);
    in[3] = tensor_of(&E, LT_FLOAT64, 1, c3, (double[]){0.1, -0.2, 0.3});
    in[4] = tensor_of(&E, LT_FLOAT64, 1, c3, (double[]){0.5, 1.5, 2.0});
    gradcheck(&E, "batch_norm eval 2-D", f_bn_eval, in, 5, NULL);
    lt_tensor *in4[5] = {leaf(&E, 4, s4, -2, 2), leaf(&E, 1, c2, 0.5, 1.5), leaf(&E, 1, c2, -1, 1)};
    gradcheck(&E, "batch_norm train 4-D", f_bn_train, in4, 3, NULL);
    in4[3] = tensor_of(&E, LT_FLOAT64, 1, c2, (double[]){0.1, -0.2});
    in4[4] = tensor_of(&E, LT_FLOAT64, 1, c2, (double[]){0.5, 1.5});
    gradcheck(&E, "batch_norm eval 4-D", f_bn_eval, in4, 5, NULL);
    /* no affine: x only */
    lt_tensor *in3[3] = {leaf(&E, 2, (int64_t[]){4, 2}, -1, 1), NULL, NULL};
    gradcheck(&E, "batch_norm train no affine", f_bn_train, in3, 1, NULL);
}
END_TEST

static lt_tensor *f_ln1(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_layer_norm(c, in[0], 1, in[1], in[2], 1e-5));
}
static lt_tensor *f_ln2(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_layer_norm(c, in[0], 2, in[1], in[2], 1e-5));
}
static lt_tensor *f_gn(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_group_norm(c, in[0], 2, in[1], in[2], 1e-5));
}

START_TEST(grad_layer_group_norm) {
    lt_tensor *in[3] = {leaf(&E, 2, (int64_t[]){3, 4}, -2, 2), leaf(&E, 1, (int64_t[]){4}, 0.5, 1.5),
                        leaf(&E, 1, (int64_t[]){4}, -1, 1)};
    gradcheck(&E, "layer_norm last dim", f_ln1, in, 3, NULL);
    lt_tensor *in2[3] = {leaf(&E, 3, (int64_t[]){2, 3, 4}, -2, 2),
                         leaf(&E, 2, (int64_t[]){3, 4}, 0.5, 1.5), leaf(&E, 2, (int64_t[]){3, 4}, -1, 1)};
    gradcheck(&E, "layer_norm last 2 dims", f_ln2, in2, 3, NULL);
    lt_tensor *in3[3] = {leaf(&E, 3, (int64_t[]){2, 4, 3}, -2, 2), leaf(&E, 1, (int64_t[]){4}, 0.5, 1.5),
                         leaf(&E, 1, (int64_t[]){4}, -1, 1)};
    gradcheck(&E, "group_norm", f_gn, in3, 3, NULL);
    lt_tensor *in4[3] = {leaf(&E, 4, (int64_t[]){2, 4, 2, 2}, -2, 2), NULL, NULL};
    gradcheck(&E, "group_norm 4-D no affine", f_gn, in4, 1, NULL);
}
END_TEST

/* A non-contiguous (transposed) leaf gets the same gradient as a contiguous leaf with
 * the same logical values. which: 0 batch_norm train, 1 layer_norm, 2 group_norm. */
static void strided_matches_contiguous(int which) {
    lt_ctx *c = &E.ctx.pub;
    lt_tensor *xs = leaf(&E, 2, (int64_t[]){3, 4}, -2, 2); /* storage [3, 4] */
    xs->shape[0] = 4, xs->shape[1] = 3, xs->stride[0] = 1, xs->stride[1] = 4; /* [4, 3] view */
    lt_tensor *xc = ltr_contiguous(c, xs);
    lt_tensor *x2 = ltr_empty_like(c, xc);
    for (int64_t i = 0; i < 12; i++) ltr_set(x2, i, ltr_get(xc, i));
    x2->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *xin[2] = {xs, x2};
    for (int k = 0; k < 2; k++) {
        ltr_tape_reset(E.tape);
        lt_tensor *x = xin[k], *y;
        y = which == 0   ? ltr_batch_norm(c, x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5)
            : which == 1 ? ltr_layer_norm(c, x, 1, NULL, NULL, 1e-5)
                         : ltr_group_norm(c, x, 1, NULL, NULL, 1e-5);
        ck_assert_msg(ltr_backward(c, weigh(c, y)) == LT_OK, "%s", E.ctx.error);
    }
    ck_assert_ptr_nonnull(xs->grad);
    for (int64_t i = 0; i < 12; i++) { /* grads are in logical (row-major) order */
        double a = ltr_get(xs->grad, i), b = ltr_get(x2->grad, i);
        ck_assert_msg(fabs(a - b) < 1e-12 && b != 0, "op %d [%lld]: %g vs %g", which, (long long)i, a, b);
    }
}

START_TEST(grad_norm_non_contiguous) {
    for (int which = 0; which < 3; which++) strided_matches_contiguous(which);
}
END_TEST

static lt_tensor *f_dropout(lt_ctx *c, lt_tensor **in, void *a) {
    ltr_rng_seed(ltr_ctx_of(c)->rng, 7); /* the same mask at every evaluation */
    return weigh(c, ltr_dropout(c, in[0], 0.4, true));
}
static lt_tensor *f_embedding(lt_ctx *c, lt_tensor **in, void *a) {
    return weigh(c, ltr_embedding(c, in[0], in[1], *(int64_t *)a));
}

START_TEST(grad_dropout_embedding) {
    lt_tensor *in[1] = {leaf(&E, 2, (int64_t[]){4, 5}, -2, 2)};
    gradcheck(&E, "dropout fixed mask", f_dropout, in, 1, NULL);
    lt_tensor *ein[2] = {leaf(&E, 2, (int64_t[]){5, 3}, -1, 1),
                         tensor_of(&E, LT_INT64, 2, (int64_t[]){2, 3}, (double[]){1, 3, 1, 0, 4, 3})};
    int64_t none = -1, pad = 3;
    gradcheck(&E, "embedding", f_embedding, ein, 2, &none);
    double g_none[15];
    for (int i = 0; i < 15; i++) g_none[i] = ltr_get(ein[0]->grad, i);
    /* padding_idx: the forward still reads the row (torch), only its gradient is zero,
     * so finite differences do not apply: the other rows keep their gradients */
    ein[0]->grad = NULL;
    ltr_tape_reset(E.tape);
    ck_assert_int_eq(ltr_backward(&E.ctx.pub, f_embedding(&E.ctx.pub, ein, &pad)), LT_OK);
    for (int i = 0; i < 15; i++)
        ck_assert(ltr_get(ein[0]->grad, i) == (i / 3 == 3 ? 0.0 : g_none[i]));
    ck_assert(g_none[9] != 0.0);                     /* row 3 did get gradient without padding */
    ck_assert(g_none[6] == 0.0 && g_none[3] != 0.0); /* row 2 unused, row 1 used twice */
}
END_TEST

/* ------------------------------------------------------------ values vs torch */

static const double X1[12] = {1, 2, 3, 4, -5, 6, 0.5, 0.25, -1, 2, 2, 7};
static const double X2[12] = {-1, 0, 3, 2, 1, -6, 1.5, 2.25, 1, 0, 4, 2};
static const double W3[3] = {1.5, -0.5, 2}, B3[3] = {0.1, 0.2, -0.3};

static void batch_norm_values(lt_dtype dt, double tol) {
    int64_t s[2] = {4, 3}, c[1] = {3};
    lt_tensor *rm = tensor_of(&E, dt, 1, c, (double[]){0, 0, 0});
    lt_tensor *rv = tensor_of(&E, dt, 1, c, (double[]){1, 1, 1});
    lt_tensor *w = tensor_of(&E, dt, 1, c, W3), *b = tensor_of(&E, dt, 1, c, B3);
    lt_tensor *x1 = tensor_of(&E, dt, 2, s, X1), *x2 = tensor_of(&E, dt, 2, s, X2);
    ck_assert_ptr_nonnull(ltr_batch_norm(&E.ctx.pub, x1, rm, rv, w, b, true, 0.1, 1e-5));
    lt_tensor *y = ltr_batch_norm(&E.ctx.pub, x2, rm, rv, w, b, true, 0.1, 1e-5);
    /* rm = zeros(3); rv = ones(3); F.batch_norm(x1, rm, rv, w, b, True, 0.1, 1e-5);
     * y = F.batch_norm(x2, rm, rv, w, b, True, 0.1, 1e-5) (float64) */
    expect_values(rm, (double[]){0.23125, 0.16437500000000002, 0.3375}, 3, tol);
    expect_values(rv, (double[]){1.2152083333333334, 2.0950520833333335, 3.639166666666667}, 3, tol);
    expect_values(y, (double[]){-1.9441482434067758, 0.8068047539507752, 1.3970555960256115,
                                1.8296638982672717, 0.4720159241848303, -3.694111192051223,
                                1.200695207988264, 0.05352988697739913, 0.26568519867520385,
                                -0.6862108628487599, -0.5323505651130045, 0.8313703973504076},
                  12, tol);
    /* F.batch_norm(x1, rm, rv, w, b, False, 0.1, 1e-5) with those running stats */
    lt_tensor *ye = ltr_batch_norm(&E.ctx.pub, x1, rm, rv, w, b, false, 0.1, 1e-5);
    expect_values(ye, (double[]){1.1460422625709403, -0.43409673895559586, 2.49137408674266,
                                 5.228158409189244, 1.9839773081341807, 5.63658432532594,
                                 0.4656895714678897, 0.1704217728168483, -1.7022395647017121,
                                 2.5067476447770414, -0.43409673895559586, 6.684987738187033},
                  12, tol);
    /* eval leaves the running stats alone */
    expect_values(rm, (double[]){0.23125, 0.16437500000000002, 0.3375}, 3, tol);
}

START_TEST(batch_norm_vs_torch) {
    batch_norm_values(LT_FLOAT64, 1e-12);
    batch_norm_values(LT_FLOAT32, 1e-5);
}
END_TEST

static void layer_group_values(lt_dtype dt, double tol) {
    int64_t c[1] = {3};
    lt_tensor *x = tensor_of(&E, dt, 2, (int64_t[]){2, 3}, X1);
    lt_tensor *w = tensor_of(&E, dt, 1, c, W3), *b = tensor_of(&E, dt, 1, c, B3);
    /* F.layer_norm(tensor([[1.,2,3],[4,-5,6]]), (3,), w, b, 1e-5) */
    expect_values(ltr_layer_norm(&E.ctx.pub, x, 1, w, b, 1e-5),
                  (double[]){-1.7371035288625853, 0.2, 2.1494713718167806, 0.8315695051973435,
                             0.8967328620927082, 1.5115054414410412},
                  6, tol);
    double xg[16];
    for (int i = 0; i < 16; i++) xg[i] = pow(i, 1.5);
    lt_tensor *g = tensor_of(&E, dt, 3, (int64_t[]){2, 4, 2}, xg);
    lt_tensor *wg = tensor_of(&E, dt, 1, (int64_t[]){4}, (double[]){1, 2, 3, 4});
    lt_tensor *bg = tensor_of(&E, dt, 1, (int64_t[]){4}, (double[]){0, 1, 0, -1});
    /* F.group_norm(arange(16.).reshape(2,4,2)**1.5, 2, [1,2,3,4], [0,1,0,-1], 1e-5) */
    expect_values(ltr_group_norm(&E.ctx.pub, g, 2, wg, bg, 1e-5),
                  (double[]){-1.1410077395703158, -0.6352743772255341, 1.5788444407495161,
                             3.9737197928421844, -3.8975536338543693, -1.4667611379941672,
                             0.6280534356856894, 4.524366260112357, -1.3175478933982634,
                             -0.47105731802027223, 1.847736728055278, 3.7294736947817957,
                             -3.974434062459397, -1.3917595139265035, 0.7230135350416765,
                             4.4319112334728725},
                  16, tol);
}

START_TEST(layer_group_norm_vs_torch) {
    layer_group_values(LT_FLOAT64, 1e-12);
    layer_group_values(LT_FLOAT32, 1e-5);
}
END_TEST

START_TEST(dropout_values) {
    lt_ctx *c = &E.ctx.pub;
    int64_t n = 100000;
    lt_tensor *x = tensor_of(&E, LT_FLOAT32, 1, &n, NULL);
    for (int64_t i = 0; i < n; i++) ltr_set(x, i, 2.0);
    ck_assert_ptr_eq(ltr_dropout(c, x, 0.3, false), x); /* eval: identity */
    ltr_rng_seed(&E.rng, 5);
    lt_tensor *y = ltr_dropout(c, x, 0.3, true);
    ltr_rng_seed(&E.rng, 5);
    lt_tensor *y2 = ltr_dropout(c, x, 0.3, true);
    int64_t zeros = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ltr_get(y, i);
        ck_assert(v == ltr_get(y2, i)); /* same seed, same mask */
        if (v == 0) zeros++;
        else ck_assert(fabs(v - 2.0 / 0.7) < 1e-6); /* kept: scaled by 1/(1-p) */
    }
    ck_assert_msg(fabs((double)zeros / n - 0.3) < 0.01, "dropped fraction %g", (double)zeros / n);
    lt_tensor *y3 = ltr_dropout(c, x, 0.3, true); /* the generator moved on: another mask */
    int64_t diff = 0;
    for (int64_t i = 0; i < n; i++) diff += ltr_get(y3, i) != ltr_get(y, i);
    ck_assert(diff > 1000);
    lt_tensor *z = ltr_dropout(c, x, 1.0, true);
    for (int64_t i = 0; i < n; i++) ck_assert(ltr_get(z, i) == 0.0);
    lt_tensor *x64 = tensor_of(&E, LT_FLOAT64, 1, (int64_t[]){3}, (double[]){1, 2, 3});
    ck_assert_ptr_eq(ltr_dropout(c, x64, 0.0, true), x64);
}
END_TEST

START_TEST(embedding_values) {
    lt_ctx *c = &E.ctx.pub;
    double wv[8] = {0, 1, 10, 11, 20, 21, 30, 31};
    for (int k = 0; k < 2; k++) {
        lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
        lt_tensor *w = tensor_of(&E, dt, 2, (int64_t[]){4, 2}, wv);
        lt_tensor *idx = tensor_of(&E, LT_INT64, 2, (int64_t[]){2, 2}, (double[]){3, 0, 2, 3});
        lt_tensor *y = ltr_embedding(c, w, idx, -1);
        ck_assert_int_eq(y->ndim, 3);
        ck_assert_int_eq(y->shape[2], 2);
        expect_values(y, (double[]){30, 31, 0, 1, 20, 21, 30, 31}, 8, 0);
        lt_tensor *s = tensor_of(&E, LT_INT64, 0, NULL, (double[]){1});
        lt_tensor *ys = ltr_embedding(c, w, s, -1);
        ck_assert_int_eq(ys->ndim, 1);
        expect_values(ys, (double[]){10, 11}, 2, 0);
    }
}
END_TEST

START_TEST(norm_float32_grads) {
    /* float32 backward against the float64 one */
    lt_ctx *c = &E.ctx.pub;
    int64_t s[2] = {4, 3};
    lt_tensor *x64 = tensor_of(&E, LT_FLOAT64, 2, s, X1), *x32 = tensor_of(&E, LT_FLOAT32, 2, s, X1);
    x64->flags |= LTR_T_REQUIRES_GRAD;
    x32->flags |= LTR_T_REQUIRES_GRAD;
    for (int which = 0; which < 3; which++) {
        lt_tensor *xs[2] = {x64, x32};
        for (int k = 0; k < 2; k++) {
            xs[k]->grad = NULL;
            ltr_tape_reset(E.tape);
            lt_tensor *y = which == 0   ? ltr_batch_norm(c, xs[k], NULL, NULL, NULL, NULL, true, 0.1, 1e-5)
                           : which == 1 ? ltr_layer_norm(c, xs[k], 1, NULL, NULL, 1e-5)
                                        : ltr_group_norm(c, xs[k], 1, NULL, NULL, 1e-5);
            ck_assert_int_eq(ltr_backward(c, weigh(c, y)), LT_OK);
        }
        for (int64_t i = 0; i < 12; i++)
            ck_assert_msg(fabs(ltr_get(x64->grad, i) - ltr_get(x32->grad, i)) < 1e-5,
                          "op %d [%lld]", which, (long long)i);
    }
}
END_TEST

/* -------------------------------------------------------------------- errors */

START_TEST(nn_errors) {
    lt_ctx *c = &E.ctx.pub;
    lt_tensor *x = tensor_of(&E, LT_FLOAT64, 2, (int64_t[]){4, 3}, X1);
    lt_tensor *v2 = tensor_of(&E, LT_FLOAT64, 1, (int64_t[]){2}, NULL);
    lt_tensor *v3f = tensor_of(&E, LT_FLOAT32, 1, (int64_t[]){3}, NULL);
    lt_tensor *i64 = tensor_of(&E, LT_INT64, 1, (int64_t[]){2}, (double[]){0, 7});
    ck_assert_ptr_null(ltr_batch_norm(c, x, NULL, NULL, v2, NULL, true, 0.1, 1e-5));
    expect_error("lt_batch_norm: weight must have shape [3]");
    ck_assert_ptr_null(ltr_batch_norm(c, x, NULL, NULL, v3f, NULL, true, 0.1, 1e-5));
    expect_error("lt_batch_norm: dtypes differ");
    ck_assert_ptr_null(ltr_batch_norm(c, x, NULL, NULL, NULL, NULL, false, 0.1, 1e-5));
    expect_error("lt_batch_norm: running_mean and running_var are required");
    lt_tensor *one = tensor_of(&E, LT_FLOAT64, 2, (int64_t[]){1, 3}, X1);
    ck_assert_ptr_null(ltr_batch_norm(c, one, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    expect_error("more than 1 value per channel");
    ck_assert_ptr_null(ltr_batch_norm(c, v2, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    expect_error("lt_batch_norm: input must be [N, C, *]");
    ck_assert_ptr_null(ltr_batch_norm(c, i64, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    expect_error("lt_batch_norm: expected a float tensor");
    ck_assert_ptr_null(ltr_layer_norm(c, x, 3, NULL, NULL, 1e-5));
    expect_error("lt_layer_norm: normalized_ndim 3 out of range");
    ck_assert_ptr_null(ltr_layer_norm(c, x, 1, v2, NULL, 1e-5));
    expect_error("lt_layer_norm: weight of shape [2] does not match");
    ck_assert_ptr_null(ltr_group_norm(c, x, 2, NULL, NULL, 1e-5));
    expect_error("lt_group_norm: input [4, 3] must be [N, C, *] with C divisible by num_groups 2");
    ck_assert_ptr_null(ltr_dropout(c, x, 1.5, true));
    expect_error("lt_dropout: dropout probability has to be between 0 and 1, but got 1.5");
    ck_assert_ptr_null(ltr_dropout(c, x, NAN, true));
    expect_error("lt_dropout: dropout probability");
    ck_assert_ptr_null(ltr_embedding(c, x, i64, -1));
    expect_error("lt_embedding: index 7 out of range for 4 embeddings");
    ck_assert_ptr_null(ltr_embedding(c, x, x, -1));
    expect_error("lt_embedding: indices must be int64");
    ck_assert_ptr_null(ltr_embedding(c, v2, i64, -1));
    expect_error("lt_embedding: weight must be [num_embeddings, embedding_dim]");
    ck_assert_ptr_null(ltr_embedding(c, x, i64, 4));
    expect_error("lt_embedding: padding_idx 4");
    ck_assert_ptr_null(ltr_batch_norm(c, NULL, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    ck_assert(!E.ctx.failed); /* NULL input: silent */
}
END_TEST

/* ---------------------------------------------------- buffers and the layers */

START_TEST(buffers_and_batchnorm_layer) {
    lt_ctx *c = &E.ctx.pub;
    lt_batchnorm_layer bn;
    ck_assert_int_eq(ltr_batchnorm_init(c, &bn, "bn", 3, NULL), LT_OK);
    ck_assert_int_eq(E.params.count, 2); /* weight, bias: the trainable ones */
    ck_assert_int_eq(E.params.nbuffers, 3);
    ck_assert_int_eq(ltr_param_store_numel(&E.params), 6);
    ck_assert_ptr_eq(ltr_param_store_find(&E.params, "bn.weight"), bn.weight);
    ck_assert_ptr_null(ltr_param_store_find(&E.params, "bn.running_mean"));
    ck_assert_ptr_eq(ltr_param_store_find_buffer(&E.params, "bn.running_mean"), bn.running_mean);
    ck_assert_ptr_eq(ltr_param_store_find_buffer(&E.params, "bn.num_batches_tracked"),
                     bn.num_batches_tracked);
    ck_assert_int_eq(bn.num_batches_tracked->dtype, LT_INT64);
    ck_assert_int_eq(bn.num_batches_tracked->ndim, 0);
    ck_assert(bn.running_var->flags & LTR_T_BUFFER);
    ck_assert(!(bn.running_var->flags & LTR_T_REQUIRES_GRAD));
    ck_assert_ptr_null(bn.running_var->grad);
    for (int j = 0; j < 3; j++) {
        ck_assert(ltr_get(bn.weight, j) == 1 && ltr_get(bn.bias, j) == 0);
        ck_assert(ltr_get(bn.running_mean, j) == 0 && ltr_get(bn.running_var, j) == 1);
    }
    /* a name is taken by a parameter or buffer alike */
    ck_assert_ptr_null(ltr_buffer(c, "bn.weight", LT_FLOAT32, 0, NULL));
    expect_error("lt_buffer('bn.weight'): a parameter with this name already exists");
    ck_assert_ptr_null(ltr_param(c, "bn.running_var", LT_FLOAT32, 0, NULL));
    expect_error("lt_param('bn.running_var'): a buffer with this name already exists");
    /* train twice, as nn.BatchNorm1d(3) in train mode on x1 then x2 (float32) */
    int64_t s[2] = {4, 3};
    E.ctx.pub.training = true;
    ck_assert_ptr_nonnull(ltr_batchnorm_forward(c, &bn, tensor_of(&E, LT_FLOAT32, 2, s, X1)));
    ck_assert_ptr_nonnull(ltr_batchnorm_forward(c, &bn, tensor_of(&E, LT_FLOAT32, 2, s, X2)));
    ck_assert_int_eq(*(int64_t *)bn.num_batches_tracked->data, 2);
    expect_values(bn.running_var, (double[]){1.2152083333333334, 2.0950520833333335, 3.639166666666667}, 3, 1e-6);
    /* eval: running stats, untouched; no increment */
    E.ctx.pub.training = false;
    lt_tensor *ye = ltr_batchnorm_forward(c, &bn, tensor_of(&E, LT_FLOAT32, 2, s, X1));
    ck_assert_int_eq(*(int64_t *)bn.num_batches_tracked->data, 2);
    /* (x1 - rm) / sqrt(rv + eps) with weight 1, bias 0 */
    ck_assert(fabs(ltr_get(ye, 0) - (1 - 0.23125) / sqrt(1.2152083333333334 + 1e-5)) < 1e-5);
    /* gradients reach weight and bias (params), not the buffers */
    E.ctx.pub.training = true;
    ltr_tape_reset(E.tape);
    lt_tensor *y = ltr_batchnorm_forward(c, &bn, tensor_of(&E, LT_FLOAT32, 2, s, X2));
    ck_assert_int_eq(ltr_backward(c, weigh(c, y)), LT_OK);
    ck_assert(bn.weight->flags & LTR_T_GRAD_DEFINED);
    ck_assert(bn.bias->flags & LTR_T_GRAD_DEFINED);
    ck_assert_ptr_null(bn.running_mean->grad);
    /* optimizer.step() with Adam: weight and bias move, buffers do not */
    double rv0 = ltr_get(bn.running_var, 0), w0 = ltr_get(bn.weight, 0);
    lt_adam_options ao = LT_ADAM_DEFAULTS;
    ao.lr = 0.1;
    lt_optimizer *opt = ltr_adam(c, &ao);
    ck_assert_ptr_nonnull(opt);
    ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
    ck_assert(ltr_get(bn.weight, 0) != w0);
    ck_assert(ltr_get(bn.running_var, 0) == rv0);
    ltr_optimizer_free(opt);
    /* momentum=None: cumulative average */
    lt_batchnorm_options o = LT_BATCHNORM_DEFAULTS;
    o.momentum = -1;
    lt_batchnorm_layer cum;
    ck_assert_int_eq(ltr_batchnorm_init(c, &cum, "cum", 3, &o), LT_OK);
    ltr_batchnorm_forward(c, &cum, tensor_of(&E, LT_FLOAT32, 2, s, X1));
    ltr_batchnorm_forward(c, &cum, tensor_of(&E, LT_FLOAT32, 2, s, X2));
    /* mean of the two batch means: col 0: (1.875 + 0.625) / 2 */
    ck_assert(fabs(ltr_get(cum.running_mean, 0) - 1.25) < 1e-6);
}
END_TEST

START_TEST(other_layers_init) {
    lt_ctx *c = &E.ctx.pub;
    lt_layernorm_layer ln;
    ck_assert_int_eq(ltr_layernorm_init(c, &ln, "ln", 2, (int64_t[]){3, 4}, 1e-5, true), LT_OK);
    ck_assert_int_eq(ln.weight->ndim, 2);
    ck_assert(ltr_get(ln.weight, 11) == 1 && ltr_get(ln.bias, 11) == 0);
    lt_groupnorm_layer gn;
    ck_assert_int_eq(ltr_groupnorm_init(c, &gn, "gn", 2, 6, 1e-5, true), LT_OK);
    ck_assert_int_eq(gn.weight->shape[0], 6);
    ck_assert_int_eq(ltr_groupnorm_init(c, &gn, "gn2", 4, 6, 1e-5, true), LT_ERROR);
    expect_error("lt_groupnorm_init('gn2'): num_channels 6 must be divisible by num_groups 4");
    lt_embedding_layer em;
    ck_assert_int_eq(ltr_embedding_init(c, &em, "emb", 1000, 64, 2), LT_OK);
    double s = 0, s2 = 0;
    int64_t n = 1000 * 64;
    for (int64_t i = 0; i < n; i++) {
        double v = ltr_get(em.weight, i);
        s += v, s2 += v * v;
    }
    ck_assert_msg(fabs(s / n) < 0.02 && fabs(sqrt(s2 / n) - 1) < 0.02, "N(0,1): %g %g", s / n, sqrt(s2 / n));
    for (int j = 0; j < 64; j++) ck_assert(ltr_get(em.weight, 2 * 64 + j) == 0);
    ck_assert_int_eq(E.params.nbuffers, 0);
}
END_TEST

/* ------------------------------------------------------------------- init */

static void moments(const lt_tensor *t, double *mean, double *std, double *lo, double *hi) {
    int64_t n = ltr_numel(t);
    double s = 0, s2 = 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double v = ltr_get(t, i);
        s += v, s2 += v * v;
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
    *mean = s / n;
    *std = sqrt(s2 / n - *mean * *mean);
}

START_TEST(init_schemes) {
    lt_ctx *c = &E.ctx.pub;
    /* torch.nn.init.calculate_gain */
    ck_assert(ltr_calculate_gain(c, "linear", NAN) == 1.0);
    ck_assert(ltr_calculate_gain(c, "conv2d", NAN) == 1.0);
    ck_assert(fabs(ltr_calculate_gain(c, "tanh", NAN) - 5.0 / 3) < 1e-15);
    ck_assert(fabs(ltr_calculate_gain(c, "relu", NAN) - sqrt(2.0)) < 1e-15);
    /* calculate_gain('leaky_relu') = 1.4141428569978354, ('leaky_relu', 0.2) = 1.3867504905630728 */
    ck_assert(fabs(ltr_calculate_gain(c, "leaky_relu", NAN) - 1.4141428569978354) < 1e-15);
    ck_assert(fabs(ltr_calculate_gain(c, "leaky_relu", 0.2) - 1.3867504905630728) < 1e-15);
    ck_assert(ltr_calculate_gain(c, "selu", NAN) == 0.75);
    ck_assert(isnan(ltr_calculate_gain(c, "swish", NAN)));
    expect_error("lt_calculate_gain: unsupported nonlinearity 'swish'");

    int64_t s[2] = {400, 300};
    lt_tensor *w = ltr_param(c, "w", LT_FLOAT32, 2, s);
    double m, sd, lo, hi;
    /* xavier_uniform_(gain 2): bound 2 * sqrt(6 / 700), std bound / sqrt(3) */
    double b = 2 * sqrt(6.0 / 700);
    ltr_init_xavier_uniform(c, w, 2.0);
    moments(w, &m, &sd, &lo, &hi);
    ck_assert(lo >= -b && hi <= b && hi > 0.99 * b && lo < -0.99 * b);
    ck_assert_msg(fabs(m) < 0.01 * b && fabs(sd - b / sqrt(3)) < 0.01 * b, "%g %g", m, sd);
    ltr_init_xavier_normal(c, w, 1.0);
    moments(w, &m, &sd, &lo, &hi);
    ck_assert_msg(fabs(sd - sqrt(2.0 / 700)) < 0.01 * sqrt(2.0 / 700), "xavier_normal std %g", sd);
    /* kaiming_normal_(mode fan_out, relu): std sqrt(2) / sqrt(400) */
    ltr_init_kaiming_normal(c, w, 0, "fan_out", "relu");
    moments(w, &m, &sd, &lo, &hi);
    ck_assert_msg(fabs(sd - sqrt(2.0) / 20) < 0.01 * sqrt(2.0) / 20, "kaiming_normal std %g", sd);
    /* kaiming_uniform_(a 0, fan_in, relu): bound sqrt(6 / 300) */
    ltr_init_kaiming_uniform_ex(c, w, 0, "fan_in", "relu");
    moments(w, &m, &sd, &lo, &hi);
    ck_assert(hi <= sqrt(6.0 / 300) && hi > 0.99 * sqrt(6.0 / 300));
    ltr_init_kaiming_uniform_ex(c, w, 0, "fan_middle", "relu");
    expect_error("mode 'fan_middle' not supported");
    /* trunc_normal_(0, 1, -0.5, 1): bounds, and the truncated mean
     * (phi(a) - phi(b)) / (Phi(b) - Phi(a)) = 0.20663121806153306; torch.nn.init.
     * trunc_normal_(empty(10**6, dtype=float64), 0, 1, -0.5, 1).mean() gave 0.2064) */
    ltr_init_trunc_normal(c, w, 0, 1, -0.5, 1);
    moments(w, &m, &sd, &lo, &hi);
    ck_assert(lo >= -0.5 && hi <= 1);
    ck_assert_msg(fabs(m - 0.20663121806153306) < 0.005, "trunc mean %g", m);
    /* determinism: the same seed, the same values */
    ltr_rng_seed(&E.rng, 42);
    ltr_init_kaiming_normal(c, w, 0, "fan_in", "leaky_relu");
    float first = ((float *)w->data)[123];
    ltr_rng_seed(&E.rng, 42);
    ltr_init_kaiming_normal(c, w, 0, "fan_in", "leaky_relu");
    ck_assert(((float *)w->data)[123] == first);
    ltr_init_xavier_uniform(c, ltr_param(c, "v", LT_FLOAT32, 1, (int64_t[]){5}), 1);
    expect_error("at least 2 dimensions");
}
END_TEST

/* W W^T = gain^2 I for rows <= cols, W^T W = gain^2 I otherwise; float64 and float32 */
static void check_orthogonal(lt_dtype dt, int64_t rows, int nd, const int64_t *shape, double tol) {
    lt_ctx *c = &E.ctx.pub;
    char name[32];
    snprintf(name, sizeof name, "q%lld_%d", (long long)rows, (int)dt);
    lt_tensor *q = ltr_param(c, name, dt, nd, shape);
    ltr_init_orthogonal(c, q, 1.5);
    int64_t cols = ltr_numel(q) / rows;
    bool wide = rows <= cols;
    int64_t k = wide ? rows : cols, len = wide ? cols : rows;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < k; j++) {
            double d = 0;
            for (int64_t p = 0; p < len; p++)
                d += wide ? ltr_get(q, i * cols + p) * ltr_get(q, j * cols + p)
                          : ltr_get(q, p * cols + i) * ltr_get(q, p * cols + j);
            ck_assert_msg(fabs(d - (i == j ? 2.25 : 0)) < tol, "[%lld,%lld] %g", (long long)i,
                          (long long)j, d);
        }
}

START_TEST(init_orthogonal) {
    check_orthogonal(LT_FLOAT64, 5, 2, (int64_t[]){5, 8}, 1e-12);
    check_orthogonal(LT_FLOAT64, 9, 2, (int64_t[]){9, 4}, 1e-12);
    check_orthogonal(LT_FLOAT64, 4, 4, (int64_t[]){4, 2, 3, 3}, 1e-12);
    check_orthogonal(LT_FLOAT32, 6, 2, (int64_t[]){6, 6}, 1e-5);
    lt_tensor *v = ltr_param(&E.ctx.pub, "v1", LT_FLOAT64, 1, (int64_t[]){4});
    ltr_init_orthogonal(&E.ctx.pub, v, 1);
    expect_error("lt_init_orthogonal: only tensors with 2 or more dimensions");
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_nn");
    TCase *tc = tcase_create("nn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, grad_batch_norm);
    tcase_add_test(tc, grad_layer_group_norm);
    tcase_add_test(tc, grad_norm_non_contiguous);
    tcase_add_test(tc, grad_dropout_embedding);
    tcase_add_test(tc, batch_norm_vs_torch);
    tcase_add_test(tc, layer_group_norm_vs_torch);
    tcase_add_test(tc, dropout_values);
    tcase_add_test(tc, embedding_values);
    tcase_add_test(tc, norm_float32_grads);
    tcase_add_test(tc, nn_errors);
    tcase_add_test(tc, buffers_and_batchnorm_layer);
    tcase_add_test(tc, other_layers_init);
    tcase_add_test(tc, init_schemes);
    tcase_add_test(tc, init_orthogonal);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
