/*
 * mnist.c — data plugin `mnist` (installed in plugins/data; also built as
 * examples/mnist.so): a LightningDataModule in C for MNIST-format IDX files (MNIST,
 * Fashion-MNIST, EMNIST-style), gzipped or not.
 *
 *   --data.data_dir DIR    where train-images-idx3-ubyte[.gz] etc. are
 *                          (default: /usr/share/datasets/fashion-mnist, from the
 *                          Debian package dataset-fashion-mnist)
 *   --data.batch_size 128  --data.val_size 5000  --data.split_seed 42
 *   --data.mean 0.2860 --data.std 0.3530   Normalize() after ToTensor() (x/255);
 *                                          use 0.1307 / 0.3081 for MNIST digits
 *   --data.cache_dir DIR   where gzipped files are kept decompressed after their first
 *                          use, as torchvision's MNIST extracts its .gz files (default
 *                          $XDG_CACHE_HOME/ltrun/idx, else ~/.cache/ltrun/idx; "none"
 *                          turns it off). Inflating the 26 MB training images takes
 *                          ~0.3 s; reading the cached copy takes a few ms. A cached copy
 *                          is named by the source's real path and a 64-bit hash of its
 *                          bytes, written atomically, and ignored (rebuilt) if it does
 *                          not check out.
 *   --data.augment false   train-split augmentation, torchvision's
 *                          Compose([RandomCrop(28, padding=crop_padding),
 *                          RandomHorizontalFlip(flip_p), ToTensor(), Normalize()]):
 *                          the padding is the 0 pixel normalised, as RandomCrop pads
 *                          the raw image before Normalize. Deterministic under --seed:
 *                          each sample's draws come from lt_sample_rng (seed, epoch,
 *                          split, index), whatever thread fetches it.
 *   --data.crop_padding 2  --data.flip_p 0.5
 *   --data.num_classes 10  labels must be below it: EMNIST-style files with more classes
 *                          (balanced 47, byclass 62, letters 27 as its labels are 1..26)
 *
 * Like Lightning's MNIST examples: the 60000 training images are split into
 * 55000 train / 5000 val by random_split(full, [55000, 5000],
 * generator=torch.Generator().manual_seed(split_seed)), torch's permutation bit for bit;
 * test (and predict, as the examples' predict_dataloader) is the 10000 t10k images.
 * Samples: image float32 [1, 28, 28], label int64.
 */
