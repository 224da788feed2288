/*
 * optimizer.c — what the optimizers share: construction over ctx->params, param
 * groups (made by parameter name, options set and read by torch's key names), lazily
 * allocated state, zero_grad, step dispatch, free, and Python-style number formatting
 * for torch.optim's error messages.
 */
#include "optim/optimizer.h"

#include "accelerators/registry.h"
#include "optim/configure.h"

#include <fnmatch.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lt_optimizer *ltr_optimizer_new(lt_ctx *ctx, ltr_optim_kind kind, const char *name,
                                const ltr_optim_hp *hp) {
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
    if (o) {
        o->state = calloc((size_t)ps->count, sizeof *o->state);
        o->groups = calloc(1, sizeof *o->groups);
        if (o->groups) o->groups[0].index = malloc((size_t)ps->count * sizeof(int64_t));
    }
    if (!o || !o->state || !o->groups || !o->groups[0].index) {
        if (o) free(o->state), free(o->groups);
        free(o);
        ltr_fail(ctx, "%s: out of memory", name);
        return NULL;
    }
    o->kind = kind;
    o->name = name;
    o->params = ps;
    o->nstate = ps->count;
    o->ctx = ctx;
    o->defaults = *hp;
    /* one group holding every parameter, in registration order (model.parameters()) */
    o->ngroups = 1;
    o->groups[0].hp = *hp;
    o->groups[0].n = ps->count;
    for (int64_t i = 0; i < ps->count; i++) o->groups[0].index[i] = i;
    /* made inside a run: the run owns it (freed with the trainer's optimizer setup) */
    ltr_optim_setup *setup = ltr_ctx_of(ctx)->optim;
    if (setup && ltr_optim_setup_own(setup, o, NULL) != LT_OK) {
        ltr_optimizer_free(o);
        ltr_fail(ctx, "%s: out of memory", name);
        return NULL;
    }
    return o;
}

/* ------------------------------------------------------------------ param groups */

/* Does `name` match one of the '|'-separated globs of `pattern`? */
static bool names_match(const char *pattern, const char *name) {
    char one[256];
    for (const char *p = pattern;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len < sizeof one) {
            memcpy(one, p, len);
            one[len] = '\0';
            if (len > 0 && fnmatch(one, name, 0) == 0) return true;
        }
        if (!bar) return false;
        p = bar + 1;
    }
}

static bool has_state(const lt_optimizer *o) {
    for (int64_t i = 0; i < o->nstate; i++)
        if (o->state[i].buf1 || o->state[i].buf2 || o->state[i].buf3 || o->state[i].step) return true;
    return false;
}

int ltr_param_group_add(lt_ctx *ctx, lt_optimizer *o, const char *names) {
    if (!o || !names || !*names) {
        ltr_fail(ctx, "lt_param_group: %s", !o ? "no optimizer (NULL)" : "no parameter names given");
        return -1;
    }
    if (has_state(o)) {
        ltr_fail(ctx, "lt_param_group('%s'): %s has already taken steps; make param groups in "
                      "configure_optimizers, right after the optimizer", names, o->name);
        return -1;
    }
    int64_t count = o->params->count, matched = 0;
    for (int64_t i = 0; i < count; i++)
        if (o->params->params[i]->name && names_match(names, o->params->params[i]->name)) matched++;
    if (matched == 0) {
        /* torch's groups list parameters explicitly; a pattern that matches nothing is
         * almost always a typo, so it is an error naming what exists */
        char list[512] = "";
        size_t k = 0;
        for (int64_t i = 0; i < count && k + 4 < sizeof list; i++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                                  o->params->params[i]->name ? o->params->params[i]->name : "?");
        ltr_fail(ctx, "lt_param_group('%s'): no parameter of the module matches (parameters: %s)",
                 names, list);
        return -1;
    }
    ltr_param_group *g = realloc(o->groups, (size_t)(o->ngroups + 1) * sizeof *g);
    if (!g) {
        ltr_fail(ctx, "lt_param_group: out of memory");
        return -1;
    }
    o->groups = g;
    ltr_param_group *ng = &o->groups[o->ngroups];
    memset(ng, 0, sizeof *ng);
    ng->index = malloc((size_t)matched * sizeof(int64_t));
    if (!ng->index) {
        ltr_fail(ctx, "lt_param_group: out of memory");
        return -1;
    }
    ng->hp = o->defaults;
    /* move the matching parameters out of the groups they were in, keeping the order */
    for (int k = 0; k < o->ngroups; k++) {
        ltr_param_group *old = &o->groups[k];
        int64_t keep = 0;
        for (int64_t j = 0; j < old->n; j++) {
            int64_t i = old->index[j];
            const char *nm = o->params->params[i]->name;
            if (nm && names_match(names, nm)) ng->index[ng->n++] = i;
            else old->index[keep++] = i;
        }
        old->n = keep;
    }
    /* parameters that were in no group (none today) stay out */
    return o->ngroups++;
}

