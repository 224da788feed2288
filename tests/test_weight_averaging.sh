#!/bin/sh
# test_weight_averaging.sh — the weight_averaging and ema_weight_averaging callback plugins
# (Lightning 2.6's WeightAveraging / EMAWeightAveraging with torch's AveragedModel).
# cb_module (fc = Linear(2, 3), SGD lr 0.1) on trace_data (3 batches an epoch);
# tests/plugins/weights_probe.so, given after the averaging callback, prints the weights
# after every optimizer step ("step G w=..."), at validation start ("val E w=...") and at
# train end ("end w=..."). The expected averages are computed here, by hand, from the
# printed step weights.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
export XDG_DATA_HOME="$TMP/xdg"
W="$TMP/work"
mkdir -p "$W"
OUT="$TMP/out.txt"
fit() { # fit ARGS...: a fit of cb_module with the probe last, output in $OUT
    (cd "$W" && "$LTRUN" fit --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false "$@" --callback "$P/weights_probe.so") > "$OUT" 2>&1
}
# expect_avg MODE DECAY FIRST EVERY LINE: LINE's weights (the "end" line, or "val" after
# step N as "val@N") equal the average of the step weights computed here: the updates at
# global steps FIRST, FIRST+EVERY, ... (up to N); the first update copies, later ones apply
#   ema:  a = decay * a + (1 - decay) * w      (get_ema_avg_fn)
#   swa:  a = a + (w - a) / (n + 1)            (get_swa_avg_fn: the equal mean)
# within 1e-6 (float32 arithmetic there, double here). A step printed again (an
# accumulating batch: no optimizer step) is no update.
expect_avg() {
    awk -v mode="$1" -v last=-1 -v d="$2" -v first="$3" -v every="$4" -v line="$5" '
        function upd(   i) {
            for (i = 1; i <= nw; i++) {
                if (n == 0) a[i] = w[i]
                else if (mode == "ema") a[i] = d * a[i] + (1 - d) * w[i]
                else a[i] = a[i] + (w[i] - a[i]) / (n + 1)
            }
            n++
        }
        /^step / { g = $2; nw = 0; sub(/^w=/, "", $3)
                   for (i = 3; i <= NF; i++) w[++nw] = $i
                   if (g != last && g >= first && (g - first) % every == 0) upd(); last = g }
        /^val / && line == "val@" g && g > 0 { sub(/^w=/, "", $3); for (i = 3; i <= NF; i++) got[i - 2] = $i; ng = NF - 2
                                             for (i = 1; i <= nw; i++) snap[i] = a[i]; snapped = 1 }
        /^end / && line == "end" { sub(/^end w=/, ""); for (i = 1; i <= NF; i++) got[i] = $i; ng = NF }
        END { if (ng != 9 || n == 0) { print "no line " line " or no update"; exit 1 }
              if (snapped) for (i = 1; i <= ng; i++) a[i] = snap[i]
              for (i = 1; i <= ng; i++) { e = got[i] - a[i]; if (e < 0) e = -e
                  if (e > 1e-6) { print line " weight " i ": " got[i] " expected " a[i]; exit 1 } } }' "$OUT"
}

# EMAWeightAveraging(decay=0.5): an update after every optimizer step; validation runs on
# the average (swapped in at on_validation_epoch_start); on_train_end copies it in.
fit --trainer.max_epochs 2 --trainer.enable_checkpointing false \
    --callback 'ema_weight_averaging:{"decay": 0.5}'
if expect_avg ema 0.5 1 1 end; then pass "ema: final weights = EMA(decay 0.5) of the 6 step weights"
else fail "ema: final weights"; cat "$OUT"; fi
if expect_avg ema 0.5 1 1 val@3; then pass "ema: validation runs on the average (after step 3)"
else fail "ema: validation weights"; cat "$OUT"; fi
# the module's weights come back after validation: step 4 starts from step 3's weights,
# so they are not the average (whose printed values validation saw)
s4=$(grep '^step 4 ' "$OUT" | cut -d' ' -f3-); v3=$(grep '^val 0 ' "$OUT" | tail -n 1 | cut -d' ' -f3-)
if [ -n "$s4" ] && [ "$s4" != "$v3" ]; then pass "ema: training continues on the module's own weights"
else fail "ema: swap back"; fi

# the default decay (0.999) and the schedule options: updates at step_idx >= 2 and
# step_idx % 2 == 0, i.e. global steps 3 and 5
fit --trainer.max_epochs 2 --trainer.enable_checkpointing false \
    --callback 'ema_weight_averaging:{"update_starting_at_step": 2, "update_every_n_steps": 2}'
if expect_avg ema 0.999 3 2 end; then pass "ema: default decay 0.999, update_starting_at_step / update_every_n_steps"
else fail "ema: schedule"; cat "$OUT"; fi

