#!/bin/sh
# test_config.sh — config files as LightningCLI reads them, through ltrun itself:
# `--config cfg.yaml` (trainer:, model:, data:, seed_everything:, ckpt_path:, callbacks,
# logger; model/data in LightningCLI's class_path/init_args form), several --config in
# order with command-line options over them, errors naming the file, line and key before
# anything runs, --print-config's YAML (every Trainer argument, each plugin's and
# callback's init args with their defaults) reading back to the same config, and
# PL_TRAINER_<FLAG> environment defaults (Lightning's _defaults_from_env_vars).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
T="$TMP/trace.txt"
cd "$TMP" || exit 1
MOD="$P/trace_module.so"
DAT="$P/trace_data.so"
steps() { grep -c "module.training_step" "$T"; }
check() { # check NAME CONDITION...
    name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; tail -n 8 "$TMP/out.txt" | sed 's/^/    /'; fi
}
eq() { [ "$1" -eq "$2" ]; }
# fit ARGS...: the trace plugins (3 batches of 4 per epoch with length 10), no validation;
# the output in out.txt
fit() {
    : > "$T"
    "$LTRUN" fit --module "$MOD" --data "$DAT" --model.trace "$T" --model.quiet true \
        --data.trace_file /dev/null --trainer.enable_progress_bar false \
        --trainer.limit_val_batches 0 --trainer.default_root_dir "$TMP/root" "$@" > "$TMP/out.txt" 2>&1
}

# ---- a LightningCLI config drives the run
cat > run.yaml << EOF
# as LightningCLI writes it: model and data in the subclass form
seed_everything: 3
trainer:
  max_epochs: 2
  limit_val_batches: 0
  enable_progress_bar: false
  default_root_dir: $TMP/root1
  logger:
    class_path: jsonl
  callbacks:
    - class_path: $P/trace_callback.so
      init_args:
        name: cfgcb
        trace: $TMP/cb.txt
model:
  class_path: $MOD
  init_args:
    trace: $T
    quiet: yes        # YAML 1.1's yes, as PyYAML reads it
data:
  class_path: $DAT
  init_args:
    trace_file: /dev/null
    length: 16
EOF
: > "$T"
"$LTRUN" fit --config run.yaml > out.txt 2>&1
check "--config run.yaml: exit 0" eq $? 0
check "trainer.max_epochs 2 and data length 16 from the YAML: 2 epochs x 4 batches" eq "$(steps)" 8
check "seed_everything 3 from the YAML" grep -q "Seed set to 3" out.txt
check "trainer.callbacks from the YAML: the callback ran with its init_args" grep -q "^cfgcb.on_fit_start" cb.txt
check "trainer.logger from the YAML: the jsonl logger wrote" test -s root1/lightning_logs/version_0/metrics.jsonl

# ckpt_path in a config: resume that checkpoint (one more epoch only)
cat > resume.yaml << EOF
ckpt_path: $TMP/root1/lightning_logs/version_0/checkpoints/last.h5
trainer:
  max_epochs: 3
EOF
: > "$T"
"$LTRUN" fit --config run.yaml --config resume.yaml > out.txt 2>&1
check "ckpt_path from a config resumes: 1 epoch more (4 steps)" eq "$(steps)" 4

# ---- several configs apply in order; options after them win
printf 'trainer:\n  max_epochs: 1\n' > one.yaml
printf 'trainer:\n  max_epochs: 2\n' > two.yaml
fit --config one.yaml --config two.yaml
check "two configs: the later one wins (2 epochs)" eq "$(steps)" 6
fit --config two.yaml --config one.yaml
check "two configs reversed: 1 epoch" eq "$(steps)" 3
fit --config two.yaml --trainer.max_epochs 1
check "an option after --config overrides it" eq "$(steps)" 3
fit --trainer.max_epochs 1 --config two.yaml
check "an option before --config is overridden by it (jsonargparse's order)" eq "$(steps)" 6
printf 'trainer:\n  max_epochs: 2\n  max_steps: 4\n' > both.yaml
fit --config both.yaml --config one.yaml
check "a later config replaces one key and keeps the others (max_steps 4 stays)" eq "$(steps)" 3
fit --config both.yaml --trainer.max_epochs 5
check "an option replaces one key and keeps the others" eq "$(steps)" 4

