/*
 * deterministic.h — torch.use_deterministic_algorithms for the backends: one
 * process-wide switch the trainer sets from --trainer.deterministic (Lightning's
 * _set_torch_flags) before any kernel runs, and kernels read to choose a path whose
 * reduction order is fixed (the same bits at any thread count) over a faster one whose
 * order depends on the thread count (oneDNN's convolutions).
 */
#ifndef LTR_ACCELERATORS_DETERMINISTIC_H
#define LTR_ACCELERATORS_DETERMINISTIC_H

#include <stdbool.h>

void ltr_use_deterministic_algorithms(bool on);
bool ltr_deterministic_algorithms(void);

#endif
