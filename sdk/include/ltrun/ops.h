/* ltrun/ops.h — tensor ops (PyTorch semantics) */
#ifndef LTRUN_OPS_H
#define LTRUN_OPS_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ops (PyTorch semantics; differentiable unless noted) */
static inline lt_tensor *lt_matmul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->matmul(c, a, b);
}
/* F.linear: x @ w^T + b (b may be NULL). */
static inline lt_tensor *lt_linear_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b) {
    return c->api->linear(c, x, w, b);
}
/* Apply a layer made by lt_linear_init. */
static inline lt_tensor *lt_linear(lt_ctx *c, const lt_linear_layer *l, const lt_tensor *x) {
    return c->api->linear(c, x, l->weight, l->bias);
}
static inline lt_tensor *lt_add(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->add(c, a, b);
}
static inline lt_tensor *lt_sub(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->sub(c, a, b);
}
static inline lt_tensor *lt_mul(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->mul(c, a, b);
}
static inline lt_tensor *lt_relu(lt_ctx *c, const lt_tensor *x) { return c->api->relu(c, x); }
static inline lt_tensor *lt_reshape(lt_ctx *c, const lt_tensor *x, int nd, const int64_t *s) {
    return c->api->reshape(c, x, nd, s);
}
static inline lt_tensor *lt_flatten(lt_ctx *c, const lt_tensor *x, int start_dim) {
    return c->api->flatten(c, x, start_dim);
}
static inline lt_tensor *lt_sum(lt_ctx *c, const lt_tensor *x) { return c->api->sum(c, x); }
static inline lt_tensor *lt_mean(lt_ctx *c, const lt_tensor *x) { return c->api->mean(c, x); }
static inline lt_tensor *lt_log_softmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->log_softmax(c, x, dim);
}
/* not differentiable */
static inline lt_tensor *lt_argmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->argmax(c, x, dim);
}
/* ABI 1.3: reductions. dims may be negative; results are new tensors. */
/* torch.sum(x, dim=(dims...), keepdim) / torch.mean(...); ndims == 0: all dims */
static inline lt_tensor *lt_sum_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims,
                                    bool keepdim) {
    return c->api->sum_dim(c, x, dims, ndims, keepdim);
}
static inline lt_tensor *lt_mean_dim(lt_ctx *c, const lt_tensor *x, const int *dims, int ndims,
                                     bool keepdim) {
    return c->api->mean_dim(c, x, dims, ndims, keepdim);
}
/* one-dim forms: torch.sum(x, dim, keepdim), torch.mean(x, dim, keepdim) */
static inline lt_tensor *lt_sum1(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->sum_dim(c, x, &dim, 1, keepdim);
}
static inline lt_tensor *lt_mean1(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->mean_dim(c, x, &dim, 1, keepdim);
}
/* torch.var/std(x, dim, correction=, keepdim); dim = LT_ALL_DIMS: over all elements
 * (0-d result, or all-ones shape with keepdim). correction 1 = unbiased (torch default) */
static inline lt_tensor *lt_var(lt_ctx *c, const lt_tensor *x, int dim, double correction,
                                bool keepdim) {
    return c->api->var(c, x, dim, correction, keepdim);
}
static inline lt_tensor *lt_std(lt_ctx *c, const lt_tensor *x, int dim, double correction,
                                bool keepdim) {
    return c->api->std(c, x, dim, correction, keepdim);
}
/* values, indices = torch.max/min(x, dim, keepdim); *indices (int64) if indices != NULL;
 * first index on ties, NaN propagates; gradient to the returned index */
