/* ops_unary.c — neg, exp, log, sqrt, abs, sigmoid, tanh (torch.* semantics). */
#include "tensor/ops_common.h"

static const char *const unary_names[] = {"neg", "exp", "log", "sqrt", "abs", "sigmoid", "tanh"};

static lt_status unary_backward(lt_ctx *ctx, ltr_node *n) {
    lt_tensor *gx = ltr_empty_like(ctx, n->in[0]);
    if (!gx) return LT_ERROR;
    ltr_accel_of(gx)->unary_backward((int)n->iarg[0], n->in[0], n->out, n->out->grad, gx);
    return ltr_accumulate_grad(ctx, n->in[0], gx);
}

static lt_tensor *unary(lt_ctx *ctx, ltr_unary_op op, const lt_tensor *x) {
    char name[32];
    snprintf(name, sizeof name, "lt_%s", unary_names[op]);
    if (!x || !ltr_check_float(ctx, name, x)) return NULL;
    x = ltr_contiguous(ctx, x);
    lt_tensor *y = x ? ltr_empty_like(ctx, x) : NULL;
    if (!y) return NULL;
    ltr_accel_of(x)->unary(op, x, y);
    const lt_tensor *in[1] = {x};
    ltr_node *n = ltr_record(ctx, unary_names[op], y, unary_backward, 1, in);
    if (n) n->iarg[0] = op;
    return y;
}

lt_tensor *ltr_neg(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_NEG, x); }
lt_tensor *ltr_exp(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_EXP, x); }
lt_tensor *ltr_log(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_LOG, x); }
lt_tensor *ltr_sqrt(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_SQRT, x); }
lt_tensor *ltr_abs(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_ABS, x); }
lt_tensor *ltr_sigmoid(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_SIGMOID, x); }
lt_tensor *ltr_tanh(lt_ctx *ctx, const lt_tensor *x) { return unary(ctx, LTR_UN_TANH, x); }
