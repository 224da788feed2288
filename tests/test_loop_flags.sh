#!/bin/sh
# test_loop_flags.sh — each loop flag changes what the loops do, with
# Lightning's semantics (trainer/setup.py, loops/fit_loop.py, loops/training_epoch_loop.py,
# callbacks/timer.py). The trace module (quiet) prints training_step/validation_step lines.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
run() { # run ARGS...: fit with the quiet trace module; output in $TMP/out.txt
    : > "$T"
    "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
        --model.quiet true --data.trace_file /dev/null --seed 1 --trainer.enable_progress_bar false \
        "$@" > "$TMP/out.txt" 2>&1
}
steps() { grep -c "module.training_step" "$T"; }
vals() { grep -c "validation_step 0 sanity=0" "$T"; }
check() { # check NAME CONDITION...
    name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; tail -n 20 "$T" "$TMP/out.txt" | sed 's/^/    /'; fi
}
eq() { [ "$1" -eq "$2" ]; }

# max_time: the Timer checks at on_fit_start (duration 0 -> should_stop before training)
run --trainer.max_time 00:00:00:00 --trainer.max_epochs 5
check "max_time 0: stopped before any step" eq "$(steps)" 0
grep -q "Time limit reached" "$TMP/out.txt" && pass "max_time: says the time limit was reached" ||
    fail "max_time: says the time limit was reached"
# ... but min_epochs keeps it going until one epoch is done (_can_stop_early)
run --trainer.max_time 0 --trainer.min_epochs 1 --trainer.max_epochs 5
check "min_epochs 1 holds should_stop for one epoch (3 steps)" eq "$(steps)" 3
grep -q "required \`min_epochs=1\`" "$TMP/out.txt" && pass "min_epochs: says training continues" ||
    fail "min_epochs: says training continues"
run --trainer.max_time '{"hours": 1}' --trainer.max_epochs 2
check "max_time as a dict; long limit trains fully" eq "$(steps)" 6
expect "max_time bad format" 2 "DD:HH:MM:SS" -- "$LTRUN" fit --module "$P/trace_module.so" \
    --data "$P/trace_data.so" --trainer.max_time 1:2:3
# min_steps: should_stop raised in on_fit_start; min_steps 4 (min_epochs becomes 1):
# epoch 0 has 3 steps, epoch 1 stops after its first (step 4), validating first
run --model.stop_at_fit_start true --trainer.min_steps 4 --trainer.max_epochs 9 \
    --trainer.num_sanity_val_steps 0
check "min_steps 4 with should_stop: 4 steps" eq "$(steps)" 4
check "min_steps: validation runs when stopping mid-epoch" eq "$(vals)" 2
# should_stop from a callback: stops after the batch where it is set, after validating
run --callback "$P/trace_callback.so:{\"stop_at_step\": 2}" --trainer.max_epochs 5 \
    --trainer.num_sanity_val_steps 0
check "callback sets should_stop at step 2: 2 steps" eq "$(steps)" 2
check "should_stop: validation before stopping" eq "$(vals)" 1
run --callback "$P/trace_callback.so:{\"stop_at_step\": 1}" --trainer.min_epochs 2 \
    --trainer.max_epochs 5 --trainer.num_sanity_val_steps 0
check "should_stop waits for min_epochs 2: 6 steps" eq "$(steps)" 6

# val_check_interval: float fraction of the epoch, int batches
run --trainer.max_epochs 1 --trainer.val_check_interval 0.5 --trainer.num_sanity_val_steps 0
check "val_check_interval 0.5 of 3 batches: every batch (val_check_batch 1)" eq "$(vals)" 3
run --trainer.max_epochs 1 --trainer.val_check_interval 2 --trainer.num_sanity_val_steps 0
check "val_check_interval 2: once, after batch 1 (not at the epoch's end)" eq "$(vals)" 1
expect "val_check_interval above the batches" 2 "must be less than or equal" -- "$LTRUN" fit \
    --module "$P/trace_module.so" --data "$P/trace_data.so" --trainer.val_check_interval 5
