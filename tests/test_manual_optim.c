/*
 * test_manual_optim.c — the pieces of manual optimization below the loop:
 * optimizers over a subset of the parameters (torch's SGD(self.g.parameters())),
 * zero_grad touching only the optimizer's own parameters (torch iterates its
 * param_groups), LightningModule.toggle_optimizer / untoggle_optimizer's
 * requires_grad bookkeeping (saved flags, parameters shared by two optimizers,
 * parameters frozen beforehand), requires_grad_ on parameters only, and
 * automatic_optimization being settable only from create.
 * Through `ltrun fit`: tests/test_manual.sh.
 */
#include "check_run.h"
#include "core/context.h"
#include "optim/configure.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"
#include "trainer/trainer.h"

#include <stdlib.h>
#include <string.h>

static ltr_ctx X;
static ltr_trainer *T; /* only params, optim_setup and the manual fields are used */
#define C (&X.pub)

static void setup(void) {
    ltr_ctx_init(&X, NULL);
    T = calloc(1, sizeof *T);
    ltr_param_store_init(&T->params);
    X.params = &T->params;
    X.trainer = T;
}

static void teardown(void) {
    ltr_optim_setup_free(&T->optim_setup);
    ltr_param_store_free(&T->params);
    free(T->manual.requires_grad_state);
    free(T);
    ltr_ctx_free_allocs(&X);
}

static lt_tensor *param(const char *name, float w) {
    int64_t n = 1;
    lt_tensor *p = ltr_param(C, name, LT_FLOAT32, 1, &n);
    ck_assert_msg(p != NULL, "ltr_param: %s", X.error);
    ((float *)p->data)[0] = w;
    return p;
}

static void set_grad(lt_tensor *p, float g) {
    ((float *)p->grad->data)[0] = g;
    p->flags |= LTR_T_GRAD_DEFINED;
}

static float w(const lt_tensor *p) { return ((const float *)p->data)[0]; }
static bool rg(const lt_tensor *p) { return (p->flags & LTR_T_REQUIRES_GRAD) != 0; }
static bool defined(const lt_tensor *p) { return (p->flags & LTR_T_GRAD_DEFINED) != 0; }

static lt_optimizer *sgd_over(const char *names) {
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.5;
    lt_optimizer *opt = ltr_sgd(C, &o);
    ck_assert_msg(opt != NULL, "%s", X.error);
    ck_assert_msg(ltr_optimizer_params(C, opt, names) == LT_OK, "%s", X.error);
    return opt;
}

/* torch: SGD(g.parameters(), lr=0.5) moves g only: w - 0.5 * grad */
START_TEST(optimizer_over_a_subset) {
    lt_tensor *gw = param("g.weight", 1.0f), *gb = param("g.bias", 2.0f), *dw = param("d.weight", 3.0f);
    lt_optimizer *og = sgd_over("g.*");
    X.optim = NULL; /* made outside a run: freed here */
    ck_assert_int_eq(ltr_optimizer_param_list(og, NULL), 2);
    set_grad(gw, 1.0f), set_grad(gb, -2.0f), set_grad(dw, 4.0f);
    ck_assert_int_eq(ltr_optimizer_step(og), LT_OK);
    ck_assert_float_eq(w(gw), 0.5f);
    ck_assert_float_eq(w(gb), 3.0f);
    ck_assert_float_eq(w(dw), 3.0f);
    /* zero_grad: only the optimizer's own parameters' grads become None */
    ltr_optimizer_zero_grad(og);
    ck_assert(!defined(gw) && !defined(gb));
    ck_assert(defined(dw));
    ltr_optimizer_free(og);
}
END_TEST

