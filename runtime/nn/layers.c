/*
 * layers.c — nn.BatchNormNd, nn.LayerNorm, nn.GroupNorm, nn.Embedding: their
 * parameters/buffers with torch's reset_parameters values, and BatchNorm's forward
 * (train: batch statistics, running-stat update, num_batches_tracked += 1; eval:
 * running statistics), as torch.nn.modules.batchnorm._BatchNorm.forward; with the
 * context's SyncBatchNorm hook set (--trainer.sync_batchnorm over several ranks) the
 * training forward is torch.nn.SyncBatchNorm's, statistics over the global batch.
 */
#include "tensor/ops.h"
#include "accelerators/accelerator.h"
#include "accelerators/registry.h"
#include "nn/nn.h"
#include "tensor/tensor.h"

#include <stdio.h>

static lt_tensor *named(lt_ctx *ctx, bool buffer, const char *name, const char *suffix,
                        lt_dtype dt, int ndim, const int64_t *shape, double fill) {
    char pname[512];
    snprintf(pname, sizeof pname, "%s.%s", name, suffix);
    lt_tensor *t = buffer ? ltr_buffer(ctx, pname, dt, ndim, shape)
                          : ltr_param(ctx, pname, dt, ndim, shape);
    if (t && fill != 0) ltr_init_constant(ctx, t, fill);
    return t;
}

