/*
 * tensor.c — tensor metadata, arena tensors, element access, SDK accessors.
 *
 * Ownership: every tensor made here lives in ctx->arena and dies at its reset: the
 * header in the host arena, the data in that arena's companion for the tensor's device
 * (the host arena itself for the CPU); nothing here frees.
 */
#include "tensor/tensor.h"

#include "accelerators/registry.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "tensor/bf16.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Header in the host arena, data in the device's. */
static lt_tensor *arena_tensor(lt_ctx *ctx, int device, lt_dtype dt, int ndim,
                               const int64_t *shape, bool zero) {
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
    size_t bytes = (size_t)n * ltr_dtype_size(dt);
    ltr_arena *da = ltr_arena_on(c->arena, device);
    lt_tensor *t = ltr_arena_alloc(c->arena, sizeof *t);
    void *data = da ? ltr_arena_alloc(da, bytes) : NULL;
    if (!t || !data) {
        ltr_fail(ctx, "tensor: out of memory for %zu bytes on device '%s'", bytes,
                 ltr_backend_at(device) ? ltr_backend_at(device)->name : "?");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    ltr_set_shape(t, ndim, shape);
    t->data = data;
    t->device = device;
    if (zero) {
        void *self;
        ltr_device_of(device, &self)->memset(self, data, 0, bytes);
    }
    return t;
}

lt_tensor *ltr_heap_tensor(int device, lt_dtype dt, int ndim, const int64_t *shape) {
    lt_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->dtype = dt;
    t->device = device;
    size_t bytes = (size_t)ltr_set_shape(t, ndim, shape) * ltr_dtype_size(dt);
    void *self;
    const ltr_device_ops *dev = ltr_device_of(device, &self);
    t->data = dev->alloc(self, bytes);
    if (!t->data) {
        free(t);
        return NULL;
    }
    dev->memset(self, t->data, 0, bytes);
    return t;
}

void ltr_heap_tensor_free(lt_tensor *t) {
    if (!t) return;
    void *self;
    ltr_device_of(t->device, &self)->free(self, t->data);
    free(t);
}

lt_tensor *ltr_alloc_tensor(lt_ctx *c, int device, lt_dtype dt, int ndim, const int64_t *shape) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (ctx->nowned == ctx->cap_owned) {
        int64_t cap = ctx->cap_owned ? 2 * ctx->cap_owned : 16;
        lt_tensor **grown = realloc(ctx->owned, (size_t)cap * sizeof *grown);
        if (!grown) {
            ltr_fail(c, "out of memory");
            return NULL;
        }
        ctx->owned = grown;
        ctx->cap_owned = cap;
    }
    lt_tensor *t = ltr_heap_tensor(device, dt, ndim, shape);
    if (!t) {
        ltr_fail(c, "out of memory on device %s for a %s tensor", ltr_backend_at(device)->name,
                 ltr_dtype_name(dt));
        return NULL;
    }
    ctx->owned[ctx->nowned++] = t;
    return t;
}

