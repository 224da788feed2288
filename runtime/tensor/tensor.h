/*
 * tensor.h — the host's tensor: dtype, shape, strides, device, autograd links.
 *
 * Ownership: a tensor made by an op or lt_tensor_new lives in ctx->arena (struct and
 * data) and dies at the arena's reset. Parameters live in an ltr_param_store (heap),
 * with a persistent gradient buffer, until the store is destroyed.
 */
#ifndef LTR_TENSOR_H
#define LTR_TENSOR_H

#include "core/context.h"
#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    LTR_T_PARAM = 1u << 0,         /* a parameter: heap-owned, in a param store */
    LTR_T_REQUIRES_GRAD = 1u << 1, /* gradients flow to/through it */
    LTR_T_GRAD_DEFINED = 1u << 2,  /* params: grad holds a value (PyTorch: p.grad is not None) */
    LTR_T_BUFFER = 1u << 3,        /* a buffer: heap-owned, in a param store, never trained */
};

struct lt_tensor {
    lt_dtype dtype;
    int32_t ndim;
    int64_t shape[LT_MAX_DIMS];
    int64_t stride[LT_MAX_DIMS]; /* in elements */
    void *data;                  /* first element; views point into another's storage */
    int32_t device;              /* backend index (accelerators/registry.h); 0 = cpu */
    uint32_t flags;
    lt_tensor *grad;             /* params: persistent buffer; others: arena, made in backward */
    struct ltr_node *node;       /* the op that produced it (NULL for leaves) */
    const char *name;            /* params only: "fc1.weight" */
};

size_t ltr_dtype_size(lt_dtype dt);
const char *ltr_dtype_name(lt_dtype dt);
int64_t ltr_numel(const lt_tensor *t);
bool ltr_is_contiguous(const lt_tensor *t);
/* Set t->ndim and t->shape from (ndim, shape) with row-major contiguous strides;
 * returns the element count. */
int64_t ltr_set_shape(lt_tensor *t, int ndim, const int64_t *shape);
/* "[128, 784]" into buf; returns buf */
char *ltr_shape_str(const lt_tensor *t, char *buf, size_t cap);

/* New arena tensor on `device` (a registry index), contiguous, uninitialised / zeroed.
 * NULL + error on bad shape. Data comes from the device's arena (tensor/arena.h). */