/* `type`: the class name the model summary shows (static) */
static lt_status batchnorm_init(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                int64_t num_features, const lt_batchnorm_options *opt,
                                const char *type) {
    if (!l || !name) return ltr_fail(ctx, "lt_batchnorm_init: layer and name are required");
    if (num_features <= 0)
        return ltr_fail(ctx, "lt_batchnorm_init('%s'): num_features must be > 0, got %lld", name,
                        (long long)num_features);
    *l = (lt_batchnorm_layer){0};
    l->opt = opt ? *opt : LT_BATCHNORM_DEFAULTS;
    l->num_features = num_features;
    /* sync_batchnorm over several ranks: Lightning's summary shows the converted
     * layers (SyncBatchNorm.convert_sync_batchnorm) */
    if (ltr_ctx_of(ctx)->bn_sync_sum) type = "SyncBatchNorm";
    ltr_param_store_note_module(ctx, name, type); /* model summary */
    int64_t c[1] = {num_features};
    if (l->opt.affine) {
        if (!(l->weight = named(ctx, false, name, "weight", LT_FLOAT32, 1, c, 1.0))) return LT_ERROR;
        if (!(l->bias = named(ctx, false, name, "bias", LT_FLOAT32, 1, c, 0.0))) return LT_ERROR;
    }
    if (l->opt.track_running_stats) {
        if (!(l->running_mean = named(ctx, true, name, "running_mean", LT_FLOAT32, 1, c, 0.0)) ||
            !(l->running_var = named(ctx, true, name, "running_var", LT_FLOAT32, 1, c, 1.0)) ||
            !(l->num_batches_tracked =
                  named(ctx, true, name, "num_batches_tracked", LT_INT64, 0, c, 0.0)))
            return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_batchnorm_init(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                             int64_t num_features, const lt_batchnorm_options *opt) {
    return batchnorm_init(ctx, l, name, num_features, opt, "BatchNorm");
}

lt_status ltr_batchnorm_init_nd(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                int64_t num_features, const lt_batchnorm_options *opt, int dims) {
    static const char *const types[] = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d"};
    if (dims < 1 || dims > 3)
        return ltr_fail(ctx, "lt_batchnorm_init_nd('%s'): dims must be 1, 2 or 3, got %d",
                        name ? name : "", dims);
    return batchnorm_init(ctx, l, name, num_features, opt, types[dims - 1]);
}

lt_tensor *ltr_batchnorm_forward(lt_ctx *ctx, lt_batchnorm_layer *l, const lt_tensor *x) {
    if (!l || !x) return NULL;
    bool training = ctx->training;
    double momentum = l->opt.momentum;
    if (training && l->num_batches_tracked) {
        ltr_kernels_of(l->num_batches_tracked)->count_add(l->num_batches_tracked, 1);
        /* momentum=None: cumulative average, the one case the host reads the count */
        if (momentum < 0 || ltr_ctx_of(ctx)->bn_cumulative) /* update_bn.c */
            momentum = 1.0 / ltr_fetch(l->num_batches_tracked, 0);
    }
    /* torch: bn_training = training or running stats are None */
    bool use_batch = training || !l->running_mean;
    /* SyncBatchNorm.forward: need_sync = bn_training and self.training (and a process
     * group of more than one rank: the trainer sets the hook only then) */
    if (training && ltr_ctx_of(ctx)->bn_sync_sum)
        return ltr_sync_batch_norm(ctx, x, l->running_mean, l->running_var, l->weight, l->bias,
                                   momentum, l->opt.eps);
    return ltr_batch_norm(ctx, x, use_batch && !training ? NULL : l->running_mean,
                          use_batch && !training ? NULL : l->running_var, l->weight, l->bias,
                          use_batch, momentum, l->opt.eps);
}

lt_status ltr_layernorm_init(lt_ctx *ctx, lt_layernorm_layer *l, const char *name, int ndim,
                             const int64_t *shape, double eps, bool affine) {
    if (!l || !name || !shape) return ltr_fail(ctx, "lt_layernorm_init: layer, name and shape are required");
    if (ndim < 1 || ndim > LT_MAX_DIMS)
        return ltr_fail(ctx, "lt_layernorm_init('%s'): normalized_shape needs 1 to %d dims, got %d",
                        name, LT_MAX_DIMS, ndim);
    *l = (lt_layernorm_layer){.normalized_ndim = ndim, .eps = eps};
    ltr_param_store_note_module(ctx, name, "LayerNorm"); /* model summary */
    if (affine) {
        if (!(l->weight = named(ctx, false, name, "weight", LT_FLOAT32, ndim, shape, 1.0)) ||
            !(l->bias = named(ctx, false, name, "bias", LT_FLOAT32, ndim, shape, 0.0)))
            return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_groupnorm_init(lt_ctx *ctx, lt_groupnorm_layer *l, const char *name,
                             int64_t num_groups, int64_t num_channels, double eps, bool affine) {
    if (!l || !name) return ltr_fail(ctx, "lt_groupnorm_init: layer and name are required");
    if (num_groups < 1 || num_channels < 1 || num_channels % num_groups)
        return ltr_fail(ctx, "lt_groupnorm_init('%s'): num_channels %lld must be divisible by "
                             "num_groups %lld (both > 0)", name, (long long)num_channels,
                        (long long)num_groups);
    *l = (lt_groupnorm_layer){.num_groups = num_groups, .eps = eps};
    ltr_param_store_note_module(ctx, name, "GroupNorm"); /* model summary */
    int64_t c[1] = {num_channels};
    if (affine) {
        if (!(l->weight = named(ctx, false, name, "weight", LT_FLOAT32, 1, c, 1.0)) ||
            !(l->bias = named(ctx, false, name, "bias", LT_FLOAT32, 1, c, 0.0)))
            return LT_ERROR;
    }
    return LT_OK;
}

lt_status ltr_embedding_init(lt_ctx *ctx, lt_embedding_layer *l, const char *name,
                             int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx) {
    if (!l || !name) return ltr_fail(ctx, "lt_embedding_init: layer and name are required");
    if (num_embeddings <= 0 || embedding_dim <= 0)
        return ltr_fail(ctx, "lt_embedding_init('%s'): num_embeddings and embedding_dim must be > 0",
                        name);
    /* torch: a negative padding_idx counts from the end; -1 here means none */
    if (padding_idx < -1 || padding_idx >= num_embeddings)
        return ltr_fail(ctx, "lt_embedding_init('%s'): padding_idx %lld must be within "
                             "num_embeddings %lld (-1: none)", name, (long long)padding_idx,
                        (long long)num_embeddings);
    *l = (lt_embedding_layer){.padding_idx = padding_idx};
    ltr_param_store_note_module(ctx, name, "Embedding"); /* model summary */
    int64_t s[2] = {num_embeddings, embedding_dim};
    char pname[512];
    snprintf(pname, sizeof pname, "%s.weight", name);
    if (!(l->weight = ltr_param(ctx, pname, LT_FLOAT32, 2, s))) return LT_ERROR;
    ltr_init_normal(ctx, l->weight, 0.0, 1.0); /* reset_parameters: normal_ then zero the pad row */
    if (padding_idx >= 0) { /* the pad row's float32 zeros are zero bytes */
        void *self;
        const ltr_device_ops *dev = ltr_device_of(l->weight->device, &self);
        dev->memset(self, (float *)l->weight->data + padding_idx * embedding_dim, 0,
                    (size_t)embedding_dim * sizeof(float));
    }
    return ltr_ctx_of(ctx)->failed ? LT_ERROR : LT_OK;
}
