/*
 * ckpt_load.c — read a checkpoint back (format v1), validating each phase completely
 * before it changes anything (see checkpoint.h).
 *
 * The state_dict check reproduces torch.nn.Module.load_state_dict's report: every
 * missing key, unexpected key and size mismatch, in one message
 * ("Error(s) in loading state_dict for <module>: Missing key(s) in state_dict: ...").
 * ltrun is stricter than torch in one point: a dtype mismatch is an error too (torch
 * would cast), since a checkpoint of another precision is almost always a mistake.
 * strict=false (Lightning's `strict` of load_from_checkpoint / load_state_dict) keeps the
 * matching tensors and reports the missing and unexpected keys as a warning; a size (or
 * dtype) mismatch is refused either way, as torch's strict=False refuses it.
 */
#include "checkpoint/checkpoint.h"
#include "precision/precision.h"
#include "optim/lr_scheduler.h"
#include "optim/optimizer.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ck_tensor {
    char *name;
    int dtype;
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    void *data;
    lt_tensor *target; /* the module's tensor it loads into (NULL: skipped) */
} ck_tensor;

struct ltr_ckpt {
    char *path;
    hid_t file;
    bool weights_only;
    ck_tensor *t;
    int64_t n, cap;
    char *warning;
};

/* a growing message */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) return;
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void shape_str(int ndim, const int64_t *shape, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

void ltr_ckpt_close(ltr_ckpt *c) {
    if (!c) return;
    for (int64_t i = 0; i < c->n; i++) {
        free(c->t[i].name);
        free(c->t[i].data);
    }
    free(c->t);
    if (c->file >= 0) H5Fclose(c->file);
    free(c->warning);
    free(c->path);
    free(c);
}

const char *ltr_ckpt_warning(const ltr_ckpt *c) { return c->warning; }
const char *ltr_ckpt_path(const ltr_ckpt *c) { return c->path; }
bool ltr_ckpt_weights_only(const ltr_ckpt *c) { return c->weights_only; }
hid_t ltr_ckpt_file(const ltr_ckpt *c) { return c->file; }

/* Read dataset `name` of loc, which must have dtype dt and exactly the given shape, into
 * a new buffer (sized from the caller's shape, never from the file's). NULL with err
 * set (naming `where`) when it does not match or cannot be read. */
static void *read_array(hid_t loc, const char *name, lt_dtype dt, int ndim, const int64_t *shape,
                        const char *where, char *err, size_t cap) {
    hid_t d = H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    if (d < 0) {
        snprintf(err, cap, "dataset %s is missing", where);
        return NULL;
    }
    hid_t sp = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[LT_MAX_DIMS];
    bool same = ltr_h5_dataset_dtype(d) == (int)dt && nd == ndim && nd >= 0 && nd <= LT_MAX_DIMS;
    if (same) H5Sget_simple_extent_dims(sp, dims, NULL);
    int64_t n = 1;
    for (int k = 0; same && k < nd; k++) same = (int64_t)dims[k] == shape[k], n *= shape[k];
    void *buf = NULL;
    if (!same) {
        char want[128];
        shape_str(ndim, shape, want, sizeof want);
        snprintf(err, cap, "dataset %s does not match: expected %s of shape %s", where, ltr_dtype_name(dt),
                 want);
    } else if (!(buf = malloc((size_t)(n > 0 ? n : 1) * ltr_dtype_size(dt)))) {
        snprintf(err, cap, "out of memory reading %s", where);
    } else if (n > 0 && ltr_ckpt_read(d, ltr_h5_mem_type(dt), buf, where, err, cap)) {
        free(buf);
        buf = NULL;
    }
    H5Sclose(sp);
    H5Dclose(d);
    return buf;
}

typedef struct sd_iter {
    ltr_ckpt *c;
    char *err;
    size_t cap;
    bool bad;
} sd_iter;

/* One /state_dict entry's name, dtype and shape (ltr_ckpt_validate checked them); its
 * data is read only once it matched the module's tensor (read_matched). */
static herr_t read_sd_entry(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    sd_iter *it = op;
    ltr_ckpt *c = it->c;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        snprintf(it->err, it->cap, "/state_dict/%s is not a dataset", name);
        it->bad = true;
        return 1;
    }
    ck_tensor e = {0};
    e.dtype = ltr_h5_dataset_dtype(d);
    hid_t sp = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[LT_MAX_DIMS];
    if (e.dtype < 0 || nd < 0 || nd > LT_MAX_DIMS) {
        snprintf(it->err, it->cap, "/state_dict/%s: %s", name,
                 e.dtype < 0 ? "a data type ltrun does not know" : "too many dimensions");
        it->bad = true;
    } else {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        e.ndim = nd;
        for (int k = 0; k < nd; k++) e.shape[k] = (int64_t)dims[k];
        e.name = strdup(name);
        if (!e.name) it->bad = true, snprintf(it->err, it->cap, "out of memory");
    }
    H5Sclose(sp);
    H5Dclose(d);
    if (!it->bad && c->n == c->cap) {
        int64_t cap = c->cap ? 2 * c->cap : 16;
        ck_tensor *t = realloc(c->t, (size_t)cap * sizeof *t);
        if (!t) it->bad = true, snprintf(it->err, it->cap, "out of memory");
        else c->t = t, c->cap = cap;
    }
    if (it->bad) {
        free(e.name);
        return 1;
    }
    c->t[c->n++] = e;
    return 0;
}

