/*
 * metrics.c — torchmetrics-style metrics ("losses and metrics"), not
 * differentiable: functional top-k accuracy, macro precision / recall / F1, confusion
 * matrix, MAE, MSE; and stateful metric objects (lt_metric) that accumulate over
 * updates (an epoch) and also keep the last update's (the batch's) state.
 *
 * Semantics reproduced (torchmetrics 1.x, task="multiclass"):
 *  - accuracy: average="micro": hits / N; a hit when the target's score is among the
 *    top_k (ties: the target counts as a hit when fewer than k classes score strictly
 *    higher).
 *  - precision / recall / F1, average="macro": per class tp, fp, fn from argmax preds;
 *    per-class score 0 where its denominator is 0 (zero_division=0); the mean skips
 *    classes with tp + fp + fn == 0 (absent from both preds and target), as torchmetrics'
 *    _adjust_weights_safe_divide does; nothing seen at all gives 0.
 *  - confusion matrix: int64 [C, C], rows = true class, columns = predicted class.
 *  - MAE / MSE: sum of |p - t| or (p - t)^2 over all elements / element count.
 * Metric objects live in lt_alloc memory of the context that made them (freed with the
 * run's other allocations); their state is tensors on the context's device (ltr_alloc_
 * tensor), updated, merged and read out by the kernel table (metric_update, metric_merge,
 * metric_value): the host reads one number when a value is asked for.
 */
#include "core/context.h"
#include "tensor/ops_common.h"
#include "nn/metrics.h"

#include <math.h>
#include <string.h>

typedef struct mstate {
    lt_tensor *cnt;  /* int64, classification: [3*C] tp, fp, fn, or [C*C] confusion; else NULL */
    lt_tensor *sums; /* float64 [2]: hits / errors and count */
} mstate;

struct lt_metric {
    lt_metric_kind kind;
    int64_t C, k;
    mstate epoch, batch;
    lt_tensor *idx;   /* int64 [] : the range check's answer */
    lt_tensor *value; /* float64 [] : a value read out for logging */
    int64_t ncnt;
    bool seen_batch;
};

static bool is_class_kind(lt_metric_kind k) {
    return k == LT_METRIC_PRECISION || k == LT_METRIC_RECALL || k == LT_METRIC_F1 ||
           k == LT_METRIC_CONFUSION_MATRIX;
}

static const char *kind_op(lt_metric_kind k) {
    switch (k) {
    case LT_METRIC_ACCURACY: return "lt_accuracy_topk";
    case LT_METRIC_PRECISION: return "lt_precision";
    case LT_METRIC_RECALL: return "lt_recall";
    case LT_METRIC_F1: return "lt_f1_score";
    case LT_METRIC_CONFUSION_MATRIX: return "lt_confusion_matrix";
    case LT_METRIC_MAE: return "lt_mean_absolute_error";
    case LT_METRIC_MSE: return "lt_mean_squared_error";
    }
    return "lt_metric";
}

/* The first index of int64 x outside [0, C), -1 if none: written into idx (the metric's
 * own, as updates may come where no step arena is), one number read back. */
static int64_t first_bad(const lt_tensor *x, int64_t C, lt_tensor *idx) {
    ltr_accel_of(x)->first_out_of_range(x, 0, (double)(C - 1), false, 0, idx);
    return (int64_t)ltr_fetch(idx, 0);
}

/* s += the statistics of (preds, target), through the kernel table */
static void metric_kernel(lt_metric_kind kind, int64_t C, int64_t k, const lt_tensor *preds,
                          const lt_tensor *target, mstate *s) {
    ltr_accel_of(preds)->metric_update((int)kind, C, k, preds, target, s->cnt, s->sums);
}

/* a metric's state on its device: an update's into `preds`'s must meet it there */
static lt_status same_device(lt_ctx *ctx, const char *op, const lt_tensor *t, const mstate *s) {
    if (t->device == s->sums->device) return LT_OK;
    return ltr_fail(ctx, "%s: the tensor is on device %s, the metric's state on %s: update it "
                    "with tensors of the device it was made on", op, ltr_backend_at(t->device)->name,
                    ltr_backend_at(s->sums->device)->name);
}