#define LT_PLUGIN_DESCRIPTION "MNIST-format IDX files (Fashion-MNIST by default)"
#include <ltrun.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The bytes of one IDX file: malloc'd (inflated from .gz) or a read-only mapping of a
 * plain file (the cached copy, or the user's uncompressed file). */
typedef struct idx_bytes {
    uint8_t *data;
    void *map; /* non-NULL: data lies in this mapping of map_len bytes */
    size_t map_len;
} idx_bytes;

typedef struct idx_set {
    uint8_t *images; /* n * rows * cols */
    uint8_t *labels; /* n */
    idx_bytes image_bytes, label_bytes;
    int64_t n, rows, cols;
} idx_set;

typedef struct mnist {
    const char *data_dir;
    char cache_dir[1024]; /* "" = no cache */
    int64_t batch_size, val_size, split_seed;
    int64_t num_classes; /* labels must be 0..num_classes-1 (10; EMNIST: 47, 27, 62) */
    float lut[256];     /* pixel value -> normalised float */
    idx_set train, test;
    int64_t *perm;      /* random_split permutation of the 60000 training images */
    int64_t ntrain, nval;
    bool augment;       /* RandomCrop + RandomHorizontalFlip on the train split */
    int64_t crop_padding;
    double flip_p;
} mnist;

/* torchvision's ToTensor() + Normalize(mean, std) of each pixel value, in its float32
 * steps: img.float().div(255), then tensor.sub_(mean).div_(std) with mean and std as
 * float32 tensors. Each step is rounded to float32 on its own (volatile: no wider
 * intermediate, no fused or reassociated operation), so the table equals torch's values
 * bit for bit; computing in double and rounding once differs in 166 of 256 values. */
static void build_lut(float lut[256], double mean, double std) {
    volatile float m = (float)mean, s = (float)std;
    for (int v = 0; v < 256; v++) {
        volatile float x = (float)v;
        x = x / 255.0f;
        x = x - m;
        x = x / s;
        lut[v] = x;
    }
}

static void *mnist_create(lt_ctx *ctx, const lt_hparams *hp) {
    mnist *d = lt_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    d->data_dir = lt_hp_str(ctx, hp, "data_dir", "/usr/share/datasets/fashion-mnist");
    d->batch_size = lt_hp_int(ctx, hp, "batch_size", 128);
    d->val_size = lt_hp_int(ctx, hp, "val_size", 5000);
    d->split_seed = lt_hp_int(ctx, hp, "split_seed", 42);
    const char *cache = lt_hp_str(ctx, hp, "cache_dir", "");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (!strcmp(cache, "none")) d->cache_dir[0] = '\0';
    else if (*cache) snprintf(d->cache_dir, sizeof d->cache_dir, "%s", cache);
    else if (xdg && *xdg) snprintf(d->cache_dir, sizeof d->cache_dir, "%s/ltrun/idx", xdg);
    else if (home && *home) snprintf(d->cache_dir, sizeof d->cache_dir, "%s/.cache/ltrun/idx", home);
    d->augment = lt_hp_bool(ctx, hp, "augment", false);
    d->num_classes = lt_hp_int(ctx, hp, "num_classes", 10);
    if (d->num_classes < 1 || d->num_classes > 256) {
        lt_fail(ctx, "--data.num_classes must be 1..256 (IDX labels are bytes), got %lld",
                (long long)d->num_classes);
        return NULL;
    }
    d->crop_padding = lt_hp_int(ctx, hp, "crop_padding", 2);
    d->flip_p = lt_hp_float(ctx, hp, "flip_p", 0.5);
    if (d->crop_padding < 0 || !(d->flip_p >= 0 && d->flip_p <= 1)) {
        lt_fail(ctx, "--data.crop_padding must be >= 0 and --data.flip_p in [0, 1], got %lld "
                     "and %g", (long long)d->crop_padding, d->flip_p);
        return NULL;
    }
    double mean = lt_hp_float(ctx, hp, "mean", 0.2860);
    double std = lt_hp_float(ctx, hp, "std", 0.3530);
    if (d->batch_size < 1) {
        lt_fail(ctx, "--data.batch_size must be >= 1, got %lld", (long long)d->batch_size);
        return NULL;
    }
    if (!(std > 0)) {
        lt_fail(ctx, "--data.std must be > 0, got %g", std);
        return NULL;
    }
    build_lut(d->lut, mean, std);
    return d;
}

static void free_bytes(idx_bytes *b) {
    if (b->map) munmap(b->map, b->map_len);
    else free(b->data);
}

static void free_set(idx_set *s) {
    free_bytes(&s->image_bytes);
    free_bytes(&s->label_bytes);
    memset(s, 0, sizeof *s);
}

static void mnist_destroy(lt_ctx *ctx, void *self) {
    mnist *d = self;
    free_set(&d->train);
    free_set(&d->test);
    free(d->perm);
}

/* Open DIR/NAME or DIR/NAME.gz; gzread reads plain files as they are. */
static gzFile open_idx(lt_ctx *ctx, const char *dir, const char *name, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s.gz", dir, name);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(path, cap, "%s/%s", dir, name);
        f = gzopen(path, "rb");
    }
    if (!f)
        lt_fail(ctx, "cannot open %s/%s[.gz]: %s (install dataset-fashion-mnist, or point "
                     "--data.data_dir at a folder of IDX files)", dir, name, strerror(errno));
    return f;
}

