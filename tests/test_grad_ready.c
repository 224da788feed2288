/*
 * test_grad_ready.c — the tape's grad-ready hook (what lt_gradients_v1.on_grad_ready and
 * DDP-style buckets rely on): each parameter that gets a gradient is announced exactly
 * once per backward, after the last node contributing to it, with its final value;
 * layers finish in reverse order; a parameter only in a branch that does not lead to the
 * loss, or not in the graph, is never announced; accumulation across backwards announces
 * once per backward; removing the hook stops the calls.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>
#include <string.h>

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }

#define MAX_SEEN 16
typedef struct seen {
    int n;
    const lt_tensor *param[MAX_SEEN];
    double first[MAX_SEEN]; /* grad element 0 at the time of the call */
} seen;

static void record(lt_ctx *ctx, lt_tensor *param, void *user) {
    (void)ctx;
    seen *s = user;
    ck_assert_int_lt(s->n, MAX_SEEN);
    ck_assert(param->flags & LTR_T_GRAD_DEFINED);
    s->param[s->n] = param;
    s->first[s->n++] = ltr_get(param->grad, 0);
}

static int index_of(const seen *s, const lt_tensor *p) {
    int at = -1;
    for (int i = 0; i < s->n; i++)
        if (s->param[i] == p) {
            ck_assert_msg(at < 0, "%s announced twice", p->name);
            at = i;
        }
    return at;
}

static lt_tensor *param(const char *name, int nd, const int64_t *shape) {
    E.ctx.params = &E.params;
    lt_tensor *p = ltr_param(&E.ctx.pub, name, LT_FLOAT64, nd, shape);
    E.ctx.params = NULL;
    ck_assert_ptr_nonnull(p);
    for (int64_t i = 0; i < ltr_numel(p); i++) ltr_set(p, i, 0.1 * (double)(i + 1) - 0.25);
    return p;
}

START_TEST(layers_finish_in_reverse_with_final_values) {
    lt_tensor *w1 = param("w1", 2, SHAPE(3, 2)), *b1 = param("b1", 1, SHAPE(3));
    lt_tensor *w2 = param("w2", 2, SHAPE(2, 3)), *b2 = param("b2", 1, SHAPE(2));
    lt_tensor *x = leaf(&E, 2, SHAPE(4, 2), -1, 1);
    x->flags &= ~LTR_T_REQUIRES_GRAD;
    seen s = {0};
    ltr_tape_set_grad_ready(E.tape, record, &s);
    lt_ctx *c = &E.ctx.pub;
    /* w2 first feeds a branch that never reaches the loss (the reverse pass skips it: it
     * must not hold w2 back); w1 is used twice, in the first layer and later in the loss */
    lt_tensor *aux = ltr_sum(c, ltr_mul(c, w2, w2));
    (void)aux;
    lt_tensor *h = ltr_relu(c, ltr_linear(c, x, w1, b1));
    lt_tensor *y = ltr_linear(c, h, w2, b2);
    lt_tensor *loss = ltr_add(c, ltr_sum(c, ltr_mul(c, y, y)), ltr_sum(c, ltr_mul(c, w1, w1)));
    ck_assert_int_eq(ltr_backward(c, loss), LT_OK);
    ck_assert_int_eq(s.n, 4);
    int iw1 = index_of(&s, w1), ib1 = index_of(&s, b1), iw2 = index_of(&s, w2),
        ib2 = index_of(&s, b2);
    ck_assert(iw1 >= 0 && ib1 >= 0 && iw2 >= 0 && ib2 >= 0);
    ck_assert_int_lt(iw2, iw1); /* the second layer is done before the first */
    ck_assert_int_lt(ib2, ib1);
    const lt_tensor *ps[4] = {w1, b1, w2, b2};
    int at[4] = {iw1, ib1, iw2, ib2};
    for (int k = 0; k < 4; k++) /* nothing was added after the announcement */
        ck_assert_double_eq(s.first[at[k]], ltr_get(ps[k]->grad, 0));
}
END_TEST

START_TEST(dead_branches_and_unused_params_are_not_announced) {
    lt_tensor *p = param("p", 1, SHAPE(3)), *q = param("q", 1, SHAPE(3));
    lt_tensor *unused = param("unused", 1, SHAPE(3));
    (void)unused;
    seen s = {0};
    ltr_tape_set_grad_ready(E.tape, record, &s);
    lt_ctx *c = &E.ctx.pub;
    lt_tensor *aux = ltr_sum(c, ltr_mul(c, p, q)); /* recorded, never reaches the loss */
    (void)aux;
    lt_tensor *loss = ltr_sum(c, ltr_mul(c, p, p));
    ck_assert_int_eq(ltr_backward(c, loss), LT_OK);
    ck_assert_int_eq(s.n, 1);
    ck_assert_ptr_eq(s.param[0], p);
    ck_assert(!(q->flags & LTR_T_GRAD_DEFINED));
}
END_TEST

START_TEST(once_per_backward_and_removable) {
    lt_tensor *w = param("w", 1, SHAPE(2));
    seen s = {0};
    ltr_tape_set_grad_ready(E.tape, record, &s);
    lt_ctx *c = &E.ctx.pub;
    for (int pass = 1; pass <= 2; pass++) { /* gradients accumulate; one call each */
        ck_assert_int_eq(ltr_backward(c, ltr_sum(c, ltr_mul(c, w, w))), LT_OK);
        ck_assert_int_eq(s.n, pass);
        ck_assert_double_eq_tol(s.first[pass - 1], pass * 2 * ltr_get(w, 0), 1e-12);
    }
    ltr_tape_set_grad_ready(E.tape, NULL, NULL);
    ck_assert_int_eq(ltr_backward(c, ltr_sum(c, ltr_mul(c, w, w))), LT_OK);
    ck_assert_int_eq(s.n, 2);
}
END_TEST

static void fail_hook(lt_ctx *ctx, lt_tensor *param, void *user) {
    (void)param, (void)user;
    ltr_fail(ctx, "hook says no");
}

START_TEST(a_failing_hook_stops_backward) {
    lt_tensor *w = param("w", 1, SHAPE(2));
    ltr_tape_set_grad_ready(E.tape, fail_hook, NULL);
    lt_ctx *c = &E.ctx.pub;
    ck_assert_int_eq(ltr_backward(c, ltr_sum(c, ltr_mul(c, w, w))), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(E.ctx.error, "hook says no"));
    ck_assert_int_eq(ltr_tape_size(E.tape), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("grad_ready");
    TCase *tc = tcase_create("hook");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, layers_finish_in_reverse_with_final_values);
    tcase_add_test(tc, dead_branches_and_unused_params_are_not_announced);
    tcase_add_test(tc, once_per_backward_and_removable);
    tcase_add_test(tc, a_failing_hook_stops_backward);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
