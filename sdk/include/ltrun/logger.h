/* ltrun/logger.h — Logger hooks (lt_logger_vtable) and LT_LOGGER */
#ifndef LTRUN_LOGGER_H
#define LTRUN_LOGGER_H

#include "types.h"
#include "descriptor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.4: loggers — lightning.pytorch.loggers.Logger. The host calls every configured
 * logger (--logger NAME[:JSON], repeatable; the "csv" logger when none is given, as
 * Lightning's logger=True) at Lightning's points: log_hyperparams once per trainer entry
 * point before its loop (LM + DM hparams merged, JSON object text), log_metrics then save
 * whenever the logger connector logs (train steps every log_every_n_steps, epoch ends),
 * finalize at the end of each entry point. Hooks run on the main thread. */
typedef struct lt_logger_vtable {
    uint32_t size;
    uint32_t flags; /* none defined yet: 0 */
    /* __init__(**init_args): hp holds the JSON of --logger NAME:JSON; read save_dir's
     * default from lt_default_root_dir(ctx). Unread keys are an error naming the key. */
    void *(*create)(lt_ctx *ctx, const lt_hparams *hp);
    void (*destroy)(lt_ctx *ctx, void *self);
    /* params: a JSON object (text, valid during the call) */
    lt_status (*log_hyperparams)(lt_ctx *ctx, void *self, const char *params_json);
    /* n metrics (names and values valid during the call) at `step`; the host adds
     * "epoch" (trainer.current_epoch) as Lightning's logger connector does */
    lt_status (*log_metrics)(lt_ctx *ctx, void *self, const char *const *names,
                             const double *values, int n, int64_t step);
    lt_status (*save)(lt_ctx *ctx, void *self);
    /* status: "success", "failed" or "interrupted" */
    lt_status (*finalize)(lt_ctx *ctx, void *self, const char *status);
    /* ABI 1.5: checkpoint dir — the logger's versioned folder as Lightning's
     * ModelCheckpoint.__resolve_ckpt_dir builds it from the FIRST logger:
     * os.path.join(save_dir or default_root_dir, name, version_N | str version) (no
     * sub_dir; MLFlowLogger: <mlruns>/<experiment_id>/<run_id>). Write it into buf (cap
     * bytes) and return LT_OK. The same folder for the whole run: resolve the version once
     * (in create). Checkpoints go to <it>/checkpoints. NULL: default_root_dir/checkpoints. */
    lt_status (*version_dir)(lt_ctx *ctx, void *self, char *buf, size_t cap);
    /* ABI 1.8: logging beyond scalars, what torch's SummaryWriter.add_image /
     * add_histogram / add_text take; step = trainer.global_step. A logger that cannot show
     * one leaves its hook NULL and the host skips it (older loggers load unchanged).
     * log_image: h x w x c uint8 pixels, row-major HWC, c 3 (RGB) or 4 (RGBA), already
     * converted as summary.image does (CHW/HW to HWC, one channel repeated to three,
     * floats * 255 clipped to [0, 255] and truncated). log_histogram: the n values
     * (flattened, as float64; n >= 1). log_text: UTF-8 text. All valid during the call. */
    lt_status (*log_image)(lt_ctx *ctx, void *self, const char *name, const uint8_t *hwc,
                           int64_t h, int64_t w, int64_t c, int64_t step);
    lt_status (*log_histogram)(lt_ctx *ctx, void *self, const char *name, const double *values,
                               int64_t n, int64_t step);
    lt_status (*log_text)(lt_ctx *ctx, void *self, const char *name, const char *text,
                          int64_t step);
} lt_logger_vtable;
/* LT_LOGGER(name, .create = ..., .log_metrics = ..., ...). */
#define LT_LOGGER(name, ...) LT__DESCRIPTOR(name, LT_KIND_LOGGER, lt_logger_vtable, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_LOGGER_H */
