/*
 * lr_scheduler.c — torch.optim.lr_scheduler (torch 1.13 / 2.x values) over the param
 * groups of an lt_optimizer. Each scheduler follows torch's class:
 *   __init__: group['initial_lr'] = group['lr'] where unset; base_lrs = initial_lrs;
 *             last_epoch = -1; _initial_step(): _step_count = 0, step().
 *   step():   _step_count += 1; last_epoch += 1; lrs = get_lr() (the chainable form,
 *             computed from the groups' current lr); group['lr'] = lrs; _last_lr = lrs.
 *   step(epoch): last_epoch = epoch; _get_closed_form_lr() where the class has one.
 * CosineAnnealingWarmRestarts, SequentialLR and ReduceLROnPlateau have their own step.
 */
#include "optim/lr_scheduler.h"

#include "core/context.h"
#include "optim/configure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static lt_lr_scheduler *sched_new(lt_ctx *ctx, lt_optimizer *opt, ltr_sched_kind kind,
                                  const char *name) {
    if (!opt) {
        ltr_fail(ctx, "%s: no optimizer (NULL); pass the optimizer lt_sgd/lt_adam/... returned",
                 name);
        return NULL;
    }
    lt_lr_scheduler *s = calloc(1, sizeof *s);
    if (s) {
        s->base_lrs = calloc((size_t)opt->ngroups, sizeof(double));
        s->last_lr = calloc((size_t)opt->ngroups, sizeof(double));
    }
    if (!s || !s->base_lrs || !s->last_lr) {
        ltr_lr_scheduler_free(s);
        ltr_fail(ctx, "%s: out of memory", name);
        return NULL;
    }
    s->kind = kind;
    s->name = name;
    s->opt = opt;
    s->ngroups = opt->ngroups;
    s->last_epoch = -1;
    ltr_optim_setup *setup = ltr_ctx_of(ctx)->optim;
    if (setup && ltr_optim_setup_own(setup, NULL, s) != LT_OK) {
        ltr_lr_scheduler_free(s);
        ltr_fail(ctx, "%s: out of memory", name);
        return NULL;
    }
    return s;
}

/* A failed constructor: the scheduler is released unless the run owns it already. */
static lt_lr_scheduler *sched_fail(lt_ctx *ctx, lt_lr_scheduler *s) {
    if (s && !ltr_ctx_of(ctx)->optim) ltr_lr_scheduler_free(s);
    return NULL;
}

/* LRScheduler.__init__ with last_epoch=-1: group.setdefault('initial_lr', group['lr']) */
static void set_base_lrs(lt_lr_scheduler *s) {
    for (int g = 0; g < s->ngroups; g++) {
        ltr_param_group *grp = &s->opt->groups[g];
        if (!grp->has_initial_lr) {
            grp->initial_lr = *ltr_group_lr(s->opt, g);
            grp->has_initial_lr = true;
        }
        s->base_lrs[g] = grp->initial_lr;
    }
}

static double group_lr(const lt_lr_scheduler *s, int g) { return *ltr_group_lr(s->opt, g); }

static void assign_lrs(lt_lr_scheduler *s, const double *lrs) {
    for (int g = 0; g < s->ngroups; g++) {
        *ltr_group_lr(s->opt, g) = lrs[g];
        s->last_lr[g] = lrs[g];
    }
}

/* Python's a ** b for the int exponents the schedulers use */
static double pow_int(double a, int64_t b) { return pow(a, (double)b); }

