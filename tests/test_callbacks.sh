#!/bin/sh
# test_callbacks.sh — the callback plugins through `ltrun fit`, found by name
# on LT_PLUGIN_PATH: early_stopping (each parameter of Lightning's EarlyStopping and its
# messages), lr_monitor, timer, print_hooks. The module (tests/plugins/cb_module.c) logs
# val_loss / train_loss sequences chosen per test; 10 samples of batch 4 = 3 batches an
# epoch (tests/plugins/trace_data.c).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks:$top_builddir/plugins/loggers"
export XDG_DATA_HOME="$TMP/xdg"
W="$TMP/work"
mkdir -p "$W"
OUT="$TMP/out.txt"
fit() { # fit ARGS...: a fit of cb_module in $W, output in $OUT
    (cd "$W" && "$LTRUN" fit --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false "$@") > "$OUT" 2>&1
}
fito() { fit "$@"; rc=$?; cat "$OUT"; return $rc; }
# epochs: how many train epochs ran = number of on_train_epoch_end lines of print_hooks
epochs_run() { grep -c '^hook on_train_epoch_end' "$OUT"; }
ES=early_stopping
PH='print_hooks:{"hooks": ["on_train_epoch_end"]}'

# ---------------------------------------------------------------- early_stopping
# patience: 5, 4, 4, 4.5, 4, ... improves twice, then 3 records without improvement
fit --trainer.max_epochs 10 --model.val_seq '"5,4,4,4.5,4"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 3, "verbose": true}' --callback "$PH"
if [ "$(epochs_run)" -eq 5 ] &&
   grep -qx 'Metric val_loss improved. New best score: 5.000' "$OUT" &&
   grep -qx 'Metric val_loss improved by 1.000 >= min_delta = 0.0. New best score: 4.000' "$OUT" &&
   grep -qx 'Monitored metric val_loss did not improve in the last 3 records. Best score: 4.000. Signaling Trainer to stop.' "$OUT"
then pass "early_stopping: patience 3, Lightning's verbose messages"
else fail "early_stopping: patience 3"; cat "$OUT"; fi
# state survives resume: 3 epochs (5, 4, 4: wait 1), then resume from last.h5: 4.5 (wait 2),
# 4 (wait 3) stops after 2 more epochs; without the saved best score and wait count the
# resumed run would count improvements from scratch and train 5
rm -rf "$W/checkpoints"
fit --trainer.max_epochs 3 --model.val_seq '"5,4,4,4.5,4"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 3}' --callback "$PH"
fit --trainer.max_epochs 10 --model.val_seq '"5,4,4,4.5,4"' --ckpt-path last \
    --callback "$ES"':{"monitor": "val_loss", "patience": 3}' --callback "$PH"
if [ "$(epochs_run)" -eq 2 ]; then pass "early_stopping: wait count and best score survive resume"
else fail "early_stopping: state survives resume ($(epochs_run) epochs after resume)"; cat "$OUT"; fi
rm -rf "$W/checkpoints"
fit --trainer.max_epochs 10 --model.val_seq '"5,4,4,4.5,4"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1}' --callback "$PH"
if [ "$(epochs_run)" -eq 3 ] && ! grep -q 'improved' "$OUT"; then
    pass "early_stopping: patience 1; quiet without verbose"
else fail "early_stopping: patience 1"; cat "$OUT"; fi

# min_delta: a change of exactly min_delta is no improvement (5 -> 4.5), 4.2 is
fit --trainer.max_epochs 10 --model.val_seq '"5,4.5,4.2,4"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 2, "min_delta": 0.5, "verbose": true}' \
    --callback "$PH"
n1=$(epochs_run)
grep -qx 'Metric val_loss improved by 0.800 >= min_delta = 0.5. New best score: 4.200' "$OUT"; m=$?
fit --trainer.max_epochs 10 --model.val_seq '"5,4.5,4.2,4"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 2}' --callback "$PH"
n2=$(epochs_run)
if [ "$n1" -eq 5 ] && [ "$m" -eq 0 ] && [ "$n2" -eq 6 ]; then
    pass "early_stopping: min_delta (strict inequality, |min_delta| in the message)"
else fail "early_stopping: min_delta: $n1 $m $n2"; fi

