/*
 * lr_scheduler.h — torch.optim.lr_scheduler over an lt_optimizer's param groups: StepLR,
 * MultiStepLR, ExponentialLR, CosineAnnealingLR (the recursive, chainable get_lr),
 * CosineAnnealingWarmRestarts, OneCycleLR (momentum cycling included), LinearLR,
 * ConstantLR, LambdaLR, SequentialLR and ReduceLROnPlateau, with torch's values at every
 * step (constructors do torch's initial step; step(epoch) uses the closed forms).
 *
 * Ownership: made by ltr_*_lr (heap); freed by ltr_lr_scheduler_free, or by the trainer's
 * optimizer setup when made while ctx->optim is set. A scheduler borrows its optimizer;
 * SequentialLR borrows its children (all must outlive it).
 */
#ifndef LTR_LR_SCHEDULER_H
#define LTR_LR_SCHEDULER_H

#include "ltrun.h"
#include "optim/optimizer.h"

typedef enum ltr_sched_kind {
    LTR_SCHED_STEP = 1,
    LTR_SCHED_MULTISTEP,
    LTR_SCHED_EXPONENTIAL,
    LTR_SCHED_COSINE,
    LTR_SCHED_WARM_RESTARTS,
    LTR_SCHED_ONE_CYCLE,
    LTR_SCHED_LINEAR,
    LTR_SCHED_CONSTANT,
    LTR_SCHED_LAMBDA,
    LTR_SCHED_SEQUENTIAL,
    LTR_SCHED_PLATEAU
} ltr_sched_kind;

typedef struct ltr_one_cycle_phase {
    double end_step;
    int start_lr, end_lr;       /* 0 initial_lr, 1 max_lr, 2 min_lr */
    int start_mom, end_mom;     /* 0 max_momentum, 1 base_momentum */
} ltr_one_cycle_phase;

struct lt_lr_scheduler {
    ltr_sched_kind kind;
    const char *name;        /* torch's class name: "StepLR", ... */
    lt_optimizer *opt;       /* borrowed */
    int ngroups;
    int64_t last_epoch;      /* torch's last_epoch (the number of step() calls so far) */
    int64_t step_count;      /* torch's _step_count */
    double *base_lrs;        /* ngroups: group['initial_lr'] at construction */
    double *last_lr;         /* ngroups: get_last_lr() */
    /* per kind */
    int64_t step_size, total_iters, t_max, t_0, t_mult;
    double gamma, eta_min, start_factor, end_factor, factor;
    double t_i, t_cur;       /* CosineAnnealingWarmRestarts (t_cur may be fractional) */
    int64_t *milestones;     /* MultiStepLR (sorted, repeats kept), SequentialLR */
    int nmilestones;
    double (*lambda)(int64_t epoch, void *user);
    void *user;
    lt_lr_scheduler **children; /* SequentialLR */
    int nchildren;
    /* OneCycleLR */
    int64_t total_steps;
    ltr_one_cycle_phase phases[3];
    int nphases;
    bool anneal_linear, cycle_momentum;
    double *cycle;           /* ngroups * 5: initial_lr, max_lr, min_lr, max_momentum, base_momentum */
    /* ReduceLROnPlateau */
    lt_plateau_options plateau;
    bool mode_max, threshold_abs;
    double best;
    int64_t num_bad_epochs, cooldown_counter;
};

lt_lr_scheduler *ltr_step_lr(lt_ctx *ctx, lt_optimizer *opt, int64_t step_size, double gamma);
lt_lr_scheduler *ltr_multistep_lr(lt_ctx *ctx, lt_optimizer *opt, const int64_t *milestones, int n,
                                  double gamma);
lt_lr_scheduler *ltr_exponential_lr(lt_ctx *ctx, lt_optimizer *opt, double gamma);
lt_lr_scheduler *ltr_cosine_annealing_lr(lt_ctx *ctx, lt_optimizer *opt, int64_t t_max, double eta_min);
lt_lr_scheduler *ltr_cosine_annealing_warm_restarts(lt_ctx *ctx, lt_optimizer *opt, int64_t t_0,
                                                    int64_t t_mult, double eta_min);
lt_lr_scheduler *ltr_one_cycle_lr(lt_ctx *ctx, lt_optimizer *opt, const lt_one_cycle_options *o);
lt_lr_scheduler *ltr_linear_lr(lt_ctx *ctx, lt_optimizer *opt, double start_factor, double end_factor,
                               int64_t total_iters);
lt_lr_scheduler *ltr_constant_lr(lt_ctx *ctx, lt_optimizer *opt, double factor, int64_t total_iters);
lt_lr_scheduler *ltr_lambda_lr(lt_ctx *ctx, lt_optimizer *opt, double (*fn)(int64_t, void *), void *user);
lt_lr_scheduler *ltr_sequential_lr(lt_ctx *ctx, lt_optimizer *opt, lt_lr_scheduler *const *schedulers,
                                   int n, const int64_t *milestones);
lt_lr_scheduler *ltr_reduce_lr_on_plateau(lt_ctx *ctx, lt_optimizer *opt, const lt_plateau_options *o);

/* scheduler.step(); for ReduceLROnPlateau an error (it needs the metric) */
lt_status ltr_lr_scheduler_step(lt_ctx *ctx, lt_lr_scheduler *s);
/* ReduceLROnPlateau.step(metrics) */
lt_status ltr_lr_scheduler_step_metric(lt_ctx *ctx, lt_lr_scheduler *s, double metric);
/* scheduler.step(epoch): the closed form where torch has one (CosineAnnealingWarmRestarts
 * takes fractional epochs) */
lt_status ltr_lr_scheduler_step_epoch(lt_ctx *ctx, lt_lr_scheduler *s, double epoch);
double ltr_lr_scheduler_last_lr(const lt_lr_scheduler *s, int group);
void ltr_lr_scheduler_free(lt_lr_scheduler *s);

#endif
