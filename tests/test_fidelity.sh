#!/bin/sh
# test_fidelity.sh — Lightning 2.6 behaviours of a plain `ltrun fit` a Lightning user
# relies on: fast_dev_run's DummyLogger, conflicting module/data module hyperparameters,
# the hyperparameters a checkpoint stores, non-finite losses, and resuming after an
# interrupt (tests/plugins/trace_module.c on trace_data: 10 samples, 3 batches an epoch).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks:$top_builddir/plugins/loggers"
OUT="$TMP/out.txt"
fit() { # fit DIR ARGS...: a fit of trace_module in DIR (made fresh or reused)
    W="$TMP/$1"
    shift
    mkdir -p "$W"
    (cd "$W" && "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --seed 1 \
        --model.quiet true --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false "$@") > "$OUT" 2>&1
}

# ---------------------------------------------------------------- fast_dev_run
# Lightning replaces the loggers by a DummyLogger: nothing is written, and a callback
# that needs a logger (LearningRateMonitor) still finds one
fit f1 --trainer.fast_dev_run 1 --callback lr_monitor
rc=$?
if [ "$rc" -eq 0 ] && grep -q "Running in \`fast_dev_run\` mode" "$OUT" && [ ! -e "$W/lightning_logs" ]
then pass "fast_dev_run: DummyLogger (no lightning_logs, no metrics.csv or hparams.yaml)"
else fail "fast_dev_run: rc $rc; $(find "$W" -type f | tr '\n' ' ')"; cat "$OUT"; fi

# ---------------------------------------------------------------- hparams
# a key both plugins read with two values (mlp and mnist both read num_classes): Lightning's
# _log_hyperparams raises instead of letting the data module's value win
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 60 20 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
MN="$LTRUN fit --module $top_builddir/examples/mlp.so --data $top_builddir/examples/mnist.so
    --data.data_dir $D --data.val_size 10 --trainer.max_epochs 1 --trainer.enable_progress_bar false
    --trainer.enable_model_summary false --trainer.default_root_dir $TMP/h"
expect "conflicting module/data module hparams: Lightning's error" 1 \
    "Error while merging hparams: the keys \['num_classes'\] are present in both the LightningModule's and LightningDataModule's hparams but have different values" -- \
    $MN --model.num_classes 12
expect "the same value in both is fine" 0 "" -- $MN --model.num_classes 12 --data.num_classes 12

# every hyperparameter read is saved in checkpoints, defaults included (save_hyperparameters
# keeps all __init__ arguments), given ones as given; `inspect` shows them
fit c1 --trainer.max_epochs 1 --model.print_update false
expect "checkpoint hparams: defaults and given values of the module" 0 \
    'module: \{"skip_epoch_at":-1,"stop_at_fit_start":false,"show_idx":false,"print_update":false,"no_closure":false,"quiet":true,' -- \
    $LTRUN inspect "$W/lightning_logs/version_0/checkpoints/last.h5"
expect "checkpoint hparams: the data module's defaults" 0 'data: \{"no_predict":false,"length":10,"shuffle":false\}' -- \
    $LTRUN inspect "$W/lightning_logs/version_0/checkpoints/last.h5"

# ---------------------------------------------------------------- interrupt and resume
# SIGINT: exit 130 and the exact command that resumes (the same command line with
# --ckpt-path naming the last.h5 just written); that command resumes from it
W="$TMP/i1"
mkdir -p "$W"
# (100k steps of the trace module: about 4 s, so the SIGINT half a second in lands mid-fit
# and the resumed run still ends quickly)
(cd "$W" && exec "$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --seed 1 \
    --model.quiet true --trainer.enable_progress_bar false --trainer.max_epochs 1000 --data.length 400) > "$OUT" 2>&1 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q "Seed set" "$OUT" 2> /dev/null && break
    sleep 0.1
done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
cmd=$(sed -n 's/^ltrun: to resume: //p' "$OUT")
case "$cmd" in
*" --ckpt-path $W/lightning_logs/version_0/checkpoints/last.h5") ok=yes ;;
*) ok=no ;;
esac
if [ "$rc" -eq 130 ] && [ "$ok" = yes ]; then pass "SIGINT: exit 130 and the exact resume command"
else fail "SIGINT: rc $rc, resume command '$cmd'"; tail -n 4 "$OUT"; fi
(cd "$W" && eval "$cmd") > "$TMP/resume.txt" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "Restoring states from the checkpoint path at $W/lightning_logs/version_0/checkpoints/last.h5" "$TMP/resume.txt"
then pass "the printed command resumes the interrupted fit"
else fail "the printed resume command: rc $rc"; tail -n 4 "$TMP/resume.txt"; fi

# reusing a logger version folder that holds files: Lightning's CSVLogger warning
fit v1 --trainer.max_epochs 1 --logger 'csv:{"version": "fixed"}'
fit v1 --trainer.max_epochs 1 --logger 'csv:{"version": "fixed"}'
if grep -q "UserWarning: Experiment logs directory .*lightning_logs/fixed exists and is not empty. Previous log files in this directory will be deleted when the new ones are saved!" "$OUT"
then pass "a reused, non-empty version folder is warned about (Lightning's message)"
else fail "reused version folder: no warning"; cat "$OUT"; fi

finish
