/* A second, separate file with a module named 'good' (registry duplicate test). */
#include <ltrun.h>
static void *twin_create(lt_ctx *ctx, const lt_hparams *hp) { return lt_alloc(ctx, 1); }
LT_MODULE(good, .create = twin_create)
