/*
 * print_hooks.c — lambda-style hooks for tests (Lightning's LambdaCallback takes
 * Python callables, which a JSON config cannot carry): prints one line per callback hook
 * it receives, "hook NAME" plus the hook's argument (the stage of setup/teardown, the
 * batch_idx of batch hooks) and " epoch=E step=S", in the order the trainer calls them.
 *
 *
 * init args: hooks (list of hook names; default: every hook), file (append there instead
 * of stdout). An unknown hook name is an error listing the known ones.
 */
#define LT_PLUGIN_DESCRIPTION "prints each callback hook it receives (lambda-style hooks for tests)"
#include "ltrun.h"

#include "cb_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOKS(X)                                                                              \
    X(setup) X(teardown) X(on_fit_start) X(on_fit_end) X(on_sanity_check_start)              \
    X(on_sanity_check_end) X(on_train_start) X(on_train_end) X(on_validation_start)          \
    X(on_validation_end) X(on_test_start) X(on_test_end) X(on_predict_start)                 \
    X(on_predict_end) X(on_train_epoch_start) X(on_train_epoch_end)                          \
    X(on_validation_epoch_start) X(on_validation_epoch_end) X(on_test_epoch_start)           \
    X(on_test_epoch_end) X(on_predict_epoch_start) X(on_predict_epoch_end)                   \
    X(on_train_batch_start) X(on_train_batch_end) X(on_validation_batch_start)               \
    X(on_validation_batch_end) X(on_test_batch_start) X(on_test_batch_end)                   \
    X(on_predict_batch_start) X(on_predict_batch_end) X(on_before_backward)                  \
    X(on_after_backward) X(on_before_optimizer_step) X(on_before_zero_grad) X(on_exception)

#define ENUM(n) H_##n,
enum { HOOKS(ENUM) H_COUNT };
#define NAME(n) #n,
static const char *const hook_names[H_COUNT] = {HOOKS(NAME)};

typedef struct print_hooks {
    bool on[H_COUNT];
    char file[1024];
} print_hooks;

static void emit(lt_ctx *ctx, print_hooks *p, int h, const char *arg) {
    if (!p->on[h]) return;
    FILE *f = p->file[0] ? fopen(p->file, "a") : stdout;
    if (!f) return;
    fprintf(f, "hook %s%s%s epoch=%lld step=%lld\n", hook_names[h], arg ? " " : "", arg ? arg : "",
            (long long)ctx->current_epoch, (long long)ctx->global_step);
    if (f != stdout) fclose(f);
    else fflush(f);
}

static void *ph_create(lt_ctx *ctx, const lt_hparams *hp) {
    print_hooks *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->file, sizeof p->file, "%s", lt_hp_str(ctx, hp, "file", ""));
    const char *list = lt_hp_json(ctx, hp, "hooks");
    if (!list || !strcmp(list, "null")) {
        for (int h = 0; h < H_COUNT; h++) p->on[h] = true;
        return p;
    }
    cb_json_iter it;
    char key[8], name[128];
    int r;
    if (cb_json_begin(&it, list) || it.open != '[') goto bad;
    while ((r = cb_json_next(&it, key, sizeof key, name, sizeof name)) == 1) {
        int h = 0;
        while (h < H_COUNT && strcmp(hook_names[h], name)) h++;
        if (h == H_COUNT) {
            char known[1500] = "";
            for (int k = 0; k < H_COUNT; k++) {
                if (k) strcat(known, ", ");
                strcat(known, hook_names[k]);
            }
            lt_fail(ctx, "print_hooks: hooks: '%s' is not a callback hook (known: %s)", name, known);
            free(p);
            return NULL;
        }
        p->on[h] = true;
    }
    if (r == 0) return p;
bad:
    lt_fail(ctx, "print_hooks: hooks: expected a list of hook names, got %s", list);
    free(p);
    return NULL;
}

static void ph_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    free(self);
}

