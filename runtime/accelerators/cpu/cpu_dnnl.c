/*
 * cpu_dnnl.c — float32 and bfloat16 conv2d forward and backward through oneDNN
 * (libdnnl-dev), the library PyTorch's own CPU convolutions use.
 *
 * Why: oneDNN's direct JIT convolutions on blocked layouts (nChw16c and friends) run the
 * small CNN's two convs in ~6 ms a step on 2 cores, against ~20 ms for im2col + GEMM.
 * ltrun's tensors stay NCHW: each call reorders into the layouts oneDNN picked and back
 * (~0.1-0.2 ms each). Primitives, their blocked buffers and the reorders are built once
 * per geometry and kept in a small cache (a training loop repeats a few shapes), freed
 * at exit. Without oneDNN (HAVE_DNNL undefined) every entry point returns false and the
 * caller keeps its im2col path. bfloat16 convs (autocast's lower-precision list) keep
 * every tensor in bfloat16, as torch's mkldnn bf16 convolution does: float32
 * accumulation inside oneDNN (AVX512-BF16 where the CPU has it), each output rounded once.
 */
#include "accelerators/cpu/cpu_dnnl.h"

#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

#include <stdlib.h>
#include <string.h>

/* A tensor crossing into oneDNN: the caller's NCHW memory, and (when oneDNN wants
 * another layout) a blocked copy with the reorder between them. The blocked copies live
 * only during one call, so they do not own memory: each call points them at one of
 * three shared scratch slots (inputs, weights, outputs of that call), grown to the
 * largest size seen. Per-entry buffers cost the CNN ~30 MB of peak RSS, doubled again by
 * the epoch's smaller last batch (a new geometry). */
enum { SLOT_A, SLOT_W, SLOT_B, NSLOTS };
typedef struct port {
    dnnl_memory_t user, inner;
    dnnl_primitive_t reorder; /* NULL: inner is user */
    bool to_inner;
    int slot;
    size_t bytes; /* of the blocked copy */
} port;

typedef struct conv_entry {
    ltr_dnnl_conv_geo geo;
    dnnl_primitive_desc_t fwd_pd, bwd_d_pd, bwd_w_pd;
    dnnl_primitive_t fwd, bwd_d, bwd_w;
    port f_src, f_w, f_dst, d_ddst, d_w, d_dsrc, w_src, w_ddst, w_dw;
    dnnl_memory_t bias, dbias;
} conv_entry;

#define CACHE_MAX 32
static struct {
    bool tried, ok;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    conv_entry *entries[CACHE_MAX];
    int n;
    void *scratch[NSLOTS];
    size_t scratch_bytes[NSLOTS];
} dn;

static void port_free(port *p) {
    if (p->reorder) {
        dnnl_primitive_destroy(p->reorder);
        dnnl_memory_destroy(p->inner);
    }
    if (p->user) dnnl_memory_destroy(p->user);
    memset(p, 0, sizeof *p);
}

