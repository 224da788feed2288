/*
 * test_checkpoint.c — HDF5 checkpoints below the CLI (runtime/checkpoint/): a round trip
 * of every piece (parameters and buffers in their dtypes, bfloat16 included; Adam's
 * per-parameter state and step counts; param groups with their options and initial_lr;
 * a scheduler's last_epoch/base_lrs/_last_lr; loop progress; the host RNG), and the
 * refusals (not HDF5, another HDF5 file, a newer format version, truncated data,
 * mismatched keys listed all at once, external links, external raw storage, virtual
 * datasets, weights-only for resuming), each leaving the module's parameters as they
 * were. Atomic writes: a failed save leaves the old file and no temporary file.
 * Through `ltrun`: tests/test_checkpoint.sh.
 */
#include "check_run.h"
#include "checkpoint/checkpoint.h"
#include "core/context.h"
#include "optim/configure.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"
#include "precision/precision.h"
#include "strategy/strategy.h"
#include "tensor/tensor.h"
#include "trainer/trainer.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char DIR_[256];
static char err[8192];

static void mkpath(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", DIR_, name); }

/* The test model: fc.weight [2,3], fc.bias [3] (float32), bn.mean [3] float64 buffer,
 * emb.bf [4] bfloat16 buffer; extra = another parameter "extra" [1] (for mismatches);
 * wshape changes fc.weight's second dimension. */
static ltr_trainer *make(int wshape, bool extra) {
    ltr_trainer *t = calloc(1, sizeof *t);
    ltr_ctx_init(&t->ctx, NULL);
    ltr_param_store_init(&t->params);
    t->ctx.params = &t->params;
    t->ctx.optim = &t->optim_setup;
    t->ctx.trainer = t;
    t->ctx.float_dtype = LT_FLOAT32;
    lt_ctx *c = &t->ctx.pub;
    int64_t ws[2] = {2, wshape}, three = 3, four = 4, one = 1;
    lt_tensor *w = ltr_param(c, "fc.weight", LT_FLOAT32, 2, ws);
    lt_tensor *b = ltr_param(c, "fc.bias", LT_FLOAT32, 1, &three);
    lt_tensor *m = ltr_buffer(c, "bn.mean", LT_FLOAT64, 1, &three);
    lt_tensor *bf = ltr_buffer(c, "emb.bf", LT_BFLOAT16, 1, &four);
    ck_assert_msg(w && b && m && bf, "%s", t->ctx.error);
    if (extra) ck_assert(ltr_param(c, "extra", LT_FLOAT32, 1, &one));
    for (int64_t i = 0; i < ltr_numel(w); i++) ((float *)w->data)[i] = 0.1f * (float)(i + 1);
    for (int i = 0; i < 3; i++) ((float *)b->data)[i] = -0.5f * (float)i;
    for (int i = 0; i < 3; i++) ((double *)m->data)[i] = 1.0 / 3.0 + i;
    for (int i = 0; i < 4; i++) ((uint16_t *)bf->data)[i] = (uint16_t)(0x3f80 + i);
    /* configure_optimizers: Adam with two groups (bias at lr 0.01), StepLR(1, 0.5) */
    t->optim_setup.configuring = true;
    lt_adam_options ao = LT_ADAM_DEFAULTS;
    lt_optimizer *o = ltr_adam(c, &ao);
    ck_assert_msg(o, "%s", t->ctx.error);
    int g = ltr_param_group_add(c, o, "fc.bias");
    ck_assert_int_eq(g, 1);
    ck_assert_int_eq(ltr_group_set(c, o, 1, "lr", 0.01), LT_OK);
    lt_lr_scheduler *s = ltr_step_lr(c, o, 1, 0.5);
    ck_assert_msg(s, "%s", t->ctx.error);
    ck_assert_int_eq(ltr_add_lr_scheduler(c, s, NULL), LT_OK);
    ck_assert_msg(ltr_optim_setup_finish(&t->optim_setup, c, o, true) == LT_OK, "%s", t->ctx.error);
    t->optim = o;
    ltr_rng_seed(&t->rng, 7);
    return t;
}

static void destroy(ltr_trainer *t) {
    ltr_optim_setup_free(&t->optim_setup);
    ltr_param_store_free(&t->params);
    ltr_ctx_free_allocs(&t->ctx);
    free(t);
}

/* two training steps with fixed grads, a scheduler step, some loop progress */
static void train(ltr_trainer *t) {
    for (int k = 0; k < 2; k++) {
        for (int64_t i = 0; i < t->params.count; i++) {
            lt_tensor *p = t->params.params[i];
            for (int64_t j = 0; j < ltr_numel(p); j++) ((float *)p->grad->data)[j] = 0.3f * (float)(j + k) - 0.2f;
            p->flags |= LTR_T_GRAD_DEFINED;
        }
        ck_assert_int_eq(ltr_optimizer_step(t->optim), LT_OK);
        ck_assert_int_eq(ltr_lr_scheduler_step(&t->ctx.pub, t->optim_setup.owned_sched[0]), LT_OK);
    }
    t->ctx.pub.global_step = 2;
    t->loop.epochs_processed = 1;
    t->loop.epoch_in_progress = true;
    t->loop.epoch_index = 1;
    t->loop.epoch_batches_done = 5;
    t->loop.total_batch_idx = 12;
    t->loop.batches_that_stepped = 11;
    for (int i = 0; i < 3; i++) ltr_rng_next(&t->rng);
}

static bool same_params(const ltr_trainer *a, const ltr_trainer *b) {
    return ltr_param_store_digest(&a->params) == ltr_param_store_digest(&b->params);
}

static void save_or_die(ltr_trainer *t, const char *path, bool weights_only) {
    ck_assert_msg(ltr_ckpt_save(t, path, weights_only, err, sizeof err) == LT_OK, "%s", err);
}

START_TEST(round_trip_every_piece) {
    char path[512];
    mkpath(path, sizeof path, "full.h5");
    ltr_trainer *a = make(3, false), *b = make(3, false);
    train(a);
    save_or_die(a, path, false);
    ck_assert(!same_params(a, b));
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ck_assert_ptr_null(ltr_ckpt_warning(c));
    ltr_ckpt_apply_weights(b, c);
    ck_assert_msg(ltr_ckpt_apply_training(b, c, err, sizeof err) == LT_OK, "%s", err);
    ltr_ckpt_close(c);
    /* weights and buffers, every dtype, bit for bit */
    ck_assert(same_params(a, b));
    ck_assert_int_eq(((uint16_t *)ltr_param_store_find_buffer(&b->params, "emb.bf")->data)[3], 0x3f83);
    /* optimizer: per-parameter state and steps, group options (lr after 2 StepLR steps) */
    lt_optimizer *oa = a->optim, *ob = b->optim;
    for (int64_t i = 0; i < oa->nstate; i++) {
        int64_t n = ltr_numel(a->params.params[i]);
        ck_assert_int_eq(ob->state[i].step, 2);
        ck_assert_mem_eq(oa->state[i].buf1->data, ob->state[i].buf1->data, (size_t)n * 4);
        ck_assert_mem_eq(oa->state[i].buf2->data, ob->state[i].buf2->data, (size_t)n * 4);
    }
    ck_assert_double_eq(*ltr_group_lr(ob, 0), 1e-3 * 0.25);
    ck_assert_double_eq(*ltr_group_lr(ob, 1), 0.01 * 0.25);
    ck_assert(ob->groups[1].has_initial_lr);
    ck_assert_double_eq(ob->groups[1].initial_lr, 0.01);
    /* scheduler */
    lt_lr_scheduler *sa = a->optim_setup.owned_sched[0], *sb = b->optim_setup.owned_sched[0];
    ck_assert_int_eq(sb->last_epoch, 2);
    ck_assert_int_eq(sb->step_count, sa->step_count);
    ck_assert_double_eq(sb->base_lrs[1], 0.01);
    ck_assert_double_eq(sb->last_lr[0], sa->last_lr[0]);
    /* loops: resume in epoch 1 at batch 5 */
    ck_assert_int_eq(b->loop.epochs_processed, 1);
    ck_assert_int_eq(b->ctx.pub.current_epoch, 1);
    ck_assert_int_eq(b->loop.resume_batch, 5);
    ck_assert_int_eq(b->loop.total_batch_idx, 12);
    ck_assert_int_eq(b->loop.batches_that_stepped, 11);
    ck_assert_int_eq(b->ctx.pub.global_step, 2);
    ck_assert(b->loop.restored);
    /* RNG */
    ck_assert_mem_eq(a->rng.s, b->rng.s, sizeof a->rng.s);
    /* and the next steps agree bit for bit */
    train(a);
    train(b);
    ck_assert(same_params(a, b));
    destroy(a);
    destroy(b);
}
END_TEST

/* torch's load_state_dict message: every missing, unexpected and mismatched key */
/* a data module may fix its loader's seed (lt_dataset.seed >= 0) apart from the
 * run's; a resume restores each to its own (the run's seed came back as the loader's,
 * so lt_seed and every loader built on the run's seed changed after a resume) */
START_TEST(run_seed_and_loader_seed_restored_apart) {
    char path[512];
    mkpath(path, sizeof path, "seeds.h5");
    ltr_trainer *a = make(3, false), *b = make(3, false);
    train(a);
    a->ctx.seed = 42;
    a->has_loader[LT_SPLIT_TRAIN] = true;
    a->loaders[LT_SPLIT_TRAIN].seed = 7; /* the data module's ds.seed */
    save_or_die(a, path, false);
    b->ctx.seed = 99;
    b->has_loader[LT_SPLIT_TRAIN] = true;
    b->loaders[LT_SPLIT_TRAIN].seed = 1;
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ltr_ckpt_apply_weights(b, c);
    ck_assert_msg(ltr_ckpt_apply_training(b, c, err, sizeof err) == LT_OK, "%s", err);
    ltr_ckpt_close(c);
    ck_assert_uint_eq(b->ctx.seed, 42);
    ck_assert_uint_eq(b->loaders[LT_SPLIT_TRAIN].seed, 7);
    a->has_loader[LT_SPLIT_TRAIN] = b->has_loader[LT_SPLIT_TRAIN] = false;
    destroy(a);
    destroy(b);
}
END_TEST

START_TEST(mismatch_lists_every_key_and_changes_nothing) {
    char path[512];
    mkpath(path, sizeof path, "src.h5");
    ltr_trainer *a = make(3, true);
    train(a);
    save_or_die(a, path, false);
    ltr_trainer *b = make(4, false); /* fc.weight [2,4]; no "extra" */
    ltr_param_store_free(&b->params); /* rebuild without the optimizer's view: only names matter */
    ltr_param_store_init(&b->params);
    int64_t ws[2] = {2, 4}, three = 3, two = 2;
    ltr_param(&b->ctx.pub, "fc.weight", LT_FLOAT32, 2, ws);
    ltr_param(&b->ctx.pub, "fc.bias", LT_FLOAT64, 1, &three); /* dtype mismatch */
    ltr_param(&b->ctx.pub, "new.weight", LT_FLOAT32, 1, &two);
    ((float *)b->params.params[0]->data)[0] = 42.0f;
    uint64_t before = ltr_param_store_digest(&b->params);
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "Error(s) in loading state_dict") && strstr(err, path), "%s", err);
    ck_assert_msg(strstr(err, "Missing key(s) in state_dict: \"new.weight\"."), "%s", err);
    ck_assert_msg(strstr(err, "Unexpected key(s) in state_dict: \"bn.mean\", \"emb.bf\", \"extra\"."),
                  "%s", err);
    ck_assert_msg(strstr(err, "size mismatch for fc.weight: copying a param with shape [2, 3] from "
                              "checkpoint, the shape in current model is [2, 4]."), "%s", err);
    ck_assert_msg(strstr(err, "dtype mismatch for fc.bias: float32 in the checkpoint, float64"), "%s", err);
    ck_assert_int_eq(ltr_param_store_digest(&b->params), before);
    ck_assert_float_eq(((float *)b->params.params[0]->data)[0], 42.0f);
    destroy(a);
    destroy(b);
}
END_TEST

