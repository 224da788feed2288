/* manual_module.c — manual optimization through `ltrun fit` (tests/test_manual.sh).
 * Two layers g (2->2) and d (2->2), an SGD optimizer over each (lt_optimizer_params) and
 * a StepLR(1, 0.5) on the first, stepped only by the module. Writes one line per event
 * to the "trace" hparam's file. "mode" picks what training_step does:
 *   gan       (default) the GAN recipe: toggle g's optimizer, backward through d, step,
 *             zero_grad, untoggle; then the same for d; lines show global_step,
 *             requires_grad flags and whether d moved when only g's grads existed
 *   sched     step 0 and the scheduler every second batch (manual stepping)
 *   no_return training_step returns NULL after one manual step
 *   auto_backward   automatic optimization, but training_step calls lt_manual_backward
 *   auto_two  automatic optimization with two optimizers (an error in Lightning)
 *   late_flag lt_set_automatic_optimization called from setup (too late)
 * Hparams: trace, mode, frozen (true: d.bias.requires_grad_(False) in create). */
#include "trace.h"

#include <string.h>

typedef struct {
    lt_linear_layer g, d;
    const char *mode;
} mm;

static void *mm_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    mm *m = lt_alloc(ctx, sizeof *m);
    if (!m || lt_linear_init(ctx, &m->g, "g", 2, 2) != LT_OK ||
        lt_linear_init(ctx, &m->d, "d", 2, 2) != LT_OK)
        return NULL;
    m->mode = lt_hp_str(ctx, hp, "mode", "gan");
    bool frozen = lt_hp_bool(ctx, hp, "frozen", false);
    if (frozen) lt_set_requires_grad(ctx, m->d.bias, false);
    bool automatic = !strcmp(m->mode, "auto_backward") || !strcmp(m->mode, "auto_two") ||
                     !strcmp(m->mode, "late_flag");
    if (!automatic && lt_set_automatic_optimization(ctx, false) != LT_OK) return NULL;
    trace("create automatic_optimization=%d", lt_automatic_optimization(ctx));
    return m;
}

static lt_status mm_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    mm *m = self;
    trace("setup %s", stage_name(stage));
    if (!strcmp(m->mode, "late_flag")) return lt_set_automatic_optimization(ctx, false);
    return LT_OK;
}

static lt_tensor *loss_of(lt_ctx *ctx, mm *m, lt_batch *b) {
    lt_tensor *h = lt_linear(ctx, &m->g, lt_batch_at(ctx, b, 0));
    return lt_cross_entropy(ctx, lt_linear(ctx, &m->d, h), lt_batch_at(ctx, b, 1));
}

static void flags(lt_ctx *ctx, mm *m, const char *when) {
    trace("  %s g.weight=%d g.bias=%d d.weight=%d d.bias=%d", when,
          lt_requires_grad(ctx, m->g.weight), lt_requires_grad(ctx, m->g.bias),
          lt_requires_grad(ctx, m->d.weight), lt_requires_grad(ctx, m->d.bias));
}

static float first(lt_ctx *ctx, const lt_tensor *t) { return ((const float *)lt_data(ctx, t))[0]; }