/* manual optimization: torch's Adam(self.generator.parameters()) — the
 * optimizer keeps only the parameters whose names match; the others leave every group. */
lt_status ltr_optimizer_params(lt_ctx *ctx, lt_optimizer *o, const char *names) {
    if (!o || !names || !*names)
        return ltr_fail(ctx, "lt_optimizer_params: %s",
                        !o ? "no optimizer (NULL)" : "no parameter names given");
    if (has_state(o))
        return ltr_fail(ctx, "lt_optimizer_params('%s'): %s has already taken steps; choose its "
                             "parameters in configure_optimizers, right after making it",
                        names, o->name);
    int64_t kept = 0;
    for (int k = 0; k < o->ngroups; k++) {
        ltr_param_group *g = &o->groups[k];
        for (int64_t j = 0; j < g->n; j++) {
            const char *nm = o->params->params[g->index[j]]->name;
            if (nm && names_match(names, nm)) kept++;
        }
    }
    if (kept == 0) {
        /* torch.optim.Optimizer.__init__: "optimizer got an empty parameter list" */
        char list[512] = "";
        size_t k = 0;
        for (int64_t i = 0; i < o->params->count && k + 4 < sizeof list; i++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                                  o->params->params[i]->name ? o->params->params[i]->name : "?");
        return ltr_fail(ctx, "lt_optimizer_params('%s'): no parameter of %s matches, so it would "
                             "get an empty parameter list (parameters: %s)", names, o->name, list);
    }
    for (int k = 0; k < o->ngroups; k++) {
        ltr_param_group *g = &o->groups[k];
        int64_t keep = 0;
        for (int64_t j = 0; j < g->n; j++) {
            const char *nm = o->params->params[g->index[j]]->name;
            if (nm && names_match(names, nm)) g->index[keep++] = g->index[j];
        }
        g->n = keep;
    }
    return LT_OK;
}

int64_t ltr_optimizer_param_list(const lt_optimizer *o, lt_tensor **out) {
    int64_t n = 0;
    for (int k = 0; o && k < o->ngroups; k++)
        for (int64_t j = 0; j < o->groups[k].n; j++) {
            if (out) out[n] = o->params->params[o->groups[k].index[j]];
            n++;
        }
    return n;
}

bool ltr_optimizer_holds(const lt_optimizer *o, int64_t param_index) {
    for (int k = 0; o && k < o->ngroups; k++)
        for (int64_t j = 0; j < o->groups[k].n; j++)
            if (o->groups[k].index[j] == param_index) return true;
    return false;
}

int ltr_num_param_groups(const lt_optimizer *o) { return o ? o->ngroups : 0; }

