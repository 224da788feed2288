/*
 * backbone_finetuning.c — Lightning 2.6's BackboneFinetuning over BaseFinetuning
 * (callbacks/finetuning.py), as a callback plugin.
 *
 * init args (Lightning's): unfreeze_backbone_at_epoch 10, lambda_func 1.5 (Lightning's
 * default `multiplicative`: epoch -> 1.5; a callable cannot cross the ABI, so the constant
 * multiplier is given), backbone_initial_ratio_lr 0.1, backbone_initial_lr null,
 * should_align true, initial_denom_lr 10.0, train_bn true, verbose false, rounding 12; and
 * backbone "backbone": the module's `backbone` attribute as a parameter name prefix — the
 * backbone is every parameter named PREFIX.* (a plugin module has no attributes).
 * BatchNorm layers are the parameters X.weight / X.bias of a prefix X that has a
 * buffer X.running_mean (lt_batchnorm_init's names).
 *
 * Reproduced behaviour:
 *  - setup (every stage): freeze_before_training = freeze(backbone, train_bn):
 *    requires_grad false on the backbone's parameters, BatchNorm ones kept trainable when
 *    train_bn (make_trainable). configure_optimizers runs after, so a module that builds
 *    its optimizer over the parameters that require grad (torch's
 *    filter(lambda p: p.requires_grad, ...), with lt_optimizer_params) leaves the frozen
 *    backbone out, as Lightning's example does.
 *  - on_fit_start: no backbone parameter is Lightning's MisconfigurationException.
 *  - on_train_epoch_start, for every optimizer: finetune_function(epoch):
 *    epoch == unfreeze_backbone_at_epoch: current_lr = param_groups[0]["lr"]; initial =
 *    backbone_initial_lr or current_lr * backbone_initial_ratio_lr; unfreeze_and_add_param_
 *    group(backbone, lr=initial): every backbone parameter trainable, then
 *    filter_params(train_bn) minus those already in the optimizer (filter_on_optimizer's
 *    warning when some are) becomes a new param group at `initial` (lt_optimizer_add_param_
 *    group, ABI 1.8);
 *    epoch > unfreeze_backbone_at_epoch: next = lambda_func * previous_backbone_lr, capped
 *    at current_lr when should_align, set on param_groups[-1] (the last group, as Lightning
 *    does even when no group was added);
 *    verbose: "Current lr: X, Backbone lr: Y" (round(v, rounding)) on stderr.
 *  - state_dict: {"internal_optimizer_metadata": per optimizer, one {"lr": ..} per param
 *    group (without Lightning's parameter names), "previous_backbone_lr"}; load_state_dict
 *    restores previous_backbone_lr.
 * Differences:
 *  - train_bn false: Lightning's freeze_module also sets BatchNorm's track_running_stats
 *    False (batch statistics, running stats untouched); ltrun's BatchNorm has no such
 *    switch, so only requires_grad is changed and the running statistics keep updating.
 *  - resume after the unfreeze epoch: BaseFinetuning.on_fit_start re-creates the param
 *    groups before Lightning restores the optimizer state; ltrun restores the optimizer
 *    state before on_fit_start, so that resume stops with the optimizer's "different
 *    number of parameter groups" error. Resuming before the unfreeze epoch works. (In
 *    Lightning 2.6 such a resume runs but leaves the backbone frozen: setup re-freezes it
 *    and on_fit_start restores only the group membership, Lightning issue #21901.)
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's BackboneFinetuning: frozen backbone, unfrozen later as its own param group"
#include "ltrun.h"

#include "cb_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct finetune {
    int64_t unfreeze_at;
    double lambda, ratio, initial_lr, denom;
    bool has_initial_lr, should_align, train_bn, verbose;
    int64_t rounding;
    char prefix[256];
    bool has_previous;
    double previous_lr;
} finetune;

static void *bf_create(lt_ctx *ctx, const lt_hparams *hp) {
    finetune *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->unfreeze_at = lt_hp_int(ctx, hp, "unfreeze_backbone_at_epoch", 10);
    f->lambda = lt_hp_float(ctx, hp, "lambda_func", 1.5);
    f->ratio = lt_hp_float(ctx, hp, "backbone_initial_ratio_lr", 10e-2);
    const char *il = lt_hp_json(ctx, hp, "backbone_initial_lr");
    if (il && strcmp(il, "null")) {
        char *end;
        f->initial_lr = strtod(il, &end);
        f->has_initial_lr = true;
        if (*end || !(f->initial_lr >= 0)) {
            lt_fail(ctx, "backbone_finetuning: backbone_initial_lr must be null or a number >= 0, "
                         "got %s", il);
            free(f);
            return NULL;
        }
    }
    f->should_align = lt_hp_bool(ctx, hp, "should_align", true);
    f->denom = lt_hp_float(ctx, hp, "initial_denom_lr", 10.0);
    f->train_bn = lt_hp_bool(ctx, hp, "train_bn", true);
    f->verbose = lt_hp_bool(ctx, hp, "verbose", false);
    f->rounding = lt_hp_int(ctx, hp, "rounding", 12);
    snprintf(f->prefix, sizeof f->prefix, "%s", lt_hp_str(ctx, hp, "backbone", "backbone"));
    if (!f->prefix[0] || strpbrk(f->prefix, "*?[|")) {
        lt_fail(ctx, "backbone_finetuning: backbone must be a parameter name prefix such as "
                     "\"backbone\" (no glob characters), got '%s'", f->prefix);
        free(f);
        return NULL;
    }
    return f;
}

static void bf_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static bool in_backbone(const finetune *f, const char *name) {
    size_t n = strlen(f->prefix);
    return name && !strncmp(name, f->prefix, n) && (name[n] == '.' || name[n] == '\0');
}

/* is the parameter a BatchNorm layer's (a sibling buffer NAME.running_mean exists) */
static bool is_batchnorm_param(lt_ctx *ctx, const char *name) {
    const char *dot = strrchr(name, '.');
    size_t k = dot ? (size_t)(dot - name) : 0;
    for (int64_t i = 0; dot && i < lt_buffer_count(ctx); i++) {
        const char *b;
        lt_buffer_at(ctx, i, &b);
        if (b && !strncmp(b, name, k) && !strcmp(b + k, ".running_mean")) return true;
    }
    return false;
}