# mode: 1, 2, 2, ... improves once in max mode, never in min mode
fit --trainer.max_epochs 10 --model.val_seq '"1,2"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 2, "mode": "max"}' --callback "$PH"
n1=$(epochs_run)
fit --trainer.max_epochs 10 --model.val_seq '"1,2"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 2, "mode": "min"}' --callback "$PH"
n2=$(epochs_run)
if [ "$n1" -eq 4 ] && [ "$n2" -eq 3 ]; then pass "early_stopping: mode max / min"
else fail "early_stopping: mode max/min: $n1 $n2"; fi
expect "early_stopping: a bad mode is an error" 1 '`mode` can be min, max, got avg' -- \
    fito --trainer.max_epochs 1 --callback "$ES"':{"monitor": "val_loss", "mode": "avg"}'

# strict: a missing monitor is an error naming it and the available metrics; strict
# false skips the check (a RuntimeWarning when verbose)
expect "early_stopping: strict, missing monitor names the available metrics" 1 \
    'hook on_train_epoch_end: Early stopping conditioned on metric `val_acc` which is not available. Pass in or modify your `EarlyStopping` callback to use any of the following: `(val_loss`, `train_loss|train_loss`, `val_loss)`' -- \
    fito --trainer.max_epochs 3 --callback "$ES"':{"monitor": "val_acc"}'
fit --trainer.max_epochs 3 --callback "$ES"':{"monitor": "val_acc", "strict": false, "verbose": true}' \
    --callback "$PH"
if [ $? -eq 0 ] && [ "$(epochs_run)" -eq 3 ] &&
   grep -q '^RuntimeWarning: Early stopping conditioned on metric `val_acc` which is not available' "$OUT"
then pass "early_stopping: strict false skips, warns when verbose"
else fail "early_stopping: strict false"; cat "$OUT"; fi
expect "early_stopping: monitor is required" 1 'early_stopping: `monitor` is required' -- \
    fito --trainer.max_epochs 1 --callback "$ES"
expect "early_stopping: unknown key names plugin and key" 2 \
    "paitence: plugin 'early_stopping' has no such hyperparameter" -- \
    fito --trainer.max_epochs 1 --callback "$ES"':{"monitor": "val_loss", "paitence": 2}'

# check_finite: nan stops at once with Lightning's message; off, nan is just no improvement
fit --trainer.max_epochs 5 --model.val_seq '"5,nan"' \
    --callback "$ES"':{"monitor": "val_loss", "verbose": true}' --callback "$PH"
if [ "$(epochs_run)" -eq 2 ] &&
   grep -qx 'Monitored metric val_loss = nan is not finite. Previous best value was 5.000. Signaling Trainer to stop.' "$OUT"
then pass "early_stopping: check_finite stops on nan"
else fail "early_stopping: check_finite"; cat "$OUT"; fi
fit --trainer.max_epochs 5 --model.val_seq '"5,nan"' \
    --callback "$ES"':{"monitor": "val_loss", "check_finite": false}' --callback "$PH"
if [ "$(epochs_run)" -eq 4 ]; then pass "early_stopping: check_finite false (nan = no improvement)"
else fail "early_stopping: check_finite false: $(epochs_run)"; fi

# stopping_threshold / divergence_threshold, Lightning's messages (order_dict[mode] in both)
fit --trainer.max_epochs 5 --model.val_seq '"5,4,3"' \
    --callback "$ES"':{"monitor": "val_loss", "stopping_threshold": 4.5, "verbose": true}' --callback "$PH"
if [ "$(epochs_run)" -eq 2 ] &&
   grep -qx 'Stopping threshold reached: val_loss = 4.0 < 4.5. Signaling Trainer to stop.' "$OUT"
then pass "early_stopping: stopping_threshold"
else fail "early_stopping: stopping_threshold"; cat "$OUT"; fi
fit --trainer.max_epochs 5 --model.val_seq '"5,11,3"' \
    --callback "$ES"':{"monitor": "val_loss", "divergence_threshold": 10, "verbose": true}' --callback "$PH"
if [ "$(epochs_run)" -eq 2 ] &&
   grep -qx 'Divergence threshold reached: val_loss = 11.0 < 10.0. Signaling Trainer to stop.' "$OUT"
