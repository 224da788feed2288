/*
 * transforms.c — torchvision.transforms on float32 CHW sample buffers (see transforms.h).
 *
 * Reproduced behaviour (torchvision 0.14 / torch 1.13, tensor inputs):
 *  - ToTensor: uint8 HWC -> float32 CHW, each value / 255.
 *  - Normalize(mean, std): out[c] = (x[c] - mean[c]) / std[c] in place; a zero std is
 *    the ValueError torchvision raises ("std evaluated to zero ...").
 *  - RandomCrop(size, padding, pad_if_needed, fill, padding_mode): F.pad with `padding`
 *    (left, top, right, bottom) first; then, with pad_if_needed, the width and then the
 *    height are padded on BOTH sides by (size - dim) when smaller; then get_params:
 *    an input smaller than size is the ValueError "Required crop size ... is larger than
 *    input image size"; an input of exactly size is returned whole WITHOUT a random draw;
 *    otherwise top = randint(0, h - th + 1) and then left = randint(0, w - tw + 1)
 *    (torch.randint's exclusive high). Padding modes as torchvision's: constant (fill),
 *    edge (replicate), reflect (mirror without the edge; pad < dim), symmetric (mirror
 *    with the edge; pad <= dim).
 *  - RandomHorizontalFlip(p): one draw u = torch.rand(1); flips the last (width) dim when
 *    u < p.
 * The draws come from the sample's own stream (xoshiro256**, lt_sample_rng), not from
 * torch's mt19937: distributions and draw order match, bit streams do not.
 */
#include "data/transforms.h"

#include "core/context.h"
#include "trainer/fault.h"
#include "util/rng.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(lt_rng) == sizeof(ltr_rng), "lt_rng mirrors ltr_rng");

static _Thread_local bool scope_set;
static _Thread_local uint64_t scope_seed;
static _Thread_local int64_t scope_epoch;

void ltr_fetch_scope_set(uint64_t seed, int64_t epoch) {
    scope_set = true;
    scope_seed = seed;
    scope_epoch = epoch;
}

void ltr_fetch_scope_clear(void) { scope_set = false; }

lt_status ltr_get_item_scoped(lt_status (*fn)(lt_ctx *, void *, lt_split, int64_t, void *const *),
                              lt_ctx *ctx, void *self, lt_split split, int64_t index,
                              void *const *dst, uint64_t seed, int64_t epoch) {
    ltr_fetch_scope_set(seed, epoch);
    ltr_fault_push_get_item(epoch, index); /* on whichever thread fetches (fault.h) */
    lt_status rc = fn(ctx, self, split, index, dst);
    ltr_fault_pop("get_item");
    scope_set = false;
    return rc;
}

static uint64_t mix64(uint64_t z) { /* splitmix64's finaliser */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ltr_api_sample_rng(lt_ctx *ctx, lt_split split, int64_t index, lt_rng *out) {
    /* outside a loader fetch (a data module testing itself): the run's seed and epoch */
    uint64_t seed = scope_set ? scope_seed : (ctx ? ltr_ctx_of(ctx)->seed : 0);
    int64_t epoch = scope_set ? scope_epoch : (ctx ? ctx->current_epoch : 0);
    uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ull);
    h = mix64(h ^ ((uint64_t)epoch + 0x632be59bd9b4e019ull));
    h = mix64(h ^ ((uint64_t)split + 0x8cb92ba72f3d8dd7ull));
    h = mix64(h ^ ((uint64_t)index + 0xd1b54a32d192ed03ull));
    ltr_rng_seed((ltr_rng *)out, h);
}

double ltr_api_rng_uniform(lt_rng *r) { return ltr_rng_uniform((ltr_rng *)r); }

int64_t ltr_api_rng_randint(lt_rng *r, int64_t low, int64_t high) {
    if (high <= low) return low;
    return low + (int64_t)ltr_rng_below((ltr_rng *)r, (uint64_t)(high - low));
}

