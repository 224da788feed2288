/*
 * sgd.c — torch.optim.SGD: _single_tensor_sgd of torch 2.x, float32 parameters.
 *
 * Per element, in float32 with the scalars cast to float as ATen's kernels do:
 *   g = maximize ? -grad : grad;  if wd: g = g + wd * p
 *   if momentum: buf = first ? g : buf * momentum + (1 - dampening) * g
 *                g = nesterov ? g + momentum * buf : buf
 *   p = p + (-lr) * g
 */
#include "optim/optimizer.h"

lt_optimizer *ltr_sgd(lt_ctx *ctx, const lt_sgd_options *opt) {
    const lt_sgd_options defaults = LT_SGD_DEFAULTS;
    if (!opt) opt = &defaults;
    char v[48];
    /* torch.optim.SGD.__init__'s checks and messages; written as `!(x >= 0)` so that a
     * nan is refused too, as Python's `x < 0.0` / `not 0.0 <= x` family does for lr */
    if (!(opt->lr >= 0)) {
        ltr_fail(ctx, "SGD: Invalid learning rate: %s", ltr_optim_pyfloat(opt->lr, v, sizeof v));
        return NULL;
    }
    if (!(opt->momentum >= 0)) {
        ltr_fail(ctx, "SGD: Invalid momentum value: %s", ltr_optim_pyfloat(opt->momentum, v, sizeof v));
        return NULL;
    }
    if (!(opt->weight_decay >= 0)) {
        ltr_fail(ctx, "SGD: Invalid weight_decay value: %s",
                 ltr_optim_pyfloat(opt->weight_decay, v, sizeof v));
        return NULL;
    }
    if (opt->nesterov && (opt->momentum <= 0 || opt->dampening != 0)) {
        ltr_fail(ctx, "SGD: Nesterov momentum requires a momentum and zero dampening");
        return NULL;
    }
    lt_optimizer *o = ltr_optimizer_new(ctx, LTR_OPTIM_SGD, "SGD");
    if (o) o->sgd = *opt;
    return o;
}

typedef struct sgd_consts {
    float sign, wd, mom, damp1, neg_lr;
} sgd_consts;

/* One parameter's update. The bools are constants at every call site below, so each
 * variant compiles to its own branch-free loop that gcc vectorises. */
static inline __attribute__((always_inline)) void
sgd_loop(int64_t n, float *restrict w, const float *restrict g0, float *restrict buf,
         const sgd_consts *c, const bool decay, const bool mom, const bool first, const bool nesterov) {
    const sgd_consts k = *c;
    for (int64_t i = 0; i < n; i++) {
        float g = k.sign * g0[i];               /* maximize: -grad (exact) */
        if (decay) g = g + k.wd * w[i];         /* grad.add(param, alpha=weight_decay) */
        if (mom) {
            float b;
            if (first) b = g;                   /* torch.clone(grad): no dampening at first */
            else b = buf[i] * k.mom + k.damp1 * g; /* buf.mul_(momentum).add_(grad, alpha=1-dampening) */
            buf[i] = b;
            g = nesterov ? g + k.mom * b : b;   /* grad.add(buf, alpha=momentum) : buf */
        }
        w[i] = w[i] + k.neg_lr * g;             /* param.add_(grad, alpha=-lr) */
    }
}

#define SGD_MOM_VARIANTS(decay)                                                              \
    do {                                                                                     \
        if (!h->momentum) sgd_loop(n, w, g, NULL, &c, decay, false, false, false);            \
        else if (first && h->nesterov) sgd_loop(n, w, g, buf, &c, decay, true, true, true);   \
        else if (first) sgd_loop(n, w, g, buf, &c, decay, true, true, false);                 \
        else if (h->nesterov) sgd_loop(n, w, g, buf, &c, decay, true, false, true);           \
        else sgd_loop(n, w, g, buf, &c, decay, true, false, false);                           \
    } while (0)

lt_status ltr_sgd_step(lt_optimizer *o) {
    const lt_sgd_options *h = &o->sgd;
    /* Python floats become float scalars in the kernels: cast once, from double */
    const sgd_consts c = {
        .sign = h->maximize ? -1.0f : 1.0f,
        .wd = (float)h->weight_decay,
        .mom = (float)h->momentum,
        .damp1 = (float)(1.0 - h->dampening),
        .neg_lr = (float)(-h->lr),
    };
    for (int64_t i = 0; i < o->params->count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!(p->flags & LTR_T_GRAD_DEFINED)) continue; /* p.grad is None: skipped, state kept */
        int64_t n = ltr_numel(p);
        float *w = p->data;
        const float *g = p->grad->data;
        ltr_optim_state *st = &o->state[i];
        bool first = false;
        float *buf = NULL;
        if (h->momentum) {
            /* momentum_buffer is None until this parameter's first update */
            first = st->buf1 == NULL;
            buf = ltr_optim_buffer(&st->buf1, n);
            if (!buf) return LT_ERROR;
        }
        if (h->weight_decay) SGD_MOM_VARIANTS(true);
        else SGD_MOM_VARIANTS(false);
    }
    return LT_OK;
}