lt_tensor *ltr_empty_on(lt_ctx *ctx, int device, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_zeros_on(lt_ctx *ctx, int device, lt_dtype dt, int ndim, const int64_t *shape);
/* A zeroed tensor that outlives steps: header on the heap, data from the device's alloc
 * (optimizer state, clip_grad's accumulator); NULL when out of memory. Freed with
 * ltr_heap_tensor_free (NULL: no-op). */
lt_tensor *ltr_heap_tensor(int device, lt_dtype dt, int ndim, const int64_t *shape);
void ltr_heap_tensor_free(lt_tensor *t);
/* The same owned by the context, freed with its lt_alloc memory (ltr_ctx_free_allocs):
 * the state of host objects that live as long as the run (metrics). NULL + error. */
lt_tensor *ltr_alloc_tensor(lt_ctx *ctx, int device, lt_dtype dt, int ndim, const int64_t *shape);
/* The same on the context's device (ltr_ctx.device). */
lt_tensor *ltr_empty(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_zeros(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
/* Same dtype/shape/device as t, contiguous, in the arena. */
lt_tensor *ltr_empty_like(lt_ctx *ctx, const lt_tensor *t);
lt_tensor *ltr_zeros_like(lt_ctx *ctx, const lt_tensor *t);
/* An arena copy with contiguous layout (returns t itself if already contiguous). */
lt_tensor *ltr_contiguous(lt_ctx *ctx, const lt_tensor *t);
/* Value of element i of a contiguous tensor of any dtype, as double. Host code: only
 * for tensors on a host_accessible device (accelerators/device.h). */
double ltr_get(const lt_tensor *t, int64_t i);
void ltr_set(lt_tensor *t, int64_t i, double v);
/* The same read on any device: element i of a contiguous tensor copied to the host
 * through its device (a synchronising copy off a device the host may not read). For one
 * number the host must decide on, or an error message's offending value. */
double ltr_fetch(const lt_tensor *t, int64_t i);

/* SDK entry points (lt_host_api members). */
lt_tensor *ltr_tensor_new(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape);
lt_tensor *ltr_tensor_from(lt_ctx *ctx, lt_dtype dt, int ndim, const int64_t *shape,
                           const void *data);
void *ltr_data(const lt_tensor *t);
lt_dtype ltr_dtype(const lt_tensor *t);
int ltr_ndim(const lt_tensor *t);
int64_t ltr_dim_size(const lt_tensor *t, int dim);
int64_t ltr_numel_api(const lt_tensor *t);
double ltr_item(lt_ctx *ctx, const lt_tensor *t);
/* ABI 1.7: device-safe copies (lt_copy_, lt_lerp_, lt_tensor_to_host in ltrun.h) */
lt_status ltr_copy_(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src);
lt_status ltr_lerp_(lt_ctx *ctx, lt_tensor *dst, const lt_tensor *src, double weight);
lt_status ltr_tensor_to_host(lt_ctx *ctx, const lt_tensor *t, void *buf, size_t bytes);
/* t's elements, row-major, where the host can read them: t's own data when it is
 * contiguous host memory, else a copy in the step's scratch. NULL + error on OOM. */
const void *ltr_host_bytes(lt_ctx *ctx, const lt_tensor *t);

/* ------------------------------------------------------------ parameter store */

/* Named parameters in creation order, with their gradients, and the module's buffers.
 *
 * Contract: `params` holds the trainable parameters only (LTR_T_PARAM, requires grad);
 * optimizers, zero_grad and the parameter counts (Lightning's "Trainable params") see
 * only these. `buffers` (torch's register_buffer: persistent, non-trainable, e.g. batch
 * norm's running statistics) are heap tensors of any dtype with LTR_T_BUFFER, no grad
 * buffer and no requires-grad; they share the name space with the parameters and are
 * freed with the store, so a checkpoint can save both (state_dict = params + buffers). */
typedef struct ltr_param_store {
    lt_tensor **params;
    int64_t count, cap;
    lt_tensor **buffers;
    int64_t nbuffers, cap_buffers;
    /* the layers made by lt_*_init, for the model summary: names owned, types
     * static ("Linear", "Conv2d", ...) */
    char **module_names;
    const char **module_types;
    int64_t nmodules, cap_modules;
} ltr_param_store;

/* note that layer `name` of `type` was made (model summary's Name/Type). */
void ltr_param_store_note_module(lt_ctx *ctx, const char *name, const char *type);

void ltr_param_store_init(ltr_param_store *s);
/* Frees every parameter, its data, grad and name. */
void ltr_param_store_free(ltr_param_store *s);
/* Total number of elements over all parameters. */
int64_t ltr_param_store_numel(const ltr_param_store *s);
lt_tensor *ltr_param_store_find(const ltr_param_store *s, const char *name);
/* A fingerprint of every parameter's and buffer's name, dtype, shape and bytes, in store
 * order: equal digests mean bit-identical state (--results reports it as weights_digest). */
uint64_t ltr_param_store_digest(const ltr_param_store *s);
/* A buffer by name (NULL if none). */
lt_tensor *ltr_param_store_find_buffer(const ltr_param_store *s, const char *name);
/* PyTorch optimizer.zero_grad(set_to_none=True): grads become undefined. */
void ltr_param_store_zero_grad(ltr_param_store *s);

/* lt_param: zero-initialised float parameter registered in ctx->params under `name`.
 * Duplicate names and calls outside create are errors. */
lt_tensor *ltr_param(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim, const int64_t *shape);
/* lt_buffer (register_buffer): zero-initialised buffer of any dtype in ctx->params'
 * buffer list; same rules for names and calls as lt_param. */
lt_tensor *ltr_buffer(lt_ctx *ctx, const char *name, lt_dtype dt, int ndim, const int64_t *shape);

/* ------------------------------------------------------------------ init (nn) */
/* In place on parameters, from ctx->rng; PyTorch's torch.nn.init semantics. */
void ltr_init_uniform(lt_ctx *ctx, lt_tensor *t, double low, double high);
void ltr_init_normal(lt_ctx *ctx, lt_tensor *t, double mean, double std);
void ltr_init_constant(lt_ctx *ctx, lt_tensor *t, double v);
/* kaiming_uniform_(t, a, mode="fan_in", nonlinearity="leaky_relu") */
void ltr_init_kaiming_uniform(lt_ctx *ctx, lt_tensor *t, double a);
/* nn.Linear: weight [out,in] kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in));
 * bias U(-1/sqrt(in), 1/sqrt(in)). Params "NAME.weight", "NAME.bias". */
lt_status ltr_linear_init(lt_ctx *ctx, lt_linear_layer *l, const char *name, int64_t in, int64_t out,
                          bool bias);

/* nn.Conv2d: weight [out, in/groups, k, k] kaiming_uniform(a=sqrt(5)), bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups * k * k. */
lt_status ltr_conv2d_init(lt_ctx *ctx, lt_conv2d_layer *l, const char *name, int64_t in,
                          int64_t out, int64_t kernel, const lt_conv2d_options *opt, bool bias);
/* conv — nn.Conv1d / nn.ConvTranspose2d parameters with torch's default init */
lt_status ltr_conv1d_init(lt_ctx *ctx, lt_conv1d_layer *l, const char *name, int64_t in,
                          int64_t out, int64_t kernel, const lt_conv1d_options *opt, bool bias);
lt_status ltr_conv_transpose2d_init(lt_ctx *ctx, lt_conv_transpose2d_layer *l, const char *name,
                                    int64_t in, int64_t out, int64_t kernel,
                                    const lt_conv_transpose2d_options *opt, bool bias);

/* torch.nn.init schemes (nn,; init.c) */
double ltr_calculate_gain(lt_ctx *ctx, const char *nonlinearity, double param);
void ltr_init_xavier_uniform(lt_ctx *ctx, lt_tensor *t, double gain);
void ltr_init_xavier_normal(lt_ctx *ctx, lt_tensor *t, double gain);
void ltr_init_kaiming_uniform_ex(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                                 const char *nonlinearity);
void ltr_init_kaiming_normal(lt_ctx *ctx, lt_tensor *t, double a, const char *mode,
                             const char *nonlinearity);
void ltr_init_orthogonal(lt_ctx *ctx, lt_tensor *t, double gain);
void ltr_init_trunc_normal(lt_ctx *ctx, lt_tensor *t, double mean, double std, double a, double b);

/* ------------------------------------------------------------ nn layers (nn) */
/* ABI 1.8: BatchNorm1d/2d/3d (dims 1..3): the same layer under torch's class name */
lt_status ltr_batchnorm_init_nd(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                                int64_t num_features, const lt_batchnorm_options *opt, int dims);
lt_status ltr_batchnorm_init(lt_ctx *ctx, lt_batchnorm_layer *l, const char *name,
                             int64_t num_features, const lt_batchnorm_options *opt);
lt_tensor *ltr_batchnorm_forward(lt_ctx *ctx, lt_batchnorm_layer *l, const lt_tensor *x);
lt_status ltr_layernorm_init(lt_ctx *ctx, lt_layernorm_layer *l, const char *name, int ndim,
                             const int64_t *normalized_shape, double eps, bool affine);
lt_status ltr_groupnorm_init(lt_ctx *ctx, lt_groupnorm_layer *l, const char *name,
                             int64_t num_groups, int64_t num_channels, double eps, bool affine);
lt_status ltr_embedding_init(lt_ctx *ctx, lt_embedding_layer *l, const char *name,
                             int64_t num_embeddings, int64_t embedding_dim, int64_t padding_idx);

#endif
