/*
 * tensorboard.c — Lightning's TensorBoardLogger (lightning 2.6:
 * pytorch/loggers/tensorboard.py over fabric/loggers/tensorboard.py) writing real
 * TensorBoard event files without TensorFlow.
 *
 * init args: save_dir (default: trainer.default_root_dir), name ("lightning_logs"; ""
 * drops that level), version (int, or a string used verbatim; default 1 + the largest
 * existing version_<int>, 0 if none), sub_dir (an extra level under the version dir),
 * prefix ("" ; joined to metric names with "-"), default_hp_metric (true: log_hyperparams
 * also logs hp_metric = -1 at step 0, as Lightning does), filename_suffix ("").
 *
 * Files: <save_dir>/<name>/version_<N>[/<sub_dir>]/
 *   events.out.tfevents.<%010d unix secs>.<hostname>.<pid>.<n>  (n counts event files
 *   made by this process, as tensorboard's EventFileWriter does)
 *   hparams.yaml  (save_hparams_to_yaml on save/finalize, as TensorBoardLogger.save)
 * Event file: TFRecord framing (u64 length, masked CRC32C of the length, data, masked
 * CRC32C of the data; little-endian), each data an Event protobuf. The first record is
 * Event{wall_time, file_version="brain.Event:2"}. log_metrics calls SummaryWriter
 * .add_scalar(name, value, step) per metric as Lightning does: one Event{wall_time,
 * step, summary{value{tag, simple_value (float32)}}} per metric, the exact layout torch
 * writes (anchors.md C1). All records of one call are written with one fwrite + fflush,
 * so a crash never leaves a torn record behind a complete one.
 * log_hyperparams (with default_hp_metric) also writes the hparams plugin's three
 * summaries as Lightning does through torch.utils.tensorboard.summary.hparams(params,
 * {"hp_metric": -1}): Events (no step) with one Value{tag, metadata{plugin_data{
 * plugin_name "hparams", content HParamsPluginData}}} each: _hparams_/experiment
 * (hparam_infos: name + type STRING 1 / FLOAT64 3; metric_infos: hp_metric),
 * _hparams_/session_start_info (hparams map: string_value / number_value; bools as
 * numbers 0/1, since torch tests isinstance(v, int) first),
 * _hparams_/session_end_info (status SUCCESS). Nested objects are flattened with "/"
 * (Lightning's _flatten_dict); lists and null become their Python str() text
 * (Lightning's _sanitize_params).
 * Media (ABI 1.8), one Event{wall_time, step, summary} each, as torch's SummaryWriter
 * writes them (torch/utils/tensorboard/summary.py):
 *   log_image = add_image: Value{tag, image (4) Summary.Image{height 1, width 2,
 *     colorspace 3 (channels), encoded_image_string 4 (PNG)}};
 *   log_histogram = add_histogram(bins="tensorflow"): Value{tag, histo (5)
 *     HistogramProto{min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6 and bucket 7
 *     (packed doubles)}} over SummaryWriter.default_bins (-1e20..-1e-12, 0, 1e-12..1e20,
 *     ratio 1.1), trimmed to the occupied range as make_histogram does;
 *   log_text = add_text: Value{tag "<name>/text_summary", tensor (8) TensorProto{dtype
 *     DT_STRING, tensor_shape{dim{size 1}}, string_val}, metadata (9) {plugin_data{
 *     plugin_name "text"}}} (TextPluginData version 0 serializes to nothing).
 */
#include "ltrun.h"
#include "log_dir.h"
#include "png_encode.h"
#include "yaml_dump.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ CRC32C */

/* Castagnoli CRC, reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF */
static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32c(const unsigned char *p, size_t n) {
    if (!crc_table[1]) crc_init();
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}
/* tsl/lib/hash/crc32c.h Mask: rotate right by 15 and add a constant */
static uint32_t masked_crc(const unsigned char *p, size_t n) {
    uint32_t c = crc32c(p, n);
    return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

/* ------------------------------------------------------------------ protobuf */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} buf;

