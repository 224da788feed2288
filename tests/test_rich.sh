#!/bin/sh
# test_rich.sh — the rich_progress_bar and rich_model_summary callback plugins (Lightning's
# RichProgressBar / RichModelSummary look). Not a terminal: plain text, printed once when
# the progress stops; a terminal (through script(1), when installed): drawn live with
# rich's colours and styles.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
W="$TMP/work"
mkdir -p "$W"
OUT="$TMP/out.txt"
ARGS="--data $P/trace_data.so --seed 1 --trainer.logger false --trainer.enable_checkpointing false"
BAR40=$(printf '━%.0s' $(seq 1 40))
ESC=$(printf '\033')

(cd "$W" && "$LTRUN" fit --module "$P/finetune_module.so" $ARGS --trainer.max_epochs 2 \
    --callback rich_progress_bar --callback rich_model_summary) > "$OUT" 2> "$TMP/err.txt"
if grep -q "^Epoch 1/1  $BAR40 3/3 [0-9]:[0-9][0-9]:[0-9][0-9] • 0:00:00 [0-9.]*it/s\$" "$OUT" &&
    [ "$(grep -c '^Epoch ' "$OUT")" = 1 ] && ! grep -q "$ESC" "$OUT"; then
    pass "rich: plain bar (not a terminal): one final line, rich's columns, no escapes"
else fail "rich: plain bar"; cat "$OUT"; fi
want='┏━━━┳━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━┳━━━━━━━┓
┃   ┃ Name     ┃ Type   ┃ Params ┃ Mode  ┃
┡━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━┩
│ 0 │ backbone │ Module │     20 │ train │
│ 1 │ head     │ Linear │     15 │ train │
└───┴──────────┴────────┴────────┴───────┘
Trainable params: 35
Non-trainable params: 0
Total params: 35
Total estimated model params size (MB): 0.000
Modules in train mode: 3
Modules in eval mode: 0'
if [ "$(head -n 12 "$OUT")" = "$want" ] && ! grep -q 'Trainable params' "$TMP/err.txt"; then
    pass "rich: model summary as a rich table (HEAVY_HEAD box, Params right-justified), replacing the built-in"
else fail "rich: summary"; head -n 14 "$OUT"; fi

# leave: every epoch's line stays; the test loop's bar is "Testing"
(cd "$W" && "$LTRUN" fit --module "$P/finetune_module.so" $ARGS --trainer.max_epochs 3 \
    --callback 'rich_progress_bar:{"leave": true}') > "$OUT" 2>&1
(cd "$W" && "$LTRUN" test --module "$P/cb_module.so" $ARGS --callback rich_progress_bar) > "$TMP/test.txt" 2>&1
if [ "$(grep -c "^Epoch [0-2]/2  $BAR40 3/3 " "$OUT")" = 3 ] && grep -q "^Testing $BAR40 3/3 " "$TMP/test.txt"; then
    pass "rich: leave keeps each epoch's bar; Testing bar"
else fail "rich: leave/test"; cat "$OUT" "$TMP/test.txt"; fi
(cd "$W" && "$LTRUN" fit --module "$P/cb_module.so" $ARGS --trainer.max_epochs 1 \
    --callback rich_progress_bar --callback progress_bar) > "$OUT" 2>&1
if grep -q 'only one progress bar is supported' "$OUT"; then pass "rich: a second progress bar is Lightning's error"
else fail "rich: two bars"; cat "$OUT"; fi

if command -v script > /dev/null 2>&1 && script -qc true /dev/null > /dev/null 2>&1; then
    (cd "$W" && script -qc "'$LTRUN' fit --module '$P/cb_module.so' $ARGS --trainer.max_epochs 2 --callback rich_progress_bar --callback rich_model_summary 2>/dev/null" /dev/null) > "$OUT" 2>&1
    # the bar in #6206E0 over grey23, times dim, speed dim underline, header bold magenta,
    # a validation bar drawn under the training bar, redrawn in place (cursor up)
    if grep -q "${ESC}\[38;2;98;6;224m━" "$OUT" && grep -q "${ESC}\[38;5;237m" "$OUT" &&
        grep -q "${ESC}\[2;4m[0-9.]*it/s" "$OUT" && grep -q "${ESC}\[1;35mName" "$OUT" &&
        grep -q "Validation" "$OUT" && grep -q "${ESC}\[[0-9]A" "$OUT"; then
        pass "rich: on a terminal: live redraw with rich's colours and styles"
    else fail "rich: terminal"; cat -v "$OUT" | head -n 20; fi
    (cd "$W" && NO_COLOR=1 script -qc "'$LTRUN' fit --module '$P/cb_module.so' $ARGS --trainer.max_epochs 1 --callback rich_progress_bar 2>/dev/null" /dev/null) > "$OUT" 2>&1
    if ! grep -q "${ESC}\[38;2" "$OUT" && grep -q "Epoch 0/0" "$OUT"; then pass "rich: NO_COLOR drops the colours"
    else fail "rich: NO_COLOR"; cat -v "$OUT" | head; fi
else
    skip "rich: on a terminal" "script(1) is not available"
    skip "rich: NO_COLOR" "script(1) is not available"
fi
finish
