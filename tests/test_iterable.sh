#!/bin/sh
# test_iterable.sh — datasets of unknown length (torch's IterableDataset, ABI 1.9:
# ds.iterable, iter_begin / iter_next / iter_end) through `ltrun fit` and `predict`,
# with tests/plugins/iter_data.c and iter_module.c (which prints every batch).
# Checked: an epoch ends when the stream does (batch count, the short last batch,
# is_last_batch on it only: Lightning's one-batch prefetch); the progress bar has no
# total ("3/?"); num_training_batches is inf; with workers each worker's own iterator
# yields its share, batches come in torch's round-robin order and every sample is seen
# once per epoch (twice without sharding: each worker runs the whole stream);
# Lightning's rules and messages for limit_train_batches / limit_val_batches /
# val_check_interval; validation at the end of the stream or every k batches;
# accumulation steps on the last batch; max_steps; __len__; drop_last; torch's refusal
# of shuffle; iter_next's errors; an empty stream; predict.
. "${top_srcdir:-.}/tests/lib.sh"

P="$top_builddir/tests/plugins"
FIT="$LTRUN fit --module $P/iter_module.so --data $P/iter_data.so --trainer.logger false"
FIT="$FIT --trainer.enable_checkpointing false --trainer.enable_model_summary false"

# train_ids FILE EPOCH: the ids of that epoch's training batches, one batch per line
train_ids() { sed -n "s/^train epoch=$2 .* v1=\([0-9,]*\).*/\1/p" "$1"; }
# sorted_ids FILE EPOCH: every id of the epoch, sorted, comma-joined
sorted_ids() { train_ids "$1" "$2" | tr ',' '\n' | sort -n | paste -sd, -; }
ALL="0,1,2,3,4,5,6,7,8,9"

# --- the epoch ends with the stream --------------------------------------------------
expect "fit over an iterable dataset" 0 "" -- sh -c "$FIT --trainer.max_epochs 2 >$TMP/a.out 2>&1"
if [ "$(train_ids "$TMP/a.out" 0 | paste -sd' ' -)" = "0,1,2,3 4,5,6,7 8,9" ] &&
   [ "$(train_ids "$TMP/a.out" 1 | paste -sd' ' -)" = "0,1,2,3 4,5,6,7 8,9" ]; then
    pass "3 batches an epoch (4, 4, 2), each epoch a new iterator from the start"
else fail "batches per epoch: $(grep '^train' "$TMP/a.out")"; fi
if [ "$(sed -n 's/^train epoch=0 batch=\([0-9]*\) .* last=\([01]\) .*/\1:\2/p' "$TMP/a.out" | paste -sd' ' -)" = "0:0 1:0 2:1" ]; then
    pass "is_last_batch on the stream's last batch only (fetched ahead)"
else fail "is_last_batch: $(grep '^train epoch=0' "$TMP/a.out")"; fi
if grep -q "^epoch_start 0 total=inf" "$TMP/a.out"; then pass "num_training_batches is inf"
else fail "num_training_batches: $(grep epoch_start "$TMP/a.out")"; fi
if grep -qE '^Epoch 0: \|  +\| 3/\? \[' "$TMP/a.out" && grep -qE '^Epoch 1: \|  +\| 3/\? \[' "$TMP/a.out"; then
    pass "progress bar without a total: 3/?"
else fail "progress bar: $(grep '^Epoch' "$TMP/a.out")"; fi
if [ "$(grep -c '^iter_begin split=0 worker=-1' "$TMP/a.out")" = 2 ] &&
   [ "$(grep -c '^iter_end split=0 worker=-1 next=10' "$TMP/a.out")" = 2 ]; then
    pass "iter_begin / iter_end once per epoch on the training thread"
else fail "iterator lifecycle: $(grep '^iter_' "$TMP/a.out")"; fi

# --- workers: each its own share, torch's round robin -----------------------------
expect "two workers" 0 "" -- sh -c "$FIT --trainer.max_epochs 2 --data.num_workers 2 --data.batch_size 2 >$TMP/w.out 2>&1"
if [ "$(train_ids "$TMP/w.out" 0 | paste -sd' ' -)" = "0,2 1,3 4,6 5,7 8 9" ]; then
    pass "batches from the workers in turn (worker 0's, worker 1's, ...), each worker's short last batch"
else fail "worker order: $(train_ids "$TMP/w.out" 0 | paste -sd' ' -)"; fi
if [ "$(sorted_ids "$TMP/w.out" 0)" = "$ALL" ] && [ "$(sorted_ids "$TMP/w.out" 1)" = "$ALL" ]; then
    pass "every sample exactly once per epoch with 2 workers"
