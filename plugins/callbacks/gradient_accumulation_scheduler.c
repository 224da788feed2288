/*
 * gradient_accumulation_scheduler.c — Lightning's GradientAccumulationScheduler
 * (callbacks/gradient_accumulation_scheduler.py) as a callback plugin: changes
 * trainer.accumulate_grad_batches at each train epoch start from an {epoch: factor}
 * schedule.
 *
 * init args: scheduling (required), a JSON object {"<epoch>": factor, ...}, e.g.
 * {"4": 2, "8": 4} = no accumulation for epochs 0-3, 2 batches from 4, 4 from 8.
 *
 * Reproduced behaviour: an empty dict, an epoch key that is not an int >= 0 or a factor
 * that is not an int >= 1 are errors; {0: 1} is added when epoch 0 is not given; the
 * factor of an epoch is that of the largest scheduled epoch <= it. on_train_start:
 * manual optimization or a Trainer accumulate_grad_batches other than 1 are errors.
 * The trainer's last batch of an epoch always steps (Lightning's rule, in the loop).
 */
#define LT_PLUGIN_DESCRIPTION "Lightning's GradientAccumulationScheduler: {epoch: accumulate_grad_batches}"
#include "ltrun.h"

#include "cb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

typedef struct gas {
    int64_t epoch[MAX_ENTRIES], factor[MAX_ENTRIES]; /* sorted by epoch */
    int n;
} gas;

static bool parse_int(const char *s, int64_t *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end) return false;
    *out = v;
    return true;
}

static void *gas_create(lt_ctx *ctx, const lt_hparams *hp) {
    gas *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    const char *t = lt_hp_json(ctx, hp, "scheduling");
    cb_json_iter it;
    char key[64], val[64];
    int r = -1;
    if (!t) {
        lt_fail(ctx, "gradient_accumulation_scheduler: `scheduling` is required, e.g. "
                     "{\"scheduling\": {\"4\": 2, \"8\": 4}}");
        goto fail;
    }
    if (cb_json_begin(&it, t) || it.open != '{') goto bad;
    bool has0 = false;
    while ((r = cb_json_next(&it, key, sizeof key, val, sizeof val)) == 1) {
        int64_t e, f;
        if (!parse_int(key, &e) || e < 0) {
            lt_fail(ctx, "gradient_accumulation_scheduler: Epoch should be an int greater than or "
                         "equal to 0. Got %s.", key);
            goto fail;
        }
        if (!parse_int(val, &f) || f < 1) {
            lt_fail(ctx, "gradient_accumulation_scheduler: All values should be integers greater "
                         "than or equal to 1. Got %s for epoch %s.", val, key);
            goto fail;
        }
        if (g->n == MAX_ENTRIES) {
            lt_fail(ctx, "gradient_accumulation_scheduler: at most %d epochs", MAX_ENTRIES);
            goto fail;
        }
        int k = g->n++; /* insertion sort by epoch; a repeated key keeps the last value */
        for (int j = 0; j < k; j++)
            if (g->epoch[j] == e) {
                g->factor[j] = f;
                g->n--;
                k = -1;
                break;
            }
        if (k < 0) continue;
        while (k > 0 && g->epoch[k - 1] > e) {
            g->epoch[k] = g->epoch[k - 1];
            g->factor[k] = g->factor[k - 1];
            k--;
        }
        g->epoch[k] = e;
        g->factor[k] = f;
        has0 |= e == 0;
    }
    if (r < 0) goto bad;
    if (g->n == 0) {
        lt_fail(ctx, "gradient_accumulation_scheduler: Empty dict cannot be interpreted correct");
        goto fail;
    }
    return g;
bad:
    lt_fail(ctx, "gradient_accumulation_scheduler: scheduling: expected an object of "
                 "{\"epoch\": factor}, got %s", t);
fail:
    free(g);
    return NULL;
}

static void gas_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

/* get_accumulate_grad_batches: epochs before the first scheduled one get 1 ({0: 1}) */
static int64_t factor_at(const gas *g, int64_t epoch) {
    for (int k = g->n - 1; k >= 0; k--)
        if (epoch >= g->epoch[k]) return g->factor[k];
    return 1;
}

static lt_status gas_on_train_start(lt_ctx *ctx, void *self) {
    (void)self;
    if (!lt_automatic_optimization(ctx))
        return lt_fail(ctx, "Automatic gradient accumulation and the "
                            "`GradientAccumulationScheduler` is not supported for manual "
                            "optimization. Please remove the callback or switch to automatic "
                            "optimization.");
    if (lt_trainer_flag(ctx, "accumulate_grad_batches") != 1)
        return lt_fail(ctx, "You have set `accumulate_grad_batches` and are using the "
                            "`GradientAccumulationScheduler` callback. Either remove "
                            "`accumulate_grad_batches` from the Trainer or remove the callback.");
    return LT_OK;
}

static lt_status gas_on_train_epoch_start(lt_ctx *ctx, void *self) {
    return lt_set_accumulate_grad_batches(ctx, factor_at(self, ctx->current_epoch));
}

LT_CALLBACK(gradient_accumulation_scheduler, .create = gas_create, .destroy = gas_destroy,
            .on_train_start = gas_on_train_start, .on_train_epoch_start = gas_on_train_epoch_start)
