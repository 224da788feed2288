"""media_check.py — test-side reference for tests/test_media_log.sh (stdlib only).

Reads tb_decode's lines (argv[1]) and the MLflow run folder (argv[2]) and checks them
against what torch's SummaryWriter would write for media_module's inputs: the pixels of
summary.image (PNG decoded here with zlib, filters undone per the PNG spec), the histogram
of make_histogram over SummaryWriter.default_bins (numpy.histogram's binning written out
in Python), the text summary. Prints "ok NAME" / "bad NAME: why" lines; exit 1 on any bad.
"""
import json
import math
import os
import struct
import sys
import zlib

bad = 0


def report(name, ok, why=""):
    global bad
    if ok:
        print("ok " + name)
    else:
        bad += 1
        print("bad %s: %s" % (name, why))


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def png_pixels(data):
    """(width, height, channels, rows of bytes) of an 8-bit RGB/RGBA PNG"""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "chunk CRC"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, "IHDR %r" % (ihdr,)
    ch = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows


def want_rgb():
    """summary.image of the float CHW [3, 2, 3] input: HWC, * 255, clip, astype(uint8)"""
    vals = [f32(-0.5 + f32(f32(0.1) * i)) for i in range(18)]
    rows = []
    for y in range(2):
        row = []
        for x in range(3):
            for k in range(3):
                v = f32(vals[k * 6 + y * 3 + x] * 255.0)
                row.append(int(min(max(v, 0.0), 255.0)))
        rows.append(bytes(row))
    return rows


def want_gray():
    px = [0, 100, 200, 255]
    return [bytes(sum(([px[y * 2 + x]] * 3 for x in range(2)), [])) for y in range(2)]


def want_histo(values):
    v, pos, neg = 1e-12, [], []
    while v < 1e20:
        pos.append(v)
        neg.append(-v)
        v *= 1.1
    edges = neg[::-1] + [0.0] + pos
    counts = [0] * (len(edges) - 1)
    for x in values:  # numpy.histogram: [e_i, e_i+1), the last bin closed
        if x < edges[0] or x > edges[-1]:
            continue
        lo, hi = 0, len(edges) - 1
        if x == edges[-1]:
            counts[-1] += 1
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if edges[mid] <= x:
                lo = mid
            else:
                hi = mid
        counts[lo] += 1
    cum, c = [], 0
    for n in counts:
        c += n > 0
        cum.append(c)
    start = sum(1 for q in cum if q <= 0)
    end = sum(1 for q in cum if q <= cum[-1] - 1) + 1
    got_counts = counts[start - 1:end] if start > 0 else [0] + counts[:end]
    limits = edges[start:end + 1]
    s, sq = 0.0, 0.0
    for x in values:
        s += x
        sq += x * x
    return [min(values), max(values), float(len(values)), s, sq], limits, [float(n) for n in got_counts]


tb_lines = open(sys.argv[1]).read().splitlines()
run_dir = sys.argv[2]
values = [f32(x) for x in (-1.0, 0.0, 0.0, 0.5, 2.0, 3e-12, -4e-12)]
stats, limits, counts = want_histo(values)

for step in (0, 3):
    imgs = {l.split()[2]: l.split() for l in tb_lines if l.startswith("image %d " % step)}
    for tag, want in (("samples/rgb", want_rgb()), ("samples/gray", want_gray())):
        f = imgs.get(tag)
        if not f:
            report("tb image %s step %d" % (tag, step), False, "missing")
            continue
        h, w, c = int(f[3]), int(f[4]), int(f[5])
        pw, ph, pc, rows = png_pixels(bytes.fromhex(f[6]))
        report("tb image %s step %d: Summary.Image %dx%dx%d, PNG pixels as summary.image" % (tag, step, h, w, c),
               (h, w, c) == (2, len(want[0]) // 3, 3) and (pw, ph, pc) == (w, h, c) and rows == want,
               "header %s, png %r, rows %r want %r" % ((h, w, c), (pw, ph, pc), rows, want))
    hl = [l.split() for l in tb_lines if l.startswith("histo %d values " % step)]
    if not hl:
        report("tb histogram step %d" % step, False, "missing")
    else:
        f = hl[0]
        got_stats = [float(x) for x in f[3:8]]
        li = f.index("limits")
        ci = f.index("counts")
        got_limits = [float(x) for x in f[li + 1:ci]]
        got_counts = [float(x) for x in f[ci + 1:]]
        report("tb histogram step %d: min/max/num/sum/sum_squares and %d buckets as make_histogram" % (step, len(limits)),
               got_stats == stats and got_limits == limits and got_counts == counts,
               "stats %r want %r; limits %r want %r; counts %r want %r" % (got_stats, stats, got_limits, limits, got_counts, counts))
    want_text = 'tensor %d note/text_summary text content=0 dtype=7 [1] "hello **world**"' % step
    report("tb text step %d: the text plugin's rank-1 DT_STRING tensor" % step, want_text in tb_lines,
           "want %r in %r" % (want_text, [l for l in tb_lines if l.startswith("tensor")]))

art = os.path.join(run_dir, "artifacts")
for step in (0, 3):
    p = os.path.join(art, "images", "samples", "rgb", "step_%d.png" % step)
    try:
        pw, ph, pc, rows = png_pixels(open(p, "rb").read())
        report("mlflow artifact images/samples/rgb/step_%d.png" % step, rows == want_rgb(), "rows %r" % rows)
    except (OSError, AssertionError) as e:
        report("mlflow artifact images/samples/rgb/step_%d.png" % step, False, str(e))
    p = os.path.join(art, "text", "note", "step_%d.txt" % step)
    report("mlflow artifact text/note/step_%d.txt" % step,
           os.path.exists(p) and open(p).read() == "hello **world**", p)
    p = os.path.join(art, "histograms", "values", "step_%d.json" % step)
    try:
        d = json.load(open(p))
        report("mlflow artifact histograms/values/step_%d.json" % step,
               d["num"] == 7 and d["min"] == -1.0 and d["max"] == 2.0 and sum(d["bucket"]) == 7
               and len(d["bucket_limit"]) == 11, repr(d))
    except (OSError, ValueError, KeyError) as e:
        report("mlflow artifact histograms/values/step_%d.json" % step, False, str(e))
sys.exit(1 if bad else 0)