START_TEST(optimizer_params_errors) {
    lt_tensor *gw = param("g.weight", 1.0f);
    param("d.weight", 1.0f);
    lt_sgd_options o = LT_SGD_DEFAULTS;
    lt_optimizer *opt = ltr_sgd(C, &o);
    ck_assert_int_eq(ltr_optimizer_params(C, opt, "gen.*"), LT_ERROR);
    ck_assert_msg(strstr(X.error, "empty parameter list") && strstr(X.error, "g.weight, d.weight"),
                  "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    ck_assert_int_eq(ltr_param_group_add(C, opt, "g.*"), 1);
    ck_assert_int_eq(ltr_optimizer_params(C, opt, "g.*"), LT_OK);
    ck_assert_int_eq(ltr_num_param_groups(opt), 2); /* groups stay; group 0 is now empty */
    ck_assert_int_eq(ltr_optimizer_param_list(opt, NULL), 1);
    /* momentum makes state at the first step: choosing parameters afterwards is refused */
    ltr_group_set(C, opt, 1, "momentum", 0.9);
    set_grad(gw, 1.0f);
    ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
    ck_assert_int_eq(ltr_optimizer_params(C, opt, "g.*"), LT_ERROR);
    ck_assert_msg(strstr(X.error, "already taken steps"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    ltr_optimizer_free(opt);
}
END_TEST

/* A run's two optimizers: g over g.*, d over d.* and the shared s.weight */
static lt_tensor *GW, *DW, *DB, *SW, *FREE;
static lt_optimizer *OG, *OD;
static void two_optimizers(void) {
    GW = param("g.weight", 0), DW = param("d.weight", 0), DB = param("d.bias", 0);
    SW = param("s.weight", 0), FREE = param("other.weight", 0); /* in no optimizer */
    X.optim = &T->optim_setup;
    T->optim_setup.configuring = true;
    OG = sgd_over("g.*|s.*");
    OD = sgd_over("d.*|s.*");
    ck_assert_int_eq(ltr_add_optimizer(C, OG), LT_OK);
    ck_assert_int_eq(ltr_add_optimizer(C, OD), LT_OK);
    ck_assert_int_eq(ltr_optim_setup_finish(&T->optim_setup, C, OG, false), LT_OK);
}

START_TEST(toggle_and_untoggle) {
    two_optimizers();
    ltr_api_set_requires_grad(C, DB, false); /* frozen beforehand: stays frozen */
    ltr_api_set_requires_grad(C, FREE, false);
    ck_assert_int_eq(ltr_api_toggle_optimizer(C, OG), LT_OK);
    ck_assert(rg(GW) && rg(SW));          /* OG's own: their saved flags */
    ck_assert(!rg(DW) && !rg(DB));        /* the other optimizer's: off */
    ck_assert(!rg(FREE));                 /* in no optimizer: untouched */
    ck_assert_int_eq(ltr_api_untoggle_optimizer(C, OG), LT_OK);
    ck_assert(rg(GW) && rg(SW) && rg(DW));
    ck_assert(!rg(DB));                   /* restored to its saved False */
    ck_assert_int_eq(ltr_api_toggle_optimizer(C, OD), LT_OK);
    ck_assert(!rg(GW) && rg(DW) && rg(SW) && !rg(DB));
    ck_assert_int_eq(ltr_api_untoggle_optimizer(C, OD), LT_OK);
    ck_assert(rg(GW) && rg(DW) && rg(SW) && !rg(DB));
    /* untoggling again: the saved flags were forgotten, nothing changes */
    ltr_api_set_requires_grad(C, GW, false);
    ck_assert_int_eq(ltr_api_untoggle_optimizer(C, OD), LT_OK);
    ck_assert(!rg(GW));
    /* FREE untouched throughout, set back by hand */
    ltr_api_set_requires_grad(C, FREE, true);
    ck_assert(rg(FREE));
}
END_TEST

START_TEST(toggle_errors) {
    two_optimizers();
    lt_sgd_options o = LT_SGD_DEFAULTS;
    T->optim_setup.configuring = false;
    lt_optimizer *stray = ltr_sgd(C, &o); /* owned by the run, not in trainer.optimizers */
    ck_assert_int_eq(ltr_api_toggle_optimizer(C, stray), LT_ERROR);
    ck_assert_msg(strstr(X.error, "not one of this run's optimizers"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    ck_assert_int_eq(ltr_api_toggle_optimizer(C, NULL), LT_ERROR);
    ltr_ctx_take_error(&X, NULL, 0);
    /* requires_grad_ is for leaves (parameters) only */
    lt_tensor plain;
    memset(&plain, 0, sizeof plain);
    ck_assert_int_eq(ltr_api_set_requires_grad(C, &plain, true), LT_ERROR);
    ck_assert_msg(strstr(X.error, "only a parameter's requires_grad"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    ck_assert(!ltr_api_requires_grad(NULL));
}
END_TEST

START_TEST(automatic_optimization_flag) {
    ck_assert(ltr_api_automatic_optimization(C));
    ck_assert_int_eq(ltr_api_set_automatic_optimization(C, false), LT_OK);
    ck_assert(!ltr_api_automatic_optimization(C));
    T->module_created = true; /* after create: too late, the loops already chose */
    ck_assert_int_eq(ltr_api_set_automatic_optimization(C, true), LT_ERROR);
    ck_assert_msg(strstr(X.error, "create hook"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    ck_assert(!ltr_api_automatic_optimization(C));
    /* outside a run: automatic, and no trainer to change */
    X.trainer = NULL;
    ck_assert(ltr_api_automatic_optimization(C));
    ck_assert_int_eq(ltr_api_manual_backward(C, NULL), LT_ERROR);
    ck_assert_msg(strstr(X.error, "no trainer"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    X.trainer = T;
}
END_TEST

/* _configure_schedulers_manual_opt: a ReduceLROnPlateau needs no monitor (the module
 * steps it); automatic optimization requires one */
START_TEST(plateau_monitor_only_automatic) {
    param("w", 0);
    X.optim = &T->optim_setup;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    lt_plateau_options po = LT_PLATEAU_DEFAULTS;
    T->optim_setup.configuring = true;
    lt_optimizer *opt = ltr_sgd(C, &o);
    lt_lr_scheduler *s = ltr_reduce_lr_on_plateau(C, opt, &po);
    ck_assert_int_eq(ltr_add_lr_scheduler(C, s, NULL), LT_ERROR);
    ck_assert_msg(strstr(X.error, "must include a monitor"), "%s", X.error);
    ltr_ctx_take_error(&X, NULL, 0);
    T->optim_setup.manual = true;
    ck_assert_msg(ltr_add_lr_scheduler(C, s, NULL) == LT_OK, "%s", X.error);
    ck_assert_int_eq(ltr_optim_setup_finish(&T->optim_setup, C, opt, false), LT_OK);
    ck_assert_ptr_eq(ltr_lr_schedulers_at(C, 0), s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("manual_optim");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, optimizer_over_a_subset);
    tcase_add_test(tc, optimizer_params_errors);
    tcase_add_test(tc, toggle_and_untoggle);
    tcase_add_test(tc, toggle_errors);
    tcase_add_test(tc, automatic_optimization_flag);
    tcase_add_test(tc, plateau_monitor_only_automatic);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
