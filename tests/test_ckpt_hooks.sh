#!/bin/sh
# test_ckpt_hooks.sh —, the rest: checkpoint hooks (module on_save/on_load_checkpoint
# under /extra, a callback's state_dict/load_state_dict keyed by its name), load_from_checkpoint
# (hparams from --ckpt-path, --model.x on top, mismatches listed), compressed checkpoints
# (--trainer.checkpoint_compression), and resume in the middle of an accumulate_grad_batches
# window (Lightning's rule: the window restarts).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
# 500 training samples in batches of 128: 4 batches an epoch
# --trainer.logger false: checkpoints in default_root_dir/checkpoints, where a new process's
# `--ckpt-path last` finds them (a logger would give each run a new version dir)
COMMON="--trainer.logger false --module $P/ckpt_module.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --seed 1
        --trainer.enable_progress_bar false"
RUN="$LTRUN fit $COMMON --trainer.enable_model_summary false"
CB="--callback $P/state_callback.so:{\"tag\":\"A\"}"

# 1. hooks: stop at step 6, resume to 3 epochs (12 batches)
expect "fit to step 6 with the state callback" 0 "A count=6" -- $RUN --trainer.max_epochs 3 \
    --trainer.max_steps 6 --trainer.default_root_dir "$TMP/h" --model.hidden 17 $CB
cp "$TMP/h/checkpoints/last.h5" "$TMP/step6.h5"
expect "module on_load_checkpoint reads its tensor and JSON back" 0 "on_load_checkpoint: batches=6" -- \
    $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/h" --ckpt-path last --model.hidden 17 $CB
$RUN --trainer.max_epochs 3 --trainer.max_steps 6 --trainer.default_root_dir "$TMP/h2" --model.hidden 17 $CB \
    > /dev/null 2>&1
expect "the module's state survives resume" 0 "module batches=12" -- \
    $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/h2" --ckpt-path last --model.hidden 17 $CB
$RUN --trainer.max_epochs 3 --trainer.max_steps 6 --trainer.default_root_dir "$TMP/h3" --model.hidden 17 $CB \
    > /dev/null 2>&1
expect "the callback's state survives resume" 0 "A count=12" -- \
    $RUN --trainer.max_epochs 3 --trainer.default_root_dir "$TMP/h3" --ckpt-path last --model.hidden 17 $CB
expect "callback load_state_dict gets its state" 0 "A load_state_dict: count=6" -- \
    $RUN --trainer.max_epochs 3 --trainer.max_steps 6 --trainer.default_root_dir "$TMP/h3b" --model.hidden 17 \
    $CB --ckpt-path "$TMP/step6.h5"
expect "callback on_load_checkpoint gets its extra" 0 'A on_load_checkpoint: tag="A"' -- \
    $RUN --trainer.max_epochs 3 --trainer.max_steps 6 --trainer.default_root_dir "$TMP/h3c" --model.hidden 17 \
    $CB --ckpt-path "$TMP/step6.h5"
expect "inspect lists the module's hook state" 0 "seen  \[2\] int64  tensor" -- $LTRUN inspect "$TMP/step6.h5"
expect "inspect lists the callback's hook state" 0 "state_cb/state/json  \[\] string  json" -- \
    $LTRUN inspect "$TMP/step6.h5"
if command -v h5ls > /dev/null 2>&1; then
    out=$(h5ls -r "$TMP/h/checkpoints/last.h5")
    for k in /extra/seen /extra/meta /callbacks/state_cb/state/json /callbacks/state_cb/state/count \
             /callbacks/state_cb/extra/tag; do
        case "$out" in *"$k "*) pass "h5ls shows $k" ;; *) fail "h5ls shows $k" ;; esac
    done
fi

# the data module's state_dict / load_state_dict: restored for fit and for test; callbacks
# are restored for fit only (Lightning's restore_callbacks)
SD="--trainer.logger false --module $P/ckpt_module.so --data $P/state_data.so --seed 1 --trainer.enable_progress_bar false"
$LTRUN fit $SD --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/sd" $CB > /dev/null 2>&1
# fit built train and val: 2
expect "the data module's state survives resume" 0 "data load_state_dict: built=2" -- \
    $LTRUN fit $SD --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/sd" --ckpt-path last $CB
