/*
 * plugin_strategy.c — a strategy plugin's lt_strategy_vtable behind ltr_strategy_ops.
 *
 * Each entry the plugin fills is called with the run's context and its own state; an
 * entry it leaves NULL (or one its vtable is too old to have) is the built-in
 * single-device strategy's. While a plugin entry runs, the context names the plugin
 * (ext_strategy, plugin_name, hook_name): that is how lt_get_extension tells a strategy's
 * call from a module's or a callback's, and how a failure is reported as
 * "strategy 'NAME' (PATH), HOOK: message".
 */
#include "strategy/plugin_strategy.h"

#include "accelerators/registry.h" /* the thread count a plugin chose */
#include "cli/hparams.h"
#include "plugin/loader.h"
#include "strategy/single_device.h"
#include "tensor/autograd.h"
#include "tensor/tensor.h"
#include "trainer/fault.h" /* a crash inside an entry is reported naming it */
#include "trainer/hooks.h" /* the run's parameters (ltr_api_param_count / _at) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_TRAINING = 1, EXIT_USAGE = 2, EXIT_PLUGIN = 3 }; /* DESIGN.md's exit codes (trainer.h) */

typedef struct plugin_state {
    ltr_plugin plugin;
    const lt_strategy_vtable *vt;
    void *self;
    lt_hparams hp;
    bool created;
    lt_grad_ready_fn ready_cb; /* LT_EXT_GRADIENTS's on_grad_ready, or NULL */
    void *ready_user;
    int64_t ready_hint; /* where the last parameter was found: the next is usually before */
} plugin_state;

#define PS(s) ((plugin_state *)(s)->impl)
#define VT_HOOK(s, m) LTR_HOOK(PS(s)->vt, lt_strategy_vtable, m)


/* ------------------------------------------------------------ calling the plugin */

typedef struct call_frame {
    ltr_strategy *prev;
    const char *plugin, *hook;
    bool had_error;
} call_frame;

static void enter(ltr_strategy *s, lt_ctx *ctx, const char *hook, call_frame *f) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    *f = (call_frame){c->ext_strategy, c->plugin_name, c->hook_name, c->failed};
    c->ext_strategy = s;
    c->plugin_name = PS(s)->plugin.desc->name;
    c->hook_name = hook;
    ltr_fault_push(LTR_FAULT_STRATEGY, PS(s)->plugin.desc->name, PS(s)->plugin.path, hook,
                   ctx->current_epoch, ctx->batch_idx);
}

/* Back to the caller's context; a failure gets the plugin and entry in front. */
static lt_status leave(ltr_strategy *s, lt_ctx *ctx, const char *hook, const call_frame *f,
                       lt_status rc) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    ltr_fault_pop(hook);
    c->ext_strategy = f->prev;
    c->plugin_name = f->plugin;
    c->hook_name = f->hook;
    if (f->had_error || (rc == LT_OK && !c->failed)) return rc;
    char msg[1024] = "";
    ltr_ctx_take_error(c, msg, sizeof msg);
    return ltr_fail(ctx, "strategy '%s' (%s), %s: %s", PS(s)->plugin.desc->name,
                    PS(s)->plugin.path, hook,
                    msg[0] ? msg : "the entry returned an error without a message (call lt_fail)");
}

/* A host call made on a plugin's behalf (the base entries, the built-in fallbacks) runs
 * as host code: module hooks it reaches must not see the strategy's extensions. */
static ltr_strategy *as_host(lt_ctx *ctx) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    ltr_strategy *was = c->ext_strategy;
    c->ext_strategy = NULL;
    return was;
}
static void back_from_host(lt_ctx *ctx, ltr_strategy *was) { ltr_ctx_of(ctx)->ext_strategy = was; }

/* --------------------------------------------------------------------- the ops */

