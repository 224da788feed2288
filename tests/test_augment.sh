#!/bin/sh
# test_augment.sh — the mnist example's --data.augment (RandomCrop(28, padding=2) +
# RandomHorizontalFlip(0.5) on the train split, through lt_tf_random_crop /
# lt_tf_random_hflip): it changes training, is deterministic under --seed, and with
# crop_padding 0 and flip_p 0 (an exact-fit crop draws nothing, no flip) it is the
# identity: the same run as without augmentation.
. "${top_srcdir:-.}/tests/lib.sh"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip || { echo "make_idx failed"; exit 1; }
RUN="$LTRUN fit --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 \
    --data.cache_dir none --trainer.max_epochs 2 --seed 1"
expect "plain fit" 0 "" -- $RUN --results "$TMP/plain.json"
expect "augmented fit" 0 "" -- $RUN --data.augment true --results "$TMP/aug1.json"
expect "augmented fit again" 0 "" -- $RUN --data.augment true --results "$TMP/aug2.json"
expect "identity augmentation" 0 "" -- $RUN --data.augment true --data.crop_padding 0 \
    --data.flip_p 0 --results "$TMP/id.json"
expect "augmented fit from 2 loader workers" 0 "" -- $RUN --data.augment true --data.num_workers 2 \
    --results "$TMP/augw.json"
expect "bad flip_p" 1 "flip_p" -- $RUN --data.augment true --data.flip_p 2
p=$(json_num "$TMP/plain.json" val/loss)
a1=$(json_num "$TMP/aug1.json" val/loss)
a2=$(json_num "$TMP/aug2.json" val/loss)
id=$(json_num "$TMP/id.json" val/loss)
if [ -n "$a1" ] && [ "$a1" = "$a2" ]; then pass "augmented runs are deterministic ($a1)"
else fail "augmented runs are deterministic ('$a1' vs '$a2')"; fi
if [ -n "$a1" ] && [ "$a1" != "$p" ]; then pass "augmentation changes training ($a1 vs $p)"
else fail "augmentation changes training ('$a1' vs '$p')"; fi
if [ -n "$id" ] && [ "$id" = "$p" ]; then pass "padding 0 and flip_p 0 are the identity"
else fail "padding 0 and flip_p 0 are the identity ('$id' vs '$p')"; fi
same_digest "augmentation from loader workers draws what num_workers 0 draws" "$TMP/aug1.json" "$TMP/augw.json"
finish
