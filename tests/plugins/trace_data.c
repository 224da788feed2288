/* trace_data.c — 10 samples (x float [2], y int64) per split; records its hook calls. */
#include "trace.h"

static bool no_predict; /* --data.no_predict true: no predict split (issue 4 tests) */

static void *td_create(lt_ctx *ctx, const lt_hparams *hp) {
    trace_path = lt_hp_str(ctx, hp, "trace", NULL);
    no_predict = lt_hp_bool(ctx, hp, "no_predict", false);
    trace("data.create");
    return lt_alloc(ctx, 1);
}
static void td_destroy(lt_ctx *ctx, void *self) { trace("data.destroy"); }
static lt_status td_prepare_data(lt_ctx *ctx, void *self) { trace("data.prepare_data"); return LT_OK; }
static lt_status td_setup(lt_ctx *ctx, void *self, lt_stage s) { trace("data.setup %s", stage_name(s)); return LT_OK; }
static lt_status td_teardown(lt_ctx *ctx, void *self, lt_stage s) { trace("data.teardown %s", stage_name(s)); return LT_OK; }
static lt_status td_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    static const char *const names[] = {"train", "val", "test", "predict"};
    trace("data.dataset %s", names[split]);
    if (no_predict && split == LT_SPLIT_PREDICT) return LT_OK;
    ds->length = 10;
    ds->batch_size = 4;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "x", .dtype = LT_FLOAT32, .ndim = 1, .shape = {2}};
    ds->fields[1] = (lt_field){.name = "y", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}
static lt_status td_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t i, void *const *dst) {
    float *x = dst[0];
    x[0] = (float)(i % 2);
    x[1] = (float)(1 - i % 2);
    *(int64_t *)dst[1] = i % 2;
    return LT_OK;
}

LT_DATAMODULE(tracedata, .create = td_create, .destroy = td_destroy, .prepare_data = td_prepare_data,
              .setup = td_setup, .teardown = td_teardown, .dataset = td_dataset,
              .get_item = td_get_item)
