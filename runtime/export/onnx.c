/*
 * onnx.c — the traced forward graph as an ONNX model (onnx/onnx.proto, opset 17,
 * IR version 8), encoded by hand: the few messages needed (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto/TypeProto) are plain protobuf,
 * so no protobuf library (Debian's protobuf-c would need the generated onnx.pb-c.c, a
 * code generator step and a runtime library for ~200 lines of writer).
 *
 * The graph is walked from forward's output back to its input through each tensor's
 * tape node (the order the ops ran in: depth first, inputs before their users).
 * Parameters become initializers under their state_dict names, other leaves (buffers,
 * constants) initializers "const_N". The ops, as torch.onnx exports the same modules:
 *   linear            Gemm(transB=1) on 2-d input; Transpose + MatMul + Add otherwise
 *   conv2d            Conv(kernel_shape, strides, pads, dilations, group)
 *   conv_transpose2d  ConvTranspose(the same, output_padding from the output size)
 *   max/avg_pool2d    MaxPool / AveragePool (ceil_mode from the output size,
 *                     count_include_pad); adaptive_avg_pool2d to 1x1 GlobalAveragePool,
 *                     to a size dividing the input AveragePool
 *   batch_norm (eval) Sub(running mean) then Mul(1 / sqrt(running_var + eps)), per channel,
 *                     then the affine Mul/Add as recorded; in training mode refused
 *   reshape/flatten   Reshape (the batch dimension kept as 0: "copy it")
 *   relu, sigmoid, tanh, exp, log, sqrt, abs, neg, leaky_relu, elu, silu, add/sub/mul/
 *   div (broadcasting as numpy's, the same as torch's), add/mul by a scalar, clamp, matmul,
 *   softmax / log_softmax (their dim), contiguous and a same-dtype `to` as Identity.
 * Dropout in eval mode records nothing (it is the identity), so it needs no node.
 * Anything else stops the export naming the op.
 */
#include "export/export.h"

#include "accelerators/accelerator.h"
#include "accelerators/numerics.h"
#include "core/context.h"
#include "nn/nn.h"
#include "tensor/autograd.h"
#include "tensor/tensor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LTR_VERSION
#define LTR_VERSION "0.0.0"
#endif

/* ------------------------------------------------------------------ protobuf */

typedef struct pb {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} pb;

static void put(pb *b, const void *d, size_t n) {
    if (b->oom || !n) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) { b->oom = true; return; }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void varint(pb *b, uint64_t v) {
    unsigned char t[10];
    int n = 0;
    do {
        t[n] = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    put(b, t, (size_t)n);
}
static void key(pb *b, unsigned field, unsigned wt) { varint(b, (uint64_t)field << 3 | wt); }
static void f_int(pb *b, unsigned field, int64_t v) { key(b, field, 0); varint(b, (uint64_t)v); }
static void f_bytes(pb *b, unsigned field, const void *d, size_t n) {
    key(b, field, 2);
    varint(b, n);
    put(b, d, n);
}
static void f_str(pb *b, unsigned field, const char *s) { f_bytes(b, field, s, strlen(s)); }
static void f_msg(pb *b, unsigned field, pb *m) {
    b->oom |= m->oom;
    f_bytes(b, field, m->p, m->n);
    free(m->p);
    memset(m, 0, sizeof *m);
}
static void f_float(pb *b, unsigned field, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    key(b, field, 5);
    unsigned char t[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 24)};
    put(b, t, 4);
}

/* AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7) */
static void attr_int(pb *attrs, const char *name, int64_t v) {
    pb a = {0};
    f_str(&a, 1, name);
    f_int(&a, 3, v);
    f_int(&a, 20, 2);
    f_msg(attrs, 5, &a);
}
static void attr_float(pb *attrs, const char *name, double v) {
    pb a = {0};
    f_str(&a, 1, name);
    f_float(&a, 2, (float)v);
    f_int(&a, 20, 1);
    f_msg(attrs, 5, &a);
}
static void attr_ints(pb *attrs, const char *name, const int64_t *v, int n) {
    pb a = {0};
    f_str(&a, 1, name);
    for (int i = 0; i < n; i++) f_int(&a, 8, v[i]);
    f_int(&a, 20, 7);
    f_msg(attrs, 5, &a);
}

