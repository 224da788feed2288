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
#include <stdlib.h>
#include <string.h>

ltr_dataloader *ltr_trainer_loader(ltr_trainer *t, lt_split split, int k) {
    return k == 0 ? &t->loaders[split] : &t->more_loaders[split][k - 1];
}

void ltr_trainer_free_loaders(ltr_trainer *t, lt_split split) {
    if (!t->has_loader[split]) return;
    for (int k = t->nloaders[split] - 1; k >= 0; k--)
        ltr_dataloader_free(ltr_trainer_loader(t, split, k));
    free(t->more_loaders[split]);
    t->more_loaders[split] = NULL;
    t->nloaders[split] = 0;
    t->has_loader[split] = false;
}

/* Describe and build loader k of a split into dl; *absent when the data module gives
 * that loader no data (length < 0). */
static lt_status build_one(ltr_trainer *t, lt_split split, int k, ltr_dataloader *dl,
                           bool *absent) {
    lt_status (*dataset)(lt_ctx *, void *, lt_split, lt_dataset *) = DM_HOOK(t, dataset);
    lt_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.size = sizeof ds;
    ds.length = -1;
    ds.batch_size = 1; /* torch.utils.data.DataLoader defaults */
    ds.prefetch_factor = 2; /* ABI 1.5: data loader (the rest are 0/false/NULL) */
    ds.seed = -1;
    ds.replacement = true;
    ds.timeout = 0; /* ABI 1.9: DataLoader(timeout=0) */
    t->ctx.pub.dataloader_idx = k;
    ltr_trainer_hook_begin(t, false, "dataset");
    lt_status drc = dataset(&t->ctx.pub, t->dm, split, &ds);
    t->ctx.pub.dataloader_idx = 0;
    if (ltr_trainer_hook_done(t, false, "dataset", drc)) return LT_ERROR;
    *absent = ds.length < 0 && !ds.iterable; /* ABI 1.9: an iterable split of unknown length */
    if (*absent) return LT_OK;
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
    t->ctx.pub.dataloader_idx = k;
    lt_status rc = ltr_dataloader_init_policy(dl, &t->ctx.pub, &ds, split, DM_HOOK(t, get_item),
                                              t->dm, t->ctx.seed, &policy);
    if (rc == LT_OK) { /* before any worker or collate call sees its loader */
        dl->dataloader_idx = k;
        const ltr_loader_hooks hooks = {
            .item_shape = DM_HOOK(t, item_shape), /* ABI 1.5: variable-length samples */
            .worker_init = DM_HOOK(t, worker_init),
            .iter_begin = DM_HOOK(t, iter_begin), /* ABI 1.9: iterable datasets */
            .iter_next = DM_HOOK(t, iter_next),
            .iter_end = DM_HOOK(t, iter_end),
            .collate = DM_HOOK(t, collate), /* ABI 1.9: collate_fn */
        };
        rc = ltr_dataloader_attach(dl, &hooks);
    }
    t->ctx.pub.dataloader_idx = 0;
    if (ltr_trainer_hook_done(t, false, "dataset", rc)) {
        ltr_dataloader_free(dl);
        return LT_ERROR;
    }
    if (split == LT_SPLIT_TRAIN && t->opts->report) /* ltrun tune: the dataset's length */
        t->opts->report->train_samples = ds.length;
    /* has_len_all_ranks: an empty loader is allowed but warned about; an iterable dataset
     * with a __len__ is warned about (its workers may each yield it all) */
    if (ds.iterable && ds.length >= 0)
        fprintf(stderr, "UserWarning: Your `IterableDataset` has `__len__` defined. In "
                        "combination with multi-process data loading (when num_workers > 1), "
                        "`__len__` could be inaccurate if each worker is not configured "
                        "independently to avoid having duplicate data. (the %s split of data "
                        "module '%s')\n", ltr_split_name(split), ltr_trainer_plugin_name(t, false));
    if (ltr_dataloader_len(dl) == 0)
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
/* How many loaders the data module gives a split (ABI 1.9: num_dataloaders; the
 * train split always has one); 0 with an error reported when the count is too large. */
static int loader_count(ltr_trainer *t, lt_split split) {
    int32_t (*count)(lt_ctx *, void *, lt_split) = DM_HOOK(t, num_dataloaders);
    if (!count || split == LT_SPLIT_TRAIN) return 1;
    ltr_trainer_hook_begin(t, false, "num_dataloaders");
    int32_t n = count(&t->ctx.pub, t->dm, split);
    if (ltr_trainer_hook_done(t, false, "num_dataloaders", LT_OK)) return 0;
    if (n > LT_MAX_DATALOADERS) {
        ltr_trainer_error(t, LTR_EXIT_TRAINING,
                          "data module '%s' (%s), hook num_dataloaders: %d %s dataloaders, more "
                          "than ltrun's LT_MAX_DATALOADERS (%d): combine some datasets (ConcatDataset, "
                          "lt_concat_locate)", ltr_trainer_plugin_name(t, false), t->data_plugin.path,
                          (int)n, ltr_split_name(split), LT_MAX_DATALOADERS);
        return 0;
    }
    return n < 1 ? 1 : (int)n;
}

/* Ask the data module for a split's dataset(s) and build the loaders (Lightning's
 * _request_dataloader and a CombinedLoader in "sequential" mode over a returned list);
 * a split it does not provide (length < 0) simply has no loader. */
lt_status ltr_trainer_build_loader(ltr_trainer *t, lt_split split) {
    if (!DM_HOOK(t, dataset)) {
        ltr_trainer_error(t, LTR_EXIT_PLUGIN, "data module '%s' (%s) has no dataset hook",
                          ltr_trainer_plugin_name(t, false), t->data_plugin.path);
        return LT_ERROR;
    }
    int n = loader_count(t, split);
    if (n < 1) return LT_ERROR;
    bool absent = false;
    if (build_one(t, split, 0, &t->loaders[split], &absent)) return LT_ERROR;
    if (absent) return LT_OK;
    t->has_loader[split] = true;
    t->nloaders[split] = 1;
    if (n > 1) {
        t->more_loaders[split] = calloc((size_t)n - 1, sizeof *t->more_loaders[split]);
        if (!t->more_loaders[split]) {
            ltr_trainer_error(t, LTR_EXIT_TRAINING, "out of memory for %d %s dataloaders", n,
                              ltr_split_name(split));
            return LT_ERROR;
        }
    }
    for (int k = 1; k < n; k++) {
        if (build_one(t, split, k, &t->more_loaders[split][k - 1], &absent)) return LT_ERROR;
        if (absent) {
            ltr_trainer_error(t, LTR_EXIT_TRAINING,
                              "data module '%s' (%s): num_dataloaders gives the %s split %d "
                              "dataloaders but its dataset hook left dataloader %d without data "
                              "(length -1): describe every one of them",
                              ltr_trainer_plugin_name(t, false), t->data_plugin.path,
                              ltr_split_name(split), n, k);
            return LT_ERROR;
        }
        t->nloaders[split] = k + 1;
    }
    return LT_OK;
}

int64_t ltr_eval_max_batches(ltr_trainer *t, lt_split split, const char *flag, ltr_limit limit,
                             int64_t *out) {
    int64_t sum = 0;
    for (int k = 0; k < t->nloaders[split]; k++) {
        out[k] = ltr_limit_batches(t, flag, limit, ltr_dataloader_len(ltr_trainer_loader(t, split, k)));
        if (out[k] < 0) return -1;
        sum = ltr_batches_add(sum, out[k]); /* an iterable loader's is LTR_INF_BATCHES */
    }
    return sum;
}
