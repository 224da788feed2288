/* test_fault.c — the fatal-signal report (runtime/trainer/fault.c): a fault inside a
 * frame names the plugin, hook, epoch and batch; outside any hook it says "ltrun
 * itself"; nested frames restore the outer one and an unpaired push is unwound; a fault
 * on another thread names the trainer thread's hook; get_item frames name the sample
 * and the loader thread; a stack overflow is caught on the alternate stack; the process
 * still dies of the signal. In an AddressSanitizer build the line comes first and
 * ASan's own report after it (the handler chains to ASan's). */
#include "trainer/fault.h"

#include "check_run.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

static char out[16384];

/* Run fn in a child whose stderr is captured into out; returns its wait status. */
static int run_child(void (*fn)(void)) {
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], STDERR_FILENO);
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    /* drain to the end, keeping the head: a reader that stopped at a full buffer would
     * kill the child with SIGPIPE mid-report (ASan's stack-overflow report is long) */
    char rest[4096];
    while ((r = n < sizeof out - 1 ? read(p[0], out + n, sizeof out - 1 - n)
                                   : read(p[0], rest, sizeof rest)) > 0)
        if (n < sizeof out - 1) n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

/* died of sig (plain build); ASan ends a SEGV with its report, then abort or exit 1 */
static void died_of(int status, int sig) {
    if (ASAN && sig != SIGABRT) {
        ck_assert_msg((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
                          (WIFEXITED(status) && WEXITSTATUS(status) != 0),
                      "status %d; output:\n%.2000s", status, out);
        ck_assert_msg(strstr(out, "AddressSanitizer"), "no ASan report:\n%.2000s", out);
        return;
    }
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == sig, "status %d, wanted signal %d; output:\n%.2000s",
                  status, sig, out);
    if (!ASAN) ck_assert_msg(strstr(out, "ltrun: backtrace of the crashing thread:"), "%s", out);
}

/* check's messages are bounded (check_pack.c: "Message string too long" ends the test
 * with status 2 and no message): the output's head is enough to see what went wrong */
static void has(const char *want) {
    ck_assert_msg(strstr(out, want), "wanted \"%s\" in:\n%.2000s", want, out);
}

static void segv_now(void) {
    /* a NULL struct's member: a real fault (UBSan would stop a write to NULL itself) */
    volatile int *volatile nowhere = (volatile int *)(uintptr_t)8;
    *nowhere = 1;
}

static void outside_hooks(void) {
    ltr_fault_install();
    segv_now();
}

START_TEST(outside_any_hook_is_ltrun_itself) {
    died_of(run_child(outside_hooks), SIGSEGV);
    has("ltrun: fatal signal SIGSEGV (invalid memory access) in ltrun itself (no plugin hook was "
        "running)\nltrun: please report it as an ltrun bug");
}
END_TEST

static void in_training_step(void) {
    ltr_fault_install();
    ltr_fault_push(LTR_FAULT_MODULE, "crashy", "/p/crashy.so", "training_step", 0, 3);
    segv_now();
}

START_TEST(hook_frame_is_named) {
    died_of(run_child(in_training_step), SIGSEGV);
    has("ltrun: fatal signal SIGSEGV (invalid memory access) in module 'crashy' (/p/crashy.so), "
        "hook training_step (epoch 0, batch 3)\nltrun: the plugin crashed in that hook");
}
END_TEST

static void nested_then_abort(void) {
    ltr_fault_install();
    ltr_fault_push(LTR_FAULT_MODULE, "m", "/p/m.so", "optimizer_step", 2, 5);
    ltr_fault_push(LTR_FAULT_MODULE, "m", "/p/m.so", "training_step", 2, 5);
    ltr_fault_pop("training_step");
    /* an unpaired push inside a callback hook is unwound with it */
    ltr_fault_push(LTR_FAULT_CALLBACK, "cb", "/p/cb.so", "on_before_zero_grad", 2, 5);
    ltr_fault_push(LTR_FAULT_MODULE, "m", "/p/m.so", "destroy", 2, -1);
    ltr_fault_pop("on_before_zero_grad");
    abort();
}