/* BaseFinetuning.freeze(backbone, train_bn) */
static lt_status freeze(lt_ctx *ctx, const finetune *f) {
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (!in_backbone(f, name)) continue;
        bool trainable = f->train_bn && is_batchnorm_param(ctx, name);
        if (lt_set_requires_grad(ctx, p, trainable) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

static lt_status bf_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    (void)stage;
    return freeze(ctx, self);
}

static lt_status bf_on_fit_start(lt_ctx *ctx, void *self) {
    finetune *f = self;
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_param_at(ctx, i, &name);
        if (in_backbone(f, name)) return LT_OK;
    }
    return lt_fail(ctx, "backbone_finetuning: The LightningModule should have a nn.Module "
                        "`backbone` attribute (no parameter is named %s.*; set the init arg "
                        "backbone to the backbone's name prefix)", f->prefix);
}

/* round(v, ndigits) as Python prints it */
static const char *py_round(double v, int64_t nd, char *buf, size_t cap) {
    char t[64];
    snprintf(t, sizeof t, "%.*f", (int)(nd < 0 ? 0 : nd > 30 ? 30 : nd), v);
    return cb_pyfloat(strtod(t, NULL), buf, cap);
}

static void say(const finetune *f, double current, double backbone) {
    if (!f->verbose) return;
    char a[64], b[64];
    fprintf(stderr, "Current lr: %s, Backbone lr: %s\n", py_round(current, f->rounding, a, sizeof a),
            py_round(backbone, f->rounding, b, sizeof b));
}

/* BaseFinetuning.unfreeze_and_add_param_group(backbone, optimizer, lr, train_bn) */
static lt_status unfreeze_and_add_param_group(lt_ctx *ctx, const finetune *f, lt_optimizer *o,
                                              double lr) {
    size_t cap = 4096, len = 0;
    char *names = lt_scratch(ctx, cap);
    if (!names) return LT_ERROR;
    names[0] = '\0';
    bool removed = false;
    for (int64_t i = 0; i < lt_param_count(ctx); i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (!in_backbone(f, name)) continue;
        if (lt_set_requires_grad(ctx, p, true) != LT_OK) return LT_ERROR; /* make_trainable */
        if (!f->train_bn && is_batchnorm_param(ctx, name)) continue;     /* filter_params */
        if (lt_optimizer_has_param(ctx, o, p)) { /* filter_on_optimizer */
            removed = true;
            continue;
        }
        size_t n = strlen(name);
        if (len + n + 2 > cap) { /* grow the '|'-joined list of exact names */
            char *bigger = lt_scratch(ctx, 2 * cap + n);
            if (!bigger) return LT_ERROR;
            memcpy(bigger, names, len + 1);
            names = bigger;
            cap = 2 * cap + n;
        }
        len += (size_t)snprintf(names + len, cap - len, "%s%s", len ? "|" : "", name);
    }
    if (removed)
        fprintf(stderr, "UserWarning: The provided params to be frozen already exist within another "
                        "group of this optimizer. Those parameters will be skipped.\nHINT: Did you "
                        "init your optimizer in `configure_optimizer` as such:\n %s(filter(lambda p: "
                        "p.requires_grad, self.parameters()), ...) (in ltrun: lt_optimizer_params "
                        "over the parameters that require grad)\n", lt_optimizer_name(ctx, o));
    if (len && lt_optimizer_add_param_group(ctx, o, names, lr) < 0) return LT_ERROR;
    return LT_OK;
}