lt_status ltr_api_tf_to_tensor(lt_ctx *ctx, const uint8_t *hwc, int64_t h, int64_t w, int64_t c,
                               float *chw) {
    if (!hwc || !chw || h < 0 || w < 0 || c < 1)
        return ltr_fail(ctx, "lt_tf_to_tensor: bad arguments (h %lld, w %lld, c %lld)",
                        (long long)h, (long long)w, (long long)c);
    for (int64_t k = 0; k < c; k++)
        for (int64_t i = 0; i < h * w; i++) chw[k * h * w + i] = (float)hwc[i * c + k] / 255.0f;
    return LT_OK;
}

lt_status ltr_api_tf_normalize(lt_ctx *ctx, float *chw, int64_t c, int64_t h, int64_t w,
                               const float *mean, const float *std) {
    if (!chw || !mean || !std || c < 1 || h < 0 || w < 0)
        return ltr_fail(ctx, "lt_tf_normalize: bad arguments");
    for (int64_t k = 0; k < c; k++)
        if (std[k] == 0.0f)
            return ltr_fail(ctx, "lt_tf_normalize: std evaluated to zero (channel %lld), leading "
                                 "to division by zero", (long long)k);
    for (int64_t k = 0; k < c; k++) {
        float *p = chw + k * h * w;
        for (int64_t i = 0; i < h * w; i++) p[i] = (p[i] - mean[k]) / std[k];
    }
    return LT_OK;
}

/* Index of padded coordinate p (pad `before` ahead of n values) in the unpadded axis,
 * or -1 for a constant fill. */
static int64_t pad_index(int64_t p, int64_t before, int64_t n, lt_padding_mode mode) {
    int64_t q = p - before;
    if (q >= 0 && q < n) return q;
    switch (mode) {
    case LT_PAD_EDGE: return q < 0 ? 0 : n - 1;
    case LT_PAD_REFLECT: return q < 0 ? -q : 2 * (n - 1) - q;
    case LT_PAD_SYMMETRIC: return q < 0 ? -q - 1 : 2 * n - 1 - q;
    case LT_PAD_CONSTANT:
    default: return -1;
    }
}

/* One axis through up to two pads: first (b1, a1), then (b2, a2). map[k] for k in
 * [0, n + b1 + a1 + b2 + a2) holds the source index or -1. */
static lt_status axis_pad(lt_ctx *ctx, const char *axis, int64_t n, int64_t b1, int64_t a1,
                          int64_t b2, int64_t a2, lt_padding_mode mode, int64_t *map) {
    int64_t n1 = n + b1 + a1, n2 = n1 + b2 + a2;
    int64_t pmax1 = b1 > a1 ? b1 : a1, pmax2 = b2 > a2 ? b2 : a2;
    if ((mode == LT_PAD_REFLECT && ((pmax1 > 0 && pmax1 >= n) || (pmax2 > 0 && pmax2 >= n1))) ||
        (mode == LT_PAD_SYMMETRIC && ((pmax1 > 0 && pmax1 > n) || (pmax2 > 0 && pmax2 > n1))) ||
        (mode != LT_PAD_CONSTANT && n == 0 && pmax1 + pmax2 > 0))
        return ltr_fail(ctx, "lt_tf_random_crop: %s padding of %lld is too large for the %s "
                             "mode on a %s of %lld (reflect needs padding < size, symmetric <= size)",
                        axis, (long long)(pmax1 > pmax2 ? pmax1 : pmax2),
                        mode == LT_PAD_REFLECT ? "reflect" : mode == LT_PAD_SYMMETRIC ? "symmetric" : "edge",
                        axis, (long long)n);
    for (int64_t k = 0; k < n2; k++) {
        int64_t s1 = pad_index(k, b2, n1, mode);
        map[k] = s1 < 0 ? -1 : pad_index(s1, b1, n, mode);
    }
    return LT_OK;
}

