#!/bin/sh
# test_manual.sh — manual optimization through `ltrun fit` (Lightning's rules): the GAN
# recipe with toggle_optimizer, manual_backward's hooks, global_step counting optimizer
# steps, schedulers left to the module, training_step returning NULL, and the errors for
# accumulate_grad_batches, gradient_clip_val, manual_backward in automatic mode and
# several optimizers in automatic mode.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
# 10 samples in batches of 4: 3 training batches an epoch
fit() {
    : > "$T"
    "$LTRUN" fit --module "$P/manual_module.so" --data "$P/trace_data.so" --model.trace "$T" \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.num_sanity_val_steps 0 --seed 1 \
        --callback "$P/trace_callback.so:{\"trace\": \"$T\"}" "$@"
}
# the lines of the module and of the backward/step callback hooks only
module_lines() {
    grep -v -e '^data\.' -e '^callback\.\(on_train\|on_validation\|on_fit\|on_sanity\)' \
        -e '^callback\.\(setup\|teardown\|create\|destroy\)' "$T"
}

fit --trainer.max_epochs 1 --trainer.limit_train_batches 2 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (gan)"; cat "$TMP/out.txt"; }
# batch 0 of Lightning's GAN recipe (basic-gan tutorial): toggle, manual_backward (callback
# hooks before the module's), step, zero_grad, untoggle, for each optimizer in turn. The
# step of the toggled-off optimizer moves nothing (its grads are None), yet counts.
cat > "$TMP/want.txt" <<'EOF'
create automatic_optimization=0
setup fit
training_step 0 global_step=0 lr=0.1
  before g.weight=1 g.bias=1 d.weight=1 d.bias=1
  toggled g g.weight=1 g.bias=1 d.weight=0 d.bias=0
callback.on_before_backward
module.on_before_backward loss=1
callback.on_after_backward
module.on_after_backward
callback.on_before_optimizer_step
module.on_before_optimizer_step 1
callback.on_before_optimizer_step
module.on_before_optimizer_step 0
  d moved=0 g moved=1 global_step=2
  untoggled g g.weight=1 g.bias=1 d.weight=1 d.bias=1
  toggled d g.weight=0 g.bias=0 d.weight=1 d.bias=1
callback.on_before_backward
module.on_before_backward loss=1
callback.on_after_backward
module.on_after_backward
callback.on_before_optimizer_step
module.on_before_optimizer_step 0
  g moved=0 global_step=3
callback.on_before_optimizer_step
module.on_before_optimizer_step 1
  untoggled d g.weight=1 g.bias=1 d.weight=1 d.bias=1
module.on_train_batch_end 0 outputs=1 global_step=4
training_step 1 global_step=4 lr=0.1
EOF
if module_lines | head -n 28 | diff -u "$TMP/want.txt" -; then
    pass "GAN recipe: toggle/untoggle flags, manual_backward hooks, one global_step per optimizer step"
else fail "GAN recipe: toggle/untoggle flags, manual_backward hooks, one global_step per optimizer step"; fi
if grep -q "module.on_train_batch_end 1 outputs=1 global_step=8" "$T"; then
    pass "global_step after 2 batches of 4 optimizer steps is 8"
else fail "global_step after 2 batches of 4 optimizer steps is 8"; fi
if ! grep -q -e configure_gradient_clipping -e on_before_zero_grad "$T"; then
    pass "no clipping hook and no on_before_zero_grad with manual optimization"
else fail "no clipping hook and no on_before_zero_grad with manual optimization"; fi

# parameters frozen before the run keep requires_grad=False through toggle/untoggle
fit --model.frozen true --trainer.max_epochs 1 --trainer.limit_train_batches 1 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (frozen)"; cat "$TMP/out.txt"; }
printf '%s\n' "  before g.weight=1 g.bias=1 d.weight=1 d.bias=0" \
    "  toggled g g.weight=1 g.bias=1 d.weight=0 d.bias=0" \
    "  untoggled g g.weight=1 g.bias=1 d.weight=1 d.bias=0" \
    "  toggled d g.weight=0 g.bias=0 d.weight=1 d.bias=0" \
    "  untoggled d g.weight=1 g.bias=1 d.weight=1 d.bias=0" > "$TMP/want.txt"