START_TEST(pop_restores_the_outer_hook) {
    died_of(run_child(nested_then_abort), SIGABRT);
    has("ltrun: fatal signal SIGABRT (abort) in module 'm' (/p/m.so), hook optimizer_step (epoch 2, batch 5)\n");
}
END_TEST

static void *raise_segv(void *arg) {
    (void)arg;
    segv_now();
    return NULL;
}

static void other_thread(void) {
    ltr_fault_install();
    ltr_fault_push(LTR_FAULT_MODULE, "crashy", "/p/crashy.so", "training_step", 1, 0);
    pthread_t th;
    pthread_create(&th, NULL, raise_segv, NULL);
    pthread_join(th, NULL);
}

START_TEST(another_thread_names_the_running_hook) {
    died_of(run_child(other_thread), SIGSEGV);
    has("ltrun: fatal signal SIGSEGV (invalid memory access) on an ltrun thread while module "
        "'crashy' (/p/crashy.so), hook training_step (epoch 1, batch 0) was running\n");
}
END_TEST

static void *get_item_segv(void *arg) {
    (void)arg;
    ltr_fault_thread_init();
    ltr_fault_push_get_item(1, 17);
    segv_now();
    return NULL;
}

static void loader_thread(void) {
    ltr_fault_install();
    /* the trainer's fetch names the data module; its workers' frames then carry it */
    ltr_fault_push(LTR_FAULT_DATA, "crashdata", "/p/crash_data.so", "get_item", 1, -1);
    ltr_fault_pop("get_item");
    pthread_t th;
    pthread_create(&th, NULL, get_item_segv, NULL);
    pthread_join(th, NULL);
}

START_TEST(get_item_on_a_loader_thread_names_the_sample) {
    died_of(run_child(loader_thread), SIGSEGV);
    has("ltrun: fatal signal SIGSEGV (invalid memory access) in data module 'crashdata' "
        "(/p/crash_data.so), hook get_item (epoch 1, sample 17) on a loader thread\n");
}
END_TEST

#pragma GCC diagnostic ignored "-Winfinite-recursion" /* on purpose */
static int deep(volatile char *up, int n) {
    volatile char page[4096];
    page[0] = (char)n;
    page[4095] = up ? up[0] : 0;
    return deep(page, n + 1) + page[4095];
}

static void overflow(void) {
    ltr_fault_install();
    ltr_fault_push(LTR_FAULT_CALLBACK, "deep", "/p/deep.so", "on_fit_start", 0, -1);
    deep(NULL, 0);
}

START_TEST(stack_overflow_is_reported) {
    died_of(run_child(overflow), SIGSEGV);
    has("ltrun: fatal signal SIGSEGV (invalid memory access) in callback 'deep' (/p/deep.so), hook "
        "on_fit_start (epoch 0)\n");
    if (ASAN) has("stack-overflow");
}
END_TEST

START_TEST(running_hook_for_the_signal_thread) {
    char buf[256];
    ltr_fault_install();
    ck_assert(!ltr_fault_running(buf, sizeof buf));
    ck_assert_str_eq(buf, "");
    ltr_fault_push(LTR_FAULT_MODULE, "spin", "/p/spin.so", "training_step", 0, 1);
    ck_assert(ltr_fault_running(buf, sizeof buf));
    ck_assert_msg(!strncmp(buf, "module 'spin', hook training_step, running for 0.", 49), "%s", buf);
    ltr_fault_pop("training_step");
    ck_assert(!ltr_fault_running(buf, sizeof buf));
}
END_TEST

int main(void) {
    Suite *s = suite_create("fault");
    TCase *tc = tcase_create("fault");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, outside_any_hook_is_ltrun_itself);
    tcase_add_test(tc, hook_frame_is_named);
    tcase_add_test(tc, pop_restores_the_outer_hook);
    tcase_add_test(tc, another_thread_names_the_running_hook);
    tcase_add_test(tc, get_item_on_a_loader_thread_names_the_sample);
    tcase_add_test(tc, stack_overflow_is_reported);
    tcase_add_test(tc, running_hook_for_the_signal_thread);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
