#!/bin/sh
# test_hooks.sh — the trainer calls the module's, data module's and callbacks' hooks in
# Lightning's order (reference/lightning.md §1.1-§1.4), with the right context.
# The exact sequences are in tests/hooks_expected.txt, block by block with the Lightning
# code path each follows.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
EXPECTED="$top_srcdir/tests/hooks_expected.txt"

# section NAME: the non-comment lines of "=== NAME" in hooks_expected.txt
section() {
    awk -v want="$1" '/^# === / { cur = $3; sub(":", "", cur); next }
                      /^#/ { next } cur == want { print }' "$EXPECTED"
}
run() { # run CMD ARGS...: ltrun with the tracing plugins, one callback, trace to $T
    : > "$T"
    cmd=$1
    shift
    "$LTRUN" "$cmd" --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
        --data.trace_file "$T" --callback "$P/trace_callback.so:{\"trace\": \"$T\"}" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false "$@" \
        > "$TMP/out.txt" 2>&1
}
compare() { # compare NAME: $T against the section
    section "$1" > "$TMP/want.txt"
    if [ -s "$TMP/want.txt" ] && diff -u "$TMP/want.txt" "$T" > "$TMP/diff.txt"; then
        pass "$1: every hook in Lightning's order (tests/hooks_expected.txt)"
    else
        fail "$1: every hook in Lightning's order (tests/hooks_expected.txt)"
        cat "$TMP/diff.txt" "$TMP/out.txt"
    fi
}

run fit --trainer.max_epochs 1 --trainer.limit_val_batches 1 --trainer.num_sanity_val_steps 1 \
    --trainer.accumulate_grad_batches 2 --trainer.val_check_interval 2
compare fit
run validate --trainer.limit_val_batches 2
compare validate
run test --trainer.limit_test_batches 1
compare test
run predict --trainer.limit_predict_batches 2 --predictions "$TMP/p.h5"
compare predict

# predict: on_predict_model_eval replaces the default model.eval() (an override that does
# not call it keeps training mode); fast_dev_run N runs N predict batches; a limit of 0 is
# the loop's skip (no predict hook at all)
run predict --model.predict_keep_train true --predictions "$TMP/p.h5"
if grep -q "module.predict_step 0 training=1" "$T" && [ "$(grep -c 'module.predict_step' "$T")" -eq 3 ]; then
    pass "predict: on_predict_model_eval override decides the mode; every batch by default"
else fail "predict: on_predict_model_eval override decides the mode; every batch by default"; cat "$T"; fi
run predict --trainer.fast_dev_run 1 --predictions "$TMP/p.h5"
if [ "$(grep -c 'module.predict_step' "$T")" -eq 1 ] && grep -q "callback.on_predict_end" "$T"; then
    pass "predict: fast_dev_run 1 runs one predict batch"
else fail "predict: fast_dev_run 1 runs one predict batch"; cat "$T" "$TMP/out.txt"; fi
run predict --trainer.limit_predict_batches 0.0 --predictions "$TMP/p.h5"
if ! grep -q "on_predict\|predict_step" "$T" && grep -q "module.teardown predict" "$T"; then
    pass "predict: limit_predict_batches 0 skips the loop"
else fail "predict: limit_predict_batches 0 skips the loop"; cat "$T" "$TMP/out.txt"; fi

# fit --test: the test stage runs its own setup/teardown after fit's
run fit --trainer.max_epochs 1 --trainer.limit_val_batches 1 --test --trainer.limit_test_batches 1
if grep -n "teardown fit\|setup test\|module.test_step 0" "$T" | cut -d: -f2 | tr '\n' '|' |
   grep -q "data.teardown fit|callback.teardown fit|module.teardown fit|data.setup test|callback.setup test|module.setup test|module.test_step 0|"; then
    pass "fit --test: test stage after fit's teardown"
else fail "fit --test: test stage after fit's teardown"; cat "$T"; fi

# num_sanity_val_steps=0 skips the sanity check; max_steps stops mid-epoch and still
# ends the epoch (on_train_epoch_end) without validating
run fit --trainer.num_sanity_val_steps 0 --trainer.max_steps 2
if ! grep -q "sanity=1" "$T" && [ "$(grep -c training_step "$T")" -eq 2 ] &&
   ! grep -q "validation_step" "$T" && grep -q module.on_train_epoch_end "$T"; then
    pass "max_steps mid-epoch, no sanity check"
else fail "max_steps mid-epoch, no sanity check"; cat "$T"; fi

# on_train_batch_start returning LT_SKIP_EPOCH (Lightning's -1) ends the epoch: no step,
# no on_train_batch_end for that batch, no validation; the next epoch starts over
run fit --trainer.max_epochs 2 --model.skip_epoch_at 1 --trainer.num_sanity_val_steps 0
if [ "$(grep -c 'module.training_step' "$T")" -eq 2 ] &&
   [ "$(grep -c 'module.on_train_batch_start 1' "$T")" -eq 2 ] &&
   ! grep -q 'on_train_batch_end 1' "$T" && ! grep -q validation_step "$T" &&
   [ "$(grep -c 'module.on_train_epoch_end' "$T")" -eq 2 ]; then
    pass "on_train_batch_start LT_SKIP_EPOCH skips the rest of the epoch"
