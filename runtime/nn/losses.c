/*
 * losses.c — the losses of torch.nn.functional: cross_entropy (class indices,
 * reduction mean: the training loss's fast path) and accuracy; then the pointwise losses
 * mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
 * binary_cross_entropy_with_logits, kl_div, each with reduction none/mean/sum (lt_reduction).
 *
 * One shared front-end: input and target of the same shape (float, same dtype), the
 * per-element loss and its derivatives d/dinput, d/dtarget computed in double and the
 * derivatives saved (one arena tensor [2, numel]) for backward. Derivatives follow
 * torch's derivatives.yaml, including the kinks (l1: sign, 0 at 0; smooth_l1: d/beta
 * inside |d| < beta; huber: clamp(d, -delta, delta); bce: w (p - y) / max(p (1 - p), 1e-12)).
 * Not yet done here: gradients w.r.t. weight / pos_weight (treated as constants). The
 * loops are the kernel table's (pointwise_loss, ce_loss and their backwards: CPU in
 * accelerators/cpu/cpu_losses.c).
 */
#include "core/context.h"
#include "tensor/ops_common.h"
#include "nn/nn.h"

#include <math.h>
#include <string.h>

static lt_status pointwise_loss_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *y = n->in[1], *d = n->saved;
    int red = (int)n->iarg[0];
    double div = red == LT_REDUCTION_MEAN ? (double)ltr_numel(x)
                 : red == LT_REDUCTION_BATCHMEAN ? (double)(x->ndim ? x->shape[0] : 1) : 1.0;
    for (int k = 0; k < 2; k++) {
        const lt_tensor *t = k ? y : x;
        if (!(t->flags & LTR_T_REQUIRES_GRAD)) continue;
        lt_tensor *g = ltr_empty_like(ctx, t);
        if (!g) return LT_ERROR;
        ltr_accel_of(x)->pointwise_loss_backward(red, d, k, n->out->grad, div, g);
        if (ltr_accumulate_grad_owned(ctx, t, g) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

/* a weight (or pos_weight) of input's shape, or 1-d of input's last dimension */
static bool check_weight(lt_ctx *ctx, const char *op, const char *what, const lt_tensor *w,
                         const lt_tensor *x) {
    if (!w) return true;
    char s1[96], s2[96];
    int64_t last = x->ndim ? x->shape[x->ndim - 1] : 1;
    bool same = w->ndim == x->ndim && ltr_numel(w) == ltr_numel(x);
    for (int i = 0; same && i < x->ndim; i++) same = w->shape[i] == x->shape[i];
    if (!same && !(w->ndim == 1 && w->shape[0] == last)) {
        ltr_fail(ctx, "%s: %s %s must have input's shape %s or be [%lld] (its last dimension)",
                 op, what, ltr_shape_str(w, s1, sizeof s1), ltr_shape_str(x, s2, sizeof s2),
                 (long long)last);
        return false;
    }
    return ltr_check_float(ctx, op, w) && ltr_check_same(ctx, op, x, w);
}

static lt_tensor *pointwise_loss(lt_ctx *ctx, const char *op, ltr_loss_kind kind,
                                 const lt_tensor *x, const lt_tensor *y, const lt_tensor *w,
                                 const lt_tensor *pw, double param, lt_reduction red) {
    if (!x || !y) return NULL;
    if (!ltr_check_float(ctx, op, x) || !ltr_check_float(ctx, op, y) ||
        !ltr_check_same(ctx, op, x, y))
        return NULL;
    char s1[96], s2[96];
    bool same = x->ndim == y->ndim;
    for (int i = 0; same && i < x->ndim; i++) same = x->shape[i] == y->shape[i];
    if (!same) {
        ltr_fail(ctx, "%s: input %s and target %s must have the same shape", op,
                 ltr_shape_str(x, s1, sizeof s1), ltr_shape_str(y, s2, sizeof s2));
        return NULL;
    }
    bool kl = kind == LTR_LOSS_KL || kind == LTR_LOSS_KL_LOG;
    if (red != LT_REDUCTION_MEAN && red != LT_REDUCTION_NONE && red != LT_REDUCTION_SUM &&
        !(kl && red == LT_REDUCTION_BATCHMEAN)) {
        ltr_fail(ctx, "%s: unknown reduction %d", op, (int)red);
        return NULL;
    }
    if ((kind == LTR_LOSS_SMOOTH_L1 && param < 0) || (kind == LTR_LOSS_HUBER && param <= 0)) {
        ltr_fail(ctx, "%s: %s must be %s, got %g", op, kind == LTR_LOSS_HUBER ? "delta" : "beta",
                 kind == LTR_LOSS_HUBER ? "> 0" : ">= 0", param);
        return NULL;
    }
    if (!check_weight(ctx, op, "weight", w, x) || !check_weight(ctx, op, "pos_weight", pw, x))
        return NULL;
    x = ltr_contiguous(ctx, x);
    y = ltr_contiguous(ctx, y);
    if (w) w = ltr_contiguous(ctx, w);
    if (pw) pw = ltr_contiguous(ctx, pw);
    if (!x || !y) return NULL;
    int64_t n = ltr_numel(x);
    const ltr_accel *acc = ltr_accel_of(x);
    if (kind == LTR_LOSS_BCE) {
        int64_t i = ltr_first_out_of_range(ctx, x, 0, 1, false, 0);
        if (i == -2) return NULL;
        if (i >= 0) {
            ltr_fail(ctx, "%s: all elements of input should be between 0 and 1, got %g at "
                     "index %lld", op, ltr_fetch(x, i), (long long)i);
            return NULL;
        }
    }
    int64_t dshape[2] = {2, n};
    lt_tensor *d = ltr_empty(ctx, x->dtype, 2, dshape);
    lt_tensor *out = red == LT_REDUCTION_NONE ? ltr_empty_like(ctx, x)
                                              : ltr_empty(ctx, x->dtype, 0, NULL);
    if (!d || !out) return NULL;
    acc->pointwise_loss(kind, x, y, w, pw, param, red, out, d);
    const lt_tensor *in[2] = {x, y};
    ltr_node *node = ltr_record(ctx, op + 3, out, pointwise_loss_backward, 2, in);
    if (node) {
        node->saved = d;
        node->iarg[0] = red;
    }
    return out;
}

/* F.mse_loss(x, y, reduction) */
lt_tensor *ltr_mse_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red) {
    return pointwise_loss(ctx, "lt_mse_loss", LTR_LOSS_MSE, x, y, NULL, NULL, 0, red);
}
/* F.l1_loss(x, y, reduction) */
lt_tensor *ltr_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red) {
    return pointwise_loss(ctx, "lt_l1_loss", LTR_LOSS_L1, x, y, NULL, NULL, 0, red);
}
/* F.smooth_l1_loss(x, y, reduction, beta); beta == 0 is l1_loss */
lt_tensor *ltr_smooth_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                              lt_reduction red, double beta) {
    return pointwise_loss(ctx, "lt_smooth_l1_loss", LTR_LOSS_SMOOTH_L1, x, y, NULL, NULL, beta, red);
}
/* F.huber_loss(x, y, reduction, delta) */
lt_tensor *ltr_huber_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                          lt_reduction red, double delta) {
    return pointwise_loss(ctx, "lt_huber_loss", LTR_LOSS_HUBER, x, y, NULL, NULL, delta, red);
}
/* F.binary_cross_entropy(p, y, weight, reduction); log clamped to >= -100 as torch */
lt_tensor *ltr_binary_cross_entropy(lt_ctx *ctx, const lt_tensor *p, const lt_tensor *y,
                                    const lt_tensor *weight, lt_reduction red) {
    return pointwise_loss(ctx, "lt_binary_cross_entropy", LTR_LOSS_BCE, p, y, weight, NULL, 0, red);
}
/* F.binary_cross_entropy_with_logits(x, y, weight, reduction, pos_weight), stable form */
lt_tensor *ltr_binary_cross_entropy_with_logits(lt_ctx *ctx, const lt_tensor *x,
                                                const lt_tensor *y, const lt_tensor *weight,
                                                const lt_tensor *pos_weight, lt_reduction red) {
    return pointwise_loss(ctx, "lt_binary_cross_entropy_with_logits", LTR_LOSS_BCE_LOGITS, x, y,
                          weight, pos_weight, 0, red);
}

