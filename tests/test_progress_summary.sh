#!/bin/sh
# test_progress_summary.sh — the progress_bar (TQDMProgressBar) and model_summary
# (ModelSummary) callback plugins: plain lines off a terminal and their
# metrics, refresh_rate, the live line on a terminal (through script(1) when present),
# the built-in bar / table replaced (never drawn twice), Lightning's misconfiguration
# errors, max_depth 1 / 2 / 0 / -1, unknown keys. The example MLP on 250 generated
# samples of batch 16 = 16 batches an epoch; the conv autoencoder for nested names.
. "${top_srcdir:-.}/tests/lib.sh"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
export XDG_DATA_HOME="$TMP/xdg"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 300 100 gzip >/dev/null || { echo "make_idx failed"; exit 1; }
OUT="$TMP/out.txt"
MLP="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 50 --seed 1
     --trainer.logger false --trainer.max_epochs 1 --data.batch_size 16
     --trainer.enable_model_summary false"
AE="--module $EX/autoencoder.so --data $EX/mnist.so --data.data_dir $D --data.val_size 50
    --seed 1 --trainer.logger false --trainer.max_epochs 1 --trainer.limit_train_batches 1
    --trainer.limit_val_batches 1 --trainer.num_sanity_val_steps 0
    --trainer.enable_progress_bar false"
W="$TMP/work"
mkdir -p "$W"
run() { (cd "$W" && "$LTRUN" "$@") > "$OUT" 2>&1; }
# the bar lines without their times and rates: "Epoch 0:  50%|##########          | 8/16"
bars() { grep -E "^$1: " "$OUT" | sed 's/ \[.*//'; }

# ---------------------------------------------------------------- progress_bar
# shellcheck disable=SC2086
run fit $MLP --test
builtin_lines=$(bars 'Epoch 0'; bars Testing)
# shellcheck disable=SC2086
run fit $MLP --test --callback progress_bar
plugin_lines=$(bars 'Epoch 0'; bars Testing)
if [ -n "$plugin_lines" ] && [ "$plugin_lines" = "$builtin_lines" ] &&
   [ "$(grep -c '^Epoch 0: 100%' "$OUT")" -eq 1 ] && [ "$(grep -c '^Testing: 100%' "$OUT")" -eq 1 ]
then pass "progress_bar: non-TTY lines as the built-in's, the built-in not drawn too"
else fail "progress_bar: non-TTY lines"; printf '%s\n---\n%s\n' "$builtin_lines" "$plugin_lines"; cat "$OUT"; fi
last=$(grep '^Epoch 0: 100%' "$OUT")
if printf '%s' "$last" | grep -qE '16/16 \[[0-9:]+<[0-9:]+, [0-9.]+it/s, train/loss_step=[0-9.]+, val/loss=[0-9.]+, val/acc=[0-9.]+, train/loss_epoch=[0-9.]+\]$' &&
   ! grep -q '^Validation' "$OUT" && ! grep -q '^Sanity Checking' "$OUT"
then pass "progress_bar: it/s, ETA and the progress_bar_metrics; no eval bar inside fit off a TTY"
else fail "progress_bar: metrics"; cat "$OUT"; fi
# shellcheck disable=SC2086
run fit $MLP --callback progress_bar:'{"refresh_rate": 4}'
if [ "$(bars 'Epoch 0' | sed 's/.*| //' | tr '\n' ' ')" = "4/16 8/16 12/16 16/16 " ]
then pass "progress_bar: refresh_rate 4 draws every 4th batch"
else fail "progress_bar: refresh_rate 4"; cat "$OUT"; fi
# shellcheck disable=SC2086
run fit $MLP --callback progress_bar:'{"refresh_rate": 0}'
if [ $? -eq 0 ] && ! grep -q '^Epoch' "$OUT"; then pass "progress_bar: refresh_rate 0 disables it"
else fail "progress_bar: refresh_rate 0"; cat "$OUT"; fi
# shellcheck disable=SC2086
expect "progress_bar: enable_progress_bar false with the callback is Lightning's error" 2 \
    "Trainer was configured with \`enable_progress_bar=False\` but found \`progress_bar\` in callbacks list" -- \
    "$LTRUN" fit $MLP --trainer.enable_progress_bar false --callback progress_bar
# shellcheck disable=SC2086
expect "progress_bar: two progress bars are an error" 2 \
    "You added multiple progress bar callbacks to the Trainer, but currently only one progress bar is supported" -- \
    "$LTRUN" fit $MLP --callback progress_bar --callback progress_bar
# shellcheck disable=SC2086
expect "progress_bar: an unknown key names plugin and key" 2 "progress_bar.*refresh" -- \
    "$LTRUN" fit $MLP --callback progress_bar:'{"refresh": 2}'
# shellcheck disable=SC2086
expect "progress_bar: a negative refresh_rate" 1 "progress_bar: refresh_rate must be >= 0" -- \
    "$LTRUN" fit $MLP --callback progress_bar:'{"refresh_rate": -1}'