static void put(buf *b, const void *d, size_t n) {
    if (b->oom) return;
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
static void put_varint(buf *b, uint64_t v) {
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
static void put_key(buf *b, unsigned field, unsigned wt) { put_varint(b, (uint64_t)field << 3 | wt); }
static void put_le(buf *b, uint64_t v, int nbytes) {
    unsigned char t[8];
    for (int i = 0; i < nbytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)nbytes);
}
static void put_double(buf *b, unsigned field, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    put_key(b, field, 1);
    put_le(b, u, 8);
}
static void put_float(buf *b, unsigned field, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_key(b, field, 5);
    put_le(b, u, 4);
}
static void put_bytes(buf *b, unsigned field, const void *d, size_t n) {
    put_key(b, field, 2);
    put_varint(b, n);
    put(b, d, n);
}
/* int64 field: negatives are 10-byte varints (no zigzag); proto3 omits 0 */
static void put_int64(buf *b, unsigned field, int64_t v) {
    if (v == 0) return;
    put_key(b, field, 0);
    put_varint(b, (uint64_t)v);
}

/* one TFRecord around `data` appended to `out` */
static void put_record(buf *out, const buf *data) {
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)data->n >> (8 * i));
    put(out, len, 8);
    put_le(out, masked_crc(len, 8), 4);
    put(out, data->p, data->n);
    put_le(out, masked_crc(data->p, data->n), 4);
}

/* ------------------------------------------------------------------ the logger */

typedef struct tb_logger {
    FILE *f;
    char dir[2048], path[2600], hparams_path[2100], prefix[128];
    bool default_hp_metric;
    char *hparams; /* JSON text of the merged hparams, owned */
    char vdir[1900]; /* ABI 1.5: save_dir/name/version (no sub_dir) */
} tb_logger;

static int file_counter; /* tensorboard's global event-file counter (per process) */

static double now(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}


/* write `out` whole, then flush: one record set per call */
static lt_status emit(lt_ctx *ctx, tb_logger *l, buf *out) {
    lt_status rc = LT_OK;
    if (out->oom) rc = lt_fail(ctx, "tensorboard logger: out of memory");
    else if (fwrite(out->p, 1, out->n, l->f) != out->n || fflush(l->f))
        rc = lt_fail(ctx, "tensorboard logger: writing %s failed: %s", l->path, strerror(errno));
    free(out->p);
    return rc;
}

static void scalar_event(buf *out, double wall, const char *tag, double value, int64_t step) {
    buf value_msg = {0}, summary = {0}, ev = {0};
    put_bytes(&value_msg, 1, tag, strlen(tag));  /* Summary.Value.tag */
    put_float(&value_msg, 2, (float)value);      /* Summary.Value.simple_value */
    put_bytes(&summary, 1, value_msg.p, value_msg.n); /* Summary.value */
    put_double(&ev, 1, wall);                   /* Event.wall_time */
    put_int64(&ev, 2, step);                     /* Event.step */
    put_bytes(&ev, 5, summary.p, summary.n);     /* Event.summary */
    out->oom |= value_msg.oom | summary.oom | ev.oom;
    if (!out->oom) put_record(out, &ev);
    free(value_msg.p);
    free(summary.p);
    free(ev.p);
}

static lt_status tb_log_metrics(lt_ctx *ctx, void *self, const char *const *names,
                                const double *values, int n, int64_t step) {
    tb_logger *l = self;
    buf out = {0};
    double wall = now();
    for (int i = 0; i < n; i++) {
        char tag[512];
        if (l->prefix[0]) snprintf(tag, sizeof tag, "%s-%s", l->prefix, names[i]);
        else snprintf(tag, sizeof tag, "%s", names[i]);
        scalar_event(&out, wall, tag, values[i], step);
    }
    return emit(ctx, l, &out);
}

/* ------------------------------------------------------------------ media (ABI 1.8) */

/* Event{wall_time, step, summary{value}} around one serialized Summary.Value */
static void value_event(buf *out, double wall, const buf *value, int64_t step) {
    buf summary = {0}, ev = {0};
    put_bytes(&summary, 1, value->p, value->n);
    put_double(&ev, 1, wall);
    put_int64(&ev, 2, step);
    put_bytes(&ev, 5, summary.p, summary.n);
    out->oom |= value->oom | summary.oom | ev.oom;
    if (!out->oom) put_record(out, &ev);
    free(summary.p);
    free(ev.p);
}

static void full_tag(const tb_logger *l, const char *name, const char *suffix, char *tag, size_t cap) {
    if (l->prefix[0]) snprintf(tag, cap, "%s-%s%s", l->prefix, name, suffix);
    else snprintf(tag, cap, "%s%s", name, suffix);
}

