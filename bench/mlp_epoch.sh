#!/bin/bash
# mlp_epoch.sh — one training epoch of the example MLP on Fashion-MNIST: ltrun vs
# PyTorch eager at its best on this machine (OMP_WAIT_POLICY=PASSIVE), side by side,
# under both OpenBLAS kernel choices (the environment's and OpenBLAS's own pick).
#
#   bench/mlp_epoch.sh [BUILD_DIR] [REPEAT]
#
# ltrun's epoch time = median wall time of `fit` for one epoch minus the median of the
# same command with limit_train_batches=0 (start-up, loading, set-up), so both sides
# time the training loop only. Needs python3-torch (apt-get install python3-torch)
# for the reference column.
set -u
B=${1:-build}
R=${2:-3}
D=/usr/share/datasets/fashion-mnist
here=$(cd "$(dirname "$0")" && pwd)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || echo "FAILED: $*" >&2; t1=$(date +%s.%N); awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.4f\n", a - b }'; }
PY=${PYTHON:-/usr/bin/python3}   # Debian's python3-torch installs for the system python

ltrun_epoch() {
    local cmd=("$B/ltrun" fit --module "$B/examples/mlp.so" --data "$B/examples/mnist.so"
               --trainer.max_epochs 1 --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 0
               --trainer.enable_progress_bar false --seed 1 --data.val_size 0)
    local full zero
    full=$(for _ in $(seq "$R"); do wall "${cmd[@]}"; done | median)
    zero=$(for _ in $(seq "$R"); do wall "${cmd[@]}" --trainer.limit_train_batches 0; done | median)
    awk -v a="$full" -v b="$zero" 'BEGIN { printf "%.4f\n", a - b }'
}

printf '%-34s %10s %10s %8s %10s\n' "setting" "ltrun s" "torch s" "ratio" "floor s"
for coretype in "${OPENBLAS_CORETYPE:-}" unset; do
    if [ "$coretype" = unset ]; then unset OPENBLAS_CORETYPE; label="OPENBLAS_CORETYPE unset"; floor=0.176
    else export OPENBLAS_CORETYPE=$coretype; label="OPENBLAS_CORETYPE=${coretype:-(none)}"; floor=0.325; fi
    l=$(ltrun_epoch)
    t=$(OMP_WAIT_POLICY=PASSIVE "$PY" "$here/mlp_torch.py" "$D" "$R" 2>/dev/null | sed -n 's/torch_epoch_s //p')
    ratio=$( [ -n "$t" ] && awk -v a="$t" -v b="$l" 'BEGIN { printf "%.2f", a / b }' || echo "n/a")
    printf '%-34s %10.3f %10s %8s %10s\n' "$label" "$l" "${t:-n/a}" "${ratio}x" "$floor"
done
echo "ratio = torch / ltrun (above 1: ltrun is faster). floor = 3x forward FLOPs at the"
echo "2-thread sgemm peak (shared/reference/performance.md)."
echo "start-up: $( (for _ in $(seq "$R"); do wall "$B/ltrun" --version; done) | median ) s for ltrun --version"
