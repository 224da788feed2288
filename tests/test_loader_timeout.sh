#!/bin/sh
# test_loader_timeout.sh — DataLoader(timeout=) through `ltrun fit` (ABI 1.9:
# ds.timeout, --data.timeout), with tests/plugins/iter_data.c, whose get_item /
# iter_next sleeps before yielding --data.sleep_at for --data.sleep_s seconds.
# Checked: a worker that hangs stops the run with torch's "DataLoader timed out after N
# seconds", naming the loader, the worker and the batch, exit 1, no hang (the hung worker
# is cancelled after torch's 5 s shutdown grace; in the sanitizer build, with no leak:
# the iterator it held is closed) — for a map-style dataset (get_item) and an iterable
# one (iter_next); a slow worker that comes back is waited for without a cancel; a
# timeout long enough, or one without workers (torch ignores it there), changes nothing;
# a negative timeout is torch's error.
. "${top_srcdir:-.}/tests/lib.sh"

P="$top_builddir/tests/plugins"
FIT="$LTRUN fit --module $P/iter_module.so --data $P/iter_data.so --trainer.logger false"
FIT="$FIT --trainer.max_epochs 1 --trainer.enable_checkpointing false"
FIT="$FIT --trainer.enable_model_summary false --trainer.enable_progress_bar false"

# timed NAME MAX CMD...: CMD's output in $TMP/t.out, its status in $rc; fails past MAX s
timed() {
    local name=$1 max=$2 t0 t1
    shift 2
    t0=$(date +%s)
    "$@" >"$TMP/t.out" 2>&1
    rc=$?
    t1=$(date +%s)
    if [ $((t1 - t0)) -le "$max" ]; then pass "$name: ended in $((t1 - t0)) s (at most $max)"
    else fail "$name: took $((t1 - t0)) s (more than $max)"; fi
}

HANG="--data.sleep_at 5 --data.sleep_s 3600 --data.timeout 1"
timed "map-style, a hung get_item" 30 $FIT --data.map true --data.num_workers 1 $HANG
expect "map-style: torch's message naming the worker and batch, exit 1" 1 \
    "hook get_item: DataLoader timed out after 1 seconds: worker 0 \(of 1\) of the train loader has not delivered batch 1" \
    -- sh -c "cat $TMP/t.out; exit $rc"
if grep -q "worker 0 of the train loader is still inside get_item 5 s after the timeout: cancelling it" "$TMP/t.out"; then
    pass "map-style: the hung worker is cancelled after the grace"
else fail "map-style: no cancel: $(tail -n 3 "$TMP/t.out")"; fi
if grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$TMP/t.out"; then fail "map-style: a sanitizer report"
else pass "map-style: no sanitizer report"; fi

timed "iterable, a hung iter_next on worker 1 of 2" 30 $FIT --data.num_workers 2 --data.batch_size 2 $HANG
expect "iterable: the message names worker 1 and stream batch 3" 1 \
    "hook iter_next: DataLoader timed out after 1 seconds: worker 1 \(of 2\) of the train loader has not delivered batch 3" \
    -- sh -c "cat $TMP/t.out; exit $rc"
if grep -q "worker 1 of the train loader is still inside iter_next 5 s after the timeout: cancelling it" "$TMP/t.out" &&
   grep -q "^iter_end split=0 worker=1 next=7" "$TMP/t.out" && grep -q "^iter_end split=0 worker=0 " "$TMP/t.out"; then
    pass "iterable: the hung worker cancelled, both iterators closed"
else fail "iterable: cancel / iter_end: $(grep 'iter_end\|cancel' "$TMP/t.out")"; fi
if grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$TMP/t.out"; then fail "iterable: a sanitizer report"
else pass "iterable: no sanitizer report"; fi

timed "a slow worker (3 s) against a 1 s timeout" 20 $FIT --data.map true --data.num_workers 2 \
    --data.sleep_at 5 --data.sleep_s 3 --data.timeout 1
expect "slow worker: timed out, waited for without a cancel" 1 "DataLoader timed out after 1 seconds" \
    -- sh -c "cat $TMP/t.out; exit $rc"
if grep -q "cancelling" "$TMP/t.out"; then fail "slow worker: cancelled although it came back"
else pass "slow worker: not cancelled (it came back within the grace)"; fi

timed "a validation loader's timeout" 30 $FIT --data.val_n 4 --data.num_workers 1 --data.sleep_at 2 \
    --data.sleep_s 3600 --data.timeout 0.5 --data.n 1
expect "the val loader's message" 1 \
    "DataLoader timed out after 0.5 seconds: worker 0 \(of 1\) of the val loader \(dataloader_idx 0\) has not delivered batch 0" \
    -- sh -c "cat $TMP/t.out; exit $rc"

expect "a timeout long enough" 0 "" -- $FIT --data.num_workers 2 --data.sleep_at 5 --data.sleep_s 0.2 --data.timeout 10
expect "a timeout without workers is ignored (as torch)" 0 "" -- \
    $FIT --data.sleep_at 5 --data.sleep_s 0.5 --data.timeout 0.1
expect "a negative timeout" 1 "timeout option should be non-negative \(got -1; --data.timeout\)" -- \
    $FIT --data.timeout -1

finish
