/*
 * test_ops_shape.c — the shape family: views (transpose, permute, squeeze,
 * unsqueeze, expand, narrow, select) share storage and have torch's shapes, strides and
 * values; contiguous; index_select, cat, stack, split, chunk; batched matmul and bmm
 * (broadcast batches, transposed operands as GEMM flags); existing ops fed
 * non-contiguous views. Gradchecks in float64 on non-contiguous inputs, chains of views
 * and views of views; float32 values; errors naming the op.
 */
#include "check_run.h"
#include "gradcheck.h"

#include <stdlib.h>

static test_env E;
static void setup(void) { env_init(&E); }
static void teardown(void) { env_free(&E); }
#define C (&E.ctx.pub)

/* 0, 1, 2, ... in shape */
static lt_tensor *arange(lt_dtype dt, int nd, const int64_t *shape) {
    lt_tensor *t = ltr_empty(C, dt, nd, shape);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, (double)i);
    return t;
}

static void expect_shape(const lt_tensor *t, int nd, const int64_t *shape, const int64_t *stride) {
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->ndim, nd);
    for (int d = 0; d < nd; d++) {
        ck_assert_int_eq(t->shape[d], shape[d]);
        if (stride) ck_assert_int_eq(t->stride[d], stride[d]);
    }
}

static void expect_values(const lt_tensor *t, const double *v, int64_t n, double tol) {
    check_values(C, t, v, n, tol, tol);
}

/* the view's data lies inside its base's storage */
static void expect_shares(const lt_tensor *view, const lt_tensor *base) {
    ck_assert_ptr_nonnull(view);
    const char *b = base->data, *v = view->data;
    size_t bytes = (size_t)ltr_numel(base) * ltr_dtype_size(base->dtype);
    ck_assert_msg(v >= b && v < b + (bytes ? bytes : 1), "view does not share its base's storage");
}

static void expect_error(const char *what) {
    ck_assert_msg(E.ctx.failed, "expected an error containing '%s'", what);
    ck_assert_msg(strstr(E.ctx.error, what) != NULL, "error '%s' lacks '%s'", E.ctx.error, what);
    ltr_ctx_take_error(&E.ctx, NULL, 0);
}

/* ------------------------------------------------------------------ view values */

