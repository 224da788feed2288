/*
 * param_store.c — heap-owned named parameters with persistent gradient buffers.
 *
 * Ownership: the store owns each parameter (struct, 64-byte aligned data, its grad
 * tensor and grad data, the strdup'd name) until ltr_param_store_free. The grad buffer
 * exists from creation; LTR_T_GRAD_DEFINED says whether it holds a value (p.grad is
 * not None), so zero_grad(set_to_none=True) is a flag clear and backward can write
 * straight into the buffer.
 */
#include "tensor/tensor.h"

#include <stdlib.h>
#include <string.h>

void ltr_param_store_init(ltr_param_store *s) { memset(s, 0, sizeof *s); }

static void free_param(lt_tensor *p) {
    if (!p) return;
    if (p->grad) {
        free(p->grad->data);
        free(p->grad);
    }
    free(p->data);
    free((char *)p->name);
    free(p);
}

void ltr_param_store_free(ltr_param_store *s) {
    for (int64_t i = 0; i < s->count; i++) free_param(s->params[i]);
    free(s->params);
    memset(s, 0, sizeof *s);
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

void ltr_param_store_zero_grad(ltr_param_store *s) {
    for (int64_t i = 0; i < s->count; i++) s->params[i]->flags &= ~(uint32_t)LTR_T_GRAD_DEFINED;
}

static lt_tensor *heap_tensor(lt_dtype dt, int ndim, const int64_t *shape) {
    lt_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->dtype = dt;
    size_t bytes = (size_t)ltr_set_shape(t, ndim, shape) * ltr_dtype_size(dt);
    t->data = aligned_alloc(64, bytes ? (bytes + 63) & ~(size_t)63 : 64);
    if (!t->data) {
        free(t);
        return NULL;
    }
    memset(t->data, 0, bytes);
    return t;
}

lt_tensor *ltr_param(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim, const int64_t *shape) {
    ltr_param_store *s = ltr_ctx_of(ctx)->params;
    if (!s) {
        ltr_fail(ctx, "lt_param: parameters can only be created in the module's create hook "
                      "(creating '%s')", name ? name : "");
        return NULL;
    }
    if (!name || !*name) {
        ltr_fail(ctx, "lt_param: a parameter needs a name (it is its state_dict key)");
        return NULL;
    }
    if (ltr_param_store_find(s, name)) {
        ltr_fail(ctx, "lt_param('%s'): a parameter with this name already exists", name);
        return NULL;
    }
    dt = ltr_float_dtype(ctx, dt); /* precision 64-true: module.double() */
    if (dt != LT_FLOAT32 && dt != LT_FLOAT64) {
        ltr_fail(ctx, "lt_param('%s'): parameters must be float32 or float64, got %s", name,
                 ltr_dtype_name(dt));
        return NULL;
    }
    if (ndim < 0 || ndim > LT_MAX_DIMS) {
        ltr_fail(ctx, "lt_param('%s'): %d dimensions (at most %d)", name, ndim, LT_MAX_DIMS);
        return NULL;
    }
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0) {
            ltr_fail(ctx, "lt_param('%s'): negative dimension", name);
            return NULL;
        }
    if (s->count == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 16;
        lt_tensor **grown = realloc(s->params, (size_t)cap * sizeof *grown);
        if (!grown) goto oom;
        s->params = grown;
        s->cap = cap;
    }
    lt_tensor *p = heap_tensor(dt, ndim, shape);
    if (!p) goto oom;
    p->grad = heap_tensor(dt, ndim, shape);
    p->name = strdup(name);
    if (!p->grad || !p->name) {
        free_param(p);
        goto oom;
    }
    p->flags = LTR_T_PARAM | LTR_T_REQUIRES_GRAD;
    s->params[s->count++] = p;
    return p;
oom:
    ltr_fail(ctx, "lt_param('%s'): out of memory", name);
    return NULL;
}

/* FNV-1a, 64-bit: a fingerprint, not a security hash */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

uint64_t ltr_param_store_digest(const ltr_param_store *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t i = 0; i < s->count; i++) {
        const lt_tensor *p = s->params[i];
        h = fnv1a(h, p->name, strlen(p->name) + 1);
        int32_t head[2] = {(int32_t)p->dtype, p->ndim};
        h = fnv1a(h, head, sizeof head);
        h = fnv1a(h, p->shape, (size_t)p->ndim * sizeof p->shape[0]);
        h = fnv1a(h, p->data, (size_t)ltr_numel(p) * ltr_dtype_size(p->dtype));
    }
    return h;
}
