#!/bin/sh
# test_trainer_flags.sh — Trainer flags of Lightning 2.6, through ltrun itself:
# inference_mode (torch.inference_mode vs torch.no_grad around validate/test/predict),
# barebones (its refusals with Lightning's messages, and what it turns off),
# reload_dataloaders_every_n_epochs (the data module asked again every n epochs) and
# val_check_interval as a duration ("DD:HH:MM:SS" or a timedelta dict).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
D="$TMP/data.txt"
cd "$TMP" || exit 1
check() { # check NAME CONDITION...
    name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; tail -n 8 "$TMP/out.txt" | sed 's/^/    /'; fi
}
eq() { [ "$1" -eq "$2" ]; }
# fit ARGS...: the trace plugins (10 samples in batches of 4: 3 batches an epoch), the
# module's hooks in trace.txt and the data module's in data.txt, output in out.txt
fit() {
    : > "$T"
    : > "$D"
    "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
        --model.quiet true --data.trace_file "$D" --seed 1 --trainer.default_root_dir "$TMP/root" \
        "$@" > "$TMP/out.txt" 2>&1
}
steps() { grep -c "module.training_step" "$T"; }
vals() { grep -c "validation_step 0 sanity=0" "$T"; } # validation runs (their first batch)
sanity() { grep -c "sanity=1" "$T"; }
datasets() { grep -c "data.dataset $1" "$D"; }

# ---- inference_mode: torch.enable_grad() inside an eval step records nothing under
# torch.inference_mode (the default), and records under torch.no_grad (false)
probe() { # probe MODE: fit + test and predict with the probe module
    "$LTRUN" fit --module "$P/inference_probe.so" --data "$P/trace_data.so" \
        --data.trace_file /dev/null --trainer.max_epochs 1 --trainer.enable_progress_bar false \
        --trainer.default_root_dir "$TMP/ip" --trainer.inference_mode "$1" --test \
        --results "$TMP/ip_$1.json" > out.txt 2>&1 &&
        "$LTRUN" predict --module "$P/inference_probe.so" --data "$P/trace_data.so" \
            --data.trace_file /dev/null --trainer.default_root_dir "$TMP/ip" \
            --trainer.inference_mode "$1" > "$TMP/pred_$1.txt" 2>&1
}
probe true
check "inference_mode true: validation under inference mode (enable_grad records nothing)" \
    grep -q '"val/recorded":[[:space:]]*0' ip_true.json
check "inference_mode true: test under inference mode" grep -q '"test/recorded":[[:space:]]*0' ip_true.json
check "inference_mode true: predict under inference mode" eval \
    'grep -q "predict recorded=0" pred_true.txt && ! grep -q "predict recorded=1" pred_true.txt'
probe false
check "inference_mode false: validation under no_grad (enable_grad records)" \
    grep -q '"val/recorded":[[:space:]]*1' ip_false.json
check "inference_mode false: test under no_grad" grep -q '"test/recorded":[[:space:]]*1' ip_false.json
check "inference_mode false: predict under no_grad" eval \
    'grep -q "predict recorded=1" pred_false.txt && ! grep -q "predict recorded=0" pred_false.txt'
check "inference_mode: the same weights either way (training is untouched)" \
    eval '[ "$(weights_digest ip_true.json)" = "$(weights_digest ip_false.json)" ]'
expect "inference_mode takes a bool" 2 "trainer.inference_mode: expected true or false" -- \
    "$LTRUN" fit --trainer.inference_mode 3

# ---- barebones
fit --trainer.max_epochs 2 --trainer.barebones true
check "barebones: fit runs (2 epochs, 6 steps)" eval '[ "$(steps)" -eq 6 ]'
check "barebones: no sanity check" eq "$(sanity)" 0
check "barebones: no logger folder, no checkpoint (not even last.h5)" test ! -e "$TMP/root"
check "barebones: no progress bar, no model summary" eval \
    '! grep -q "Epoch 0" out.txt && ! grep -q "Total params" out.txt'
check "barebones: Lightning's notice of what it turned off" eval \
    'grep -q "You are running in \`Trainer(barebones=True)\` mode" out.txt &&
     grep -q " - Sanity checking: \`Trainer(num_sanity_val_steps>0)\`" out.txt &&
     grep -q "\`Trainer(barebones=True)\` started running. The progress bar is disabled" out.txt'
