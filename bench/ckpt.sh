#!/bin/sh
# ckpt.sh — save and load a 100M-parameter model as an ltrun checkpoint, beside plain
# write()+fsync() / read() of the same bytes in the same invocation (bench/ckpt_bench.c).
#
#   bench/ckpt.sh [BUILD_DIR] [COMPRESSION 0-9] [DIR]
#
# ratio = raw seconds / ltrun seconds (1.0: raw speed; the aim is >= 0.8). DIR (default a
# temporary folder under $TMPDIR) should be on the disk checkpoints go to; it needs about
# 1 GB free and the process about 1.2 GB of memory.
set -u
B=${1:-build}
LEVEL=${2:-0}
DIR=${3:-}
if [ -z "$DIR" ]; then DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT; fi
make -C "$B" bench/ckpt_bench > /dev/null || exit 1
"$B/bench/ckpt_bench" "$DIR" "$LEVEL" 100
