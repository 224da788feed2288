/* clip_grad.c — torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (see clip_grad.h). */
#include "optim/clip_grad.h"
#include "accelerators/accelerator.h"
#include "accelerators/registry.h"

#include <math.h>

static bool has_grad(const lt_tensor *p) {
    return p && p->grad && (p->flags & LTR_T_GRAD_DEFINED) && p->grad->data;
}

double ltr_clip_grad_norm(lt_tensor *const *params, int64_t n, double max_norm) {
    /* torch: norms = [vector_norm(g, 2) for g in grads]; total = vector_norm(stack(norms)).
     * Sums are taken in double, on the grads' device, into one float64 accumulator per
     * device (torch groups by device too); each per-grad norm is rounded to the grad's
     * dtype as torch returns it in that dtype (the kernel's sq_norm_accum). The total
     * comes back to the host: the caller gets it as a number. */
    lt_tensor *acc[LTR_MAX_BACKENDS] = {0};
    bool any = false, oom = false;
    for (int64_t i = 0; i < n; i++) {
        if (!has_grad(params[i])) continue;
        int dev = params[i]->grad->device;
        if (!acc[dev] && !(acc[dev] = ltr_heap_tensor(dev, LT_FLOAT64, 0, NULL))) {
            oom = true;
            break;
        }
        any = true;
        ltr_kernels_of(acc[dev])->sq_norm_accum(params[i]->grad, acc[dev]);
    }
    double total_sq = 0;
    for (int d = 0; d < LTR_MAX_BACKENDS; d++) {
        if (acc[d]) total_sq += ltr_fetch(acc[d], 0);
        ltr_heap_tensor_free(acc[d]);
    }
    if (oom) return NAN; /* no memory for one double on the device: nothing is clipped */
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
