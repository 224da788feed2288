#!/bin/sh
# test_sched_e2e.sh — configure_optimizers' forms through `ltrun fit`, and the trainer
# stepping schedulers as Lightning does (interval, frequency, ReduceLROnPlateau's monitor).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
# 10 samples in batches of 4: 3 training batches an epoch
fit() {
    : > "$T"
    "$LTRUN" fit --module "$P/sched_module.so" --data "$P/trace_data.so" --model.trace "$T" \
        --trainer.enable_progress_bar false --trainer.num_sanity_val_steps 0 --seed 1 "$@"
}

# StepLR(step_size=1, gamma=0.5) with interval "step", frequency 2: Lightning steps it
# when (batch_idx + 1) % 2 == 0, batch_idx counting within the epoch
fit --model.mode step --trainer.max_epochs 2 > "$TMP/out.txt" 2>&1 || { fail "fit (step)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "train 0 1 lr=0.1" "train 0 2 lr=0.05" \
    "train 1 0 lr=0.05" "train 1 1 lr=0.05" "train 1 2 lr=0.025" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "interval step, frequency 2: lr sequence"
else fail "interval step, frequency 2: lr sequence"; fi

# default interval "epoch" with frequency 2: steps after epochs 1 and 3
fit --model.mode epoch --trainer.max_epochs 4 --trainer.limit_train_batches 1 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (epoch)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "train 1 0 lr=0.1" "train 2 0 lr=0.05" "train 3 0 lr=0.05" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "interval epoch, frequency 2: lr sequence"
else fail "interval epoch, frequency 2: lr sequence"; fi

# ReduceLROnPlateau(patience=0, factor=0.5) on a validation metric that never improves:
# epoch 0 sets best, each later epoch halves the lr (after validation)
fit --model.mode plateau --trainer.max_epochs 3 --trainer.limit_train_batches 1 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (plateau)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "train 1 0 lr=0.1" "train 2 0 lr=0.05" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "ReduceLROnPlateau reads its monitor from callback metrics"
else fail "ReduceLROnPlateau reads its monitor from callback metrics"; fi

# interval "step": after every batch (its logged value is in callback_metrics), across
# epochs: best at batch 0, then halved after each later batch
fit --model.mode plateau_step --trainer.max_epochs 2 --trainer.limit_val_batches 0 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (plateau_step)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "train 0 1 lr=0.1" "train 0 2 lr=0.05" \
    "train 1 0 lr=0.025" "train 1 1 lr=0.0125" "train 1 2 lr=0.00625" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "ReduceLROnPlateau with interval step"
else fail "ReduceLROnPlateau with interval step"; fi

# LightningModule.lr_scheduler_step(scheduler, metric) override: called for each due
# scheduler with the monitor's value (val_metric = 0.5 + epoch, from callback_metrics) or
# None for a non-plateau one; it replaces the default stepping (skip: the lr never moves)
hook_fit() {
    : > "$T"
    "$LTRUN" fit --module "$P/sched_hook.so" --data "$P/trace_data.so" --model.trace "$T" \
        --trainer.enable_progress_bar false --trainer.num_sanity_val_steps 0 --seed 1 "$@"
}
hook_fit --model.mode plateau --trainer.max_epochs 3 --trainer.limit_train_batches 1 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (lr_scheduler_step plateau)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "lr_scheduler_step epoch=0 metric=0.5" "train 1 0 lr=0.1" \
    "lr_scheduler_step epoch=1 metric=1.5" "train 2 0 lr=0.05" "lr_scheduler_step epoch=2 metric=2.5" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "lr_scheduler_step override gets the monitor's value"
else fail "lr_scheduler_step override gets the monitor's value"; fi
hook_fit --model.mode step --trainer.max_epochs 1 --model.lr_hook skip > "$TMP/out.txt" 2>&1 ||
    { fail "fit (lr_scheduler_step skip)"; cat "$TMP/out.txt"; }
printf '%s\n' "train 0 0 lr=0.1" "train 0 1 lr=0.1" "lr_scheduler_step epoch=0 metric=None" \
    "train 0 2 lr=0.1" > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$T"; then pass "lr_scheduler_step override replaces scheduler.step() (metric None)"
else fail "lr_scheduler_step override replaces scheduler.step() (metric None)"; fi

expect "strict monitor missing: error naming it and the available metrics" 1 \
    "ReduceLROnPlateau conditioned on metric val_los which is not available. Available metrics are: \['val_metric'\]" \
    -- fit --model.mode missing --trainer.max_epochs 1
expect "strict=false: warning, no step" 0 "which is not available but strict is set to .False." \
    -- fit --model.mode not_strict --trainer.max_epochs 2
expect "ReduceLROnPlateau without monitor" 1 "must include a monitor when a .ReduceLROnPlateau. scheduler is used" \
    -- fit --model.mode plateau_no_monitor --trainer.max_epochs 1
expect "interval must be step or epoch" 1 'The "interval" key in lr scheduler dict must be "step" or "epoch" but is "hour"' \
    -- fit --model.mode bad_interval --trainer.max_epochs 1
expect "two optimizers need manual optimization" 1 \
    "configure_optimizers: Training with multiple optimizers is only supported with manual optimization" \
    -- fit --model.mode two_optimizers --trainer.max_epochs 1
expect "scheduler of an optimizer not returned" 1 \
    "Some schedulers are attached with an optimizer that wasn't returned from .configure_optimizers." \
    -- fit --model.mode foreign_scheduler --trainer.max_epochs 1

# configure_optimizers returning "None": Lightning warns and trains with _MockOptimizer,
# so the same batch gives the same loss every epoch
expect "None: warning, fit runs without an optimizer" 0 "returned .None., this fit will run with no optimizer" \
    -- fit --model.mode none --trainer.max_epochs 3 --trainer.limit_train_batches 1
if [ "$(grep -c '^train' "$T")" -eq 3 ] && [ "$(sed 's/^train [0-9] 0 //' "$T" | sort -u | wc -l)" -eq 1 ]; then
    pass "None: the parameters do not move"
else fail "None: the parameters do not move"; cat "$T"; fi

# AdamW with a no-decay bias group and OneCycleLR per batch; torch:
#   OneCycleLR(AdamW(...), max_lr=0.01, total_steps=6): lrs 0.0004, 0.009944154355,
#   0.008117456539, 0.004626371027, 0.001334775302, 4e-08 (both groups)
fit --model.mode groups --trainer.max_epochs 2 > "$TMP/out.txt" 2>&1 || { fail "fit (groups)"; cat "$TMP/out.txt"; }
i=0
: > "$TMP/want.txt"
for lr in 0.0004 0.009944154355 0.008117456539 0.004626371027 0.001334775302 4e-08; do
    printf 'train %d %d lr=%s\n  group1 lr=%s weight_decay=0\n' $((i / 3)) $((i % 3)) $lr $lr >> "$TMP/want.txt"
    i=$((i + 1))
done
if diff -u "$TMP/want.txt" "$T"; then pass "param groups and OneCycleLR through fit: torch's lrs"
else fail "param groups and OneCycleLR through fit: torch's lrs"; fi
finish