/* Read the tensors that matched the module, each into a buffer of its tensor's size. */
static lt_status read_matched(ltr_ckpt *c, char *msg, size_t cap) {
    hid_t sd = H5Gopen2(c->file, "state_dict", H5P_DEFAULT);
    if (sd < 0) {
        snprintf(msg, cap, "/state_dict cannot be opened (corrupt file)");
        return LT_ERROR;
    }
    lt_status rc = LT_OK;
    for (int64_t i = 0; i < c->n && rc == LT_OK; i++) {
        ck_tensor *e = &c->t[i];
        if (!e->target) continue;
        char where[1100];
        snprintf(where, sizeof where, "/state_dict/%s", e->name);
        const lt_tensor *p = e->target;
        e->data = read_array(sd, e->name, p->dtype, p->ndim, p->shape, where, msg, cap);
        if (!e->data) rc = LT_ERROR;
    }
    H5Gclose(sd);
    return rc;
}

static ck_tensor *find_entry(ltr_ckpt *c, const char *name) {
    for (int64_t i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].name, name)) return &c->t[i];
    return NULL;
}

/* Match the file's state_dict against the module's: the missing and unexpected keys in
 * `keys`, the size (and dtype) mismatches in `mismatch` (both empty: all match). */
static void match_state_dict(const ltr_ckpt_state *t, ltr_ckpt *c, sbuf *keys, sbuf *mismatch) {
    sbuf missing = {0}, unexpected = {0};
    int nmiss = 0, nunex = 0;
    const ltr_param_store *s = t->params;
    for (int pass = 0; pass < 2; pass++) {
        lt_tensor *const *list = pass ? s->buffers : s->params;
        int64_t n = pass ? s->nbuffers : s->count;
        for (int64_t i = 0; i < n; i++) {
            lt_tensor *p = list[i];
            ck_tensor *e = find_entry(c, p->name);
            if (!e) {
                sb_printf(&missing, "%s\"%s\"", nmiss++ ? ", " : "", p->name);
                continue;
            }
            bool same = e->ndim == p->ndim;
            for (int d = 0; same && d < p->ndim; d++) same = e->shape[d] == p->shape[d];
            char a[128], b[128];
            if (!same) {
                shape_str(e->ndim, e->shape, a, sizeof a);
                shape_str(p->ndim, p->shape, b, sizeof b);
                sb_printf(mismatch, "\n\tsize mismatch for %s: copying a param with shape %s from "
                                    "checkpoint, the shape in current model is %s.", p->name, a, b);
            } else if (e->dtype != (int)p->dtype) {
                sb_printf(mismatch, "\n\tdtype mismatch for %s: %s in the checkpoint, %s in the "
                                    "current model.", p->name, ltr_dtype_name((lt_dtype)e->dtype),
                          ltr_dtype_name(p->dtype));
            } else {
                e->target = p;
            }
        }
    }
    for (int64_t i = 0; i < c->n; i++) {
        const char *nm = c->t[i].name;
        if (!ltr_param_store_find(s, nm) && !ltr_param_store_find_buffer(s, nm))
            sb_printf(&unexpected, "%s\"%s\"", nunex++ ? ", " : "", nm);
    }
    if (nmiss) sb_printf(keys, "\n\tMissing key(s) in state_dict: %s.", missing.s);
    if (nunex) sb_printf(keys, "\n\tUnexpected key(s) in state_dict: %s.", unexpected.s);
    free(missing.s);
    free(unexpected.s);
}