# ---- errors name the file, line and key; nothing runs
# err NAME PATTERN FILE: fit with FILE fails with exit 2 matching PATTERN, no step, no logs
err() {
    rm -rf "$TMP/root"
    fit --config "$3"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -qE -- "$2" out.txt && [ "$(steps)" -eq 0 ] && [ ! -e "$TMP/root" ]; then
        pass "$1"
    else
        fail "$1 (exit $rc, $(steps) steps)"
        tail -n 3 out.txt | sed 's/^/    /'
    fi
}
printf 'trainer:\n  max_epochs: [1\nmodel: {}\n' > syntax.yaml
err "malformed YAML: file, line and column" "--config syntax.yaml, line 3, column 6: .*not valid YAML" syntax.yaml
printf 'trainer:\n\tmax_epochs: 1\n' > tab.yaml
err "a tab indent: file and line" "--config tab.yaml, line 2, column 1" tab.yaml
printf 'trainer:\n  max_epochs: 1\n  max_epoch: 2\n' > key.yaml
err "unknown trainer key: file, line and key" "--config key.yaml, line 3: trainer.max_epoch: unknown Trainer flag" key.yaml
printf '# top\ntrainr:\n  max_epochs: 1\n' > top.yaml
err "unknown top-level key: file, line and key" "--config top.yaml, line 2: unknown key 'trainr'" top.yaml
printf 'trainer:\n  max_epochs: abc\n' > value.yaml
err "bad value: file, line and key" "--config value.yaml, line 2: trainer.max_epochs: expected an integer, got 'abc'" value.yaml
printf 'model:\n  quiet: true\n  tracee: x\n' > hp.yaml
err "unknown model hyperparameter: file, line and key" "--config hp.yaml, line 3: model.tracee: plugin 'trace' has no such hyperparameter" hp.yaml
cat > cbarg.yaml << EOF
trainer:
  callbacks:
  - class_path: early_stopping
    init_args:
      monitor: val/loss
      patiense: 3
EOF
err "unknown callback init arg: file, line and key" "--config cbarg.yaml, line 6: trainer.callbacks.0.init_args.patiense: plugin 'early_stopping' has no such hyperparameter" cbarg.yaml
printf 'trainer:\n  max_epochs: 1\n' > ok.yaml
printf '{\n  "trainer": {\n    "max_epochs": 1,\n    "limit_train_batches": "x"\n  }\n}\n' > bad.json
err "a JSON config's bad value: file, line and key" "--config bad.json, line 4: trainer.limit_train_batches" bad.json
# a command-line value replaces the config's: its error is the option's
fit --config ok.yaml --trainer.max_epochs abc
check "an option's bad value is the option's, not the config's" grep -q "error: --trainer.max_epochs: expected an integer" out.txt

# ---- --print-config: LightningCLI's YAML, every Trainer argument, the plugins' defaults
"$LTRUN" fit --config run.yaml --print-config > p1.yaml 2> p1.err
check "--print-config: exit 0" eq $? 0
check "--print-config: a YAML dump with LightningCLI's version header" eval 'head -n 1 p1.yaml | grep -q "^# ltrun==" && grep -q "^trainer:$" p1.yaml'
for k in num_nodes logger callbacks sync_batchnorm inference_mode barebones \
         reload_dataloaders_every_n_epochs plugins enable_autolog_hparams model_registry \
         accelerator strategy devices precision max_epochs limit_train_batches val_check_interval; do
    grep -q "^  $k:" p1.yaml && pass "--print-config has trainer.$k" || fail "--print-config has trainer.$k"
done
"$LTRUN" fit --module "$MOD" --data "$DAT" --print-config > dflt.yaml 2> /dev/null
check "--print-config: Lightning's defaults (num_nodes 1, sync_batchnorm false, limits 1.0)" eval \
    'grep -q "^  num_nodes: 1$" dflt.yaml && grep -q "^  sync_batchnorm: false$" dflt.yaml &&
     grep -q "^  logger: null$" dflt.yaml && grep -q "^  callbacks: null$" dflt.yaml &&
     grep -q "^  limit_train_batches: 1.0$" dflt.yaml && grep -q "^  overfit_batches: 0.0$" dflt.yaml &&
     grep -q "^seed_everything: true$" dflt.yaml && grep -q "^ckpt_path: null$" dflt.yaml'
check "--print-config: the module's hyperparameters with their defaults" eval \
    'sed -n "/^model:/,/^data:/p" dflt.yaml | grep -q "^  skip_epoch_at: -1$"'
check "--print-config: the data module's hyperparameters with their defaults" eval \
    'sed -n "/^data:/,/^ckpt_path:/p" dflt.yaml | grep -q "^  length: 10$"'
check "--print-config: a callback's init args with their defaults" eval \
    'grep -q "^      stop_at_step: -1$" p1.yaml && grep -q "^      name: cfgcb$" p1.yaml'
"$LTRUN" fit --module "$MOD" --data "$DAT" --callback early_stopping:'{"monitor": "val/loss"}' \
    --print-config > es.yaml 2> /dev/null
check "--print-config: a shipped callback by name, in class_path form with every init arg" eval \
    'grep -q "^  - class_path: early_stopping$" es.yaml && grep -q "^      patience: 3$" es.yaml &&
     grep -q "^      monitor: val/loss$" es.yaml'
"$LTRUN" fit --config run.yaml --trainer.default_root_dir "$TMP/root-print" \
    --callback "$P/trace_callback.so:{\"trace\": \"$TMP/cbp.txt\"}" --print-config > /dev/null 2>&1
check "--print-config runs create hooks only: no stage, no logs" eval \
    'grep -q "callback.create" cbp.txt && ! grep -q "on_fit_start" cbp.txt && [ ! -e "$TMP/root-print" ]'

