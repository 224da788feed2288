/*
 * single_device.c — the built-in strategy (Lightning's SingleDeviceStrategy): everything
 * on one device in one process, collectives are identities, global rank 0 writes.
 *
 * setup_environment picks the device (the context's, the registry's default) and fixes its
 * thread count through the device (the CPU's: OpenBLAS's and OpenMP's pools, created lazily
 * by the first GEMM or parallel region, so setting them here — before the signal thread,
 * any loader and any compute — gives every later thread the same count).
 */
#include "strategy/single_device.h"

#include "accelerators/registry.h"
#include "optim/optimizer.h"
#include "precision/precision.h"
#include "tensor/autograd.h"
#include "tensor/tensor.h"

#include <string.h>

static lt_status sd_setup_environment(ltr_strategy *s, lt_ctx *ctx) {
    s->rank = s->local_rank = s->node_rank = 0;
    s->world_size = 1;
    s->device = ltr_ctx_of(ctx)->device;
    if (s->num_threads > 0) {
        void *self;
        ltr_device_of(s->device, &self)->set_threads(self, (int)s->num_threads);
    }
    return LT_OK;
}

/* strategy.setup: the module's dtype (precision.convert_module); the parameters are on
 * the CPU already */
static lt_status sd_setup(ltr_strategy *s, lt_ctx *ctx) {
    return ltr_precision_convert_module(s->precision, ctx);
}

static void sd_teardown(ltr_strategy *s, lt_ctx *ctx) { (void)s, (void)ctx; }

static lt_status sd_batch_to_device(ltr_strategy *s, lt_ctx *ctx, lt_batch *batch) {
    (void)s, (void)ctx, (void)batch; /* the loader's tensors are on the CPU already */
    return LT_OK;
}

static lt_status plain_backward(void *arg, lt_ctx *ctx, lt_tensor *loss) {
    (void)arg;
    return ltr_backward(ctx, loss);
}

/* precision.pre_backward, LightningModule.backward (through the precision), post_backward */
static lt_status sd_backward(ltr_strategy *s, lt_ctx *ctx, lt_tensor *loss) {
    return ltr_precision_run_backward(s->precision, ctx, loss,
                                      s->module_backward ? s->module_backward : plain_backward,
                                      s->module_backward_arg);
}

static lt_status sd_optimizer_step(ltr_strategy *s, lt_ctx *ctx, lt_optimizer *opt) {
    return ltr_precision_optimizer_step(s->precision, ctx, opt, ltr_optimizer_step);
}

static lt_status sd_reduce(ltr_strategy *s, lt_ctx *ctx, double *values, int64_t n,
                           ltr_collective_op op) {
    (void)s, (void)ctx, (void)values, (void)n, (void)op; /* one rank: every op is identity */
    return LT_OK;
}

/* one rank: its own decision is everyone's, for all and any alike */
static lt_status sd_reduce_bool(ltr_strategy *s, lt_ctx *ctx, bool *decision, bool all) {
    (void)s, (void)ctx, (void)decision, (void)all;
    return LT_OK;
}

static lt_status sd_barrier(ltr_strategy *s, lt_ctx *ctx, const char *name) {
    (void)s, (void)ctx, (void)name;
    return LT_OK;
}

static lt_status sd_broadcast(ltr_strategy *s, lt_ctx *ctx, void *buf, size_t bytes, int64_t src) {
    (void)s, (void)buf, (void)bytes;
    if (src != 0)
        return ltr_fail(ctx, "broadcast: source rank %lld does not exist (world size 1)",
                        (long long)src);
    return LT_OK;
}

static lt_status sd_all_gather(ltr_strategy *s, lt_ctx *ctx, const lt_tensor *x, lt_tensor *out) {
    (void)s;
    if (!x || !out || out->dtype != x->dtype || ltr_numel(out) != ltr_numel(x) ||
        !ltr_is_contiguous(out))
        return ltr_fail(ctx, "all_gather: out must be a contiguous [1, *x.shape] tensor of x's "
                             "dtype");
    const lt_tensor *src = ltr_contiguous(ctx, x);
    if (!src) return LT_ERROR;
    memcpy(out->data, src->data, (size_t)ltr_numel(x) * ltr_dtype_size(x->dtype));
    return LT_OK;
}

static lt_status sd_save_checkpoint(ltr_strategy *s, lt_ctx *ctx, const char *path,
                                    lt_status (*write)(void *arg, const char *path), void *arg) {
    (void)ctx;
    return ltr_strategy_is_global_zero(s) ? write(arg, path) : LT_OK;
}

/* one process: nobody else to tell */
static void sd_on_exception(ltr_strategy *s, lt_ctx *ctx, const char *message) {
    (void)s, (void)ctx, (void)message;
}

const ltr_strategy_ops ltr_single_device_ops = {
    .name = "single_device",
    .setup_environment = sd_setup_environment,
    .setup = sd_setup,
    .teardown = sd_teardown,
    .batch_to_device = sd_batch_to_device,
    .backward = sd_backward,
    .optimizer_step = sd_optimizer_step,
    .reduce = sd_reduce,
    .reduce_bool = sd_reduce_bool,
    .barrier = sd_barrier,
    .broadcast = sd_broadcast,
    .all_gather = sd_all_gather,
    .save_checkpoint = sd_save_checkpoint,
    .on_exception = sd_on_exception,
};

void ltr_single_device_init(ltr_strategy *s, struct ltr_precision *precision, int64_t num_threads) {
    memset(s, 0, sizeof *s);
    s->ops = &ltr_single_device_ops;
    s->precision = precision;
    s->num_threads = num_threads;
    s->world_size = 1;
}