# predict and validate draw their bars off a TTY (standalone stages)
# shellcheck disable=SC2086
run validate $MLP --callback progress_bar
if [ "$(grep -c '^Validation: 100%' "$OUT")" -eq 1 ]; then pass "progress_bar: validate's bar"
else fail "progress_bar: validate's bar"; cat "$OUT"; fi

# the live line on a terminal: script(1) gives the run a pty
if command -v script >/dev/null 2>&1 && script -qc true /dev/null >/dev/null 2>&1; then
    CR=$(printf '\r')
    ESC=$(printf '\033')
    # shellcheck disable=SC2086
    (cd "$W" && script -qc "$LTRUN fit $(echo $MLP) --test --callback progress_bar:'{\"leave\": true}'" /dev/null) \
        > "$OUT" 2>&1 </dev/null
    # redraws in place: "\r\033[K" before each drawing; the sanity bar is cleared (no
    # newline after it); the finished epoch (leave) and the test bar end with a newline
    if grep -q "${CR}${ESC}\[KEpoch 0:   6%|#  *| 1/16" "$OUT" &&
       grep -q "${CR}${ESC}\[KSanity Checking: 100%" "$OUT" &&
       ! grep -q "Sanity Checking: 100%[^$CR]*\]$CR\$" "$OUT" &&
       grep -q "Epoch 0: 100%.*train/loss_epoch=[0-9.]*\]$CR\$" "$OUT" &&
       grep -q "Testing: 100%|#*| 7/7 .*it/s\]$CR\$" "$OUT" &&
       [ "$(tr "$CR" '\n' < "$OUT" | grep -c 'Testing: 100%')" -eq 1 ]
    then pass "progress_bar: a live line per stage on a TTY (script -qc)"
    else fail "progress_bar: TTY"; od -c "$OUT" | head -40; fi
else
    skip "progress_bar: TTY mode" "script(1) not available"
fi

# ---------------------------------------------------------------- model_summary
# shellcheck disable=SC2086
run fit $AE --trainer.enable_model_summary true
builtin_table=$(sed -n '/| Name/,/Modules in eval mode/p' "$OUT")
# shellcheck disable=SC2086
run fit $AE --callback model_summary
table=$(sed -n '/| Name/,/Modules in eval mode/p' "$OUT")
if [ -n "$table" ] && [ "$table" = "$builtin_table" ] && [ "$(grep -c 'Trainable params' "$OUT")" -eq 1 ] &&
   grep -qE '^0 \| encoder +\| Module +\| 4.8 K  \| train$' "$OUT" && ! grep -q 'encoder\.0' "$OUT"
then pass "model_summary: max_depth 1 is the built-in table, printed once"
else fail "model_summary: depth 1"; printf '%s\n---\n' "$builtin_table"; cat "$OUT"; fi
# shellcheck disable=SC2086
run fit $AE --callback model_summary:'{"max_depth": 2}'
want='0 | encoder | Module | 4.8 K  | train
1 | encoder.0 | Conv2d | 160    | train
2 | encoder.2 | Conv2d | 4.6 K  | train
3 | decoder | Module | 4.8 K  | train
4 | decoder.0 | ConvTranspose2d | 4.6 K  | train
5 | decoder.2 | ConvTranspose2d | 145    | train'
got=$(sed -n '/| Name/,/Trainable/p' "$OUT" | grep -E '^[0-9]+ \|' | tr -s ' ')
if [ "$got" = "$(printf '%s\n' "$want" | tr -s ' ')" ] && grep -q '^9.6 K     Total params$' "$OUT"
then pass "model_summary: max_depth 2 lists the nested layers under their parents"
else fail "model_summary: depth 2"; cat "$OUT"; fi
d2=$got
# shellcheck disable=SC2086
run fit $AE --callback model_summary:'{"max_depth": -1}'
got=$(sed -n '/| Name/,/Trainable/p' "$OUT" | grep -E '^[0-9]+ \|' | tr -s ' ')
if [ "$got" = "$d2" ]; then pass "model_summary: max_depth -1 lists all layers"
else fail "model_summary: depth -1"; cat "$OUT"; fi
# shellcheck disable=SC2086
run fit $AE --callback model_summary:'{"max_depth": 0}'
if [ $? -eq 0 ] && ! grep -q 'Trainable params' "$OUT"; then pass "model_summary: max_depth 0 prints nothing (nor the built-in)"
else fail "model_summary: depth 0"; cat "$OUT"; fi
# Lightning: enable_model_summary=False does not stop a given ModelSummary callback
# shellcheck disable=SC2086
run fit $AE --trainer.enable_model_summary false --callback model_summary
if [ $? -eq 0 ] && [ "$(grep -c 'Trainable params' "$OUT")" -eq 1 ]
then pass "model_summary: runs with enable_model_summary false (no error in Lightning)"
else fail "model_summary: with enable_model_summary false"; cat "$OUT"; fi
# shellcheck disable=SC2086
expect "model_summary: an unknown key names plugin and key" 2 "model_summary.*depth" -- \
    "$LTRUN" fit $AE --callback model_summary:'{"depth": 2}'

finish
