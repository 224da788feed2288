#!/bin/bash
# precision.sh — --trainer.precision on the example MLP and CNN (one epoch of
# Fashion-MNIST, batch 128, Adam 1e-3, 2 threads): ltrun's 32-true and bf16-mixed beside
# PyTorch eager's float32 and torch.autocast("cpu", dtype=torch.bfloat16) runs of the same
# models (bench/torch_epoch.py, OMP_WAIT_POLICY=PASSIVE: PyTorch at its best here), in one
# invocation, under both OpenBLAS kernel choices; then ltrun's test accuracy after
# ACC_EPOCHS (3) epochs in each precision.
#
#   bench/precision.sh [BUILD_DIR] [REPEAT] [MODELS]     e.g. bench/precision.sh build 3 "mlp cnn"
#
# Epoch seconds are measured as bench/epoch.sh measures them (the wall time of fit minus
# that of the same command with limit_train_batches=0); peak RSS is the whole process's.
# Needs python3-torch for the reference columns (Debian 12's is PyTorch 1.13.1).
set -u
B=${1:-build}
R=${2:-3}
MODELS=${3:-mlp cnn}
THREADS=${BENCH_THREADS:-2}
ACC_EPOCHS=${ACC_EPOCHS:-3}
D=/usr/share/datasets/fashion-mnist
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
export BENCH_THREADS=$THREADS
. "$here/lib.sh"

ltrun_cmd() { # MODEL PRECISION [EPOCHS]
    echo "$B/ltrun" fit --module "$B/examples/$1.so" --data "$B/examples/mnist.so" \
        --trainer.max_epochs "${3:-1}" --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 0 \
        --trainer.enable_progress_bar false --trainer.num_threads "$THREADS" --seed 1 \
        --trainer.logger false --trainer.enable_checkpointing false \
        --data.val_size 0 --trainer.precision "$2"
}

# "epoch_s rss_mb" of ltrun on MODEL PRECISION
ltrun_epoch() { fit_epoch $(ltrun_cmd "$1" "$2"); }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-5s %-26s %-11s %9s %9s %7s %8s %8s %10s\n' model setting precision "ltrun s" "torch s" \
    ratio "ltrunMB" "torchMB" "vs 32-true"
coretypes=$(env_coretypes)
for model in $MODELS; do
    for coretype in $coretypes; do
        set_coretype "$coretype"
        base=""
        for prec in 32-true bf16-mixed; do
            read -r l lrss < <(ltrun_epoch "$model" "$prec")
            OMP_WAIT_POLICY=PASSIVE "$PY" "$here/torch_epoch.py" "$model" "$D" "$R" "$prec" > "$tmp/t" 2>/dev/null
            t=$(field torch_epoch_s < "$tmp/t")
            trss=$(field torch_peak_rss_kb < "$tmp/t" | awk '{printf "%.1f", $1 / 1024}')
            [ -z "$base" ] && base=$l
            awk -v m="$model" -v s="$label" -v p="$prec" -v l="$l" -v t="${t:-0}" -v lr="$lrss" \
                -v tr="${trss:-0}" -v b="$base" 'BEGIN {
                printf "%-5s %-26s %-11s %9.3f %9.3f %7.2f %8.1f %8.1f %10.2f\n", m, s, p, l, t,
                    (t > 0 ? l / t : 0), lr, tr, (b > 0 ? l / b : 0) }'
        done
    done
done
echo "ratio = ltrun / PyTorch in the same precision (torch: float32, or torch.autocast bf16);"
echo "vs 32-true = ltrun's epoch / ltrun's own 32-true epoch (same model and OpenBLAS setting)."
[ "$ACC_EPOCHS" -gt 0 ] || exit 0
echo "test accuracy after $ACC_EPOCHS epochs (ltrun, seed 1, environment's OpenBLAS setting):"
[ -n "$BENCH_ENV_CORETYPE" ] && export OPENBLAS_CORETYPE=$BENCH_ENV_CORETYPE
for model in $MODELS; do
    line="  $model:"
    for prec in 32-true bf16-mixed; do
        $(ltrun_cmd "$model" "$prec" "$ACC_EPOCHS") --test --results "$tmp/r.json" > /dev/null 2>&1
        acc=$(sed -n 's/.*"test\/acc":[[:space:]]*\([0-9.]*\).*/\1/p' "$tmp/r.json" | head -1)
        line="$line $prec ${acc:-n/a}"
    done
    echo "$line"
done
