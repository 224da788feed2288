/*
 * test_optim.c — SGD, Adam, AdamW, RMSprop and Adagrad against torch.optim (and param
 * groups): an independent double-precision
 * reference of the update rules, values recorded from real torch, hand-derived
 * sequences, skipping of parameters without a grad, lazy state, option checks.
 */
#include "check_run.h"
#include "core/context.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A fresh, empty store (parameter names must be unique within one). */
static void reset_store(void) {
    ltr_param_store_free(&PS);
    ltr_param_store_init(&PS);
    X.params = &PS;
}

/* A float32 parameter of n elements holding init (zeros when init is NULL). */
static lt_tensor *param(const char *name, int64_t n, const double *init) {
    lt_tensor *p = ltr_param(C, name, LT_FLOAT32, 1, &n);
    ck_assert_msg(p != NULL, "ltr_param: %s", X.error);
    float *w = p->data;
    for (int64_t i = 0; i < n; i++) w[i] = init ? (float)init[i] : 0.0f;
    return p;
}

static void set_grad(lt_tensor *p, const double *g) {
    float *d = p->grad->data;
    for (int64_t i = 0; i < ltr_numel(p); i++) d[i] = (float)g[i];
    p->flags |= LTR_T_GRAD_DEFINED;
}

static double val(const lt_tensor *p, int64_t i) { return ((const float *)p->data)[i]; }

/* |got - want| within `rel` of max(1, |want|): parameters here are O(1). */
static bool close_to(double got, double want, double rel) {
    return fabs(got - want) <= rel * fmax(1.0, fabs(want));
}

/* Gradients that change every step in sign and size (so amsgrad's max matters). */
static double grad_at(int step, int64_t i) {
    return sin(1.0 + 0.7 * step + 1.3 * (double)i) * (double)(1 + i % 4) * (step % 3 == 2 ? 0.01 : 1);
}

static double w0_at(int64_t i) { return 0.25 * (double)((i * 5) % 11) - 1.2; }

/* ------------------------------------------------------ double-precision references */

typedef struct ref_state {
    int64_t n;
    double *w, *buf, *m, *v, *vmax;
    bool has_buf;
    int step;
} ref_state;

static void ref_init(ref_state *r, int64_t n) {
    memset(r, 0, sizeof *r);
    r->n = n;
    r->w = calloc((size_t)n, sizeof(double));
    r->buf = calloc((size_t)n, sizeof(double));
    r->m = calloc((size_t)n, sizeof(double));
    r->v = calloc((size_t)n, sizeof(double));
    r->vmax = calloc((size_t)n, sizeof(double));
    ck_assert(r->w && r->buf && r->m && r->v && r->vmax);
    /* the reference starts from the float32 values the parameter holds */
    for (int64_t i = 0; i < n; i++) r->w[i] = (float)w0_at(i);
}

static void ref_free(ref_state *r) {
    free(r->w), free(r->buf), free(r->m), free(r->v), free(r->vmax);
}

/* torch.optim.SGD's documented algorithm, in double */
static void ref_sgd_step(ref_state *r, const lt_sgd_options *o, const double *g0) {
    for (int64_t i = 0; i < r->n; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay != 0) g += o->weight_decay * r->w[i];
        if (o->momentum != 0) {
            r->buf[i] = r->has_buf ? o->momentum * r->buf[i] + (1 - o->dampening) * g : g;
            g = o->nesterov ? g + o->momentum * r->buf[i] : r->buf[i];
        }
        r->w[i] -= o->lr * g;
    }
    r->has_buf = true;
}

/* torch.optim.Adam's documented algorithm, in double */
static void ref_adam_step(ref_state *r, const lt_adam_options *o, const double *g0) {
    r->step++;
    double bc1 = 1 - pow(o->beta1, r->step), bc2 = 1 - pow(o->beta2, r->step);
    for (int64_t i = 0; i < r->n; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay != 0) g += o->weight_decay * r->w[i];
        r->m[i] = o->beta1 * r->m[i] + (1 - o->beta1) * g;
        r->v[i] = o->beta2 * r->v[i] + (1 - o->beta2) * g * g;
        double v = r->v[i];
        if (o->amsgrad) v = r->vmax[i] = fmax(r->vmax[i], v);
        r->w[i] -= o->lr / bc1 * r->m[i] / (sqrt(v) / sqrt(bc2) + o->eps);
    }
}

#define STEPS 8

/* One run of `steps` updates on a fresh parameter of n elements, every step compared
 * with the reference. kind: 0 = SGD, 1 = Adam. */
