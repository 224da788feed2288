/*
 * test_ops_attention.c — lt_scaled_dot_product_attention: values against torch's
 * definition (the reference implementation in torch 2.x's documentation, run in float64
 * on torch 1.13, which predates the fused op), finite-difference gradients for q, k, v
 * under each mask kind, and errors.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <math.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static lt_tensor *filled(lt_dtype dt, int nd, const int64_t *shape, double (*f)(int64_t)) {
    lt_tensor *t = ltr_empty(C, dt, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, f(i));
    return t;
}
static double fq(int64_t i) { return sin((double)i * 0.37); }
static double fk(int64_t i) { return cos((double)i * 0.23); }
static double fv(int64_t i) { return sin((double)i * 0.11 + 1); }
static double fm(int64_t i) { return 0.1 * (double)i - 0.7; }
static const bool keep[15] = {1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1};

typedef struct { int kind; double scale; lt_dtype dt; } attn_case; /* 0 none 1 causal 2 bool 3 float */

static lt_tensor *mask_for(const attn_case *c) {
    if (c->kind == 2) {
        lt_tensor *m = ltr_empty(C, LT_BOOL, 2, SHAPE(3, 5));
        for (int i = 0; i < 15; i++) ((bool *)m->data)[i] = keep[i];
        return m;
    }
    return c->kind == 3 ? filled(c->dt, 2, SHAPE(3, 5), fm) : NULL;
}

static lt_tensor *attend(lt_ctx *c, lt_tensor *q, lt_tensor *k, lt_tensor *v, const attn_case *ac) {
    return ltr_scaled_dot_product_attention(c, q, k, v, mask_for(ac), ac->kind == 1, ac->scale);
}

START_TEST(values_match_torch) {
    /* q [2,3,4] = sin(0.37 i), k [2,5,4] = cos(0.23 i), v [2,5,2] = sin(0.11 i + 1);
     * bool mask rows [10110] [11011] [01111]; float mask 0.1 i - 0.7 over [3,5] */
    static const double want[5][12] = {
        {0.905616619620, 0.932599821588, 0.883180572239, 0.923091446719, 0.963651582425, 0.962934102842,
         0.333095451984, 0.233374508756, 0.599824898752, 0.514146842703, 0.635338834244, 0.549549442687},
        {0.841470984808, 0.895698685680, 0.868470320677, 0.916564460152, 0.948948785797, 0.972609524966,
         0.863209366649, 0.802571066247, 0.793780970520, 0.723308472117, 0.678956152370, 0.595957036838},
        {0.884422859933, 0.922714783038, 0.876419288199, 0.918302481139, 0.975628003240, 0.969524671764,
         0.607708145695, 0.523517729974, 0.609391160094, 0.526042661649, 0.605783995773, 0.516732504336},
        {0.912834076582, 0.934860451229, 0.888326684057, 0.925470584902, 0.966375494126, 0.962263123325,
         0.298851320400, 0.196920106781, 0.568780580623, 0.480868675052, 0.621141448341, 0.534217806178},
        {0.921547106711, 0.940721890976, 0.905273729160, 0.934595845012, 0.956808104228, 0.959037294277,
         0.417426314957, 0.322118303969, 0.577004611159, 0.489905710104, 0.613708219384, 0.527331865451}};
    for (int dti = 0; dti < 2; dti++) {
        lt_dtype dt = dti ? LT_FLOAT32 : LT_FLOAT64;
        double tol = dti ? 2e-6 : 1e-11;
        for (int c = 0; c < 5; c++) {
            attn_case ac = {c < 4 ? c : 0, c == 4 ? 0.3 : 0, dt};
            lt_tensor *o = attend(C, filled(dt, 3, SHAPE(2, 3, 4), fq), filled(dt, 3, SHAPE(2, 5, 4), fk),
                                  filled(dt, 3, SHAPE(2, 5, 2), fv), &ac);
            ck_assert_msg(o != NULL, "case %d: %s", c, E.ctx.error);
            ck_assert(o->ndim == 3 && o->shape[0] == 2 && o->shape[1] == 3 && o->shape[2] == 2);
            for (int i = 0; i < 12; i++)
                ck_assert_msg(fabs(ltr_get(o, i) - want[c][i]) <= tol, "case %d dt %d [%d]: %.12f vs %.12f",
                              c, dti, i, ltr_get(o, i), want[c][i]);
        }
    }
}
END_TEST

static lt_tensor *f_attn(lt_ctx *c, lt_tensor **in, void *arg) {
    lt_tensor *o = attend(c, in[0], in[1], in[2], arg);
    /* a weighted sum, so every output element matters to the gradient */
    lt_tensor *w = ltr_empty(c, LT_FLOAT64, o->ndim, o->shape);
    for (int64_t i = 0; i < ltr_numel(w); i++) ltr_set(w, i, 0.3 + 0.1 * (double)(i % 7));
    return ltr_sum(c, ltr_mul(c, o, w));
}

START_TEST(gradients) {
    for (int c = 0; c < 5; c++) {
        attn_case ac = {c < 4 ? c : 0, c == 4 ? 0.3 : 0, LT_FLOAT64};
        lt_tensor *in[3] = {leaf(&E, 3, SHAPE(2, 3, 4), -1, 1), leaf(&E, 3, SHAPE(2, 5, 4), -1, 1),
                            leaf(&E, 3, SHAPE(2, 5, 2), -1, 1)};
        char name[32];
        snprintf(name, sizeof name, "attention case %d", c);
        gradcheck(&E, name, f_attn, in, 3, &ac);
    }
    /* multi-head shape [B, H, T, D], self-attention with the causal mask */
    attn_case causal = {1, 0, LT_FLOAT64};
    lt_tensor *in[3] = {leaf(&E, 4, SHAPE(1, 2, 4, 3), -1, 1), leaf(&E, 4, SHAPE(1, 2, 4, 3), -1, 1),
                        leaf(&E, 4, SHAPE(1, 2, 4, 3), -1, 1)};
    gradcheck(&E, "attention multi-head causal", f_attn, in, 3, &causal);
}
END_TEST

START_TEST(errors) {
    lt_tensor *q = filled(LT_FLOAT64, 3, SHAPE(2, 3, 4), fq), *k = filled(LT_FLOAT64, 3, SHAPE(2, 5, 3), fk);
    lt_tensor *v = filled(LT_FLOAT64, 3, SHAPE(2, 5, 2), fv);
    ck_assert_ptr_null(ltr_scaled_dot_product_attention(C, q, k, v, NULL, false, 0));
    char msg[1024];
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "lt_scaled_dot_product_attention"));
    k = filled(LT_FLOAT64, 3, SHAPE(2, 5, 4), fk);
    lt_tensor *m = filled(LT_FLOAT64, 2, SHAPE(3, 5), fm);
    ck_assert_ptr_null(ltr_scaled_dot_product_attention(C, q, k, v, m, true, 0));
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "not both"));
    ck_assert_ptr_null(ltr_scaled_dot_product_attention(C, NULL, k, v, NULL, false, 0));
    ck_assert(!ltr_ctx_take_error(&E.ctx, msg, sizeof msg)); /* NULL in: silent */
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_attention");
    TCase *tc = tcase_create("attention");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, values_match_torch);
    tcase_add_test(tc, gradients);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