expect "test restores the data module's state too" 0 "data load_state_dict: built=" -- \
    $LTRUN test $SD --ckpt-path "$TMP/sd/checkpoints/last.h5" $CB
if $LTRUN test $SD --ckpt-path "$TMP/sd/checkpoints/last.h5" $CB 2>&1 | grep -q "A load_state_dict"; then
    fail "test does not restore callbacks"; else pass "test does not restore callbacks"; fi

# 2. load_from_checkpoint: hidden 17 comes from the checkpoint's hparams
TEST="$LTRUN test $COMMON"
expect "test with only --ckpt-path rebuilds the module from saved hparams" 0 "test/acc" -- \
    $TEST --ckpt-path "$TMP/h/checkpoints/last.h5"
expect "a conflicting override lists the mismatched keys" 1 \
    "size mismatch for fc1.weight: copying a param with shape \[17, 784\].*\[5, 784\]" -- \
    $TEST --ckpt-path "$TMP/h/checkpoints/last.h5" --model.hidden 5
expect "the mismatch report names fc2.weight too" 1 "size mismatch for fc2.weight" -- \
    $TEST --ckpt-path "$TMP/h/checkpoints/last.h5" --model.hidden 5
expect "an agreeing override is fine" 0 "test/acc" -- \
    $TEST --ckpt-path "$TMP/h/checkpoints/last.h5" --model.hidden 17

# 3. compressed checkpoints: --trainer.checkpoint_compression 6 (chunked + shuffle + gzip)
expect "fit writes a compressed checkpoint" 0 "" -- $RUN --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/z" \
    --model.hidden 64 --trainer.checkpoint_compression 6
if command -v h5dump > /dev/null 2>&1; then
    expect "the weights are gzip-filtered" 0 "DEFLATE" -- h5dump -p -H -d /state_dict/fc1.weight \
        "$TMP/z/checkpoints/last.h5"
fi
expect "a compressed checkpoint loads" 0 "test/acc" -- $TEST --ckpt-path "$TMP/z/checkpoints/last.h5"
expect "checkpoint_compression out of range" 1 "checkpoint_compression 12: use 0" -- $RUN \
    --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/z2" --trainer.checkpoint_compression 12

# 4. a stop in the middle of an accumulate_grad_batches window. Lightning does not save the
# accumulated gradients: the resumed epoch continues at the next batch with no gradient, and
# the window still ends where batch_idx says (batch_progress.current.ready %
# accumulate_grad_batches), so the batches before the stop never reach that step. With 4
# batches an epoch and accumulate 2, a checkpoint after batch 2 (save_callback at step 1
# fires after batches 1 and 2) resumes at batch 3, whose step sees batch 3 alone: the same
# as a straight run where batch 2 gives no gradient (ckpt_module's zero_batch 2).
ACC="--trainer.max_epochs 2 --trainer.accumulate_grad_batches 2"
$RUN $ACC --trainer.default_root_dir "$TMP/acc" \
    --callback "$P/save_callback.so:{\"path\": \"$TMP/mid.h5\", \"step\": 1}" > /dev/null 2>&1
expect "the checkpoint is in the middle of a window" 0 "batch_idx: 3" -- $LTRUN inspect "$TMP/mid.h5"
expect "resume mid-window" 0 "" -- $RUN $ACC --trainer.default_root_dir "$TMP/acc2" --ckpt-path "$TMP/mid.h5" \
    --results "$TMP/acc_resumed.json"
$RUN $ACC --trainer.default_root_dir "$TMP/acc3" --model.zero_batch 2 --results "$TMP/acc_rule.json" \
    > /dev/null 2>&1
$RUN $ACC --trainer.default_root_dir "$TMP/acc4" --results "$TMP/acc_straight.json" > /dev/null 2>&1
a=$(weights_digest "$TMP/acc_resumed.json"); b=$(weights_digest "$TMP/acc_rule.json"); c=$(weights_digest "$TMP/acc_straight.json")
if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "resume mid-window = Lightning's rule (the window's earlier gradients lost)"
else fail "resume mid-window = Lightning's rule: '$a' vs '$b'"; fi
if [ -n "$a" ] && [ "$a" != "$c" ]; then pass "and differs from the uninterrupted run"
else fail "resume mid-window differs from the uninterrupted run: '$a' vs '$c'"; fi

finish
