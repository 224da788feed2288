#!/bin/sh
# test_cli_edges.sh — the command line at its edges: hyperparameters a checkpoint may not
# set (the data module's paths need --data-from-checkpoint), numbers read as Python's int()
# and float() read them with int64's range, files that are not regular files, the flag an
# error names, and --results checked before the run.
. "${top_srcdir:-.}/tests/lib.sh"
export LT_PLUGIN_PATH="$top_builddir/plugins/data"
P="$top_builddir/tests/plugins"

# ---- a checkpoint's data hparams are not taken without --data-from-checkpoint
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
COMMON="--trainer.logger false --trainer.enable_progress_bar false --seed 1 --module $EX/mlp.so --data $EX/mnist.so"
$LTRUN fit $COMMON --data.data_dir "$D" --data.val_size 100 --data.cache_dir "$TMP/evil" \
    --model.hidden1 32 --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/fit" > "$TMP/fit.log" 2>&1 ||
    { tail -5 "$TMP/fit.log"; exit 1; }
CK="$TMP/fit/checkpoints/last.h5"
rm -rf "$TMP/evil"
expect "test --ckpt-path: the saved cache_dir is not used, and that is said" 0 \
    "not using the data module hparams saved in .*cache_dir=\"$TMP/evil\".*--data-from-checkpoint" -- \
    $LTRUN test $COMMON --data.data_dir "$D" --ckpt-path "$CK" --trainer.default_root_dir "$TMP/t1"
if [ -e "$TMP/evil" ]; then fail "nothing is written into the saved cache_dir"
else pass "nothing is written into the saved cache_dir"; fi
# checkpoints hold every value read, defaults included (save_hyperparameters), so the
# list names them all
expect "the module's saved hparams are used and listed" 0 \
    "using hparams saved in $CK for module 'mlp': .*hidden1=32.*; pass --model.KEY to override" -- \
    $LTRUN test $COMMON --data.data_dir "$D" --ckpt-path "$CK" --trainer.default_root_dir "$TMP/t2"
expect "a given --model.KEY is not listed as saved" 0 "test/acc" -- \
    $LTRUN test $COMMON --data.data_dir "$D" --ckpt-path "$CK" --model.hidden1 32 --trainer.default_root_dir "$TMP/t3"
if $LTRUN test $COMMON --data.data_dir "$D" --ckpt-path "$CK" --model.hidden1 32 \
    --trainer.default_root_dir "$TMP/t3" 2>&1 | grep "for module 'mlp'" | grep -q "hidden1"; then
    fail "a given value is not listed as saved"; else pass "a given value is not listed as saved"; fi
# with the flag, what the user relied on: data_dir (and the rest) come from the checkpoint
expect "--data-from-checkpoint takes the saved data_dir and cache_dir, and says so" 0 \
    "using hparams saved in $CK for data module 'mnist': data_dir=\"$D\", .*val_size=100, .*cache_dir=\"$TMP/evil\"" -- \
    $LTRUN test $COMMON --ckpt-path "$CK" --data-from-checkpoint --trainer.default_root_dir "$TMP/t4"
if [ -d "$TMP/evil" ]; then pass "--data-from-checkpoint: the saved cache_dir is used"
else fail "--data-from-checkpoint: the saved cache_dir is used"; fi
expect "--data.KEY still wins over --data-from-checkpoint" 0 "data_dir=\"$D\", .*val_size=100, [^;]*; pass" -- \
    $LTRUN test $COMMON --ckpt-path "$CK" --data-from-checkpoint --data.cache_dir none --trainer.default_root_dir "$TMP/t5"
expect "--data-from-checkpoint takes no value" 2 "--data-from-checkpoint takes no value" -- \
    $LTRUN test $COMMON --data-from-checkpoint=1
expect "help names --data-from-checkpoint" 0 "--data-from-checkpoint" -- $LTRUN --help

# csv: a path saved in the checkpoint is not opened (it was a file that now holds a secret)
"$top_builddir/tests/make_data_files" "$D" > /dev/null || { echo "make_data_files failed"; exit 1; }
cp "$D/train.csv" "$TMP/secret.csv"
CSV="--trainer.logger false --trainer.enable_progress_bar false --seed 1 --module $P/data_probe.so --data csv"
$LTRUN fit $CSV --data.path "$TMP/secret.csv" --data.delimiter , --trainer.max_epochs 1 \
    --trainer.default_root_dir "$TMP/csv" > "$TMP/csv.log" 2>&1 || { tail -5 "$TMP/csv.log"; exit 1; }
