/*
 * fake_device.c — a toy second backend, "fake", linked into tests/ltrun_fake (ltrun's own
 * main.c plus this file) to prove that tensor data only reaches memory through its device.
 *
 * The device allocates from its own pool (one mmap'd region, bump-allocated, never reused)
 * and tags every block; its kernels are the CPU's behind wrappers (fake_device_kernels.inc,
 * one per kernel-table entry) that check every data pointer they are handed lies inside
 * a live block of the pool. A pointer from anywhere else (a host malloc, the host arena)
 * stops the process with exit status 70 and a line naming the kernel. It claims not to be
 * host_accessible, so the host's copy paths (checkpoint IO, lt_tensor_from, item) run;
 * the pool is in fact host memory, so the numerics still on the host keep working.
 *
 * Selection (test-only): LTR_TEST_DEVICE=fake makes "fake" the device new contexts start
 * on; without it the binary runs on the CPU like ltrun. At exit, with the variable set,
 * it prints "fake device: N kernel calls checked, M blocks" on stderr.
 */
#include "accelerators/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAKE_POOL_BYTES ((size_t)8 << 30) /* address space only: pages come on first touch */
#define FAKE_MAGIC 0xfa4edef1ce5ull
#define FAKE_MAX_BLOCKS (1 << 20)

typedef struct fake_block {
    uint64_t magic; /* FAKE_MAGIC while live, 0 once freed */
    size_t bytes;
    uint64_t pad[6]; /* the header is one 64-byte line: data stays 64-byte aligned */
} fake_block;
_Static_assert(sizeof(fake_block) == 64, "one cache line");

static unsigned char *pool;
static size_t pool_used;
static fake_block **blocks; /* in address order (the pool only grows) */
static long nblocks;
static long long ncalls;
static const ltr_accel *fake_cpu;

static void fake_die(const char *what, const void *p) {
    fprintf(stderr, "fake device: %s got %p, which is not in a live block of the fake device's "
                    "pool: that memory did not come through the device\n", what, p);
    fflush(stderr);
    _Exit(70);
}

/* p is inside (or one past the end of) a live block */
static void fake_check_ptr(const char *what, const void *p) {
    const unsigned char *q = p;
    ncalls++;
    if (!p) return; /* optional outputs */
    if (q < pool || q > pool + pool_used) fake_die(what, p);
    long lo = 0, hi = nblocks - 1, at = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if ((const unsigned char *)blocks[mid] < q) at = mid, lo = mid + 1;
        else hi = mid - 1;
    }
    if (at < 0) fake_die(what, p);
    const fake_block *b = blocks[at];
    if (b->magic != FAKE_MAGIC || q > (const unsigned char *)(b + 1) + b->bytes) fake_die(what, p);
}

static void fake_check_tensor(const char *what, const lt_tensor *t) {
    if (t) fake_check_ptr(what, t->data);
}

#include "fake_device_kernels.inc"

_Static_assert(FAKE_KERNEL_COUNT == LTR_OP_COUNT,
               "the kernel table changed: regenerate tests/fake_device_kernels.inc "
               "(python3 tests/gen_fake_kernels.py)");

static void *fake_alloc(void *self, size_t bytes) {
    (void)self;
    size_t need = sizeof(fake_block) + ((bytes + 63) & ~(size_t)63);
    if (!pool || pool_used + need > FAKE_POOL_BYTES || nblocks == FAKE_MAX_BLOCKS) return NULL;
    fake_block *b = (fake_block *)(pool + pool_used);
    pool_used += need;
    b->magic = FAKE_MAGIC;
    b->bytes = bytes;
    blocks[nblocks++] = b;
    return b + 1;
}

static void fake_free(void *self, void *p) {
    (void)self;
    if (!p) return;
    fake_check_ptr("free", p);
    ((fake_block *)p - 1)->magic = 0;
}

static void fake_h2d(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_check_ptr("copy_h2d", dst);
    memmove(dst, src, n);
}
static void fake_d2h(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_check_ptr("copy_d2h", src);
    memmove(dst, src, n);
}
static void fake_d2d(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_check_ptr("copy_d2d", dst);
    fake_check_ptr("copy_d2d", src);
    memmove(dst, src, n);
}
static void fake_memset(void *self, void *dst, int v, size_t n) {
    (void)self;
    fake_check_ptr("memset", dst);
    memset(dst, v, n);
}
static void fake_sync(void *self) { (void)self; }
static char fake_token;
static ltr_device_stream *fake_stream_create(void *self) {
    (void)self;
    return (ltr_device_stream *)&fake_token;
}
static void fake_stream_destroy(void *self, ltr_device_stream *s) { (void)self, (void)s; }
static ltr_device_event *fake_event_record(void *self, ltr_device_stream *s) {
    (void)self, (void)s;
    return (ltr_device_event *)&fake_token;
}
static void fake_event_wait(void *self, ltr_device_stream *s, ltr_device_event *e) {
    (void)self, (void)s, (void)e;
}
static void fake_set_threads(void *self, int n) {
    (void)self;
    ltr_cpu_device()->set_threads(NULL, n);
}

static const ltr_device_ops fake_device = {
    .size = sizeof(ltr_device_ops),
    .api_version = LTR_DEVICE_API_VERSION,
    .name = "fake",
    .host_accessible = false,
    .alloc = fake_alloc,
    .free = fake_free,
    .copy_h2d = fake_h2d,
    .copy_d2h = fake_d2h,
    .copy_d2d = fake_d2d,
    .memset = fake_memset,
    .synchronize = fake_sync,
    /* page-locked staging memory the device maps (CUDA's mapped pinned memory): from the pool */
    .host_alloc = fake_alloc,
    .host_free = fake_free,
    .stream_create = fake_stream_create,
    .stream_destroy = fake_stream_destroy,
    .event_record = fake_event_record,
    .event_wait = fake_event_wait,
    .set_threads = fake_set_threads,
};

static ltr_accel fake_kernels;

static void fake_report(void) {
    fprintf(stderr, "fake device: %lld kernel calls checked, %ld blocks\n", ncalls, nblocks);
}

__attribute__((constructor)) static void fake_register(void) {
    const char *sel = getenv("LTR_TEST_DEVICE");
    if (!sel || strcmp(sel, "fake")) return; /* a plain CPU run */
    pool = mmap(NULL, FAKE_POOL_BYTES, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    blocks = malloc(FAKE_MAX_BLOCKS * sizeof *blocks);
    if (pool == MAP_FAILED || !blocks) {
        fprintf(stderr, "fake device: no pool\n");
        exit(70);
    }
    fake_cpu = ltr_backend_find("cpu")->kernels;
    fake_kernels = *fake_cpu;
    fake_kernels.name = "fake";
    fake_fill_kernels(&fake_kernels);
    ltr_backend b = {.name = "fake", .device = &fake_device, .kernels = &fake_kernels};
    char err[512];
    int index;
    if (ltr_backend_register(&b, "tests/fake_device.c", &index, err, sizeof err) != LT_OK) {
        fprintf(stderr, "%s\n", err);
        exit(70);
    }
    ltr_backend_set_default(index);
    atexit(fake_report);
}
