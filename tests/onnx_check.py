"""onnx_check.py — test-side reader of ltrun's ONNX files for tests/test_export.sh.

  onnx_check.py structure MODEL      the model as lines: "ir_version N", "opset DOMAIN V",
                                     "input/output NAME ELEM [DIMS]", "init NAME ELEM [DIMS]",
                                     "node OP in,... -> out (attr=value ...)", after checking
                                     that every node input is a graph input, an initializer
                                     or an earlier node's output
  onnx_check.py run MODEL X.npy      evaluates the graph on X with numpy, following the
                                     ONNX operator specs (written here, no onnx package),
                                     and prints the output values, one per line

The protobuf decoding is a generic field walker over onnx.proto's field numbers.
"""
import struct
import sys


def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        num, wt = k >> 3, k & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, i


def msg(b):
    d = {}
    for num, wt, v in fields(b):
        d.setdefault(num, []).append(v)
    return d


def s(v):
    return v.decode()


ELEM = {1: "float", 11: "double", 7: "int64"}


def tensor(b):
    t = msg(b)
    dims = [d for d in t.get(1, [])]
    return s(t[8][0]), t[2][0], dims, t.get(9, [b""])[0]


def value_info(b):
    v = msg(b)
    tt = msg(msg(v[2][0])[1][0])
    dims = []
    for d in msg(tt[2][0]).get(1, []):
        dm = msg(d)
        dims.append(s(dm[2][0]) if 2 in dm else dm[1][0])
    return s(v[1][0]), tt[1][0], dims


def attr(b):
    a = msg(b)
    name, kind = s(a[1][0]), a[20][0]
    if kind == 1:
        return name, struct.unpack("<f", a[2][0])[0]
    if kind == 2:
        v = a[3][0]
        return name, v - (1 << 64) if v >= 1 << 63 else v
    if kind == 7:
        return name, [v - (1 << 64) if v >= 1 << 63 else v for v in a.get(8, [])]
    raise ValueError("attribute type %d" % kind)


def load(path):
    m = msg(open(path, "rb").read())
    g = msg(m[7][0])
    nodes = []
    for nb in g.get(1, []):
        n = msg(nb)
        nodes.append((s(n[4][0]), [s(x) for x in n.get(1, [])], [s(x) for x in n[2]],
                      dict(attr(a) for a in n.get(5, []))))
    inits = [tensor(t) for t in g.get(5, [])]
    ins = [value_info(v) for v in g.get(11, [])]
    outs = [value_info(v) for v in g.get(12, [])]
    opsets = [(s(msg(o).get(1, [b""])[0]), msg(o)[2][0]) for o in m[8]]
    return m[1][0], opsets, ins, outs, inits, nodes


def structure(path):
    ir, opsets, ins, outs, inits, nodes = load(path)
    print("ir_version %d" % ir)
    for d, v in opsets:
        print("opset '%s' %d" % (d, v))
    known = set()
    for name, e, dims in ins:
        print("input %s %s %s" % (name, ELEM.get(e, e), dims))
        known.add(name)
    for name, e, dims, raw in inits:
        print("init %s %s %s" % (name, ELEM.get(e, e), dims))
        known.add(name)
    for op, i, o, a in nodes:
        for x in i:
            if x and x not in known:
                raise SystemExit("node %s reads %s before anything writes it" % (op, x))
        known.update(o)
        print("node %s %s -> %s %s" % (op, ",".join(i), ",".join(o),
                                       " ".join("%s=%s" % kv for kv in sorted(a.items()))))
    for name, e, dims in outs:
        if name not in known:
            raise SystemExit("output %s is never written" % name)
        print("output %s %s %s" % (name, ELEM.get(e, e), dims))


