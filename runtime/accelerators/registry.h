/*
 * registry.h — the backends of this process: a device (device.h) and its kernels
 * (accelerator.h) under one name. A tensor's `device` is its backend's index here;
 * index 0 is "cpu", registered on first use through the same checks a dlopened
 * backend goes through (plugin/loader.h: ltr_plugin_check_backend).
 */
#ifndef LTR_REGISTRY_H
#define LTR_REGISTRY_H

#include "accelerators/accelerator.h"
#include "accelerators/device.h"

#include <stddef.h>

#define LTR_MAX_BACKENDS 8

typedef struct ltr_backend {
    const char *name;
    const struct ltr_device_ops *device;
    const ltr_accel *kernels;
    void *impl; /* the backend's state, passed as `self` to its device ops */
} ltr_backend;

int ltr_backend_count(void);
const ltr_backend *ltr_backend_at(int i); /* NULL outside [0, count) */
const ltr_backend *ltr_backend_find(const char *name);
/* The kernels of t's device; NULL if t names no registered backend. */
const ltr_accel *ltr_kernels_of(const lt_tensor *t);

/* Check `b` (size, api_version, members, name) and add it; its index goes to *index.
 * On a refusal nothing is added and err holds one line naming `origin` (the .so, or
 * "built-in") and what to rebuild. The table is copied; what it points to is borrowed
 * for the process's lifetime. Register before any thread but the main one runs (loader
 * workers read the table without a lock). */
lt_status ltr_backend_register(const ltr_backend *b, const char *origin, int *index, char *err,
                               size_t errcap);

/* The device new contexts start on (0 = cpu). Tests select another backend with
 * ltr_backend_set_default before the run; ltrun itself never changes it. */
int ltr_backend_default(void);
void ltr_backend_set_default(int index);

/* The device table of device index `dev` and the `self` its calls take. Index checked
 * by the caller (tensors only carry registered indices). */
static inline const ltr_device_ops *ltr_device_of(int dev, void **self) {
    const ltr_backend *b = ltr_backend_at(dev);
    *self = b->impl;
    return b->device;
}

/* The CPU backend's table (accelerators/cpu/cpu.c). */
const ltr_backend *ltr_cpu_backend(void);

#endif
