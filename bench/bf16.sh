#!/bin/bash
# bf16.sh — bfloat16 storage with float32 accumulation: F.linear forward + backward at an
# MLP, a transformer-MLP and a square shape, float32 and bfloat16, ltrun beside PyTorch
# eager (OMP_WAIT_POLICY=PASSIVE, same thread count), under both OpenBLAS kernel choices.
#
#   bench/bf16.sh [BUILD_DIR]
#
# ratio = ltrun time / PyTorch time (below 1: ltrun faster); bf16x = float32 time /
# bfloat16 time of the same side (how much bf16 buys). Needs python3-torch.
set -u
B=${1:-build}
THREADS=${BENCH_THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
env_coretype=${OPENBLAS_CORETYPE:-}
printf '%-26s %-17s %-9s %9s %9s %7s %8s %8s\n' setting shape dtype "ltrun ms" "torch ms" ratio \
    "ltrun GF" "torch GF"
for coretype in "$env_coretype" unset; do
    if [ "$coretype" = unset ] || [ -z "$coretype" ]; then unset OPENBLAS_CORETYPE; label="OPENBLAS_CORETYPE unset"
    else export OPENBLAS_CORETYPE=$coretype; label="OPENBLAS_CORETYPE=$coretype"; fi
    "$B/bench/linear_dtypes" "$THREADS" > "$tmp/l" || exit 1
    OMP_WAIT_POLICY=PASSIVE "$PY" "$here/torch_linear.py" "$THREADS" > "$tmp/t" 2>/dev/null
    join -j1 <(awk '{print $2"x"$3"x"$4"/"$5, $6, $7}' "$tmp/l" | sort) \
             <(awk '{print $2"x"$3"x"$4"/"$5, $6, $7}' "$tmp/t" | sort) |
        awk -v s="$label" '{ split($1, k, "/"); printf "%-26s %-17s %-9s %9.3f %9.3f %7.2f %8.0f %8.0f\n",
            s, k[1], k[2], $2, $4, $2 / $4, $3, $5 }'
done
echo "GF = GFLOP/s of the three GEMMs (6*M*IN*OUT per step); ratio = ltrun / PyTorch."
echo "bfloat16: inputs, weights, outputs and gradients stored as bf16; products accumulate"
echo "in float32 (oneDNN matmul; AVX512-BF16 where the CPU has it)."