static lt_status tb_log_image(lt_ctx *ctx, void *self, const char *name, const uint8_t *hwc,
                              int64_t h, int64_t w, int64_t c, int64_t step) {
    tb_logger *l = self;
    png_bytes png;
    const char *why = "";
    if (png_encode(hwc, h, w, c, &png, &why))
        return lt_fail(ctx, "tensorboard logger: image '%s': %s", name, why);
    char tag[512];
    full_tag(l, name, "", tag, sizeof tag);
    buf img = {0}, val = {0}, out = {0};
    put_key(&img, 1, 0); put_varint(&img, (uint64_t)h); /* Image.height */
    put_key(&img, 2, 0); put_varint(&img, (uint64_t)w); /* Image.width */
    put_key(&img, 3, 0); put_varint(&img, (uint64_t)c); /* Image.colorspace */
    put_bytes(&img, 4, png.p, png.n);                   /* Image.encoded_image_string */
    free(png.p);
    put_bytes(&val, 1, tag, strlen(tag));               /* Value.tag */
    put_bytes(&val, 4, img.p, img.n);                   /* Value.image */
    val.oom |= img.oom;
    value_event(&out, now(), &val, step);
    free(img.p);
    free(val.p);
    return emit(ctx, l, &out);
}

/* SummaryWriter.default_bins: -v...-1e-12, 0, 1e-12...v for v = 1e-12 * 1.1^k < 1e20,
 * the products taken in the same order as Python's loop so the edges are bit-equal */
static double *default_bins(int64_t *nedges) {
    int k = 0;
    for (double v = 1e-12; v < 1e20; v *= 1.1) k++;
    double *e = malloc((size_t)(2 * k + 1) * sizeof *e);
    if (!e) return NULL;
    int i = 0;
    for (double v = 1e-12; v < 1e20; v *= 1.1, i++) {
        e[k + 1 + i] = v;
        e[k - 1 - i] = -v;
    }
    e[k] = 0.0;
    *nedges = 2 * k + 1;
    return e;
}

/* np.histogram's bin of x over increasing edges: bins are [e[i], e[i+1]), the last one
 * closed on the right; -1 outside [e[0], e[n-1]] */
static int64_t bin_of(const double *e, int64_t nedges, double x) {
    if (!(x >= e[0] && x <= e[nedges - 1])) return -1;
    if (x == e[nedges - 1]) return nedges - 2;
    int64_t lo = 0, hi = nedges - 1; /* e[lo] <= x < e[hi] */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (e[mid] <= x) lo = mid;
        else hi = mid;
    }
    return lo;
}

static void put_packed_doubles(buf *b, unsigned field, const double *v, int64_t n) {
    put_key(b, field, 2);
    put_varint(b, (uint64_t)n * 8);
    for (int64_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        put_le(b, u, 8);
    }
}

static lt_status tb_log_histogram(lt_ctx *ctx, void *self, const char *name, const double *values,
                                  int64_t n, int64_t step) {
    tb_logger *l = self;
    if (n < 1) return lt_fail(ctx, "tensorboard logger: histogram '%s': the input has no element", name);
    int64_t ne = 0;
    double *edges = default_bins(&ne);
    double *counts = edges ? calloc((size_t)(ne - 1), sizeof *counts) : NULL;
    if (!counts) {
        free(edges);
        return lt_fail(ctx, "tensorboard logger: out of memory");
    }
    /* min, max, sum and sum of squares over every value (np.min/max/sum, values.dot) */
    double mn = values[0], mx = values[0], sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = values[i];
        /* numpy's min/max propagate NaN */
        if (isnan(x) || (!isnan(mn) && x < mn)) mn = x;
        if (isnan(x) || (!isnan(mx) && x > mx)) mx = x;
        sum += x;
        sq += x * x;
        int64_t b = bin_of(edges, ne, x);
        if (b >= 0) counts[b] += 1;
    }
    /* make_histogram's support: from the bin left of the first occupied one (or an added
     * empty bin when that is bin 0) to the last occupied one; limits are right edges */
    int64_t nb = ne - 1, first = -1, last = -1;
    for (int64_t i = 0; i < nb; i++)
        if (counts[i] > 0) {
            if (first < 0) first = i;
            last = i;
        }
    if (first < 0) {
        free(edges);
        free(counts);
        return lt_fail(ctx, "tensorboard logger: histogram '%s': no finite value within "
                       "+-1e20 (numpy's histogram would be empty)", name);
    }
    int64_t end = last + 1, m = end - first + 1;
    double *bucket = malloc((size_t)m * sizeof *bucket);
    if (!bucket) {
        free(edges);
        free(counts);
        return lt_fail(ctx, "tensorboard logger: out of memory");
    }
    if (first > 0) memcpy(bucket, counts + first - 1, (size_t)m * sizeof *bucket);
    else {
        bucket[0] = 0;
        memcpy(bucket + 1, counts, (size_t)end * sizeof *bucket);
    }
    const double *limits = edges + first; /* limits[start : end + 1] */
    buf h = {0}, val = {0}, out = {0};
    put_double(&h, 1, mn);
    put_double(&h, 2, mx);
    put_double(&h, 3, (double)n);
    put_double(&h, 4, sum);
    put_double(&h, 5, sq);
    put_packed_doubles(&h, 6, limits, m);
    put_packed_doubles(&h, 7, bucket, m);
    char tag[512];
    full_tag(l, name, "", tag, sizeof tag);
    put_bytes(&val, 1, tag, strlen(tag)); /* Value.tag */
    put_bytes(&val, 5, h.p, h.n);         /* Value.histo */
    val.oom |= h.oom;
    value_event(&out, now(), &val, step);
    free(h.p); free(val.p); free(edges); free(counts); free(bucket);
    return emit(ctx, l, &out);
}

