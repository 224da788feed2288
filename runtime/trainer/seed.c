/*
 * seed.c — seed_everything as LightningCLI calls it.
 *
 * Lightning 2.6 (fabric/utilities/seed.py, cli.py::_set_seed): seed_everything=false
 * skips seeding (torch keeps its default generator seed, 67280421310721); an int seeds
 * with it; true (LightningCLI's default) or None calls seed_everything() without a seed,
 * which reads PL_GLOBAL_SEED or falls back to 0 with a warning ("No seed found"), and an
 * unparsable PL_GLOBAL_SEED gives 0 with a warning ("Invalid seed found"). Every seeding
 * logs "Seed set to N" and exports PL_GLOBAL_SEED. The seed drives weight init, dropout
 * and the data loaders' shuffling.
 */
#include "trainer/trainer.h"

#include <errno.h>
#include <stdlib.h>

#define TORCH_DEFAULT_SEED 67280421310721ull /* torch's default_rng_seed_val */

uint64_t ltr_seed_everything(const ltr_options *o, FILE *msg) {
    if (o->seed_quiet) return TORCH_DEFAULT_SEED;
    uint64_t seed = o->seed;
    if (!o->seed_given) {
        const char *env = getenv("PL_GLOBAL_SEED");
        if (!env) {
            seed = 0;
            fprintf(msg, "No seed found, seed set to 0\n");
        } else {
            char *end;
            errno = 0;
            long long v = strtoll(env, &end, 10);
            if (end == env || *end || errno || v < 0 || v > 4294967295ll) {
                seed = 0;
                fprintf(msg, "Invalid seed found: '%s', seed set to 0\n", env);
            } else {
                seed = (uint64_t)v;
            }
        }
    }
    fprintf(msg, "Seed set to %llu\n", (unsigned long long)seed);
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    setenv("PL_GLOBAL_SEED", text, 1);
    return seed;
}
