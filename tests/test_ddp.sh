#!/bin/sh
# test_ddp.sh — the ddp strategy plugin (plugins/strategies/ddp, over MPI) against one
# process: 2 ranks with batch B reach the weights of 1 process with batch 2B (SGD with
# momentum, no dropout, drop_last so both ranks' shards are whole batches; float32
# tolerance 1e-6 on every weight, compared with h5diff on the last checkpoints), with a
# batch norm too under sync_batchnorm (and not without it),
# the sync_dist metrics equal the single process's, every train sample is seen once an
# epoch across the ranks, only rank 0 writes files, resume from a 2-rank checkpoint on 1
# and on 2 ranks (under another world size: from the same global sample, with a warning), accumulate_grad_batches (no_sync) with buckets equals the plain
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
# the sanitizer build: OpenMPI's own allocations left at MPI_Finalize are not ltrun's
# leaks (tests/lsan_mpi.supp says which and why); everything else is still checked
if [ "$ASAN_BUILD" = yes ]; then
    export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan_mpi.supp:print_suppressions=0:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
fi
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

# sync_batchnorm (torch.nn.SyncBatchNorm): a BatchNorm1d between fc1 and the relu; with
# it 2 ranks x 16 normalise with the global batch's statistics and reach 1 process x 32's
# weights AND running_mean/running_var within float32 tolerance 1e-6 (validation uses the
# running statistics: the same val/loss); without it each rank's own half-batch
# statistics give other weights and running statistics (the check must be able to fail)
BN="--model.bn true --trainer.max_epochs 2"
$RUN $BN --data.batch_size 32 --trainer.default_root_dir bn1 --results bn1.json > bn1.log 2>&1 ||
    { fail "batch-norm model on 1 process"; tail -n 3 bn1.log; }
$MPIRUN $RUN $BN --trainer.strategy ddp --trainer.sync_batchnorm true --data.batch_size 16 \
    --trainer.enable_model_summary true --trainer.default_root_dir bn2 --results bn2.json \
    > bn2.log 2>&1 || { fail "sync_batchnorm on 2 ranks"; tail -n 3 bn2.log; }
same_weights "sync_batchnorm: 2 ranks x 16 = 1 process x 32 (weights and running stats, 1e-6)" \
    bn1/checkpoints/last.h5 bn2/checkpoints/last.h5
same_num "sync_batchnorm: val/loss from the running statistics" "val/loss" bn1.json bn2.json
if grep -q "| bn .*| SyncBatchNorm |" bn2.log; then pass "the summary shows the converted layer (SyncBatchNorm)"
else fail "the summary shows SyncBatchNorm: $(grep '| bn ' bn2.log)"; fi
$MPIRUN $RUN $BN --trainer.strategy ddp --data.batch_size 16 --trainer.default_root_dir bn0 \
    > bn0.log 2>&1 || { fail "batch norm on 2 ranks without sync"; tail -n 3 bn0.log; }
for k in running_mean running_var fc1.weight; do
    name=$k; case $k in running_*) name=bn.$k ;; esac
    # h5diff: 1 = differences found (2 would be an error, such as a missing dataset)
    h5diff -d 1e-4 bn1/checkpoints/last.h5 bn0/checkpoints/last.h5 "/state_dict/$name" "/state_dict/$name" > /dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 1 ]; then pass "without sync_batchnorm the ranks' own statistics differ from 1 process ($name)"
    else fail "without sync_batchnorm the ranks' own statistics differ from 1 process ($name: h5diff status $rc)"; fi
done
$RUN $BN --data.batch_size 32 --trainer.sync_batchnorm true --trainer.default_root_dir bns \
    > bns.log 2>&1 || { fail "sync_batchnorm on 1 process"; tail -n 3 bns.log; }
if h5diff bn1/checkpoints/last.h5 bns/checkpoints/last.h5 /state_dict /state_dict > /dev/null 2>&1
then pass "sync_batchnorm on 1 process changes nothing (bit for bit)"
else fail "sync_batchnorm on 1 process changes nothing"; fi

# a callback's own collectives across the ranks (Lightning's trainer.strategy.* and
# LightningModule.all_gather)
$MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 1 --trainer.enable_checkpointing false \
    --callback "$P/ddp_collectives_probe.so" > probe.log 2>&1 || { fail "collectives probe run"; tail -n 3 probe.log; }
if grep -q "ddp_collectives_probe: ok rank 0 of 2" probe.log && grep -q "ddp_collectives_probe: ok rank 1 of 2" probe.log
then pass "topology, barrier, broadcast from rank 1, reduce sum/mean/max/min, reduce_boolean_decision, all_gather on 2 ranks"
else fail "collectives on 2 ranks"; grep probe probe.log | head -n 3; fi