static void run_against_reference(const char *what, int kind, const lt_sgd_options *so,
                                  const lt_adam_options *ao, int64_t n, double rel) {
    reset_store();
    double *init = malloc((size_t)n * sizeof *init), *g = malloc((size_t)n * sizeof *g);
    ck_assert(init && g);
    for (int64_t i = 0; i < n; i++) init[i] = w0_at(i);
    lt_tensor *p = param("w", n, init);
    lt_optimizer *opt = kind == 0 ? ltr_sgd(C, so) : ltr_adam(C, ao);
    ck_assert_msg(opt != NULL, "%s: %s", what, X.error);
    ref_state r;
    ref_init(&r, n);
    bool max_mattered = false;
    for (int s = 0; s < STEPS; s++) {
        for (int64_t i = 0; i < n; i++) g[i] = (float)grad_at(s, i); /* what the param sees */
        set_grad(p, g);
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        if (kind == 0) ref_sgd_step(&r, so, g);
        else ref_adam_step(&r, ao, g);
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(close_to(val(p, i), r.w[i], rel), "%s (n=%lld) step %d elem %lld: %.9g, reference %.9g",
                          what, (long long)n, s + 1, (long long)i, val(p, i), r.w[i]);
        /* the state too: momentum_buffer / exp_avg (sums of up to 1/(1-momentum) terms
         * that cancel) to 4e-6; exp_avg_sq (positive terms) to 2e-6 relative, which
         * catches scalars rounded in float (1.0f - 0.999f is 1.3e-5 off torch's
         * (float)(1 - 0.999)); the 1e-12 floor is for a grad that weight decay cancels */
        const ltr_optim_state *st = &opt->state[0];
        for (int64_t i = 0; i < n; i++) {
            if (kind == 0 && so->momentum != 0)
                ck_assert_msg(close_to(((float *)st->buf1->data)[i], r.buf[i], 4e-6), "%s step %d: momentum_buffer[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf1->data)[i], r.buf[i]);
            if (kind == 1) {
                ck_assert_msg(close_to(((float *)st->buf1->data)[i], r.m[i], 4e-6), "%s step %d: exp_avg[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf1->data)[i], r.m[i]);
                ck_assert_msg(fabs(((float *)st->buf2->data)[i] - r.v[i]) <= 2e-6 * r.v[i] + 1e-12, "%s step %d: exp_avg_sq[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf2->data)[i], r.v[i]);
                if (ao->amsgrad) {
                    ck_assert_msg(fabs(((float *)st->buf3->data)[i] - r.vmax[i]) <= 2e-6 * r.vmax[i] + 1e-12,
                                  "%s step %d: max_exp_avg_sq[%lld] %.9g, reference %.9g", what, s + 1,
                                  (long long)i, ((float *)st->buf3->data)[i], r.vmax[i]);
                    max_mattered |= ((float *)st->buf3->data)[i] > ((float *)st->buf2->data)[i];
                }
            }
        }
    }
    /* the run must have exercised amsgrad's max: exp_avg_sq fell below its maximum */
    ck_assert_msg(kind == 0 || !ao->amsgrad || max_mattered || n < 4, "%s (n=%lld): amsgrad's max never mattered",
                  what, (long long)n);
    ltr_optimizer_free(opt);
    ref_free(&r);
    free(init);
    free(g);
}

static const int64_t SIZES[] = {1, 3, 4, 7, 8, 9, 17, 33, 1000};
#define NSIZES ((int)(sizeof SIZES / sizeof SIZES[0]))

START_TEST(sgd_matches_reference) {
    struct { const char *what; lt_sgd_options o; } cases[] = {
        {"plain", {.lr = 0.1}},
        {"momentum", {.lr = 0.1, .momentum = 0.9}},
        {"dampening", {.lr = 0.05, .momentum = 0.8, .dampening = 0.3}},
        {"nesterov", {.lr = 0.1, .momentum = 0.9, .nesterov = true}},
        {"weight_decay", {.lr = 0.1, .weight_decay = 0.1}},
        {"maximize", {.lr = 0.1, .maximize = true}},
        {"momentum+wd+maximize", {.lr = 0.05, .momentum = 0.5, .dampening = 0.1, .weight_decay = 0.01,
                                  .maximize = true}},
        {"nesterov+wd", {.lr = 0.02, .momentum = 0.95, .nesterov = true, .weight_decay = 0.05}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int k = 0; k < NSIZES; k++)
            run_against_reference(cases[c].what, 0, &cases[c].o, NULL, SIZES[k], 1e-6);
}
END_TEST

START_TEST(adam_matches_reference) {
    lt_adam_options d = LT_ADAM_DEFAULTS;
    struct { const char *what; lt_adam_options o; } cases[] = {
        {"default", d},
        {"weight_decay", d},
        {"amsgrad", d},
        {"maximize", d},
        {"amsgrad+wd+maximize", d},
        {"beta1 0.3 (lerp's large-weight form)", d},
        {"beta1 0, large eps", d},
    };
    cases[1].o.lr = 0.01, cases[1].o.weight_decay = 0.1;
    cases[2].o.lr = 0.01, cases[2].o.amsgrad = true;
    cases[3].o.lr = 0.01, cases[3].o.maximize = true;
    cases[4].o.lr = 0.01, cases[4].o.amsgrad = true, cases[4].o.weight_decay = 0.1, cases[4].o.maximize = true;
    cases[5].o.lr = 0.02, cases[5].o.beta1 = 0.3, cases[5].o.beta2 = 0.99, cases[5].o.amsgrad = true;
    cases[6].o.lr = 0.05, cases[6].o.beta1 = 0.0, cases[6].o.eps = 0.1;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int k = 0; k < NSIZES; k++)
            run_against_reference(cases[c].what, 1, NULL, &cases[c].o, SIZES[k], 1e-6);
}
END_TEST

/* Parameters after 6 steps, recorded from real torch (torch 1.13.1, Debian's
 * python3-torch, one thread), float32, from the w0/grad below. SGD ran through
 * torch.optim.SGD, whose single-tensor rule is unchanged in torch 2.x. Adam ran as
 * torch 2.x's _single_tensor_adam written out with torch ops (exp_avg.lerp_,
 * mul_/addcmul_, sqrt/div/add_, addcdiv_); torch 1.13's own torch.optim.Adam gave
 * bit-identical values for all four configurations. torch's kernels fuse some
 * multiply-adds (FMA) where ours round twice, so agreement is to ~1 ulp per step,
 * not bit for bit. Script:
 *   N = 11; w0 = [(i - 5) * 0.3 + 0.1 for i in range(N)]
 *   grad(s) = [((i * 7 + s * 5) % 13 - 6) * 0.37 for i in range(N)]   (float32)
 *   p = torch.nn.Parameter(torch.tensor(w0)); o = torch.optim.SGD([p], **kw)
 *   for s in range(6): p.grad = torch.tensor(grad(s)); o.step()
 */
#define TN 11
static const struct {
    const char *name;
    double expect[TN];
} torch_recorded[] = {
    {"sgd_plain", {-1.39999998, -1.21100008, -0.541000009, -0.351999998, -0.163000017, 0.0260000061, 0.69600004, 0.403999984, 1.074, 1.26300001, 1.45200002}},
    {"sgd_momentum", {-0.608472347, -1.87730312, -0.187170908, 0.0327415317, -0.246869385, -0.0269569922, 1.34759104, -0.0866554752, 1.28789258, 1.15715575, 1.22819412}},
    {"sgd_dampening_wd", {-1.06714022, -1.32426357, -0.519914746, -0.380327523, -0.141039103, -0.00145191187, 0.734327376, 0.377423704, 1.11320293, 1.16686118, 1.49207842}},
    {"sgd_nesterov_maximize", {-2.11237502, -0.28942734, -1.61054623, -1.12746727, -0.194817573, 0.288261294, -0.748831928, 1.70398986, 0.66689676, 1.46555948, 2.08262539}},
    {"sgd_wd", {-1.32858968, -1.13790607, -0.499225169, -0.32749477, -0.150860533, 0.0208698921, 0.664217949, 0.369234413, 1.01258254, 1.18902719, 1.36094737}},
    {"adam_default", {-1.39752889, -1.10295308, -0.797946274, -0.499559522, -0.199162811, 0.0991812497, 0.402824104, 0.697893858, 1.00144958, 1.29885793, 1.59999561}},
    {"adam_wd", {-1.37169802, -1.12633753, -0.777052402, -0.494030923, -0.190978274, 0.0914773494, 0.426848382, 0.67669338, 1.01048708, 1.28441823, 1.594154}},
    {"adam_amsgrad_maximize", {-1.42076743, -1.0675931, -0.817972362, -0.502812862, -0.20766376, 0.1078142, 0.370480716, 0.718689322, 0.981613278, 1.30712402, 1.59388077}},
    {"adam_beta1_03", {-1.39081311, -1.13410115, -0.770404756, -0.492476463, -0.194966659, 0.0835163444, 0.443442404, 0.659093201, 1.01694036, 1.295591, 1.59053767}},
};

START_TEST(matches_recorded_torch) {
    const lt_sgd_options sgd[5] = {
        {.lr = 0.1},
        {.lr = 0.1, .momentum = 0.9},
        {.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.01},
        {.lr = 0.1, .momentum = 0.9, .nesterov = true, .maximize = true},
        {.lr = 0.1, .weight_decay = 0.1},
    };
    const lt_adam_options adam[4] = {
        {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
        {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1},
        {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1, .amsgrad = true,
         .maximize = true},
        {.lr = 0.02, .beta1 = 0.3, .beta2 = 0.99, .eps = 1e-3, .amsgrad = true},
    };
    double w0[TN], g[TN];
    for (int i = 0; i < TN; i++) w0[i] = (i - 5) * 0.3 + 0.1;
    for (int c = 0; c < 9; c++) {
        reset_store();
        lt_tensor *p = param("w", TN, w0);
        lt_optimizer *opt = c < 5 ? ltr_sgd(C, &sgd[c]) : ltr_adam(C, &adam[c - 5]);
        ck_assert_ptr_nonnull(opt);
        for (int s = 0; s < 6; s++) {
            for (int i = 0; i < TN; i++) g[i] = ((i * 7 + s * 5) % 13 - 6) * 0.37;
            set_grad(p, g);
            ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        }
        for (int i = 0; i < TN; i++)
            ck_assert_msg(close_to(val(p, i), torch_recorded[c].expect[i], 1e-6),
                          "%s elem %d: %.9g, torch %.9g", torch_recorded[c].name, i, val(p, i),
                          torch_recorded[c].expect[i]);
        ltr_optimizer_free(opt);
    }
}
END_TEST

/* Hand-derived: constant gradient 1, lr 1, momentum 0.9: buffers 1, 1.9, 2.71, so the
 * parameter goes 0 → -1 → -2.9 → -5.61. */
START_TEST(sgd_momentum_by_hand) {
    lt_tensor *p = param("w", 4, NULL);
    lt_optimizer *opt = ltr_sgd(C, &(lt_sgd_options){.lr = 1, .momentum = 0.9});
    const double bufs[3] = {1, 1.9, 2.71}, params[3] = {-1, -2.9, -5.61};
    for (int s = 0; s < 3; s++) {
        set_grad(p, (double[4]){1, 1, 1, 1});
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        for (int i = 0; i < 4; i++) {
            ck_assert_double_eq_tol(((float *)opt->state[0].buf1->data)[i], bufs[s], 1e-6);
            ck_assert_double_eq_tol(val(p, i), params[s], 1e-6);
        }
    }
    ltr_optimizer_free(opt);
}
END_TEST

/* Hand-derived variants, constant gradient 1 from 0:
 * dampening 0.5: buffers 1 (the first is the grad itself, undamped), 1.4, 1.76;
 * nesterov 0.9: buffers 1, 1.9; steps 1 + 0.9*1 = 1.9, 1 + 0.9*1.9 = 2.71;
 * lr 0.1, weight_decay 0.5 from 2 with grad 0: 2 - 0.1*(0.5*2) = 1.9;
 * maximize: the parameter climbs, 0 → +0.1. */
START_TEST(sgd_variants_by_hand) {
    lt_tensor *a = param("a", 1, NULL), *b = param("b", 1, NULL);
    lt_optimizer *opt = ltr_sgd(C, &(lt_sgd_options){.lr = 1, .momentum = 0.9, .dampening = 0.5});
    const double damp_bufs[3] = {1, 1.4, 1.76};
    for (int s = 0; s < 3; s++) {
        set_grad(a, (double[1]){1});
        ltr_optimizer_step(opt);
        ck_assert_double_eq_tol(((float *)opt->state[0].buf1->data)[0], damp_bufs[s], 1e-6);
    }
    ck_assert_double_eq_tol(val(a, 0), -(1 + 1.4 + 1.76), 1e-6);
    ltr_optimizer_zero_grad(opt); /* a takes no part below */
    ltr_optimizer_free(opt);

    opt = ltr_sgd(C, &(lt_sgd_options){.lr = 1, .momentum = 0.9, .nesterov = true});
    set_grad(b, (double[1]){1});
    ltr_optimizer_step(opt);
    ck_assert_double_eq_tol(val(b, 0), -1.9, 1e-6);
    set_grad(b, (double[1]){1});
    ltr_optimizer_step(opt);
    ck_assert_double_eq_tol(((float *)opt->state[1].buf1->data)[0], 1.9, 1e-6);
    ck_assert_double_eq_tol(val(b, 0), -1.9 - 2.71, 1e-6);
    ltr_optimizer_free(opt);

    reset_store();
    lt_tensor *w = param("w", 1, (double[1]){2});
    opt = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .weight_decay = 0.5});
    set_grad(w, (double[1]){0});
    ltr_optimizer_step(opt);
    ck_assert_double_eq_tol(val(w, 0), 1.9, 1e-6);
    ck_assert_ptr_null(opt->state[0].buf1); /* no momentum: no state at all */
    ltr_optimizer_free(opt);

    opt = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .maximize = true});
    ((float *)w->data)[0] = 0;
    set_grad(w, (double[1]){1});
    ltr_optimizer_step(opt);
    ck_assert_double_eq_tol(val(w, 0), 0.1, 1e-7);
    ltr_optimizer_free(opt);
}
END_TEST

