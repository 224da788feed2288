"""Reference for bench/epoch.sh: one training epoch of an example model in PyTorch eager.

    torch_epoch.py {mlp|cnn} [DATA_DIR] [REPEAT] [PRECISION]

PRECISION "bf16-mixed" runs forward and loss under torch.autocast("cpu",
dtype=torch.bfloat16), as Lightning's MixedPrecision does (bench/precision.sh); the
default "32-true" runs in float32.

Same models as examples/mlp.c and examples/cnn.c (nn.Linear / nn.Conv2d default init),
same data and normalisation ((x/255 - 0.2860) / 0.3530), Adam lr 1e-3, batch 128,
shuffled. Prints the training loop's seconds for one epoch (median of REPEAT), the
test accuracy after it, and this process's peak RSS.
"""
import gzip, os, resource, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load(d, prefix):
    x = read_idx(os.path.join(d, prefix + "-images-idx3-ubyte.gz")).astype(np.float32)
    y = read_idx(os.path.join(d, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (x / 255.0 - 0.2860) / 0.3530
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y)


def make(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    kind = sys.argv[1]
    d = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    precision = sys.argv[4] if len(sys.argv) > 4 else "32-true"
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16-mixed")
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    xtr, ytr = load(d, "train")
    xte, yte = load(d, "t10k")
    times, acc = [], 0.0
    for r in range(repeat):
        torch.manual_seed(r)
        model = make(kind)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        perm = torch.randperm(len(xtr))
        t0 = time.perf_counter()
        for i in range(0, len(xtr), 128):
            idx = perm[i:i + 128]
            with amp:
                loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        with torch.no_grad(), amp:
            acc = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
                      for i in range(0, len(xte), 1000)) / len(xte)
    times.sort()
    print(f"torch_epoch_s {times[len(times) // 2]:.4f}")
    print(f"torch_test_acc {acc:.4f}")
    print(f"torch_peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