START_TEST(non_strict_loads_the_matching_subset) {
    char path[512];
    mkpath(path, sizeof path, "sub.h5");
    ltr_trainer *a = make(3, true);
    train(a);
    save_or_die(a, path, true);
    /* strict=False forgives the unexpected "extra" and loads the rest */
    ltr_trainer *b = make(3, false);
    ltr_ckpt *c = ltr_ckpt_open(b, path, false, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    const char *w = ltr_ckpt_warning(c);
    ck_assert_msg(w && strstr(w, "Unexpected key(s) in state_dict: \"extra\"."), "%s", w ? w : "(none)");
    ltr_ckpt_apply_weights(b, c);
    /* weights_only files cannot resume a fit: Lightning's message */
    ck_assert_int_eq(ltr_ckpt_apply_training(b, c, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "contains only the model"), "%s", err);
    ltr_ckpt_close(c);
    lt_tensor *wa = ltr_param_store_find(&a->params, "fc.weight");
    lt_tensor *wb = ltr_param_store_find(&b->params, "fc.weight");
    ck_assert_mem_eq(wa->data, wb->data, 6 * sizeof(float));
    /* but never a size mismatch: torch's load_state_dict(strict=False) raises on it, and
     * lists only the mismatches (missing/unexpected keys are not errors then) */
    ltr_trainer *b4 = make(4, false);
    uint64_t before = ltr_param_store_digest(&b4->params);
    ck_assert(ltr_ckpt_open(b4, path, false, err, sizeof err) == NULL);
    ck_assert_msg(strstr(err, "Error(s) in loading state_dict") &&
                  strstr(err, "size mismatch for fc.weight: copying a param with shape [2, 3] from "
                              "checkpoint, the shape in current model is [2, 4].") &&
                  !strstr(err, "Unexpected key") && strstr(err, "--strict false included"), "%s", err);
    ck_assert_int_eq(ltr_param_store_digest(&b4->params), before);
    destroy(a);
    destroy(b);
    destroy(b4);
}
END_TEST

/* open must fail with `want` in the message and leave b's weights untouched */
static void refused(const char *path, const char *want) {
    ltr_trainer *b = make(3, false);
    uint64_t before = ltr_param_store_digest(&b->params);
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c == NULL, "%s was accepted", path);
    ck_assert_msg(strstr(err, want) && strstr(err, path), "expected '%s' in: %s", want, err);
    ck_assert_int_eq(ltr_param_store_digest(&b->params), before);
    destroy(b);
}