static lt_status finetune_function(lt_ctx *ctx, finetune *f, lt_optimizer *o, int64_t epoch) {
    double current = lt_group_get(ctx, o, 0, "lr");
    if (epoch == f->unfreeze_at) {
        double initial = f->has_initial_lr ? f->initial_lr : current * f->ratio;
        f->previous_lr = initial;
        f->has_previous = true;
        /* lr is given, so BaseFinetuning's initial_denom_lr does not apply (denom 1.0) */
        if (unfreeze_and_add_param_group(ctx, f, o, initial) != LT_OK) return LT_ERROR;
        say(f, current, initial);
    } else if (epoch > f->unfreeze_at) {
        if (!f->has_previous)
            return lt_fail(ctx, "backbone_finetuning: no previous backbone lr at epoch %lld (the "
                                "run started after unfreeze_backbone_at_epoch without the "
                                "callback's checkpoint state)", (long long)epoch);
        double next = f->lambda * f->previous_lr;
        if (f->should_align && next > current) next = current;
        int last = lt_num_param_groups(ctx, o) - 1;
        if (lt_group_set(ctx, o, last, "lr", next) != LT_OK) return LT_ERROR;
        f->previous_lr = next;
        say(f, current, next);
    }
    return LT_OK;
}

static lt_status bf_on_train_epoch_start(lt_ctx *ctx, void *self) {
    finetune *f = self;
    lt_optimizer *o;
    for (int i = 0; (o = lt_optimizers(ctx, i)); i++)
        if (finetune_function(ctx, f, o, ctx->current_epoch) != LT_OK) return LT_ERROR;
    return LT_OK;
}

/* "internal_optimizer_metadata": {"<optimizer index>": [{"lr": ..}, ...]} — one entry per
 * param group (Lightning's _store lists each group's options and parameter names; the SDK
 * reads no group membership, so the names are left out) — and "previous_backbone_lr" */
static lt_status bf_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    finetune *f = self;
    char j[8192], num[64];
    size_t len = 0;
    len += (size_t)snprintf(j + len, sizeof j - len, "{");
    lt_optimizer *o;
    for (int i = 0; (o = lt_optimizers(ctx, i)) && len < sizeof j; i++) {
        len += (size_t)snprintf(j + len, sizeof j - len, "%s\"%d\": [", i ? ", " : "", i);
        for (int g = 0; g < lt_num_param_groups(ctx, o) && len < sizeof j; g++)
            len += (size_t)snprintf(j + len, sizeof j - len, "%s{\"lr\": %s}", g ? ", " : "",
                                    cb_json_number(lt_group_get(ctx, o, g, "lr"), true, num, sizeof num));
        if (len < sizeof j) len += (size_t)snprintf(j + len, sizeof j - len, "]");
    }
    if (len < sizeof j) len += (size_t)snprintf(j + len, sizeof j - len, "}");
    if (len >= sizeof j) return lt_fail(ctx, "backbone_finetuning: too many param groups to save");
    lt_status rc = lt_ckpt_put_json(ctx, w, "internal_optimizer_metadata", j);
    if (rc == LT_OK)
        rc = lt_ckpt_put_json(ctx, w, "previous_backbone_lr",
                              cb_json_number(f->previous_lr, f->has_previous, num, sizeof num));
    return rc;
}

static lt_status bf_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    finetune *f = self;
    const char *j = lt_ckpt_get_json(ctx, r, "previous_backbone_lr");
    if (j && strcmp(j, "null")) {
        f->previous_lr = cb_parse_number(j);
        f->has_previous = true;
    }
    return LT_OK;
}

LT_CALLBACK(backbone_finetuning, .create = bf_create, .destroy = bf_destroy, .setup = bf_setup,
            .on_fit_start = bf_on_fit_start, .on_train_epoch_start = bf_on_train_epoch_start,
            .state_dict = bf_state_dict, .load_state_dict = bf_load_state_dict)