check "barebones: self.log is a no-op, warned once" eval \
    '[ "$(grep -c "You are trying to \`self.log()\` but \`Trainer(barebones=True)\` is configured" out.txt)" -eq 1 ]'
# each flag set against it is refused with Lightning's message, before anything runs
refused() { # refused FLAG VALUE REPR WHY
    rm -rf "$TMP/root"
    fit --trainer.barebones true --trainer."$1" "$2"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -qF "\`Trainer(barebones=True, $1=$3)\` was passed. $4" out.txt &&
       [ "$(steps)" -eq 0 ] && [ ! -e "$TMP/root" ]; then
        pass "barebones refuses $1=$3"
    else fail "barebones refuses $1=$3 (exit $rc)"; tail -n 2 out.txt | sed 's/^/    /'; fi
}
refused enable_checkpointing true True "Checkpointing can impact raw speed so it is disabled in barebones mode."
refused logger true True "Logging can impact raw speed so it is disabled in barebones mode."
refused enable_progress_bar true True "The progress bar can impact raw speed so it is disabled in barebones mode."
refused log_every_n_steps 5 5 "Logging can impact raw speed so it is disabled in barebones mode."
refused enable_model_summary true True "Model summary can impact raw speed so it is disabled in barebones mode."
refused num_sanity_val_steps 2 2 "Sanity checking can impact raw speed so it is disabled in barebones mode."
refused fast_dev_run true True "Development run is not meant for raw speed evaluation so it is disabled in barebones mode."
refused detect_anomaly true True "Anomaly detection can impact raw speed so it is disabled in barebones mode."
refused profiler simple "'simple'" "Profiling can impact raw speed so it is disabled in barebones mode."
fit --trainer.barebones true --logger csv
check "barebones refuses a --logger" grep -q "\`Trainer(barebones=True, logger=" out.txt
fit --trainer.max_epochs 1 --trainer.barebones true --trainer.enable_checkpointing false \
    --trainer.logger false --trainer.log_every_n_steps 0 --trainer.num_sanity_val_steps 0 \
    --trainer.enable_progress_bar false --trainer.fast_dev_run 0 --trainer.profiler null
check "barebones takes the values it would set itself (False, 0, None)" eq "$(steps)" 3
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --trainer.barebones true \
    --print-config > bb.yaml 2> /dev/null
"$LTRUN" fit --config bb.yaml --print-config > bb2.yaml 2> /dev/null
check "barebones: --print-config shows the flags it turns off as None, and reads back" eval \
    'grep -q "^  enable_checkpointing: null$" bb.yaml && grep -q "^  barebones: true$" bb.yaml && cmp -s bb.yaml bb2.yaml'
fit --trainer.max_epochs 1
check "without barebones: the sanity check and the logger folder are there" eval \
    '[ "$(sanity)" -gt 0 ] && [ -d "$TMP/root/lightning_logs" ]'

# ---- reload_dataloaders_every_n_epochs: the data module's dataset hook asked again
fit --trainer.max_epochs 4 --trainer.enable_progress_bar false
check "reload 0 (the default): each split's dataset asked once" eval \
    '[ "$(datasets train)" -eq 1 ] && [ "$(datasets val)" -eq 1 ]'
fit --trainer.max_epochs 4 --trainer.enable_progress_bar false --trainer.reload_dataloaders_every_n_epochs 1
check "reload 1: train asked at epochs 0-3, val at the sanity check and epochs 1-3 (4 each)" eval \
    '[ "$(datasets train)" -eq 4 ] && [ "$(datasets val)" -eq 4 ] && [ "$(steps)" -eq 12 ] && [ "$(vals)" -eq 4 ]'
fit --trainer.max_epochs 4 --trainer.enable_progress_bar false --trainer.reload_dataloaders_every_n_epochs 2
check "reload 2: asked at epochs 0 and 2" eval '[ "$(datasets train)" -eq 2 ] && [ "$(datasets val)" -eq 2 ]'
fit --trainer.max_epochs 3 --trainer.enable_progress_bar false --trainer.reload_dataloaders_every_n_epochs 1 \
    --trainer.num_sanity_val_steps 0
check "reload 1 without a sanity check: val first built for epoch 0's validation, then 2 reloads" \
    eval '[ "$(datasets val)" -eq 3 ] && [ "$(datasets train)" -eq 3 ]'
fit --trainer.max_epochs 3 --trainer.enable_progress_bar false --trainer.reload_dataloaders_every_n_epochs 1 \
    --trainer.check_val_every_n_epoch 2
