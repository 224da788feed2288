/*
 * device.h — the memory half of an accelerator: where tensor data lives and how bytes
 * move to, from and within it. The kernel half is ltr_accel (accelerator.h); a backend
 * (registry.h) pairs one of each.
 *
 * The table is versioned like a plugin's vtable: `size` is sizeof the table the backend
 * was built with and `api_version` the LTR_DEVICE_API_VERSION it was built against; the
 * registry refuses a mismatch before calling anything. Members are only ever appended.
 *
 * Contract: alloc returns LTR_DEVICE_ALIGN-byte aligned device memory (uninitialised;
 * NULL when out of memory), free takes what alloc returned (NULL is a no-op). Copies
 * and memset are ordered on the backend's default stream; synchronize waits for all of
 * it. A backend without streams/events implements them as no-ops that keep the contract
 * (create returns a non-NULL handle, wait returns at once). A device whose memory the
 * host may read and write directly (the CPU) says so in host_accessible; host code may
 * then dereference tensor data, anywhere else it must go through the copies.
 */
#ifndef LTR_DEVICE_H
#define LTR_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTR_DEVICE_API_VERSION 1u
#define LTR_DEVICE_ALIGN 64u

typedef struct ltr_device_stream ltr_device_stream; /* opaque, the backend's own */
typedef struct ltr_device_event ltr_device_event;

typedef struct ltr_device_ops {
    uint32_t size;        /* sizeof(ltr_device_ops) as the backend was built */
    uint32_t api_version; /* LTR_DEVICE_API_VERSION as the backend was built */
    const char *name;     /* "cpu" */
    bool host_accessible; /* the host may dereference this device's memory */
    void *(*alloc)(void *self, size_t bytes);
    void (*free)(void *self, void *p);
    void (*copy_h2d)(void *self, void *dst, const void *src, size_t bytes);
    void (*copy_d2h)(void *self, void *dst, const void *src, size_t bytes);
    void (*copy_d2d)(void *self, void *dst, const void *src, size_t bytes);
    void (*memset)(void *self, void *dst, int value, size_t bytes);
    void (*synchronize)(void *self);
    /* page-locked host memory for staging copies (the CPU: ordinary aligned memory) */
    void *(*host_alloc)(void *self, size_t bytes);
    void (*host_free)(void *self, void *p);
    ltr_device_stream *(*stream_create)(void *self);
    void (*stream_destroy)(void *self, ltr_device_stream *s);
    ltr_device_event *(*event_record)(void *self, ltr_device_stream *s);
    void (*event_wait)(void *self, ltr_device_stream *s, ltr_device_event *e);
    /* worker threads the backend's kernels may use (the CPU: OpenBLAS and OpenMP) */
    void (*set_threads)(void *self, int n);
} ltr_device_ops;

/* The CPU's table (accelerators/cpu/cpu_device.c); `self` is unused. */
const ltr_device_ops *ltr_cpu_device(void);

#endif
