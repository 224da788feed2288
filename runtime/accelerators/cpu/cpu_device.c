/*
 * cpu_device.c — the CPU's device table: host memory, 64-byte aligned; copies are
 * memcpy; there is one implicit in-order stream, so streams and events are tokens and
 * synchronize has nothing to wait for.
 */
#include "accelerators/device.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void *cpu_alloc(void *self, size_t bytes) {
    (void)self;
    /* aligned_alloc wants a multiple of the alignment; a 0-byte tensor still gets a block */
    size_t rounded = bytes ? (bytes + LTR_DEVICE_ALIGN - 1) & ~(size_t)(LTR_DEVICE_ALIGN - 1)
                           : LTR_DEVICE_ALIGN;
    return aligned_alloc(LTR_DEVICE_ALIGN, rounded);
}

static void cpu_free(void *self, void *p) {
    (void)self;
    free(p);
}

static void cpu_copy(void *self, void *dst, const void *src, size_t bytes) {
    (void)self;
    if (bytes && dst != src) memmove(dst, src, bytes);
}

static void cpu_memset(void *self, void *dst, int value, size_t bytes) {
    (void)self;
    if (bytes) memset(dst, value, bytes);
}

static void cpu_synchronize(void *self) { (void)self; }

/* One static token stands for every stream and event: work is done when the call returns. */
static char cpu_token;

static ltr_device_stream *cpu_stream_create(void *self) {
    (void)self;
    return (ltr_device_stream *)&cpu_token;
}
static void cpu_stream_destroy(void *self, ltr_device_stream *s) { (void)self, (void)s; }
static ltr_device_event *cpu_event_record(void *self, ltr_device_stream *s) {
    (void)self, (void)s;
    return (ltr_device_event *)&cpu_token;
}
static void cpu_event_wait(void *self, ltr_device_stream *s, ltr_device_event *e) {
    (void)self, (void)s, (void)e;
}

static void cpu_set_threads(void *self, int n) {
    (void)self;
    if (n <= 0) return;
    openblas_set_num_threads(n);
#ifdef _OPENMP
    omp_set_num_threads(n); /* our own kernels' threads */
#endif
}

static const ltr_device_ops cpu_device = {
    .size = sizeof(ltr_device_ops),
    .api_version = LTR_DEVICE_API_VERSION,
    .name = "cpu",
    .host_accessible = true,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .copy_h2d = cpu_copy,
    .copy_d2h = cpu_copy,
    .copy_d2d = cpu_copy,
    .memset = cpu_memset,
    .synchronize = cpu_synchronize,
    .host_alloc = cpu_alloc,
    .host_free = cpu_free,
    .stream_create = cpu_stream_create,
    .stream_destroy = cpu_stream_destroy,
    .event_record = cpu_event_record,
    .event_wait = cpu_event_wait,
    .set_threads = cpu_set_threads,
};

const ltr_device_ops *ltr_cpu_device(void) { return &cpu_device; }
