/* ltrun/grads.h — reading gradients: a parameter's .grad and Lightning's grad_norm. */
#ifndef LTRUN_GRADS_H
#define LTRUN_GRADS_H

#include "types.h"
#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.8: gradients — param.grad: the host-owned gradient of a parameter (from
 * lt_param_at, or one the module made), or NULL while it has none (torch's None: before
 * the first backward, after zero_grad(set_to_none=True)) or for a non-parameter. Read
 * it in on_after_backward / on_before_optimizer_step; do not keep it past the hook. */
static inline lt_tensor *lt_grad(lt_ctx *c, const lt_tensor *param) {
    return c->api->grad(c, param);
}

/* ABI 1.8: gradients — lightning.pytorch.utilities.grad_norm(module, norm_type): the
 * norm_type-norm of each parameter's gradient, named "grad_{norm_type}_norm/{name}"
 * (norm_type as Python prints a float: "grad_2.0_norm/fc.weight"), for the parameters
 * that have one, in registration order, then "grad_{norm_type}_norm_total", the norm
 * of those norms (the norm of all gradients as one vector). norm_type > 0, or INFINITY
 * for the max norm; anything else fails (returns -1, message recorded). Writes at most
 * cap entries into names/values (names host-owned, valid until the next lt_grad_norm)
 * and returns how many there are: 0 when no parameter has a gradient, as Lightning
 * returns an empty dict. Log them with lt_log_value for Lightning's
 * `self.log_dict(grad_norm(self, norm_type=2))` in on_before_optimizer_step. */
static inline int64_t lt_grad_norm(lt_ctx *c, double norm_type, const char **names,
                                   double *values, int64_t cap) {
    return c->api->grad_norm(c, norm_type, names, values, cap);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_GRADS_H */