static lt_tensor *mm_training_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    mm *m = self;
    lt_optimizer *og = lt_optimizers(ctx, 0), *od = lt_optimizers(ctx, 1);
    trace("training_step %lld global_step=%lld lr=%g", (long long)i, (long long)ctx->global_step,
          lt_group_get(ctx, og, 0, "lr"));
    if (!strcmp(m->mode, "auto_backward")) {
        lt_tensor *loss = loss_of(ctx, m, b);
        lt_manual_backward(ctx, loss); /* Lightning: MisconfigurationException */
        return loss;
    }
    if (!strcmp(m->mode, "no_return")) {
        lt_optimizer_zero_grad(ctx, og);
        if (lt_manual_backward(ctx, loss_of(ctx, m, b)) || lt_optimizer_step(ctx, og, NULL))
            return NULL;
        return NULL; /* "no return" */
    }
    if (!strcmp(m->mode, "sched")) {
        lt_optimizer_zero_grad(ctx, og);
        if (lt_manual_backward(ctx, loss_of(ctx, m, b)) || lt_optimizer_step(ctx, og, NULL))
            return NULL;
        if (i % 2 == 1) lt_lr_scheduler_step(ctx, lt_lr_schedulers(ctx, 0));
        return NULL;
    }
    /* gan: the generator's turn — d's parameters are toggled off, so backward through d
     * leaves d's grads None and a step of d's optimizer moves nothing */
    flags(ctx, m, "before");
    if (lt_toggle_optimizer(ctx, og)) return NULL;
    flags(ctx, m, "toggled g");
    lt_tensor *g_loss = loss_of(ctx, m, b);
    if (lt_manual_backward(ctx, g_loss)) return NULL;
    float d0 = first(ctx, m->d.weight), g0 = first(ctx, m->g.weight);
    if (lt_optimizer_step(ctx, od, NULL) || lt_optimizer_step(ctx, og, NULL)) return NULL;
    trace("  d moved=%d g moved=%d global_step=%lld", first(ctx, m->d.weight) != d0,
          first(ctx, m->g.weight) != g0, (long long)ctx->global_step);
    lt_optimizer_zero_grad(ctx, og);
    lt_untoggle_optimizer(ctx, og);
    flags(ctx, m, "untoggled g");
    /* the discriminator's turn */
    if (lt_toggle_optimizer(ctx, od)) return NULL;
    flags(ctx, m, "toggled d");
    lt_tensor *d_loss = loss_of(ctx, m, b);
    if (lt_manual_backward(ctx, d_loss)) return NULL;
    g0 = first(ctx, m->g.weight);
    if (lt_optimizer_step(ctx, og, NULL)) return NULL; /* g's grads were zeroed: None */
    trace("  g moved=%d global_step=%lld", first(ctx, m->g.weight) != g0, (long long)ctx->global_step);
    if (lt_optimizer_step(ctx, od, NULL)) return NULL;
    lt_optimizer_zero_grad(ctx, od);
    lt_untoggle_optimizer(ctx, od);
    flags(ctx, m, "untoggled d");
    return d_loss;
}

static lt_status mm_on_before_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    trace("module.on_before_backward loss=%d", loss != NULL);
    return LT_OK;
}
static lt_status mm_on_after_backward(lt_ctx *ctx, void *self) {
    trace("module.on_after_backward");
    return LT_OK;
}
static lt_status mm_on_before_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *opt) {
    trace("module.on_before_optimizer_step %d", opt == lt_optimizers(ctx, 0) ? 0 : 1);
    return LT_OK;
}
/* never called with manual optimization (Precision._clip_gradients returns early) */
static lt_status mm_configure_gradient_clipping(lt_ctx *ctx, void *self, lt_optimizer *opt,
                                                double val, const char *algorithm) {
    trace("module.configure_gradient_clipping");
    return LT_OK;
}
static lt_status mm_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *outputs, lt_batch *b,
                                       int64_t i) {
    trace("module.on_train_batch_end %lld outputs=%d global_step=%lld", (long long)i,
          outputs != NULL, (long long)ctx->global_step);
    return LT_OK;
}

static lt_optimizer *mm_configure_optimizers(lt_ctx *ctx, void *self) {
    mm *m = self;
    lt_sgd_options o = LT_SGD_DEFAULTS;
    o.lr = 0.1;
    /* torch.optim.SGD(self.g.parameters()), SGD(self.d.parameters()) */
    lt_optimizer *og = lt_sgd(ctx, &o), *od = lt_sgd(ctx, &o);
    if (!og || !od || lt_optimizer_params(ctx, og, "g.*") || lt_optimizer_params(ctx, od, "d.*"))
        return NULL;
    if (!strcmp(m->mode, "auto_backward") || !strcmp(m->mode, "late_flag")) return og;
    lt_add_optimizer(ctx, od);
    if (!strcmp(m->mode, "auto_two")) return og;
    /* interval "step": automatic optimization would step it after every batch */
    lt_lr_scheduler_config cfg = LT_LR_SCHEDULER_CONFIG_DEFAULTS;
    cfg.interval = "step";
    lt_add_lr_scheduler(ctx, lt_step_lr(ctx, og, 1, 0.5), &cfg);
    return og;
}

LT_MODULE(manual_module, .create = mm_create, .setup = mm_setup,
          .training_step = mm_training_step, .configure_optimizers = mm_configure_optimizers,
          .on_before_backward = mm_on_before_backward, .on_after_backward = mm_on_after_backward,
          .on_before_optimizer_step = mm_on_before_optimizer_step,
          .configure_gradient_clipping = mm_configure_gradient_clipping,
          .on_train_batch_end = mm_on_train_batch_end)