static void entry_free(conv_entry *e) {
    port *ports[] = {&e->f_src, &e->f_w, &e->f_dst, &e->d_ddst, &e->d_w, &e->d_dsrc,
                     &e->w_src, &e->w_ddst, &e->w_dw};
    for (size_t i = 0; i < sizeof ports / sizeof *ports; i++) port_free(ports[i]);
    if (e->bias) dnnl_memory_destroy(e->bias);
    if (e->dbias) dnnl_memory_destroy(e->dbias);
    dnnl_primitive_t prims[] = {e->fwd, e->bwd_d, e->bwd_w};
    for (int i = 0; i < 3; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_primitive_desc_t pds[] = {e->fwd_pd, e->bwd_d_pd, e->bwd_w_pd};
    for (int i = 0; i < 3; i++)
        if (pds[i]) dnnl_primitive_desc_destroy(pds[i]);
    free(e);
}

static void dnnl_shutdown(void) {
    for (int i = 0; i < dn.n; i++) entry_free(dn.entries[i]);
    dn.n = 0;
    for (int i = 0; i < NSLOTS; i++) free(dn.scratch[i]);
    if (dn.stream) dnnl_stream_destroy(dn.stream);
    if (dn.engine) dnnl_engine_destroy(dn.engine);
}

static bool ready(void) {
    if (!dn.tried) {
        dn.tried = true;
        dn.ok = dnnl_engine_create(&dn.engine, dnnl_cpu, 0) == dnnl_success &&
                dnnl_stream_create(&dn.stream, dn.engine, dnnl_stream_default_flags) == dnnl_success;
        if (dn.ok) atexit(dnnl_shutdown);
    }
    return dn.ok;
}

void *ltr_dnnl_engine(void) { return ready() ? dn.engine : NULL; }
void *ltr_dnnl_stream(void) { return ready() ? dn.stream : NULL; }

/* user memory (NCHW-style plain layout, data set per call) and, if `want` differs, an
 * inner buffer oneDNN allocates with the reorder user -> inner (to_inner) or back */
static bool port_init(port *p, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *want,
                      bool to_inner, int slot) {
    p->to_inner = to_inner;
    p->slot = slot;
    if (dnnl_memory_create(&p->user, user_md, dn.engine, DNNL_MEMORY_NONE) != dnnl_success) return false;
    if (dnnl_memory_desc_equal(user_md, want)) {
        p->inner = p->user;
        return true;
    }
    dnnl_primitive_desc_t rpd;
    p->bytes = dnnl_memory_desc_get_size(want);
    bool ok = dnnl_memory_create(&p->inner, want, dn.engine, DNNL_MEMORY_NONE) == dnnl_success &&
              dnnl_reorder_primitive_desc_create(&rpd, to_inner ? user_md : want, dn.engine,
                                                 to_inner ? want : user_md, dn.engine,
                                                 NULL) == dnnl_success;
    if (ok) {
        ok = dnnl_primitive_create(&p->reorder, rpd) == dnnl_success;
        dnnl_primitive_desc_destroy(rpd);
    }
    return ok;
}

/* point the port at the caller's buffer and its blocked copy at its scratch slot
 * (false: out of memory) */
static bool port_bind(port *p, void *data) {
    dnnl_memory_set_data_handle(p->user, data);
    if (!p->reorder) return true;
    if (dn.scratch_bytes[p->slot] < p->bytes) {
        free(dn.scratch[p->slot]);
        dn.scratch_bytes[p->slot] = 0;
        /* 64-byte aligned, as oneDNN's own buffers */
        dn.scratch[p->slot] = aligned_alloc(64, (p->bytes + 63) / 64 * 64);
        if (!dn.scratch[p->slot]) return false;
        dn.scratch_bytes[p->slot] = p->bytes;
    }
    dnnl_memory_set_data_handle(p->inner, dn.scratch[p->slot]);
    return true;
}

/* an input: bind, then reorder into the blocked copy */
static bool port_in(port *p, void *data) {
    if (!port_bind(p, data)) return false;
    if (p->reorder) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, p->user}, {DNNL_ARG_TO, p->inner}};
        dnnl_primitive_execute(p->reorder, dn.stream, 2, a);
    }
    return true;
}

/* an output, after the primitive ran (bound before it): reorder into the caller's buffer */
static void port_out(port *p) {
    if (p->reorder) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, p->inner}, {DNNL_ARG_TO, p->user}};
        dnnl_primitive_execute(p->reorder, dn.stream, 2, a);
    }
}

typedef struct mds {
    dnnl_memory_desc_t src, w, b, dst, any_src, any_w, any_dst;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} mds;

