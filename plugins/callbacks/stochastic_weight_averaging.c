/*
 * stochastic_weight_averaging.c — Lightning's StochasticWeightAveraging
 * (callbacks/stochastic_weight_avg.py) with torch.optim.swa_utils.SWALR, as a callback
 * plugin.
 *
 * init args (Lightning's): swa_lrs (required: a positive float, or a list of positive
 * floats, one per param group), swa_epoch_start 0.8 (an int >= 1: the epoch, 1-based, to
 * start from; a float in [0, 1]: int(max_epochs * it)), annealing_epochs 10,
 * annealing_strategy "cos" | "linear", device (read and ignored: everything is on the
 * CPU). avg_fn is not accepted (no callables across the ABI): the default running equal
 * average averaged + (p - averaged) / (n_averaged + 1) is used.
 *
 * Reproduced behaviour (Lightning 2.x):
 *  - on_fit_start: exactly one optimizer and at most one lr scheduler config, else
 *    Lightning's errors; max_epochs must be finite; a float swa_epoch_start becomes
 *    int(max_epochs * swa_epoch_start). swa_start = max(swa_epoch_start - 1, 0),
 *    swa_end = max_epochs - 1 (0-based epochs).
 *  - on_train_epoch_start, the first time swa_start <= current_epoch <= swa_end: every
 *    param group gets swa_lr, SWALR is made (its initial step), and it replaces
 *    trainer.lr_scheduler_configs[0] ("Swapping scheduler `X` for `SWALR`"; a warning
 *    when that config is not interval "epoch" / frequency 1) or is added.
 *  - on_train_epoch_start for swa_start <= current_epoch <= swa_end (once per epoch):
 *    update_parameters — the first update copies the parameters, later ones apply the
 *    running average; n_averaged += 1. Note: as in Lightning, the update at the start of
 *    epoch e averages the weights epoch e-1 produced, so the weights after the last
 *    epoch are not part of the average.
 *  - on_train_end, when the run reached current_epoch - 1 == swa_end: the averaged
 *    parameters are copied into the module (transfer_weights).
 *  - SWALR.get_lr, torch 1.13: step = _step_count - 1 (max(1, step) when anneal_epochs
 *    is 0), prev_alpha/alpha = anneal(clamp((step-1)/max(1,A))) / anneal(clamp(step/
 *    max(1,A))), lr = swa_lr * alpha + initial(lr, swa_lr, prev_alpha) * (1 - alpha),
 *    cos: (1 - cos(pi t)) / 2, linear: t. Computed from the group's current lr as torch
 *    does.
 *
 * Differences, by necessity of the ABI:
 *  - SWALR is not a host scheduler: the host drops the scheduler config
 *    (lt_lr_scheduler_config_remove) and this callback steps SWALR itself in
 *    on_train_epoch_end, where Lightning's trainer steps it right after the
 *    on_train_epoch_end hooks. The lr of every training epoch is the same.
 *  - BatchNorm: Lightning adds one epoch that only recomputes the running statistics of
 *    the averaged model (training_step without backward, BatchNorm momentum None after
 *    reset_running_stats). ltrun has no such extra epoch: with a buffer named
 *    *running_mean, on_train_end calls lt_update_bn (ABI 1.5), torch.optim.swa_utils
 *    .update_bn over the train loader with the module's forward(batch[0]) — the same
 *    statistics when training_step's BatchNorm input is forward's; a warning naming the
 *    module when it has no forward hook. The extra epoch's logging, progress and
 *    max_epochs + 1 are not reproduced.
 *
 * Resume (Lightning's state_dict / load_state_dict): "n_averaged", "latest_update_epoch",
 * "scheduler_state" (SWALR's {"_step_count": n}, null before SWA started) as JSON and the
 * averaged copy of every parameter as tensors "average_model_state.<param name>"
 * (absent before on_fit_start made it). load_state_dict runs before on_fit_start
 * (restore_callbacks), so the averaged copy is taken from the checkpoint there instead of
 * from the weights. The resumed run swaps the scheduler again at its first epoch in the
 * SWA window (Lightning's _initialized is not saved): SWALR is made (its initial step)
 * and then gets the saved _step_count (scheduler.load_state_dict); without scheduler
 * state after swa_start, Lightning's "initializing after swa_start" warning.
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's StochasticWeightAveraging: SWALR schedule and averaged weights"
#include "ltrun.h"

#include "cb_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 64

typedef struct swa {
    double swa_lrs[MAX_GROUPS];
    int nlrs;                /* 0: one float for every group (swa_lrs[0]) */
    bool start_is_float;
    double start_fraction;
    int64_t swa_epoch_start; /* Lightning's _swa_epoch_start (1-based) once resolved */
    int64_t annealing_epochs;
    bool linear;             /* annealing_strategy "linear" (else "cos") */
    int64_t max_epochs;
    bool initialized;
    int64_t step_count;      /* SWALR._step_count */
    int64_t n_averaged, latest_update_epoch;
    float **avg;             /* the averaged copy of every parameter (float32) */
    int64_t nparams;
    lt_optimizer *opt;
    bool has_bn;
    bool avg_loaded;         /* load_state_dict filled avg (resume) */
    bool has_sched_state;    /* load_state_dict: SWALR's _step_count to restore */
    int64_t saved_step_count;
} swa;

