/*
 * varlen_module.c — test module for padded variable-length batches (tests/test_varlen.sh):
 * nn.Embedding(9, 16, padding_idx=8) -> mean over time -> nn.Linear(16, 2). Each step
 * checks that the tokens batch is [B, max(length)] (a per-batch shape) and that every
 * position at or past a sample's length holds the pad token 8; it logs the longest
 * length seen as train/max_len (the maximum over the epoch).
 */
#define LT_PLUGIN_DESCRIPTION "embedding bag over padded sequences (test)"
#include <ltrun.h>

typedef struct vm {
    lt_embedding_layer emb;
    lt_linear_layer fc;
    int64_t shortest_batch, longest_batch; /* padded lengths seen (per-batch shapes) */
} vm;

static void *vm_create(lt_ctx *ctx, const lt_hparams *hp) {
    vm *m = lt_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    if (lt_embedding_init(ctx, &m->emb, "emb", 9, 16, 8) || lt_linear_init(ctx, &m->fc, "fc", 16, 2))
        return NULL;
    m->shortest_batch = 1 << 30;
    return m;
}

static lt_tensor *vm_forward(lt_ctx *ctx, void *self, lt_tensor *tokens) {
    vm *m = self;
    return lt_linear(ctx, &m->fc, lt_mean1(ctx, lt_embed(ctx, &m->emb, tokens), 1, false));
}

static lt_status check_padding(lt_ctx *ctx, vm *m, lt_batch *batch) {
    lt_tensor *tok = lt_batch_at(ctx, batch, 0), *len = lt_batch_at(ctx, batch, 1);
    int64_t b = lt_size(ctx, tok, 0), L = lt_size(ctx, tok, 1), maxlen = 0;
    const int64_t *t = lt_data(ctx, tok), *n = lt_data(ctx, len);
    for (int64_t i = 0; i < b; i++) {
        if (n[i] > maxlen) maxlen = n[i];
        for (int64_t k = 0; k < L; k++)
            if ((k >= n[i]) != (t[i * L + k] == 8))
                return lt_fail(ctx, "sample %lld position %lld: token %lld with length %lld",
                               (long long)i, (long long)k, (long long)t[i * L + k], (long long)n[i]);
    }
    if (L != maxlen)
        return lt_fail(ctx, "tokens batch is [%lld, %lld] but its longest sample has %lld",
                       (long long)b, (long long)L, (long long)maxlen);
    if (L < m->shortest_batch) m->shortest_batch = L;
    if (L > m->longest_batch) m->longest_batch = L;
    return LT_OK;
}

static lt_tensor *vm_training_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    vm *m = self;
    if (check_padding(ctx, m, batch) != LT_OK) return NULL;
    lt_tensor *loss = lt_cross_entropy(ctx, vm_forward(ctx, self, lt_batch_at(ctx, batch, 0)),
                                       lt_batch_at(ctx, batch, 2));
    lt_log(ctx, "train/loss", loss, LT_ON_STEP | LT_ON_EPOCH);
    return loss;
}

static lt_status vm_validation_step(lt_ctx *ctx, void *self, lt_batch *batch, int64_t i) {
    vm *m = self;
    if (check_padding(ctx, m, batch) != LT_OK) return LT_ERROR;
    lt_tensor *logits = vm_forward(ctx, self, lt_batch_at(ctx, batch, 0));
    lt_tensor *y = lt_batch_at(ctx, batch, 2);
    lt_log(ctx, "val/loss", lt_cross_entropy(ctx, logits, y), LT_ON_EPOCH);
    lt_log(ctx, "val/acc", lt_accuracy(ctx, logits, y), LT_ON_EPOCH);
    return LT_OK;
}

static lt_status vm_on_train_epoch_end(lt_ctx *ctx, void *self) {
    vm *m = self;
    /* the padded length differs between batches: per-batch shapes */
    lt_log_value(ctx, "train/batch_len_spread", (double)(m->longest_batch - m->shortest_batch),
                 LT_ON_EPOCH);
    return LT_OK;
}

static lt_optimizer *vm_configure_optimizers(lt_ctx *ctx, void *self) {
    lt_adam_options o = LT_ADAM_DEFAULTS;
    o.lr = 0.05;
    return lt_adam(ctx, &o);
}

LT_MODULE(varlen_module, .create = vm_create, .forward = vm_forward,
          .training_step = vm_training_step, .validation_step = vm_validation_step,
          .on_train_epoch_end = vm_on_train_epoch_end,
          .configure_optimizers = vm_configure_optimizers)
