#!/bin/sh
# test_on_exception.sh — what happens when an error ends fit, as Lightning's
# _call_and_handle_interrupt does it: Callback.on_exception is called and the teardown
# hooks are not (they follow only a stage that completed); the on_exception_checkpoint
# callback (Lightning's OnExceptionCheckpoint) writes dirpath/filename.h5 there, which a
# new fit resumes from, and removes it in teardown after a run that succeeded.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
T="$TMP/trace.txt"
OUT="$TMP/out.txt"

# an optimizer_step that never runs the closure is an error at the first step
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --model.quiet true --model.no_closure true --seed 1 --trainer.max_epochs 1 \
    --trainer.enable_progress_bar false --trainer.default_root_dir "$TMP/a" \
    --callback "$P/trace_callback.so:{\"trace\": \"$T\"}" > "$OUT" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^callback.on_exception" "$T"; then
    pass "an error in fit: Callback.on_exception"
else fail "an error in fit: Callback.on_exception (rc $rc)"; cat "$OUT" "$T"; fi
if grep -q "teardown" "$T"; then
    fail "no teardown hook after an error (Lightning's _interrupt): $(grep -n 'teardown\|on_exception' "$T" | tr '\n' ' ')"
else pass "no teardown hook after an error (Lightning's _interrupt)"; fi

# training_step fails at batch 9 of 16 (64 samples, batches of 4): fit stops mid-epoch
FIT="$LTRUN fit --module $P/crash_module.so --data $P/fail_data.so --seed 1 --trainer.max_epochs 2
     --trainer.enable_progress_bar false --trainer.enable_model_summary false
     --trainer.num_sanity_val_steps 0 --trainer.default_root_dir $TMP/b"
OEC='on_exception_checkpoint:{"dirpath": "'"$TMP/b/oe"'"}'
expect "on_exception_checkpoint: the error is reported and the state saved" 1 \
    "saved the state at the error to $TMP/b/oe/on_exception.h5" -- \
    $FIT --model.crash training_step --model.how fail --model.at_batch 9 --callback "$OEC"
expect "on_exception_checkpoint: the file holds the steps done before the error" 0 \
    "global_step: 9" -- $LTRUN inspect "$TMP/b/oe/on_exception.h5"
expect "on_exception_checkpoint: a new fit resumes from it" 0 \
    "Restoring states from the checkpoint path at $TMP/b/oe/on_exception.h5" -- \
    $FIT --ckpt-path "$TMP/b/oe/on_exception.h5" --model.crash none --callback "$OEC"
if [ ! -e "$TMP/b/oe/on_exception.h5" ]; then pass "on_exception_checkpoint: teardown of a run that succeeded removes the file"
else fail "on_exception_checkpoint: the file is still there after a run that succeeded"; fi
expect "on_exception_checkpoint: filename is the name without extension" 1 \
    "saved the state at the error to $TMP/b/oe/crash.h5" -- \
    $FIT --model.crash training_step --model.how fail --model.at_batch 9 --callback 'on_exception_checkpoint:{"dirpath": "'"$TMP/b/oe"'", "filename": "crash"}'
expect "on_exception_checkpoint: an empty filename is refused" 1 "The filename cannot be empty" -- \
    $FIT --callback 'on_exception_checkpoint:{"dirpath": ".", "filename": ""}'
expect "on_exception_checkpoint: dirpath is required" 1 "dirpath is required" -- \
    $FIT --callback 'on_exception_checkpoint'
finish
