/*
 * tb_decode.c — a TensorBoard event-file reader for the tests, written from
 * the format spec (anchors.md C1: TFRecord framing, masked CRC32C, Event / Summary
 * protobuf) and sharing no code with plugins/loggers/tensorboard.c (its CRC is bitwise,
 * not table-driven; its protobuf is a generic field walker).
 *
 *   tb_decode --selftest       CRC32C test vector and the decoding of the exact bytes
 *                              torch writes for add_scalar("loss", 0.5, 3)
 *   tb_decode FILE             every record: both masked CRCs checked, the Event parsed;
 *                              prints "file_version S", "scalar STEP TAG VALUE",
 *                              "plugin STEP TAG PLUGIN CONTENT-HEX", "image STEP TAG H W C
 *                              PNG-HEX", "histo STEP TAG MIN MAX NUM SUM SUMSQ limits ...
 *                              counts ..." and "tensor STEP TAG PLUGIN content=N dtype=D
 *                              [DIMS] "STRING"" lines
 *   tb_decode --raw N FILE     hex bytes of record N's Event (0-based), its leading
 *                              wall_time field (09 + 8 bytes) left out
 * Exit 0 when every record is well formed, 1 (with a message on stderr) otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc32c_bitwise(const uint8_t *p, size_t n) {
    uint32_t crc = ~0u;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t unmask(uint32_t m) {
    uint32_t r = m - 0xA282EAD8u;
    return (r << 15) | (r >> 17);
}

static uint64_t rd_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

typedef struct { const uint8_t *p, *end; } cur;

static int rd_varint(cur *c, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->p >= c->end) return -1;
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) { *out = v; return 0; }
    }
    return -1;
}

/* one field: number, wire type, and its payload (varint value or bytes span) */
typedef struct { unsigned num, wt; uint64_t v; const uint8_t *data; size_t len; } field;

static int next_field(cur *c, field *f) {
    uint64_t key;
    if (rd_varint(c, &key)) return -1;
    f->num = (unsigned)(key >> 3);
    f->wt = (unsigned)(key & 7);
    f->data = c->p;
    f->len = 0;
    switch (f->wt) {
    case 0: return rd_varint(c, &f->v);
    case 1: if (c->end - c->p < 8) return -1; f->v = rd_le(c->p, 8); f->len = 8; c->p += 8; return 0;
    case 5: if (c->end - c->p < 4) return -1; f->v = rd_le(c->p, 4); f->len = 4; c->p += 4; return 0;
    case 2:
        if (rd_varint(c, &f->v) || (uint64_t)(c->end - c->p) < f->v) return -1;
        f->data = c->p;
        f->len = (size_t)f->v;
        c->p += f->len;
        return 0;
    default: return -1;
    }
}

static int bad(const char *what, long rec) {
    fprintf(stderr, "tb_decode: record %ld: %s\n", rec, what);
    return 1;
}

/* SummaryMetadata{plugin_data=1{plugin_name=1, content=2}} */
static int decode_metadata(const uint8_t *p, size_t n, char *name, size_t cap,
                           const uint8_t **content, size_t *clen) {
    cur c = {p, p + n};
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return -1;
        if (f.num != 1 || f.wt != 2) continue;
        cur d = {f.data, f.data + f.len};
        while (d.p < d.end) {
            field g;
            if (next_field(&d, &g)) return -1;
            if (g.num == 1 && g.wt == 2) snprintf(name, cap, "%.*s", (int)g.len, (const char *)g.data);
            else if (g.num == 2 && g.wt == 2) { *content = g.data; *clen = g.len; }
        }
    }
    return 0;
}

/* Summary.Image{height=1, width=2, colorspace=3, encoded_image_string=4}:
 * "image STEP TAG H W C PNG-HEX" */
