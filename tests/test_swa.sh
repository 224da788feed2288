#!/bin/sh
# test_swa.sh — the stochastic_weight_averaging callback plugin: Lightning's
# StochasticWeightAveraging with torch's SWALR. cb_module (fc = Linear(2, 3), SGD lr 0.1)
# on trace_data (3 batches an epoch); tests/plugins/swa_probe.so prints, at each train
# epoch start, the epoch's lr and every parameter, and at train end the final weights.
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
        --trainer.logger false --trainer.enable_checkpointing false "$@" \
        --callback "$P/swa_probe.so") > "$OUT" 2>&1
}
fito() { fit "$@"; rc=$?; cat "$OUT"; return $rc; }
lrs() { sed -n 's/^start [0-9]* lr=\([^ ]*\) .*/\1/p' "$OUT" | tr '\n' ' '; }
# final weights == mean of the weights at the train epoch starts FIRST..LAST (Lightning's
# update_parameters at on_train_epoch_start of swa_start..swa_end), to float32 precision
mean_ok() {
    awk -v a="$1" -v b="$2" '
        /^start / { e = $2; sub(/^w=/, "", $4)
                    if (e >= a && e <= b) { n[0]++; for (i = 4; i <= NF; i++) s[i] += $i } }
        /^end / { sub(/^end w=/, ""); for (i = 1; i <= NF; i++) f[i] = $i; nf = NF }
        END { if (!nf) exit 1
              for (i = 1; i <= nf; i++) { m = s[i + 3] / n[0]; d = m - f[i]; if (d < 0) d = -d
                                          if (d > 1e-6) { print "weight " i ": mean " m " final " f[i]; exit 1 } }
              if (nf != 9) exit 1 }' "$OUT"
}

# cos annealing, swa_epoch_start 2 (int: swa_start = epoch 1), annealing_epochs 3. Expected
# lrs from torch 1.13: SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="cos",
# last_epoch=7) made at the start of epoch 1 (group initial_lr = 0.05), stepped each epoch end
fit --trainer.max_epochs 7 \
    --callback 'stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_epoch_start": 2, "annealing_epochs": 3}'
if [ "$(lrs)" = "0.1 0.1 0.0875 0.0625 0.05 0.05 0.05 " ]; then pass "swa: SWALR cos annealing lr sequence (torch's)"
else fail "swa: cos lrs: $(lrs)"; cat "$OUT"; fi
if mean_ok 1 6; then pass "swa: final weights = mean of the weights at epoch starts swa_start..swa_end"
else fail "swa: averaged weights"; cat "$OUT"; fi

# linear, two param groups (fc.bias at lr 0.01), swa_lrs a list. torch 1.13:
# SWALR(opt, swa_lr=[0.05, 0.001], anneal_epochs=3, anneal_strategy="linear")
fit --trainer.max_epochs 7 --model.groups 2 \
    --callback 'stochastic_weight_averaging:{"swa_lrs": [0.05, 0.001], "swa_epoch_start": 2, "annealing_epochs": 3, "annealing_strategy": "linear"}'
want="0.1,0.01 0.1,0.01 0.0833333333333,0.007 0.0666666666667,0.004 0.05,0.001 0.05,0.001 0.05,0.001 "
if [ "$(lrs)" = "$want" ]; then pass "swa: SWALR linear annealing, per-group swa_lrs"
else fail "swa: linear lrs: $(lrs)"; cat "$OUT"; fi

# annealing_epochs 0: torch's step = max(1, step) -> swa_lr from the first SWA epoch
fit --trainer.max_epochs 4 \
    --callback 'stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_epoch_start": 2, "annealing_epochs": 0}'
if [ "$(lrs)" = "0.1 0.05 0.05 0.05 " ]; then pass "swa: annealing_epochs 0"
else fail "swa: annealing_epochs 0: $(lrs)"; cat "$OUT"; fi

# swa_epoch_start as a fraction: int(5 * 0.6) = 3 -> swa_start = epoch 2
fit --trainer.max_epochs 5 \
    --callback 'stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_epoch_start": 0.6, "annealing_epochs": 1}'
if [ "$(lrs)" = "0.1 0.1 0.1 0.05 0.05 " ] && mean_ok 2 4; then
    pass "swa: swa_epoch_start fraction of max_epochs"
else fail "swa: fraction: $(lrs)"; cat "$OUT"; fi

# default swa_epoch_start 0.8: int(5 * 0.8) = 4 -> swa_start = epoch 3
fit --trainer.max_epochs 5 --callback 'stochastic_weight_averaging:{"swa_lrs": 0.05, "annealing_epochs": 1}'
if [ "$(lrs)" = "0.1 0.1 0.1 0.1 0.05 " ] && mean_ok 3 4; then pass "swa: swa_epoch_start default 0.8"
else fail "swa: default start: $(lrs)"; cat "$OUT"; fi

# an existing epoch scheduler (StepLR gamma 0.5) is swapped for SWALR at swa_start
fit --trainer.max_epochs 4 --model.sched '"epoch"' \
    --callback 'stochastic_weight_averaging:{"swa_lrs": 0.01, "swa_epoch_start": 3, "annealing_epochs": 1}'
