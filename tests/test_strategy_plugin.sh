#!/bin/sh
# test_strategy_plugin.sh — strategy plugins built from the SDK alone, loaded by
# `--trainer.strategy NAME`: what the host calls (counting_strategy counts it), the
# extension query (gradients and grad-ready hooks for strategies, NULL for other kinds),
# NULL entries falling back to the built-in, the same weights as the built-in strategy,
# and the refusals (no such plugin, a plugin of another kind, failing entries).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$P"
export XDG_DATA_HOME="$TMP/xdg"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 600 100 gzip > /dev/null || { echo "make_idx failed"; exit 1; }
# 500 training samples in batches of 128: 4 batches an epoch; the MLP has 6 parameters
# (fc1..fc3 weight and bias)
RUN="$LTRUN fit --module $EX/mlp.so --data $EX/mnist.so --data.data_dir $D --data.val_size 100
     --trainer.logger false --trainer.enable_checkpointing false --seed 1
     --trainer.enable_progress_bar false --trainer.enable_model_summary false --trainer.max_epochs 2"
OUT="$TMP/out.txt"

# counts CHECK-NAME KEY=VALUE...: the teardown line of $OUT has each KEY=VALUE
counts() {
    name=$1
    shift
    line=$(grep '^counting_strategy:' "$OUT")
    for kv in "$@"; do
        case " ${line#counting_strategy:} " in
            *" $kv "*) ;;
            *) fail "$name: no $kv in '$line'"; sed 's/^/    /' "$OUT" | tail -n 5; return ;;
        esac
    done
    pass "$name"
}

$RUN --results "$TMP/builtin.json" > "$TMP/builtin.txt" 2>&1 || { fail "built-in fit ran"; tail -n 5 "$TMP/builtin.txt"; }

# by name, found on LT_PLUGIN_PATH: 2 epochs x 4 batches
if $RUN --trainer.strategy counting_strategy --results "$TMP/counting.json" > "$OUT" 2>&1; then
    pass "fit with --trainer.strategy counting_strategy"
else fail "fit with --trainer.strategy counting_strategy"; tail -n 5 "$OUT"; fi
params=$(sed -n 's/.* params=\([0-9]*\) .*/\1/p' "$OUT")
counts "entries called: setup_environment, setup once; backward, optimizer_step per batch" \
    setup_environment=1 setup=1 backward=8 optimizer_step=8 params=6
counts "every parameter ready exactly once per backward, finite grads" \
    grad_ready=$((8 * ${params:-0})) backward_checked=8
# the loops' strategy calls: a batch_to_device per batch moved (8 training, 1 sanity-check,
# 2 validation), the barriers around the setup hooks and before fit's first zero_grad; no
# sync_dist, broadcast, gather or checkpoint in this run
counts "collectives and transfers the loops make" \
    batch_to_device=11 barrier=3 reduce=0 broadcast=0 all_gather=0 save_checkpoint=0
case "$(grep '^counting_strategy:' "$OUT")" in
    *" reduce_bool=0 "*) fail "should_stop and SIGINT go through reduce_bool" ;;
    *" reduce_bool="*) pass "should_stop and SIGINT go through reduce_bool" ;;
    *) fail "should_stop and SIGINT go through reduce_bool: no count" ;;
esac
same_digest "counting_strategy trains to the built-in strategy's weights" "$TMP/builtin.json" "$TMP/counting.json"

# callbacks reach the collectives (ltrun/distributed.h) as Lightning's do through
# trainer.strategy: EarlyStopping's reduce_boolean_decision per check (2 epochs: 2),
# ModelCheckpoint's broadcast of its dirpath in setup and of file_exists per save, its
# reduce_boolean_decision per top-k comparison (save_top_k 1 monitoring step: the second
# epoch compares)
base_bool=$(sed -n 's/.* reduce_bool=\([0-9]*\) .*/\1/p' "$OUT")
$RUN --trainer.strategy counting_strategy --callback 'early_stopping:{"monitor": "val/loss", "patience": 5}'  > "$OUT" 2>&1 || { fail "fit with early_stopping ran"; tail -n 5 "$OUT"; }
counts "EarlyStopping: one reduce_boolean_decision per check" reduce_bool=$((${base_bool:-0} + 2))
$RUN --trainer.strategy counting_strategy \
    --callback 'model_checkpoint:{"monitor": "step", "mode": "max", "dirpath": "'"$TMP/mc"'"}'  > "$OUT" 2>&1 ||
    { fail "fit with model_checkpoint ran"; tail -n 5 "$OUT"; }
counts "ModelCheckpoint: dirpath and file_exists broadcast, top-k decision reduced" \
    broadcast=3 reduce_bool=$((${base_bool:-0} + 1)) save_checkpoint=2
# a module's or callback's own collectives: identities on one process, each call counted
$RUN --trainer.strategy counting_strategy --callback "$P/collectives_probe.so" > "$OUT" 2>&1 ||
    { fail "fit with collectives_probe ran"; tail -n 5 "$OUT"; }
