#!/bin/bash
# epoch.sh — one training epoch of the example MLP and CNN on Fashion-MNIST: ltrun vs
# PyTorch eager at its best on this machine (OMP_WAIT_POLICY=PASSIVE), same model, data,
# batch size (128), optimizer (Adam 1e-3) and thread count, side by side, under both
# OpenBLAS kernel choices (the environment's and OpenBLAS's own pick).
#
#   bench/epoch.sh [BUILD_DIR] [REPEAT] [MODELS]      e.g. bench/epoch.sh build 3 "mlp cnn"
#
# Both sides train only: ltrun's logger and last-checkpoint writing are off (PyTorch eager
# has neither). Epoch time: ltrun's = median wall time of `fit --test` for one epoch minus the median of
# the same command with limit_train_batches=0 (start-up, data loading, set-up and test
# are in both), so both sides time the training loop only. Peak RSS: each whole process
# (ltrun: fit + test; PyTorch: load + train + test), measured the same way
# (bench/run_measured.py). Ratios are ltrun / PyTorch: below 1, ltrun is faster/smaller.
# Needs python3-torch (apt-get install python3-torch) for the reference columns.
set -u
B=${1:-build}
R=${2:-3}
MODELS=${3:-mlp cnn}
THREADS=${BENCH_THREADS:-2}
D=/usr/share/datasets/fashion-mnist
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}   # Debian's python3-torch installs for the system python
export BENCH_THREADS=$THREADS

. "$here/lib.sh"

ltrun_cmd() {
    echo "$B/ltrun" fit --module "$B/examples/$1.so" --data "$B/examples/mnist.so" \
        --trainer.max_epochs 1 --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 0 \
        --trainer.enable_progress_bar false --trainer.num_threads "$THREADS" --seed 1 \
        --trainer.logger false --trainer.enable_checkpointing false \
        --data.val_size 0 --test
}

# prints "epoch_s rss_mb test_acc" for ltrun on model $1
ltrun_epoch() {
    local cmd t
    cmd=$(ltrun_cmd "$1")
    t=$(fit_epoch $cmd)
    $cmd --results "$tmp/r.json" > /dev/null 2>&1
    acc=$(sed -n 's/.*"test\/acc":[[:space:]]*\([0-9.]*\).*/\1/p' "$tmp/r.json" | head -1)
    echo "$t $acc"
}

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-5s %-26s %9s %9s %7s %9s %9s %8s %8s %7s %6s %6s\n' model setting "ltrun s" "torch s" ratio \
    "ltrun/s" "torch/s" "ltrunMB" "torchMB" ratio "acc" "tacc"
coretypes=$(env_coretypes)
for model in $MODELS; do
    for coretype in $coretypes; do
        set_coretype "$coretype"
        read -r l lrss lacc < <(ltrun_epoch "$model")
        OMP_WAIT_POLICY=PASSIVE "$PY" "$here/torch_epoch.py" "$model" "$D" "$R" > "$tmp/t" 2>/dev/null
        t=$(field torch_epoch_s < "$tmp/t"); tacc=$(field torch_test_acc < "$tmp/t")
        trss=$(field torch_peak_rss_kb < "$tmp/t" | awk '{printf "%.1f", $1 / 1024}')
        awk -v m="$model" -v s="$label" -v l="$l" -v t="${t:-0}" -v lr="$lrss" -v tr="${trss:-0}" \
            -v la="$lacc" -v ta="${tacc:-n/a}" 'BEGIN {
            printf "%-5s %-26s %9.3f %9.3f %7.2f %9.0f %9.0f %8.1f %8.1f %7.2f %6s %6s\n", m, s, l, t,
                (t > 0 ? l / t : 0), 60000 / l, (t > 0 ? 60000 / t : 0), lr, tr, (tr > 0 ? lr / tr : 0), la, ta }'
    done
done
echo "ratio = ltrun / PyTorch (time, then peak RSS); /s = training samples per second;"
echo "acc/tacc = test accuracy after the epoch (ltrun / PyTorch, different init streams)."
first=$(for _ in $(seq "$R"); do measure "$B/ltrun" fit --module "$B/examples/mlp.so" \
    --data "$B/examples/mnist.so" --trainer.max_steps 1 --trainer.num_sanity_val_steps 0 \
    --trainer.limit_val_batches 0 --trainer.enable_progress_bar false --seed 1; done | cut -d' ' -f1 | median)
version=$(for _ in $(seq "$R"); do measure "$B/ltrun" --version; done | cut -d' ' -f1 | median)
echo "start-up: ltrun --version ${version} s; start to end of the first MLP step ${first} s"
echo "(with the mnist example's decompressed cache warm; its first run inflates the 26 MB"
echo " of gzipped training images once, ~0.3 s more)"
