/*
 * optimizer.c — what SGD and Adam share: construction over ctx->params, lazily
 * allocated state, zero_grad, lr, step dispatch, free, and Python-style number
 * formatting for torch.optim's error messages.
 */
#include "optim/optimizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lt_optimizer *ltr_optimizer_new(lt_ctx *ctx, ltr_optim_kind kind, const char *name) {
    ltr_param_store *ps = ltr_ctx_of(ctx)->params;
    if (!ps) {
        /* the trainer points ctx->params at the module's store only during the hook */
        ltr_fail(ctx, "%s: optimizers can only be made in configure_optimizers "
                      "(no parameter store here)", name);
        return NULL;
    }
    if (ps->count == 0) {
        /* torch.optim.Optimizer.__init__: "optimizer got an empty parameter list" */
        ltr_fail(ctx, "configure_optimizers: the module has no parameters "
                      "(%s: optimizer got an empty parameter list)", name);
        return NULL;
    }
    for (int64_t i = 0; i < ps->count; i++)
        if (ps->params[i]->dtype != LT_FLOAT32 && ps->params[i]->dtype != LT_FLOAT64) {
            ltr_fail(ctx, "%s: parameter '%s' is %s; optimizers update float32/float64 parameters",
                     name, ps->params[i]->name ? ps->params[i]->name : "?",
                     ltr_dtype_name(ps->params[i]->dtype));
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
    o->ctx = ctx;
    return o;
}

/* Zeroed state buffer made on a parameter's first update: PyTorch fills `state[p]`
 * only when p first has a grad (torch.zeros_like / clone), never in __init__. */
void *ltr_optim_buffer(void **buf, int64_t n, size_t elsize) {
    if (!*buf) *buf = calloc((size_t)(n > 0 ? n : 1), elsize);
    return *buf;
}

/* optimizer.zero_grad(set_to_none=True), torch 2.x's default: grads become None. */
void ltr_optimizer_zero_grad(lt_optimizer *o) { ltr_param_store_zero_grad(o->params); }

lt_status ltr_optimizer_step(lt_optimizer *o) {
    /* a store that grew after the optimizer was made would index past state[] */
    if (o->params->count != o->nstate) {
        ltr_fail(o->ctx, "%s: the module has %lld parameters, the optimizer was made over %lld",
                 o->name, (long long)o->params->count, (long long)o->nstate);
        return LT_ERROR;
    }
    lt_status rc = o->kind == LTR_OPTIM_SGD ? ltr_sgd_step(o) : ltr_adam_step(o);
    if (rc != LT_OK) ltr_fail(o->ctx, "%s: out of memory allocating optimizer state", o->name);
    return rc;
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

/* Python's repr(float): the shortest digits that read back as x, fixed notation when
 * the decimal point falls in (-4, 16] digits, otherwise d.ddde±XX; integral values
 * keep ".0". torch's messages are f-strings of Python floats ("Invalid learning
 * rate: -1.0", "... at index 0: 1.5", "... epsilon value: -1e-08"). */
const char *ltr_optim_pyfloat(double x, char *buf, size_t cap) {
    if (isnan(x)) {
        snprintf(buf, cap, "nan");
        return buf;
    }
    if (isinf(x)) {
        snprintf(buf, cap, x < 0 ? "-inf" : "inf");
        return buf;
    }
    const char *sign = signbit(x) ? "-" : "";
    double a = fabs(x);
    if (a == 0) {
        snprintf(buf, cap, "%s0.0", sign);
        return buf;
    }
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, a);
        if (strtod(e, NULL) == a) break;
    }
    /* e is "d.ddde[+-]XX": collect the digits and the exponent */
    char digits[24];
    int nd = 0;
    const char *s = e;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[nd++] = *s;
    int exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    int decpt = exp10 + 1; /* digits before the decimal point */
    char out[64];
    int k = 0;
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) { /* 0.000ddd */
            out[k++] = '0', out[k++] = '.';
            for (int i = 0; i < -decpt; i++) out[k++] = '0';
            for (int i = 0; i < nd; i++) out[k++] = digits[i];
        } else { /* ddd.ddd, ddd.0, ddd000.0 */
            for (int i = 0; i < decpt; i++) out[k++] = i < nd ? digits[i] : '0';
            out[k++] = '.';
            if (decpt >= nd) out[k++] = '0';
            for (int i = decpt; i < nd; i++) out[k++] = digits[i];
        }
        out[k] = '\0';
    } else {
        snprintf(out, sizeof out, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "", digits + 1,
                 exp10 < 0 ? '-' : '+', abs(exp10));
    }
    snprintf(buf, cap, "%s%s", sign, out);
    return buf;
}