static bool describe(const ltr_dnnl_conv_geo *g, mds *m) {
    const int64_t G = g->groups;
    dnnl_dims_t sd = {g->n, g->c, g->h, g->w}, dd = {g->n, g->o, g->ho, g->wo}, bd = {g->o};
    dnnl_dims_t wd = {g->o, g->c / G, g->kh, g->kw}, gwd = {G, g->o / G, g->c / G, g->kh, g->kw};
    int wn = G > 1 ? 5 : 4;
    dnnl_format_tag_t wtag = G > 1 ? dnnl_goihw : dnnl_oihw;
    const int64_t *wdims = G > 1 ? gwd : wd;
    for (int i = 0; i < 2; i++) {
        int64_t in = i ? g->w : g->h, out = i ? g->wo : g->ho, k = i ? g->kw : g->kh;
        m->strides[i] = g->stride[i];
        m->dilates[i] = g->dilation[i] - 1; /* oneDNN counts the gaps */
        m->pad_l[i] = g->padding[i];
        /* the right padding that makes oneDNN's size formula give torch's output size */
        m->pad_r[i] = (out - 1) * g->stride[i] + (k - 1) * g->dilation[i] + 1 - in - g->padding[i];
        if (m->pad_r[i] < 0) return false; /* a cropped right edge: left to im2col */
    }
    const dnnl_data_type_t dt = g->bf16 ? dnnl_bf16 : dnnl_f32;
    return dnnl_memory_desc_init_by_tag(&m->src, 4, sd, dt, dnnl_nchw) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->dst, 4, dd, dt, dnnl_nchw) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->b, 1, bd, dt, dnnl_x) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->w, wn, wdims, dt, wtag) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->any_src, 4, sd, dt, dnnl_format_tag_any) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->any_dst, 4, dd, dt, dnnl_format_tag_any) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&m->any_w, wn, wdims, dt, dnnl_format_tag_any) == dnnl_success;
}

#define MD(pd, what) dnnl_primitive_desc_query_md(pd, what, 0)

static conv_entry *entry_for(const ltr_dnnl_conv_geo *g) {
    for (int i = 0; i < dn.n; i++)
        if (!memcmp(&dn.entries[i]->geo, g, sizeof *g)) return dn.entries[i];
    if (dn.n == CACHE_MAX) return NULL; /* an unusual stream of shapes: im2col serves it */
    conv_entry *e = calloc(1, sizeof *e);
    mds m;
    if (!e || !describe(g, &m)) goto fail;
    e->geo = *g;
    dnnl_convolution_desc_t cd;
    if (dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
                                                   &m.any_src, &m.any_w, &m.b, &m.any_dst, m.strides,
                                                   m.dilates, m.pad_l, m.pad_r) != dnnl_success ||
        dnnl_primitive_desc_create(&e->fwd_pd, &cd, NULL, dn.engine, NULL) != dnnl_success ||
        dnnl_primitive_create(&e->fwd, e->fwd_pd) != dnnl_success)
        goto fail;
    if (dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &m.any_src, &m.any_w,
                                                         &m.any_dst, m.strides, m.dilates, m.pad_l,
                                                         m.pad_r) != dnnl_success ||
        dnnl_primitive_desc_create(&e->bwd_d_pd, &cd, NULL, dn.engine, e->fwd_pd) != dnnl_success ||
        dnnl_primitive_create(&e->bwd_d, e->bwd_d_pd) != dnnl_success)
        goto fail;
    if (dnnl_dilated_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &m.any_src,
                                                            &m.any_w, &m.b, &m.any_dst, m.strides,
                                                            m.dilates, m.pad_l, m.pad_r) != dnnl_success ||
        dnnl_primitive_desc_create(&e->bwd_w_pd, &cd, NULL, dn.engine, e->fwd_pd) != dnnl_success ||
        dnnl_primitive_create(&e->bwd_w, e->bwd_w_pd) != dnnl_success)
        goto fail;
    /* each call's (up to) three blocked copies take distinct slots */
    if (!port_init(&e->f_src, &m.src, MD(e->fwd_pd, dnnl_query_src_md), true, SLOT_A) ||
        !port_init(&e->f_w, &m.w, MD(e->fwd_pd, dnnl_query_weights_md), true, SLOT_W) ||
        !port_init(&e->f_dst, &m.dst, MD(e->fwd_pd, dnnl_query_dst_md), false, SLOT_B) ||
        !port_init(&e->d_ddst, &m.dst, MD(e->bwd_d_pd, dnnl_query_diff_dst_md), true, SLOT_A) ||
        !port_init(&e->d_w, &m.w, MD(e->bwd_d_pd, dnnl_query_weights_md), true, SLOT_W) ||
        !port_init(&e->d_dsrc, &m.src, MD(e->bwd_d_pd, dnnl_query_diff_src_md), false, SLOT_B) ||
        !port_init(&e->w_src, &m.src, MD(e->bwd_w_pd, dnnl_query_src_md), true, SLOT_A) ||
        !port_init(&e->w_ddst, &m.dst, MD(e->bwd_w_pd, dnnl_query_diff_dst_md), true, SLOT_B) ||
        !port_init(&e->w_dw, &m.w, MD(e->bwd_w_pd, dnnl_query_diff_weights_md), false, SLOT_W) ||
        dnnl_memory_create(&e->bias, &m.b, dn.engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&e->dbias, &m.b, dn.engine, DNNL_MEMORY_NONE) != dnnl_success)
        goto fail;
    dn.entries[dn.n++] = e;
    return e;
