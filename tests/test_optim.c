/* test_optim.c — SGD and Adam against torch.optim's update rules. */
#include "check_run.h"
#include "gradcheck.h"
#include "optim/optimizer.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)
#define N 4

static lt_tensor *make_param(const char *name, const double *init) {
    E.ctx.params = &E.params;
    int64_t shape[1] = {N};
    lt_tensor *p = ltr_param(C, name, LT_FLOAT32, 1, shape);
    for (int i = 0; i < N; i++) ltr_set(p, i, init[i]);
    return p;
}

static void set_grad(lt_tensor *p, const double *g) {
    for (int i = 0; i < N; i++) ltr_set(p->grad, i, g[i]);
    p->flags |= LTR_T_GRAD_DEFINED;
}

/* gradients that change every step, the same for the reference */
static void grad_at(int step, double *g) {
    for (int i = 0; i < N; i++) g[i] = sin(1.0 + step * 0.7 + i * 1.3) * (i + 1);
}

typedef struct ref_sgd { double w[N], buf[N]; bool has_buf; } ref_sgd;

/* torch.optim.SGD, written out in double */
static void ref_sgd_step(ref_sgd *r, const lt_sgd_options *o, const double *g0) {
    for (int i = 0; i < N; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay) g += o->weight_decay * r->w[i];
        if (o->momentum) {
            r->buf[i] = r->has_buf ? o->momentum * r->buf[i] + (1 - o->dampening) * g : g;
            g = o->nesterov ? g + o->momentum * r->buf[i] : r->buf[i];
        }
        r->w[i] -= o->lr * g;
    }
    r->has_buf = true;
}

typedef struct ref_adam { double w[N], m[N], v[N], vmax[N]; int step; } ref_adam;

/* torch.optim.Adam, written out in double */
static void ref_adam_step(ref_adam *r, const lt_adam_options *o, const double *g0) {
    r->step++;
    double bc1 = 1 - pow(o->beta1, r->step), bc2 = 1 - pow(o->beta2, r->step);
    for (int i = 0; i < N; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay) g += o->weight_decay * r->w[i];
        r->m[i] = o->beta1 * r->m[i] + (1 - o->beta1) * g;
        r->v[i] = o->beta2 * r->v[i] + (1 - o->beta2) * g * g;
        double v = r->v[i];
        if (o->amsgrad) v = r->vmax[i] = fmax(r->vmax[i], v);
        r->w[i] -= o->lr / bc1 * r->m[i] / (sqrt(v) / sqrt(bc2) + o->eps);
    }
}

static const double W0[N] = {0.5, -1.0, 2.0, 0.1};

static void check_sgd(lt_sgd_options o) {
    lt_tensor *p = make_param("w", W0);
    lt_optimizer *opt = ltr_sgd(C, &o);
    ck_assert_ptr_nonnull(opt);
    ref_sgd r = {0};
    memcpy(r.w, W0, sizeof r.w);
    for (int s = 0; s < 6; s++) {
        double g[N];
        grad_at(s, g);
        set_grad(p, g);
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        ref_sgd_step(&r, &o, g);
        for (int i = 0; i < N; i++)
            ck_assert_msg(fabs(ltr_get(p, i) - r.w[i]) <= 1e-5 * (1 + fabs(r.w[i])),
                          "SGD step %d param %d: %.8g vs %.8g", s, i, ltr_get(p, i), r.w[i]);
    }
    ltr_optimizer_free(opt);
}

static void check_adam(lt_adam_options o) {
    lt_tensor *p = make_param("w", W0);
    lt_optimizer *opt = ltr_adam(C, &o);
    ck_assert_ptr_nonnull(opt);
    ref_adam r = {0};
    memcpy(r.w, W0, sizeof r.w);
    for (int s = 0; s < 6; s++) {
        double g[N];
        grad_at(s, g);
        set_grad(p, g);
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        ref_adam_step(&r, &o, g);
        for (int i = 0; i < N; i++)
            ck_assert_msg(fabs(ltr_get(p, i) - r.w[i]) <= 1e-5 * (1 + fabs(r.w[i])),
                          "Adam step %d param %d: %.8g vs %.8g", s, i, ltr_get(p, i), r.w[i]);
    }
    ltr_optimizer_free(opt);
}

START_TEST(sgd_variants) {
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    check_sgd(o);
    ltr_param_store_free(&E.params);
    o.momentum = 0.9;
    check_sgd(o);
    ltr_param_store_free(&E.params);
    o.dampening = 0.3;
    o.weight_decay = 0.01;
    check_sgd(o);
    ltr_param_store_free(&E.params);
    o.dampening = 0;
    o.nesterov = true;
    o.maximize = true;
    check_sgd(o);
}
END_TEST

START_TEST(adam_variants) {
    lt_adam_options o = LT_ADAM_DEFAULTS;
    check_adam(o);
    ltr_param_store_free(&E.params);
    o.lr = 0.01;
    o.weight_decay = 0.1;
    check_adam(o);
    ltr_param_store_free(&E.params);
    o.amsgrad = true;
    o.maximize = true;
    check_adam(o);
}
END_TEST

/* Hand-derived: with a constant gradient 1, momentum 0.9 buffers are 1, 1.9, 2.71. */
START_TEST(sgd_momentum_by_hand) {
    lt_tensor *p = make_param("w", (double[N]){0, 0, 0, 0});
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 1;
    o.momentum = 0.9;
    lt_optimizer *opt = ltr_sgd(C, &o);
    double expect = 0, bufs[3] = {1, 1.9, 2.71};
    for (int s = 0; s < 3; s++) {
        set_grad(p, (double[N]){1, 1, 1, 1});
        ltr_optimizer_step(opt);
        expect -= bufs[s];
        ck_assert_double_eq_tol(ltr_get(p, 0), expect, 1e-6);
        ck_assert_double_eq_tol(opt->state[0].buf1[0], bufs[s], 1e-6);
    }
    ltr_optimizer_free(opt);
}
END_TEST

