/* test_clip_grad.c — torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (the gradient
 * clipping behind --trainer.gradient_clip_val / gradient_clip_algorithm). Expected values
 * come from torch 1.13 (comments name the call). */
#include "check_run.h"
#include "core/context.h"
#include "optim/clip_grad.h"
#include "tensor/tensor.h"

#include <math.h>

static ltr_ctx X;
static ltr_param_store PS;
#define C (&X.pub)

static void setup(void) {
    ltr_ctx_init(&X, NULL);
    ltr_param_store_init(&PS);
    X.params = &PS;
}
static void teardown(void) {
    ltr_param_store_free(&PS);
    ltr_ctx_free_allocs(&X);
}

static lt_tensor *param(const char *name, int64_t n, const double *grad) {
    lt_tensor *p = ltr_param(C, name, LT_FLOAT32, 1, &n);
    ck_assert_msg(p != NULL, "ltr_param: %s", X.error);
    if (grad) {
        float *g = p->grad->data;
        for (int64_t i = 0; i < n; i++) g[i] = (float)grad[i];
        p->flags |= LTR_T_GRAD_DEFINED;
    }
    return p;
}

static void expect_grad(const lt_tensor *p, const double *want, int n) {
    const float *g = p->grad->data;
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(g[i] - want[i]) <= 1e-6 * fmax(1, fabs(want[i])), "%s[%d]: %.9g != %.9g",
                      p->name, i, g[i], want[i]);
}

START_TEST(norm_clips_and_skips_undefined) {
    /* a.grad=[3,-4,1], b.grad=[0.5,-2], c.grad=None; clip_grad_norm_([a,b,c], 2.0) -> 5.5 */
    lt_tensor *a = param("a", 3, (double[]){3, -4, 1});
    lt_tensor *b = param("b", 2, (double[]){0.5, -2});
    param("c", 2, NULL);
    double total = ltr_clip_grad_norm(PS.params, PS.count, 2.0);
    ck_assert(fabs(total - 5.5) < 1e-6);
    expect_grad(a, (double[]){1.0909090042114258, -1.454545259475708, 0.363636314868927}, 3);
    expect_grad(b, (double[]){0.1818181574344635, -0.727272629737854}, 2);
    ck_assert(!(PS.params[2]->flags & LTR_T_GRAD_DEFINED));
}
END_TEST

START_TEST(norm_below_max_is_unchanged) {
    /* clip_grad_norm_([a,b], 10.0) with a.grad=[0.1,-0.2,0.05], b.grad=[0.3,0] -> 0.37749174 */
    lt_tensor *a = param("a", 3, (double[]){0.1, -0.2, 0.05});
    lt_tensor *b = param("b", 2, (double[]){0.3, 0});
    double total = ltr_clip_grad_norm(PS.params, PS.count, 10.0);
    ck_assert(fabs(total - 0.3774917423725128) < 1e-6);
    expect_grad(a, (double[]){0.10000000149011612, -0.20000000298023224, 0.05000000074505806}, 3);
    expect_grad(b, (double[]){0.30000001192092896, 0.0}, 2);
}
END_TEST

START_TEST(value_clamps) {
    /* clip_grad_value_([a,b], 0.75): a=[0.75,-0.75,0.25], b=[-0.5,0.75] */
    lt_tensor *a = param("a", 3, (double[]){3, -4, 0.25});
    lt_tensor *b = param("b", 2, (double[]){-0.5, 2});
    ltr_clip_grad_value(PS.params, PS.count, 0.75);
    expect_grad(a, (double[]){0.75, -0.75, 0.25}, 3);
    expect_grad(b, (double[]){-0.5, 0.75}, 2);
}
END_TEST

int main(void) {
    Suite *s = suite_create("clip_grad");
    TCase *tc = tcase_create("clip");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, norm_clips_and_skips_undefined);
    tcase_add_test(tc, norm_below_max_is_unchanged);
    tcase_add_test(tc, value_clamps);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