/* ------------------------------------------------------------------ the graph */

typedef struct tname {
    const lt_tensor *t;
    char name[160];
} tname;

typedef struct graph {
    lt_ctx *ctx;
    const lt_tensor *input;
    pb nodes, inits;
    tname **names; /* each entry its own allocation: names handed out stay valid */
    int n, cap, counter;
    char *err;
    size_t errcap;
    bool failed;
} graph;

static bool fail(graph *g, const char *fmt, const char *a) {
    if (!g->failed) snprintf(g->err, g->errcap, fmt, a);
    g->failed = true;
    return false;
}

static const char *lookup(graph *g, const lt_tensor *t) {
    for (int i = 0; i < g->n; i++)
        if (g->names[i]->t == t) return g->names[i]->name;
    return NULL;
}

static const char *add_name(graph *g, const lt_tensor *t, const char *name) {
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        tname **q = realloc(g->names, (size_t)cap * sizeof *q);
        if (!q) { fail(g, "%sout of memory", ""); return NULL; }
        g->names = q;
        g->cap = cap;
    }
    tname *e = malloc(sizeof *e);
    if (!e) { fail(g, "%sout of memory", ""); return NULL; }
    e->t = t;
    snprintf(e->name, sizeof e->name, "%s", name);
    g->names[g->n++] = e;
    return e->name;
}

static const char *fresh(graph *g, const char *stem, char *buf, size_t cap) {
    snprintf(buf, cap, "%s_%d", stem, g->counter++);
    return buf;
}

static int onnx_dtype(lt_dtype dt) {
    switch (dt) {
    case LT_FLOAT32: return 1;
    case LT_FLOAT64: return 11;
    case LT_INT64: return 7;
    case LT_INT32: return 6;
    case LT_UINT8: return 2;
    case LT_BOOL: return 9;
    default: return 0;
    }
}

/* TensorProto{dims 1, data_type 2, name 8, raw_data 9} from host bytes */
static void initializer(graph *g, const char *name, int dtype, int nd, const int64_t *dims,
                        const void *data, size_t bytes) {
    pb t = {0};
    for (int i = 0; i < nd; i++) f_int(&t, 1, dims[i]);
    f_int(&t, 2, dtype);
    f_str(&t, 8, name);
    f_bytes(&t, 9, data, bytes);
    f_msg(&g->inits, 5, &t);
}

static const char *tensor_const(graph *g, const lt_tensor *t, const char *name) {
    int dt = onnx_dtype(t->dtype);
    if (!dt) return fail(g, "a %s tensor cannot be stored in the ONNX model", ltr_dtype_name(t->dtype)), NULL;
    const void *data = ltr_host_bytes(g->ctx, t);
    if (!data) return fail(g, "%sreading a constant failed", ""), NULL;
    initializer(g, name, dt, t->ndim, t->shape, data, (size_t)ltr_numel(t) * ltr_dtype_size(t->dtype));
    return add_name(g, t, name);
}

/* a float constant of the graph's dtype, of shape dims */
static const char *float_const(graph *g, lt_dtype dt, const double *v, int64_t n, int nd,
                               const int64_t *dims, char *buf, size_t cap) {
    fresh(g, "const", buf, cap);
    if (dt == LT_FLOAT64) {
        initializer(g, buf, 11, nd, dims, v, (size_t)n * 8);
    } else {
        float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
        if (!f) return fail(g, "%sout of memory", ""), NULL;
        for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
        initializer(g, buf, 1, nd, dims, f, (size_t)n * 4);
        free(f);
    }
    return buf;
}

static const char *int64_const(graph *g, const int64_t *v, int64_t n, char *buf, size_t cap) {
    fresh(g, "shape", buf, cap);
    initializer(g, buf, 7, 1, &n, v, (size_t)n * 8);
    return buf;
}

