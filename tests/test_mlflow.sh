#!/bin/sh
# test_mlflow.sh — the mlflow logger plugin: MLflow's file store as
# MLFlowLogger writes it through mlflow (anchors.md C2): mlruns/0 (Default),
# mlruns/<exp_id>/meta.yaml for "lightning_logs", the run's meta.yaml (RUNNING while
# training, FINISHED / FAILED at finalize, end_time), metrics/<key> lines
# "<timestamp_ms> <value> <step>", params/<key> (str(value), flattened with "/"), tags;
# the experiment reused by name on a second run; params immutable.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers"
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

run "$W/a" --logger 'mlflow:{"run_name": "r1", "tags": "{\"team\": \"x\"}"}' || cat "$TMP/out.txt"
M="$W/a/mlruns"
abs=$(cd "$M" && pwd -P)
exps=$(ls "$M" | grep -v '^0$')
R=$(ls -d "$M/$exps"/*/ 2>/dev/null | head -n 1)
R=${R%/}
rid=$(basename "$R")

cat > "$TMP/want0.yaml" <<X
artifact_location: file://$abs/0
experiment_id: '0'
lifecycle_stage: active
name: Default
X
if grep -v '_time: ' "$M/0/meta.yaml" | diff -u "$TMP/want0.yaml" - &&
   grep -Eq '^creation_time: [0-9]{13}$' "$M/0/meta.yaml"; then
    pass "mlruns/0/meta.yaml: the Default experiment"
else fail "Default experiment"; cat "$M/0/meta.yaml"; fi

cat > "$TMP/wantx.yaml" <<X
artifact_location: file://$abs/$exps
experiment_id: '$exps'
lifecycle_stage: active
name: lightning_logs
X
if [ "$(echo "$exps" | wc -w)" -eq 1 ] && echo "$exps" | grep -Eq '^[0-9]+$' &&
   grep -v '_time: ' "$M/$exps/meta.yaml" | diff -u "$TMP/wantx.yaml" -; then
    pass "experiment lightning_logs: integer id, meta.yaml keys sorted"
else fail "experiment meta.yaml"; ls "$M"; fi

cat > "$TMP/wantr.yaml" <<X
artifact_uri: file://$abs/$exps/$rid/artifacts
deleted_time: null
entry_point_name: ''
experiment_id: '$exps'
lifecycle_stage: active
run_id: $rid
run_name: r1
run_uuid: $rid
source_name: ''
source_type: 4
source_version: ''
status: 3
tags: []
X
if echo "$rid" | grep -Eq '^[0-9a-f]{32}$' &&
   grep -Ev '^(start|end)_time: |^user_id: ' "$R/meta.yaml" | diff -u "$TMP/wantr.yaml" - &&
   grep -Eq '^end_time: [0-9]{13}$' "$R/meta.yaml" && grep -Eq '^start_time: [0-9]{13}$' "$R/meta.yaml" &&
   [ -d "$R/artifacts" ]; then
    pass "run meta.yaml: uuid hex id, status FINISHED (3), start/end times"
else fail "run meta.yaml"; cat "$R/meta.yaml"; fi

# metrics: one line per logged value, "<timestamp_ms> <value> <step>", str(float) values
if [ "$(cut -d' ' -f2- "$R/metrics/default" | tr '\n' ';')" = "1.0 0;2.0 1;3.0 2;1.0 3;2.0 4;3.0 5;" ] &&
   [ "$(cut -d' ' -f2- "$R/metrics/val_v" | tr '\n' ';')" = "1.8 2;1.8 5;" ] &&
   [ "$(cut -d' ' -f2- "$R/metrics/epoch" | sort -u | tr '\n' ';')" = "0.0 0;0.0 1;0.0 2;1.0 3;1.0 4;1.0 5;" ] &&
   ! grep -Evq '^[0-9]{13} [-0-9.e+naif]+ [0-9]+$' "$R"/metrics/*; then
    pass "metrics/<key>: \"<timestamp_ms> <value> <step>\" lines at the logger connector's steps"
else fail "metrics lines"; head "$R"/metrics/*; fi

if [ "$(cat "$R/params/length")" = "10" ] && [ "$(cat "$R/params/shuffle")" = "False" ] &&
   [ "$(cat "$R/params/anomaly")" = "none" ] && [ "$(wc -c < "$R/params/length")" -eq 2 ]; then
    pass "params/<key>: str(value), no newline"
else fail "params"; ls "$R/params"; fi
if [ "$(cat "$R/tags/mlflow.runName")" = "r1" ] && [ "$(cat "$R/tags/mlflow.source.type")" = "LOCAL" ] &&
   [ -s "$R/tags/mlflow.user" ] && [ "$(cat "$R/tags/team")" = "x" ]; then
    pass "tags: mlflow.runName, mlflow.user, mlflow.source.type, user tags"
else fail "tags"; ls "$R/tags"; fi

# a second run reuses the experiment by name; a new run id; a generated run name
run "$W/a" --logger mlflow
if [ "$(ls "$M" | grep -vc '^0$')" -eq 1 ] && [ "$(ls -d "$M/$exps"/*/ | wc -l)" -eq 2 ]; then
    pass "experiment found by name, a second run under it"
else fail "second run"; ls -R "$M" | head -n 20; fi

# experiment_name, save_dir; a failed fit ends the run FAILED (4)
run "$W/b" --logger 'mlflow:{"experiment_name": "my exp", "save_dir": "out/ml"}' --model.anomaly forward --trainer.detect_anomaly true
mb=$(grep -l "^name: my exp\$" "$W"/b/out/ml/*/meta.yaml 2>/dev/null | head -n 1)
if [ -n "$mb" ] && grep -qx 'status: 4' "$(dirname "$mb")"/*/meta.yaml; then
    pass "experiment_name, save_dir; a failed run is FAILED (4)"
else fail "failed run status"; cat "$TMP/out.txt"; ls -R "$W/b" | head -n 20; fi

expect "unknown init arg names the plugin and key" 2 "tracking: plugin .mlflow. has no such" -- \
    sh -c "cd '$W/a' && '$LTRUN' fit --module '$P/tools_module.so' --data '$P/trace_data.so' --logger 'mlflow:{\"tracking\": 1}'"
expect "a non-file tracking_uri is an error" 1 "not a file: URI" -- \
    sh -c "cd '$W/a' && '$LTRUN' fit --module '$P/tools_module.so' --data '$P/trace_data.so' --logger 'mlflow:{\"tracking_uri\": \"http://x\"}'"
finish
