/* clip_grad.c — torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (see clip_grad.h). */
#include "optim/clip_grad.h"
#include "accelerators/accelerator.h"
#include "accelerators/registry.h"

#include <math.h>

static bool has_grad(const lt_tensor *p) {
    return p && p->grad && (p->flags & LTR_T_GRAD_DEFINED) && p->grad->data;
}

/* one float64 element on the grads' device: what the norm kernel accumulates into */
static lt_tensor scalar_f64(int32_t device, double *v) {
    lt_tensor t = {.dtype = LT_FLOAT64, .device = device, .data = v};
    ltr_set_shape(&t, 0, NULL);
    return t;
}

double ltr_clip_grad_norm(lt_tensor *const *params, int64_t n, double max_norm) {
    /* torch: norms = [vector_norm(g, 2) for g in grads]; total = vector_norm(stack(norms)).
     * Sums are taken in double; each per-grad norm is rounded to the grad's dtype as
     * torch returns it in that dtype (the kernel's sq_norm_accum). */
    double total_sq = 0;
    bool any = false;
    lt_tensor acc = scalar_f64(0, &total_sq);
    for (int64_t i = 0; i < n; i++) {
        if (!has_grad(params[i])) continue;
        any = true;
        acc.device = params[i]->grad->device;
        ltr_kernels_of(&acc)->sq_norm_accum(params[i]->grad, &acc);
    }
    if (!any) return 0.0;
    double total = sqrt(total_sq);
    double coef = max_norm / (total + 1e-6);
    if (coef > 1.0) coef = 1.0; /* clamp(max=1.0): multiplying by 1 changes nothing */
    if (coef == 1.0) return total;
    for (int64_t i = 0; i < n; i++)
        if (has_grad(params[i]))
            ltr_kernels_of(params[i]->grad)->grad_scale(params[i]->grad, coef);
    return total;
}

void ltr_clip_grad_value(lt_tensor *const *params, int64_t n, double clip_value) {
    for (int64_t i = 0; i < n; i++)
        if (has_grad(params[i]))
            ltr_kernels_of(params[i]->grad)->grad_clamp(params[i]->grad, clip_value);
}
