/*
 * test_metrics.c — torchmetrics-style metrics: functional top-k accuracy, macro
 * precision / recall / F1 (a class absent from preds and target is skipped), confusion
 * matrix, MAE, MSE against hand computations; metric objects accumulate over updates
 * so the epoch value differs from the mean of batch values in a constructed case;
 * reset; the results integration (lt_log_metric): the epoch value is the metric's
 * compute() and the results' reset resets the metric. Errors name the op.
 */
#include "check_run.h"
#include "gradcheck.h"
#include "nn/metrics.h"
#include "trainer/results.h"

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }

static lt_tensor *ivec(int64_t n, const double *v) { return tensor_of(&E, LT_INT64, 1, &n, v); }
static double val(lt_tensor *t) { ck_assert_ptr_nonnull(t); return ltr_get(t, 0); }

static void expect_error(void *r, const char *op, const char *frag) {
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(E.ctx.error, op) != NULL && strstr(E.ctx.error, frag) != NULL,
                  "error was: %s", E.ctx.error);
    ck_assert(ltr_ctx_take_error(&E.ctx, NULL, 0));
}

/* batch 1: preds [0,1,1,0] target [0,1,2,0]: class 0 tp 2; class 1 tp 1 fp 1; class 2 fn 1
 *   precision (1 + 1/2 + 0)/3 = 1/2, recall (1 + 1 + 0)/3 = 2/3, f1 (1 + 2/3 + 0)/3 = 5/9,
 *   accuracy 3/4
 * batch 2: preds [2,2] target [2,1]: class 1 fn 1, class 2 tp 1 fp 1, class 0 absent
 *   (skipped): precision (0 + 1/2)/2 = 1/4, recall (0 + 1)/2 = 1/2, accuracy 1/2
 * epoch: class 0 tp 2; class 1 tp 1 fp 1 fn 1; class 2 tp 1 fp 1 fn 1:
 *   precision = recall = f1 = (1 + 1/2 + 1/2)/3 = 2/3, accuracy 4/6 = 2/3 (the mean of
 *   the batch values would be 0.375 / 0.583 / 0.625) */
static const double P1[] = {0, 1, 1, 0}, T1[] = {0, 1, 2, 0}, P2[] = {2, 2}, T2[] = {2, 1};

START_TEST(functional_values) {
    lt_ctx *c = &E.ctx.pub;
    lt_tensor *p = ivec(4, P1), *t = ivec(4, T1);
    ck_assert_double_eq_tol(val(ltr_precision(c, p, t, 3)), 0.5, 1e-7);
    ck_assert_double_eq_tol(val(ltr_recall(c, p, t, 3)), 2.0 / 3, 1e-7);
    ck_assert_double_eq_tol(val(ltr_f1_score(c, p, t, 3)), 5.0 / 9, 1e-7);
    ck_assert_double_eq_tol(val(ltr_precision(c, ivec(2, P2), ivec(2, T2), 3)), 0.25, 1e-7);
    ck_assert_double_eq_tol(val(ltr_recall(c, ivec(2, P2), ivec(2, T2), 3)), 0.5, 1e-7);
    /* confusion matrix, rows = true: [[2,0,0],[0,1,0],[0,1,0]] */
    lt_tensor *cm = ltr_confusion_matrix(c, p, t, 3);
    ck_assert_int_eq(cm->dtype, LT_INT64);
    static const int64_t CM[9] = {2, 0, 0, 0, 1, 0, 0, 1, 0};
    for (int i = 0; i < 9; i++) ck_assert_int_eq(((int64_t *)cm->data)[i], CM[i]);
    /* top-k on scores: argmax 1, 0, 2 against target 2, 1, 0 */
    int64_t s33[2] = {3, 3};
    lt_tensor *lg = tensor_of(&E, LT_FLOAT64, 2, s33, (double[]){0.1, 0.5, 0.4, 0.9, 0.06, 0.04, 0.2, 0.3, 0.5});
    lt_tensor *tt = ivec(3, (double[]){2, 1, 0});
    ck_assert_double_eq_tol(val(ltr_accuracy_topk(c, lg, tt, 1)), 0.0, 1e-7);
    ck_assert_double_eq_tol(val(ltr_accuracy_topk(c, lg, tt, 2)), 2.0 / 3, 1e-7);
    ck_assert_double_eq_tol(val(ltr_accuracy_topk(c, lg, tt, 3)), 1.0, 1e-7);
    /* scores argmax (1, 0, 2) as preds for precision: class 0: fp 1 fn 1, class 1 fp 1 fn 1,
     * class 2 fp 1 fn 1 -> 0 */
    ck_assert_double_eq_tol(val(ltr_precision(c, lg, tt, 0)), 0.0, 1e-7);
    /* MAE / MSE: |[1,2,3] - [1.5,2,1]| */
    lt_tensor *a = tensor_of(&E, LT_FLOAT32, 1, (int64_t[]){3}, (double[]){1, 2, 3});
    lt_tensor *b = tensor_of(&E, LT_FLOAT32, 1, (int64_t[]){3}, (double[]){1.5, 2, 1});
    ck_assert_double_eq_tol(val(ltr_mean_absolute_error(c, a, b)), 2.5 / 3, 1e-6);
    ck_assert_double_eq_tol(val(ltr_mean_squared_error(c, a, b)), 4.25 / 3, 1e-6);
    /* errors */
    expect_error(ltr_precision(c, p, ivec(4, (double[]){0, 1, 3, 0}), 3), "lt_precision", "target 3 at index 2");
    expect_error(ltr_recall(c, ivec(4, (double[]){0, 5, 1, 0}), t, 3), "lt_recall", "prediction 5");
    expect_error(ltr_accuracy_topk(c, lg, tt, 4), "lt_accuracy_topk", "top_k");
    expect_error(ltr_mean_squared_error(c, a, p), "lt_mean_squared_error", "one shape");
    expect_error(ltr_f1_score(c, p, ivec(2, T2), 3), "lt_f1_score", "[4]");
}
END_TEST

