#!/bin/sh
# loader.sh — batches/s the host's DataLoader delivers (a consumer that does nothing) at
# num_workers 0, 1, 2 (bench/loader_bench.c), for (a) the mnist example on Fashion-MNIST
# and (b) a decode-heavy data module (bench/zlib_data.so: zlib-compressed samples inflated
# in get_item), (c) the hdf5 data plugin on Fashion-MNIST written as HDF5 (188 MB of
# float32 X), once within its memory budget and once over it (read by chunks on demand);
# then, for comparison, the batches/s the MLP consumes in training (examples/mlp.so on
# the same Fashion-MNIST: one epoch's batches / (time of a 2-epoch fit - a 1-epoch fit),
# so start-up and the dataset's decoding are not counted).
#
#   bench/loader.sh [BUILD_DIR] [SECONDS per row (3)] [FASHION_MNIST_DIR]
#
# Targets: row (a) >= 20x the MLP's batches/s; (b) num_workers 2 > 0.
# Another data plugin: $B/bench/loader_bench PLUGIN --data.KEY VALUE ... --workers 0,1,2
set -u
B=${1:-build}
S=${2:-3}
F=${3:-}
make -C "$B" bench/loader_bench bench/zlib_data.so bench/make_h5 plugins/data/hdf5.so \
    examples/mnist.so examples/mlp.so ltrun \
    > /dev/null || exit 1
if [ -z "$F" ]; then # Debian's dataset-fashion-mnist package
    for d in /usr/share/fashion-mnist /usr/share/dataset-fashion-mnist /usr/share/datasets/fashion-mnist; do
        [ -d "$d" ] && F=$d && break
    done
    [ -z "$F" ] && F=$(dirname "$(find /usr/share -name 'train-images-idx3-ubyte*' 2>/dev/null | head -n 1)" 2>/dev/null)
fi
if [ -z "$F" ] || [ ! -d "$F" ]; then
    echo "loader.sh: no Fashion-MNIST IDX files (apt-get install dataset-fashion-mnist, or pass the folder)" >&2
    exit 1
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export XDG_CACHE_HOME="$TMP/cache" # the mnist example caches decompressed files there
echo "== (a) examples/mnist.so on Fashion-MNIST ($F)"
"$B/bench/loader_bench" "$B/examples/mnist.so" --data.data_dir "$F" --workers 0,1,2 --seconds "$S" || exit 1
echo "== (b) bench/zlib_data.so (inflate in get_item)"
"$B/bench/loader_bench" "$B/bench/zlib_data.so" --workers 0,1,2 --seconds "$S" || exit 1
echo "-- num_workers 0 on one thread (OMP_NUM_THREADS=1: PyTorch's num_workers=0, the main process alone)"
OMP_NUM_THREADS=1 "$B/bench/loader_bench" "$B/bench/zlib_data.so" --workers 0 --seconds "$S" | tail -n 1 || exit 1
echo "== (c) plugins/data/hdf5.so on Fashion-MNIST as HDF5 (X float32 [60000, 784], chunks of 64 rows)"
gunzip -c "$F/train-images-idx3-ubyte.gz" > "$TMP/img" 2>/dev/null || cp "$F/train-images-idx3-ubyte" "$TMP/img"
gunzip -c "$F/train-labels-idx1-ubyte.gz" > "$TMP/lab" 2>/dev/null || cp "$F/train-labels-idx1-ubyte" "$TMP/lab"
"$B/bench/make_h5" "$TMP/f.h5" "$TMP/img" "$TMP/lab" 1 || exit 1
rm -f "$TMP/img" "$TMP/lab"
echo "-- in memory (memory_budget_mb 1024: read once at setup)"
"$B/bench/loader_bench" "$B/plugins/data/hdf5.so" --data.path "$TMP/f.h5" --data.x X --data.y y \
    --data.memory_budget_mb 1024 --data.batch_size 128 --workers 0,1,2 --seconds "$S" || exit 1
echo "-- over budget (memory_budget_mb 32: blocks of 64 rows read on demand, uniformly shuffled order)"
"$B/bench/loader_bench" "$B/plugins/data/hdf5.so" --data.path "$TMP/f.h5" --data.x X --data.y y \
    --data.memory_budget_mb 32 --data.batch_size 128 --data.block_shuffle false --workers 0,1,2 --seconds "$S" || exit 1
echo "-- over budget, block-shuffled order (the default: windows of the LRU's blocks, each block read once an epoch)"
"$B/bench/loader_bench" "$B/plugins/data/hdf5.so" --data.path "$TMP/f.h5" --data.x X --data.y y \
    --data.memory_budget_mb 32 --data.batch_size 128 --workers 0,1,2 --seconds "$S" || exit 1
echo "== (d) training on decode-heavy data: examples/mlp.so on zlib_data (dim 784, 4096 samples,"
echo "   batch 128), seconds per epoch = (9-epoch fit - 1-epoch fit) / 8"
zfit() { # NW EPOCHS [ENV...] -> wall seconds
    nw=$1; ep=$2; shift 2
    t0=$(date +%s.%N)
    env "$@" "$B/ltrun" fit --module "$B/examples/mlp.so" --data "$B/bench/zlib_data.so" --data.dim 784 \
        --data.length 4096 --data.batch_size 128 --data.num_workers "$nw" --trainer.max_epochs "$ep" \
        --trainer.limit_val_batches 0 --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.enable_checkpointing false --trainer.logger false --seed 1 > "$TMP/zfit.log" 2>&1 \
        || { tail -n 3 "$TMP/zfit.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}
printf '%-28s %12s %12s\n' "OpenMP wait policy" "workers 0" "workers 2"
for pol in default PASSIVE; do
    envs="LTR_BENCH=1"; [ "$pol" = PASSIVE ] && envs="OMP_WAIT_POLICY=PASSIVE"
    row=""
    for nw in 0 2; do
        a=$(zfit $nw 1 $envs); b=$(zfit $nw 9 $envs)
        row="$row $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%12.4f", (b - a) / 8 }')"
    done
    printf '%-28s%s\n' "$pol" "$row"
done
echo "== the MLP's training speed (examples/mlp.so: a 2-epoch fit minus a 1-epoch fit, no validation)"
fit_time() { # EPOCHS -> wall seconds of the whole fit
    t0=$(date +%s.%N)
    "$B/ltrun" fit --module "$B/examples/mlp.so" --data "$B/examples/mnist.so" --data.data_dir "$F" \
        --trainer.max_epochs "$1" --trainer.limit_val_batches 0 --trainer.enable_progress_bar false \
        --trainer.enable_checkpointing false --trainer.logger false --seed 1 > "$TMP/fit.log" 2>&1 \
        || { tail -n 3 "$TMP/fit.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}
fit_time 1 > /dev/null # warm the decompressed-IDX cache
t1=$(fit_time 1); t2=$(fit_time 2)
nb=$("$B/bench/loader_bench" "$B/examples/mnist.so" --data.data_dir "$F" --workers 0 --seconds 0 \
     | sed -n 's/^# .*: \([0-9]*\) samples, batch_size \([0-9]*\).*/\1 \2/p')
awk -v t1="$t1" -v t2="$t2" -v nb="$nb" 'BEGIN { split(nb, a, " "); b = int((a[1] + a[2] - 1) / a[2]);
    printf "mlp fit: one epoch of %d batches in %.3f s (2-epoch fit %.3f s - 1-epoch fit %.3f s) = %.0f batches/s\n",
           b, t2 - t1, t2, t1, b / (t2 - t1) }'