/* Hand-derived: with a constant gradient g, Adam's m_t = (1-b1^t) g and
 * v_t = (1-b2^t) g², so m̂/√v̂ = sign(g): every step moves each parameter by exactly
 * -lr·sign(g) while eps is negligible beside |g|; a zero gradient moves nothing. With
 * maximize the moves reverse; amsgrad changes nothing here since v only grows. */
START_TEST(adam_constant_gradient_by_hand) {
    const double w0[5] = {0.5, -1.0, 2.0, 0.1, 0.7}, g[5] = {3, -0.5, 100, -2, 0};
    const double sign[5] = {1, -1, 1, -1, 0};
    for (int variant = 0; variant < 3; variant++) {
        reset_store();
        lt_tensor *p = param("w", 5, w0);
        lt_adam_options o = LT_ADAM_DEFAULTS;
        o.lr = 0.01;
        o.amsgrad = variant == 1;
        o.maximize = variant == 2;
        lt_optimizer *opt = ltr_adam(C, &o);
        double dir = o.maximize ? -1 : 1;
        for (int s = 1; s <= 3; s++) {
            set_grad(p, g);
            ltr_optimizer_step(opt);
            for (int i = 0; i < 5; i++)
                ck_assert_msg(fabs(val(p, i) - (w0[i] - s * 0.01 * dir * sign[i])) < 2e-6,
                              "variant %d step %d elem %d: %.9g", variant, s, i, val(p, i));
        }
        /* first moment after one step of a zeroed state is (1-beta1) g exactly */
        ltr_optimizer_free(opt);
    }
}
END_TEST

START_TEST(adam_state_starts_at_zero) {
    lt_tensor *p = param("w", 3, (double[3]){1, 2, 3});
    lt_optimizer *opt = ltr_adam(C, &(lt_adam_options){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999,
                                                       .eps = 1e-8, .amsgrad = true});
    set_grad(p, (double[3]){2, -4, 0.5});
    ltr_optimizer_step(opt);
    const ltr_optim_state *st = &opt->state[0];
    const double g[3] = {2, -4, 0.5};
    for (int i = 0; i < 3; i++) {
        /* from zeros: exp_avg = 0.1 g, exp_avg_sq = 0.001 g², max = exp_avg_sq */
        ck_assert_double_eq_tol(((float *)st->buf1->data)[i], 0.1 * g[i], 1e-7);
        ck_assert_double_eq_tol(((float *)st->buf2->data)[i], 0.001 * g[i] * g[i], 1e-8);
        ck_assert_float_eq(((float *)st->buf3->data)[i], ((float *)st->buf2->data)[i]);
    }
    ck_assert_int_eq(st->step, 1);
    ltr_optimizer_free(opt);
}
END_TEST

/* A parameter whose grad is undefined (p.grad is None) is skipped: its values, state
 * and step count stay as they were; when it later gets a grad, its own step count
 * starts at 1 (Adam's bias correction is per parameter). */
