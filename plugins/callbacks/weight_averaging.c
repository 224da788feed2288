/*
 * weight_averaging.c — Lightning 2.6's WeightAveraging and EMAWeightAveraging
 * (callbacks/weight_averaging.py) with torch.optim.swa_utils.AveragedModel, as callback
 * plugins. Built twice: weight_averaging.so (WeightAveraging) and, with WA_EMA defined,
 * ema_weight_averaging.so (EMAWeightAveraging).
 *
 * init args:
 *  - both: use_buffers true (average the buffers too; false: copy them, as AveragedModel
 *    does), device (read and ignored: the average lives in host memory).
 *  - weight_averaging: avg_fn "swa" (default: AveragedModel's equal average,
 *    get_swa_avg_fn: a + (p - a) / (n + 1)) | "ema" (get_ema_avg_fn(decay): decay * a +
 *    (1 - decay) * p); multi_avg_fn "ema" (get_ema_multi_avg_fn(decay): torch's
 *    _foreach_lerp_(a, p, 1 - decay)) | "swa" (get_swa_multi_avg_fn); decay 0.999. The
 *    schedule is WeightAveraging.should_update's default: after every optimizer step.
 *  - ema_weight_averaging: decay 0.999, update_every_n_steps 1, update_starting_at_step
 *    null, update_starting_at_epoch null (EMAWeightAveraging.should_update); the avg_fn is
 *    get_ema_avg_fn(decay), as Lightning's.
 *
 * Reproduced behaviour:
 *  - setup("fit"): the averaged copy (AveragedModel's deepcopy: parameters and buffers,
 *    n_averaged 0).
 *  - on_train_batch_end: step_idx = global_step - 1; when global_step > latest_update_step
 *    and should_update(step_idx): update_parameters (the first update copies the weights,
 *    later ones apply the averaging function; n_averaged += 1), latest_update_step =
 *    global_step. So an update follows each optimizer step, never an accumulating batch.
 *  - on_train_epoch_end: when current_epoch > latest_update_epoch and
 *    should_update(epoch_idx=current_epoch): update, latest_update_epoch = current_epoch.
 *  - on_validation_epoch_start / on_validation_epoch_end: the module's and the average's
 *    values are swapped (validation, the sanity check included, runs on the average).
 *  - on_train_end: the average is copied into the module (_copy_average_to_current).
 *  - the arithmetic is torch's on the CPU, in the tensor's dtype: get_ema_avg_fn computes
 *    float(decay) * a and float(1 - decay) * p, each rounded, then their sum; lerp_ uses
 *    a + w * (p - a) for w < 0.5, else p - (p - a) * (1 - w); an int64 buffer
 *    (num_batches_tracked) is computed in float32 and truncated back, as copy_ does.
 *
 * Checkpoints (resume is exact): state_dict holds {"latest_update_step"} (Lightning's;
 * latest_update_epoch is not saved, as in Lightning). on_save_checkpoint does what
 * Lightning's does: the checkpoint's /state_dict gets the average (lt_ckpt_put_state_dict,
 * so `ltrun test --ckpt-path` evaluates the averaged weights), and /callbacks/<name>/extra
 * gets the module's own weights as "current_model_state.<name>" and "n_averaged"
 * (averaging_state). on_load_checkpoint (the module already holds /state_dict): the
 * average starts from it, then the module gets current_model_state back ("Found
 * current_model_state in the checkpoint ..."); a checkpoint without them gives Lightning's
 * warning and both start from its state_dict.
 */
#ifdef WA_EMA
#define LT_PLUGIN_DESCRIPTION "Lightning's EMAWeightAveraging: an exponential moving average of the weights"
#else
#define LT_PLUGIN_DESCRIPTION "Lightning's WeightAveraging: an averaged copy of the weights (SWA or EMA)"
#endif
#include "ltrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WA_EMA
#define WA_NAME "ema_weight_averaging"
#else
#define WA_NAME "weight_averaging"
#endif

enum { AVG_SWA, AVG_EMA, MULTI_SWA, MULTI_EMA }; /* the averaging function */