static int decode_image(const uint8_t *p, size_t n, const char *tag, int64_t step, long rec, FILE *out) {
    cur c = {p, p + n};
    uint64_t hwc[3] = {0, 0, 0};
    const uint8_t *png = NULL;
    size_t png_len = 0;
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return bad("malformed Summary.Image", rec);
        if (f.num >= 1 && f.num <= 3 && f.wt == 0) hwc[f.num - 1] = f.v;
        else if (f.num == 4 && f.wt == 2) { png = f.data; png_len = f.len; }
    }
    if (!png) return bad("Summary.Image without encoded_image_string", rec);
    if (out) {
        fprintf(out, "image %lld %s %llu %llu %llu ", (long long)step, tag,
                (unsigned long long)hwc[0], (unsigned long long)hwc[1], (unsigned long long)hwc[2]);
        for (size_t i = 0; i < png_len; i++) fprintf(out, "%02X", png[i]);
        fputc('\n', out);
    }
    return 0;
}

/* packed repeated double (wire type 2) */
static int print_doubles(FILE *out, const field *f) {
    if (f->wt != 2 || f->len % 8) return -1;
    for (size_t i = 0; i < f->len; i += 8) {
        uint64_t u = rd_le(f->data + i, 8);
        double d;
        memcpy(&d, &u, 8);
        if (out) fprintf(out, " %.17g", d);
    }
    return 0;
}

/* HistogramProto{min=1, max=2, num=3, sum=4, sum_squares=5, bucket_limit=6, bucket=7}:
 * "histo STEP TAG MIN MAX NUM SUM SUMSQ limits L... counts C..." */
static int decode_histo(const uint8_t *p, size_t n, const char *tag, int64_t step, long rec, FILE *out) {
    cur c = {p, p + n};
    double st[5] = {0, 0, 0, 0, 0};
    field lim = {0}, cnt = {0};
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return bad("malformed HistogramProto", rec);
        if (f.num >= 1 && f.num <= 5 && f.wt == 1) memcpy(&st[f.num - 1], &f.v, 8);
        else if (f.num == 6) lim = f;
        else if (f.num == 7) cnt = f;
    }
    if (!lim.len || lim.len != cnt.len) return bad("HistogramProto: bucket_limit and bucket differ", rec);
    if (out) fprintf(out, "histo %lld %s %.17g %.17g %.17g %.17g %.17g limits", (long long)step, tag,
                     st[0], st[1], st[2], st[3], st[4]);
    if (print_doubles(out, &lim)) return bad("HistogramProto.bucket_limit not packed doubles", rec);
    if (out) fprintf(out, " counts");
    if (print_doubles(out, &cnt)) return bad("HistogramProto.bucket not packed doubles", rec);
    if (out) fputc('\n', out);
    return 0;
}

/* TensorProto{dtype=1, tensor_shape=2{dim=2{size=1}}, string_val=8}:
 * "tensor STEP TAG PLUGIN DTYPE [DIMS] STRING..." (strings as JSON-ish quoted text) */
static int decode_tensor(const uint8_t *p, size_t n, const char *tag, const char *plugin,
                         const uint8_t *content, size_t clen, int64_t step, long rec, FILE *out) {
    cur c = {p, p + n};
    uint64_t dtype = 0;
    char dims[128] = "";
    char strs[4096] = "";
    size_t so = 0;
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return bad("malformed TensorProto", rec);
        if (f.num == 1 && f.wt == 0) dtype = f.v;
        else if (f.num == 2 && f.wt == 2) {
            cur d = {f.data, f.data + f.len};
            while (d.p < d.end) {
                field g;
                if (next_field(&d, &g)) return bad("malformed TensorShapeProto", rec);
                if (g.num != 2 || g.wt != 2) continue;
                cur e = {g.data, g.data + g.len};
                while (e.p < e.end) {
                    field h;
                    if (next_field(&e, &h)) return bad("malformed TensorShapeProto.Dim", rec);
                    if (h.num == 1 && h.wt == 0)
                        snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%s%llu",
                                 dims[0] ? "," : "", (unsigned long long)h.v);
                }
            }
        } else if (f.num == 8 && f.wt == 2 && so + f.len + 4 < sizeof strs)
            so += (size_t)snprintf(strs + so, sizeof strs - so, " \"%.*s\"", (int)f.len, (const char *)f.data);
    }
    if (out) {
        fprintf(out, "tensor %lld %s %s content=%zu dtype=%llu [%s]%s\n", (long long)step, tag,
                plugin[0] ? plugin : "-", clen, (unsigned long long)dtype, dims, strs);
    }
    (void)content;
    return 0;
}