if grep -e '^  before' -e '^  toggled' -e '^  untoggled' "$T" | diff -u "$TMP/want.txt" -; then
    pass "toggle_optimizer keeps a parameter frozen beforehand frozen"
else fail "toggle_optimizer keeps a parameter frozen beforehand frozen"; fi

# max_steps counts optimizer steps: 4 a batch, so max_steps 4 stops after one batch
fit --trainer.max_epochs 5 --trainer.max_steps 4 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (max_steps)"; cat "$TMP/out.txt"; }
if [ "$(grep -c '^training_step' "$T")" = 1 ]; then pass "max_steps 4 = one batch of 4 optimizer steps"
else fail "max_steps 4 = one batch of 4 optimizer steps"; fi

# the trainer does not step schedulers (StepLR(1, 0.5), interval "step"): the module
# steps it after odd batches; automatic optimization would halve lr after every batch
fit --model.mode sched --trainer.max_epochs 2 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (sched)"; cat "$TMP/out.txt"; }
printf '%s\n' "training_step 0 global_step=0 lr=0.1" "training_step 1 global_step=1 lr=0.1" \
    "training_step 2 global_step=2 lr=0.05" "training_step 0 global_step=3 lr=0.05" \
    "training_step 1 global_step=4 lr=0.05" "training_step 2 global_step=5 lr=0.025" > "$TMP/want.txt"
if grep '^training_step' "$T" | diff -u "$TMP/want.txt" -; then
    pass "schedulers are stepped by the module only"
else fail "schedulers are stepped by the module only"; fi

# training_step may return NULL ("no return"): on_train_batch_end gets no outputs
fit --model.mode no_return --trainer.max_epochs 1 --trainer.limit_train_batches 1 > "$TMP/out.txt" 2>&1 ||
    { fail "fit (no_return)"; cat "$TMP/out.txt"; }
if grep -q "^callback.on_train_batch_end 0 outputs=0" "$T" &&
   grep -q "^module.on_train_batch_end 0 outputs=0 global_step=1" "$T"; then
    pass "training_step returning NULL: outputs NULL, the step still counted"
else fail "training_step returning NULL: outputs NULL, the step still counted"; fi

# Lightning's configuration errors, raised before prepare_data/setup
expect "accumulate_grad_batches with manual optimization" 2 \
    "Automatic gradient accumulation is not supported for manual optimization. Remove .Trainer\(accumulate_grad_batches=2\). or switch to automatic optimization" \
    -- fit --trainer.accumulate_grad_batches 2
if ! grep -q "setup fit" "$T"; then pass "the accumulation error comes before setup"
else fail "the accumulation error comes before setup"; fi
expect "gradient_clip_val with manual optimization" 2 \
    "Automatic gradient clipping is not supported for manual optimization. Remove .Trainer\(gradient_clip_val=0.5\). or switch to automatic optimization" \
    -- fit --trainer.gradient_clip_val 0.5
expect "manual_backward needs manual optimization" 1 \
    "hook training_step: to use manual_backward, please disable automatic optimization: set model property .automatic_optimization. as False" \
    -- fit --model.mode auto_backward --trainer.max_epochs 1
expect "several optimizers need manual optimization" 1 \
    "Training with multiple optimizers is only supported with manual optimization" \
    -- fit --model.mode auto_two --trainer.max_epochs 1
expect "automatic_optimization is set in create" 1 \
    "hook setup: lt_set_automatic_optimization: call it from the module's create hook" \
    -- fit --model.mode late_flag --trainer.max_epochs 1
finish
