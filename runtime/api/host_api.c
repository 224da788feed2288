/* host_api.c — the lt_host_api table: every service a plugin can reach. */
#include "checkpoint/checkpoint.h" /* ABI 1.4: checkpoint hooks */
#include "cli/hparams.h"
#include "core/context.h"
#include "api/host_api_log.h"
#include "data/dataloader.h"
#include "data/split.h" /* ABI 1.5: random_split */
#include "data/workers.h" /* ABI 1.5: worker_info */
#include "data/collate_fn.h" /* ABI 1.9: collate_field, default_collate */
#include "data/sample_store.h" /* ABI 1.9: sample_field */
#include "optim/configure.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"
#include "precision/autocast.h" /* the tensor ops go through torch.autocast's policy */
#include "strategy/plugin_strategy.h" /* ABI 1.7: get_extension */
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"
#include "nn/nn.h"
#include "nn/metrics.h"
#include "tensor/tensor.h"
#include "api/host_api.h"
#include "data/transforms.h"
#include "util/rng.h"
#include "util/tmpfile.h" /* ABI 1.6: tmp_create */

#include <errno.h>
#include <math.h>

static uint64_t api_seed(lt_ctx *ctx) { return ltr_ctx_of(ctx)->seed; }

static void api_log_value(lt_ctx *c, const char *name, double value, unsigned flags) {
    ltr_log_number(c, name, value, flags, ltr_ctx_of(c)->batch_size);
}

static void api_log(lt_ctx *c, const char *name, const lt_tensor *value, unsigned flags) {
    double v;
    if (ltr_log_item(c, name, value, &v)) api_log_value(c, name, v, flags);
}

static bool api_set_grad_enabled(lt_ctx *c, bool enabled) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    bool was = ctx->grad_enabled;
    ctx->grad_enabled = enabled;
    return was;
}

/* A scope is a record in the arena at the position it marks: ending it rewinds the
 * arena to before the record, freeing it with everything made after it. */
typedef struct scope_record {
    uint64_t magic;
    ltr_arena_mark mark;
    int64_t tape_size;
} scope_record;
#define SCOPE_MAGIC 0x6c7473636f706521ull

static void *api_scope_begin(lt_ctx *c) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (!ctx->arena) {
        ltr_fail(c, "lt_scope_begin: no per-step memory here");
        return NULL;
    }
    ltr_arena_mark mark = ltr_arena_get_mark(ctx->arena);
    scope_record *r = ltr_arena_alloc(ctx->arena, sizeof *r);
    if (!r) {
        ltr_fail(c, "lt_scope_begin: out of memory");
        return NULL;
    }
    *r = (scope_record){SCOPE_MAGIC, mark, ctx->tape ? ltr_tape_size(ctx->tape) : 0};
    return r;
}

static lt_status api_scope_end(lt_ctx *c, void *scope) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    scope_record *r = scope;
    if (!r || r->magic != SCOPE_MAGIC || !ctx->arena)
        return ltr_fail(c, "lt_scope_end: not a scope from lt_scope_begin (or ended twice)");
    int64_t recorded = ctx->tape ? ltr_tape_size(ctx->tape) - r->tape_size : 0;
    if (recorded > 0)
        return ltr_fail(c, "lt_scope_end: %lld ops inside the scope were recorded for backward "
                           "and still need their tensors; run the loop with "
                           "lt_set_grad_enabled(ctx, false)", (long long)recorded);
    r->magic = 0;
    ltr_arena_rewind(ctx->arena, r->mark);
    return LT_OK;
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

/* lt_tmp_create: the checkpoints' temporary files, for plugins */
static int api_tmp_create(lt_ctx *c, const char *target, char *path_out, size_t cap) {
    (void)c;
    if (!target || !path_out || !cap) {
        errno = EINVAL;
        return -1;
    }
    return ltr_tmp_create(target, path_out, cap);
}

