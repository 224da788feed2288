#!/bin/sh
# test_model_hooks.sh — ABI 1.5 module hooks: LightningModule.configure_callbacks
# (_attach_model_callbacks: the module's callbacks replace the trainer's of the same
# plugin) and LightningModule.backward (the strategy's backward goes through it).
# Module: tests/plugins/model_hooks_module.c on trace_data (10 samples, batch 4: 3 batches).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks:$top_builddir/plugins/loggers"
export XDG_DATA_HOME="$TMP/xdg"
W="$TMP/work"
mkdir -p "$W"
OUT="$TMP/out.txt"
fit() { # fit ARGS...: output in $OUT
    (cd "$W" && "$LTRUN" fit --module "$P/model_hooks_module.so" --data "$P/trace_data.so" \
        --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false --trainer.enable_checkpointing false "$@") > "$OUT" 2>&1
}

# configure_callbacks: the trainer's print_hooks (on_train_epoch_end) is replaced by the
# module's (on_fit_start), with Lightning's message naming the overridden callback
fit --trainer.max_epochs 2 --callback 'print_hooks:{"hooks": ["on_train_epoch_end"]}' \
    --model.add print_hooks --model.args '{"hooks": ["on_fit_start"]}'
if [ $? -eq 0 ] && [ "$(grep -c '^hook on_fit_start' "$OUT")" -eq 1 ] &&
   ! grep -q '^hook on_train_epoch_end' "$OUT" &&
   grep -q 'will override existing callbacks passed to Trainer: print_hooks' "$OUT"; then
    pass "configure_callbacks: the module's print_hooks replaces the trainer's"
else fail "configure_callbacks replace"; cat "$OUT"; fi

# other trainer callbacks stay, the module's are added after them
fit --trainer.max_epochs 1 --callback 'timer:{"duration": "00:01:00:00"}' \
    --model.add print_hooks --model.args '{"hooks": ["on_train_end"]}'
if [ $? -eq 0 ] && [ "$(grep -c '^hook on_train_end' "$OUT")" -eq 1 ] &&
   ! grep -q 'will override' "$OUT"; then
    pass "configure_callbacks: added next to the trainer's other callbacks"
else fail "configure_callbacks add"; cat "$OUT"; fi

# two of the same plugin from the module: both run (labels print_hooks, print_hooks#2)
fit --trainer.max_epochs 1 --model.add print_hooks,print_hooks --model.args '{"hooks": ["on_train_end"]}'
if [ $? -eq 0 ] && [ "$(grep -c '^hook on_train_end' "$OUT")" -eq 2 ]; then
    pass "configure_callbacks: two callbacks of one plugin"
else fail "configure_callbacks twice"; cat "$OUT"; fi

expect "configure_callbacks: unknown plugin named" 3 "configure_callbacks: .*no_such_cb" -- \
    "$LTRUN" fit --module "$P/model_hooks_module.so" --data "$P/trace_data.so" \
    --trainer.logger false --trainer.max_epochs 1 --model.add no_such_cb
expect "configure_callbacks: init args not an object" 1 "init args must be a JSON object" -- \
    "$LTRUN" fit --module "$P/model_hooks_module.so" --data "$P/trace_data.so" \
    --trainer.logger false --trainer.max_epochs 1 --model.add print_hooks --model.args '[1]'
expect "lt_add_callback outside configure_callbacks is an error" 1 \
    "training_step: lt_add_callback is only allowed inside the module's configure_callbacks hook" -- \
    "$LTRUN" fit --module "$P/model_hooks_module.so" --data "$P/trace_data.so" \
    --trainer.logger false --trainer.max_epochs 1 --model.add_outside true

# backward: the override runs once per training batch, between on_before_backward and
# on_after_backward; "zero" (backward of loss*0) leaves the weights where they started
fit --trainer.max_epochs 2 --model.backward zero --results "$TMP/z2.json" \
    --callback 'print_hooks:{"hooks": ["on_before_backward", "on_after_backward"]}'
if [ $? -eq 0 ] && [ "$(grep -c '^backward override' "$OUT")" -eq 6 ] &&
   [ "$(grep -E '^(hook on_before_backward|backward override|hook on_after_backward)' "$OUT" |
        head -3 | cut -c1-18 | tr '\n' '|')" = "hook on_before_bac|backward override |hook on_after_back|" ]; then
    pass "backward override: called per batch, between on_before_backward and on_after_backward"
else fail "backward override calls"; cat "$OUT"; fi
fit --trainer.max_epochs 1 --model.backward zero --results "$TMP/z1.json"
fit --trainer.max_epochs 1 --results "$TMP/d1.json"
fit --trainer.max_epochs 2 --results "$TMP/d2.json"
if [ -n "$(weights_digest "$TMP/z1.json")" ] && [ "$(weights_digest "$TMP/z1.json")" = "$(weights_digest "$TMP/z2.json")" ] &&
   [ "$(weights_digest "$TMP/d1.json")" != "$(weights_digest "$TMP/d2.json")" ]; then
    pass "backward override: its gradients are the ones the optimizer uses"
else fail "backward override gradients ($(weights_digest "$TMP/z1.json") $(weights_digest "$TMP/z2.json") $(weights_digest "$TMP/d1.json") $(weights_digest "$TMP/d2.json"))"; fi

finish
