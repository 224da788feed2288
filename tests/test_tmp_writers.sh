#!/bin/sh
# test_tmp_writers.sh — the plugins' files replaced by rename go through the host's
# temporary file (lt_tmp_create, ABI 1.6: O_EXCL|O_NOFOLLOW, a name nobody can predict): a
# symlink planted at the old predictable temporary name of the mnist cache (CPATH.tmp.PID),
# the csv logger (metrics.csv.tmp) or the mlflow logger (meta.yaml.tmp) leaves its target
# untouched and the file is still written; stale temporary files of dead writers in the
# mnist cache folder are removed. --predictions on a full disk is a clean error (exit 1,
# the path and the reason named, no crash at exit, the previous file intact, no temporary
# file left). The full disk is a tmpfs filled up when this runs as root and may mount one,
# else RLIMIT_FSIZE (`ulimit -f`, SIGXFSZ ignored: writes fail with EFBIG).
. "${top_srcdir:-.}/tests/lib.sh"
trap 'umount "$TMP/full" 2> /dev/null; rm -rf "$TMP"' EXIT
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 200 50 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
echo "precious" > "$TMP/victim"
intact() { [ "$(cat "$TMP/victim")" = "precious" ]; }
tmps() { ls -A "$1" | grep -E 'ltrun-tmp|\.tmp' | tr '\n' ' '; }

# ---------------------------------------------------------------- mnist cache
C="$TMP/cache"
MN="fit --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 50 --data.cache_dir $C
    --trainer.max_epochs 1 --trainer.limit_train_batches 1 --trainer.limit_val_batches 0
    --trainer.logger false --trainer.enable_checkpointing false --trainer.enable_progress_bar false
    --trainer.enable_model_summary false --seed 1"
# shellcheck disable=SC2086
$LTRUN $MN > "$TMP/mn0.out" 2>&1 || { fail "mnist: a first run to learn the cache names"; tail -n 3 "$TMP/mn0.out"; }
names=$(ls "$C")
if [ -n "$names" ]; then pass "mnist: the cache holds $(echo $names | wc -w) files"; else fail "mnist: no cache files"; fi
rm -f "$C"/*
# a dead writer's temporary file (ltrun's naming) and the old names as symlinks to the victim,
# under the pid ltrun will have ($$ of the shell that execs it)
sh -c 'exit 0' & dead=$!
wait $dead
kill -0 $dead 2> /dev/null && dead=999999999
touch "$C/.train-images-idx3-ubyte.ltrun-tmp-$dead-Ab3dEf6hIj9k"
# shellcheck disable=SC2086
NAMES="$names" sh -c 'v=$1 c=$2; shift 2; for n in $NAMES; do ln -s "$v" "$c/$n.tmp.$$"; done; exec "$@"' sh \
    "$TMP/victim" "$C" $LTRUN $MN > "$TMP/mn.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && intact; then pass "mnist cache: symlinks at CPATH.tmp.PID not followed, the victim is untouched"
else fail "mnist cache with planted symlinks: rc $rc, victim $(wc -c < "$TMP/victim") bytes"; tail -n 3 "$TMP/mn.out"
     echo precious > "$TMP/victim"; fi
ok=1
for n in $names; do [ -f "$C/$n" ] && [ ! -L "$C/$n" ] || ok=0; done
if [ "$ok" -eq 1 ]; then pass "mnist cache: the cached copies are written anyway"
else fail "mnist cache: $(ls -A "$C" | tr '\n' ' ')"; fi
if [ -z "$(ls -A "$C" | grep ltrun-tmp)" ]; then pass "mnist cache: the dead writer's temporary file is removed"
else fail "mnist cache: left $(tmps "$C")"; fi

# ---------------------------------------------------------------- csv logger
# a fit whose validation adds keys after the first rows: csv rewrites metrics.csv
CSV="fit --module $P/tools_module.so --data $P/trace_data.so --seed 1 --trainer.max_epochs 2
     --trainer.log_every_n_steps 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false
     --trainer.enable_checkpointing false"
V="$TMP/csv/lightning_logs/v"
mkdir -p "$V"
ln -s "$TMP/victim" "$V/metrics.csv.tmp"
# shellcheck disable=SC2086
(cd "$TMP/csv" && $LTRUN $CSV --logger 'csv:{"version": "v"}') > "$TMP/csv.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && intact && [ -f "$V/metrics.csv" ] && [ ! -L "$V/metrics.csv" ] &&
   head -n 1 "$V/metrics.csv" | grep -q "val" && [ -z "$(ls -A "$V" | grep ltrun-tmp)" ]
then pass "csv logger: a symlink at metrics.csv.tmp not followed; metrics.csv rewritten with the new keys"
else fail "csv logger with a planted symlink: rc $rc, victim $(wc -c < "$TMP/victim") bytes"; tail -n 3 "$TMP/csv.out"
     ls -la "$V"; echo precious > "$TMP/victim"; fi

# ---------------------------------------------------------------- mlflow logger
# the run's meta.yaml is replaced at the start and the end; a second run resumes the run id
mkdir -p "$TMP/ml"
# shellcheck disable=SC2086
(cd "$TMP/ml" && $LTRUN $CSV --logger mlflow) > "$TMP/ml0.out" 2>&1
R=$(ls -d "$TMP"/ml/mlruns/[1-9]*/*/ 2> /dev/null | head -n 1)
R=${R%/}
if [ -f "$R/meta.yaml" ]; then
    ln -s "$TMP/victim" "$R/meta.yaml.tmp"
    # shellcheck disable=SC2086
    (cd "$TMP/ml" && $LTRUN $CSV --logger "mlflow:{\"run_id\": \"$(basename "$R")\"}") > "$TMP/ml.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && intact && [ -f "$R/meta.yaml" ] && [ ! -L "$R/meta.yaml" ] &&
       grep -q "status: 3" "$R/meta.yaml" && [ -z "$(ls -A "$R" | grep ltrun-tmp)" ]
    then pass "mlflow logger: a symlink at meta.yaml.tmp not followed; meta.yaml written (FINISHED)"
    else fail "mlflow logger with a planted symlink: rc $rc, victim $(wc -c < "$TMP/victim") bytes"
         tail -n 3 "$TMP/ml.out"; ls -la "$R"; echo precious > "$TMP/victim"; fi