/* The members the running trainer serves (marked "served by the trainer" below) are
 * filled in by ltr_host_api_serve, so this file names no trainer function. */
static lt_host_api host_api = {
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
    .matmul = ltr_ac_matmul,
    .linear = ltr_ac_linear,
    .add = ltr_ac_add,
    .sub = ltr_ac_sub,
    .mul = ltr_ac_mul,
    .relu = ltr_ac_relu,
    .reshape = ltr_reshape,
    .flatten = ltr_flatten,
    .sum = ltr_ac_sum,
    .mean = ltr_ac_mean,
    .log_softmax = ltr_ac_log_softmax,
    .cross_entropy = ltr_ac_cross_entropy,
    .argmax = ltr_ac_argmax,
    .accuracy = ltr_ac_accuracy,
    .batch_at = ltr_batch_at,
    .batch_size = ltr_batch_size,
    .sgd = ltr_sgd,
    .adam = ltr_adam,
    .seed = api_seed,
    .randperm = ltr_randperm,
    .conv2d = ltr_ac_conv2d,
    .max_pool2d = ltr_ac_max_pool2d,
    .conv2d_init = ltr_conv2d_init,
    .neg = ltr_ac_neg,
    .exp = ltr_ac_exp,
    .ln = ltr_ac_log,
    .sqrt = ltr_ac_sqrt,
    .abs = ltr_ac_abs,
    .sigmoid = ltr_ac_sigmoid,
    .tanh = ltr_ac_tanh,
    /* ABI 1.3: grad mode and memory scopes */
    .set_grad_enabled = api_set_grad_enabled,
    .scope_begin = api_scope_begin,
    .scope_end = api_scope_end,
    /* ABI 1.3: reductions */
    .sum_dim = ltr_ac_sum_dim,
    .mean_dim = ltr_ac_mean_dim,
    .var = ltr_ac_var,
    .std = ltr_ac_std,
    .max_dim = ltr_max_dim,
    .min_dim = ltr_min_dim,
    .max = ltr_max,
    .min = ltr_min,
    .amax = ltr_ac_amax,
    .amin = ltr_amin,
    .argmax_dim = ltr_ac_argmax_dim,
    .argmin_dim = ltr_argmin_dim,
    .logsumexp = ltr_ac_logsumexp,
    .softmax = ltr_ac_softmax,
    /* ABI 1.3: conv */
    .conv1d = ltr_ac_conv1d,
    .conv1d_init = ltr_conv1d_init,
    .conv_transpose2d = ltr_conv_transpose2d,
    .conv_transpose2d_init = ltr_conv_transpose2d_init,
    .avg_pool2d = ltr_ac_avg_pool2d,
    .max_pool2d_ex = ltr_ac_max_pool2d_ex,
    .adaptive_avg_pool2d = ltr_ac_adaptive_avg_pool2d,
    /* ABI 1.3: elementwise */
    .div = ltr_ac_div,
    .pow = ltr_pow,
    .pow_scalar = ltr_ac_pow_scalar,
    .add_scalar = ltr_ac_add_scalar,
    .mul_scalar = ltr_ac_mul_scalar,
    .clamp = ltr_ac_clamp,
    .maximum = ltr_ac_maximum,
    .minimum = ltr_ac_minimum,
    .where = ltr_where,
    .eq = ltr_eq,
    .ne = ltr_ne,
    .lt = ltr_lt,
    .le = ltr_le,
    .gt = ltr_gt,
    .ge = ltr_ge,
    .masked_fill = ltr_masked_fill,
    .leaky_relu = ltr_ac_leaky_relu,
    .gelu = ltr_ac_gelu,
    .silu = ltr_ac_silu,
    .softplus = ltr_softplus,
    .elu = ltr_elu,
    .to = ltr_to,
    .zeros = ltr_zeros_op,
    .ones = ltr_ones,
    .full = ltr_full,
    .arange = ltr_arange,
    .rand = ltr_rand,
    .randn = ltr_randn,
    /* ABI 1.3: shape */
    .transpose = ltr_transpose,
    .permute = ltr_permute,
    .squeeze = ltr_squeeze,
    .squeeze_all = ltr_squeeze_all,
    .unsqueeze = ltr_unsqueeze,
    .expand = ltr_expand,
    .narrow = ltr_narrow,
    .select = ltr_select,
    .contiguous = ltr_contiguous_op,
    .index_select = ltr_index_select,
    .cat = ltr_cat,
    .stack = ltr_stack,
    .split_tensor = ltr_split_tensor,
    .chunk = ltr_chunk,
    .bmm = ltr_ac_bmm,
    /* ABI 1.3: losses and metrics */
    .mse_loss = ltr_ac_mse_loss,
    .l1_loss = ltr_ac_l1_loss,
    .smooth_l1_loss = ltr_ac_smooth_l1_loss,
    .huber_loss = ltr_ac_huber_loss,
    .binary_cross_entropy = ltr_ac_binary_cross_entropy,
    .binary_cross_entropy_with_logits = ltr_ac_binary_cross_entropy_with_logits,
    .kl_div = ltr_ac_kl_div,
    .cross_entropy_ex = ltr_ac_cross_entropy_ex,
    .nll_loss = ltr_ac_nll_loss,
    .accuracy_topk = ltr_ac_accuracy_topk,
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
    /* ABI 1.3: nn */
    .buffer = ltr_buffer,
    .batch_norm = ltr_ac_batch_norm,
    .layer_norm = ltr_ac_layer_norm,
    .group_norm = ltr_ac_group_norm,
    .dropout = ltr_ac_dropout,
    .embedding = ltr_embedding,
    .batchnorm_init = ltr_batchnorm_init,
    .batchnorm_forward = ltr_ac_batchnorm_forward,
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
    /* ABI 1.3: attention */
    .scaled_dot_product_attention = ltr_scaled_dot_product_attention,
    /* ABI 1.4: logging, metric dicts, predict outputs (host_api_log.c) */
    .log_ex = ltr_api_log_ex,
    .log_value_ex = ltr_api_log_value_ex,
    .log_dict = ltr_api_log_dict,
    .metric_get = ltr_api_metric_get,
    .metrics_count = ltr_api_metrics_count,
    .metrics_name = ltr_api_metrics_name,
    .predict_output = ltr_api_predict_output,
    /* ABI 1.4: hooks and trainer control: served by the trainer */
    /* ABI 1.4: optimizers, param groups, LR schedulers, configure_optimizers forms */
    .adamw = ltr_adamw,
    .rmsprop = ltr_rmsprop,
    .adagrad = ltr_adagrad,
    .param_group = ltr_param_group_add,
    .group_set = ltr_group_set,
    .group_get = ltr_group_get,
    .num_param_groups = ltr_num_param_groups,
    .step_lr = ltr_step_lr,
    .multistep_lr = ltr_multistep_lr,
    .exponential_lr = ltr_exponential_lr,
    .cosine_annealing_lr = ltr_cosine_annealing_lr,
    .cosine_annealing_warm_restarts = ltr_cosine_annealing_warm_restarts,
    .one_cycle_lr = ltr_one_cycle_lr,
    .linear_lr = ltr_linear_lr,
    .constant_lr = ltr_constant_lr,
    .lambda_lr = ltr_lambda_lr,
    .sequential_lr = ltr_sequential_lr,
    .reduce_lr_on_plateau = ltr_reduce_lr_on_plateau,
    .lr_scheduler_step = ltr_lr_scheduler_step,
    .lr_scheduler_step_metric = ltr_lr_scheduler_step_metric,
    .lr_scheduler_step_epoch = ltr_lr_scheduler_step_epoch,
    .lr_scheduler_last_lr = ltr_lr_scheduler_last_lr,
    .add_optimizer = ltr_add_optimizer,
    .add_lr_scheduler = ltr_add_lr_scheduler,
    .optimizers = ltr_optimizers_at,
    .lr_schedulers = ltr_lr_schedulers_at,
    /* ABI 1.4: log_every_n_steps: served by the trainer */
    /* ABI 1.4: manual optimization (runtime/trainer/manual.c) */
    .optimizer_params = ltr_optimizer_params,
    /* ABI 1.4: checkpoints (runtime/trainer/connectors/checkpoint_path.c): served by the trainer */
    /* ABI 1.4: callbacks (runtime/trainer/callback_api.c): served by the trainer */
    /* ABI 1.4: checkpoint hooks (runtime/checkpoint/ckpt_hooks.c) */
    .ckpt_put_tensor = ltr_api_ckpt_put_tensor,
    .ckpt_put_json = ltr_api_ckpt_put_json,
    .ckpt_get_tensor = ltr_api_ckpt_get_tensor,
    .ckpt_get_json = ltr_api_ckpt_get_json,
    .ckpt_has_key = ltr_api_ckpt_has_key,
    /* ABI 1.4: model_checkpoint paths (runtime/trainer/connectors/checkpoint_path.c): served by the trainer */
    /* ABI 1.4: progress bar (runtime/trainer/summary.c): served by the trainer */
    /* ABI 1.4: swa (runtime/trainer/swa_api.c): served by the trainer */
    /* ABI 1.5: module hooks (runtime/trainer/connectors/model_callbacks.c): served by the trainer */
    /* ABI 1.5: checkpoint dir (runtime/trainer/connectors/checkpoint_dir.c): served by the trainer */
    /* ABI 1.5: update_bn (runtime/trainer/update_bn.c): served by the trainer */
    /* ABI 1.5: transforms (runtime/data/transforms.c) */
    .sample_rng = ltr_api_sample_rng,
    .rng_uniform = ltr_api_rng_uniform,
    .rng_randint = ltr_api_rng_randint,
    .tf_to_tensor = ltr_api_tf_to_tensor,
    .tf_normalize = ltr_api_tf_normalize,
    .tf_random_crop = ltr_api_tf_random_crop,
    .tf_random_hflip = ltr_api_tf_random_hflip,
    /* ABI 1.5: random_split (runtime/data/split.c) */
    .random_split = ltr_api_random_split,
    /* ABI 1.5: data loader (runtime/data/workers.c) */
    .worker_info = ltr_api_worker_info,
    /* ABI 1.6: files (util/tmpfile.h) */
    .tmp_create = api_tmp_create,
    /* ABI 1.7: the extension query (strategy/plugin_strategy.c) */
    .get_extension = ltr_api_get_extension,
    .copy_ = ltr_copy_,
    .lerp_ = ltr_lerp_,
    .tensor_to_host = ltr_tensor_to_host,
    /* ABI 1.8: gradients (runtime/trainer/grad_api.c): served by the trainer;
     * BatchNorm1d/2d/3d */
    .batchnorm_init_nd = ltr_batchnorm_init_nd,
    /* ABI 1.8 */
    .optimizer_add_param_group = ltr_optimizer_add_param_group,
    .optimizer_has_param = ltr_optimizer_has_param,
    .ckpt_put_state_dict = ltr_api_ckpt_put_state_dict,
    /* ABI 1.8: media logging (trainer/connectors/logger_media.c): served by the trainer */
    /* ABI 1.9: collectives and module hooks: served by the trainer; precision */
    .autocast = ltr_autocast_set,
    /* ABI 1.9: iterable datasets and the collate hook (runtime/data/sample_store.c,
     * collate_fn.c) */
    .sample_field = ltr_api_sample_field,
    .collate_field = ltr_api_collate_field,
    .default_collate = ltr_api_default_collate,
    .batch_nfields = ltr_batch_nfields,
};

const lt_host_api *ltr_host_api(void) { return &host_api; }

void ltr_host_api_serve(void (*fill)(lt_host_api *api)) { fill(&host_api); }