/* NodeProto{input 1, output 2, name 3, op_type 4, attribute 5} */
static void node(graph *g, const char *op, const char *const *in, int nin, const char *out, pb *attrs) {
    pb n = {0};
    char nm[64];
    for (int i = 0; i < nin; i++) f_str(&n, 1, in[i]);
    f_str(&n, 2, out);
    f_str(&n, 3, fresh(g, op, nm, sizeof nm));
    f_str(&n, 4, op);
    if (attrs) {
        n.oom |= attrs->oom;
        put(&n, attrs->p, attrs->n);
        free(attrs->p);
        memset(attrs, 0, sizeof *attrs);
    }
    f_msg(&g->nodes, 1, &n);
}

static const char *emit(graph *g, const lt_tensor *t);

/* the ONNX names of node n's inputs */
static bool inputs_of(graph *g, const ltr_node *n, const char **in) {
    for (int i = 0; i < n->nin; i++) {
        in[i] = n->in[i] ? emit(g, n->in[i]) : "";
        if (!in[i]) return false;
    }
    return true;
}

static const char *op_name(const char *op) { return strncmp(op, "lt_", 3) ? op : op + 3; }

static int softmax_axis(const lt_tensor *x, const ltr_node *n) {
    int64_t outer = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (outer == n->iarg[0] && x->shape[d] == n->iarg[1]) return d;
        outer *= x->shape[d];
    }
    return x->ndim - 1;
}