static int read_u32be(gzFile f, uint32_t *out) {
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* zlib's word on a failed gzread: a corrupt .gz is named as such, not as a bad magic
 * or a truncated file */
static bool gz_corrupt(lt_ctx *ctx, gzFile f, const char *path) {
    int err = Z_OK;
    const char *msg = gzerror(f, &err);
    if (err == Z_OK || err == Z_BUF_ERROR) return false; /* Z_BUF_ERROR: ends early */
    size_t plen = strlen(path); /* gzerror's text starts with the path */
    if (!strncmp(msg, path, plen) && !strncmp(msg + plen, ": ", 2)) msg += plen + 2;
    lt_fail(ctx, "%s: corrupt gzip data (zlib: %s): re-download the file", path, msg);
    return true;
}

/* Read one IDX stream: magic 0x0000080D (unsigned byte, D dims), D big-endian sizes,
 * data. Errors name `path`. `most`: the data bytes the file can hold (a plain file's
 * size less its header; a .gz file's size times deflate's largest ratio, 1032), so that
 * a corrupt header is reported as such instead of an overflowed product or a
 * terabyte allocation. */
static uint8_t *read_idx_stream(lt_ctx *ctx, gzFile f, const char *path, int want_dims,
                                int64_t dims[3], int64_t most) {
    uint8_t *data = NULL;
    uint32_t magic = 0;
    if (read_u32be(f, &magic) && gz_corrupt(ctx, f, path)) return NULL;
    if (magic != (uint32_t)(0x800 | want_dims)) {
        lt_fail(ctx, "%s: not an IDX file of %d-dimensional unsigned bytes (magic 0x%08x, "
                     "expected 0x%08x)", path, want_dims, magic, 0x800u | (unsigned)want_dims);
        return NULL;
    }
    int64_t total = 1;
    for (int i = 0; i < want_dims; i++) {
        uint32_t v;
        if (read_u32be(f, &v) || v == 0 || v > 100000000u) {
            if (!gz_corrupt(ctx, f, path))
                lt_fail(ctx, "%s: bad or truncated header (dimension %d)", path, i);
            return NULL;
        }
        dims[i] = v;
        if (total > most / v) { /* also keeps the product from overflowing */
            lt_fail(ctx, "%s: truncated, or a corrupt header: its dimensions need more data "
                         "than the file can hold (%lld bytes at most; re-download or "
                         "reinstall the file)", path, (long long)most);
            return NULL;
        }
        total *= v;
    }
    data = malloc((size_t)total);
    if (!data) {
        lt_fail(ctx, "%s: out of memory for %lld bytes", path, (long long)total);
        return NULL;
    }
    int64_t got = 0;
    while (got < total) {
        unsigned chunk = total - got > (1 << 30) ? 1u << 30 : (unsigned)(total - got);
        int r = gzread(f, data + got, chunk);
        if (r <= 0) break;
        got += r;
    }
    unsigned char extra;
    if (got != total && gz_corrupt(ctx, f, path)) {
        free(data);
        return NULL;
    }
    if (got != total || gzread(f, &extra, 1) != 0) {
        lt_fail(ctx, "%s: %s: %lld of %lld data bytes (re-download or reinstall the file)", path,
                got != total ? "truncated" : "trailing bytes", (long long)got, (long long)total);
        free(data);
        data = NULL;
    }
    return data;
}

/* Write the decompressed file to the cache: temp file + rename, so a reader sees a whole
 * copy or none. Failing to cache (read-only home, full disk) only costs speed. */
static void write_cache(lt_ctx *ctx, const char *cpath, int want_dims, const int64_t dims[3],
                        const uint8_t *data) {
    char dir[2200], tmp[2300];
    snprintf(dir, sizeof dir, "%s", cpath);
    for (char *p = dir + 1; *p; p++) /* mkdir -p of the folder */
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    /* the host's temporary file (O_EXCL, a name nobody can predict): a symlink planted in
     * a shared cache folder is never written through */
    int fd = lt_tmp_create(ctx, cpath, tmp, sizeof tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0) close(fd), unlink(tmp);
        return;
    }
    unsigned char head[16];
    uint32_t words[4] = {0x800u | (uint32_t)want_dims};
    int64_t total = 1;
    for (int i = 0; i < want_dims; i++) words[i + 1] = (uint32_t)dims[i], total *= dims[i];
    for (int i = 0; i <= want_dims; i++)
        for (int b = 0; b < 4; b++) head[4 * i + b] = (unsigned char)(words[i] >> (24 - 8 * b));
    bool ok = fwrite(head, 4, (size_t)want_dims + 1, f) == (size_t)want_dims + 1 &&
              fwrite(data, 1, (size_t)total, f) == (size_t)total;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, cpath) != 0) unlink(tmp);
}

