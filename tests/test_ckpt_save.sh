#!/bin/sh
# test_ckpt_save.sh — saving checkpoints safely: a symlink planted at any name an attacker
# can predict is never written through (the temporary file has an unpredictable name and is
# created O_EXCL|O_NOFOLLOW; the rename replaces a symlink at the target itself); a full
# disk is a clean error (exit 1, the reason named, no crash at exit, the previous file
# intact, no temporary file left), also when SIGTERM's save hits it; stale temporary files
# of dead writers are removed at the next save into the folder (only ltrun's own naming),
# and `--ckpt-path last` ignores temporary files; a byte flipped inside a tensor's stored data
# makes the load fail (Fletcher-32 per chunk), with compression 1-9 too.
# The full disk is a small tmpfs when this runs as root and may mount one, else
# RLIMIT_FSIZE (`ulimit -f`, SIGXFSZ ignored: writes fail with EFBIG); neither: exit 77.
. "${top_srcdir:-.}/tests/lib.sh"
trap 'umount "$TMP/full" 2> /dev/null; rm -rf "$TMP"' EXIT

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
ARGS="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100 --trainer.logger false
      --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false"
RUN="$LTRUN fit $ARGS --trainer.max_epochs 1"
# ltrun's temporary naming (util/tmpfile.h): .BASE.ltrun-tmp-PID-12 letters/digits
tmps() { ls -A "$1" | grep -E 'ltrun-tmp|\.tmp' | tr '\n' ' '; }

# ---------------------------------------------------------------- symlinks
echo "precious" > "$TMP/victim"
C="$TMP/sy/checkpoints"
mkdir -p "$C"
# the old predictable name (PATH.tmp.PID: $$ of the shell that execs ltrun is ltrun's pid),
# the new naming with guessed random parts, and last.h5 itself
sh -c 'for n in "last.h5.tmp.$$" ".last.h5.ltrun-tmp-$$-AAAAAAAAAAAA" ".last.h5.ltrun-tmp-$$-000000000000" \
                ".last.h5.ltrun-tmp-$$"; do ln -s "$1" "$2/$n"; done
       ln -s "$1" "$2/last.h5"; shift 2; exec "$@"' sh "$TMP/victim" "$C" \
    $RUN --trainer.default_root_dir "$TMP/sy" > "$TMP/sy.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$TMP/victim")" = "precious" ]; then pass "planted symlinks: the victim file is untouched"
else fail "planted symlinks: rc $rc, victim now $(wc -c < "$TMP/victim") bytes"; tail -n 3 "$TMP/sy.out"; fi
if [ -f "$C/last.h5" ] && [ ! -L "$C/last.h5" ]; then pass "last.h5 is a regular file (the symlink was replaced)"
else fail "last.h5 is $(ls -l "$C/last.h5")"; fi
expect "the new last.h5 is a checkpoint" 0 "format: ltrun-checkpoint" -- $LTRUN inspect "$C/last.h5"
# a dangling symlink at the old name (creating a file elsewhere) is not followed either
mkdir -p "$TMP/sy2/checkpoints"
sh -c 'ln -s "$1" "$2/last.h5.tmp.$$"; shift 2; exec "$@"' sh "$TMP/created" "$TMP/sy2/checkpoints" \
    $RUN --trainer.default_root_dir "$TMP/sy2" > /dev/null 2>&1
if [ ! -e "$TMP/created" ] && [ -f "$TMP/sy2/checkpoints/last.h5" ]; then pass "a dangling symlink creates no file"
else fail "a dangling symlink at the temporary name created $TMP/created"; fi

# the other files ltrun replaces by rename: --results, model_checkpoint's checkpoints and
# its sidecar (.model_checkpoint.json.tmp had no pid at all)
M="$TMP/sy3"
mkdir -p "$M/ck"
sh -c 'for n in "$2/r.json.tmp.$$" "$2/ck/.model_checkpoint.json.tmp" "$2/ck/epoch=0-step=4.h5.tmp.$$" \
                "$2/ck/last.h5.tmp.$$"; do ln -s "$1" "$n"; done; shift 2; exec "$@"' sh "$TMP/victim" "$M" \
    $RUN --trainer.default_root_dir "$M" --results "$M/r.json" \
    --callback "$top_builddir/plugins/callbacks/model_checkpoint.so:{\"dirpath\": \"$M/ck\", \"save_last\": true}" \
    > "$TMP/sy3.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$TMP/victim")" = "precious" ] && [ -f "$M/ck/.model_checkpoint.json" ] &&
   [ ! -L "$M/ck/.model_checkpoint.json" ] && [ -s "$M/r.json" ] && [ -f "$M/ck/last.h5" ]