printf 'TOPSECRET:x:y\nroot:0:0\n' > "$TMP/secret.csv"
out=$($LTRUN validate $CSV --ckpt-path "$TMP/csv/checkpoints/last.h5" --trainer.default_root_dir "$TMP/csv2" 2>&1)
case "$out" in
*TOPSECRET*) fail "csv: the path saved in the checkpoint is not opened" ;;
*"not using the data module hparams saved in"*"path=\"$TMP/secret.csv\""*)
    pass "csv: the path saved in the checkpoint is not opened" ;;
*) fail "csv: the saved path is named as not used: $out" ;;
esac
expect "csv: the given --data.path is used" 0 "" -- $LTRUN validate $CSV --data.path "$D/train.csv" \
    --ckpt-path "$TMP/csv/checkpoints/last.h5" --trainer.default_root_dir "$TMP/csv3"

# ---- numbers: Python's int() / float(), int64's range, the value as given in messages
expect "max_epochs 9223372036854775807 is a valid int" 0 '"max_epochs":[[:space:]]*9223372036854775807,' -- \
    $LTRUN --trainer.max_epochs 9223372036854775807 --print-config=json
expect "max_epochs 2^63 is out of range, said as given" 2 \
    "trainer.max_epochs: 9223372036854775808 is out of range" -- $LTRUN --trainer.max_epochs 9223372036854775808
expect "max_epochs 1e300 is not an int" 2 "trainer.max_epochs: expected an integer, got '1e300'" -- \
    $LTRUN --trainer.max_epochs 1e300
expect "max_steps 0x10 is not an int (int('0x10') raises)" 2 "expected an integer, got '0x10'" -- \
    $LTRUN --trainer.max_steps 0x10
expect "max_steps 010 is 10, as int('010')" 0 '"max_steps":[[:space:]]*10,' -- $LTRUN --trainer.max_steps 010 --print-config=json
expect "max_steps 1_000 is 1000, as int('1_000')" 0 '"max_steps":[[:space:]]*1000,' -- \
    $LTRUN --trainer.max_steps 1_000 --print-config=json
expect "max_steps 1__000 is not an int" 2 "expected an integer, got '1__000'" -- $LTRUN --trainer.max_steps 1__000
expect "limit_train_batches 0x10 is refused" 2 "limit_train_batches: expected a batch count.*got '0x10'" -- \
    $LTRUN --trainer.limit_train_batches 0x10
expect "overfit_batches 0x10 is refused" 2 "overfit_batches: expected a batch count.*got '0x10'" -- \
    $LTRUN --trainer.overfit_batches 0x10
expect "limit_val_batches 0x1p-1 is refused (float() has no hex)" 2 "got '0x1p-1'" -- \
    $LTRUN --trainer.limit_val_batches 0x1p-1
expect "limit_val_batches inf is refused" 2 "limit_val_batches: expected a batch count" -- \
    $LTRUN --trainer.limit_val_batches inf
expect "limit_train_batches 1e300 is out of range, said as given" 2 \
    "limit_train_batches: 1e300 is out of range" -- $LTRUN --trainer.limit_train_batches 1e300
expect "limit_train_batches 99999999999999999999 is out of range" 2 \
    "limit_train_batches: 99999999999999999999 is out of range" -- $LTRUN --trainer.limit_train_batches 99999999999999999999
expect "limit_val_batches 0.25 stays a fraction" 0 '"limit_val_batches":[[:space:]]*0.25' -- \
    $LTRUN --trainer.limit_val_batches 0.25 --print-config=json
expect "fast_dev_run 2^63 is out of range" 2 "fast_dev_run: 9223372036854775808 is out of range" -- \
    $LTRUN --trainer.fast_dev_run 9223372036854775808
expect "num_threads beyond an int is refused" 2 "num_threads: must be <= 2147483647" -- \
    $LTRUN --trainer.num_threads 99999999999
expect "--seed 1e3 is not an int" 2 "--seed: expected an integer" -- $LTRUN --seed 1e3
expect "--seed 2^64 is out of numpy's bounds, said as given" 2 "18446744073709551616 is not in bounds" -- \
    $LTRUN --seed 18446744073709551616