START_TEST(refusals) {
    char path[512], good[512];
    mkpath(good, sizeof good, "good.h5");
    ltr_trainer *a = make(3, false);
    save_or_die(a, good, false);
    destroy(a);
    /* not HDF5 */
    mkpath(path, sizeof path, "text.h5");
    FILE *f = fopen(path, "w");
    fputs("this is not a checkpoint\n", f);
    fclose(f);
    refused(path, "is not an HDF5 file");
    /* missing file */
    mkpath(path, sizeof path, "nope.h5");
    refused(path, "cannot open it");
    /* an HDF5 file of something else */
    mkpath(path, sizeof path, "foreign.h5");
    hid_t h = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int64_t three = 3;
    float v[3] = {1, 2, 3};
    ck_assert_int_eq(ltr_h5_write_array(h, "data", LT_FLOAT32, 1, &three, v), LT_OK);
    H5Fclose(h);
    refused(path, "not an ltrun checkpoint");
    /* a newer format version */
    mkpath(path, sizeof path, "newer.h5");
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, path);
    ck_assert_int_eq(system(cmd), 0);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t m = H5Gopen2(h, "meta", H5P_DEFAULT);
    H5Adelete(m, "format_version");
    ltr_h5_attr_i64(m, "format_version", 2);
    H5Gclose(m);
    H5Fclose(h);
    refused(path, "format version 2");
    refused(path, "upgrade ltrun");
    /* truncated: the first half of a good file */
    mkpath(path, sizeof path, "trunc.h5");
    snprintf(cmd, sizeof cmd, "head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'", good, good, path);
    ck_assert_int_eq(system(cmd), 0);
    ltr_trainer *b = make(3, false);
    uint64_t before = ltr_param_store_digest(&b->params);
    ck_assert_ptr_null(ltr_ckpt_open(b, path, true, err, sizeof err));
    ck_assert_msg(strstr(err, path) && (strstr(err, "truncated") || strstr(err, "corrupt") ||
                                        strstr(err, "not an HDF5")), "%s", err);
    ck_assert_int_eq(ltr_param_store_digest(&b->params), before);
    destroy(b);
    /* an external link */
    mkpath(path, sizeof path, "extlink.h5");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, path);
    ck_assert_int_eq(system(cmd), 0);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t sd = H5Gopen2(h, "state_dict", H5P_DEFAULT);
    ck_assert(H5Lcreate_external("/etc/passwd.h5", "/x", sd, "ext", H5P_DEFAULT, H5P_DEFAULT) >= 0);
    H5Gclose(sd);
    H5Fclose(h);
    refused(path, "external");
    /* external raw storage */
    mkpath(path, sizeof path, "extstore.h5");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, path);
    ck_assert_int_eq(system(cmd), 0);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(pl, "/etc/hostname", 0, 12);
    hsize_t d3 = 3;
    hid_t sp = H5Screate_simple(1, &d3, NULL);
    hid_t ds = H5Dcreate2(h, "extra/raw", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    ck_assert(ds >= 0);
    H5Dclose(ds);
    H5Pclose(pl);
    H5Fclose(h);
    refused(path, "keeps its data in external files");
    /* a virtual dataset */
    mkpath(path, sizeof path, "vds.h5");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, path);
    ck_assert_int_eq(system(cmd), 0);
    h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    pl = H5Pcreate(H5P_DATASET_CREATE);
    ck_assert(H5Pset_virtual(pl, sp, "/etc/other.h5", "/data", sp) >= 0);
    ds = H5Dcreate2(h, "extra/virtual", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    ck_assert(ds >= 0);
    H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
    H5Fclose(h);
    refused(path, "virtual dataset");
}
END_TEST

