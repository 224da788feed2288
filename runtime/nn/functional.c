/*
 * functional.c — F.batch_norm, F.layer_norm, F.group_norm, F.dropout, F.embedding, and
 * the layer forms that read ctx->training (nn.BatchNorm's running statistics).
 *
 * The normalisations share one path (normalize): x contiguous, float64 statistics per c
 * of an [outer, c, inner] view, then the differentiable xhat = (x - mean) * invstd; the
 * affine weight/bias are then applied with the broadcasting mul/add ops, so their
 * gradients come from those ops. Dropout multiplies by a mask drawn on the device from
 * ctx->rng's state (same seed, same mask).
 */
#include "tensor/ops_common.h"
#include "util/rng.h"
#include "nn/nn.h"

#include <math.h>
#include <string.h>

typedef ltr_norm_saved norm_saved; /* nn.h: the ONNX exporter reads it too */

/* values[0..n) of a float64 tensor to the host and back, through its device */
static lt_status stats_to_host(lt_ctx *ctx, const lt_tensor *t, double *buf, int64_t n) {
    return ltr_tensor_to_host(ctx, t, buf, (size_t)n * sizeof *buf);
}
static void stats_to_device(lt_tensor *t, const double *buf, int64_t n) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    dev->copy_h2d(self, t->data, buf, (size_t)n * sizeof *buf);
}

/* values[0..n) summed over the ranks through the context's SyncBatchNorm hook */
static lt_status sync_sum(lt_ctx *ctx, double *values, int64_t n) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (c->bn_sync_sum(c->bn_sync_arg, ctx, values, n) == LT_OK) return LT_OK;
    char msg[900] = "";
    ltr_ctx_take_error(c, msg, sizeof msg);
    return ltr_fail(ctx, "SyncBatchNorm: adding the statistics over the ranks failed: %s",
                    msg[0] ? msg : "no message");
}

/* SyncBatchNorm.backward (torch/nn/modules/_functions.py): the per-channel sum_dy and
 * sum_dy_xmu of this rank's part, all-reduced, divided by the global count */
static lt_status sync_norm_backward(lt_ctx *ctx, ltr_node *n, lt_tensor *gx) {
    norm_saved *s = n->saved;
    int64_t two_c = 2 * s->c;
    lt_tensor *sums = ltr_empty_on(ctx, gx->device, LT_FLOAT64, 1, &two_c);
    double *host = ltr_scratch(ctx, (size_t)two_c * sizeof *host);
    if (!sums || !host) return LT_ERROR;
    const ltr_accel *acc = ltr_accel_of(gx);
    acc->norm_backward_reduce(n->out, n->out->grad, s->outer, s->c, s->inner, sums);
    if (stats_to_host(ctx, sums, host, two_c) || sync_sum(ctx, host, two_c)) return LT_ERROR;
    stats_to_device(sums, host, two_c);
    acc->norm_backward_elemt(n->out, n->out->grad, s->outer, s->c, s->inner, s->invstd, sums,
                             s->sync_count, gx);
    return LT_OK;
}

static lt_status norm_backward(lt_ctx *ctx, ltr_node *n) {
    norm_saved *s = n->saved;
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    if (s->sync_count > 0) {
        if (sync_norm_backward(ctx, n, gx)) return LT_ERROR;
    } else {
        ltr_accel_of(gx)->norm_backward(n->out, n->out->grad, s->outer, s->c, s->inner,
                                        s->invstd, s->batch_stats, gx);
    }
    return ltr_accumulate_grad_owned(ctx, n->in[0], gx);
}

/* SyncBatchNorm.forward's statistics (batch_norm_gather_stats_with_counts): this rank's
 * per-channel mean and biased var over its `count` elements become the global batch's,
 * merged as Chan's parallel formula: the global mean from every rank's count * mean,
 * then the global var from every rank's count * (var + (mean - global mean)^2), both
 * summed over the ranks in double. *global_count: the elements a channel has in all. */
