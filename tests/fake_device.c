/*
 * fake_device.c — a toy second backend, "fake", linked into tests/ltrun_fake (ltrun's own
 * main.c plus this file) to prove that tensor data only reaches memory through its device.
 *
 * The device allocates from its own pool (one mmap'd region, bump-allocated in whole
 * pages, never reused) and keeps its block table outside it. The pool is PROT_NONE: a
 * block is readable and writable only while one of the device's own kernels or copies
 * holds it open, so any host dereference of device data (a loop over t->data, an
 * ltr_get on a device tensor) is a SIGSEGV, reported as "fake device: the host touched
 * device memory" before the process dies. Its kernels are the CPU's behind wrappers
 * (fake_device_kernels.inc, one per kernel-table entry) that check every data pointer
 * they are handed lies inside a live block of the pool and open those blocks for the
 * call. A pointer from anywhere else (a host malloc, the host arena) stops the process
 * with exit status 70 and a line naming the kernel. Pinned host memory (host_alloc:
 * the loader's batch slots, which the host writes and kernels read, as CUDA's mapped
 * pinned memory) comes from the pool too but stays open. The device says it is not
 * host_accessible, so the host's copy paths (checkpoint IO, lt_tensor_from, item) run.
 *
 * Selection (test-only): LTR_TEST_DEVICE=fake makes "fake" the device new contexts start
 * on; without it the binary runs on the CPU like ltrun. At exit, with the variable set,
 * it prints "fake device: N kernel calls checked, M blocks" on stderr.
 */
#include "accelerators/registry.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FAKE_POOL_BYTES ((size_t)8 << 30) /* address space only: pages come on first touch */
#define FAKE_MAX_BLOCKS (1 << 20)
#define FAKE_MAX_OPEN 16 /* data pointers of one kernel call */

typedef struct fake_block {
    unsigned char *start;
    size_t bytes, cap; /* asked, and rounded up to whole pages */
    int open;          /* kernels/copies holding it readable now */
    bool live, pinned; /* pinned: host memory, never closed */
} fake_block;

/* the data pointers one kernel or copy opened, closed again when it returns */
typedef struct fake_call {
    const char *what;
    int n;
    long at[FAKE_MAX_OPEN];
} fake_call;

static unsigned char *pool;
static size_t pool_used, page;
static fake_block *blocks; /* in address order (the pool only grows) */
static long nblocks;
static long long ncalls;
static const ltr_accel *fake_cpu;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER; /* blocks' open counts */
static struct sigaction fake_prev_segv;

static void fake_die(const char *what, const void *p) {
    fprintf(stderr, "fake device: %s got %p, which is not in a live block of the fake device's "
                    "pool: that memory did not come through the device\n", what, p);
    fflush(stderr);
    _Exit(70);
}

static void fake_protect(const fake_block *b, int prot) {
    if (mprotect(b->start, b->cap, prot)) {
        perror("fake device: mprotect");
        _Exit(70);
    }
}

/* the live block p is inside (or one past the end of), or death naming `what` */
static long fake_find(const char *what, const void *p) {
    const unsigned char *q = p;
    if (q < pool || q > pool + pool_used) fake_die(what, p);
    long lo = 0, hi = nblocks - 1, at = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (blocks[mid].start <= q) at = mid, lo = mid + 1;
        else hi = mid - 1;
    }
    if (at < 0 || !blocks[at].live || q > blocks[at].start + blocks[at].bytes) fake_die(what, p);
    return at;
}

/* checks p and opens its block to the host until fake_close(c) */
static void fake_open(fake_call *c, const void *p) {
    if (!p) return; /* optional outputs */
    pthread_mutex_lock(&fake_lock);
    ncalls++;
    long at = fake_find(c->what, p);
    fake_block *b = &blocks[at];
    if (!b->pinned && b->open++ == 0) fake_protect(b, PROT_READ | PROT_WRITE);
    if (c->n == FAKE_MAX_OPEN) {
        fprintf(stderr, "fake device: %s opened more than %d blocks\n", c->what, FAKE_MAX_OPEN);
        _Exit(70);
    }
    c->at[c->n++] = at;
    pthread_mutex_unlock(&fake_lock);
}

static void fake_open_tensor(fake_call *c, const lt_tensor *t) {
    if (t) fake_open(c, t->data);
}

static void fake_close(fake_call *c) {
    pthread_mutex_lock(&fake_lock);
    for (int i = 0; i < c->n; i++) {
        fake_block *b = &blocks[c->at[i]];
        if (!b->pinned && --b->open == 0) fake_protect(b, PROT_NONE);
    }
    c->n = 0;
    pthread_mutex_unlock(&fake_lock);
}

