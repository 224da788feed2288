#!/bin/sh
# test_tuner.sh — `ltrun tune` (Lightning's Tuner): lr_find with Lightning's defaults on
# the mlp example (100 exponential steps from 1e-8 to 1, early stop at 4 x the best
# smoothed loss, suggestion at the steepest gradient), its CSV checked by
# tests/lr_find_check.py against lr_finder.py's formulas, the PNG plot, the linear mode
# and no early stop, --tuner.fit true continuing from the initial weights with the
# suggested lr; scale_batch_size in power and binsearch modes against a module whose
# batches above a size fail to allocate (the CPU's OOM); refusals.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 320 64 gzip || { echo "make_idx failed"; exit 1; }
BASE="--data $EX/mnist.so --data.data_dir $D --data.val_size 64 --data.batch_size 16 --seed 1
      --trainer.enable_progress_bar false"
TUNE="$LTRUN tune --module $EX/mlp.so $BASE"
PY=python3
command -v /usr/bin/python3 > /dev/null 2>&1 && PY=/usr/bin/python3
check() { # check CSV MODE MIN MAX NUM THR SUGGESTED
    if ! command -v "$PY" > /dev/null 2>&1; then skip "lr_find values against lr_finder.py" "no python3"
    elif "$PY" "$top_srcdir/tests/lr_find_check.py" "$@" > "$TMP/check.txt" 2>&1; then
        pass "lr_find values as lr_finder.py computes them ($(tr '\n' ';' < "$TMP/check.txt"))"
    else fail "lr_find values"; cat "$TMP/check.txt"; fi
}
sugg() { sed -n 's/^lr_find: suggested learning rate: //p' "$1"; }

# defaults: exponential 1e-8 .. 1, 100 steps, threshold 4
if $TUNE --trainer.default_root_dir "$TMP/a" > "$TMP/a.txt" 2> "$TMP/a.err"; then
    pass "ltrun tune: lr_find with the defaults"
else fail "ltrun tune"; cat "$TMP/a.err"; fi
S=$(sugg "$TMP/a.txt")
check "$TMP/a/lr_find.csv" exponential 1e-8 1 100 4 "$S"
if grep -q "LR finder stopped early after [0-9]* steps due to diverging loss." "$TMP/a.err"; then
    pass "the diverging loss stops the search early (Lightning's message)"
else fail "early stop message"; cat "$TMP/a.err"; fi
hdr=$(od -A n -t x1 -N 24 "$TMP/a/lr_find.png" 2>/dev/null | tr -d ' \n')
if [ "$hdr" = "89504e470d0a1a0a0000000d4948445200000280000001e0" ]; then
    pass "the plot: lr_find.png, a 640x480 PNG"
else fail "lr_find.png header $hdr"; fi
if [ ! -e "$TMP/a/checkpoints" ] && [ ! -e "$TMP/a/lightning_logs" ]; then
    pass "the trial writes no checkpoint and no logs (DummyLogger, the finder's own callbacks)"
else fail "trial left files: $(ls "$TMP/a")"; fi

# linear mode, no early stop, 30 steps, explicit paths
if $TUNE --tuner.lr_mode linear --tuner.early_stop_threshold null --tuner.num_training 30 \
    --tuner.min_lr 1e-4 --tuner.max_lr 0.1 --tuner.csv "$TMP/b/x/lr.csv" --tuner.plot "$TMP/b/lr.png" \
    > "$TMP/b.txt" 2> "$TMP/b.err" && [ -f "$TMP/b/lr.png" ]; then
    pass "linear mode, early_stop_threshold None, --tuner.csv and --tuner.plot"
else fail "linear mode"; cat "$TMP/b.err"; fi
check "$TMP/b/x/lr.csv" linear 1e-4 0.1 30 none "$(sugg "$TMP/b.txt")"

# --tuner.fit true: the fit after the search starts from the initial weights with the
# suggested lr: the same weights as a plain fit given that lr
$TUNE --tuner.num_training 30 --tuner.fit true --trainer.max_epochs 1 \
    --trainer.default_root_dir "$TMP/c" --results "$TMP/c.json" > "$TMP/c.txt" 2> "$TMP/c.err"
