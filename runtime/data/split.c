/* split.c — torch.utils.data.random_split (PyTorch 1.13's dataset.py), see split.h. */
#include "data/split.h"

#include "core/context.h"
#include "util/torch_rng.h"

#include <math.h>
#include <stdio.h>

/* Python's math.isclose(a, b) with its defaults (rel_tol 1e-9, abs_tol 0) */
static bool isclose(double a, double b) {
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= 1e-9 * m;
}

lt_status ltr_api_random_split(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                               uint64_t seed, int64_t *perm, int64_t *sizes) {
    if (n < 0) return ltr_fail(ctx, "lt_random_split: the dataset length is negative (%lld)",
                               (long long)n);
    if (k < 0 || (k > 0 && (!lengths || !sizes)) || (n > 0 && !perm))
        return ltr_fail(ctx, "lt_random_split: lengths, sizes (k = %d entries) and perm "
                             "(n = %lld entries) must be given", k, (long long)n);
    double total = 0; /* Python's sum(): left to right from 0 */
    for (int i = 0; i < k; i++) total += lengths[i];
    if (isclose(total, 1) && total <= 1) {
        /* fractions: floor(n * frac) each, then the remainder one by one, round-robin */
        int64_t assigned = 0;
        for (int i = 0; i < k; i++) {
            if (!(lengths[i] >= 0 && lengths[i] <= 1))
                return ltr_fail(ctx, "lt_random_split: Fraction at index %d is not between 0 "
                                     "and 1 (got %g)", i, lengths[i]);
            sizes[i] = (int64_t)floor((double)n * lengths[i]);
            assigned += sizes[i];
        }
        for (int64_t i = 0; i < n - assigned; i++) sizes[i % k] += 1;
        for (int i = 0; i < k; i++)
            if (sizes[i] == 0)
                fprintf(stderr, "ltrun: warning: UserWarning: Length of split at index %d is "
                                "0. This might result in an empty dataset.\n", i);
    } else {
        /* counts; torch would fail later (or slice oddly) on negative or fractional
         * counts: an error here, naming the entry */
        for (int i = 0; i < k; i++) {
            if (!(lengths[i] >= 0) || lengths[i] != floor(lengths[i]) || lengths[i] > 9e15)
                return ltr_fail(ctx, "lt_random_split: lengths[%d] = %g is not a count; give "
                                     "non-negative integer counts summing to the dataset "
                                     "length, or fractions summing to 1", i, lengths[i]);
            sizes[i] = (int64_t)lengths[i];
        }
    }
    int64_t sum = 0;
    for (int i = 0; i < k; i++) sum += sizes[i];
    if (sum != n)
        return ltr_fail(ctx, "lt_random_split: Sum of input lengths (%lld) does not equal the "
                             "length of the input dataset (%lld)!", (long long)sum, (long long)n);
    ltr_torch_gen g;
    ltr_torch_gen_seed(&g, seed);
    ltr_torch_randperm(&g, n, perm);
    return LT_OK;
}