static lt_status sync_stats(lt_ctx *ctx, lt_tensor *mean, lt_tensor *var, int64_t c,
                            int64_t count, double *global_count) {
    double *m = ltr_scratch(ctx, (size_t)(c + 1) * sizeof *m);
    double *v = ltr_scratch(ctx, (size_t)c * sizeof *v);
    double *buf = ltr_scratch(ctx, (size_t)(c + 1) * sizeof *buf);
    if (!m || !v || !buf || stats_to_host(ctx, mean, m, c) || stats_to_host(ctx, var, v, c))
        return LT_ERROR;
    for (int64_t j = 0; j < c; j++) buf[j] = (double)count * m[j];
    buf[c] = (double)count;
    if (sync_sum(ctx, buf, c + 1)) return LT_ERROR;
    double total = buf[c];
    for (int64_t j = 0; j < c; j++) {
        double gm = total > 0 ? buf[j] / total : 0, d = m[j] - gm;
        m[j] = gm;
        buf[j] = (double)count * (v[j] + d * d);
    }
    if (sync_sum(ctx, buf, c)) return LT_ERROR;
    for (int64_t j = 0; j < c; j++) v[j] = total > 0 ? buf[j] / total : 0;
    stats_to_device(mean, m, c);
    stats_to_device(var, v, c);
    *global_count = total;
    return LT_OK;
}

/* The three normalisations' one path: xhat = (x - mean) * invstd over the [outer, c, inner]
 * view of x (made contiguous), with float64 statistics [c] in the arena on x's device.
 * batch_stats: they are x's own (norm_stats), and running_mean/var (either may be NULL:
 * batch norm in training) are updated from them; else they are running_mean/var's (batch
 * norm in eval). The node saves invstd for norm_backward. */
static lt_tensor *normalize(lt_ctx *ctx, const char *op, const lt_tensor *x, int64_t outer,
                            int64_t c, int64_t inner, double eps, bool batch_stats,
                            lt_tensor *running_mean, lt_tensor *running_var, double momentum,
                            bool sync) {
    x = ltr_contiguous(ctx, x);
    lt_tensor *mean = x ? ltr_empty_on(ctx, x->device, LT_FLOAT64, 1, &c) : NULL;
    lt_tensor *var = x ? ltr_empty_on(ctx, x->device, LT_FLOAT64, 1, &c) : NULL;
    if (!mean || !var) return NULL;
    const ltr_accel *acc = ltr_accel_of(x);
    double sync_count = 0;
    if (batch_stats) {
        acc->norm_stats(x, outer, c, inner, mean, var);
        int64_t m = outer * inner;
        if (sync) {
            if (sync_stats(ctx, mean, var, c, outer * inner, &sync_count)) return NULL;
            if (sync_count <= 1) {
                char sh[96];
                ltr_fail(ctx, "lt_batch_norm (SyncBatchNorm): expected more than 1 value per "
                              "channel when training over all ranks, got %g (this rank's "
                              "input %s)", sync_count, ltr_shape_str(x, sh, sizeof sh));
                return NULL;
            }
            m = (int64_t)sync_count;
        }
        /* running = (1 - momentum) * running + momentum * batch; running_var gets the
         * unbiased variance (ATen's batch_norm_cpu_update_stats; SyncBatchNorm: the
         * global batch's, over its count) */
        if (running_mean || running_var)
            acc->norm_running_update(running_mean, running_var, mean, var, momentum, m);
    } else {
        acc->convert(running_mean, mean);
        acc->convert(running_var, var);
    }
    acc->norm_invstd(var, eps); /* var now holds invstd */
    lt_tensor *y = ltr_empty_like(ctx, x);
    if (!y) return NULL;
    acc->norm_apply(x, outer, c, inner, mean, var, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, op, y, norm_backward, 1, in);
    if (n) {
        norm_saved *sv = ltr_scratch(ctx, sizeof *sv);
        if (!sv) return NULL;
        /* var holds invstd */
        *sv = (norm_saved){var, outer, c, inner, batch_stats, mean, sync_count};
        n->saved = sv;
    }
    return y;
}

