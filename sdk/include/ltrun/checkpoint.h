/* ltrun/checkpoint.h — checkpoints: saving, hooks and directories */
#ifndef LTRUN_CHECKPOINT_H
#define LTRUN_CHECKPOINT_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ABI 1.4: checkpoints — trainer.save_checkpoint(path, weights_only): the running
 * trainer's state as an HDF5 checkpoint (docs/checkpoint-format.md), written
 * atomically (temp file, fsync, rename). weights_only: metadata, hparams and the
 * state_dict only (no optimizer, scheduler, loop or RNG state). */
static inline lt_status lt_save_checkpoint(lt_ctx *c, const char *path, bool weights_only) {
    return c->api->save_checkpoint(c, path, weights_only);
}
/* ABI 1.4: checkpoint hooks (runtime/checkpoint/ckpt_hooks.c). Keys are names without
 * '/'. put_tensor stores a copy of t (its dtype and shape); put_json stores a JSON text
 * (checked to parse). get_tensor copies the stored tensor into dst, which must have
 * the stored dtype and shape; get_json returns the stored text or NULL when absent; has_key tells whether key exists.
 * Nothing read from a file is ever executed. */
static inline lt_status lt_ckpt_put_tensor(lt_ctx *c, lt_ckpt_writer *w, const char *key,
                                           const lt_tensor *t) {
    return c->api->ckpt_put_tensor(c, w, key, t);
}
static inline lt_status lt_ckpt_put_json(lt_ctx *c, lt_ckpt_writer *w, const char *key,
                                         const char *json) {
    return c->api->ckpt_put_json(c, w, key, json);
}
static inline lt_status lt_ckpt_get_tensor(lt_ctx *c, lt_ckpt_reader *r, const char *key,
                                           lt_tensor *dst) {
    return c->api->ckpt_get_tensor(c, r, key, dst);
}
static inline const char *lt_ckpt_get_json(lt_ctx *c, lt_ckpt_reader *r, const char *key) {
    return c->api->ckpt_get_json(c, r, key);
}
static inline bool lt_ckpt_has_key(lt_ctx *c, lt_ckpt_reader *r, const char *key) {
    return c->api->ckpt_has_key(c, r, key);
}
/* ABI 1.8: checkpoint["state_dict"][name] = value from on_save_checkpoint (as
 * WeightAveraging puts the averaged weights there): replaces the checkpoint's
 * /state_dict/<name> — an existing parameter or buffer, with its dtype and shape — in the
 * file being written; the module's own tensor is untouched. Loading that checkpoint gives
 * the module `value`. */
static inline lt_status lt_ckpt_put_state_dict(lt_ctx *c, lt_ckpt_writer *w, const char *name,
                                               const lt_tensor *value) {
    return c->api->ckpt_put_state_dict(c, w, name, value);
}
/* ABI 1.4: model_checkpoint paths — a Checkpoint callback reports its
 * best_model_path and last_model_path (NULL or "" for none) whenever they change and
 * in setup; `--ckpt-path best` / `last` resolve through them (trainer.ckpt_path) */
static inline void lt_checkpoint_paths_set(lt_ctx *c, const char *best, const char *last) {
    c->api->checkpoint_paths_set(c, best, last);
}
/* ABI 1.5: checkpoint dir (runtime/trainer/ckpt_dir.c) — checkpoint_dir writes the
 * folder a ModelCheckpoint without dirpath saves into (Lightning's __resolve_ckpt_dir:
 * <first logger's version_dir>/checkpoints, default_root_dir/checkpoints without a
 * logger); the trainer's own "last" checkpoint goes there too. checkpoint_dirpath_add:
 * a Checkpoint callback reports its resolved dirpath in setup; `--ckpt-path last`
 * takes the newest last*.h5 (by mtime) among the reported dirpaths
 * (ModelCheckpoint._find_last_checkpoints). */
static inline lt_status lt_checkpoint_dir(lt_ctx *c, char *buf, size_t cap) {
    return c->api->checkpoint_dir(c, buf, cap);
}
static inline void lt_checkpoint_dirpath_add(lt_ctx *c, const char *dirpath) {
    c->api->checkpoint_dirpath_add(c, dirpath);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_CHECKPOINT_H */
