/*
 * test_strategy.c — the built-in single-device strategy and the true precisions below
 * the trainer: creation by --trainer.strategy / --trainer.precision, setup_environment
 * (rank, world size, the context's head), the collectives as identities,
 * reduce_boolean_decision, is_global_zero and the writes gated on it (save_checkpoint,
 * --results, the loggers), and the dtype a float32 request becomes under 32-true and
 * 64-true. Through `ltrun fit`: every shell test runs the single-device strategy.
 */
#include "check_run.h"
#include "core/context.h"
#include "precision/precision.h"
#include "strategy/single_device.h"
#include "strategy/strategy.h"
#include "tensor/arena.h"
#include "tensor/tensor.h"
#include "trainer/hooks.h"
#include "trainer/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ltr_ctx X;
#define C (&X.pub)

static ltr_arena *A;

static void setup(void) {
    ltr_ctx_init(&X, NULL);
    A = ltr_arena_create((size_t)1 << 20);
    X.arena = A;
}
static void teardown(void) {
    ltr_ctx_free_allocs(&X);
    ltr_arena_destroy(A);
}

/* A built-in strategy from options, set up as a run does it. */
static ltr_strategy *made(const char *name, int64_t precision) {
    ltr_strategy_options o = {.name = name, .precision = precision, .num_threads = 0};
    char err[256] = "";
    int code = 0;
    ltr_strategy *s = ltr_strategy_create(C, &o, &code, err, sizeof err);
    ck_assert_msg(s, "%s", err);
    ck_assert_int_eq(ltr_strategy_setup_environment(s, C), LT_OK);
    return s;
}

START_TEST(builtin_names_make_single_device) {
    const char *names[] = {NULL, "", "auto", "single_device"};
    for (int i = 0; i < 4; i++) {
        ck_assert(ltr_strategy_name_is_builtin(names[i]));
        ltr_strategy *s = made(names[i], 32);
        ck_assert_ptr_eq(s->ops, &ltr_single_device_ops);
        ck_assert_str_eq(s->ops->name, "single_device");
        ck_assert_str_eq(s->precision->ops->name, "32-true");
        ltr_strategy_destroy(s, C);
    }
    ck_assert(!ltr_strategy_name_is_builtin("ddp"));
    /* a precision without a built-in: a usage error naming the flag */
    ltr_strategy_options o = {.name = "auto", .precision = 48};
    char err[256] = "";
    int code = 0;
    ck_assert_ptr_null(ltr_strategy_create(C, &o, &code, err, sizeof err));
    ck_assert_int_eq(code, 2);
    ck_assert_msg(strstr(err, "--trainer.precision"), "%s", err);
    /* another name goes to the plugin side, which names the value when it fails */
    o = (ltr_strategy_options){.name = "no_such_strategy_xyz", .precision = 32};
    err[0] = '\0';
    ck_assert_ptr_null(ltr_strategy_create(C, &o, &code, err, sizeof err));
    ck_assert_msg(strstr(err, "no_such_strategy_xyz"), "%s", err);
}
END_TEST

START_TEST(setup_environment_sets_ranks_and_context) {
    X.pub.rank = 7; /* whatever was there before: the strategy decides */
    X.pub.world_size = 9;
    ltr_strategy *s = made("single_device", 32);
    ck_assert_int_eq(s->rank, 0);
    ck_assert_int_eq(s->local_rank, 0);
    ck_assert_int_eq(s->node_rank, 0);
    ck_assert_int_eq(s->world_size, 1);
    ck_assert_int_eq(X.pub.rank, 0);
    ck_assert_int_eq(X.pub.world_size, 1);
    ck_assert(ltr_strategy_is_global_zero(s));
    ltr_strategy_destroy(s, C);
}
END_TEST

