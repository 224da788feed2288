/* test_results.c — lt_log semantics against Lightning's rules (reference/lightning.md §7). */
#include "trainer/results.h"

#include "check_run.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

static double get(const ltr_metric_dict *d, const char *name) {
    const double *v = ltr_dict_get(d, name);
    ck_assert_msg(v != NULL, "metric %s missing", name);
    return *v;
}

START_TEST(training_step_defaults_to_on_step) {
    ltr_results r = {0};
    ltr_metric_dict logged = {0}, cb = {0};
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "loss", 2.0, 32, 0, err, sizeof err), LT_OK);
    ltr_results_collect_step(&r, &logged, NULL, &cb);
    ck_assert_double_eq(get(&logged, "loss"), 2.0);
    ltr_metric_dict ep = {0};
    ltr_results_collect_epoch(&r, &ep, NULL, NULL);
    ck_assert_int_eq(ep.n, 0); /* on_step only: not accumulated */
    ltr_dict_free(&logged);
    ltr_dict_free(&cb);
    ltr_dict_free(&ep);
    ltr_results_free(&r);
}
END_TEST

START_TEST(validation_step_defaults_to_weighted_epoch_mean) {
    ltr_results r = {0};
    ltr_results_log(&r, "validation_step", "val/loss", 1.0, 128, 0, err, sizeof err);
    ltr_results_log(&r, "validation_step", "val/loss", 4.0, 32, 0, err, sizeof err);
    ltr_metric_dict step = {0}, ep = {0};
    ltr_results_collect_step(&r, &step, NULL, NULL);
    ck_assert_int_eq(step.n, 0);
    ltr_results_collect_epoch(&r, &ep, NULL, NULL);
    /* (1*128 + 4*32) / 160 = 1.6 */
    ck_assert_double_eq_tol(get(&ep, "val/loss"), 1.6, 1e-12);
    ltr_dict_free(&step);
    ltr_dict_free(&ep);
    ltr_results_free(&r);
}
END_TEST

/* test__training_step__log in Lightning: forked names, pbar and callback dicts */
START_TEST(both_flags_fork_names) {
    ltr_results r = {0};
    ltr_metric_dict logged = {0}, pbar = {0}, cb = {0};
    unsigned both = LT_ON_STEP | LT_ON_EPOCH;
    ltr_results_log(&r, "training_step", "l_se", 3.0, 10, both, err, sizeof err);
    ltr_results_log(&r, "training_step", "p_se", 5.0, 10, both | LT_PROG_BAR | LT_NO_LOGGER, err, sizeof err);
    ltr_results_collect_step(&r, &logged, &pbar, &cb);
    ck_assert_double_eq(get(&logged, "l_se_step"), 3.0);
    ck_assert_ptr_null(ltr_dict_get(&logged, "p_se_step")); /* logger=False */
    ck_assert_double_eq(get(&pbar, "p_se_step"), 5.0);
    ck_assert_double_eq(get(&cb, "l_se"), 3.0);
    ltr_results_log(&r, "training_step", "l_se", 1.0, 30, both, err, sizeof err);
    ltr_results_collect_step(&r, &logged, &pbar, &cb);
    ltr_results_collect_epoch(&r, &logged, &pbar, &cb);
    /* (3*10 + 1*30) / 40 = 1.5 */
    ck_assert_double_eq_tol(get(&logged, "l_se_epoch"), 1.5, 1e-12);
    ck_assert_double_eq_tol(get(&cb, "l_se"), 1.5, 1e-12); /* epoch value overwrites */
    ck_assert_ptr_null(ltr_dict_get(&logged, "l_se"));
    ltr_dict_free(&logged);
    ltr_dict_free(&pbar);
    ltr_dict_free(&cb);
    ltr_results_free(&r);
}
END_TEST

