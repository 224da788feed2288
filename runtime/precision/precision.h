/*
 * precision.h — the numeric precision of a run (Lightning's Precision plugin).
 *
 * The strategy owns one (strategy->precision) and calls it around the work it does:
 * convert_module when the module is built (the dtype a float32 request becomes: the
 * parameters, buffers, plugin-made tensors and float inputs), forward_context around
 * each step hook, pre_backward / backward / post_backward around the backward pass,
 * optimizer_step around the update, state_dict / load_state_dict for checkpoints.
 * "32-true" and "64-true" are built in (Lightning's Precision and DoublePrecision);
 * a mixed-precision plugin implements the same table.
 *
 * Entries may be NULL (nothing to do; backward NULL: the module's backward is called
 * as is). Entries return LT_OK or LT_ERROR with the message on the context.
 */
#ifndef LTR_PRECISION_H
#define LTR_PRECISION_H

#include "core/context.h"
#include "ltrun.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stdio.h>

typedef struct ltr_precision ltr_precision;

/* LightningModule.backward as the trainer dispatches it (the override, else
 * loss.backward()); the precision's backward calls it with the loss it prepared. */
typedef lt_status (*ltr_module_backward_fn)(void *arg, lt_ctx *ctx, lt_tensor *loss);

typedef struct ltr_precision_ops {
    const char *name; /* "32-true", "64-true", or the plugin's */
    /* the key of its state in a checkpoint: Lightning stores a non-empty
     * precision_plugin.state_dict() under checkpoint[type(plugin).__qualname__] */
    const char *class_name;
    /* module.to(dtype): fixes what a float32 request becomes from here on */
    lt_status (*convert_module)(ltr_precision *p, lt_ctx *ctx);
    /* the dtype a plugin's float32 request (parameter, buffer, batch field) gets */
    lt_dtype (*float_dtype)(const ltr_precision *p);
    /* autocast around training/validation/test/predict_step (hook: the step's name) */
    lt_status (*forward_context_enter)(ltr_precision *p, lt_ctx *ctx, const char *hook);
    void (*forward_context_exit)(ltr_precision *p, lt_ctx *ctx, const char *hook);
    /* loss scaling and the like: pre_backward may replace *loss */
    lt_status (*pre_backward)(ltr_precision *p, lt_ctx *ctx, lt_tensor **loss);
    lt_status (*backward)(ltr_precision *p, lt_ctx *ctx, lt_tensor *loss,
                          ltr_module_backward_fn module_backward, void *arg);
    lt_status (*post_backward)(ltr_precision *p, lt_ctx *ctx, lt_tensor *loss);
    /* around the optimizer's update: `step(arg)` runs it (a scaler may skip it) */
    lt_status (*optimizer_step)(ltr_precision *p, lt_ctx *ctx, lt_optimizer *opt,
                                lt_status (*step)(lt_optimizer *opt));
    /* checkpoint state: members added to `out` (an empty object; nothing added = no
     * state, as the true precisions); load_state_dict gets what state_dict wrote and
     * either takes all of it or fails with the message on ctx, changing nothing */
    lt_status (*state_dict)(const ltr_precision *p, lt_ctx *ctx, cJSON *out);
    lt_status (*load_state_dict)(ltr_precision *p, lt_ctx *ctx, const cJSON *state);
} ltr_precision_ops;

struct ltr_precision {
    const ltr_precision_ops *ops;
    void *impl; /* the implementation's own state */
};

/* --trainer.precision as the options store it: the true precisions by their bits */
enum {
    LTR_PRECISION_32_TRUE = 32,
    LTR_PRECISION_64_TRUE = 64,
    LTR_PRECISION_BF16_MIXED = 1016, /* Lightning's MixedPrecision("bf16-mixed", "cpu") */
    /* "16-mixed": float16 AMP. On the CPU Lightning's accelerator connector runs
     * bf16-mixed instead, with a warning (ltr_precision_announce); so does ltrun, whose
     * only accelerator is the CPU. */
    LTR_PRECISION_16_MIXED = 16,
};
/* The bits a parameter takes under that precision (the model summary's size estimate:
 * mixed precisions keep float32 parameters). */
static inline int ltr_precision_param_bits(int64_t code) { return code == 64 ? 64 : 32; }

/* The built-in precision named by --trainer.precision's value (an LTR_PRECISION_ code,
 * as the options store it); NULL for any other. Static: nothing to free. */
ltr_precision *ltr_precision_builtin(int64_t bits);
/* What Lightning says at Trainer init about the precision (rank zero only): the
 * deprecation warning of an alias ("16", "bf16": `alias` as the user typed it, "" when
 * none), the CPU's replacement of 16-mixed, and "Using bfloat16 Automatic Mixed
 * Precision (AMP)" for the mixed modes. */
void ltr_precision_announce(int64_t code, const char *alias, FILE *out);
/* By Lightning's name ("32-true", "64-true", "bf16-mixed"); NULL when unknown. */
ltr_precision *ltr_precision_by_name(const char *name);

/* The precision's conversion of a float32 request (ltr_float_dtype in the context). */
static inline lt_dtype ltr_precision_float_dtype(const ltr_precision *p) {
    return p && p->ops->float_dtype ? p->ops->float_dtype(p) : LT_FLOAT32;
}

/* Calls that tolerate NULL entries (the wrappers the strategy and loops use). */
lt_status ltr_precision_convert_module(ltr_precision *p, lt_ctx *ctx);
lt_status ltr_precision_forward_enter(ltr_precision *p, lt_ctx *ctx, const char *hook);
void ltr_precision_forward_exit(ltr_precision *p, lt_ctx *ctx, const char *hook);
/* pre_backward, backward (module_backward inside), post_backward */
lt_status ltr_precision_run_backward(ltr_precision *p, lt_ctx *ctx, lt_tensor *loss,
                                     ltr_module_backward_fn module_backward, void *arg);
lt_status ltr_precision_optimizer_step(ltr_precision *p, lt_ctx *ctx, lt_optimizer *opt,
                                       lt_status (*step)(lt_optimizer *opt));
/* The state a checkpoint stores for p: a new object (owned by the caller), or NULL when
 * p has none (NULL p, no state_dict entry, or an empty object) or on error (*failed set,
 * the message on ctx). */
cJSON *ltr_precision_state_dict(const ltr_precision *p, lt_ctx *ctx, bool *failed);
/* p.load_state_dict(state); LT_OK when p keeps no state (Lightning calls it only when
 * the checkpoint has an entry under p's class name). */
lt_status ltr_precision_load_state_dict(ltr_precision *p, lt_ctx *ctx, const cJSON *state);
/* Lightning's name of p ("32-true" for NULL: the default precision). */
static inline const char *ltr_precision_name(const ltr_precision *p) {
    return p ? p->ops->name : "32-true";
}

#endif