then pass "early_stopping: divergence_threshold"
else fail "early_stopping: divergence_threshold"; cat "$OUT"; fi
fit --trainer.max_epochs 3 --model.val_seq '"5,11,3"' \
    --callback "$ES"':{"monitor": "val_loss", "divergence_threshold": null, "stopping_threshold": null}' \
    --callback "$PH"
if [ "$(epochs_run)" -eq 3 ]; then pass "early_stopping: thresholds null = None"
else fail "early_stopping: thresholds null"; cat "$OUT"; fi

# min_epochs: the stop waits until min_epochs are done (the trainer holds should_stop)
fit --trainer.max_epochs 10 --trainer.min_epochs 4 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1}' --callback "$PH"
if [ "$(epochs_run)" -eq 4 ]; then pass "early_stopping: respects min_epochs"
else fail "early_stopping: min_epochs: $(epochs_run)"; cat "$OUT"; fi
fit --trainer.max_epochs 10 --trainer.min_steps 10 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1}' --callback "$PH"
if [ "$(epochs_run)" -eq 4 ]; then pass "early_stopping: respects min_steps"
else fail "early_stopping: min_steps: $(epochs_run)"; cat "$OUT"; fi

# check_on_train_epoch_end: None becomes val_check_interval == 1.0 and
# check_val_every_n_epoch == 1. Without validation (train_loss) the default checks at the
# train epoch end; false checks after validation only, which never runs here.
fit --trainer.max_epochs 4 --trainer.limit_val_batches 0 --model.train_seq '"5,6"' \
    --callback "$ES"':{"monitor": "train_loss", "patience": 1}' --callback "$PH"
n1=$(epochs_run)
fit --trainer.max_epochs 4 --trainer.limit_val_batches 0 --model.train_seq '"5,6"' \
    --callback "$ES"':{"monitor": "train_loss", "patience": 1, "check_on_train_epoch_end": false}' \
    --callback "$PH"
n2=$(epochs_run)
if [ "$n1" -eq 2 ] && [ "$n2" -eq 4 ]; then
    pass "early_stopping: check_on_train_epoch_end default true / false"
else fail "early_stopping: check_on_train_epoch_end: $n1 $n2"; fi
# validation every 2nd epoch: the default checks after validation (epochs 1, 3)
fit --trainer.max_epochs 10 --trainer.check_val_every_n_epoch 2 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1}' --callback "$PH"
n1=$(epochs_run)
expect "early_stopping: check_on_train_epoch_end true checks where validation did not run" 1 \
    'metric `val_loss` which is not available' -- \
    fito --trainer.max_epochs 10 --trainer.check_val_every_n_epoch 2 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1, "check_on_train_epoch_end": true}'
if [ "$n1" -eq 4 ]; then pass "early_stopping: default checks after validation (check_val_every_n_epoch 2)"
else fail "early_stopping: check_val_every_n_epoch 2: $n1"; cat "$OUT"; fi
# val_check_interval 2 (of 3 batches): checked after the mid-epoch validation, so the
# stop comes right after it (epoch 2 ends at step 8, not 9)
fit --trainer.max_epochs 10 --trainer.val_check_interval 2 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 2}' --callback "$PH"
if [ "$(epochs_run)" -eq 3 ] && tail -n 1 "$OUT" | grep -qx 'hook on_train_epoch_end epoch=2 step=8'; then pass "early_stopping: checks after each validation (val_check_interval)"
else fail "early_stopping: val_check_interval: $(epochs_run)"; cat "$OUT"; fi

# no check during the sanity check (it would take 5 as the best before epoch 0), outside
# fit, or with fast_dev_run
fit --trainer.max_epochs 10 --trainer.num_sanity_val_steps 2 --model.val_seq '"5,6"' \
    --callback "$ES"':{"monitor": "val_loss", "patience": 1, "check_on_train_epoch_end": false}' \
    --callback "$PH"
if [ "$(epochs_run)" -eq 2 ]; then pass "early_stopping: no check during the sanity check"
else fail "early_stopping: sanity check: $(epochs_run)"; cat "$OUT"; fi
(cd "$W" && "$LTRUN" validate --module "$P/cb_module.so" --data "$P/trace_data.so" \
    --trainer.logger false --trainer.enable_progress_bar false \
    --callback "$ES"':{"monitor": "nope", "check_on_train_epoch_end": false}') > "$OUT" 2>&1
