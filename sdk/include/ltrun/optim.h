/* ltrun/optim.h — optimizers, param groups and LR schedulers */
#ifndef LTRUN_OPTIM_H
#define LTRUN_OPTIM_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* optimizers over all the module's parameters (call from configure_optimizers) */
static inline lt_optimizer *lt_sgd(lt_ctx *c, const lt_sgd_options *o) { return c->api->sgd(c, o); }
static inline lt_optimizer *lt_adam(lt_ctx *c, const lt_adam_options *o) { return c->api->adam(c, o); }
/* ABI 1.4: optimizers, param groups, LR schedulers, configure_optimizers forms.
 * Optimizers and schedulers are made in configure_optimizers and owned by the host. */
static inline lt_optimizer *lt_adamw(lt_ctx *c, const lt_adamw_options *o) { return c->api->adamw(c, o); }
static inline lt_optimizer *lt_rmsprop(lt_ctx *c, const lt_rmsprop_options *o) { return c->api->rmsprop(c, o); }
static inline lt_optimizer *lt_adagrad(lt_ctx *c, const lt_adagrad_options *o) { return c->api->adagrad(c, o); }
/* A new param group of the parameters whose names match `names` (fnmatch globs
 * joined by '|', e.g. "*.bias|*norm*.weight"), moved out of the groups they were in;
 * it starts with the optimizer's options. Returns its index (group 0 keeps the rest),
 * -1 on error. Call before the first step. */
static inline int lt_param_group(lt_ctx *c, lt_optimizer *o, const char *names) {
    return c->api->param_group(c, o, names);
}
/* optimizer.param_groups[group][key] = value / read it (keys as torch names them:
 * "lr", "weight_decay", "momentum", "beta1", "beta2", "eps", ...; bools as 0/1).
 * get returns NAN for an unknown key or group. */
static inline lt_status lt_group_set(lt_ctx *c, lt_optimizer *o, int group, const char *key, double v) {
    return c->api->group_set(c, o, group, key, v);
}
static inline double lt_group_get(lt_ctx *c, const lt_optimizer *o, int group, const char *key) {
    return c->api->group_get(o, group, key);
}
static inline int lt_num_param_groups(lt_ctx *c, const lt_optimizer *o) { return c->api->num_param_groups(o); }
/* torch.optim.lr_scheduler.* (last_epoch=-1): each does its initial step. */
static inline lt_lr_scheduler *lt_step_lr(lt_ctx *c, lt_optimizer *o, int64_t step_size, double gamma) {
    return c->api->step_lr(c, o, step_size, gamma);
}
static inline lt_lr_scheduler *lt_multistep_lr(lt_ctx *c, lt_optimizer *o, const int64_t *milestones,
                                               int n, double gamma) {
    return c->api->multistep_lr(c, o, milestones, n, gamma);
}
static inline lt_lr_scheduler *lt_exponential_lr(lt_ctx *c, lt_optimizer *o, double gamma) {
    return c->api->exponential_lr(c, o, gamma);
}
static inline lt_lr_scheduler *lt_cosine_annealing_lr(lt_ctx *c, lt_optimizer *o, int64_t t_max,
                                                      double eta_min) {
    return c->api->cosine_annealing_lr(c, o, t_max, eta_min);
}
static inline lt_lr_scheduler *lt_cosine_annealing_warm_restarts(lt_ctx *c, lt_optimizer *o,
                                                                 int64_t t_0, int64_t t_mult,
                                                                 double eta_min) {
    return c->api->cosine_annealing_warm_restarts(c, o, t_0, t_mult, eta_min);
}
static inline lt_lr_scheduler *lt_one_cycle_lr(lt_ctx *c, lt_optimizer *o, const lt_one_cycle_options *oc) {
    return c->api->one_cycle_lr(c, o, oc);
}
static inline lt_lr_scheduler *lt_linear_lr(lt_ctx *c, lt_optimizer *o, double start_factor,
                                            double end_factor, int64_t total_iters) {
    return c->api->linear_lr(c, o, start_factor, end_factor, total_iters);
}
static inline lt_lr_scheduler *lt_constant_lr(lt_ctx *c, lt_optimizer *o, double factor, int64_t total_iters) {
    return c->api->constant_lr(c, o, factor, total_iters);
}
/* LambdaLR: lr = initial_lr * fn(epoch, user) */
static inline lt_lr_scheduler *lt_lambda_lr(lt_ctx *c, lt_optimizer *o,
                                            double (*fn)(int64_t epoch, void *user), void *user) {
    return c->api->lambda_lr(c, o, fn, user);
}
/* SequentialLR(schedulers[n], milestones[n - 1]) */
static inline lt_lr_scheduler *lt_sequential_lr(lt_ctx *c, lt_optimizer *o, lt_lr_scheduler *const *s,
                                                int n, const int64_t *milestones) {
    return c->api->sequential_lr(c, o, s, n, milestones);
}
static inline lt_lr_scheduler *lt_reduce_lr_on_plateau(lt_ctx *c, lt_optimizer *o,
                                                       const lt_plateau_options *po) {
    return c->api->reduce_lr_on_plateau(c, o, po);
}
/* scheduler.step() / ReduceLROnPlateau.step(metric) / CosineAnnealingWarmRestarts.step(epoch) */
static inline lt_status lt_lr_scheduler_step(lt_ctx *c, lt_lr_scheduler *s) {
    return c->api->lr_scheduler_step(c, s);
}
static inline lt_status lt_lr_scheduler_step_metric(lt_ctx *c, lt_lr_scheduler *s, double metric) {
    return c->api->lr_scheduler_step_metric(c, s, metric);
}
static inline lt_status lt_lr_scheduler_step_epoch(lt_ctx *c, lt_lr_scheduler *s, double epoch) {
    return c->api->lr_scheduler_step_epoch(c, s, epoch);
}
/* scheduler.get_last_lr()[group] (NAN for a bad group) */
static inline double lt_lr_scheduler_last_lr(lt_ctx *c, const lt_lr_scheduler *s, int group) {
    return c->api->lr_scheduler_last_lr(s, group);
}
/* configure_optimizers' other forms (call from configure_optimizers): more optimizers
 * (the returned one comes first), and schedulers with Lightning's config dict
 * (cfg NULL = LT_LR_SCHEDULER_CONFIG_DEFAULTS). */
static inline lt_status lt_add_optimizer(lt_ctx *c, lt_optimizer *o) { return c->api->add_optimizer(c, o); }
static inline lt_status lt_add_lr_scheduler(lt_ctx *c, lt_lr_scheduler *s, const lt_lr_scheduler_config *cfg) {
    return c->api->add_lr_scheduler(c, s, cfg);
}
/* self.optimizers()[i] / self.lr_schedulers()[i] of the run; NULL past the end */
static inline lt_optimizer *lt_optimizers(lt_ctx *c, int i) { return c->api->optimizers(c, i); }
static inline lt_lr_scheduler *lt_lr_schedulers(lt_ctx *c, int i) { return c->api->lr_schedulers(c, i); }
/* Keep only the parameters whose names match `names` ('|'-separated fnmatch globs):
 * torch's Adam(self.generator.parameters()). Call right after making the optimizer. */
static inline lt_status lt_optimizer_params(lt_ctx *c, lt_optimizer *o, const char *names) {
    return c->api->optimizer_params(c, o, names);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_OPTIM_H */
