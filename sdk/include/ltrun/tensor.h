/* ltrun/tensor.h — tensors: creation, access and parameters */
#ifndef LTRUN_TENSOR_H
#define LTRUN_TENSOR_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* tensors: creation and access */
static inline lt_tensor *lt_tensor_new(lt_ctx *c, lt_dtype dt, int nd, const int64_t *s) {
    return c->api->tensor_new(c, dt, nd, s);
}
static inline lt_tensor *lt_tensor_from(lt_ctx *c, lt_dtype dt, int nd, const int64_t *s,
                                        const void *data) {
    return c->api->tensor_from(c, dt, nd, s, data);
}
/* contiguous tensors only, else NULL */
/* The first element of a contiguous tensor, for host code to read and write — valid only
 * while the tensor's data is host memory (the CPU device). Code that may run on another
 * device uses lt_copy_, lt_lerp_ and lt_tensor_to_host instead. */
static inline void *lt_data(lt_ctx *c, const lt_tensor *t) { return c->api->data(t); }
static inline lt_dtype lt_dtype_of(lt_ctx *c, const lt_tensor *t) { return c->api->dtype(t); }
static inline int lt_ndim(lt_ctx *c, const lt_tensor *t) { return c->api->ndim(t); }
/* negative dims count from the end */
static inline int64_t lt_size(lt_ctx *c, const lt_tensor *t, int d) { return c->api->dim_size(t, d); }
static inline int64_t lt_numel(lt_ctx *c, const lt_tensor *t) { return c->api->numel(t); }
/* one-element tensors */
static inline double lt_item(lt_ctx *c, const lt_tensor *t) { return c->api->item(c, t); }

/* parameters and initialisation (call from create) */
static inline lt_tensor *lt_param(lt_ctx *c, const char *name, lt_dtype dt, int nd,
                                  const int64_t *s) {
    return c->api->param(c, name, dt, nd, s);
}

#ifdef __cplusplus
}
#endif

/* ABI 1.7: device-safe copies, whatever device the tensors live on. None is recorded
 * for autograd (torch's in-place ops under no_grad). */
/* dst.copy_(src): same dtype and shape; either may be a strided view. */
static inline lt_status lt_copy_(lt_ctx *c, lt_tensor *dst, const lt_tensor *src) {
    return c->api->copy_(c, dst, src);
}
/* torch.lerp_(dst, src, weight): dst += weight * (src - dst), by torch's formula; float32
 * or float64, same dtype, shape and device, both contiguous. */
static inline lt_status lt_lerp_(lt_ctx *c, lt_tensor *dst, const lt_tensor *src, double weight) {
    return c->api->lerp_(c, dst, src, weight);
}
/* t's elements in row-major order into buf, which has exactly numel * element-size bytes
 * (copied from the device; returns when they are there). */
static inline lt_status lt_tensor_to_host(lt_ctx *c, const lt_tensor *t, void *buf, size_t bytes) {
    return c->api->tensor_to_host(c, t, buf, bytes);
}

#endif /* LTRUN_TENSOR_H */