check "reload 1, sanity check outside a validation epoch: val reloaded at its first validation" \
    eval '[ "$(datasets val)" -eq 2 ] && [ "$(vals)" -eq 1 ]'
# a data module that grows its data with the epoch (a curriculum): 8, 12, 16 samples
TRACE_GROW_PER_EPOCH=4 fit --trainer.max_epochs 3 --data.length 8 --trainer.enable_progress_bar false \
    --trainer.reload_dataloaders_every_n_epochs 1
check "reload 1: each epoch trains on the dataset asked for it (2 + 3 + 4 batches)" eq "$(steps)" 9
check "reload 1: each validation runs the val dataset asked for it (2 + 3 + 4 batches)" \
    eq "$(grep -c 'validation_step .* sanity=0' "$T")" 9
TRACE_GROW_PER_EPOCH=4 fit --trainer.max_epochs 3 --data.length 8 --trainer.enable_progress_bar false
check "reload 0: the first dataset all along (3 x 2 batches)" eq "$(steps)" 6
expect "reload_dataloaders_every_n_epochs must be >= 0" 2 \
    "trainer.reload_dataloaders_every_n_epochs: must be >= 0, got -1" -- \
    "$LTRUN" fit --trainer.reload_dataloaders_every_n_epochs -1

# ---- val_check_interval as a duration (Lightning 2.6): validation once that much wall
# time passed since the last one; the epoch's end is no trigger of its own
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --trainer.val_check_interval 00:00:00:00
check "val_check_interval 00:00:00:00: validation after every batch" eval '[ "$(vals)" -eq 6 ] && [ "$(steps)" -eq 6 ]'
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --trainer.val_check_interval 01:00:00:00
check "val_check_interval one day: no validation in a short fit, not even at epoch end" eq "$(vals)" 0
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --trainer.val_check_interval '{"seconds": 0}'
check "val_check_interval as a timedelta dict" eq "$(vals)" 6
printf 'trainer:\n  val_check_interval: 00:00:00:00\n  check_val_every_n_epoch: 2\n' > vt.yaml
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --config vt.yaml
check "a duration from a YAML config, within check_val_every_n_epoch 2 (epoch 1's 3 batches)" eq "$(vals)" 3
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --trainer.val_check_interval 00:00:00:00 \
    --trainer.check_val_every_n_epoch null
check "a duration goes with check_val_every_n_epoch null" eq "$(vals)" 6
fit --trainer.enable_progress_bar false --trainer.val_check_interval 00:00:00:00 --trainer.fast_dev_run 2
check "fast_dev_run drops the duration (validation at the epoch's end only)" eq "$(vals)" 1
expect "a duration of three parts: Lightning's message" 2 \
    "Invalid time format for \`val_check_interval\`: '1:2:3'. Expected 'DD:HH:MM:SS'." -- \
    "$LTRUN" fit --trainer.val_check_interval 1:2:3
expect "a duration with a non-integer part: Lightning's message" 2 \
    "Non-integer component in \`val_check_interval\` string: '0:0:a:0'. Use 'DD:HH:MM:SS'." -- \
    "$LTRUN" fit --trainer.val_check_interval 0:0:a:0
expect "a dict with a key timedelta does not take" 2 \
    "'secs' is an invalid keyword argument for timedelta()" -- \
    "$LTRUN" fit --trainer.val_check_interval '{"secs": 1}'
"$LTRUN" fit --module m.so --data d.so --trainer.val_check_interval 00:00:30:00 --print-config > vci.yaml 2> /dev/null
"$LTRUN" fit --config vci.yaml --print-config > vci2.yaml 2> /dev/null
check "a duration prints as given and reads back" eval \
    'grep -q "^  val_check_interval: 00:00:30:00$" vci.yaml && cmp -s vci.yaml vci2.yaml'
# ModelCheckpoint with a duration saves after validation, not at the train epoch's end
fit --trainer.max_epochs 2 --trainer.enable_progress_bar false --trainer.val_check_interval 00:00:00:00 \
    --callback model_checkpoint:'{"monitor": "step", "mode": "max", "save_top_k": -1, "filename": "s{step}"}'
check "ModelCheckpoint with a duration saves after each validation (6 files)" \
    eq "$(ls "$TMP"/root/lightning_logs/version_*/checkpoints/s*.h5 2> /dev/null | wc -l)" 6
finish