# every train sample once an epoch across the ranks (256 samples, 2 epochs), none twice
seen_ok=yes
for e in 0 1; do
    total=$(cat "$TMP"/seen.rank0 "$TMP"/seen.rank1 2> /dev/null | awk -v e=$e '$1 == e' | wc -l)
    uniq=$(cat "$TMP"/seen.rank0 "$TMP"/seen.rank1 2> /dev/null | awk -v e=$e '$1 == e { print $2 }' | sort -u | wc -l)
    r0=$(awk -v e=$e '$1 == e' "$TMP/seen.rank0" 2> /dev/null | wc -l)
    [ "$total" -eq 256 ] && [ "$uniq" -eq 256 ] && [ "$r0" -eq 128 ] || seen_ok="epoch $e: $total seen, $uniq distinct, rank 0 $r0"
done
if [ "$seen_ok" = yes ]; then pass "every sample seen once an epoch across the ranks, 128 each"
else fail "every sample seen once an epoch across the ranks: $seen_ok"; fi

# rank zero's work: each rank in its own folder, every logger on; only rank 0 writes
# files (logs, checkpoints, --results) and prints the summary and progress bar;
# prepare_data runs once on the node (local rank 0)
$MPIRUN sh -c 'mkdir -p r$OMPI_COMM_WORLD_RANK && cd r$OMPI_COMM_WORLD_RANK && exec "$@"' sh \
    $LTRUN fit --module $P/ddp_module.so --data $P/ddp_data.so --seed 1 --trainer.max_epochs 1 \
    --trainer.strategy ddp --results res.json --logger csv --logger jsonl --logger tensorboard \
    --logger mlflow --callback model_checkpoint --trainer.log_every_n_steps 2 \
    > zero.log 2>&1 < /dev/null || { fail "every logger under ddp"; tail -n 5 zero.log; }
n1=$(find r1 -mindepth 1 2> /dev/null | wc -l)
n0=$(find r0 -name '*.h5' -o -name metrics.csv -o -name metrics.jsonl -o -name 'events.out.tfevents.*' -o -name res.json 2> /dev/null | wc -l)
if [ "$n1" -eq 0 ] && [ "$n0" -ge 5 ]; then pass "only rank 0 writes logs, checkpoints and results ($n0 files)"
else fail "only rank 0 writes: rank 1 made $n1 entries, rank 0 $n0 files"; find r1 | head -n 5; fi
if [ "$(grep -c 'Trainable params' zero.log)" = 1 ] && [ "$(grep -c '^Epoch 0: 100%' zero.log)" = 1 ]; then
    pass "one model summary, one progress bar (rank 0's)"
else fail "one model summary, one progress bar: $(grep -c 'Trainable params' zero.log) summaries, $(grep -c '^Epoch 0: 100%' zero.log) bars"; fi
DDP_PREPARE="$TMP/prepare.txt" $MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 1 \
    --trainer.enable_checkpointing false > prep.log 2>&1 || fail "prepare_data run"
if [ "$(cat prepare.txt 2> /dev/null)" = "prepare_data rank 0" ]; then pass "prepare_data once per node, on local rank 0"
else fail "prepare_data once per node: '$(cat prepare.txt 2> /dev/null)'"; fi

# resume: the 2-rank run stopped mid-epoch (step 5) and at the end of epoch 0, resumed
# on 2 ranks and on 1 process (batch 32: the same global samples a step), to 2 epochs
DDP_SEEN="$TMP/midseen" $MPIRUN $RUN --trainer.strategy ddp --trainer.max_steps 5 --data.batch_size 16 \
    --trainer.default_root_dir mid > mid.log 2>&1 || { fail "2 ranks stop at step 5"; tail -n 3 mid.log; }
$MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 2 --data.batch_size 16 \
    --trainer.default_root_dir mid2 --ckpt-path mid/checkpoints/last.h5 > mid2.log 2>&1 ||
    { fail "resume on 2 ranks"; tail -n 3 mid2.log; }
same_weights "a 2-rank checkpoint from mid-epoch resumed on 2 ranks = the run without a stop" \
    two/checkpoints/last.h5 mid2/checkpoints/last.h5
$RUN --trainer.max_epochs 2 --data.batch_size 32 --trainer.default_root_dir mid1 \
    --ckpt-path mid/checkpoints/last.h5 > mid1.log 2>&1 || { fail "resume on 1 process"; tail -n 3 mid1.log; }
same_weights "a 2-rank checkpoint resumed on 1 process (batch 32) = the run without a stop" \
    one/checkpoints/last.h5 mid1/checkpoints/last.h5
