"""torch_linear.py — PyTorch's side of bench/bf16.sh: F.linear forward + backward (dx, dW,
db) at the shapes of bench/linear_dtypes.c, float32 and bfloat16, best of 5 timed runs;
prints "linear M IN OUT DTYPE ms GFLOP/s" like the C driver."""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)
for m, n_in, n_out in ((128, 784, 256), (512, 768, 3072), (1024, 1024, 1024)):
    flop = 6.0 * m * n_in * n_out
    reps = int(2e10 / flop) + 1
    for dt, name in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
        x = (torch.rand(m, n_in) - 0.5).to(dt).requires_grad_()
        w = (torch.rand(n_out, n_in) - 0.5).to(dt).requires_grad_()
        b = (torch.rand(n_out) - 0.5).to(dt).requires_grad_()
        best = 1e9
        for run in range(6):
            t0 = time.perf_counter()
            for _ in range(reps):
                x.grad = w.grad = b.grad = None
                torch.nn.functional.linear(x, w, b).float().sum().backward()
            t = (time.perf_counter() - t0) / reps
            if run > 0:
                best = min(best, t)
        print(f"linear {m} {n_in} {n_out} {name} {best * 1e3:.3f} {flop / best * 1e-9:.1f}")
