#!/bin/sh
# test_hooks_abi19.sh — the ABI 1.9 module hooks in Lightning 2.6's order
# (tests/hooks_abi19_expected.txt): LightningModule.prepare_data after the data module's
# (_DataConnector.prepare_data), configure_model after the setup hooks in every stage
# (_call_configure_model), transfer_batch_to_device between the two batch-transfer hooks
# (_apply_batch_transfer_handler); prepare_data_per_node; a plugin whose vtable is 1.8's
# size; the data module's on_exception after the callbacks' (call._interrupt).
# Plugins: trace_module19 / trace_module18 / trace_data19 / trace_data19_xfer
# (tests/plugins/trace_module.c, trace_data.c).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
OUT="$TMP/out.txt"
EXPECTED="$top_srcdir/tests/hooks_abi19_expected.txt"

section() { # section NAME FILE: the non-comment lines of "=== NAME" in FILE
    awk -v want="$1" '/^# === / { cur = $3; sub(":", "", cur); next }
                      /^#/ { next } cur == want { print }' "$2"
}
run() { # run MODULE DATA CMD ARGS...: ltrun with one tracing callback, trace to $T
    : > "$T"
    mod=$1 data=$2 cmd=$3
    shift 3
    "$LTRUN" "$cmd" --module "$P/$mod.so" --data "$P/$data.so" --model.trace "$T" \
        --data.trace_file "$T" --callback "$P/trace_callback.so:{\"trace\": \"$T\"}" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false --trainer.enable_checkpointing false \
        --trainer.default_root_dir "$TMP/root" "$@" > "$OUT" 2>&1
}
compare() { # compare NAME FILE: $T against the section
    section "$1" "$2" > "$TMP/want.txt"
    if [ -s "$TMP/want.txt" ] && diff -u "$TMP/want.txt" "$T" > "$TMP/diff.txt"; then
        pass "$1: every hook in Lightning's order ($(basename "$2"))"
    else
        fail "$1: every hook in Lightning's order ($(basename "$2"))"
        cat "$TMP/diff.txt" "$OUT"
    fi
}

# the exact sequences: fit (fc built in configure_model, so fit trains only when it ran
# before configure_optimizers), validate, test, predict
run trace_module19 trace_data19 fit --trainer.max_epochs 1 --trainer.limit_train_batches 1 \
    --trainer.limit_val_batches 1 --trainer.num_sanity_val_steps 0
compare fit "$EXPECTED"
run trace_module19 trace_data19 validate --trainer.limit_val_batches 1
compare validate "$EXPECTED"
run trace_module19 trace_data19 test --trainer.limit_test_batches 1
compare test "$EXPECTED"
run trace_module19 trace_data19 predict --trainer.limit_predict_batches 1 --predictions "$TMP/p.h5"
compare predict "$EXPECTED"

# configure_model runs in every stage (fit --test: twice), so it must be idempotent
run trace_module19 trace_data19 fit --trainer.max_epochs 1 --trainer.limit_train_batches 1 \
    --trainer.limit_val_batches 0 --test --trainer.limit_test_batches 1
got=$(grep -E "configure_model|module.setup|module.configure_optimizers" "$T" | cut -d' ' -f1,2 | tr '\n' '|')
if [ "$got" = "module.setup fit|module.configure_model built=0|module.configure_optimizers estimated_stepping_batches=1|module.setup test|module.configure_model built=1|" ]; then
    pass "fit --test: configure_model after setup in each stage"
else fail "fit --test: configure_model after setup in each stage: got '$got'"; cat "$OUT"; fi

# a module that builds its layers in configure_model resumes from its checkpoint (the
# state_dict is matched after configure_model, as Lightning's _restore_modules_and_callbacks)
run trace_module19 trace_data19 fit --trainer.max_epochs 1 --trainer.limit_val_batches 0 \
    --trainer.enable_checkpointing true
