/* cpu_numerics.h — the CPU side of the kernel table's numerics entries (accelerator.h's
 * last block): optimizer updates, conv, losses and metrics, bf16, norms, finiteness */
#ifndef LTR_CPU_NUMERICS_H
#define LTR_CPU_NUMERICS_H

#include "accelerators/cpu/cpu_optim.h"

void ltr_cpu_sq_norm_accum(const lt_tensor *g, lt_tensor *acc);
void ltr_cpu_grad_scale(lt_tensor *g, double coef);
void ltr_cpu_grad_clamp(lt_tensor *g, double clip_value);
void ltr_cpu_all_finite(const lt_tensor *x, lt_tensor *flag);

#endif
