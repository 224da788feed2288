/*
 * param_store.c — heap-owned named parameters with persistent gradient buffers.
 *
 * Buffers (lt_buffer) sit in a second list of the same store: no grad, never seen by
 * optimizers (see the contract in tensor.h).
 *
 * Ownership: the store owns each parameter and buffer (struct, 64-byte aligned data, its grad
 * tensor and grad data, the strdup'd name) until ltr_param_store_free. Headers are host
 * memory; data and grad data come from the device the context was on at creation, through
 * that device's alloc (and go back through its free). The grad buffer
 * exists from creation; LTR_T_GRAD_DEFINED says whether it holds a value (p.grad is
 * not None), so zero_grad(set_to_none=True) is a flag clear and backward can write
 * straight into the buffer.
 */
#include "tensor/tensor.h"

#include "accelerators/registry.h"
#include "core/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ltr_param_store_init(ltr_param_store *s) { memset(s, 0, sizeof *s); }

static void free_data(lt_tensor *t) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    dev->free(self, t->data);
}

static void free_param(lt_tensor *p) {
    if (!p) return;
    if (p->grad) {
        free_data(p->grad);
        free(p->grad);
    }
    if (p->data) free_data(p);
    free((char *)p->name);
    free(p);
}

void ltr_param_store_free(ltr_param_store *s) {
    for (int64_t i = 0; i < s->count; i++) free_param(s->params[i]);
    for (int64_t i = 0; i < s->nbuffers; i++) free_param(s->buffers[i]);
    free(s->params);
    free(s->buffers);
    for (int64_t i = 0; i < s->nmodules; i++) free(s->module_names[i]);
    free(s->module_names);
    free(s->module_types);
    memset(s, 0, sizeof *s);
}

/* the layer registry the model summary reads (no store: nothing to note). */
void ltr_param_store_note_module(lt_ctx *ctx, const char *name, const char *type) {
    ltr_param_store *s = ltr_ctx_of(ctx)->params;
    if (!s || !name) return;
    if (s->nmodules == s->cap_modules) {
        int64_t cap = s->cap_modules ? 2 * s->cap_modules : 16;
        char **n = realloc(s->module_names, (size_t)cap * sizeof *n);
        if (!n) return;
        s->module_names = n;
        const char **t = realloc(s->module_types, (size_t)cap * sizeof *t);
        if (!t) return;
        s->module_types = t;
        s->cap_modules = cap;
    }
    char *copy = strdup(name);
    if (!copy) return;
    s->module_names[s->nmodules] = copy;
    s->module_types[s->nmodules++] = type;
}

int64_t ltr_param_store_numel(const ltr_param_store *s) {
    int64_t n = 0;
    for (int64_t i = 0; i < s->count; i++) n += ltr_numel(s->params[i]);
    return n;
}

lt_tensor *ltr_param_store_find(const ltr_param_store *s, const char *name) {
    for (int64_t i = 0; i < s->count; i++)
        if (!strcmp(s->params[i]->name, name)) return s->params[i];
    return NULL;
}

lt_tensor *ltr_param_store_find_buffer(const ltr_param_store *s, const char *name) {
    for (int64_t i = 0; i < s->nbuffers; i++)
        if (!strcmp(s->buffers[i]->name, name)) return s->buffers[i];
    return NULL;
}

void ltr_param_store_zero_grad(ltr_param_store *s) {
    for (int64_t i = 0; i < s->count; i++) s->params[i]->flags &= ~(uint32_t)LTR_T_GRAD_DEFINED;
}

