#!/bin/sh
# test_backbone_finetuning.sh — the backbone_finetuning callback plugin (Lightning 2.6's
# BackboneFinetuning): finetune_module (backbone.fc Linear, backbone.bn BatchNorm1d, head
# Linear; SGD lr 0.1 over the parameters that require grad) on trace_data. The module prints
# at each epoch start (after the callback): its param groups' lrs, requires_grad of
# backbone.fc.weight and backbone.bn.weight, and backbone.fc.weight[0].
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
W="$TMP/work"
mkdir -p "$W"
OUT="$TMP/out.txt"
fit() {
    (cd "$W" && "$LTRUN" fit --module "$P/finetune_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false \
        --trainer.logger false --trainer.enable_checkpointing false "$@") > "$OUT" 2>&1
}
lines() { sed -n 's/^epoch \([0-9]*\) groups=\([0-9]*\) lr=\([^ ]*\) grad=\([^ ]*\) .*/\1:\2:\3:\4/p' "$OUT" | tr '\n' ' '; }
fcw() { sed -n "s/^epoch $1 .* fc=//p" "$OUT"; }

# defaults but the epoch: frozen backbone (BatchNorm kept trainable, train_bn), then at epoch
# 1 a param group at 0.1 * 0.1, then x1.5 per epoch (Lightning's multiplicative)
fit --trainer.max_epochs 5 --callback 'backbone_finetuning:{"unfreeze_backbone_at_epoch": 1, "verbose": true}'
if [ "$(lines)" = "0:1:0.1:0,1 1:2:0.1,0.01:1,1 2:2:0.1,0.015:1,1 3:2:0.1,0.0225:1,1 4:2:0.1,0.03375:1,1 " ]; then
    pass "finetuning: frozen backbone, new param group at lr*0.1, then x1.5 per epoch"
else fail "finetuning: lrs: $(lines)"; cat "$OUT"; fi
if [ -n "$(fcw 0)" ] && [ "$(fcw 0)" = "$(fcw 1)" ] && [ "$(fcw 1)" != "$(fcw 2)" ]; then
    pass "finetuning: the backbone does not train before the unfreeze epoch, and does after"
else fail "finetuning: backbone weights $(fcw 0) $(fcw 1) $(fcw 2)"; fi
# the BatchNorm parameters are already in group 0 (trainable from the start): Lightning's
# filter_on_optimizer warning; verbose prints Lightning's rounded lrs
if grep -q 'The provided params to be frozen already exist within another group of this optimizer' "$OUT" &&
    grep -q '^Current lr: 0.1, Backbone lr: 0.01$' "$OUT" && grep -q '^Current lr: 0.1, Backbone lr: 0.03375$' "$OUT"; then
    pass "finetuning: filter_on_optimizer warning, verbose lines"
else fail "finetuning: warning/verbose"; cat "$OUT"; fi

# backbone_initial_lr 0.08: 0.12 at epoch 2 is aligned down to the head's 0.1 (should_align)
fit --trainer.max_epochs 3 --callback 'backbone_finetuning:{"unfreeze_backbone_at_epoch": 1, "backbone_initial_lr": 0.08}'
a=$(lines)
fit --trainer.max_epochs 3 --callback 'backbone_finetuning:{"unfreeze_backbone_at_epoch": 1, "backbone_initial_lr": 0.08, "should_align": false, "lambda_func": 2}'
b=$(lines)
if [ "$a" = "0:1:0.1:0,1 1:2:0.1,0.08:1,1 2:2:0.1,0.1:1,1 " ] && [ "$b" = "0:1:0.1:0,1 1:2:0.1,0.08:1,1 2:2:0.1,0.16:1,1 " ]; then
    pass "finetuning: backbone_initial_lr, should_align caps at the current lr, lambda_func multiplier"
else fail "finetuning: align: '$a' / '$b'"; fi

# train_bn false: BatchNorm frozen too, and left out of the new group (filter_params)
fit --trainer.max_epochs 2 --callback 'backbone_finetuning:{"unfreeze_backbone_at_epoch": 1, "train_bn": false}'
if [ "$(lines)" = "0:1:0.1:0,0 1:2:0.1,0.01:1,1 " ] && ! grep -q 'already exist' "$OUT"; then
    pass "finetuning: train_bn false freezes BatchNorm"
else fail "finetuning: train_bn: $(lines)"; cat "$OUT"; fi

# an optimizer over every parameter: nothing to add (the warning), and from the next epoch
# Lightning sets param_groups[-1] — here the only group — to the backbone lr
fit --trainer.max_epochs 3 --model.all_params true --callback 'backbone_finetuning:{"unfreeze_backbone_at_epoch": 1}'
if [ "$(lines)" = "0:1:0.1:0,1 1:1:0.1:1,1 2:1:0.015:1,1 " ] && grep -q 'already exist' "$OUT"; then
    pass "finetuning: backbone already in the optimizer: skipped with the warning, as Lightning"
else fail "finetuning: all params: $(lines)"; cat "$OUT"; fi

fit --trainer.max_epochs 1 --callback 'backbone_finetuning:{"backbone": "trunk"}'
if grep -q 'The LightningModule should have a nn.Module `backbone` attribute (no parameter is named trunk' "$OUT"; then
    pass "finetuning: no backbone parameter is Lightning's error"
else fail "finetuning: no backbone"; cat "$OUT"; fi
finish