/* The refusal: "checkpoint 'P': Error(s) in loading state_dict for M:<report>" then the
 * hint. The trainer keeps its first error in a 1 KiB slot, so a report too long for it is
 * cut at an item boundary with a count of what was left out, and the hint always stays
 * whole (a cut hint told users half of what to do). */
#define LTR_CKPT_REFUSAL_MAX 1000
static void refusal(char *err, size_t cap, const char *path, const char *mod, const char *report,
                    const char *hint) {
    char head[1200];
    snprintf(head, sizeof head, "checkpoint '%s': Error(s) in loading state_dict for %s:", path, mod);
    size_t budget = LTR_CKPT_REFUSAL_MAX, used = strlen(head) + strlen(hint) + 1;
    size_t room = used < budget ? budget - used : 0, n = strlen(report);
    char cut[96] = "";
    if (n > room) {
        size_t keep = room > 64 ? room - 64 : 0; /* leave space for the note */
        size_t at = keep;
        while (at > 0 && report[at] != '\n' && strncmp(report + at, ", ", 2)) at--;
        int left = 0;
        for (const char *q = report + at; *q; q++) left += *q == '\n' || !strncmp(q, ", \"", 3);
        snprintf(cut, sizeof cut, "\n\t... and %d more (the report was cut)", left ? left : 1);
        n = at;
    }
    snprintf(err, cap, "%s%.*s%s\n%s", head, (int)n, report, cut, hint);
}

ltr_ckpt *ltr_ckpt_open_view(const ltr_ckpt_state *t, const char *path, bool strict, char *err,
                             size_t cap) {
    ltr_h5_init();
    char msg[2048] = "";
    ltr_ckpt *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, cap, "checkpoint '%s': out of memory", path);
        return NULL;
    }
    c->file = -1;
    c->path = strdup(path);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        snprintf(err, cap, "checkpoint '%s': cannot open it (%s)", path, strerror(errno));
        ltr_ckpt_close(c);
        return NULL;
    }
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, cap, "checkpoint '%s' is not an HDF5 file (ltrun checkpoints are .h5 files "
                           "written by ltrun fit or lt_save_checkpoint)", path);
        ltr_ckpt_close(c);
        return NULL;
    }
    c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c->file < 0) {
        snprintf(err, cap, "checkpoint '%s': the HDF5 file cannot be opened (truncated or corrupt)", path);
        ltr_ckpt_close(c);
        return NULL;
    }
    /* the structural pass first: nothing below reads what it did not check */
    if (ltr_ckpt_validate(c->file, msg, sizeof msg)) goto fail;
    hid_t m = H5Gopen2(c->file, "meta", H5P_DEFAULT);
    int64_t wo = 0;
    if (m < 0 || ltr_h5_get_i64(m, "weights_only", &wo)) {
        if (m >= 0) H5Gclose(m);
        snprintf(msg, sizeof msg, "/meta cannot be read (corrupt file)");
        goto fail;
    }
    H5Gclose(m);
    c->weights_only = wo != 0;
    hid_t sd = H5Gopen2(c->file, "state_dict", H5P_DEFAULT);
    sd_iter it = {c, msg, sizeof msg, false};
    hsize_t idx = 0;
    herr_t rc = sd < 0 ? -1 : H5Literate(sd, H5_INDEX_NAME, H5_ITER_INC, &idx, read_sd_entry, &it);
    if (sd >= 0) H5Gclose(sd);
    if (it.bad) goto fail;
    if (rc < 0) {
        snprintf(msg, sizeof msg, "/state_dict cannot be read (truncated or corrupt)");
        goto fail;
    }
    sbuf keys = {0}, mismatch = {0};
    match_state_dict(t, c, &keys, &mismatch);
    const char *mod = t->module_name ? t->module_name : "the module";
    /* torch's load_state_dict: strict=False forgives missing and unexpected keys, never a
     * size mismatch (it raises "Error(s) in loading state_dict" listing the mismatches) */
    if (mismatch.len || (strict && keys.len)) {
        sbuf all = {0};
        sb_printf(&all, "%s%s", strict && keys.s ? keys.s : "", mismatch.s ? mismatch.s : "");
        refusal(err, cap, path, mod, all.s, mismatch.len
                ? "(a tensor whose shape or dtype differs is never loaded, --strict false included, "
                  "as torch's strict=False: build the module with the checkpoint's sizes)"
                : "(pass --strict false to load the matching tensors only)");
        free(all.s);
        free(keys.s);
        free(mismatch.s);
        ltr_ckpt_close(c);
        return NULL;
    }
    if (keys.len) {
        sbuf w = {0};
        sb_printf(&w, "checkpoint '%s': strict=False, these tensors of %s were not loaded:%s", path, mod,
                  keys.s);
        c->warning = w.s;
    }
    free(keys.s);
    free(mismatch.s);
    /* names, shapes and dtypes matched: only now is anything allocated for the data */
    if (read_matched(c, msg, sizeof msg)) goto fail;
    return c;
