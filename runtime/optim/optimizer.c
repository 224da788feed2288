/* optimizer.c — what SGD and Adam share: state, zero_grad, lr, free. */
#include "optim/optimizer.h"

#include <stdlib.h>
#include <string.h>

lt_optimizer *ltr_optimizer_new(lt_ctx *ctx, ltr_optim_kind kind, const char *name) {
    ltr_param_store *ps = ltr_ctx_of(ctx)->params;
    if (!ps) {
        ltr_fail(ctx, "%s: optimizers can only be made in configure_optimizers", name);
        return NULL;
    }
    if (ps->count == 0) {
        ltr_fail(ctx, "%s: the module has no parameters (optimizer got an empty parameter list)", name);
        return NULL;
    }
    for (int64_t i = 0; i < ps->count; i++)
        if (ps->params[i]->dtype != LT_FLOAT32) {
            ltr_fail(ctx, "%s: parameter '%s' is %s; optimizers handle float32 parameters so far",
                     name, ps->params[i]->name, ltr_dtype_name(ps->params[i]->dtype));
            return NULL;
        }
    lt_optimizer *o = calloc(1, sizeof *o);
    if (o) o->state = calloc((size_t)ps->count, sizeof *o->state);
    if (!o || !o->state) {
        free(o);
        ltr_fail(ctx, "%s: out of memory", name);
        return NULL;
    }
    o->kind = kind;
    o->name = name;
    o->params = ps;
    o->nstate = ps->count;
    return o;
}

/* Lazily allocated, zeroed state buffer (PyTorch creates state at the first step). */
float *ltr_optim_buffer(float **buf, int64_t n) {
    if (!*buf) *buf = calloc((size_t)(n ? n : 1), sizeof **buf);
    return *buf;
}

void ltr_optimizer_zero_grad(lt_optimizer *o) { ltr_param_store_zero_grad(o->params); }

double ltr_optimizer_lr(const lt_optimizer *o) {
    return o->kind == LTR_OPTIM_SGD ? o->sgd.lr : o->adam.lr;
}

lt_status ltr_optimizer_step(lt_optimizer *o) {
    return o->kind == LTR_OPTIM_SGD ? ltr_sgd_step(o) : ltr_adam_step(o);
}

void ltr_optimizer_free(lt_optimizer *o) {
    if (!o) return;
    for (int64_t i = 0; i < o->nstate; i++) {
        free(o->state[i].buf1);
        free(o->state[i].buf2);
        free(o->state[i].buf3);
    }
    free(o->state);
    free(o);
}
