/*
 * fault.h — name the plugin and hook a fatal signal came from.
 *
 * A plugin that crashes inside a hook (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) would
 * otherwise end the run with rc 139/134 and nothing else. Each thread keeps a small
 * stack of "which plugin's hook is running" frames, pushed by the hook-dispatch helpers
 * (ltr_trainer_hook_begin/done, the callback and checkpoint-hook calls, get_item); the
 * fault handler writes the innermost one to stderr with async-signal-safe calls only,
 * then lets the signal take its previous action (the default, so the exit status and
 * core dumps stay the signal's; or AddressSanitizer's handler in a sanitizer build,
 * which then prints its own report). The signal thread (signal_connector.c) reads the main
 * thread's frames to say what is still running when a SIGINT/SIGTERM arrives.
 *
 * Every string a frame points to must live until the frame is popped: plugin names
 * (the descriptor's), labels and paths of loaded plugins, string literals.
 */
#ifndef LTR_FAULT_H
#define LTR_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    LTR_FAULT_MODULE,
    LTR_FAULT_DATA,
    LTR_FAULT_CALLBACK,
    LTR_FAULT_LOGGER,
    LTR_FAULT_STRATEGY
} ltr_fault_kind;

/* Install the handlers, an alternate signal stack for the calling thread (a stack
 * overflow is caught too) and make the calling thread "the main one". Idempotent. */
void ltr_fault_install(void);
/* An alternate signal stack for a thread the host starts (loader workers); _done frees
 * it before the thread ends. Both do nothing when the thread already has one (ASan's). */
void ltr_fault_thread_init(void);
void ltr_fault_thread_done(void);

/* The calling thread enters `hook` of a plugin; epoch/batch as the trainer counts them
 * (batch -1: not a batch hook). A data-module frame also names the data module that
 * get_item frames on loader threads report. */
void ltr_fault_push(ltr_fault_kind kind, const char *label, const char *path, const char *hook,
                    int64_t epoch, int64_t batch);
/* Leave `hook`: pops the innermost frame of that hook and any pushed above it. */
void ltr_fault_pop(const char *hook);
/* ltr_fault_push for a plugin of trainer t named as the checkpoint hooks name it: who is
 * "module", "data module" or "callback", label the module's/data module's name or the
 * callback's label (its path is looked up). */
struct ltr_trainer;
void ltr_fault_push_named(struct ltr_trainer *t, const char *who, const char *label, const char *hook);
/* get_item(index) of the run's data module on the calling thread (any thread). */
void ltr_fault_push_get_item(int64_t epoch, int64_t index);

/* "module 'x', hook training_step, running for 12.3 s" for the main thread's innermost
 * frame; false (buf "") when no hook is running there. Not for signal handlers. */
bool ltr_fault_running(char *buf, size_t cap);

#endif
