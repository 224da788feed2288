/*
 * cpu_losses.c — the CPU's loss kernels (accelerator.h's numerics block): the pointwise
 * losses of torch.nn.functional and cross_entropy-with-options / nll_loss, forward and
 * backward, and the range check of their inputs. Per-element math in double, as the
 * front-ends in nn/losses.c document.
 */
#include "accelerators/cpu/cpu_numerics.h"

#include <math.h>

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

void ltr_cpu_pointwise_loss(int kind, const lt_tensor *x, const lt_tensor *y, const lt_tensor *w,
                            const lt_tensor *pw, double param, int red, lt_tensor *out,
                            lt_tensor *d) {
    int64_t n = ltr_numel(x);
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = ltr_get(x, i), b = ltr_get(y, i), l = 0, dx = 0, dy = 0, diff = a - b;
        switch (kind) {
        case LTR_LOSS_MSE: l = diff * diff; dx = 2 * diff; dy = -dx; break;
        case LTR_LOSS_L1: l = fabs(diff); dx = sgn(diff); dy = -dx; break;
        case LTR_LOSS_SMOOTH_L1:
            if (fabs(diff) < param) { l = 0.5 * diff * diff / param; dx = diff / param; }
            else { l = fabs(diff) - 0.5 * param; dx = sgn(diff); }
            dy = -dx;
            break;
        case LTR_LOSS_HUBER:
            if (fabs(diff) < param) { l = 0.5 * diff * diff; dx = diff; }
            else { l = param * (fabs(diff) - 0.5 * param); dx = param * sgn(diff); }
            dy = -dx;
            break;
        case LTR_LOSS_BCE: {
            double wi = wat(w, i), lp = clamp_log(a), l1p = clamp_log(1 - a);
            double den = a * (1 - a);
            l = -wi * (b * lp + (1 - b) * l1p);
            dx = wi * (a - b) / (den > 1e-12 ? den : 1e-12);
            dy = wi * (l1p - lp);
            break;
        }
        case LTR_LOSS_BCE_LOGITS: {
            /* torch: (1 - y) x + lw * log(1 + exp(-x)), lw = 1 + (pos_weight - 1) y */
            double wi = wat(w, i), p = wat(pw, i), lw = 1 + (p - 1) * b, sp = softplus_neg(a);
            double sig_neg = 1 / (1 + exp(a));
            l = wi * ((1 - b) * a + lw * sp);
            dx = wi * ((1 - b) - lw * sig_neg);
            dy = wi * (-a + (p - 1) * sp);
            break;
        }
        case LTR_LOSS_KL: /* torch: xlogy(t, t) - t * input: 0 where t == 0 */
            l = b > 0 ? b * (log(b) - a) : (b == 0 ? 0 : NAN);
            dx = -b;
            dy = log(b) + 1 - a;
            break;
        case LTR_LOSS_KL_LOG: /* log_target: exp(t) * (t - input) */
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
}

void ltr_cpu_pointwise_loss_backward(int red, const lt_tensor *d, int k, const lt_tensor *gout,
                                     double div, lt_tensor *g) {
    int64_t numel = ltr_numel(g);
    double g0 = red == LT_REDUCTION_NONE ? 0 : ltr_get(gout, 0) / div;
    for (int64_t i = 0; i < numel; i++) {
        double gi = red == LT_REDUCTION_NONE ? ltr_get(gout, i) : g0;
        ltr_set(g, i, gi * ltr_get(d, k * numel + i));
    }
}

void ltr_cpu_ce_loss(const lt_tensor *x, const lt_tensor *y, const lt_tensor *w, int64_t ignore,
                     int red, double eps, bool softmax, lt_tensor *sv, lt_tensor *out,
                     lt_tensor *scale) {
    int64_t N = x->shape[0], C = x->shape[1], M = ltr_numel(x), S = N * C != 0 ? M / (N * C) : 0;
    bool probs = y->dtype != LT_INT64;
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
    double sc = 1;
    if (red == LT_REDUCTION_MEAN) {
        if (probs) denom = (double)(N * S);
        sc = 1.0 / denom; /* torch: all ignored gives 0/0 = nan */
        ltr_set(out, 0, total / denom);
    } else if (red == LT_REDUCTION_SUM) {
        ltr_set(out, 0, total);
    }
    *(double *)scale->data = sc;
}

void ltr_cpu_ce_loss_backward(const lt_tensor *x, const lt_tensor *sv, int red, bool softmax,
                              const lt_tensor *gout, const lt_tensor *scale, lt_tensor *gx,
                              lt_tensor *gy) {
    int64_t N = x->shape[0], C = x->ndim > 1 ? x->shape[1] : 1, M = ltr_numel(x);
    int64_t S = N * C != 0 ? M / (N * C) : 0;
    double g0 = red == LT_REDUCTION_NONE ? 0 : ltr_get(gout, 0) * *(const double *)scale->data;
    for (int64_t i = 0; i < N; i++)
        for (int64_t s = 0; s < S; s++) {
            double g = red == LT_REDUCTION_NONE ? ltr_get(gout, i * S + s) : g0, Q = 0;
            for (int64_t c = 0; c < C; c++) Q += ltr_get(sv, M + (i * C + c) * S + s);
            for (int64_t c = 0; c < C; c++) {
                int64_t k = (i * C + c) * S + s;
                double q = ltr_get(sv, M + k);
                if (gx) ltr_set(gx, k, g * (softmax ? Q * exp(ltr_get(sv, k)) - q : -q));
                if (gy) ltr_set(gy, k, g * ltr_get(sv, 2 * M + k));
            }
        }
}

/* the first i with !(lo <= x[i] <= hi) (nan included) other than `skip`, else -1 */
void ltr_cpu_first_out_of_range(const lt_tensor *x, double lo, double hi, bool has_skip,
                                double skip, lt_tensor *idx) {
    int64_t n = ltr_numel(x), at = -1;
    for (int64_t i = 0; i < n && at < 0; i++) {
        double v = x->dtype == LT_INT64 ? (double)((const int64_t *)x->data)[i] : ltr_get(x, i);
        if (has_skip && v == skip) continue;
        if (!(v >= lo && v <= hi)) at = i;
    }
    *(int64_t *)idx->data = at;
}

/* out (float, one element) = mean(a == b) over int64 a, b of one numel; nan when empty */
void ltr_cpu_match_fraction(const lt_tensor *a, const lt_tensor *b, lt_tensor *out) {
    int64_t rows = ltr_numel(a), hits = 0;
    const int64_t *p = a->data, *t = b->data;
    for (int64_t i = 0; i < rows; i++) hits += p[i] == t[i];
    ltr_set(out, 0, rows ? (double)hits / (double)rows : NAN);
}

/* torchmetrics' update (nn/metrics.c documents the semantics): sums[0] += hits or
 * errors, sums[1] += the count; cnt (classification) += tp/fp/fn or the confusion matrix.
 * preds: float scores [N, C], int64 classes [N], or float values (MAE / MSE); targets and
 * int64 preds already checked to lie in [0, C) */
void ltr_cpu_metric_update(int kind, int64_t C, int64_t k, const lt_tensor *preds,
                           const lt_tensor *target, lt_tensor *cnt_t, lt_tensor *sums) {
    double *sn = sums->data;
    if (kind == LT_METRIC_MAE || kind == LT_METRIC_MSE) {
        int64_t n = ltr_numel(preds);
        for (int64_t i = 0; i < n; i++) {
            double d = ltr_get(preds, i) - ltr_get(target, i);
            sn[0] += kind == LT_METRIC_MAE ? fabs(d) : d * d;
        }
        sn[1] += (double)n;
        return;
    }
    bool labels = preds->dtype == LT_INT64;
    int64_t N = target->shape[0], *cnt = cnt_t ? cnt_t->data : NULL;
    const int64_t *t = target->data;
    for (int64_t i = 0; i < N; i++) {
        int64_t p;
        bool hit;
        if (labels) {
            p = ((const int64_t *)preds->data)[i];
            hit = p == t[i];
        } else {
            /* argmax: first maximum (torch.argmax); top-k hit: < k classes score higher */
            double tv = ltr_get(preds, i * C + t[i]), best = -INFINITY;
            int64_t higher = 0;
            p = 0;
            for (int64_t c = 0; c < C; c++) {
                double v = ltr_get(preds, i * C + c);
                if (v > best) { best = v; p = c; }
                higher += v > tv;
            }
            hit = higher < k;
        }
        if (kind == LT_METRIC_ACCURACY) {
            sn[0] += hit;
        } else if (kind == LT_METRIC_CONFUSION_MATRIX) {
            cnt[t[i] * C + p]++;
        } else if (p == t[i]) {
            cnt[p]++; /* tp */
        } else {
            cnt[C + p]++;        /* fp of the predicted class */
            cnt[2 * C + t[i]]++; /* fn of the true class */
        }
    }
    sn[1] += (double)N;
}


/* the epoch's state += the batch's (nn/metrics.c keeps both) */
void ltr_cpu_metric_merge(lt_tensor *cnt, const lt_tensor *bcnt, lt_tensor *sums,
                          const lt_tensor *bsums) {
    if (cnt && bcnt) {
        int64_t n = ltr_numel(cnt), *d = cnt->data;
        const int64_t *b = bcnt->data;
        for (int64_t i = 0; i < n; i++) d[i] += b[i];
    }
    double *sn = sums->data;
    const double *bs = bsums->data;
    sn[0] += bs[0];
    sn[1] += bs[1];
}

/* torchmetrics' compute() of the state metric_update built (nn/metrics.c: micro
 * accuracy, macro precision / recall / F1 skipping absent classes, MAE / MSE) */
void ltr_cpu_metric_value(int kind, int64_t C, const lt_tensor *cnt_t, const lt_tensor *sums,
                          lt_tensor *out) {
    const double *sn = sums->data;
    const int64_t *cnt = cnt_t ? cnt_t->data : NULL;
    double v = NAN;
    switch (kind) {
    case LT_METRIC_ACCURACY:
    case LT_METRIC_MAE:
    case LT_METRIC_MSE:
        v = sn[1] > 0 ? sn[0] / sn[1] : NAN;
        break;
    case LT_METRIC_PRECISION:
    case LT_METRIC_RECALL:
    case LT_METRIC_F1: {
        double total = 0, classes = 0;
        for (int64_t c = 0; c < C; c++) {
            double tp = (double)cnt[c], fp = (double)cnt[C + c], fn = (double)cnt[2 * C + c];
            if (tp + fp + fn == 0) continue; /* absent from preds and target: skipped */
            double num = kind == LT_METRIC_F1 ? 2 * tp : tp;
            double den = kind == LT_METRIC_PRECISION ? tp + fp
                         : kind == LT_METRIC_RECALL  ? tp + fn
                                                     : 2 * tp + fp + fn;
            total += den > 0 ? num / den : 0;
            classes += 1;
        }
        v = classes > 0 ? total / classes : 0;
        break;
    }
    default: break; /* the confusion matrix is its counts */
    }
    ltr_set(out, 0, v);
}