rc=$?
fit --trainer.fast_dev_run 1 --callback "$ES"':{"monitor": "nope"}'
rc2=$?
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ]; then pass "early_stopping: no check in validate or with fast_dev_run"
else fail "early_stopping: validate / fast_dev_run"; cat "$OUT"; fi

# ---------------------------------------------------------------- lr_monitor
# the csv logger's metrics.csv (log_every_n_steps 1); lr rows straight from the callback
# at _batches_that_stepped, before the step's own row, without an epoch (Lightning's
# LearningRateMonitor calls logger.log_metrics itself: only the logger connector adds it)
csv() { tr -d '\r' < "$W/lightning_logs/version_$1/metrics.csv"; }
lfit() { rm -rf "$W/lightning_logs"; fit --trainer.logger true --trainer.log_every_n_steps 1 "$@"; }
# logging_interval None: an epoch scheduler's lr at each epoch start (StepLR(1, 0.5))
lfit --trainer.max_epochs 2 --model.sched '"epoch"' --callback lr_monitor
cat > "$TMP/want.csv" <<'X'
epoch,lr-SGD,step,train_loss,val_loss
,0.1,0,,
0,,2,,1.0
0,,2,1.0,
,0.05,3,,
1,,5,,1.0
1,,5,1.0,
X
if csv 0 | diff -u "$TMP/want.csv" -; then pass "lr_monitor: lr-SGD of an epoch scheduler at epoch starts"
else fail "lr_monitor: epoch scheduler"; cat "$OUT"; fi
# several param groups: /pg1, /pg2; log_momentum: Adam's betas[0]; a step scheduler
# logged on every (logged) step
lfit --trainer.max_epochs 1 --model.sched '"step"' --model.groups 2 --model.optimizer '"adam"' \
    --callback 'lr_monitor:{"log_momentum": true}'
cat > "$TMP/want.csv" <<'X'
epoch,lr-Adam/pg1,lr-Adam/pg1-momentum,lr-Adam/pg2,lr-Adam/pg2-momentum,step,train_loss,val_loss
,0.1,0.9,0.01,0.9,0,,
,0.05,0.9,0.005,0.9,1,,
,0.025,0.9,0.0025,0.9,2,,
0,,,,,2,,1.0
0,,,,,2,1.0,
X
if csv 0 | diff -u "$TMP/want.csv" -; then
    pass "lr_monitor: /pg<i> per param group, -momentum (betas[0]), step scheduler each step"
else fail "lr_monitor: param groups / momentum"; cat "$OUT"; fi
# logging_interval "epoch": a step scheduler is read at epoch starts only
lfit --trainer.max_epochs 2 --model.sched '"step"' --callback 'lr_monitor:{"logging_interval": "epoch"}'
if [ "$(csv 0 | cut -d, -f2,3 | grep -v '^,' | tr '\n' ' ')" = "lr-SGD,step 0.1,0 0.0125,3 " ]
then pass "lr_monitor: logging_interval epoch"
else fail "lr_monitor: logging_interval epoch"; csv 0; fi
# logging_interval "step" with an epoch scheduler, gated by log_every_n_steps 2 (the
# logger connector's should_update_logs: steps 1, 3, 5); SGD momentum, weight decay
lfit --trainer.max_epochs 2 --trainer.log_every_n_steps 2 --model.sched '"epoch"' --model.momentum 0.5 \
    --callback 'lr_monitor:{"logging_interval": "step", "log_momentum": true, "log_weight_decay": true}'
got=$(csv 0 | awk -F, 'NR == 1 || $2 != ""' | cut -d, -f1-5 | tr '\n' ' ')
if [ "$got" = "epoch,lr-SGD,lr-SGD-momentum,lr-SGD-weight_decay,step ,0.1,0.5,0.0,1 ,0.05,0.5,0.0,3 ,0.05,0.5,0.0,5 " ]
then pass "lr_monitor: logging_interval step, gated by log_every_n_steps; SGD momentum, weight_decay"
else fail "lr_monitor: logging_interval step: $got"; fi
# no scheduler: the optimizer is logged at epoch starts and steps alike
lfit --trainer.max_epochs 1 --callback lr_monitor
if [ "$(csv 0 | grep -c '^,0.1,')" -eq 4 ]; then pass "lr_monitor: an optimizer without scheduler"
else fail "lr_monitor: no scheduler"; csv 0; fi
expect "lr_monitor: no logger is an error" 1 'Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger' -- \
    fito --trainer.max_epochs 1 --callback lr_monitor
