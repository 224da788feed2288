#!/bin/sh
# test_metrics_e2e.sh — lt_log_metric through the trainer (tests/plugins/metric_mlp.c):
# the logged accuracy object's epoch value equals the batch-size weighted mean of
# lt_accuracy, a metric logged on_step and on_epoch forks into _step/_epoch, and the
# module's epoch-start hooks fail the run if a metric was not reset.
. "${top_srcdir:-.}/tests/lib.sh"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 200 gzip || { echo "make_idx failed"; exit 1; }
expect "fit with metric objects" 0 "" -- $LTRUN fit --module "$top_builddir/tests/plugins/metric_mlp.so" \
    --data $EX/mnist.so --data.data_dir $D --data.val_size 200 --trainer.max_epochs 2 --seed 1 \
    --results "$TMP/m.json"
for k in 'val/macc' 'val/acc' 'train/f1_step' 'train/f1_epoch'; do
    if grep -q "\"$k\"" "$TMP/m.json"; then pass "results JSON has $k"; else fail "results JSON has $k"; fi
done
a=$(json_num "$TMP/m.json" "val/macc")
b=$(json_num "$TMP/m.json" "val/acc")
if [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5 && a > 0) }'
then pass "accuracy object over the epoch ($a) = weighted mean of batch accuracies ($b)"
else fail "accuracy object over the epoch ($a) = weighted mean of batch accuracies ($b)"; fi
finish
