/*
 * test_optim_parity.c — ltrun's optimizers bit for bit against torch 2.x's torch.optim on
 * identical gradients: SGD (momentum, nesterov, dampening, weight decay, maximize), Adam,
 * AdamW (amsgrad), RMSprop (centered, momentum) and Adagrad (lr_decay, initial accumulator),
 * float32 and float64, 500 steps of a 67-element parameter. The reference bits are what
 * tests/parity/torch_optim_ref.py printed with torch 2.11's vectorised CPU kernels (AVX2
 * and AVX-512 give the same bits; torch's unvectorised DEFAULT build differs); the
 * parameters and gradients come from the same integer hash on both sides.
 */
#include "check_run.h"
#include "core/context.h"
#include "optim/optimizer.h"
#include "tensor/tensor.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parity/torch_optim_ref.inc"

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

/* Runs one case; returns the number of elements whose bits differ at the first recorded
 * step that differs (0: equal at every recorded step). */
static int run_case(const char *name, lt_dtype dt, const void *ref_rows, size_t esize) {
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
    for (int s = 1; s <= parity_record_steps[PARITY_NREC - 1] && !bad; s++) {
        for (int i = 0; i < PARITY_N; i++) {
            float g = value((uint32_t)s, (uint32_t)i);
            if (dt == LT_FLOAT64) ((double *)p->grad->data)[i] = g;
            else ((float *)p->grad->data)[i] = g;
        }
        p->flags |= LTR_T_GRAD_DEFINED;
        ck_assert_int_eq(ltr_optimizer_step(opt), LT_OK);
        if (s != parity_record_steps[rec]) continue;
        const unsigned char *row = (const unsigned char *)ref_rows + (size_t)rec * PARITY_N * esize;
        for (int i = 0; i < PARITY_N; i++) {
            uint64_t want = 0;
            memcpy(&want, row + (size_t)i * esize, esize);
            if (bits_of(p, i) != want) {
                if (!bad)
                    fprintf(stderr, "%s %s step %d elem %d: ltrun bits %#" PRIx64 ", torch %#" PRIx64 "\n", name,
                            dt == LT_FLOAT64 ? "float64" : "float32", s, i, bits_of(p, i), want);
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

START_TEST(float32_bits_equal_torch) {
    int failed = 0;
    for (size_t c = 0; c < sizeof parity_f32 / sizeof parity_f32[0]; c++)
        failed += run_case(parity_f32[c].name, LT_FLOAT32, parity_f32[c].bits, sizeof(uint32_t)) != 0;
    ck_assert_msg(failed == 0, "%d float32 case(s) differ from torch (see stderr)", failed);
}
END_TEST

START_TEST(float64_bits_equal_torch) {
    int failed = 0;
    for (size_t c = 0; c < sizeof parity_f64 / sizeof parity_f64[0]; c++)
        failed += run_case(parity_f64[c].name, LT_FLOAT64, parity_f64[c].bits, sizeof(uint64_t)) != 0;
    ck_assert_msg(failed == 0, "%d float64 case(s) differ from torch (see stderr)", failed);
}
END_TEST

int main(void) {
    Suite *s = suite_create("optim_parity");
    TCase *tc = tcase_create("torch2");
    tcase_add_test(tc, float32_bits_equal_torch);
    tcase_add_test(tc, float64_bits_equal_torch);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