static lt_status tb_log_text(lt_ctx *ctx, void *self, const char *name, const char *text,
                             int64_t step) {
    tb_logger *l = self;
    char tag[512];
    full_tag(l, name, "/text_summary", tag, sizeof tag);
    buf dim = {0}, shape = {0}, tensor = {0}, pd = {0}, md = {0}, val = {0}, out = {0};
    put_key(&dim, 1, 0); put_varint(&dim, 1);      /* Dim.size = 1 */
    put_bytes(&shape, 2, dim.p, dim.n);             /* TensorShapeProto.dim */
    put_key(&tensor, 1, 0); put_varint(&tensor, 7); /* TensorProto.dtype = DT_STRING */
    put_bytes(&tensor, 2, shape.p, shape.n);        /* .tensor_shape */
    put_bytes(&tensor, 8, text, strlen(text));      /* .string_val */
    put_bytes(&pd, 1, "text", 4);                   /* PluginData.plugin_name */
    put_bytes(&md, 1, pd.p, pd.n);                  /* SummaryMetadata.plugin_data */
    put_bytes(&val, 1, tag, strlen(tag));           /* Value.tag */
    put_bytes(&val, 8, tensor.p, tensor.n);         /* Value.tensor */
    put_bytes(&val, 9, md.p, md.n);                 /* Value.metadata */
    val.oom |= dim.oom | shape.oom | tensor.oom | pd.oom | md.oom;
    value_event(&out, now(), &val, step);
    free(dim.p); free(shape.p); free(tensor.p); free(pd.p); free(md.p); free(val.p);
    return emit(ctx, l, &out);
}

static lt_status tb_save(lt_ctx *ctx, void *self) {
    tb_logger *l = self;
    if (fflush(l->f)) return lt_fail(ctx, "tensorboard logger: writing %s failed", l->path);
    /* TensorBoardLogger.save: hparams.yaml in the log dir (only when it is not there) */
    struct stat st;
    if (l->hparams && stat(l->hparams_path, &st) != 0) {
        FILE *f = fopen(l->hparams_path, "w");
        if (!f)
            return lt_fail(ctx, "tensorboard logger: cannot write %s: %s", l->hparams_path,
                           strerror(errno));
        yaml_value(f, l->hparams);
        if (fclose(f)) return lt_fail(ctx, "tensorboard logger: writing %s failed", l->hparams_path);
    }
    return LT_OK;
}

