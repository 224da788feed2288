/*
 * data_connector.c — Lightning's _DataConnector: asks the data module for a split's
 * dataset and builds its DataLoader under the Trainer's flags (the --data.* loader
 * overrides, overfit_batches' shuffle rule, use_distributed_sampler), warning as
 * Lightning does about an empty loader.
 */
#include "data/collate.h"
#include "trainer/loops/loops.h"
#include "trainer/trainer.h"

#include <stdio.h>
#include <string.h>

/* Ask the data module for a split and build its loader; a split it does not
 * provide (length < 0) simply has no loader. */
lt_status ltr_trainer_build_loader(ltr_trainer *t, lt_split split) {
    lt_status (*dataset)(lt_ctx *, void *, lt_split, lt_dataset *) = DM_HOOK(t, dataset);
    if (!dataset) {
        ltr_trainer_error(t, LTR_EXIT_PLUGIN, "data module '%s' (%s) has no dataset hook",
                          ltr_trainer_plugin_name(t, false), t->data_plugin.path);
        return LT_ERROR;
    }
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = -1;
    ds.batch_size = 1; /* torch.utils.data.DataLoader defaults */
    ds.prefetch_factor = 2; /* ABI 1.5: data loader (the rest are 0/false/NULL) */
    ds.seed = -1;
    ds.replacement = true;
    ltr_trainer_hook_begin(t, false, "dataset");
    if (ltr_trainer_hook_done(t, false, "dataset", dataset(&t->ctx.pub, t->dm, split, &ds)))
        return LT_ERROR;
    if (ds.length < 0) return LT_OK;
    ltr_loader_overrides_apply(&t->loader_over, &ds); /* --data.num_workers & co. */
    const ltr_limit *of = &t->opts->trainer.overfit_batches;
    if (t->opts->command == LTR_CMD_FIT && (split == LT_SPLIT_TRAIN || split == LT_SPLIT_VAL) &&
        (of->is_fraction ? of->fraction > 0 : of->count > 0) && ds.shuffle) {
        /* _resolve_overfit_batches */
        const char *p = split == LT_SPLIT_TRAIN ? "train" : "val";
        fprintf(stderr, "UserWarning: You requested to overfit but enabled %s dataloader "
                        "shuffling. We are turning off the %s dataloader shuffling for you.\n", p, p);
        ds.shuffle = false;
    }
    ltr_trainer_hook_begin(t, false, "dataset");
    const ltr_sampler_policy policy = {
        .use_distributed_sampler = t->opts->trainer.use_distributed_sampler,
        .overfit_batches = of->is_fraction ? of->fraction > 0 : of->count > 0,
    };
    lt_status rc = ltr_dataloader_init_policy(&t->loaders[split], &t->ctx.pub, &ds, split,
                                              DM_HOOK(t, get_item), t->dm, t->ctx.seed, &policy);
    if (rc == LT_OK) /* ABI 1.5: variable-length samples */
        rc = ltr_collate_attach(&t->loaders[split], DM_HOOK(t, item_shape));
    if (rc == LT_OK) t->loaders[split].worker_init = DM_HOOK(t, worker_init); /* ABI 1.5 */
    if (ltr_trainer_hook_done(t, false, "dataset", rc)) return LT_ERROR;
    t->has_loader[split] = true;
    /* data_connector's has_len_all_ranks: an empty loader is allowed but warned about */
    if (ltr_dataloader_len(&t->loaders[split]) == 0)
        fprintf(stderr, "UserWarning: Total length of `DataLoader` across ranks is zero. Please "
                        "make sure this was your intention. (the %s split of data module '%s')\n",
                ltr_split_name(split), ltr_trainer_plugin_name(t, false));
    return LT_OK;
}
