#!/bin/sh
# loader.sh — batches/s the host's DataLoader delivers (a consumer that does nothing) at
# num_workers 0, 1, 2 (bench/loader_bench.c), for (a) the mnist example on Fashion-MNIST
# and (b) a decode-heavy data module (bench/zlib_data.so: zlib-compressed samples inflated
# in get_item); then, for comparison, the batches/s the MLP consumes in training
# (examples/mlp.so on the same Fashion-MNIST for one epoch: batches / seconds).
#
#   bench/loader.sh [BUILD_DIR] [SECONDS per row (3)] [FASHION_MNIST_DIR]
#
# Targets (issue 7): row (a) >= 20x the MLP's batches/s; (b) num_workers 2 > 0.
# Another data plugin: $B/bench/loader_bench PLUGIN --data.KEY VALUE ... --workers 0,1,2
set -u
B=${1:-build}
S=${2:-3}
F=${3:-}
make -C "$B" bench/loader_bench bench/zlib_data.so examples/mnist.so examples/mlp.so ltrun \
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
echo "== the MLP's training speed (examples/mlp.so, 1 epoch, no validation)"
t0=$(date +%s.%N)
"$B/ltrun" fit --module "$B/examples/mlp.so" --data "$B/examples/mnist.so" --data.data_dir "$F" \
    --trainer.max_epochs 1 --trainer.limit_val_batches 0 --trainer.enable_progress_bar false \
    --trainer.enable_checkpointing false --trainer.logger false --seed 1 > "$TMP/fit.log" 2>&1 \
    || { tail -n 3 "$TMP/fit.log"; exit 1; }
t1=$(date +%s.%N)
nb=$("$B/bench/loader_bench" "$B/examples/mnist.so" --data.data_dir "$F" --workers 0 --seconds 0 \
     | sed -n 's/^# .*: \([0-9]*\) samples, batch_size \([0-9]*\).*/\1 \2/p')
awk -v t0="$t0" -v t1="$t1" -v nb="$nb" 'BEGIN { split(nb, a, " "); b = int((a[1] + a[2] - 1) / a[2]);
    printf "mlp fit: %d batches in %.2f s (whole process) = %.1f batches/s\n", b, t1 - t0, b / (t1 - t0) }'