typedef struct slot {
    lt_dtype dtype;
    int64_t numel;
    void *avg; /* the average's value (host memory, the tensor's dtype) */
} slot;

typedef struct wa {
    bool use_buffers;
    int fn;
    double decay;
    int64_t every_n, start_step, start_epoch; /* EMA's schedule (-1: None) */
    slot *slots; /* parameters, then buffers (AveragedModel's module) */
    int64_t nparams, nbuffers;
    bool made;
    int64_t n_averaged, latest_update_step, latest_update_epoch;
} wa;

static void wa_free_slots(wa *w) {
    for (int64_t i = 0; w->slots && i < w->nparams + w->nbuffers; i++) free(w->slots[i].avg);
    free(w->slots);
    w->slots = NULL;
    w->made = false;
}

static void wa_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    wa *w = self;
    if (!w) return;
    wa_free_slots(w);
    free(w);
}

#ifdef WA_EMA
static int64_t hp_optional_int(lt_ctx *ctx, const lt_hparams *hp, const char *key, bool *bad) {
    const char *j = lt_hp_json(ctx, hp, key);
    if (!j || !strcmp(j, "null")) return -1;
    char *end;
    long long v = strtoll(j, &end, 10);
    if (end == j || *end || v < 0) *bad = true;
    return v;
}
#endif

static void *wa_create(lt_ctx *ctx, const lt_hparams *hp) {
    wa *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->latest_update_epoch = -1;
    w->use_buffers = lt_hp_bool(ctx, hp, "use_buffers", true);
    (void)lt_hp_json(ctx, hp, "device"); /* the average is kept in host memory */
    w->decay = lt_hp_float(ctx, hp, "decay", 0.999);
#ifdef WA_EMA
    w->fn = AVG_EMA;
    bool bad = false;
    w->every_n = lt_hp_int(ctx, hp, "update_every_n_steps", 1);
    w->start_step = hp_optional_int(ctx, hp, "update_starting_at_step", &bad);
    w->start_epoch = hp_optional_int(ctx, hp, "update_starting_at_epoch", &bad);
    if (bad) {
        lt_fail(ctx, WA_NAME ": update_starting_at_step / update_starting_at_epoch must be null "
                     "or an integer >= 0");
        free(w);
        return NULL;
    }
#else
    const char *avg = lt_hp_str(ctx, hp, "avg_fn", "swa");
    const char *multi = lt_hp_str(ctx, hp, "multi_avg_fn", "");
    if (*multi) {
        if (!strcmp(multi, "ema")) w->fn = MULTI_EMA;
        else if (!strcmp(multi, "swa")) w->fn = MULTI_SWA;
        else w->fn = -1;
    } else if (!strcmp(avg, "ema")) w->fn = AVG_EMA;
    else if (!strcmp(avg, "swa")) w->fn = AVG_SWA;
    else w->fn = -1;
    if (w->fn < 0) {
        lt_fail(ctx, WA_NAME ": avg_fn / multi_avg_fn must be \"swa\" or \"ema\" (torch's "
                     "get_swa_avg_fn / get_ema_avg_fn and their multi_ forms), got \"%s\"",
                *multi ? multi : avg);
        free(w);
        return NULL;
    }
#endif
    if (!(w->decay >= 0 && w->decay <= 1)) {
        lt_fail(ctx, WA_NAME ": decay must be in [0, 1], got %g", w->decay);
        free(w);
        return NULL;
    }
    return w;
}

static lt_tensor *slot_tensor(lt_ctx *ctx, const wa *w, int64_t i, const char **name) {
    return i < w->nparams ? lt_param_at(ctx, i, name) : lt_buffer_at(ctx, i - w->nparams, name);
}

static size_t dtype_bytes(lt_dtype d) { return d == LT_FLOAT64 || d == LT_INT64 ? 8 : 4; }

