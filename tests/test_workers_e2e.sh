#!/bin/sh
# test_workers_e2e.sh — the DataLoader's worker threads through `ltrun`:
# --data.num_workers & co. work with any data module and give the same training as
# num_workers 0 (also resumed mid-epoch), PyTorch's option errors name the split and
# option, pin_memory warns on the CPU, a worker's get_item error names the sample and
# does not hang, SIGINT while workers load stops cleanly, --print-config shows them.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
# 500 shuffled training samples in batches of 128: 4 batches an epoch
RUN="$LTRUN fit --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100
     --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false"

expect "fit with num_workers 0" 0 "" -- $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/a" \
    --results "$TMP/w0.json"
expect "fit with --data.num_workers 2" 0 "" -- $RUN --trainer.max_epochs 3 --data.num_workers 2 \
    --trainer.default_root_dir "$TMP/b" --results "$TMP/w2.json"
same_digest "num_workers 2 trains exactly as num_workers 0" "$TMP/w0.json" "$TMP/w2.json"
expect "fit with 3 persistent workers, prefetch 1" 0 "" -- $RUN --trainer.max_epochs 3 \
    --data.num_workers 3 --data.prefetch_factor 1 --data.persistent_workers true \
    --trainer.default_root_dir "$TMP/c" --results "$TMP/w3.json"
same_digest "3 persistent workers train exactly as num_workers 0" "$TMP/w0.json" "$TMP/w3.json"

# mid-epoch resume (step 6 = epoch 1, batch 2): the workers start at batch 2
$RUN --trainer.max_epochs 3 --trainer.max_steps 6 --data.num_workers 2 \
    --trainer.default_root_dir "$TMP/d" > /dev/null 2>&1
expect "resume mid-epoch with workers" 0 "" -- $RUN --trainer.max_epochs 3 --data.num_workers 2 \
    --trainer.default_root_dir "$TMP/d" --ckpt-path last --results "$TMP/wr.json"
same_digest "resumed mid-epoch with workers: identical weights" "$TMP/w0.json" "$TMP/wr.json"

# torch.utils.data.DataLoader's checks, naming the split and the option
expect "negative num_workers" 1 "the train loader: num_workers option should be non-negative.*--data.num_workers" -- \
    $RUN --data.num_workers -1
expect "prefetch_factor without workers" 1 "the train loader: prefetch_factor option could only be specified in multiprocessing" -- \
    $RUN --data.prefetch_factor 4
expect "persistent_workers without workers" 1 "the train loader: persistent_workers option needs num_workers > 0" -- \
    $RUN --data.persistent_workers true
expect "prefetch_factor 0" 1 "prefetch_factor must be > 0, got 0 \(--data.prefetch_factor\)" -- \
    $RUN --data.num_workers 1 --data.prefetch_factor 0
expect "num_workers of the wrong type" 2 "--data.num_workers: expected an integer" -- \
    $RUN --data.num_workers two
expect "pin_memory on the CPU warns as PyTorch does and trains" 0 \
    "'pin_memory' argument is set as true but no accelerator is found" -- \
    $RUN --trainer.max_epochs 1 --data.pin_memory true --trainer.default_root_dir "$TMP/e"
n=$($RUN --trainer.max_epochs 1 --data.pin_memory true --data.num_workers 1 \
    --trainer.default_root_dir "$TMP/e" 2>&1 | grep -c "'pin_memory' argument")
if [ "$n" = 1 ]; then pass "the pin_memory warning shows once (train and val loaders)"
else fail "the pin_memory warning shows once (train and val loaders): $n times"; fi

# a worker's get_item error: split, index and the plugin's message; no hang
expect "a get_item error in a worker names the sample" 1 \
    "hook get_item: get_item\(train, 37\) failed: sample 37 is unreadable" -- \
    timeout 60 $LTRUN fit --module "$P/trace_module.so" --data "$P/fail_data.so" \
    --trainer.max_epochs 2 --trainer.enable_progress_bar false --data.num_workers 2 \
    --data.fail_at 37 --data.slow_us 1000 --trainer.default_root_dir "$TMP/f"

# worker_init (DataLoader's worker_init_fn) on each worker thread, every epoch (the
# workers end with the epoch) or once with persistent_workers; get_item sees the same id
# through lt_worker_info (fail_data checks it and fails otherwise)
FD="$LTRUN fit --module $P/trace_module.so --data $P/fail_data.so --trainer.enable_progress_bar false
    --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 0 --trainer.default_root_dir $TMP/g"
expect "worker_init and lt_worker_info agree (2 workers)" 0 "" -- $FD --trainer.max_epochs 2 --data.num_workers 2
out=$($FD --trainer.max_epochs 2 --data.num_workers 2 2>&1)
if [ "$(printf '%s\n' "$out" | grep -c '^worker_init train [01] of 2$')" = 4 ]; then
    pass "worker_init: once per worker per epoch (2 workers, 2 epochs)"
else fail "worker_init count: $(printf '%s\n' "$out" | grep -c '^worker_init')"; fi
out=$($FD --trainer.max_epochs 3 --data.num_workers 2 --data.persistent_workers true 2>&1)
if [ "$(printf '%s\n' "$out" | grep -c '^worker_init train [01] of 2$')" = 2 ]; then
    pass "worker_init: once per worker with persistent_workers (3 epochs)"
else fail "worker_init count (persistent): $(printf '%s\n' "$out" | grep -c '^worker_init')"; fi
expect "no worker id on the training thread (num_workers 0)" 0 "" -- $FD --trainer.max_epochs 1
expect "a failing worker_init stops the run naming the worker" 1 \
    "worker_init\(train, worker 1 of 2\) failed: cannot open the shard of worker 1" -- \
    timeout 60 $FD --trainer.max_epochs 1 --data.num_workers 2 --data.init_fail 1

# SIGINT while workers load slow samples: finish the step, stop, exit 130
$LTRUN fit --module "$P/trace_module.so" --data "$P/fail_data.so" --trainer.max_epochs 100000 \
    --trainer.enable_progress_bar false --data.num_workers 2 --data.slow_us 20000 \
    --trainer.default_root_dir "$TMP/g" > "$TMP/int.log" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
( sleep 30; kill -KILL $pid 2>/dev/null ) &
killer=$!
wait $pid
rc=$?
kill $killer 2>/dev/null
if [ $rc -eq 130 ] && grep -q "interrupted by signal 2" "$TMP/int.log"; then
    pass "SIGINT while workers load stops cleanly with 130"
else fail "SIGINT while workers load stops cleanly with 130 (got $rc)"; tail -n 3 "$TMP/int.log"; fi

expect "--print-config shows --data.num_workers" 0 '"num_workers":[[:space:]]*2' -- \
    $LTRUN fit --module $EX/mlp.so --data $EX/mnist.so --data.num_workers 2 --print-config=json
finish