START_TEST(reductions_sum_max_min) {
    ltr_results r = {0};
    double vals[] = {3, -1, 7};
    for (int i = 0; i < 3; i++) {
        ltr_results_log(&r, "validation_step", "s", vals[i], 100, LT_REDUCE_SUM, err, sizeof err);
        ltr_results_log(&r, "validation_step", "mx", vals[i], 100, LT_REDUCE_MAX, err, sizeof err);
        ltr_results_log(&r, "validation_step", "mn", vals[i], 100, LT_REDUCE_MIN, err, sizeof err);
    }
    ltr_metric_dict ep = {0};
    ltr_results_collect_epoch(&r, &ep, NULL, NULL);
    ck_assert_double_eq(get(&ep, "s"), 9);   /* sum ignores batch size */
    ck_assert_double_eq(get(&ep, "mx"), 7);
    ck_assert_double_eq(get(&ep, "mn"), -1);
    ltr_dict_free(&ep);
    ltr_results_free(&r);
}
END_TEST

START_TEST(errors_follow_lightning) {
    ltr_results r = {0};
    ck_assert_int_eq(ltr_results_log(&r, "configure_optimizers", "x", 1, 1, 0, err, sizeof err), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "not allowed in configure_optimizers"));
    ck_assert_int_eq(ltr_results_log(&r, "setup", "x", 1, 1, 0, err, sizeof err), LT_ERROR);
    ck_assert_int_eq(ltr_results_log(&r, "on_train_epoch_end", "x", 1, 1, LT_ON_STEP, err, sizeof err), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "on_step"));
    ck_assert_int_eq(ltr_results_log(&r, "on_train_epoch_end", "x", 1, 1, 0, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "y", 1, 1, LT_PROG_BAR, err, sizeof err), LT_OK);
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "y", 1, 1, 0, err, sizeof err), LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "different options"));
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "z", 1, 1, LT_REDUCE_SUM | LT_REDUCE_MAX, err, sizeof err), LT_ERROR);
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "", 1, 1, 0, err, sizeof err), LT_ERROR);
    ltr_results_free(&r);
}
END_TEST

START_TEST(reset_forgets_epoch_values) {
    ltr_results r = {0};
    ltr_results_log(&r, "validation_step", "a", 1, 1, 0, err, sizeof err);
    ltr_results_reset(&r);
    ltr_results_log(&r, "validation_step", "a", 5, 1, 0, err, sizeof err);
    ltr_metric_dict ep = {0};
    ltr_results_collect_epoch(&r, &ep, NULL, NULL);
    ck_assert_double_eq(get(&ep, "a"), 5);
    ltr_dict_free(&ep);
    ltr_results_free(&r);
}
END_TEST

/* _FxValidator rules the lt_log_ex options reach */
START_TEST(explicit_options_follow_fx_validator) {
    ltr_results r = {0};
    /* on_step=False, on_epoch=False raises in Lightning */
    ck_assert_int_eq(ltr_results_log(&r, "training_step", "x", 1, 1, LTR_LOG_EXPLICIT, err, sizeof err),
                     LT_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "on_step=False and on_epoch=False"));
    /* epoch hooks: on_epoch must be True */
    ck_assert_int_eq(ltr_results_log(&r, "on_train_epoch_end", "x", 1, 1, LTR_LOG_EXPLICIT | LT_ON_STEP,
                                     err, sizeof err), LT_ERROR);
    ck_assert_int_eq(ltr_results_log(&r, "on_validation_epoch_end", "y", 1, 1,
                                     LTR_LOG_EXPLICIT | LT_ON_EPOCH, err, sizeof err), LT_OK);
    /* the rest of the training-step hooks default to on_step */
    const char *hooks[] = {"backward", "optimizer_step", "configure_gradient_clipping",
                           "clip_gradients", "optimizer_zero_grad"};
    for (int i = 0; i < 5; i++) ck_assert_int_eq(ltr_log_rule_for(hooks[i]), LTR_LOG_TRAIN_STEP);
    /* predict hooks and lr_scheduler_step may not log */
    ck_assert_int_eq(ltr_log_rule_for("predict_step"), LTR_LOG_FORBIDDEN);
    ck_assert_int_eq(ltr_log_rule_for("lr_scheduler_step"), LTR_LOG_FORBIDDEN);
    ltr_results_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, training_step_defaults_to_on_step);
    tcase_add_test(tc, validation_step_defaults_to_weighted_epoch_mean);
    tcase_add_test(tc, both_flags_fork_names);
    tcase_add_test(tc, reductions_sum_max_min);
    tcase_add_test(tc, errors_follow_lightning);
    tcase_add_test(tc, reset_forgets_epoch_values);
    tcase_add_test(tc, explicit_options_follow_fx_validator);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
