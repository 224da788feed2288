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
#endif /* LTRUN_TENSOR_H */