/* bisect.bisect_right(sorted list, x) */
static int bisect_right(const int64_t *v, int n, int64_t x) {
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x < v[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static double anneal(const lt_lr_scheduler *s, double start, double end, double pct) {
    if (s->anneal_linear) return (end - start) * pct + start; /* _annealing_linear */
    double cos_out = cos(M_PI * pct) + 1;                      /* _annealing_cos */
    return end + (start - end) / 2.0 * cos_out;
}

/* OneCycleLR.get_lr (also sets each group's momentum / beta1 when cycling) */
static lt_status one_cycle_get_lr(lt_ctx *ctx, lt_lr_scheduler *s, double *lrs) {
    int64_t step_num = s->last_epoch;
    if (step_num > s->total_steps)
        return ltr_fail(ctx, "OneCycleLR: Tried to step %lld times. The specified number of total "
                             "steps is %lld", (long long)step_num, (long long)s->total_steps);
    for (int g = 0; g < s->ngroups; g++) {
        const double *cy = &s->cycle[g * 5];
        double start_step = 0, lr = 0, mom = 0;
        for (int i = 0; i < s->nphases; i++) {
            const ltr_one_cycle_phase *ph = &s->phases[i];
            if ((double)step_num <= ph->end_step || i == s->nphases - 1) {
                double pct = ((double)step_num - start_step) / (ph->end_step - start_step);
                lr = anneal(s, cy[ph->start_lr], cy[ph->end_lr], pct);
                if (s->cycle_momentum) mom = anneal(s, cy[3 + ph->start_mom], cy[3 + ph->end_mom], pct);
                break;
            }
            start_step = ph->end_step;
        }
        lrs[g] = lr;
        if (s->cycle_momentum) *ltr_group_momentum(s->opt, g) = mom;
    }
    return LT_OK;
}

/* get_lr(): the chainable form, from the groups' current lr */
static lt_status get_lr(lt_ctx *ctx, lt_lr_scheduler *s, double *lrs) {
    const int64_t e = s->last_epoch;
    for (int g = 0; g < s->ngroups; g++) {
        double lr = group_lr(s, g), base = s->base_lrs[g];
        switch (s->kind) {
        case LTR_SCHED_STEP:
            lrs[g] = (e == 0 || e % s->step_size != 0) ? lr : lr * s->gamma;
            break;
        case LTR_SCHED_MULTISTEP: {
            /* gamma ** milestones.count(last_epoch) (a Counter of the milestones) */
            int64_t count = 0;
            for (int i = 0; i < s->nmilestones; i++) count += s->milestones[i] == e;
            lrs[g] = count == 0 ? lr : lr * pow_int(s->gamma, count);
            break;
        }
        case LTR_SCHED_EXPONENTIAL:
            lrs[g] = e == 0 ? lr : lr * s->gamma;
            break;
        case LTR_SCHED_COSINE: {
            double tm = (double)s->t_max, eta = s->eta_min;
            if (e == 0) lrs[g] = lr;
            else if (s->step_count == 1 && e > 0)
                lrs[g] = eta + (base - eta) * (1 + cos((double)e * M_PI / tm)) / 2;
            else if ((e - 1 - s->t_max) % (2 * s->t_max) == 0)
                lrs[g] = lr + (base - eta) * (1 - cos(M_PI / tm)) / 2;
            else
                lrs[g] = (1 + cos(M_PI * (double)e / tm)) / (1 + cos(M_PI * (double)(e - 1) / tm)) *
                             (lr - eta) + eta;
            break;
        }
        case LTR_SCHED_WARM_RESTARTS:
            lrs[g] = s->eta_min + (base - s->eta_min) * (1 + cos(M_PI * s->t_cur / s->t_i)) / 2;
            break;
        case LTR_SCHED_LINEAR:
            if (e == 0) lrs[g] = lr * s->start_factor;
            else if (e > s->total_iters) lrs[g] = lr;
            else
                lrs[g] = lr * (1. + (s->end_factor - s->start_factor) /
                                        ((double)s->total_iters * s->start_factor +
                                         (double)(e - 1) * (s->end_factor - s->start_factor)));
            break;
        case LTR_SCHED_CONSTANT:
            if (e == 0) lrs[g] = lr * s->factor;
            else if (e > s->total_iters || e != s->total_iters) lrs[g] = lr;
            else lrs[g] = lr * (1.0 / s->factor);
            break;
        case LTR_SCHED_LAMBDA:
            lrs[g] = base * s->lambda(e, s->user);
            break;
        case LTR_SCHED_ONE_CYCLE:
            return one_cycle_get_lr(ctx, s, lrs);
        default:
            lrs[g] = lr;
            break;
        }
    }
    return LT_OK;
}

/* _get_closed_form_lr(), for the classes that have one; false for the others */
static bool closed_form_lr(const lt_lr_scheduler *s, double *lrs) {
    const int64_t e = s->last_epoch;
    for (int g = 0; g < s->ngroups; g++) {
        double base = s->base_lrs[g];
        switch (s->kind) {
        case LTR_SCHED_STEP: {
            /* Python's floor division */
            int64_t q = e / s->step_size;
            if ((e % s->step_size != 0) && ((e < 0) != (s->step_size < 0))) q--;
            lrs[g] = base * pow_int(s->gamma, q);
            break;
        }
        case LTR_SCHED_MULTISTEP:
            lrs[g] = base * pow_int(s->gamma, bisect_right(s->milestones, s->nmilestones, e));
            break;
        case LTR_SCHED_EXPONENTIAL:
            lrs[g] = base * pow_int(s->gamma, e);
            break;
        case LTR_SCHED_COSINE:
            lrs[g] = s->eta_min + (base - s->eta_min) * (1 + cos(M_PI * (double)e / (double)s->t_max)) / 2;
            break;
        case LTR_SCHED_LINEAR: {
            int64_t m = s->total_iters < e ? s->total_iters : e;
            lrs[g] = base * (s->start_factor + (s->end_factor - s->start_factor) * (double)m /
                                                   (double)s->total_iters);
            break;
        }
        case LTR_SCHED_CONSTANT:
            lrs[g] = base * (s->factor + (e >= s->total_iters) * (1 - s->factor));
            break;
        default:
            return false;
        }
    }
    return true;
}

static lt_status check_groups(lt_ctx *ctx, const lt_lr_scheduler *s) {
    if (s->opt->ngroups != s->ngroups)
        return ltr_fail(ctx, "%s: the optimizer has %d param groups, the scheduler was made over %d "
                             "(make param groups before schedulers)",
                        s->name, s->opt->ngroups, s->ngroups);
    return LT_OK;
}

/* CosineAnnealingWarmRestarts.step(epoch): has_epoch false = step() */
static lt_status warm_restarts_step(lt_ctx *ctx, lt_lr_scheduler *s, bool has_epoch, double epoch) {
    if (!has_epoch && s->last_epoch < 0) {
        has_epoch = true;
        epoch = 0;
    }
    if (!has_epoch) {
        epoch = (double)(s->last_epoch + 1);
        s->t_cur = s->t_cur + 1;
        if (s->t_cur >= s->t_i) {
            s->t_cur = s->t_cur - s->t_i;
            s->t_i = s->t_i * (double)s->t_mult;
        }
    } else {
        if (epoch < 0) {
            char v[48];
            return ltr_fail(ctx, "CosineAnnealingWarmRestarts: Expected non-negative epoch, but got %s",
                            ltr_optim_pyfloat(epoch, v, sizeof v));
        }
        double t0 = (double)s->t_0, tm = (double)s->t_mult;
        if (epoch >= t0) {
            if (s->t_mult == 1) {
                s->t_cur = fmod(epoch, t0); /* Python's % of non-negatives */
            } else {
                double n = floor(log(epoch / t0 * (tm - 1) + 1) / log(tm)); /* int(math.log(x, T_mult)) */
                s->t_cur = epoch - t0 * (pow(tm, n) - 1) / (tm - 1);
                s->t_i = t0 * pow(tm, n);
            }
        } else {
            s->t_i = t0;
            s->t_cur = epoch;
        }
    }
    s->last_epoch = (int64_t)floor(epoch);
    double lrs[s->ngroups > 0 ? s->ngroups : 1];
    get_lr(ctx, s, lrs);
    assign_lrs(s, lrs);
    return LT_OK;
}

static lt_status sched_step(lt_ctx *ctx, lt_lr_scheduler *s, bool has_epoch, double epoch);

/* SequentialLR.step() */
static lt_status sequential_step(lt_ctx *ctx, lt_lr_scheduler *s) {
    s->last_epoch += 1;
    int idx = bisect_right(s->milestones, s->nmilestones, s->last_epoch);
    lt_lr_scheduler *c = s->children[idx];
    lt_status rc;
    if (idx > 0 && s->milestones[idx - 1] == s->last_epoch) rc = sched_step(ctx, c, true, 0);
    else rc = sched_step(ctx, c, false, 0);
    if (rc == LT_OK) memcpy(s->last_lr, c->last_lr, (size_t)s->ngroups * sizeof(double));
    return rc;
}

/* LRScheduler.step(epoch=None) and the classes' own steps */
static lt_status sched_step(lt_ctx *ctx, lt_lr_scheduler *s, bool has_epoch, double epoch) {
    if (check_groups(ctx, s)) return LT_ERROR;
    switch (s->kind) {
    case LTR_SCHED_PLATEAU:
        return ltr_fail(ctx, "ReduceLROnPlateau: step() needs the metric "
                             "(lt_lr_scheduler_step_metric)");
    case LTR_SCHED_WARM_RESTARTS:
        return warm_restarts_step(ctx, s, has_epoch, epoch);
    case LTR_SCHED_SEQUENTIAL:
        if (has_epoch) return ltr_fail(ctx, "SequentialLR: step() takes no epoch");
        return sequential_step(ctx, s);
    default:
        break;
    }
    double lrs[s->ngroups > 0 ? s->ngroups : 1];
    s->step_count += 1;
    int64_t was = s->last_epoch;
    if (!has_epoch) {
        s->last_epoch += 1;
        if (get_lr(ctx, s, lrs)) {
            s->last_epoch = was, s->step_count -= 1;
            return LT_ERROR;
        }
    } else {
        s->last_epoch = (int64_t)epoch;
        if (!closed_form_lr(s, lrs) && get_lr(ctx, s, lrs)) {
            s->last_epoch = was, s->step_count -= 1;
            return LT_ERROR;
        }
    }
    assign_lrs(s, lrs);
    return LT_OK;
}

/* the tail of LRScheduler.__init__ every constructor ends with: base_lrs from the groups'
 * initial_lr, then _initial_step(): _step_count = 0, step() */
static lt_lr_scheduler *initial_step(lt_ctx *ctx, lt_lr_scheduler *s) {
    set_base_lrs(s);
    s->step_count = 0;
    if (sched_step(ctx, s, false, 0)) return sched_fail(ctx, s);
    return s;
}

/* ------------------------------------------------------------------ constructors */

lt_lr_scheduler *ltr_step_lr(lt_ctx *ctx, lt_optimizer *opt, int64_t step_size, double gamma) {
    if (step_size == 0) {
        /* torch divides by it at the second step (ZeroDivisionError); refused up front */
        ltr_fail(ctx, "StepLR: step_size must be a positive integer, got 0");
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_STEP, "StepLR");
    if (!s) return NULL;
    s->step_size = step_size;
    s->gamma = gamma;
    return initial_step(ctx, s);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

lt_lr_scheduler *ltr_multistep_lr(lt_ctx *ctx, lt_optimizer *opt, const int64_t *milestones, int n,
                                  double gamma) {
    if (n < 0 || (n > 0 && !milestones)) {
        ltr_fail(ctx, "MultiStepLR: milestones: %d given, but no array", n);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_MULTISTEP, "MultiStepLR");
    if (!s) return NULL;
    s->milestones = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    if (!s->milestones) {
        ltr_fail(ctx, "MultiStepLR: out of memory");
        return sched_fail(ctx, s);
    }
    if (n > 0) memcpy(s->milestones, milestones, (size_t)n * sizeof(int64_t));
    qsort(s->milestones, (size_t)n, sizeof(int64_t), cmp_i64); /* sorted(Counter.elements()) */
    s->nmilestones = n;
    s->gamma = gamma;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_exponential_lr(lt_ctx *ctx, lt_optimizer *opt, double gamma) {
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_EXPONENTIAL, "ExponentialLR");
    if (!s) return NULL;
    s->gamma = gamma;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_cosine_annealing_lr(lt_ctx *ctx, lt_optimizer *opt, int64_t t_max, double eta_min) {
    if (t_max <= 0) {
        /* torch divides by T_max (ZeroDivisionError at the first step for 0) */
        ltr_fail(ctx, "CosineAnnealingLR: T_max must be a positive integer, got %lld", (long long)t_max);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_COSINE, "CosineAnnealingLR");
    if (!s) return NULL;
    s->t_max = t_max;
    s->eta_min = eta_min;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_cosine_annealing_warm_restarts(lt_ctx *ctx, lt_optimizer *opt, int64_t t_0,
                                                    int64_t t_mult, double eta_min) {
    if (t_0 <= 0) {
        ltr_fail(ctx, "CosineAnnealingWarmRestarts: Expected positive integer T_0, but got %lld",
                 (long long)t_0);
        return NULL;
    }
    if (t_mult < 1) {
        ltr_fail(ctx, "CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got %lld",
                 (long long)t_mult);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_WARM_RESTARTS, "CosineAnnealingWarmRestarts");
    if (!s) return NULL;
    s->t_0 = t_0;
    s->t_i = (double)t_0;
    s->t_mult = t_mult;
    s->eta_min = eta_min;
    s->t_cur = -1; /* T_cur = last_epoch */
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_one_cycle_lr(lt_ctx *ctx, lt_optimizer *opt, const lt_one_cycle_options *o) {
    const lt_one_cycle_options defaults = LT_ONE_CYCLE_DEFAULTS;
    if (!o) o = &defaults;
    char v[48];
    int64_t total;
    /* OneCycleLR.__init__'s checks, in its order, with its messages */
    if (o->total_steps == 0 && o->epochs == 0 && o->steps_per_epoch == 0) {
        ltr_fail(ctx, "OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)");
        return NULL;
    } else if (o->total_steps != 0) {
        if (o->total_steps <= 0) {
            ltr_fail(ctx, "OneCycleLR: Expected positive integer total_steps, but got %lld",
                     (long long)o->total_steps);
            return NULL;
        }
        total = o->total_steps;
    } else {
        if (o->epochs <= 0) {
            ltr_fail(ctx, "OneCycleLR: Expected positive integer epochs, but got %lld", (long long)o->epochs);
            return NULL;
        }
        if (o->steps_per_epoch <= 0) {
            ltr_fail(ctx, "OneCycleLR: Expected positive integer steps_per_epoch, but got %lld",
                     (long long)o->steps_per_epoch);
            return NULL;
        }
        total = o->epochs * o->steps_per_epoch;
    }
    if (!(o->pct_start >= 0 && o->pct_start <= 1)) {
        ltr_fail(ctx, "OneCycleLR: Expected float between 0 and 1 pct_start, but got %s",
                 ltr_optim_pyfloat(o->pct_start, v, sizeof v));
        return NULL;
    }
    const char *strategy = o->anneal_strategy ? o->anneal_strategy : "cos";
    if (strcmp(strategy, "cos") != 0 && strcmp(strategy, "linear") != 0) {
        ltr_fail(ctx, "OneCycleLR: anneal_strategy must by one of 'cos' or 'linear', instead got %s",
                 strategy);
        return NULL;
    }
    if (opt && o->cycle_momentum && !ltr_group_momentum(opt, 0)) {
        ltr_fail(ctx, "OneCycleLR: optimizer must support momentum with `cycle_momentum` option "
                      "enabled (%s has neither momentum nor betas)", opt->name);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_ONE_CYCLE, "OneCycleLR");
    if (!s) return NULL;
    s->total_steps = total;
    s->anneal_linear = strcmp(strategy, "linear") == 0;
    s->cycle_momentum = o->cycle_momentum;
    double ts = (double)total, pct = o->pct_start;
    if (o->three_phase) {
        s->nphases = 3;
        s->phases[0] = (ltr_one_cycle_phase){pct * ts - 1, 0, 1, 0, 1};
        s->phases[1] = (ltr_one_cycle_phase){2 * pct * ts - 2, 1, 0, 1, 0};
        s->phases[2] = (ltr_one_cycle_phase){ts - 1, 0, 2, 0, 0};
    } else {
        s->nphases = 2;
        s->phases[0] = (ltr_one_cycle_phase){pct * ts - 1, 0, 1, 0, 1};
        s->phases[1] = (ltr_one_cycle_phase){ts - 1, 1, 2, 1, 0};
    }
    s->cycle = calloc((size_t)s->ngroups * 5, sizeof(double));
    if (!s->cycle) {
        ltr_fail(ctx, "OneCycleLR: out of memory");
        return sched_fail(ctx, s);
    }
    for (int g = 0; g < s->ngroups; g++) {
        double *cy = &s->cycle[g * 5];
        double max_lr = o->max_lrs ? o->max_lrs[g] : o->max_lr;
        ltr_param_group *grp = &opt->groups[g];
        /* group['initial_lr'] = max_lr / div_factor (overwritten), ['max_lr'], ['min_lr'] */
        grp->initial_lr = max_lr / o->div_factor;
        grp->has_initial_lr = true;
        cy[0] = grp->initial_lr;
        cy[1] = max_lr;
        cy[2] = cy[0] / o->final_div_factor;
        cy[3] = o->max_momentum;
        cy[4] = o->base_momentum;
        if (o->cycle_momentum) *ltr_group_momentum(opt, g) = o->max_momentum;
    }
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_linear_lr(lt_ctx *ctx, lt_optimizer *opt, double start_factor, double end_factor,
                               int64_t total_iters) {
    if (start_factor > 1.0 || !(start_factor > 0)) {
        ltr_fail(ctx, "LinearLR: Starting multiplicative factor expected to be greater than 0 and "
                      "less or equal to 1.");
        return NULL;
    }
    if (end_factor > 1.0 || !(end_factor >= 0)) {
        ltr_fail(ctx, "LinearLR: Ending multiplicative factor expected to be between 0 and 1.");
        return NULL;
    }
    if (total_iters <= 0) {
        ltr_fail(ctx, "LinearLR: total_iters must be a positive integer, got %lld", (long long)total_iters);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_LINEAR, "LinearLR");
    if (!s) return NULL;
    s->start_factor = start_factor;
    s->end_factor = end_factor;
    s->total_iters = total_iters;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_constant_lr(lt_ctx *ctx, lt_optimizer *opt, double factor, int64_t total_iters) {
    if (factor > 1.0 || !(factor >= 0)) {
        ltr_fail(ctx, "ConstantLR: Constant multiplicative factor expected to be between 0 and 1.");
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_CONSTANT, "ConstantLR");
    if (!s) return NULL;
    s->factor = factor;
    s->total_iters = total_iters;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_lambda_lr(lt_ctx *ctx, lt_optimizer *opt, double (*fn)(int64_t, void *), void *user) {
    if (!fn) {
        ltr_fail(ctx, "LambdaLR: no lr_lambda function (NULL)");
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_LAMBDA, "LambdaLR");
    if (!s) return NULL;
    s->lambda = fn;
    s->user = user;
    return initial_step(ctx, s);
}

lt_lr_scheduler *ltr_sequential_lr(lt_ctx *ctx, lt_optimizer *opt, lt_lr_scheduler *const *schedulers,
                                   int n, const int64_t *milestones) {
    if (n < 1 || !schedulers) {
        ltr_fail(ctx, "SequentialLR: expects at least one scheduler");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!schedulers[i]) {
            ltr_fail(ctx, "SequentialLR: scheduler %d is NULL", i);
            return NULL;
        }
        if (schedulers[i]->opt != opt) {
            ltr_fail(ctx, "SequentialLR: Sequential Schedulers expects all schedulers to belong to the "
                          "same optimizer, but got schedulers at index %d to be different than the "
                          "optimizer passed in.", i);
            return NULL;
        }
        if (schedulers[i]->kind == LTR_SCHED_PLATEAU) {
            ltr_fail(ctx, "SequentialLR: ReduceLROnPlateau (index %d) cannot be sequenced: it "
                          "steps on a metric", i);
            return NULL;
        }
    }
    if (n > 1 && !milestones) {
        ltr_fail(ctx, "SequentialLR: %d schedulers need %d milestones", n, n - 1);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_SEQUENTIAL, "SequentialLR");
    if (!s) return NULL;
    s->children = malloc((size_t)n * sizeof *s->children);
    s->milestones = malloc((size_t)(n > 1 ? n - 1 : 1) * sizeof(int64_t));
    if (!s->children || !s->milestones) {
        ltr_fail(ctx, "SequentialLR: out of memory");
        return sched_fail(ctx, s);
    }
    memcpy(s->children, schedulers, (size_t)n * sizeof *s->children);
    s->nchildren = n;
    if (n > 1) memcpy(s->milestones, milestones, (size_t)(n - 1) * sizeof(int64_t));
    s->nmilestones = n - 1;
    s->last_epoch = 0; /* last_epoch + 1 */
    /* reset the lrs to the initial values, undo the children's initial steps, then the
     * first child's initial step alone */
    for (int g = 0; g < s->ngroups; g++) {
        const ltr_param_group *grp = &opt->groups[g];
        if (grp->has_initial_lr) *ltr_group_lr(opt, g) = grp->initial_lr;
    }
    for (int i = 0; i < n; i++) s->children[i]->last_epoch -= 1;
    lt_lr_scheduler *c0 = s->children[0];
    c0->step_count = 0;
    if (sched_step(ctx, c0, false, 0)) return sched_fail(ctx, s);
    memcpy(s->last_lr, c0->last_lr, (size_t)s->ngroups * sizeof(double));
    return s;
}

lt_lr_scheduler *ltr_reduce_lr_on_plateau(lt_ctx *ctx, lt_optimizer *opt, const lt_plateau_options *o) {
    const lt_plateau_options defaults = LT_PLATEAU_DEFAULTS;
    if (!o) o = &defaults;
    const char *mode = o->mode ? o->mode : "min", *tmode = o->threshold_mode ? o->threshold_mode : "rel";
    if (!(o->factor < 1.0)) {
        ltr_fail(ctx, "ReduceLROnPlateau: Factor should be < 1.0.");
        return NULL;
    }
    if (strcmp(mode, "min") != 0 && strcmp(mode, "max") != 0) {
        ltr_fail(ctx, "ReduceLROnPlateau: mode %s is unknown!", mode);
        return NULL;
    }
    if (strcmp(tmode, "rel") != 0 && strcmp(tmode, "abs") != 0) {
        ltr_fail(ctx, "ReduceLROnPlateau: threshold mode %s is unknown!", tmode);
        return NULL;
    }
    lt_lr_scheduler *s = sched_new(ctx, opt, LTR_SCHED_PLATEAU, "ReduceLROnPlateau");
    if (!s) return NULL;
    s->plateau = *o;
    s->plateau.mode = NULL, s->plateau.threshold_mode = NULL; /* not kept: borrowed strings */
    s->mode_max = strcmp(mode, "max") == 0;
    s->threshold_abs = strcmp(tmode, "abs") == 0;
    s->last_epoch = 0;
    /* _reset(): best = mode_worse, cooldown_counter = 0, num_bad_epochs = 0 */
    s->best = s->mode_max ? -INFINITY : INFINITY;
    for (int g = 0; g < s->ngroups; g++) s->last_lr[g] = group_lr(s, g);
    return s;
}

/* ------------------------------------------------------------------ stepping */

lt_status ltr_lr_scheduler_step(lt_ctx *ctx, lt_lr_scheduler *s) {
    if (!s) return ltr_fail(ctx, "lt_lr_scheduler_step: no scheduler (NULL)");
    return sched_step(ctx, s, false, 0);
}

lt_status ltr_lr_scheduler_step_epoch(lt_ctx *ctx, lt_lr_scheduler *s, double epoch) {
    if (!s) return ltr_fail(ctx, "lt_lr_scheduler_step_epoch: no scheduler (NULL)");
    return sched_step(ctx, s, true, epoch);
}

/* ReduceLROnPlateau.is_better(a, best) */
static bool plateau_is_better(const lt_lr_scheduler *s, double a, double best) {
    double th = s->plateau.threshold;
    if (!s->mode_max && !s->threshold_abs) return a < best * (1. - th);
    if (!s->mode_max) return a < best - th;
    if (!s->threshold_abs) return a > best * (th + 1.);
    return a > best + th;
}

lt_status ltr_lr_scheduler_step_metric(lt_ctx *ctx, lt_lr_scheduler *s, double metric) {
    if (!s) return ltr_fail(ctx, "lt_lr_scheduler_step_metric: no scheduler (NULL)");
    if (s->kind != LTR_SCHED_PLATEAU) return sched_step(ctx, s, false, 0); /* the metric is unused */
    if (check_groups(ctx, s)) return LT_ERROR;
    s->last_epoch += 1;
    if (plateau_is_better(s, metric, s->best)) {
        s->best = metric;
        s->num_bad_epochs = 0;
    } else {
        s->num_bad_epochs += 1;
    }
    if (s->cooldown_counter > 0) { /* in_cooldown */
        s->cooldown_counter -= 1;
        s->num_bad_epochs = 0; /* ignore any bad epochs in cooldown */
    }
    if (s->num_bad_epochs > s->plateau.patience) {
        /* _reduce_lr: new_lr = max(old_lr * factor, min_lr), applied if it moves by > eps */
        for (int g = 0; g < s->ngroups; g++) {
            double old_lr = group_lr(s, g), new_lr = old_lr * s->plateau.factor;
            if (s->plateau.min_lr > new_lr) new_lr = s->plateau.min_lr;
            if (old_lr - new_lr > s->plateau.eps) *ltr_group_lr(s->opt, g) = new_lr;
        }
        s->cooldown_counter = s->plateau.cooldown;
        s->num_bad_epochs = 0;
    }
    for (int g = 0; g < s->ngroups; g++) s->last_lr[g] = group_lr(s, g);
    return LT_OK;
}

double ltr_lr_scheduler_last_lr(const lt_lr_scheduler *s, int group) {
    if (!s || group < 0 || group >= s->ngroups) return NAN;
    return s->last_lr[group];
}

void ltr_lr_scheduler_free(lt_lr_scheduler *s) {
    if (!s) return;
    free(s->base_lrs);
    free(s->last_lr);
    free(s->milestones);
    free(s->children);
    free(s->cycle);
    free(s);
}