/* expected values: torch.arange(24.).reshape(2,3,4) then the view, .contiguous().flatten() */
START_TEST(view_values_and_strides) {
    int64_t s[3] = {2, 3, 4};
    lt_tensor *x = arange(LT_FLOAT64, 3, s);
    /* x.transpose(0,2): shape [4,3,2] stride (1,4,12) */
    lt_tensor *t = ltr_transpose(C, x, 0, -1);
    expect_shape(t, 3, (int64_t[]){4, 3, 2}, (int64_t[]){1, 4, 12});
    ck_assert_ptr_eq(t->data, x->data);
    ck_assert(!ltr_is_contiguous(t));
    expect_values(t, (double[]){0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22,
                                3, 15, 7, 19, 11, 23}, 24, 0);
    /* x.permute(1,2,0): [3,4,2] stride (4,1,12) */
    lt_tensor *p = ltr_permute(C, x, 3, (int[]){1, 2, 0});
    expect_shape(p, 3, (int64_t[]){3, 4, 2}, (int64_t[]){4, 1, 12});
    expect_values(p, (double[]){0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20,
                                9, 21, 10, 22, 11, 23}, 24, 0);
    /* x.narrow(2,1,2): [2,3,2] stride (12,4,1) */
    lt_tensor *n = ltr_narrow(C, x, 2, 1, 2);
    expect_shape(n, 3, (int64_t[]){2, 3, 2}, (int64_t[]){12, 4, 1});
    expect_shares(n, x);
    expect_values(n, (double[]){1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}, 12, 0);
    /* x.select(1,-1): [2,4] stride (12,1) */
    lt_tensor *sel = ltr_select(C, x, 1, -1);
    expect_shape(sel, 2, (int64_t[]){2, 4}, (int64_t[]){12, 1});
    expect_shares(sel, x);
    expect_values(sel, (double[]){8, 9, 10, 11, 20, 21, 22, 23}, 8, 0);
    /* views of views: x.permute(2,0,1).narrow(0,1,3).select(2,1): [3,2] stride (1,12) */
    lt_tensor *ch = ltr_select(C, ltr_narrow(C, ltr_permute(C, x, 3, (int[]){2, 0, 1}), 0, 1, 3), 2, 1);
    expect_shape(ch, 2, (int64_t[]){3, 2}, (int64_t[]){1, 12});
    expect_shares(ch, x);
    expect_values(ch, (double[]){5, 17, 6, 18, 7, 19}, 6, 0);
    /* x.select(2,3).unsqueeze(1).expand(2,2,3): stride (12,0,4) */
    lt_tensor *e = ltr_expand(C, ltr_unsqueeze(C, ltr_select(C, x, 2, 3), 1), 3,
                              (int64_t[]){2, 2, 3});
    expect_shape(e, 3, (int64_t[]){2, 2, 3}, (int64_t[]){12, 0, 4});
    expect_shares(e, x);
    expect_values(e, (double[]){3, 7, 11, 3, 7, 11, 15, 19, 23, 15, 19, 23}, 12, 0);
    /* writes through the base show in the view (shared storage) */
    ltr_set(x, 11, -5);
    expect_values(sel, (double[]){8, 9, 10, -5, 20, 21, 22, 23}, 8, 0);
    /* torch.zeros(2,1,3).expand(4,2,-1,3).stride() == (0,3,3,1) */
    lt_tensor *z = ltr_zeros(C, LT_FLOAT64, 3, (int64_t[]){2, 1, 3});
    expect_shape(ltr_expand(C, z, 4, (int64_t[]){4, 2, -1, 3}), 4, (int64_t[]){4, 2, 1, 3},
                 (int64_t[]){0, 3, 3, 1});
    /* unsqueeze strides: zeros(2,3).t().unsqueeze(2) -> (1,3,1); zeros(2,3).unsqueeze(0) -> (6,3,1) */
    lt_tensor *z2 = ltr_zeros(C, LT_FLOAT64, 2, (int64_t[]){2, 3});
    expect_shape(ltr_unsqueeze(C, ltr_transpose(C, z2, 0, 1), 2), 3, (int64_t[]){3, 2, 1},
                 (int64_t[]){1, 3, 1});
    expect_shape(ltr_unsqueeze(C, z2, 0), 3, (int64_t[]){1, 2, 3}, (int64_t[]){6, 3, 1});
    expect_shape(ltr_unsqueeze(C, z2, -1), 3, (int64_t[]){2, 3, 1}, (int64_t[]){3, 1, 1});
    /* squeeze: torch.zeros(1,3,1,2).squeeze() -> [3,2]; .squeeze(2) -> [1,3,2]; .squeeze(1) unchanged */
    lt_tensor *q = ltr_zeros(C, LT_FLOAT64, 4, (int64_t[]){1, 3, 1, 2});
    expect_shape(ltr_squeeze_all(C, q), 2, (int64_t[]){3, 2}, (int64_t[]){2, 1});
    expect_shape(ltr_squeeze(C, q, 2), 3, (int64_t[]){1, 3, 2}, NULL);
    expect_shape(ltr_squeeze(C, q, -3), 4, (int64_t[]){1, 3, 1, 2}, NULL);
    /* reshape: a view when contiguous, a copy of a non-contiguous input (torch.reshape) */
    ck_assert_ptr_eq(ltr_reshape(C, x, 1, (int64_t[]){24})->data, x->data);
    lt_tensor *rt = ltr_reshape(C, t, 1, (int64_t[]){24});
    ck_assert(rt->data != x->data);
    expect_values(rt, (double[]){0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22,
                                 3, 15, 7, 19, -5, 23}, 24, 0); /* x[11] = -5 above */
    /* contiguous: the same tensor when contiguous, a copy otherwise */
    ck_assert_ptr_eq(ltr_contiguous_op(C, x), x);
    lt_tensor *tc = ltr_contiguous_op(C, t);
    ck_assert(tc != t && ltr_is_contiguous(tc));
    ck_assert(!E.ctx.failed);
}
END_TEST