static lt_tensor *make_entry(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim,
                             const int64_t *shape, bool buffer) {
    const char *fn = buffer ? "lt_buffer" : "lt_param";
    const char *what = buffer ? "buffer" : "parameter";
    ltr_param_store *s = ltr_ctx_of(ctx)->params;
    if (!s) {
        ltr_fail(ctx, "%s: %ss can only be created in the module's create or configure_model "
                      "hook (creating '%s')", fn, what, name ? name : "");
        return NULL;
    }
    if (!name || !*name) {
        ltr_fail(ctx, "%s: a %s needs a name (it is its state_dict key)", fn, what);
        return NULL;
    }
    if (ltr_param_store_find(s, name) || ltr_param_store_find_buffer(s, name)) {
        ltr_fail(ctx, "%s('%s'): a %s with this name already exists", fn, name,
                 ltr_param_store_find(s, name) ? "parameter" : "buffer");
        return NULL;
    }
    dt = ltr_float_dtype(ctx, dt); /* precision 64-true: module.double() */
    if (buffer ? ltr_dtype_size(dt) == 0 : dt != LT_FLOAT32 && dt != LT_FLOAT64) {
        ltr_fail(ctx, "%s('%s'): %ss must be %s, got %s", fn, name, what,
                 buffer ? "of a known dtype" : "float32 or float64", ltr_dtype_name(dt));
        return NULL;
    }
    if (ndim < 0 || ndim > LT_MAX_DIMS) {
        ltr_fail(ctx, "%s('%s'): %d dimensions (at most %d)", fn, name, ndim, LT_MAX_DIMS);
        return NULL;
    }
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0) {
            ltr_fail(ctx, "%s('%s'): negative dimension", fn, name);
            return NULL;
        }
    /* an absurd size (an hparam typo, or one saved in a checkpoint) is refused here with
     * its shape, before the allocation whose first touch would get the process OOM-killed */
    uint64_t bytes = ltr_dtype_size(dt);
    uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    bool huge = false;
    for (int d = 0; d < ndim; d++) huge |= __builtin_mul_overflow(bytes, (uint64_t)shape[d], &bytes);
    if (!buffer) huge |= __builtin_mul_overflow(bytes, (uint64_t)2, &bytes); /* and its .grad */
    if (huge || (phys > 0 && bytes > phys)) {
        char sh[256];
        size_t k = 0;
        for (int d = 0; d < ndim && k < sizeof sh; d++)
            k += (size_t)snprintf(sh + k, sizeof sh - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
        char need[64];
        if (huge) snprintf(need, sizeof need, "more than 2^64 bytes");
        else snprintf(need, sizeof need, "%.4g GB", (double)bytes / 1e9);
        ltr_fail(ctx, "%s('%s'): shape [%s] (%s) needs %s%s, more than this machine's %.4g GB of memory: "
                      "lower the hyperparameters that size it (with --ckpt-path, the ones saved in the "
                      "checkpoint count too)", fn, name, ndim ? sh : "", ltr_dtype_name(dt), need,
                 buffer ? "" : " with its gradient", (double)phys / 1e9);
        return NULL;
    }
    lt_tensor ***list = buffer ? &s->buffers : &s->params;
    int64_t *count = buffer ? &s->nbuffers : &s->count, *capp = buffer ? &s->cap_buffers : &s->cap;
    if (*count == *capp) {
        int64_t cap = *capp ? 2 * *capp : 16;
        lt_tensor **grown = realloc(*list, (size_t)cap * sizeof *grown);
        if (!grown) goto oom;
        *list = grown;
        *capp = cap;
    }
    int device = ltr_ctx_of(ctx)->device;
    lt_tensor *p = ltr_heap_tensor(device, dt, ndim, shape);
    if (!p) goto oom;
    p->grad = buffer ? NULL : ltr_heap_tensor(device, dt, ndim, shape);
    p->name = strdup(name);
    if ((!buffer && !p->grad) || !p->name) {
        free_param(p);
        goto oom;
    }
    p->flags = buffer ? LTR_T_BUFFER : LTR_T_PARAM | LTR_T_REQUIRES_GRAD;
    (*list)[(*count)++] = p;
    return p;
oom:
    ltr_fail(ctx, "%s('%s'): out of memory", fn, name);
    return NULL;
}

/* FNV-1a, 64-bit: a fingerprint, not a security hash */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t digest_list(uint64_t h, lt_tensor *const *list, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const lt_tensor *p = list[i];
        h = fnv1a(h, p->name, strlen(p->name) + 1);
        int32_t head[2] = {(int32_t)p->dtype, p->ndim};
        h = fnv1a(h, head, sizeof head);
        h = fnv1a(h, p->shape, (size_t)p->ndim * sizeof p->shape[0]);
        size_t bytes = (size_t)ltr_numel(p) * ltr_dtype_size(p->dtype);
        void *self;
        const ltr_device_ops *dev = ltr_device_of(p->device, &self);
        if (dev->host_accessible) {
            h = fnv1a(h, p->data, bytes);
            continue;
        }
        void *host = malloc(bytes ? bytes : 1); /* the bytes as the host sees them */
        if (!host) return 0; /* no digest rather than a wrong one */
        dev->copy_d2h(self, host, p->data, bytes);
        h = fnv1a(h, host, bytes);
        free(host);
    }
    return h;
}

/* parameters, then buffers (running statistics are state a resumed run needs too) */
uint64_t ltr_param_store_digest(const ltr_param_store *s) {
    uint64_t h = digest_list(0xcbf29ce484222325ull, s->params, s->count);
    return digest_list(h, s->buffers, s->nbuffers);
}

lt_tensor *ltr_param(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim, const int64_t *shape) {
    return make_entry(ctx, name, dt, ndim, shape, false);
}

lt_tensor *ltr_buffer(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim, const int64_t *shape) {
    return make_entry(ctx, name, dt, ndim, shape, true);
}