/* y * weight + bias with weight/bias [c] seen as [c, 1, ..., 1] against y's dims from
 * `dim` on (batch/group norm), or as they are (layer norm: right-aligned). */
static lt_tensor *affine(lt_ctx *ctx, lt_tensor *y, const lt_tensor *w, const lt_tensor *b,
                         int trailing_ones) {
    int64_t shape[LT_MAX_DIMS];
    const lt_tensor *p[2] = {w, b};
    for (int k = 0; k < 2 && y; k++) {
        if (!p[k]) continue;
        const lt_tensor *v = p[k];
        if (trailing_ones > 0) {
            shape[0] = ltr_numel(v);
            for (int d = 1; d <= trailing_ones; d++) shape[d] = 1;
            v = ltr_reshape(ctx, v, trailing_ones + 1, shape);
        }
        y = k == 0 ? ltr_mul(ctx, y, v) : ltr_add(ctx, y, v);
    }
    return y;
}

static bool check_vec(lt_ctx *ctx, const char *op, const char *what, const lt_tensor *v,
                      const lt_tensor *x, int64_t c) {
    if (!v) return true;
    if (!ltr_check_float(ctx, op, v) || !ltr_check_same(ctx, op, x, v)) return false;
    if (v->ndim != 1 || v->shape[0] != c) {
        char s[96];
        ltr_fail(ctx, "%s: %s must have shape [%lld], got %s", op, what, (long long)c,
                 ltr_shape_str(v, s, sizeof s));
        return false;
    }
    return true;
}