then pass "--results, model_checkpoint and its sidecar: planted symlinks not followed"
else fail "--results / model_checkpoint with planted symlinks: rc $rc, victim $(wc -c < "$TMP/victim") bytes"
     tail -n 3 "$TMP/sy3.out"; ls -la "$M/ck"; echo precious > "$TMP/victim"; fi

# ---------------------------------------------------------------- stale temporary files
C="$TMP/st/checkpoints"
mkdir -p "$C"
sh -c 'exit 0' & dead=$!
wait $dead
kill -0 $dead 2> /dev/null && dead=999999999 # reused already: a pid above pid_max
touch "$C/.last.h5.ltrun-tmp-$dead-Ab3dEf6hIj9k" "$C/.epoch=0-step=4.h5.ltrun-tmp-$dead-000000000000"
ln -s "$TMP/victim" "$C/.last.h5.ltrun-tmp-$dead-zzzzzzzzzzzz"
# kept: a live writer's, other naming (the old one included), other files
touch "$C/.last.h5.ltrun-tmp-$$-Ab3dEf6hIj9k" "$C/last.h5.tmp.$dead" "$C/.last.h5.ltrun-tmp-$dead-short" \
      "$C/.last.h5.ltrun-tmp-$dead" "$C/notes.txt" "$C/.last.h5.ltrun-tmp-x$dead-Ab3dEf6hIj9k"
$RUN --trainer.default_root_dir "$TMP/st" > "$TMP/st.out" 2>&1
got=$(ls -A "$C" | sort | tr '\n' ' ')
want=$(printf '%s\n' ".last.h5.ltrun-tmp-$$-Ab3dEf6hIj9k" ".last.h5.ltrun-tmp-$dead" ".last.h5.ltrun-tmp-$dead-short" \
       ".last.h5.ltrun-tmp-x$dead-Ab3dEf6hIj9k" last.h5 "last.h5.tmp.$dead" notes.txt \
       .model_checkpoint.json epoch=0-step=4.h5 | sort | tr '\n' ' ') # + the default ModelCheckpoint's
if [ "$got" = "$want" ]; then pass "stale temporary files of dead writers removed, nothing else"
else fail "stale temporary files: left '$got', expected '$want'"; tail -n 3 "$TMP/st.out"; fi
if [ "$(cat "$TMP/victim")" = "precious" ]; then pass "a stale temporary symlink is removed, not its target"
else fail "the stale symlink's target changed"; fi

