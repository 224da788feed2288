/*
 * loader_bench.c — batches/s the host's DataLoader delivers from a data plugin to a
 * consumer that does nothing (speed check), at several num_workers.
 *
 *   loader_bench DATA_PLUGIN [--data.KEY VALUE ...] [--workers 0,1,2] [--seconds S]
 *                [--split train|val|test] [--prefetch N]
 *
 * The plugin is loaded and driven as ltrun does (create with the --data.* hparams,
 * prepare_data, setup(fit), dataset, get_item through runtime/data/), so any data
 * module works: mnist, a decode-heavy one (bench/zlib_data.c), HDF5 later. Each
 * num_workers runs whole epochs (a fresh shuffled order each) until S seconds have
 * passed (default 3) and prints one line: num_workers, batches, seconds, batches/s.
 */
#include "cli/hparams.h"
#include "core/context.h"
#include "data/dataloader.h"
#include "data/loader_options.h"
#include "plugin/loader.h"
#include "tensor/arena.h"
#include "util/rng.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DM(vt, m) LTR_HOOK(vt, lt_datamodule_vtable, m)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(ltr_ctx *ctx, const char *what) {
    char msg[1024] = "";
    ltr_ctx_take_error(ctx, msg, sizeof msg);
    fprintf(stderr, "loader_bench: %s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_PLUGIN [--data.KEY VALUE ...] [--workers 0,1,2] "
                        "[--seconds S] [--split train|val|test] [--prefetch N]\n", argv[0]);
        return 2;
    }
    const char *workers = "0,1,2";
    double seconds = 3;
    int prefetch = 2;
    lt_split split = LT_SPLIT_TRAIN;
    cJSON *given = cJSON_CreateObject();
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strncmp(k, "--data.", 7)) {
            cJSON *val = cJSON_ParseWithOpts(v, NULL, 1); /* as the CLI: JSON, else text */
            cJSON_AddItemToObject(given, k + 7, val ? val : cJSON_CreateString(v));
        } else if (!strcmp(k, "--workers")) {
            workers = v;
        } else if (!strcmp(k, "--seconds")) {
            seconds = atof(v);
        } else if (!strcmp(k, "--prefetch")) {
            prefetch = atoi(v);
        } else if (!strcmp(k, "--split")) {
            split = !strcmp(v, "val") ? LT_SPLIT_VAL : !strcmp(v, "test") ? LT_SPLIT_TEST
                                                                          : LT_SPLIT_TRAIN;
        } else {
            fprintf(stderr, "loader_bench: unknown option %s\n", k);
            return 2;
        }
    }
    char path[1024], err[1024];
    ltr_plugin plugin;
    if (ltr_plugin_resolve(argv[1], LT_KIND_DATAMODULE, path, sizeof path, err, sizeof err) ||
        ltr_plugin_load(path, LT_KIND_DATAMODULE, &plugin, err, sizeof err)) {
        fprintf(stderr, "loader_bench: %s\n", err);
        return 1;
    }
    const void *vt = plugin.desc->vtable;
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, ltr_host_api());
    ltr_rng rng;
    ltr_rng_seed(&rng, 1);
    ctx.rng = &rng;
    ctx.seed = 1;
    ctx.float_dtype = LT_FLOAT32;
    ctx.arena = ltr_arena_create(1 << 20);
    lt_hparams hp;
    ltr_hparams_init(&hp, given, "--data.");
    ltr_loader_overrides over; /* --data.num_workers & co. are the host's, as in ltrun */
    void *dm = DM(vt, create) ? DM(vt, create)(&ctx.pub, &hp) : NULL;
    if ((DM(vt, create) && !dm) || ctx.failed) return die(&ctx, "create");
    if (ltr_loader_overrides_read(&ctx.pub, &hp, &over)) return die(&ctx, "--data options");
    if (ltr_hparams_check_unread(&hp, plugin.desc->name, err, sizeof err)) {
        fprintf(stderr, "loader_bench: %s\n", err);
        return 2;
    }
    if (DM(vt, prepare_data) && DM(vt, prepare_data)(&ctx.pub, dm)) return die(&ctx, "prepare_data");
    if (DM(vt, setup) && DM(vt, setup)(&ctx.pub, dm, LT_STAGE_FIT)) return die(&ctx, "setup");
    lt_dataset ds0;
    memset(&ds0, 0, sizeof ds0);
    ds0.size = sizeof ds0;
    ds0.length = -1;
    ds0.batch_size = 1;
    ds0.prefetch_factor = 2;
    ds0.seed = -1;
    ds0.replacement = true;
    if (!DM(vt, dataset) || DM(vt, dataset)(&ctx.pub, dm, split, &ds0)) return die(&ctx, "dataset");
    if (ds0.length < 0) {
        fprintf(stderr, "loader_bench: the plugin has no %s split\n", ltr_split_name(split));
        return 1;
    }
    ltr_loader_overrides_apply(&over, &ds0);
    printf("# %s (%s split): %lld samples, batch_size %lld, shuffle %d\n", plugin.desc->name,
           ltr_split_name(split), (long long)ds0.length, (long long)ds0.batch_size, ds0.shuffle);
    printf("%-12s %10s %9s %12s\n", "num_workers", "batches", "seconds", "batches/s");
    for (const char *w = workers; *w;) {
        int nw = atoi(w);
        lt_dataset ds = ds0;
        ds.num_workers = nw;
        ds.prefetch_factor = nw ? prefetch : 2;
        ltr_dataloader dl;
        if (ltr_dataloader_init(&dl, &ctx.pub, &ds, split, DM(vt, get_item), dm, 1))
            return die(&ctx, "loader");
        int64_t nb = ltr_dataloader_len(&dl), done = 0;
        double t0 = now(), t = t0;
        for (int64_t e = 0; t - t0 < seconds; e++) {
            ltr_dataloader_set_epoch(&dl, e);
            for (int64_t b = 0; b < nb && (t = now()) - t0 < seconds; b++, done++) {
                lt_batch *batch;
                if (ltr_dataloader_get(&dl, b, &batch)) return die(&ctx, "get");
            }
        }
        t = now();
        ltr_dataloader_free(&dl);
        printf("%-12d %10lld %9.2f %12.1f\n", nw, (long long)done, t - t0, (double)done / (t - t0));
        fflush(stdout);
        w = strchr(w, ',');
        if (!w) break;
        w++;
    }
    if (DM(vt, teardown)) DM(vt, teardown)(&ctx.pub, dm, LT_STAGE_FIT);
    if (DM(vt, destroy)) DM(vt, destroy)(&ctx.pub, dm);
    ltr_ctx_free_allocs(&ctx);
    ltr_arena_destroy(ctx.arena);
    ltr_hparams_free(&hp);
    cJSON_Delete(given);
    ltr_plugin_unload(&plugin);
    return 0;
}