/* the same views on float32 and int64 data */
START_TEST(view_dtypes) {
    int64_t s[2] = {2, 3};
    lt_tensor *f = arange(LT_FLOAT32, 2, s), *i = arange(LT_INT64, 2, s);
    /* torch.arange(6).reshape(2,3).t() -> [[0,3],[1,4],[2,5]] */
    expect_values(ltr_transpose(C, f, 0, 1), (double[]){0, 3, 1, 4, 2, 5}, 6, 0);
    expect_values(ltr_transpose(C, i, 0, 1), (double[]){0, 3, 1, 4, 2, 5}, 6, 0);
    expect_values(ltr_select(C, i, 1, 2), (double[]){2, 5}, 2, 0);
    /* torch.index_select(arange(6).reshape(2,3), 1, [2,2,0]) */
    int64_t three = 3;
    lt_tensor *idx = tensor_of(&E, LT_INT64, 1, &three, (double[]){2, 2, 0});
    expect_values(ltr_index_select(C, i, 1, idx), (double[]){2, 2, 0, 5, 5, 3}, 6, 0);
    expect_values(ltr_index_select(C, f, 1, idx), (double[]){2, 2, 0, 5, 5, 3}, 6, 0);
    const lt_tensor *two[2] = {i, i};
    /* torch.cat([a, a], 0) */
    expect_values(ltr_cat(C, two, 2, 0), (double[]){0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 12, 0);
    ck_assert(!E.ctx.failed);
}
END_TEST

/* ------------------------------------------------------------------- gradchecks */

static lt_tensor *f_views(lt_ctx *c, lt_tensor **in, void *a) {
    int which = *(int *)a;
    lt_tensor *x = in[0]; /* [2,3,4] */
    switch (which) {
    case 0: return weigh(c, ltr_transpose(c, x, 0, 2));
    case 1: return weigh(c, ltr_permute(c, x, 3, (int[]){1, 2, 0}));
    case 2: return weigh(c, ltr_narrow(c, x, 2, 1, 2));
    case 3: return weigh(c, ltr_select(c, x, 1, -1));
    case 4: return weigh(c, ltr_unsqueeze(c, x, 1));
    case 5: return weigh(c, ltr_squeeze(c, ltr_narrow(c, x, 1, 2, 1), 1));
    case 6: return weigh(c, ltr_squeeze_all(c, ltr_unsqueeze(c, ltr_narrow(c, x, 0, 1, 1), 3)));
    case 7: /* expand a size-1 dim and add leading ones: sums in backward */
        return weigh(c, ltr_expand(c, ltr_narrow(c, x, 1, 1, 1), 4, (int64_t[]){3, 2, 5, -1}));
    case 8: /* a chain: permute -> narrow -> select -> unsqueeze -> expand */
        return weigh(c, ltr_expand(c, ltr_unsqueeze(c, ltr_select(c, ltr_narrow(c,
                            ltr_permute(c, x, 3, (int[]){2, 0, 1}), 0, 1, 3), 2, 1), 0), 3,
                            (int64_t[]){2, -1, -1}));
    case 9: /* a view used twice, and contiguous of a view */
        return ltr_sum(c, ltr_mul(c, ltr_contiguous_op(c, ltr_transpose(c, x, 1, 2)),
                                  ltr_transpose(c, x, 1, 2)));
    case 10: /* reshape of a non-contiguous view copies (torch.reshape) */
        return weigh(c, ltr_reshape(c, ltr_transpose(c, x, 0, 1), 2, (int64_t[]){-1, 8}));
    case 11: return weigh(c, ltr_flatten(c, ltr_permute(c, x, 3, (int[]){2, 1, 0}), 1));
    }
    return NULL;
}

START_TEST(grad_views) {
    int64_t s[3] = {2, 3, 4};
    lt_tensor *x = leaf(&E, 3, s, -1, 1);
    for (int k = 0; k <= 11; k++) {
        char name[32];
        snprintf(name, sizeof name, "view %d", k);
        gradcheck(&E, name, f_views, &x, 1, &k);
    }
}
END_TEST

static lt_tensor *f_join(lt_ctx *c, lt_tensor **in, void *a) {
    int which = *(int *)a;
    switch (which) {
    case 0: { /* index_select with a repeated index, on a transposed input */
        int64_t n = 4;
        lt_tensor *idx = ltr_empty(c, LT_INT64, 1, &n);
        int64_t *p = idx->data;
        p[0] = 2, p[1] = 0, p[2] = 2, p[3] = 1;
        return weigh(c, ltr_index_select(c, ltr_transpose(c, in[0], 0, 1), 1, idx));
    }
    case 1: { /* cat of a view, a leaf and a view of the same leaf, along dim 1 */
        const lt_tensor *ts[3] = {ltr_transpose(c, in[1], 0, 1), in[0], ltr_narrow(c, in[0], 1, 1, 2)};
        return weigh(c, ltr_cat(c, ts, 3, 1));
    }
    case 2: { /* stack on every dim position */
        const lt_tensor *ts[2] = {ltr_narrow(c, in[0], 1, 0, 2), ltr_transpose(c, in[1], 0, 1)};
        lt_tensor *a0 = ltr_stack(c, ts, 2, 0), *a2 = ltr_stack(c, ts, 2, -1);
        return ltr_add(c, weigh(c, a0), weigh(c, a2));
    }
    case 3: { /* split pieces used differently */
        lt_tensor *out[4];
        int n = ltr_split_tensor(c, in[0], 2, 1, out, 4);
        if (n != 2) return NULL;
        return ltr_add(c, weigh(c, out[0]), ltr_sum(c, ltr_mul(c, out[1], out[1])));
    }
    case 4: { /* chunk into 2 along dim 0 of a transposed view (sizes 2, 1) */
        lt_tensor *out[3];
        int n = ltr_chunk(c, ltr_transpose(c, in[0], 0, 1), 2, 0, out, 3);
        if (n != 2) return NULL;
        return ltr_add(c, weigh(c, out[1]), weigh(c, ltr_mul(c, out[0], out[0])));
    }
    }
    return NULL;
}

static lt_tensor *f_matmul(lt_ctx *c, lt_tensor **in, void *a);

/* float32: the gradients of every view chain and matmul form match float64's */
static void grads_f32_match(gc_fn f, int nin, const int *nd, const int64_t (*shapes)[4], int which) {
    lt_tensor *in64[2], *in32[2];
    for (int i = 0; i < nin; i++) {
        in64[i] = leaf(&E, nd[i], shapes[i], -1, 1);
        in32[i] = ltr_empty(C, LT_FLOAT32, nd[i], shapes[i]);
        for (int64_t j = 0; j < ltr_numel(in64[i]); j++) ltr_set(in32[i], j, (float)ltr_get(in64[i], j));
        for (int64_t j = 0; j < ltr_numel(in64[i]); j++) ltr_set(in64[i], j, ltr_get(in32[i], j));
        in32[i]->flags |= LTR_T_REQUIRES_GRAD;
    }
    lt_tensor *y64 = f(C, in64, &which);
    ck_assert_ptr_nonnull(y64);
    ck_assert_int_eq(ltr_backward(C, y64), LT_OK); /* consumes the tape */
    lt_tensor *y32 = f(C, in32, &which);
    ck_assert_ptr_nonnull(y32);
    ck_assert_int_eq(y32->dtype, LT_FLOAT32);
    ck_assert_double_eq_tol(ltr_get(y32, 0), ltr_get(y64, 0), 1e-5);
    ck_assert_int_eq(ltr_backward(C, y32), LT_OK);
    for (int i = 0; i < nin; i++) {
        ck_assert_ptr_nonnull(in32[i]->grad);
        ck_assert_int_eq(in32[i]->grad->dtype, LT_FLOAT32);
        for (int64_t j = 0; j < ltr_numel(in64[i]); j++)
            ck_assert_double_eq_tol(ltr_get(in32[i]->grad, j), ltr_get(in64[i]->grad, j), 1e-5);
    }
}

START_TEST(float32_grads) {
    static const int nd3[1] = {3};
    static const int64_t s3[1][4] = {{2, 3, 4}};
    for (int k = 0; k <= 11; k++) grads_f32_match(f_views, 1, nd3, s3, k);
    static const int nd33[2] = {3, 3}, nd23[2] = {2, 3};
    static const int64_t mm1[2][4] = {{2, 3, 4}, {2, 4, 2}}, mm2[2][4] = {{2, 4, 3}, {2, 2, 4}},
                         mm3[2][4] = {{2, 3}, {3, 2, 3}};
    grads_f32_match(f_matmul, 2, nd33, mm1, 0);
    grads_f32_match(f_matmul, 2, nd33, mm2, 1);
    grads_f32_match(f_matmul, 2, nd33, mm1, 2);
    grads_f32_match(f_matmul, 2, nd23, mm3, 3);
    static const int nd22[2] = {2, 2};
    static const int64_t j2[2][4] = {{3, 3}, {2, 3}};
    for (int k = 0; k <= 4; k++) grads_f32_match(f_join, k == 1 || k == 2 ? 2 : 1, nd22, j2, k);
}
END_TEST

START_TEST(grad_joins) {
    lt_tensor *in[2] = {leaf(&E, 2, (int64_t[]){3, 3}, -1, 1), leaf(&E, 2, (int64_t[]){2, 3}, -1, 1)};
    for (int k = 0; k <= 4; k++) {
        char name[32];
        snprintf(name, sizeof name, "join %d", k);
        in[1]->flags |= LTR_T_REQUIRES_GRAD;
        if (k == 0 || k >= 3) in[1]->flags &= ~(uint32_t)LTR_T_REQUIRES_GRAD;
        if (k == 0 || k >= 3) in[1]->grad = NULL;
        gradcheck(&E, name, f_join, in, k == 1 || k == 2 ? 2 : 1, &k);
    }
}
END_TEST

START_TEST(join_values) {
    /* torch.cat([arange(6.).reshape(2,3), arange(4.).reshape(2,2)*10], 1) */
    lt_tensor *a = arange(LT_FLOAT64, 2, (int64_t[]){2, 3});
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 2, (int64_t[]){2, 2}, (double[]){0, 10, 20, 30});
    const lt_tensor *ab[2] = {a, b};
    lt_tensor *y = ltr_cat(C, ab, 2, 1);
    expect_shape(y, 2, (int64_t[]){2, 5}, NULL);
    expect_values(y, (double[]){0, 1, 2, 0, 10, 3, 4, 5, 20, 30}, 10, 0);
    /* torch.stack([a, a+100], 1) */
    lt_tensor *a100 = tensor_of(&E, LT_FLOAT64, 2, (int64_t[]){2, 3}, (double[]){100, 101, 102, 103, 104, 105});
    const lt_tensor *aa[2] = {a, a100};
    y = ltr_stack(C, aa, 2, 1);
    expect_shape(y, 3, (int64_t[]){2, 2, 3}, NULL);
    expect_values(y, (double[]){0, 1, 2, 100, 101, 102, 3, 4, 5, 103, 104, 105}, 12, 0);
    /* torch.index_select(arange(24.).reshape(2,3,4), 1, [2,0,2]) */
    lt_tensor *x = arange(LT_FLOAT64, 3, (int64_t[]){2, 3, 4});
    lt_tensor *idx = tensor_of(&E, LT_INT64, 1, (int64_t[]){3}, (double[]){2, 0, 2});
    expect_values(ltr_index_select(C, x, 1, idx),
                  (double[]){8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 12, 13, 14,
                             15, 20, 21, 22, 23}, 24, 0);
    /* torch.split(arange(7.), 3) -> sizes [3, 3, 1], views */
    lt_tensor *s7 = arange(LT_FLOAT64, 1, (int64_t[]){7}), *out[2];
    ck_assert_int_eq(ltr_split_tensor(C, s7, 3, 0, out, 2), 3); /* count beyond max_out */
    expect_values(out[1], (double[]){3, 4, 5}, 3, 0);
    expect_shares(out[1], s7);
    lt_tensor *out3[3];
    ck_assert_int_eq(ltr_split_tensor(C, s7, 3, -1, out3, 3), 3);
    expect_values(out3[2], (double[]){6}, 1, 0);
    /* torch.chunk(arange(7.), 3) -> sizes [3, 3, 1]; torch.chunk(zeros(0,2), 3) -> 3 empty */
    ck_assert_int_eq(ltr_chunk(C, s7, 3, 0, out3, 3), 3);
    expect_values(out3[2], (double[]){6}, 1, 0);
    lt_tensor *e0 = ltr_zeros(C, LT_FLOAT64, 2, (int64_t[]){0, 2});
    ck_assert_int_eq(ltr_chunk(C, e0, 3, 0, out3, 3), 3);
    ck_assert_int_eq(ltr_numel(out3[2]), 0);
    /* float32 cat of a transposed view: torch.cat([a.t(), a.t()], 0) */
    lt_tensor *f = arange(LT_FLOAT32, 2, (int64_t[]){2, 3});
    const lt_tensor *ft[2] = {ltr_transpose(C, f, 0, 1), ltr_transpose(C, f, 0, 1)};
    expect_values(ltr_cat(C, ft, 2, 0), (double[]){0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}, 12, 0);
    ck_assert(!E.ctx.failed);
}
END_TEST

