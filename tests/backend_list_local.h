/*
 * backend_list_local.h — the backend enumeration test_backend_ops needs, as agreed for
 * runtime/accelerators/registry.h; used only while that header is absent from the tree
 * (test_backend_ops.c prefers the real one).
 */
#ifndef LTR_TEST_BACKEND_LIST_LOCAL_H
#define LTR_TEST_BACKEND_LIST_LOCAL_H

#include "accelerators/accelerator.h"

struct ltr_device_ops;
typedef struct ltr_backend {
    const char *name;
    const struct ltr_device_ops *device;
    const ltr_accel *kernels;
    void *impl;
} ltr_backend;

int ltr_backend_count(void);
const ltr_backend *ltr_backend_at(int i);

#endif