/* Adds the statistics of (preds, target) into s. preds: float scores [N, C] or int64
 * class predictions [N] (classification), or float values of target's shape (MAE/MSE). */
static lt_status accumulate(lt_ctx *ctx, lt_metric_kind kind, int64_t C, int64_t k,
                            const lt_tensor *preds, const lt_tensor *target, mstate *s,
                            lt_tensor *idx) {
    const char *op = kind_op(kind);
    char s1[96], s2[96];
    if (!preds || !target) return LT_ERROR;
    if (same_device(ctx, op, preds, s) || same_device(ctx, op, target, s)) return LT_ERROR;
    if (kind == LT_METRIC_MAE || kind == LT_METRIC_MSE) {
        bool same = preds->ndim == target->ndim && ltr_is_float(preds) && ltr_is_float(target);
        for (int i = 0; same && i < preds->ndim; i++) same = preds->shape[i] == target->shape[i];
        if (!same)
            return ltr_fail(ctx, "%s: preds %s %s and target %s %s must be float of one shape", op,
                            ltr_shape_str(preds, s1, sizeof s1), ltr_dtype_name(preds->dtype),
                            ltr_shape_str(target, s2, sizeof s2), ltr_dtype_name(target->dtype));
        preds = ltr_contiguous(ctx, preds);
        target = ltr_contiguous(ctx, target);
        if (!preds || !target) return LT_ERROR;
        metric_kernel(kind, C, k, preds, target, s);
        return LT_OK;
    }
    bool scores = preds->ndim == 2 && ltr_is_float(preds);
    bool labels = preds->ndim == 1 && preds->dtype == LT_INT64;
    if (!(scores || labels) || target->ndim != 1 || target->dtype != LT_INT64 ||
        target->shape[0] != preds->shape[0])
        return ltr_fail(ctx, "%s: expected preds [N, C] float scores or [N] int64 classes and "
                        "target [N] int64, got %s %s and %s %s", op,
                        ltr_shape_str(preds, s1, sizeof s1), ltr_dtype_name(preds->dtype),
                        ltr_shape_str(target, s2, sizeof s2), ltr_dtype_name(target->dtype));
    if (scores && preds->shape[1] != C)
        return ltr_fail(ctx, "%s: preds have %lld classes, the metric %lld", op,
                        (long long)preds->shape[1], (long long)C);
    if (labels && k != 1)
        return ltr_fail(ctx, "%s: top_k %lld needs [N, C] scores", op, (long long)k);
    preds = ltr_contiguous(ctx, preds);
    target = ltr_contiguous(ctx, target);
    if (!preds || !target) return LT_ERROR;
    /* the first bad index of either, the target's first at one index (one scan each) */
    int64_t bt = first_bad(target, C, idx), bp = labels ? first_bad(preds, C, idx) : -1;
    if (bt >= 0 && (bp < 0 || bt <= bp))
        return ltr_fail(ctx, "%s: target %lld at index %lld is out of bounds for %lld classes",
                        op, (long long)ltr_fetch(target, bt), (long long)bt, (long long)C);
    if (bp >= 0)
        return ltr_fail(ctx, "%s: prediction %lld at index %lld is out of bounds for "
                        "%lld classes", op, (long long)ltr_fetch(preds, bp), (long long)bp,
                        (long long)C);
    metric_kernel(kind, C, k, preds, target, s);
    return LT_OK;
}

/* the metric's value from state s, read on the host through `value` (float64, one element) */
static double value_of(lt_metric_kind kind, int64_t C, const mstate *s, lt_tensor *value) {
    ltr_accel_of(s->sums)->metric_value((int)kind, C, s->cnt, s->sums, value);
    return ltr_fetch(value, 0);
}

