#!/bin/sh
# test_varlen.sh — variable-length samples end to end (tests/plugins/varlen_data.c,
# varlen_module.c): fit trains on padded batches whose shapes differ per batch (the
# module fails the run if a batch is not [B, max length] padded with the pad token),
# learns the task, is deterministic; a data module without item_shape, or one whose
# item_shape gives a bad shape, stops with an error naming the hook.
. "${top_srcdir:-.}/tests/lib.sh"

P="$top_builddir/tests/plugins"
RUN="$LTRUN fit --module $P/varlen_module.so --data $P/varlen_data.so --trainer.max_epochs 4 --seed 3"
expect "fit on padded variable-length batches" 0 "" -- $RUN --results "$TMP/v1.json"
acc=$(json_num "$TMP/v1.json" "val/acc")
if [ -n "$acc" ] && ge "$acc" 0.8; then pass "val accuracy $acc >= 0.8 (chance ~0.5)"
else fail "val accuracy '$acc' >= 0.8"; fi
spread=$(json_num "$TMP/v1.json" "train/batch_len_spread")
if [ -n "$spread" ] && ge "$spread" 1; then pass "padded length differs between batches (spread $spread)"
else fail "padded length differs between batches (spread '$spread')"; fi
expect "same seed, same run" 0 "" -- $RUN --results "$TMP/v2.json"
if [ "$(json_num "$TMP/v1.json" val/loss)" = "$(json_num "$TMP/v2.json" val/loss)" ]; then
    pass "deterministic val/loss"; else fail "deterministic val/loss"; fi
# loader workers assemble padded batches in their own slots: the same run as num_workers 0
expect "padded batches from 2 loader workers" 0 "" -- $RUN --data.num_workers 2 --results "$TMP/w2.json"
expect "padded batches from 3 persistent workers, prefetch 1" 0 "" -- $RUN --data.num_workers 3 \
    --data.persistent_workers true --data.prefetch_factor 1 --results "$TMP/w3.json"
d0=$(weights_digest "$TMP/v1.json")
if [ -n "$d0" ] && [ "$d0" = "$(weights_digest "$TMP/w2.json")" ] &&
   [ "$d0" = "$(weights_digest "$TMP/w3.json")" ]; then
    pass "workers give bit-identical weights to num_workers 0"
else fail "workers give bit-identical weights ($d0 / $(weights_digest "$TMP/w2.json") / $(weights_digest "$TMP/w3.json"))"; fi
expect "item_shape error from a worker names the sample" 1 "item_shape\(train, 3\) gave field 0" -- \
    $RUN --data.bad_shape true --trainer.max_epochs 1 --data.batch_size 4 --trainer.num_sanity_val_steps 0 \
    --data.length 8 --data.num_workers 2

# an empty dataset trains nothing and says so, as Lightning's has_len_all_ranks warns
expect "an empty dataset warns and fits nothing" 0 \
    "Total length of .DataLoader. across ranks is zero.*the train split of data module 'varlen_data'" -- \
    $RUN --data.length 0 --trainer.max_epochs 1

expect "no item_shape hook" 1 "field 0 \('tokens'\) has a variable dimension.*no item_shape hook" -- \
    $LTRUN fit --module $P/varlen_module.so --data $P/varlen_data_noshape.so --trainer.max_epochs 1
expect "item_shape gives a negative length" 1 "item_shape\(train, 3\) gave field 0 \('tokens'\) the shape \[-5\]" -- \
    $RUN --data.bad_shape true --trainer.max_epochs 1 --data.batch_size 4 --trainer.num_sanity_val_steps 0 \
    --data.length 8
finish