if [ "$(lrs)" = "0.1 0.05 0.025 0.01 " ] && grep -q 'Swapping scheduler' "$OUT"; then
    pass "swa: the configured scheduler is replaced by SWALR"
else fail "swa: scheduler swap: $(lrs)"; cat "$OUT"; fi

expect "swa: unknown key is an error" 2 "init arg swa_lr: plugin 'stochastic_weight_averaging' has no such hyperparameter" -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_lr": 1}'
expect "swa: swa_lrs required" 1 '`swa_lrs` is required' -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging'
expect "swa: swa_lrs must be positive" 1 'The `swa_lrs` should a positive float' -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging:{"swa_lrs": -1}'
expect "swa: swa_epoch_start 0 (int)" 1 'swa_epoch_start should be a >0 integer or a float between 0 and 1' -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging:{"swa_lrs": 0.1, "swa_epoch_start": 0}'
expect "swa: bad annealing_strategy" 1 "anneal_strategy must by one of 'cos' or 'linear', instead got step" -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging:{"swa_lrs": 0.1, "annealing_strategy": "step"}'
expect "swa: swa_lrs list length" 1 'swa_lr must have the same length as optimizer.param_groups: swa_lr has 2, optimizer.param_groups has 1' -- \
    fito --trainer.max_epochs 2 --callback 'stochastic_weight_averaging:{"swa_lrs": [0.1, 0.2]}'
# resume (state_dict / load_state_dict): a run stopped after swa_start (max_steps 12 = the end
# of epoch 3) and resumed with --ckpt-path last ends with the straight
# run's weights and lr sequence: the running average, n_averaged, latest_update_epoch and
# SWALR's _step_count come back from the checkpoint, the scheduler is swapped again.
# (A max_steps stop inside an epoch is no test: Lightning steps epoch schedulers, SWALR
# included, at the end of the cut epoch, so its resumed remainder runs at the next lr.)
SWA='stochastic_weight_averaging:{"swa_lrs": 0.05, "swa_epoch_start": 2, "annealing_epochs": 3}'
fit --trainer.max_epochs 6 --callback "$SWA"
want_end=$(grep '^end ' "$OUT"); want_lrs=$(lrs)
for stop in 12; do
    rm -rf "$W/checkpoints"
    fit --trainer.max_epochs 6 --trainer.max_steps $stop --trainer.enable_checkpointing true --callback "$SWA"
    lrs1=$(lrs)
    fit --trainer.max_epochs 6 --trainer.enable_checkpointing true --ckpt-path last --callback "$SWA"
    got_end=$(grep '^end ' "$OUT")
    if grep -q "Restoring states" "$OUT" && [ -n "$want_end" ] && [ "$got_end" = "$want_end" ] &&
        ! grep -q "initializing after swa_start" "$OUT"; then
        pass "swa: resumed at step $stop = the straight run's final weights"
    else fail "swa: resume at step $stop: '$got_end' vs '$want_end'"; cat "$OUT"; fi
    lrs2=$(lrs)
    if [ $stop = 12 ]; then
        if [ "$lrs1$lrs2" = "$want_lrs" ]; then pass "swa: resumed SWALR lr sequence"
        else fail "swa: resumed lrs '$lrs1' + '$lrs2' vs '$want_lrs'"; fi
    fi
done
# BatchNorm (cb_module bn: fc -> BatchNorm1d(3)): after the averaged weights are in the
# module, on_train_end recomputes the running stats (lt_update_bn = torch's update_bn:
# reset_running_stats, momentum None, forward over the 3 train batches). Expected values
# from torch 1.13 for the final weights this run prints:
#   m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)), weights = the "end w=" values,
#   loader = DataLoader(TensorDataset(x, y), batch_size=4) with trace_data's 10 samples
#   x_i = (i % 2, 1 - i % 2); torch.optim.swa_utils.update_bn(loader, m)
fit --trainer.max_epochs 4 --model.bn true --callback "$SWA"
close() { # close "GOT" "WANT": same length, each within 1e-6 (relative)
    awk -v g="$1" -v w="$2" 'BEGIN { n = split(g, a, " "); m = split(w, b, " "); if (n != m) exit 1
        for (i = 1; i <= n; i++) { d = a[i] - b[i]; if (d < 0) d = -d; s = b[i] < 0 ? -b[i] : b[i]
                                    if (d > 1e-6 * (s > 1 ? s : 1)) exit 1 } }'
}
if grep -q '^end w=0.286432654 0.0294438824 0.105488896 -0.154372156 0.278852403 -0.504065275 -0.606633663 ' "$OUT" &&
    close "$(sed -n 's/^buf bn.running_mean //p' "$OUT")" "-0.44869542121887207 -0.1924721747636795 0.40662556886672974" &&
    close "$(sed -n 's/^buf bn.running_var //p' "$OUT")" "0.025683483108878136 0.026260796934366226 0.23837336897850037" &&
    [ "$(sed -n 's/^buf bn.num_batches_tracked //p' "$OUT")" = 3 ]; then
    pass "swa: BatchNorm running stats recomputed for the averaged weights (torch's update_bn)"
else fail "swa: update_bn"; cat "$OUT"; fi
finish