/* a Summary.Value{tag, metadata{plugin_data{plugin_name="hparams", content}}} Event */
static void hparams_event(buf *out, double wall, const char *tag, const buf *content) {
    buf pd = {0}, md = {0}, val = {0}, sum = {0}, ev = {0};
    put_bytes(&pd, 1, "hparams", 7);           /* PluginData.plugin_name */
    put_bytes(&pd, 2, content->p, content->n); /* PluginData.content */
    put_bytes(&md, 1, pd.p, pd.n);             /* SummaryMetadata.plugin_data */
    put_bytes(&val, 1, tag, strlen(tag));      /* Value.tag */
    put_bytes(&val, 9, md.p, md.n);            /* Value.metadata */
    put_bytes(&sum, 1, val.p, val.n);          /* Summary.value */
    put_double(&ev, 1, wall);
    put_bytes(&ev, 5, sum.p, sum.n);           /* Event.summary, no step */
    out->oom |= content->oom | pd.oom | md.oom | val.oom | sum.oom | ev.oom;
    if (!out->oom) put_record(out, &ev);
    free(pd.p); free(md.p); free(val.p); free(sum.p); free(ev.p);
}

/* hparam_infos (field 4 of Experiment) and the session_start_info map entries (field 1
 * of SessionStartInfo) for one flattened key */
static void hparam_entry(buf *hinfos, buf *map, const char *key, const jv *v) {
    buf info = {0}, value = {0}, entry = {0};
    int type;
    if (v->type == 'n') { type = 3; put_double(&value, 2, v->num); }           /* number_value */
    /* torch checks isinstance(v, int) first, and a Python bool is an int: bools go out as
     * number_value 0/1 with type FLOAT64 (torch 1.13 summary.hparams) */
    else if (v->type == 'b') { type = 3; put_double(&value, 2, v->b ? 1.0 : 0.0); }
    else {
        char text[4096];
        py_str(v, text, sizeof text);
        type = 1;
        put_bytes(&value, 3, text, strlen(text));                              /* string_value */
    }
    put_bytes(&info, 1, key, strlen(key)); /* HParamInfo.name */
    put_key(&info, 4, 0);                  /* HParamInfo.type */
    put_varint(&info, (uint64_t)type);
    put_bytes(hinfos, 4, info.p, info.n);
    put_bytes(&entry, 1, key, strlen(key)); /* map entry {key=1, value=2} */
    put_bytes(&entry, 2, value.p, value.n);
    put_bytes(map, 1, entry.p, entry.n);
    hinfos->oom |= info.oom | value.oom | entry.oom;
    free(info.p); free(value.p); free(entry.p);
}

static void hparam_walk(buf *hinfos, buf *map, const char *prefix, const jv *o) {
    for (int i = 0; i < o->n; i++) {
        char key[1024];
        if (prefix[0]) snprintf(key, sizeof key, "%s/%s", prefix, o->keys[i]);
        else snprintf(key, sizeof key, "%s", o->keys[i]);
        if (o->items[i].type == 'o' && o->items[i].n > 0) hparam_walk(hinfos, map, key, &o->items[i]);
        else hparam_entry(hinfos, map, key, &o->items[i]);
    }
}

static void hparams_summaries(buf *out, double wall, const char *json, const char *metric) {
    jv v;
    parse_jv(json, &v);
    buf hinfos = {0}, map = {0}, exp = {0}, c = {0}, minfo = {0}, mname = {0};
    if (v.type == 'o') hparam_walk(&hinfos, &map, "", &v);
    free_jv(&v);
    put_bytes(&mname, 2, metric, strlen(metric)); /* MetricName.tag */
    put_bytes(&minfo, 1, mname.p, mname.n);       /* MetricInfo.name */
    put(&exp, hinfos.p, hinfos.n);                /* Experiment.hparam_infos (4) */
    put_bytes(&exp, 5, minfo.p, minfo.n);         /* Experiment.metric_infos */
    put_bytes(&c, 2, exp.p, exp.n);               /* HParamsPluginData.experiment */
    c.oom |= hinfos.oom | exp.oom | minfo.oom | mname.oom;
    hparams_event(out, wall, "_hparams_/experiment", &c);
    c.n = 0;
    put_bytes(&c, 3, map.p, map.n);               /* .session_start_info{hparams map} */
    c.oom |= map.oom;
    hparams_event(out, wall, "_hparams_/session_start_info", &c);
    c.n = 0;
    static const unsigned char sei[] = {0x08, 0x01}; /* SessionEndInfo{status SUCCESS} */
    put_bytes(&c, 4, sei, sizeof sei);            /* .session_end_info */
    hparams_event(out, wall, "_hparams_/session_end_info", &c);
    free(hinfos.p); free(map.p); free(exp.p); free(c.p); free(minfo.p); free(mname.p);
}

