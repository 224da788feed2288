#!/bin/sh
# test_throughput_monitor.sh — the throughput_monitor callback plugin (Lightning 2.6's
# ThroughputMonitor over fabric's Throughput): cb_module on trace_data (10 samples, batches
# of 4, 4, 2; 3 validation batches), the csv logger's metrics.csv read by column name.
# Rates depend on the clock, so the checks are on what does not: the keys, the steps, the
# totals, and ratios of the rates that the window's counts fix exactly.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks:$top_builddir/plugins/loggers"
W="$TMP/work"
run() { # run CMD ARGS...: a run of cb_module in a fresh $W, output in $TMP/out.txt
    rm -rf "$W"; mkdir -p "$W"
    (cd "$W" && "$LTRUN" "$@" --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false) > "$TMP/out.txt" 2>&1
}
CSV() { find "$W" -name metrics.csv | head -n 1; }
# col NAME [FILTER_COL]: the values of column NAME on rows where it is set, "step:value"
col() {
    awk -F, -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        c[want] && $c[want] != "" { printf "%s:%s|%s ", $c["step"], $c[want], $c["epoch"] }' "$(CSV)"
}
# ratio A B: for every row with both set, A / B, rounded to 6 digits
ratio() {
    awk -F, -v a="$1" -v b="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        c[a] && c[b] && $c[a] != "" && $c[b] != "" { printf "%.6g ", $c[a] / $c[b] }' "$(CSV)"
}

run fit --trainer.max_epochs 2 --trainer.log_every_n_steps 1 --callback 'throughput_monitor:{"window_size": 2}'
hdr=$(head -n 1 "$(CSV)" | tr -d '\r')
ok=1
for k in train/time train/batches train/samples train/device/batches_per_sec train/device/samples_per_sec \
         validate/time validate/batches validate/samples validate/device/batches_per_sec validate/device/samples_per_sec; do
    case ",$hdr," in *",$k,"*) ;; *) ok=0; echo "# missing $k";; esac
done
case ",$hdr," in *",train/batches_per_sec,"*|*",train/device/items_per_sec,"*) ok=0;; esac
if [ $ok = 1 ]; then pass "throughput: Lightning's keys (stage/device/..._per_sec; no global keys on one device)"
else fail "throughput: keys: $hdr"; fi
# training: one row per step, step = _batches_that_stepped, with "epoch"; totals count
# batches and samples (4, 4, 2 per epoch) over the whole fit
if [ "$(col train/samples)" = "0:4.0|0 1:8.0|0 2:10.0|0 3:14.0|1 4:18.0|1 5:20.0|1 " ] &&
    [ "$(col train/batches)" = "0:1.0|0 1:2.0|0 2:3.0|0 3:4.0|1 4:5.0|1 5:6.0|1 " ]; then
    pass "throughput: train totals logged every step with epoch, step = batches that stepped"
else fail "throughput: train totals: $(col train/samples) / $(col train/batches)"; fi
# the window (2) is full from the second batch on; the rates' ratio is the window's
# samples / batches: 4 at 4-sample batches, 2 at the 2-sample one
if [ "$(col train/device/batches_per_sec | cut -d: -f1 | tr -d '\n')" != "" ] &&
    [ "$(col train/device/batches_per_sec | awk '{ print $1 }' | cut -d: -f1)" = 1 ] &&
    [ "$(ratio train/device/samples_per_sec train/device/batches_per_sec)" = "4 2 4 4 2 " ]; then
    pass "throughput: per-device rates once the window is full, samples/batches over the window"
else fail "throughput: rates: $(ratio train/device/samples_per_sec train/device/batches_per_sec)"; fi
# validation: step = the validation loop's total ready batches over the fit (not the sanity
# check), no epoch column
if [ "$(col validate/batches)" = "1:1.0| 2:2.0| 3:3.0| 4:1.0| 5:2.0| 6:3.0| " ] &&
    [ "$(ratio validate/device/samples_per_sec validate/device/batches_per_sec)" = "4 2 4 2 " ]; then
    pass "throughput: validation logged at step = total validation batches, without epoch"
else fail "throughput: validation: $(col validate/batches)"; fi

# log_every_n_steps 2: training rows only where should_update_logs ((stepped + 1) % 2 == 0)
run fit --trainer.max_epochs 2 --trainer.log_every_n_steps 2 --callback 'throughput_monitor:{"window_size": 2}'
if [ "$(col train/batches)" = "1:2.0|0 3:4.0|1 5:6.0|1 " ]; then pass "throughput: logging follows log_every_n_steps"
else fail "throughput: gating: $(col train/batches)"; fi

# accumulate_grad_batches 3: one logged row per optimizer step (the totals still count
# every batch)
run fit --trainer.max_epochs 2 --trainer.log_every_n_steps 1 --trainer.accumulate_grad_batches 3 \
    --callback 'throughput_monitor:{"window_size": 2}'
if [ "$(col train/batches)" = "0:3.0|0 1:6.0|1 " ]; then pass "throughput: no row while accumulating gradients"
else fail "throughput: accumulation: $(col train/batches)"; fi

# test stage, length_fn (items = batch[0].numel(): 2 per sample), flops_per_batch and
# available_flops: items/samples rates = 2, mfu = device/flops_per_sec / available_flops
run test --trainer.log_every_n_steps 1 \
    --callback 'throughput_monitor:{"window_size": 2, "length_fn": {"field": 0}, "flops_per_batch": 10, "available_flops": 1000}'
if [ "$(col test/lengths)" = "1:8.0| 2:16.0| 3:20.0| " ] &&
    [ "$(ratio test/device/items_per_sec test/device/samples_per_sec)" = "2 2 " ] &&
    [ "$(ratio test/device/flops_per_sec test/device/mfu)" = "1000 1000 " ] &&
    [ "$(ratio test/device/flops_per_sec test/device/batches_per_sec)" = "10 10 " ]; then
    pass "throughput: test stage with length_fn, flops_per_batch and mfu"
else fail "throughput: test: $(col test/lengths) $(ratio test/device/flops_per_sec test/device/mfu)"; cat "$TMP/out.txt"; fi
# batch_size_fn {"field": 0, "dim": 1}: x is [B, 2], so 2 samples a batch
run test --trainer.log_every_n_steps 1 --callback 'throughput_monitor:{"batch_size_fn": {"field": 0, "dim": 1}}'
if [ "$(col test/samples)" = "1:2.0| 2:4.0| 3:6.0| " ] && ! head -n 1 "$(CSV)" | grep -q per_sec; then
    pass "throughput: batch_size_fn; the default window (100) is not full after 3 batches"
else fail "throughput: batch_size_fn: $(col test/samples)"; fi

run fit --trainer.max_epochs 1 --callback 'throughput_monitor:{"window_size": 1}'
if grep -q 'throughput_monitor: window_size must be > 1' "$TMP/out.txt"; then pass "throughput: window_size 1 is an error"
else fail "throughput: window_size 1"; cat "$TMP/out.txt"; fi
run fit --trainer.max_epochs 1 --callback 'throughput_monitor:{"batch_size_fn": {"field": 7}}'
if grep -q 'throughput_monitor.*on_train_batch_end.*field 7' "$TMP/out.txt"; then pass "throughput: a missing batch field is named"
else fail "throughput: bad field"; cat "$TMP/out.txt"; fi
finish
