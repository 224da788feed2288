"""Reference for bench/parity64.sh: the example MLP trained in float64 by PyTorch from
ltrun's initial weights, on the same batches, compared step by step with ltrun.

    torch_parity64.py DATA_DIR INIT_H5 FINAL_H5 METRICS_CSV STEPS SEED

INIT_H5 / FINAL_H5: ltrun checkpoints before training and after STEPS steps of
`--trainer.precision 64-true`; METRICS_CSV: that run's CSV log (train/loss_step every
step). Same data order (the train loader's randperm(n, manual_seed(seed + epoch))), same
normalisation (torchvision's float32 ToTensor + Normalize, widened to float64 as
Lightning's DoublePrecision widens the batch), Adam lr 1e-3, batch 128. Prints the largest
relative differences of the per-step loss and of the final weights, and exits 1 when they
pass PARITY_LOSS_MAX (1e-12) or PARITY_WEIGHT_MAX (1e-10).
"""
import csv, os, sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

from torch_epoch import read_idx  # bench/torch_epoch.py's IDX reader


def state(path):
    with h5py.File(path, "r") as f:
        return {k: torch.from_numpy(np.array(f["state_dict"][k])) for k in f["state_dict"]}


def main():
    d, init_h5, final_h5, metrics, steps, seed = sys.argv[1:7]
    steps, seed = int(steps), int(seed)
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.use_deterministic_algorithms(True)
    x = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).copy())
    y = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    # torchvision: ToTensor() = img.float().div(255); Normalize = sub_(mean).div_(std), float32
    x = ((x.float().div(255) - 0.2860) / 0.3530).reshape(len(x), -1).double()
    w = {k: v.clone().requires_grad_(True) for k, v in state(init_h5).items()}
    assert all(v.dtype == torch.float64 for v in w.values()), "INIT_H5 is not a 64-true checkpoint"
    names = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    opt = torch.optim.Adam([w[n] for n in names], lr=1e-3)
    # the mnist data module's train set: random_split(full, [60000, 0],
    # generator=torch.Generator().manual_seed(42)), i.e. the first 60000 of that randperm;
    # the train loader shuffles it with randperm(n, manual_seed(seed + epoch))
    base = torch.randperm(len(x), generator=torch.Generator().manual_seed(42))
    perm = base[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))]
    losses = []
    for s in range(steps):
        idx = perm[s * 128:(s + 1) * 128]
        h = F.relu(F.linear(x[idx], w["fc1.weight"], w["fc1.bias"]))
        h = F.relu(F.linear(h, w["fc2.weight"], w["fc2.bias"]))
        loss = F.cross_entropy(F.linear(h, w["fc3.weight"], w["fc3.bias"]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with open(metrics) as f:
        ours = [float(r["train/loss_step"]) for r in csv.DictReader(f) if r.get("train/loss_step")]
    assert len(ours) >= steps, "METRICS_CSV has %d train/loss_step rows, want %d" % (len(ours), steps)
    loss_rel = max(abs(a - b) / abs(b) for a, b in zip(ours[:steps], losses))
    fin = state(final_h5)
    w_rel = max(((fin[n] - w[n].detach()).abs().max() / w[n].detach().abs().max()).item() for n in names)
    print("torch %s, %d float64 steps: loss max rel diff %.3g (step %d: ltrun %.17g, torch %.17g)"
          % (torch.__version__, steps, loss_rel, steps, ours[steps - 1], losses[-1]))
    print("final weights max rel diff (per tensor, by its max |w|): %.3g" % w_rel)
    # what float64 parity means (README, "Numerics"): fail loudly when it no longer holds
    loss_max = float(os.environ.get("PARITY_LOSS_MAX", "1e-12"))
    w_max = float(os.environ.get("PARITY_WEIGHT_MAX", "1e-10"))
    if not (loss_rel <= loss_max and w_rel <= w_max):
        print("FAIL: beyond PARITY_LOSS_MAX=%g / PARITY_WEIGHT_MAX=%g" % (loss_max, w_max))
        sys.exit(1)


if __name__ == "__main__":
    main()
