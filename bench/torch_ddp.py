"""Reference for bench/ddp.sh: PyTorch DistributedDataParallel (gloo, CPU) on the example
MLP or CNN, samples/s with W ranks x 1 thread.

    torch_ddp.py {mlp|cnn} WORLD STEPS BATCH [DATA_DIR]

Same models as examples/mlp.c and examples/cnn.c (bench/torch_epoch.py's), Fashion-MNIST
normalised as there, Adam lr 1e-3, BATCH samples per rank per step, each rank its own
shard (DistributedSampler's rank::world). The ranks are started with
torch.multiprocessing (Lightning's ddp_spawn launcher); the timed loop is STEPS steps
after 5 warm-up steps, between two barriers. Prints "torch_ddp_samples_s N".
"""
import os, sys, time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_epoch import load, make  # noqa: E402


def run(rank, world, kind, steps, batch, d, port, out):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    xtr, ytr = load(d, "train")
    torch.manual_seed(1)
    model = make(kind)
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam(ddp.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    perm = torch.randperm(len(xtr), generator=g)[rank::world]

    def step(i):
        idx = perm[(i * batch) % (len(perm) - batch):][:batch]
        loss = F.cross_entropy(ddp(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

    for i in range(5):
        step(i)
    dist.barrier()
    t0 = time.perf_counter()
    for i in range(steps):
        step(5 + i)
    dist.barrier()
    dt = time.perf_counter() - t0
    if rank == 0:
        with open(out, "w") as f:
            f.write(f"{world * batch * steps / dt:.1f}\n")
    dist.destroy_process_group()


def main():
    kind, world, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    d = sys.argv[5] if len(sys.argv) > 5 else "/usr/share/datasets/fashion-mnist"
    out = f"/tmp/torch_ddp_{os.getpid()}.txt"
    port = 29500 + os.getpid() % 1000
    mp.spawn(run, args=(world, kind, steps, batch, d, port, out), nprocs=world, join=True)
    with open(out) as f:
        print(f"torch_ddp_samples_s {f.read().strip()}")
    os.remove(out)


if __name__ == "__main__":
    main()