/* one recorded op as ONNX nodes writing `out` */
static bool translate(graph *g, const ltr_node *n, const char *out) {
    const char *op = op_name(n->op), *in[LTR_NODE_MAX_IN];
    if (!inputs_of(g, n, in)) return false;
    const lt_tensor *x = n->in[0];
    pb a = {0};
    char b1[64], b2[64], b3[64];
    static const char *const same[][2] = {
        {"relu", "Relu"}, {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"}, {"exp", "Exp"}, {"log", "Log"},
        {"sqrt", "Sqrt"}, {"abs", "Abs"}, {"neg", "Neg"}, {"add", "Add"}, {"sub", "Sub"},
        {"mul", "Mul"}, {"div", "Div"}, {"matmul", "MatMul"}, {"contiguous", "Identity"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!strcmp(op, same[i][0])) {
            node(g, same[i][1], in, n->nin, out, NULL);
            return true;
        }
    if (!strcmp(op, "to")) {
        if (n->out->dtype != x->dtype) return fail(g, "op 'to' (a dtype cast) has no ONNX form in ltrun's exporter%s", "");
        node(g, "Identity", in, 1, out, NULL);
    } else if (!strcmp(op, "linear")) {
        if (x->ndim == 2) {
            attr_int(&a, "transB", 1);
            node(g, "Gemm", in, n->nin, out, &a);
        } else {
            int64_t perm[2] = {1, 0};
            attr_ints(&a, "perm", perm, 2);
            const char *wt = fresh(g, "wT", b1, sizeof b1);
            node(g, "Transpose", &in[1], 1, wt, &a);
            const char *mm_in[2] = {in[0], wt};
            const char *mm = n->nin == 3 ? fresh(g, "mm", b2, sizeof b2) : out;
            node(g, "MatMul", mm_in, 2, mm, NULL);
            if (n->nin == 3) {
                const char *add_in[2] = {mm, in[2]};
                node(g, "Add", add_in, 2, out, NULL);
            }
        }
    } else if (!strcmp(op, "conv2d")) {
        const ltr_conv_geo *geo = n->saved;
        int64_t pads[4] = {geo->opt.padding[0], geo->opt.padding[1], geo->opt.padding[0], geo->opt.padding[1]};
        attr_ints(&a, "kernel_shape", geo->k, 2);
        attr_ints(&a, "strides", geo->opt.stride, 2);
        attr_ints(&a, "pads", pads, 4);
        attr_ints(&a, "dilations", geo->opt.dilation, 2);
        attr_int(&a, "group", geo->opt.groups);
        node(g, "Conv", in, n->nin, out, &a);
    } else if (!strcmp(op, "conv_transpose2d")) {
        const lt_conv2d_options *co = n->saved; /* convt_saved starts with its options */
        const lt_tensor *w = n->in[1];
        int64_t k[2] = {w->shape[2], w->shape[3]}, outpad[2];
        for (int i = 0; i < 2; i++) /* torch's output size formula, solved for output_padding */
            outpad[i] = n->out->shape[2 + i] - ((x->shape[2 + i] - 1) * co->stride[i] -
                                               2 * co->padding[i] + co->dilation[i] * (k[i] - 1) + 1);
        int64_t pads[4] = {co->padding[0], co->padding[1], co->padding[0], co->padding[1]};
        attr_ints(&a, "kernel_shape", k, 2);
        attr_ints(&a, "strides", co->stride, 2);
        attr_ints(&a, "pads", pads, 4);
        attr_ints(&a, "dilations", co->dilation, 2);
        attr_ints(&a, "output_padding", outpad, 2);
        attr_int(&a, "group", co->groups);
        node(g, "ConvTranspose", in, n->nin, out, &a);
    } else if (!strcmp(op, "max_pool2d") || !strcmp(op, "avg_pool2d")) {
        const ltr_pool_geo *p = n->saved; /* pool_saved starts with its geometry */
        bool mx = op[1] == 'a';
        int64_t pads[4] = {p->p[0], p->p[1], p->p[0], p->p[1]};
        int64_t floor_h = (x->shape[2] + 2 * p->p[0] - p->d[0] * (p->k[0] - 1) - 1) / p->s[0] + 1;
        int64_t floor_w = (x->shape[3] + 2 * p->p[1] - p->d[1] * (p->k[1] - 1) - 1) / p->s[1] + 1;
        attr_ints(&a, "kernel_shape", p->k, 2);
        attr_ints(&a, "strides", p->s, 2);
        attr_ints(&a, "pads", pads, 4);
        attr_int(&a, "ceil_mode", p->ho != floor_h || p->wo != floor_w);
        if (mx) attr_ints(&a, "dilations", p->d, 2);
        else {
            if (p->d[0] != 1 || p->d[1] != 1) return fail(g, "avg_pool2d with dilation has no ONNX form in opset 17%s", "");
            attr_int(&a, "count_include_pad", p->count_include_pad);
        }
        node(g, mx ? "MaxPool" : "AveragePool", in, 1, out, &a);
    } else if (!strcmp(op, "adaptive_avg_pool2d")) {
        int64_t oh = n->out->shape[2], ow = n->out->shape[3], ih = x->shape[2], iw = x->shape[3];
        if (oh == 1 && ow == 1) node(g, "GlobalAveragePool", in, 1, out, NULL);
        else if (ih % oh == 0 && iw % ow == 0) {
            int64_t k[2] = {ih / oh, iw / ow};
            attr_ints(&a, "kernel_shape", k, 2);
            attr_ints(&a, "strides", k, 2);
            node(g, "AveragePool", in, 1, out, &a);
        } else return fail(g, "adaptive_avg_pool2d to a size that does not divide the input has no ONNX form%s", "");
    } else if (!strcmp(op, "reshape")) {
        int64_t shape[LT_MAX_DIMS];
        for (int d = 0; d < n->out->ndim; d++) shape[d] = n->out->shape[d];
        if (n->out->ndim > 0 && x->ndim > 0 && n->out->shape[0] == x->shape[0]) shape[0] = 0;
        const char *r_in[2] = {in[0], int64_const(g, shape, n->out->ndim, b1, sizeof b1)};
        node(g, "Reshape", r_in, 2, out, NULL);
    } else if (!strcmp(op, "softmax") || !strcmp(op, "log_softmax")) {
        attr_int(&a, "axis", softmax_axis(x, n));
        node(g, op[0] == 's' ? "Softmax" : "LogSoftmax", in, 1, out, &a);
    } else if (!strcmp(op, "batch_norm")) {
        const ltr_norm_saved *s = n->saved;
        if (s->batch_stats || !s->mean)
            return fail(g, "batch_norm in training mode (batch statistics) has no fixed ONNX form: "
                           "export runs the module in eval mode%s", "");
        int64_t c = s->c, dims[LT_MAX_DIMS];
        int nd = x->ndim - 1; /* [C, 1, ..., 1] against [N, C, ...] */
        dims[0] = c;
        for (int d = 1; d < nd; d++) dims[d] = 1;
        double *mv = malloc((size_t)c * 2 * sizeof *mv);
        if (!mv) return fail(g, "%sout of memory", "");
        if (ltr_tensor_to_host(g->ctx, s->mean, mv, (size_t)c * 8) ||
            ltr_tensor_to_host(g->ctx, s->invstd, mv + c, (size_t)c * 8)) {
            free(mv);
            return fail(g, "%sreading batch_norm's statistics failed", "");
        }
        const char *mean = float_const(g, x->dtype, mv, c, nd, dims, b1, sizeof b1);
        const char *inv = mean ? float_const(g, x->dtype, mv + c, c, nd, dims, b2, sizeof b2) : NULL;
        free(mv);
        if (!inv) return false;
        const char *sub_in[2] = {in[0], mean};
        const char *centred = fresh(g, "centred", b3, sizeof b3);
        node(g, "Sub", sub_in, 2, centred, NULL);
        const char *mul_in[2] = {centred, inv};
        node(g, "Mul", mul_in, 2, out, NULL);
    } else if (!strcmp(op, "leaky_relu") || !strcmp(op, "elu")) {
        attr_float(&a, "alpha", n->farg[0]);
        node(g, op[0] == 'l' ? "LeakyRelu" : "Elu", in, 1, out, &a);
    } else if (!strcmp(op, "silu")) {
        const char *sg = fresh(g, "sigmoid", b1, sizeof b1);
        node(g, "Sigmoid", in, 1, sg, NULL);
        const char *m_in[2] = {in[0], sg};
        node(g, "Mul", m_in, 2, out, NULL);
    } else if (!strcmp(op, "add_scalar") || !strcmp(op, "mul_scalar")) {
        double v = n->farg[0];
        const char *k = float_const(g, x->dtype, &v, 1, 0, NULL, b1, sizeof b1);
        const char *s_in[2] = {in[0], k};
        node(g, op[0] == 'a' ? "Add" : "Mul", s_in, 2, out, NULL);
    } else if (!strcmp(op, "clamp")) {
        double lo = n->farg[0], hi = n->farg[1];
        const char *kl = isinf(lo) ? "" : float_const(g, x->dtype, &lo, 1, 0, NULL, b1, sizeof b1);
        const char *kh = isinf(hi) ? "" : float_const(g, x->dtype, &hi, 1, 0, NULL, b2, sizeof b2);
        const char *c_in[3] = {in[0], kl, kh};
        node(g, "Clip", c_in, 3, out, NULL);
    } else {
        return fail(g, "op '%s' (in forward) has no ONNX form in ltrun's exporter (supported: "
                       "linear, conv2d, conv_transpose2d, max/avg_pool2d, adaptive_avg_pool2d, batch_norm in eval, "
                       "reshape/flatten, softmax, log_softmax, relu, leaky_relu, elu, silu, sigmoid, "
                       "tanh, exp, log, sqrt, abs, neg, add, sub, mul, div, matmul, clamp)", op);
    }
    return !g->failed;
}

/* the ONNX name of t, emitting what produces it first */
static const char *emit(graph *g, const lt_tensor *t) {
    if (g->failed) return NULL;
    const char *known = lookup(g, t);
    if (known) return known;
    if (t == g->input) return add_name(g, t, "input");
    if (!t->node) {
        char buf[64];
        if (t->name) return tensor_const(g, t, t->name); /* a parameter: its state_dict name */
        return tensor_const(g, t, fresh(g, "const", buf, sizeof buf));
    }
    char buf[64];
    fresh(g, op_name(t->node->op), buf, sizeof buf);
    if (!translate(g, t->node, buf)) return NULL;
    return add_name(g, t, buf);
}

/* ValueInfoProto{name 1, type 2 {tensor_type 1 {elem_type 1, shape 2 {dim 1 {dim_value 1
 * | dim_param 2}}}}}, the batch dimension free when `batch` */
static void value_info(pb *graph_msg, unsigned field, const char *name, const lt_tensor *t, bool batch) {
    pb shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int d = 0; d < t->ndim; d++) {
        pb dim = {0};
        if (d == 0 && batch) f_str(&dim, 2, "batch");
        else f_int(&dim, 1, t->shape[d]);
        f_msg(&shape, 1, &dim);
    }
    f_int(&tt, 1, onnx_dtype(t->dtype));
    f_msg(&tt, 2, &shape);
    f_msg(&type, 1, &tt);
    f_str(&vi, 1, name);
    f_msg(&vi, 2, &type);
    f_msg(graph_msg, field, &vi);
}

lt_status ltr_onnx_write(lt_ctx *ctx, const lt_tensor *in, const lt_tensor *out, const char *path,
                         char *err, size_t cap) {
    graph g = {.ctx = ctx, .input = in, .err = err, .errcap = cap};
    err[0] = '\0';
    if (!onnx_dtype(in->dtype) || !onnx_dtype(out->dtype)) {
        snprintf(err, cap, "forward's input or output dtype has no ONNX type");
        return LT_ERROR;
    }
    if (out == in || !out->node) {
        snprintf(err, cap, "forward's output was not computed from its input by recorded ops "
                           "(nothing to export)");
        return LT_ERROR;
    }
    const char *out_name = emit(&g, out);
    lt_status rc = LT_OK;
    if (!out_name || g.failed) rc = LT_ERROR;
    pb graph_msg = {0}, model = {0}, opset = {0};
    if (rc == LT_OK) {
        bool batch = in->ndim > 0 && out->ndim > 0 && out->shape[0] == in->shape[0];
        /* forward's output gets a stable name through an Identity */
        const char *o_in[1] = {out_name};
        node(&g, "Identity", o_in, 1, "output", NULL);
        put(&graph_msg, g.nodes.p, g.nodes.n);         /* node 1 */
        f_str(&graph_msg, 2, "ltrun_forward");           /* name 2 */
        put(&graph_msg, g.inits.p, g.inits.n);         /* initializer 5 */
        value_info(&graph_msg, 11, "input", in, in->ndim > 0); /* input 11 */
        value_info(&graph_msg, 12, "output", out, batch);      /* output 12 */
        graph_msg.oom |= g.nodes.oom | g.inits.oom;
        f_int(&model, 1, 8);                              /* ir_version */
        f_str(&model, 2, "ltrun");                        /* producer_name */
        f_str(&model, 3, LTR_VERSION);                    /* producer_version */
        f_msg(&model, 7, &graph_msg);                     /* graph */
        f_str(&opset, 1, "");                             /* OperatorSetIdProto.domain */
        f_int(&opset, 2, 17);                             /* .version */
        f_msg(&model, 8, &opset);                         /* opset_import */
        if (model.oom) {
            snprintf(err, cap, "out of memory encoding the model");
            rc = LT_ERROR;
        }
    }
    if (rc == LT_OK) {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.ltrun-tmp", path);
        FILE *f = fopen(tmp, "wb");
        if (!f) {
            snprintf(err, cap, "--output %s: cannot write: %s", path, strerror(errno));
            rc = LT_ERROR;
        } else {
            size_t w = fwrite(model.p, 1, model.n, f);
            if (fclose(f) || w != model.n || rename(tmp, path)) {
                snprintf(err, cap, "--output %s: writing failed: %s", path, strerror(errno));
                remove(tmp);
                rc = LT_ERROR;
            }
        }
    }
    free(g.nodes.p);
    free(g.inits.p);
    for (int i = 0; i < g.n; i++) free(g.names[i]);
    free(g.names);
    free(graph_msg.p);
    free(model.p);
    free(opset.p);
    return rc;
}
