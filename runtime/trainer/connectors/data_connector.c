/*
 * data_connector.c — Lightning's _DataConnector: asks the data module for a split's
 * dataset and builds its DataLoader under the Trainer's flags (the --data.* loader
 * overrides, overfit_batches' shuffle rule, use_distributed_sampler), warning as
 * Lightning does about an empty loader; and its prepare_data, with the
 * prepare_data_per_node attribute of the module and the data module (ABI 1.9).
 */
#include "data/collate.h"
#include "strategy/strategy.h"
#include "trainer/hooks.h"
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
    if (split == LT_SPLIT_TRAIN && t->opts->report) /* ltrun tune: the dataset's length */
        t->opts->report->train_samples = ds.length;
    /* data_connector's has_len_all_ranks: an empty loader is allowed but warned about */
    if (ltr_dataloader_len(&t->loaders[split]) == 0)
        fprintf(stderr, "UserWarning: Total length of `DataLoader` across ranks is zero. Please "
                        "make sure this was your intention. (the %s split of data module '%s')\n",
                ltr_split_name(split), ltr_trainer_plugin_name(t, false));
    return LT_OK;
}

/* ABI 1.9: module hooks — _DataConnector.prepare_data: the data module's prepare_data,
 * then the module's, each only where its prepare_data_per_node says (true: local rank 0
 * of every node; false: local rank 0 of node 0). Lightning wraps each in an
 * _InfiniteBarrier (its own process group, not strategy.barrier); here the other ranks
 * wait at the pre_setup barrier that follows. */
static lt_status call_prepare_data(ltr_trainer *t, bool is_module, bool per_node) {
    lt_status (*fn)(lt_ctx *, void *) =
        is_module ? MOD_HOOK(t, prepare_data) : DM_HOOK(t, prepare_data);
    const ltr_strategy *s = t->strategy;
    bool local_rank_zero = s->local_rank == 0, global_rank_zero = local_rank_zero && s->node_rank == 0;
    if (!fn || !(per_node ? local_rank_zero : global_rank_zero)) return LT_OK;
    ltr_trainer_hook_begin(t, is_module, "prepare_data");
    return ltr_trainer_hook_done(t, is_module, "prepare_data",
                                 fn(&t->ctx.pub, is_module ? t->module : t->dm));
}

lt_status ltr_prepare_data(ltr_trainer *t) {
    if (call_prepare_data(t, false, t->dm_prepare_data_per_node)) return LT_ERROR;
    return call_prepare_data(t, true, t->module_prepare_data_per_node);
}

/* lt_set_prepare_data_per_node: the attribute of the plugin whose create hook runs (the
 * module's comes first, then the data module's: create_instance in trainer.c). */
lt_status ltr_api_set_prepare_data_per_node(lt_ctx *c, bool per_node) {
    ltr_trainer *t = ltr_ctx_of(c)->trainer;
    if (!t) return ltr_fail(c, "lt_set_prepare_data_per_node: no trainer is running here");
    if (!t->module_created) t->module_prepare_data_per_node = per_node;
    else if (!t->dm_created) t->dm_prepare_data_per_node = per_node;
    else
        return ltr_fail(c, "lt_set_prepare_data_per_node: call it from the create hook of the "
                           "module or the data module (Lightning sets self.prepare_data_per_node "
                           "in __init__)");
    return LT_OK;
}
