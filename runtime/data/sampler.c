/* sampler.c — torch.utils.data samplers over PyTorch's CPU generator (see sampler.h). */
#include "data/sampler.h"

#include "core/context.h"
#include "data/dataloader.h"
#include "util/torch_rng.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* topk(keys, k) indices: largest key first (ties: lower index first); the pairs carry
 * their keys so the sort needs no global state (loaders may set epochs on any thread) */
struct ltr_sampler_key {
    double key;
    int64_t index;
};

/* length of the base sampler (before any DistributedSampler) */
static int64_t base_len(const ltr_sampler *s) {
    return s->kind == LT_SAMPLER_WEIGHTED_RANDOM ? s->num_samples : s->length;
}

/* DistributedSampler.num_samples for a base of m indices */
static int64_t dist_num_samples(const ltr_sampler *s, int64_t m) {
    if (s->dist_unrepeated) /* len(range(rank, m, world)) */
        return m > s->rank ? (m - s->rank + s->world - 1) / s->world : 0;
    if (s->dist_drop_last && m % s->world != 0)
        return m / s->world; /* math.ceil((m - world) / world), 0 when m < world */
    return (m + s->world - 1) / s->world;
}

int64_t ltr_sampler_len(const ltr_sampler *s) {
    int64_t m = base_len(s);
    return s->distributed ? dist_num_samples(s, m) : m;
}

/* ABI 1.5: block shuffle — check block_size / shuffle_blocks and allocate the scratch */
static lt_status block_init(ltr_sampler *s, lt_ctx *ctx, const lt_dataset *ds, const char *sn) {
    if (ds->size < offsetof(lt_dataset, shuffle_blocks) + sizeof ds->shuffle_blocks)
        return ltr_fail(ctx, "the %s dataset: LT_SAMPLER_BLOCK_RANDOM needs a plugin built "
                             "against ltrun.h ABI 1.5 (block_size, shuffle_blocks)", sn);
    if (ds->block_size < 1 || ds->shuffle_blocks < 1)
        return ltr_fail(ctx, "the %s dataset: LT_SAMPLER_BLOCK_RANDOM needs block_size >= 1 "
                             "and shuffle_blocks >= 1 (got %lld and %d)", sn,
                        (long long)ds->block_size, (int)ds->shuffle_blocks);
    int64_t n = ds->length, b = ds->block_size, nb = n > 0 ? (n - 1) / b + 1 : 0;
    s->block_size = b;
    s->window = ds->shuffle_blocks < nb ? ds->shuffle_blocks : (nb > 0 ? nb : 1);
    int64_t wn = s->window * b < n ? s->window * b : n; /* a window's indices at most */
    s->bperm = malloc((size_t)(nb ? nb : 1) * sizeof *s->bperm);
    s->wbuf = malloc((size_t)(wn ? wn : 1) * sizeof *s->wbuf);
    s->wperm = malloc((size_t)(wn ? wn : 1) * sizeof *s->wperm);
    if (!s->bperm || !s->wbuf || !s->wperm) {
        ltr_sampler_free(s);
        return ltr_fail(ctx, "out of memory for the %s loader's sampler", sn);
    }
    return LT_OK;
}

/* the block-shuffled order of `length` indices (see sampler.h) */
static void block_order(ltr_sampler *s, ltr_torch_gen *g, int64_t *out) {
    int64_t n = s->length, b = s->block_size, nb = n > 0 ? (n - 1) / b + 1 : 0, off = 0;
    ltr_torch_randperm(g, nb, s->bperm);
    for (int64_t w0 = 0; w0 < nb; w0 += s->window) {
        int64_t cnt = 0;
        for (int64_t k = w0; k < w0 + s->window && k < nb; k++)
            for (int64_t i = s->bperm[k] * b; i < (s->bperm[k] + 1) * b && i < n; i++)
                s->wbuf[cnt++] = i;
        ltr_torch_randperm(g, cnt, s->wperm);
        for (int64_t j = 0; j < cnt; j++) out[off + j] = s->wbuf[s->wperm[j]];
        off += cnt;
    }
}