/* ----------------------------------------------------------------------- errors */

START_TEST(errors_name_the_op) {
    lt_tensor *x = arange(LT_FLOAT64, 2, (int64_t[]){2, 3});
    ck_assert_ptr_null(ltr_transpose(C, x, 0, 2));
    expect_error("lt_transpose: dim 2 is out of range");
    ck_assert_ptr_null(ltr_permute(C, x, 2, (int[]){0, 0}));
    expect_error("lt_permute: dim 0 repeats");
    ck_assert_ptr_null(ltr_permute(C, x, 3, (int[]){0, 1, 2}));
    expect_error("lt_permute");
    ck_assert_ptr_null(ltr_squeeze(C, x, -3));
    expect_error("lt_squeeze");
    ck_assert_ptr_null(ltr_unsqueeze(C, x, 3));
    expect_error("lt_unsqueeze: dim 3 is out of range");
    ck_assert_ptr_null(ltr_expand(C, x, 2, (int64_t[]){2, 4}));
    expect_error("lt_expand");
    ck_assert_ptr_null(ltr_expand(C, x, 1, (int64_t[]){3}));
    expect_error("lt_expand");
    ck_assert_ptr_null(ltr_expand(C, x, 3, (int64_t[]){-1, 2, 3}));
    expect_error("lt_expand");
    ck_assert_ptr_null(ltr_narrow(C, x, 1, 2, 2));
    expect_error("lt_narrow");
    ck_assert_ptr_null(ltr_select(C, x, 0, 2));
    expect_error("lt_select: index 2 is out of range");
    lt_tensor *bad = tensor_of(&E, LT_INT64, 1, (int64_t[]){1}, (double[]){3});
    ck_assert_ptr_null(ltr_index_select(C, x, 1, bad));
    expect_error("lt_index_select: index 3 is out of range");
    ck_assert_ptr_null(ltr_index_select(C, x, 1, x));
    expect_error("lt_index_select: index must be a 1-D int64");
    lt_tensor *y = arange(LT_FLOAT64, 2, (int64_t[]){3, 3});
    const lt_tensor *xy[2] = {x, y};
    ck_assert_ptr_null(ltr_cat(C, xy, 2, 1));
    expect_error("lt_cat: sizes of tensors must match except in dimension 1");
    ck_assert_ptr_nonnull(ltr_cat(C, xy, 2, 0)); /* [5, 3] */
    lt_tensor *f = arange(LT_FLOAT32, 2, (int64_t[]){2, 3});
    const lt_tensor *xf[2] = {x, f};
    ck_assert_ptr_null(ltr_cat(C, xf, 2, 0));
    expect_error("lt_cat: dtypes differ");
    ck_assert_ptr_null(ltr_cat(C, xy, 0, 0));
    expect_error("lt_cat");
    ck_assert_ptr_null(ltr_stack(C, xy, 2, 0));
    expect_error("lt_stack: stack expects each tensor to be equal size");
    lt_tensor *out[2];
    ck_assert_int_eq(ltr_split_tensor(C, x, 0, 1, out, 2), -1);
    expect_error("lt_split_tensor");
    ck_assert_int_eq(ltr_chunk(C, x, 0, 1, out, 2), -1);
    expect_error("lt_chunk");
    /* NULL in, NULL out, no new error */
    ck_assert_ptr_null(ltr_transpose(C, NULL, 0, 1));
    ck_assert(!E.ctx.failed);
}
END_TEST

