/* ltrun/core.h — errors, memory, hyperparameters, randomness, grad mode and files */
#ifndef LTRUN_CORE_H
#define LTRUN_CORE_H

#include "host_api.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline lt_status lt_fail(lt_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lt_status s = ctx->api->vfail(ctx, fmt, ap);
    va_end(ap);
    return s;
}
/* zeroed; freed by the host after destroy */
static inline void *lt_alloc(lt_ctx *ctx, size_t n) { return ctx->api->alloc(ctx, n); }
/* per-step arena; freed after the step */
static inline void *lt_scratch(lt_ctx *ctx, size_t n) { return ctx->api->scratch(ctx, n); }

/* hyperparameters (--model.x / --data.x / config): each read is recorded */
static inline int64_t lt_hp_int(lt_ctx *c, const lt_hparams *h, const char *k, int64_t d) {
    return c->api->hp_int(c, h, k, d);
}
static inline double lt_hp_float(lt_ctx *c, const lt_hparams *h, const char *k, double d) {
    return c->api->hp_float(c, h, k, d);
}
static inline bool lt_hp_bool(lt_ctx *c, const lt_hparams *h, const char *k, bool d) {
    return c->api->hp_bool(c, h, k, d);
}
static inline const char *lt_hp_str(lt_ctx *c, const lt_hparams *h, const char *k,
                                    const char *d) {
    return c->api->hp_str(c, h, k, d);
}

/* torch.set_grad_enabled(enabled); returns the previous mode (torch.no_grad() is
 * `bool was = lt_set_grad_enabled(c, false); ...; lt_set_grad_enabled(c, was);`).
 * Validate/test/predict run under torch.inference_mode with Trainer(inference_mode=True),
 * the default: there enabling grad records nothing (torch.enable_grad does not leave
 * inference mode); with inference_mode=False (torch.no_grad) it records again. */
static inline bool lt_set_grad_enabled(lt_ctx *c, bool enabled) {
    return c->api->set_grad_enabled(c, enabled);
}
/* ABI 1.9: precision — torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled) for
 * the ops that follow; returns the previous state. Under --trainer.precision bf16-mixed
 * the step hooks run with it on; `bool was = lt_autocast(c, false); ...;
 * lt_autocast(c, was);` runs a region in float32 (torch.autocast(enabled=False)). On,
 * linear/matmul/bmm/conv1d/conv2d take bfloat16 inputs and return bfloat16, the losses
 * compute in float32, other ops follow their inputs (PyTorch 1.13's CPU lists). */
static inline bool lt_autocast(lt_ctx *c, bool enabled) { return c->api->autocast(c, enabled); }
/* Every tensor made after scope_begin is freed by scope_end (loops inside one hook,
 * e.g. sampling tokens). Scopes nest; ops recorded for backward inside a scope make
 * scope_end an error (their tensors are still needed): run such loops without grad. */
static inline void *lt_scope_begin(lt_ctx *c) { return c->api->scope_begin(c); }
static inline lt_status lt_scope_end(lt_ctx *c, void *scope) { return c->api->scope_end(c, scope); }

/* randomness from the run's seed (--seed) */
static inline uint64_t lt_seed(lt_ctx *c) { return c->api->seed(c); }
/* a seeded permutation */
static inline void lt_randperm(lt_ctx *c, uint64_t seed, int64_t n, int64_t *out) {
    c->api->randperm(seed, n, out);
}
/* ABI 1.6: a new, empty temporary file to replace `target` by rename, in target's folder:
 * DIR/.BASE.ltrun-tmp-<pid>-<12 random letters and digits>, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW (mode 0666 & ~umask), so a file or symlink planted at a name
 * someone can predict is never written through. Returns its fd (O_WRONLY, close-on-exec;
 * fdopen(fd, "w") for stdio) and writes its path to path_out[cap]; -1 with errno set on
 * failure (nothing created). The caller owns the file: write it, close it, then rename
 * path_out over target (rename replaces a symlink at target, never follows it) or unlink
 * path_out on any error. Temporary files of writers that no longer run (kill -9) are
 * removed from that folder first, as for checkpoints; nothing else is touched. */
static inline int lt_tmp_create(lt_ctx *c, const char *target, char *path_out, size_t cap) {
    return c->api->tmp_create(c, target, path_out, cap);
}

#ifdef __cplusplus
}
#endif
#endif /* LTRUN_CORE_H */