static lt_status ps_setup_environment(ltr_strategy *s, lt_ctx *ctx) {
    if (ltr_single_device_ops.setup_environment(s, ctx)) return LT_ERROR;
    lt_status (*fn)(lt_ctx *, void *, lt_strategy_env *) = VT_HOOK(s, setup_environment);
    if (!fn) return LT_OK;
    lt_strategy_env env = {.size = sizeof env, .rank = s->rank, .local_rank = s->local_rank,
                           .node_rank = s->node_rank, .world_size = s->world_size,
                           .devices = s->devices, .num_nodes = s->num_nodes,
                           .num_threads = s->num_threads, .argc = s->argv ? s->argc : 0,
                           .argv = s->argv};
    call_frame f;
    enter(s, ctx, "setup_environment", &f);
    lt_status rc = fn(ctx, PS(s)->self, &env);
    if (rc == LT_OK && !ltr_ctx_of(ctx)->failed &&
        (env.world_size < 1 || env.rank < 0 || env.rank >= env.world_size || env.local_rank < 0 ||
         env.node_rank < 0))
        rc = ltr_fail(ctx, "reported rank %lld of world size %lld (local rank %lld, node rank "
                           "%lld): the world size must be at least 1 and the ranks in "
                           "[0, world size)", (long long)env.rank, (long long)env.world_size,
                      (long long)env.local_rank, (long long)env.node_rank);
    if (rc == LT_OK && !ltr_ctx_of(ctx)->failed && (env.num_threads < 0 || env.num_threads > INT32_MAX))
        rc = ltr_fail(ctx, "asked for %lld compute threads", (long long)env.num_threads);
    if (leave(s, ctx, "setup_environment", &f, rc)) return LT_ERROR;
    s->rank = env.rank;
    s->local_rank = env.local_rank;
    s->node_rank = env.node_rank;
    s->world_size = env.world_size;
    /* the thread count it chose (torchrun's OMP_NUM_THREADS for several ranks a node),
     * set before any compute thread exists as single-device's is */
    if (env.num_threads > 0 && env.num_threads != s->num_threads) {
        s->num_threads = env.num_threads;
        void *dev;
        ltr_device_of(s->device, &dev)->set_threads(dev, (int)s->num_threads);
    }
    return LT_OK;
}

static lt_status ps_setup(ltr_strategy *s, lt_ctx *ctx) {
    lt_status (*fn)(lt_ctx *, void *) = VT_HOOK(s, setup);
    if (!fn) return ltr_single_device_ops.setup(s, ctx);
    call_frame f;
    enter(s, ctx, "setup", &f);
    return leave(s, ctx, "setup", &f, fn(ctx, PS(s)->self));
}

static void ps_teardown(ltr_strategy *s, lt_ctx *ctx) {
    void (*fn)(lt_ctx *, void *) = VT_HOOK(s, teardown);
    if (!fn) {
        ltr_single_device_ops.teardown(s, ctx);
    } else {
        call_frame f;
        enter(s, ctx, "teardown", &f);
        fn(ctx, PS(s)->self);
        leave(s, ctx, "teardown", &f, LT_OK);
    }
    /* its callback's state goes with the plugin: backward after this must not call it */
    if (PS(s)->ready_cb && ltr_ctx_of(ctx)->tape) ltr_tape_set_grad_ready(ltr_ctx_of(ctx)->tape, NULL, NULL);
    PS(s)->ready_cb = NULL;
}

/* The fallback for a NULL entry, run as host code (see as_host). */
#define FALLBACK(s, ctx, call)                                                            \
    do {                                                                                  \
        ltr_strategy *was_ = as_host(ctx);                                                \
        lt_status rc_ = ltr_single_device_ops.call;                                       \
        back_from_host(ctx, was_);                                                        \
        return rc_;                                                                       \
    } while (0)

static lt_status ps_batch_to_device(ltr_strategy *s, lt_ctx *ctx, lt_batch *batch) {
    lt_status (*fn)(lt_ctx *, void *, lt_batch *) = VT_HOOK(s, batch_to_device);
    if (!fn) FALLBACK(s, ctx, batch_to_device(s, ctx, batch));
    call_frame f;
    enter(s, ctx, "batch_to_device", &f);
    return leave(s, ctx, "batch_to_device", &f, fn(ctx, PS(s)->self, batch));
}

static lt_status ps_backward(ltr_strategy *s, lt_ctx *ctx, lt_tensor *loss) {
    lt_status (*fn)(lt_ctx *, void *, lt_tensor *) = VT_HOOK(s, backward);
    if (!fn) FALLBACK(s, ctx, backward(s, ctx, loss));
    call_frame f;
    enter(s, ctx, "backward", &f);
    return leave(s, ctx, "backward", &f, fn(ctx, PS(s)->self, loss));
}

static lt_status ps_optimizer_step(ltr_strategy *s, lt_ctx *ctx, lt_optimizer *opt) {
    lt_status (*fn)(lt_ctx *, void *, lt_optimizer *) = VT_HOOK(s, optimizer_step);
    if (!fn) FALLBACK(s, ctx, optimizer_step(s, ctx, opt));
    call_frame f;
    enter(s, ctx, "optimizer_step", &f);
    return leave(s, ctx, "optimizer_step", &f, fn(ctx, PS(s)->self, opt));
}

