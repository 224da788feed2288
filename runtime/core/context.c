/* context.c — errors, scratch and instance memory of an lt_ctx. */
#include "core/context.h"

#include "accelerators/registry.h"
#include "tensor/arena.h"
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ltr_ctx_init(ltr_ctx *ctx, const lt_host_api *api) {
    memset(ctx, 0, sizeof *ctx);
    ctx->pub.api = api;
    /* one process until a strategy says otherwise: in a run, its setup_environment sets
     * rank and world_size before any loader or sampler is built (strategy.h) */
    ctx->pub.world_size = 1;
    ctx->pub.batch_idx = -1;
    ctx->grad_enabled = true;
    ctx->float_dtype = LT_FLOAT32; /* 32-true's, until a precision converts the module */
    ctx->batch_size = 1;
    ctx->device = ltr_backend_default();
}

lt_status ltr_vfail(lt_ctx *c, const char *fmt, va_list ap) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (ctx->failed) return LT_ERROR; /* keep the first error: it names the cause */
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    ctx->failed = true;
    return LT_ERROR;
}

lt_status ltr_fail(lt_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lt_status s = ltr_vfail(c, fmt, ap);
    va_end(ap);
    return s;
}

bool ltr_ctx_take_error(ltr_ctx *ctx, char *buf, size_t cap) {
    if (!ctx->failed) return false;
    if (buf && cap) snprintf(buf, cap, "%s", ctx->error);
    ctx->failed = false;
    ctx->error[0] = '\0';
    return true;
}

void *ltr_scratch(lt_ctx *c, size_t bytes) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (!ctx->arena) {
        ltr_fail(c, "lt_scratch: no step arena here (call it from a step or epoch hook)");
        return NULL;
    }
    void *p = ltr_arena_alloc(ctx->arena, bytes ? bytes : 1);
    if (!p) {
        ltr_fail(c, "lt_scratch: out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

void *ltr_alloc(lt_ctx *c, size_t bytes) {
    ltr_ctx *ctx = ltr_ctx_of(c);
    if (ctx->nallocs == ctx->cap_allocs) {
        int64_t cap = ctx->cap_allocs ? 2 * ctx->cap_allocs : 16;
        void **grown = realloc(ctx->allocs, (size_t)cap * sizeof *grown);
        if (!grown) {
            ltr_fail(c, "lt_alloc: out of memory");
            return NULL;
        }
        ctx->allocs = grown;
        ctx->cap_allocs = cap;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        ltr_fail(c, "lt_alloc: out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    ctx->allocs[ctx->nallocs++] = p;
    return p;
}

void ltr_ctx_free_allocs(ltr_ctx *ctx) {
    for (int64_t i = 0; i < ctx->nowned; i++) ltr_heap_tensor_free(ctx->owned[i]);
    free(ctx->owned);
    ctx->owned = NULL;
    ctx->nowned = ctx->cap_owned = 0;
    for (int64_t i = 0; i < ctx->nallocs; i++) free(ctx->allocs[i]);
    free(ctx->allocs);
    ctx->allocs = NULL;
    ctx->nallocs = ctx->cap_allocs = 0;
}