fail:
    snprintf(err, cap, "checkpoint '%s': %s", path, msg);
    ltr_ckpt_close(c);
    return NULL;
}

void ltr_ckpt_copy_weights(ltr_ckpt *c) {
    for (int64_t i = 0; i < c->n; i++) {
        ck_tensor *e = &c->t[i];
        if (e->target && e->data)
            ltr_h5_to_device(e->target->device, e->target->data, e->data,
                             (size_t)ltr_numel(e->target) * ltr_dtype_size(e->target->dtype));
    }
}

/* ---------------------------------------------------------------- phase 2 (fit) */

typedef struct opt_state_in {
    int64_t index; /* parameter index */
    int64_t step;
    void *buf[3];
} opt_state_in;

typedef struct opt_in {
    double *hp;         /* ngroups * nkeys */
    double *initial_lr; /* ngroups; NAN: unset */
    opt_state_in *st;
    int64_t nst;
} opt_in;

static void free_opt_in(opt_in *o) {
    for (int64_t i = 0; i < o->nst; i++)
        for (int b = 0; b < 3; b++) free(o->st[i].buf[b]);
    free(o->st);
    free(o->hp);
    free(o->initial_lr);
}

static int nkeys_of(const lt_optimizer *o) {
    int k = 0;
    while (ltr_group_key_at(o, k)) k++;
    return k;
}

typedef struct st_iter {
    lt_optimizer *o;
    int opt_index;
    opt_in *in;
    char *err;
    size_t cap;
} st_iter;

static herr_t read_state_entry(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    (void)info;
    st_iter *it = op;
    lt_optimizer *o = it->o;
    lt_tensor *p = ltr_param_store_find(o->params, name);
    int64_t idx = -1;
    for (int64_t i = 0; p && i < o->params->count; i++)
        if (o->params->params[i] == p) idx = i;
    if (idx < 0 || !ltr_optimizer_holds(o, idx)) {
        snprintf(it->err, it->cap, "the %s state has an entry for '%s', which is not a parameter "
                                   "of this optimizer", o->name, name);
        return -1;
    }
    hid_t pg = H5Gopen2(g, name, H5P_DEFAULT);
    if (pg < 0) return -1;
    opt_state_in *s = &it->in->st[it->in->nst++];
    s->index = idx;
    lt_status rc = ltr_h5_get_i64(pg, "step", &s->step);
    const char *bn[3];
    ltr_ckpt_state_names(o->kind, bn);
    for (int b = 0; b < 3 && rc == LT_OK; b++) {
        if (!bn[b] || H5Lexists(pg, bn[b], H5P_DEFAULT) <= 0) continue;
        /* the parameter's full shape, not only its element count (a transposed buffer) */
        char where[1200];
        snprintf(where, sizeof where, "/optimizer/%d/state/%s/%s", it->opt_index, name, bn[b]);
        s->buf[b] = read_array(pg, bn[b], p->dtype, p->ndim, p->shape, where, it->err, it->cap);
        if (!s->buf[b]) rc = LT_ERROR;
    }
    H5Gclose(pg);
    if (rc && !it->err[0]) snprintf(it->err, it->cap, "the %s state of '%s' is incomplete", o->name, name);
    return rc ? -1 : 0;
}