expect "lr_monitor: bad logging_interval" 1 'logging_interval should be `step` or `epoch` or `None`' -- \
    fito --trainer.max_epochs 1 --callback 'lr_monitor:{"logging_interval": "batch"}'


# ---------------------------------------------------------------- timer
last_step() { sed -n 's/^hook on_train_end epoch=[0-9]* step=\([0-9]*\)$/\1/p' "$OUT"; }
TE='print_hooks:{"hooks": ["on_train_end"]}'
MSG0='^Time limit reached. Elapsed time is 0:00:0[0-9]. Signaling Trainer to stop.$'
# interval step: 50 ms a step, a 0.5 s budget stops long before 100 epochs (300 steps)
fit --trainer.max_epochs 100 --model.sleep_ms 50 --callback 'timer:{"duration": {"milliseconds": 500}}' \
    --callback "$TE"
n=$(last_step)
if [ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -lt 300 ] && grep -qE "$MSG0" "$OUT"; then
    pass "timer: duration dict, interval step, Lightning's message"
else fail "timer: interval step ($n)"; cat "$OUT"; fi
# the elapsed training time survives resume (Timer.state_dict's time_elapsed): 5 steps of
# 100 ms, then a resume under a 1 s budget has at most ~0.5 s left (a load-slowed first run
# only leaves less); from scratch it would take ~10 more steps
rm -rf "$W/checkpoints"
fit --trainer.max_steps 5 --model.sleep_ms 100 --callback 'timer:{"duration": 100}' --callback "$TE"
fit --trainer.max_steps 100 --model.sleep_ms 100 --ckpt-path last \
    --callback 'timer:{"duration": 1.0, "verbose": false}' --callback "$TE"
n=$(last_step)
if [ -n "$n" ] && [ "$n" -ge 6 ] && [ "$n" -le 12 ]; then
    pass "timer: the elapsed time survives resume"
else fail "timer: elapsed time after resume (stopped at step $n)"; cat "$OUT"; fi
rm -rf "$W/checkpoints"
# interval epoch: the stop comes at an epoch end; "DD:HH:MM:SS"
fit --trainer.max_epochs 100 --model.sleep_ms 50 --callback 'timer:{"duration": "00:00:00:01", "interval": "epoch", "verbose": false}' \
    --callback "$TE"
n=$(last_step)
if [ -n "$n" ] && [ "$n" -lt 300 ] && [ $((n % 3)) -eq 0 ] && ! grep -q 'Time limit' "$OUT"; then
    pass "timer: \"DD:HH:MM:SS\", interval epoch stops at an epoch end, verbose false"
else fail "timer: interval epoch ($n)"; cat "$OUT"; fi
# a spent budget stops at on_fit_start (no training step), unless min_epochs holds it
# (the fit loop is skipped: no on_train_start/end, as Lightning's fit_loop.skip)
fit --trainer.max_epochs 5 --callback 'timer:{"duration": 0}' \
    --callback 'print_hooks:{"hooks": ["on_fit_end", "on_train_end"]}'
n1=$(sed -n 's/^hook on_fit_end epoch=0 step=\([0-9]*\)$/\1/p' "$OUT")
grep -q 'hook on_train_end' "$OUT" && n1=x
grep -qE "$MSG0" "$OUT"; m=$?
fit --trainer.max_epochs 5 --trainer.min_epochs 2 --callback 'timer:{"duration": 0}' --callback "$TE"
n2=$(last_step)
fit --trainer.max_epochs 2 --callback 'timer:{"duration": null}' --callback "$TE"
n3=$(last_step)
if [ "$n1" = 0 ] && [ "$m" -eq 0 ] && [ "$n2" = 6 ] && [ "$n3" = 6 ]; then
    pass "timer: checked at fit start; respects min_epochs; duration null only measures"
