#!/bin/sh
# test_multi_loaders.sh — several val/test/predict dataloaders per data module
# (Lightning's val_dataloader returning a list; tests/plugins/multi_data.c, multi_module.c).
# The module fails unless every batch came from the loader ctx->dataloader_idx names and
# the data hooks saw that index. Checked: the loaders run in order; metrics get
# "/dataloader_idx_N" exactly when there are several (add_dataloader_idx=False keeps the
# name, and the same name from two loaders is Lightning's error); epoch-end metrics join
# every loader's column; the "Validate metric" table has a column per loader, as many per
# table as the terminal fits; limits and num_sanity_val_steps apply per loader; the
# progress bar restarts per loader; ModelCheckpoint/EarlyStopping monitor suffixed names.
. "${top_srcdir:-.}/tests/lib.sh"

P="$top_builddir/tests/plugins"
MODS="--module $P/multi_module.so --data $P/multi_data.so"
VAL="$LTRUN validate $MODS"

expect "validate over two loaders" 0 "" -- $VAL --results "$TMP/v.json"
for k in "dl/dataloader_idx_0:0" "dl/dataloader_idx_1:1" "samples/dataloader_idx_0:4" \
         "samples/dataloader_idx_1:8" "epoch_end:7"; do
    key=${k%:*} want=${k##*:}
    got=$(json_num "$TMP/v.json" "$key")
    if [ "$got" = "$want" ]; then pass "$key = $want"; else fail "$key = '$got', expected $want"; fi
done
if grep -q '"dl"\|"samples"\|"loss"' "$TMP/v.json"; then fail "no unsuffixed step metric with two loaders"
else pass "no unsuffixed step metric with two loaders"; fi

# the table: one column per loader, the suffix removed, epoch-end metrics in every column;
# 80 columns fit (80 - 25) / 25 = 2 loader columns per table, so three loaders make two tables
COLUMNS=80 $VAL --data.loaders 3 --model.plain_unique true >"$TMP/t.out" 2>/dev/null
rule=$(printf '%080d' 0 | sed 's/0/─/g')
cat >"$TMP/t.want" <<TABLE
$rule
     Validate metric           DataLoader 0             DataLoader 1
$rule
           dl                       0.0                      1.0
        epoch_end                   7.0                      7.0
LOSS
        plain_dl0                  10.0
        plain_dl1                                           11.0
        plain_dl2
         samples                    4.0                      8.0
$rule
$rule
     Validate metric           DataLoader 2
$rule
           dl                       2.0
        epoch_end                   7.0
LOSS
        plain_dl0
        plain_dl1
        plain_dl2                  12.0
         samples                   12.0
$rule
TABLE
if sed 's/^ *loss .*/LOSS/' "$TMP/t.out" | diff "$TMP/t.want" - >"$TMP/t.diff"; then
    pass "Validate metric tables: a column per dataloader, two per table at 80 columns"
else fail "Validate metric tables:"; sed 's/^/    /' "$TMP/t.diff"; fi

# one loader: no suffix, and the bar says no DataLoader
expect "one loader: no dataloader suffix" 0 "" -- $VAL --data.loaders 1 --results "$TMP/one.json"
if [ "$(json_num "$TMP/one.json" dl)" = 0 ] && ! grep -q dataloader_idx "$TMP/one.json"; then
    pass "one loader logs 'dl' unsuffixed"; else fail "one loader logs 'dl' unsuffixed"; fi
expect "progress bar restarts per loader with its own total" 0 \
    "Validation DataLoader 1: 100%.*\| 4/4 " -- $VAL
expect "progress bar of loader 0" 0 "Validation DataLoader 0: 100%.*\| 2/2 " -- $VAL

# add_dataloader_idx=False: names as given; the same name from two loaders is an error
expect "add_dataloader_idx=False, unique names" 0 "" -- $VAL --model.plain_unique true --results "$TMP/u.json"
if [ "$(json_num "$TMP/u.json" plain_dl1)" = 11 ]; then pass "plain_dl1 kept unsuffixed"
else fail "plain_dl1 kept unsuffixed"; fi
expect "add_dataloader_idx=False, one name from two loaders" 1 \
    "hook validation_step: lt_log\('plain'\): logged again in validation_step with different options" -- \
    $VAL --model.plain true

# limit_val_batches per loader (an int, and a fraction of each loader's length)
expect "limit_val_batches 1 per loader" 0 "" -- $VAL --trainer.limit_val_batches 1 --results "$TMP/l1.json"
if [ "$(json_num "$TMP/l1.json" samples/dataloader_idx_0)" = 2 ] &&
   [ "$(json_num "$TMP/l1.json" samples/dataloader_idx_1)" = 2 ]; then pass "one batch of each loader"
else fail "one batch of each loader: $(cat "$TMP/l1.json")"; fi
expect "limit_val_batches 0.5 per loader" 0 "" -- $VAL --trainer.limit_val_batches 0.5 --results "$TMP/l5.json"
if [ "$(json_num "$TMP/l5.json" samples/dataloader_idx_0)" = 2 ] &&
   [ "$(json_num "$TMP/l5.json" samples/dataloader_idx_1)" = 4 ]; then pass "half of each loader"
else fail "half of each loader: $(cat "$TMP/l5.json")"; fi

# test and predict take several loaders too; loader workers see their loader's index
expect "test over two loaders" 0 "Test metric +DataLoader 0 +DataLoader 1" -- $LTRUN test $MODS
expect "validate with 2 loader workers" 0 "" -- $VAL --data.num_workers 2 --results "$TMP/w.json"
if [ "$(json_num "$TMP/v.json" loss/dataloader_idx_1)" = "$(json_num "$TMP/w.json" loss/dataloader_idx_1)" ]; then
    pass "workers: the same loss/dataloader_idx_1"; else fail "workers: the same loss/dataloader_idx_1"; fi
if [ "$(json_num "$TMP/w.json" samples/dataloader_idx_1)" = 8 ]; then pass "workers: all samples"
else fail "workers: all samples"; fi
expect "predict over two loaders: a dataset per loader" 0 \
    "predictions_dataloader_idx_0 float32 \[4, 2\], predictions_dataloader_idx_1 float32 \[8, 2\]" -- \
    $LTRUN predict $MODS --predictions "$TMP/p.h5"

# fit: sanity check runs num_sanity_val_steps of each loader; checkpoints monitor suffixed names
FIT="$LTRUN fit $MODS --trainer.max_epochs 2 --trainer.enable_model_summary false --trainer.default_root_dir $TMP/root"
$FIT --trainer.num_sanity_val_steps 1 >"$TMP/f.out" 2>&1
if [ "$(grep -c '^step sanity val dl=0' "$TMP/f.out")" = 1 ] && [ "$(grep -c '^step sanity val dl=1' "$TMP/f.out")" = 1 ]; then
    pass "num_sanity_val_steps 1: one batch of each loader"
else fail "num_sanity_val_steps 1: one batch of each loader"; fi
if [ "$(grep -c '^step val dl=1' "$TMP/f.out")" = 8 ]; then pass "every epoch validates loader 1 (4 batches x 2)"
else fail "every epoch validates loader 1: $(grep -c '^step val dl=1' "$TMP/f.out")"; fi
expect "ModelCheckpoint monitors loss/dataloader_idx_1" 0 \
    "'loss/dataloader_idx_1' reached [0-9.]+ \(best" -- \
    $FIT --callback 'model_checkpoint:{"monitor": "loss/dataloader_idx_1", "verbose": true}'
expect "ModelCheckpoint cannot find the unsuffixed name" 1 \
    "ModelCheckpoint\(monitor='loss'\). could not find the monitored key.*'loss/dataloader_idx_0'" -- \
    $FIT --callback 'model_checkpoint:{"monitor": "loss"}'
expect "EarlyStopping monitors loss/dataloader_idx_0" 0 "" -- \
    $FIT --callback 'early_stopping:{"monitor": "loss/dataloader_idx_0", "strict": true}'

# a data module that says N loaders must describe each; no more than LT_MAX_DATALOADERS
expect "a loader without data" 1 "num_dataloaders gives the val split 2 dataloaders but its dataset hook left dataloader 1 without data" -- \
    $VAL --data.hole 1
expect "too many loaders" 1 "hook num_dataloaders: 65 val dataloaders, more than ltrun's LT_MAX_DATALOADERS \(64\)" -- \
    $VAL --data.loaders 65
finish
