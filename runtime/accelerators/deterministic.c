/* deterministic.c — the process-wide deterministic-algorithms switch (deterministic.h). */
#include "accelerators/deterministic.h"

static bool deterministic; /* written once, before the run's first kernel */

void ltr_use_deterministic_algorithms(bool on) { deterministic = on; }

bool ltr_deterministic_algorithms(void) { return deterministic; }