else fail "timer: fit start / min_epochs / null: $n1 $m $n2 $n3"; fi
expect "timer: a bad duration string" 1 '`Timer\(duration=.1:00:00.\)` is not a valid duration. Expected a string in the format DD:HH:MM:SS.' -- \
    fito --trainer.max_epochs 1 --callback 'timer:{"duration": "1:00:00"}'
expect "timer: a bad duration key" 1 "duration: 'hour' is not a timedelta keyword" -- \
    fito --trainer.max_epochs 1 --callback 'timer:{"duration": {"hour": 1}}'
expect "timer: a bad interval" 1 'Unsupported parameter value `Timer\(interval=batch\)`' -- \
    fito --trainer.max_epochs 1 --callback 'timer:{"duration": 5, "interval": "batch"}'


# ---------------------------------------------------------------- print_hooks
# every hook by default, in Lightning's order (one batch of each loop)
fit --trainer.max_epochs 1 --trainer.limit_train_batches 1 --trainer.limit_val_batches 1 \
    --trainer.num_sanity_val_steps 0 --callback print_hooks
cat > "$TMP/want.txt" <<'X'
hook setup fit epoch=0 step=0
hook on_fit_start epoch=0 step=0
hook on_train_start epoch=0 step=0
hook on_train_epoch_start epoch=0 step=0
hook on_train_batch_start 0 epoch=0 step=0
hook on_before_zero_grad SGD epoch=0 step=0
hook on_before_backward epoch=0 step=0
hook on_after_backward epoch=0 step=0
hook on_before_optimizer_step SGD epoch=0 step=0
hook on_train_batch_end 0 epoch=0 step=1
hook on_validation_start epoch=0 step=1
hook on_validation_epoch_start epoch=0 step=1
hook on_validation_batch_start 0 epoch=0 step=1
hook on_validation_batch_end 0 epoch=0 step=1
hook on_validation_epoch_end epoch=0 step=1
hook on_validation_end epoch=0 step=1
hook on_train_epoch_end epoch=0 step=1
hook on_train_end epoch=1 step=1
hook on_fit_end epoch=1 step=1
hook teardown fit epoch=1 step=1
X
if grep '^hook ' "$OUT" | diff -u "$TMP/want.txt" -; then pass "print_hooks: every hook, in order"
else fail "print_hooks: every hook"; fi
# a "hooks" filter, and "file"
fit --trainer.max_epochs 1 --callback \
    'print_hooks:{"hooks": ["teardown", "on_train_epoch_end", "setup"], "file": "'"$TMP/hooks.txt"'"}'
printf 'hook setup fit epoch=0 step=0\nhook on_train_epoch_end epoch=0 step=3\nhook teardown fit epoch=1 step=3\n' > "$TMP/want.txt"
if diff -u "$TMP/want.txt" "$TMP/hooks.txt" && ! grep -q '^hook' "$OUT"; then
    pass "print_hooks: hooks filter, file"
else fail "print_hooks: filter / file"; fi
expect "print_hooks: an unknown hook name" 1 "print_hooks: hooks: 'on_epoch_end' is not a callback hook \(known: setup, teardown" -- \
    fito --trainer.max_epochs 1 --callback 'print_hooks:{"hooks": ["on_epoch_end"]}'
expect "print_hooks: hooks must be a list" 1 'print_hooks: hooks: expected a list of hook names, got "setup"' -- \
    fito --trainer.max_epochs 1 --callback 'print_hooks:{"hooks": "setup"}'

# ltrun plugins lists the shipped callbacks
out=$("$LTRUN" plugins 2>&1)
ok=1
for c in early_stopping lr_monitor timer print_hooks gradient_accumulation_scheduler device_stats; do
    printf '%s\n' "$out" | grep -qE "^callback +$c " || ok=0
done
if [ $ok -eq 1 ]; then pass "ltrun plugins lists the callback plugins"
else fail "ltrun plugins"; printf '%s\n' "$out"; fi


# ---------------------------------------------------- gradient_accumulation_scheduler
# {1: 2, 2: 3} (keys out of order; {0: 1} implied): 3 batches an epoch step 3, 2, 1, 1
# times (the last batch of an epoch always steps)
GAS=gradient_accumulation_scheduler
fit --trainer.max_epochs 4 --callback "$GAS"':{"scheduling": {"2": 3, "1": 2}}' \
    --callback 'print_hooks:{"hooks": ["on_before_optimizer_step", "on_train_end"]}'