/* F.kl_div(input (log-probabilities), target, reduction, log_target); reduction may be
 * LT_REDUCTION_BATCHMEAN (sum / input.size(0)); torch's default "mean" averages over
 * every element */
lt_tensor *ltr_kl_div(lt_ctx *ctx, const lt_tensor *input, const lt_tensor *target,
                      lt_reduction red, bool log_target) {
    return pointwise_loss(ctx, "lt_kl_div", log_target ? LTR_LOSS_KL_LOG : LTR_LOSS_KL, input, target, NULL,
                          NULL, 0, red);
}

/* ---- cross_entropy with options, nll_loss ----
 * Layout: input [N, C, S] (S = product of the extra dims d1..; [N, C] has S = 1).
 * Every position (n, s) contributes l = -sum_c q_c lp_c, lp = log_softmax over C (or the
 * input itself for nll_loss), with q the effective target (torch's formulas):
 *   class index t:  q_c = (1 - eps) w_t [c == t] + (eps / C) w_c; ignored t: q = 0
 *   probabilities:  q_c = w_c (y_c (1 - eps) + eps / C)
 * reduction mean divides by sum_i w_{t_i} over non-ignored i (index targets; both the nll
 * and the smoothing part, as torch's cross_entropy_loss_label_smoothing) or by N*S
 * (probability targets). d l / d logits = (sum_c q_c) softmax - q; for nll -q.
 * Probability targets also get d l / d y_c = -(1 - eps) w_c lp_c.
 * saved: [3, N*C*S] = lp, q, d/dy. iarg: reduction, log_softmax applied; farg: scale. */
