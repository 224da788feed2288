/*
 * ops_losses.c — the losses of torch.nn.functional: cross_entropy (class indices,
 * reduction mean: the training loss's fast path) and accuracy; then the pointwise losses
 * mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
 * binary_cross_entropy_with_logits, kl_div, each with reduction none/mean/sum (lt_reduction).
 *
 * One shared front-end: input and target of the same shape (float, same dtype), the
 * per-element loss and its derivatives d/dinput, d/dtarget computed in double and the
 * derivatives saved (one arena tensor [2, numel]) for backward. Derivatives follow
 * torch's derivatives.yaml, including the kinks (l1: sign, 0 at 0; smooth_l1: d/beta
 * inside |d| < beta; huber: clamp(d, -delta, delta); bce: w (p - y) / max(p (1 - p), 1e-12)).
 * Not yet done here: gradients w.r.t. weight / pos_weight (treated as constants), and the
 * elementwise loops run on the host (no accelerator kernels yet).
 */
#include "core/context.h"
#include "tensor/ops_common.h"

#include <math.h>
#include <string.h>

enum pw_kind { PW_MSE, PW_L1, PW_SMOOTH_L1, PW_HUBER, PW_BCE, PW_BCE_LOGITS, PW_KL, PW_KL_LOG };

static lt_status pointwise_loss_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *x = n->in[0], *y = n->in[1], *d = n->saved;
    int64_t numel = ltr_numel(x);
    int red = (int)n->iarg[0];
    double g0 = red == LT_REDUCTION_NONE ? 0 : ltr_get(n->out->grad, 0);
    if (red == LT_REDUCTION_MEAN) g0 /= (double)numel;
    if (red == LT_REDUCTION_BATCHMEAN) g0 /= (double)(x->ndim ? x->shape[0] : 1);
    for (int k = 0; k < 2; k++) {
        const lt_tensor *t = k ? y : x;
        if (!(t->flags & LTR_T_REQUIRES_GRAD)) continue;
        lt_tensor *g = ltr_empty_like(ctx, t);
        if (!g) return LT_ERROR;
        for (int64_t i = 0; i < numel; i++) {
            double gi = red == LT_REDUCTION_NONE ? ltr_get(n->out->grad, i) : g0;
            ltr_set(g, i, gi * ltr_get(d, k * numel + i));
        }
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

static double wat(const lt_tensor *w, int64_t i) {
    if (!w) return 1.0;
    int64_t n = ltr_numel(w);
    return ltr_get(w, i % n);
}

static double clamp_log(double v) { double l = log(v); return l < -100 ? -100 : l; }
static double sgn(double v) { return (v > 0) - (v < 0); }
static double softplus_neg(double x) { /* log(1 + exp(-x)), stable */
    double m = x < 0 ? -x : 0;
    return log(exp(-m) + exp(-x - m)) + m;
}

static lt_tensor *pointwise_loss(lt_ctx *ctx, const char *op, enum pw_kind kind,
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
    bool kl = kind == PW_KL || kind == PW_KL_LOG;
    if (red != LT_REDUCTION_MEAN && red != LT_REDUCTION_NONE && red != LT_REDUCTION_SUM &&
        !(kl && red == LT_REDUCTION_BATCHMEAN)) {
        ltr_fail(ctx, "%s: unknown reduction %d", op, (int)red);
        return NULL;
    }
    if ((kind == PW_SMOOTH_L1 && param < 0) || (kind == PW_HUBER && param <= 0)) {
        ltr_fail(ctx, "%s: %s must be %s, got %g", op, kind == PW_HUBER ? "delta" : "beta",
                 kind == PW_HUBER ? "> 0" : ">= 0", param);
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
    if (kind == PW_BCE)
        for (int64_t i = 0; i < n; i++) {
            double p = ltr_get(x, i);
            if (!(p >= 0 && p <= 1)) {
                ltr_fail(ctx, "%s: all elements of input should be between 0 and 1, got %g at "
                         "index %lld", op, p, (long long)i);
                return NULL;
            }
        }
    int64_t dshape[2] = {2, n};
    lt_tensor *d = ltr_empty(ctx, x->dtype, 2, dshape);
    lt_tensor *out = red == LT_REDUCTION_NONE ? ltr_empty_like(ctx, x)
                                              : ltr_empty(ctx, x->dtype, 0, NULL);
    if (!d || !out) return NULL;
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = ltr_get(x, i), b = ltr_get(y, i), l = 0, dx = 0, dy = 0, diff = a - b;
        switch (kind) {
        case PW_MSE: l = diff * diff; dx = 2 * diff; dy = -dx; break;
        case PW_L1: l = fabs(diff); dx = sgn(diff); dy = -dx; break;
        case PW_SMOOTH_L1:
            if (fabs(diff) < param) { l = 0.5 * diff * diff / param; dx = diff / param; }
            else { l = fabs(diff) - 0.5 * param; dx = sgn(diff); }
            dy = -dx;
            break;
        case PW_HUBER:
            if (fabs(diff) < param) { l = 0.5 * diff * diff; dx = diff; }
            else { l = param * (fabs(diff) - 0.5 * param); dx = param * sgn(diff); }
            dy = -dx;
            break;
        case PW_BCE: {
            double wi = wat(w, i), lp = clamp_log(a), l1p = clamp_log(1 - a);
            double den = a * (1 - a);
            l = -wi * (b * lp + (1 - b) * l1p);
            dx = wi * (a - b) / (den > 1e-12 ? den : 1e-12);
            dy = wi * (l1p - lp);
            break;
        }
        case PW_BCE_LOGITS: {
            /* torch: (1 - y) x + lw * log(1 + exp(-x)), lw = 1 + (pos_weight - 1) y */
            double wi = wat(w, i), p = wat(pw, i), lw = 1 + (p - 1) * b, sp = softplus_neg(a);
            double sig_neg = 1 / (1 + exp(a));
            l = wi * ((1 - b) * a + lw * sp);
            dx = wi * ((1 - b) - lw * sig_neg);
            dy = wi * (-a + (p - 1) * sp);
            break;
        }
        case PW_KL: /* torch: xlogy(t, t) - t * input: 0 where t == 0 */
            l = b > 0 ? b * (log(b) - a) : (b == 0 ? 0 : NAN);
            dx = -b;
            dy = log(b) + 1 - a;
            break;
        case PW_KL_LOG: /* log_target: exp(t) * (t - input) */
            l = exp(b) * (b - a);
            dx = -exp(b);
            dy = exp(b) * (b - a + 1);
            break;
        }
        if (red == LT_REDUCTION_NONE) ltr_set(out, i, l);
        else total += l;
        ltr_set(d, i, dx);
        ltr_set(d, n + i, dy);
    }
    if (red == LT_REDUCTION_MEAN) ltr_set(out, 0, n ? total / (double)n : NAN);
    else if (red == LT_REDUCTION_SUM) ltr_set(out, 0, total);
    else if (red == LT_REDUCTION_BATCHMEAN)
        ltr_set(out, 0, total / (double)(x->ndim ? x->shape[0] : 1));
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
    return pointwise_loss(ctx, "lt_mse_loss", PW_MSE, x, y, NULL, NULL, 0, red);
}
/* F.l1_loss(x, y, reduction) */
lt_tensor *ltr_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y, lt_reduction red) {
    return pointwise_loss(ctx, "lt_l1_loss", PW_L1, x, y, NULL, NULL, 0, red);
}
/* F.smooth_l1_loss(x, y, reduction, beta); beta == 0 is l1_loss */
lt_tensor *ltr_smooth_l1_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                              lt_reduction red, double beta) {
    return pointwise_loss(ctx, "lt_smooth_l1_loss", PW_SMOOTH_L1, x, y, NULL, NULL, beta, red);
}
/* F.huber_loss(x, y, reduction, delta) */
lt_tensor *ltr_huber_loss(lt_ctx *ctx, const lt_tensor *x, const lt_tensor *y,
                          lt_reduction red, double delta) {
    return pointwise_loss(ctx, "lt_huber_loss", PW_HUBER, x, y, NULL, NULL, delta, red);
}
/* F.binary_cross_entropy(p, y, weight, reduction); log clamped to >= -100 as torch */
lt_tensor *ltr_binary_cross_entropy(lt_ctx *ctx, const lt_tensor *p, const lt_tensor *y,
                                    const lt_tensor *weight, lt_reduction red) {
    return pointwise_loss(ctx, "lt_binary_cross_entropy", PW_BCE, p, y, weight, NULL, 0, red);
}
/* F.binary_cross_entropy_with_logits(x, y, weight, reduction, pos_weight), stable form */
lt_tensor *ltr_binary_cross_entropy_with_logits(lt_ctx *ctx, const lt_tensor *x,
                                                const lt_tensor *y, const lt_tensor *weight,
                                                const lt_tensor *pos_weight, lt_reduction red) {
    return pointwise_loss(ctx, "lt_binary_cross_entropy_with_logits", PW_BCE_LOGITS, x, y,
                          weight, pos_weight, 0, red);
}

