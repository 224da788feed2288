/*
 * tensor.c — tensor metadata, arena tensors, element access, SDK accessors.
 *
 * Ownership: every tensor made here (header and data in one 64-byte aligned block)
 * lives in ctx->arena and dies at its reset; nothing here frees.
 */
#include "tensor/tensor.h"

#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "tensor/bf16.h"

#include <stdio.h>
#include <string.h>

size_t ltr_dtype_size(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return 4;
    case LT_FLOAT64: return 8;
    case LT_INT64: return 8;
    case LT_INT32: return 4;
    case LT_UINT8: return 1;
    case LT_BOOL: return 1;
    case LT_BFLOAT16: return 2;
    }
    return 0;
}

const char *ltr_dtype_name(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return "float32";
    case LT_FLOAT64: return "float64";
    case LT_INT64: return "int64";
    case LT_INT32: return "int32";
    case LT_UINT8: return "uint8";
    case LT_BOOL: return "bool";
    case LT_BFLOAT16: return "bfloat16";
    }
    return "?";
}

int64_t ltr_numel(const lt_tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

bool ltr_is_contiguous(const lt_tensor *t) {
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->stride[d] != expect) return false;
        expect *= t->shape[d];
    }
    return true;
}

int64_t ltr_set_shape(lt_tensor *t, int ndim, const int64_t *shape) {
    int64_t stride = 1;
    t->ndim = ndim;
    for (int d = ndim - 1; d >= 0; d--) {
        t->shape[d] = shape[d];
        t->stride[d] = stride;
        stride *= shape[d];
    }
    return stride;
}

char *ltr_shape_str(const lt_tensor *t, char *buf, size_t cap) {
    size_t len = 0;
    len += (size_t)snprintf(buf, cap, "[");
    for (int d = 0; t && d < t->ndim && len < cap; d++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
    return buf;
}

/* Header and data in one arena block. */
static lt_tensor *arena_tensor(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape, bool zero) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    if (ndim < 0 || ndim > LT_MAX_DIMS) {
        ltr_fail(ctx, "tensor: %d dimensions (at most %d)", ndim, LT_MAX_DIMS);
        return NULL;
    }
    if (ltr_dtype_size(dt) == 0) {
        ltr_fail(ctx, "tensor: unknown dtype %d", (int)dt);
        return NULL;
    }
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            ltr_fail(ctx, "tensor: negative dimension %lld", (long long)shape[d]);
            return NULL;
        }
        n *= shape[d];
    }
    if (!c->arena) {
        ltr_fail(ctx, "tensor: no step arena here (tensors are made inside step and epoch hooks)");
        return NULL;
    }
    size_t head = (sizeof(lt_tensor) + 63) & ~(size_t)63;
    size_t bytes = (size_t)n * ltr_dtype_size(dt);
    unsigned char *mem = ltr_arena_alloc(c->arena, head + bytes);
    if (!mem) {
        ltr_fail(ctx, "tensor: out of memory for %zu bytes", bytes);
        return NULL;
    }
    lt_tensor *t = (lt_tensor *)mem;
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    ltr_set_shape(t, ndim, shape);
    t->data = mem + head;
    if (zero) memset(t->data, 0, bytes);
    return t;
}

lt_tensor *ltr_empty(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, dt, ndim, shape, false);
}
lt_tensor *ltr_zeros(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, dt, ndim, shape, true);
}
lt_tensor *ltr_empty_like(lt_ctx *ctx, const lt_tensor *t) {
    return arena_tensor(ctx, t->dtype, t->ndim, t->shape, false);
}
lt_tensor *ltr_zeros_like(lt_ctx *ctx, const lt_tensor *t) {
    return arena_tensor(ctx, t->dtype, t->ndim, t->shape, true);
}