/* ------------------------------------------- existing ops on non-contiguous views */

static lt_tensor *f_existing(lt_ctx *c, lt_tensor **in, void *a) {
    int which = *(int *)a;
    lt_tensor *t0 = ltr_transpose(c, in[0], 0, 1); /* in[0] [4,3] -> [3,4] view */
    switch (which) {
    case 0: return weigh(c, ltr_matmul(c, t0, in[1]));             /* [3,4]@[4,2] */
    case 1: return weigh(c, ltr_linear(c, t0, ltr_transpose(c, in[1], 0, 1), NULL)); /* w [2,4] */
    case 2: /* [3,4] + a [4] row broadcast from a select of in[1] */
        return weigh(c, ltr_add(c, t0, ltr_select(c, in[1], 1, 1)));
    case 3: return weigh(c, ltr_log_softmax(c, t0, 1));
    case 4: {
        lt_tensor *tg = ltr_empty(c, LT_INT64, 1, (int64_t[]){3});
        int64_t *p = tg->data;
        p[0] = 1, p[1] = 3, p[2] = 0;
        return ltr_cross_entropy(c, t0, tg);
    }
    case 5: { /* conv2d over [1,2,3,2] made by permuting a [3,2,2,1]... view of in[0] */
        lt_tensor *x = ltr_permute(c, ltr_reshape(c, in[0], 4, (int64_t[]){3, 2, 2, 1}), 4,
                                   (int[]){3, 2, 0, 1});
        lt_tensor *w = ltr_reshape(c, ltr_transpose(c, in[1], 0, 1), 4, (int64_t[]){1, 2, 2, 2});
        return weigh(c, ltr_conv2d(c, x, w, NULL, NULL));
    }
    case 6: return weigh(c, ltr_tanh(c, t0));
    }
    return NULL;
}