START_TEST(undefined_grads_are_skipped) {
    const double w0[4] = {0.5, -1.0, 2.0, 0.1};
    lt_tensor *a = param("a", 4, w0), *b = param("b", 4, w0);
    lt_optimizer *opt = ltr_adam(C, &(lt_adam_options){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                                                       .eps = 1e-8});
    for (int s = 0; s < 3; s++) {
        set_grad(a, (double[4]){1, 1, 1, 1});
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
    }
    for (int i = 0; i < 4; i++) ck_assert_float_eq(val(b, i), (float)w0[i]);
    ck_assert_ptr_null(opt->state[1].buf1);
    ck_assert_ptr_null(opt->state[1].buf2);
    ck_assert_int_eq(opt->state[0].step, 3);
    ck_assert_int_eq(opt->state[1].step, 0);
    /* b's first update is a first Adam step: exactly -lr·sign(g) */
    ltr_optimizer_zero_grad(opt);
    set_grad(b, (double[4]){-5, 5, -5, 5});
    ltr_optimizer_step(opt);
    ck_assert_int_eq(opt->state[0].step, 3);
    ck_assert_int_eq(opt->state[1].step, 1);
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(val(b, i), w0[i] + (i % 2 ? -0.01 : 0.01), 1e-6);
    ltr_optimizer_free(opt);

    /* SGD momentum: the skipped parameter's buffer is not created; its first update
     * clones its grad as torch does, whatever the other parameter's history */
    reset_store();
    a = param("a", 1, NULL), b = param("b", 1, NULL);
    opt = ltr_sgd(C, &(lt_sgd_options){.lr = 1, .momentum = 0.9});
    set_grad(a, (double[1]){1});
    ltr_optimizer_step(opt);
    set_grad(a, (double[1]){1});
    ltr_optimizer_step(opt);
    ck_assert_ptr_null(opt->state[1].buf1);
    ck_assert_float_eq(val(b, 0), 0);
    ltr_optimizer_zero_grad(opt);
    set_grad(b, (double[1]){1});
    ltr_optimizer_step(opt);
    ck_assert_double_eq_tol(((float *)opt->state[1].buf1->data)[0], 1, 1e-7);
    ck_assert_double_eq_tol(((float *)opt->state[0].buf1->data)[0], 1.9, 1e-6); /* a untouched this time */
    ltr_optimizer_free(opt);
}
END_TEST

START_TEST(zero_grad_undefines_grads) {
    lt_tensor *a = param("a", 2, (double[2]){1, 2}), *b = param("b", 3, NULL);
    lt_optimizer *opt = ltr_sgd(C, &(lt_sgd_options){.lr = 0.5, .momentum = 0.9});
    set_grad(a, (double[2]){1, 1});
    set_grad(b, (double[3]){1, 1, 1});
    ltr_optimizer_zero_grad(opt);
    ck_assert(!(a->flags & LTR_T_GRAD_DEFINED));
    ck_assert(!(b->flags & LTR_T_GRAD_DEFINED));
    ck_assert(a->flags & LTR_T_PARAM); /* only the grad flag goes */
    ltr_optimizer_step(opt);        /* nothing has a grad: nothing moves */
    ck_assert_float_eq(val(a, 0), 1);
    ck_assert_float_eq(val(a, 1), 2);
    ck_assert_ptr_null(opt->state[0].buf1);
    ck_assert_ptr_null(opt->state[1].buf1);
    ltr_optimizer_free(opt);
}
END_TEST

/* State appears at a parameter's first update, not in the constructor (PyTorch). */
START_TEST(state_is_allocated_lazily) {
    lt_tensor *p = param("w", 5, NULL);
    lt_optimizer *adam = ltr_adam(C, &LT_ADAM_DEFAULTS);
    lt_optimizer *ams = ltr_adam(C, &(lt_adam_options){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                                      .eps = 1e-8, .amsgrad = true});
    lt_optimizer *sgd = ltr_sgd(C, &LT_SGD_DEFAULTS);
    lt_optimizer *mom = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .momentum = 0.5});
    lt_optimizer *all[4] = {adam, ams, sgd, mom};
    for (int k = 0; k < 4; k++) {
        ck_assert_ptr_nonnull(all[k]);
        ck_assert_int_eq(all[k]->nstate, 1);
        ck_assert_ptr_null(all[k]->state[0].buf1);
        ck_assert_ptr_null(all[k]->state[0].buf2);
        ck_assert_ptr_null(all[k]->state[0].buf3);
    }
    for (int k = 0; k < 4; k++) {
        set_grad(p, (double[5]){1, 2, 3, 4, 5});
        ck_assert_int_eq(ltr_optimizer_step(all[k]), LT_OK);
    }
    ck_assert(adam->state[0].buf1 && adam->state[0].buf2 && !adam->state[0].buf3);
    ck_assert(ams->state[0].buf1 && ams->state[0].buf2 && ams->state[0].buf3);
    ck_assert(!sgd->state[0].buf1 && !sgd->state[0].buf2);
    ck_assert(mom->state[0].buf1 && !mom->state[0].buf2);
    ck_assert_str_eq(adam->name, "Adam");
    ck_assert_str_eq(sgd->name, "SGD");
    ck_assert_double_eq(adam->defaults.adam.lr, 1e-3);
    ck_assert_double_eq(mom->defaults.sgd.lr, 0.1);
    for (int k = 0; k < 4; k++) ltr_optimizer_free(all[k]);
    ltr_optimizer_free(NULL);
}
END_TEST

static void expect_error(lt_optimizer *o, const char *want) {
    char msg[1024];
    ck_assert_ptr_null(o);
    ck_assert_msg(ltr_ctx_take_error(&X, msg, sizeof msg), "no error recorded, wanted '%s'", want);
    ck_assert_msg(strcmp(msg, want) == 0, "error '%s', wanted '%s'", msg, want);
}

/* torch.optim's constructor checks, with its messages (values as Python prints them). */
START_TEST(bad_options_are_refused) {
    param("w", 2, NULL);
    lt_adam_options a;
#define ADAM_WITH(field, v) (a = LT_ADAM_DEFAULTS, a.field = (v), ltr_adam(C, &a))
    expect_error(ADAM_WITH(beta1, 1.5), "Adam: Invalid beta parameter at index 0: 1.5");
    expect_error(ADAM_WITH(beta1, -0.1), "Adam: Invalid beta parameter at index 0: -0.1");
    expect_error(ADAM_WITH(beta2, 1.0), "Adam: Invalid beta parameter at index 1: 1.0");
    expect_error(ADAM_WITH(lr, -1), "Adam: Invalid learning rate: -1.0");
    expect_error(ADAM_WITH(lr, NAN), "Adam: Invalid learning rate: nan");
    expect_error(ADAM_WITH(eps, -1e-8), "Adam: Invalid epsilon value: -1e-08");
    expect_error(ADAM_WITH(weight_decay, -0.01), "Adam: Invalid weight_decay value: -0.01");
    lt_optimizer *ok = ADAM_WITH(beta1, 0.0); /* 0 <= beta < 1: 0 is allowed */
    ck_assert_ptr_nonnull(ok);
    ltr_optimizer_free(ok);
    ok = ltr_adam(C, NULL); /* NULL options: torch's defaults */
    ck_assert_ptr_nonnull(ok);
    ck_assert_double_eq(ok->defaults.adam.beta2, 0.999);
    ltr_optimizer_free(ok);

    lt_sgd_options s;
#define SGD_WITH(field, v) (s = LT_SGD_DEFAULTS, s.field = (v), ltr_sgd(C, &s))
    expect_error(SGD_WITH(lr, -0.5), "SGD: Invalid learning rate: -0.5");
    expect_error(SGD_WITH(momentum, -0.9), "SGD: Invalid momentum value: -0.9");
    expect_error(SGD_WITH(weight_decay, -1), "SGD: Invalid weight_decay value: -1.0");
    expect_error(SGD_WITH(nesterov, true), "SGD: Nesterov momentum requires a momentum and zero dampening");
    s = (lt_sgd_options){.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true};
    expect_error(ltr_sgd(C, &s), "SGD: Nesterov momentum requires a momentum and zero dampening");
    s.dampening = 0;
    ok = ltr_sgd(C, &s);
    ck_assert_ptr_nonnull(ok);
    ltr_optimizer_free(ok);
#undef ADAM_WITH
#undef SGD_WITH

    /* no parameters, no store */
    reset_store();
    expect_error(ltr_sgd(C, &LT_SGD_DEFAULTS),
                 "configure_optimizers: the module has no parameters "
                 "(SGD: optimizer got an empty parameter list)");
    expect_error(ltr_adam(C, &LT_ADAM_DEFAULTS),
                 "configure_optimizers: the module has no parameters "
                 "(Adam: optimizer got an empty parameter list)");
    X.params = NULL;
    expect_error(ltr_adam(C, &LT_ADAM_DEFAULTS),
                 "Adam: optimizers can only be made in configure_optimizers (no parameter store here)");
    X.params = &PS;
}
END_TEST