/* F.batch_norm; sync: SyncBatchNorm's global statistics (training only) */
static lt_tensor *batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                             lt_tensor *running_var, const lt_tensor *weight,
                             const lt_tensor *bias, bool training, double momentum, double eps,
                             bool sync) {
    const char *op = "lt_batch_norm";
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    if (x->ndim < 2) {
        char s[96];
        ltr_fail(ctx, "%s: input must be [N, C, *] (at least 2 dimensions), got %s", op,
                 ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    int64_t nb = x->shape[0], c = x->shape[1], inner = 1;
    for (int d = 2; d < x->ndim; d++) inner *= x->shape[d];
    if (!check_vec(ctx, op, "weight", weight, x, c) || !check_vec(ctx, op, "bias", bias, x, c) ||
        !check_vec(ctx, op, "running_mean", running_mean, x, c) ||
        !check_vec(ctx, op, "running_var", running_var, x, c))
        return NULL;
    if (!training && (!running_mean || !running_var)) {
        ltr_fail(ctx, "%s: running_mean and running_var are required in eval mode", op);
        return NULL;
    }
    if ((running_mean && !ltr_is_contiguous(running_mean)) ||
        (running_var && !ltr_is_contiguous(running_var))) {
        ltr_fail(ctx, "%s: running statistics must be contiguous", op);
        return NULL;
    }
    if (sync && !ltr_accel_supports_op(ltr_accel_of(x), LTR_OP_NORM_BACKWARD_ELEMT)) {
        ltr_fail(ctx, "%s: SyncBatchNorm (--trainer.sync_batchnorm) needs the device's "
                      "norm_backward_reduce/_elemt kernels, which this accelerator lacks", op);
        return NULL;
    }
    /* SyncBatchNorm checks the count over all ranks instead (normalize) */
    if (training && !sync && nb * inner <= 1) {
        char s[96];
        /* torch: "Expected more than 1 value per channel when training" */
        ltr_fail(ctx, "%s: expected more than 1 value per channel when training, got input %s",
                 op, ltr_shape_str(x, s, sizeof s));
        return NULL;
    }
    lt_tensor *y = normalize(ctx, "batch_norm", x, nb, c, inner, eps, training, running_mean,
                             running_var, momentum, sync && training);
    return affine(ctx, y, weight, bias, x->ndim - 2);
}

lt_tensor *ltr_batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                          lt_tensor *running_var, const lt_tensor *weight, const lt_tensor *bias,
                          bool training, double momentum, double eps) {
    return batch_norm(ctx, x, running_mean, running_var, weight, bias, training, momentum, eps,
                      false);
}

lt_tensor *ltr_sync_batch_norm(lt_ctx *ctx, const lt_tensor *x, lt_tensor *running_mean,
                               lt_tensor *running_var, const lt_tensor *weight,
                               const lt_tensor *bias, double momentum, double eps) {
    if (!ltr_ctx_of(ctx)->bn_sync_sum) {
        ltr_fail(ctx, "lt_batch_norm (SyncBatchNorm): no process group to synchronise over");
        return NULL;
    }
    return batch_norm(ctx, x, running_mean, running_var, weight, bias, true, momentum, eps,
                      true);
}

lt_tensor *ltr_layer_norm(lt_ctx *ctx, const lt_tensor *x, int normalized_ndim,
                          const lt_tensor *weight, const lt_tensor *bias, double eps) {
    const char *op = "lt_layer_norm";
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    char s1[96], s2[96];
    if (normalized_ndim < 1 || normalized_ndim > x->ndim) {
        ltr_fail(ctx, "%s: normalized_ndim %d out of range for input %s", op, normalized_ndim,
                 ltr_shape_str(x, s1, sizeof s1));
        return NULL;
    }
    int first = x->ndim - normalized_ndim;
    int64_t rows = 1, k = 1;
    for (int d = 0; d < first; d++) rows *= x->shape[d];
    for (int d = first; d < x->ndim; d++) k *= x->shape[d];
    const lt_tensor *p[2] = {weight, bias};
    for (int i = 0; i < 2; i++) {
        if (!p[i]) continue;
        if (!ltr_check_float(ctx, op, p[i]) || !ltr_check_same(ctx, op, x, p[i])) return NULL;
        bool ok = p[i]->ndim == normalized_ndim;
        for (int d = 0; ok && d < normalized_ndim; d++) ok = p[i]->shape[d] == x->shape[first + d];
        if (!ok) {
            ltr_fail(ctx, "%s: %s of shape %s does not match the last %d dimensions of input %s",
                     op, i ? "bias" : "weight", ltr_shape_str(p[i], s1, sizeof s1),
                     normalized_ndim, ltr_shape_str(x, s2, sizeof s2));
            return NULL;
        }
    }
    lt_tensor *y = normalize(ctx, "layer_norm", x, 1, rows, k, eps, true, NULL, NULL, 0, false);
    return affine(ctx, y, weight, bias, 0);
}

lt_tensor *ltr_group_norm(lt_ctx *ctx, const lt_tensor *x, int64_t num_groups,
                          const lt_tensor *weight, const lt_tensor *bias, double eps) {
    const char *op = "lt_group_norm";
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    char s[96];
    if (x->ndim < 2 || num_groups < 1 || x->shape[1] % num_groups) {
        ltr_fail(ctx, "%s: input %s must be [N, C, *] with C divisible by num_groups %lld", op,
                 ltr_shape_str(x, s, sizeof s), (long long)num_groups);
        return NULL;
    }
    int64_t c = x->shape[1], inner = 1;
    for (int d = 2; d < x->ndim; d++) inner *= x->shape[d];
    if (!check_vec(ctx, op, "weight", weight, x, c) || !check_vec(ctx, op, "bias", bias, x, c))
        return NULL;
    int64_t rows = x->shape[0] * num_groups, k = c / num_groups * inner;
    lt_tensor *y = normalize(ctx, "group_norm", x, 1, rows, k, eps, true, NULL, NULL, 0, false);
    return affine(ctx, y, weight, bias, x->ndim - 2);
}

/* F.dropout: keep each element with probability 1 - p, scaled by 1/(1 - p); the mask
 * comes from ctx->rng in element order. Eval or p == 0: x itself. p == 1: zeros. */
lt_tensor *ltr_dropout(lt_ctx *ctx, const lt_tensor *x, double p, bool training) {
    const char *op = "lt_dropout";
    if (!x || !ltr_check_float(ctx, op, x)) return NULL;
    if (!(p >= 0 && p <= 1)) {
        ltr_fail(ctx, "%s: dropout probability has to be between 0 and 1, but got %g", op, p);
        return NULL;
    }
    if (!training || p == 0) return (lt_tensor *)x;
    ltr_rng *r = ltr_ctx_of(ctx)->rng;
    if (!r) {
        ltr_fail(ctx, "%s: no random generator in this context", op);
        return NULL;
    }
    lt_tensor *mask = ltr_empty(ctx, x->dtype, x->ndim, x->shape);
    if (!mask) return NULL;
    /* the mask drawn on x's device (rng_fill), applied by the multiply */
    const double arg[2] = {p, p < 1 ? 1.0 / (1.0 - p) : 0.0};
    ltr_accel_of(mask)->rng_fill(LTR_RNG_DROPOUT, mask, arg, r);
    return ltr_mul(ctx, x, mask);
}

static lt_status embedding_backward(lt_ctx *ctx, ltr_node *n) {
    const lt_tensor *w = n->in[0];
    lt_tensor *gw = ltr_zeros_like(ctx, w);
    if (!gw) return LT_ERROR;
    ltr_accel_of(gw)->embedding_backward(n->out->grad, n->saved, n->iarg[0], n->iarg[1], gw);
    return ltr_accumulate_grad_owned(ctx, w, gw);
}

/* F.embedding(indices, weight, padding_idx): out = indices.shape + [D]; the gradient
 * index-adds rows of the output's gradient into weight's, none into padding_idx. */
lt_tensor *ltr_embedding(lt_ctx *ctx, const lt_tensor *weight, const lt_tensor *indices,
                         int64_t padding_idx) {
    const char *op = "lt_embedding";
    if (!weight || !indices || !ltr_check_float(ctx, op, weight)) return NULL;
    char s[96];
    if (weight->ndim != 2) {
        ltr_fail(ctx, "%s: weight must be [num_embeddings, embedding_dim], got %s", op,
                 ltr_shape_str(weight, s, sizeof s));
        return NULL;
    }
    if (indices->dtype != LT_INT64) {
        ltr_fail(ctx, "%s: indices must be int64, got %s", op, ltr_dtype_name(indices->dtype));
        return NULL;
    }
    if (indices->ndim + 1 > LT_MAX_DIMS) {
        ltr_fail(ctx, "%s: indices have too many dimensions (%d)", op, indices->ndim);
        return NULL;
    }
    int64_t v = weight->shape[0], d = weight->shape[1];
    if (padding_idx < -1 || padding_idx >= v) {
        ltr_fail(ctx, "%s: padding_idx %lld must be within num_embeddings %lld (-1: none)", op,
                 (long long)padding_idx, (long long)v);
        return NULL;
    }
    indices = ltr_contiguous(ctx, indices);
    weight = indices ? ltr_contiguous(ctx, weight) : NULL;
    if (!weight) return NULL;
    int64_t n = ltr_numel(indices);
    const int64_t *idx = indices->data; /* device memory: the kernels read it */
    int64_t bad = ltr_first_out_of_range(ctx, indices, 0, (double)(v - 1), false, 0);
    if (bad == -2) return NULL;
    if (bad >= 0) { /* torch: "IndexError: index out of range in self" */
        ltr_fail(ctx, "%s: index %lld out of range for %lld embeddings", op,
                 (long long)ltr_fetch(indices, bad), (long long)v);
        return NULL;
    }
    int64_t shape[LT_MAX_DIMS];
    memcpy(shape, indices->shape, (size_t)indices->ndim * sizeof *shape);
    shape[indices->ndim] = d;
    lt_tensor *y = ltr_empty(ctx, weight->dtype, indices->ndim + 1, shape);
    if (!y) return NULL;
    ltr_accel_of(weight)->embedding(weight, idx, n, y);
    const lt_tensor *in[1] = {weight};
    ltr_node *node = ltr_record(ctx, "embedding", y, embedding_backward, 1, in);
    if (node) {
        node->saved = (void *)idx; /* arena or the caller's indices, alive for the step */
        node->iarg[0] = n;
        node->iarg[1] = padding_idx;
    }
    return y;
}