static void swa_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    swa *s = self;
    if (!s) return;
    for (int64_t i = 0; i < s->nparams; i++) free(s->avg ? s->avg[i] : NULL);
    free(s->avg);
    free(s);
}

static bool json_is_float(const char *t) { return strpbrk(t, ".eE") != NULL; }

static bool parse_number(const char *t, double *out) {
    char *end;
    *out = strtod(t, &end);
    return end != t && !*end;
}

static void *swa_create(lt_ctx *ctx, const lt_hparams *hp) {
    swa *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->latest_update_epoch = -1;
    const char *lrs = lt_hp_json(ctx, hp, "swa_lrs");
    const char *start = lt_hp_json(ctx, hp, "swa_epoch_start");
    s->annealing_epochs = lt_hp_int(ctx, hp, "annealing_epochs", 10);
    const char *strategy = lt_hp_str(ctx, hp, "annealing_strategy", "cos");
    (void)lt_hp_json(ctx, hp, "device"); /* Lightning's device: everything is on the CPU */
    if (!lrs) {
        lt_fail(ctx, "stochastic_weight_averaging: `swa_lrs` is required (a positive float, or a "
                     "list of positive floats, one per param group), e.g. {\"swa_lrs\": 0.05}");
        goto fail;
    }
    bool bad = false;
    cb_json_iter it;
    if (!cb_json_begin(&it, lrs)) {
        char key[8], val[64];
        int r;
        if (it.open != '[') bad = true;
        while (!bad && (r = cb_json_next(&it, key, sizeof key, val, sizeof val)) == 1) {
            if (s->nlrs == MAX_GROUPS || !parse_number(val, &s->swa_lrs[s->nlrs]) ||
                !(s->swa_lrs[s->nlrs] > 0))
                bad = true;
            s->nlrs++;
        }
        if (!bad && (r < 0 || s->nlrs == 0)) bad = true;
    } else {
        bad = !parse_number(lrs, &s->swa_lrs[0]) || !(s->swa_lrs[0] > 0);
    }
    if (bad) {
        lt_fail(ctx, "stochastic_weight_averaging: The `swa_lrs` should a positive float, or a "
                     "list of positive floats (got %s)", lrs);
        goto fail;
    }
    /* swa_epoch_start: an int >= 1 or a float in [0, 1] (default 0.8) */
    double v = 0.8;
    s->start_is_float = true;
    if (start && (!parse_number(start, &v) ||
                  ((s->start_is_float = json_is_float(start)) ? !(v >= 0 && v <= 1) : v < 1))) {
        lt_fail(ctx, "stochastic_weight_averaging: swa_epoch_start should be a >0 integer or a "
                     "float between 0 and 1 (got %s)", start);
        goto fail;
    }
    if (s->start_is_float) s->start_fraction = v;
    else s->swa_epoch_start = (int64_t)v;
    if (!strcmp(strategy, "linear")) s->linear = true;
    else if (strcmp(strategy, "cos") != 0) {
        lt_fail(ctx, "stochastic_weight_averaging: anneal_strategy must by one of 'cos' or "
                     "'linear', instead got %s", strategy);
        goto fail;
    }
    if (s->annealing_epochs < 0) {
        lt_fail(ctx, "stochastic_weight_averaging: anneal_epochs must be equal or greater than 0, "
                     "got %lld", (long long)s->annealing_epochs);
        goto fail;
    }
    return s;
fail:
    free(s);
    return NULL;
}