ck=$(ls "$TMP"/root/checkpoints/*.h5 2>/dev/null | head -n 1)
if [ -n "$ck" ] && run trace_module19 trace_data19 fit --trainer.max_epochs 2 \
       --trainer.limit_val_batches 0 --ckpt-path "$ck" &&
   grep -q "Restoring states from the checkpoint path" "$OUT" &&
   grep -q "module.training_step 0 epoch=1" "$T"; then
    pass "configure_model: --ckpt-path restores weights built there"
else fail "configure_model: --ckpt-path restores weights built there ($ck)"; cat "$OUT"; fi

# transfer_batch_to_device: the module's override replaces the default move, and the batch
# it returns is the one training_step sees
run trace_module19 trace_data19 fit --trainer.max_steps 1 --trainer.num_sanity_val_steps 0 \
    --trainer.limit_val_batches 0 --model.show_idx true --model.xfer_add 1000
if grep -q "module.transfer_batch_to_device cpu 0" "$T" && grep -q "idx=1000,1001,1002,1003" "$T"; then
    pass "transfer_batch_to_device: the module's override changes the batch"
else fail "transfer_batch_to_device: the module's override changes the batch"; cat "$T" "$OUT"; fi
# the data module's wins (_DataHookSelector): the module's is not called
run trace_module19 trace_data19_xfer fit --trainer.max_steps 1 --trainer.num_sanity_val_steps 0 \
    --trainer.limit_val_batches 0 --model.show_idx true --model.xfer_add 1000
if grep -q "data.transfer_batch_to_device cpu 0" "$T" && ! grep -q "module.transfer_batch_to_device" "$T" &&
   grep -q "idx=10000,10001,10002,10003" "$T"; then
    pass "transfer_batch_to_device: the data module's wins over the module's"
else fail "transfer_batch_to_device: the data module's wins over the module's"; cat "$T" "$OUT"; fi
expect "lt_move_data_to_device to another device is refused, naming the hook" 1 \
    "module 'trace' .*hook transfer_batch_to_device: lt_move_data_to_device: device 'cuda:0' is not this run's device 'cpu'" -- \
    "$LTRUN" fit --module "$P/trace_module19.so" --data "$P/trace_data19.so" \
    --trainer.max_steps 1 --trainer.logger false --model.xfer_device cuda:0

# prepare_data_per_node false: only global rank 0 prepares; per node (the default): local
# rank 0 of every node. counting_strategy reports the ranks COUNTING_RANK says
# (rank:local_rank:node_rank:world_size).
export LT_PLUGIN_PATH="$top_builddir/tests/plugins"
pd() { # pd RANKS ARGS...: the prepare_data lines of a fit on that rank
    COUNTING_RANK=$1
    export COUNTING_RANK
    shift
    run trace_module19 trace_data19 fit --trainer.max_steps 1 --trainer.limit_val_batches 0 \
        --trainer.strategy counting_strategy "$@"
    unset COUNTING_RANK
    grep prepare_data "$T" | tr '\n' ' '
}
got=$(pd 0:0:0:1)
[ "$got" = "data.prepare_data module.prepare_data " ] && pass "prepare_data on rank 0: data module's, then module's" ||
    { fail "prepare_data on rank 0: got '$got'"; cat "$OUT"; }
got=$(pd 2:0:1:4)
[ "$got" = "data.prepare_data module.prepare_data " ] && pass "prepare_data_per_node true: local rank 0 of node 1 prepares" ||
    { fail "prepare_data_per_node true on node 1: got '$got'"; cat "$OUT"; }
got=$(pd 2:0:1:4 --model.prepare_data_per_node false)
[ "$got" = "data.prepare_data " ] && pass "module prepare_data_per_node false: not on node 1 (the data module's still)" ||
    { fail "module prepare_data_per_node false on node 1: got '$got'"; cat "$OUT"; }
got=$(pd 2:0:1:4 --data.prepare_data_per_node false)
[ "$got" = "module.prepare_data " ] && pass "data module prepare_data_per_node false: not on node 1" ||
    { fail "data module prepare_data_per_node false on node 1: got '$got'"; cat "$OUT"; }
got=$(pd 1:1:0:4)
[ "$got" = "" ] && pass "prepare_data: never on local rank 1" ||
    { fail "prepare_data on local rank 1: got '$got'"; cat "$OUT"; }
unset LT_PLUGIN_PATH
expect "lt_set_prepare_data_per_node outside create is an error" 1 \
    "hook configure_model: lt_set_prepare_data_per_node: call it from the create hook of the module or the data module" -- \
    "$LTRUN" fit --module "$P/trace_module19.so" --data "$P/trace_data19.so" --trainer.max_steps 1 \
    --trainer.logger false --model.late_per_node true

# a module built against the 1.8 header (its vtable ends before the 1.9 block, the hooks
# after it given anyway): none of them is called, the sequence is tests/hooks_expected.txt's
: > "$T"
"$LTRUN" fit --module "$P/trace_module18.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace_file "$T" --callback "$P/trace_callback.so:{\"trace\": \"$T\"}" --seed 1 \
    --trainer.enable_progress_bar false --trainer.enable_model_summary false \
    --trainer.max_epochs 1 --trainer.limit_val_batches 1 --trainer.num_sanity_val_steps 1 \
    --trainer.accumulate_grad_batches 2 --trainer.val_check_interval 2 > "$OUT" 2>&1
compare fit "$top_srcdir/tests/hooks_expected.txt"

# an error: Lightning's _interrupt calls the callbacks' on_exception, then the data
# module's; a LightningModule has no on_exception in Lightning 2.6 (none is called)
run trace_module19 trace_data19 fit --trainer.max_epochs 1 --model.no_closure true
got=$(grep on_exception "$T" | cut -d' ' -f1 | tr '\n' ' ')
[ "$got" = "callback.on_exception data.on_exception " ] &&
    pass "on_exception: callbacks, then the data module (call._interrupt)" ||
    { fail "on_exception order: got '$got'"; cat "$T"; }
finish