lt_tensor *ltr_empty_on(lt_ctx *ctx, int device, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, device, dt, ndim, shape, false);
}
lt_tensor *ltr_zeros_on(lt_ctx *ctx, int device, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, device, dt, ndim, shape, true);
}
lt_tensor *ltr_empty(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, ltr_ctx_of(ctx)->device, dt, ndim, shape, false);
}
lt_tensor *ltr_zeros(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape) {
    return arena_tensor(ctx, ltr_ctx_of(ctx)->device, dt, ndim, shape, true);
}
/* _like: t's device, whatever the context's */
lt_tensor *ltr_empty_like(lt_ctx *ctx, const lt_tensor *t) {
    return arena_tensor(ctx, t->device, t->dtype, t->ndim, t->shape, false);
}
lt_tensor *ltr_zeros_like(lt_ctx *ctx, const lt_tensor *t) {
    return arena_tensor(ctx, t->device, t->dtype, t->ndim, t->shape, true);
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
    /* the device's kernel does the gather: the data may not be host memory */
    ltr_kernels_of(t)->strided_copy(t->dtype, t->ndim, t->shape, out->data, out->stride, t->data,
                                    t->stride, false);
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
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    if (want == dt) {
        dev->copy_h2d(self, t->data, data, (size_t)n * ltr_dtype_size(dt));
        return t;
    }
    /* widen on the host, then one copy (straight into the data where the host may) */
    double *dst = dev->host_accessible ? t->data : ltr_scratch(ctx, (size_t)n * sizeof *dst);
    if (!dst) return NULL;
    const float *src = data;
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
    if (!dev->host_accessible) dev->copy_h2d(self, t->data, dst, (size_t)n * sizeof *dst);
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

double ltr_fetch(const lt_tensor *t, int64_t i) {
    void *self;
    const ltr_device_ops *dev = ltr_device_of(t->device, &self);
    if (dev->host_accessible) return ltr_get(t, i);
    size_t es = ltr_dtype_size(t->dtype);
    lt_tensor host = *t; /* the element copied out, read as the host would */
    uint64_t buf[2];
    dev->copy_d2h(self, buf, (const char *)t->data + (size_t)i * es, es);
    dev->synchronize(self);
    host.data = buf;
    return ltr_get(&host, 0);
}

double ltr_item(lt_ctx *ctx, const lt_tensor *t) {
    if (!t) return 0;
    if (ltr_numel(t) != 1) {
        char s[96];
        ltr_fail(ctx, "lt_item: the tensor has shape %s; item() needs exactly one element",
                 ltr_shape_str(t, s, sizeof s));
        return 0;
    }
    return ltr_fetch(t, 0); /* one element: its offset is 0 whatever the strides */
}

/* ------------------------------------------------- device-safe copies (SDK 1.7) */

static const char *shape_mismatch(const lt_tensor *a, const lt_tensor *b) {
    if (a->dtype != b->dtype) return "dtypes differ";
    if (a->ndim != b->ndim) return "shapes differ";
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return "shapes differ";
    return NULL;
}

/* lt_copy_: dst's elements = src's, in place and never recorded (torch's copy_ under
 * no_grad, as optimizers and callbacks use it on parameters). Same dtype and shape;
 * either may be strided on one device; across devices both contiguous, through the host. */
lt_status ltr_copy_(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src) {
    if (!dst || !src) return ltr_fail(ctx, "lt_copy_: a tensor is NULL");
    const char *why = shape_mismatch(dst, src);
    if (why) {
        char a[96], b[96];
        return ltr_fail(ctx, "lt_copy_: %s (dst %s %s, src %s %s): give tensors of one dtype and shape",
                        why, ltr_dtype_name(dst->dtype), ltr_shape_str(dst, a, sizeof a),
                        ltr_dtype_name(src->dtype), ltr_shape_str(src, b, sizeof b));
    }
    if (dst->device == src->device) {
        ltr_kernels_of(dst)->strided_copy(dst->dtype, dst->ndim, dst->shape, dst->data, dst->stride,
                                          src->data, src->stride, false);
        return LT_OK;
    }
    src = ltr_contiguous(ctx, src);
    if (!src) return LT_ERROR;
    if (!ltr_is_contiguous(dst))
        return ltr_fail(ctx, "lt_copy_: dst is a strided view on another device than src: copy "
                             "into a contiguous tensor");
    size_t bytes = (size_t)ltr_numel(dst) * ltr_dtype_size(dst->dtype);
    void *host = ltr_scratch(ctx, bytes);
    if (!host) return LT_ERROR;
    if (ltr_tensor_to_host(ctx, src, host, bytes) != LT_OK) return LT_ERROR;
    void *self;
    const ltr_device_ops *dev = ltr_device_of(dst->device, &self);
    dev->copy_h2d(self, dst->data, host, bytes);
    dev->synchronize(self); /* the scratch dies at the next reset */
    return LT_OK;
}

/* lt_lerp_: dst += weight * (src - dst), torch.lerp_(dst, src, weight) under no_grad.
 * Float dtypes, same dtype, shape and device, both contiguous; the device's lerp kernel. */
lt_status ltr_lerp_(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src, double weight) {
    if (!dst || !src) return ltr_fail(ctx, "lt_lerp_: a tensor is NULL");
    const char *why = shape_mismatch(dst, src);
    if (!why && dst->device != src->device) why = "the tensors are on different devices";
    if (!why && (dst->dtype != LT_FLOAT32 && dst->dtype != LT_FLOAT64)) why = "lerp needs float32 or float64";
    if (!why && (!ltr_is_contiguous(dst) || !ltr_is_contiguous(src))) why = "a tensor is not contiguous";
    if (why) return ltr_fail(ctx, "lt_lerp_: %s: give contiguous float tensors of one dtype, shape and device", why);
    ltr_kernels_of(dst)->lerp(dst, src, weight);
    return LT_OK;
}

/* lt_tensor_to_host: t's elements, row-major, into buf (exactly numel * element size bytes) */
lt_status ltr_tensor_to_host(lt_ctx *ctx, const lt_tensor *t, void *buf, size_t bytes) {
    if (!t || !buf) return ltr_fail(ctx, "lt_tensor_to_host: the tensor or the buffer is NULL");
    size_t want = (size_t)ltr_numel(t) * ltr_dtype_size(t->dtype);
    if (bytes != want) {
        char s[96];
        return ltr_fail(ctx, "lt_tensor_to_host: the buffer has %zu bytes, the %s %s tensor needs %zu",
                        bytes, ltr_dtype_name(t->dtype), ltr_shape_str(t, s, sizeof s), want);
    }
    const lt_tensor *c = ltr_contiguous(ctx, t);
    if (!c) return LT_ERROR;
    void *self;
    const ltr_device_ops *dev = ltr_device_of(c->device, &self);
    dev->copy_d2h(self, buf, c->data, bytes);
    dev->synchronize(self);
    return LT_OK;
}

const void *ltr_host_bytes(lt_ctx *ctx, const lt_tensor *t) {
    const lt_tensor *c = ltr_contiguous(ctx, t);
    if (!c) return NULL;
    void *self;
    if (ltr_device_of(c->device, &self)->host_accessible) return c->data;
    size_t bytes = (size_t)ltr_numel(c) * ltr_dtype_size(c->dtype);
    void *host = ltr_scratch(ctx, bytes ? bytes : 1);
    if (!host || ltr_tensor_to_host(ctx, c, host, bytes) != LT_OK) return NULL;
    return host;
}