static lt_status read_optimizer(hid_t og, int opt_index, lt_optimizer *o, opt_in *in, char *err, size_t cap) {
    char *name = ltr_h5_get_str(og, "name");
    int64_t ng = 0;
    bool ok = name && !strcmp(name, o->name) && ltr_h5_get_i64(og, "num_param_groups", &ng) == LT_OK;
    if (!ok) {
        snprintf(err, cap, "the checkpoint's optimizer is %s, configure_optimizers made %s",
                 name ? name : "missing", o->name);
        free(name);
        return LT_ERROR;
    }
    free(name);
    if (ng != o->ngroups) {
        /* torch.optim.Optimizer.load_state_dict */
        snprintf(err, cap, "loaded state dict has a different number of parameter groups "
                           "(%lld in the checkpoint, %d in %s)", (long long)ng, o->ngroups, o->name);
        return LT_ERROR;
    }
    int nk = nkeys_of(o);
    in->hp = calloc((size_t)(ng * nk + 1), sizeof(double));
    in->initial_lr = calloc((size_t)ng + 1, sizeof(double));
    in->st = calloc((size_t)o->nstate + 1, sizeof *in->st);
    if (!in->hp || !in->initial_lr || !in->st) {
        snprintf(err, cap, "out of memory");
        return LT_ERROR;
    }
    for (int g = 0; g < o->ngroups; g++) {
        char path[64];
        snprintf(path, sizeof path, "param_groups/%d", g);
        hid_t gg = H5Lexists(og, "param_groups", H5P_DEFAULT) > 0 && H5Lexists(og, path, H5P_DEFAULT) > 0
                       ? H5Gopen2(og, path, H5P_DEFAULT) : -1;
        lt_status rc = gg < 0 ? LT_ERROR : LT_OK;
        for (int k = 0; k < nk && rc == LT_OK; k++)
            rc = ltr_h5_get_f64(gg, ltr_group_key_at(o, k), &in->hp[g * nk + k]);
        if (rc == LT_OK && ltr_h5_get_f64(gg, "initial_lr", &in->initial_lr[g]) != LT_OK)
            in->initial_lr[g] = NAN;
        int64_t n = o->groups[g].n;
        char where[128];
        snprintf(where, sizeof where, "/optimizer/%d/param_groups/%d/param_index", opt_index, g);
        char why[512];
        int64_t *index =
            rc == LT_OK ? read_array(gg, "param_index", LT_INT64, 1, &n, where, why, sizeof why) : NULL;
        if (rc == LT_OK && !index) {
            snprintf(err, cap, "loaded state dict contains a parameter group that doesn't match "
                               "the size of optimizer's group (%s group %d)", o->name, g);
            if (gg >= 0) H5Gclose(gg);
            return LT_ERROR;
        }
        bool same = index != NULL;
        for (int64_t j = 0; same && j < n; j++) same = index[j] == o->groups[g].index[j];
        free(index);
        if (gg >= 0) H5Gclose(gg);
        if (rc) {
            snprintf(err, cap, "%s param group %d is incomplete in the checkpoint", o->name, g);
            return LT_ERROR;
        }
        if (!same) {
            snprintf(err, cap, "%s param group %d holds other parameters in the checkpoint", o->name, g);
            return LT_ERROR;
        }
    }
    if (H5Lexists(og, "state", H5P_DEFAULT) > 0) {
        hid_t sg = H5Gopen2(og, "state", H5P_DEFAULT);
        H5G_info_t gi = {0};
        if (H5Gget_info(sg, &gi) < 0 || (int64_t)gi.nlinks > o->nstate) {
            H5Gclose(sg);
            snprintf(err, cap, "the %s state has more entries than the optimizer has parameters", o->name);
            return LT_ERROR;
        }
        err[0] = '\0';
        st_iter it = {o, opt_index, in, err, cap};
        hsize_t idx = 0;
        herr_t rc = H5Literate(sg, H5_INDEX_NAME, H5_ITER_INC, &idx, read_state_entry, &it);
        H5Gclose(sg);
        if (rc < 0) {
            if (!err[0]) snprintf(err, cap, "the %s state cannot be read (truncated or corrupt)", o->name);
            return LT_ERROR;
        }
    }
    return LT_OK;
}

