/*
 * signals.c — SIGINT/SIGTERM for a training run: the first one asks the loops to stop
 * after the current step (ltr_interrupted), the second ends the process at once.
 *
 * Why a thread and not a handler: a handler runs on whichever thread the kernel picks,
 * on top of that thread's stack — often an OpenMP worker inside oneDNN's JIT-generated
 * GEMM kernels. Under a stress of SIGINTs at random moments that corrupted the heap
 * (free(): invalid pointer at exit, a few runs in a hundred; never with oneDNN's sgemm
 * off). So the signals are blocked in every thread (the mask is inherited by the
 * OpenMP/BLAS threads created later) and one small thread takes them with sigwait():
 * no compute code is ever interrupted, and the flag is set by ordinary code.
 */
#include "trainer/trainer.h"

#include <pthread.h>
#include <signal.h>

volatile sig_atomic_t ltr_interrupted = 0;

static sigset_t stop_signals;

static void *signal_thread(void *arg) {
    (void)arg;
    for (;;) {
        int sig;
        if (sigwait(&stop_signals, &sig) != 0) continue;
        if (!ltr_interrupted) {
            ltr_interrupted = sig;
            continue;
        }
        /* the second one: its default action, now (Lightning: a second Ctrl-C kills) */
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
    }
    return NULL;
}

static void install_once(void) {
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) return;
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, signal_thread, NULL) != 0) /* keep the defaults */
        pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
    pthread_attr_destroy(&attr);
}

void ltr_signals_install(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_once);
}
