#!/bin/sh
# test_cli.sh — ltrun's command line: help, config round trip, and usage errors.
. "${top_srcdir:-.}/tests/lib.sh"

expect "help lists the subcommands" 0 'fit .*validate|validate   run' -- "$LTRUN" --help
expect "help names the trainer flags" 0 'limit_train_batches' -- "$LTRUN" --help
expect "help names the tools" 0 'ltrun inspect FILE.*|ltrun new KIND NAME' -- "$LTRUN" --help
expect "version names the ABI" 0 'plugin ABI 1\.[0-9]+' -- "$LTRUN" --version
expect "unknown option is named" 2 "--bogus: unknown option" -- "$LTRUN" fit --bogus 1
expect "unknown subcommand is named" 2 "unknown subcommand 'fitt'" -- "$LTRUN" fitt
expect "unknown trainer flag is named" 2 "trainer.max_epoch: unknown Trainer flag" -- \
    "$LTRUN" --trainer.max_epoch 3
expect "malformed trainer value is named" 2 "trainer.max_epochs: expected an integer" -- \
    "$LTRUN" --trainer.max_epochs three
expect "trainer flag below its bound is named" 2 "trainer.check_val_every_n_epoch: must be >= 1, got 0" -- \
    "$LTRUN" --trainer.check_val_every_n_epoch 0
expect "max_epochs below -1 is refused" 2 "trainer.max_epochs: must be >= -1, got -5" -- \
    "$LTRUN" --trainer.max_epochs -5
expect "bad limit is named" 2 "limit_val_batches" -- "$LTRUN" --trainer.limit_val_batches -1
expect "missing value is named" 2 "--seed: missing its value" -- "$LTRUN" --seed
expect "fit without plugins says what it needs" 2 "needs --module M and --data D" -- "$LTRUN" fit

# --print-config=json writes JSON that --config reads back to the same config
"$LTRUN" fit --module m.so --data d.so --seed 7 --trainer.max_epochs 4 \
    --trainer.limit_train_batches 1.0 --trainer.limit_val_batches 10 --model.lr 0.01 \
    --model.name wide --data.batch_size 64 --print-config=json > "$TMP/a.json"
"$LTRUN" fit --config "$TMP/a.json" --print-config=json > "$TMP/b.json"
if cmp -s "$TMP/a.json" "$TMP/b.json"; then pass "print-config round-trips through --config"
else fail "print-config round-trips through --config"; fi
if grep -q '"limit_train_batches":[[:space:]]*1\.0,' "$TMP/a.json" &&
   grep -q '"limit_val_batches":[[:space:]]*10' "$TMP/a.json"; then
    pass "limits keep int (count) vs float (fraction)"
else fail "limits keep int (count) vs float (fraction)"; fi
expect "command line overrides the config" 0 '"max_epochs":[[:space:]]*9' -- \
    "$LTRUN" fit --config "$TMP/a.json" --trainer.max_epochs 9 --print-config=json

# a value is JSON only when all of it parses: "5,4,4" stays text (not the number 5), and a
# trainer flag with trailing junk is refused rather than cut
expect "a value with a JSON prefix stays text" 0 '"seq":[[:space:]]*"5,4,4"' -- \
    "$LTRUN" fit --module m.so --data d.so --model.seq 5,4,4 --print-config=json
expect "a flag with trailing junk is refused" 2 "--trainer.max_epochs: expected an integer, got '3x'" -- \
    "$LTRUN" fit --module m.so --data d.so --trainer.max_epochs 3x
expect "a seed with trailing junk is refused" 2 "--seed: expected an integer" -- \
    "$LTRUN" fit --module m.so --data d.so --seed 7,8

printf '{\n  "trainer": {\n    "max_epochs": 3,\n  }\n}\n' > "$TMP/bad.json"
expect "malformed config names file and line" 2 "bad.json: not valid JSON near line 4" -- \
    "$LTRUN" fit --config "$TMP/bad.json"
printf '{"trainr": {}}' > "$TMP/unknown.json"
expect "unknown config key is named" 2 "unknown key 'trainr'" -- "$LTRUN" fit --config "$TMP/unknown.json"
expect "missing config file is named" 2 "nope.json: No such file" -- "$LTRUN" fit --config "$TMP/nope.json"

# plugin errors: exit 3, one line naming the file
expect "missing plugin file" 3 "plugin file not found: $TMP/none.so" -- \
    "$LTRUN" fit --module "$TMP/none.so" --data "$EX/mnist.so"
expect "data module given as --module" 3 "datamodule" -- \
    "$LTRUN" fit --module "$EX/mnist.so" --data "$EX/mnist.so"
# (a name the build does not ship: the build-tree ltrun finds its own mlp)
expect "plugin not on the search path" 3 "no module plugin named 'no_such_module' \\(looked for no_such_module.so in: $TMP" -- env LT_PLUGIN_PATH="$TMP" \
    "$LTRUN" fit --module no_such_module --data mnist
finish
