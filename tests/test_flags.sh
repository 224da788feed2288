#!/bin/sh
# test_flags.sh — Trainer flags of README's table that had no test of their own
# ("close the gaps"): max_epochs' default and warning, val_check_interval's
# None in --print-config, default_root_dir, enable_progress_bar, enable_checkpointing,
# deterministic/benchmark values, and trainer.estimated_stepping_batches against
# Lightning's formula (trainer.py: ceil(num_training_batches / accumulate_grad_batches)
# * max(max_epochs, 1), capped by max_steps; max_epochs -1: max_steps, -1 = inf).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
FIT="$LTRUN fit --module $P/trace_module.so --data $P/trace_data.so --data.trace_file /dev/null --seed 1"
run() { : > "$T"; $FIT --model.trace "$T" --model.quiet true "$@" > "$TMP/out.txt" 2>&1; }
W="max_epochs. was not set. Setting it to 1000 epochs"

# max_epochs None -> 1000 with Lightning's PossibleUserWarning (_parse_loop_limits);
# given, or bounded by max_steps / max_time: no warning (max_epochs -1 then)
run --trainer.limit_train_batches 1 --trainer.limit_val_batches 0 --trainer.enable_progress_bar false
if [ "$(grep -c training_step "$T")" -eq 1000 ] && grep -q "$W" "$TMP/out.txt"; then
    pass "max_epochs unset: 1000 epochs, with Lightning's warning"
else fail "max_epochs unset: 1000 epochs, with Lightning's warning ($(grep -c training_step "$T"))"; fi
for extra in "--trainer.max_epochs 1" "--trainer.max_steps 2" "--trainer.max_time 00:00:01:00 --trainer.max_steps 2"; do
    run --trainer.limit_val_batches 0 --trainer.enable_progress_bar false $extra
    if grep -q "$W" "$TMP/out.txt"; then fail "no max_epochs warning with $extra"
    else pass "no max_epochs warning with $extra"; fi
done

# val_check_interval: None in --print-config, which reads back with check_val_every_n_epoch null
$LTRUN fit --module m.so --data d.so --trainer.check_val_every_n_epoch null --print-config=json > "$TMP/c.json"
if grep -q '"val_check_interval":[[:space:]]*null' "$TMP/c.json" &&
   $LTRUN fit --config "$TMP/c.json" --print-config > /dev/null 2>&1; then
    pass "print-config: val_check_interval null round-trips with check_val_every_n_epoch null"
else fail "print-config: val_check_interval null round-trips with check_val_every_n_epoch null"; fi

# default_root_dir: where predict writes predictions.h5 without --predictions
mkdir -p "$TMP/root"
$LTRUN predict --module "$P/trace_module.so" --data "$P/trace_data.so" --data.trace_file /dev/null \
    --trainer.default_root_dir "$TMP/root" --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1
if [ -s "$TMP/root/predictions.h5" ]; then pass "default_root_dir holds predictions.h5"
else fail "default_root_dir holds predictions.h5"; cat "$TMP/out.txt"; fi

# enable_progress_bar: on by default (stderr not a TTY: the epoch's line at its end)
run --trainer.max_epochs 1
if grep -q "Epoch 0:.* 3/3" "$TMP/out.txt"; then pass "enable_progress_bar defaults to true"
else fail "enable_progress_bar defaults to true"; cat "$TMP/out.txt"; fi
run --trainer.max_epochs 1 --trainer.enable_progress_bar false
if grep -q "Epoch 0" "$TMP/out.txt"; then fail "enable_progress_bar false hides the bar"
else pass "enable_progress_bar false hides the bar"; fi

# enable_checkpointing: a bool (accepted; checkpoints come with the checkpoint work)
expect "enable_checkpointing false accepted" 0 "" -- $FIT --trainer.max_steps 1 \
    --trainer.enable_checkpointing false --trainer.enable_progress_bar false
expect "enable_checkpointing takes a bool" 2 "enable_checkpointing: expected true or false" -- \
    $FIT --trainer.enable_checkpointing maybe

