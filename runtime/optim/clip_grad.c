/* clip_grad.c — torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (see clip_grad.h). */
#include "optim/clip_grad.h"

#include <math.h>

static bool has_grad(const lt_tensor *p) {
    return p && p->grad && (p->flags & LTR_T_GRAD_DEFINED) && p->grad->data;
}

double ltr_clip_grad_norm(lt_tensor *const *params, int64_t n, double max_norm) {
    /* torch: norms = [vector_norm(g, 2) for g in grads]; total = vector_norm(stack(norms)).
     * Sums are taken in double; each per-grad norm is rounded to the grad's dtype as
     * torch returns it in that dtype. */
    double total_sq = 0;
    bool any = false;
    for (int64_t i = 0; i < n; i++) {
        if (!has_grad(params[i])) continue;
        any = true;
        const lt_tensor *g = params[i]->grad;
        int64_t m = ltr_numel(g);
        double sq = 0;
        if (g->dtype == LT_FLOAT32) {
            const float *d = g->data;
            for (int64_t j = 0; j < m; j++) sq += (double)d[j] * (double)d[j];
            float norm = (float)sqrt(sq);
            total_sq += (double)norm * (double)norm;
        } else if (g->dtype == LT_FLOAT64) {
            const double *d = g->data;
            for (int64_t j = 0; j < m; j++) sq += d[j] * d[j];
            total_sq += sq;
        }
    }
    if (!any) return 0.0;
    double total = sqrt(total_sq);
    double coef = max_norm / (total + 1e-6);
    if (coef > 1.0) coef = 1.0; /* clamp(max=1.0): multiplying by 1 changes nothing */
    if (coef == 1.0) return total;
    for (int64_t i = 0; i < n; i++) {
        if (!has_grad(params[i])) continue;
        lt_tensor *g = params[i]->grad;
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
    return total;
}

void ltr_clip_grad_value(lt_tensor *const *params, int64_t n, double clip_value) {
    for (int64_t i = 0; i < n; i++) {
        if (!has_grad(params[i])) continue;
        lt_tensor *g = params[i]->grad;
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
}