/* precision 64-true: float64 parameters are updated in double with double scalars.
 * Reference (torch 2.x, float64):
 *   p = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
 *   Adam([p], lr=0.1, weight_decay=0.01, amsgrad=True) or
 *   SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
 *   3 steps, p.grad = [0.25*(s+1), -0.5+0.3*s, 1e-3*(s-1)] at step s = 0, 1, 2 */
START_TEST(float64_parameters_match_torch) {
    static const double adam_want[3] = {0.20743264979141143, -1.250332487743905, 1.700000157630218};
    static const double sgd_want[3] = {0.13244522909549997, -1.2813841087615, 1.9840826731679};
    for (int kind = 0; kind < 2; kind++) {
        reset_store();
        int64_t n = 3;
        lt_tensor *p = ltr_param(C, "w", LT_FLOAT64, 1, &n);
        ck_assert_ptr_nonnull(p);
        double *w = p->data;
        w[0] = 0.5, w[1] = -1.5, w[2] = 2.0;
        lt_adam_options ao = LT_ADAM_DEFAULTS;
        ao.lr = 0.1, ao.weight_decay = 0.01, ao.amsgrad = true;
        lt_sgd_options so = LT_SGD_DEFAULTS;
        so.lr = 0.1, so.momentum = 0.9, so.nesterov = true, so.weight_decay = 0.01;
        lt_optimizer *opt = kind == 0 ? ltr_adam(C, &ao) : ltr_sgd(C, &so);
        ck_assert_ptr_nonnull(opt);
        for (int s = 0; s < 3; s++) {
            double *g = p->grad->data;
            g[0] = 0.25 * (s + 1), g[1] = -0.5 + s * 0.3, g[2] = 1e-3 * (s - 1);
            p->flags |= LTR_T_GRAD_DEFINED;
            ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        }
        const double *want = kind == 0 ? adam_want : sgd_want;
        for (int i = 0; i < 3; i++)
            /* a few ulps: ATen's add(alpha=) is an FMA on AVX2 CPUs, our baseline build has none */
            ck_assert_msg(fabs(w[i] - want[i]) <= 2e-15 * fabs(want[i]), "%s w[%d] = %.17g, torch %.17g",
                          opt->name, i, w[i], want[i]);
        ltr_optimizer_free(opt);
    }
}
END_TEST

/* A store that grew after the optimizer was made is refused at step, not overrun. */
START_TEST(store_grown_after_construction) {
    param("a", 2, NULL);
    lt_optimizer *opt = ltr_sgd(C, &LT_SGD_DEFAULTS);
    param("b", 2, NULL);
    ck_assert_int_eq(ltr_optimizer_step(opt), LT_ERROR);
    char msg[256];
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "SGD: the module has 2 parameters, the optimizer was made over 1");
    ltr_optimizer_free(opt);
}
END_TEST

START_TEST(python_float_repr) {
    struct { double x; const char *repr; } cases[] = {
        {1.5, "1.5"}, {-1.0, "-1.0"}, {0.0, "0.0"}, {-0.0, "-0.0"}, {1e-08, "1e-08"},
        {0.1, "0.1"}, {0.0001, "0.0001"}, {1e-05, "1e-05"}, {-2.5e-07, "-2.5e-07"},
        {1.0 / 3, "0.3333333333333333"}, {100.0, "100.0"}, {123.456, "123.456"},
        {1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1.5e300, "1.5e+300"},
        {0.999, "0.999"}, {NAN, "nan"}, {INFINITY, "inf"}, {-INFINITY, "-inf"},
    };
    char buf[48];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(ltr_optim_pyfloat(cases[i].x, buf, sizeof buf), cases[i].repr);
}
END_TEST

/* AdamW, RMSprop and Adagrad after 6 steps from the w0/grad of matches_recorded_torch,
 * recorded from torch 1.13.1's torch.optim (one thread), float32 and float64 (_f64).
 * torch 2.x's single-tensor rules written out with torch ops (lerp_ for RMSprop's
 * grad_avg and AdamW's exp_avg) gave bit-identical values for every case. Options:
 *   rmsprop_default           RMSprop(lr=1e-2)
 *   rmsprop_momentum_wd       RMSprop(lr=0.01, momentum=0.9, weight_decay=0.1, alpha=0.9)
 *   rmsprop_centered          RMSprop(lr=0.01, centered=True)
 *   rmsprop_centered_mom_max  RMSprop(lr=0.005, centered=True, momentum=0.5, alpha=0.3,
 *                                     eps=1e-3, maximize=True, weight_decay=0.01)
 *   adagrad_default           Adagrad(lr=0.1)
 *   adagrad_all               Adagrad(lr=0.1, lr_decay=0.05, weight_decay=0.1,
 *                                     initial_accumulator_value=0.5, eps=1e-6)
 *   adagrad_maximize          Adagrad(lr=0.05, maximize=True, initial_accumulator_value=0.1)
 *   adamw_default             AdamW(lr=1e-3)                       (weight_decay 1e-2)
 *   adamw_wd_amsgrad          AdamW(lr=0.01, weight_decay=0.5, amsgrad=True)
 *   adamw_beta1_03_maximize   AdamW(lr=0.02, betas=(0.3, 0.99), eps=1e-3, weight_decay=0.1,
 *                                   maximize=True)
 *   adamw_groups              AdamW([{'params': [w[:6]]}, {'params': [w[6:]],
 *                                    'weight_decay': 0.0, 'lr': 0.02}], lr=0.01, weight_decay=0.5)
 */
