/* trace_data.c — `length` samples (x float [2], y int64, idx int64) per split, batch 4;
 * records its hook calls. Hparams: trace_file (the module reads "trace": one key with two values is an error), length (10), shuffle (false); the environment's
 * TRACE_VAL_SHUFFLE=1 shuffles the val split (not an hparam: hparams.yaml tests list them), and
 * TRACE_GROW_PER_EPOCH=k makes each split k samples longer per epoch of ctx->current_epoch
 * (a curriculum, seen when reload_dataloaders_every_n_epochs asks again). Built twice: with
 * -DTRACE_XFER as trace_data_xfer.so, which also gives the batch transfer hooks and adds
 * 100 to the idx field in on_after_batch_transfer (lt_batch_set).
 * Built with -DTRACE_ABI19 as trace_data19.so (tests/test_hooks_abi19.sh): it also gives
 * on_exception and reads prepare_data_per_node (lt_set_prepare_data_per_node in create);
 * with -DTRACE_DEVICE too (trace_data19_xfer.so) transfer_batch_to_device, which moves
 * the batch (lt_move_data_to_device) and adds 10000 to the idx field. */
#include "trace.h"
#include <stdlib.h>
#include <string.h>

static bool no_predict; /* --data.no_predict true: no predict split (tests) */
typedef struct {
    int64_t length;
    bool shuffle, val_shuffle;
} td;

static void *td_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace_file", NULL);
    no_predict = lt_hp_bool(ctx, hp, "no_predict", false);
    trace("data.create");
    td *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->length = lt_hp_int(ctx, hp, "length", 10);
#ifdef TRACE_ABI19
    if (lt_set_prepare_data_per_node(ctx, lt_hp_bool(ctx, hp, "prepare_data_per_node", true)))
        return NULL;
#endif
    d->shuffle = lt_hp_bool(ctx, hp, "shuffle", false);
    const char *vs = getenv("TRACE_VAL_SHUFFLE");
    d->val_shuffle = vs && strcmp(vs, "1") == 0;
    return d;
}
static void td_destroy(lt_ctx *ctx, void *self) { trace("data.destroy"); }
static lt_status td_prepare_data(lt_ctx *ctx, void *self) { trace("data.prepare_data"); return LT_OK; }
static lt_status td_setup(lt_ctx *ctx, void *self, lt_stage s) { trace("data.setup %s", stage_name(s)); return LT_OK; }
static lt_status td_teardown(lt_ctx *ctx, void *self, lt_stage s) { trace("data.teardown %s", stage_name(s)); return LT_OK; }
static lt_status td_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    static const char *const names[] = {"train", "val", "test", "predict"};
    td *d = self;
    trace("data.dataset %s", names[split]);
    if (no_predict && split == LT_SPLIT_PREDICT) return LT_OK;
    const char *grow = getenv("TRACE_GROW_PER_EPOCH");
    ds->length = d->length + (grow ? atoll(grow) : 0) * ctx->current_epoch;
    ds->batch_size = 4;
    ds->shuffle = (split == LT_SPLIT_TRAIN && d->shuffle) || (split == LT_SPLIT_VAL && d->val_shuffle);
    ds->nfields = 3;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    ds->fields[2] = (lt_field){.name = "idx", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}
static lt_status td_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    float *x = dst[0];
    x[0] = (float)(i % 2);
    x[1] = (float)(1 - i % 2);
    *(int64_t *)dst[1] = i % 2;
    *(int64_t *)dst[2] = i;
    return LT_OK;
}

#ifdef TRACE_XFER
static lt_status td_on_before_batch_transfer(lt_ctx *ctx, void *self, lt_batch *b, int64_t d) {
    trace("data.on_before_batch_transfer %lld", (long long)d);
    return LT_OK;
}
static lt_status td_on_after_batch_transfer(lt_ctx *ctx, void *self, lt_batch *b, int64_t d) {
    trace("data.on_after_batch_transfer %lld", (long long)d);
    lt_tensor *idx = lt_batch_at(ctx, b, 2);
    int64_t n = lt_numel(ctx, idx), moved[64];
    const int64_t *v = lt_data(ctx, idx);
    for (int64_t k = 0; v && k < n && k < 64; k++) moved[k] = v[k] + 100;
    return lt_batch_set(ctx, b, 2, lt_tensor_from(ctx, LT_INT64, 1, &n, moved));
}
LT_DATAMODULE(tracedata_xfer, .create = td_create, .destroy = td_destroy,
              .prepare_data = td_prepare_data, .setup = td_setup, .teardown = td_teardown,
              .dataset = td_dataset, .get_item = td_get_item,
              .on_before_batch_transfer = td_on_before_batch_transfer,
              .on_after_batch_transfer = td_on_after_batch_transfer)
#elif defined(TRACE_ABI19)
static void td_on_exception(lt_ctx *ctx, void *self, const char *msg) {
    trace("data.on_exception %s", msg);
}
#ifdef TRACE_DEVICE
static lt_status td_transfer_batch_to_device(lt_ctx *ctx, void *self, lt_batch *b,
                                             const char *device, int64_t d) {
    trace("data.transfer_batch_to_device %s %lld", device, (long long)d);
    if (lt_move_data_to_device(ctx, b, device)) return LT_ERROR;
    lt_tensor *idx = lt_batch_at(ctx, b, 2);
    int64_t n = lt_numel(ctx, idx), moved[64];
    const int64_t *v = lt_data(ctx, idx);
    for (int64_t k = 0; v && k < n && k < 64; k++) moved[k] = v[k] + 10000;
    return lt_batch_set(ctx, b, 2, lt_tensor_from(ctx, LT_INT64, 1, &n, moved));
}
LT_DATAMODULE(tracedata19_xfer, .create = td_create, .destroy = td_destroy,
              .prepare_data = td_prepare_data, .setup = td_setup, .teardown = td_teardown,
              .dataset = td_dataset, .get_item = td_get_item, .on_exception = td_on_exception,
              .transfer_batch_to_device = td_transfer_batch_to_device)
#else
LT_DATAMODULE(tracedata19, .create = td_create, .destroy = td_destroy,
              .prepare_data = td_prepare_data, .setup = td_setup, .teardown = td_teardown,
              .dataset = td_dataset, .get_item = td_get_item, .on_exception = td_on_exception)
#endif
#else
LT_DATAMODULE(tracedata, .create = td_create, .destroy = td_destroy, .prepare_data = td_prepare_data,
              .setup = td_setup, .teardown = td_teardown, .dataset = td_dataset,
              .get_item = td_get_item)
#endif
