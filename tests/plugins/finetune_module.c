/*
 * finetune_module.c — a module with a backbone for the backbone_finetuning tests
 * (test_backbone_finetuning.sh): backbone.fc = Linear(2, 4), backbone.bn = BatchNorm1d(4),
 * head = Linear(4, 3); forward = head(relu(bn(fc(x)))). configure_optimizers builds SGD (lr,
 * default 0.1) over the parameters that require grad at that time (torch's
 * filter(lambda p: p.requires_grad, self.parameters())); all_params true keeps every
 * parameter instead. Its on_train_epoch_start prints "epoch E groups=N lr=A,B
 * grad=FC,BN fc=W" (FC/BN: requires_grad of backbone.fc.weight / backbone.bn.weight, W:
 * backbone.fc.weight's first value), after the callbacks' hook.
 */
#include <ltrun.h>

#include <stdio.h>
#include <string.h>

typedef struct {
    lt_linear_layer fc, head;
    lt_batchnorm_layer bn;
    double lr;
    bool all_params;
} ftm;

static void *m_create(lt_ctx *ctx, const lt_hparams *hp) {
    ftm *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "backbone.fc", 2, 4) != LT_OK ||
        lt_batchnorm_init(ctx, &m->bn, "backbone.bn", 4, NULL) != LT_OK ||
        lt_linear_init(ctx, &m->head, "head", 4, 3) != LT_OK)
        return NULL;
    m->lr = lt_hp_float(ctx, hp, "lr", 0.1);
    m->all_params = lt_hp_bool(ctx, hp, "all_params", false);
    return m;
}

static lt_tensor *m_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    ftm *m = self;
    lt_tensor *h = lt_relu(ctx, lt_batchnorm(ctx, &m->bn, lt_linear(ctx, &m->fc, x)));
    return lt_linear(ctx, &m->head, h);
}

static lt_tensor *m_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    return lt_cross_entropy(ctx, m_forward(ctx, self, lt_batch_at(ctx, b, 0)), lt_batch_at(ctx, b, 1));
}

static lt_optimizer *m_configure_optimizers(lt_ctx *ctx, void *self) {
    ftm *m = self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = m->lr;
    lt_optimizer *opt = lt_sgd(ctx, &o);
    if (!opt || m->all_params) return opt;
    char names[1024] = "";
    size_t len = 0;
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (lt_requires_grad(ctx, p))
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? "|" : "", name);
    }
    return lt_optimizer_params(ctx, opt, names) == LT_OK ? opt : NULL;
}

static lt_tensor *find(lt_ctx *ctx, const char *want) {
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (!strcmp(name, want)) return p;
    }
    return NULL;
}

static lt_status m_on_train_epoch_start(lt_ctx *ctx, void *self) {
    (void)self;
    lt_optimizer *o = lt_optimizers(ctx, 0);
    printf("epoch %lld groups=%d lr=", (long long)ctx->current_epoch, lt_num_param_groups(ctx, o));
    for (int g = 0; g < lt_num_param_groups(ctx, o); g++)
        printf("%s%.12g", g ? "," : "", lt_group_get(ctx, o, g, "lr"));
    lt_tensor *fc = find(ctx, "backbone.fc.weight"), *bn = find(ctx, "backbone.bn.weight");
    printf(" grad=%d,%d fc=%.9g\n", lt_requires_grad(ctx, fc), lt_requires_grad(ctx, bn),
           ((const float *)lt_data(ctx, fc))[0]);
    return LT_OK;
}

LT_MODULE(finetune_module, .create = m_create, .forward = m_forward,
          .training_step = m_training_step, .configure_optimizers = m_configure_optimizers,
          .on_train_epoch_start = m_on_train_epoch_start)
