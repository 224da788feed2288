/*
 * test_optim.c — SGD and Adam against torch.optim: an independent double-precision
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
                ck_assert_msg(close_to(((float *)st->buf1)[i], r.buf[i], 4e-6), "%s step %d: momentum_buffer[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf1)[i], r.buf[i]);
            if (kind == 1) {
                ck_assert_msg(close_to(((float *)st->buf1)[i], r.m[i], 4e-6), "%s step %d: exp_avg[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf1)[i], r.m[i]);
                ck_assert_msg(fabs(((float *)st->buf2)[i] - r.v[i]) <= 2e-6 * r.v[i] + 1e-12, "%s step %d: exp_avg_sq[%lld] %.9g, reference %.9g",
                              what, s + 1, (long long)i, ((float *)st->buf2)[i], r.v[i]);
                if (ao->amsgrad) {
                    ck_assert_msg(fabs(((float *)st->buf3)[i] - r.vmax[i]) <= 2e-6 * r.vmax[i] + 1e-12,
                                  "%s step %d: max_exp_avg_sq[%lld] %.9g, reference %.9g", what, s + 1,
                                  (long long)i, ((float *)st->buf3)[i], r.vmax[i]);
                    max_mattered |= ((float *)st->buf3)[i] > ((float *)st->buf2)[i];
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
            ck_assert_double_eq_tol(((float *)opt->state[0].buf1)[i], bufs[s], 1e-6);
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
        ck_assert_double_eq_tol(((float *)opt->state[0].buf1)[0], damp_bufs[s], 1e-6);
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
    ck_assert_double_eq_tol(((float *)opt->state[1].buf1)[0], 1.9, 1e-6);
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
        ck_assert_double_eq_tol(((float *)st->buf1)[i], 0.1 * g[i], 1e-7);
        ck_assert_double_eq_tol(((float *)st->buf2)[i], 0.001 * g[i] * g[i], 1e-8);
        ck_assert_float_eq(((float *)st->buf3)[i], ((float *)st->buf2)[i]);
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
    ck_assert_double_eq_tol(((float *)opt->state[1].buf1)[0], 1, 1e-7);
    ck_assert_double_eq_tol(((float *)opt->state[0].buf1)[0], 1.9, 1e-6); /* a untouched this time */
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
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
