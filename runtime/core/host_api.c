/* host_api.c — the lt_host_api table: every service a plugin can reach. */
#include "cli/hparams.h"
#include "core/context.h"
#include "data/dataloader.h"
#include "optim/optimizer.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"
#include "util/rng.h"

#include <math.h>

static uint64_t api_seed(lt_ctx *ctx) { return ltr_ctx_of(ctx)->seed; }

static void api_log_value(lt_ctx *c, const char *name, double value, unsigned flags) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (!ctx->log_sink) {
        ltr_fail(c, "lt_log('%s'): no trainer is running here", name ? name : "");
        return;
    }
    ctx->log_sink(ctx->log_sink_self, c, name, value, ctx->batch_size, flags);
}

/* Lightning: a logged tensor must have one element; it is detached and squeezed. */
static void api_log(lt_ctx *c, const char *name, const lt_tensor *value, unsigned flags) {
    if (!value) return; /* an earlier op failed and recorded why */
    if (ltr_numel(value) != 1) {
        char shape[96];
        ltr_fail(c, "lt_log('%s'): the value must have one element, got shape %s",
                 name ? name : "", ltr_shape_str(value, shape, sizeof shape));
        return;
    }
    api_log_value(c, name, ltr_item(c, value), flags);
}

static const lt_host_api host_api = {
    .size = sizeof(lt_host_api),
    .abi_major = LT_ABI_MAJOR,
    .abi_minor = LT_ABI_MINOR,
    .vfail = ltr_vfail,
    .alloc = ltr_alloc,
    .scratch = ltr_scratch,
    .hp_int = ltr_hp_int,
    .hp_float = ltr_hp_float,
    .hp_bool = ltr_hp_bool,
    .hp_str = ltr_hp_str,
    .log = api_log,
    .log_value = api_log_value,
    .tensor_new = ltr_tensor_new,
    .tensor_from = ltr_tensor_from,
    .data = ltr_data,
    .dtype = ltr_dtype,
    .ndim = ltr_ndim,
    .dim_size = ltr_dim_size,
    .numel = ltr_numel_api,
    .item = ltr_item,
    .param = ltr_param,
    .linear_init = ltr_linear_init,
    .init_uniform = ltr_init_uniform,
    .init_normal = ltr_init_normal,
    .init_constant = ltr_init_constant,
    .init_kaiming_uniform = ltr_init_kaiming_uniform,
    .matmul = ltr_matmul,
    .linear = ltr_linear,
    .add = ltr_add,
    .sub = ltr_sub,
    .mul = ltr_mul,
    .relu = ltr_relu,
    .reshape = ltr_reshape,
    .flatten = ltr_flatten,
    .sum = ltr_sum,
    .mean = ltr_mean,
    .log_softmax = ltr_log_softmax,
    .cross_entropy = ltr_cross_entropy,
    .argmax = ltr_argmax,
    .accuracy = ltr_accuracy,
    .batch_at = ltr_batch_at,
    .batch_size = ltr_batch_size,
    .sgd = ltr_sgd,
    .adam = ltr_adam,
    .seed = api_seed,
    .randperm = ltr_randperm,
    .conv2d = ltr_conv2d,
    .max_pool2d = ltr_max_pool2d,
    .conv2d_init = ltr_conv2d_init,
    .neg = ltr_neg,
    .exp = ltr_exp,
    .ln = ltr_log,
    .sqrt = ltr_sqrt,
    .abs = ltr_abs,
    .sigmoid = ltr_sigmoid,
    .tanh = ltr_tanh,
    /* ABI 1.3: nn */
    .buffer = ltr_buffer,
    .batch_norm = ltr_batch_norm,
    .layer_norm = ltr_layer_norm,
    .group_norm = ltr_group_norm,
    .dropout = ltr_dropout,
    .embedding = ltr_embedding,
    .batchnorm_init = ltr_batchnorm_init,
    .batchnorm_forward = ltr_batchnorm_forward,
    .layernorm_init = ltr_layernorm_init,
    .groupnorm_init = ltr_groupnorm_init,
    .embedding_init = ltr_embedding_init,
    .calculate_gain = ltr_calculate_gain,
    .init_xavier_uniform = ltr_init_xavier_uniform,
    .init_xavier_normal = ltr_init_xavier_normal,
    .init_kaiming_uniform_ex = ltr_init_kaiming_uniform_ex,
    .init_kaiming_normal = ltr_init_kaiming_normal,
    .init_orthogonal = ltr_init_orthogonal,
    .init_trunc_normal = ltr_init_trunc_normal,
};

const lt_host_api *ltr_host_api(void) { return &host_api; }