/* Summary.Value{tag=1, simple_value=2 float, image=4, histo=5, tensor=8, metadata=9}; a
 * plugin value with neither prints "plugin STEP TAG NAME CONTENT-HEX" */
static int decode_value(const uint8_t *p, size_t n, int64_t step, long rec, FILE *out) {
    cur c = {p, p + n};
    char tag[512] = "", plugin[128] = "";
    int have_val = 0;
    float val = 0;
    const uint8_t *content = NULL;
    size_t clen = 0;
    field image = {0}, histo = {0}, tensor = {0};
    int have_image = 0, have_histo = 0, have_tensor = 0;
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return bad("malformed Summary.Value", rec);
        if (f.num == 1 && f.wt == 2) snprintf(tag, sizeof tag, "%.*s", (int)f.len, (const char *)f.data);
        else if (f.num == 2 && f.wt == 5) { uint32_t u = (uint32_t)f.v; memcpy(&val, &u, 4); have_val = 1; }
        else if (f.num == 4 && f.wt == 2) { image = f; have_image = 1; }
        else if (f.num == 5 && f.wt == 2) { histo = f; have_histo = 1; }
        else if (f.num == 8 && f.wt == 2) { tensor = f; have_tensor = 1; }
        else if (f.num == 9 && f.wt == 2 &&
                 decode_metadata(f.data, f.len, plugin, sizeof plugin, &content, &clen))
            return bad("malformed SummaryMetadata", rec);
    }
    if (!tag[0]) return bad("Summary.Value without a tag", rec);
    if (have_image) return decode_image(image.data, image.len, tag, step, rec, out);
    if (have_histo) return decode_histo(histo.data, histo.len, tag, step, rec, out);
    if (have_tensor) return decode_tensor(tensor.data, tensor.len, tag, plugin, content, clen, step, rec, out);
    if (!have_val && plugin[0]) {
        if (out) {
            fprintf(out, "plugin %lld %s %s", (long long)step, tag, plugin);
            for (size_t i = 0; i < clen; i++) fprintf(out, " %02X", content[i]);
            fputc('\n', out);
        }
        return 0;
    }
    if (!have_val) return bad("Summary.Value without simple_value", rec);
    if (out) fprintf(out, "scalar %lld %s %.9g\n", (long long)step, tag, (double)val);
    return 0;
}

/* Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5} */
static int decode_event(const uint8_t *p, size_t n, long rec, FILE *out) {
    cur c = {p, p + n};
    double wall = 0;
    int64_t step = 0;
    const uint8_t *sum = NULL;
    size_t sum_len = 0;
    char fv[64] = "";
    while (c.p < c.end) {
        field f;
        if (next_field(&c, &f)) return bad("malformed Event", rec);
        if (f.num == 1 && f.wt == 1) memcpy(&wall, &f.v, 8);
        else if (f.num == 2 && f.wt == 0) step = (int64_t)f.v;
        else if (f.num == 3 && f.wt == 2) snprintf(fv, sizeof fv, "%.*s", (int)f.len, (const char *)f.data);
        else if (f.num == 5 && f.wt == 2) { sum = f.data; sum_len = f.len; }
    }
    if (wall < 1e9) return bad("Event without a plausible wall_time", rec);
    if (fv[0]) {
        if (out) fprintf(out, "file_version %s\n", fv);
        return 0;
    }
    if (!sum) return bad("Event with neither file_version nor summary", rec);
    cur s = {sum, sum + sum_len};
    while (s.p < s.end) {
        field f;
        if (next_field(&s, &f) || f.num != 1 || f.wt != 2) return bad("malformed Summary", rec);
        if (decode_value(f.data, f.len, step, rec, out)) return 1;
    }
    return 0;
}