if [ "$(grep -c '^collectives_probe: ok$' "$OUT")" = 2 ]; then
    pass "lt_topology, lt_barrier, lt_broadcast, lt_reduce, lt_reduce_boolean_decision, lt_all_gather on one process"
else fail "collectives_probe"; tail -n 5 "$OUT"; fi
counts "the probe's collectives reach the strategy" barrier=5 broadcast=2 reduce=2 all_gather=2 \
    reduce_bool=$((${base_bool:-0} + 4))
expect "lt_broadcast from a rank the run does not have is refused, naming the call" 1 \
    "lt_broadcast: src 1 is not a rank of this run \(world size 1\)" -- \
    env COLLECTIVES_REFUSE=broadcast $RUN --callback "$P/collectives_probe.so"
expect "an unknown reduction is refused" 1 "lt_reduce: unknown reduction 7" -- \
    env COLLECTIVES_REFUSE=reduce $RUN --callback "$P/collectives_probe.so"
expect "a failing strategy collective names the call, the strategy and its entry" 1 \
    "lt_all_gather: strategy 'counting_strategy' \(.*counting_strategy.so\), all_gather: failing all_gather as asked" -- \
    env COUNTING_FAIL=all_gather $RUN --trainer.strategy counting_strategy --callback "$P/collectives_probe.so"

# gradient accumulation: a backward per batch, a step per 2, readiness per backward
$RUN --trainer.accumulate_grad_batches 2 --results "$TMP/acc_builtin.json" > /dev/null 2>&1
$RUN --trainer.accumulate_grad_batches 2 --trainer.strategy counting_strategy \
    --results "$TMP/acc.json" > "$OUT" 2>&1 || { fail "accumulating fit ran"; tail -n 5 "$OUT"; }
counts "accumulate_grad_batches 2: 8 backwards, 4 steps, 48 ready calls" \
    backward=8 optimizer_step=4 grad_ready=48 backward_checked=8
same_digest "accumulating: the built-in's weights" "$TMP/acc_builtin.json" "$TMP/acc.json"

# a path works as well as a name; with no entries at all it is the built-in
expect "a strategy plugin with no entries falls back to single-device" 0 "" -- \
    $RUN --trainer.strategy "$P/empty_strategy.so" --results "$TMP/empty.json"
same_digest "empty_strategy: the built-in's weights" "$TMP/builtin.json" "$TMP/empty.json"

# the extension query answers strategies only
expect "a callback gets NULL for every extension id" 0 "ext_probe: gradients=NULL strategy_base=NULL" -- \
    $RUN --trainer.max_epochs 1 --trainer.strategy counting_strategy --callback "$P/ext_probe.so"

expect "ltrun plugins lists strategy plugins" 0 "^strategy +counting_strategy +0.1.0 +ABI 1\.[0-9]+" -- \
    "$LTRUN" plugins

# refusals
expect "a strategy nothing provides: usage error naming it" 2 \
    "trainer.strategy: 'no_such_strategy' is not available: .*no strategy plugin named 'no_such_strategy'" -- \
    $RUN --trainer.strategy no_such_strategy
expect "a callback plugin given as a strategy: plugin error naming both kinds" 3 \
    "ext_probe.so is a callback plugin \('ext_probe'\), but --trainer.strategy needs a strategy plugin" -- \
    $RUN --trainer.strategy "$P/ext_probe.so"
expect "a strategy plugin built for a newer ABI: plugin error naming the file" 3 \
    "strategy_newer_minor.so: built for ABI 1\.([0-9]+), newer than this ltrun's 1\.[0-9]+" -- \
    $RUN --trainer.strategy "$P/strategy_newer_minor.so"
expect "a module given as a strategy by name is not taken for one" 2 \
    "no strategy plugin named 'good_module'" -- $RUN --trainer.strategy good_module
expect "a failing backward entry stops the run naming plugin and entry" 1 \
    "strategy 'counting_strategy' \(.*counting_strategy.so\), backward: failing backward as asked" -- \
    env COUNTING_FAIL=backward $RUN --trainer.strategy counting_strategy
expect "a failing setup entry stops the run" 1 \
    "strategy 'counting_strategy' .*, setup: failing setup as asked" -- \
    env COUNTING_FAIL=setup $RUN --trainer.strategy counting_strategy
expect "a crash in a strategy entry is named as a module's is (the fault frame)" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in strategy 'counting_strategy' \(.*counting_strategy.so\), hook backward \(epoch 0, batch 0\)$" -- \
    env COUNTING_CRASH=backward $RUN --trainer.strategy counting_strategy
expect "a rank outside the world is refused" 1 \
    "setup_environment: reported rank 3 of world size 1" -- \
    env COUNTING_RANK=3 $RUN --trainer.strategy counting_strategy

finish
