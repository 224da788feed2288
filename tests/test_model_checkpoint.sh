#!/bin/sh
# test_model_checkpoint.sh — the model_checkpoint callback plugin (Lightning's
# ModelCheckpoint) through `ltrun fit`: top-k with min/max, filename templates,
# save_last (true / link / off, and the trainer's own last.h5 only without the callback),
# every_n_epochs, every_n_train_steps, train_time_interval, save_weights_only, the version
# counter, state surviving resume, `--ckpt-path best` for test, and configuration errors.
# The module (tests/plugins/cb_module.c) logs the val_loss sequence chosen per test; 10
# samples of batch 4 = 3 batches (optimizer steps) an epoch.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
export XDG_DATA_HOME="$TMP/xdg"
OUT="$TMP/out.txt"
W=""
# fit DIR ARGS...: a fit of cb_module in the fresh or existing folder DIR
fit() {
    W="$TMP/$1"
    shift
    mkdir -p "$W"
    (cd "$W" && "$LTRUN" fit --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false "$@") > "$OUT" 2>&1
}
# files: the .h5 files under $W/checkpoints, relative, sorted, on one line
files() { (cd "$W/checkpoints" 2>/dev/null && find . -name '*.h5' | sed 's|^\./||' | sort | tr '\n' ' '); }
check_files() { # NAME EXPECTED
    got=$(files)
    if [ "$got" = "$2" ]; then pass "$1"
    else fail "$1: got '$got', expected '$2'"; sed 's/^/    /' "$OUT" | tail -n 8; fi
}
MC=model_checkpoint

# ---------------------------------------------------------------- top-k
# val_loss by epoch 5 3 4 1 2: the two lowest are epochs 3 and 4 (0, 1, 2 deleted)
fit k1 --trainer.max_epochs 5 --model.val_seq '"5,3,4,1,2"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": 2, "filename": "{epoch}-{val_loss:.2f}", "verbose": true}'
check_files "save_top_k 2, mode min: files falling out of the top k are deleted" \
    "epoch=3-val_loss=1.00.h5 epoch=4-val_loss=2.00.h5 "
if grep -qx "Epoch 3, global step 12: 'val_loss' reached 1.00000 (best 1.00000), saving model to '$W/checkpoints/epoch=3-val_loss=1.00.h5' as top 2" "$OUT"
then pass "verbose: Lightning's 'reached ... as top k' message"
else fail "verbose message"; cat "$OUT"; fi
fit k2 --trainer.max_epochs 5 --model.val_seq '"5,3,4,1,2"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": 2, "mode": "max", "filename": "{epoch}-{val_loss:.2f}", "verbose": true}'
check_files "save_top_k 2, mode max" "epoch=0-val_loss=5.00.h5 epoch=2-val_loss=4.00.h5 "
if grep -qx "Epoch 3, global step 12: 'val_loss' was not in top 2" "$OUT"; then
    pass "verbose: 'was not in top k'"
else fail "verbose 'was not in top k'"; cat "$OUT"; fi
fit k3 --trainer.max_epochs 3 --model.val_seq '"5,3,4"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": -1}'
check_files "save_top_k -1 keeps every file (default filename {epoch}-{step})" \
    "epoch=0-step=3.h5 epoch=1-step=6.h5 epoch=2-step=9.h5 "
fit k4 --trainer.max_epochs 3 --model.val_seq '"5,3,4"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": 0}'
check_files "save_top_k 0 saves nothing (and the trainer writes no last.h5)" ""
fit k5 --trainer.max_epochs 3 --callback "$MC"
check_files "no monitor, save_top_k 1: only the latest epoch's file" "epoch=2-step=9.h5 "
# ties: Lightning's top-k keeps the earlier file (torch.lt is strict)
fit k6 --trainer.max_epochs 3 --model.val_seq '"2,2,2"' \
    --callback "$MC"':{"monitor": "val_loss", "filename": "{epoch}"}'
check_files "an equal score does not displace the kept model" "epoch=0.h5 "

# ---------------------------------------------------------------- filenames
fit f1 --trainer.max_epochs 2 --model.val_seq '"5,3"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": -1, "auto_insert_metric_name": false, "filename": "e{epoch:02d}_s{step:03d}_{val_loss:.1f}_{val_loss}"}'
check_files "auto_insert_metric_name false; format specs 02d, 03d, .1f, repr" \
    "e00_s003_5.0_5.0.h5 e01_s006_3.0_3.0.h5 "