/* Hand-derived: Adam's first step moves every parameter by -lr * sign(g) (eps aside). */
START_TEST(adam_first_step_by_hand) {
    lt_tensor *p = make_param("w", W0);
    lt_adam_options o = LT_ADAM_DEFAULTS;
    o.lr = 0.01;
    lt_optimizer *opt = ltr_adam(C, &o);
    set_grad(p, (double[N]){3, -0.5, 100, -2});
    ltr_optimizer_step(opt);
    double sign[N] = {1, -1, 1, -1};
    for (int i = 0; i < N; i++) ck_assert_double_eq_tol(ltr_get(p, i), W0[i] - 0.01 * sign[i], 1e-6);
    ltr_optimizer_free(opt);
}
END_TEST

START_TEST(undefined_grads_are_skipped) {
    lt_tensor *a = make_param("a", W0), *b = make_param("b", W0);
    lt_optimizer *opt = ltr_adam(C, &LT_ADAM_DEFAULTS);
    set_grad(a, (double[N]){1, 1, 1, 1});
    ltr_optimizer_step(opt);
    for (int i = 0; i < N; i++) ck_assert_double_eq(ltr_get(b, i), (float)W0[i]); /* untouched */
    ck_assert_ptr_null(opt->state[1].buf1); /* no state until its first update */
    ck_assert_int_eq(opt->state[0].step, 1);
    ck_assert_int_eq(opt->state[1].step, 0);
    ltr_optimizer_zero_grad(opt);
    ck_assert(!(a->flags & LTR_T_GRAD_DEFINED));
    ltr_optimizer_step(opt);
    ck_assert_int_eq(opt->state[0].step, 1);
    ltr_optimizer_free(opt);
}
END_TEST

START_TEST(bad_options_are_refused) {
    make_param("w", W0);
    char msg[1024];
    lt_adam_options a = LT_ADAM_DEFAULTS;
    a.beta1 = 1.5;
    ck_assert_ptr_null(ltr_adam(C, &a));
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Invalid beta parameter at index 0: 1.5"));
    a = LT_ADAM_DEFAULTS;
    a.lr = -1;
    ck_assert_ptr_null(ltr_adam(C, &a));
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Invalid learning rate"));
    lt_sgd_options s = LT_SGD_DEFAULTS;
    s.nesterov = true;
    ck_assert_ptr_null(ltr_sgd(C, &s));
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "Nesterov"));
    ltr_param_store_free(&E.params);
    ck_assert_ptr_null(ltr_sgd(C, &LT_SGD_DEFAULTS));
    ck_assert(ltr_ctx_take_error(&E.ctx, msg, sizeof msg));
    ck_assert_ptr_nonnull(strstr(msg, "no parameters"));
}
END_TEST

/* Parameters after 5 steps, recorded from torch.optim (torch 1.13.1, Debian's
 * python3-torch) with the same start values and gradients (grad_at): */
static const struct {
    const char *name;
    double expect[N];
} torch_recorded[] = {
    {"sgd_momentum_nesterov_wd", {-0.430460483, -0.561746597, 5.07096338, 1.46986318}},
    {"sgd_dampening", {0.217217654, -1.00463235, 2.84462953, 0.711764634}},
    {"adam_default", {0.495769143, -1.00105214, 2.00466561, 0.102784485}},
    {"adam_wd_amsgrad", {0.45702222, -1.00803161, 2.04598665, 0.127741799}},
};

START_TEST(matches_recorded_torch) {
    lt_sgd_options s1 = LT_SGD_DEFAULTS, s2 = LT_SGD_DEFAULTS;
    s1.lr = 0.1, s1.momentum = 0.9, s1.nesterov = true, s1.weight_decay = 0.01;
    s2.lr = 0.05, s2.momentum = 0.8, s2.dampening = 0.3;
    lt_adam_options a1 = LT_ADAM_DEFAULTS, a2 = LT_ADAM_DEFAULTS;
    a2.lr = 0.01, a2.weight_decay = 0.1, a2.amsgrad = true;
    for (int c = 0; c < 4; c++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", c);
        lt_tensor *p = make_param(name, W0);
        ltr_param_store one = {.params = &p, .count = 1, .cap = 1};
        E.ctx.params = &one; /* an optimizer over this parameter only */
        lt_optimizer *opt = c == 0 ? ltr_sgd(C, &s1) : c == 1 ? ltr_sgd(C, &s2)
                          : c == 2 ? ltr_adam(C, &a1) : ltr_adam(C, &a2);
        ck_assert_ptr_nonnull(opt);
        for (int s = 0; s < 5; s++) {
            double g[N];
            grad_at(s, g);
            set_grad(p, g);
            ltr_optimizer_step(opt);
        }
        for (int i = 0; i < N; i++)
            ck_assert_msg(fabs(ltr_get(p, i) - torch_recorded[c].expect[i]) <= 2e-6,
                          "%s param %d: %.9g, torch %.9g", torch_recorded[c].name, i,
                          ltr_get(p, i), torch_recorded[c].expect[i]);
        ltr_optimizer_free(opt);
        E.ctx.params = &E.params;
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("updates");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sgd_variants);
    tcase_add_test(tc, adam_variants);
    tcase_add_test(tc, sgd_momentum_by_hand);
    tcase_add_test(tc, adam_first_step_by_hand);
    tcase_add_test(tc, undefined_grads_are_skipped);
    tcase_add_test(tc, bad_options_are_refused);
    tcase_add_test(tc, matches_recorded_torch);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
