/* cpu_numerics.h — the CPU side of the kernel table's numerics entries (accelerator.h's
 * last block): optimizer updates, conv, losses and metrics, bf16, norms, finiteness */
#ifndef LTR_CPU_NUMERICS_H
#define LTR_CPU_NUMERICS_H

#include "accelerators/cpu/cpu_optim.h"

#include <stddef.h>

void ltr_cpu_sq_norm_accum(const lt_tensor *g, lt_tensor *acc);
void ltr_cpu_grad_scale(lt_tensor *g, double coef);
void ltr_cpu_grad_clamp(lt_tensor *g, double clip_value);
void ltr_cpu_all_finite(const lt_tensor *x, lt_tensor *flag);

size_t ltr_cpu_conv2d_workspace(int pass, const lt_tensor *x, const lt_tensor *w,
                                const ltr_conv_geo *g, bool need_w, bool need_b);
void ltr_cpu_conv2d_forward(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                            ltr_conv_geo *g, void *ws, lt_tensor *y);
void ltr_cpu_conv2d_backward_data(const lt_tensor *gy, const lt_tensor *w, const ltr_conv_geo *g,
                                  void *ws, lt_tensor *gx);
void ltr_cpu_conv2d_backward_weight(const lt_tensor *x, const lt_tensor *gy, const ltr_conv_geo *g,
                                    void *ws, lt_tensor *gw, bool accumulate, lt_tensor *gb);

#endif
