#!/bin/sh
# test_checkpoint.sh — HDF5 checkpoints through `ltrun`: last.h5 at the end of fit, exact
# resume (--ckpt-path last / a file) at an epoch boundary and mid-epoch (max_steps, and
# SIGTERM), schedulers resumed, weights-only loading for validate, refusals of broken
# files (exit non-zero, message naming the file), --strict, `ltrun inspect` (+ --json),
# and reading a checkpoint with h5dump when hdf5-tools is installed.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
# 500 training samples in batches of 128: 4 batches an epoch
# --trainer.logger false: checkpoints in default_root_dir/checkpoints (with a logger they go to
# its new lightning_logs/version_N, so a new process's `--ckpt-path last` would not see them)
RUN="$LTRUN fit --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --trainer.logger false
     --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false"
VAL="$LTRUN validate --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --seed 1 --trainer.logger false
     --trainer.enable_progress_bar false"

# the straight run: 3 epochs
expect "fit writes last.h5" 0 "" -- $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/a" \
    --results "$TMP/a.json"
if [ -s "$TMP/a/checkpoints/last.h5" ]; then pass "last.h5 exists"; else fail "last.h5 exists"; fi
ls "$TMP/a/checkpoints" | grep -q tmp && fail "no temporary file left" || pass "no temporary file left"
expect "enable_checkpointing false writes none" 0 "" -- $RUN --trainer.max_epochs 1 \
    --trainer.default_root_dir "$TMP/none" --trainer.enable_checkpointing false
if [ ! -e "$TMP/none/checkpoints/last.h5" ]; then pass "no last.h5 without checkpointing"
else fail "no last.h5 without checkpointing"; fi

# epoch boundary: 1 epoch, then resume to 3
$RUN --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/b" > /dev/null 2>&1
expect "resume from last" 0 "Restoring states from the checkpoint path at .*last.h5" -- \
    $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/b" --ckpt-path last --results "$TMP/b.json"
same_digest "resume at an epoch boundary: identical weights" "$TMP/a.json" "$TMP/b.json"

# mid-epoch: stop at step 6 (epoch 1, batch 2), resume to 3 epochs
$RUN --trainer.max_epochs 3 --trainer.max_steps 6 --trainer.default_root_dir "$TMP/c" > /dev/null 2>&1
expect "inspect shows the mid-epoch resume point" 0 "batch_idx: 2" -- $LTRUN inspect "$TMP/c/checkpoints/last.h5"
cp "$TMP/c/checkpoints/last.h5" "$TMP/step6.h5"
expect "resume mid-epoch from a file" 0 "" -- $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/c" \
    --ckpt-path "$TMP/step6.h5" --results "$TMP/c.json"
same_digest "resume mid-epoch (max_steps 6 -> 3 epochs): identical weights" "$TMP/a.json" "$TMP/c.json"
# and a second stop inside the same run of resumes: 6 -> 9 -> end
$RUN --trainer.max_epochs 3 --trainer.max_steps 9 --trainer.default_root_dir "$TMP/c" --ckpt-path "$TMP/step6.h5" \
    > /dev/null 2>&1
$RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/c" --ckpt-path last --results "$TMP/c2.json" > /dev/null 2>&1
same_digest "two resumes (6 -> 9 -> 12 steps): identical weights" "$TMP/a.json" "$TMP/c2.json"