/* Map a plain IDX file; NULL (quietly) unless its header and size check out exactly. */
static bool map_idx(const char *path, int want_dims, int64_t dims[3], idx_bytes *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    void *map = MAP_FAILED;
    size_t head = 4 * ((size_t)want_dims + 1);
    if (fstat(fd, &st) == 0 && (size_t)st.st_size > head)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return false;
    const unsigned char *p = map;
    int64_t total = 1;
    bool ok = true;
    for (int i = 0; i <= want_dims; i++) {
        uint32_t v = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                     (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        if (i == 0) ok = v == (0x800u | (uint32_t)want_dims);
        else if (ok && (v == 0 || v > 100000000u || total > (int64_t)st.st_size / v)) ok = false;
        else if (ok) total *= (dims[i - 1] = v);
    }
    if (!ok || (size_t)st.st_size != head + (size_t)total) {
        munmap(map, (size_t)st.st_size);
        return false;
    }
    *out = (idx_bytes){(uint8_t *)map + head, map, (size_t)st.st_size};
    return true;
}

/* A 64-bit hash of a byte range, xxHash64's rounds on four independent lanes (so the
 * multiplies overlap); not a cryptographic hash. Fashion-MNIST's 26 MB train-images .gz
 * hashes in ~6 ms from the page cache (13 ms the first time), mapping included. */
static uint64_t rotl64(uint64_t x, int r) { return x << r | x >> (64 - r); }
static uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t seed) {
    const uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull,
                   P3 = 1609587929392839161ull, P4 = 9650029242287828579ull,
                   P5 = 2870177450012600261ull;
    uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            v[l] = rotl64(v[l] + w * P2, 31) * P1;
        }
    uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
    for (int l = 0; l < 4; l++) h = (h ^ rotl64(v[l] * P2, 31) * P1) * P1 + P4;
    h += (uint64_t)n;
    for (; i < n; i++) h = rotl64(h ^ p[i] * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

/* The hash of a whole file's bytes (mapped); false when it cannot be read. */
static bool hash_file(const char *path, uint64_t *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    void *map = MAP_FAILED;
    if (ok && st.st_size > 0) map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (!ok || (st.st_size > 0 && map == MAP_FAILED)) return false;
    if (st.st_size > 0) madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    *out = hash_bytes(st.st_size > 0 ? map : (const void *)"", (size_t)st.st_size, 0);
    if (st.st_size > 0) munmap(map, (size_t)st.st_size);
    return true;
}

/* DIR/NAME.gz through its decompressed cached copy (made here on first use), or
 * DIR/NAME.gz inflated, or a plain DIR/NAME (mapped when it checks out, else read so
 * that its errors are reported). */
static lt_status read_idx(lt_ctx *ctx, const mnist *d, const char *name, int want_dims,
                          int64_t dims[3], idx_bytes *out) {
    char path[4096], cpath[2200] = "";
    snprintf(path, sizeof path, "%s/%s.gz", d->data_dir, name);
    struct stat st;
    bool gz = stat(path, &st) == 0;
    char real[PATH_MAX];
    uint64_t content;
    if (gz && d->cache_dir[0] && realpath(path, real) && hash_file(real, &content)) {
        /* the cached copy is named by what it was made from: the source's real path and
         * a hash of its bytes (size and mtime alone let two folders of equal-sized files
         * share one copy) */
        uint64_t where = hash_bytes((const uint8_t *)real, strlen(real), 0);
        snprintf(cpath, sizeof cpath, "%s/%s-%016llx-%016llx", d->cache_dir, name,
                 (unsigned long long)where, (unsigned long long)content);
        if (map_idx(cpath, want_dims, dims, out)) return LT_OK;
    }
    if (!gz) {
        snprintf(path, sizeof path, "%s/%s", d->data_dir, name);
        if (map_idx(path, want_dims, dims, out)) return LT_OK;
    }
    gzFile f = open_idx(ctx, d->data_dir, name, path, sizeof path);
    if (!f) return LT_ERROR;
    gzbuffer(f, 1 << 18);
    int64_t most = INT64_MAX / 2048;
    if (stat(path, &st) == 0) {
        size_t plen = strlen(path);
        bool zipped = plen > 3 && !strcmp(path + plen - 3, ".gz");
        most = zipped ? (int64_t)st.st_size * 1032 : (int64_t)st.st_size - 4 * (want_dims + 1);
        if (most < 1) most = 1;
    }
    uint8_t *data = read_idx_stream(ctx, f, path, want_dims, dims, most);
    gzclose(f);
    if (!data) return LT_ERROR;
    if (cpath[0]) write_cache(ctx, cpath, want_dims, dims, data);
    *out = (idx_bytes){data, NULL, 0};
    return LT_OK;
}

static lt_status load_set(lt_ctx *ctx, mnist *d, const char *prefix, idx_set *s) {
    char name[64];
    int64_t idims[3], ldims[3];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if (read_idx(ctx, d, name, 3, idims, &s->image_bytes)) return LT_ERROR;
    s->images = s->image_bytes.data;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (read_idx(ctx, d, name, 1, ldims, &s->label_bytes)) return LT_ERROR;
    s->labels = s->label_bytes.data;
    if (idims[0] != ldims[0])
        return lt_fail(ctx, "%s/%s-*: %lld images but %lld labels", d->data_dir, prefix,
                       (long long)idims[0], (long long)ldims[0]);
    for (int64_t i = 0; i < ldims[0]; i++)
        if (s->labels[i] >= d->num_classes)
            return lt_fail(ctx, "%s/%s-labels-idx1-ubyte: label %d at index %lld is not a class "
                                "0..%lld (EMNIST-style files with more classes: set "
                                "--data.num_classes and the model's)", d->data_dir, prefix,
                           s->labels[i], (long long)i, (long long)d->num_classes - 1);
    s->n = idims[0];
    s->rows = idims[1];
    s->cols = idims[2];
    return LT_OK;
}

static lt_status mnist_setup(lt_ctx *ctx, void *self, lt_stage stage) {
    mnist *d = self;
    if ((stage == LT_STAGE_FIT || stage == LT_STAGE_VALIDATE) && !d->train.images) {
        if (load_set(ctx, d, "train", &d->train)) return LT_ERROR;
        if (d->val_size < 0 || d->val_size >= d->train.n)
            return lt_fail(ctx, "--data.val_size %lld: must be in [0, %lld)",
                           (long long)d->val_size, (long long)d->train.n);
        d->nval = d->val_size;
        d->ntrain = d->train.n - d->nval;
        d->perm = malloc((size_t)d->train.n * sizeof *d->perm);
        if (!d->perm) return lt_fail(ctx, "out of memory");
        /* random_split(full, [ntrain, nval], generator=torch.Generator().manual_seed(
         * split_seed)), torch's permutation: its first ntrain are train, the rest val */
        double lengths[2] = {(double)d->ntrain, (double)d->nval};
        int64_t sizes[2];
        if (lt_random_split(ctx, d->train.n, lengths, 2, (uint64_t)d->split_seed, d->perm, sizes))
            return LT_ERROR;
    }
    /* predict runs on the held-out images, as Lightning's MNIST examples'
     * predict_dataloader does (setup("predict") loads the test set) */
    if ((stage == LT_STAGE_TEST || stage == LT_STAGE_PREDICT) && !d->test.images)
        if (load_set(ctx, d, "t10k", &d->test)) return LT_ERROR;
    return LT_OK;
}

static const idx_set *split_set(const mnist *d, lt_split split) {
    return split == LT_SPLIT_TEST || split == LT_SPLIT_PREDICT ? &d->test : &d->train;
}

static lt_status mnist_dataset(lt_ctx *ctx, void *self, lt_split split, lt_dataset *ds) {
    mnist *d = self;
    const idx_set *s = split_set(d, split);
    if (!s->images) return LT_OK; /* not set up: no data */
    ds->length = split == LT_SPLIT_TRAIN ? d->ntrain : split == LT_SPLIT_VAL ? d->nval : s->n;
    if (split == LT_SPLIT_VAL && d->nval == 0) ds->length = -1;
    ds->batch_size = d->batch_size;
    ds->shuffle = split == LT_SPLIT_TRAIN;
    ds->nfields = 2;
    ds->fields[0] = (lt_field){.name = "image", .dtype = LT_FLOAT32, .ndim = 3,
                               .shape = {1, s->rows, s->cols}};
    ds->fields[1] = (lt_field){.name = "label", .dtype = LT_INT64, .ndim = 0};
    return LT_OK;
}

/* out[p] = lut[px[p]]. A shuffled epoch reads image rows at random: every row's cache
 * lines are requested at once (one memory round trip instead of one per line), and the
 * table lookups run four at a time (independent loads; the scalar loop waited on each). */
static void normalise(float *restrict out, const uint8_t *restrict px, int64_t n,
                      const float *restrict lut, bool stream) {
    for (int64_t p = 0; p < n; p += 64) __builtin_prefetch(px + p);
    int64_t p = 0;
#ifdef __SSE2__
    /* streaming stores (stream: out is a batch row, written once and read later by the
     * step): skipping the read-for-ownership of each line halves the memory traffic. A
     * scratch image read again at once (augmentation) keeps ordinary, cached stores. */
    if (stream && ((uintptr_t)out & 15) == 0) {
        for (; p + 4 <= n; p += 4)
            _mm_stream_ps(out + p, _mm_setr_ps(lut[px[p]], lut[px[p + 1]], lut[px[p + 2]],
                                               lut[px[p + 3]]));
        _mm_sfence();
    }
#endif
    for (; p + 4 <= n; p += 4) {
        float a = lut[px[p]], b = lut[px[p + 1]], c = lut[px[p + 2]], e = lut[px[p + 3]];
        out[p] = a;
        out[p + 1] = b;
        out[p + 2] = c;
        out[p + 3] = e;
    }
    for (; p < n; p++) out[p] = lut[px[p]];
}

static lt_status mnist_get_item(lt_ctx *ctx, void *self, lt_split split, int64_t index,
                                void *const *dst) {
    mnist *d = self;
    const idx_set *s = split_set(d, split);
    int64_t i = index;
    if (split == LT_SPLIT_TRAIN) i = d->perm[index];
    else if (split == LT_SPLIT_VAL) i = d->perm[d->ntrain + index];
    int64_t npix = s->rows * s->cols;
    const uint8_t *px = s->images + i * npix;
    float *out = dst[0];
    *(int64_t *)dst[1] = s->labels[i];
    if (!(d->augment && split == LT_SPLIT_TRAIN)) {
        normalise(out, px, npix, d->lut, true);
        return LT_OK;
    }
    /* RandomCrop(size, padding, fill 0 pixel) then RandomHorizontalFlip(p) (loader
     * thread: plain buffers only) */
    float stack_img[28 * 28 * 4]; /* MNIST-sized images need no allocation per sample */
    float *img = npix <= (int64_t)(sizeof stack_img / sizeof *stack_img)
                     ? stack_img : malloc((size_t)npix * sizeof *img);
    if (!img) return lt_fail(ctx, "out of memory augmenting sample %lld", (long long)index);
    normalise(img, px, npix, d->lut, false);
    lt_rng rng;
    lt_sample_rng(ctx, split, index, &rng);
    int64_t pad = d->crop_padding;
    lt_crop_options crop = {.size_h = s->rows, .size_w = s->cols, .padding = {pad, pad, pad, pad},
                            .fill = d->lut[0], .padding_mode = LT_PAD_CONSTANT};
    lt_status rc = lt_tf_random_crop(ctx, &rng, img, 1, s->rows, s->cols, out, &crop);
    if (img != stack_img) free(img);
    if (rc == LT_OK) lt_tf_random_hflip(ctx, &rng, out, 1, s->rows, s->cols, d->flip_p);
    return rc;
}

LT_DATAMODULE(mnist, .create = mnist_create, .destroy = mnist_destroy, .setup = mnist_setup,
              .dataset = mnist_dataset, .get_item = mnist_get_item)
