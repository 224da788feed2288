/*
 * checkpoint.h — ltrun's HDF5 checkpoints, format v1 (docs/checkpoint-format.md).
 *
 *
 * Save: everything a resumed fit needs (Lightning's checkpoint contents, as HDF5):
 * /meta attributes, /hparams (JSON), /state_dict, /optimizer, /lr_schedulers, /loops,
 * /rng, and the groups /callbacks, /datamodule, /extra. Built in memory, written to a new
 * temporary file in the target's folder (O_EXCL|O_NOFOLLOW, unpredictable name), fsync'd,
 * then renamed over the target: a crash leaves the old file or the new one, never a torn
 * one; on error the temp file is removed. Tensors carry a Fletcher-32 checksum per chunk.
 *
 * Load, in two phases, each validating before it changes anything:
 *   ltr_ckpt_validate  (ckpt_validate.c) the one structural pass, which needs no module:
 *                   safety (no external links, external raw storage or virtual datasets;
 *                   only HDF5's built-in filters), every attribute's class, rank, size and
 *                   range, every dataset's byte size against what the file holds, the
 *                   optimizer state against /state_dict's shapes. The trainer runs it on
 *                   --ckpt-path before any plugin's create (ltr_ckpt_check_file), and
 *                   ltr_ckpt_open runs it again;
 *   ltr_ckpt_open   the validation, then /state_dict's names, shapes and dtypes matched
 *                   against the module (every missing / unexpected / mismatched key
 *                   listed) before anything is allocated, then the matched tensors read.
 *                   The trainer calls it right after the module's create, before
 *                   callbacks and loggers load, so no refusal leaves a logger folder;
 *   ltr_ckpt_apply_weights   copies the matched tensors into the parameter store;
 *   ltr_ckpt_apply_training  (fit, after configure_optimizers) optimizers, schedulers,
 *                   loop progress, RNG — checked against the configured optimizers and
 *                   read whole first, then applied.
 * Loading never runs code from the file. Errors name the file; messages go to err.
 */
#ifndef LTR_CHECKPOINT_H
#define LTR_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "ltrun.h"
#include "checkpoint/state_view.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <stdint.h>

#define LTR_CKPT_FORMAT "ltrun-checkpoint"
#define LTR_CKPT_VERSION 1

typedef struct ltr_ckpt ltr_ckpt; /* an open, validated checkpoint (opaque) */

/* Write the state s views to path (weights_only: meta, hparams and state_dict only), at
 * s->compression. The trainer's entry points are in trainer/connectors/checkpoint_connector.h. */
lt_status ltr_ckpt_save_view(const ltr_ckpt_state *s, const char *path, bool weights_only,
                             char *err, size_t cap);

/* The same with the tensors' compression chosen: 0 none (the default, fastest), 1-9
 * shuffle + gzip at that level (H5Pset_deflate; deflate is built into HDF5, so loading
 * needs no filter plugin). Tensors are chunked with Fletcher-32 either way. */
lt_status ltr_ckpt_save_level_view(const ltr_ckpt_state *s, const char *path, bool weights_only,
                                   int compression, char *err, size_t cap);

/* Counters a checkpoint may hold (steps, epochs, batches): [0, 2^53]. Exact in a double
 * (Adam's bias correction, JSON) and far from INT64_MAX, so `+= 1` never overflows. */
#define LTR_CKPT_COUNTER_MAX ((int64_t)1 << 53)

/* The structural validation (see above) of an open file; err without the file's name. */
lt_status ltr_ckpt_validate(hid_t file, char *err, size_t cap);
/* Open path, validate it, close it; err names the file. */
lt_status ltr_ckpt_check_file(const char *path, char *err, size_t cap);
/* H5Dread a whole checked dataset; err: "tensor WHERE is corrupt (checksum mismatch)"
 * when its fletcher32 checksum failed, else that it cannot be read. */
lt_status ltr_ckpt_read(hid_t d, hid_t mem_type, void *buf, const char *where, char *err, size_t cap);

/* Phase 1 (see above). strict false: keep the matching subset and put the rest in
 * *warning. NULL on error. */
ltr_ckpt *ltr_ckpt_open_view(const ltr_ckpt_state *s, const char *path, bool strict, char *err,
                             size_t cap);
const char *ltr_ckpt_warning(const ltr_ckpt *c);
const char *ltr_ckpt_path(const ltr_ckpt *c);
bool ltr_ckpt_weights_only(const ltr_ckpt *c);
/* copy the matched tensors into the parameters ltr_ckpt_open_view matched them to */
void ltr_ckpt_copy_weights(ltr_ckpt *c);
/* optimizers, schedulers, s->loop, the generator, the seeds (see ltr_ckpt_loop) */
lt_status ltr_ckpt_apply_training_view(ltr_ckpt_state *s, ltr_ckpt *c, char *err, size_t cap);
void ltr_ckpt_close(ltr_ckpt *c);

/* `ltrun inspect FILE [--json]`: argv[0] is "ltrun", argv[1] "inspect". Exit status. */
int ltr_ckpt_inspect_main(int argc, char **argv);

/* ---- internal to runtime/checkpoint (h5util.c) ---- */
/* Switch HDF5's error stack printing off (idempotent). Filter-plugin loading stays as the
 * process has it (data files may use HDF5_PLUGIN_PATH); checkpoints are refused before
 * reading when a dataset names a filter that is not built in (ltr_h5_check_safe). */