START_TEST(existing_ops_take_views) {
    lt_tensor *in[2] = {leaf(&E, 2, (int64_t[]){4, 3}, -1, 1), leaf(&E, 2, (int64_t[]){4, 2}, -1, 1)};
    for (int k = 0; k <= 6; k++) {
        char name[32];
        snprintf(name, sizeof name, "existing %d", k);
        gradcheck(&E, name, f_existing, in, k == 3 || k == 4 || k == 6 ? 1 : 2, &k);
    }
    /* values: a = arange(12.).reshape(4,3); b = arange(8.).reshape(4,2) - 3
     * torch.matmul(a.t(), b).flatten() */
    lt_tensor *a = arange(LT_FLOAT64, 2, (int64_t[]){4, 3});
    lt_tensor *b = tensor_of(&E, LT_FLOAT64, 2, (int64_t[]){4, 2}, (double[]){-3, -2, -1, 0, 1, 2, 3, 4});
    expect_values(ltr_matmul(C, ltr_transpose(C, a, 0, 1), b), (double[]){30, 48, 30, 52, 30, 56}, 6, 1e-12);
    /* torch.log_softmax(a.t(), 1)[0] */
    expect_values(ltr_select(C, ltr_log_softmax(C, ltr_transpose(C, a, 0, 1), 1), 0, 0),
                  (double[]){-9.051063036711472, -6.051063036711472, -3.0510630367114726,
                             -0.05106303671147261}, 4, 1e-12);
    /* a.t() + a.t() (elementwise on views) */
    expect_values(ltr_add(C, ltr_transpose(C, a, 0, 1), ltr_transpose(C, a, 0, 1)),
                  (double[]){0, 6, 12, 18, 2, 8, 14, 20, 4, 10, 16, 22}, 12, 0);
    ck_assert(!E.ctx.failed);
}
END_TEST