printf '{"trainer": {"max_epochs": 9223372036854775807}}' > "$TMP/big.json"
expect "a config's 9223372036854775807 stays exact" 0 '"max_epochs":[[:space:]]*9223372036854775807,' -- \
    $LTRUN --config "$TMP/big.json" --print-config=json
printf '{"trainer": {"max_steps": 1e300}}' > "$TMP/huge.json"
expect "a config's 1e300 is a float, not -2^63" 2 "trainer.max_steps: expected an integer, got 1e\+300" -- \
    $LTRUN --config "$TMP/huge.json"
printf '{"trainer": {"limit_val_batches": 1e300}}' > "$TMP/hugel.json"
expect "a config's limit 1e300 is out of range" 2 "limit_val_batches: 1e\+300 is out of range" -- \
    $LTRUN --config "$TMP/hugel.json"

expect "--model.KEY keeps an int64 exact" 0 '"x":[[:space:]]*9223372036854775807' -- \
    $LTRUN --model.x 9223372036854775807 --print-config=json
expect "a plugin's int hparam beyond int64 is refused as given" 1 \
    "--data.val_size: 9223372036854775808 is out of range" -- \
    $LTRUN fit $COMMON --data.data_dir "$D" --data.val_size 9223372036854775808 --trainer.default_root_dir "$TMP/t8"
expect "gradient_clip_val takes a big integer" 0 '"gradient_clip_val":[[:space:]]*9223372036854775807' -- \
    $LTRUN --trainer.gradient_clip_val 9223372036854775807 --print-config=json

# ---- files that are not regular files
mkfifo "$TMP/fifo"
expect "a FIFO as --config is refused, not read" 2 "--config $TMP/fifo: is a FIFO \(named pipe\), not a regular file" -- \
    timeout -s KILL 20 $LTRUN --config "$TMP/fifo"
expect "a FIFO as --ckpt-path is refused, not read" 2 "--ckpt-path $TMP/fifo: is a FIFO" -- \
    timeout -s KILL 20 $LTRUN test $COMMON --data.data_dir "$D" --ckpt-path "$TMP/fifo" --trainer.default_root_dir "$TMP/t6"
expect "a directory as --config is said to be one" 2 "--config $TMP: is a directory" -- $LTRUN --config "$TMP"
expect "a directory as --ckpt-path is said to be one" 2 "--ckpt-path $TMP: is a directory" -- \
    $LTRUN test $COMMON --ckpt-path "$TMP"
expect "/dev/zero as --config is refused" 2 "is a character device" -- timeout -s KILL 20 $LTRUN --config /dev/zero
# a sparse 65 MiB file: refused by its size before it is read
dd if=/dev/null of="$TMP/big.cfg" bs=1 seek=68157440 2> /dev/null
expect "a config over 64 MiB is refused" 2 "--config $TMP/big.cfg: 68157440 bytes is too big" -- \
    $LTRUN --config "$TMP/big.cfg"
: > "$TMP/empty.json"
expect "an empty config is still said to be empty" 2 "the file is empty" -- $LTRUN --config "$TMP/empty.json"

# ---- the flag an error names
expect "--logger csv:{bad is a --logger error" 2 "^ltrun: error: --logger csv:\{bad: the init args" -- \
    $LTRUN --logger 'csv:{bad'
expect "--logger with no name is a --logger error" 2 "--logger: expected NAME\[:JSON\]" -- $LTRUN --logger ':{}'
expect "--callback x:{bad is still a --callback error" 2 "--callback x:\{bad: the init args" -- \
    $LTRUN --callback 'x:{bad'

# ---- --results is checked before training
expect "--results in a missing folder fails before the run" 2 \
    "--results $TMP/nonexistent/r.json: the folder $TMP/nonexistent does not exist" -- \
    $LTRUN fit $COMMON --data.data_dir "$D" --trainer.max_epochs 50 --results "$TMP/nonexistent/r.json" \
    --trainer.default_root_dir "$TMP/t7"
[ -d "$TMP/t7" ] && fail "--results refused: no run output made" || pass "--results refused: no run output made"
expect "--results naming a directory fails before the run" 2 "--results $TMP: is a directory" -- \
    $LTRUN fit $COMMON --data.data_dir "$D" --results "$TMP"
expect "--results in the current folder is fine" 0 '"max_epochs"' -- \
    sh -c "cd '$TMP' && '$LTRUN' --results r.json --print-config=json"

finish