# a '/' in a metric name stays a '/' (a subfolder, as in Lightning); a missing key is 0
fit f2 --trainer.max_epochs 1 \
    --callback "$MC"':{"filename": "{epoch}-{val/loss:.2f}"}'
check_files "'/' in a metric name makes a subfolder; a missing metric formats as 0" \
    "epoch=0-val/loss=0.00.h5 "

# ---------------------------------------------------------------- save_last
fit l1 --trainer.max_epochs 2 --model.val_seq '"5,3"' \
    --callback "$MC"':{"monitor": "val_loss", "save_last": true, "filename": "{epoch}"}'
check_files "save_last true: last.h5 beside the top-k file" "epoch=1.h5 last.h5 "
expect "save_last: last.h5 is the final step" 0 "global_step: 6" -- \
    $LTRUN inspect "$W/checkpoints/last.h5"
fit l2 --trainer.max_epochs 2 --model.val_seq '"5,3"' \
    --callback "$MC"':{"monitor": "val_loss", "save_last": "link", "filename": "{epoch}"}'
if [ -L "$W/checkpoints/last.h5" ] && [ "$(readlink "$W/checkpoints/last.h5")" = "epoch=1.h5" ]
then pass "save_last \"link\": last.h5 links to the last saved file"
else fail "save_last link"; ls -l "$W/checkpoints"; fi
# without the callback: Lightning's default ModelCheckpoint() saves every epoch's end
# (the latest kept, epoch=E-step=S), and the trainer keeps its own last.h5 for resuming
fit l3 --trainer.max_epochs 1
check_files "no model_checkpoint: the default ModelCheckpoint's file and the trainer's last.h5" \
    "epoch=0-step=3.h5 last.h5 "
fit l4 --trainer.max_epochs 3
check_files "the default ModelCheckpoint keeps the latest epoch's file (save_top_k 1)" \
    "epoch=2-step=9.h5 last.h5 "
expect "the default ModelCheckpoint's state is in the checkpoint" 0 "model_checkpoint/state/best_model_path" -- \
    $LTRUN inspect "$W/checkpoints/epoch=2-step=9.h5"
fit l5 --trainer.max_epochs 1 --trainer.enable_checkpointing false
check_files "enable_checkpointing false: no default ModelCheckpoint" ""

# ---------------------------------------------------------------- triggers
fit t1 --trainer.max_epochs 5 --callback "$MC"':{"every_n_epochs": 2, "save_top_k": -1}'
check_files "every_n_epochs 2" "epoch=1-step=6.h5 epoch=3-step=12.h5 "
fit t2 --trainer.max_epochs 2 --callback "$MC"':{"every_n_train_steps": 2, "save_top_k": -1}'
check_files "every_n_train_steps 2 (on global_step, not at epoch end)" \
    "epoch=0-step=2.h5 epoch=1-step=4.h5 epoch=1-step=6.h5 "
fit t3 --trainer.max_epochs 1 --model.sleep_ms 40 \
    --callback "$MC"':{"train_time_interval": 0.03, "save_top_k": -1}'
check_files "train_time_interval: saved after each batch that took longer" \
    "epoch=0-step=1.h5 epoch=0-step=2.h5 epoch=0-step=3.h5 "
# save_on_train_epoch_end false with validation every other epoch: saves after validation
fit t4 --trainer.max_epochs 4 --trainer.check_val_every_n_epoch 2 --model.val_seq '"5,4,3,2"' \
    --callback "$MC"':{"monitor": "val_loss", "save_top_k": -1, "filename": "{epoch}-{val_loss:.0f}"}'
check_files "check_val_every_n_epoch 2: saved after each validation" \
    "epoch=1-val_loss=4.h5 epoch=3-val_loss=2.h5 "

# every_n_train_steps monitoring a validation metric (Lightning issue #20185's scenario):
# 32 samples = 8 batches an epoch, validation every 4 batches logging val_loss = seq[step].
# Step 4's save finds no val_loss yet and step 8's would see step 4's value: Lightning 2.6
# defers both to on_validation_end, so each file carries its own step's value.
fit t5 --trainer.max_epochs 1 --data.length 32 --trainer.val_check_interval 4 \
    --trainer.num_sanity_val_steps 0 --model.val_seq '"step:9,9,9,9,1.5562,9,9,9,0.9718"' \
    --callback "$MC"':{"monitor": "val_loss", "every_n_train_steps": 4, "save_top_k": -1, "filename": "{step}-{val_loss:.4f}"}'