START_TEST(objects_accumulate_and_reset) {
    lt_ctx *c = &E.ctx.pub;
    lt_metric_options o = LT_METRIC_DEFAULTS;
    o.num_classes = 3;
    lt_metric *acc = ltr_metric_new(c, LT_METRIC_ACCURACY, &o);
    lt_metric *prec = ltr_metric_new(c, LT_METRIC_PRECISION, &o);
    lt_metric *f1 = ltr_metric_new(c, LT_METRIC_F1, &o);
    lt_metric *cm = ltr_metric_new(c, LT_METRIC_CONFUSION_MATRIX, &o);
    lt_metric *mae = ltr_metric_new(c, LT_METRIC_MAE, NULL);
    lt_metric *ms[4] = {acc, prec, f1, cm};
    for (int epoch = 0; epoch < 2; epoch++) {
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(ltr_metric_update(c, ms[i], ivec(4, P1), ivec(4, T1)), LT_OK);
            if (i < 3) ck_assert_double_eq_tol(ltr_metric_batch_value(ms[i]), i == 0 ? 0.75 : i == 1 ? 0.5 : 5.0 / 9, 1e-12);
            ck_assert_int_eq(ltr_metric_update(c, ms[i], ivec(2, P2), ivec(2, T2)), LT_OK);
        }
        ck_assert_double_eq_tol(ltr_metric_batch_value(acc), 0.5, 1e-12);
        ck_assert_double_eq_tol(ltr_metric_batch_value(prec), 0.25, 1e-12);
        /* the epoch value is over all updates, not the mean of batch values */
        ck_assert_double_eq_tol(val(ltr_metric_compute(c, acc)), 2.0 / 3, 1e-7);
        ck_assert_double_eq_tol(val(ltr_metric_compute(c, prec)), 2.0 / 3, 1e-7);
        ck_assert_double_eq_tol(val(ltr_metric_compute(c, f1)), 2.0 / 3, 1e-7);
        lt_tensor *m = ltr_metric_compute(c, cm);
        static const int64_t CM[9] = {2, 0, 0, 0, 1, 1, 0, 1, 1};
        for (int i = 0; i < 9; i++) ck_assert_int_eq(((int64_t *)m->data)[i], CM[i]);
        for (int i = 0; i < 4; i++) ltr_metric_reset(c, ms[i]);
        ck_assert(isnan(val(ltr_metric_compute(c, acc))));
        ck_assert_double_eq_tol(val(ltr_metric_compute(c, prec)), 0.0, 1e-12);
    }
    int64_t n2 = 2;
    lt_tensor *a = tensor_of(&E, LT_FLOAT64, 1, &n2, (double[]){1, 2});
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 1, &n2, (double[]){2, 2});
    ck_assert_int_eq(ltr_metric_update(c, mae, a, b), LT_OK); /* errors 1, 0 */
    int64_t n1 = 1;
    ck_assert_int_eq(ltr_metric_update(c, mae, tensor_of(&E, LT_FLOAT64, 1, &n1, (double[]){5}),
                                       tensor_of(&E, LT_FLOAT64, 1, &n1, (double[]){1})), LT_OK);
    /* (1 + 0 + 4) / 3, not the mean of batch MAEs (0.5 + 4) / 2 */
    ck_assert_double_eq_tol(val(ltr_metric_compute(c, mae)), 5.0 / 3, 1e-7);
    /* errors */
    expect_error(ltr_metric_new(c, LT_METRIC_F1, NULL), "lt_metric_new", "num_classes");
    o.top_k = 2;
    expect_error(ltr_metric_new(c, LT_METRIC_RECALL, &o), "lt_metric_new", "top_k");
    ck_assert_int_eq(ltr_metric_update(c, acc, ivec(2, P2), ivec(2, (double[]){0, 7})), LT_ERROR);
    ck_assert(strstr(E.ctx.error, "target 7") != NULL);
    ck_assert(ltr_ctx_take_error(&E.ctx, NULL, 0));
}
END_TEST

