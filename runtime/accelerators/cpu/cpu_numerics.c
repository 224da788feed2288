/* cpu_numerics.c — the CPU side of the gradient-norm, gradient-clipping and finiteness
 * entries (accelerator.h's numerics block). */
#include "accelerators/cpu/cpu_numerics.h"
#include "accelerators/cpu/cpu_nn.h"
#include "tensor/bf16.h"

#include <math.h>
#include <string.h>

/* torch.nn.utils.clip_grad_norm_'s per-grad norm: the squares summed in double, the norm
 * rounded to the grad's dtype as torch returns it, its square added to *acc */
void ltr_cpu_sq_norm_accum(const lt_tensor *g, lt_tensor *acc) {
    double *total_sq = acc->data;
    int64_t m = ltr_numel(g);
    double sq = 0;
    if (g->dtype == LT_FLOAT32) {
        const float *d = g->data;
        for (int64_t j = 0; j < m; j++) sq += (double)d[j] * (double)d[j];
        float norm = (float)sqrt(sq);
        *total_sq += (double)norm * (double)norm;
    } else if (g->dtype == LT_FLOAT64) {
        const double *d = g->data;
        for (int64_t j = 0; j < m; j++) sq += d[j] * d[j];
        *total_sq += sq;
    }
}

void ltr_cpu_grad_scale(lt_tensor *g, double coef) {
    int64_t m = ltr_numel(g);
    if (g->dtype == LT_FLOAT32) {
        float *d = g->data;
        float c = (float)coef; /* torch multiplies by the float32 coefficient */
        for (int64_t j = 0; j < m; j++) d[j] *= c;
    } else if (g->dtype == LT_FLOAT64) {
        double *d = g->data;
        for (int64_t j = 0; j < m; j++) d[j] *= coef;
    }
}

void ltr_cpu_grad_clamp(lt_tensor *g, double clip_value) {
    int64_t m = ltr_numel(g);
    if (g->dtype == LT_FLOAT32) {
        float *d = g->data;
        float hi = (float)clip_value, lo = -hi;
        for (int64_t j = 0; j < m; j++) d[j] = d[j] < lo ? lo : d[j] > hi ? hi : d[j];
    } else if (g->dtype == LT_FLOAT64) {
        double *d = g->data;
        for (int64_t j = 0; j < m; j++)
            d[j] = d[j] < -clip_value ? -clip_value : d[j] > clip_value ? clip_value : d[j];
    }
}

/* the exponent bits all ones: inf or nan */
void ltr_cpu_all_finite(const lt_tensor *x, lt_tensor *flag) {
    int64_t n = ltr_numel(x);
    bool ok = true;
    if (x->dtype == LT_FLOAT32) {
        const float *d = x->data;
        for (int64_t i = 0; i < n; i++) ok &= isfinite(d[i]) != 0;
    } else if (x->dtype == LT_FLOAT64) {
        const double *d = x->data;
        for (int64_t i = 0; i < n; i++) ok &= isfinite(d[i]) != 0;
    } else if (x->dtype == LT_BFLOAT16) {
        const uint16_t *d = x->data;
        for (int64_t i = 0; i < n; i++) ok &= (d[i] & 0x7F80u) != 0x7F80u;
    } /* integer and bool tensors are always finite */
    *(uint8_t *)flag->data = ok;
}

void ltr_cpu_norm_stats_t(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                          lt_tensor *mean, lt_tensor *var) {
    ltr_cpu_norm_stats(x, outer, c, inner, mean->data, var->data);
}
void ltr_cpu_norm_apply_t(const lt_tensor *x, int64_t outer, int64_t c, int64_t inner,
                          const lt_tensor *mean, const lt_tensor *invstd, lt_tensor *y) {
    ltr_cpu_norm_apply(x, outer, c, inner, mean->data, invstd->data, y);
}
void ltr_cpu_norm_backward_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer, int64_t c,
                             int64_t inner, const lt_tensor *invstd, bool batch_stats, lt_tensor *gx) {
    ltr_cpu_norm_backward(y, gy, outer, c, inner, invstd->data, batch_stats, gx);
}

void ltr_cpu_norm_backward_reduce_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                    int64_t c, int64_t inner, lt_tensor *sums) {
    ltr_cpu_norm_backward_reduce(y, gy, outer, c, inner, sums->data);
}
void ltr_cpu_norm_backward_elemt_t(const lt_tensor *y, const lt_tensor *gy, int64_t outer,
                                   int64_t c, int64_t inner, const lt_tensor *invstd,
                                   const lt_tensor *sums, double count, lt_tensor *gx) {
    ltr_cpu_norm_backward_elemt(y, gy, outer, c, inner, invstd->data, sums ? sums->data : NULL,
                                count, gx);
}

void ltr_cpu_norm_invstd(lt_tensor *var, double eps) {
    double *v = var->data;
    for (int64_t j = 0, c = ltr_numel(var); j < c; j++) v[j] = 1.0 / sqrt(v[j] + eps);
}

/* one running statistic in its dtype, computed in double and rounded once */
static void running_update(lt_tensor *r, int64_t j, double v) {
    if (r->dtype == LT_FLOAT64) ((double *)r->data)[j] = v;
    else ((float *)r->data)[j] = (float)v;
}
static double running_get(const lt_tensor *r, int64_t j) {
    return r->dtype == LT_FLOAT64 ? ((const double *)r->data)[j] : ((const float *)r->data)[j];
}

void ltr_cpu_norm_running_update(lt_tensor *running_mean, lt_tensor *running_var,
                                 const lt_tensor *mean, const lt_tensor *var, double momentum,
                                 int64_t m) {
    const double *mu = mean->data, *vr = var->data;
    for (int64_t j = 0, c = ltr_numel(mean); j < c; j++) {
        if (running_mean)
            running_update(running_mean, j, (1 - momentum) * running_get(running_mean, j) + momentum * mu[j]);
        if (running_var)
            running_update(running_var, j, (1 - momentum) * running_get(running_var, j) +
                                               momentum * vr[j] * (double)m / (double)(m - 1));
    }
}
