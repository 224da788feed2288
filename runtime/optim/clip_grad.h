/*
 * clip_grad.h — torch.nn.utils.clip_grad_norm_ / clip_grad_value_ over parameters'
 * gradients.
 *
 * Parameters whose grad is undefined (p.grad is None) are skipped, as in torch.
 * Gradients are changed in place, each in its own dtype.
 */
#ifndef LTR_CLIP_GRAD_H
#define LTR_CLIP_GRAD_H

#include "tensor/tensor.h"

/* clip_grad_norm_(params, max_norm, norm_type=2.0): total = 2-norm of the per-grad
 * 2-norms; every grad *= min(max_norm / (total + 1e-6), 1). Returns the total norm. */
double ltr_clip_grad_norm(lt_tensor *const *params, int64_t n, double max_norm);
/* clip_grad_value_(params, clip_value): every grad clamped to [-clip_value, clip_value]. */
void ltr_clip_grad_value(lt_tensor *const *params, int64_t n, double clip_value);

#endif
