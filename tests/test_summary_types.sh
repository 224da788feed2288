#!/bin/sh
# test_summary_types.sh — the model summary names BatchNorm layers as Lightning's does:
# lt_batchnorm1d_init / lt_batchnorm2d_init layers are "BatchNorm1d" / "BatchNorm2d"
# (torch's class names, ABI 1.8); a layer from lt_batchnorm_init stays "BatchNorm".
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
"$LTRUN" fit --module "$P/bn_module.so" --data "$P/trace_data.so" --trainer.max_steps 1 \
    --trainer.limit_val_batches 0 --trainer.enable_progress_bar false --trainer.logger false \
    --trainer.enable_checkpointing false >"$TMP/out.txt" 2>&1 || tail -n 3 "$TMP/out.txt"
for row in "bn1 +\| BatchNorm1d +\| 6 " "bn2 +\| BatchNorm2d +\| 8 " "bn +\| BatchNorm +\| 4 "; do
    if grep -qE "^ *[0-9]+ +\| $row" "$TMP/out.txt"; then pass "summary row: $row"
    else fail "summary row: $row"; grep -E "BatchNorm|Name" "$TMP/out.txt" | sed 's/^/    /'; fi
done
finish