/* the averaged copy, equal to the module's weights (AveragedModel(model)) */
static lt_status make_average(lt_ctx *ctx, wa *w) {
    wa_free_slots(w);
    w->nparams = lt_param_count(ctx);
    w->nbuffers = lt_buffer_count(ctx);
    int64_t n = w->nparams + w->nbuffers;
    w->slots = calloc((size_t)(n ? n : 1), sizeof *w->slots);
    if (!w->slots) return lt_fail(ctx, WA_NAME ": out of memory");
    for (int64_t i = 0; i < n; i++) {
        const char *name;
        lt_tensor *t = slot_tensor(ctx, w, i, &name);
        slot *s = &w->slots[i];
        s->dtype = lt_dtype_of(ctx, t);
        if (s->dtype != LT_FLOAT32 && s->dtype != LT_FLOAT64 && s->dtype != LT_INT64)
            return lt_fail(ctx, WA_NAME ": %s '%s' is neither float32, float64 nor int64",
                           i < w->nparams ? "parameter" : "buffer", name);
        s->numel = lt_numel(ctx, t);
        size_t bytes = (size_t)s->numel * dtype_bytes(s->dtype);
        s->avg = malloc(bytes ? bytes : 1);
        if (!s->avg) return lt_fail(ctx, WA_NAME ": out of memory");
        if (lt_tensor_to_host(ctx, t, s->avg, bytes) != LT_OK) return LT_ERROR;
    }
    w->made = true;
    w->n_averaged = 0;
    return LT_OK;
}

/* one element of the averaging function, in float arithmetic as torch's CPU kernels */
static float avg_f32(const wa *w, float a, float p) {
    switch (w->fn) {
    case AVG_EMA: { /* decay * a + (1 - decay) * p: each product rounded, then the sum */
        float x = (float)w->decay * a;
        float y = (float)(1.0 - w->decay) * p;
        return x + y;
    }
    case MULTI_EMA: { /* _foreach_lerp_(a, p, 1 - decay) */
        float wt = (float)(1.0 - w->decay);
        float diff = p - a;
        return wt < 0.5f ? a + wt * diff : p - diff * (1.0f - wt);
    }
    default: /* get_swa_avg_fn / get_swa_multi_avg_fn: a + (p - a) / (n + 1) */
        return a + (p - a) / (float)(w->n_averaged + 1);
    }
}

static double avg_f64(const wa *w, double a, double p) {
    switch (w->fn) {
    case AVG_EMA: return w->decay * a + (1.0 - w->decay) * p;
    case MULTI_EMA: {
        double wt = 1.0 - w->decay, diff = p - a;
        return wt < 0.5 ? a + wt * diff : p - diff * (1.0 - wt);
    }
    default: return a + (p - a) / (double)(w->n_averaged + 1);
    }
}

/* AveragedModel.update_parameters(model) */
static lt_status update_parameters(lt_ctx *ctx, wa *w) {
    for (int64_t i = 0; i < w->nparams + w->nbuffers; i++) {
        slot *s = &w->slots[i];
        lt_tensor *t = slot_tensor(ctx, w, i, NULL);
        size_t bytes = (size_t)s->numel * dtype_bytes(s->dtype);
        bool is_buffer = i >= w->nparams;
        /* the first update copies; buffers are copied when they are not averaged */
        if (w->n_averaged == 0 || (is_buffer && !w->use_buffers)) {
            if (lt_tensor_to_host(ctx, t, s->avg, bytes) != LT_OK) return LT_ERROR;
            continue;
        }
        void *cur = lt_scratch(ctx, bytes ? bytes : 1);
        if (!cur || lt_tensor_to_host(ctx, t, cur, bytes) != LT_OK) return LT_ERROR;
        if (s->dtype == LT_FLOAT32) {
            float *a = s->avg;
            const float *p = cur;
            for (int64_t k = 0; k < s->numel; k++) a[k] = avg_f32(w, a[k], p[k]);
        } else if (s->dtype == LT_FLOAT64) {
            double *a = s->avg;
            const double *p = cur;
            for (int64_t k = 0; k < s->numel; k++) a[k] = avg_f64(w, a[k], p[k]);
        } else { /* int64: the float result truncated back by copy_ */
            int64_t *a = s->avg;
            const int64_t *p = cur;
            for (int64_t k = 0; k < s->numel; k++)
                a[k] = (int64_t)avg_f32(w, (float)a[k], (float)p[k]);
        }
    }
    w->n_averaged++;
    return LT_OK;
}

