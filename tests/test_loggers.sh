#!/bin/sh
# test_loggers.sh — logger plugins and plugin discovery: Lightning's CSVLogger
# layout (lightning_logs/version_N, metrics.csv columns and rows with the logger
# connector's steps and "epoch", header widening, hparams.yaml), the default logger,
# --trainer.logger false, jsonl lines, several loggers at once, unknown init arg error,
# discovery order (LT_PLUGIN_PATH, then $XDG_DATA_HOME/ltrun/plugins; never the cwd),
# --callback NAME, and `ltrun plugins` with a rejected candidate.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
LG="$top_builddir/plugins/loggers"
export LT_PLUGIN_PATH="$LG"
export XDG_DATA_HOME="$TMP/xdg"
W="$TMP/work"
mkdir -p "$W"
run() { # run DIR ARGS...: a 2-epoch fit of tools_module (3 batches an epoch) in DIR
    d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.max_epochs 2 --trainer.log_every_n_steps 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false "$@") \
        > "$TMP/out.txt" 2>&1
}
runo() { run "$@"; rc=$?; cat "$TMP/out.txt"; return $rc; }

# default logger (logger=True): CSV into default_root_dir/lightning_logs/version_0.
# Rows as Lightning's logger connector makes them: train steps at _batches_that_stepped
# (0, 1, 2), validation's epoch end and the train epoch end at the last step (2), all
# with "epoch"; header = sorted keys; ints for epoch/step, Python repr for floats.
run "$W/a" || { cat "$TMP/out.txt"; }
cat > "$TMP/want.csv" <<'X'
both_epoch,both_step,default,epoch,max,mean_1,mean_w,min,step,sum,val_v
,1.0,1.0,0,,,,,0,,
,2.0,2.0,0,,,,,1,,
,3.0,3.0,0,,,,,2,,
,,,0,,,,,2,,1.8
1.8,,,0,3.0,2.0,1.8,1.0,2,6.0,
,1.0,1.0,1,,,,,3,,
,2.0,2.0,1,,,,,4,,
,3.0,3.0,1,,,,,5,,
,,,1,,,,,5,,1.8
1.8,,,1,3.0,2.0,1.8,1.0,5,6.0,
X
if tr -d '\r' < "$W/a/lightning_logs/version_0/metrics.csv" | diff -u "$TMP/want.csv" -; then
    pass "csv: default logger, Lightning's columns, steps and epoch"
else fail "csv: default logger, Lightning's columns, steps and epoch"; fi
if grep -q "$(printf '\r')\$" "$W/a/lightning_logs/version_0/metrics.csv"; then
    pass "csv: CRLF line ends (csv.DictWriter)"; else fail "csv: \\r\\n line ends"; fi
cat > "$TMP/want.yaml" <<'X'
anomaly: none
bad_log: none
length: 10
no_predict: false
shuffle: false
X
if diff -u "$TMP/want.yaml" "$W/a/lightning_logs/version_0/hparams.yaml"; then
    pass "csv: hparams.yaml (module + data hparams, sorted, yaml.dump style)"
else fail "csv: hparams.yaml"; fi

# versioning: next free version_N (1 + max), a given version used as given
mkdir -p "$W/a/lightning_logs/version_7"
run "$W/a"
if [ -f "$W/a/lightning_logs/version_8/metrics.csv" ]; then pass "csv: version = 1 + max existing"
else fail "csv: version = 1 + max existing"; ls -R "$W/a"; fi
run "$W/a" --logger 'csv:{"version": "exp", "name": ""}'
if [ -f "$W/a/exp/metrics.csv" ] && [ -f "$W/a/exp/hparams.yaml" ]; then
    pass "csv: string version verbatim, name \"\" drops lightning_logs"
else fail "csv: string version / empty name"; fi

# header widening: with log_every_n_steps 2 the first write has fewer keys; the file
# is rewritten with the union, old rows keep their cells
run "$W/b" --trainer.log_every_n_steps 2 --trainer.max_epochs 1
h=$(head -n 1 "$W/b/lightning_logs/version_0/metrics.csv" | tr -d '\r')
r1=$(sed -n 2p "$W/b/lightning_logs/version_0/metrics.csv" | tr -d '\r')
if [ "$h" = "both_epoch,both_step,default,epoch,max,mean_1,mean_w,min,step,sum,val_v" ] &&
   [ "$r1" = ",2.0,2.0,0,,,,,1,," ]; then pass "csv: a new key widens the header, rows kept"
else fail "csv: header widening: $h / $r1"; fi

# logger false: nothing written
run "$W/c" --trainer.logger false
if [ ! -e "$W/c/lightning_logs" ]; then pass "--trainer.logger false: no logger"
else fail "--trainer.logger false: no logger"; fi

# jsonl with csv at once; config list form
run "$W/d" --logger csv --logger 'jsonl:{"version": "j"}'
J="$W/d/lightning_logs/j/metrics.jsonl"
if [ -f "$W/d/lightning_logs/version_0/metrics.csv" ] &&
   sed -n 2p "$J" | grep -qx '{"step":0,"metrics":{"default":1,"both_step":1,"epoch":0}}' &&
   head -n 1 "$J" | grep -q '^{"hparams":{"anomaly":"none"' &&
   tail -n 1 "$J" | grep -qx '{"status":"success"}' && [ "$(wc -l < "$J")" -eq 12 ]; then
    pass "jsonl: one object per log_metrics call, with csv at once"