static lt_status tb_log_hyperparams(lt_ctx *ctx, void *self, const char *json) {
    tb_logger *l = self;
    free(l->hparams);
    size_t n = strlen(json) + 1;
    l->hparams = malloc(n);
    if (!l->hparams) return lt_fail(ctx, "tensorboard logger: out of memory");
    memcpy(l->hparams, json, n);
    /* log_hyperparams(params, metrics=None): metrics = {"hp_metric": -1} when
     * default_hp_metric, then self.log_metrics(metrics, 0) */
    if (l->default_hp_metric) {
        const char *name = "hp_metric";
        double v = -1;
        lt_status rc = tb_log_metrics(ctx, self, &name, &v, 1, 0);
        if (rc) return rc;
        buf out = {0};
        hparams_summaries(&out, now(), json, name);
        if ((rc = emit(ctx, l, &out))) return rc;
    }
    return tb_save(ctx, self);
}

static lt_status tb_finalize(lt_ctx *ctx, void *self, const char *status) {
    (void)status;
    return tb_save(ctx, self); /* experiment.flush() then save() */
}

static void *tb_create(lt_ctx *ctx, const lt_hparams *hp) {
    tb_logger *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    const char *save_dir = lt_hp_str(ctx, hp, "save_dir", lt_default_root_dir(ctx));
    const char *name = lt_hp_str(ctx, hp, "name", "lightning_logs");
    const char *version = lt_hp_str(ctx, hp, "version", "");
    const char *sub_dir = lt_hp_str(ctx, hp, "sub_dir", "");
    const char *suffix = lt_hp_str(ctx, hp, "filename_suffix", "");
    snprintf(l->prefix, sizeof l->prefix, "%s", lt_hp_str(ctx, hp, "prefix", ""));
    l->default_hp_metric = lt_hp_bool(ctx, hp, "default_hp_metric", true);
    char vdir[1900];
    logger_version_dir(vdir, sizeof vdir, save_dir, name, version);
    snprintf(l->vdir, sizeof l->vdir, "%s", vdir);
    if (sub_dir[0]) snprintf(l->dir, sizeof l->dir, "%s/%s", vdir, sub_dir);
    else snprintf(l->dir, sizeof l->dir, "%s", vdir);
    /* hparams.yaml lives in log_dir (the version dir, sub_dir included) */
    snprintf(l->hparams_path, sizeof l->hparams_path, "%s/hparams.yaml", l->dir);
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    double wall = now();
    snprintf(l->path, sizeof l->path, "%s/events.out.tfevents.%010lld.%s.%ld.%d%s", l->dir,
             (long long)wall, host, (long)getpid(), file_counter++, suffix);
    /* @rank_zero_experiment: the event file is global rank zero's (the host sends the
     * other ranks no writes) */
    if (ctx->rank != 0) return l;
    if (logger_mkdirs(l->dir) || !(l->f = fopen(l->path, "wb"))) {
        lt_fail(ctx, "tensorboard logger: cannot create %s: %s", l->path, strerror(errno));
        free(l);
        return NULL;
    }
    /* first record: Event{wall_time, file_version="brain.Event:2"} */
    buf ev = {0}, out = {0};
    put_double(&ev, 1, wall);
    put_bytes(&ev, 3, "brain.Event:2", 13);
    if (!ev.oom) put_record(&out, &ev);
    out.oom |= ev.oom;
    free(ev.p);
    if (emit(ctx, l, &out)) {
        fclose(l->f);
        free(l);
        return NULL;
    }
    return l;
}

static void tb_destroy(lt_ctx *ctx, void *self) {
    (void)ctx;
    tb_logger *l = self;
    if (!l) return;
    if (l->f) fclose(l->f);
    free(l->hparams);
    free(l);
}


/* ABI 1.5: checkpoint dir — ModelCheckpoint's os.path.join(save_dir, name, version) */
static lt_status tb_version_dir(lt_ctx *ctx, void *self, char *out, size_t cap) {
    (void)ctx;
    snprintf(out, cap, "%s", ((tb_logger *)self)->vdir);
    return LT_OK;
}

LT_LOGGER(tensorboard, .create = tb_create, .destroy = tb_destroy,
          .log_hyperparams = tb_log_hyperparams, .log_metrics = tb_log_metrics,
          .save = tb_save, .finalize = tb_finalize,
          .version_dir = tb_version_dir, .log_image = tb_log_image,
          .log_histogram = tb_log_histogram, .log_text = tb_log_text)