static lt_tensor *avg_tensor(lt_ctx *ctx, const wa *w, int64_t i, const lt_tensor *like) {
    int64_t shape[LT_MAX_DIMS];
    int nd = lt_ndim(ctx, like);
    for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, like, d);
    return lt_tensor_from(ctx, w->slots[i].dtype, nd, shape, w->slots[i].avg);
}

/* _swap_models (swap true) or _copy_average_to_current */
static lt_status move_average(lt_ctx *ctx, wa *w, bool swap) {
    for (int64_t i = 0; i < w->nparams + w->nbuffers; i++) {
        slot *s = &w->slots[i];
        lt_tensor *t = slot_tensor(ctx, w, i, NULL);
        lt_tensor *a = avg_tensor(ctx, w, i, t);
        if (!a) return LT_ERROR;
        size_t bytes = (size_t)s->numel * dtype_bytes(s->dtype);
        void *cur = swap ? lt_scratch(ctx, bytes ? bytes : 1) : NULL;
        if (swap && (!cur || lt_tensor_to_host(ctx, t, cur, bytes) != LT_OK)) return LT_ERROR;
        if (lt_copy_(ctx, t, a) != LT_OK) return LT_ERROR;
        if (swap) memcpy(s->avg, cur, bytes);
    }
    return LT_OK;
}

static bool should_update(const wa *w, int64_t step_idx, int64_t epoch_idx) {
#ifdef WA_EMA
    if (step_idx >= 0 && (w->start_step < 0 || step_idx >= w->start_step) && w->every_n > 0 &&
        step_idx % w->every_n == 0)
        return true;
    return epoch_idx >= 0 && w->start_epoch >= 0 && epoch_idx >= w->start_epoch;
#else
    (void)w;
    (void)epoch_idx;
    return step_idx >= 0;
#endif
}

static lt_status wa_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    wa *w = self;
    return stage == LT_STAGE_FIT && !w->made ? make_average(ctx, w) : LT_OK;
}

static lt_status wa_on_train_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b,
                                       int64_t i) {
    (void)o, (void)b, (void)i;
    wa *w = self;
    if (!w->made) return LT_OK;
    /* a zero-based step index, consistent with epoch_idx */
    if (ctx->global_step > w->latest_update_step && should_update(w, ctx->global_step - 1, -1)) {
        if (update_parameters(ctx, w) != LT_OK) return LT_ERROR;
        w->latest_update_step = ctx->global_step;
    }
    return LT_OK;
}

static lt_status wa_on_train_epoch_end(lt_ctx *ctx, void *self) {
    wa *w = self;
    if (!w->made) return LT_OK;
    if (ctx->current_epoch > w->latest_update_epoch && should_update(w, -1, ctx->current_epoch)) {
        if (update_parameters(ctx, w) != LT_OK) return LT_ERROR;
        w->latest_update_epoch = ctx->current_epoch;
    }
    return LT_OK;
}

static lt_status wa_on_train_end(lt_ctx *ctx, void *self) {
    wa *w = self;
    return w->made ? move_average(ctx, w, false) : LT_OK;
}

static lt_status wa_swap(lt_ctx *ctx, void *self) {
    wa *w = self;
    return w->made ? move_average(ctx, w, true) : LT_OK;
}

static lt_status wa_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *wr) {
    wa *w = self;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)w->latest_update_step);
    return lt_ckpt_put_json(ctx, wr, "latest_update_step", buf);
}

static lt_status wa_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    wa *w = self;
    const char *j = lt_ckpt_get_json(ctx, r, "latest_update_step");
    if (j) w->latest_update_step = strtoll(j, NULL, 10);
    return LT_OK;
}

static void state_key(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "current_model_state.%s", name);
    for (char *c = out; *c; c++)
        if (*c == '/') *c = '.';
}

/* checkpoint["current_model_state"] = the module's weights, checkpoint["state_dict"] = the
 * average, checkpoint["averaging_state"] = {n_averaged} */
