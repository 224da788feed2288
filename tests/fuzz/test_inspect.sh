#!/bin/sh
# test_inspect.sh — hostile checkpoints through `ltrun inspect` and the checkpoint read
# helpers (runtime/checkpoint/h5util.c, inspect.c): string attributes that are arrays
# (fixed UTF-8 and variable-length), numeric attributes that are arrays, /rng/host with
# 4096 values, integers above 2^53, terminal escapes and invalid UTF-8 in strings from
# the file, a FIFO and a directory as FILE. The files are edits of a real checkpoint made
# by tests/fuzz/mutate. Under the ASan build the overflows are reports; in the plain one
# the wrong values show.
. "${top_srcdir:-.}/tests/lib.sh"
M="$top_builddir/tests/fuzz/mutate"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 64 16 > /dev/null || { echo "make_idx failed"; exit 1; }
COMMON="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 16 --data.batch_size 16
        --trainer.logger false --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false
        --trainer.limit_train_batches 2 --trainer.limit_val_batches 1 --trainer.limit_test_batches 1"
# shellcheck disable=SC2086
$LTRUN fit $COMMON --model.hidden1 8 --model.hidden2 8 --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/base" \
    > "$TMP/base.out" 2>&1 || { echo "the base checkpoint failed:"; cat "$TMP/base.out"; exit 1; }
C="$TMP/base/checkpoints/last.h5"

# no_sanitizer NAME FILE: the run's output has no sanitizer report
no_report() {
    if grep -qE "Sanitizer|runtime error:" "$2"; then fail "$1: sanitizer report"; grep -m 3 -E "ERROR|runtime error|#[0-3] " "$2"
    else pass "$1: no sanitizer report"; fi
}

# string attributes as arrays: never read into a one-string buffer
"$M" "$C" "$TMP/fmt.h5" --attr /meta format str 4 ltrun-checkpoint
expect "/meta format as 4 fixed strings: not ours" 1 "fmt.h5' is an HDF5 file but not an ltrun checkpoint" -- \
    $LTRUN inspect "$TMP/fmt.h5"
"$M" "$C" "$TMP/fmtv.h5" --attr /meta format vstr 4 ltrun-checkpoint
expect "/meta format as 4 variable-length strings: not ours" 1 "fmtv.h5' is an HDF5 file but not an ltrun checkpoint" -- \
    $LTRUN inspect --json "$TMP/fmtv.h5"
# shellcheck disable=SC2086
$LTRUN test $COMMON --trainer.default_root_dir "$TMP/r" --ckpt-path "$TMP/fmtv.h5" > "$TMP/fmtv.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qE "fmtv.h5.*(not an ltrun checkpoint|/meta/format must be a scalar string)" "$TMP/fmtv.out"; then pass "test --ckpt-path: the loader refuses it too"
else fail "test --ckpt-path: the loader refuses it too (exit $rc)"; tail -n 3 "$TMP/fmtv.out"; fi
no_report "test --ckpt-path on the format array" "$TMP/fmtv.out"

"$M" "$C" "$TMP/arr.h5" --attr /meta precision str 4096 abc
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --attr /state_dict/fc1.bias kind vstr 3000 parameter
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --attr /state_dict/fc2.bias dtype str 2 float32
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --attr /meta global_step i64 4096 5
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --attr /meta epoch i64 2,2 1
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --attr /loops batch_idx i64 null 0
"$M" "$TMP/arr.h5" "$TMP/arr.h5" --data /rng/host i64 4096 5
$LTRUN inspect "$TMP/arr.h5" > "$TMP/arr.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then pass "inspect reads a file with array attributes"; else fail "inspect reads a file with array attributes (exit $rc)"; fi
no_report "inspect, array attributes" "$TMP/arr.out"
for want in "precision: <4096 strings>" "global_step: <4096 integers>" "epoch: <4 integers (multi-dimensional)>" \
            "batch_idx: <0 integers>" "host_state: <not 4 integers>"; do
    if grep -qF "$want" "$TMP/arr.out"; then pass "shown as '$want'"; else fail "shown as '$want'"; grep -F "${want%%:*}" "$TMP/arr.out"; fi
done
if grep -E "^  fc1.bias .*float32 +8  $" "$TMP/arr.out" > /dev/null; then pass "a kind array is not read (no kind shown)"
else fail "a kind array is not read (no kind shown)"; grep fc1.bias "$TMP/arr.out"; fi
$LTRUN inspect --json "$TMP/arr.h5" > "$TMP/arr.json" 2>&1
no_report "inspect --json, array attributes" "$TMP/arr.json"
if grep -qF '"host_state":	"<not 4 integers>"' "$TMP/arr.json"; then pass "--json: host_state refused"; else fail "--json: host_state refused"; fi

