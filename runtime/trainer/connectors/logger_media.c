/*
 * media_log.c — lt_log_image / lt_log_histogram / lt_log_text (ABI 1.8): what a Lightning
 * module does with self.logger.experiment.add_image(name, img, self.global_step) (and
 * add_histogram, add_text), sent to every logger whose vtable has the matching hook, at
 * trainer.global_step, from rank zero only (Logger methods are @rank_zero_only).
 *
 * The image is converted here as torch's summary.image converts it, so every logger gets
 * the same pixels: CHW (or HW) to HWC (_utils.convert_to_HWC; one channel repeated to
 * three), then (x * scale).clip(0, 255).astype(uint8) with scale 1 for uint8 and 255 for
 * anything else (_calc_scale_factor; astype truncates toward zero). Histogram values go
 * out as float64 (values.astype(float)).
 */
#include "trainer/trainer.h"

#include "tensor/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* element i of row-major host bytes of dtype dt, as double */
static double host_elem(const void *p, lt_dtype dt, int64_t i) {
    switch (dt) {
    case LT_FLOAT32: return ((const float *)p)[i];
    case LT_FLOAT64: return ((const double *)p)[i];
    case LT_INT64: return (double)((const int64_t *)p)[i];
    case LT_INT32: return ((const int32_t *)p)[i];
    case LT_UINT8: return ((const uint8_t *)p)[i];
    case LT_BOOL: return ((const uint8_t *)p)[i] ? 1.0 : 0.0;
    case LT_BFLOAT16: {
        uint32_t u = (uint32_t)((const uint16_t *)p)[i] << 16;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    }
    return 0;
}

/* the trainer (NULL outside a run: nothing to log to) and a usable name */
static lt_status media_begin(lt_ctx *c, const char *fn, const char *name, ltr_trainer **t) {
    *t = ltr_ctx_of(c)->trainer;
    if (!name || !name[0])
        return ltr_fail(c, "%s: the name is empty (give the tag it is shown under)", fn);
    return LT_OK;
}

lt_status ltr_api_log_image(lt_ctx *c, const char *name, const lt_tensor *img) {
    ltr_trainer *t;
    if (media_begin(c, "lt_log_image", name, &t)) return LT_ERROR;
    if (!t) return LT_OK;
    if (!img) return ltr_fail(c, "lt_log_image('%s'): the image is NULL", name);
    if (!ltr_loggers_want(t, LTR_MEDIA_IMAGE)) return LT_OK;
    int nd = img->ndim;
    int64_t ch = nd == 3 ? img->shape[0] : 1, h = nd >= 2 ? img->shape[nd - 2] : 0,
            w = nd >= 2 ? img->shape[nd - 1] : 0;
    char s[96];
    if ((nd != 2 && nd != 3) || (ch != 1 && ch != 3 && ch != 4) || h < 1 || w < 1)
        return ltr_fail(c, "lt_log_image('%s'): the image is %s; give CHW with C 1, 3 or 4, or HW "
                           "(torch's add_image dataformats 'CHW' / 'HW')",
                        name, ltr_shape_str(img, s, sizeof s));
    const void *src = ltr_host_bytes(c, img);
    if (!src) return LT_ERROR;
    int64_t oc = ch == 1 ? 3 : ch;
    size_t n = (size_t)h * (size_t)w * (size_t)oc;
    uint8_t *hwc = malloc(n);
    if (!hwc) return ltr_fail(c, "lt_log_image('%s'): out of memory", name);
    double scale = img->dtype == LT_UINT8 ? 1.0 : 255.0;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++)
            for (int64_t k = 0; k < oc; k++) {
                int64_t sc = ch == 1 ? 0 : k;
                /* summary.image computes in float32 */
                float v = (float)host_elem(src, img->dtype, (sc * h + y) * w + x) * (float)scale;
                v = isnan(v) ? 0.0f : v < 0 ? 0.0f : v > 255 ? 255.0f : v;
                hwc[((size_t)y * (size_t)w + (size_t)x) * (size_t)oc + (size_t)k] = (uint8_t)v;
            }
    lt_status rc = ltr_loggers_log_image(t, name, hwc, h, w, oc);
    free(hwc);
    return rc;
}

lt_status ltr_api_log_histogram(lt_ctx *c, const char *name, const lt_tensor *values) {
    ltr_trainer *t;
    if (media_begin(c, "lt_log_histogram", name, &t)) return LT_ERROR;
    if (!t) return LT_OK;
    if (!values) return ltr_fail(c, "lt_log_histogram('%s'): the values are NULL", name);
    if (!ltr_loggers_want(t, LTR_MEDIA_HISTOGRAM)) return LT_OK;
    int64_t n = ltr_numel(values);
    if (n < 1) return ltr_fail(c, "lt_log_histogram('%s'): the input has no element", name);
    const void *src = ltr_host_bytes(c, values);
    if (!src) return LT_ERROR;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return ltr_fail(c, "lt_log_histogram('%s'): out of memory", name);
    for (int64_t i = 0; i < n; i++) v[i] = host_elem(src, values->dtype, i);
    lt_status rc = ltr_loggers_log_histogram(t, name, v, n);
    free(v);
    return rc;
}

lt_status ltr_api_log_text(lt_ctx *c, const char *name, const char *text) {
    ltr_trainer *t;
    if (media_begin(c, "lt_log_text", name, &t)) return LT_ERROR;
    if (!t) return LT_OK;
    if (!text) return ltr_fail(c, "lt_log_text('%s'): the text is NULL", name);
    return ltr_loggers_log_text(t, name, text);
}