static lt_tensor *result_tensor(lt_ctx *ctx, lt_metric_kind kind, int64_t C, const mstate *s) {
    if (kind == LT_METRIC_CONFUSION_MATRIX) {
        int64_t shape[2] = {C, C};
        lt_tensor *out = ltr_empty_on(ctx, s->cnt->device, LT_INT64, 2, shape);
        if (out) {
            void *self;
            ltr_device_of(out->device, &self)->copy_d2d(self, out->data, s->cnt->data,
                                                        (size_t)(C * C) * sizeof(int64_t));
        }
        return out;
    }
    /* the value in double, rounded once to the float32 result */
    lt_tensor *out = ltr_empty_on(ctx, s->sums->device, LT_FLOAT32, 0, NULL);
    if (out) ltr_accel_of(out)->metric_value((int)kind, C, s->cnt, s->sums, out);
    return out;
}

static int64_t ncnt_of(lt_metric_kind kind, int64_t C) {
    return kind == LT_METRIC_CONFUSION_MATRIX ? C * C : is_class_kind(kind) ? 3 * C : 0;
}

/* functional form: one update's value */
static lt_tensor *functional(lt_ctx *ctx, lt_metric_kind kind, const lt_tensor *preds,
                             const lt_tensor *target, int64_t C, int64_t k) {
    if (!preds || !target) return NULL;
    if (kind != LT_METRIC_MAE && kind != LT_METRIC_MSE) {
        if (C <= 0 && preds->ndim == 2) C = preds->shape[1];
        if (C <= 0) {
            ltr_fail(ctx, "%s: num_classes must be > 0 for int64 predictions", kind_op(kind));
            return NULL;
        }
        if (k < 1 || k > C) {
            ltr_fail(ctx, "%s: top_k must be in [1, %lld], got %lld", kind_op(kind), (long long)C,
                     (long long)k);
            return NULL;
        }
    }
    /* the state in the step's arena, on the inputs' device */
    mstate s = {0};
    int64_t n = ncnt_of(kind, C), two = 2;
    if (n && !(s.cnt = ltr_zeros_on(ctx, preds->device, LT_INT64, 1, &n))) return NULL;
    s.sums = ltr_zeros_on(ctx, preds->device, LT_FLOAT64, 1, &two);
    lt_tensor *idx = ltr_empty_on(ctx, preds->device, LT_INT64, 0, NULL);
    if (!s.sums || !idx) return NULL;
    if (accumulate(ctx, kind, C, k, preds, target, &s, idx) != LT_OK) return NULL;
    return result_tensor(ctx, kind, C, &s);
}

lt_tensor *ltr_accuracy_topk(lt_ctx *ctx, const lt_tensor *logits, const lt_tensor *target, int64_t k) {
    return functional(ctx, LT_METRIC_ACCURACY, logits, target, 0, k);
}
lt_tensor *ltr_precision(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t C) {
    return functional(ctx, LT_METRIC_PRECISION, preds, target, C, 1);
}
lt_tensor *ltr_recall(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t C) {
    return functional(ctx, LT_METRIC_RECALL, preds, target, C, 1);
}
lt_tensor *ltr_f1_score(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t C) {
    return functional(ctx, LT_METRIC_F1, preds, target, C, 1);
}
lt_tensor *ltr_confusion_matrix(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target, int64_t C) {
    return functional(ctx, LT_METRIC_CONFUSION_MATRIX, preds, target, C, 1);
}
lt_tensor *ltr_mean_absolute_error(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target) {
    return functional(ctx, LT_METRIC_MAE, preds, target, 0, 1);
}
lt_tensor *ltr_mean_squared_error(lt_ctx *ctx, const lt_tensor *preds, const lt_tensor *target) {
    return functional(ctx, LT_METRIC_MSE, preds, target, 0, 1);
}

/* ---- metric objects ---- */