else fail "jsonl lines"; cat "$J"; fi
printf '{"trainer": {"logger": [{"class_path": "jsonl", "init_args": {"version": "k"}}]}}' > "$TMP/cfg.json"
run "$W/d" --config "$TMP/cfg.json"
if [ -f "$W/d/lightning_logs/k/metrics.jsonl" ]; then pass "config: trainer.logger list"
else fail "config: trainer.logger list"; fi

# unknown init arg: an error naming the logger and the key
expect "unknown logger key is an error naming plugin and key" 2 "flush_every: plugin .csv. has no such" -- \
    runo "$W/e" --logger 'csv:{"flush_every": 3}'
expect "unknown logger name" 3 "no logger plugin named 'nosuch'" -- runo "$W/e" --logger nosuch

# the default logger ships with ltrun: the build tree's ltrun (not installed, nothing on
# LT_PLUGIN_PATH or in the XDG dir) still logs to lightning_logs/version_0/metrics.csv
mkdir -p "$W/default"
(cd "$W/default" && LT_PLUGIN_PATH= XDG_DATA_HOME="$TMP/empty-xdg" "$LTRUN" fit \
    --module "$P/tools_module.so" --data "$P/trace_data.so" --trainer.max_epochs 1 \
    --trainer.enable_progress_bar false >/dev/null 2>&1)
if [ -f "$W/default/lightning_logs/version_0/metrics.csv" ]; then
    pass "default logger: csv from ltrun's build tree when not installed"
else fail "default logger from the build tree"; fi

# discovery: LT_PLUGIN_PATH beats XDG beats installed; the cwd is never searched
mkdir -p "$TMP/p1" "$TMP/xdg/ltrun/plugins/loggers" "$W/f"
cp "$LG/jsonl.so" "$TMP/xdg/ltrun/plugins/loggers/jsonl.so"
cp "$LG/jsonl.so" "$TMP/p1/jsonl.so"
out=$(LT_PLUGIN_PATH="$TMP/p1" "$LTRUN" plugins 2>&1)
if printf '%s\n' "$out" | grep -E "^logger +jsonl .*$TMP/p1/jsonl.so *$" >/dev/null &&
   printf '%s\n' "$out" | grep -F "$TMP/xdg/ltrun/plugins/loggers/jsonl.so  (shadowed by $TMP/p1/jsonl.so)" >/dev/null; then
    pass "plugins: LT_PLUGIN_PATH first, XDG dir shadowed"
else fail "plugins: order"; printf '%s\n' "$out"; fi
(cd "$W/f" && LT_PLUGIN_PATH= "$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" \
    --trainer.max_epochs 1 --trainer.enable_progress_bar false --logger jsonl >/dev/null 2>&1)
if [ -f "$W/f/lightning_logs/version_0/metrics.jsonl" ]; then pass "discovery: XDG data dir"
else fail "discovery: XDG data dir"; fi
rm -f "$TMP/xdg/ltrun/plugins/loggers/jsonl.so"
# (a name the build does not ship: the build-tree ltrun finds the build's own jsonl)
cp "$LG/jsonl.so" "$W/f/cwd_only.so"
expect "discovery: the cwd is never searched" 3 "no logger plugin named 'cwd_only'" -- \
    sh -c "cd '$W/f' && LT_PLUGIN_PATH= '$LTRUN' fit --module '$P/tools_module.so' --data '$P/trace_data.so' --trainer.max_epochs 1 --logger cwd_only"

# ltrun plugins: kind, name, version, ABI, path; a rejected candidate with the reason
cp "$P/abi_major.so" "$TMP/p1/"
out=$(LT_PLUGIN_PATH="$TMP/p1:$LG" "$LTRUN" plugins 2>&1)
if printf '%s\n' "$out" | grep -E "^logger +csv +[0-9.]+ +ABI 1\.[0-9]+ +$LG/csv.so" >/dev/null &&
   printf '%s\n' "$out" | grep -E "^rejected +$TMP/p1/abi_major.so: .*ABI" >/dev/null; then
    pass "ltrun plugins: listing and a rejected candidate"
else fail "ltrun plugins listing"; printf '%s\n' "$out"; fi

# --callback NAME goes through the same search
mkdir -p "$TMP/cb"
cp "$P/log_gate_callback.so" "$TMP/cb/"
run "$W/g" --trainer.logger false --callback "log_gate_callback:{\"trace\": \"$TMP/t.txt\"}"
[ -s "$TMP/t.txt" ] && fail "--callback NAME must not be found without its dir on the path"
export LT_PLUGIN_PATH="$TMP/cb"
run "$W/g" --trainer.logger false --callback "log_gate_callback:{\"trace\": \"$TMP/t.txt\"}"
if [ -s "$TMP/t.txt" ]; then pass "--callback NAME found on LT_PLUGIN_PATH"
else fail "--callback NAME"; cat "$TMP/out.txt"; fi

# the host makes default_root_dir before any logger's create (a logger may write there)
run "$W/h" --logger "$P/root_dir_logger.so" --trainer.default_root_dir "$W/h/not/yet"
if [ $? -eq 0 ] && [ -d "$W/h/not/yet" ]; then pass "default_root_dir exists at a logger's create"
else fail "default_root_dir exists at a logger's create"; tail -n 3 "$TMP/out.txt"; fi
finish
