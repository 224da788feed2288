#!/bin/sh
# test_deterministic.sh — --trainer.deterministic true (torch.use_deterministic_algorithms)
# makes the CPU kernels give the same bits at any thread count: the CNN and MLP examples
# end with the same weights (weights_digest) with OMP/OpenBLAS at 1 and at 2 threads.
# Without it oneDNN's convolutions and GEMMs and OpenBLAS's threaded GEMMs may split
# their sums by thread count (the README says so).
. "${top_srcdir:-.}/tests/lib.sh"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 384 64 gzip || { echo "make_idx failed"; exit 1; }

digest_at() { # digest_at THREADS MODULE ARGS...: the weights digest of a short fit
    t=$1 m=$2
    shift 2
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$LTRUN" fit --module "$EX/$m.so" --data mnist \
        --data.data_dir "$D" --data.val_size 64 --data.batch_size 32 --trainer.max_epochs 1 \
        --trainer.limit_val_batches 1 --seed 1 --trainer.num_threads "$t" \
        --trainer.enable_progress_bar false --trainer.logger false \
        --trainer.enable_checkpointing false --results "$TMP/$m-$t.json" "$@" >"$TMP/$m-$t.log" 2>&1 ||
        tail -n 3 "$TMP/$m-$t.log"
}
for m in cnn mlp; do
    digest_at 1 "$m" --trainer.deterministic true
    digest_at 2 "$m" --trainer.deterministic true
    same_digest "deterministic true: $m weights equal at 1 and 2 threads" "$TMP/$m-1.json" "$TMP/$m-2.json"
done
finish
