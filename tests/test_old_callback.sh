#!/bin/sh
# test_old_callback.sh — a callback built against the oldest supported callback layout
# (tests/plugins/old_callback.c: ABI 1.4's first lt_callback_vtable, frozen) loads in the
# current host and receives its hooks in Lightning's order; one whose vtable `size` ends
# early (old_callback_short) gets only the hooks inside its size, never one past it.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers"
export XDG_DATA_HOME="$TMP/xdg"
cd "$TMP" || exit 1
expect "fit with the old-layout callbacks" 0 "" -- "$LTRUN" fit \
    --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
    --trainer.max_epochs 2 --trainer.enable_progress_bar false \
    --trainer.enable_model_summary false --trainer.logger false \
    --callback "$P/old_callback.so:{\"trace\": \"$TMP/old.txt\"}" \
    --callback "$P/old_callback_short.so:{\"trace\": \"$TMP/short.txt\"}"
# trace_data: 10 samples, batch 4 -> 3 train batches an epoch; the sanity check's
# validation epoch end comes first (Lightning runs callbacks' hooks in sanity checking)
cat > "$TMP/want_old.txt" <<'X'
create
setup 0
on_fit_start
on_validation_epoch_end 0
on_train_epoch_start 0
on_before_zero_grad
on_train_batch_end 0
on_before_zero_grad
on_train_batch_end 1
on_before_zero_grad
on_train_batch_end 2
on_validation_epoch_end 0
on_train_epoch_end 0
on_train_epoch_start 1
on_before_zero_grad
on_train_batch_end 0
on_before_zero_grad
on_train_batch_end 1
on_before_zero_grad
on_train_batch_end 2
on_validation_epoch_end 1
on_train_epoch_end 1
on_fit_end
teardown 0
destroy
X
if diff -u "$TMP/want_old.txt" "$TMP/old.txt"; then
    pass "old-layout callback receives its hooks in order (current host)"
else fail "old-layout callback hooks"; fi
cat > "$TMP/want_short.txt" <<'X'
create
setup 0
on_fit_start
on_train_epoch_start 0
on_train_epoch_end 0
on_train_epoch_start 1
on_train_epoch_end 1
on_fit_end
teardown 0
destroy
X
if diff -u "$TMP/want_short.txt" "$TMP/short.txt"; then
    pass "short vtable: hooks inside its size called, none past it"
else fail "short vtable hooks"; fi
LT_PLUGIN_PATH="$P" "$LTRUN" plugins > "$TMP/plugins.txt" 2>&1
if grep -qE '^callback +old_callback +1\.0 +ABI 1\.4' "$TMP/plugins.txt"; then
    pass "ltrun plugins lists the old-layout callback"
else fail "ltrun plugins:"; grep old_callback "$TMP/plugins.txt"; fi
finish