/* The options torch keeps in each param group, by key, per optimizer. */
typedef struct hp_key {
    const char *key;
    size_t offset; /* in the kind's options struct */
    bool is_bool;
    double upper;  /* values must be < upper (betas), else INFINITY */
} hp_key;
#define K(T, f) {#f, offsetof(T, f), false, INFINITY}
#define KB(T, f) {#f, offsetof(T, f), true, INFINITY}
static const hp_key SGD_KEYS[] = {K(lt_sgd_options, lr), K(lt_sgd_options, momentum),
                                  K(lt_sgd_options, dampening), K(lt_sgd_options, weight_decay),
                                  KB(lt_sgd_options, nesterov), KB(lt_sgd_options, maximize), {0}};
static const hp_key ADAM_KEYS[] = {K(lt_adam_options, lr),
                                   {"beta1", offsetof(lt_adam_options, beta1), false, 1.0},
                                   {"beta2", offsetof(lt_adam_options, beta2), false, 1.0},
                                   K(lt_adam_options, eps), K(lt_adam_options, weight_decay),
                                   KB(lt_adam_options, amsgrad), KB(lt_adam_options, maximize), {0}};
static const hp_key RMSPROP_KEYS[] = {K(lt_rmsprop_options, lr), K(lt_rmsprop_options, alpha),
                                      K(lt_rmsprop_options, eps), K(lt_rmsprop_options, weight_decay),
                                      K(lt_rmsprop_options, momentum), KB(lt_rmsprop_options, centered),
                                      KB(lt_rmsprop_options, maximize), {0}};
static const hp_key ADAGRAD_KEYS[] = {K(lt_adagrad_options, lr), K(lt_adagrad_options, lr_decay),
                                      K(lt_adagrad_options, weight_decay),
                                      K(lt_adagrad_options, initial_accumulator_value),
                                      K(lt_adagrad_options, eps), KB(lt_adagrad_options, maximize), {0}};
#undef K
#undef KB

static const hp_key *keys_of(ltr_optim_kind kind) {
    switch (kind) {
    case LTR_OPTIM_SGD: return SGD_KEYS;
    case LTR_OPTIM_ADAM:
    case LTR_OPTIM_ADAMW: return ADAM_KEYS;
    case LTR_OPTIM_RMSPROP: return RMSPROP_KEYS;
    case LTR_OPTIM_ADAGRAD: return ADAGRAD_KEYS;
    }
    return NULL;
}

static const hp_key *find_key(const lt_optimizer *o, const char *key) {
    const hp_key *k = keys_of(o->kind);
    for (; k && k->key; k++)
        if (key && strcmp(k->key, key) == 0) return k;
    return NULL;
}

const char *ltr_group_key_at(const lt_optimizer *o, int i) {
    const hp_key *k = keys_of(o->kind);
    for (int j = 0; k && k->key; k++, j++)
        if (j == i) return k->key;
    return NULL;
}

const char *ltr_optim_kind_key(int kind, int i, bool *is_bool, double *upper) {
    const hp_key *k = keys_of((ltr_optim_kind)kind);
    for (int j = 0; k && k->key; k++, j++)
        if (j == i) {
            if (is_bool) *is_bool = k->is_bool;
            if (upper) *upper = k->upper;
            return k->key;
        }
    return NULL;
}

lt_status ltr_group_set(lt_ctx *ctx, lt_optimizer *o, int group, const char *key, double value) {
    if (!o || group < 0 || group >= o->ngroups) {
        return ltr_fail(ctx, "lt_group_set(%d, '%s'): %s has %d param group(s)", group,
                        key ? key : "", o ? o->name : "the optimizer (NULL)", o ? o->ngroups : 0);
    }
    const hp_key *k = find_key(o, key);
    if (!k) {
        char list[256] = "";
        size_t n = 0;
        for (const hp_key *e = keys_of(o->kind); e->key; e++)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", e->key);
        return ltr_fail(ctx, "lt_group_set: %s has no param group option '%s' (it has: %s)",
                        o->name, key ? key : "", list);
    }
    char *base = (char *)&o->groups[group].hp;
    if (k->is_bool) {
        *(bool *)(base + k->offset) = value != 0;
        return LT_OK;
    }
    /* the constructors' checks (torch's `not 0.0 <= x`, betas < 1), so a nan is refused */
    if (!(value >= 0 && value < k->upper)) {
        char v[48];
        return ltr_fail(ctx, "%s: Invalid %s value: %s (param group %d)", o->name, key,
                        ltr_optim_pyfloat(value, v, sizeof v), group);
    }
    *(double *)(base + k->offset) = value;
    return LT_OK;
}