if grep -q "world size" mid2.log; then fail "same world size: no world-size warning"; grep "world size" mid2.log
else pass "same world size: the batch index as saved, no warning"; fi
if grep -q "UserWarning: resuming under world size 1 a checkpoint written under world size 2: its epoch 0 stopped after batch 5 (2 x 16 samples a batch, 160 samples of the epoch); continuing at batch 5 (1 x 32 samples a batch), the same global sample" mid1.log
then pass "world size 2 -> 1, the same global batch: the warning, batch 5 as saved"
else fail "world size 2 -> 1 warning (batch 32): $(grep 'world size' mid1.log)"; fi

# resume under another world size with the same batch size per rank: the 2-rank
# checkpoint (step 5 of 8, 160 of 256 samples) on 1 process x 16 continues at batch
# 10 of 16: 6 batches (96 samples) in epoch 0, exactly the ones the ranks had not seen
DDP_SEEN="$TMP/w1seen" $RUN --trainer.max_epochs 1 --data.batch_size 16 --trainer.default_root_dir w1 \
    --ckpt-path mid/checkpoints/last.h5 > w1.log 2>&1 || { fail "resume on 1 process x 16"; tail -n 3 w1.log; }
if grep -q "UserWarning: resuming under world size 1 a checkpoint written under world size 2: its epoch 0 stopped after batch 5 (2 x 16 samples a batch, 160 samples of the epoch); continuing at batch 10 (1 x 16 samples a batch), the same global sample" w1.log
then pass "world size 2 -> 1 (batch 16 each): the warning names both world sizes, batch 5 -> 10"
else fail "world size 2 -> 1 warning: $(grep 'world size' w1.log)"; fi
ran=$(awk '$1 == 0' w1seen.rank0 2> /dev/null | wc -l)
all=$(cat midseen.rank0 midseen.rank1 w1seen.rank0 2> /dev/null | awk '$1 == 0 { print $2 }' | sort -u | wc -l)
if [ "$ran" -eq 96 ] && [ "$all" -eq 256 ]; then pass "6 batches then run, the 96 samples not yet seen (256 in all)"
else fail "after the world-size change: $ran samples run in epoch 0, $all distinct with the ranks' 160"; fi
# 160 samples are not a whole number of 24-sample batches: batch 6 (sample 144), so
# samples 144 to 159 run again; 4 batches (to 240, drop_last) end the epoch
DDP_SEEN="$TMP/w24seen" $RUN --trainer.max_epochs 1 --data.batch_size 24 --trainer.default_root_dir w24 \
    --ckpt-path mid/checkpoints/last.h5 > w24.log 2>&1 || { fail "resume on 1 process x 24"; tail -n 3 w24.log; }
ran=$(awk '$1 == 0' w24seen.rank0 2> /dev/null | wc -l)
all=$(cat midseen.rank0 midseen.rank1 w24seen.rank0 2> /dev/null | awk '$1 == 0 { print $2 }' | sort -u | wc -l)
if grep -q "continuing at batch 6 (1 x 24 samples a batch), sample 144: rounded down to a whole batch, samples 144 to 159 of the epoch run again" w24.log &&
    [ "$ran" -eq 96 ] && [ "$all" -eq 240 ]
then pass "not a whole batch: rounded down to batch 6, 4 batches run, 16 samples again"
else fail "rounded resume: $(grep 'world size' w24.log); $ran run, $all distinct"; fi
$MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 1 --data.batch_size 16 \
    --trainer.default_root_dir ep > ep.log 2>&1 &&
    $MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 2 --data.batch_size 16 \
        --trainer.default_root_dir ep2 --ckpt-path ep/checkpoints/last.h5 > ep2.log 2>&1 ||
    { fail "epoch-end resume on 2 ranks"; tail -n 3 ep2.log; }
same_weights "an end-of-epoch 2-rank checkpoint resumed on 2 ranks" two/checkpoints/last.h5 ep2/checkpoints/last.h5

# accumulate_grad_batches 2: no all-reduce on the micro-batches that do not step (no_sync),
# one on each that does; buckets (one a parameter here) give the plain all-reduce's weights
# bit for bit, and 1 process x 32 accumulating likewise within float32 tolerance
ACC="--trainer.strategy ddp --trainer.max_epochs 2 --data.batch_size 16 --trainer.accumulate_grad_batches 2"
LTRUN_DDP_STATS=1 $MPIRUN $RUN $ACC --strategy.bucket_cap_mb 0.0001 --trainer.default_root_dir accb \
    --results accb.json > accb.log 2>&1 || { fail "accumulating with buckets"; tail -n 3 accb.log; }
LTRUN_DDP_STATS=1 $MPIRUN $RUN $ACC --strategy.overlap false --trainer.default_root_dir accp \
    --results accp.json > accp.log 2>&1 || { fail "accumulating, plain all-reduce"; tail -n 3 accp.log; }
$RUN --trainer.max_epochs 2 --data.batch_size 32 --trainer.accumulate_grad_batches 2 \
    --trainer.default_root_dir acc1 > acc1.log 2>&1 || fail "accumulating on 1 process"
