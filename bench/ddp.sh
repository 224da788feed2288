#!/bin/bash
# ddp.sh — data-parallel scaling of the example MLP and CNN on Fashion-MNIST with the ddp
# strategy (plugins/strategies/ddp, over MPI): samples/s with 1 rank x 1 thread and with
# 2 ranks x 1 thread (BATCH samples a rank a step: weak scaling, as DDP is used), the
# scaling efficiency (2-rank samples/s / (2 x 1-rank samples/s)), the bytes all-reduced a
# step (4 x parameters for float32), and the share of the all-reduce time hidden behind
# backward; beside PyTorch 1.13's DistributedDataParallel (gloo) when python3-torch is
# installed.
#
#   bench/ddp.sh [BUILD_DIR] [STEPS] [MODELS] [BATCH]     e.g. bench/ddp.sh build 150 "mlp cnn" 64
#
# Time a step: the median over REPEAT (3) of [wall of a fit of 20 + STEPS batches minus
# wall of a fit of 20 batches] / STEPS, so start-up, MPI_Init, loading and set-up cancel
# out. Hidden share: 1 - (time waited for the all-reduce after backward with the buckets
# overlapping backward) / (that time with --strategy.overlap false, where nothing
# overlaps), from LTRUN_DDP_STATS.
set -u
B=${1:-build}
STEPS=${2:-150}
MODELS=${3:-mlp cnn}
BATCH=${4:-64}
REPEAT=${REPEAT:-3}
D=/usr/share/datasets/fashion-mnist
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
[ -f "$B/plugins/strategies/ddp.so" ] || { echo "ddp.sh: $B has no ddp plugin (configure found no MPI)"; exit 1; }
command -v mpirun > /dev/null || { echo "ddp.sh: no mpirun (apt-get install openmpi-bin)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
# fit MODEL WORLD BATCHES EXTRA...: wall seconds of one fit (stats in $tmp/stats)
fit() {
    local model=$1 world=$2 n=$3
    shift 3
    local launch=""
    [ "$world" -gt 1 ] && launch="mpirun -n $world --oversubscribe --bind-to core"
    local t0 t1
    t0=$(now)
    LTRUN_DDP_STATS=1 $launch "$B/ltrun" fit --module "$B/examples/$model.so" --data "$B/examples/mnist.so" \
        --data.data_dir "$D" --data.batch_size "$BATCH" --data.val_size 0 --trainer.strategy ddp \
        --trainer.max_epochs 1 --trainer.limit_train_batches "$n" --trainer.limit_val_batches 0 \
        --trainer.num_sanity_val_steps 0 --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false --trainer.logger false \
        --trainer.enable_checkpointing false --trainer.num_threads 1 --seed 1 "$@" \
        > "$tmp/out" 2>&1 || { echo "ddp.sh: fit failed:"; tail -n 5 "$tmp/out"; exit 1; }
    t1=$(now)
    grep 'ltrun: ddp:' "$tmp/out" > "$tmp/stats"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
# step_s MODEL WORLD EXTRA...: seconds a step (median of REPEAT differences)
step_s() {
    local model=$1 world=$2
    shift 2
    for _ in $(seq "$REPEAT"); do
        full=$(fit "$model" "$world" $((20 + STEPS)) "$@")
        base=$(fit "$model" "$world" 20 "$@")
        awk -v f="$full" -v b="$base" -v s="$STEPS" 'BEGIN { printf "%.6f\n", (f - b) / s }'
    done | median
}
waited() { # the stats' "waited X s after backward" of the last fit, per step
    sed -n 's/.*synchronised \([0-9]*\); waited \([0-9.]*\) s.*/\2 \1/p' "$tmp/stats" |
        awk '{ printf "%.6f\n", $2 > 0 ? $1 / $2 : 0 }'
}

printf '%-4s %12s %12s %6s %10s %8s %12s %12s %6s\n' model "1 rank/s" "2 ranks/s" eff \
    "bytes/step" hidden "torch 1/s" "torch 2/s" eff
for model in $MODELS; do
    s1=$(step_s "$model" 1)
    s2=$(step_s "$model" 2)
    bytes=$(sed -n 's/.*per step: \([0-9]*\) bytes.*/\1/p' "$tmp/stats")
    fit "$model" 2 $((20 + STEPS)) > /dev/null
    w_overlap=$(waited)
    fit "$model" 2 $((20 + STEPS)) --strategy.overlap false > /dev/null
    w_plain=$(waited)
    t1="-" t2="-" teff="-"
    if "$PY" -c "import torch" 2> /dev/null; then
        t1=$("$PY" "$here/torch_ddp.py" "$model" 1 "$STEPS" "$BATCH" "$D" 2> /dev/null | sed -n 's/^torch_ddp_samples_s //p')
        t2=$("$PY" "$here/torch_ddp.py" "$model" 2 "$STEPS" "$BATCH" "$D" 2> /dev/null | sed -n 's/^torch_ddp_samples_s //p')
        [ -n "$t1" ] && [ -n "$t2" ] && teff=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b / (2 * a) }')
    fi
    awk -v s1="$s1" -v s2="$s2" -v b="$BATCH" -v by="$bytes" -v wo="$w_overlap" -v wp="$w_plain" \
        -v m="$model" -v t1="${t1:--}" -v t2="${t2:--}" -v te="$teff" 'BEGIN {
        r1 = b / s1; r2 = 2 * b / s2
        hid = wp > 0 ? 1 - wo / wp : 0
        printf "%-4s %12.0f %12.0f %6.2f %10d %7.0f%% %12s %12s %6s\n", m, r1, r2, r2 / (2 * r1), by, 100 * hid, t1, t2, te
    }'
    echo "     (after-backward wait a step: overlapped $w_overlap s, plain $w_plain s)"
done