static inline lt_tensor *lt_max_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim,
                                    lt_tensor **indices) {
    return c->api->max_dim(c, x, dim, keepdim, indices);
}
static inline lt_tensor *lt_min_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim,
                                    lt_tensor **indices) {
    return c->api->min_dim(c, x, dim, keepdim, indices);
}
/* torch.max(x) / torch.min(x): 0-d; gradient split evenly among ties */
static inline lt_tensor *lt_max(lt_ctx *c, const lt_tensor *x) { return c->api->max(c, x); }
static inline lt_tensor *lt_min(lt_ctx *c, const lt_tensor *x) { return c->api->min(c, x); }
/* torch.amax/amin(x, dim, keepdim): gradient split evenly among ties */
static inline lt_tensor *lt_amax(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->amax(c, x, dim, keepdim);
}
static inline lt_tensor *lt_amin(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->amin(c, x, dim, keepdim);
}
/* torch.argmax/argmin(x, dim, keepdim): int64, not differentiable */
static inline lt_tensor *lt_argmax_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->argmax_dim(c, x, dim, keepdim);
}
static inline lt_tensor *lt_argmin_dim(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->argmin_dim(c, x, dim, keepdim);
}
/* torch.logsumexp(x, dim, keepdim) */
static inline lt_tensor *lt_logsumexp(lt_ctx *c, const lt_tensor *x, int dim, bool keepdim) {
    return c->api->logsumexp(c, x, dim, keepdim);
}
/* torch.softmax(x, dim): same shape as x */
static inline lt_tensor *lt_softmax(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->softmax(c, x, dim);
}
/* Apply a layer made by lt_conv2d_init. */
/* F.conv2d(x [N,C,H,W], w [O,C/groups,kh,kw], b [O] or NULL, opt or NULL = defaults) */
static inline lt_tensor *lt_conv2d(lt_ctx *c, const lt_conv2d_layer *l, const lt_tensor *x) {
    return c->api->conv2d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv2d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b, const lt_conv2d_options *opt) {
    return c->api->conv2d(c, x, w, b, opt);
}
/* F.max_pool2d(x, kernel, stride=kernel, padding=0) */
/* F.max_pool2d(x [N,C,H,W], kernel, stride (<= 0: = kernel), padding) */
static inline lt_tensor *lt_max_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel) {
    return c->api->max_pool2d(c, x, kernel, kernel, 0);
}
/* Apply a layer made by lt_conv1d_init. */
/* F.conv1d(x [N,C,L], w [O,C/groups,k], b [O] or NULL, opt or NULL = defaults) -> [N,O,Lo] */
static inline lt_tensor *lt_conv1d(lt_ctx *c, const lt_conv1d_layer *l, const lt_tensor *x) {
    return c->api->conv1d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv1d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                      const lt_tensor *b, const lt_conv1d_options *opt) {
    return c->api->conv1d(c, x, w, b, opt);
}
/* Apply a layer made by lt_conv_transpose2d_init. */
/* F.conv_transpose2d(x [N,C,H,W], w [C,O/groups,kh,kw], b [O] or NULL, opt or NULL)
 * -> [N,O,Ho,Wo], Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1 */
static inline lt_tensor *lt_conv_transpose2d(lt_ctx *c, const lt_conv_transpose2d_layer *l,
                                             const lt_tensor *x) {
    return c->api->conv_transpose2d(c, x, l->weight, l->bias, &l->opt);
}
static inline lt_tensor *lt_conv_transpose2d_fn(lt_ctx *c, const lt_tensor *x, const lt_tensor *w,
                                                const lt_tensor *b,
                                                const lt_conv_transpose2d_options *opt) {
    return c->api->conv_transpose2d(c, x, w, b, opt);
}
/* F.avg_pool2d(x, kernel) with torch's defaults (stride=kernel, padding 0, ...) */
/* F.avg_pool2d(x [N,C,H,W], (kh, kw), stride, padding, ceil_mode, count_include_pad) */
static inline lt_tensor *lt_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t kernel) {
    return c->api->avg_pool2d(c, x, kernel, kernel, NULL);
}
/* F.avg_pool2d(x, (kh, kw), **opt); opt NULL = LT_POOL2D_DEFAULTS */
static inline lt_tensor *lt_avg_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                          const lt_pool2d_options *opt) {
    return c->api->avg_pool2d(c, x, kh, kw, opt);
}
/* F.max_pool2d(x, (kh, kw), **opt) with dilation and ceil_mode; opt NULL = defaults */
/* F.max_pool2d(x [N,C,H,W], (kh, kw), stride, padding, dilation, ceil_mode) */
static inline lt_tensor *lt_max_pool2d_ex(lt_ctx *c, const lt_tensor *x, int64_t kh, int64_t kw,
                                          const lt_pool2d_options *opt) {
    return c->api->max_pool2d_ex(c, x, kh, kw, opt);
}
/* F.adaptive_avg_pool2d(x, (oh, ow)) */
/* F.adaptive_avg_pool2d(x [N,C,H,W], (oh, ow)) -> [N,C,oh,ow] */
static inline lt_tensor *lt_adaptive_avg_pool2d(lt_ctx *c, const lt_tensor *x, int64_t oh,
                                                int64_t ow) {
    return c->api->adaptive_avg_pool2d(c, x, oh, ow);
}

