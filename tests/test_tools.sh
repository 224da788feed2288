#!/bin/sh
# test_tools.sh — through the trainer: self.log options and the metric dicts a
# plugin reads, detect_anomaly, profiler, model summary, accelerator/devices/strategy,
# seed_everything, --print-config round trip with every flag.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
RUN="$LTRUN fit --module $P/tools_module.so --data $P/trace_data.so --trainer.max_epochs 1 --trainer.enable_progress_bar false --seed 1"

# ---- logging: Lightning's rules (reference/lightning.md §7), values the plugin logs are
# v = batch_idx + 1 over batches of 4, 4 and 2 samples
$RUN --model.trace "$T" > "$TMP/log.txt" 2>&1 || { fail "fit with lt_log_ex ran"; cat "$TMP/log.txt"; }
check_line() { # NAME LINE: the trace has exactly LINE
    if grep -qx "$2" "$T"; then pass "$1"; else fail "$1 (no line '$2')"; sed 's/^/    /' "$T"; fi
}
check_absent() {
    if grep -q "$2" "$T"; then fail "$1 (found '$2')"; else pass "$1"; fi
}
check_line "on_step only: the last step value" "callback default 3"
check_line "on_step+on_epoch: NAME_step" "logged both_step 3"
check_line "on_step+on_epoch: NAME_epoch" "logged both_epoch 1.8"
check_line "on_step+on_epoch: callback NAME gets the epoch value" "callback both 1.8"
check_absent "forked base name is not sent to loggers" "^logged both "
check_line "epoch mean weighted by batch size (1*4+2*4+3*2)/10" "logged mean_w 1.8"
check_line "explicit batch_size=1: plain mean" "logged mean_1 2"
check_line "reduce_fx=sum" "logged sum 6"
check_line "reduce_fx=max" "logged max 3"
check_line "reduce_fx=min" "logged min 1"
check_line "validation_step defaults to on_epoch (weighted mean)" "callback val_v 1.8"
check_line "log_dict + prog_bar: progress_bar_metrics" "pbar pb_b 7"
check_absent "logger=False keeps it out of logged_metrics" "^logged pb_"
check_line "prog_bar values are in callback_metrics too" "callback pb_a 0"
check_line "lt_callback_metric finds a logged name" "lookup both found"
check_line "lt_callback_metric says absent" "lookup nope absent"

expect "on_step=False, on_epoch=False is an error" 1 "on_step=False and on_epoch=False" -- \
    $RUN --model.bad_log both_false
expect "reduce_fx other than mean/sum/max/min is an error" 1 "reduce_fx 'median' is not supported" -- \
    $RUN --model.bad_log reduce
expect "epoch hooks cannot log on_step" 1 "on_train_epoch_end cannot log on_step" -- \
    $RUN --model.bad_log epoch_on_step
expect "logging in on_fit_end is forbidden" 1 "logging is not allowed in on_fit_end" -- \
    $RUN --model.bad_log fit_end

# ---- detect_anomaly names the op and the direction
expect "detect_anomaly: forward NaN names the op" 1 "detect_anomaly: forward of 'log' produced nan" -- \
    $RUN --model.anomaly forward --trainer.detect_anomaly true
expect "without detect_anomaly the op is not named" 1 "the loss is nan" -- $RUN --model.anomaly forward \
    --trainer.stop_on_nonfinite_loss true
expect "detect_anomaly: backward Inf names the op" 1 "backward of 'sqrt' returned inf values" -- \
    $RUN --model.anomaly backward --trainer.detect_anomaly true
expect "without detect_anomaly the backward Inf shows only as a later NaN loss" 1 \
    "the loss is nan at epoch 0, batch 1" -- $RUN --model.anomaly backward --trainer.stop_on_nonfinite_loss true

# ---- profiler
expect "profiler=simple: hook table" 0 "\\[LightningModule\\]training_step +\\| +[0-9.e-]+ +\\| +3 " -- \
    $RUN --trainer.profiler simple
expect "profiler=simple: backward and optimizer_step actions" 0 "\\[Strategy\\]optimizer_step +\\| +[0-9.e-]+ +\\| +3 " -- \
    $RUN --trainer.profiler simple