double ltr_group_get(const lt_optimizer *o, int group, const char *key) {
    if (!o || group < 0 || group >= o->ngroups) return NAN;
    if (key && strcmp(key, "initial_lr") == 0)
        return o->groups[group].has_initial_lr ? o->groups[group].initial_lr : NAN;
    const hp_key *k = find_key(o, key);
    if (!k) return NAN;
    const char *base = (const char *)&o->groups[group].hp;
    return k->is_bool ? (*(const bool *)(base + k->offset) ? 1.0 : 0.0)
                      : *(const double *)(base + k->offset);
}

double *ltr_group_lr(lt_optimizer *o, int group) {
    ltr_optim_hp *hp = &o->groups[group].hp;
    switch (o->kind) {
    case LTR_OPTIM_SGD: return &hp->sgd.lr;
    case LTR_OPTIM_ADAM:
    case LTR_OPTIM_ADAMW: return &hp->adam.lr;
    case LTR_OPTIM_RMSPROP: return &hp->rmsprop.lr;
    case LTR_OPTIM_ADAGRAD: return &hp->adagrad.lr;
    }
    return &hp->sgd.lr;
}

double *ltr_group_momentum(lt_optimizer *o, int group) {
    ltr_optim_hp *hp = &o->groups[group].hp;
    switch (o->kind) {
    case LTR_OPTIM_SGD: return &hp->sgd.momentum;
    case LTR_OPTIM_ADAM:
    case LTR_OPTIM_ADAMW: return &hp->adam.beta1;
    case LTR_OPTIM_RMSPROP: return &hp->rmsprop.momentum;
    case LTR_OPTIM_ADAGRAD: return NULL;
    }
    return NULL;
}

/* Zeroed state buffer made on a parameter's first update: PyTorch fills `state[p]`
 * only when p first has a grad (torch.zeros_like / clone), never in __init__. */
/* The state is a tensor on p's device (torch.zeros_like(p, memory_format=preserve)). */
lt_tensor *ltr_optim_buffer(const lt_tensor *p, lt_tensor **buf) {
    if (!*buf) *buf = ltr_heap_tensor(p->device, p->dtype, p->ndim, p->shape);
    return *buf;
}

void ltr_optim_state_release(lt_optimizer *o, int64_t i) {
    ltr_optim_state *st = &o->state[i];
    ltr_heap_tensor_free(st->buf1);
    ltr_heap_tensor_free(st->buf2);
    ltr_heap_tensor_free(st->buf3);
    memset(st, 0, sizeof *st);
}

/* optimizer.zero_grad(set_to_none=True), torch 2.x's default: grads become None. */
/* NULL: configure_optimizers returned None (Lightning's _MockOptimizer: both no-ops) */
/* Only the optimizer's own parameters (torch iterates its param_groups), so zeroing one
 * optimizer of several (manual optimization) leaves the others' gradients alone. */
void ltr_optimizer_zero_grad(lt_optimizer *o) {
    for (int k = 0; o && k < o->ngroups; k++)
        for (int64_t j = 0; j < o->groups[k].n; j++)
            o->params->params[o->groups[k].index[j]]->flags &= ~(uint32_t)LTR_T_GRAD_DEFINED;
}

