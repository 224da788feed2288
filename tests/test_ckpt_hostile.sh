#!/bin/sh
# test_ckpt_hostile.sh — hostile variants of a real checkpoint (tests/make_bad_ckpts.c: counters
# at INT64_MAX / -1 / -2^62, a batch_idx past the epoch, huge and overflowing dims, a (1e9,)
# bias never written, a transposed exp_avg, a zero RNG state, lr NaN and a negative beta, a
# filter that is not built into HDF5, a flipped byte under a fletcher32 checksum, saved hparams
# that size absurd parameters). `ltrun fit` and `ltrun test --ckpt-path` refuse each with exit 1,
# a message naming the file and the attribute or dataset, and no lightning_logs/version_N.
# Then the HDF5 filter policy: data files may use a filter plugin from HDF5_PLUGIN_PATH with or
# without a checkpoint loaded in the same run; a checkpoint naming one never loads it.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
D="$TMP/data"
mkdir -p "$D" "$TMP/bad"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
COMMON="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --seed 1
        --trainer.enable_progress_bar false --trainer.enable_model_summary false"
# the source: a real full checkpoint (small layers: fast)
# shellcheck disable=SC2086
$LTRUN fit $COMMON --trainer.logger false --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/src" \
    --model.hidden1 16 --model.hidden2 8 > "$TMP/src.log" 2>&1 || { tail -5 "$TMP/src.log"; exit 1; }
SRC="$TMP/src/checkpoints/last.h5"
"$top_builddir/tests/make_bad_ckpts" "$SRC" "$TMP/bad" || { echo "make_bad_ckpts failed"; exit 1; }

# refused NAME PATTERN: fit and test on $TMP/bad/NAME.h5 exit 1 with PATTERN and the file named,
# and leave no logger version folder
refused() {
    f="$TMP/bad/$1.h5"
    for cmd in fit test; do
        root="$TMP/out-$1-$cmd"
        # shellcheck disable=SC2086
        expect "$cmd refuses $1" 1 "$2" -- $LTRUN $cmd $COMMON --trainer.max_epochs 2 \
            --trainer.default_root_dir "$root" --ckpt-path "$f"
        if ls -d "$root"/lightning_logs/version_* > /dev/null 2>&1; then
            fail "$cmd $1: a refused checkpoint left $(ls -d "$root"/lightning_logs/version_*)"
        else
            pass "$cmd $1: no lightning_logs/version_N"
        fi
    done
}
ck() { printf "checkpoint '%s': %s" "$TMP/bad/$1.h5" "$2"; }
LIM="is out of range \\(allowed 0 to 9007199254740992\\)"
refused global_step_max "$(ck global_step_max "attribute /meta/global_step = 9223372036854775807 $LIM")"
refused global_step_neg1 "$(ck global_step_neg1 "attribute /meta/global_step = -1 $LIM")"
refused global_step_neg2p62 "$(ck global_step_neg2p62 "attribute /meta/global_step = -4611686018427387904 $LIM")"
refused total_batch_idx_max "$(ck total_batch_idx_max "attribute /loops/total_batch_idx = 9223372036854775807 is out of range")"
refused batches_that_stepped_max "$(ck batches_that_stepped_max "attribute /loops/batches_that_stepped = 9223372036854775807 $LIM")"
refused current_epoch_max "$(ck current_epoch_max "attribute /meta/epoch = 9223372036854775807 $LIM")"
refused batch_idx_huge "$(ck batch_idx_huge "attribute /loops/batch_idx = 1099511627776 is out of range \\(allowed 0 to total_batch_idx \\+ 1 = 4\\)")"
refused adam_step_max "$(ck adam_step_max "attribute /optimizer/0/state/fc1.weight/step = 9223372036854775807 $LIM")"
refused lr_nan "$(ck lr_nan "attribute /optimizer/0/param_groups/0/lr = nan is invalid: torch.optim.Adam refuses it")"
refused beta1_negative "$(ck beta1_negative "attribute /optimizer/0/param_groups/0/beta1 = -0.5 is invalid")"
refused bias_1e9_unwritten "$(ck bias_1e9_unwritten "dataset /state_dict/fc1.bias declares shape \\(1000000000,\\) \\(4000000000 bytes\\) but only 0 of its 15259 chunks")"
refused bias_2p62 "$(ck bias_2p62 "dataset /state_dict/fc1.bias declares shape \\(4611686018427387904,\\)")"
refused dims_overflow "$(ck dims_overflow "dataset /state_dict/fc1.weight declares shape \\(8589934592, 8589934592\\), whose element count does not fit 64 bits")"
refused exp_avg_transposed "$(ck exp_avg_transposed "dataset /optimizer/0/state/fc1.weight/exp_avg is float32 of shape \\(784, 16\\), but its parameter /state_dict/fc1.weight is float32 of shape \\(16, 784\\)")"
refused rng_zero "$(ck rng_zero "dataset /rng/host is all zeros")"
refused unknown_filter "$(ck unknown_filter "dataset /state_dict/fc2.bias uses HDF5 filter 32999, which is not built into HDF5")"
refused checksum_bad "$(ck checksum_bad "tensor /state_dict/fc2.bias is corrupt \\(checksum mismatch\\)")"
# saved hparams pass the structural check; the module's create then refuses the size cleanly
refused hparams_hidden1e11 "lt_param\\('fc1.weight'\\): shape \\[100000000000, 784\\] \\(float32\\) needs .* more than this machine's"