# round trip: what it prints, fed back, prints the same and runs the same
"$LTRUN" fit --config p1.yaml --print-config > p2.yaml 2> /dev/null
if cmp -s p1.yaml p2.yaml; then pass "--print-config's YAML reads back to the same config"
else fail "--print-config's YAML reads back to the same config"; diff p1.yaml p2.yaml | head -n 10; fi
rm -rf root1
: > "$T"
"$LTRUN" fit --config p1.yaml > out.txt 2>&1
check "--print-config's YAML runs the same fit (8 steps, seed 3)" eval '[ "$(steps)" -eq 8 ] && grep -q "Seed set to 3" out.txt'
# the values a config and options set, the types kept: a fraction stays a float
"$LTRUN" fit --config run.yaml --trainer.limit_train_batches 0.5 --trainer.limit_test_batches 2 \
    --trainer.val_check_interval 1.0 --trainer.max_time '{"minutes": 5}' --model.skip_epoch_at 7 \
    --print-config > p3.yaml 2> /dev/null
"$LTRUN" fit --config p3.yaml --print-config > p4.yaml 2> /dev/null
check "given values round-trip (fractions, counts, a dict, hyperparameters)" eval \
    'cmp -s p3.yaml p4.yaml && grep -q "^  limit_train_batches: 0.5$" p3.yaml &&
     grep -q "^  limit_test_batches: 2$" p3.yaml && grep -q "^  val_check_interval: 1.0$" p3.yaml &&
     grep -q "^    minutes: 5$" p3.yaml && grep -q "^  skip_epoch_at: 7$" p3.yaml'
# --print-config=json prints the same config as JSON, which reads back too
"$LTRUN" fit --config p1.yaml --print-config=json > p1.json 2> /dev/null
"$LTRUN" fit --config p1.json --print-config > p5.yaml 2> /dev/null
check "--print-config=json: the same config as JSON" eval \
    'grep -q "\"num_nodes\":[[:space:]]*1," p1.json && cmp -s p1.yaml p5.yaml'
# a YAML dump saved under a .json name still reads (jsonargparse reads every config as YAML)
cp p1.yaml saved.json
"$LTRUN" fit --config saved.json --print-config > p6.yaml 2> /dev/null
check "YAML in a file named .json reads as YAML" cmp -s p1.yaml p6.yaml
# a Trainer argument ltrun runs only at Lightning's default is refused at any other value
printf 'trainer:\n  model_registry: mine\n' > registry.yaml
err "model_registry mine is refused by name" "--config registry.yaml, line 2: trainer.model_registry: ltrun runs it only at Lightning's default null" registry.yaml

# ---- PL_TRAINER_<FLAG>: environment defaults below configs and options
PL_TRAINER_MAX_EPOCHS=2 fit
check "PL_TRAINER_MAX_EPOCHS=2 is the default (2 epochs)" eq "$(steps)" 6
PL_TRAINER_MAX_EPOCHS=2 fit --trainer.max_epochs 1
check "the command line beats PL_TRAINER_MAX_EPOCHS" eq "$(steps)" 3
PL_TRAINER_MAX_EPOCHS=2 fit --config one.yaml
check "a config beats PL_TRAINER_MAX_EPOCHS" eq "$(steps)" 3
PL_TRAINER_MAX_EPOCHS=2 PL_TRAINER_LIMIT_TRAIN_BATCHES=1 fit
check "PL_TRAINER_LIMIT_TRAIN_BATCHES=1 is literal_eval's int: one batch" eq "$(steps)" 2
PL_TRAINER_MAX_EPOCHS=1 PL_TRAINER_LIMIT_TRAIN_BATCHES=1.0 fit
check "PL_TRAINER_LIMIT_TRAIN_BATCHES=1.0 is a float: every batch" eq "$(steps)" 3
PL_TRAINER_MAX_EPOCHS=1 PL_TRAINER_ENABLE_CHECKPOINTING=False fit --trainer.default_root_dir "$TMP/nock"
check "PL_TRAINER_ENABLE_CHECKPOINTING=False (a Python literal) turns checkpointing off" eval \
    '[ "$(steps)" -eq 3 ] && ! ls "$TMP"/nock/lightning_logs/version_0/checkpoints/*.h5 > /dev/null 2>&1'
PL_TRAINER_max_epochs=2 PL_TRAINER_MAX_EPOCHS= PL_TRAINER_NO_SUCH_FLAG=3 fit --trainer.max_epochs 1
check "lower-case, empty and unknown PL_TRAINER_ variables are ignored, as Lightning does" eq "$(steps)" 3
PL_TRAINER_MAX_EPOCHS=abc fit
check "a bad PL_TRAINER_ value names the variable" eval \
    'grep -q "error: environment variable PL_TRAINER_MAX_EPOCHS=abc: expected an integer" out.txt && [ "$(steps)" -eq 0 ]'
PL_TRAINER_MAX_EPOCHS=7 PL_TRAINER_PROFILER="'simple'" "$LTRUN" fit --print-config > env.yaml 2> /dev/null
check "--print-config shows the environment's defaults" eval \
    'grep -q "^  max_epochs: 7$" env.yaml && grep -q "^  profiler: simple$" env.yaml'
finish
