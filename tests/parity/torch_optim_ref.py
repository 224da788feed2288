#!/usr/bin/env python3
"""torch_optim_ref.py — reference bits of torch.optim on identical gradients.

Prints a C include (tests/parity/torch_optim_ref.inc): for each optimizer case, the float32
and float64 parameters after steps 1, 10, 100 and 500 as raw bits. Parameters and
gradients come from an integer hash that C reproduces exactly (24-bit integers scaled by
powers of two are exact in float32), so both sides start from the same bits.

It also prints every square root the optimizers took whose result torch.sqrt did not
round correctly (parity_sqrt_f32/_f64: the argument's bits and torch's result): torch's
CPU sqrt of a contiguous tensor is MKL's vsSqrt/vdSqrt in HA mode (ATen's vml.h), which
is not correctly rounded where the exact root lies near a rounding midpoint. The C test
uses that table to tell those roots from its own IEEE sqrt.

    python3 tests/parity/torch_optim_ref.py > tests/parity/torch_optim_ref.inc
"""
import math
import struct
import sys

import torch

N = 67                      # 4 AVX-512 vectors of float32 + a tail of 3
STEPS = 500
RECORD = (1, 10, 100, 500)


def mix(x):
    """lowbias32 (a public-domain 32-bit integer hash); C: tests/test_optim_parity.c."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


def value(s, i):
    """An exact float32: a signed 24-bit integer times 2^-(23 + s % 5)."""
    h = mix(s * 1000003 + i * 7919 + 12345)
    q = (h >> 8) - (1 << 23)
    return q / float(1 << (23 + s % 5))


CASES = [
    ("sgd_plain", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    ("sgd_nesterov_wd", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("sgd_dampening_wd_max", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3,
                                                       weight_decay=0.01, maximize=True)),
    ("adam_default", lambda p: torch.optim.Adam(p)),
    ("adam_wd_amsgrad", lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("adam_beta1_03_max", lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.3, 0.99), eps=1e-3, maximize=True)),
    ("adamw_default", lambda p: torch.optim.AdamW(p)),
    ("adamw_amsgrad", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("rmsprop_default", lambda p: torch.optim.RMSprop(p)),
    ("rmsprop_centered_momentum_wd", lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.9, momentum=0.9,
                                                                  centered=True, weight_decay=0.1)),
    ("adagrad_default", lambda p: torch.optim.Adagrad(p)),
    ("adagrad_decay_wd_init", lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                                           initial_accumulator_value=0.5, eps=1e-6)),
]


def sqrt_arg(opt, w):
    """The tensor the step just took the square root of (as it is after the step)."""
    st = opt.state[w]
    if "max_exp_avg_sq" in st:          # Adam/AdamW amsgrad: max_exp_avg_sqs[i].sqrt()
        return st["max_exp_avg_sq"]
    if "exp_avg_sq" in st:              # Adam/AdamW: exp_avg_sq.sqrt()
        return st["exp_avg_sq"]
    if "grad_avg" in st:                # RMSprop centered: square_avg.addcmul(ga, ga, value=-1)
        return st["square_avg"].addcmul(st["grad_avg"], st["grad_avg"], value=-1)
    if "square_avg" in st:
        return st["square_avg"]
    if "sum" in st:                     # Adagrad: state_sum.sqrt()
        return st["sum"]
    return None                         # SGD takes no root


def rounded_sqrt(x, dtype):
    """sqrt(x) correctly rounded to dtype (math.sqrt is; float64 -> float32 rounds once more
    but exactly, 53 >= 2 * 24 + 2)."""
    r = math.sqrt(x)
    if dtype == torch.float32:
        r = struct.unpack("<f", struct.pack("<f", r))[0]
    return r


def run(make, dtype, sqrt_table):
    w = torch.tensor([value(100000, i) for i in range(N)], dtype=torch.float32).to(dtype)
    w.requires_grad_(True)
    opt = make([w])
    out = {}
    for s in range(1, STEPS + 1):
        w.grad = torch.tensor([value(s, i) for i in range(N)], dtype=torch.float32).to(dtype)
        opt.step()
        arg = sqrt_arg(opt, w)
        if arg is not None:
            # the same contiguous sqrt kernel the step ran, so the same bits
            for x, r in zip(arg.tolist(), arg.sqrt().tolist()):
                if x >= 0 and r != rounded_sqrt(x, dtype):
                    sqrt_table[bits1(x, dtype)] = bits1(r, dtype)
        if s in RECORD:
            out[s] = w.detach().clone()
    return out


def bits1(x, dtype):
    if dtype == torch.float32:
        return "0x%08xu" % struct.unpack("<I", struct.pack("<f", x))[0]
    return "0x%016xull" % struct.unpack("<Q", struct.pack("<d", x))[0]


def bits(t):
    if t.dtype == torch.float32:
        return ["0x%08xu" % struct.unpack("<I", struct.pack("<f", float(x)))[0] for x in t.tolist()]
    return ["0x%016xull" % struct.unpack("<Q", struct.pack("<d", float(x)))[0] for x in t.tolist()]


def main():
    torch.set_num_threads(1)
    print("/* generated by tests/parity/torch_optim_ref.py: torch %s, CPU capability %s, MKL %s */"
          % (torch.__version__, torch.backends.cpu.get_cpu_capability(),
             "yes" if torch.backends.mkl.is_available() else "no"))
    print("#define PARITY_N %d\n#define PARITY_NREC %d" % (N, len(RECORD)))
    print("static const int parity_record_steps[PARITY_NREC] = {%s};" % ", ".join(map(str, RECORD)))
    for dtype, tag, ctype in ((torch.float32, "f32", "uint32_t"), (torch.float64, "f64", "uint64_t")):
        print("static const struct { const char *name; %s bits[PARITY_NREC][PARITY_N]; } parity_%s[] = {"
              % (ctype, tag))
        sqrt_table = {}
        for name, make in CASES:
            rec = run(make, dtype, sqrt_table)
            rows = ",\n    ".join("{" + ", ".join(bits(rec[s])) + "}" for s in RECORD)
            print(" {\"%s\", {\n    %s}}," % (name, rows))
        print("};")
        # {argument, torch's root} for each root torch.sqrt did not round correctly; a
        # {0, 0} row ends the table (C11 has no empty initialiser)
        rows = "".join("\n    {%s, %s}," % (x, sqrt_table[x]) for x in sorted(sqrt_table))
        print("static const %s parity_sqrt_%s[][2] = {%s\n    {0, 0}};" % (ctype, tag, rows))


if __name__ == "__main__":
    sys.exit(main())
