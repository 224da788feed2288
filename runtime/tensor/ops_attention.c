/*
 * ops_attention.c — F.scaled_dot_product_attention, composed from differentiable ops
 * (batched matmul, transpose, scale, mask fill/add, softmax), so its gradient is theirs.
 *
 *   out = softmax(q @ k^T * scale + mask) @ v      q [..., L, E], k [..., S, E], v [..., S, Ev]
 *
 * torch semantics: scale <= 0 means 1/sqrt(E); is_causal masks key j > query i (the
 * top-left aligned tril(ones(L, S))); a bool attn_mask keeps the positions that are true,
 * a float one is added to the scores; both broadcast against [..., L, S]. A row whose
 * every position is masked gives NaN, as in torch. dropout_p is not taken (0): apply
 * lt_dropout to a model's attention weights yourself if needed.
 */
#include "tensor/ops_common.h"

#include <math.h>

/* [L, S] bool: true where key j comes after query i (what causal attention hides) */
static lt_tensor *future_mask(lt_ctx *ctx, int64_t L, int64_t S) {
    int64_t shape[2] = {L, S};
    bool *p = ltr_scratch(ctx, (size_t)(L * S) * sizeof *p + 1);
    if (!p) return NULL;
    for (int64_t i = 0; i < L; i++)
        for (int64_t j = 0; j < S; j++) p[i * S + j] = j > i;
    return ltr_tensor_from(ctx, LT_BOOL, 2, shape, p); /* built on the host, copied over */
}

lt_tensor *ltr_scaled_dot_product_attention(lt_ctx *ctx, const lt_tensor *q, const lt_tensor *k,
                                            const lt_tensor *v, const lt_tensor *attn_mask,
                                            bool is_causal, double scale) {
    if (!q || !k || !v) return NULL;
    const char *op = "lt_scaled_dot_product_attention";
    char s1[96], s2[96], s3[96];
    if (q->ndim < 2 || k->ndim < 2 || v->ndim < 2 || q->shape[q->ndim - 1] != k->shape[k->ndim - 1] ||
        k->shape[k->ndim - 2] != v->shape[v->ndim - 2]) {
        ltr_fail(ctx, "%s: expected q [..., L, E], k [..., S, E], v [..., S, Ev], got %s, %s, %s", op,
                 ltr_shape_str(q, s1, sizeof s1), ltr_shape_str(k, s2, sizeof s2),
                 ltr_shape_str(v, s3, sizeof s3));
        return NULL;
    }
    if (is_causal && attn_mask) {
        ltr_fail(ctx, "%s: give attn_mask or is_causal, not both (torch refuses both)", op);
        return NULL;
    }
    int64_t L = q->shape[q->ndim - 2], S = k->shape[k->ndim - 2], E = q->shape[q->ndim - 1];
    if (!(scale > 0)) scale = 1.0 / sqrt((double)E);
    lt_tensor *scores = ltr_mul_scalar(ctx, ltr_matmul(ctx, q, ltr_transpose(ctx, k, -2, -1)), scale);
    if (is_causal) {
        scores = ltr_masked_fill(ctx, scores, future_mask(ctx, L, S), -INFINITY);
    } else if (attn_mask && (attn_mask->dtype == LT_BOOL || attn_mask->dtype == LT_UINT8)) {
        /* torch: true = take part; masked_fill fills where its mask is true */
        lt_tensor *no = ltr_zeros(ctx, attn_mask->dtype, 0, NULL);
        scores = ltr_masked_fill(ctx, scores, ltr_eq(ctx, attn_mask, no), -INFINITY);
    } else if (attn_mask) {
        scores = ltr_add(ctx, scores, attn_mask);
    }
    return ltr_matmul(ctx, ltr_softmax(ctx, scores, -1), v);
}
