#!/bin/sh
# test_hooks.sh — the trainer calls the module's and data module's hooks in
# Lightning's order (reference/lightning.md §1.1, §1.4), with the right context.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"

"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace "$T" --trainer.max_epochs 2 --trainer.limit_train_batches 2 \
    --trainer.limit_val_batches 1 --test --trainer.limit_test_batches 1 --seed 1 \
    --trainer.enable_progress_bar false > "$TMP/out.txt" 2>&1 || { fail "fit ran"; cat "$TMP/out.txt"; }
cat > "$TMP/expected.txt" <<'EXPECTED'
module.create
data.create
data.prepare_data
data.setup fit
module.setup fit
data.dataset train
data.dataset val
module.configure_optimizers
module.on_fit_start
module.on_validation_epoch_start
module.validation_step 0 sanity=1 training=0
module.on_validation_epoch_end
module.on_train_epoch_start
module.training_step 0 epoch=0 global_step=0 training=1
module.training_step 1 epoch=0 global_step=1 training=1
module.on_validation_epoch_start
module.validation_step 0 sanity=0 training=0
module.on_validation_epoch_end
module.on_train_epoch_end
module.on_train_epoch_start
module.training_step 0 epoch=1 global_step=2 training=1
module.training_step 1 epoch=1 global_step=3 training=1
module.on_validation_epoch_start
module.validation_step 0 sanity=0 training=0
module.on_validation_epoch_end
module.on_train_epoch_end
module.on_fit_end
data.teardown fit
module.teardown fit
data.prepare_data
data.setup test
module.setup test
data.dataset test
module.on_test_epoch_start
module.test_step 0
module.on_test_epoch_end
data.teardown test
module.teardown test
module.destroy
data.destroy
EXPECTED
if diff -u "$TMP/expected.txt" "$T"; then pass "fit --test: hooks in Lightning's order"
else fail "fit --test: hooks in Lightning's order"; fi

: > "$T"
"$LTRUN" validate --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace "$T" --trainer.limit_val_batches 2 --trainer.enable_progress_bar false > /dev/null 2>&1
printf '%s\n' module.create data.create data.prepare_data "data.setup validate" \
    "module.setup validate" "data.dataset val" module.on_validation_epoch_start \
    "module.validation_step 0 sanity=0 training=0" "module.validation_step 1 sanity=0 training=0" \
    module.on_validation_epoch_end "data.teardown validate" "module.teardown validate" \
    module.destroy data.destroy > "$TMP/expected2.txt"
if diff -u "$TMP/expected2.txt" "$T"; then pass "validate: hooks in Lightning's order"
else fail "validate: hooks in Lightning's order"; fi

# num_sanity_val_steps=0 skips the sanity check; max_steps stops mid-epoch and still
# ends the epoch (on_train_epoch_end) without validating
: > "$T"
"$LTRUN" fit --module "$P/trace_module.so" --data "$P/trace_data.so" --model.trace "$T" \
    --data.trace "$T" --trainer.num_sanity_val_steps 0 --trainer.max_steps 2 \
    --trainer.enable_progress_bar false > /dev/null 2>&1
if ! grep -q "sanity=1" "$T" && [ "$(grep -c training_step "$T")" -eq 2 ] &&
   ! grep -q "validation_step" "$T" && grep -q on_train_epoch_end "$T"; then
    pass "max_steps mid-epoch, no sanity check"
else fail "max_steps mid-epoch, no sanity check"; cat "$T"; fi
finish
