/* ops_loss.c — cross_entropy (class indices) and accuracy. */
#include "tensor/ops_common.h"

#include <math.h>

/* PyTorch's default ignore_index: targets equal to it add no loss and no count. */
#define IGNORE_INDEX (-100)

/* d loss / d logits[i, c] = g * (softmax[i, c] - [c == t_i]) / n_valid */
static lt_status cross_entropy_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *logits = n->in[0], *target = n->in[1], *probs = n->saved;
    lt_tensor *gx = ltr_empty_like(ctx, logits);
    if (!gx) return LT_ERROR;
    int64_t rows = logits->shape[0], classes = logits->shape[1];
    double scale = ltr_get(n->out->grad, 0) * n->farg[0];
    const int64_t *t = target->data;
    for (int64_t i = 0; i < rows; i++) {
        bool ignored = t[i] == IGNORE_INDEX;
        for (int64_t c = 0; c < classes; c++) {
            int64_t k = i * classes + c;
            double v = ignored ? 0.0 : (ltr_get(probs, k) - (c == t[i])) * scale;
            ltr_set(gx, k, v);
        }
    }
    return ltr_accumulate_grad(ctx, logits, gx);
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
    /* log_softmax per row, stable: x - max - log(sum(exp(x - max))) */
    ltr_accel_of(logits)->log_softmax(logits, rows, classes, 1, probs);
    double total = 0;
    int64_t valid = 0;
    for (int64_t i = 0; i < rows; i++) {
        if (t[i] == IGNORE_INDEX) continue;
        total -= ltr_get(probs, i * classes + t[i]);
        valid++;
    }
    int64_t n = rows * classes;
    if (probs->dtype == LT_FLOAT32) {
        float *p = probs->data;
        for (int64_t k = 0; k < n; k++) p[k] = expf(p[k]);
    } else {
        double *p = probs->data;
        for (int64_t k = 0; k < n; k++) p[k] = exp(p[k]);
    }
    /* torch: the mean over zero valid targets is nan (0/0) */
    ltr_set(out, 0, valid ? total / (double)valid : NAN);
    const lt_tensor *in[2] = {logits, target};
    ltr_node *node = ltr_record(ctx, "cross_entropy", out, cross_entropy_backward, 2, in);
    if (node) {
        node->saved = probs;
        node->farg[0] = valid ? 1.0 / (double)valid : 0.0;
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