S=$(sugg "$TMP/c.txt")
$LTRUN fit --module "$EX/mlp.so" $BASE --trainer.max_epochs 1 --model.lr "$S" \
    --trainer.default_root_dir "$TMP/d" --results "$TMP/d.json" > /dev/null 2>&1
if [ -n "$S" ] && grep -q "Learning rate set to $S" "$TMP/c.err"; then
    same_digest "--tuner.fit true = fit --model.lr $S from the initial weights" "$TMP/c.json" "$TMP/d.json"
else fail "--tuner.fit true"; cat "$TMP/c.err"; fi

# scale_batch_size: batches above 40 samples fail to allocate (under AddressSanitizer too:
# there an impossible allocation must return NULL as malloc does, not abort)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
export ASAN_OPTIONS
SB="$LTRUN tune --tuner.mode scale_batch_size --module $P/oom_module.so $BASE --model.oom_above 40"
$SB > "$TMP/p.txt" 2> "$TMP/p.err"
if grep -q "^Batch size 32 succeeded, trying batch size 64$" "$TMP/p.txt" &&
   grep -q "^Batch size 64 failed, trying batch size 32$" "$TMP/p.txt" &&
   grep -q "^scale_batch_size: batch_size = 32$" "$TMP/p.txt" && ! grep -q "error" "$TMP/p.err"; then
    pass "power: 2, 4, ..., 64 fails (allocation failure, not reported as an error), halved to 32"
else fail "power scaling"; cat "$TMP/p.txt"; fi
$SB --tuner.scale_mode binsearch > "$TMP/q.txt" 2>&1
if [ "$(grep -c '^Batch size' "$TMP/q.txt")" = 11 ] &&
   grep -q "^Batch size 64 failed, trying batch size 48$" "$TMP/q.txt" &&
   grep -q "^Batch size 41 failed, trying batch size 40$" "$TMP/q.txt" &&
   grep -q "^scale_batch_size: batch_size = 40$" "$TMP/q.txt"; then
    pass "binsearch: doubling to 64, then bisection down to 40"
else fail "binsearch"; grep -v "^ltrun: error" "$TMP/q.txt"; fi
$LTRUN tune --tuner.mode scale_batch_size --module "$P/oom_module.so" $BASE --tuner.max_trials 3 \
    > "$TMP/r.txt" 2>&1
if grep -q "^scale_batch_size: batch_size = 16$" "$TMP/r.txt"; then
    pass "power: max_trials 3 successes return the doubled size (2, 4, 8 -> 16)"
else fail "max_trials"; cat "$TMP/r.txt"; fi
$LTRUN tune --tuner.mode scale_batch_size --module "$P/oom_module.so" $BASE --tuner.init_val 256 \
    > "$TMP/s.txt" 2>&1
if grep -q "^The batch size 256 is greater or equal than the length of your dataset.$" "$TMP/s.txt" &&
   grep -q "^scale_batch_size: batch_size = 256$" "$TMP/s.txt"; then
    pass "a size reaching the train set's length (256 samples) stops the search at it"
else fail "dataset length"; cat "$TMP/s.txt"; fi
expect "a failure that is not memory stops the search with its status and message" 1 \
    "hook training_step: a batch of 16: not a memory error" -- \
    $LTRUN tune --tuner.mode scale_batch_size --module "$P/oom_module.so" $BASE --model.fail_above 8

# refusals
expect "unknown --tuner.* option" 2 "unknown tuner option --tuner.nope" -- $TUNE --tuner.nope 1
expect "unknown tuner mode" 2 "--tuner.mode: 'fast' is not a tuner method; use lr_find or scale_batch_size" -- \
    $TUNE --tuner.mode fast
expect "lr_find with two optimizers (the GAN)" 1 "learning rate finder only works with single optimizer" -- \
    $LTRUN tune --module "$EX/gan.so" $BASE --data.mean 0.5 --data.std 0.5
expect "fast_dev_run skips the finder" 0 "Skipping learning rate finder since .fast_dev_run. is enabled." -- \
    $TUNE --trainer.fast_dev_run true
expect "--help names ltrun tune" 0 "ltrun tune \\[--tuner\\.mode lr_find\\|scale_batch_size\\]" -- "$LTRUN" --help
finish