static lt_status wa_on_save_checkpoint(lt_ctx *ctx, void *self, lt_ckpt_writer *wr) {
    wa *w = self;
    if (!w->made) {
        fprintf(stderr, "You're using the WeightAveraging callback, but saving a checkpoint "
                        "outside the 'fit' stage. The state of the WeightAveraging callback "
                        "won't be saved in the checkpoint. If training has finished, the average "
                        "model parameters will be saved to the state_dict in the checkpoint.\n");
        return LT_OK;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)w->n_averaged);
    lt_status rc = lt_ckpt_put_json(ctx, wr, "n_averaged", buf);
    for (int64_t i = 0; rc == LT_OK && i < w->nparams + w->nbuffers; i++) {
        const char *name;
        lt_tensor *t = slot_tensor(ctx, w, i, &name);
        lt_tensor *a = avg_tensor(ctx, w, i, t);
        if (!a) return LT_ERROR;
        char key[512];
        state_key(key, sizeof key, name);
        rc = lt_ckpt_put_tensor(ctx, wr, key, t);
        if (rc == LT_OK) rc = lt_ckpt_put_state_dict(ctx, wr, name, a);
    }
    return rc;
}

/* the module holds the checkpoint's state_dict (the average) when this runs */
static lt_status wa_on_load_checkpoint(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    wa *w = self;
    if (!w->made && ctx->stage != LT_STAGE_FIT) {
        fprintf(stderr, "UserWarning: You're using the WeightAveraging callback, but loading a "
                        "checkpoint outside the 'fit' stage. The WeightAveraging state cannot be "
                        "restored. If you're using the checkpoint for prediction or testing, you "
                        "can ignore this warning. To disable the warning, remove the "
                        "WeightAveraging callback.\n");
        return LT_OK;
    }
    /* both the current and the average model start from state_dict */
    if (make_average(ctx, w) != LT_OK) return LT_ERROR;
    const char *nj = lt_ckpt_get_json(ctx, r, "n_averaged");
    if (!nj) {
        fprintf(stderr, "UserWarning: The checkpoint was not created with WeightAveraging. Both "
                        "the current and the average model will be initialized with "
                        "state_dict.\n");
        return LT_OK;
    }
    fprintf(stderr, "Found current_model_state in the checkpoint. This will be used to "
                    "initialize the model.\n");
    for (int64_t i = 0; i < w->nparams + w->nbuffers; i++) {
        const char *name;
        lt_tensor *t = slot_tensor(ctx, w, i, &name);
        char key[512];
        state_key(key, sizeof key, name);
        int64_t shape[LT_MAX_DIMS];
        int nd = lt_ndim(ctx, t);
        for (int d = 0; d < nd; d++) shape[d] = lt_size(ctx, t, d);
        lt_tensor *cur = lt_tensor_new(ctx, w->slots[i].dtype, nd, shape);
        if (!cur || lt_ckpt_get_tensor(ctx, r, key, cur) != LT_OK || lt_copy_(ctx, t, cur) != LT_OK)
            return LT_ERROR;
    }
    w->n_averaged = strtoll(nj, NULL, 10);
    return LT_OK;
}

/* the plugin's name as an argument that expands before LT_CALLBACK pastes it */
#ifdef WA_EMA
#define WA_ID ema_weight_averaging
#else
#define WA_ID weight_averaging
#endif
#define WA_CALLBACK(id, ...) LT_CALLBACK(id, __VA_ARGS__)
WA_CALLBACK(WA_ID, .create = wa_create, .destroy = wa_destroy, .setup = wa_setup,
            .on_train_batch_end = wa_on_train_batch_end,
            .on_train_epoch_end = wa_on_train_epoch_end, .on_train_end = wa_on_train_end,
            .on_validation_epoch_start = wa_swap, .on_validation_epoch_end = wa_swap,
            .state_dict = wa_state_dict, .load_state_dict = wa_load_state_dict,
            .on_save_checkpoint = wa_on_save_checkpoint,
            .on_load_checkpoint = wa_on_load_checkpoint)