# deterministic: true, false, null or "warn"; benchmark: a bool or null; only both true warn
for v in true false null warn; do
    expect "deterministic $v accepted" 0 "" -- $FIT --trainer.max_steps 1 --trainer.deterministic $v \
        --trainer.enable_progress_bar false
done
expect "deterministic takes Lightning's values" 2 "deterministic: expected true, false, null or \"warn\"" -- \
    $FIT --trainer.deterministic sometimes
expect "benchmark takes a bool" 2 "benchmark: expected true, false or null" -- $FIT --trainer.benchmark 3
out=$($FIT --trainer.max_steps 1 --trainer.benchmark true --trainer.enable_progress_bar false 2>&1)
if printf '%s\n' "$out" | grep -q "deterministic=True"; then fail "benchmark alone does not warn"
else pass "benchmark alone does not warn"; fi

# estimated_stepping_batches (3 batches an epoch; trace_module prints it in configure_optimizers)
est() { # est WANT ARGS...: the value configure_optimizers saw
    want=$1; shift
    : > "$T"
    $FIT --model.trace "$T" --trainer.enable_progress_bar false --trainer.limit_val_batches 0 "$@" \
        > "$TMP/out.txt" 2>&1
    got=$(sed -n 's/.*estimated_stepping_batches=\(-*[0-9]*\).*/\1/p' "$T")
    if [ "$got" = "$want" ]; then pass "estimated_stepping_batches $* = $want"
    else fail "estimated_stepping_batches $* = $want (got '$got')"; fi
}
est 4 --trainer.max_epochs 4 --trainer.limit_train_batches 0.5 --trainer.accumulate_grad_batches 2
est 2 --trainer.max_epochs 2 --trainer.limit_train_batches 5 --trainer.accumulate_grad_batches 4
est 3 --trainer.max_epochs 5 --trainer.max_steps 3
est 15 --trainer.max_epochs 5 --trainer.max_steps 30
est 3 --trainer.max_epochs 0
est 0 --trainer.max_epochs 2 --trainer.limit_train_batches 0
est -1 --trainer.max_time 00:00:00:01
est 7 --trainer.max_epochs -1 --trainer.max_steps 7
est 2 --trainer.fast_dev_run 2

# README's flag table and --print-config agree: the same flags, the same defaults
awk -F'|' '/^\| `[a-z_]+` \|/ { gsub(/[ `"]/, "", $2); gsub(/[ `"]/, "", $3); print $2, $3 }' \
    "$top_srcdir/README.md" | sort > "$TMP/readme.txt"
$LTRUN fit --module m.so --data d.so --print-config=json |
    awk '/"trainer":/ { on = 1; next } on && /^\t}/ { on = 0 }
         on { gsub(/[\t",:]/, " "); print $1, $2 }' | sort > "$TMP/printed.txt"
if [ -s "$TMP/readme.txt" ] && diff -u "$TMP/readme.txt" "$TMP/printed.txt"; then
    pass "README's flag table = --print-config's flags and defaults"
else fail "README's flag table = --print-config's flags and defaults"; fi

# use_distributed_sampler: a bool that round-trips through --config and runs
# (on one process it changes nothing: the wrap needs world_size > 1, test_sampler.c)
$LTRUN fit --module m.so --data d.so --trainer.use_distributed_sampler false --print-config=json > "$TMP/u.json"
if grep -q '"use_distributed_sampler":[[:space:]]*false' "$TMP/u.json" &&
   $LTRUN fit --config "$TMP/u.json" --print-config=json | grep -q '"use_distributed_sampler":[[:space:]]*false' &&
   run --trainer.max_epochs 1 --trainer.limit_val_batches 0 --trainer.use_distributed_sampler false &&
   ! $LTRUN fit --module m.so --data d.so --trainer.use_distributed_sampler 3 --print-config > /dev/null 2>&1; then
    pass "use_distributed_sampler: false round-trips, runs; a non-bool is refused"
else fail "use_distributed_sampler: false round-trips, runs; a non-bool is refused"; cat "$TMP/out.txt"; fi
finish
