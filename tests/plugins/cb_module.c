/*
 * cb_module.c — a module for the callback plugin tests (tests/test_callbacks.sh).
 *
 * fc = Linear(2, 3) (bn true: then BatchNorm1d(3); forward = fc [+ bn]). Logs metrics whose values the test chooses, one per epoch:
 *   val_seq   "a,b,c,...": validation_step logs val_loss = item[epoch] (on_epoch; the last
 *             item repeats; "nan"/"inf" allowed), so EarlyStopping sees a known sequence
 *   train_seq likewise train_loss from training_step (on_epoch)
 * optimizer "sgd" (lr, momentum) | "adam" (lr, beta1); groups 2 puts fc.bias in a second
 * param group with lr / 10; sched "none" | "epoch" | "step": StepLR(step_size 1, gamma 0.5)
 * stepped every epoch or every step; sleep_ms: sleep in each training_step (Timer tests).
 * test_step logs test_wsum = fc.weight.sum() (which checkpoint `ltrun test` loaded).
 */
#define _POSIX_C_SOURCE 200809L
#include <ltrun.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    lt_linear_layer fc;
    lt_batchnorm_layer bn; /* bn true: BatchNorm1d(3) after fc (SWA's update_bn test) */
    bool has_bn;
    double val[32], train[32];
    int nval, ntrain;
    bool val_by_step;
    const char *optimizer, *sched;
    double lr, momentum;
    int64_t groups, sleep_ms;
} cbm;

static int parse_seq(const char *s, double *out) {
    int n = 0;
    while (s && *s && n < 32) {
        char *end;
        out[n++] = strtod(s, &end);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *end != ',') break;
    }
    return n;
}

static void *m_create(lt_ctx *ctx, const lt_hparams *hp) {
    cbm *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->fc, "fc", 2, 3) != LT_OK) return NULL;
    const char *vs = lt_hp_str(ctx, hp, "val_seq", "1");
    m->val_by_step = !strncmp(vs, "step:", 5);
    m->nval = parse_seq(m->val_by_step ? vs + 5 : vs, m->val);
    m->ntrain = parse_seq(lt_hp_str(ctx, hp, "train_seq", "1"), m->train);
    m->optimizer = lt_hp_str(ctx, hp, "optimizer", "sgd");
    m->sched = lt_hp_str(ctx, hp, "sched", "none");
    m->lr = lt_hp_float(ctx, hp, "lr", 0.1);
    m->momentum = lt_hp_float(ctx, hp, "momentum", 0.0);
    m->groups = lt_hp_int(ctx, hp, "groups", 1);
    m->sleep_ms = lt_hp_int(ctx, hp, "sleep_ms", 0);
    m->has_bn = lt_hp_bool(ctx, hp, "bn", false);
    if (m->has_bn && lt_batchnorm_init(ctx, &m->bn, "bn", 3, NULL) != LT_OK) return NULL;
    return m;
}

/* forward(x) = fc(x), then bn when bn is set */
static lt_tensor *m_forward(lt_ctx *ctx, void *self, lt_tensor *x) {
    cbm *m = self;
    lt_tensor *y = lt_linear(ctx, &m->fc, x);
    return m->has_bn ? lt_batchnorm(ctx, &m->bn, y) : y;
}

static double at(const double *v, int n, int64_t e) { return n ? v[e < n ? e : n - 1] : 0; }

static lt_tensor *m_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)i;
    cbm *m = self;
    if (m->sleep_ms) {
        struct timespec ts = {m->sleep_ms / 1000, (long)(m->sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    lt_log_options o = LT_LOG_DEFAULTS;
    o.on_step = 0;
    o.on_epoch = 1;
    lt_log_value_ex(ctx, "train_loss", at(m->train, m->ntrain, ctx->current_epoch), &o);
    lt_tensor *logits = m_forward(ctx, m, lt_batch_at(ctx, b, 0));
    return lt_cross_entropy(ctx, logits, lt_batch_at(ctx, b, 1));
}

static lt_status m_validation_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    (void)i;
    cbm *m = self;
    lt_log_value(ctx, "val_loss",
                 at(m->val, m->nval, m->val_by_step ? ctx->global_step : ctx->current_epoch), 0);
    return LT_OK;
}

static lt_optimizer *m_configure_optimizers(lt_ctx *ctx, void *self) {
    cbm *m = self;
    lt_optimizer *opt;
    if (!strcmp(m->optimizer, "adam")) {
        lt_adam_options o = LT_ADAM_DEFAULTS;
        o.lr = m->lr;
        opt = lt_adam(ctx, &o);
    } else {
        lt_sgd_options o = LT_SGD_DEFAULTS;
        o.lr = m->lr;
        o.momentum = m->momentum;
        opt = lt_sgd(ctx, &o);
    }
    if (!opt) return NULL;
    if (m->groups == 2) {
        int g = lt_param_group(ctx, opt, "fc.bias");
        if (g < 0 || lt_group_set(ctx, opt, g, "lr", m->lr / 10)) return NULL;
    }
    if (strcmp(m->sched, "none")) {
        lt_lr_scheduler_config cfg = LT_LR_SCHEDULER_CONFIG_DEFAULTS;
        cfg.interval = !strcmp(m->sched, "step") ? "step" : "epoch";
        if (lt_add_lr_scheduler(ctx, lt_step_lr(ctx, opt, 1, 0.5), &cfg)) return NULL;
    }
    return opt;
}

/* test_step: logs test_wsum = fc.weight.sum(), which tells which checkpoint was loaded
 * (model_checkpoint's `--ckpt-path best` test) */
static lt_status m_test_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b;
    (void)i;
    cbm *m = self;
    lt_log(ctx, "test_wsum", lt_sum(ctx, m->fc.weight), 0);
    return LT_OK;
}

LT_MODULE(cbmodule, .create = m_create, .forward = m_forward, .training_step = m_training_step,
          .validation_step = m_validation_step, .test_step = m_test_step,
          .configure_optimizers = m_configure_optimizers)
