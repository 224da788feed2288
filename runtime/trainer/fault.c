/*
 * fault.c — the fatal-signal handler and the per-thread "running hook" frames (fault.h).
 *
 * The handler only reads memory and calls write(2), sigaction(2), raise(3), sleep(3)
 * and, for the backtrace, backtrace(3)/backtrace_symbols_fd(3). The last two are not
 * on POSIX's async-signal-safe list: backtrace's first call loads libgcc_s (malloc,
 * dlopen), so install calls it once beforehand, after which it only walks unwind
 * tables; backtrace_symbols_fd writes without allocating. The named line is written
 * before the backtrace, so even a backtrace that faults again (a smashed stack) leaves
 * it on stderr. The backtrace is worth that: a plugin author sees which function of
 * the .so crashed (exported symbols are named, static ones show as .so+offset).
 *
 * After the report the signal gets the action it had before ltrun's: the default (so
 * the exit status is still 128+N and a core dump is still written) or, in a sanitizer
 * build, AddressSanitizer's handler, which prints its own report and stack — then
 * ltrun prints no backtrace of its own. A fault re-runs the faulting instruction on
 * return and takes that action; a sent signal (kill, abort) is raised again.
 */
#include "trainer/fault.h"
#include "trainer/trainer.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FRAMES = 16, BACKTRACE_FRAMES = 32, ALT_STACK_BYTES = 64 * 1024 };

typedef struct frame {
    ltr_fault_kind kind;
    const char *label, *path, *hook;
    int64_t epoch, batch, sample; /* -1: not known / not a batch or sample hook */
    int64_t start_ns;             /* CLOCK_MONOTONIC at push */
} frame;

/* One thread's frames. depth may pass MAX_FRAMES (those are counted, not kept). seq
 * is odd while a frame is written: the signal thread reads the main thread's frames
 * as a seqlock reader; the thread itself (and its fault handler) needs no lock. */
typedef struct frame_stack {
    atomic_uint seq;
    atomic_int depth;
    frame f[MAX_FRAMES];
} frame_stack;

static _Thread_local frame_stack tl_frames;
static _Thread_local void *tl_alt_stack; /* the alternate stack this file gave the thread */
static frame_stack *_Atomic main_frames; /* the thread that installed: the trainer's */
/* the run's data module, for get_item frames on threads that never saw its hooks */
static const char *_Atomic dm_label;
static const char *_Atomic dm_path;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NFATAL = sizeof fatal_signals / sizeof fatal_signals[0] };
static struct sigaction previous[NFATAL];
static atomic_flag reporting = ATOMIC_FLAG_INIT;
static atomic_int reported;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void push_frame(const frame *fr) {
    frame_stack *s = &tl_frames;
    int d = atomic_load_explicit(&s->depth, memory_order_relaxed);
    if (d < MAX_FRAMES) {
        atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        s->f[d] = *fr;
        atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
    }
    /* after the frame is written: a handler on this thread never sees a half frame */
    atomic_store_explicit(&s->depth, d + 1, memory_order_release);
}

void ltr_fault_push(ltr_fault_kind kind, const char *label, const char *path, const char *hook,
                    int64_t epoch, int64_t batch) {
    if (kind == LTR_FAULT_DATA) {
        atomic_store_explicit(&dm_label, label, memory_order_relaxed);
        atomic_store_explicit(&dm_path, path, memory_order_relaxed);
    }
    frame fr = {kind, label, path, hook, epoch, batch, -1, now_ns()};
    push_frame(&fr);
}

void ltr_fault_push_named(ltr_trainer *t, const char *who, const char *label, const char *hook) {
    ltr_fault_kind kind = LTR_FAULT_CALLBACK;
    const char *path = NULL;
    if (!strcmp(who, "module")) {
        kind = LTR_FAULT_MODULE;
        path = t->module_plugin.path;
    } else if (!strcmp(who, "data module")) {
        kind = LTR_FAULT_DATA;
        path = t->data_plugin.path;
    } else {
        for (int i = 0; i < t->cbs.n; i++)
            if (!strcmp(t->cbs.items[i].label, label)) path = t->cbs.items[i].plugin.path;
    }
    ltr_fault_push(kind, label, path, hook, t->ctx.pub.current_epoch, t->ctx.pub.batch_idx);
}