lt_status ltr_sampler_init(ltr_sampler *s, lt_ctx *ctx, const lt_dataset *ds, lt_split split,
                           uint64_t seed, int32_t rank, int32_t world,
                           bool use_distributed_sampler, bool overfit_batches) {
    memset(s, 0, sizeof *s);
    const char *sn = ltr_split_name(split);
    s->length = ds->length;
    s->seed = seed;
    s->rank = rank;
    s->world = world;
    lt_sampler k = ds->sampler;
    if ((unsigned)k > LT_SAMPLER_BLOCK_RANDOM)
        return ltr_fail(ctx, "the %s dataset: unknown sampler %d (LT_SAMPLER_AUTO, "
                             "_SEQUENTIAL, _RANDOM, _WEIGHTED_RANDOM, _DISTRIBUTED or "
                             "_BLOCK_RANDOM)", sn, (int)k);
    if (k == LT_SAMPLER_AUTO || k == LT_SAMPLER_DISTRIBUTED)
        s->kind = ds->shuffle ? LT_SAMPLER_RANDOM : LT_SAMPLER_SEQUENTIAL;
    else
        s->kind = k;
    if (world < 1 || rank < 0 || rank >= world)
        return ltr_fail(ctx, "the %s loader's DistributedSampler: Invalid rank %d, rank should "
                             "be in the interval [0, %d]", sn, rank, world - 1);
    if (k == LT_SAMPLER_DISTRIBUTED) {
        /* DistributedSampler(dataset, world, rank, shuffle, seed, drop_last) by the module */
        s->distributed = true;
        s->dist_shuffle = ds->shuffle;
        s->dist_drop_last = ds->drop_last;
        s->kind = LT_SAMPLER_SEQUENTIAL; /* it shuffles the dataset's indices itself */
    } else if (world > 1 && use_distributed_sampler) {
        /* Lightning's _process_dataloader: shuffle = True for training, else
         * _is_dataloader_shuffled; _get_distributed_sampler: `shuffle and not
         * overfit_batches`, drop_last False; predict: UnrepeatedDistributedSamplerWrapper
         * around the sampler; Random/SequentialSampler: DistributedSampler(dataset), which
         * replaces them; other samplers: DistributedSamplerWrapper around them */
        s->distributed = true;
        bool shuffled = split == LT_SPLIT_TRAIN || s->kind == LT_SAMPLER_RANDOM;
        s->dist_shuffle = shuffled && !overfit_batches;
        s->dist_unrepeated = split == LT_SPLIT_PREDICT;
        /* ABI 1.5: block shuffle — the block order is the shuffle; permuting its positions
         * again would undo the locality (DistributedSamplerWrapper(shuffle=False)) */
        if (s->kind == LT_SAMPLER_BLOCK_RANDOM && ds->shuffle) s->dist_shuffle = false;
        if (!s->dist_unrepeated && s->kind == LT_SAMPLER_RANDOM) s->kind = LT_SAMPLER_SEQUENTIAL;
    }
    if (s->kind == LT_SAMPLER_WEIGHTED_RANDOM) {
        int64_t n = ds->length;
        s->weights = ds->weights;
        s->num_samples = ds->num_samples > 0 ? ds->num_samples : n;
        s->replacement = ds->replacement;
        if (!ds->weights)
            return ltr_fail(ctx, "the %s dataset: LT_SAMPLER_WEIGHTED_RANDOM needs `weights` "
                                 "(one per sample)", sn);
        double sum = 0;
        int64_t nonzero = 0;
        for (int64_t i = 0; i < n; i++) {
            double w = ds->weights[i];
            if (!(w >= 0) || isinf(w))
                return ltr_fail(ctx, "the %s dataset's WeightedRandomSampler: probability tensor "
                                     "contains either `inf`, `nan` or element < 0 (weights[%lld] "
                                     "= %g)", sn, (long long)i, w);
            sum += w;
            nonzero += w > 0;
        }
        if (!(sum > 0))
            return ltr_fail(ctx, "the %s dataset's WeightedRandomSampler: invalid multinomial "
                                 "distribution (sum of probabilities <= 0)", sn);
        if (!s->replacement && s->num_samples > n)
            return ltr_fail(ctx, "the %s dataset's WeightedRandomSampler: cannot sample "
                                 "n_sample > prob_dist.size(-1) samples without replacement "
                                 "(num_samples %lld, %lld weights)", sn,
                            (long long)s->num_samples, (long long)n);
        if (!s->replacement && s->num_samples > nonzero)
            return ltr_fail(ctx, "the %s dataset's WeightedRandomSampler: invalid multinomial "
                                 "distribution (with replacement=False, not enough non-negative "
                                 "category to sample): %lld draws, %lld positive weights", sn,
                            (long long)s->num_samples, (long long)nonzero);
        s->dwork = malloc((size_t)(n ? n : 1) * sizeof *s->dwork);
        s->keys = malloc((size_t)(n ? n : 1) * sizeof *s->keys);
        if (!s->dwork || !s->keys) goto oom;
    }
    if (s->kind == LT_SAMPLER_BLOCK_RANDOM && !ds->shuffle) s->kind = LT_SAMPLER_SEQUENTIAL;
    if (s->kind == LT_SAMPLER_BLOCK_RANDOM && block_init(s, ctx, ds, sn)) return LT_ERROR;
    int64_t m = base_len(s);
    int64_t total = m;
    if (s->distributed) {
        int64_t ns = dist_num_samples(s, m);
        if (!s->dist_unrepeated && ns * world > total) total = ns * world;
    }
    if (s->distributed) {
        s->tmp = malloc((size_t)(total ? total : 1) * sizeof *s->tmp);
        s->base = malloc((size_t)(m ? m : 1) * sizeof *s->base);
        if (!s->tmp || !s->base) goto oom;
    }
    return LT_OK;
oom:
    ltr_sampler_free(s);
    return ltr_fail(ctx, "out of memory for the %s loader's sampler", sn);
}

