#!/bin/bash
# parity64.sh — ltrun and PyTorch train the example MLP in float64 from the same initial
# weights on the same batches; prints how far apart the per-step loss and the final
# weights are. float64 is where two libraries can agree to ~1e-10: in float32 each one's
# rounding (kernel order, fused multiply-adds) compounds through Adam, and even PyTorch's
# own float32 run drifts ~0.1 relative from its float64 run within an epoch.
#
#   bench/parity64.sh [BUILD_DIR] [STEPS]
#
# Needs python3-torch and python3-h5py (apt-get install python3-torch python3-h5py).
set -eu
B=${1:-build}
STEPS=${2:-100}
SEED=7
D=/usr/share/datasets/fashion-mnist
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
# one epoch of 60000 / 128: the torch side reproduces epoch 0's order only
[ "$STEPS" -ge 1 ] && [ "$STEPS" -le 468 ] || { echo "parity64.sh: STEPS must be 1..468 (one epoch)"; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() {
    "$B/ltrun" fit --module "$B/examples/mlp.so" --data "$B/examples/mnist.so" --trainer.precision 64-true \
        --trainer.max_epochs 1 --data.data_dir "$D" --data.batch_size 128 --data.split_seed 42 \
        --data.mean 0.2860 --data.std 0.3530 --model.lr 1e-3 --data.val_size 0 --trainer.limit_val_batches 0 --trainer.num_sanity_val_steps 0 \
        --trainer.enable_progress_bar false --trainer.log_every_n_steps 1 --seed $SEED \
        --trainer.default_root_dir "$T/$1" "${@:2}" > "$T/$1.log" 2>&1 || { cat "$T/$1.log"; exit 1; }
}
run init --trainer.limit_train_batches 0
run train --trainer.max_steps "$STEPS"
"$PY" "$here/torch_parity64.py" "$D" "$T/init/lightning_logs/version_0/checkpoints/last.h5" \
    "$T/train/lightning_logs/version_0/checkpoints/last.h5" "$T/train/lightning_logs/version_0/metrics.csv" \
    "$STEPS" "$SEED"
