/*
 * cpu_conv2d_bf16.c — bfloat16 conv2d where no bfloat16 kernel serves the call (a build
 * without oneDNN, deterministic algorithms, groups or dilation): the float32 kernels on
 * widened copies, each output rounded to bfloat16 once — the values a bf16 convolution
 * with float32 accumulation gives, so both paths agree to that one rounding.
 *
 * The copies live in the call's workspace (ltr_cpu_conv2d_workspace sizes it with
 * ltr_cpu_conv2d_bf16_workspace), so an out-of-memory is the arena's, reported by the op.
 */
#include "accelerators/cpu/cpu_numerics.h"

#include "tensor/bf16.h"

#include <string.h>

/* a float32 twin of t (shape only; data set by carve) */
static lt_tensor twin(const lt_tensor *t) {
    lt_tensor f = *t;
    f.dtype = LT_FLOAT32;
    f.data = NULL;
    return f;
}

static size_t f32_bytes(const lt_tensor *t) {
    return ((size_t)ltr_numel(t) * sizeof(float) + 63) / 64 * 64;
}

/* the next `bytes` of the workspace at *at */
static void *carve(char **at, size_t bytes) {
    void *p = *at;
    *at += bytes;
    return p;
}

static void widen(const lt_tensor *src, lt_tensor *dst) {
    ltr_bf16_widen_f32(dst->data, src->data, ltr_numel(src));
}
static void round_into(const lt_tensor *src, lt_tensor *dst) {
    ltr_bf16_round_f32(dst->data, src->data, ltr_numel(src));
}

/* gw's shape from x, gy and the geometry (w itself is not read by backward-weight) */
static lt_tensor weight_shape(const lt_tensor *x, const lt_tensor *gy, const ltr_conv_geo *g) {
    lt_tensor w = {.dtype = LT_FLOAT32, .device = x->device};
    int64_t s[4] = {gy->shape[1], x->shape[1] / g->opt.groups, g->k[0], g->k[1]};
    ltr_set_shape(&w, 4, s);
    return w;
}

size_t ltr_cpu_conv2d_bf16_workspace(int pass, const lt_tensor *x, const lt_tensor *w,
                                     const ltr_conv_geo *g, bool need_w, bool need_b) {
    lt_tensor xf = twin(x), wf = twin(w);
    int64_t O = w->shape[0], ys[4] = {x->shape[0], O, g->ho, g->wo};
    lt_tensor yf = xf, bf = {.dtype = LT_FLOAT32, .device = x->device};
    ltr_set_shape(&yf, 4, ys);
    ltr_set_shape(&bf, 1, &O);
    size_t copies = f32_bytes(&xf) + f32_bytes(&wf) + f32_bytes(&yf) + f32_bytes(&bf);
    return copies + ltr_cpu_conv2d_workspace(pass, &xf, &wf, g, need_w, need_b);
}

void ltr_cpu_conv2d_forward_bf16_widened(const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                                         ltr_conv_geo *g, void *ws, lt_tensor *y) {
    char *at = ws;
    lt_tensor xf = twin(x), wf = twin(w), yf = twin(y), bf;
    xf.data = carve(&at, f32_bytes(&xf));
    wf.data = carve(&at, f32_bytes(&wf));
    yf.data = carve(&at, f32_bytes(&yf));
    widen(x, &xf);
    widen(w, &wf);
    if (b) {
        bf = twin(b);
        bf.data = carve(&at, f32_bytes(&bf));
        widen(b, &bf);
    }
    ltr_cpu_conv2d_forward(&xf, &wf, b ? &bf : NULL, g, at, &yf);
    round_into(&yf, y);
}

void ltr_cpu_conv2d_backward_data_bf16_widened(const lt_tensor *gy, const lt_tensor *w,
                                               const ltr_conv_geo *g, void *ws, lt_tensor *gx) {
    char *at = ws;
    lt_tensor gyf = twin(gy), wf = twin(w), gxf = twin(gx);
    gxf.data = carve(&at, f32_bytes(&gxf)); /* the sizes the workspace gave x, w, y */
    wf.data = carve(&at, f32_bytes(&wf));
    gyf.data = carve(&at, f32_bytes(&gyf));
    widen(gy, &gyf);
    widen(w, &wf);
    ltr_conv_geo gf = *g;
    ltr_cpu_conv2d_backward_data(&gyf, &wf, &gf, at, &gxf);
    round_into(&gxf, gx);
}

void ltr_cpu_conv2d_backward_weight_bf16_widened(const lt_tensor *x, const lt_tensor *gy,
                                                 const ltr_conv_geo *g, void *ws, lt_tensor *gw,
                                                 bool accumulate, lt_tensor *gb) {
    char *at = ws;
    lt_tensor xf = twin(x), gyf = twin(gy), ws4 = weight_shape(x, gy, g);
    lt_tensor gwf = ws4, gbf = {.dtype = LT_FLOAT32, .device = x->device};
    int64_t O = gy->shape[1];
    ltr_set_shape(&gbf, 1, &O);
    xf.data = carve(&at, f32_bytes(&xf));
    gwf.data = carve(&at, f32_bytes(&gwf));
    gyf.data = carve(&at, f32_bytes(&gyf));
    gbf.data = carve(&at, f32_bytes(&gbf));
    widen(x, &xf);
    widen(gy, &gyf);
    ltr_conv_geo gf = *g; /* the float32 pass takes the path the float32 forward took */
    ltr_cpu_conv2d_backward_weight(&xf, &gyf, &gf, at, gw ? &gwf : NULL, false, gb ? &gbf : NULL);
    if (gw) {
        if (accumulate) { /* grad += dW, one rounding per element as torch's bf16 add */
            uint16_t *d = gw->data;
            const float *s = gwf.data;
            for (int64_t i = 0, n = ltr_numel(gw); i < n; i++)
                d[i] = ltr_bf16_from_float(ltr_bf16_to_float(d[i]) + s[i]);
        } else {
            round_into(&gwf, gw);
        }
    }
    if (gb) round_into(&gbf, gb);
}