check_files "every_n_train_steps + validation monitor: saves wait for fresh metrics" \
    "step=4-val_loss=1.5562.h5 step=8-val_loss=0.9718.h5 "
grep -q "could not find the monitored key" "$OUT" && fail "deferred save: no missing-key warning" ||
    pass "deferred save: no missing-key warning"

# ---------------------------------------------------------------- weights only
fit w1 --trainer.max_epochs 1 --callback "$MC"':{"save_weights_only": true}'
expect "save_weights_only: the file is weights-only" 0 "weights_only: 1" -- \
    $LTRUN inspect "$W/checkpoints/epoch=0-step=3.h5"
if $LTRUN inspect "$W/checkpoints/epoch=0-step=3.h5" | grep -q "optimizer 0"; then
    fail "save_weights_only: no optimizer state"
else pass "save_weights_only: no optimizer state"; fi

# ---------------------------------------------------------------- version counter
fit v1 --trainer.max_epochs 1 --callback "$MC"':{"save_last": true}'
fit v1 --trainer.max_epochs 1 --callback "$MC"':{"save_last": true}'
grep -q "Checkpoint directory $W/checkpoints exists and is not empty." "$OUT"; warned=$?
check_files "enable_version_counter: a second run gets -v1 names" \
    "epoch=0-step=3-v1.h5 epoch=0-step=3.h5 last-v1.h5 last.h5 "
[ "$warned" -eq 0 ] && pass "'exists and is not empty' warning" || fail "non-empty dir warning"
fit v2 --trainer.max_epochs 1 --callback "$MC"':{"enable_version_counter": false}'
fit v2 --trainer.max_epochs 1 --callback "$MC"':{"enable_version_counter": false}'
check_files "enable_version_counter false: the name is overwritten" "epoch=0-step=3.h5 "

# ---------------------------------------------------------------- resume and best
# 5 1 4 | 3 2: the resumed run keeps epoch 1 (1.0) as the best; without the restored
# state it would have saved epoch 3 (3.0) as a new top 1
CB="$MC"':{"monitor": "val_loss", "save_last": true, "filename": "{epoch}-{val_loss:.1f}"}'
fit r1 --trainer.max_epochs 3 --model.val_seq '"5,1,4,3,2"' --callback "$CB"
fit r1 --trainer.max_epochs 5 --model.val_seq '"5,1,4,3,2"' --callback "$CB" --ckpt-path last
if grep -q "Restoring states from the checkpoint path at $W/checkpoints/last.h5" "$OUT"; then
    pass "--ckpt-path last resolves to the callback's last_model_path"
else fail "--ckpt-path last"; cat "$OUT"; fi
check_files "resume: best_k_models / best_model_path survive (no new top 1)" \
    "epoch=1-val_loss=1.0.h5 last.h5 "
expect "resume: the final last.h5 is epoch 4" 0 "global_step: 15" -- \
    $LTRUN inspect "$W/checkpoints/last.h5"
# ltrun test --ckpt-path best in a new process loads epoch=1's weights
run_test() { (cd "$W" && "$LTRUN" test --module "$P/cb_module.so" --data "$P/trace_data.so" \
    --trainer.logger false --trainer.enable_progress_bar false "$@") > "$OUT" 2>&1; }