# ---------------------------------------------------------------- checksums
$RUN --trainer.default_root_dir "$TMP/ref" > /dev/null 2>&1
TEST="$LTRUN test $ARGS"
# flip FILE DATASET: invert one bit in the middle of DATASET's stored bytes
flip() {
    set -- "$1" "$2" $("$top_builddir/tests/h5_data_offset" "$1" "$2")
    [ -n "${4:-}" ] || return 1
    pos=$(( $3 + $4 / 2 ))
    byte=$(od -An -tu1 -j "$pos" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$1" bs=1 seek="$pos" conv=notrunc 2> /dev/null
}
if h5dump -p -H -d /state_dict/fc1.weight "$TMP/ref/checkpoints/last.h5" 2> /dev/null | grep -q FLETCHER32
then pass "tensors are stored with a Fletcher-32 checksum"
elif command -v h5dump > /dev/null; then fail "no FLETCHER32 filter on /state_dict/fc1.weight"; fi
for ds in /state_dict/fc1.weight /state_dict/fc2.bias; do
    cp "$TMP/ref/checkpoints/last.h5" "$TMP/flip.h5"
    flip "$TMP/flip.h5" "$ds"
    if cmp -s "$TMP/flip.h5" "$TMP/ref/checkpoints/last.h5"; then fail "flip $ds: the file did not change"; continue; fi
    expect "one flipped byte in $ds: test --ckpt-path refuses the file" 1 "$TMP/flip.h5" -- \
        $TEST --ckpt-path "$TMP/flip.h5"
done
cp "$TMP/ref/checkpoints/last.h5" "$TMP/flip.h5"
ds=$(h5ls -r "$TMP/flip.h5" 2> /dev/null | sed -n 's|^\(/optimizer/0/state/[^ ]*/exp_avg\) .*|\1|p' | head -n 1)
[ -n "$ds" ] || ds=/optimizer/0/state/fc1.weight/exp_avg
if flip "$TMP/flip.h5" "$ds"; then
    expect "one flipped byte in $ds: fit --ckpt-path refuses the file" 1 "$TMP/flip.h5" -- \
        $RUN --trainer.max_epochs 2 --trainer.default_root_dir "$TMP/fl" --ckpt-path "$TMP/flip.h5"
else fail "no optimizer state dataset $ds"; fi
# compression 1-9: shuffle + deflate + fletcher32, and the file loads
want=$($LTRUN validate $ARGS --ckpt-path "$TMP/ref/checkpoints/last.h5" 2>&1 | grep 'val/loss')
for level in 1 9; do
    $RUN --trainer.default_root_dir "$TMP/z$level" --trainer.checkpoint_compression $level > /dev/null 2>&1
    f="$TMP/z$level/checkpoints/last.h5"
    filters=$(h5dump -p -H -d /state_dict/fc1.weight "$f" 2> /dev/null |
        grep -cE "SHUFFLE|COMPRESSION DEFLATE \{ LEVEL $level \}|FLETCHER32")
    got=$($LTRUN validate $ARGS --ckpt-path "$f" 2>&1 | grep 'val/loss')
    if [ -n "$want" ] && [ "$got" = "$want" ] && { [ "$filters" -eq 3 ] || ! command -v h5dump > /dev/null; }
    then pass "compression $level: shuffle, deflate and fletcher32; the file loads"
    else fail "compression $level: $filters of 3 filters, '$got' vs '$want'"; fi
done

# ---------------------------------------------------------------- full disk
size=$(wc -c < "$TMP/ref/checkpoints/last.h5")
F="$TMP/full"
mkdir -p "$F"
how=""
# room for the previous last.h5 and 3/4 of a new one
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=$(( (size + size * 3 / 4) / 1024 ))k tmpfs "$F" 2> /dev/null; then
    how=tmpfs
    LIMIT=""
elif (ulimit -f 100000) 2> /dev/null; then
    how="ulimit -f"
    LIMIT=$(( size * 3 / 4 / 512 )) # blocks of 512 bytes (POSIX sh)
fi
if [ -z "$how" ]; then skip "the full-disk cases" "neither a tmpfs nor RLIMIT_FSIZE here"; finish; exit; fi
echo "# full disk: $how"
# run_full CMD...: exec CMD with the file size limit when there is no tmpfs (in a subshell:
# $! is then CMD's pid)
run_full() {
    if [ -n "$LIMIT" ]; then exec sh -c 'trap "" XFSZ; ulimit -f "$0"; exec "$@"' "$LIMIT" "$@"; else exec "$@"; fi
}
mkdir -p "$F/checkpoints"
cp "$TMP/ref/checkpoints/last.h5" "$F/checkpoints/last.h5"
cp "$F/checkpoints/last.h5" "$TMP/previous.h5"
(run_full $RUN --trainer.max_epochs 2 --trainer.default_root_dir "$F") > "$TMP/full.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qE "saving checkpoint '$F/checkpoints/(last|epoch=0-step=4).h5' failed: (No space left on device|File too large)" "$TMP/full.out"
then pass "full disk: exit 1, the file and the reason named"
else fail "full disk: exit $rc (139 is the crash at exit)"; tail -n 3 "$TMP/full.out"; fi
if cmp -s "$F/checkpoints/last.h5" "$TMP/previous.h5"; then pass "full disk: the previous checkpoint is intact"
else fail "full disk: the previous checkpoint changed"; fi
left=$(tmps "$F/checkpoints")
if [ -z "$left" ]; then pass "full disk: no temporary file left"; else fail "full disk: left $left"; fi
# SIGTERM: the save after the interrupted step hits the full disk
(run_full $LTRUN fit $ARGS --trainer.max_epochs 1000 --trainer.limit_val_batches 0 --trainer.default_root_dir "$F") \
    > "$TMP/term.out" 2>&1 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q "Seed set" "$TMP/term.out" 2> /dev/null && break
    sleep 0.1
done
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
if [ "$rc" -eq 1 ] && grep -qE "saving checkpoint .* failed: (No space left on device|File too large)" "$TMP/term.out"
then pass "SIGTERM on a full disk: exit $rc, the failure named, no crash"
else fail "SIGTERM on a full disk: exit $rc"; tail -n 3 "$TMP/term.out"; fi
if cmp -s "$F/checkpoints/last.h5" "$TMP/previous.h5" && [ -z "$(tmps "$F/checkpoints")" ]
then pass "SIGTERM on a full disk: previous checkpoint intact, no temporary file"
else fail "SIGTERM on a full disk: $(ls -A "$F/checkpoints")"; fi

finish