double ltr_get(const lt_tensor *t, int64_t i) {
    switch (t->dtype) {
    case LT_FLOAT32: return ((const float *)t->data)[i];
    case LT_FLOAT64: return ((const double *)t->data)[i];
    case LT_INT64: return (double)((const int64_t *)t->data)[i];
    case LT_INT32: return ((const int32_t *)t->data)[i];
    case LT_UINT8: return ((const uint8_t *)t->data)[i];
    case LT_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    case LT_BFLOAT16: return ltr_bf16_to_float(((const uint16_t *)t->data)[i]);
    }
    return 0;
}

void ltr_set(lt_tensor *t, int64_t i, double v) {
    switch (t->dtype) {
    case LT_FLOAT32: ((float *)t->data)[i] = (float)v; break;
    case LT_FLOAT64: ((double *)t->data)[i] = v; break;
    case LT_INT64: ((int64_t *)t->data)[i] = (int64_t)v; break;
    case LT_INT32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case LT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case LT_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
    case LT_BFLOAT16: ((uint16_t *)t->data)[i] = ltr_bf16_from_float((float)v); break;
    }
}

/* The gradient of a contiguous copy is the gradient of the original: grads are always
 * contiguous in the tensor's shape, whatever its strides. */
static lt_status contiguous_backward(lt_ctx *ctx, ltr_node *n) {
    return ltr_accumulate_grad(ctx, n->in[0], n->out->grad);
}

lt_tensor *ltr_contiguous(lt_ctx *ctx, const lt_tensor *t) {
    if (!t) return NULL;
    if (ltr_is_contiguous(t)) return (lt_tensor *)t;
    lt_tensor *out = ltr_empty_like(ctx, t);
    if (!out) return NULL;
    size_t es = ltr_dtype_size(t->dtype);
    int64_t n = ltr_numel(t), idx[LT_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
        memcpy((char *)out->data + (size_t)i * es, (const char *)t->data + (size_t)off * es, es);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) break;
            idx[d] = 0;
        }
    }
    const lt_tensor *in[1] = {t}; /* the copy stays differentiable (torch .contiguous()) */
    ltr_record(ctx, "contiguous", out, contiguous_backward, 1, in);
    return out;
}

/* ---------------------------------------------------------------- SDK accessors */

/* A plugin's float32 request follows the run's precision (ltr_float_dtype). */
lt_tensor *ltr_tensor_new(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return ltr_zeros(ctx, ltr_float_dtype(ctx, dt), ndim, shape);
}

/* `data` holds values of dt; under 64-true float32 data is widened to float64. */
lt_tensor *ltr_tensor_from(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape,
                           const void *data) {
    lt_dtype want = ltr_float_dtype(ctx, dt);
    if (!data) return ltr_zeros(ctx, want, ndim, shape); /* nothing to copy: zeros, never garbage */
    lt_tensor *t = ltr_empty(ctx, want, ndim, shape);
    if (!t) return NULL;
    int64_t n = ltr_numel(t);
    if (want == dt) {
        memcpy(t->data, data, (size_t)n * ltr_dtype_size(dt));
    } else {
        const float *src = data;
        double *dst = t->data;
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
    }
    return t;
}

void *ltr_data(const lt_tensor *t) { return t && ltr_is_contiguous(t) ? t->data : NULL; }
lt_dtype ltr_dtype(const lt_tensor *t) { return t ? t->dtype : LT_FLOAT32; }
int ltr_ndim(const lt_tensor *t) { return t ? t->ndim : 0; }
int64_t ltr_numel_api(const lt_tensor *t) { return t ? ltr_numel(t) : 0; }

int64_t ltr_dim_size(const lt_tensor *t, int dim) {
    if (!t) return 0;
    if (dim < 0) dim += t->ndim;
    return dim >= 0 && dim < t->ndim ? t->shape[dim] : 0;
}

double ltr_item(lt_ctx *ctx, const lt_tensor *t) {
    if (!t) return 0;
    if (ltr_numel(t) != 1) {
        char s[96];
        ltr_fail(ctx, "lt_item: the tensor has shape %s; item() needs exactly one element",
                 ltr_shape_str(t, s, sizeof s));
        return 0;
    }
    int64_t off = 0; /* one element: its offset is 0 whatever the strides */
    return ltr_get(t, off);
}