run_test --ckpt-path "$W/checkpoints/epoch=1-val_loss=1.0.h5"
want=$(grep 'test_wsum' "$OUT")
run_test --ckpt-path last
other=$(grep 'test_wsum' "$OUT")
run_test --ckpt-path best --callback "$CB"
rc=$?
got=$(grep 'test_wsum' "$OUT")
if [ "$rc" -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && [ "$got" != "$other" ] &&
   grep -q "Restoring states from the checkpoint path at $W/checkpoints/epoch=1-val_loss=1.0.h5" "$OUT"
then pass "ltrun test --ckpt-path best loads best_model_path"
else fail "test --ckpt-path best: rc $rc, '$got' vs '$want' (last: '$other')"; cat "$OUT"; fi
expect "--ckpt-path best without model_checkpoint: an error naming ModelCheckpoint" 2 \
    'ModelCheckpoint. is not configured' -- \
    sh -c "cd '$W' && '$LTRUN' test --module '$P/cb_module.so' --data '$P/trace_data.so' --trainer.logger false --ckpt-path best"
mkdir -p "$TMP/empty"
expect "--ckpt-path best before any save: best_model_path is empty" 2 'best_model_path is empty' -- \
    sh -c "cd '$TMP/empty' && '$LTRUN' test --module '$P/cb_module.so' --data '$P/trace_data.so' --trainer.logger false --ckpt-path best --callback '$MC'"

# ---------------------------------------------------------------- errors
fit e1 --trainer.max_epochs 1 --callback "$MC"':{"save_top_k": 3}'
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'ModelCheckpoint(save_top_k=3, monitor=None) is not a valid configuration' "$OUT"
then pass "save_top_k 3 without monitor is refused"; else fail "save_top_k without monitor"; cat "$OUT"; fi
fit e2 --trainer.max_epochs 1 --callback "$MC"':{"every_n_epochs": 2, "every_n_train_steps": 2}'
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'should be mutually exclusive' "$OUT"
then pass "every_n_epochs and every_n_train_steps are mutually exclusive"; else fail "triggers exclusive"; cat "$OUT"; fi
fit e3 --trainer.max_epochs 1 --callback "$MC"':{"dirpth": "x"}'
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'dirpth' "$OUT"
then pass "an unknown key is refused, naming it"; else fail "unknown key"; cat "$OUT"; fi
fit e4 --trainer.max_epochs 2 --callback "$MC"':{"monitor": "val_acc"}'
rc=$?
if [ "$rc" -ne 0 ] && grep -q "ModelCheckpoint(monitor='val_acc')\` could not find the monitored key" "$OUT"
then pass "a missing monitor after validation ran is an error"; else fail "missing monitor"; cat "$OUT"; fi
fit e5 --trainer.max_epochs 1 --callback "$MC"':{"dirpath": "out/ck", "mode": "maximum"}'
rc=$?
if [ "$rc" -ne 0 ] && grep -q '`mode` can be min, max, got maximum' "$OUT"
then pass "a bad mode is refused"; else fail "bad mode"; cat "$OUT"; fi
# filename format specs: Python's mini-language; a spec's type never reaches a printf format
# ({step:s} crashed, {step:n} was a %n write, a huge width overflowed int)
fit s1 --trainer.max_epochs 1 --model.val_seq '"5"' \
    --callback "$MC"':{"monitor": "val_loss", "filename": "{epoch:03d}-{val_loss:+.3e}-{step:*>5}-{x:_}-{val_loss:.1%}"}'
check_files "format specs: fill/align, sign, exponent, grouping, percent" \
    "epoch=000-val_loss=+5.000e+00-step=****3-x=0-val_loss=500.0%.h5 "
for spec in 's' 'n' '999999999d' '%n%n%n' '.2' 'x<5s'; do
    fit s2 --trainer.max_epochs 1 --callback "$MC"':{"filename": "{step:'"$spec"'}"}'
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "model_checkpoint: filename '{step:$spec}': field '{step:$spec}': " "$OUT" &&
       [ -z "$(files)" ]
    then pass "filename {step:$spec} is refused at create, naming the template and the field"
    else fail "filename {step:$spec}: rc $rc"; tail -n 3 "$OUT"; fi
done
fit s3 --trainer.max_epochs 1 --model.val_seq '"5"' --callback "$MC"':{"monitor": "val_loss", "filename": "{val_loss:d}"}'
rc=$?
if [ "$rc" -eq 1 ] && grep -q "filename '{val_loss:d}': field '{val_loss:d}': Unknown format code 'd' for object of type 'float'" "$OUT"
then pass "a float metric with 'd' is Python's ValueError, naming the template"
else fail "float with d: rc $rc"; tail -n 3 "$OUT"; fi
fit d1 --trainer.max_epochs 1 --callback "$MC"':{"dirpath": "out/ck"}'
if [ -f "$W/out/ck/epoch=0-step=3.h5" ]; then pass "dirpath (relative to the working directory)"
else fail "dirpath"; cat "$OUT"; fi

finish