# integers exactly, above 2^53 and at the int64/uint64 edges
"$M" "$C" "$TMP/big.h5" --attr /meta global_step i64 - 9007199254740993
"$M" "$TMP/big.h5" "$TMP/big.h5" --attr /loops total_batch_idx u64 - 18446744073709551615
"$M" "$TMP/big.h5" "$TMP/big.h5" --attr /rng seed i64 3 -9223372036854775808
expect "text: 2^53 + 1 exactly" 0 "global_step: 9007199254740993$" -- $LTRUN inspect "$TMP/big.h5"
expect "text: UINT64_MAX exactly" 0 "total_batch_idx: 18446744073709551615$" -- $LTRUN inspect "$TMP/big.h5"
expect "text: an int64 array with INT64_MIN" 0 "seed: \[-9223372036854775808,-9223372036854775808,-9223372036854775808\]" -- \
    $LTRUN inspect "$TMP/big.h5"
expect "json: 2^53 + 1 exactly" 0 '"global_step":	9007199254740993,' -- $LTRUN inspect --json "$TMP/big.h5"

# escapes: strings (values, dataset and attribute names) from the file never reach the
# terminal raw
ESC=$(printf '\033')
"$M" "$C" "$TMP/esc.h5" --attr /meta ltrun_version str - "$(printf '\033[31mred\033]0;title\007 \302\2332J \342\200\256x \177 \377')"
"$M" "$TMP/esc.h5" "$TMP/esc.h5" --data "/state_dict/$(printf 'evil\033[2J')" f64 2 1
"$M" "$TMP/esc.h5" "$TMP/esc.h5" --attr /loops "$(printf 'k\033[1m')" i64 - 1
$LTRUN inspect "$TMP/esc.h5" > "$TMP/esc.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && ! grep -q "$ESC" "$TMP/esc.out"; then pass "text: no raw ESC in the output"
else fail "text: no raw ESC in the output (exit $rc)"; fi
expect "text: visible escapes" 0 'ltrun_version: \\x1b\[31mred\\x1b\]0;title\\x07 \\u009b2J \\u202ex \\x7f \\xff$' -- \
    $LTRUN inspect "$TMP/esc.h5"
expect "text: an escaped dataset name" 0 '^  evil\\x1b\[2J ' -- $LTRUN inspect "$TMP/esc.h5"
expect "text: an escaped attribute name" 0 '^  k\\x1b\[1m: 1$' -- $LTRUN inspect "$TMP/esc.h5"
$LTRUN inspect --json "$TMP/esc.h5" > "$TMP/esc.json" 2>&1
if ! grep -q "$ESC" "$TMP/esc.json" && grep -qF '"ltrun_version":	"\u001b[31mred\u001b]0;title\u0007 \u009b2J \u202ex \u007f \ufffd"' "$TMP/esc.json"
then pass "json: \\u00XX escapes, U+FFFD for invalid bytes"; else fail "json: \\u00XX escapes, U+FFFD for invalid bytes"; grep ltrun_version "$TMP/esc.json"; fi
if command -v python3 > /dev/null; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$TMP/esc.json" 2> /dev/null
    then pass "json: still valid JSON (python3)"; else fail "json: still valid JSON (python3)"; fi
fi

# the safety walk's refusal names the object: escaped too
"$M" "$C" "$TMP/elink.h5" --elink "/extra/$(printf 'x\033[2J')" "$C" /meta
$LTRUN inspect "$TMP/elink.h5" > "$TMP/elink.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "'/extra/x\x1b[2J' is an external" "$TMP/elink.out" && ! grep -q "$ESC" "$TMP/elink.out"
then pass "an external link's name is escaped in the refusal"; else fail "an external link's name is escaped in the refusal (exit $rc)"; cat "$TMP/elink.out"; fi

# not a regular file: refused before HDF5 opens it (a FIFO would block)
mkfifo "$TMP/fifo"
expect "a FIFO is refused, not waited on" 1 "inspect: .*/fifo: is a FIFO \(named pipe\), not a regular file" -- timeout 10 $LTRUN inspect "$TMP/fifo"
expect "a directory is refused" 1 "is a directory, not a regular file" -- $LTRUN inspect "$TMP"
expect "a missing file" 1 "nofile.h5: No such file or directory" -- $LTRUN inspect "$TMP/nofile.h5"
ln -s "$C" "$TMP/link.h5"
expect "a symlink to a checkpoint is read" 0 "format: ltrun-checkpoint" -- $LTRUN inspect "$TMP/link.h5"

# an optimizer group without param_groups (no state count): printed, not dereferenced
"$M" "$C" "$TMP/nopg.h5" --delete /optimizer/0/param_groups
expect "an optimizer without param_groups" 0 "optimizer 0: Adam, state for \? parameter" -- $LTRUN inspect "$TMP/nopg.h5"

# the untouched checkpoint still reads as before
expect "the base checkpoint" 0 "state_dict: 6 tensors, 6442 elements" -- $LTRUN inspect "$C"
finish