lt_status ltr_api_tf_random_crop(lt_ctx *ctx, lt_rng *r, const float *src, int64_t c, int64_t h,
                                 int64_t w, float *dst, const lt_crop_options *o) {
    if (!r || !src || !dst || !o || c < 1 || h < 0 || w < 0 || o->size_h < 1 || o->size_w < 1)
        return ltr_fail(ctx, "lt_tf_random_crop: bad arguments (c %lld, h %lld, w %lld, size "
                             "%lldx%lld)", (long long)c, (long long)h, (long long)w,
                        (long long)(o ? o->size_h : 0), (long long)(o ? o->size_w : 0));
    if ((unsigned)o->padding_mode > LT_PAD_SYMMETRIC)
        return ltr_fail(ctx, "lt_tf_random_crop: unknown padding_mode %d", (int)o->padding_mode);
    const int64_t *pad = o->padding; /* left, top, right, bottom */
    for (int k = 0; k < 4; k++)
        if (pad[k] < 0)
            return ltr_fail(ctx, "lt_tf_random_crop: padding must be >= 0, got %lld",
                            (long long)pad[k]);
    int64_t th = o->size_h, tw = o->size_w;
    int64_t h1 = h + pad[1] + pad[3], w1 = w + pad[0] + pad[2];
    int64_t pw = o->pad_if_needed && w1 < tw ? tw - w1 : 0;
    int64_t ph = o->pad_if_needed && h1 < th ? th - h1 : 0;
    int64_t H = h1 + 2 * ph, W = w1 + 2 * pw;
    if (H < th || W < tw)
        return ltr_fail(ctx, "lt_tf_random_crop: Required crop size (%lld, %lld) is larger than "
                             "input image size (%lld, %lld)", (long long)th, (long long)tw,
                        (long long)H, (long long)W);
    /* the source row/column of each padded position: on the stack for images up to
     * 512 rows + columns padded (this runs once per sample on loader threads) */
    int64_t stack_map[512];
    int64_t *rows = H + W <= 512 ? stack_map : malloc((size_t)(H + W) * sizeof *rows);
    if (!rows) return ltr_fail(ctx, "lt_tf_random_crop: out of memory");
    int64_t *cols = rows + H;
    lt_status rc = axis_pad(ctx, "height", h, pad[1], pad[3], ph, ph, o->padding_mode, rows);
    if (rc == LT_OK) rc = axis_pad(ctx, "width", w, pad[0], pad[2], pw, pw, o->padding_mode, cols);
    if (rc != LT_OK) {
        if (rows != stack_map) free(rows);
        return rc;
    }
    int64_t top = 0, left = 0;
    if (!(H == th && W == tw)) { /* get_params: no draw for an exact fit */
        top = ltr_api_rng_randint(r, 0, H - th + 1);
        left = ltr_api_rng_randint(r, 0, W - tw + 1);
    }
    float fill = (float)o->fill;
    for (int64_t k = 0; k < c; k++)
        for (int64_t y = 0; y < th; y++) {
            int64_t sy = rows[top + y];
            float *out = dst + (k * th + y) * tw;
            for (int64_t x = 0; x < tw; x++) {
                int64_t sx = cols[left + x];
                out[x] = sy < 0 || sx < 0 ? fill : src[(k * h + sy) * w + sx];
            }
        }
    if (rows != stack_map) free(rows);
    return LT_OK;
}

bool ltr_api_tf_random_hflip(lt_rng *r, float *chw, int64_t c, int64_t h, int64_t w, double p) {
    if (!(ltr_api_rng_uniform(r) < p)) return false;
    for (int64_t row = 0; row < c * h; row++) {
        float *a = chw + row * w;
        for (int64_t x = 0; x < w / 2; x++) {
            float t = a[x];
            a[x] = a[w - 1 - x];
            a[w - 1 - x] = t;
        }
    }
    return true;
}