static int selftest(void) {
    int fails = 0;
    uint32_t c = crc32c_bitwise((const uint8_t *)"123456789", 9);
    if (c != 0xE3069283u) { fprintf(stderr, "crc32c(\"123456789\") = %08x\n", c); fails++; }
    /* anchors.md C1: torch SummaryWriter.add_scalar("loss", 0.5, 3), wall_time here 1.5e9 */
    uint8_t ev[] = {0x09, 0, 0, 0, 0xC0, 0x0B, 0x5A, 0xD6, 0x41, 0x10, 0x03, 0x2A, 0x0D,
                    0x0A, 0x0B, 0x0A, 0x04, 'l', 'o', 's', 's', 0x15, 0x00, 0x00, 0x00, 0x3F};
    char line[128] = "";
    FILE *m = fmemopen(line, sizeof line, "w");
    if (decode_event(ev, sizeof ev, 0, m)) fails++;
    fclose(m);
    if (strcmp(line, "scalar 3 loss 0.5\n")) { fprintf(stderr, "anchor decoded as '%s'\n", line); fails++; }
    printf("%s\n", fails ? "selftest FAILED" : "selftest ok");
    return fails != 0;
}

/* every record of the file in memory: 0, or 1 after a failed check (reported) */
static int walk(const uint8_t *all, long size, long raw) {
    long off = 0, rec = 0;
    while (off < size) {
        if (size - off < 12) return bad("truncated header", rec);
        uint64_t len = rd_le(all + off, 8);
        uint32_t lcrc = (uint32_t)rd_le(all + off + 8, 4);
        if (unmask(lcrc) != crc32c_bitwise(all + off, 8)) return bad("length CRC mismatch", rec);
        if ((uint64_t)(size - off - 12) < len + 4) return bad("truncated data", rec);
        const uint8_t *data = all + off + 12;
        uint32_t dcrc = (uint32_t)rd_le(data + len, 4);
        if (unmask(dcrc) != crc32c_bitwise(data, (size_t)len)) return bad("data CRC mismatch", rec);
        if (rec == 0) { /* the first record must be the file_version record */
            char first[128] = "";
            FILE *m = fmemopen(first, sizeof first, "w");
            int r = decode_event(data, (size_t)len, rec, m);
            fclose(m);
            if (r || strcmp(first, "file_version brain.Event:2\n"))
                return bad("first record is not Event{file_version=\"brain.Event:2\"}", rec);
        }
        if (raw < 0) {
            if (decode_event(data, (size_t)len, rec, stdout)) return 1;
        } else if (raw == rec) {
            size_t i = (len >= 9 && data[0] == 0x09) ? 9 : 0;
            for (; i < len; i++) printf("%02X%s", data[i], i + 1 < len ? " " : "\n");
        } else if (decode_event(data, (size_t)len, rec, NULL)) return 1;
        off += 12 + (long)len + 4;
        rec++;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--selftest")) return selftest();
    long raw = -1;
    const char *path = argv[1];
    if (argc == 4 && !strcmp(argv[1], "--raw")) { raw = atol(argv[2]); path = argv[3]; }
    else if (argc != 2) {
        fprintf(stderr, "usage: tb_decode --selftest | FILE | --raw N FILE\n");
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    uint8_t *all = malloc((size_t)size + 1);
    if (!all || fread(all, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "read failed\n");
        free(all);
        fclose(f);
        return 1;
    }
    fclose(f);
    int rc = walk(all, size, raw);
    free(all); /* also on a failed check: the sanitizer build counts leaks */
    return rc;
}