/* ------------------------------------------------------------ batched matmul */

static lt_tensor *f_matmul(lt_ctx *c, lt_tensor **in, void *a) {
    int which = *(int *)a;
    lt_tensor *x = in[0], *y = in[1];
    switch (which) {
    case 0: return weigh(c, ltr_matmul(c, x, y));
    case 1: /* both operands transposed views: GEMM flags */
        return weigh(c, ltr_matmul(c, ltr_transpose(c, x, -1, -2), ltr_transpose(c, y, -1, -2)));
    case 2: return weigh(c, ltr_bmm(c, x, y));
    case 3: /* an expanded (stride-0) batch and a permuted operand */
        return weigh(c, ltr_matmul(c, ltr_expand(c, x, 3, (int64_t[]){3, -1, -1}),
                                   ltr_permute(c, y, 3, (int[]){0, 2, 1})));
    case 4: /* a strided (narrowed) operand that GEMM cannot read: copied */
        return weigh(c, ltr_matmul(c, ltr_narrow(c, x, -1, 1, 2), y));
    case 5: /* a stride-0 last dim (expanded column) in the batched path: copied first */
        return weigh(c, ltr_matmul(c, ltr_expand(c, ltr_narrow(c, x, -1, 0, 1), 3,
                                                 (int64_t[]){-1, -1, 3}), y));
    }
    return NULL;
}

typedef struct mm_case {
    int which, na, nb;
    int64_t sa[4], sb[4];
} mm_case;

START_TEST(grad_batched_matmul) {
    static const mm_case cases[] = {
        {0, 3, 2, {2, 3, 4}, {4, 2}},          /* [B,n,k] @ [k,m] */
        {0, 3, 3, {2, 3, 4}, {2, 4, 2}},       /* [B,n,k] @ [B,k,m] */
        {0, 4, 3, {2, 1, 2, 3}, {3, 3, 2}},    /* [A,1,n,k] @ [B,k,m] */
        {0, 2, 3, {2, 3}, {4, 3, 2}},          /* [n,k] @ [B,k,m] */
        {0, 1, 3, {3}, {2, 3, 2}},             /* [k] @ [B,k,m] */
        {0, 3, 1, {2, 2, 3}, {3}},             /* [B,n,k] @ [k] */
        {0, 3, 3, {1, 2, 3}, {2, 3, 1}},       /* batch 1 broadcast, m = 1 */
        {1, 3, 3, {2, 4, 3}, {2, 2, 4}},       /* transposed views */
        {1, 2, 2, {4, 3}, {2, 4}},             /* 2-D transposed views */
        {2, 3, 3, {2, 3, 4}, {2, 4, 2}},       /* bmm */
        {3, 2, 3, {2, 3}, {3, 2, 3}},          /* expand + permute */
        {4, 3, 2, {2, 2, 4}, {2, 3}},          /* narrowed operand */
        {4, 3, 3, {2, 2, 4}, {2, 2, 3}},       /* narrowed (GEMM reads it with ld 4) */
        {5, 3, 3, {2, 2, 4}, {2, 3, 2}},       /* expanded column: copied */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const mm_case *mc = &cases[k];
        lt_tensor *in[2] = {leaf(&E, mc->na, mc->sa, -1, 1), leaf(&E, mc->nb, mc->sb, -1, 1)};
        char name[32];
        snprintf(name, sizeof name, "matmul case %zu", k);
        int w = mc->which;
        gradcheck(&E, name, f_matmul, in, 2, &w);
    }
}
END_TEST

