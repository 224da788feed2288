"""make_npy.py PREFIX SEED N — N random [1, 8, 8] float32 images and int64 labels in 0..2 as
PREFIX_x.npy / PREFIX_y.npy (NEP 1 format 1.0, written with the stdlib), for tests/test_export.sh
and bench/onnx_check.sh."""
import struct, sys, random
def npy(path, descr, shape, vals, fmt):
    hdr = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, "".join("%d," % s for s in shape))
    pad = 64 - (10 + len(hdr) + 1) % 64
    hdr = hdr + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(struct.pack("<%d%s" % (len(vals), fmt), *vals))
random.seed(int(sys.argv[2]))
n = int(sys.argv[3])
xs = [random.random() for _ in range(n * 64)]
ys = [random.randrange(3) for _ in range(n)]
npy(sys.argv[1] + "_x.npy", "<f4", (n, 1, 8, 8), xs, "f")
npy(sys.argv[1] + "_y.npy", "<i8", (n,), ys, "q")
