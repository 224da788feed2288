/*
 * gradcheck.h — a test context and a finite-difference gradient checker (float64),
 * like torch.autograd.gradcheck: analytical gradients from ltr_backward against
 * central differences (f(x+h) - f(x-h)) / 2h, h = 1e-6, for every element of every
 * input that requires grad; tolerance 1e-6 absolute + 1e-5 relative.
 *
 * Usage: write `lt_tensor *f(lt_ctx *, lt_tensor **in, void *arg)` that builds a scalar
 * from the inputs (float64 leaves from leaf(), int64 targets from tensor_of()), then
 * gradcheck(&env, "name", f, in, nin, arg). The environment owns an arena, a tape, a
 * parameter store and a seeded rng; env_free releases all of them.
 */
#ifndef LTR_TEST_GRADCHECK_H
#define LTR_TEST_GRADCHECK_H

#include "core/context.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"
#include "util/rng.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct test_env {
    ltr_ctx ctx;
    ltr_arena *arena;
    ltr_tape *tape;
    ltr_param_store params;
    ltr_rng rng;
} test_env;

static inline void env_init(test_env *e) {
    ltr_ctx_init(&e->ctx, NULL);
    e->arena = ltr_arena_create(1 << 16);
    e->tape = ltr_tape_create();
    ltr_param_store_init(&e->params);
    ltr_rng_seed(&e->rng, 1234);
    e->ctx.arena = e->arena;
    e->ctx.tape = e->tape;
    e->ctx.rng = &e->rng;
}

static inline void env_free(test_env *e) {
    ltr_param_store_free(&e->params);
    ltr_tape_destroy(e->tape);
    ltr_arena_destroy(e->arena);
    ltr_ctx_free_allocs(&e->ctx);
}

/* An arena tensor from values (converted to dt). */
static inline lt_tensor *tensor_of(test_env *e, lt_dtype dt, int nd, const int64_t *shape,
                                   const double *v) {
    lt_tensor *t = ltr_empty(&e->ctx.pub, dt, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, v ? v[i] : 0);
    return t;
}

/* A random float64 leaf that requires grad; values in [lo, hi). */
static inline lt_tensor *leaf(test_env *e, int nd, const int64_t *shape, double lo, double hi) {
    lt_tensor *t = ltr_empty(&e->ctx.pub, LT_FLOAT64, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, lo + (hi - lo) * ltr_rng_uniform(&e->rng));
    t->flags |= LTR_T_REQUIRES_GRAD;
    return t;
}

/* The function under test: builds a scalar from the inputs. */
typedef lt_tensor *(*gc_fn)(lt_ctx *ctx, lt_tensor **in, void *arg);

static inline double gc_eval(test_env *e, gc_fn f, lt_tensor **in, void *arg) {
    e->ctx.grad_enabled = false;
    lt_tensor *y = f(&e->ctx.pub, in, arg);
    e->ctx.grad_enabled = true;
    ck_assert_msg(y != NULL, "forward failed: %s", e->ctx.error);
    return ltr_get(y, 0);
}

/* Checks d f / d in[k] for every input k that requires grad. */
static inline void gradcheck(test_env *e, const char *what, gc_fn f, lt_tensor **in, int nin, void *arg) {
    for (int k = 0; k < nin; k++) {
        /* inputs are arena leaves: a parameter's grad is its heap buffer, not ours to drop,
         * and perturbing element i below assumes the contiguous layout */
        ck_assert_msg(!(in[k]->flags & LTR_T_PARAM), "%s: gradcheck inputs are arena leaves", what);
        ck_assert_msg(ltr_is_contiguous(in[k]), "%s: gradcheck inputs must be contiguous", what);
        in[k]->grad = NULL;
    }
    ltr_tape_reset(e->tape);
    lt_tensor *y = f(&e->ctx.pub, in, arg);
    ck_assert_msg(y != NULL, "%s: forward failed: %s", what, e->ctx.error);
    ck_assert_int_eq(ltr_backward(&e->ctx.pub, y), LT_OK);
    const double h = 1e-6;
    for (int k = 0; k < nin; k++) {
        lt_tensor *x = in[k];
        if (!(x->flags & LTR_T_REQUIRES_GRAD)) continue;
        ck_assert_msg(x->grad != NULL, "%s: input %d got no gradient", what, k);
        for (int64_t i = 0; i < ltr_numel(x); i++) {
            double v = ltr_get(x, i);
            ltr_set(x, i, v + h);
            double fp = gc_eval(e, f, in, arg);
            ltr_set(x, i, v - h);
            double fm = gc_eval(e, f, in, arg);
            ltr_set(x, i, v);
            double num = (fp - fm) / (2 * h), ana = ltr_get(x->grad, i);
            ck_assert_msg(fabs(num - ana) <= 1e-6 + 1e-5 * fabs(num),
                          "%s: d/d in%d[%lld]: analytical %.10g, numerical %.10g", what, k,
                          (long long)i, ana, num);
        }
    }
}

/* sum(out * w) with a fixed random w of out's shape: a scalar whose gradient differs for
 * every element of out (what the op tests hand to gradcheck) */
static inline lt_tensor *weigh(lt_ctx *ctx, lt_tensor *out) {
    if (!out) return NULL;
    lt_tensor *w = ltr_empty_like(ctx, out);
    if (!w) return NULL;
    /* drawn on the host, then copied through out's device (its memory may be device-only) */
    lt_tensor *hw = w->device == 0 ? w : ltr_empty_on(ctx, 0, w->dtype, w->ndim, w->shape);
    if (!hw) return NULL;
    ltr_rng r;
    ltr_rng_seed(&r, 99);
    for (int64_t i = 0; i < ltr_numel(hw); i++) ltr_set(hw, i, ltr_rng_uniform(&r) * 2 - 1);
    if (hw != w && ltr_copy_(ctx, w, hw) != LT_OK) return NULL;
    return ltr_sum(ctx, ltr_mul(ctx, out, w));
}

/* t (any layout) holds v[0..n) within atol + rtol * |v[i]| each; fails naming the element */
static inline void check_values(lt_ctx *ctx, const lt_tensor *t, const double *v, int64_t n,
                                double atol, double rtol) {
    ck_assert_msg(t != NULL, "no tensor: %s", ((ltr_ctx *)ctx)->error);
    ck_assert_int_eq(ltr_numel(t), n);
    const lt_tensor *ct = ltr_contiguous(ctx, t);
    ck_assert_ptr_nonnull(ct);
    lt_tensor c[1] = {*ct};
    c->data = (void *)ltr_host_bytes(ctx, c); /* read through the device's copy */
    ck_assert_ptr_nonnull(c->data);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabs(ltr_get(c, i) - v[i]) <= atol + rtol * fabs(v[i]),
                      "element %lld: got %.12g, want %.12g", (long long)i, ltr_get(c, i), v[i]);
}

#endif