START_TEST(batched_matmul_values) {
    /* torch.matmul(arange(12.).reshape(2,1,2,3)-5, arange(18.).reshape(3,3,2)*0.5): [2,3,2,2] */
    lt_tensor *a = arange(LT_FLOAT64, 4, (int64_t[]){2, 1, 2, 3});
    lt_tensor *b = arange(LT_FLOAT64, 3, (int64_t[]){3, 3, 2});
    for (int i = 0; i < 12; i++) ltr_set(a, i, i - 5);
    for (int i = 0; i < 18; i++) ltr_set(b, i, i * 0.5);
    static const double want[24] = {
        -10.0, -16.0, -1.0, -2.5, -46.0, -52.0, -10.0, -11.5, -82.0, -88.0, -19.0, -20.5,
        8.0, 11.0, 17.0, 24.5, 26.0, 29.0, 62.0, 69.5, 44.0, 47.0, 107.0, 114.5};
    lt_tensor *c = ltr_matmul(C, a, b);
    expect_shape(c, 4, (int64_t[]){2, 3, 2, 2}, NULL);
    expect_values(c, want, 24, 1e-12);
    /* float32 with a transposed left operand */
    lt_tensor *af = arange(LT_FLOAT32, 4, (int64_t[]){2, 1, 2, 3});
    lt_tensor *bf = arange(LT_FLOAT32, 3, (int64_t[]){3, 3, 2});
    for (int i = 0; i < 12; i++) ltr_set(af, i, i - 5);
    for (int i = 0; i < 18; i++) ltr_set(bf, i, i * 0.5);
    lt_tensor *aft = ltr_contiguous(C, ltr_transpose(C, af, -1, -2));
    expect_values(ltr_matmul(C, ltr_transpose(C, aft, -1, -2), bf), want, 24, 1e-6);
    /* torch.bmm(x.transpose(1,2), y.transpose(1,2)), x = arange(24.).reshape(2,3,4),
     * y = arange(24.).reshape(2,4,3) - 10: a transposed view reaches GEMM uncopied */
    lt_tensor *x = arange(LT_FLOAT64, 3, (int64_t[]){2, 3, 4});
    lt_tensor *y = arange(LT_FLOAT64, 3, (int64_t[]){2, 4, 3});
    for (int i = 0; i < 24; i++) ltr_set(y, i, i - 10);
    x->flags |= LTR_T_REQUIRES_GRAD;
    lt_tensor *xt = ltr_transpose(C, x, 1, 2), *yt = ltr_transpose(C, y, 1, 2);
    lt_tensor *r = ltr_bmm(C, xt, yt);
    expect_shape(r, 3, (int64_t[]){2, 4, 4}, NULL);
    ck_assert_ptr_nonnull(r->node);
    ck_assert_ptr_eq(r->node->in[0], xt); /* not a contiguous copy */
    ck_assert_ptr_eq(r->node->in[1], yt);
    expect_values(r, (double[]){-100, -64, -28, 8, -127, -82, -37, 8, -154, -100, -46, 8, -181,
                                -118, -55, 8, 152, 296, 440, 584, 161, 314, 467, 620, 170, 332,
                                494, 656, 179, 350, 521, 692}, 32, 1e-12);
    ck_assert(!E.ctx.failed);
}
END_TEST

START_TEST(batched_matmul_errors) {
    lt_tensor *a = arange(LT_FLOAT64, 3, (int64_t[]){2, 2, 3});
    lt_tensor *b = arange(LT_FLOAT64, 3, (int64_t[]){3, 3, 2});
    ck_assert_ptr_null(ltr_matmul(C, a, b));
    expect_error("lt_matmul: batch dims of [2, 2, 3] and [3, 3, 2] cannot be broadcast");
    lt_tensor *b2 = arange(LT_FLOAT64, 3, (int64_t[]){2, 2, 2});
    ck_assert_ptr_null(ltr_matmul(C, a, b2));
    expect_error("lt_matmul: shapes [2, 2, 3] and [2, 2, 2] cannot be multiplied");
    ck_assert_ptr_null(ltr_bmm(C, a, b));
    expect_error("lt_bmm: expected 3-D tensors with the same batch size");
    lt_tensor *m = arange(LT_FLOAT64, 2, (int64_t[]){3, 2});
    ck_assert_ptr_null(ltr_bmm(C, a, m));
    expect_error("lt_bmm");
    lt_tensor *i = arange(LT_INT64, 3, (int64_t[]){2, 3, 2});
    ck_assert_ptr_null(ltr_bmm(C, a, i));
    expect_error("lt_bmm: expected a float tensor");
}
END_TEST

int main(void) {
    Suite *s = suite_create("ops_shape");
    TCase *tc = tcase_create("shape");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, view_values_and_strides);
    tcase_add_test(tc, view_dtypes);
    tcase_add_test(tc, grad_views);
    tcase_add_test(tc, grad_joins);
    tcase_add_test(tc, join_values);
    tcase_add_test(tc, errors_name_the_op);
    tcase_add_test(tc, existing_ops_take_views);
    tcase_add_test(tc, grad_batched_matmul);
    tcase_add_test(tc, batched_matmul_values);
    tcase_add_test(tc, batched_matmul_errors);
    tcase_add_test(tc, float32_grads);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