static inline lt_tensor *lt_neg(lt_ctx *c, const lt_tensor *x) { return c->api->neg(c, x); }
static inline lt_tensor *lt_exp(lt_ctx *c, const lt_tensor *x) { return c->api->exp(c, x); }
/* torch.log (lt_log is self.log) */
static inline lt_tensor *lt_ln(lt_ctx *c, const lt_tensor *x) { return c->api->ln(c, x); }
static inline lt_tensor *lt_sqrt(lt_ctx *c, const lt_tensor *x) { return c->api->sqrt(c, x); }
/* grad sign(x), 0 at 0 */
static inline lt_tensor *lt_abs(lt_ctx *c, const lt_tensor *x) { return c->api->abs(c, x); }
static inline lt_tensor *lt_sigmoid(lt_ctx *c, const lt_tensor *x) { return c->api->sigmoid(c, x); }
static inline lt_tensor *lt_tanh(lt_ctx *c, const lt_tensor *x) { return c->api->tanh(c, x); }
/* ABI 1.3: elementwise. Binary ops broadcast (NumPy rules) and need one dtype
 * (no promotion: convert with to first). Results are arena tensors. */
/* a / b */
static inline lt_tensor *lt_div(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->div(c, a, b); }
/* torch.pow(a, b) */
static inline lt_tensor *lt_pow(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->pow(c, a, b); }
/* x ** p */
static inline lt_tensor *lt_pow_scalar(lt_ctx *c, const lt_tensor *x, double p) { return c->api->pow_scalar(c, x, p); }
/* x + s */
static inline lt_tensor *lt_add_scalar(lt_ctx *c, const lt_tensor *x, double s) { return c->api->add_scalar(c, x, s); }
/* x * s */
static inline lt_tensor *lt_mul_scalar(lt_ctx *c, const lt_tensor *x, double s) { return c->api->mul_scalar(c, x, s); }
/* torch.clamp(x, min, max); -INFINITY / INFINITY for no bound; grad where min<=x<=max */
static inline lt_tensor *lt_clamp(lt_ctx *c, const lt_tensor *x, double min, double max) { return c->api->clamp(c, x, min, max); }
/* torch.maximum / torch.minimum (NaN propagates; ties split the gradient) */
static inline lt_tensor *lt_maximum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->maximum(c, a, b); }
static inline lt_tensor *lt_minimum(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->minimum(c, a, b); }
/* torch.where(cond, a, b): cond bool/uint8; all three broadcast; grads to a and b */
static inline lt_tensor *lt_where(lt_ctx *c, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) { return c->api->where(c, cond, a, b); }
/* a == b, !=, <, <=, >, >= : bool result of the broadcast shape, no gradient; any dtype */
static inline lt_tensor *lt_eq(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->eq(c, a, b); }
static inline lt_tensor *lt_ne(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->ne(c, a, b); }
static inline lt_tensor *lt_lt(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->lt(c, a, b); }
static inline lt_tensor *lt_le(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->le(c, a, b); }
static inline lt_tensor *lt_gt(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->gt(c, a, b); }
static inline lt_tensor *lt_ge(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) { return c->api->ge(c, a, b); }
/* x.masked_fill(mask, value): mask bool/uint8, broadcast with x; grad to x off the mask */
static inline lt_tensor *lt_masked_fill(lt_ctx *c, const lt_tensor *x, const lt_tensor *mask, double value) { return c->api->masked_fill(c, x, mask, value); }
/* F.leaky_relu(x, negative_slope) (torch default 0.01) */
static inline lt_tensor *lt_leaky_relu(lt_ctx *c, const lt_tensor *x, double negative_slope) { return c->api->leaky_relu(c, x, negative_slope); }
/* F.gelu(x, approximate='none' | 'tanh') */
static inline lt_tensor *lt_gelu(lt_ctx *c, const lt_tensor *x, lt_gelu_approximate approximate) { return c->api->gelu(c, x, approximate); }
/* F.silu */
static inline lt_tensor *lt_silu(lt_ctx *c, const lt_tensor *x) { return c->api->silu(c, x); }
/* F.softplus(x, beta, threshold) (torch defaults 1, 20) */
static inline lt_tensor *lt_softplus(lt_ctx *c, const lt_tensor *x, double beta, double threshold) { return c->api->softplus(c, x, beta, threshold); }
/* F.elu, default 1 */
static inline lt_tensor *lt_elu(lt_ctx *c, const lt_tensor *x, double alpha) { return c->api->elu(c, x, alpha); }
/* x.to(dtype): float<->float differentiable; to/from int64/int32/uint8/bool not */
static inline lt_tensor *lt_to(lt_ctx *c, const lt_tensor *x, lt_dtype dtype) { return c->api->to(c, x, dtype); }
/* torch.zeros / ones / full(shape, value, dtype=dt): arena, no gradient */
static inline lt_tensor *lt_zeros(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->zeros(c, dt, ndim, shape); }
static inline lt_tensor *lt_ones(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->ones(c, dt, ndim, shape); }
static inline lt_tensor *lt_full(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape, double value) { return c->api->full(c, dt, ndim, shape, value); }
/* torch.arange(start, end, step, dtype=dt): [ceil((end - start) / step)] */
static inline lt_tensor *lt_arange(lt_ctx *c, double start, double end, double step, lt_dtype dt) { return c->api->arange(c, start, end, step, dt); }
/* torch.rand / torch.randn(shape, dtype=dt) from the run's seeded rng (float dtypes) */
static inline lt_tensor *lt_rand(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->rand(c, dt, ndim, shape); }
static inline lt_tensor *lt_randn(lt_ctx *c, lt_dtype dt, int ndim, const int64_t *shape) { return c->api->randn(c, dt, ndim, shape); }
/* ABI 1.3: shape (lt_split is the dataset-split enum, hence lt_split_tensor) */
/* ABI 1.3: shape. Views share x's storage (no copy) and are differentiable; a view's
 * data is reachable only through ops (lt_data gives NULL when it is not contiguous).
 * Negative dims count from the end, as in torch. */