fail:
    if (e) entry_free(e);
    return NULL;
}

bool ltr_dnnl_conv2d_forward(const ltr_dnnl_conv_geo *g, const void *x, const void *w,
                             const void *b, void *y) {
    conv_entry *e = ready() ? entry_for(g) : NULL;
    if (!e) return false;
    if (!port_in(&e->f_src, (void *)x) || !port_in(&e->f_w, (void *)w) || !port_bind(&e->f_dst, y))
        return false;
    dnnl_memory_set_data_handle(e->bias, (void *)b);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, e->f_src.inner}, {DNNL_ARG_WEIGHTS, e->f_w.inner},
                            {DNNL_ARG_BIAS, e->bias}, {DNNL_ARG_DST, e->f_dst.inner}};
    if (dnnl_primitive_execute(e->fwd, dn.stream, 4, a) != dnnl_success) return false;
    port_out(&e->f_dst);
    dnnl_stream_wait(dn.stream);
    return true;
}

bool ltr_dnnl_conv2d_backward_data(const ltr_dnnl_conv_geo *g, const void *gy, const void *w,
                                   void *gx) {
    conv_entry *e = ready() ? entry_for(g) : NULL;
    if (!e) return false;
    if (!port_in(&e->d_ddst, (void *)gy) || !port_in(&e->d_w, (void *)w) || !port_bind(&e->d_dsrc, gx))
        return false;
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, e->d_ddst.inner}, {DNNL_ARG_WEIGHTS, e->d_w.inner},
                            {DNNL_ARG_DIFF_SRC, e->d_dsrc.inner}};
    if (dnnl_primitive_execute(e->bwd_d, dn.stream, 3, a) != dnnl_success) return false;
    port_out(&e->d_dsrc);
    dnnl_stream_wait(dn.stream);
    return true;
}

bool ltr_dnnl_conv2d_backward_weights(const ltr_dnnl_conv_geo *g, const void *x, const void *gy,
                                      void *gw, void *gb) {
    conv_entry *e = ready() ? entry_for(g) : NULL;
    if (!e) return false;
    if (!port_in(&e->w_src, (void *)x) || !port_in(&e->w_ddst, (void *)gy) || !port_bind(&e->w_dw, gw))
        return false;
    dnnl_memory_set_data_handle(e->dbias, gb);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, e->w_src.inner}, {DNNL_ARG_DIFF_DST, e->w_ddst.inner},
                            {DNNL_ARG_DIFF_WEIGHTS, e->w_dw.inner}, {DNNL_ARG_DIFF_BIAS, e->dbias}};
    if (dnnl_primitive_execute(e->bwd_w, dn.stream, 4, a) != dnnl_success) return false;
    port_out(&e->w_dw);
    dnnl_stream_wait(dn.stream);
    return true;
}

#else /* no oneDNN: callers keep im2col + GEMM */

void *ltr_dnnl_engine(void) { return NULL; }
void *ltr_dnnl_stream(void) { return NULL; }

bool ltr_dnnl_conv2d_forward(const ltr_dnnl_conv_geo *g, const void *x, const void *w,
                             const void *b, void *y) {
    (void)g, (void)x, (void)w, (void)b, (void)y;
    return false;
}
bool ltr_dnnl_conv2d_backward_data(const ltr_dnnl_conv_geo *g, const void *gy, const void *w,
                                   void *gx) {
    (void)g, (void)gy, (void)w, (void)gx;
    return false;
}
bool ltr_dnnl_conv2d_backward_weights(const ltr_dnnl_conv_geo *g, const void *x, const void *gy,
                                      void *gw, void *gb) {
    (void)g, (void)x, (void)gy, (void)gw, (void)gb;
    return false;
}

#endif