static const struct {
    const char *name;
    double expect[TN];
} torch_recorded_more[] = {
    {"rmsprop_default", {-1.36133552, -1.25180292, -0.696214378, -0.507281899, -0.164661512, 0.0331817642, 0.539475262, 0.570763886, 1.07023895, 1.25832593, 1.60684419}},
    {"rmsprop_default_f64", {-1.3613356179143123, -1.2518027255723851, -0.69621432112198933, -0.50728192691186091, -0.16466150878359564, 0.033181756791273193, 0.53947525382897099, 0.57076387900725778, 1.0702390379312043, 1.2583259515259324, 1.6068442918927921}},
    {"rmsprop_momentum_wd", {-1.25795686, -1.32902777, -0.679612756, -0.522603273, -0.15576452, 0.0194254443, 0.557156086, 0.553199768, 1.08429146, 1.21876669, 1.62607336}},
    {"rmsprop_momentum_wd_f64", {-1.2579567648146177, -1.3290277924884011, -0.67961275036838953, -0.5226032974683017, -0.15576451643059655, 0.019425425651298418, 0.55715611857709646, 0.55319974740034217, 1.0842915177122168, 1.2187668041948072, 1.6260734382026154}},
    {"rmsprop_centered", {-1.36062706, -1.2531116, -0.695534766, -0.507481217, -0.164336801, 0.0326724499, 0.540592968, 0.569908559, 1.07088435, 1.25781035, 1.60693657}},
    {"rmsprop_centered_f64", {-1.3606270855406886, -1.2531115704698872, -0.69553466497482741, -0.5074812595588345, -0.16433678889548051, 0.032672453625689588, 0.54059292335390541, 0.5699085468078442, 1.0708842648661543, 1.2578104156417682, 1.6069365333415258}},
    {"rmsprop_centered_mom_max", {-1.41026711, -1.05947733, -0.81559056, -0.494552225, -0.200732246, 0.119193442, 0.371048868, 0.733146191, 0.9858585, 1.30865264, 1.60027587}},
    {"rmsprop_centered_mom_max_f64", {-1.4102669933311547, -1.0594774954353845, -0.81559051395634463, -0.49455224083411209, -0.2007322402539051, 0.11919344082511384, 0.3710488533878567, 0.73314614221827368, 0.98585850543623399, 1.3086525789077756, 1.6002756488663838}},
    {"adagrad_default", {-1.36057937, -1.25209606, -0.696549356, -0.507303953, -0.164692461, 0.0334649533, 0.539322376, 0.571350098, 1.07026696, 1.25836933, 1.60700285}},
    {"adagrad_default_f64", {-1.3605794234522577, -1.2520960199278122, -0.69654936744766016, -0.50730389327503822, -0.16469245919256181, 0.033464954803624103, 0.53932241574531803, 0.57135017229519147, 1.0702669413462393, 1.2583694864808868, 1.6070027650206327}},
    {"adagrad_all", {-1.3345716, -1.17138147, -0.697657764, -0.479296267, -0.166884035, 0.0483016074, 0.510997415, 0.580983579, 1.02804208, 1.24166, 1.52954674}},
    {"adagrad_all_f64", {-1.3345717045233356, -1.1713815595182251, -0.69765781349677713, -0.47929626468586128, -0.16688405620419511, 0.048301613157193141, 0.51099738857824784, 0.5809836013854458, 1.0280420320133112, 1.2416601256574422, 1.5295467431341734}},
    {"adagrad_maximize", {-1.41932237, -1.03629899, -0.851108015, -0.499954641, -0.216996297, 0.131645426, 0.331833899, 0.76331836, 0.968059242, 1.3203336, 1.60763931}},
    {"adagrad_maximize_f64", {-1.4193224170333711, -1.0362989251806793, -0.85110795671983175, -0.49995468917418884, -0.21699628999503939, 0.13164541176210121, 0.33183392017368379, 0.76331837414576165, 0.968059197255701, 1.3203338111785197, 1.6076393753778451}},
    {"adamw_default", {-1.39744496, -1.1028868, -0.797898352, -0.499529451, -0.199150845, 0.0991752893, 0.402799994, 0.697851956, 1.0013895, 1.29877996, 1.59989977}},
    {"adamw_default_f64", {-1.3974450809237569, -1.1028869147970655, -0.7978983338187714, -0.49952949573819161, -0.19915085979793054, 0.099175292797641937, 0.40280002147871719, 0.69785189955007532, 1.0013895193677844, 1.2987800036614543, 1.5998995384849148}},
    {"adamw_wd_amsgrad", {-1.33428955, -1.09640288, -0.756147444, -0.480719119, -0.185971379, 0.0890271738, 0.415958762, 0.658505261, 0.984580755, 1.25036943, 1.55241358}},
    {"adamw_wd_amsgrad_f64", {-1.3342895545255224, -1.0964026818347874, -0.75614751288346826, -0.48071910212871044, -0.18597137003149899, 0.089027173622907768, 0.41595877285673755, 0.65850525761116929, 0.98458070633469175, 1.2503692905395445, 1.5524135438963074}},
    {"adamw_beta1_03_maximize", {-1.39221585, -1.05318236, -0.819908679, -0.501569331, -0.202578723, 0.11516194, 0.352066576, 0.732350826, 0.971264184, 1.28878653, 1.59042895}},
    {"adamw_beta1_03_maximize_f64", {-1.3922154477761814, -1.0531820255246613, -0.81990853049332657, -0.50156931603798605, -0.20257867936050503, 0.11516192013145114, 0.35206653727522946, 0.73235069932425045, 0.97126407892278166, 1.2887864903875585, 1.5904287475089234}},
    {"adamw_groups", {-1.33428955, -1.09640324, -0.756144226, -0.480719119, -0.185971379, 0.0890282989, 0.456482172, 0.65787673, 1.02899158, 1.27715886, 1.59991133}},
};

/* the optimizer of torch_recorded_more[c] (c / 2 for the float32/float64 pairs) */
static lt_optimizer *make_more(int c) {
    lt_rmsprop_options r = LT_RMSPROP_DEFAULTS;
    lt_adagrad_options a = LT_ADAGRAD_DEFAULTS;
    lt_adamw_options w = LT_ADAMW_DEFAULTS;
    switch (c / 2) {
    case 0: return ltr_rmsprop(C, &r);
    case 1: r.lr = 0.01, r.momentum = 0.9, r.weight_decay = 0.1, r.alpha = 0.9; return ltr_rmsprop(C, &r);
    case 2: r.lr = 0.01, r.centered = true; return ltr_rmsprop(C, &r);
    case 3:
        r.lr = 0.005, r.centered = true, r.momentum = 0.5, r.alpha = 0.3, r.eps = 1e-3, r.maximize = true;
        r.weight_decay = 0.01;
        return ltr_rmsprop(C, &r);
    case 4: a.lr = 0.1; return ltr_adagrad(C, &a);
    case 5:
        a.lr = 0.1, a.lr_decay = 0.05, a.weight_decay = 0.1, a.initial_accumulator_value = 0.5, a.eps = 1e-6;
        return ltr_adagrad(C, &a);
    case 6: a.lr = 0.05, a.maximize = true, a.initial_accumulator_value = 0.1; return ltr_adagrad(C, &a);
    case 7: return ltr_adamw(C, NULL); /* torch's defaults, weight_decay 1e-2 */
    case 8: w.lr = 0.01, w.weight_decay = 0.5, w.amsgrad = true; return ltr_adamw(C, &w);
    case 9:
        w.lr = 0.02, w.beta1 = 0.3, w.beta2 = 0.99, w.eps = 1e-3, w.weight_decay = 0.1, w.maximize = true;
        return ltr_adamw(C, &w);
    }
    return NULL;
}

START_TEST(adamw_rmsprop_adagrad_match_recorded_torch) {
    double w0[TN];
    for (int i = 0; i < TN; i++) w0[i] = (i - 5) * 0.3 + 0.1;
    int ncases = (int)(sizeof torch_recorded_more / sizeof torch_recorded_more[0]) - 1;
    for (int c = 0; c < ncases; c++) {
        bool f64 = c % 2 == 1;
        reset_store();
        int64_t n = TN;
        lt_tensor *p = ltr_param(C, "w", f64 ? LT_FLOAT64 : LT_FLOAT32, 1, &n);
        ck_assert_ptr_nonnull(p);
        for (int i = 0; i < TN; i++) {
            if (f64) ((double *)p->data)[i] = w0[i];
            else ((float *)p->data)[i] = (float)w0[i];
        }
        lt_optimizer *opt = make_more(c);
        ck_assert_msg(opt != NULL, "%s: %s", torch_recorded_more[c].name, X.error);
        for (int s = 0; s < 6; s++) {
            for (int i = 0; i < TN; i++) {
                /* the float32 gradient, widened for float64 (torch: .to(float64)); volatile:
                 * gcc 12 -O3 vectorised this loop without the rounding to float */
                volatile float g = (float)(((i * 7 + s * 5) % 13 - 6) * 0.37);
                if (f64) ((double *)p->grad->data)[i] = g;
                else ((float *)p->grad->data)[i] = g;
            }
            p->flags |= LTR_T_GRAD_DEFINED;
            ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        }
        for (int i = 0; i < TN; i++) {
            double got = f64 ? ((double *)p->data)[i] : val(p, i), want = torch_recorded_more[c].expect[i];
            /* float32: ~1 ulp per step (torch's kernels fuse some multiply-adds);
             * float64: a few ulps */
            ck_assert_msg(f64 ? fabs(got - want) <= 1e-14 * fmax(1, fabs(want)) : close_to(got, want, 1e-6),
                          "%s elem %d: %.17g, torch %.17g", torch_recorded_more[c].name, i, got, want);
        }
        ltr_optimizer_free(opt);
    }
}
END_TEST

