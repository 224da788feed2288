/*
 * configure.h — what configure_optimizers produced: Lightning's trainer.optimizers and
 * trainer.lr_scheduler_configs, plus every optimizer and scheduler made during the run
 * (owned here, freed by ltr_optim_setup_free).
 *
 * The module's configure_optimizers hook returns one optimizer; inside it,
 * lt_add_optimizer adds more and lt_add_lr_scheduler attaches schedulers with Lightning's
 * config dict (interval, frequency, monitor, strict, name). ltr_optim_setup_finish then
 * applies Lightning's rules (core/optimizer.py: _configure_schedulers_automatic_opt,
 * _validate_multiple_optimizers_support, _validate_optimizers_attached).
 *
 * The trainer points ctx->optim at its setup for the whole run; with ctx->optim NULL
 * (unit tests) optimizers and schedulers belong to whoever made them.
 */
#ifndef LTR_OPTIM_CONFIGURE_H
#define LTR_OPTIM_CONFIGURE_H

#include "ltrun.h"

#include <stdbool.h>
#include <stdint.h>

/* Lightning's LRSchedulerConfig */
typedef struct ltr_sched_config {
    lt_lr_scheduler *scheduler;
    char *name;              /* owned copy or NULL */
    bool interval_step;      /* interval "step" (else "epoch") */
    int64_t frequency;
    bool reduce_on_plateau;  /* the scheduler is a ReduceLROnPlateau */
    char *monitor;           /* owned copy or NULL */
    bool strict;
} ltr_sched_config;

typedef struct ltr_optim_setup {
    bool configuring;             /* inside configure_optimizers: lt_add_* allowed */
    bool manual;                  /* the module uses manual optimization (set by the
                                     trainer before configure_optimizers) */
    lt_optimizer **optimizers;    /* trainer.optimizers (borrowed from `owned_opt`) */
    int noptimizers;
    ltr_sched_config *configs;    /* trainer.lr_scheduler_configs */
    int nconfigs;
    lt_optimizer **owned_opt;     /* everything made in the run */
    int nowned_opt;
    lt_lr_scheduler **owned_sched;
    int nowned_sched;
} ltr_optim_setup;

/* Take ownership of a new optimizer or scheduler (either may be NULL). */
lt_status ltr_optim_setup_own(ltr_optim_setup *s, lt_optimizer *o, lt_lr_scheduler *sched);

/* After configure_optimizers returned `returned` (NULL = none): build trainer.optimizers
 * (the returned one first, then the added ones) and check Lightning's rules. None at
 * all (NULL, nothing added, no error) is Lightning's `None`: a warning, no optimizer
 * (noptimizers 0; the trainer then runs steps without updates, as _MockOptimizer). Errors are
 * recorded on ctx (Lightning's messages) and LT_ERROR returned. `automatic`: the
 * module uses automatic optimization (several optimizers need manual optimization). */
lt_status ltr_optim_setup_finish(ltr_optim_setup *s, lt_ctx *ctx, lt_optimizer *returned,
                                 bool automatic);
/* Free every optimizer and scheduler made in the run and the lists; zeroes *s. */
void ltr_optim_setup_free(ltr_optim_setup *s);

/* The host API members (lt_add_optimizer, lt_add_lr_scheduler, lt_optimizers,
 * lt_lr_schedulers). */
lt_status ltr_add_optimizer(lt_ctx *ctx, lt_optimizer *opt);
lt_status ltr_add_lr_scheduler(lt_ctx *ctx, lt_lr_scheduler *sched, const lt_lr_scheduler_config *cfg);
lt_optimizer *ltr_optimizers_at(lt_ctx *ctx, int i);
lt_lr_scheduler *ltr_lr_schedulers_at(lt_ctx *ctx, int i);

#endif
