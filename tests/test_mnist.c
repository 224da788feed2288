/*
 * test_mnist.c — the mnist data plugin against torch: its pixel table equals torchvision's
 * float32 ToTensor() + Normalize(), its train/val split is random_split with a seeded
 * torch.Generator (the permutation torch printed, tests/test_split.c), and its cache of
 * decompressed files tells apart two folders whose files have equal sizes and mtimes.
 * The IDX files are written here; the plugin is the built plugins/data/mnist.so.
 */
#include "cli/hparams.h"
#include "core/context.h"
#include "plugin/loader.h"

#include "check_run.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MNIST_SO LTR_TEST_BUILDDIR "/plugins/data/mnist.so"

static char tmpdir[256];

static void setup_tmp(void) {
    snprintf(tmpdir, sizeof tmpdir, "%s/ltrun-mnist.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_rf(const char *path) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* DIR/NAME as an IDX file of unsigned bytes (dims[0..nd-1]); gz: gzip level 0 (stored),
 * so equal-length data make equal-sized files whatever the bytes. */
static void write_idx(const char *dir, const char *name, int nd, const uint32_t *dims,
                      const uint8_t *data, size_t n, bool gz) {
    char path[512];
    unsigned char head[16];
    put_u32(head, 0x800u | (uint32_t)nd);
    for (int i = 0; i < nd; i++) put_u32(head + 4 * (i + 1), dims[i]);
    size_t hlen = 4 * ((size_t)nd + 1);
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile f = gzopen(path, "wb0");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(gzwrite(f, head, (unsigned)hlen), (int)hlen);
        ck_assert_int_eq(gzwrite(f, data, (unsigned)n), (int)n);
        ck_assert_int_eq(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(head, 1, hlen, f), hlen);
        ck_assert_uint_eq(fwrite(data, 1, n, f), n);
        ck_assert_int_eq(fclose(f), 0);
    }
}

/* a train set of n images rows x cols (pixels from px) with all-zero labels */
static void write_train(const char *dir, uint32_t n, uint32_t rows, uint32_t cols,
                        const uint8_t *px, bool gz) {
    mkdir(dir, 0755);
    uint32_t idims[3] = {n, rows, cols}, ldims[1] = {n};
    write_idx(dir, "train-images-idx3-ubyte", 3, idims, px, (size_t)n * rows * cols, gz);
    uint8_t *labels = calloc(n, 1);
    write_idx(dir, "train-labels-idx1-ubyte", 1, ldims, labels, n, gz);
    free(labels);
}

/* The plugin, created with `given` as its --data.* and set up for fit. */
typedef struct {
    ltr_plugin p;
    ltr_ctx ctx;
    lt_hparams hp;
    cJSON *given;
    void *self;
    const lt_datamodule_vtable *vt;
} mnist_run;

static void mnist_open(mnist_run *r, const char *json) {
    char err[2048] = "";
    memset(r, 0, sizeof *r);
    ck_assert_msg(ltr_plugin_load(MNIST_SO, LT_KIND_DATAMODULE, &r->p, err, sizeof err) == LT_OK,
                  "%s", err);
    r->vt = r->p.desc->vtable;
    ltr_ctx_init(&r->ctx, ltr_host_api());
    r->given = cJSON_Parse(json);
    ck_assert_ptr_nonnull(r->given);
    ltr_hparams_init(&r->hp, r->given, "--data.");
    r->self = r->vt->create(&r->ctx.pub, &r->hp);
    ck_assert_msg(r->self && !ltr_ctx_take_error(&r->ctx, err, sizeof err), "create: %s", err);
    ck_assert_msg(r->vt->setup(&r->ctx.pub, r->self, LT_STAGE_FIT) == LT_OK &&
                      !ltr_ctx_take_error(&r->ctx, err, sizeof err), "setup: %s", err);
}

static void mnist_item(mnist_run *r, lt_split split, int64_t i, float *img) {
    int64_t label;
    void *dst[2] = {img, &label};
    ck_assert_int_eq(r->vt->get_item(&r->ctx.pub, r->self, split, i, dst), LT_OK);
}

static void mnist_close(mnist_run *r) {
    r->vt->destroy(&r->ctx.pub, r->self);
    ltr_ctx_free_allocs(&r->ctx);
    ltr_hparams_free(&r->hp);
    cJSON_Delete(r->given);
    ltr_plugin_unload(&r->p);
}

/* torchvision, in torch's float32 steps: ToTensor's img.float().div(255), Normalize's
 * tensor.sub_(mean).div_(std) with float32 mean and std. Computed apart from the plugin's
 * way: each step exactly in double, then rounded to float, which is the float32 operation's
 * correctly rounded result (double has more than 2 * 24 + 2 bits, so rounding twice is
 * harmless for one +, -, * or /). */
static float torch_normalize(int pixel, double mean, double std) {
    float m = (float)mean, s = (float)std;
    float x = (float)((double)pixel / 255.0);
    x = (float)((double)x - (double)m);
    return (float)((double)x / (double)s);
}

START_TEST(table_equals_torchvision_float32) {
    setup_tmp();
    char dir[300];
    snprintf(dir, sizeof dir, "%s/lut", tmpdir);
    uint8_t px[2 * 256];
    for (int i = 0; i < 512; i++) px[i] = (uint8_t)(i & 255); /* two images of 0..255 */
    write_train(dir, 2, 16, 16, px, false);
    static const double norms[][2] = {{0.2860, 0.3530}, {0.1307, 0.3081}, {0.5, 0.5}, {0.0, 1.0}};
    for (size_t k = 0; k < sizeof norms / sizeof *norms; k++) {
        char json[512];
        snprintf(json, sizeof json, "{\"data_dir\": \"%s\", \"cache_dir\": \"none\", "
                 "\"val_size\": 1, \"mean\": %.17g, \"std\": %.17g}", dir, norms[k][0], norms[k][1]);
        mnist_run r;
        mnist_open(&r, json);
        float img[256];
        mnist_item(&r, LT_SPLIT_TRAIN, 0, img);
        int differ = 0;
        for (int v = 0; v < 256; v++) {
            float want = torch_normalize(v, norms[k][0], norms[k][1]);
            if (memcmp(&img[v], &want, sizeof want)) differ++;
        }
        ck_assert_msg(differ == 0, "mean %g std %g: %d of 256 values differ from torchvision's "
                      "float32", norms[k][0], norms[k][1], differ);
        mnist_close(&r);
    }
    rm_rf(tmpdir);
}
END_TEST

/* digest of tests/test_split.c: h = (h ^ v) * prime */
static uint64_t digest(const int64_t *v, int64_t n) {
    uint64_t h = 1469598103934665603ull;
    for (int64_t i = 0; i < n; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ull;
    return h;
}

START_TEST(split_is_torch_random_split) {
    setup_tmp();
    char dir[300];
    snprintf(dir, sizeof dir, "%s/split", tmpdir);
    enum { N = 60000, NVAL = 5000 };
    /* image i's 2x2 pixels spell i in base 256 */
    uint8_t *px = malloc(4 * N);
    for (uint32_t i = 0; i < N; i++)
        px[4 * i] = (uint8_t)i, px[4 * i + 1] = (uint8_t)(i >> 8), px[4 * i + 2] = (uint8_t)(i >> 16),
        px[4 * i + 3] = 0;
    write_train(dir, N, 2, 2, px, false);
    free(px);
    char json[512];
    snprintf(json, sizeof json, "{\"data_dir\": \"%s\", \"cache_dir\": \"none\", \"val_size\": "
             "%d, \"split_seed\": 42, \"mean\": 0, \"std\": 1}", dir, NVAL);
    mnist_run r;
    mnist_open(&r, json);
    /* the indices random_split(range(60000), [55000, 5000],
     * generator=torch.Generator().manual_seed(42)) gives, through lt_random_split */
    int64_t *perm = malloc(N * sizeof *perm), sizes[2];
    double lengths[2] = {N - NVAL, NVAL};
    ck_assert_int_eq(ltr_host_api()->random_split(&r.ctx.pub, N, lengths, 2, 42, perm, sizes), LT_OK);
    ck_assert_int_eq(sizes[0], N - NVAL);
    ck_assert_int_eq(sizes[1], NVAL);
    /* torch.randperm(60000, generator=torch.Generator().manual_seed(42)), as torch 1.13
     * printed it (test_split.c): its first three and the digest of all of it */
    ck_assert_int_eq(perm[0], 37542);
    ck_assert_int_eq(perm[1], 43087);
    ck_assert_int_eq(perm[2], 2992);
    ck_assert_uint_eq(digest(perm, N), 17482454573329060307ull);
    float img[4];
    int64_t wrong = 0, first_wrong = -1;
    for (int64_t k = 0; k < NVAL; k++) {
        mnist_item(&r, LT_SPLIT_VAL, k, img);
        int64_t idx = lrintf(img[0] * 255) | lrintf(img[1] * 255) << 8 | lrintf(img[2] * 255) << 16;
        if (idx != perm[N - NVAL + k] && wrong++ == 0) first_wrong = k;
    }
    ck_assert_msg(wrong == 0, "%lld of %d val samples are not torch's (first at %lld)",
                  (long long)wrong, NVAL, (long long)first_wrong);
    for (int64_t k = 0; k < N - NVAL; k += 997) {
        mnist_item(&r, LT_SPLIT_TRAIN, k, img);
        int64_t idx = lrintf(img[0] * 255) | lrintf(img[1] * 255) << 8 | lrintf(img[2] * 255) << 16;
        ck_assert_int_eq(idx, perm[k]);
    }
    free(perm);
    mnist_close(&r);
    rm_rf(tmpdir);
}
END_TEST

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Equal sizes and mtimes, different bytes: each folder's own data, even from the cache. */
START_TEST(cache_tells_folders_apart) {
    setup_tmp();
    char a[300], b[300], cache[300];
    snprintf(a, sizeof a, "%s/a", tmpdir);
    snprintf(b, sizeof b, "%s/b", tmpdir);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    uint8_t px[10 * 4];
    memset(px, 1, sizeof px);
    write_train(a, 10, 2, 2, px, true);
    memset(px, 2, sizeof px);
    write_train(b, 10, 2, 2, px, true);
    static const char *const names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
    struct timespec when[2] = {{.tv_sec = 1600000000, .tv_nsec = 5}, {.tv_sec = 1600000000, .tv_nsec = 5}};
    for (int i = 0; i < 2; i++)
        for (int f = 0; f < 2; f++) {
            char path[400];
            snprintf(path, sizeof path, "%s/%s", i ? b : a, names[f]);
            ck_assert_int_eq(utimensat(AT_FDCWD, path, when, 0), 0);
        }
    struct stat sa, sb;
    char pa[400], pb[400];
    snprintf(pa, sizeof pa, "%s/%s", a, names[0]);
    snprintf(pb, sizeof pb, "%s/%s", b, names[0]);
    ck_assert_int_eq(stat(pa, &sa), 0);
    ck_assert_int_eq(stat(pb, &sb), 0);
    ck_assert_int_eq(sa.st_size, sb.st_size); /* the case the old key could not tell apart */
    const char *dirs[] = {a, b, a, b};
    const float want[] = {1 / 255.0f, 2 / 255.0f, 1 / 255.0f, 2 / 255.0f};
    for (int run = 0; run < 4; run++) {
        char json[800];
        snprintf(json, sizeof json, "{\"data_dir\": \"%s\", \"cache_dir\": \"%s\", \"val_size\": 2, "
                 "\"mean\": 0, \"std\": 1}", dirs[run], cache);
        mnist_run r;
        mnist_open(&r, json);
        float img[4];
        mnist_item(&r, LT_SPLIT_TRAIN, 0, img);
        ck_assert_msg(img[0] == want[run], "run %d (%s): pixel %g, expected %g", run, dirs[run],
                      img[0] * 255, want[run] * 255);
        mnist_close(&r);
    }
    ck_assert_int_eq(count_files(cache), 4); /* images and labels of each folder, made once */
    rm_rf(tmpdir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("mnist");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, table_equals_torchvision_float32);
    tcase_add_test(tc, split_is_torch_random_split);
    tcase_add_test(tc, cache_tells_folders_apart);
    suite_add_tcase(s, tc);
    return ltr_test_run(s);
}