/* F.kl_div(input (log-probabilities), target, reduction, log_target); reduction may be
 * LT_REDUCTION_BATCHMEAN (sum / input.size(0)); torch's default "mean" averages over
 * every element */
lt_tensor *ltr_kl_div(lt_ctx *ctx, const lt_tensor *input, const lt_tensor *target,
                      lt_reduction red, bool log_target) {
    return pointwise_loss(ctx, "lt_kl_div", log_target ? PW_KL_LOG : PW_KL, input, target, NULL,
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
    const lt_tensor *x = n->in[0], *y = n->in[1], *sv = n->saved;
    int64_t N = x->shape[0], C = x->ndim > 1 ? x->shape[1] : 1, M = ltr_numel(x);
    int64_t S = N * C != 0 ? M / (N * C) : 0;
    int red = (int)n->iarg[0];
    bool softmax = n->iarg[1] != 0;
    double g0 = red == LT_REDUCTION_NONE ? 0 : ltr_get(n->out->grad, 0) * n->farg[0];
    lt_tensor *gx = (x->flags & LTR_T_REQUIRES_GRAD) ? ltr_empty_like(ctx, x) : NULL;
    lt_tensor *gy = y && y->dtype != LT_INT64 && (y->flags & LTR_T_REQUIRES_GRAD)
                        ? ltr_empty_like(ctx, y) : NULL;
    for (int64_t i = 0; i < N; i++)
        for (int64_t s = 0; s < S; s++) {
            double g = red == LT_REDUCTION_NONE ? ltr_get(n->out->grad, i * S + s) : g0, Q = 0;
            for (int64_t c = 0; c < C; c++) Q += ltr_get(sv, M + (i * C + c) * S + s);
            for (int64_t c = 0; c < C; c++) {
                int64_t k = (i * C + c) * S + s;
                double q = ltr_get(sv, M + k);
                if (gx) ltr_set(gx, k, g * (softmax ? Q * exp(ltr_get(sv, k)) - q : -q));
                if (gy) ltr_set(gy, k, g * ltr_get(sv, 2 * M + k));
            }
        }
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
    int64_t N = x->shape[0], C = x->shape[1], M = ltr_numel(x), S = N * C != 0 ? M / (N * C) : 0;
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
        const int64_t *t = y->data;
        for (int64_t i = 0; i < N * S; i++)
            if (t[i] != ignore && (t[i] < 0 || t[i] >= C)) {
                ltr_fail(ctx, "%s: target %lld at index %lld is out of bounds for %lld classes",
                         op, (long long)t[i], (long long)i, (long long)C);
                return NULL;
            }
    }
    int64_t sshape[2] = {3, M};
    lt_tensor *sv = ltr_empty(ctx, x->dtype, 2, sshape);
    int64_t oshape[LT_MAX_DIMS];
    oshape[0] = N;
    for (int i = 2; i < x->ndim; i++) oshape[i - 1] = x->shape[i];
    lt_tensor *out = red == LT_REDUCTION_NONE ? ltr_empty(ctx, x->dtype, x->ndim - 1, oshape)
                                              : ltr_empty(ctx, x->dtype, 0, NULL);
    if (!sv || !out) return NULL;
    double total = 0, denom = 0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t s = 0; s < S; s++) {
            /* log_softmax over c, stable */
            double mx = -INFINITY, se = 0;
            if (softmax) {
                for (int64_t c = 0; c < C; c++) {
                    double v = ltr_get(x, (i * C + c) * S + s);
                    if (v > mx) mx = v;
                }
                for (int64_t c = 0; c < C; c++) se += exp(ltr_get(x, (i * C + c) * S + s) - mx);
            }
            double lse = softmax ? mx + log(se) : 0, l = 0;
            int64_t t = probs ? 0 : ((const int64_t *)y->data)[i * S + s];
            bool ignored = !probs && t == ignore;
            if (!probs && !ignored) denom += w ? ltr_get(w, t) : 1.0;
            for (int64_t c = 0; c < C; c++) {
                int64_t k = (i * C + c) * S + s;
                double lp = ltr_get(x, k) - lse, wc = w ? ltr_get(w, c) : 1.0, q, dy = 0;
                if (probs) {
                    q = wc * (ltr_get(y, k) * (1 - eps) + eps / (double)C);
                    dy = -(1 - eps) * wc * lp;
                } else if (ignored) {
                    q = 0;
                } else {
                    q = (c == t ? (1 - eps) * (w ? ltr_get(w, t) : 1.0) : 0) + eps / (double)C * wc;
                }
                /* q == 0 adds nothing even where lp is -inf (torch's nll picks one entry) */
                if (q != 0) l -= q * lp;
                ltr_set(sv, k, lp);
                ltr_set(sv, M + k, q);
                ltr_set(sv, 2 * M + k, dy);
            }
            if (red == LT_REDUCTION_NONE) ltr_set(out, i * S + s, l);
            else total += l;
        }
    double scale = 1;
    if (red == LT_REDUCTION_MEAN) {
        if (probs) denom = (double)(N * S);
        scale = 1.0 / denom; /* torch: all ignored gives 0/0 = nan */
        ltr_set(out, 0, total / denom);
    } else if (red == LT_REDUCTION_SUM) {
        ltr_set(out, 0, total);
    }
    const lt_tensor *in[2] = {x, y};
    ltr_node *node = ltr_record(ctx, op + 3, out, ce_backward, 2, in);
    if (node) {
        node->saved = sv;
        node->iarg[0] = red;
        node->iarg[1] = softmax;
        node->farg[0] = scale;
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
    lt_tensor *nkept = ltr_empty(ctx, LT_INT64, 0, NULL);
    if (!probs || !out || !nkept) return NULL;
    /* stable per row: -log_softmax = log(sum(exp(x - max))) - (x_t - max); probs kept.
     * reduction="mean" divides by the number of non-ignored targets (torch: 0/0 is nan) */
    ltr_accel_of(logits)->cross_entropy(logits, target, IGNORE_INDEX, probs, out, nkept);
    int64_t kept = (int64_t)ltr_get(nkept, 0); /* backward's 1/kept */
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