static lt_status ce_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *y = n->in[1];
    const lt_tensor *const *sv = n->saved; /* {saved [3, M], scale} */
    lt_tensor *gx = (x->flags & LTR_T_REQUIRES_GRAD) ? ltr_empty_like(ctx, x) : NULL;
    lt_tensor *gy = y && y->dtype != LT_INT64 && (y->flags & LTR_T_REQUIRES_GRAD)
                        ? ltr_empty_like(ctx, y) : NULL;
    if (gx || gy)
        ltr_accel_of(x)->ce_loss_backward(x, sv[0], (int)n->iarg[0], n->iarg[1] != 0,
                                          n->out->grad, sv[1], gx, gy);
    if (gx && ltr_accumulate_grad_owned(ctx, x, gx) != LT_OK) return LT_ERROR;
    if (gy && ltr_accumulate_grad_owned(ctx, y, gy) != LT_OK) return LT_ERROR;
    return LT_OK;
}

static lt_tensor *ce_core(lt_ctx *ctx, const char *op, const lt_tensor *x, const lt_tensor *y,
                          const lt_tensor *w, int64_t ignore, lt_reduction red, double eps,
                          bool softmax) {
    if (!x || !y) return NULL;
    if (!ltr_check_float(ctx, op, x)) return NULL;
    char s1[96], s2[96];
    if (x->ndim < 2) {
        ltr_fail(ctx, "%s: expected input [N, C] or [N, C, d1, ...], got %s", op,
                 ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    if (red != LT_REDUCTION_MEAN && red != LT_REDUCTION_NONE && red != LT_REDUCTION_SUM) {
        ltr_fail(ctx, "%s: unknown reduction %d", op, (int)red);
        return NULL;
    }
    if (!(eps >= 0 && eps <= 1)) {
        ltr_fail(ctx, "%s: label_smoothing must be in [0, 1], got %g", op, eps);
        return NULL;
    }
    int64_t N = x->shape[0], C = x->shape[1], M = ltr_numel(x);
    bool probs = y->dtype != LT_INT64;
    if (probs) {
        bool same = y->ndim == x->ndim;
        for (int i = 0; same && i < x->ndim; i++) same = y->shape[i] == x->shape[i];
        if (!softmax || !same || !ltr_check_same(ctx, op, x, y)) {
            if (!ltr_ctx_of(ctx)->failed)
                ltr_fail(ctx, "%s: target %s %s must be int64 class indices of input %s without "
                         "dim 1%s", op, ltr_shape_str(y, s2, sizeof s2), ltr_dtype_name(y->dtype),
                         ltr_shape_str(x, s1, sizeof s1),
                         softmax ? ", or probabilities of input's shape and dtype" : "");
            return NULL;
        }
    } else {
        bool ok = y->ndim == x->ndim - 1 && y->shape[0] == N;
        for (int i = 1; ok && i < y->ndim; i++) ok = y->shape[i] == x->shape[i + 1];
        if (!ok) {
            ltr_fail(ctx, "%s: target %s does not match input %s (expected input's shape "
                     "without dim 1)", op, ltr_shape_str(y, s2, sizeof s2),
                     ltr_shape_str(x, s1, sizeof s1));
            return NULL;
        }
    }
    if (w) {
        if (w->ndim != 1 || w->shape[0] != C) {
            ltr_fail(ctx, "%s: weight %s must be [C] = [%lld]", op, ltr_shape_str(w, s1, sizeof s1),
                     (long long)C);
            return NULL;
        }
        if (!ltr_check_same(ctx, op, x, w)) return NULL;
        w = ltr_contiguous(ctx, w);
    }
    x = ltr_contiguous(ctx, x);
    y = ltr_contiguous(ctx, y);
    if (!x || !y) return NULL;
    if (!probs) {
        int64_t i = ltr_first_out_of_range(ctx, y, 0, (double)(C - 1), true, (double)ignore);
        if (i == -2) return NULL;
        if (i >= 0) {
            ltr_fail(ctx, "%s: target %lld at index %lld is out of bounds for %lld classes",
                     op, (long long)ltr_fetch(y, i), (long long)i, (long long)C);
            return NULL;
        }
    }
    int64_t sshape[2] = {3, M};
    lt_tensor *sv = ltr_empty(ctx, x->dtype, 2, sshape);
    lt_tensor *scale = ltr_empty(ctx, LT_FLOAT64, 0, NULL); /* backward's 1/denom (mean) */
    const lt_tensor **saved = ltr_scratch(ctx, 2 * sizeof *saved);
    int64_t oshape[LT_MAX_DIMS];
    oshape[0] = N;
    for (int i = 2; i < x->ndim; i++) oshape[i - 1] = x->shape[i];
    lt_tensor *out = red == LT_REDUCTION_NONE ? ltr_empty(ctx, x->dtype, x->ndim - 1, oshape)
                                              : ltr_empty(ctx, x->dtype, 0, NULL);
    if (!sv || !out || !scale || !saved) return NULL;
    ltr_accel_of(x)->ce_loss(x, y, w, ignore, red, eps, softmax, sv, out, scale);
    const lt_tensor *in[2] = {x, y};
    ltr_node *node = ltr_record(ctx, op + 3, out, ce_backward, 2, in);
    if (node) {
        saved[0] = sv;
        saved[1] = scale;
        node->saved = (void *)saved;
        node->iarg[0] = red;
        node->iarg[1] = softmax;
    }
    return out;
}

/* F.cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing):
 * target int64 [N, d1..] class indices or float probabilities of logits' shape */
lt_tensor *ltr_cross_entropy_ex(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target,
                                const lt_cross_entropy_options *opt) {
    lt_cross_entropy_options o = opt ? *opt : LT_CROSS_ENTROPY_DEFAULTS;
    return ce_core(ctx, "lt_cross_entropy_ex", logits, target, o.weight, o.ignore_index,
                   o.reduction, o.label_smoothing, true);
}

/* F.nll_loss(logp, target int64, weight, ignore_index, reduction) */
lt_tensor *ltr_nll_loss(lt_ctx *ctx, const lt_tensor *logp, const lt_tensor *target,
                        const lt_nll_loss_options *opt) {
    lt_nll_loss_options o = opt ? *opt : LT_NLL_LOSS_DEFAULTS;
    return ce_core(ctx, "lt_nll_loss", logp, target, o.weight, o.ignore_index, o.reduction, 0,
                   false);
}

/* ------------------------------------------------ cross_entropy (mean) and accuracy */

/* PyTorch's default ignore_index: targets equal to it add no loss and no count. */
#define IGNORE_INDEX (-100)

/* d loss / d logits[i, c] = g * (softmax[i, c] - [c == t_i]) / n_kept; g and n_kept stay
 * on the device (the kernel reads them): no host read per step */
static lt_status cross_entropy_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *logits = n->in[0], *target = n->in[1];
    const lt_tensor *const *saved = n->saved; /* probs, kept */
    lt_tensor *gx = ltr_empty_like(ctx, logits);
    if (!gx) return LT_ERROR;
    ltr_accel_of(logits)->cross_entropy_backward(saved[0], target, IGNORE_INDEX, n->out->grad,
                                                 saved[1], gx);
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
    int64_t classes = logits->shape[1];
    int64_t bad = ltr_first_out_of_range(ctx, target, 0, (double)(classes - 1), true, IGNORE_INDEX);
    if (bad == -2) return NULL;
    if (bad >= 0) {
        ltr_fail(ctx, "%s: target %lld at index %lld is out of bounds for %lld classes", op,
                 (long long)ltr_fetch(target, bad), (long long)bad, (long long)classes);
        return NULL;
    }
    lt_tensor *probs = ltr_empty_like(ctx, logits);
    lt_tensor *out = ltr_empty(ctx, logits->dtype, 0, NULL);
    lt_tensor *nkept = ltr_empty(ctx, LT_INT64, 0, NULL);
    const lt_tensor **saved = ltr_scratch(ctx, 2 * sizeof *saved);
    if (!probs || !out || !nkept || !saved) return NULL;
    /* stable per row: -log_softmax = log(sum(exp(x - max))) - (x_t - max); probs kept.
     * reduction="mean" divides by the number of non-ignored targets (torch: 0/0 is nan) */
    ltr_accel_of(logits)->cross_entropy(logits, target, IGNORE_INDEX, probs, out, nkept);
    const lt_tensor *in[2] = {logits, target};
    ltr_node *node = ltr_record(ctx, "cross_entropy", out, cross_entropy_backward, 2, in);
    if (node) {
        saved[0] = probs;
        saved[1] = nkept; /* backward's 1/kept */
        node->saved = (void *)saved;
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
    ltr_accel_of(pred)->match_fraction(pred, target, out);
    return out;
}
