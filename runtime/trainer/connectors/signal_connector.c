/*
 * signal_connector.c — SIGINT/SIGTERM for a training run: the first one asks the loops to stop
 * after the current step (ltr_interrupted), the second ends the process at once.
 *
 * Why a thread and not a handler: a handler runs on whichever thread the kernel picks,
 * on top of that thread's stack — often an OpenMP worker inside oneDNN's JIT-generated
 * GEMM kernels. Under a stress of SIGINTs at random moments that corrupted the heap
 * (free(): invalid pointer at exit, a few runs in a hundred; never with oneDNN's sgemm
 * off). So the signals are blocked in every thread (the mask is inherited by the
 * OpenMP/BLAS threads created later) and one small thread takes them with sigwait():
 * no compute code is ever interrupted, and the flag is set by ordinary code.
 *
 * The first signal is answered at once: a hook that runs for long (or forever) would
 * otherwise leave the user with no sign that the signal arrived. The thread says what
 * is still running (fault.h's frames of the trainer thread) and what a second signal
 * does. Installing also installs the fatal-signal handler (fault.c).
 */
#include "trainer/trainer.h"
#include "strategy/strategy.h"
#include "trainer/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>

volatile sig_atomic_t ltr_interrupted = 0;

static sigset_t stop_signals;

static void *signal_thread(void *arg) {
    (void)arg;
    for (;;) {
        int sig;
        if (sigwait(&stop_signals, &sig) != 0) continue;
        if (!ltr_interrupted) {
            ltr_interrupted = sig;
            const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
            char what[512];
            if (ltr_fault_running(what, sizeof what))
                fprintf(stderr, "ltrun: %s received; stopping after the running step (%s); send it "
                        "again to stop at once without saving\n", name, what);
            else
                fprintf(stderr, "ltrun: %s received; stopping after the running step; send it "
                        "again to stop at once without saving\n", name);
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
    ltr_fault_install();
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

bool ltr_stop_decision(ltr_trainer *t, bool local) {
    bool d = local;
    if (t->strategy->ops->reduce_bool(t->strategy, &t->ctx.pub, &d, false) == LT_OK) return d;
    char msg[1024] = "";
    ltr_ctx_take_error(&t->ctx, msg, sizeof msg);
    ltr_trainer_error(t, LTR_EXIT_TRAINING, "strategy '%s', reduce_bool: %s",
                      t->strategy->ops->name, msg[0] ? msg : "failed without a message");
    return true; /* the ranks cannot agree: stop here */
}

bool ltr_trainer_interrupted(ltr_trainer *t) { return ltr_stop_decision(t, ltr_interrupted != 0); }