# WeightAveraging's default averaging function: the equal mean of the step weights (SWA)
fit --trainer.max_epochs 2 --trainer.enable_checkpointing false --callback 'weight_averaging'
if expect_avg swa 0 1 1 end; then pass "weight_averaging: default = equal average of every step's weights"
else fail "weight_averaging: swa mean"; cat "$OUT"; fi
# multi_avg_fn ema = get_ema_multi_avg_fn (lerp with weight 1 - decay)
fit --trainer.max_epochs 2 --trainer.enable_checkpointing false \
    --callback 'weight_averaging:{"multi_avg_fn": "ema", "decay": 0.75}'
if expect_avg ema 0.75 1 1 end; then pass "weight_averaging: multi_avg_fn ema (foreach lerp)"
else fail "weight_averaging: multi ema"; cat "$OUT"; fi

# accumulate_grad_batches 3: one optimizer step an epoch, one update after it
fit --trainer.max_epochs 3 --trainer.enable_checkpointing false --trainer.accumulate_grad_batches 3 \
    --callback 'ema_weight_averaging:{"decay": 0.5}'
if [ "$(grep -c '^step ' "$OUT")" = 9 ] && expect_avg ema 0.5 1 1 end; then
    pass "ema: updates follow optimizer steps, not accumulating batches"
else fail "ema: accumulation"; cat "$OUT"; fi

# resume: a run stopped after epoch 0 (max_steps 3), its epoch-end checkpoint (written by
# model_checkpoint before on_train_end copies the average in) resumed, ends with the
# straight run's weights: the average, n_averaged and latest_update_step come back
fito() { fit "$@"; rc=$?; cat "$OUT"; return $rc; }
EMA='ema_weight_averaging:{"decay": 0.5}'
fit --trainer.max_epochs 3 --trainer.enable_checkpointing false --callback "$EMA"
want=$(grep '^end ' "$OUT")
rm -rf "$W/checkpoints"
fit --trainer.max_epochs 3 --trainer.max_steps 3 --callback "$EMA" \
    --callback 'model_checkpoint:{"save_top_k": -1}'
ck="$W/checkpoints/epoch=0-step=3.h5"
fit --trainer.max_epochs 3 --trainer.enable_checkpointing false --ckpt-path "$ck" --callback "$EMA"
got=$(grep '^end ' "$OUT")
if grep -q 'Found current_model_state in the checkpoint' "$OUT" && [ -n "$want" ] && [ "$got" = "$want" ]; then
    pass "ema: resumed run ends with the straight run's averaged weights"
else fail "ema: resume: '$got' vs '$want'"; cat "$OUT"; fi
# the checkpoint's state_dict holds the average (Lightning's on_save_checkpoint): `ltrun test`
# on it evaluates the averaged weights (cb_module's test_wsum = fc.weight.sum(), here the
# EMA after steps 1-3, the weights epoch 0's validation ran on)
fit --trainer.max_epochs 3 --trainer.max_steps 3 --trainer.enable_checkpointing false --callback "$EMA"
vw=$(grep '^val 0 ' "$OUT" | tail -n 1 | cut -d' ' -f3-8 | sed 's/^w=//')
(cd "$W" && "$LTRUN" test --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
    --trainer.enable_progress_bar false --trainer.logger false --ckpt-path "$ck") > "$TMP/test.txt" 2>&1
tw=$(sed -n 's/^ *test_wsum *\([-0-9.e]*\).*/\1/p' "$TMP/test.txt")
if [ -n "$tw" ] && awk -v t="$tw" -v w="$vw" 'BEGIN { n = split(w, a, " "); s = 0; for (i = 1; i <= n; i++) s += a[i]
        d = s - t; if (d < 0) d = -d; exit !(n == 6 && d < 1e-6) }'; then
    pass "ema: the checkpoint's state_dict is the average (ltrun test evaluates it)"
else fail "ema: state_dict average: test_wsum '$tw' vs the average's '$vw'"; cat "$TMP/test.txt"; fi
# a checkpoint written without the callback: Lightning's warning, the average starts there
rm -rf "$W/checkpoints"
fit --trainer.max_epochs 1 --callback 'model_checkpoint:{"save_top_k": -1}'
expect "ema: a checkpoint without its state warns (Lightning's message)" 0 \
    'The checkpoint was not created with WeightAveraging' -- \
    fito --trainer.max_epochs 2 --trainer.enable_checkpointing false --ckpt-path "$ck" --callback "$EMA"

expect "ema: bad decay" 1 'decay must be in \[0, 1\]' -- \
    sh -c "cd '$W' && '$LTRUN' fit --module '$P/cb_module.so' --data '$P/trace_data.so' --trainer.max_epochs 1 --callback 'ema_weight_averaging:{\"decay\": 2}'"
expect "weight_averaging: bad avg_fn" 1 'avg_fn / multi_avg_fn must be "swa" or "ema"' -- \
    sh -c "cd '$W' && '$LTRUN' fit --module '$P/cb_module.so' --data '$P/trace_data.so' --trainer.max_epochs 1 --callback 'weight_averaging:{\"avg_fn\": \"mean\"}'"
finish