/* Param groups: AdamW with "bias*" in a group of its own (no decay, its own lr), as
 * torch.optim.AdamW([{'params': decay}, {'params': no_decay, 'weight_decay': 0.0,
 * 'lr': 0.02}], lr=0.01, weight_decay=0.5) — torch_recorded_more's adamw_groups. */
START_TEST(param_groups_match_torch) {
    double w0[TN];
    for (int i = 0; i < TN; i++) w0[i] = (i - 5) * 0.3 + 0.1;
    lt_tensor *w = param("fc.weight", 6, w0), *b = param("fc.bias", 5, w0 + 6);
    lt_optimizer *opt = ltr_adamw(C, &(lt_adamw_options){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                                                         .eps = 1e-8, .weight_decay = 0.5});
    ck_assert_int_eq(ltr_param_group_add(C, opt, "*.bias|*norm*.weight"), 1);
    ck_assert_int_eq(ltr_group_set(C, opt, 1, "weight_decay", 0.0), LT_OK);
    ck_assert_int_eq(ltr_group_set(C, opt, 1, "lr", 0.02), LT_OK);
    ck_assert_int_eq(ltr_num_param_groups(opt), 2);
    ck_assert_int_eq(opt->groups[0].n, 1);
    ck_assert_int_eq(opt->groups[1].n, 1);
    ck_assert_double_eq(ltr_group_get(opt, 0, "weight_decay"), 0.5); /* group 0 keeps the defaults */
    ck_assert_double_eq(ltr_group_get(opt, 1, "lr"), 0.02);
    ck_assert_double_eq(ltr_group_get(opt, 1, "beta2"), 0.999);
    ck_assert(isnan(ltr_group_get(opt, 1, "momentum"))); /* Adam has betas, no momentum */
    ck_assert(isnan(ltr_group_get(opt, 2, "lr")));
    double g[TN];
    for (int s = 0; s < 6; s++) {
        for (int i = 0; i < TN; i++) g[i] = ((i * 7 + s * 5) % 13 - 6) * 0.37;
        set_grad(w, g);
        set_grad(b, g + 6);
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
    }
    int last = (int)(sizeof torch_recorded_more / sizeof torch_recorded_more[0]) - 1;
    ck_assert_str_eq(torch_recorded_more[last].name, "adamw_groups");
    for (int i = 0; i < TN; i++) {
        double got = i < 6 ? val(w, i) : val(b, i - 6), want = torch_recorded_more[last].expect[i];
        ck_assert_msg(close_to(got, want, 1e-6), "adamw_groups elem %d: %.9g, torch %.9g", i, got, want);
    }
    /* groups are made before the first step only */
    ck_assert_int_eq(ltr_param_group_add(C, opt, "fc.weight"), -1);
    char msg[512];
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "lt_param_group('fc.weight'): AdamW has already taken steps; make param "
                          "groups in configure_optimizers, right after the optimizer");
    ltr_optimizer_free(opt);
}
END_TEST

/* The group API's errors: a pattern matching nothing names the parameters; unknown keys
 * name the optimizer's keys; values get the constructors' checks. A second group moves
 * parameters out of the first; an empty group 0 is kept (torch allows empty groups). */
START_TEST(param_group_errors) {
    param("enc.weight", 2, NULL), param("enc.bias", 2, NULL), param("head.weight", 2, NULL);
    lt_optimizer *opt = ltr_sgd(C, &(lt_sgd_options){.lr = 0.1, .momentum = 0.9});
    char msg[512];
    ck_assert_int_eq(ltr_param_group_add(C, opt, "*.bais"), -1);
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "lt_param_group('*.bais'): no parameter of the module matches (parameters: "
                          "enc.weight, enc.bias, head.weight)");
    ck_assert_int_eq(ltr_param_group_add(C, opt, "enc.*"), 1);
    ck_assert_int_eq(ltr_param_group_add(C, opt, "*.bias"), 2); /* moves enc.bias out of group 1 */
    ck_assert_int_eq(opt->groups[0].n, 1);
    ck_assert_int_eq(opt->groups[1].n, 1);
    ck_assert_int_eq(opt->groups[1].index[0], 0);
    ck_assert_int_eq(opt->groups[2].index[0], 1);
    ck_assert_int_eq(ltr_group_set(C, opt, 1, "betas", 0.5), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "lt_group_set: SGD has no param group option 'betas' (it has: lr, momentum, "
                          "dampening, weight_decay, nesterov, maximize)");
    ck_assert_int_eq(ltr_group_set(C, opt, 0, "lr", -1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "SGD: Invalid lr value: -1.0 (param group 0)");
    ck_assert_int_eq(ltr_group_set(C, opt, 3, "lr", 1), LT_ERROR);
    ck_assert(ltr_ctx_take_error(&X, msg, sizeof msg));
    ck_assert_str_eq(msg, "lt_group_set(3, 'lr'): SGD has 3 param group(s)");
    /* per-group momentum 0: enc.weight (group 1) gets no buffer; group 2 lr 0: no move */
    ck_assert_int_eq(ltr_group_set(C, opt, 1, "momentum", 0), LT_OK);
    ck_assert_int_eq(ltr_group_set(C, opt, 2, "lr", 0), LT_OK);
    ck_assert_int_eq(ltr_group_set(C, opt, 2, "nesterov", 1), LT_OK);
    ck_assert_double_eq(ltr_group_get(opt, 2, "nesterov"), 1);
    for (int64_t i = 0; i < 3; i++) set_grad(PS.params[i], (double[2]){1, 1});
    ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
    ck_assert_ptr_null(opt->state[0].buf1);
    ck_assert_ptr_nonnull(opt->state[1].buf1);
    ck_assert_double_eq_tol(val(PS.params[0], 0), -0.1, 1e-7);
    ck_assert_float_eq(val(PS.params[1], 0), 0);
    ck_assert_double_eq_tol(val(PS.params[2], 0), -0.1, 1e-7);
    ltr_optimizer_free(opt);
}
END_TEST

/* Reference check at many sizes (SIMD remainders, and 40000 elements: three blocks over
 * threads) for the new optimizers, against double-precision references of their rules. */
static void ref_rmsprop(double *w, double *sq, double *buf, double *ga, int64_t n,
                        const lt_rmsprop_options *o, const double *g0) {
    for (int64_t i = 0; i < n; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay != 0) g += o->weight_decay * w[i];
        sq[i] = o->alpha * sq[i] + (1 - o->alpha) * g * g;
        double avg = o->centered ? (ga[i] = o->alpha * ga[i] + (1 - o->alpha) * g, sqrt(sq[i] - ga[i] * ga[i]))
                                 : sqrt(sq[i]);
        avg += o->eps;
        if (o->momentum > 0) w[i] -= o->lr * (buf[i] = o->momentum * buf[i] + g / avg);
        else w[i] -= o->lr * g / avg;
    }
}

static void ref_adagrad(double *w, double *sum, int64_t n, const lt_adagrad_options *o, int step,
                        const double *g0) {
    double clr = o->lr / (1 + (step - 1) * o->lr_decay);
    for (int64_t i = 0; i < n; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        if (o->weight_decay != 0) g += o->weight_decay * w[i];
        if (step == 1) sum[i] = o->initial_accumulator_value;
        sum[i] += g * g;
        w[i] -= clr * g / (sqrt(sum[i]) + o->eps);
    }
}