else fail "samples with 2 workers: $(sorted_ids "$TMP/w.out" 0) / $(sorted_ids "$TMP/w.out" 1)"; fi
if [ "$(grep -c '^iter_begin split=0 worker=[01]$' "$TMP/w.out")" = 4 ] &&
   [ "$(grep -c '^iter_end split=0 worker=[01] ' "$TMP/w.out")" = 4 ]; then
    pass "an iterator per worker and epoch, opened and closed on the workers"
else fail "worker iterators: $(grep '^iter_' "$TMP/w.out")"; fi
if grep -q "^train epoch=0 batch=5 .* last=1 " "$TMP/w.out" && [ "$(grep -c 'last=1' "$TMP/w.out")" = 2 ]; then
    pass "is_last_batch once the last worker's stream ended"
else fail "is_last_batch with workers"; fi
expect "three persistent workers" 0 "" -- sh -c "$FIT --trainer.max_epochs 2 --data.num_workers 3 --data.batch_size 3 --data.persistent_workers true --data.prefetch_factor 1 >$TMP/w3.out 2>&1"
if [ "$(sorted_ids "$TMP/w3.out" 0)" = "$ALL" ] && [ "$(sorted_ids "$TMP/w3.out" 1)" = "$ALL" ] &&
   [ "$(train_ids "$TMP/w3.out" 0 | paste -sd' ' -)" = "0,3,6 1,4,7 2,5,8 9" ]; then
    pass "3 persistent workers: every sample once an epoch, round robin, an ended worker skipped"
else fail "3 workers: $(train_ids "$TMP/w3.out" 0 | paste -sd' ' -)"; fi
expect "two workers without sharding" 0 "" -- sh -c "$FIT --trainer.max_epochs 1 --data.num_workers 2 --data.shard false >$TMP/dup.out 2>&1"
if [ "$(sorted_ids "$TMP/dup.out" 0)" = "0,0,1,1,2,2,3,3,4,4,5,5,6,6,7,7,8,8,9,9" ]; then
    pass "without get_worker_info sharding each worker yields the whole stream (torch's pitfall)"
else fail "unsharded: $(sorted_ids "$TMP/dup.out" 0)"; fi

# --- Lightning's limits and validation rules --------------------------------------
expect "limit_train_batches as an int" 0 "" -- sh -c "$FIT --trainer.max_epochs 2 --trainer.limit_train_batches 2 >$TMP/l.out 2>&1"
if [ "$(train_ids "$TMP/l.out" 0 | paste -sd' ' -)" = "0,1,2,3 4,5,6,7" ] && grep -q "^epoch_start 0 total=2" "$TMP/l.out" &&
   [ "$(grep -c '^iter_end split=0 worker=-1 next=8' "$TMP/l.out")" = 2 ]; then
    pass "limit_train_batches 2: two batches an epoch, the iterator closed early each epoch"
else fail "limit_train_batches 2: $(grep '^train\|^iter\|epoch_start' "$TMP/l.out")"; fi
expect "limit_train_batches as a fraction other than 1.0" 2 \
    "When using an \`IterableDataset\`, \`Trainer\(limit_train_batches\)\` must be \`1.0\` or an int. An int specifies \`num_train_batches\` to use." \
    -- $FIT --trainer.limit_train_batches 0.5
expect "limit_val_batches as a fraction" 2 \
    "When using an \`IterableDataset\`, \`Trainer\(limit_val_batches\)\` must be \`1.0\` or an int" \
    -- $FIT --data.val_n 3 --trainer.limit_val_batches 0.5
expect "val_check_interval as a fraction" 2 \
    "When using an IterableDataset for \`train_dataloader\`, \`Trainer\(val_check_interval\)\` must be time based, \`1.0\` or an int" \
    -- $FIT --data.val_n 3 --trainer.val_check_interval 0.5
expect "validation at the end of the stream" 0 "" -- sh -c "$FIT --trainer.max_epochs 1 --data.val_n 5 --data.batch_size 2 --trainer.num_sanity_val_steps 1 --results $TMP/v.json >$TMP/v.out 2>&1"
if [ "$(grep -E '^(train|val)' "$TMP/v.out" | sed 's/ size.*//; s/ step=[0-9]*//' | paste -sd' ' -)" = \
     "val sanity batch=0 train epoch=0 batch=0 train epoch=0 batch=1 train epoch=0 batch=2 train epoch=0 batch=3 train epoch=0 batch=4 val batch=0 val batch=1 val batch=2" ] &&
   [ "$(json_num "$TMP/v.json" val_seen)" = 5 ] && [ "$(json_num "$TMP/v.json" seen)" = 10 ]; then
    pass "validation once, after the last batch; the iterable val set seen whole (5 samples)"