if grep -q "4 buckets; all-reduce per step: 848 bytes in 4 calls, 4 started during backward; backwards 16, synchronised 8;" accb.log
then pass "no_sync: 16 backwards, 8 all-reduced; 4 buckets of 848 bytes (4 x params), all started during backward"
else fail "no_sync and the buckets' figures: $(grep 'ltrun: ddp:' accb.log)"; fi
if grep -q "1 buckets; all-reduce per step: 848 bytes in 1 calls, 0 started during backward; backwards 16, synchronised 8;" accp.log
then pass "--strategy.overlap false: one all-reduce after backward"
else fail "overlap false figures: $(grep 'ltrun: ddp:' accp.log)"; fi
same_digest "accumulating: buckets = the plain all-reduce, bit for bit" accb.json accp.json
same_weights "accumulating: 2 ranks x 16 = 1 process x 32" acc1/checkpoints/last.h5 accb/checkpoints/last.h5

# manual optimization: lt_manual_backward all-reduces every backward
$RUN --trainer.max_epochs 1 --data.batch_size 32 --model.manual true --trainer.default_root_dir man1 \
    > man1.log 2>&1 || { fail "manual on 1 process"; tail -n 3 man1.log; }
$MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 1 --data.batch_size 16 --model.manual true \
    --trainer.default_root_dir man2 > man2.log 2>&1 || { fail "manual on 2 ranks"; tail -n 3 man2.log; }
same_weights "manual optimization: 2 ranks x 16 = 1 process x 32" man1/checkpoints/last.h5 man2/checkpoints/last.h5

# the launcher: --trainer.devices 2 without mpirun starts the 2 ranks itself (auto picks
# ddp, as Lightning's _choose_strategy); the same weights as mpirun's, bit for bit
$MPIRUN $RUN --trainer.strategy ddp --trainer.max_epochs 1 --trainer.enable_checkpointing false \
    --results mpi1.json > mpi1.log 2>&1 || fail "mpirun 1 epoch"
expect "ltrun fit --trainer.devices 2 starts 2 ranks under mpirun" 0 "ltrun: ddp: starting 2 processes" -- \
    $RUN --trainer.devices 2 --trainer.max_epochs 1 --trainer.enable_checkpointing false --results self.json
same_digest "the self-launched ranks train as mpirun's" mpi1.json self.json
expect "ddp on 1 process without mpirun is one rank" 0 "" -- \
    $RUN --trainer.strategy ddp --trainer.max_epochs 1 --trainer.enable_checkpointing false --results solo.json
expect "num_nodes checked against the MPI job (Lightning's message)" 1 \
    "You set .num_nodes=2. in Lightning, but the MPI job runs on 1 node" -- \
    $MPIRUN $RUN --trainer.strategy ddp --trainer.num_nodes 2
expect "devices checked against the processes mpirun started" 1 \
    "You set .devices=3. in Lightning, but the MPI job started 2 processes" -- \
    $MPIRUN $RUN --trainer.strategy ddp --trainer.devices 3
expect "num_nodes 2 without mpirun says how to start them" 1 "several machines are started by MPI.*--hostfile" -- \
    $RUN --trainer.strategy ddp --trainer.num_nodes 2
expect "an unknown init arg is a usage error naming it" 2 "strategy.bucket_size: plugin 'ddp' has no such hyperparameter" -- \
    $RUN --trainer.strategy ddp --strategy.bucket_size 3

# a failing rank ends the whole job, fast, with a message naming the rank; a rank killed
# (kill -9) likewise; a rank that hangs: the others give up after --strategy.timeout
F="$RUN --trainer.strategy ddp --trainer.max_epochs 2 --trainer.enable_checkpointing false"
start=$(date +%s)
expect "rank 1's error ends every rank, naming rank 1 and its message" 1 \
    "rank 1 of 2 \(host [^)]*\) failed: .*failing on rank 1 at step 1" -- \
    env DDP_FAIL_RANK=1 timeout 60 $MPIRUN $F
expect "rank 1 killed (SIGKILL) ends the job" 137 "process rank 1 .* exited on signal 9" -- \
    env DDP_FAIL_RANK=1 DDP_FAIL_HOW=kill timeout 60 $MPIRUN $F
expect "rank 1 hangs: rank 0 ends the job after --strategy.timeout 2" 1 \
    "rank 0 \(host [^)]*\) waited 2.* s for the other ranks \(--strategy.timeout 2\)" -- \
    env DDP_FAIL_RANK=1 DDP_FAIL_HOW=hang timeout 60 $MPIRUN $F --strategy.timeout 2
took=$(( $(date +%s) - start ))
if [ "$took" -lt 30 ]; then pass "the three failures ended within ${took} s"
else fail "the three failures took ${took} s"; fi

finish