void ltr_sampler_free(ltr_sampler *s) {
    free(s->tmp);
    free(s->base);
    free(s->dwork);
    free(s->keys);
    free(s->bperm);
    free(s->wbuf);
    free(s->wperm);
    memset(s, 0, sizeof *s);
}

static int by_key_desc(const void *a, const void *b) {
    const struct ltr_sampler_key *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void weighted_draw(ltr_sampler *s, ltr_torch_gen *g, int64_t *out) {
    int64_t n = s->length, k = s->num_samples;
    if (s->replacement && k >= 2) {
        ltr_torch_multinomial_replacement(g, s->weights, n, k, s->dwork, out);
        return;
    }
    /* torch.multinomial's fast path (no replacement, or one draw): q = exponential_(1),
     * one draw per category in order; q = p / q; topk (argmax for one draw). The weights
     * are not normalised first: the order of p / q is the same. */
    double *q = s->dwork;
    for (int64_t i = 0; i < n; i++) {
        double u = ltr_torch_gen_uniform(g);
        q[i] = s->weights[i] / (-log1p(-u)); /* transformation::exponential on CPU */
    }
    if (k == 1) {
        int64_t best = 0; /* argmax: the first maximum */
        for (int64_t i = 1; i < n; i++)
            if (q[i] > q[best]) best = i;
        out[0] = best;
        return;
    }
    for (int64_t i = 0; i < n; i++) s->keys[i] = (struct ltr_sampler_key){q[i], i};
    qsort(s->keys, (size_t)n, sizeof *s->keys, by_key_desc);
    for (int64_t i = 0; i < k; i++) out[i] = s->keys[i].index;
}

void ltr_sampler_order(ltr_sampler *s, int64_t epoch, int64_t *out) {
    int64_t m = base_len(s);
    int64_t *base = s->distributed ? s->base : out;
    ltr_torch_gen g;
    ltr_torch_gen_seed(&g, s->seed + (uint64_t)epoch); /* g.manual_seed(seed + epoch) */
    switch (s->kind) {
    case LT_SAMPLER_RANDOM: ltr_torch_randperm(&g, m, base); break;
    case LT_SAMPLER_WEIGHTED_RANDOM: weighted_draw(s, &g, base); break;
    case LT_SAMPLER_BLOCK_RANDOM: block_order(s, &g, base); break;
    default:
        for (int64_t i = 0; i < m; i++) base[i] = i;
    }
    if (!s->distributed) return;
    /* DistributedSampler.__iter__ over the base's positions: randperm(m, g(seed + epoch))
     * when shuffling, else 0..m-1 */
    int64_t *pos = s->tmp;
    if (s->dist_shuffle) {
        ltr_torch_gen_seed(&g, s->seed + (uint64_t)epoch);
        ltr_torch_randperm(&g, m, pos);
    } else {
        for (int64_t i = 0; i < m; i++) pos[i] = i;
    }
    int64_t ns = dist_num_samples(s, m);
    /* padding: indices += (indices * ceil(pad / len))[:pad] — the positions repeated from
     * their start; with drop_last: indices[:total_size]; unrepeated: no padding */
    if (!s->dist_unrepeated)
        for (int64_t i = m; i < ns * s->world && m > 0; i++) pos[i] = pos[i % m];
    for (int64_t i = 0; i < ns; i++) out[i] = base[pos[s->rank + i * s->world]];
}