# check_val_every_n_epoch null: val_check_interval counts batches across epochs
run --trainer.max_epochs 2 --trainer.val_check_interval 2 --trainer.check_val_every_n_epoch null \
    --trainer.num_sanity_val_steps 0
check "check_val_every_n_epoch null: every 2 batches across epochs (3 times in 6)" eq "$(vals)" 3
expect "check_val_every_n_epoch null needs an int val_check_interval" 2 "should be an integer" -- \
    "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" \
    --trainer.check_val_every_n_epoch null --trainer.val_check_interval 0.5
run --trainer.max_epochs 2 --trainer.check_val_every_n_epoch 2 --trainer.num_sanity_val_steps 0
check "check_val_every_n_epoch 2: one validation in 2 epochs" eq "$(vals)" 1
# num_sanity_val_steps -1: every val batch
run --trainer.max_epochs 1 --trainer.num_sanity_val_steps -1
check "num_sanity_val_steps -1: all 3 val batches" eq "$(grep -c 'sanity=1' "$T")" 3

# accumulate_grad_batches 2 over 3 batches: steps after batch 1 and the last (partial)
run --trainer.max_epochs 2 --trainer.accumulate_grad_batches 2 --trainer.num_sanity_val_steps 0
check "accumulate_grad_batches 2: global_step 2 after an epoch of 3 batches" \
    grep -q "training_step 0 epoch=1 global_step=2" "$T"
# estimated_stepping_batches = ceil(3 / 2) * max_epochs, capped by max_steps
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace_file /dev/null --trainer.max_epochs 3 --trainer.accumulate_grad_batches 2 \
    --trainer.enable_progress_bar false > /dev/null 2>&1
check "estimated_stepping_batches: ceil(3/2) * 3 = 6" grep -q "estimated_stepping_batches=6" "$T"
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace_file /dev/null --trainer.max_steps 4 --trainer.enable_progress_bar false > /dev/null 2>&1
check "estimated_stepping_batches: max_epochs unset with max_steps 4 -> 4" \
    grep -q "estimated_stepping_batches=4" "$T"

# gradient clipping (after on_before_optimizer_step, before the update), SGD lr 0.1
run --trainer.max_steps 1 --model.print_update true
grep -q "max_abs=0.000100 " "$T" && fail "no clipping: updates are larger than 1e-4" ||
    pass "no clipping: updates are larger than 1e-4"
run --trainer.max_steps 1 --model.print_update true --trainer.gradient_clip_val 0.001 \
    --trainer.gradient_clip_algorithm value
check "gradient_clip_algorithm value: |update| <= lr * 0.001" grep -q "max_abs=0.000100 " "$T"
run --trainer.max_steps 1 --model.print_update true --trainer.gradient_clip_val 0.01
check "gradient_clip_val norm (default): update l2 = lr * 0.01" grep -q "l2=0.001000" "$T"
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace_file /dev/null --trainer.max_steps 1 --trainer.gradient_clip_val 0.5 \
    --trainer.gradient_clip_algorithm VALUE --trainer.enable_progress_bar false > /dev/null 2>&1
check "configure_gradient_clipping gets the Trainer's values" \
    grep -q "configure_gradient_clipping val=0.5 algorithm=value" "$T"
expect "gradient_clip_algorithm unknown" 2 "Allowed algorithms" -- "$LTRUN" fit \
    --module "$P/trace_module.so" --data "$P/trace_data.so" --trainer.gradient_clip_algorithm l1

# fast_dev_run N: N batches of train and val, no sanity check, one epoch
run --trainer.fast_dev_run 2 --trainer.max_epochs 5
check "fast_dev_run 2: 2 training steps" eq "$(steps)" 2
check "fast_dev_run 2: no sanity check, 2 val batches" eq "$(grep -c 'validation_step' "$T")" 2
grep -q "Running in \`fast_dev_run\` mode" "$TMP/out.txt" && pass "fast_dev_run: says so" ||
    fail "fast_dev_run: says so"