/* the averaged copy of every parameter; copy: start from the module's weights */
static lt_status alloc_avg(lt_ctx *ctx, swa *s, bool copy) {
    for (int64_t i = 0; i < s->nparams; i++) free(s->avg ? s->avg[i] : NULL);
    free(s->avg);
    s->nparams = lt_param_count(ctx);
    s->avg = calloc((size_t)(s->nparams ? s->nparams : 1), sizeof *s->avg);
    if (!s->avg) return lt_fail(ctx, "stochastic_weight_averaging: out of memory");
    for (int64_t i = 0; i < s->nparams; i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        if (lt_dtype_of(ctx, p) != LT_FLOAT32)
            return lt_fail(ctx, "stochastic_weight_averaging: parameter %s is not float32", name);
        size_t n = (size_t)lt_numel(ctx, p);
        s->avg[i] = malloc((n ? n : 1) * sizeof(float));
        if (!s->avg[i]) return lt_fail(ctx, "stochastic_weight_averaging: out of memory");
        if (copy && lt_tensor_to_host(ctx, p, s->avg[i], n * sizeof(float)) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

static int64_t swa_start(const swa *s) { return s->swa_epoch_start > 1 ? s->swa_epoch_start - 1 : 0; }
static int64_t swa_end(const swa *s) { return s->max_epochs - 1; }

static lt_status swa_on_fit_start(lt_ctx *ctx, void *self) {
    swa *s = self;
    if (!lt_optimizers(ctx, 0) || lt_optimizers(ctx, 1))
        return lt_fail(ctx, "stochastic_weight_averaging: SWA currently works with 1 `optimizer`.");
    if (lt_lr_scheduler_config_at(ctx, 1, NULL))
        return lt_fail(ctx, "stochastic_weight_averaging: SWA currently not supported for more "
                            "than 1 `lr_scheduler`.");
    double me = lt_trainer_flag(ctx, "max_epochs");
    if (!(me >= 0))
        return lt_fail(ctx, "stochastic_weight_averaging: needs a finite --trainer.max_epochs "
                            "(SWA averages up to the last epoch)");
    s->max_epochs = (int64_t)me;
    if (s->start_is_float) {
        s->swa_epoch_start = (int64_t)((double)s->max_epochs * s->start_fraction);
        s->start_is_float = false;
    }
    s->opt = lt_optimizers(ctx, 0);
    int ng = lt_num_param_groups(ctx, s->opt);
    if (s->nlrs && s->nlrs != ng)
        return lt_fail(ctx, "stochastic_weight_averaging: swa_lr must have the same length as "
                            "optimizer.param_groups: swa_lr has %d, optimizer.param_groups has %d",
                       s->nlrs, ng);
    if (ng > MAX_GROUPS)
        return lt_fail(ctx, "stochastic_weight_averaging: at most %d param groups", MAX_GROUPS);
    /* setup's deepcopy(pl_module): the averaged copy, float32 parameters only (already
     * there when load_state_dict restored it) */
    if (!s->avg_loaded && alloc_avg(ctx, s, true) != LT_OK) return LT_ERROR;
    for (int64_t i = 0; i < lt_buffer_count(ctx); i++) {
        const char *name;
        lt_buffer_at(ctx, i, &name);
        size_t l = strlen(name), k = strlen("running_mean");
        if (l >= k && !strcmp(name + l - k, "running_mean")) s->has_bn = true;
    }
    return LT_OK;
}

static double anneal(const swa *s, double t) {
    return s->linear ? t : (1 - cos(M_PI * t)) / 2;
}

static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* SWALR.step(): _step_count += 1, then every group's lr = get_lr() */
static lt_status swalr_step(lt_ctx *ctx, swa *s) {
    s->step_count++;
    int64_t step = s->step_count - 1;
    if (s->annealing_epochs == 0) step = step > 1 ? step : 1;
    double a = (double)(s->annealing_epochs > 1 ? s->annealing_epochs : 1);
    double prev_alpha = anneal(s, clamp01((double)(step - 1) / a));
    double alpha = anneal(s, clamp01((double)step / a));
    for (int g = 0; g < lt_num_param_groups(ctx, s->opt); g++) {
        double swa_lr = s->swa_lrs[s->nlrs ? g : 0];
        double lr = lt_group_get(ctx, s->opt, g, "lr");
        double prev = prev_alpha == 1 ? swa_lr : (lr - prev_alpha * swa_lr) / (1 - prev_alpha);
        lt_status rc = lt_group_set(ctx, s->opt, g, "lr", swa_lr * alpha + prev * (1 - alpha));
        if (rc != LT_OK) return rc;
    }
    return LT_OK;
}

/* update_parameters with the default avg_fn. The average is kept in host memory (the
 * plugin's own copy, like AveragedModel's deepcopy); the weights come from the device.
 * On the CPU torch's AveragedModel divides (get_swa_avg_fn: a + (w - a) / (n + 1)), its
 * foreach lerp_ being for accelerators only, so the division stays here: lerp_ with
 * weight 1 / (n + 1) rounds differently. */
static lt_status update_parameters(lt_ctx *ctx, swa *s) {
    for (int64_t i = 0; i < s->nparams; i++) {
        lt_tensor *p = lt_param_at(ctx, i, NULL);
        float *a = s->avg[i];
        int64_t n = lt_numel(ctx, p);
        size_t bytes = (size_t)n * sizeof(float);
        if (s->n_averaged == 0) {
            if (lt_tensor_to_host(ctx, p, a, bytes) != LT_OK) return LT_ERROR;
            continue;
        }
        float *w = lt_scratch(ctx, bytes ? bytes : 1);
        if (!w || lt_tensor_to_host(ctx, p, w, bytes) != LT_OK) return LT_ERROR;
        for (int64_t k = 0; k < n; k++) a[k] = a[k] + (w[k] - a[k]) / (float)(s->n_averaged + 1);
    }
    s->n_averaged++;
    return LT_OK;
}

/* the average onto the module's parameters, through a tensor made from it */
static lt_status transfer_weights(lt_ctx *ctx, swa *s) {
    for (int64_t i = 0; i < s->nparams; i++) {
        lt_tensor *p = lt_param_at(ctx, i, NULL);
        int64_t shape[LT_MAX_DIMS];
        int nd = lt_ndim(ctx, p);
        for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, p, d);
        lt_tensor *t = lt_tensor_from(ctx, LT_FLOAT32, nd, shape, s->avg[i]);
        if (!t || lt_copy_(ctx, p, t) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

static lt_status swa_on_train_epoch_start(lt_ctx *ctx, void *self) {
    swa *s = self;
    int64_t e = ctx->current_epoch;
    bool in_window = swa_start(s) <= e && e <= swa_end(s);
    if (!s->initialized && in_window) {
        s->initialized = true;
        lt_lr_scheduler_config cfg;
        if (lt_lr_scheduler_config_at(ctx, 0, &cfg)) {
            if (strcmp(cfg.interval, "epoch") != 0 || cfg.frequency != 1)
                fprintf(stderr, "UserWarning: SWA is currently only supported every epoch. Found "
                                "interval %s, frequency %lld\n",
                        cfg.interval, (long long)cfg.frequency);
            fprintf(stderr, "Swapping scheduler `%s` for `SWALR`\n",
                    cfg.name ? cfg.name : "the configured scheduler");
            lt_status rc = lt_lr_scheduler_config_remove(ctx, 0);
            if (rc != LT_OK) return rc;
        }
        if (e != swa_start(s) && !s->has_sched_state)
            fprintf(stderr, "UserWarning: SWA is initializing after swa_start without any "
                            "checkpoint data. This may be caused by loading a checkpoint from "
                            "an older version of PyTorch Lightning.\n");
        lt_status rc = swalr_step(ctx, s); /* the scheduler's initial step */
        if (rc != LT_OK) return rc;
        if (s->has_sched_state) s->step_count = s->saved_step_count; /* load_state_dict */
    }
    if (in_window && e > s->latest_update_epoch) {
        if (update_parameters(ctx, s) != LT_OK) return LT_ERROR;
        s->latest_update_epoch = e;
    }
    return LT_OK;
}

/* the trainer's epoch-interval step of trainer.lr_scheduler_configs[0] = SWALR */
static lt_status swa_on_train_epoch_end(lt_ctx *ctx, void *self) {
    swa *s = self;
    return s->initialized ? swalr_step(ctx, s) : LT_OK;
}

static lt_status swa_on_train_end(lt_ctx *ctx, void *self) {
    swa *s = self;
    /* the trainer increases the current epoch before this hook is called */
    if (s->initialized && ctx->current_epoch - 1 == swa_end(s)) {
        if (transfer_weights(ctx, s) != LT_OK) return LT_ERROR;
        /* Lightning's BatchNorm epoch: one forward pass over the train data with
         * reset running stats and momentum=None (lt_update_bn = torch's update_bn) */
        if (s->has_bn && lt_update_bn(ctx) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

/* "average_model_state.<name>" (a key holds no '/') */
static void avg_key(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "average_model_state.%s", name);
    for (char *c = out; *c; c++)
        if (*c == '/') *c = '.';
}

/* StochasticWeightAveraging.state_dict */
static lt_status swa_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    swa *s = self;
    char buf[128];
    snprintf(buf, sizeof buf, "%lld", (long long)s->n_averaged);
    lt_status rc = lt_ckpt_put_json(ctx, w, "n_averaged", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)s->latest_update_epoch);
    if (rc == LT_OK) rc = lt_ckpt_put_json(ctx, w, "latest_update_epoch", buf);
    if (s->initialized) snprintf(buf, sizeof buf, "{\"_step_count\": %lld}", (long long)s->step_count);
    else snprintf(buf, sizeof buf, "null");
    if (rc == LT_OK) rc = lt_ckpt_put_json(ctx, w, "scheduler_state", buf);
    for (int64_t i = 0; rc == LT_OK && s->avg && i < s->nparams; i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        int64_t shape[LT_MAX_DIMS];
        int nd = lt_ndim(ctx, p);
        for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, p, d);
        lt_tensor *t = lt_tensor_from(ctx, LT_FLOAT32, nd, shape, s->avg[i]);
        if (!t) return LT_ERROR;
        char key[512];
        avg_key(key, sizeof key, name);
        rc = lt_ckpt_put_tensor(ctx, w, key, t);
    }
    return rc;
}

/* StochasticWeightAveraging.load_state_dict (before on_fit_start) */
static lt_status swa_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    swa *s = self;
    const char *j = lt_ckpt_get_json(ctx, r, "n_averaged");
    if (j) s->n_averaged = strtoll(j, NULL, 10);
    if ((j = lt_ckpt_get_json(ctx, r, "latest_update_epoch"))) s->latest_update_epoch = strtoll(j, NULL, 10);
    j = lt_ckpt_get_json(ctx, r, "scheduler_state");
    const char *sc = j ? strstr(j, "\"_step_count\"") : NULL;
    if (sc && (sc = strchr(sc, ':'))) {
        s->has_sched_state = true;
        s->saved_step_count = strtoll(sc + 1, NULL, 10);
    }
    char key[512];
    const char *name0 = NULL;
    if (lt_param_count(ctx) > 0) lt_param_at(ctx, 0, &name0);
    if (name0) avg_key(key, sizeof key, name0);
    if (!name0 || !lt_ckpt_has_key(ctx, r, key)) return LT_OK; /* saved before on_fit_start */
    if (alloc_avg(ctx, s, false) != LT_OK) return LT_ERROR;
    for (int64_t i = 0; i < s->nparams; i++) {
        const char *name;
        lt_tensor *p = lt_param_at(ctx, i, &name);
        int64_t shape[LT_MAX_DIMS];
        int nd = lt_ndim(ctx, p);
        for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, p, d);
        lt_tensor *t = lt_tensor_new(ctx, LT_FLOAT32, nd, shape);
        avg_key(key, sizeof key, name);
        if (!t || lt_ckpt_get_tensor(ctx, r, key, t) != LT_OK ||
            lt_tensor_to_host(ctx, t, s->avg[i], (size_t)lt_numel(ctx, t) * sizeof(float)) != LT_OK)
            return LT_ERROR;
    }
    s->avg_loaded = true;
    return LT_OK;
}

LT_CALLBACK(stochastic_weight_averaging, .create = swa_create, .destroy = swa_destroy,
            .on_fit_start = swa_on_fit_start, .on_train_epoch_start = swa_on_train_epoch_start,
            .on_train_epoch_end = swa_on_train_epoch_end, .on_train_end = swa_on_train_end,
            .state_dict = swa_state_dict, .load_state_dict = swa_load_state_dict)
