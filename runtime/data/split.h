/*
 * split.h — torch.utils.data.random_split for data modules (lt_random_split, ABI 1.5).
 *
 * Owner: the data pipeline. Contract: the permutation and part sizes equal
 * random_split(range(n), lengths, generator=torch.Generator().manual_seed(seed)) in
 * PyTorch 1.13 (util/torch_rng.h gives the same randperm bit for bit).
 */
#ifndef LTR_SPLIT_H
#define LTR_SPLIT_H

#include "ltrun.h"

lt_status ltr_api_random_split(lt_ctx *ctx, int64_t n, const double *lengths, int k,
                               uint64_t seed, int64_t *perm, int64_t *sizes);

#endif