START_TEST(collectives_are_identities) {
    ltr_strategy *s = made("auto", 32);
    const ltr_collective_op ops[] = {LTR_REDUCE_SUM, LTR_REDUCE_MEAN, LTR_REDUCE_MAX, LTR_REDUCE_MIN};
    for (int k = 0; k < 4; k++) {
        double v[3] = {1.5, -2.0, NAN};
        ck_assert_int_eq(s->ops->reduce(s, C, v, 3, ops[k]), LT_OK);
        ck_assert(v[0] == 1.5 && v[1] == -2.0 && isnan(v[2]));
    }
    ck_assert_int_eq(s->ops->barrier(s, C, "test"), LT_OK);
    char buf[4] = "abc";
    ck_assert_int_eq(s->ops->broadcast(s, C, buf, sizeof buf, 0), LT_OK);
    ck_assert_str_eq(buf, "abc");
    /* there is no rank 1 to broadcast from */
    ck_assert_int_eq(s->ops->broadcast(s, C, buf, sizeof buf, 1), LT_ERROR);
    ck_assert_msg(strstr(X.error, "source rank 1"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    /* all_gather: [1, *x.shape] holding x */
    int64_t two = 2, one_two[2] = {1, 2};
    lt_tensor *x = ltr_zeros(C, LT_FLOAT64, 1, &two), *out = ltr_zeros(C, LT_FLOAT64, 2, one_two);
    ck_assert(x && out);
    ((double *)x->data)[0] = 3.0;
    ((double *)x->data)[1] = -4.0;
    ck_assert_int_eq(s->ops->all_gather(s, C, x, out), LT_OK);
    ck_assert(((double *)out->data)[0] == 3.0 && ((double *)out->data)[1] == -4.0);
    lt_tensor *wrong = ltr_zeros(C, LT_FLOAT32, 2, one_two);
    ck_assert_int_eq(s->ops->all_gather(s, C, x, wrong), LT_ERROR);
    ltr_ctx_take_error(&X, NULL, 0);
    ck_assert_int_eq(s->ops->setup(s, C), LT_OK);
    s->ops->teardown(s, C);
    ltr_strategy_destroy(s, C);
}
END_TEST

/* reduce_boolean_decision on one rank: its own decision, for all=True and all=False */
START_TEST(reduce_bool_keeps_the_decision) {
    ltr_strategy *s = made("auto", 32);
    for (int all = 0; all < 2; all++)
        for (int d = 0; d < 2; d++) {
            bool v = d;
            ck_assert_int_eq(s->ops->reduce_bool(s, C, &v, all), LT_OK);
            ck_assert_int_eq(v, d);
        }
    ltr_strategy_destroy(s, C);
}
END_TEST

static int writes;
static lt_status count_write(void *arg, const char *path) {
    (void)arg, (void)path;
    writes++;
    return LT_OK;
}

START_TEST(save_checkpoint_writes_on_global_zero_only) {
    ltr_strategy *s = made("auto", 32);
    writes = 0;
    ck_assert_int_eq(s->ops->save_checkpoint(s, C, "x.h5", count_write, NULL), LT_OK);
    ck_assert_int_eq(writes, 1);
    s->rank = 1; /* as a second process of a distributed run would be */
    ck_assert(!ltr_strategy_is_global_zero(s));
    ck_assert_int_eq(s->ops->save_checkpoint(s, C, "x.h5", count_write, NULL), LT_OK);
    ck_assert_int_eq(writes, 1);
    ltr_strategy_destroy(s, C);
}
END_TEST

/* ------------------------------------------------------ the trainer's gated writes */

static int logged;
static lt_status count_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                   const double *values, int n, int64_t step) {
    (void)ctx, (void)self, (void)names, (void)values, (void)n, (void)step;
    logged++;
    return LT_OK;
}
static lt_status count_hparams(lt_ctx *ctx, void *self, const char *params) {
    (void)ctx, (void)self, (void)params;
    logged++;
    return LT_OK;
}
static lt_status count_finalize(lt_ctx *ctx, void *self, const char *status) {
    (void)ctx, (void)self, (void)status;
    logged++;
    return LT_OK;
}
static const lt_logger_vtable counting_logger = {
    .size = sizeof(lt_logger_vtable), .log_hyperparams = count_hparams,
    .log_metrics = count_log_metrics, .finalize = count_finalize,
};

/* A trainer shell with a strategy (rank as given) and one counting logger. */
static ltr_trainer *gated_trainer(ltr_strategy *s, ltr_logger *lg) {
    ltr_trainer *t = calloc(1, sizeof *t);
    ck_assert(t);
    ltr_ctx_init(&t->ctx, NULL);
    t->ctx.trainer = t;
    t->strategy = s;
    t->stage_results = cJSON_CreateObject();
    ltr_param_store_init(&t->params);
    memset(lg, 0, sizeof *lg);
    lg->vt = &counting_logger;
    lg->created = true;
    lg->plugin.path = "counting";
    snprintf(lg->label, sizeof lg->label, "counting");
    t->lgs.items = lg;
    t->lgs.n = 1;
    return t;
}

static void gated_free(ltr_trainer *t) {
    cJSON_Delete(t->stage_results);
    ltr_param_store_free(&t->params);
    ltr_ctx_free_allocs(&t->ctx);
    free(t);
}

START_TEST(trainer_writes_gated_on_global_zero) {
    for (int rank = 0; rank < 2; rank++) {
        ltr_strategy *s = made("auto", 32);
        s->rank = rank;
        ltr_logger lg;
        ltr_trainer *t = gated_trainer(s, &lg);
        ck_assert_int_eq(ltr_trainer_is_global_zero(t), rank == 0);
        char path[64];
        snprintf(path, sizeof path, "test_strategy_results_%d.json", (int)getpid());
        unlink(path);
        ck_assert_int_eq(ltr_report_write_json(t, path), LT_OK);
        ck_assert_int_eq(access(path, F_OK) == 0, rank == 0); /* --results: rank zero's */
        unlink(path);
        /* lt_save_checkpoint: a non-zero rank writes nothing (and does not fail) */
        if (rank == 1) {
            snprintf(path, sizeof path, "test_strategy_ckpt_%d.h5", (int)getpid());
            ck_assert_int_eq(ltr_api_save_checkpoint(&t->ctx.pub, path, false), LT_OK);
            ck_assert(access(path, F_OK) != 0);
        }
        /* the loggers' log_hyperparams / log_metrics / finalize */
        logged = 0;
        ltr_metric_dict m = {0};
        ltr_dict_set(&m, "loss", 0.5);
        ck_assert_int_eq(ltr_loggers_log_metrics(t, &m), LT_OK);
        ck_assert_int_eq(ltr_loggers_log_hyperparams(t), LT_OK);
        ltr_loggers_finalize(t, "success");
        ck_assert_int_eq(logged, rank == 0 ? 3 : 0);
        ltr_dict_free(&m);
        ck_assert_int_eq(t->exit_code, 0);
        gated_free(t);
        ltr_strategy_destroy(s, C);
    }
}
END_TEST

/* ------------------------------------------------------------------- precision */

START_TEST(precision_converts_float_requests) {
    ltr_param_store ps;
    ltr_param_store_init(&ps);
    X.params = &ps;
    int64_t two = 2;
    /* 32-true: float32 stays float32 */
    ltr_strategy *s = made("auto", 32);
    ck_assert_int_eq(ltr_precision_convert_module(s->precision, C), LT_OK);
    ck_assert_int_eq(ltr_precision_float_dtype(s->precision), LT_FLOAT32);
    lt_tensor *w = ltr_param(C, "w32", LT_FLOAT32, 1, &two);
    ck_assert_msg(w, "%s", X.error);
    ck_assert_int_eq(w->dtype, LT_FLOAT32);
    ltr_strategy_destroy(s, C);
    /* 64-true: float32 requests become float64 (module.double()); others unchanged */
    s = made("auto", 64);
    ck_assert_str_eq(s->precision->ops->name, "64-true");
    ck_assert_int_eq(s->ops->setup(s, C), LT_OK);
    ck_assert_int_eq(ltr_precision_convert_module(s->precision, C), LT_OK);
    ck_assert_int_eq(ltr_precision_float_dtype(s->precision), LT_FLOAT64);
    lt_tensor *d = ltr_param(C, "w64", LT_FLOAT32, 1, &two);
    ck_assert_msg(d, "%s", X.error);
    ck_assert_int_eq(d->dtype, LT_FLOAT64);
    ck_assert_int_eq(ltr_float_dtype(C, LT_BFLOAT16), LT_BFLOAT16);
    ltr_strategy_destroy(s, C);
    ck_assert_ptr_eq(ltr_precision_by_name("64-true"), ltr_precision_builtin(64));
    ck_assert_ptr_eq(ltr_precision_by_name("32-true"), ltr_precision_builtin(32));
    /* 16-mixed is no precision of its own on the CPU: it runs bf16-mixed (Lightning) */
    ck_assert_ptr_null(ltr_precision_by_name("16-mixed"));
    ck_assert_ptr_eq(ltr_precision_builtin(16), ltr_precision_by_name("bf16-mixed"));
    ck_assert_ptr_null(ltr_precision_builtin(48));
    X.params = NULL;
    ltr_param_store_free(&ps);
}
END_TEST

static int module_backward_calls;
static lt_tensor *seen_loss;
static lt_status fake_module_backward(void *arg, lt_ctx *ctx, lt_tensor *loss) {
    (void)ctx;
    ck_assert_ptr_eq(arg, &module_backward_calls);
    module_backward_calls++;
    seen_loss = loss;
    return LT_OK;
}
static int steps;
static lt_status fake_step(lt_optimizer *opt) {
    (void)opt;
    steps++;
    return LT_OK;
}

/* backward: the module's backward once, with the loss; optimizer_step: the update once */
START_TEST(backward_and_step_go_through_the_precision) {
    ltr_strategy *s = made("auto", 32);
    s->module_backward = fake_module_backward;
    s->module_backward_arg = &module_backward_calls;
    int64_t one = 1;
    lt_tensor *loss = ltr_zeros(C, LT_FLOAT32, 1, &one);
    module_backward_calls = 0;
    ck_assert_int_eq(s->ops->backward(s, C, loss), LT_OK);
    ck_assert_int_eq(module_backward_calls, 1);
    ck_assert_ptr_eq(seen_loss, loss);
    steps = 0;
    ck_assert_int_eq(ltr_precision_optimizer_step(s->precision, C, NULL, fake_step), LT_OK);
    ck_assert_int_eq(steps, 1);
    ck_assert_int_eq(ltr_precision_forward_enter(s->precision, C, "training_step"), LT_OK);
    ltr_precision_forward_exit(s->precision, C, "training_step");
    ltr_strategy_destroy(s, C);
}
END_TEST

int main(void) {
    Suite *s = suite_create("strategy");
    TCase *tc = tcase_create("single_device");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, builtin_names_make_single_device);
    tcase_add_test(tc, setup_environment_sets_ranks_and_context);
    tcase_add_test(tc, collectives_are_identities);
    tcase_add_test(tc, reduce_bool_keeps_the_decision);
    tcase_add_test(tc, save_checkpoint_writes_on_global_zero_only);
    tcase_add_test(tc, trainer_writes_gated_on_global_zero);
    tcase_add_test(tc, precision_converts_float_requests);
    tcase_add_test(tc, backward_and_step_go_through_the_precision);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