typedef struct sched_in {
    int64_t last_epoch, step_count, num_bad, cooldown;
    double t_i, t_cur, best;
    double *base_lrs, *last_lr;
} sched_in;

static lt_status read_scheduler(hid_t g, lt_lr_scheduler *s, sched_in *in, char *err, size_t cap) {
    char *name = ltr_h5_get_str(g, "name");
    bool same = name && !strcmp(name, s->name);
    if (!same) {
        snprintf(err, cap, "the checkpoint's scheduler is %s, configure_optimizers made %s",
                 name ? name : "missing", s->name);
        free(name);
        return LT_ERROR;
    }
    free(name);
    lt_status rc = ltr_h5_get_i64(g, "last_epoch", &in->last_epoch);
    rc |= ltr_h5_get_i64(g, "_step_count", &in->step_count);
    rc |= ltr_h5_get_i64(g, "num_bad_epochs", &in->num_bad);
    rc |= ltr_h5_get_i64(g, "cooldown_counter", &in->cooldown);
    rc |= ltr_h5_get_f64(g, "T_i", &in->t_i);
    rc |= ltr_h5_get_f64(g, "T_cur", &in->t_cur);
    rc |= ltr_h5_get_f64(g, "best", &in->best);
    if (rc == LT_OK) {
        int64_t n = s->ngroups;
        char why[512];
        in->base_lrs = read_array(g, "base_lrs", LT_FLOAT64, 1, &n, "base_lrs", why, sizeof why);
        in->last_lr = read_array(g, "_last_lr", LT_FLOAT64, 1, &n, "_last_lr", why, sizeof why);
    }
    if (rc || !in->base_lrs || !in->last_lr) {
        snprintf(err, cap, "the state of scheduler %s is incomplete or does not match its %d "
                           "param group(s)", s->name, s->ngroups);
        return LT_ERROR;
    }
    return LT_OK;
}

/* The run's precision's entry under /precision (its class name), parsed; NULL when the
 * checkpoint has none: Lightning loads the precision state only `if
 * prec_plugin.__class__.__qualname__ in checkpoint`, another class's is ignored. */
static lt_status read_precision_state(const ltr_ckpt_state *t, hid_t file, cJSON **out, char *msg,
                                      size_t cap) {
    *out = NULL;
    const char *key = t->precision ? t->precision->ops->class_name : NULL;
    if (!key || H5Lexists(file, "precision", H5P_DEFAULT) <= 0) return LT_OK;
    hid_t g = H5Gopen2(file, "precision", H5P_DEFAULT);
    if (g < 0) return LT_OK;
    lt_status rc = LT_OK;
    if (H5Lexists(g, key, H5P_DEFAULT) > 0) {
        char *text = ltr_h5_read_str(g, key);
        *out = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!*out) {
            snprintf(msg, cap, "/precision/%s cannot be read", key);
            rc = LT_ERROR;
        }
    }
    H5Gclose(g);
    return rc;
}