void ltr_fault_push_get_item(int64_t epoch, int64_t index) {
    frame fr = {LTR_FAULT_DATA, atomic_load_explicit(&dm_label, memory_order_relaxed),
                atomic_load_explicit(&dm_path, memory_order_relaxed), "get_item", epoch, -1, index,
                now_ns()};
    push_frame(&fr);
}

void ltr_fault_pop(const char *hook) {
    frame_stack *s = &tl_frames;
    int d = atomic_load_explicit(&s->depth, memory_order_relaxed);
    if (d > MAX_FRAMES) {
        atomic_store_explicit(&s->depth, d - 1, memory_order_release);
        return;
    }
    /* the innermost frame of this hook; frames above it were pushed without a pop */
    for (int i = d - 1; i >= 0; i--)
        if (s->f[i].hook == hook || (hook && s->f[i].hook && !strcmp(s->f[i].hook, hook))) {
            atomic_store_explicit(&s->depth, i, memory_order_release);
            return;
        }
}

/* ---- the handler: formatting without stdio ---- */

typedef struct {
    char b[2048];
    size_t n;
} line;

static void put(line *l, const char *s) {
    if (!s) s = "?";
    while (*s && l->n < sizeof l->b - 1) l->b[l->n++] = *s++;
}

static void put_i64(line *l, int64_t v) {
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do tmp[k++] = (char)('0' + u % 10); while ((u /= 10) && k < (int)sizeof tmp);
    if (v < 0) put(l, "-");
    while (k > 0 && l->n < sizeof l->b - 1) l->b[l->n++] = tmp[--k];
}

static void flush(line *l) {
    size_t off = 0;
    while (off < l->n) {
        ssize_t w = write(STDERR_FILENO, l->b + off, l->n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    l->n = 0;
}

static const char *kind_name(ltr_fault_kind k) {
    switch (k) {
    case LTR_FAULT_MODULE: return "module";
    case LTR_FAULT_DATA: return "data module";
    case LTR_FAULT_CALLBACK: return "callback";
    case LTR_FAULT_LOGGER: return "logger";
    case LTR_FAULT_STRATEGY: return "strategy";
    }
    return "plugin";
}

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGILL: return "SIGILL (illegal instruction)";
    case SIGABRT: return "SIGABRT (abort)";
    }
    return "?";
}

/* "module 'x' (x.so), hook training_step (epoch 0, batch 3)" */
static void put_frame(line *l, const frame *f) {
    put(l, kind_name(f->kind));
    if (f->label) {
        put(l, " '");
        put(l, f->label);
        put(l, "'");
    }
    if (f->path) {
        put(l, " (");
        put(l, f->path);
        put(l, ")");
    }
    put(l, ", hook ");
    put(l, f->hook);
    put(l, " (epoch ");
    put_i64(l, f->epoch);
    if (f->batch >= 0) {
        put(l, ", batch ");
        put_i64(l, f->batch);
    }
    if (f->sample >= 0) {
        put(l, ", sample ");
        put_i64(l, f->sample);
    }
    put(l, ")");
}

static const frame *innermost(const frame_stack *s) {
    if (!s) return NULL;
    int d = atomic_load_explicit(&s->depth, memory_order_acquire);
    if (d > MAX_FRAMES) d = MAX_FRAMES;
    return d > 0 ? &s->f[d - 1] : NULL;
}

