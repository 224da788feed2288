#!/bin/sh
# test_collate_hook.sh — the data module's collate hook (torch's collate_fn, ABI 1.9)
# through `ltrun fit`, with tests/plugins/iter_data.c built with it (iter_collate_data.so)
# and without it (iter_data.so); iter_module.c prints every batch's fields and values.
# Sample id has x = [id*10, id*10+1, ...] of length id % 3 + 1. Checked: the hook's
# batch exactly — x padded at the FRONT with -1 (what the built-in collate cannot do) and
# a third field with the lengths — for a map-style and an iterable dataset, with and
# without workers; lt_default_collate gives the built-in batch (padding at the end with
# padding_value -7); the batch size logged is dim 0 of field 0; the hook's errors.
. "${top_srcdir:-.}/tests/lib.sh"

P="$top_builddir/tests/plugins"
FIT="$LTRUN fit --module $P/iter_module.so --trainer.logger false --trainer.max_epochs 1"
FIT="$FIT --trainer.enable_checkpointing false --trainer.enable_model_summary false"
FIT="$FIT --trainer.enable_progress_bar false --data.variable true --data.n 6 --data.batch_size 3"

# batches FILE: the training batches' fields, one batch per line
batches() { sed -n 's/^train epoch=0 batch=[0-9]* step=[0-9]* \(size=.*\) last=[01] \(.*\)/\1 \2/p' "$1"; }

FRONT="size=3 f0=[3,3] v0=-1,-1,0,-1,10,11,20,21,22 f1=[3] v1=0,1,2 f2=[3] v2=1,2,3
size=3 f0=[3,3] v0=-1,-1,30,-1,40,41,50,51,52 f1=[3] v1=3,4,5 f2=[3] v2=1,2,3"
BUILTIN="size=3 f0=[3,3] v0=0,-7,-7,10,11,-7,20,21,22 f1=[3] v1=0,1,2
size=3 f0=[3,3] v0=30,-7,-7,40,41,-7,50,51,52 f1=[3] v1=3,4,5"

check() { # NAME FILE WANT
    if [ "$(batches "$2")" = "$3" ]; then pass "$1"; else fail "$1:"; batches "$2" | sed 's/^/    /'; fi
}

for kind in "map-style:--data.map true" "iterable:--data.map false"; do
    name=${kind%%:*} opt=${kind#*:}
    expect "$name: a collate hook padding at the front" 0 "" -- \
        sh -c "$FIT --data $P/iter_collate_data.so $opt --results $TMP/r.json >$TMP/c.out 2>&1"
    check "$name: the hook's batch (front padding with -1, a lengths field)" "$TMP/c.out" "$FRONT"
    if [ "$(json_num "$TMP/r.json" seen)" = 6 ]; then pass "$name: batch size from field 0 (6 samples seen)"
    else fail "$name: seen = $(json_num "$TMP/r.json" seen)"; fi
    expect "$name: the hook with 2 workers" 0 "" -- \
        sh -c "$FIT --data $P/iter_collate_data.so $opt --data.num_workers 2 --data.shard false >$TMP/w.out 2>&1"
    if [ "$name" = map-style ]; then check "$name: the same batches on workers" "$TMP/w.out" "$FRONT"
    else # each worker's own stream (no sharding): each batch twice, in turn
        if [ "$(batches "$TMP/w.out" | awk 'NR % 2 == 1')" = "$FRONT" ] &&
           [ "$(batches "$TMP/w.out" | awk 'NR % 2 == 0')" = "$FRONT" ]; then
            pass "$name: the hook on each worker's batches"
        else fail "$name: workers:"; batches "$TMP/w.out" | sed 's/^/    /'; fi
    fi
    expect "$name: no collate hook" 0 "" -- sh -c "$FIT --data $P/iter_data.so $opt >$TMP/b.out 2>&1"
    check "$name: the built-in collate pads at the end with padding_value" "$TMP/b.out" "$BUILTIN"
    expect "$name: lt_default_collate" 0 "" -- \
        sh -c "$FIT --data $P/iter_collate_data.so $opt --data.collate default >$TMP/d.out 2>&1"
    check "$name: lt_default_collate is the built-in collate" "$TMP/d.out" "$BUILTIN"
done

expect "a collate making field 1 but not 0" 1 \
    "collate\(train\) made field 1 but not field 0: the batch's fields are 0..k-1" -- \
    $FIT --data $P/iter_collate_data.so --data.collate gap
expect "a collate error names the hook and the batch" 1 \
    "collate\(train, a batch of 3 samples\) failed: collate pad_front wants --data.variable true" -- \
    $FIT --data $P/iter_collate_data.so --data.variable false --data.map true
expect "a collate error on a worker" 1 \
    "collate\(train, a batch of 3 samples\) failed: collate pad_front wants --data.variable true" -- \
    $FIT --data $P/iter_collate_data.so --data.variable false --data.num_workers 2

finish
