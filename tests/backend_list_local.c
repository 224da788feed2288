/* backend_list_local.c — ltr_backend_count/ltr_backend_at over the CPU table alone, for
 * test_backend_ops until runtime/accelerators/registry.c provides the real registry. */
#include "backend_list_local.h"

static ltr_backend cpu_backend = {.name = "cpu"};

int ltr_backend_count(void) { return 1; }

const ltr_backend *ltr_backend_at(int i) {
    if (i != 0) return NULL;
    cpu_backend.kernels = ltr_accel_get(0);
    return &cpu_backend;
}