static bool is_handler(const struct sigaction *sa) {
    if (sa->sa_flags & SA_SIGINFO) return sa->sa_sigaction != NULL;
    return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

static void report(int sig, bool chained) {
    line l = {.n = 0};
    frame_stack *own = &tl_frames, *trainer = atomic_load(&main_frames);
    const frame *f = innermost(own);
    put(&l, "ltrun: fatal signal ");
    put(&l, signal_name(sig));
    if (f) {
        put(&l, " in ");
        put_frame(&l, f);
        if (own != trainer) put(&l, " on a loader thread");
        put(&l, "\nltrun: the plugin crashed in that hook: fix it there (run ltrun under gdb or "
                "valgrind to see the line)\n");
    } else if ((f = innermost(trainer)) != NULL) {
        /* a compute or loader thread of ltrun's, while the trainer thread ran a hook */
        put(&l, " on an ltrun thread while ");
        put_frame(&l, f);
        put(&l, " was running\nltrun: most likely the hook gave ltrun a bad tensor or pointer; "
                "if not, please report it as an ltrun bug with the command line and this output\n");
    } else {
        put(&l, " in ltrun itself (no plugin hook was running)\nltrun: please report it as an "
                "ltrun bug with the command line and this output\n");
    }
    if (chained) put(&l, "ltrun: passing the signal on to the handler installed before ltrun's\n");
    flush(&l);
    if (chained) return; /* a sanitizer prints a better stack itself */
    put(&l, "ltrun: backtrace of the crashing thread:\n");
    flush(&l);
    void *pcs[BACKTRACE_FRAMES];
    int n = backtrace(pcs, BACKTRACE_FRAMES);
    if (n > 1) backtrace_symbols_fd(pcs + 1, n - 1, STDERR_FILENO); /* not this handler */
}

static void on_fatal(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    int saved_errno = errno;
    int k = 0;
    while (k < NFATAL - 1 && fatal_signals[k] != sig) k++;
    if (!atomic_flag_test_and_set(&reporting)) {
        report(sig, is_handler(&previous[k]));
        atomic_store(&reported, 1);
    } else {
        /* another thread is writing its report (or this one's previous handler aborted
         * after it): let it finish before the process goes */
        for (int i = 0; i < 3 && !atomic_load(&reported); i++) sleep(1);
    }
    struct sigaction back = previous[k];
    if (!(back.sa_flags & SA_SIGINFO) && back.sa_handler == SIG_IGN) back.sa_handler = SIG_DFL;
    sigaction(sig, &back, NULL);
    /* a sent signal is sent again (delivered when this returns: it is blocked here); a
     * fault happens again when the instruction re-runs */
    if (!si || si->si_code <= 0 || sig == SIGABRT) raise(sig);
    errno = saved_errno;
}

void ltr_fault_thread_init(void) {
    stack_t cur;
    if (tl_alt_stack || (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))) return;
    void *p = malloc(ALT_STACK_BYTES);
    if (!p) return; /* best effort: only a stack overflow goes unreported */
    stack_t ss = {.ss_sp = p, .ss_size = ALT_STACK_BYTES, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0) tl_alt_stack = p;
    else free(p);
}

void ltr_fault_thread_done(void) {
    if (!tl_alt_stack) return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(tl_alt_stack);
    tl_alt_stack = NULL;
}

void ltr_fault_install(void) {
    static atomic_flag once = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&once)) return;
    atomic_store(&main_frames, &tl_frames);
    void *warm[2];
    backtrace(warm, 2); /* loads libgcc_s now, not in the handler */
    ltr_fault_thread_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < NFATAL; k++) sigaction(fatal_signals[k], &sa, &previous[k]);
}

bool ltr_fault_running(char *buf, size_t cap) {
    frame_stack *s = atomic_load(&main_frames);
    if (cap) buf[0] = '\0';
    if (!s || !cap) return false;
    frame f = {0};
    bool have = false;
    for (int tries = 0; tries < 1000; tries++) {
        unsigned s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
        if (s1 & 1) continue;
        int d = atomic_load_explicit(&s->depth, memory_order_acquire);
        if (d > MAX_FRAMES) d = MAX_FRAMES;
        have = d > 0;
        if (have) f = s->f[d - 1];
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->seq, memory_order_relaxed) == s1) break;
        have = false;
    }
    if (!have) return false;
    snprintf(buf, cap, "%s '%s', hook %s, running for %.1f s", kind_name(f.kind),
             f.label ? f.label : "?", f.hook ? f.hook : "?", (double)(now_ns() - f.start_ns) / 1e9);
    return true;
}