got=$(sed -n 's/^hook on_before_optimizer_step SGD epoch=\([0-9]*\) .*/\1/p' "$OUT" | uniq -c | awk '{printf "%s:%s ", $2, $1}')
if [ "$got" = "0:3 1:2 2:1 3:1 " ] && grep -qx 'hook on_train_end epoch=4 step=7' "$OUT"; then
    pass "gradient_accumulation_scheduler: factor per epoch from the schedule"
else fail "gradient_accumulation_scheduler: $got"; cat "$OUT"; fi
expect "gradient_accumulation_scheduler: Trainer accumulate_grad_batches set too" 1 \
    'You have set `accumulate_grad_batches` and are using the `GradientAccumulationScheduler` callback' -- \
    fito --trainer.max_epochs 1 --trainer.accumulate_grad_batches 2 --callback "$GAS"':{"scheduling": {"1": 2}}'
expect "gradient_accumulation_scheduler: manual optimization" 1 \
    'is not supported for manual optimization' -- \
    sh -c "cd '$W' && '$LTRUN' fit --module '$P/manual_module.so' --data '$P/trace_data.so' --trainer.max_epochs 1 --trainer.logger false --callback '$GAS:{\"scheduling\": {\"1\": 2}}'"
expect "gradient_accumulation_scheduler: bad epoch" 1 'Epoch should be an int greater than or equal to 0. Got -1.' -- \
    fito --trainer.max_epochs 1 --callback "$GAS"':{"scheduling": {"-1": 2}}'
expect "gradient_accumulation_scheduler: bad factor" 1 'All values should be integers greater than or equal to 1. Got 0 for epoch 1.' -- \
    fito --trainer.max_epochs 1 --callback "$GAS"':{"scheduling": {"1": 0}}'
expect "gradient_accumulation_scheduler: empty" 1 'Empty dict cannot be interpreted correct' -- \
    fito --trainer.max_epochs 1 --callback "$GAS"':{"scheduling": {}}'


# ---------------------------------------------------------------- device_stats
# "DeviceStatsMonitor.<hook>/<stat>" columns straight to the logger on logged steps
col() { # col NAME: the non-empty values of metrics.csv's column NAME, one a line
    csv 0 | awk -F, -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
                                c && $c != "" { print $c }'
}
lfit --trainer.max_epochs 1 --callback device_stats
D=DeviceStatsMonitor.on_train_batch_start
ok=1
for k in cpu_percent cpu_vm_percent cpu_swap_percent process_cpu_time process_rss_mb process_threads; do
    [ "$(col "$D/$k" | wc -l)" -eq 3 ] || ok=0
done
[ "$(col DeviceStatsMonitor.on_train_batch_end/process_threads | wc -l)" -eq 3 ] || ok=0
[ "$(col DeviceStatsMonitor.on_validation_batch_end/process_rss_mb | wc -l)" -ge 3 ] || ok=0
col "$D/process_threads" | awk '$1 < 1 { exit 1 }' || ok=0
col "$D/process_rss_mb" | awk '$1 <= 0 { exit 1 }' || ok=0
col "$D/process_cpu_time" | awk '$1 <= 0 { exit 1 }' || ok=0
if [ $ok -eq 1 ]; then pass "device_stats: CPU, memory, RSS, threads per batch hook and step"
else fail "device_stats: columns"; csv 0 | head -n 3; fi
lfit --trainer.max_epochs 1 --trainer.log_every_n_steps 2 --callback device_stats
if [ "$(col "$D/process_threads" | wc -l)" -eq 1 ]; then pass "device_stats: gated by log_every_n_steps"
else fail "device_stats: log_every_n_steps"; fi
lfit --trainer.max_epochs 1 --callback 'device_stats:{"cpu_stats": false}'
if ! csv 0 | head -n 1 | grep -q DeviceStatsMonitor; then pass "device_stats: cpu_stats false logs nothing"
else fail "device_stats: cpu_stats false"; fi
expect "device_stats: no logger is an error" 1 'Cannot use `DeviceStatsMonitor` callback with `Trainer\(logger=False\)`' -- \
    fito --trainer.max_epochs 1 --callback device_stats

finish