/* torch.transpose(x, d0, d1) */
static inline lt_tensor *lt_transpose(lt_ctx *c, const lt_tensor *x, int d0, int d1) {
    return c->api->transpose(c, x, d0, d1);
}
/* torch.permute(x, dims): ndims == x's ndim, a permutation */
static inline lt_tensor *lt_permute(lt_ctx *c, const lt_tensor *x, int nd, const int *dims) {
    return c->api->permute(c, x, nd, dims);
}
/* torch.squeeze(x, dim): dim removed only when its size is 1 */
static inline lt_tensor *lt_squeeze(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->squeeze(c, x, dim);
}
/* torch.squeeze(x): every size-1 dim removed */
static inline lt_tensor *lt_squeeze_all(lt_ctx *c, const lt_tensor *x) {
    return c->api->squeeze_all(c, x);
}
/* torch.unsqueeze(x, dim), dim in [-ndim-1, ndim] */
static inline lt_tensor *lt_unsqueeze(lt_ctx *c, const lt_tensor *x, int dim) {
    return c->api->unsqueeze(c, x, dim);
}
/* x.expand(*shape): -1 keeps a size; size-1 and new leading dims get stride 0;
 * the gradient sums over them */
static inline lt_tensor *lt_expand(lt_ctx *c, const lt_tensor *x, int nd, const int64_t *shape) {
    return c->api->expand(c, x, nd, shape);
}
/* torch.narrow(x, dim, start, length) */
static inline lt_tensor *lt_narrow(lt_ctx *c, const lt_tensor *x, int dim, int64_t start,
                                   int64_t length) {
    return c->api->narrow(c, x, dim, start, length);
}
/* torch.select(x, dim, index) = x[..., index, ...] (dim dropped) */
static inline lt_tensor *lt_select(lt_ctx *c, const lt_tensor *x, int dim, int64_t index) {
    return c->api->select(c, x, dim, index);
}
/* x.contiguous(): x itself when contiguous, else a copy (identity gradient) */
static inline lt_tensor *lt_contiguous(lt_ctx *c, const lt_tensor *x) {
    return c->api->contiguous(c, x);
}
/* torch.index_select(x, dim, index int64 1-D): a copy; gradient index_add */
static inline lt_tensor *lt_index_select(lt_ctx *c, const lt_tensor *x, int dim,
                                         const lt_tensor *index) {
    return c->api->index_select(c, x, dim, index);
}
/* torch.cat(ts[0..n), dim): a copy; sizes equal except at dim */
static inline lt_tensor *lt_cat(lt_ctx *c, const lt_tensor *const *ts, int n, int dim) {
    return c->api->cat(c, ts, n, dim);
}
/* torch.stack(ts[0..n), dim): all one shape, new dim at dim */
static inline lt_tensor *lt_stack(lt_ctx *c, const lt_tensor *const *ts, int n, int dim) {
    return c->api->stack(c, ts, n, dim);
}
/* torch.split(x, split_size, dim): views; writes min(count, max_out) pieces to out and
 * returns count = ceil(size / split_size) (-1 on error) */
