/* cpu_optim.h — the CPU optimizer updates (kernel table entries; see cpu_optim.c) */
#ifndef LTR_CPU_OPTIM_H
#define LTR_CPU_OPTIM_H

#include "accelerators/numerics.h"
#include "tensor/tensor.h"

void ltr_cpu_sgd_update(lt_tensor *p, const lt_tensor *g, lt_tensor *buf, const ltr_sgd_scalars *s);
void ltr_cpu_adam_update(lt_tensor *p, const lt_tensor *g, lt_tensor *m, lt_tensor *v,
                         lt_tensor *vmax, const ltr_adam_scalars *s);
void ltr_cpu_rmsprop_update(lt_tensor *p, const lt_tensor *g, lt_tensor *sq, lt_tensor *buf,
                            lt_tensor *ga, const ltr_rmsprop_scalars *s);
void ltr_cpu_adagrad_update(lt_tensor *p, const lt_tensor *g, lt_tensor *sum,
                            const ltr_adagrad_scalars *s);

/* Elements per thread work item of the elementwise updates (Adam, RMSprop, Adagrad):
 * the runtime's one block size (util/simd_clones.h) */
#define LTR_OPTIM_BLOCK LTR_ELEM_BLOCK

/* The optimizers' square root: IEEE sqrt, correctly rounded. tests/test_optim_parity.c
 * builds second copies of the updates with torch's roots in its place (torch's CPU sqrt
 * is MKL's vsSqrt / vdSqrt, which rounds the other way where the exact root lies near a
 * rounding midpoint). */
#ifdef LTR_OPTIM_SQRT
float LTR_OPTIM_SQRTF(float x);
double LTR_OPTIM_SQRT(double x);
#else
#define LTR_OPTIM_SQRT sqrt
#define LTR_OPTIM_SQRTF sqrtf
#endif

#endif
