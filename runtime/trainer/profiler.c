/*
 * profiler.c — trainer.profiler: "simple" and "advanced".
 *
 * simple (Lightning's SimpleProfiler): every hook the trainer calls is an action named
 * like Lightning's ("[LightningModule]<hook>", "[LightningDataModule]get_item", plus
 * "[Strategy]backward" and "[Strategy]optimizer_step"), timed from start to stop; the
 * report lists mean duration, calls, total time and share of the run's wall time,
 * largest total first, and a second table the same for each op kind.
 * advanced: the op table also gives forward and backward apart, and estimated FLOPs
 * (2*M*N*K for linear/matmul/conv, one per output element for the rest) with GFLOP/s.
 * Lightning's AdvancedProfiler is cProfile per action; per-op counts, time and FLOPs is
 * its counterpart for a C runtime.
 *
 * Op time is measured between op boundaries: an op's forward time runs from the end of
 * the previous recorded op (or the start of the hook) to the end of this one, so the
 * few non-differentiable ops (argmax, metrics) count into the next differentiable one;
 * backward time is exact per node. Off (profiler=None) nothing here runs.
 */
#include "trainer/trainer.h"

#include "tensor/op_hooks.h"

#include <stdlib.h>
#include <string.h>

typedef struct prof_row {
    char *name;
    int64_t calls;
    double total, flops;
} prof_row;

typedef struct prof_table {
    prof_row *rows;
    int n, cap;
} prof_table;

struct ltr_profiler {
    ltr_op_observer obs;      /* first: the observer's self is the profiler */
    int kind;
    double t0;                /* creation: the report's "Total" */
    double mark;              /* end of the last op, or start of the current action */
    double bw_start;
    struct { int row; double start; } stack[64]; /* indexes: rows move when the table grows */
    int depth;
    prof_table actions, ops;
};

static prof_row *row_of(prof_table *t, const char *a, const char *b) {
    char name[256];
    snprintf(name, sizeof name, "%s%s", a, b);
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->rows[i].name, name)) return &t->rows[i];
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 32;
        prof_row *g = realloc(t->rows, (size_t)cap * sizeof *g);
        if (!g) return NULL;
        t->rows = g;
        t->cap = cap;
    }
    prof_row *r = &t->rows[t->n];
    memset(r, 0, sizeof *r);
    if (!(r->name = strdup(name))) return NULL;
    t->n++;
    return r;
}

/* Estimated FLOPs of out = op(in...): multiply-adds count 2. */
static double op_flops(const char *op, const lt_tensor *out, int nin, const lt_tensor *const *in) {
    double n = (double)ltr_numel(out);
    if ((!strcmp(op, "linear") || !strcmp(op, "matmul")) && nin >= 2 && in[0] && in[0]->ndim)
        return 2.0 * n * (double)in[0]->shape[in[0]->ndim - 1];
    if ((!strcmp(op, "conv2d") || !strcmp(op, "conv_transpose2d")) && nin >= 2 && in[1]) {
        /* per output element: in_channels/groups * kh * kw multiply-adds (weight dims 1..) */
        double k = 1;
        for (int d = 1; d < in[1]->ndim; d++) k *= (double)in[1]->shape[d];
        if (!strcmp(op, "conv_transpose2d")) /* weight [in, out/g, kh, kw]: per input element */
            return 2.0 * (double)ltr_numel(in[0]) * k;
        return 2.0 * n * k;
    }
    return n;
}

/* The advanced report's row of an op pass: "linear (forward)", and the result's dtype
 * when it is not float32 ("linear (forward, bfloat16)"), so a mixed-precision run shows
 * which op ran in which dtype (as torch.profiler's record_shapes/dtypes columns). */
static const char *pass_label(const ltr_profiler *p, const char *pass, const lt_tensor *out,
                              char *buf, size_t cap) {
    if (p->kind != LTR_PROFILER_ADVANCED) return "";
    if (out && out->dtype != LT_FLOAT32 && (out->dtype == LT_BFLOAT16 || out->dtype == LT_FLOAT64))
        snprintf(buf, cap, " (%s, %s)", pass, ltr_dtype_name(out->dtype));
    else snprintf(buf, cap, " (%s)", pass);
    return buf;
}

static void on_forward(ltr_op_observer *self, lt_ctx *ctx, const char *op, lt_tensor *out,
                       int nin, const lt_tensor *const *in) {
    (void)ctx;
    ltr_profiler *p = (ltr_profiler *)self;
    double now = ltr_now();
    char label[48];
    prof_row *r = row_of(&p->ops, op, pass_label(p, "forward", out, label, sizeof label));
    if (r) {
        r->calls++;
        r->total += now - p->mark;
        r->flops += op_flops(op, out, nin, in);
    }
    p->mark = now;
}

static void on_before_backward(ltr_op_observer *self, lt_ctx *ctx, const ltr_node *n) {
    (void)ctx;
    (void)n;
    ((ltr_profiler *)self)->bw_start = ltr_now();
}

static void on_after_backward(ltr_op_observer *self, lt_ctx *ctx, const ltr_node *n) {
    (void)ctx;
    ltr_profiler *p = (ltr_profiler *)self;
    double now = ltr_now();
    char label[48];
    prof_row *r = row_of(&p->ops, n->op, pass_label(p, "backward", n->out, label, sizeof label));
    if (r) {
        r->calls++;
        r->total += now - p->bw_start;
        /* backward of a product: two products of the forward's size */
        r->flops += 2.0 * op_flops(n->op, n->out, n->nin, n->in);
    }
    p->mark = now;
}