else fail "mlflow: no run folder after the first run"; tail -n 3 "$TMP/ml0.out"; fi

# ---------------------------------------------------------------- --predictions on a full disk
PR="predict --module $P/trace_module.so --data $P/trace_data.so --data.trace_file /dev/null
    --trainer.enable_progress_bar false"
F="$TMP/full"
mkdir -p "$F"
# shellcheck disable=SC2086
$LTRUN $PR --predictions "$TMP/previous.h5" > /dev/null 2>&1
# 2000 rows: a 44 kB file whose chunks HDF5 would keep in its cache until the close
PR="$PR --data.length 2000"
how=""
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=128k tmpfs "$F" 2> /dev/null; then
    how=tmpfs
    cp "$TMP/previous.h5" "$F/p.h5"
    # 16 kB left: the temporary file is created, the predictions do not fit
    dd if=/dev/zero of="$F/fill" bs=4096 count=27 2> /dev/null
    LIMIT=""
elif (ulimit -f 100000) 2> /dev/null; then
    how="ulimit -f"
    cp "$TMP/previous.h5" "$F/p.h5"
    LIMIT=1 # 512 bytes: the predictions file is larger
fi
if [ -z "$how" ]; then skip "the full-disk cases" "neither a tmpfs nor RLIMIT_FSIZE here"; finish; exit; fi
echo "# full disk: $how"
# shellcheck disable=SC2086
if [ -n "$LIMIT" ]; then sh -c 'trap "" XFSZ; ulimit -f "$0"; exec "$@"' "$LIMIT" $LTRUN $PR --predictions "$F/p.h5"
else $LTRUN $PR --predictions "$F/p.h5"; fi > "$TMP/full.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qE -- "--predictions $F/p.h5: writing the file failed: (No space left on device|File too large)" "$TMP/full.out" &&
   ! grep -q "written to" "$TMP/full.out"
then pass "--predictions on a full disk: exit 1, the file and the reason named"
else fail "--predictions on a full disk: exit $rc (139 is the crash at exit)"; grep -v '^/' "$TMP/full.out" | tail -n 4; fi
if cmp -s "$F/p.h5" "$TMP/previous.h5"; then pass "--predictions on a full disk: the previous file is intact"
else fail "--predictions on a full disk: the previous file changed"; fi
left=$(tmps "$F")
if [ -z "$left" ]; then pass "--predictions on a full disk: no temporary file left"; else fail "left: $left"; fi
# with room again, the same command writes the file
rm -f "$F/fill"
# shellcheck disable=SC2086
expect "--predictions with room: written" 0 "Predictions of 500 batches written to $F/p.h5" -- \
    $LTRUN $PR --predictions "$F/p.h5"
# shellcheck disable=SC2086
$LTRUN $PR --predictions "$TMP/want.h5" > /dev/null 2>&1
if command -v h5dump > /dev/null; then
    expect "--predictions: the file reads back" 0 "DATASPACE +SIMPLE \{ \( 2000, 2 \)" -- h5dump -H "$F/p.h5"
    h5dump -d predictions "$F/p.h5" | tail -n +2 > "$TMP/got.txt"
    h5dump -d predictions "$TMP/want.h5" | tail -n +2 > "$TMP/want.txt"
    if cmp -s "$TMP/got.txt" "$TMP/want.txt" && [ -s "$TMP/want.txt" ]; then pass "--predictions: every row as written on a roomy disk"
    else fail "--predictions: rows differ from a run on a roomy disk"; fi
fi

finish