static void ref_adamw(ref_state *r, const lt_adamw_options *o, const double *g0) {
    r->step++;
    double bc1 = 1 - pow(o->beta1, r->step), bc2 = 1 - pow(o->beta2, r->step);
    for (int64_t i = 0; i < r->n; i++) {
        double g = o->maximize ? -g0[i] : g0[i];
        r->w[i] *= 1 - o->lr * o->weight_decay;
        r->m[i] = o->beta1 * r->m[i] + (1 - o->beta1) * g;
        r->v[i] = o->beta2 * r->v[i] + (1 - o->beta2) * g * g;
        double v = r->v[i];
        if (o->amsgrad) v = r->vmax[i] = fmax(r->vmax[i], v);
        r->w[i] -= o->lr / bc1 * r->m[i] / (sqrt(v) / sqrt(bc2) + o->eps);
    }
}

START_TEST(new_optimizers_match_reference) {
    const int64_t sizes[] = {1, 7, 9, 33, 1000, 40000};
    const lt_rmsprop_options rms[3] = {
        {.lr = 0.01, .alpha = 0.99, .eps = 1e-8},
        {.lr = 0.01, .alpha = 0.9, .eps = 1e-8, .weight_decay = 0.1, .momentum = 0.9, .centered = true},
        {.lr = 0.005, .alpha = 0.3, .eps = 1e-3, .momentum = 0.5, .maximize = true},
    };
    const lt_adagrad_options ada[2] = {
        {.lr = 0.1, .eps = 1e-10},
        {.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1, .initial_accumulator_value = 0.5, .eps = 1e-6,
         .maximize = true},
    };
    const lt_adamw_options aw[2] = {
        {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-2},
        {.lr = 0.01, .beta1 = 0.3, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.5, .amsgrad = true},
    };
    for (int k = 0; k < 6; k++) {
        int64_t n = sizes[k];
        for (int c = 0; c < 7; c++) {
            reset_store();
            double *init = malloc((size_t)n * sizeof *init), *g = malloc((size_t)n * sizeof *g);
            ck_assert(init && g);
            for (int64_t i = 0; i < n; i++) init[i] = w0_at(i);
            lt_tensor *p = param("w", n, init);
            lt_optimizer *opt = c < 3 ? ltr_rmsprop(C, &rms[c]) : c < 5 ? ltr_adagrad(C, &ada[c - 3])
                                                                        : ltr_adamw(C, &aw[c - 5]);
            ck_assert_ptr_nonnull(opt);
            ref_state r;
            ref_init(&r, n);
            for (int s = 0; s < STEPS; s++) {
                for (int64_t i = 0; i < n; i++) g[i] = (float)grad_at(s, i);
                set_grad(p, g);
                ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
                if (c < 3) ref_rmsprop(r.w, r.v, r.buf, r.m, n, &rms[c], g);
                else if (c < 5) ref_adagrad(r.w, r.v, n, &ada[c - 3], s + 1, g);
                else ref_adamw(&r, &aw[c - 5], g);
            }
            for (int64_t i = 0; i < n; i++)
                ck_assert_msg(close_to(val(p, i), r.w[i], 2e-5), "%s case %d (n=%lld) elem %lld: %.9g, reference %.9g",
                              opt->name, c, (long long)n, (long long)i, val(p, i), r.w[i]);
            ltr_optimizer_free(opt);
            ref_free(&r);
            free(init);
            free(g);
        }
    }
}
END_TEST

/* The new optimizers' constructor checks, with torch's messages. */
START_TEST(new_optimizers_bad_options) {
    param("w", 2, NULL);
    lt_rmsprop_options r;
#define RMS_WITH(field, v) (r = LT_RMSPROP_DEFAULTS, r.field = (v), ltr_rmsprop(C, &r))
    expect_error(RMS_WITH(lr, -1), "RMSprop: Invalid learning rate: -1.0");
    expect_error(RMS_WITH(eps, -1e-8), "RMSprop: Invalid epsilon value: -1e-08");
    expect_error(RMS_WITH(momentum, -0.5), "RMSprop: Invalid momentum value: -0.5");
    expect_error(RMS_WITH(weight_decay, -0.1), "RMSprop: Invalid weight_decay value: -0.1");
    expect_error(RMS_WITH(alpha, NAN), "RMSprop: Invalid alpha value: nan");
    lt_adagrad_options a;
#define ADA_WITH(field, v) (a = LT_ADAGRAD_DEFAULTS, a.field = (v), ltr_adagrad(C, &a))
    expect_error(ADA_WITH(lr, -0.1), "Adagrad: Invalid learning rate: -0.1");
    expect_error(ADA_WITH(lr_decay, -1), "Adagrad: Invalid lr_decay value: -1.0");
    expect_error(ADA_WITH(weight_decay, -1), "Adagrad: Invalid weight_decay value: -1.0");
    expect_error(ADA_WITH(initial_accumulator_value, -1), "Adagrad: Invalid initial_accumulator_value value: -1.0");
    expect_error(ADA_WITH(eps, -1), "Adagrad: Invalid epsilon value: -1.0");
    lt_adamw_options w;
#define ADAMW_WITH(field, v) (w = LT_ADAMW_DEFAULTS, w.field = (v), ltr_adamw(C, &w))
    expect_error(ADAMW_WITH(beta2, 1.0), "AdamW: Invalid beta parameter at index 1: 1.0");
    expect_error(ADAMW_WITH(weight_decay, -0.01), "AdamW: Invalid weight_decay value: -0.01");
#undef RMS_WITH
#undef ADA_WITH
#undef ADAMW_WITH
    /* NULL options: torch's defaults (AdamW's weight_decay is 1e-2; Adagrad's eps 1e-10) */
    lt_optimizer *o = ltr_adamw(C, NULL);
    ck_assert_double_eq(o->defaults.adam.weight_decay, 1e-2);
    ck_assert_str_eq(o->name, "AdamW");
    ltr_optimizer_free(o);
    o = ltr_rmsprop(C, NULL);
    ck_assert_double_eq(o->defaults.rmsprop.lr, 1e-2);
    ck_assert_double_eq(o->defaults.rmsprop.alpha, 0.99);
    ltr_optimizer_free(o);
    o = ltr_adagrad(C, NULL);
    ck_assert_double_eq(o->defaults.adagrad.eps, 1e-10);
    ltr_optimizer_free(o);
}
END_TEST

int main(void) {
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("optim");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sgd_matches_reference);
    tcase_add_test(tc, adam_matches_reference);
    tcase_add_test(tc, matches_recorded_torch);
    tcase_add_test(tc, sgd_momentum_by_hand);
    tcase_add_test(tc, sgd_variants_by_hand);
    tcase_add_test(tc, adam_constant_gradient_by_hand);
    tcase_add_test(tc, adam_state_starts_at_zero);
    tcase_add_test(tc, undefined_grads_are_skipped);
    tcase_add_test(tc, zero_grad_undefines_grads);
    tcase_add_test(tc, state_is_allocated_lazily);
    tcase_add_test(tc, bad_options_are_refused);
    tcase_add_test(tc, store_grown_after_construction);
    tcase_add_test(tc, float64_parameters_match_torch);
    tcase_add_test(tc, python_float_repr);
    tcase_add_test(tc, adamw_rmsprop_adagrad_match_recorded_torch);
    tcase_add_test(tc, param_groups_match_torch);
    tcase_add_test(tc, param_group_errors);
    tcase_add_test(tc, new_optimizers_match_reference);
    tcase_add_test(tc, new_optimizers_bad_options);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
