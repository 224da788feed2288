/* sgd.c — torch.optim.SGD (single-tensor path, torch 2.x). */
#include "optim/optimizer.h"

lt_optimizer *ltr_sgd(lt_ctx *ctx, const lt_sgd_options *opt) {
    const char *name = "SGD";
    const lt_sgd_options defaults = LT_SGD_DEFAULTS;
    if (!opt) opt = &defaults;
    /* the same checks and messages as torch.optim.SGD.__init__ */
    if (opt->lr < 0) { ltr_fail(ctx, "SGD: Invalid learning rate: %g", opt->lr); return NULL; }
    if (opt->momentum < 0) { ltr_fail(ctx, "SGD: Invalid momentum value: %g", opt->momentum); return NULL; }
    if (opt->weight_decay < 0) {
        ltr_fail(ctx, "SGD: Invalid weight_decay value: %g", opt->weight_decay);
        return NULL;
    }
    if (opt->nesterov && (opt->momentum <= 0 || opt->dampening != 0)) {
        ltr_fail(ctx, "SGD: Nesterov momentum requires a momentum and zero dampening");
        return NULL;
    }
    lt_optimizer *o = ltr_optimizer_new(ctx, LTR_OPTIM_SGD, name);
    if (o) o->sgd = *opt;
    return o;
}

lt_status ltr_sgd_step(lt_optimizer *o) {
    const lt_sgd_options *h = &o->sgd;
    const float lr = (float)h->lr, wd = (float)h->weight_decay, mom = (float)h->momentum;
    const float damp1 = (float)(1.0 - h->dampening);
    for (int64_t i = 0; i < o->params->count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped */
        int64_t n = ltr_numel(p);
        float *restrict w = p->data;
        const float *restrict g0 = p->grad->data;
        const float sign = h->maximize ? -1.0f : 1.0f;
        ltr_optim_state *st = &o->state[i];
        if (mom != 0) {
            bool first = st->buf1 == NULL;
            float *restrict buf = ltr_optim_buffer(&st->buf1, n);
            if (!buf) return LT_ERROR;
            for (int64_t k = 0; k < n; k++) {
                float g = sign * g0[k];
                if (wd != 0) g += wd * w[k];
                /* first step: buf = clone(g), no dampening (torch) */
                buf[k] = first ? g : mom * buf[k] + damp1 * g;
                float d = h->nesterov ? g + mom * buf[k] : buf[k];
                w[k] -= lr * d;
            }
        } else {
            for (int64_t k = 0; k < n; k++) {
                float g = sign * g0[k];
                if (wd != 0) g += wd * w[k];
                w[k] -= lr * g;
            }
        }
    }
    return LT_OK;
}