static lt_status ps_reduce(ltr_strategy *s, lt_ctx *ctx, double *values, int64_t n,
                           ltr_collective_op op) {
    lt_status (*fn)(lt_ctx *, void *, double *, int64_t, lt_reduce_op) = VT_HOOK(s, reduce);
    if (!fn) FALLBACK(s, ctx, reduce(s, ctx, values, n, op));
    /* ltr_collective_op and lt_reduce_op list the same operations in the same order */
    call_frame f;
    enter(s, ctx, "reduce", &f);
    return leave(s, ctx, "reduce", &f, fn(ctx, PS(s)->self, values, n, (lt_reduce_op)op));
}

static lt_status ps_reduce_bool(ltr_strategy *s, lt_ctx *ctx, bool *decision, bool all) {
    lt_status (*fn)(lt_ctx *, void *, bool *, bool) = VT_HOOK(s, reduce_bool);
    if (!fn) FALLBACK(s, ctx, reduce_bool(s, ctx, decision, all));
    call_frame f;
    enter(s, ctx, "reduce_bool", &f);
    return leave(s, ctx, "reduce_bool", &f, fn(ctx, PS(s)->self, decision, all));
}

static lt_status ps_barrier(ltr_strategy *s, lt_ctx *ctx, const char *name) {
    lt_status (*fn)(lt_ctx *, void *, const char *) = VT_HOOK(s, barrier);
    if (!fn) FALLBACK(s, ctx, barrier(s, ctx, name));
    call_frame f;
    enter(s, ctx, "barrier", &f);
    return leave(s, ctx, "barrier", &f, fn(ctx, PS(s)->self, name));
}

static lt_status ps_broadcast(ltr_strategy *s, lt_ctx *ctx, void *buf, size_t bytes, int64_t src) {
    lt_status (*fn)(lt_ctx *, void *, void *, size_t, int64_t) = VT_HOOK(s, broadcast);
    if (!fn) FALLBACK(s, ctx, broadcast(s, ctx, buf, bytes, src));
    call_frame f;
    enter(s, ctx, "broadcast", &f);
    return leave(s, ctx, "broadcast", &f, fn(ctx, PS(s)->self, buf, bytes, src));
}

static lt_status ps_all_gather(ltr_strategy *s, lt_ctx *ctx, const lt_tensor *x, lt_tensor *out) {
    lt_status (*fn)(lt_ctx *, void *, const lt_tensor *, lt_tensor *) = VT_HOOK(s, all_gather);
    if (!fn) FALLBACK(s, ctx, all_gather(s, ctx, x, out));
    call_frame f;
    enter(s, ctx, "all_gather", &f);
    return leave(s, ctx, "all_gather", &f, fn(ctx, PS(s)->self, x, out));
}

static lt_status ps_save_checkpoint(ltr_strategy *s, lt_ctx *ctx, const char *path,
                                    lt_status (*write)(void *arg, const char *path), void *arg) {
    lt_status (*fn)(lt_ctx *, void *, const char *, lt_status (*)(void *, const char *), void *) =
        VT_HOOK(s, save_checkpoint);
    if (!fn) FALLBACK(s, ctx, save_checkpoint(s, ctx, path, write, arg));
    call_frame f;
    enter(s, ctx, "save_checkpoint", &f);
    return leave(s, ctx, "save_checkpoint", &f, fn(ctx, PS(s)->self, path, write, arg));
}

static void ps_on_exception(ltr_strategy *s, lt_ctx *ctx, const char *message) {
    void (*fn)(lt_ctx *, void *, const char *) = VT_HOOK(s, on_exception);
    if (!fn) return;
    call_frame f;
    enter(s, ctx, "on_exception", &f);
    fn(ctx, PS(s)->self, message ? message : "");
    leave(s, ctx, "on_exception", &f, LT_OK);
    ltr_ctx_take_error(ltr_ctx_of(ctx), NULL, 0); /* the run's first error stays the one */
}

