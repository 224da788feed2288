/* ddp_module.c — the model of the ddp tests (tests/test_ddp.sh): 8-hidden-4 MLP, no
 * dropout, SGD (lr 0.1, momentum 0.9), so several ranks with batch B and one process
 * with batch world*B must reach the same weights.
 *   bn (false): a BatchNorm1d(hidden) between fc1 and the relu, for sync_batchnorm
 *   (with it, the ranks match one process only when their statistics are the global
 *   batch's).
 *   training_step logs train/loss (sync_dist, on_step and on_epoch); validation_step logs
 *   val/loss (sync_dist mean), val/count (sync_dist sum of the batch's samples) and
 *   val/max_idx (sync_dist max), so the test can compare them with one process.
 *   hidden (16), lr (0.1), manual (false): manual optimization (lt_manual_backward,
 *   one step a batch).
 * The environment, for the test's cases:
 *   DDP_SEEN=PREFIX     every train sample index a rank sees goes to PREFIX.rankR (one a
 *                       line), so the test can check each is seen once an epoch
 *   DDP_FAIL_RANK=R     rank R fails in training_step at global step DDP_FAIL_STEP (1):
 *                       DDP_FAIL_HOW=error (an lt_fail), kill (SIGKILL to itself) or
 *                       hang (sleeps, never answers a collective again) */
#include <ltrun.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    lt_linear_layer fc1, fc2;
    lt_batchnorm_layer bn;
    bool use_bn;
    double lr;
    bool manual;
    FILE *seen;
} dm;

static void *dm_create(lt_ctx *ctx, const lt_hparams *hp) {
    dm *m = lt_alloc(ctx, sizeof *m);
    int64_t hidden = lt_hp_int(ctx, hp, "hidden", 16);
    if (!m || lt_linear_init(ctx, &m->fc1, "fc1", 8, hidden) ||
        lt_linear_init(ctx, &m->fc2, "fc2", hidden, 4))
        return NULL;
    m->use_bn = lt_hp_bool(ctx, hp, "bn", false);
    if (m->use_bn && lt_batchnorm1d_init(ctx, &m->bn, "bn", hidden, NULL)) return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 0.1);
    m->manual = lt_hp_bool(ctx, hp, "manual", false);
    if (m->manual && lt_set_automatic_optimization(ctx, false)) return NULL;
    const char *seen = getenv("DDP_SEEN");
    if (seen) {
        char path[4096];
        snprintf(path, sizeof path, "%s.rank%d", seen, (int)ctx->rank);
        m->seen = fopen(path, "w");
    }
    return m;
}

static void dm_destroy(lt_ctx *ctx, void *self) {
    dm *m = self;
    if (m->seen) fclose(m->seen);
}

static lt_tensor *forward(lt_ctx *ctx, dm *m, lt_batch *b) {
    lt_tensor *h = lt_linear(ctx, &m->fc1, lt_batch_at(ctx, b, 0));
    if (m->use_bn) h = lt_batchnorm(ctx, &m->bn, h);
    return lt_linear(ctx, &m->fc2, lt_relu(ctx, h));
}

static void maybe_fail(lt_ctx *ctx) {
    const char *r = getenv("DDP_FAIL_RANK"), *st = getenv("DDP_FAIL_STEP"), *how = getenv("DDP_FAIL_HOW");
    if (!r || atoi(r) != ctx->rank || ctx->global_step != (st ? atoll(st) : 1)) return;
    if (how && !strcmp(how, "kill")) raise(SIGKILL);
    if (how && !strcmp(how, "hang"))
        for (;;) sleep(1);
    lt_fail(ctx, "failing on rank %d at step %lld as DDP_FAIL_RANK asked", (int)ctx->rank,
            (long long)ctx->global_step);
}

static lt_tensor *dm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    dm *m = self;
    maybe_fail(ctx);
    if (m->seen) {
        lt_tensor *idx = lt_batch_at(ctx, b, 2);
        const int64_t *v = lt_data(ctx, idx);
        for (int64_t k = 0; k < lt_numel(ctx, idx); k++)
            fprintf(m->seen, "%lld %lld\n", (long long)ctx->current_epoch, (long long)v[k]);
    }
    lt_tensor *loss = lt_cross_entropy(ctx, forward(ctx, m, b), lt_batch_at(ctx, b, 1));
    if (!loss) return NULL;
    lt_log_options o = LT_LOG_DEFAULTS;
    o.on_step = 1, o.on_epoch = 1, o.sync_dist = true;
    lt_log_ex(ctx, "train/loss", loss, &o);
    if (m->manual) {
        lt_optimizer *opt = lt_optimizers(ctx, 0);
        if (lt_optimizer_zero_grad(ctx, opt) || lt_manual_backward(ctx, loss) ||
            lt_optimizer_step(ctx, opt, NULL))
            return NULL;
        return NULL;
    }
    return loss;
}

static lt_status dm_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    dm *m = self;
    lt_tensor *idx = lt_batch_at(ctx, b, 2);
    lt_tensor *loss = lt_cross_entropy(ctx, forward(ctx, m, b), lt_batch_at(ctx, b, 1));
    if (!loss) return LT_ERROR;
    lt_log_options o = LT_LOG_DEFAULTS;
    o.sync_dist = true;
    lt_log_ex(ctx, "val/loss", loss, &o);
    o.reduce_fx = "sum";
    lt_log_value_ex(ctx, "val/count", (double)lt_numel(ctx, idx), &o);
    o.reduce_fx = "max";
    const int64_t *v = lt_data(ctx, idx);
    int64_t top = -1;
    for (int64_t k = 0; k < lt_numel(ctx, idx); k++) top = v[k] > top ? v[k] : top;
    lt_log_value_ex(ctx, "val/max_idx", (double)top, &o);
    return LT_OK;
}

static lt_optimizer *dm_configure_optimizers(lt_ctx *ctx, void *self) {
    dm *m = self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = m->lr;
    o.momentum = 0.9;
    return lt_sgd(ctx, &o);
}

LT_MODULE(ddp_module, .create = dm_create, .destroy = dm_destroy,
          .training_step = dm_training_step, .validation_step = dm_validation_step,
          .configure_optimizers = dm_configure_optimizers)
