/* A well-formed module plugin, declared with the SDK macro. */
#include <ltrun.h>
static void *good_create(lt_ctx *ctx, const lt_hparams *hp) { return lt_alloc(ctx, 1); }
static lt_tensor *good_step(lt_ctx *ctx, void *self, lt_batch *b, int64_t i) { return NULL; }
LT_MODULE(good, .create = good_create, .training_step = good_step)