static inline int lt_split_tensor(lt_ctx *c, const lt_tensor *x, int64_t split_size, int dim,
                                  lt_tensor **out, int max_out) {
    return c->api->split_tensor(c, x, split_size, dim, out, max_out);
}
/* torch.chunk(x, chunks, dim): as split_tensor with split_size ceil(size / chunks) */
static inline int lt_chunk(lt_ctx *c, const lt_tensor *x, int chunks, int dim, lt_tensor **out,
                           int max_out) {
    return c->api->chunk(c, x, chunks, dim, out, max_out);
}
/* torch.bmm(a [B,n,k], b [B,k,m]) -> [B,n,m] (lt_matmul also broadcasts N-D batches) */
static inline lt_tensor *lt_bmm(lt_ctx *c, const lt_tensor *a, const lt_tensor *b) {
    return c->api->bmm(c, a, b);
}

/* ABI 1.3: attention — F.scaled_dot_product_attention */
/* F.scaled_dot_product_attention(q [..., L, E], k [..., S, E], v [..., S, Ev],
 * attn_mask: bool (true = attend) or float (added), broadcast to [..., L, S], or NULL;
 * is_causal: key j > query i hidden; scale <= 0: 1/sqrt(E)) -> [..., L, Ev] */
static inline lt_tensor *lt_scaled_dot_product_attention(lt_ctx *c, const lt_tensor *q,
                                                         const lt_tensor *k, const lt_tensor *v,
                                                         const lt_tensor *attn_mask, bool is_causal,
                                                         double scale) {
    return c->api->scaled_dot_product_attention(c, q, k, v, attn_mask, is_causal, scale);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_OPS_H */