else fail "validation at the end: $(grep -E '^(train|val)' "$TMP/v.out" | sed 's/ size.*//')"; fi
expect "val_check_interval as an int" 0 "" -- sh -c "$FIT --trainer.max_epochs 1 --data.val_n 3 --data.batch_size 2 --trainer.num_sanity_val_steps 0 --trainer.val_check_interval 2 >$TMP/vi.out 2>&1"
if [ "$(grep -E '^(train|val)' "$TMP/vi.out" | sed 's/ size.*//; s/ step=[0-9]*//; s/train epoch=0 /t/; s/val /v/' | paste -sd' ' -)" = \
     "tbatch=0 tbatch=1 vbatch=0 vbatch=1 tbatch=2 tbatch=3 vbatch=0 vbatch=1 tbatch=4" ]; then
    pass "val_check_interval 2: validation every 2 batches, none at the stream's end"
else fail "val_check_interval 2: $(grep -E '^(train|val)' "$TMP/vi.out" | sed 's/ size.*//')"; fi

# --- stepping --------------------------------------------------------------------
expect "accumulate_grad_batches 2" 0 "" -- sh -c "$FIT --trainer.max_epochs 2 --trainer.accumulate_grad_batches 2 >$TMP/acc.out 2>&1"
if [ "$(sed -n 's/^train epoch=1 batch=0 step=\([0-9]*\) .*/\1/p' "$TMP/acc.out")" = 2 ]; then
    pass "accumulation steps on the stream's last batch (2 steps an epoch of 3 batches)"
else fail "accumulation: $(grep '^train' "$TMP/acc.out" | sed 's/ size.*//')"; fi
expect "max_steps across epochs" 0 "" -- sh -c "$FIT --trainer.max_epochs -1 --trainer.max_steps 4 >$TMP/ms.out 2>&1"
if [ "$(grep -c '^train' "$TMP/ms.out")" = 4 ] && grep -q '^train epoch=1 batch=0 step=3 ' "$TMP/ms.out"; then
    pass "max_steps 4: three batches of epoch 0, one of epoch 1"
else fail "max_steps: $(grep '^train' "$TMP/ms.out" | sed 's/ size.*//')"; fi

# --- __len__, drop_last, shuffle, errors, an empty stream ---------------------------
expect "an IterableDataset with __len__" 0 "Your \`IterableDataset\` has \`__len__\` defined" -- \
    sh -c "$FIT --trainer.max_epochs 1 --data.has_len true 2>&1 | tee $TMP/len.out"
if grep -q "^epoch_start 0 total=3" "$TMP/len.out" && grep -qE '^Epoch 0: 100%.* 3/3 ' "$TMP/len.out"; then
    pass "__len__ gives the batch count (ceil(10 / 4) = 3)"
else fail "__len__: $(grep 'epoch_start\|^Epoch' "$TMP/len.out")"; fi
expect "drop_last" 0 "" -- sh -c "$FIT --trainer.max_epochs 1 --data.drop_last true >$TMP/dl.out 2>&1"
if [ "$(train_ids "$TMP/dl.out" 0 | paste -sd' ' -)" = "0,1,2,3 4,5,6,7" ] && grep -q 'batch=1 .* last=1' "$TMP/dl.out"; then
    pass "drop_last drops the short last batch"
else fail "drop_last: $(train_ids "$TMP/dl.out" 0 | paste -sd' ' -)"; fi
expect "shuffle is refused as torch refuses it" 1 \
    "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True" -- \
    $FIT --data.shuffle true
expect "an iter_next error names the hook and the stream position" 1 \
    "hook iter_next: iter_next\(train\) failed after 5 samples of this iterator: sample 5 is corrupt" -- \
    $FIT --data.fail_at 5
expect "a worker's iter_next error" 1 "iter_next\(train\) failed after 2 samples of this iterator: sample 5 is corrupt" -- \
    $FIT --data.fail_at 5 --data.num_workers 2
expect "an empty stream" 0 "Epoch 0: \|  +\| 0/\?" -- $FIT --trainer.max_epochs 1 --data.n 0

# --- predict ------------------------------------------------------------------------
expect "predict over an iterable dataset" 0 "Predictions of 2 batches written" -- \
    $LTRUN predict --module $P/iter_module.so --data $P/iter_data.so --data.val_n 5 \
    --trainer.logger false --predictions "$TMP/p.h5"

finish
