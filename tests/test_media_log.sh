#!/bin/sh
# test_media_log.sh — logging beyond scalars (ABI 1.8): media_module logs an image (float
# CHW and uint8 HW), a histogram and a text at the first step of each of 2 epochs
# (global_step 0 and 3) through lt_log_image / lt_log_histogram / lt_log_text; one fit
# with the tensorboard, mlflow and csv loggers together. tests/tb_decode reads the event
# file (every CRC checked) and tests/media_check.py compares it with what torch's
# SummaryWriter.add_image / add_histogram / add_text write (PNG pixels decoded, the
# histogram of make_histogram over default_bins, the text plugin's tensor), and the
# MLflow run's artifacts; metrics.csv carries none of them; an ABI 1.7 logger still
# loads and is skipped; bad input fails naming it.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
DEC="$top_builddir/tests/tb_decode"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers"
W="$TMP/work"
mkdir -p "$W"
run() { # run DIR ARGS...
    d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$LTRUN" fit --module "$P/media_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.max_epochs 2 --trainer.log_every_n_steps 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false "$@") \
        > "$TMP/out.txt" 2>&1
}

if ! run "$W/a" --logger tensorboard --logger 'mlflow:{"run_name": "m"}' --logger csv; then
    fail "fit with media logging"; cat "$TMP/out.txt"
fi
EV=$(ls "$W"/a/lightning_logs/version_*/events.out.tfevents.* 2>/dev/null | head -n 1)
M="$W/a/mlruns"
exps=$(ls "$M" 2>/dev/null | grep -v '^0$')
R=$(ls -d "$M/$exps"/*/ 2>/dev/null | head -n 1)
R=${R%/}
if [ -n "$EV" ] && "$DEC" "$EV" > "$TMP/tb.txt"; then
    pass "the event file reads back, every record's CRCs intact"
else fail "tb_decode: $EV"; fi
n_img=$(grep -c '^image ' "$TMP/tb.txt"); n_h=$(grep -c '^histo ' "$TMP/tb.txt")
n_t=$(grep -c '^tensor ' "$TMP/tb.txt")
if [ "$n_img" -eq 4 ] && [ "$n_h" -eq 2 ] && [ "$n_t" -eq 2 ] &&
   [ "$(grep '^image ' "$TMP/tb.txt" | cut -d' ' -f2 | tr '\n' ' ')" = "0 0 3 3 " ]; then
    pass "tensorboard: 4 images, 2 histograms, 2 texts at global_step 0 and 3"
else fail "tensorboard media events: $n_img images, $n_h histograms, $n_t texts"; cut -c1-120 "$TMP/tb.txt"; fi

PY=python3
command -v /usr/bin/python3 > /dev/null 2>&1 && PY=/usr/bin/python3
if ! command -v "$PY" > /dev/null 2>&1; then
    skip "media contents against torch's encoding" "no python3"
elif "$PY" "$top_srcdir/tests/media_check.py" "$TMP/tb.txt" "$R" > "$TMP/check.txt" 2>&1; then
    pass "contents as SummaryWriter writes them; MLflow artifacts ($(grep -c '^ok' "$TMP/check.txt") checks)"
else fail "media contents"; cat "$TMP/check.txt"; fi

CSV=$(ls "$W"/a/lightning_logs/version_*/metrics.csv 2>/dev/null | head -n 1)
if [ -n "$CSV" ] && head -n 1 "$CSV" | grep -q train_loss && ! grep -Eq 'samples|values|note' "$CSV"; then
    pass "csv logger: scalars only (it has no media hooks and is skipped)"
else fail "csv: $(head -n 1 "$CSV")"; fi

# a logger built for ABI 1.7 (no media hooks, canaries past its size) loads and gets
# its scalars; the media skip it
if "$LTRUN" fit --module "$P/media_module.so" --data "$P/trace_data.so" --trainer.max_epochs 1 --trainer.log_every_n_steps 1 \
    --trainer.default_root_dir "$W/old" --logger "$P/old_logger.so:{\"trace\": \"$TMP/old.txt\"}" \
    > "$TMP/old_out.txt" 2>&1 && grep -q "^log_metrics train_loss$" "$TMP/old.txt" &&
    ! grep -q "OUT OF BOUNDS" "$TMP/old.txt"; then
    pass "an ABI 1.7 logger loads, logs scalars, and no media hook is read past its size"
else fail "old logger"; cat "$TMP/old_out.txt" "$TMP/old.txt"; fi

expect "a 4-d image: error naming the call and the shape" 1 \
    "lt_log_image\('bad'\): the image is \[2, 2, 2, 2\]; give CHW with C 1, 3 or 4, or HW" -- \
    "$LTRUN" fit --module "$P/media_module.so" --data "$P/trace_data.so" --model.bad shape \
    --trainer.max_epochs 1 --logger tensorboard --trainer.default_root_dir "$W/b"
expect "two channels: refused" 1 "lt_log_image\('bad'\): the image is \[2, 3, 3\]" -- \
    "$LTRUN" fit --module "$P/media_module.so" --data "$P/trace_data.so" --model.bad channels \
    --trainer.max_epochs 1 --logger tensorboard --trainer.default_root_dir "$W/b"
expect "an empty name: refused" 1 "lt_log_text: the name is empty" -- \
    "$LTRUN" fit --module "$P/media_module.so" --data "$P/trace_data.so" --model.bad empty_name \
    --trainer.max_epochs 1 --trainer.default_root_dir "$W/b"
finish