# an intact fletcher32-checked tensor loads, and so does the original (no checksums)
# shellcheck disable=SC2086
expect "a checkpoint with a fletcher32 tensor resumes" 0 "Restoring states" -- $LTRUN fit $COMMON \
    --trainer.logger false --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/ok1" --ckpt-path "$TMP/bad/checksum_ok.h5"
# shellcheck disable=SC2086
expect "the unchanged checkpoint resumes" 0 "Restoring states" -- $LTRUN fit $COMMON \
    --trainer.logger false --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/ok2" --ckpt-path "$SRC"

# HDF5 filter plugins: HDF5 loads lib*.so from HDF5_PLUGIN_PATH
mkdir -p "$TMP/h5pl"
cp "$P/h5filter_ident.so" "$TMP/h5pl/libltr_test_filter.so"
export LTR_TEST_FILTER_MARK="$TMP/filter_loaded"
# shellcheck disable=SC2086
expect "a checkpoint naming a filter plugin is refused" 1 "filter 32999" -- \
    env HDF5_PLUGIN_PATH="$TMP/h5pl" $LTRUN test $COMMON --trainer.logger false --ckpt-path "$TMP/bad/unknown_filter.h5"
expect "inspect refuses it too" 1 "dataset /state_dict/fc2.bias uses HDF5 filter 32999" -- \
    env HDF5_PLUGIN_PATH="$TMP/h5pl" $LTRUN inspect "$TMP/bad/unknown_filter.h5"
if [ -e "$LTR_TEST_FILTER_MARK" ]; then fail "the checkpoint made HDF5 load the filter plugin"
else pass "the checkpoint's filter plugin was never loaded"; fi
"$top_builddir/tests/make_bad_ckpts" --data "$TMP/filtered.h5" || { echo "make_bad_ckpts --data failed"; exit 1; }
export LT_PLUGIN_PATH="$top_builddir/plugins/data"
H5FIT="$LTRUN fit --module $P/data_probe.so --trainer.num_sanity_val_steps 0 --seed 1 --trainer.logger false
       --trainer.enable_progress_bar false --data.batch_size 4 --data hdf5 --data.path $TMP/filtered.h5
       --data.x data/X --data.y data/y"
# shellcheck disable=SC2086
expect "without the plugin the filtered data file cannot be read" 1 "reading 'data/X'/'data/y' failed" -- \
    $H5FIT --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/h0"
rm -f "$LTR_TEST_FILTER_MARK"
# shellcheck disable=SC2086
expect "the data plugin reads it with the plugin, no checkpoint" 0 "" -- \
    env HDF5_PLUGIN_PATH="$TMP/h5pl" $H5FIT --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/h1"
[ -e "$LTR_TEST_FILTER_MARK" ] && pass "the data file loaded the filter plugin" || fail "the data file loaded the filter plugin"
# shellcheck disable=SC2086
expect "and after a checkpoint was loaded in the same run" 0 "Restoring states" -- \
    env HDF5_PLUGIN_PATH="$TMP/h5pl" $H5FIT --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/h2" --ckpt-path "$TMP/h1/checkpoints/last.h5"
finish