else fail "on_train_batch_start LT_SKIP_EPOCH skips the rest of the epoch"; cat "$T"; fi

# validation while accumulating: on_validation_model_zero_grad only after a step
run fit --trainer.max_epochs 1 --trainer.accumulate_grad_batches 2 --trainer.val_check_interval 1 \
    --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 1
if [ "$(grep -c 'validation_step 0 sanity=0' "$T")" -eq 3 ] &&
   [ "$(grep -c on_validation_model_zero_grad "$T")" -eq 2 ] &&
   grep -A1 'module.on_train_batch_end 0' "$T" | grep -q 'module.on_validation_model_eval'; then
    pass "on_validation_model_zero_grad is skipped while accumulating"
else fail "on_validation_model_zero_grad is skipped while accumulating"; cat "$T"; fi

# an optimizer_step override that never runs the closure is an error (Lightning raises);
# callbacks get on_exception with the message
run fit --trainer.max_epochs 1 --model.no_closure true
rc=$?
if [ "$rc" -eq 1 ] && grep -q "closure hasn't been executed" "$TMP/out.txt" &&
   grep -q "callback.on_exception .*closure hasn't been executed" "$T"; then
    pass "optimizer_step without the closure: error and Callback.on_exception"
else fail "optimizer_step without the closure: error and Callback.on_exception (rc $rc)"; cat "$TMP/out.txt"; fi

# callback order: given order, Checkpoint callbacks last (_reorder_callbacks); at
# on_train_epoch_end the monitoring ones (checkpoints) run after the module
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --model.quiet true --data.trace_file "$T" --seed 1 --trainer.max_epochs 1 \
    --trainer.enable_progress_bar false \
    --callback "$P/trace_checkpoint.so:{\"trace\": \"$T\", \"name\": \"ckpt\"}" \
    --callback "$P/trace_callback.so:{\"trace\": \"$T\", \"name\": \"first\"}" \
    --callback "$P/trace_callback.so:{\"trace\": \"$T\", \"name\": \"second\"}" > "$TMP/out.txt" 2>&1
got=$(grep -E "on_fit_start|on_train_epoch_end" "$T" | tr '\n' ' ')
want="first.on_fit_start second.on_fit_start ckpt.on_fit_start first.on_train_epoch_end second.on_train_epoch_end ckpt.on_train_epoch_end "
if [ "$got" = "$want" ]; then pass "callbacks: given order, checkpoints last"
else fail "callbacks: given order, checkpoints last: got '$got'"; cat "$TMP/out.txt"; fi
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace_file "$T" --seed 1 --trainer.max_epochs 1 --trainer.enable_progress_bar false \
    --callback "$P/trace_checkpoint.so:{\"trace\": \"$T\", \"name\": \"ckpt\"}" \
    --callback "$P/trace_callback.so:{\"trace\": \"$T\", \"name\": \"first\"}" > "$TMP/out.txt" 2>&1
got=$(grep -E "on_train_epoch_end" "$T" | tr '\n' ' ')
if [ "$got" = "first.on_train_epoch_end module.on_train_epoch_end ckpt.on_train_epoch_end " ]; then
    pass "on_train_epoch_end: non-monitoring callbacks, module, monitoring callbacks"
else fail "on_train_epoch_end: non-monitoring callbacks, module, monitoring callbacks: got '$got'"; fi

# a data module's batch transfer hooks win over the module's; lt_batch_set changes the batch
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data_xfer.so" --model.trace "$T" \
    --data.trace_file "$T" --model.show_idx true --seed 1 --trainer.max_steps 1 \
    --trainer.num_sanity_val_steps 0 --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1
if grep -q "data.on_before_batch_transfer 0" "$T" && grep -q "data.on_after_batch_transfer 0" "$T" &&
   ! grep -q "module.on_before_batch_transfer" "$T" && grep -q "idx=100,101,102,103" "$T"; then
    pass "data module's transfer hooks win; lt_batch_set replaces a field"
else fail "data module's transfer hooks win; lt_batch_set replaces a field"; cat "$T" "$TMP/out.txt"; fi

# callback loading errors: a bad path, a name not on the search path, bad init args
expect "--callback missing file" 3 "callback" -- "$LTRUN" fit --module "$P/trace_module.so" \
    --data "$P/trace_data.so" --callback "$TMP/nope.so"
# (a name the build does not ship: the build-tree ltrun finds its own early_stopping)
expect "--callback NAME not on the search path: not found, with a hint" 3 "no callback plugin named 'no_such_callback'.*LT_PLUGIN_PATH" -- \
    "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --callback no_such_callback
expect "--callback with a module plugin" 3 "callback" -- "$LTRUN" fit \
    --module "$P/trace_module.so" --data "$P/trace_data.so" --callback "$P/trace_module.so"
expect "--callback init arg typo" 2 "no such hyperparameter" -- "$LTRUN" fit \
    --module "$P/trace_module.so" --data "$P/trace_data.so" \
    --callback "$P/trace_callback.so:{\"patiense\": 3}"
expect "--callback bad JSON" 2 "JSON object" -- "$LTRUN" fit --module "$P/trace_module.so" \
    --data "$P/trace_data.so" --callback "$P/trace_callback.so:{nope"
finish