static const char *stage_name(lt_stage s) {
    return s == LT_STAGE_FIT ? "fit" : s == LT_STAGE_VALIDATE ? "validate"
                                   : s == LT_STAGE_TEST      ? "test" : "predict";
}

#define VOID_HOOK(n)                                                                         \
    static lt_status ph_##n(lt_ctx *ctx, void *self) {                                       \
        emit(ctx, self, H_##n, NULL);                                                        \
        return LT_OK;                                                                        \
    }
#define STAGE_HOOK(n)                                                                        \
    static lt_status ph_##n(lt_ctx *ctx, void *self, lt_stage s) {                           \
        emit(ctx, self, H_##n, stage_name(s));                                               \
        return LT_OK;                                                                        \
    }
#define BATCH_HOOK(n)                                                                        \
    static lt_status ph_##n(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) {               \
        (void)b;                                                                             \
        char a[32];                                                                          \
        snprintf(a, sizeof a, "%lld", (long long)i);                                         \
        emit(ctx, self, H_##n, a);                                                           \
        return LT_OK;                                                                        \
    }
#define BATCH_END_HOOK(n)                                                                    \
    static lt_status ph_##n(lt_ctx *ctx, void *self, lt_tensor *o, lt_batch *b, int64_t i) { \
        (void)o;                                                                             \
        (void)b;                                                                             \
        char a[32];                                                                          \
        snprintf(a, sizeof a, "%lld", (long long)i);                                         \
        emit(ctx, self, H_##n, a);                                                           \
        return LT_OK;                                                                        \
    }
STAGE_HOOK(setup)
STAGE_HOOK(teardown)
VOID_HOOK(on_fit_start)
VOID_HOOK(on_fit_end)
VOID_HOOK(on_sanity_check_start)
VOID_HOOK(on_sanity_check_end)
VOID_HOOK(on_train_start)
VOID_HOOK(on_train_end)
VOID_HOOK(on_validation_start)
VOID_HOOK(on_validation_end)
VOID_HOOK(on_test_start)
VOID_HOOK(on_test_end)
VOID_HOOK(on_predict_start)
VOID_HOOK(on_predict_end)
VOID_HOOK(on_train_epoch_start)
VOID_HOOK(on_train_epoch_end)
VOID_HOOK(on_validation_epoch_start)
VOID_HOOK(on_validation_epoch_end)
VOID_HOOK(on_test_epoch_start)
VOID_HOOK(on_test_epoch_end)
VOID_HOOK(on_predict_epoch_start)
VOID_HOOK(on_predict_epoch_end)
BATCH_HOOK(on_train_batch_start)
BATCH_END_HOOK(on_train_batch_end)
BATCH_HOOK(on_validation_batch_start)
BATCH_END_HOOK(on_validation_batch_end)
BATCH_HOOK(on_test_batch_start)
BATCH_END_HOOK(on_test_batch_end)
BATCH_HOOK(on_predict_batch_start)
BATCH_END_HOOK(on_predict_batch_end)
VOID_HOOK(on_after_backward)

static lt_status ph_on_before_backward(lt_ctx *ctx, void *self, lt_tensor *loss) {
    (void)loss;
    emit(ctx, self, H_on_before_backward, NULL);
    return LT_OK;
}
static lt_status ph_on_before_optimizer_step(lt_ctx *ctx, void *self, lt_optimizer *o) {
    emit(ctx, self, H_on_before_optimizer_step, lt_optimizer_name(ctx, o));
    return LT_OK;
}
static lt_status ph_on_before_zero_grad(lt_ctx *ctx, void *self, lt_optimizer *o) {
    emit(ctx, self, H_on_before_zero_grad, lt_optimizer_name(ctx, o));
    return LT_OK;
}
static void ph_on_exception(lt_ctx *ctx, void *self, const char *message) {
    emit(ctx, self, H_on_exception, message);
}

#define MEMBER(n) .n = ph_##n,
LT_CALLBACK(print_hooks, .create = ph_create, .destroy = ph_destroy, HOOKS(MEMBER))
