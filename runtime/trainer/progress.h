/*
 * progress.h — the progress line on stderr (Lightning's TQDMProgressBar, in C).
 *
 * On a TTY one line per stage is redrawn in place (at most 10 times a second) with a
 * bar, batches done/total, it/s, elapsed<ETA and the prog_bar metrics; otherwise
 * plain lines are printed at every 10% of the stage and at its end, so logs stay short.
 */
#ifndef LTR_PROGRESS_H
#define LTR_PROGRESS_H

#include "trainer/results.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ltr_progress {
    FILE *out;
    bool enabled, tty;
    char label[64];      /* "Epoch 3", "Validation", "Sanity Checking", "Testing" */
    int64_t total, done;
    double start, last_draw;
    int last_decile;
} ltr_progress;

void ltr_progress_init(ltr_progress *p, FILE *out, bool enabled);
/* total -1: unknown (an iterable dataset, ABI 1.9): "n/?" and no bar, as tqdm draws
 * total=None; off a terminal only the final line */
void ltr_progress_start(ltr_progress *p, const char *label, int64_t total);
void ltr_progress_update(ltr_progress *p, int64_t done, const ltr_metric_dict *metrics);
/* Final state of the stage, newline-terminated. */
void ltr_progress_end(ltr_progress *p, const ltr_metric_dict *metrics);

/* Monotonic seconds. */
double ltr_now(void);

#endif
