/* grad_norm_callback.c — a gradient-norm callback as a Lightning user writes one:
 * on_before_optimizer_step logs lt_grad_norm(ctx, norm_type) (Lightning's
 * `self.log_dict(grad_norm(pl_module, norm_type))`). It also checks lt_grad: NULL
 * before the first backward, and, for grad_module's w, equal to w (loss 0.5 |w|^2),
 * logged as grad_w_equals_w (1 or 0). Init arg: norm_type, a string strtod reads
 * ("2", "1", "inf"). */
#include <ltrun.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
    double norm_type;
    bool seen_backward;
} gn;

static void *gn_create(lt_ctx *ctx, const lt_hparams *hp) {
    gn *g = lt_alloc(ctx, sizeof *g);
    if (!g) return NULL;
    g->norm_type = strtod(lt_hp_str(ctx, hp, "norm_type", "2"), NULL);
    return g;
}

static lt_status gn_on_train_batch_start(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {
    (void)b, (void)i;
    gn *g = self;
    const char *name;
    lt_tensor *p = lt_param_at(ctx, 0, &name);
    if (!g->seen_backward && lt_grad(ctx, p))
        return lt_fail(ctx, "lt_grad(%s) is not NULL before the first backward", name);
    if (lt_grad(ctx, NULL)) return lt_fail(ctx, "lt_grad(NULL) is not NULL");
    return LT_OK;
}

static lt_status gn_on_before_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *opt) {
    (void)opt;
    gn *g = self;
    g->seen_backward = true;
    const char *names[16];
    double values[16];
    int64_t n = lt_grad_norm(ctx, g->norm_type, names, values, 16);
    if (n < 0) return LT_ERROR;
    for (int64_t i = 0; i < n && i < 16; i++) lt_log_value(ctx, names[i], values[i], 0);
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (strcmp(name, "w")) continue;
        float gw[4], w[4];
        lt_tensor *gr = lt_grad(ctx, p);
        if (!gr || lt_numel(ctx, gr) != 4) return lt_fail(ctx, "lt_grad(w): no gradient");
        if (lt_tensor_to_host(ctx, gr, gw, sizeof gw) || lt_tensor_to_host(ctx, p, w, sizeof w))
            return LT_ERROR;
        lt_log_value(ctx, "grad_w_equals_w", memcmp(gw, w, sizeof w) ? 0.0 : 1.0, 0);
    }
    return LT_OK;
}

LT_CALLBACK(grad_norm_callback, .create = gn_create,
            .on_train_batch_start = gn_on_train_batch_start,
            .on_before_optimizer_step = gn_on_before_optimizer_step)