lt_metric *ltr_metric_new(lt_ctx *ctx, lt_metric_kind kind, const lt_metric_options *opt) {
    lt_metric_options o = opt ? *opt : LT_METRIC_DEFAULTS;
    if ((int)kind < LT_METRIC_ACCURACY || (int)kind > LT_METRIC_MSE) {
        ltr_fail(ctx, "lt_metric_new: unknown metric kind %d", (int)kind);
        return NULL;
    }
    bool cls = kind != LT_METRIC_MAE && kind != LT_METRIC_MSE;
    if (cls && o.num_classes <= 0) {
        ltr_fail(ctx, "lt_metric_new: %s needs num_classes > 0, got %lld", kind_op(kind),
                 (long long)o.num_classes);
        return NULL;
    }
    if (cls && (o.top_k < 1 || o.top_k > o.num_classes || (kind != LT_METRIC_ACCURACY && o.top_k != 1))) {
        ltr_fail(ctx, "lt_metric_new: %s: top_k %lld not supported (accuracy: 1..num_classes, "
                 "others: 1)", kind_op(kind), (long long)o.top_k);
        return NULL;
    }
    lt_metric *m = ltr_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    m->kind = kind;
    m->C = cls ? o.num_classes : 0;
    m->k = cls ? o.top_k : 1;
    m->ncnt = ncnt_of(kind, m->C);
    /* the state: tensors on the context's device, living as long as the metric */
    int dev = ltr_ctx_of(ctx)->device;
    int64_t two = 2;
    mstate *st[2] = {&m->epoch, &m->batch};
    for (int i = 0; i < 2; i++) {
        if (m->ncnt && !(st[i]->cnt = ltr_alloc_tensor(ctx, dev, LT_INT64, 1, &m->ncnt))) return NULL;
        if (!(st[i]->sums = ltr_alloc_tensor(ctx, dev, LT_FLOAT64, 1, &two))) return NULL;
    }
    if (!(m->idx = ltr_alloc_tensor(ctx, dev, LT_INT64, 0, NULL)) ||
        !(m->value = ltr_alloc_tensor(ctx, dev, LT_FLOAT64, 0, NULL)))
        return NULL;
    return m;
}

static void state_zero(mstate *s) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(s->sums->device, &self);
    if (s->cnt) dev->memset(self, s->cnt->data, 0, (size_t)ltr_numel(s->cnt) * sizeof(int64_t));
    dev->memset(self, s->sums->data, 0, 2 * sizeof(double));
}

lt_status ltr_metric_update(lt_ctx *ctx, lt_metric *m, const lt_tensor *preds, const lt_tensor *target) {
    if (!m) return ltr_fail(ctx, "lt_metric_update: metric is NULL");
    state_zero(&m->batch);
    m->seen_batch = false;
    if (accumulate(ctx, m->kind, m->C, m->k, preds, target, &m->batch, m->idx) != LT_OK)
        return LT_ERROR;
    ltr_accel_of(m->epoch.sums)->metric_merge(m->epoch.cnt, m->batch.cnt, m->epoch.sums,
                                              m->batch.sums);
    m->seen_batch = true;
    return LT_OK;
}

lt_tensor *ltr_metric_compute(lt_ctx *ctx, lt_metric *m) {
    if (!m) {
        ltr_fail(ctx, "lt_metric_compute: metric is NULL");
        return NULL;
    }
    return result_tensor(ctx, m->kind, m->C, &m->epoch);
}

void ltr_metric_reset(lt_ctx *ctx, lt_metric *m) {
    (void)ctx;
    if (!m) return;
    state_zero(&m->epoch);
    state_zero(&m->batch);
    m->seen_batch = false;
}

bool ltr_metric_scalar(const lt_metric *m) { return m && m->kind != LT_METRIC_CONFUSION_MATRIX; }
double ltr_metric_epoch_value(const lt_metric *m) {
    return value_of(m->kind, m->C, &m->epoch, m->value);
}
double ltr_metric_batch_value(const lt_metric *m) {
    return m->seen_batch ? value_of(m->kind, m->C, &m->batch, m->value) : NAN;
}
void ltr_metric_reset_state(lt_metric *m) { ltr_metric_reset(NULL, m); }
