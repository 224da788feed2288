/*
 * linear_dtypes.c — F.linear forward + backward (dx, dW, db) at a few training shapes, in
 * float32 and in bfloat16 (float32 accumulation), through ltrun's ops. Prints one line
 * per shape and dtype: "linear M IN OUT DTYPE ms GFLOP/s" (best of 5 runs of `reps`).
 * bench/bf16.sh runs it beside PyTorch's same computation.
 */
#include "core/context.h"
#include "tensor/arena.h"
#include "tensor/autograd.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"
#include "util/rng.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static lt_tensor *param(lt_ctx *c, ltr_rng *r, lt_dtype dt, int nd, const int64_t *shape) {
    lt_tensor *t = ltr_empty(c, dt, nd, shape);
    for (int64_t i = 0; i < ltr_numel(t); i++) ltr_set(t, i, ltr_rng_uniform(r) - 0.5);
    t->flags |= LTR_T_REQUIRES_GRAD;
    return t;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    omp_set_num_threads(threads);
    const int64_t shapes[][3] = {{128, 784, 256}, {512, 768, 3072}, {1024, 1024, 1024}};
    ltr_ctx ctx;
    ltr_ctx_init(&ctx, NULL);
    ltr_arena *arena = ltr_arena_create(1 << 20);
    ltr_tape *tape = ltr_tape_create();
    ltr_rng rng;
    ltr_rng_seed(&rng, 1);
    ctx.arena = arena, ctx.tape = tape, ctx.rng = &rng;
    lt_ctx *c = &ctx.pub;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t m = shapes[s][0], in = shapes[s][1], out = shapes[s][2];
        double flop = 6.0 * (double)(m * in * out); /* forward + two backward GEMMs */
        int reps = (int)(2e10 / flop) + 1;
        for (int d = 0; d < 2; d++) {
            lt_dtype dt = d ? LT_BFLOAT16 : LT_FLOAT32;
            ltr_arena_mark mark = ltr_arena_get_mark(arena);
            lt_tensor *x = param(c, &rng, dt, 2, (int64_t[]){m, in});
            lt_tensor *w = param(c, &rng, dt, 2, (int64_t[]){out, in});
            lt_tensor *b = param(c, &rng, dt, 1, (int64_t[]){out});
            double best = 1e9;
            for (int run = 0; run < 6; run++) { /* run 0 warms up (oneDNN builds its kernels) */
                double t0 = now();
                for (int r = 0; r < reps; r++) {
                    ltr_arena_mark step = ltr_arena_get_mark(arena);
                    x->grad = w->grad = b->grad = NULL; /* fresh grads in this step's arena */
                    lt_tensor *y = ltr_linear(c, x, w, b);
                    lt_tensor *loss = ltr_sum(c, ltr_to(c, y, LT_FLOAT32));
                    if (!loss || ltr_backward(c, loss) != LT_OK) {
                        char msg[1024] = "";
                        ltr_ctx_take_error(&ctx, msg, sizeof msg);
                        fprintf(stderr, "linear_dtypes: %s\n", msg);
                        return 1;
                    }
                    ltr_tape_reset(tape);
                    ltr_arena_rewind(arena, step);
                }
                double t = (now() - t0) / reps;
                if (run > 0 && t < best) best = t;
            }
            printf("linear %lld %lld %lld %s %.3f %.1f\n", (long long)m, (long long)in, (long long)out,
                   d ? "bfloat16" : "float32", best * 1e3, flop / best * 1e-9);
            ltr_arena_rewind(arena, mark);
        }
    }
    ltr_tape_destroy(tape);
    ltr_arena_destroy(arena);
    ltr_ctx_free_allocs(&ctx);
    return 0;
}
