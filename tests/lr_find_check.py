"""lr_find_check.py — test-side reference for tests/test_tuner.sh (stdlib only).

usage: lr_find_check.py CSV MODE MIN_LR MAX_LR NUM THRESHOLD|none SUGGESTED|None
Checks lr_find.csv against Lightning's lr_finder.py: the learning rates of _ExponentialLR
/ _LinearLR (min_lr, then min_lr * (max_lr/min_lr) ** ((k+1)/num) from the second step
on), the early stop (the first smoothed loss above threshold * best, best starting at
the first step's), and LRFinder.suggestion() recomputed with torch.gradient's formulas
in float32. Prints "ok ..." / "bad ..." lines; exit 1 on any bad.
"""
import math
import struct
import sys

bad = 0


def report(name, ok, why=""):
    global bad
    print(("ok " if ok else "bad ") + name + ("" if ok else ": " + why))
    bad += not ok


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


path, mode, lo, hi, num, thr, suggested = sys.argv[1:8]
lo, hi, num = float(lo), float(hi), int(num)
rows = [l.split(",") for l in open(path).read().splitlines()]
report("header lr,loss", rows[0] == ["lr", "loss"], repr(rows[0]))
lrs = [float(r[0]) for r in rows[1:]]
losses = [float(r[1]) for r in rows[1:]]


def lr_at(k):
    if k == 0:
        return lo
    r = (k + 1) / num
    return lo * (hi / lo) ** r if mode == "exponential" else lo + r * (hi - lo)


want = [lr_at(k) for k in range(len(lrs))]
report("%d learning rates as the %s schedule gives them" % (len(lrs), mode), lrs == want,
       "first differences: %r" % [(i, a, b) for i, (a, b) in enumerate(zip(lrs, want)) if a != b][:3])

if thr == "none":
    report("no early stop: num_training rows", len(lrs) == num, "%d rows" % len(lrs))
else:
    t = float(thr)
    best, stop = losses[0], None
    for i in range(1, len(losses)):
        if losses[i] > t * best:
            stop = i
            break
        if losses[i] < best:
            best = losses[i]
    if len(lrs) < num:
        report("stopped at the first smoothed loss above %g x best (row %d)" % (t, len(lrs) - 1),
               stop == len(lrs) - 1, "first trigger at %r" % stop)
    else:
        report("ran num_training steps without a trigger", stop is None, "trigger at %r" % stop)

# suggestion(skip_begin=10, skip_end=1) in float32, as torch.tensor(list of floats) makes it
sl = list(range(10, len(losses) - 1))
idx = [i for i in sl if math.isfinite(f32(losses[i]))]
x = [f32(lrs[i]) for i in idx]
y = [f32(losses[i]) for i in idx]
if len(y) < 2:
    got = "None"
else:
    g = []
    m = len(y)
    for i in range(m):
        if i == 0:
            g.append(f32(f32(y[1] - y[0]) / f32(x[1] - x[0])))
        elif i == m - 1:
            g.append(f32(f32(y[-1] - y[-2]) / f32(x[-1] - x[-2])))
        else:
            dx1, dx2 = f32(x[i] - x[i - 1]), f32(x[i + 1] - x[i])
            a = f32(f32(-dx2) / f32(dx1 * f32(dx1 + dx2)))
            b = f32(f32(dx2 - dx1) / f32(dx1 * dx2))
            c = f32(dx1 / f32(dx2 * f32(dx1 + dx2)))
            g.append(f32(f32(f32(a * y[i - 1]) + f32(b * y[i])) + f32(c * y[i + 1])))
    k = min(range(m), key=lambda i: (g[i], i))
    got = repr(lrs[idx[k]])
report("suggestion at the steepest float32 gradient: %s" % got, got == suggested, "ltrun said %s" % suggested)
sys.exit(1 if bad else 0)