static int temp_files(void) {
    DIR *d = opendir(DIR_);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

START_TEST(failed_save_keeps_the_old_file) {
    char path[512], cmd[2400];
    mkpath(path, sizeof path, "keep.h5");
    ltr_trainer *a = make(3, false);
    save_or_die(a, path, false);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    /* a parameter name that cannot be a key makes the write fail halfway */
    int64_t one = 1;
    ck_assert(ltr_param(&a->ctx.pub, "bad/name", LT_FLOAT32, 1, &one));
    ck_assert_int_eq(ltr_ckpt_save(a, path, false, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "bad/name") && strstr(err, "unchanged"), "%s", err);
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    ck_assert_int_eq(ftell(f), size);
    fclose(f);
    ck_assert_int_eq(temp_files(), 0);
    /* the old file still loads */
    ltr_trainer *b = make(3, false);
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ltr_ckpt_close(c);
    /* a folder that does not exist */
    mkpath(path, sizeof path, "no/such/dir/x.h5");
    ck_assert_int_eq(ltr_ckpt_save(b, path, false, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "cannot create"), "%s", err);
    destroy(a);
    destroy(b);
    snprintf(cmd, sizeof cmd, "test ! -e '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* --trainer.checkpoint_compression: chunked + shuffle + gzip round trip */
static lt_tensor *add_big(ltr_trainer *t, bool fill) {
    int64_t shape[2] = {64, 100};
    lt_tensor *p = ltr_param(&t->ctx.pub, "big", LT_FLOAT32, 2, shape);
    ck_assert_msg(p, "%s", t->ctx.error);
    for (int64_t i = 0; fill && i < ltr_numel(p); i++) ((float *)p->data)[i] = (float)(i % 37) * 0.25f - 3.0f;
    return p;
}

START_TEST(compressed_round_trip) {
    char path[512], plain[512];
    mkpath(path, sizeof path, "gz.h5");
    mkpath(plain, sizeof plain, "plain.h5");
    ltr_trainer *a = make(3, false), *b = make(3, false);
    add_big(a, true);
    add_big(b, false);
    ck_assert_msg(ltr_ckpt_save_level(a, path, false, 6, err, sizeof err) == LT_OK, "%s", err);
    ck_assert_msg(ltr_ckpt_save_level(a, plain, false, 0, err, sizeof err) == LT_OK, "%s", err);
    /* the big tensor is chunked with a checksum either way, gzip-filtered when compressed */
    for (int k = 0; k < 2; k++) {
        hid_t f = H5Fopen(k ? plain : path, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = H5Dopen2(f, "state_dict/big", H5P_DEFAULT);
        hid_t pl = H5Dget_create_plist(d);
        ck_assert_int_eq(H5Pget_layout(pl), H5D_CHUNKED);
        bool gz = false, sum = false;
        for (int i = 0; i < H5Pget_nfilters(pl); i++) {
            unsigned flags, cd[8];
            size_t ncd = 8;
            H5Z_filter_t id = H5Pget_filter2(pl, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
            if (id == H5Z_FILTER_DEFLATE) gz = true;
            if (id == H5Z_FILTER_FLETCHER32) sum = true;
        }
        ck_assert_int_eq(gz, k == 0);
        ck_assert(sum);
        H5Pclose(pl);
        H5Dclose(d);
        H5Fclose(f);
    }
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ltr_ckpt_apply_weights(b, c);
    ltr_ckpt_close(c);
    ck_assert(same_params(a, b));
    /* out-of-range levels are refused */
    ck_assert_int_eq(ltr_ckpt_save_level(a, path, false, 10, err, sizeof err), LT_ERROR);
    ck_assert_msg(strstr(err, "checkpoint_compression"), "%s", err);
    destroy(a);
    destroy(b);
}
END_TEST

/* A precision with checkpoint state, as GradScaler's (scale, growth tracker): its
 * load_state_dict refuses a non-positive scale and then changes nothing. */
typedef struct scaler_state {
    double scale;
    int64_t growth_tracker;
} scaler_state;

static lt_status scaler_save(const ltr_precision *p, lt_ctx *ctx, cJSON *out) {
    (void)ctx;
    const scaler_state *st = p->impl;
    cJSON_AddNumberToObject(out, "scale", st->scale);
    cJSON_AddNumberToObject(out, "_growth_tracker", (double)st->growth_tracker);
    return LT_OK;
}

static lt_status scaler_load(ltr_precision *p, lt_ctx *ctx, const cJSON *state) {
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(state, "scale");
    const cJSON *gt = cJSON_GetObjectItemCaseSensitive(state, "_growth_tracker");
    if (!cJSON_IsNumber(sc) || !cJSON_IsNumber(gt) || sc->valuedouble <= 0)
        return ltr_fail(ctx, "the scale must be a positive number");
    scaler_state *st = p->impl;
    st->scale = sc->valuedouble;
    st->growth_tracker = (int64_t)gt->valuedouble;
    return LT_OK;
}

static const ltr_precision_ops scaler_ops = {
    .name = "32-true", .class_name = "TestScalerPrecision",
    .state_dict = scaler_save, .load_state_dict = scaler_load,
};

typedef struct scaled_run {
    scaler_state st;
    ltr_precision prec;
    ltr_strategy strategy;
} scaled_run;

static void use_scaler(ltr_trainer *t, scaled_run *r, double scale, int64_t tracker) {
    r->st = (scaler_state){scale, tracker};
    r->prec = (ltr_precision){.ops = &scaler_ops, .impl = &r->st};
    r->strategy = (ltr_strategy){.precision = &r->prec};
    t->strategy = &r->strategy;
}

static bool has_link(const char *path, const char *name) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    bool yes = H5Lexists(f, "precision", H5P_DEFAULT) > 0 &&
               (!name || H5Lexists(f, name, H5P_DEFAULT) > 0);
    H5Fclose(f);
    return yes;
}

/* Lightning's dump_checkpoint / restore_precision_plugin_state: a non-empty state under
 * the precision's class name, restored on resume before anything else; nothing for an
 * empty state; another class's entry is ignored; a refused state changes nothing */
START_TEST(precision_state_round_trip) {
    char path[512], plain[512];
    mkpath(path, sizeof path, "scaled.h5");
    mkpath(plain, sizeof plain, "plain.h5");
    scaled_run ra, rb;
    ltr_trainer *a = make(3, false), *b = make(3, false);
    use_scaler(a, &ra, 1024.0, 7);
    use_scaler(b, &rb, 65536.0, 0);
    train(a);
    save_or_die(a, path, false);
    ck_assert(has_link(path, "/precision/TestScalerPrecision"));
    ltr_ckpt *c = ltr_ckpt_open(b, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ltr_ckpt_apply_weights(b, c);
    ck_assert_msg(ltr_ckpt_apply_training(b, c, err, sizeof err) == LT_OK, "%s", err);
    ltr_ckpt_close(c);
    ck_assert_double_eq(rb.st.scale, 1024.0);
    ck_assert_int_eq(rb.st.growth_tracker, 7);
    /* weights-only files hold no precision state (dump_checkpoint's `if not weights_only`) */
    save_or_die(a, plain, true);
    ck_assert(!has_link(plain, NULL));
    /* the true precisions keep none: no /precision group */
    a->strategy = NULL;
    save_or_die(a, plain, false);
    ck_assert(!has_link(plain, NULL));
    /* a run whose precision has another class ignores the entry */
    ltr_trainer *d = make(3, false);
    c = ltr_ckpt_open(d, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ck_assert_msg(ltr_ckpt_apply_training(d, c, err, sizeof err) == LT_OK, "%s", err);
    ltr_ckpt_close(c);
    /* a state the precision refuses: the message names it, nothing is restored */
    use_scaler(a, &ra, -1.0, 3);
    save_or_die(a, path, false);
    ltr_trainer *e = make(3, false);
    scaled_run re;
    use_scaler(e, &re, 65536.0, 0);
    c = ltr_ckpt_open(e, path, true, err, sizeof err);
    ck_assert_msg(c, "%s", err);
    ck_assert_int_eq(ltr_ckpt_apply_training(e, c, err, sizeof err), LT_ERROR);
    ltr_ckpt_close(c);
    ck_assert_msg(strstr(err, "precision '32-true', load_state_dict: the scale must be a positive number"),
                  "%s", err);
    ck_assert_double_eq(re.st.scale, 65536.0);
    ck_assert_int_eq(e->ctx.pub.global_step, 0);
    ck_assert(!e->loop.restored);
    ck_assert_int_eq(e->optim->state[0].step, 0);
    /* a /precision entry that is not a JSON object is refused when the file is opened */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(f >= 0);
    hid_t g = H5Gopen2(f, "precision", H5P_DEFAULT);
    ck_assert(H5Ldelete(g, "TestScalerPrecision", H5P_DEFAULT) >= 0);
    ck_assert_int_eq(ltr_h5_write_str(g, "TestScalerPrecision", "[1, 2]"), LT_OK);
    H5Gclose(g);
    H5Fclose(f);
    refused(path, "dataset /precision/TestScalerPrecision is not a JSON object");
    destroy(a);
    destroy(b);
    destroy(d);
    destroy(e);
}
END_TEST

int main(void) {
    snprintf(DIR_, sizeof DIR_, "/tmp/ltr_ckpt_test.XXXXXX");
    if (!mkdtemp(DIR_)) return 1;
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_test(tc, round_trip_every_piece);
    tcase_add_test(tc, run_seed_and_loader_seed_restored_apart);
    tcase_add_test(tc, mismatch_lists_every_key_and_changes_nothing);
    tcase_add_test(tc, non_strict_loads_the_matching_subset);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, failed_save_keeps_the_old_file);
    tcase_add_test(tc, compressed_round_trip);
    tcase_add_test(tc, precision_state_round_trip);
    suite_add_tcase(s, tc);
    int rc = ltr_test_run(s);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd)) {}
    return rc;
}
