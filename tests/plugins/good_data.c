/* A well-formed data module plugin, declared with the SDK macro. */
#include <ltrun.h>
static lt_status good_dataset(lt_ctx *ctx, void *self, lt_split s, lt_dataset *ds) { return LT_OK; }
LT_DATAMODULE(gooddata, .dataset = good_dataset)
