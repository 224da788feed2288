#!/bin/sh
# test_fake_device.sh — a second backend, "fake" (tests/fake_device.c: the CPU kernels behind
# a device with its own tagged pool and kernel wrappers that refuse any data pointer from
# elsewhere), runs the MLP through the full trainer: fit with a checkpoint save, resume from
# it, the weights equal to the CPU's bit for bit, and predict from the checkpoint. tests/ltrun_fake is ltrun's main plus
# that backend; the test-only variable LTR_TEST_DEVICE=fake puts the run on it, and the
# binary then reports how many kernel calls it checked (exit 70 on a foreign pointer).
. "${top_srcdir:-.}/tests/lib.sh"

FAKE="$top_builddir/tests/ltrun_fake"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
COMMON="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --seed 1
        --trainer.logger false --trainer.enable_progress_bar false --trainer.enable_model_summary false"

# the CPU reference: 2 epochs straight, and 1 epoch saved then resumed to 2
$LTRUN fit $COMMON --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/c" \
    --results "$TMP/cpu.json" > /dev/null 2>&1 || fail "the CPU run trains"
expect "fake device: fit 1 epoch with a checkpoint save" 0 "fake device: [1-9][0-9]* kernel calls checked" -- \
    env LTR_TEST_DEVICE=fake $FAKE fit $COMMON --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/f"
if [ -f "$TMP/f/checkpoints/last.h5" ] || ls "$TMP/f/checkpoints/"*.h5 > /dev/null 2>&1; then
    pass "fake device: the checkpoint was written"
else
    fail "fake device: the checkpoint was written"
fi
expect "fake device: resume from the checkpoint to 2 epochs" 0 "fake device: [1-9][0-9]* kernel calls checked" -- \
    env LTR_TEST_DEVICE=fake $FAKE fit $COMMON --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/f" \
    --ckpt-path last --results "$TMP/fake.json"
a=$(weights_digest "$TMP/cpu.json"); b=$(weights_digest "$TMP/fake.json")
if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "fake device: weights digest equals the CPU run's ($a)"
else fail "fake device: weights digest equals the CPU run's (cpu $a, fake $b)"; fi
# predictions (the mnist module has no predict set: a module that predicts its forward
# over trace_data): made on the device, copied off it before they are written
P="$top_builddir/tests/plugins"
PRED="predict --module $P/tools_forward.so --data $P/trace_data.so --seed 1 --trainer.enable_progress_bar false"
$LTRUN $PRED --predictions "$TMP/cpu_p.h5" > /dev/null 2>&1 || fail "the CPU predicts"
expect "fake device: predict" 0 "fake device: [1-9][0-9]* kernel calls checked" -- \
    env LTR_TEST_DEVICE=fake $FAKE $PRED --predictions "$TMP/fake_p.h5"
if command -v h5diff > /dev/null 2>&1; then
    expect "fake device: predictions equal the CPU's" 0 "" -- h5diff "$TMP/cpu_p.h5" "$TMP/fake_p.h5"
fi
# a callback plugin on the device: SWA (lt_tensor_to_host, lt_copy_, its average in the
# checkpoint through lt_ckpt_put/get_tensor), stopped at step 12 and resumed, vs the CPU
SWA='stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_epoch_start": 2, "annealing_epochs": 3}'
swarun() { # swarun DEVICE ARGS...: cb_module under SWA, checkpoints in the current dir
    dev=$1
    shift
    LT_PLUGIN_PATH="$top_builddir/plugins/callbacks" LTR_TEST_DEVICE=$dev $FAKE fit \
        --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false --trainer.logger false --trainer.enable_checkpointing true \
        --trainer.max_epochs 6 --callback "$SWA" "$@"
}
for dev in cpu fake; do
    mkdir -p "$TMP/swa_$dev"
    (cd "$TMP/swa_$dev" && swarun $dev --trainer.max_steps 12 > log1 2>&1 &&
        swarun $dev --ckpt-path last --results r.json > log2 2>&1) || fail "swa on $dev: stop and resume"
done
a=$(weights_digest "$TMP/swa_cpu/r.json"); b=$(weights_digest "$TMP/swa_fake/r.json")
if [ -n "$a" ] && [ "$a" = "$b" ] && grep -q "kernel calls checked" "$TMP/swa_fake/log2"; then
    pass "fake device: SWA stopped and resumed ends with the CPU's weights ($a)"
else fail "fake device: SWA stopped and resumed (cpu $a, fake $b)"; tail -n 3 "$TMP/swa_fake/log2"; fi
# without the variable the same binary is a CPU run
expect "without LTR_TEST_DEVICE the binary runs on the CPU" 0 "" -- \
    $FAKE fit $COMMON --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/c2"

finish