# trainer.save_checkpoint from a callback (lt_save_checkpoint) at the end of epoch 0
expect "lt_save_checkpoint from a callback" 0 "" -- $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/cb" \
    --callback "$P/save_callback.so:{\"path\": \"$TMP/cb0.h5\"}" \
    --callback "$P/save_callback.so:{\"path\": \"$TMP/cb0w.h5\", \"weights_only\": true}"
$RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/cb" --ckpt-path "$TMP/cb0.h5" --results "$TMP/cb.json" \
    > /dev/null 2>&1
same_digest "resume from lt_save_checkpoint's file: identical weights" "$TMP/a.json" "$TMP/cb.json"
$RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/cb" \
    --callback "$P/save_callback.so:{\"path\": \"$TMP/cb7.h5\", \"step\": 7}" > /dev/null 2>&1
expect "saved in on_train_batch_end at step 7: resumes at batch 3 of epoch 1" 0 "batch_idx: 3" -- \
    $LTRUN inspect "$TMP/cb7.h5"
$RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/cb" --ckpt-path "$TMP/cb7.h5" --results "$TMP/cb7.json" \
    > /dev/null 2>&1
same_digest "resume from an on_train_batch_end save (mid-epoch): identical weights" "$TMP/a.json" "$TMP/cb7.json"
expect "weights_only: no optimizer state in the file" 0 "weights_only: 1" -- $LTRUN inspect "$TMP/cb0w.h5"
if $LTRUN inspect "$TMP/cb0w.h5" | grep -q "optimizer 0"; then fail "weights_only file has no /optimizer"
else pass "weights_only file has no /optimizer"; fi
expect "fit cannot resume from a weights-only file" 1 "contains only the model" -- \
    $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/cb" --ckpt-path "$TMP/cb0w.h5"
expect "validate loads a weights-only file" 0 "val/loss" -- $VAL --ckpt-path "$TMP/cb0w.h5"

# SIGTERM (a cluster's pre-emption): stop after the step, write last.h5, exit 130; resume
# (1000 short epochs, about 2 s: the signal lands mid-run)
LONG="--trainer.max_epochs 1000 --trainer.limit_val_batches 0"
$RUN $LONG --trainer.default_root_dir "$TMP/s" --results "$TMP/s0.json" > "$TMP/s.out" 2>&1 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q "Seed set" "$TMP/s.out" 2> /dev/null && break
    sleep 0.1
done
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
if [ "$rc" -eq 130 ] && [ -s "$TMP/s/checkpoints/last.h5" ]; then pass "SIGTERM: exit 130 with last.h5"
else fail "SIGTERM: exit $rc, last.h5 $(ls "$TMP/s/checkpoints" 2>&1)"; tail -3 "$TMP/s.out"; fi
expect "inspect: the interrupted run's step" 0 "global_step: [1-9]" -- $LTRUN inspect "$TMP/s/checkpoints/last.h5"
$RUN $LONG --trainer.default_root_dir "$TMP/full" --results "$TMP/f.json" > /dev/null 2>&1
$RUN $LONG --trainer.default_root_dir "$TMP/s" --ckpt-path last --results "$TMP/s1.json" > /dev/null 2>&1
same_digest "resume after SIGTERM: identical weights to the straight run" "$TMP/f.json" "$TMP/s1.json"

# schedulers resume: StepLR on interval "step", frequency 2 (tests/test_sched_e2e.sh);
# 10 samples in batches of 4: 3 batches an epoch. Stop after 4 steps, resume to 2 epochs:
# the lr trace continues exactly where the straight run's does
sfit() {
    "$LTRUN" fit --module "$P/sched_module.so" --data "$P/trace_data.so" --model.mode step \
        --trainer.enable_progress_bar false --trainer.num_sanity_val_steps 0 --seed 1 \
        --trainer.default_root_dir "$TMP/sched" --trainer.max_epochs 2 --trainer.logger false "$@"
}
sfit --model.trace "$TMP/straight.txt" --results "$TMP/s_a.json" > /dev/null 2>&1
sfit --model.trace "$TMP/part1.txt" --trainer.max_steps 4 > /dev/null 2>&1
sfit --model.trace "$TMP/part2.txt" --ckpt-path last --results "$TMP/s_b.json" > /dev/null 2>&1
cat "$TMP/part1.txt" "$TMP/part2.txt" > "$TMP/joined.txt"
if diff -u "$TMP/straight.txt" "$TMP/joined.txt"; then pass "StepLR resumed mid-epoch: same lr sequence"
else fail "StepLR resumed mid-epoch: same lr sequence"; fi
same_digest "StepLR resumed mid-epoch: identical weights" "$TMP/s_a.json" "$TMP/s_b.json"

# manual optimization with two optimizers and noise from the host RNG (the GAN example,
# built with libpng): stop at global_step 12 (two steps a batch: epoch 1, batch 1), resume
if [ -x "$EX/gan.so" ]; then
    GAN="$LTRUN fit --module $EX/gan.so --data $EX/mnist.so --data.data_dir $D --data.val_size 64 --trainer.logger false
         --data.batch_size 16 --data.mean 0.5 --data.std 0.5 --trainer.enable_progress_bar false --seed 1
         --trainer.enable_model_summary false --trainer.limit_train_batches 5 --trainer.max_epochs 2"
    $GAN --trainer.default_root_dir "$TMP/g1" --results "$TMP/g1.json" > /dev/null 2>&1
    $GAN --trainer.default_root_dir "$TMP/g2" --trainer.max_steps 12 > /dev/null 2>&1
    expect "GAN checkpoint: both optimizers' state" 0 "optimizer 1: Adam, state for 4" -- \
        $LTRUN inspect "$TMP/g2/checkpoints/last.h5"
    $GAN --trainer.default_root_dir "$TMP/g2" --ckpt-path last --results "$TMP/g2.json" > /dev/null 2>&1
    same_digest "GAN resumed mid-epoch (two optimizers, host RNG): identical weights" "$TMP/g1.json" "$TMP/g2.json"
    # the RNG and the loader's shuffle seed come from the file: another --seed changes nothing
    $GAN --trainer.default_root_dir "$TMP/g3" --trainer.max_steps 12 > /dev/null 2>&1
    $GAN --trainer.default_root_dir "$TMP/g3" --ckpt-path last --seed 99 --results "$TMP/g3.json" > /dev/null 2>&1
    same_digest "GAN resumed with --seed 99: RNG and shuffling restored from the file" "$TMP/g1.json" "$TMP/g3.json"
fi

# validate/test/predict load the weights only: validate with last.h5 reproduces the
# metrics the fit ended with
expect "validate --ckpt-path FILE" 0 "val/loss" -- $VAL --ckpt-path "$TMP/a/checkpoints/last.h5" --results "$TMP/v.json"
l1=$(json_num "$TMP/a.json" "val/loss"); l2=$(json_num "$TMP/v.json" "val/loss")
if [ -n "$l1" ] && [ "$l1" = "$l2" ]; then pass "validate on last.h5 gives the fit's val/loss $l1"
else fail "validate on last.h5: val/loss '$l2', fit ended with '$l1'"; fi
same_digest "validate loaded the fit's weights" "$TMP/a.json" "$TMP/v.json"
expect "validate --ckpt-path last" 0 "val/loss" -- $VAL --trainer.default_root_dir "$TMP/a" --ckpt-path last
expect "validate --ckpt-path last without one" 2 "no last checkpoint at" -- $VAL \
    --trainer.default_root_dir "$TMP/empty" --ckpt-path last
expect "fit --ckpt-path last without one starts fresh" 0 "no last checkpoint available" -- \
    $RUN --trainer.max_epochs 1 --trainer.limit_train_batches 1 --trainer.default_root_dir "$TMP/fresh" --ckpt-path last
expect "--ckpt-path best needs ModelCheckpoint" 2 "ModelCheckpoint" -- $VAL --ckpt-path best

# refusals: exit 1, the file named, a clear reason
echo "hello" > "$TMP/text.h5"
expect "not HDF5" 1 "text.h5' is not an HDF5 file" -- $VAL --ckpt-path "$TMP/text.h5"
head -c 40000 "$TMP/a/checkpoints/last.h5" > "$TMP/trunc.h5"
expect "truncated" 1 "trunc.h5.*(truncated|corrupt)" -- $VAL --ckpt-path "$TMP/trunc.h5"
expect "missing file" 2 "nothere.h5: no such file" -- $VAL --ckpt-path "$TMP/nothere.h5"
expect "another module's checkpoint: every key listed" 1 \
    "Unexpected key\(s\) in state_dict: \"fc1.bias\", \"fc1.weight\"" -- \
    $LTRUN validate --module "$P/sched_module.so" --data "$P/trace_data.so" --ckpt-path "$TMP/a/checkpoints/last.h5"
expect "another module's checkpoint: missing keys listed" 1 \
    "Missing key\(s\) in state_dict: \"fc.weight\", \"fc.bias\"\." -- \
    $LTRUN validate --module "$P/sched_module.so" --data "$P/trace_data.so" --ckpt-path "$TMP/a/checkpoints/last.h5"
expect "--strict false loads the matching subset, with a warning" 0 "strict=False" -- \
    $LTRUN validate --module "$P/sched_module.so" --data "$P/trace_data.so" --strict false \
    --ckpt-path "$TMP/a/checkpoints/last.h5" --trainer.limit_val_batches 0
# torch's strict=False forgives missing/unexpected keys, never a size mismatch; the hint
# after the report is never cut (the first error is kept in a 1 KiB slot)
expect "--strict false still refuses a size mismatch" 1 \
    "size mismatch for fc1.weight: copying a param with shape \[256, 784\] from checkpoint, the shape in current model is \[32, 784\]" -- \
    $VAL --model.hidden1 32 --strict false --ckpt-path "$TMP/a/checkpoints/last.h5"
expect "a size mismatch under --strict false says why --strict false does not help" 1 \
    "never loaded, --strict false included, as torch's strict=False: build the module with the checkpoint's sizes\)" -- \
    $VAL --model.hidden1 32 --strict false --ckpt-path "$TMP/a/checkpoints/last.h5"
LONG="$TMP/$(printf 'a_rather_long_folder_name_%s/' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 | tr -d '\n')"
mkdir -p "$LONG" && cp "$TMP/a/checkpoints/last.h5" "$LONG/last.h5"
expect "the strict hint is whole after a long report (cut with a count)" 1 \
    "and [0-9]+ more \(the report was cut\)|\(pass --strict false to load the matching tensors only\)\$" -- \
    $LTRUN validate --module "$P/sched_module.so" --data "$P/trace_data.so" --ckpt-path "$LONG/last.h5"
expect "the strict hint ends the message" 1 "\(pass --strict false to load the matching tensors only\)\$" -- \
    $LTRUN validate --module "$P/sched_module.so" --data "$P/trace_data.so" --ckpt-path "$LONG/last.h5"
expect "--strict takes a boolean" 2 "--strict: expected true or false" -- $VAL --strict maybe

# ltrun inspect
expect "inspect: metadata" 0 "format: ltrun-checkpoint" -- $LTRUN inspect "$TMP/a/checkpoints/last.h5"
expect "inspect: the parameter table" 0 "fc1.weight +\[256, 784\] +float32 +200704 +parameter" -- \
    $LTRUN inspect "$TMP/a/checkpoints/last.h5"
expect "inspect: hparams" 0 "data: \{\"data_dir\"" -- $LTRUN inspect "$TMP/a/checkpoints/last.h5"
expect "inspect: optimizer and loops" 0 "optimizer 0: Adam, state for 6 parameter" -- \
    $LTRUN inspect "$TMP/a/checkpoints/last.h5"
$LTRUN inspect --json "$TMP/a/checkpoints/last.h5" > "$TMP/i.json" 2>&1
if grep -q '"global_step":[[:space:]]*12' "$TMP/i.json" && grep -q '"name":[[:space:]]*"fc3.bias"' "$TMP/i.json" &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["meta"]["format_version"]==1' \
        "$TMP/i.json" 2> /dev/null; then pass "inspect --json"
elif grep -q '"global_step":[[:space:]]*12' "$TMP/i.json" && grep -q '"fc3.bias"' "$TMP/i.json"; then pass "inspect --json"
else fail "inspect --json"; head -20 "$TMP/i.json"; fi
expect "inspect: not HDF5" 1 "not an HDF5 file" -- $LTRUN inspect "$TMP/text.h5"
expect "inspect: no file" 2 "no file given" -- $LTRUN inspect

# atomic writes: SIGKILL at random moments of fits that end by writing last.h5 over a
# good one; under the final name there is always a complete checkpoint (the old or the new)
mkdir -p "$TMP/k/checkpoints"
cp "$TMP/a/checkpoints/last.h5" "$TMP/k/checkpoints/last.h5"
torn=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    $RUN --trainer.max_epochs 1 --trainer.limit_val_batches 0 --trainer.default_root_dir "$TMP/k" > /dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.12 }')"
    kill -KILL $pid 2> /dev/null
    wait $pid 2> /dev/null
    $LTRUN inspect "$TMP/k/checkpoints/last.h5" > /dev/null 2>&1 || torn=$((torn + 1))
done
if [ "$torn" -eq 0 ]; then pass "SIGKILL during fits x20: last.h5 always a complete checkpoint"
else fail "SIGKILL during fits: $torn torn last.h5"; fi

# readable without ltrun
if command -v h5dump > /dev/null 2>&1; then
    expect "h5dump reads the metadata" 0 "ltrun-checkpoint" -- h5dump -a /meta/format "$TMP/a/checkpoints/last.h5"
    expect "h5dump reads a parameter" 0 "DATASPACE +SIMPLE \{ \( 10 \) / \( 10 \) \}" -- \
        h5dump -d /state_dict/fc3.bias "$TMP/a/checkpoints/last.h5"
else
    echo "# h5dump not installed (apt-get install hdf5-tools): skipped"
fi

# a mid-epoch resume point (batch 8 of 10) past a smaller --trainer.limit_train_batches (5):
# that epoch is over and the next runs its 5 batches (it went on to batch 10 and failed
# with "batch 10 is out of range for the train loader")
LIM="$LTRUN fit --module $P/trace_module.so --data $P/trace_data.so --data.length 40 --trainer.logger false
     --trainer.enable_progress_bar false --trainer.enable_model_summary false --trainer.default_root_dir $TMP/lim"
$LIM --trainer.max_steps 8 > /dev/null 2>&1
expect "resume past a smaller limit_train_batches ends that epoch" 0 "" -- \
    $LIM --ckpt-path last --trainer.limit_train_batches 5 --trainer.max_epochs 2
expect "then the next epoch runs the limit's batches" 0 "global_step: 13" -- $LTRUN inspect "$TMP/lim/checkpoints/last.h5"

finish
