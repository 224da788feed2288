/*
 * test_optim_parity.c — ltrun's optimizers bit for bit against torch 2.x's torch.optim on
 * identical gradients: SGD (momentum, nesterov, dampening, weight decay, maximize), Adam,
 * AdamW (amsgrad), RMSprop (centered, momentum) and Adagrad (lr_decay, initial accumulator),
 * float32 and float64, 500 steps of a 67-element parameter. The reference bits are what
 * tests/parity/torch_optim_ref.py printed with torch 2.11's vectorised CPU kernels (AVX2
 * and AVX-512 give the same bits; torch's unvectorised DEFAULT build differs); the
 * parameters and gradients come from the same integer hash on both sides.
 *
 * Square roots: torch's CPU sqrt is MKL's vsSqrt/vdSqrt (HA mode), which is not correctly
 * rounded: where the exact root lies near a rounding midpoint it may return the other
 * neighbour, about once in 10^4 roots. ltrun's IEEE sqrt cannot follow that, and one such
 * root shifts an element by an ulp from then on. So each case runs twice:
 *  - through this binary's own copy of adam.c/rmsprop.c/adagrad.c (Makefile.am: renamed
 *    torch_*, their sqrt replaced by torch_sqrt/torch_sqrtf, IEEE except at the arguments
 *    of the .inc's parity_sqrt tables, where they return torch's root): every element of
 *    every recorded step must equal torch's bits;
 *  - through libltr's optimizers (the build's vectorised clones, IEEE sqrt): elements may
 *    differ only where a table root was taken, at most one element per such root.
 */
#include "check_run.h"
#include "core/context.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parity/torch_optim_ref.inc"

/* the renamed second copy of the optimizers' steps (Makefile.am's -D flags) */
lt_status ltr_adam_step(lt_optimizer *o);
lt_status ltr_rmsprop_step(lt_optimizer *o);
lt_status ltr_adagrad_step(lt_optimizer *o);
float torch_sqrtf(float x);
double torch_sqrt(double x);

static long torch_roots; /* table roots taken in this run */


float torch_sqrtf(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    for (size_t i = 0; parity_sqrt_f32[i][0] | parity_sqrt_f32[i][1]; i++)
        if (parity_sqrt_f32[i][0] == u) {
            float r;
            memcpy(&r, &parity_sqrt_f32[i][1], 4);
            torch_roots++;
            return r;
        }
    return sqrtf(x);
}

double torch_sqrt(double x) {
    uint64_t u;
    memcpy(&u, &x, 8);
    for (size_t i = 0; parity_sqrt_f64[i][0] | parity_sqrt_f64[i][1]; i++)
        if (parity_sqrt_f64[i][0] == u) {
            double r;
            memcpy(&r, &parity_sqrt_f64[i][1], 8);
            torch_roots++;
            return r;
        }
    return sqrt(x);
}

static ltr_ctx X;
static ltr_param_store PS;
#define C (&X.pub)