run --trainer.fast_dev_run true --trainer.max_epochs 5
check "fast_dev_run true: 1 step" eq "$(steps)" 1

# overfit_batches 2: 2 train and val batches, shuffling turned off with Lightning's warning
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --model.quiet true --model.show_idx true --data.trace_file /dev/null --data.shuffle true \
    --trainer.overfit_batches 2 --trainer.max_epochs 2 --trainer.num_sanity_val_steps 0 \
    --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1
check "overfit_batches 2: 2 steps per epoch" eq "$(steps)" 4
check "overfit_batches: the same first batches every epoch, in order" \
    eq "$(grep -c 'idx=0,1,2,3' "$T")" 2
check "overfit_batches: 2 val batches per validation" eq "$(grep -c 'validation_step 1 sanity=0' "$T")" 2
check "overfit_batches: Lightning's shuffle warning" \
    grep -q "You requested to overfit but enabled train dataloader shuffling" "$TMP/out.txt"

# a shuffled val loader inside fit is set to the fit loop's epoch, as Lightning's
# _EvaluationLoop.reset does (_set_sampler_epoch(dl, fit_loop.epoch_progress.current.processed)):
# torch.randperm(12, generator=torch.Generator().manual_seed(1 + e))[:4] is
# [1, 4, 6, 8] for e = 0 and [0, 9, 3, 2] for e = 1 (it was epoch 0's order every time)
: > "$T"
TRACE_VAL_SHUFFLE=1 "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" \
    --model.trace "$T" --model.quiet true --model.show_idx true --data.trace_file /dev/null \
    --data.length 12 --seed 1 --trainer.max_epochs 2 --trainer.num_sanity_val_steps 0 \
    --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1
check "val loader in fit: epoch 0's order" eq "$(grep -c 'validation_step 0 .*val_order=1,4,6,8$' "$T")" 1
check "val loader in fit: set_epoch(1) at epoch 1" eq "$(grep -c 'validation_step 0 .*val_order=0,9,3,2$' "$T")" 1

# enable_model_summary false: no summary table
run --trainer.max_steps 1
check "model summary printed by default" grep -q "trainable params" "$TMP/out.txt"
run --trainer.max_steps 1 --trainer.enable_model_summary false
check "enable_model_summary false: no summary" eval '! grep -q "trainable params" "$TMP/out.txt"'

# limits: 2.0 is an int (Lightning's _determine_batch_limits), 1.5 an error;
# limit_predict_batches is parsed like the others
run --trainer.max_epochs 1 --trainer.limit_train_batches 2.0
check "limit_train_batches 2.0 means 2 batches" eq "$(steps)" 2
expect "limit_train_batches 1.5" 2 "fraction" -- "$LTRUN" fit --module "$P/trace_module.so" \
    --data "$P/trace_data.so" --trainer.limit_train_batches 1.5
expect "limit_predict_batches bad" 2 "limit_predict_batches" -- "$LTRUN" fit \
    --module "$P/trace_module.so" --data "$P/trace_data.so" --trainer.limit_predict_batches x
# --print-config keeps the new flags and callbacks, and --config takes them back
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --trainer.min_epochs 2 \
    --trainer.check_val_every_n_epoch null --callback "$P/trace_callback.so:{\"name\": \"x\"}" \
    --print-config=json > "$TMP/cfg.json" 2>/dev/null
: > "$T"
"$LTRUN" fit --config "$TMP/cfg.json" --model.trace "$T" --model.quiet true \
    --data.trace_file /dev/null --trainer.max_epochs 1 --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1
check "--print-config round-trips min_epochs, null and callbacks" \
    eval 'grep -q "\"min_epochs\":[[:space:]]*2" "$TMP/cfg.json" && grep -q "class_path" "$TMP/cfg.json" && [ "$(grep -c training_step "$T")" -eq 3 ]'
finish
