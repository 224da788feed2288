/* host_api.c — the lt_host_api table: every service a plugin can reach. */
#include "cli/hparams.h"
#include "core/context.h"
#include "data/dataloader.h"
#include "optim/optimizer.h"
#include "tensor/ops.h"
#include "tensor/metrics.h"
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

/* self.log(name, torchmetrics_metric): the step value is the last update's; the trainer
 * takes the epoch value from the object and resets it (results.c) */
static void api_log_metric(lt_ctx *c, const char *name, lt_metric *m, unsigned flags) {
    if (!m) {
        ltr_fail(c, "lt_log_metric('%s'): metric is NULL", name ? name : "");
        return;
    }
    if (!ltr_metric_scalar(m)) {
        ltr_fail(c, "lt_log_metric('%s'): a confusion matrix is not a scalar; log its entries",
                 name ? name : "");
        return;
    }
    ltr_ctx *ctx = ltr_ctx_of(c);
    ctx->log_metric = m;
    api_log_value(c, name, ltr_metric_batch_value(m), flags);
    ctx->log_metric = NULL;
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
    /* ABI 1.3: losses and metrics */
    .mse_loss = ltr_mse_loss,
    .l1_loss = ltr_l1_loss,
    .smooth_l1_loss = ltr_smooth_l1_loss,
    .huber_loss = ltr_huber_loss,
    .binary_cross_entropy = ltr_binary_cross_entropy,
    .binary_cross_entropy_with_logits = ltr_binary_cross_entropy_with_logits,
    .kl_div = ltr_kl_div,
    .cross_entropy_ex = ltr_cross_entropy_ex,
    .nll_loss = ltr_nll_loss,
    .accuracy_topk = ltr_accuracy_topk,
    .precision = ltr_precision,
    .recall = ltr_recall,
    .f1_score = ltr_f1_score,
    .confusion_matrix = ltr_confusion_matrix,
    .mean_absolute_error = ltr_mean_absolute_error,
    .mean_squared_error = ltr_mean_squared_error,
    .metric_new = ltr_metric_new,
    .metric_update = ltr_metric_update,
    .metric_compute = ltr_metric_compute,
    .metric_reset = ltr_metric_reset,
    .log_metric = api_log_metric,
};

const lt_host_api *ltr_host_api(void) { return &host_api; }