void ltr_h5_init(void);
hid_t ltr_h5_group(hid_t loc, const char *name); /* create */
/* child group i ("0", "1", ...): create it / open it (-1 when absent) */
hid_t ltr_h5_group_at(hid_t loc, int i);
hid_t ltr_h5_open_at(hid_t loc, int i);
void ltr_h5_set_compression(int level); /* ltr_h5_write_array's gzip level; 0 off */
lt_status ltr_h5_attr_str(hid_t obj, const char *name, const char *value);
lt_status ltr_h5_attr_i64(hid_t obj, const char *name, int64_t value);
lt_status ltr_h5_attr_f64(hid_t obj, const char *name, double value);
/* read: attribute absent, of another class, or not exactly one element -> LT_ERROR
 * (NULL for strings); never more than one value is read */
bool ltr_h5_one_element(hid_t space); /* scalar, or simple with one point */
char *ltr_h5_attr_read_str(hid_t attr); /* an open attribute's one string; malloc'd or NULL */
lt_status ltr_h5_get_i64(hid_t obj, const char *name, int64_t *out);
lt_status ltr_h5_get_f64(hid_t obj, const char *name, double *out);
char *ltr_h5_get_str(hid_t obj, const char *name); /* malloc'd, NULL if absent */
/* A dataset of `dt` (LT_* dtype; bfloat16 as uint16 + attribute dtype="bfloat16"),
 * chunked with a Fletcher-32 checksum (not a 0-d one) */
lt_status ltr_h5_write_array(hid_t loc, const char *name, lt_dtype dt, int ndim,
                             const int64_t *shape, const void *data);
/* The same for `data` on device `device` (accelerators/registry.h): copied device->host
 * into a host buffer first unless the host may read it in place. */
lt_status ltr_h5_write_device_array(hid_t loc, const char *name, int device, lt_dtype dt,
                                    int ndim, const int64_t *shape, const void *data);
/* What was read into host memory, onto device `device`: copy `host` (bytes) into dst /
 * into a new block of the device's (ltr_h5_to_new_device: frees host; NULL on OOM). */
void ltr_h5_to_device(int device, void *dst, const void *host, size_t bytes);
void *ltr_h5_to_new_device(int device, void *host, size_t bytes);
/* The file type of a dataset as an ltrun dtype (-1: unsupported) */
int ltr_h5_dataset_dtype(hid_t ds);
hid_t ltr_h5_mem_type(lt_dtype dt);
/* Refuse external links, external raw storage and virtual datasets anywhere in the
 * file: LT_ERROR with the offending object's path in err. */
lt_status ltr_h5_check_safe(hid_t file, char *err, size_t cap);
/* Read a string dataset (fixed or variable length) whole; malloc'd or NULL. */
char *ltr_h5_read_str(hid_t loc, const char *name);
lt_status ltr_h5_write_str(hid_t loc, const char *name, const char *value);
/* ckpt_save.c: torch's state key names of an optimizer kind's buffers (NULL: none) */
void ltr_ckpt_state_names(int kind, const char *names[3]);
/* the epoch to run next and its first batch (mid-epoch when one is in progress) */
void ltr_ckpt_resume_point(const ltr_ckpt_state *s, int64_t *epoch, int64_t *batch);

/* ckpt_hooks.c: the checkpoint hooks in Lightning's order (see there). save: into the
 * file being written; load: module on_load_checkpoint (before the weights), then the data
 * module's load_state_dict and, when fitting, the callbacks'. Errors name the hook. */
lt_status ltr_ckpt_save_hooks(const ltr_ckpt_state *s, hid_t f, bool weights_only, char *err,
                              size_t cap);
lt_status ltr_ckpt_load_module_hook_view(const ltr_ckpt_state *s, hid_t file, char *err, size_t cap);
lt_status ltr_ckpt_load_other_hooks_view(const ltr_ckpt_state *s, hid_t file, bool fitting,
                                         char *err, size_t cap);
hid_t ltr_ckpt_file(const ltr_ckpt *c);
/* ckpt_hparams.c: load_from_checkpoint — the hparams `which` ("module" or "data") saved
 * in the checkpoint at path by the plugin `plugin` (NULL: none) with `given` (--model.x /
 * --data.x) on top; the data module's only with data_from_checkpoint. NULL when there is
 * no readable checkpoint file (use `given`). Caller owns the result. */
cJSON *ltr_ckpt_hparams_from(const char *path, const char *which, const char *plugin,
                             bool data_from_checkpoint, const cJSON *given);
/* lt_host_api members (ABI 1.4) */
lt_status ltr_api_ckpt_put_tensor(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const lt_tensor *t);
lt_status ltr_api_ckpt_put_json(lt_ctx *ctx, lt_ckpt_writer *w, const char *key, const char *json);
lt_status ltr_api_ckpt_get_tensor(lt_ctx *ctx, lt_ckpt_reader *r, const char *key, lt_tensor *dst);
const char *ltr_api_ckpt_get_json(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);
bool ltr_api_ckpt_has_key(lt_ctx *ctx, lt_ckpt_reader *r, const char *key);

#endif
