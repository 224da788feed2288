/* state_callback.c — a callback's state survives resume (tests/test_checkpoint.sh):
 * counts training batches; state_dict stores {"count": n} and the tensor "count" (float64
 * [1]) under /callbacks/<name>/state; load_state_dict restores them and prints
 * "NAME load_state_dict: count=N"; on_save_checkpoint/on_load_checkpoint store and check
 * "tag" (the init arg "tag") under /callbacks/<name>/extra; on_fit_end prints
 * "NAME count=N". */
#include <ltrun.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t count;
    const char *tag;
} st;

static void *st_create(lt_ctx *ctx, const lt_hparams *hp) {
    st *s = lt_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->count = 0;
    s->tag = lt_hp_str(ctx, hp, "tag", "cb");
    return s;
}

static lt_status st_batch_end(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) {
    (void)ctx, (void)o, (void)b, (void)i;
    ((st *)self)->count++;
    return LT_OK;
}

static lt_status st_state_dict(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    st *s = self;
    char json[64];
    snprintf(json, sizeof json, "{\"count\": %lld}", (long long)s->count);
    int64_t one = 1;
    lt_tensor *t = lt_full(ctx, LT_FLOAT64, 1, &one, (double)s->count);
    if (!t) return LT_ERROR;
    return lt_ckpt_put_json(ctx, w, "json", json) || lt_ckpt_put_tensor(ctx, w, "count", t) ? LT_ERROR : LT_OK;
}

static lt_status st_load_state_dict(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    st *s = self;
    int64_t one = 1;
    lt_tensor *t = lt_zeros(ctx, LT_FLOAT64, 1, &one);
    const char *json = lt_ckpt_get_json(ctx, r, "json");
    if (!t || !json || lt_ckpt_get_tensor(ctx, r, "count", t)) return lt_fail(ctx, "state incomplete");
    const char *p = strstr(json, "\"count\":");
    if (!p || strtoll(p + 8, NULL, 10) != (int64_t)((double *)lt_data(ctx, t))[0])
        return lt_fail(ctx, "state disagrees");
    s->count = strtoll(p + 8, NULL, 10);
    fprintf(stderr, "%s load_state_dict: count=%lld\n", s->tag, (long long)s->count);
    return LT_OK;
}

static lt_status st_on_save(lt_ctx *ctx, void *self, lt_ckpt_writer *w) {
    char json[128];
    snprintf(json, sizeof json, "\"%s\"", ((st *)self)->tag);
    return lt_ckpt_put_json(ctx, w, "tag", json);
}

static lt_status st_on_load(lt_ctx *ctx, void *self, lt_ckpt_reader *r) {
    st *s = self;
    const char *json = lt_ckpt_get_json(ctx, r, "tag");
    fprintf(stderr, "%s on_load_checkpoint: tag=%s\n", s->tag, json ? json : "(none)");
    return LT_OK;
}

static lt_status st_fit_end(lt_ctx *ctx, void *self) {
    (void)ctx;
    st *s = self;
    fprintf(stderr, "%s count=%lld\n", s->tag, (long long)s->count);
    return LT_OK;
}

LT_CALLBACK(state_cb, .create = st_create, .on_train_batch_end = st_batch_end, .on_fit_end = st_fit_end,
            .state_dict = st_state_dict, .load_state_dict = st_load_state_dict,
            .on_save_checkpoint = st_on_save, .on_load_checkpoint = st_on_load)