/* a fault inside the pool is host code reading device memory: say so, then die of it */
static void fake_segv(int sig, siginfo_t *si, void *uc) {
    const unsigned char *a = si->si_addr;
    if (pool && a >= pool && a < pool + FAKE_POOL_BYTES) {
        static const char msg[] = "fake device: the host touched device memory (a host "
                                  "dereference of tensor data outside the device's kernels "
                                  "and copies)\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        for (long i = 0; i < nblocks; i++) /* which block (stdio: the process dies anyway) */
            if (a >= blocks[i].start && a < blocks[i].start + blocks[i].cap)
                fprintf(stderr, "fake device: at %p, in block %ld of %zu bytes (%s, open %d)\n",
                        (void *)a, i, blocks[i].bytes, blocks[i].live ? "live" : "freed",
                        blocks[i].open);
        signal(sig, SIG_DFL); /* the faulting access runs again and kills the process */
        return;
    }
    if (fake_prev_segv.sa_flags & SA_SIGINFO) fake_prev_segv.sa_sigaction(sig, si, uc);
    else if (fake_prev_segv.sa_handler != SIG_IGN && fake_prev_segv.sa_handler != SIG_DFL)
        fake_prev_segv.sa_handler(sig);
    else signal(sig, SIG_DFL);
}

#include "fake_device_kernels.inc"

_Static_assert(FAKE_KERNEL_COUNT == LTR_OP_COUNT,
               "the kernel table changed: regenerate tests/fake_device_kernels.inc "
               "(python3 tests/gen_fake_kernels.py)");

static void *fake_alloc_block(size_t bytes, bool pinned) {
    size_t cap = bytes ? (bytes + page - 1) & ~(page - 1) : page;
    pthread_mutex_lock(&fake_lock);
    if (!pool || pool_used + cap > FAKE_POOL_BYTES || nblocks == FAKE_MAX_BLOCKS) {
        pthread_mutex_unlock(&fake_lock);
        return NULL;
    }
    fake_block *b = &blocks[nblocks++];
    *b = (fake_block){.start = pool + pool_used, .bytes = bytes, .cap = cap, .live = true,
                      .pinned = pinned};
    pool_used += cap;
    if (pinned) fake_protect(b, PROT_READ | PROT_WRITE);
    pthread_mutex_unlock(&fake_lock);
    return b->start;
}

static void *fake_alloc(void *self, size_t bytes) {
    (void)self;
    return fake_alloc_block(bytes, false);
}
static void *fake_host_alloc(void *self, size_t bytes) {
    (void)self;
    return fake_alloc_block(bytes, true);
}

static void fake_free(void *self, void *p) {
    (void)self;
    if (!p) return;
    pthread_mutex_lock(&fake_lock);
    fake_block *b = &blocks[fake_find("free", p)];
    if (b->open) {
        fprintf(stderr, "fake device: a block was freed while a kernel held it\n");
        _Exit(70);
    }
    if (b->pinned) fake_protect(b, PROT_NONE); /* a use after free faults too */
    b->live = false;
    pthread_mutex_unlock(&fake_lock);
}

static void fake_h2d(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_call c = {"copy_h2d", 0, {0}};
    fake_open(&c, dst);
    memmove(dst, src, n);
    fake_close(&c);
}
static void fake_d2h(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_call c = {"copy_d2h", 0, {0}};
    fake_open(&c, src);
    memmove(dst, src, n);
    fake_close(&c);
}
static void fake_d2d(void *self, void *dst, const void *src, size_t n) {
    (void)self;
    fake_call c = {"copy_d2d", 0, {0}};
    fake_open(&c, dst);
    fake_open(&c, src);
    memmove(dst, src, n);
    fake_close(&c);
}
static void fake_memset(void *self, void *dst, int v, size_t n) {
    (void)self;
    fake_call c = {"memset", 0, {0}};
    fake_open(&c, dst);
    memset(dst, v, n);
    fake_close(&c);
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
    .host_alloc = fake_host_alloc,
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
    page = (size_t)sysconf(_SC_PAGESIZE);
    pool = mmap(NULL, FAKE_POOL_BYTES, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    blocks = malloc(FAKE_MAX_BLOCKS * sizeof *blocks);
    if (pool == MAP_FAILED || !blocks) {
        fprintf(stderr, "fake device: no pool\n");
        exit(70);
    }
    struct sigaction sa = {.sa_sigaction = fake_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &fake_prev_segv);
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
