#!/bin/sh
# test_log_every_n_steps.sh — Trainer(log_every_n_steps) as Lightning 2.6 gates it
# (_LoggerConnector.should_update_logs, runtime/trainer/connectors/log_gating.c): read through
# lt_should_update_logs by a callback at every training and validation batch; and
# trainer.logged_metrics, which Lightning updates after every batch regardless
# (_LoggerConnector.on_batch_end), read through lt_logged_metric; and callback_metrics
# read in a callback's on_train_epoch_end, which has the epoch's value (mean_w: logged
# 1, 2, 3 over batches of 4, 4, 2 samples: (4 + 8 + 6) / 10 = 1.8).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
# tools_module logs "default" = batch_idx + 1 on_step; trace_data: 3 batches an epoch
run() {
    : > "$T"
    "$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.num_sanity_val_steps 0 --callback "$P/log_gate_callback.so:{\"trace\": \"$T\"}" \
        "$@" > "$TMP/out.txt" 2>&1 || { echo "ltrun failed:"; cat "$TMP/out.txt"; }
}
check() { # check NAME: $T against $TMP/want.txt
    if diff -u "$TMP/want.txt" "$T"; then pass "$1"; else fail "$1"; fi
}

# n = 2: fit step = _batches_that_stepped + 1 (the same at batch start and end: the
# counter moves in on_advance_end); validation step = batches made ready (1, 2, 3)
run --trainer.max_epochs 2 --trainer.log_every_n_steps 2
cat > "$TMP/want.txt" <<'X'
start 0 0 log=0
end 0 0 log=0 logged_default=1
start 0 1 log=1
end 0 1 log=1 logged_default=2
start 0 2 log=0
end 0 2 log=0 logged_default=3
val 0 log=0
val 1 log=1
val 2 log=0
epoch_end 0 mean_w=1.8
start 1 0 log=1
end 1 0 log=1 logged_default=1
start 1 1 log=0
end 1 1 log=0 logged_default=2
start 1 2 log=1
end 1 2 log=1 logged_default=3
val 0 log=0
val 1 log=1
val 2 log=0
epoch_end 1 mean_w=1.8
X
check "log_every_n_steps 2: every second optimizer step; logged_metrics every batch"

# accumulate_grad_batches 2: only batches that step count (batches 1 and 2 of each epoch)
run --trainer.max_epochs 2 --trainer.log_every_n_steps 2 --trainer.accumulate_grad_batches 2 \
    --trainer.limit_val_batches 0
cat > "$TMP/want.txt" <<'X'
start 0 0 log=0
end 0 0 log=0 logged_default=1
start 0 1 log=0
end 0 1 log=0 logged_default=2
start 0 2 log=1
end 0 2 log=1 logged_default=3
epoch_end 0 mean_w=1.8
start 1 0 log=0
end 1 0 log=0 logged_default=1
start 1 1 log=0
end 1 1 log=0 logged_default=2
start 1 2 log=1
end 1 2 log=1 logged_default=3
epoch_end 1 mean_w=1.8
X
check "log_every_n_steps 2 with accumulation counts optimizer steps"

# 0: never; the default 50 on a 3-batch run: only the 50th (none here)
run --trainer.max_epochs 1 --trainer.log_every_n_steps 0 --trainer.limit_val_batches 0
if ! grep -q "log=1" "$T" && [ "$(grep -c "log=0" "$T")" -eq 6 ]; then pass "log_every_n_steps 0 never logs"
else fail "log_every_n_steps 0 never logs"; cat "$T"; fi
run --trainer.max_epochs 1 --trainer.limit_val_batches 0
if ! grep -q "log=1" "$T" && grep -q "end 0 2 log=0 logged_default=3" "$T"; then
    pass "log_every_n_steps defaults to 50"
else fail "log_every_n_steps defaults to 50"; cat "$T"; fi

# should_stop forces it (trainer.should_stop): a callback stopping at global step 1
: > "$T"
"$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
    --trainer.enable_progress_bar false --trainer.enable_model_summary false \
    --trainer.num_sanity_val_steps 0 --trainer.limit_val_batches 0 --trainer.max_epochs 3 \
    --trainer.log_every_n_steps 50 \
    --callback "$P/trace_callback.so:{\"trace\": \"/dev/null\", \"stop_at_step\": 1}" \
    --callback "$P/log_gate_callback.so:{\"trace\": \"$T\"}" > "$TMP/out.txt" 2>&1
if grep -q "end 0 0 log=1" "$T" && grep -q "start 0 0 log=0" "$T"; then
    pass "should_stop makes should_update_logs true"
else fail "should_stop makes should_update_logs true"; cat "$T" "$TMP/out.txt"; fi
finish