static const ltr_strategy_ops plugin_ops = {
    .name = "plugin",
    .setup_environment = ps_setup_environment,
    .setup = ps_setup,
    .teardown = ps_teardown,
    .batch_to_device = ps_batch_to_device,
    .backward = ps_backward,
    .optimizer_step = ps_optimizer_step,
    .reduce = ps_reduce,
    .reduce_bool = ps_reduce_bool,
    .barrier = ps_barrier,
    .broadcast = ps_broadcast,
    .all_gather = ps_all_gather,
    .save_checkpoint = ps_save_checkpoint,
    .on_exception = ps_on_exception,
};

/* ----------------------------------------------------------- create / destroy */

ltr_strategy *ltr_plugin_strategy_create(lt_ctx *ctx, const char *spec, const cJSON *init_args,
                                         int *exit_code, char *err, size_t errcap) {
    char path[4096], why[1024];
    *exit_code = EXIT_PLUGIN;
    if (ltr_plugin_resolve(spec, LT_KIND_STRATEGY, path, sizeof path, why, sizeof why)) {
        snprintf(err, errcap, "--trainer.strategy: %s", why);
        return NULL;
    }
    ltr_strategy *s = calloc(1, sizeof *s);
    plugin_state *ps = calloc(1, sizeof *ps);
    if (!s || !ps) {
        free(s);
        free(ps);
        *exit_code = EXIT_TRAINING;
        snprintf(err, errcap, "--trainer.strategy %s: out of memory", spec);
        return NULL;
    }
    if (ltr_plugin_load(path, LT_KIND_STRATEGY, &ps->plugin, why, sizeof why)) {
        free(s);
        free(ps);
        snprintf(err, errcap, "--trainer.strategy: %s", why);
        return NULL;
    }
    s->ops = &plugin_ops;
    s->impl = ps;
    s->world_size = 1;
    ps->vt = ps->plugin.desc->vtable;
    ps->ready_hint = -1;
    static const cJSON empty = {.type = cJSON_Object};
    ltr_hparams_init(&ps->hp, init_args ? init_args : &empty, "--strategy.");
    void *(*create)(lt_ctx *, const lt_hparams *) = LTR_HOOK(ps->vt, lt_strategy_vtable, create);
    if (create) {
        call_frame f;
        enter(s, ctx, "create", &f);
        ps->self = create(ctx, &ps->hp);
        if (leave(s, ctx, "create", &f, ps->self ? LT_OK : LT_ERROR)) {
            ltr_ctx_take_error(ltr_ctx_of(ctx), err, errcap);
            *exit_code = EXIT_TRAINING;
            ltr_plugin_strategy_destroy(s, ctx);
            return NULL;
        }
    }
    ps->created = true;
    /* a given init arg that create never read is a typo (as --model.x is) */
    if (ltr_hparams_check_unread(&ps->hp, ps->plugin.desc->name, err, errcap)) {
        *exit_code = EXIT_USAGE;
        ltr_plugin_strategy_destroy(s, ctx);
        return NULL;
    }
    return s;
}

void ltr_plugin_strategy_destroy(ltr_strategy *s, lt_ctx *ctx) {
    if (!s) return;
    plugin_state *ps = PS(s);
    void (*destroy)(lt_ctx *, void *) = LTR_HOOK(ps->vt, lt_strategy_vtable, destroy);
    if (ps->created && destroy) {
        call_frame f;
        enter(s, ctx, "destroy", &f);
        destroy(ctx, ps->self);
        leave(s, ctx, "destroy", &f, LT_OK);
    }
    if (ps->ready_cb && ltr_ctx_of(ctx)->tape) ltr_tape_set_grad_ready(ltr_ctx_of(ctx)->tape, NULL, NULL);
    ltr_hparams_free(&ps->hp);
    ltr_plugin_unload(&ps->plugin);
    free(ps);
    free(s);
}

/* ------------------------------------------------------------ the extensions */

/* The run's trainable parameters, as lt_param_count / lt_param_at list them. */
static int64_t grad_count(lt_ctx *ctx) { return ltr_api_param_count(ctx); }

static lt_tensor *grad_param(lt_ctx *ctx, int64_t i) { return ltr_api_param_at(ctx, i, NULL); }

static const char *grad_name(lt_ctx *ctx, int64_t i) {
    lt_tensor *t = grad_param(ctx, i);
    return t ? t->name : NULL;
}

static lt_tensor *grad_grad(lt_ctx *ctx, int64_t i) {
    lt_tensor *t = grad_param(ctx, i);
    return t && (t->flags & LTR_T_GRAD_DEFINED) ? t->grad : NULL;
}

