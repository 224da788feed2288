/*
 * precision.c — the true precisions (Lightning's Precision, "32-true", and
 * DoublePrecision, "64-true"), bfloat16 mixed precision (MixedPrecision("bf16-mixed",
 * "cpu")) and the NULL-tolerant calls the strategy makes.
 *
 * Neither changes the backward pass or the update: they differ only in the dtype a
 * float32 request becomes (64-true runs the whole model in double: init, forward and
 * inputs, as DoublePrecision makes float64 the default dtype). Their checkpoint state
 * is empty.
 */
#include "precision/precision.h"

#include "precision/autocast.h"

#include <string.h>

static lt_dtype dtype_32(const ltr_precision *p) { (void)p; return LT_FLOAT32; }
static lt_dtype dtype_64(const ltr_precision *p) { (void)p; return LT_FLOAT64; }

/* module.to(dtype): the context's float dtype is what lt_param / lt_tensor_new / the
 * loader's float fields follow (core/context.h's ltr_float_dtype) */
static lt_status true_convert_module(ltr_precision *p, lt_ctx *ctx) {
    ltr_ctx_of(ctx)->float_dtype = p->ops->float_dtype(p);
    return LT_OK;
}

static const ltr_precision_ops ops_32 = {
    .name = "32-true", .class_name = "Precision", .convert_module = true_convert_module, .float_dtype = dtype_32,
};
static const ltr_precision_ops ops_64 = {
    .name = "64-true", .class_name = "DoublePrecision", .convert_module = true_convert_module, .float_dtype = dtype_64,
};

/* bf16-mixed: Lightning's MixedPrecision.forward_context is
 * torch.autocast("cpu", dtype=torch.bfloat16) around training/validation/test/
 * predict_step; parameters, gradients and the optimizer stay float32 and no scaler is
 * made for bfloat16 (its backward and optimizer_step are Precision's). The state the
 * step found is restored on exit, so a step that turned autocast off ends with it on. */
static lt_status mixed_enter(ltr_precision *p, lt_ctx *ctx, const char *hook) {
    (void)hook;
    bool *was = p->impl;
    *was = ltr_autocast_set(ctx, true);
    return LT_OK;
}
static void mixed_exit(ltr_precision *p, lt_ctx *ctx, const char *hook) {
    (void)hook;
    ltr_autocast_set(ctx, *(bool *)p->impl);
}
static const ltr_precision_ops ops_bf16_mixed = {
    .name = "bf16-mixed", .class_name = "MixedPrecision", .convert_module = true_convert_module,
    .float_dtype = dtype_32, .forward_context_enter = mixed_enter, .forward_context_exit = mixed_exit,
};

static ltr_precision precision_32 = {.ops = &ops_32};
static ltr_precision precision_64 = {.ops = &ops_64};
static bool bf16_mixed_was_on; /* the autocast state around the running step hook */
static ltr_precision precision_bf16_mixed = {.ops = &ops_bf16_mixed, .impl = &bf16_mixed_was_on};

ltr_precision *ltr_precision_builtin(int64_t code) {
    switch (code) {
    case LTR_PRECISION_32_TRUE: return &precision_32;
    case LTR_PRECISION_64_TRUE: return &precision_64;
    case LTR_PRECISION_BF16_MIXED:
    case LTR_PRECISION_16_MIXED: /* the CPU's replacement (ltr_precision_announce) */
        return &precision_bf16_mixed;
    default: return NULL;
    }
}

/* Lightning 2.6: _convert_precision_to_unified_args warns for the aliases, then
 * _AcceleratorConnector._check_and_init_precision replaces 16-mixed on the CPU and
 * announces AMP (its messages, word for word). */
void ltr_precision_announce(int64_t code, const char *alias, FILE *out) {
    const char *unified = code == LTR_PRECISION_16_MIXED ? "16-mixed" : "bf16-mixed";
    if (alias && *alias)
        fprintf(out, "UserWarning: `precision=%s` is supported for historical reasons but its usage "
                     "is discouraged. Please set your precision to %s instead!\n", alias, unified);
    if (code == LTR_PRECISION_16_MIXED)
        fprintf(out, "UserWarning: You passed `Trainer(accelerator='cpu', precision='16-mixed')` but "
                     "AMP with fp16 is not supported on CPU. Using `precision='bf16-mixed'` "
                     "instead.\n");
    if (code == LTR_PRECISION_16_MIXED || code == LTR_PRECISION_BF16_MIXED)
        fprintf(out, "Using bfloat16 Automatic Mixed Precision (AMP)\n");
}

ltr_precision *ltr_precision_by_name(const char *name) {
    if (!name) return NULL;
    ltr_precision *all[] = {&precision_32, &precision_64, &precision_bf16_mixed};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(name, all[i]->ops->name)) return all[i];
    return NULL;
}

lt_status ltr_precision_convert_module(ltr_precision *p, lt_ctx *ctx) {
    return p && p->ops->convert_module ? p->ops->convert_module(p, ctx) : LT_OK;
}

lt_status ltr_precision_forward_enter(ltr_precision *p, lt_ctx *ctx, const char *hook) {
    return p && p->ops->forward_context_enter ? p->ops->forward_context_enter(p, ctx, hook) : LT_OK;
}

void ltr_precision_forward_exit(ltr_precision *p, lt_ctx *ctx, const char *hook) {
    if (p && p->ops->forward_context_exit) p->ops->forward_context_exit(p, ctx, hook);
}

lt_status ltr_precision_run_backward(ltr_precision *p, lt_ctx *ctx, lt_tensor *loss,
                                     ltr_module_backward_fn module_backward, void *arg) {
    if (p && p->ops->pre_backward && p->ops->pre_backward(p, ctx, &loss)) return LT_ERROR;
    lt_status rc = p && p->ops->backward ? p->ops->backward(p, ctx, loss, module_backward, arg)
                                         : module_backward(arg, ctx, loss);
    if (rc != LT_OK) return rc;
    return p && p->ops->post_backward ? p->ops->post_backward(p, ctx, loss) : LT_OK;
}

lt_status ltr_precision_optimizer_step(ltr_precision *p, lt_ctx *ctx, lt_optimizer *opt,
                                       lt_status (*step)(lt_optimizer *opt)) {
    return p && p->ops->optimizer_step ? p->ops->optimizer_step(p, ctx, opt, step) : step(opt);
}

cJSON *ltr_precision_state_dict(const ltr_precision *p, lt_ctx *ctx, bool *failed) {
    *failed = false;
    if (!p || !p->ops->state_dict) return NULL;
    cJSON *out = cJSON_CreateObject();
    if (!out || p->ops->state_dict(p, ctx, out) != LT_OK) {
        if (!out) ltr_fail(ctx, "out of memory for the precision's state");
        cJSON_Delete(out);
        *failed = true;
        return NULL;
    }
    if (!out->child) { /* Lightning: `if prec_plugin_state_dict:` stores nothing when empty */
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

lt_status ltr_precision_load_state_dict(ltr_precision *p, lt_ctx *ctx, const cJSON *state) {
    return p && p->ops->load_state_dict ? p->ops->load_state_dict(p, ctx, state) : LT_OK;
}
