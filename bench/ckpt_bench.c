/*
 * ckpt_bench.c — save and load a 100M-parameter model as an ltrun checkpoint, beside
 * writing (and reading) the same bytes with plain write() + fsync() ("Speed").
 *
 *   bench/ckpt_bench DIR [COMPRESSION] [MPARAMS]
 *
 * The model: 4 float32 parameters of MPARAMS/4 million elements each (100 by default),
 * filled with a non-constant pattern. Each side runs REPS times, alternating (raw, ltrun, raw,
 * ltrun, ...), and the fastest run counts. save = ltr_ckpt_save_level (temp file, H5Fflush,
 * fsync, rename, fsync of the folder); load = ltr_ckpt_open (validate and read the whole
 * state_dict) + ltr_ckpt_apply_weights. Raw read = read() of the raw file (page cache as
 * it comes: neither side drops caches). ratio = raw seconds / ltrun seconds (1.0: as fast
 * as raw); the measure is the ratio to raw write()+fsync() (aim >= 0.8), for save
 * and load; load's ratio to a raw read() is printed too. Loading reads every tensor into a
 * staging buffer before it changes the model (validate-then-apply), then copies it in
 * place (torch's param.copy_: views and tied weights keep their storage).
 */
#include "checkpoint/checkpoint.h"
#include "core/context.h"
#include "tensor/tensor.h"
#include "trainer/trainer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* runs per side, best taken: the first ones pay for a cold disk and page cache (with 2,
 * the save ratio read anywhere from 0.35 to 1.2 on this VM) */
#define REPS 5

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double raw_write(const ltr_param_store *s, const char *path) {
    double t0 = now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    for (int64_t i = 0; i < s->count; i++) {
        const char *p = s->params[i]->data;
        size_t left = (size_t)ltr_numel(s->params[i]) * 4;
        while (left) {
            ssize_t n = write(fd, p, left);
            if (n <= 0) return -1;
            p += n, left -= (size_t)n;
        }
    }
    if (fsync(fd) != 0) return -1;
    close(fd);
    return now() - t0;
}

static double raw_read(const ltr_param_store *s, const char *path, char *buf) {
    double t0 = now();
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    size_t total = 0;
    for (int64_t i = 0; i < s->count; i++) total += (size_t)ltr_numel(s->params[i]) * 4;
    while (total) {
        ssize_t n = read(fd, buf, total);
        if (n <= 0) return -1;
        buf += n, total -= (size_t)n;
    }
    close(fd);
    return now() - t0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [COMPRESSION 0-9] [MPARAMS]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int level = argc > 2 ? atoi(argv[2]) : 0;
    int64_t mparams = argc > 3 ? atoll(argv[3]) : 100;
    ltr_trainer *t = calloc(1, sizeof *t);
    ltr_ctx_init(&t->ctx, NULL);
    ltr_param_store_init(&t->params);
    t->ctx.params = &t->params;
    t->ctx.optim = &t->optim_setup;
    t->ctx.trainer = t;
    t->ctx.float_dtype = LT_FLOAT32;
    int64_t per = mparams * 1000000 / 4, rows = 5000, shape[2] = {rows, per / rows};
    size_t bytes = 0;
    for (int k = 0; k < 4; k++) {
        char name[32];
        snprintf(name, sizeof name, "layer%d.weight", k);
        lt_tensor *p = ltr_param(&t->ctx.pub, name, LT_FLOAT32, 2, shape);
        if (!p) {
            fprintf(stderr, "%s\n", t->ctx.error);
            return 1;
        }
        float *d = p->data;
        for (int64_t i = 0; i < ltr_numel(p); i++) d[i] = (float)((i * 2654435761u + (uint64_t)k) % 1000003) * 1e-6f;
        bytes += (size_t)ltr_numel(p) * 4;
    }
    char raw[4096], ck[4096], err[4096];
    snprintf(raw, sizeof raw, "%s/raw.bin", dir);
    snprintf(ck, sizeof ck, "%s/bench.h5", dir);
    char *buf = malloc(bytes);
    if (!buf) return 1;
    double best[4] = {1e30, 1e30, 1e30, 1e30}; /* raw write, ltrun save, raw read, ltrun load */
    for (int rep = 0; rep < REPS; rep++) {
        double w = raw_write(&t->params, raw);
        double s0 = now();
        if (ltr_ckpt_save_level(t, ck, false, level, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        double s = now() - s0;
        double r = raw_read(&t->params, raw, buf);
        double l0 = now();
        ltr_ckpt *c = ltr_ckpt_open(t, ck, true, err, sizeof err);
        if (!c) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        ltr_ckpt_apply_weights(t, c);
        ltr_ckpt_close(c);
        double l = now() - l0;
        if (w < 0 || r < 0) {
            perror("raw I/O");
            return 1;
        }
        double v[4] = {w, s, r, l};
        for (int k = 0; k < 4; k++)
            if (v[k] < best[k]) best[k] = v[k];
    }
    FILE *f = fopen(ck, "rb");
    long fsize = 0;
    if (f) fseek(f, 0, SEEK_END), fsize = ftell(f), fclose(f);
    printf("model: %lld parameters (4 x float32 [%lld, %lld]), %.1f MB; checkpoint file %.1f MB, "
           "compression %d\n", (long long)(4 * per), (long long)shape[0], (long long)shape[1], bytes / 1e6,
           fsize / 1e6, level);
    printf("%-31s %8.3f s %8.1f MB/s\n", "raw write()+fsync()", best[0], bytes / 1e6 / best[0]);
    printf("%-31s %8.3f s %8.1f MB/s  ratio to raw write+fsync %.2f\n", "ltrun save (atomic, fsync)",
           best[1], bytes / 1e6 / best[1], best[0] / best[1]);
    printf("%-31s %8.3f s %8.1f MB/s\n", "raw read()", best[2], bytes / 1e6 / best[2]);
    printf("%-31s %8.3f s %8.1f MB/s  ratio to raw write+fsync %.2f, to raw read %.2f\n",
           "ltrun load (validate + apply)", best[3], bytes / 1e6 / best[3], best[0] / best[3],
           best[2] / best[3]);
    unlink(raw);
    unlink(ck);
    free(buf);
    ltr_param_store_free(&t->params);
    ltr_ctx_free_allocs(&t->ctx);
    free(t);
    return 0;
}