lt_status ltr_optimizer_step(lt_optimizer *o) {
    if (!o) return LT_OK;
    /* a store that grew after the optimizer was made would index past state[] */
    if (o->params->count != o->nstate) {
        ltr_fail(o->ctx, "%s: the module has %lld parameters, the optimizer was made over %lld",
                 o->name, (long long)o->params->count, (long long)o->nstate);
        return LT_ERROR;
    }
    lt_status rc;
    switch (o->kind) {
    case LTR_OPTIM_SGD: rc = ltr_sgd_step(o); break;
    case LTR_OPTIM_RMSPROP: rc = ltr_rmsprop_step(o); break;
    case LTR_OPTIM_ADAGRAD: rc = ltr_adagrad_step(o); break;
    default: rc = ltr_adam_step(o); break; /* Adam, AdamW */
    }
    if (rc != LT_OK) ltr_fail(o->ctx, "%s: out of memory allocating optimizer state", o->name);
    return rc;
}

void ltr_optimizer_free(lt_optimizer *o) {
    if (!o) return;
    for (int64_t i = 0; i < o->nstate; i++) ltr_optim_state_release(o, i);
    free(o->state);
    for (int g = 0; g < o->ngroups; g++) free(o->groups[g].index);
    free(o->groups);
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

/* ------------------------------------------------ param groups added during a fit */

bool ltr_optimizer_has_param(lt_ctx *ctx, const lt_optimizer *o, const lt_tensor *param) {
    (void)ctx;
    for (int k = 0; o && param && k < o->ngroups; k++)
        for (int64_t j = 0; j < o->groups[k].n; j++)
            if (o->params->params[o->groups[k].index[j]] == param) return true;
    return false;
}

int ltr_optimizer_add_param_group(lt_ctx *ctx, lt_optimizer *o, const char *names, double lr) {
    if (!o || !names || !*names) {
        ltr_fail(ctx, "lt_optimizer_add_param_group: %s",
                 !o ? "no optimizer (NULL)" : "no parameter names given");
        return -1;
    }
    if (!isnan(lr) && !(lr >= 0)) {
        ltr_fail(ctx, "lt_optimizer_add_param_group('%s'): Invalid learning rate: %g", names, lr);
        return -1;
    }
    int64_t count = o->params->count, matched = 0;
    for (int64_t i = 0; i < count; i++) {
        lt_tensor *p = o->params->params[i];
        if (!p->name || !names_match(names, p->name) || !(p->flags & LTR_T_REQUIRES_GRAD)) continue;
        if (ltr_optimizer_has_param(ctx, o, p)) {
            ltr_fail(ctx, "lt_optimizer_add_param_group('%s'): some parameters appear in more "
                          "than one parameter group ('%s' is already in %s)", names, p->name,
                     o->name);
            return -1;
        }
        matched++;
    }
    if (matched == 0) {
        /* torch accepts an empty list here; BaseFinetuning never adds one, so it is a typo
         * or frozen parameters: say which */
        ltr_fail(ctx, "lt_optimizer_add_param_group('%s'): no parameter that requires grad "
                      "matches", names);
        return -1;
    }
    ltr_param_group *g = realloc(o->groups, (size_t)(o->ngroups + 1) * sizeof *g);
    if (!g) {
        ltr_fail(ctx, "lt_optimizer_add_param_group: out of memory");
        return -1;
    }
    o->groups = g;
    ltr_param_group *ng = &o->groups[o->ngroups];
    memset(ng, 0, sizeof *ng);
    ng->index = malloc((size_t)matched * sizeof(int64_t));
    if (!ng->index) {
        ltr_fail(ctx, "lt_optimizer_add_param_group: out of memory");
        return -1;
    }
    ng->hp = o->defaults;
    for (int64_t i = 0; i < count; i++) {
        lt_tensor *p = o->params->params[i];
        if (p->name && names_match(names, p->name) && (p->flags & LTR_T_REQUIRES_GRAD))
            ng->index[ng->n++] = i;
    }
    int gi = o->ngroups++;
    if (!isnan(lr)) *ltr_group_lr(o, gi) = lr;
    return gi;
}