/* lt_log_metric's results side: on_step gives the batch value, on_epoch the metric's
 * compute() over the epoch; the reset between epochs resets the metric */
START_TEST(results_take_epoch_value_from_metric) {
    lt_ctx *c = &E.ctx.pub;
    lt_metric_options o = LT_METRIC_DEFAULTS;
    o.num_classes = 3;
    lt_metric *acc = ltr_metric_new(c, LT_METRIC_ACCURACY, &o);
    ltr_results r = {0};
    ltr_metric_dict logged = {0}, cb = {0};
    char err[256];
    for (int epoch = 0; epoch < 2; epoch++) {
        for (int b = 0; b < 2; b++) {
            ltr_metric_update(c, acc, ivec(b ? 2 : 4, b ? P2 : P1), ivec(b ? 2 : 4, b ? T2 : T1));
            ck_assert_int_eq(ltr_results_log(&r, "training_step", "acc", ltr_metric_batch_value(acc),
                                             b ? 2 : 4, LT_ON_STEP | LT_ON_EPOCH, err, sizeof err), LT_OK);
            ltr_results_attach_metric(&r, "training_step", "acc", acc, 0);
            ltr_results_collect_step(&r, &logged, NULL, &cb);
            ck_assert_double_eq_tol(*ltr_dict_get(&logged, "acc_step"), b ? 0.5 : 0.75, 1e-12);
        }
        ltr_results_collect_epoch(&r, &logged, NULL, &cb);
        /* 4/6 over the epoch; the batch-size weighted mean of batch values would also be
         * 4/6 here, the plain mean 0.625: the metric's own state is what is used */
        ck_assert_double_eq_tol(*ltr_dict_get(&logged, "acc_epoch"), 2.0 / 3, 1e-12);
        ltr_results_reset(&r);
        ck_assert(isnan(ltr_metric_epoch_value(acc)));
    }
    /* precision: epoch 2/3, batch-size weighted mean of batch values (4*.5 + 2*.25)/6 = 5/12 */
    lt_metric *prec = ltr_metric_new(c, LT_METRIC_PRECISION, &o);
    for (int b = 0; b < 2; b++) {
        ltr_metric_update(c, prec, ivec(b ? 2 : 4, b ? P2 : P1), ivec(b ? 2 : 4, b ? T2 : T1));
        ck_assert_int_eq(ltr_results_log(&r, "validation_step", "prec", ltr_metric_batch_value(prec),
                                         b ? 2 : 4, 0, err, sizeof err), LT_OK);
        ltr_results_attach_metric(&r, "validation_step", "prec", prec, 0);
    }
    ltr_results_collect_epoch(&r, &logged, NULL, &cb);
    ck_assert_double_eq_tol(*ltr_dict_get(&logged, "prec"), 2.0 / 3, 1e-12);
    ltr_results_free(&r);
    ltr_dict_free(&logged);
    ltr_dict_free(&cb);
}
END_TEST

int main(void) {
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, functional_values);
    tcase_add_test(tc, objects_accumulate_and_reset);
    tcase_add_test(tc, results_take_epoch_value_from_metric);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
