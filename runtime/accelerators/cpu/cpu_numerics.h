/* cpu_numerics.h — the CPU side of the kernel table's numerics entries (accelerator.h's
 * last block): optimizer updates, conv, losses and metrics, bf16, norms, finiteness */
#ifndef LTR_CPU_NUMERICS_H
#define LTR_CPU_NUMERICS_H

#include "accelerators/cpu/cpu_optim.h"

#endif
