/*
 * ops_loss.c — cross_entropy (class indices, reduction mean) and accuracy.
 * Outputs and the softmax saved for backward live in the arena.
 */
#include "tensor/ops_common.h"

#include <math.h>

/* PyTorch's default ignore_index: targets equal to it add no loss and no count. */
#define IGNORE_INDEX (-100)

/* d loss / d logits[i, c] = g * (softmax[i, c] - [c == t_i]) / n_kept */
static lt_status cross_entropy_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *logits = n->in[0], *target = n->in[1], *probs = n->saved;
    lt_tensor *gx = ltr_empty_like(ctx, logits);
    if (!gx) return LT_ERROR;
    double scale = ltr_get(n->out->grad, 0) * n->farg[0];
    ltr_accel_of(logits)->cross_entropy_backward(probs, target, IGNORE_INDEX, scale, gx);
    return ltr_accumulate_grad_owned(ctx, logits, gx);
}

/* F.cross_entropy(logits [N, C], target [N] int64), reduction="mean", ignore_index=-100 */
lt_tensor *ltr_cross_entropy(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target) {
    if (!logits || !target) return NULL;
    const char *op = "lt_cross_entropy";
    if (!ltr_check_float(ctx, op, logits)) return NULL;
    char s1[96], s2[96];
    if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0]) {
        ltr_fail(ctx, "%s: expected logits [N, C] and target [N], got %s and %s", op,
                 ltr_shape_str(logits, s1, sizeof s1), ltr_shape_str(target, s2, sizeof s2));
        return NULL;
    }
    if (target->dtype != LT_INT64) {
        ltr_fail(ctx, "%s: target must hold class indices as int64, got %s", op,
                 ltr_dtype_name(target->dtype));
        return NULL;
    }
    logits = ltr_contiguous(ctx, logits);
    target = ltr_contiguous(ctx, target);
    if (!logits || !target) return NULL;
    int64_t rows = logits->shape[0], classes = logits->shape[1];
    const int64_t *t = target->data;
    for (int64_t i = 0; i < rows; i++)
        if (t[i] != IGNORE_INDEX && (t[i] < 0 || t[i] >= classes)) {
            ltr_fail(ctx, "%s: target %lld at index %lld is out of bounds for %lld classes", op,
                     (long long)t[i], (long long)i, (long long)classes);
            return NULL;
        }
    lt_tensor *probs = ltr_empty_like(ctx, logits);
    lt_tensor *out = ltr_empty(ctx, logits->dtype, 0, NULL);
    if (!probs || !out) return NULL;
    /* stable per row: -log_softmax = log(sum(exp(x - max))) - (x_t - max); probs kept */
    int64_t kept = 0;
    double total = ltr_accel_of(logits)->cross_entropy(logits, target, IGNORE_INDEX, probs, &kept);
    /* reduction="mean" divides by the number of non-ignored targets; torch: 0/0 is nan */
    ltr_set(out, 0, kept ? total / (double)kept : NAN);
    const lt_tensor *in[2] = {logits, target};
    ltr_node *node = ltr_record(ctx, "cross_entropy", out, cross_entropy_backward, 2, in);
    if (node) {
        node->saved = probs;
        node->farg[0] = kept ? 1.0 / (double)kept : 0.0;
    }
    return out;
}

/* torchmetrics' multiclass accuracy (micro): mean(argmax(logits, 1) == target), float32 */
lt_tensor *ltr_accuracy(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target) {
    if (!logits || !target) return NULL;
    char s1[96], s2[96];
    if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0] ||
        target->dtype != LT_INT64) {
        ltr_fail(ctx, "lt_accuracy: expected logits [N, C] and int64 target [N], got %s and %s %s",
                 ltr_shape_str(logits, s1, sizeof s1), ltr_shape_str(target, s2, sizeof s2),
                 ltr_dtype_name(target->dtype));
        return NULL;
    }
    lt_tensor *pred = ltr_argmax(ctx, logits, 1);
    target = ltr_contiguous(ctx, target);
    lt_tensor *out = ltr_empty(ctx, LT_FLOAT32, 0, NULL);
    if (!pred || !target || !out) return NULL;
    int64_t rows = logits->shape[0], hits = 0;
    const int64_t *p = pred->data, *t = target->data;
    for (int64_t i = 0; i < rows; i++) hits += p[i] == t[i];
    ltr_set(out, 0, rows ? (double)hits / (double)rows : NAN);
    return out;
}