expect "profiler=simple: op kinds" 0 "^\\|  linear +\\|" -- $RUN --trainer.profiler simple
# advanced: linear's forward FLOPs = 2 * rows * 3 outputs * 2 inputs over the 3 training
# batches (10 rows; validation_step does not call forward): 120; backward twice that
expect "profiler=advanced: per-op counts and FLOPs" 0 "linear \\(forward\\) +\\|.*\\| +3 +\\|.*\\| +1.2e-07 +\\|" -- \
    $RUN --trainer.profiler advanced
expect "profiler=advanced: backward per op" 0 "linear \\(backward\\) +\\|.*\\| +3 +\\|.*\\| +2.4e-07 +\\|" -- \
    $RUN --trainer.profiler advanced
out=$($RUN 2>&1)
if printf '%s\n' "$out" | grep -q "Profiler Report"; then fail "no profiler by default"; else pass "no profiler by default"; fi

# ---- model summary (Lightning's ModelSummary) and enable_model_summary
expect "model summary row" 0 "^0 \\| fc   \\| Linear \\| 9 +\\| train" -- $RUN
expect "model summary totals" 0 "^9         Trainable params" -- $RUN
if printf '%s\n' "$($RUN --trainer.enable_model_summary false 2>&1)" | grep -q "Trainable params"; then
    fail "enable_model_summary=false hides the summary"
else pass "enable_model_summary=false hides the summary"; fi

# ---- accelerator / devices / strategy / accepted flags
expect "accelerator=cpu runs" 0 "" -- $RUN --trainer.accelerator cpu --trainer.devices 1 \
    --trainer.strategy single_device --trainer.deterministic true --trainer.enable_checkpointing false
expect "accelerator=gpu is refused naming what exists" 2 "'gpu' is not available.*cpu, auto" -- \
    $RUN --trainer.accelerator gpu
expect "an unknown accelerator" 2 "'quantum' is not an accelerator" -- $RUN --trainer.accelerator quantum
expect "devices=2 with single_device is refused" 2 "single_device runs one process on one device.*use --trainer.strategy ddp" -- \
    $RUN --trainer.strategy single_device --trainer.devices 2
expect "devices=0 is refused" 2 "trainer.devices: expected a number of processes" -- $RUN --trainer.devices 0
expect "an unknown strategy is refused" 2 "'dpp' is not available: ltrun has auto and single_device" -- \
    $RUN --trainer.strategy dpp
expect "an init arg for the built-in strategy is refused" 2 "strategy.bucket_cap_mb: the built-in auto strategy takes no init args" -- \
    $RUN --strategy.bucket_cap_mb 5
expect "profiler=pytorch is refused" 2 "'pytorch' is a Lightning profiler ltrun does not have" -- \
    $RUN --trainer.profiler pytorch
expect "deterministic and benchmark together warn as Lightning" 0 "deterministic=True. and .benchmark=True" -- \
    $RUN --trainer.deterministic true --trainer.benchmark true

# ---- seed_everything (Lightning 2.6): no seed -> PL_GLOBAL_SEED or 0 with a warning
S="$LTRUN validate --module $P/tools_module.so --data $P/trace_data.so --trainer.enable_progress_bar false"
expect "no seed: 0 with Lightning's warning" 0 "No seed found, seed set to 0" -- $S
expect "PL_GLOBAL_SEED is read" 0 "Seed set to 77" -- env PL_GLOBAL_SEED=77 $S
expect "seed out of numpy's bounds" 2 "4294967296 is not in bounds" -- $S --seed 4294967296
out=$($S --seed false 2>&1)
if printf '%s\n' "$out" | grep -q "Seed set"; then fail "seed_everything=false does not seed"
else pass "seed_everything=false does not seed"; fi

# ---- --print-config: every flag, and --config accepts it back
"$LTRUN" fit --module m.so --data d.so --trainer.profiler advanced --trainer.devices 1 \
    --trainer.detect_anomaly true --ckpt-path x.h5 --print-config=json > "$TMP/a.json"
"$LTRUN" fit --config "$TMP/a.json" --print-config=json > "$TMP/b.json"
if cmp -s "$TMP/a.json" "$TMP/b.json"; then pass "print-config with every flag round-trips"
else fail "print-config with every flag round-trips"; diff "$TMP/a.json" "$TMP/b.json"; fi
for k in '"enable_model_summary":	true' '"strategy":	"auto"' '"profiler":	"advanced"' \
         '"max_epochs":	null' '"seed_everything":	true' '"ckpt_path":	"x.h5"'; do
    if grep -qF "$k" "$TMP/a.json"; then pass "print-config has $k"; else fail "print-config has $k"; fi
done
finish