ltr_profiler *ltr_profiler_create(int kind) {
    ltr_profiler *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->kind = kind;
    p->obs.after_forward = on_forward;
    p->obs.before_backward = on_before_backward;
    p->obs.after_backward = on_after_backward;
    p->t0 = p->mark = ltr_now();
    ltr_op_observer_add(&p->obs);
    return p;
}

void ltr_profiler_start(ltr_profiler *p, const char *owner, const char *action) {
    if (!p || !action || p->depth == (int)(sizeof p->stack / sizeof p->stack[0])) return;
    prof_row *r = row_of(&p->actions, owner, action);
    if (!r) return;
    p->stack[p->depth].row = (int)(r - p->actions.rows);
    p->stack[p->depth++].start = p->mark = ltr_now();
}

void ltr_profiler_stop(ltr_profiler *p, const char *owner, const char *action) {
    if (!p || !action) return;
    char name[256];
    snprintf(name, sizeof name, "%s%s", owner, action);
    /* the innermost open action of that name; inner ones left open are dropped */
    for (int i = p->depth - 1; i >= 0; i--)
        if (!strcmp(p->actions.rows[p->stack[i].row].name, name)) {
            prof_row *r = &p->actions.rows[p->stack[i].row];
            r->calls++;
            r->total += ltr_now() - p->stack[i].start;
            p->depth = i;
            return;
        }
}

static int by_total(const void *a, const void *b) {
    double x = ((const prof_row *)a)->total, y = ((const prof_row *)b)->total;
    return x < y ? 1 : x > y ? -1 : strcmp(((const prof_row *)a)->name, ((const prof_row *)b)->name);
}

static void rule(FILE *out, int w) {
    for (int i = 0; i < w; i++) fputc('-', out);
    fputc('\n', out);
}

void ltr_profiler_report(ltr_profiler *p, FILE *out, const char *stage) {
    if (!p) return;
    double wall = ltr_now() - p->t0;
    char title[32];
    size_t i = 0;
    for (; stage[i] && i < sizeof title - 1; i++) title[i] = (char)(stage[i] >= 'a' && stage[i] <= 'z' ? stage[i] - 32 : stage[i]);
    title[i] = '\0';
    fprintf(out, "%s Profiler Report\n\n", title);
    int w = 120;
    rule(out, w);
    fprintf(out, "|  %-48s|  %-18s|  %-12s|  %-15s|  %-12s|\n", "Action", "Mean duration (s)",
            "Num calls", "Total time (s)", "Percentage %");
    rule(out, w);
    int64_t ncalls = 0;
    for (int k = 0; k < p->actions.n; k++) ncalls += p->actions.rows[k].calls;
    fprintf(out, "|  %-48s|  %-18s|  %-12lld|  %-15.5g|  %-12s|\n", "Total", "-",
            (long long)ncalls, wall, "100 %");
    rule(out, w);
    p->depth = 0; /* sorting moves the rows: open actions are dropped */
    qsort(p->actions.rows, (size_t)p->actions.n, sizeof *p->actions.rows, by_total);
    for (int k = 0; k < p->actions.n; k++) {
        const prof_row *r = &p->actions.rows[k];
        if (!r->calls) continue;
        fprintf(out, "|  %-48s|  %-18.5g|  %-12lld|  %-15.5g|  %-12.5g|\n", r->name,
                r->total / (double)r->calls, (long long)r->calls, r->total,
                wall > 0 ? 100.0 * r->total / wall : 0.0);
    }
    rule(out, w);
    bool adv = p->kind == LTR_PROFILER_ADVANCED;
    fprintf(out, "\n%s\n", adv ? "Ops (forward and backward; FLOPs estimated from shapes)"
                               : "Ops (forward + backward)");
    rule(out, adv ? 142 : 120);
    fprintf(out, "|  %-48s|  %-18s|  %-12s|  %-15s|  %-12s|", "Op", "Mean duration (s)",
            "Num calls", "Total time (s)", "Percentage %");
    if (adv) fprintf(out, "  %-10s|  %-8s|", "GFLOPs", "GFLOP/s");
    fputc('\n', out);
    rule(out, adv ? 142 : 120);
    qsort(p->ops.rows, (size_t)p->ops.n, sizeof *p->ops.rows, by_total);
    for (int k = 0; k < p->ops.n; k++) {
        const prof_row *r = &p->ops.rows[k];
        fprintf(out, "|  %-48s|  %-18.5g|  %-12lld|  %-15.5g|  %-12.5g|", r->name,
                r->total / (double)r->calls, (long long)r->calls, r->total,
                wall > 0 ? 100.0 * r->total / wall : 0.0);
        if (adv)
            fprintf(out, "  %-10.4g|  %-8.3g|", r->flops / 1e9,
                    r->total > 0 ? r->flops / 1e9 / r->total : 0.0);
        fputc('\n', out);
    }
    rule(out, adv ? 142 : 120);
    fflush(out);
}

void ltr_profiler_destroy(ltr_profiler *p) {
    if (!p) return;
    ltr_op_observer_remove(&p->obs);
    for (int k = 0; k < p->actions.n; k++) free(p->actions.rows[k].name);
    for (int k = 0; k < p->ops.n; k++) free(p->ops.rows[k].name);
    free(p->actions.rows);
    free(p->ops.rows);
    free(p);
}