/* The tape's hook, back to the plugin's callback with the parameter's index. Backward
 * finishes parameters in about reverse creation order, so the search starts just before
 * the last one found. */
static void grad_ready_trampoline(lt_ctx *ctx, lt_tensor *param, void *user) {
    ltr_strategy *s = user;
    plugin_state *ps = PS(s);
    int64_t n = grad_count(ctx), idx = -1;
    if (!ps->ready_cb || n == 0) return;
    int64_t start = ps->ready_hint > 0 && ps->ready_hint <= n ? ps->ready_hint - 1 : n - 1;
    for (int64_t k = 0; k < n && idx < 0; k++) {
        int64_t i = ((start - k) % n + n) % n;
        if (grad_param(ctx, i) == param) idx = i;
    }
    if (idx < 0) return; /* not a trainable parameter of the run (a frozen one) */
    ps->ready_hint = idx;
    call_frame f;
    enter(s, ctx, "grad-ready callback", &f);
    ps->ready_cb(ctx, idx, param->grad, ps->ready_user);
    leave(s, ctx, "grad-ready callback", &f, LT_OK);
}

static lt_status grad_on_ready(lt_ctx *ctx, lt_grad_ready_fn cb, void *user) {
    ltr_ctx *c = ltr_ctx_of(ctx);
    ltr_strategy *s = c->ext_strategy;
    if (!s) return ltr_fail(ctx, "on_grad_ready: only a strategy's entries may register it");
    if (!c->tape) return ltr_fail(ctx, "on_grad_ready: no autograd tape here");
    PS(s)->ready_cb = cb;
    PS(s)->ready_user = cb ? user : NULL;
    ltr_tape_set_grad_ready(c->tape, cb ? grad_ready_trampoline : NULL, s);
    return LT_OK;
}

/* no_sync: the training loop's _should_accumulate for the running backward */
static bool grad_should_accumulate(lt_ctx *ctx) { return ltr_api_should_accumulate(ctx); }

static const lt_gradients_v1 gradients_v1 = {
    .size = sizeof(lt_gradients_v1),
    .count = grad_count,
    .name = grad_name,
    .param = grad_param,
    .grad = grad_grad,
    .on_grad_ready = grad_on_ready,
    .should_accumulate = grad_should_accumulate,
};

/* The base entries act for the strategy whose entry is running (the plugin calls them
 * from inside its own backward, say). */
static ltr_strategy *base_caller(lt_ctx *ctx, const char *what) {
    ltr_strategy *s = ltr_ctx_of(ctx)->ext_strategy;
    if (!s) ltr_fail(ctx, "%s: only a strategy's entries may call it", what);
    return s;
}

static lt_status base_batch_to_device(lt_ctx *ctx, lt_batch *batch) {
    ltr_strategy *s = base_caller(ctx, "strategy_base.batch_to_device");
    if (!s) return LT_ERROR;
    FALLBACK(s, ctx, batch_to_device(s, ctx, batch));
}

static lt_status base_backward(lt_ctx *ctx, lt_tensor *loss) {
    ltr_strategy *s = base_caller(ctx, "strategy_base.backward");
    if (!s) return LT_ERROR;
    FALLBACK(s, ctx, backward(s, ctx, loss));
}

static lt_status base_optimizer_step(lt_ctx *ctx, lt_optimizer *opt) {
    ltr_strategy *s = base_caller(ctx, "strategy_base.optimizer_step");
    if (!s) return LT_ERROR;
    FALLBACK(s, ctx, optimizer_step(s, ctx, opt));
}

static lt_status base_setup(lt_ctx *ctx) {
    ltr_strategy *s = base_caller(ctx, "strategy_base.setup");
    if (!s) return LT_ERROR;
    FALLBACK(s, ctx, setup(s, ctx));
}

static const lt_strategy_base_v1 strategy_base_v1 = {
    .size = sizeof(lt_strategy_base_v1),
    .batch_to_device = base_batch_to_device,
    .backward = base_backward,
    .optimizer_step = base_optimizer_step,
    .setup = base_setup,
};

const void *ltr_api_get_extension(lt_ctx *ctx, const char *id) {
    if (!ctx || !id || !ltr_ctx_of(ctx)->ext_strategy) return NULL; /* strategies only */
    if (!strcmp(id, LT_EXT_GRADIENTS)) return &gradients_v1;
    if (!strcmp(id, LT_EXT_STRATEGY_BASE)) return &strategy_base_v1;
    return NULL;
}
