/*
 * grad_api.c — host services that read gradients (ABI 1.8: gradients, ltrun/grads.h):
 * lt_grad, a parameter's .grad or NULL, and lt_grad_norm, Lightning 2.6's
 * lightning.pytorch.utilities.grad_norm: {"grad_{p}_norm/{name}": p.grad.norm(p) for
 * each named parameter whose grad is not None} plus "grad_{p}_norm_total" =
 * torch.tensor(norms).norm(p), with p = float(norm_type) > 0 or inf.
 *
 * The norms are tensor ops on the grads' device (only the scalar result is read back),
 * in the grad's dtype as torch computes p.grad.data.norm(p).
 */
#include "optim/optimizer.h" /* ltr_optim_pyfloat: the key's "2.0" / "inf" */
#include "tensor/ops.h"
#include "trainer/hooks.h"
#include "trainer/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grad_defined(const lt_tensor *p) {
    return p && (p->flags & LTR_T_PARAM) && p->grad && (p->flags & LTR_T_GRAD_DEFINED);
}

lt_tensor *ltr_api_grad(lt_ctx *c, const lt_tensor *param) {
    (void)c;
    return grad_defined(param) ? param->grad : NULL;
}

/* ||g||_p in g's dtype, read back as a double; false (message recorded) on failure */
static bool param_norm(lt_ctx *c, lt_tensor *g, double p, double *out) {
    lt_tensor *a = ltr_abs(c, g), *n;
    if (isinf(p)) n = ltr_max(c, a);
    else if (p == 1.0) n = ltr_sum(c, a);
    else n = ltr_pow_scalar(c, ltr_sum(c, ltr_pow_scalar(c, a, p)), 1.0 / p);
    lt_tensor *d = ltr_to(c, n, LT_FLOAT64);
    return d && ltr_tensor_to_host(c, d, out, sizeof *out) == LT_OK;
}

/* The names of the last call, kept until the next (the SDK's lifetime promise). */
static char **key_buf;
static int64_t key_count;

static void keys_free(void) {
    for (int64_t i = 0; i < key_count; i++) free(key_buf[i]);
    free(key_buf);
    key_buf = NULL;
    key_count = 0;
}

int64_t ltr_api_grad_norm(lt_ctx *c, double norm_type, const char **names, double *values,
                          int64_t cap) {
    if (!(norm_type > 0)) { /* also NaN */
        ltr_fail(c, "lt_grad_norm: `norm_type` must be a positive number or 'inf' (infinity "
                    "norm). Got %g", norm_type);
        return -1;
    }
    if (cap < 0 || (cap > 0 && (!names || !values))) {
        ltr_fail(c, "lt_grad_norm: names and values must hold cap (%lld) entries",
                 (long long)cap);
        return -1;
    }
    keys_free();
    int64_t np = ltr_api_param_count(c);
    key_buf = calloc((size_t)np + 1, sizeof *key_buf);
    if (!key_buf && np >= 0) {
        ltr_fail(c, "lt_grad_norm: out of memory");
        return -1;
    }
    char p_text[40];
    ltr_optim_pyfloat(norm_type, p_text, sizeof p_text);
    double total = 0; /* sum of |norm|^p, or the max for inf */
    bool all_f32 = true;
    int64_t n = 0;
    for (int64_t i = 0; i < np; i++) {
        const char *name = NULL;
        lt_tensor *p = ltr_api_param_at(c, i, &name);
        if (!grad_defined(p)) continue;
        double v;
        if (!param_norm(c, p->grad, norm_type, &v)) return -1;
        all_f32 = all_f32 && p->grad->dtype == LT_FLOAT32;
        if (isinf(norm_type)) total = v > total || isnan(v) ? v : total;
        else total += pow(fabs(v), norm_type);
        size_t len = strlen(p_text) + strlen(name ? name : "") + 16;
        if (!(key_buf[n] = malloc(len))) {
            ltr_fail(c, "lt_grad_norm: out of memory");
            return -1;
        }
        snprintf(key_buf[n], len, "grad_%s_norm/%s", p_text, name ? name : "");
        if (n < cap) {
            names[n] = key_buf[n];
            values[n] = v;
        }
        key_count = ++n;
    }
    if (n == 0) return 0; /* Lightning: an empty dict, no total */
    if (!isinf(norm_type)) total = pow(total, 1.0 / norm_type);
    /* torch.tensor(list of float32 norms).norm(p) is a float32 */
    if (all_f32) total = (double)(float)total;
    size_t len = strlen(p_text) + 32;
    if (!(key_buf[n] = malloc(len))) {
        ltr_fail(c, "lt_grad_norm: out of memory");
        return -1;
    }
    snprintf(key_buf[n], len, "grad_%s_norm_total", p_text);
    if (n < cap) {
        names[n] = key_buf[n];
        values[n] = total;
    }
    key_count = ++n;
    return n;
}

/* ABI 1.9: the gradients extension's should_accumulate (DDP's no_sync): the training
 * loop's _should_accumulate for the batch being run; manual optimization syncs every
 * backward (Lightning blocks the sync only in automatic optimization) */
bool ltr_api_should_accumulate(lt_ctx *c) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    return t && !t->manual.enabled && c->stage == LT_STAGE_FIT && t->loop.should_accumulate;
}