lt_status ltr_ckpt_apply_training_view(ltr_ckpt_state *t, ltr_ckpt *c, char *err, size_t cap) {
    char msg[1024] = "";
    ltr_optim_setup *os = t->optim;
    if (c->weights_only) {
        /* Lightning's _CheckpointConnector.restore_training_state */
        snprintf(err, cap, "checkpoint '%s': Trying to restore optimizer state but checkpoint "
                           "contains only the model (it was saved with weights_only). Resume from a "
                           "full checkpoint, or load the weights with validate/test/predict",
                 c->path);
        return LT_ERROR;
    }
    int nopt = os->noptimizers, nsch = os->nowned_sched;
    opt_in *oin = calloc((size_t)nopt + 1, sizeof *oin);
    sched_in *sin = calloc((size_t)nsch + 1, sizeof *sin);
    int64_t L[6] = {0}, rng[4] = {0}, dl_seed = 0, run_seed = 0;
    lt_status rc = oin && sin ? LT_OK : LT_ERROR;
    if (rc) snprintf(msg, sizeof msg, "out of memory");
    hid_t og = -1, lg = -1, lp = -1, rg = -1;
    if (rc == LT_OK) {
        og = H5Lexists(c->file, "optimizer", H5P_DEFAULT) > 0 ? H5Gopen2(c->file, "optimizer", H5P_DEFAULT) : -1;
        lg = H5Lexists(c->file, "lr_schedulers", H5P_DEFAULT) > 0 ? H5Gopen2(c->file, "lr_schedulers", H5P_DEFAULT) : -1;
        lp = H5Lexists(c->file, "loops", H5P_DEFAULT) > 0 ? H5Gopen2(c->file, "loops", H5P_DEFAULT) : -1;
        rg = H5Lexists(c->file, "rng", H5P_DEFAULT) > 0 ? H5Gopen2(c->file, "rng", H5P_DEFAULT) : -1;
        if (og < 0 || lg < 0 || lp < 0 || rg < 0) {
            rc = LT_ERROR;
            snprintf(msg, sizeof msg, "missing /%s", og < 0 ? "optimizer" : lg < 0 ? "lr_schedulers"
                                                      : lp < 0 ? "loops" : "rng");
        }
    }
    int64_t count = -1;
    if (rc == LT_OK && (ltr_h5_get_i64(og, "count", &count) || count != nopt)) {
        rc = LT_ERROR;
        snprintf(msg, sizeof msg, "the checkpoint has %lld optimizer(s), configure_optimizers made %d",
                 (long long)count, nopt);
    }
    for (int i = 0; i < nopt && rc == LT_OK; i++) {
        hid_t g = ltr_h5_open_at(og, i);
        rc = g < 0 ? LT_ERROR : read_optimizer(g, i, os->optimizers[i], &oin[i], msg, sizeof msg);
        if (g >= 0) H5Gclose(g);
        if (rc && !msg[0]) snprintf(msg, sizeof msg, "optimizer %d is missing", i);
    }
    if (rc == LT_OK && (ltr_h5_get_i64(lg, "count", &count) || count != nsch)) {
        rc = LT_ERROR;
        snprintf(msg, sizeof msg, "the checkpoint has %lld LR scheduler(s), configure_optimizers made %d",
                 (long long)count, nsch);
    }
    for (int i = 0; i < nsch && rc == LT_OK; i++) {
        hid_t g = ltr_h5_open_at(lg, i);
        rc = g < 0 ? LT_ERROR : read_scheduler(g, os->owned_sched[i], &sin[i], msg, sizeof msg);
        if (g >= 0) H5Gclose(g);
        if (rc && !msg[0]) snprintf(msg, sizeof msg, "LR scheduler %d is missing", i);
    }
    static const char *const loop_keys[6] = {"epochs_processed", "current_epoch", "batch_idx",
                                              "total_batch_idx", "batches_that_stepped", "global_step"};
    for (int k = 0; k < 6 && rc == LT_OK; k++)
        if (ltr_h5_get_i64(lp, loop_keys[k], &L[k])) {
            rc = LT_ERROR;
            snprintf(msg, sizeof msg, "/loops has no %s", loop_keys[k]);
        }
    /* optional (older files lack them): the writer's world size and batch size per rank */
    int64_t writer_world = 0, writer_batch = 0;
    if (rc == LT_OK && H5Aexists(lp, "world_size") > 0 &&
        ltr_h5_get_i64(lp, "world_size", &writer_world) != LT_OK)
        writer_world = 0;
    if (rc == LT_OK && H5Aexists(lp, "batch_size") > 0 &&
        ltr_h5_get_i64(lp, "batch_size", &writer_batch) != LT_OK)
        writer_batch = 0;
    if (rc == LT_OK) {
        const int64_t four = 4;
        int64_t *host = read_array(rg, "host", LT_INT64, 1, &four, "/rng/host", msg, sizeof msg);
        if (!host || ltr_h5_get_i64(rg, "dataloader_seed", &dl_seed)) {
            rc = LT_ERROR;
            if (host) snprintf(msg, sizeof msg, "/rng is incomplete");
        } else {
            memcpy(rng, host, sizeof rng);
            /* the run's seed; it equals the loader's unless the data module fixed its
             * loader's (lt_dataset.seed) */
            if (ltr_h5_get_i64(rg, "seed", &run_seed)) run_seed = dl_seed;
        }
        free(host);
    }
    if (og >= 0) H5Gclose(og);
    if (lg >= 0) H5Gclose(lg);
    if (lp >= 0) H5Gclose(lp);
    if (rg >= 0) H5Gclose(rg);
    cJSON *prec_state = NULL;
    if (rc == LT_OK) rc = read_precision_state(t, c->file, &prec_state, msg, sizeof msg);

    /* everything read and checked: apply. The precision first (Lightning's
     * restore_training_state: restore_precision_plugin_state, then the loops, then the
     * optimizers and schedulers): it is the one step that may refuse what it is given */
    if (rc == LT_OK && prec_state &&
        ltr_precision_load_state_dict(t->precision, &t->ctx->pub, prec_state) != LT_OK) {
        char why[1024] = "";
        ltr_ctx_take_error(t->ctx, why, sizeof why);
        snprintf(msg, sizeof msg, "precision '%s', load_state_dict: %s", ltr_precision_name(t->precision),
                 why);
        rc = LT_ERROR;
    }
    cJSON_Delete(prec_state);
    if (rc == LT_OK) {
        for (int i = 0; i < nopt; i++) {
            lt_optimizer *o = os->optimizers[i];
            int nk = nkeys_of(o);
            for (int g = 0; g < o->ngroups; g++) {
                for (int k = 0; k < nk; k++)
                    ltr_group_set(&t->ctx->pub, o, g, ltr_group_key_at(o, k), oin[i].hp[g * nk + k]);
                o->groups[g].has_initial_lr = !isnan(oin[i].initial_lr[g]);
                if (o->groups[g].has_initial_lr) o->groups[g].initial_lr = oin[i].initial_lr[g];
            }
            for (int64_t j = 0; j < o->nstate; j++) ltr_optim_state_release(o, j);
            for (int64_t j = 0; j < oin[i].nst; j++) {
                opt_state_in *s = &oin[i].st[j];
                ltr_optim_state *d = &o->state[s->index];
                d->step = s->step;
                /* read into host memory, now into state tensors on the parameter's device */
                const lt_tensor *p = o->params->params[s->index];
                size_t bytes = (size_t)ltr_numel(p) * ltr_dtype_size(p->dtype);
                lt_tensor **dst[3] = {&d->buf1, &d->buf2, &d->buf3};
                for (int b = 0; b < 3; b++) {
                    if (s->buf[b]) {
                        if ((*dst[b] = ltr_optim_buffer(p, dst[b])))
                            ltr_h5_to_device(p->device, (*dst[b])->data, s->buf[b], bytes);
                        else {
                            rc = LT_ERROR;
                            snprintf(msg, sizeof msg, "out of memory for the optimizer state of '%s'", p->name);
                        }
                        free(s->buf[b]);
                    }
                    s->buf[b] = NULL;
                }
            }
        }
        for (int i = 0; i < nsch; i++) {
            lt_lr_scheduler *s = os->owned_sched[i];
            s->last_epoch = sin[i].last_epoch;
            s->step_count = sin[i].step_count;
            s->num_bad_epochs = sin[i].num_bad;
            s->cooldown_counter = sin[i].cooldown;
            s->t_i = sin[i].t_i;
            s->t_cur = sin[i].t_cur;
            s->best = sin[i].best;
            memcpy(s->base_lrs, sin[i].base_lrs, (size_t)s->ngroups * sizeof(double));
            memcpy(s->last_lr, sin[i].last_lr, (size_t)s->ngroups * sizeof(double));
        }
        ltr_ckpt_loop *lo = &t->loop;
        lo->epochs_processed = L[1]; /* the epoch to run next (an unfinished one is rerun from batch_idx) */
        t->ctx->pub.current_epoch = L[1];
        lo->resume_batch = L[2];
        lo->total_batch_idx = L[3];
        lo->batches_that_stepped = L[4];
        t->ctx->pub.global_step = L[5];
        lo->restored = true;
        if (writer_world > 0) lo->world_size = writer_world;
        lo->batch_size = writer_batch;
        memcpy(t->rng, rng, sizeof rng);
        t->ctx->seed = (uint64_t)run_seed;
        if (t->loader_seed) *t->loader_seed = (uint64_t)dl_seed;
    }
    for (int i = 0; oin && i < nopt; i++) free_opt_in(&oin[i]);
    for (int i = 0; sin && i < nsch; i++) free(sin[i].base_lrs), free(sin[i].last_lr);
    free(oin);
    free(sin);
    if (rc) snprintf(err, cap, "checkpoint '%s': cannot resume: %s", c->path, msg);
    return rc;
}