/* lowbias32, as torch_optim_ref.py's mix() */
static uint32_t mix(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

/* an exact float32: a signed 24-bit integer times 2^-(23 + s % 5) */
static float value(uint32_t s, uint32_t i) {
    uint32_t h = mix(s * 1000003u + i * 7919u + 12345u);
    int32_t q = (int32_t)(h >> 8) - (1 << 23);
    return ldexpf((float)q, -(int)(23 + s % 5));
}

/* the optimizers of torch_optim_ref.py's CASES, in its order */
static lt_optimizer *make_case(const char *name) {
#define IS(s) (strcmp(name, s) == 0)
    if (IS("sgd_plain")) return ltr_sgd(C, &(lt_sgd_options){.lr = 0.1});
    if (IS("sgd_momentum")) return ltr_sgd(C, &(lt_sgd_options){.lr = 0.01, .momentum = 0.9});
    if (IS("sgd_nesterov_wd"))
        return ltr_sgd(C, &(lt_sgd_options){.lr = 0.01, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-4});
    if (IS("sgd_dampening_wd_max"))
        return ltr_sgd(C, &(lt_sgd_options){.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.01,
                                            .maximize = true});
    if (IS("adam_default")) return ltr_adam(C, NULL);
    if (IS("adam_wd_amsgrad"))
        return ltr_adam(C, &(lt_adam_options){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                                              .weight_decay = 0.1, .amsgrad = true});
    if (IS("adam_beta1_03_max"))
        return ltr_adam(C, &(lt_adam_options){.lr = 0.02, .beta1 = 0.3, .beta2 = 0.99, .eps = 1e-3, .maximize = true});
    if (IS("adamw_default")) return ltr_adamw(C, NULL);
    if (IS("adamw_amsgrad"))
        return ltr_adamw(C, &(lt_adamw_options){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                                                .weight_decay = 0.5, .amsgrad = true});
    if (IS("rmsprop_default")) return ltr_rmsprop(C, NULL);
    if (IS("rmsprop_centered_momentum_wd"))
        return ltr_rmsprop(C, &(lt_rmsprop_options){.lr = 0.001, .alpha = 0.9, .eps = 1e-8, .momentum = 0.9,
                                                    .centered = true, .weight_decay = 0.1});
    if (IS("adagrad_default")) return ltr_adagrad(C, NULL);
    if (IS("adagrad_decay_wd_init"))
        return ltr_adagrad(C, &(lt_adagrad_options){.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1,
                                                    .initial_accumulator_value = 0.5, .eps = 1e-6});
#undef IS
    return NULL;
}

static uint64_t bits_of(const lt_tensor *p, int64_t i) {
    if (p->dtype == LT_FLOAT64) {
        uint64_t u;
        memcpy(&u, (const double *)p->data + i, 8);
        return u;
    }
    uint32_t u;
    memcpy(&u, (const float *)p->data + i, 4);
    return u;
}

/* Runs one case, through the copy with torch's roots (`torch_roots_copy`) or libltr's;
 * returns the number of elements whose bits differ from torch's at some recorded step
 * (0: equal everywhere). */
static int run_case(const char *name, lt_dtype dt, const void *ref_rows, size_t esize,
                    bool torch_roots_copy) {
    ltr_ctx_init(&X, NULL);
    ltr_param_store_init(&PS);
    X.params = &PS;
    int64_t n = PARITY_N;
    lt_tensor *p = ltr_param(C, "w", dt, 1, &n);
    ck_assert_msg(p != NULL, "ltr_param: %s", X.error);
    for (int i = 0; i < PARITY_N; i++) {
        float v = value(100000, (uint32_t)i);
        if (dt == LT_FLOAT64) ((double *)p->data)[i] = v;
        else ((float *)p->data)[i] = v;
    }
    lt_optimizer *opt = make_case(name);
    ck_assert_msg(opt != NULL, "%s: %s", name, X.error);
    int bad = 0, rec = 0;
    bool differs[PARITY_N] = {false};
    torch_roots = 0;
    for (int s = 1; s <= parity_record_steps[PARITY_NREC - 1]; s++) {
        for (int i = 0; i < PARITY_N; i++) {
            float g = value((uint32_t)s, (uint32_t)i);
            if (dt == LT_FLOAT64) ((double *)p->grad->data)[i] = g;
            else ((float *)p->grad->data)[i] = g;
        }
        p->flags |= LTR_T_GRAD_DEFINED;
        lt_status rc;
        if (!torch_roots_copy || strncmp(name, "sgd", 3) == 0) rc = ltr_optimizer_step(opt);
        else if (strncmp(name, "rmsprop", 7) == 0) rc = ltr_rmsprop_step(opt);
        else if (strncmp(name, "adagrad", 7) == 0) rc = ltr_adagrad_step(opt);
        else rc = ltr_adam_step(opt);
        ck_assert_int_eq(rc, LT_OK);
        if (s != parity_record_steps[rec]) continue;
        const unsigned char *row = (const unsigned char *)ref_rows + (size_t)rec * PARITY_N * esize;
        for (int i = 0; i < PARITY_N; i++) {
            uint64_t want = 0;
            memcpy(&want, row + (size_t)i * esize, esize);
            if (bits_of(p, i) != want && !differs[i]) {
                differs[i] = true;
                if (!bad || !torch_roots_copy)
                    fprintf(stderr, "%s %s%s step %d elem %d: ltrun bits %#" PRIx64 ", torch %#" PRIx64 "\n",
                            name, dt == LT_FLOAT64 ? "float64" : "float32",
                            torch_roots_copy ? "" : " (IEEE sqrt)", s, i, bits_of(p, i), want);
                bad++;
            }
        }
        rec++;
    }
    ltr_optimizer_free(opt);
    ltr_param_store_free(&PS);
    ltr_ctx_free_allocs(&X);
    return bad;
}

/* Every case through the copy with torch's roots must equal torch everywhere; through
 * libltr's optimizers, differ in no more elements than table roots were taken. */
static void check_dtype(lt_dtype dt) {
    const bool f64 = dt == LT_FLOAT64;
    const size_t ncases = f64 ? sizeof parity_f64 / sizeof parity_f64[0] : sizeof parity_f32 / sizeof parity_f32[0];
    int failed = 0;
    for (size_t c = 0; c < ncases; c++) {
        const char *name = f64 ? parity_f64[c].name : parity_f32[c].name;
        const void *rows = f64 ? (const void *)parity_f64[c].bits : (const void *)parity_f32[c].bits;
        size_t es = f64 ? sizeof(uint64_t) : sizeof(uint32_t);
        int bad = run_case(name, dt, rows, es, true);
        long roots = torch_roots;
        int ieee_bad = run_case(name, dt, rows, es, false);
        if (bad || ieee_bad > roots) failed++;
        if (ieee_bad > roots)
            fprintf(stderr, "%s %s: %d elements differ with IEEE sqrt, only %ld of torch's roots differ\n", name,
                    f64 ? "float64" : "float32", ieee_bad, roots);
    }
    ck_assert_msg(failed == 0, "%d %s case(s) differ from torch (see stderr)", failed, f64 ? "float64" : "float32");
}

START_TEST(float32_bits_equal_torch) { check_dtype(LT_FLOAT32); }
END_TEST

START_TEST(float64_bits_equal_torch) { check_dtype(LT_FLOAT64); }
END_TEST

/* Each table root is one of the two floats next to the exact root, the one IEEE does not
 * pick: torch's sqrt is faithful there, not wrong by more. The exact root lies between two
 * floats a and b when a^2 - x and b^2 - x, each taken exactly by one fma, differ in sign. */
START_TEST(torch_roots_are_neighbours) {
    for (size_t i = 0; parity_sqrt_f32[i][0] | parity_sqrt_f32[i][1]; i++) {
        float x, r;
        memcpy(&x, &parity_sqrt_f32[i][0], 4);
        memcpy(&r, &parity_sqrt_f32[i][1], 4);
        float ieee = sqrtf(x);
        ck_assert_msg(nextafterf(ieee, r) == r && r != ieee &&
                          (fmaf(ieee, ieee, -x) < 0) != (fmaf(r, r, -x) < 0),
                      "parity_sqrt_f32[%zu]: %a is not the other neighbour of sqrt(%a)", i, (double)r, (double)x);
    }
    for (size_t i = 0; parity_sqrt_f64[i][0] | parity_sqrt_f64[i][1]; i++) {
        double x, r;
        memcpy(&x, &parity_sqrt_f64[i][0], 8);
        memcpy(&r, &parity_sqrt_f64[i][1], 8);
        double ieee = sqrt(x);
        ck_assert_msg(nextafter(ieee, r) == r && r != ieee && (fma(ieee, ieee, -x) < 0) != (fma(r, r, -x) < 0),
                      "parity_sqrt_f64[%zu]: %a is not the other neighbour of sqrt(%a)", i, r, x);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("optim_parity");
    TCase *tc = tcase_create("torch2");
    tcase_add_test(tc, float32_bits_equal_torch);
    tcase_add_test(tc, float64_bits_equal_torch);
    tcase_add_test(tc, torch_roots_are_neighbours);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
