#!/bin/sh
# test_ckpt_dir.sh — where checkpoints go and what `--ckpt-path last` finds (
# runtime/trainer/connectors/checkpoint_dir.c, ABI 1.5 logger version_dir): Lightning's
# ModelCheckpoint.__resolve_ckpt_dir — dirpath if given, else the FIRST logger's
# save_dir/name/version/checkpoints (the same version dir the logger writes to), else
# default_root_dir/checkpoints without a logger — for the trainer's own last.h5 and for
# model_checkpoint; `last` = the newest last*.h5 by mtime in the checkpoint dirs, and
# without one: Lightning's warning and a fit from scratch.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers:$top_builddir/plugins/callbacks"
export XDG_DATA_HOME="$TMP/xdg"
OUT="$TMP/out.txt"
run() { # run DIR ARGS...: a fit of tools_module (3 batches an epoch) in DIR
    d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.max_epochs 1 --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false "$@") > "$OUT" 2>&1
}
has() { if [ -e "$2" ]; then pass "$1"; else fail "$1: no $2"; ls -R "$(dirname "$2")" 2>&1 | head -20; cat "$OUT"; fi; }
hasnt() { if [ ! -e "$2" ]; then pass "$1"; else fail "$1: $2 exists"; fi; }

W="$TMP/a"
run "$W"
has "default: last.h5 in lightning_logs/version_0/checkpoints" "$W/lightning_logs/version_0/checkpoints/last.h5"
has "default: metrics.csv in the same version_0" "$W/lightning_logs/version_0/metrics.csv"
hasnt "default: nothing in default_root_dir/checkpoints" "$W/checkpoints"
run "$W"
has "second run: last.h5 in version_1/checkpoints" "$W/lightning_logs/version_1/checkpoints/last.h5"
has "second run: metrics.csv in version_1" "$W/lightning_logs/version_1/metrics.csv"
# a third run logs to version_2, which has no last checkpoint: beyond Lightning (which
# warns and fits from scratch), `last` takes the experiment's newest, version_1's, and says so
run "$W" --ckpt-path last
if grep -q "Restoring states from the checkpoint path at .*lightning_logs/version_1/checkpoints/last.h5" "$OUT" &&
   grep -q "the newest last checkpoint of this experiment is .*lightning_logs/version_1/checkpoints/last.h5" "$OUT"
then pass "last in a new version dir: the experiment's newest last checkpoint (version_1), named"
else fail "last in a new version dir"; cat "$OUT"; fi
has "  ... and that run saves into version_2" "$W/lightning_logs/version_2/checkpoints/last.h5"

# a fixed logger version: the same folder again, so `last` resumes from it
run "$TMP/v" --logger 'csv:{"version": 7}'
run "$TMP/v" --logger 'csv:{"version": 7}' --trainer.max_epochs 2 --ckpt-path last
if grep -q "Restoring states from the checkpoint path at .*/lightning_logs/version_7/checkpoints/last.h5" "$OUT"
then pass "fixed logger version: last resumes"; else fail "fixed version resume"; cat "$OUT"; fi

# no logger: default_root_dir/checkpoints
run "$TMP/b" --trainer.logger false
has "no logger: default_root_dir/checkpoints/last.h5" "$TMP/b/checkpoints/last.h5"
hasnt "no logger: no lightning_logs" "$TMP/b/lightning_logs"

# the FIRST logger decides: jsonl (version "j") before csv; tensorboard without sub_dir;
# mlflow: mlruns/<experiment_id>/<run_id>/checkpoints
run "$TMP/c" --logger 'jsonl:{"version": "j"}' --logger csv
has "first logger's version dir (jsonl)" "$TMP/c/lightning_logs/j/checkpoints/last.h5"
if [ -e "$top_builddir/plugins/loggers/tensorboard.so" ]; then
    run "$TMP/t" --logger 'tensorboard:{"sub_dir": "sub"}'
    has "tensorboard: save_dir/name/version/checkpoints (no sub_dir)" "$TMP/t/lightning_logs/version_0/checkpoints/last.h5"
fi
if [ -e "$top_builddir/plugins/loggers/mlflow.so" ]; then
    run "$TMP/m" --logger mlflow
    n=$(ls "$TMP"/m/mlruns/*/*/checkpoints/last.h5 2>/dev/null | wc -l)
    if [ "$n" -eq 1 ]; then pass "mlflow: mlruns/<exp>/<run>/checkpoints"; else fail "mlflow ckpt dir"; ls -R "$TMP/m"; fi
fi

# model_checkpoint without dirpath: the version dir; with dirpath: that dirpath
run "$TMP/d" --callback 'model_checkpoint:{"save_last": true}'
has "model_checkpoint: no dirpath -> version_0/checkpoints" "$TMP/d/lightning_logs/version_0/checkpoints/last.h5"
has "model_checkpoint: its epoch file there too" "$TMP/d/lightning_logs/version_0/checkpoints/epoch=0-step=3.h5"
run "$TMP/e" --callback 'model_checkpoint:{"dirpath": "ck", "save_last": true}'
has "model_checkpoint: the given dirpath" "$TMP/e/ck/last.h5"
hasnt "model_checkpoint: nothing in the version dir" "$TMP/e/lightning_logs/version_0/checkpoints"
# `last` with a fixed dirpath resumes (a new version dir for the logs)
run "$TMP/e" --callback 'model_checkpoint:{"dirpath": "ck", "save_last": true}' --trainer.max_epochs 2 --ckpt-path last
if grep -q "Restoring states from the checkpoint path at $TMP/e/ck/last.h5" "$OUT"; then pass "fixed dirpath: last resumes"
else fail "fixed dirpath resume"; cat "$OUT"; fi
# the newest last*.h5 by mtime wins
cp "$TMP/e/ck/last.h5" "$TMP/e/ck/last-v1.h5"
touch -d '2001-01-01' "$TMP/e/ck/last.h5"
run "$TMP/e" --callback 'model_checkpoint:{"dirpath": "ck", "save_last": true}' --trainer.max_epochs 3 --ckpt-path last
if grep -q "Restoring states from the checkpoint path at $TMP/e/ck/last-v1.h5" "$OUT"; then pass "last: the newest last*.h5 by mtime"
else fail "newest last"; cat "$OUT"; fi
finish