def run(path, xpath):
    import numpy as np
    ir, opsets, ins, outs, inits, nodes = load(path)
    env = {ins[0][0]: np.load(xpath).astype(np.float32)}
    dt = {1: np.float32, 11: np.float64, 7: np.int64}
    for name, e, dims, raw in inits:
        env[name] = np.frombuffer(raw, dtype=dt[e]).reshape(dims)

    def pad(x, p, value):
        return np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=value)

    def windows(x, k, st, dl):
        n, c, h, w = x.shape
        oh = (h - dl[0] * (k[0] - 1) - 1) // st[0] + 1
        ow = (w - dl[1] * (k[1] - 1) - 1) // st[1] + 1
        out = np.empty((n, c, oh, ow, k[0], k[1]), x.dtype)
        for i in range(k[0]):
            for j in range(k[1]):
                out[..., i, j] = x[:, :, i * dl[0]:i * dl[0] + st[0] * (oh - 1) + 1:st[0],
                                   j * dl[1]:j * dl[1] + st[1] * (ow - 1) + 1:st[1]]
        return out

    for op, i, o, a in nodes:
        x = [env[n] if n else None for n in i]
        if op == "Conv":
            w = x[1]
            p = a.get("pads", [0, 0, 0, 0])
            win = windows(pad(x[0], p, 0), a["kernel_shape"], a.get("strides", [1, 1]),
                          a.get("dilations", [1, 1]))
            g = a.get("group", 1)
            assert g == 1, "group"
            y = np.einsum("nchwij,ocij->nohw", win.astype(np.float64), w.astype(np.float64))
            if len(x) > 2 and x[2] is not None:
                y = y + x[2].reshape(1, -1, 1, 1)
            y = y.astype(x[0].dtype)
        elif op == "ConvTranspose":
            w = x[1].astype(np.float64)  # [C, O, kh, kw], group 1
            assert a.get("group", 1) == 1, "group"
            st, dl, k = a.get("strides", [1, 1]), a.get("dilations", [1, 1]), a["kernel_shape"]
            p, op_ = a.get("pads", [0, 0, 0, 0]), a.get("output_padding", [0, 0])
            n_, c, h, wd = x[0].shape
            fh = (h - 1) * st[0] + dl[0] * (k[0] - 1) + 1 + op_[0]
            fw = (wd - 1) * st[1] + dl[1] * (k[1] - 1) + 1 + op_[1]
            full = np.zeros((n_, w.shape[1], fh, fw))
            xd = x[0].astype(np.float64)
            for i in range(k[0]):
                for j in range(k[1]):
                    full[:, :, i * dl[0]:i * dl[0] + st[0] * (h - 1) + 1:st[0],
                         j * dl[1]:j * dl[1] + st[1] * (wd - 1) + 1:st[1]] += np.einsum("nchw,co->nohw", xd, w[:, :, i, j])
            y = full[:, :, p[0]:fh - p[2], p[1]:fw - p[3]]
            if len(x) > 2 and x[2] is not None:
                y = y + x[2].reshape(1, -1, 1, 1)
            y = y.astype(x[0].dtype)
        elif op in ("MaxPool", "AveragePool"):
            assert a.get("ceil_mode", 0) == 0, "ceil_mode"
            p = a.get("pads", [0, 0, 0, 0])
            k = a["kernel_shape"]
            if op == "MaxPool":
                y = windows(pad(x[0], p, -np.inf), k, a.get("strides", k), a.get("dilations", [1, 1])).max(axis=(4, 5))
            else:
                assert a.get("count_include_pad", 0) == 1 or p == [0, 0, 0, 0], "count_include_pad"
                y = windows(pad(x[0], p, 0), k, a.get("strides", k), [1, 1]).mean(axis=(4, 5))
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Reshape":
            shape = [x[0].shape[d] if v == 0 else v for d, v in enumerate(x[1].tolist())]
            y = x[0].reshape(shape)
        elif op == "Gemm":
            b = x[1].T if a.get("transB", 0) else x[1]
            y = (x[0].astype(np.float64) @ b.astype(np.float64)).astype(x[0].dtype)
            if len(x) > 2 and x[2] is not None:
                y = y + x[2]
        elif op == "MatMul":
            y = x[0] @ x[1]
        elif op == "Transpose":
            y = x[0].transpose(a["perm"])
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](x[0], x[1])
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-x[0]))
        elif op == "Tanh":
            y = np.tanh(x[0])
        elif op == "LeakyRelu":
            y = np.where(x[0] >= 0, x[0], x[0] * np.float32(a.get("alpha", 0.01)))
        elif op == "LogSoftmax":
            ax = a.get("axis", -1)
            m = x[0].max(axis=ax, keepdims=True)
            y = x[0] - m - np.log(np.exp(x[0] - m).sum(axis=ax, keepdims=True))
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(x[0] - x[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "Identity":
            y = x[0]
        else:
            raise SystemExit("onnx_check: no reference for op %s" % op)
        env[o[0]] = y
    for v in env[outs[0][0]].reshape(-1):
        print("%.9g" % v)


if __name__ == "__main__":
    if sys.argv[1] == "structure":
        structure(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3])
