/* cpu_unary.h — the CPU accelerator's elementwise math kernels (cpu_unary.c). */
#ifndef LTR_CPU_UNARY_H
#define LTR_CPU_UNARY_H

#include "accelerators/accelerator.h"

void ltr_cpu_unary(int op, const lt_tensor *x, lt_tensor *y);
void ltr_cpu_unary_backward(int op, const lt_tensor *x, const lt_tensor *y, const lt_tensor *gy,
                            lt_tensor *gx);

#endif
