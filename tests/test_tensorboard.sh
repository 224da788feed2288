#!/bin/sh
# test_tensorboard.sh — the tensorboard logger plugin: Lightning's
# TensorBoardLogger layout (lightning_logs/version_N/events.out.tfevents.<10-digit
# secs>.<hostname>.<pid>.0 and hparams.yaml), read back by tests/tb_decode (a reader
# written from the format spec, checking both masked CRC32Cs of every record): the
# file_version record first, hp_metric = -1 at step 0, one add_scalar Event per metric
# at the logger connector's steps; a scalar Event's bytes in the layout torch writes for
# add_scalar (anchors.md C1); the hparams plugin summaries; a flipped byte or a cut file fails the reader.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
DEC="$top_builddir/tests/tb_decode"
export LT_PLUGIN_PATH="$top_builddir/plugins/loggers"
W="$TMP/work"
mkdir -p "$W"
run() { # run DIR ARGS...: a 2-epoch fit of tools_module (3 batches an epoch) in DIR
    d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$LTRUN" fit --module "$P/tools_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.max_epochs 2 --trainer.log_every_n_steps 1 \
        --trainer.enable_progress_bar false --trainer.enable_model_summary false "$@") \
        > "$TMP/out.txt" 2>&1
}

if "$DEC" --selftest >/dev/null; then
    pass "reader: crc32c(\"123456789\") = 0xE3069283, anchor add_scalar(\"loss\", 0.5, 3) decoded"
else fail "reader selftest"; fi

run "$W/a" --logger tensorboard || cat "$TMP/out.txt"
V="$W/a/lightning_logs/version_0"
n=$(ls "$V" | grep -c '^events\.out\.tfevents\.')
EV=$(ls "$V"/events.out.tfevents.* 2>/dev/null | head -n 1)
host=$(hostname)
if [ "$n" -eq 1 ] && basename "$EV" | grep -Eq "^events\.out\.tfevents\.[0-9]{10}\.$host\.[0-9]+\.0\$"; then
    pass "layout: lightning_logs/version_0/events.out.tfevents.<secs>.<host>.<pid>.0"
else fail "event file name: $(ls "$V")"; fi

# the whole file: every CRC checked; the scalars are those of the csv test
# (test_loggers.sh), as float32, one Event per metric in the order the host gives them
cat > "$TMP/want.txt" <<'X'
file_version brain.Event:2
scalar 0 hp_metric -1
scalar 0 default 1
scalar 0 both_step 1
scalar 0 epoch 0
scalar 1 default 2
scalar 1 both_step 2
scalar 1 epoch 0
scalar 2 default 3
scalar 2 both_step 3
scalar 2 epoch 0
scalar 2 val_v 1.79999995
scalar 2 epoch 0
scalar 2 both_epoch 1.79999995
scalar 2 mean_w 1.79999995
scalar 2 mean_1 2
scalar 2 sum 6
scalar 2 max 3
scalar 2 min 1
scalar 2 epoch 0
scalar 3 default 1
scalar 3 both_step 1
scalar 3 epoch 1
scalar 4 default 2
scalar 4 both_step 2
scalar 4 epoch 1
scalar 5 default 3
scalar 5 both_step 3
scalar 5 epoch 1
scalar 5 val_v 1.79999995
scalar 5 epoch 1
scalar 5 both_epoch 1.79999995
scalar 5 mean_w 1.79999995
scalar 5 mean_1 2
scalar 5 sum 6
scalar 5 max 3
scalar 5 min 1
scalar 5 epoch 1
X
if "$DEC" "$EV" > "$TMP/all.txt" && grep -v '^plugin ' "$TMP/all.txt" > "$TMP/got.txt" &&
   diff -u "$TMP/want.txt" "$TMP/got.txt"; then
    pass "events: file_version first, hp_metric, scalars and steps, every CRC valid"
else fail "events: decoded records"; fi

# exact bytes of one scalar Event, wall_time left out. anchors.md C1: torch's
# add_scalar("loss", 0.5, 3) is 09 <double> 10 03 2A 0D 0A 0B 0A 04 "loss" 15 00 00 00 3F;
# the same layout for tag "default" (7 bytes: lengths 0x0E and 0x10), value 1.0 (float32
# 00 00 80 3F), step 3:
rec=$(grep -n '^scalar 3 default 1$' "$TMP/all.txt" | cut -d: -f1) # line = record + 1
got=$("$DEC" --raw $((rec - 1)) "$EV")
if [ "$got" = "10 03 2A 10 0A 0E 0A 07 64 65 66 61 75 6C 74 15 00 00 80 3F" ]; then
    pass "bytes: a scalar Event as torch's add_scalar writes it"
else fail "bytes: scalar Event: $got"; fi
# and the step-0 Event omits step (proto3 default), as torch does
rec=$(grep -n '^scalar 0 default 1$' "$TMP/all.txt" | cut -d: -f1)
got=$("$DEC" --raw $((rec - 1)) "$EV")
if [ "$got" = "2A 10 0A 0E 0A 07 64 65 66 61 75 6C 74 15 00 00 80 3F" ]; then
    pass "bytes: step 0 omitted (proto3 default)"
else fail "bytes: step-0 Event: $got"; fi

# hparams plugin summaries right after hp_metric, as Lightning's log_hyperparams writes
# them through torch's summary.hparams(params, {"hp_metric": -1}). Layout as in
# anchors.md C1's observed add_hparams bytes: experiment = 12 <len> {22 <len> HParamInfo
# {0A name, 20 type}}... 2A <len> MetricInfo{0A {12 "hp_metric"}}; start = 1A <len>
# {0A <len> {0A key, 12 Value}}...; end = 22 02 08 01 (status SUCCESS, exact anchor
# bytes). Strings are string_value (1A) of type STRING (1); numbers number_value (11
# <double>) of type FLOAT64 (3); bools too are number_value 0/1 with type FLOAT64,
# because torch tests isinstance(v, int) first.
exp="12 52 22 0B 0A 07 61 6E 6F 6D 61 6C 79 20 01 22 0B 0A 07 62 61 64 5F 6C 6F 67 20 01 22 0E 0A 0A 6E 6F 5F 70 72 65 64 69 63 74 20 03 22 0A 0A 06 6C 65 6E 67 74 68 20 03 22 0B 0A 07 73 68 75 66 66 6C 65 20 03 2A 0D 0A 0B 12 09 68 70 5F 6D 65 74 72 69 63"
ssi="1A 6A 0A 11 0A 07 61 6E 6F 6D 61 6C 79 12 06 1A 04 6E 6F 6E 65 0A 11 0A 07 62 61 64 5F 6C 6F 67 12 06 1A 04 6E 6F 6E 65 0A 17 0A 0A 6E 6F 5F 70 72 65 64 69 63 74 12 09 11 00 00 00 00 00 00 00 00 0A 13 0A 06 6C 65 6E 67 74 68 12 09 11 00 00 00 00 00 00 24 40 0A 14 0A 07 73 68 75 66 66 6C 65 12 09 11 00 00 00 00 00 00 00 00"
printf '%s\n' "plugin 0 _hparams_/experiment hparams $exp" \
    "plugin 0 _hparams_/session_start_info hparams $ssi" \
    "plugin 0 _hparams_/session_end_info hparams 22 02 08 01" > "$TMP/wanthp.txt"
if sed -n 3,5p "$TMP/all.txt" | diff -u "$TMP/wanthp.txt" - && [ "$(grep -c '^plugin ' "$TMP/all.txt")" -eq 3 ]; then
    pass "hparams plugin: experiment, session_start_info, session_end_info summaries"
else fail "hparams plugin summaries"; fi

# the reader's checks are real: a flipped data byte, a flipped length byte, a cut file
size=$(wc -c < "$EV")
flip() { # flip FILE OFFSET: xor one byte with 0x01
    cp "$EV" "$1"
    b=$(od -An -tu1 -j "$2" -N1 "$EV" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
flip "$TMP/c1" $((size - 8))
expect "reader: a flipped data byte fails the data CRC" 1 "data CRC mismatch" -- "$DEC" "$TMP/c1"
flip "$TMP/c2" 0
expect "reader: a flipped length byte fails the length CRC" 1 "length CRC mismatch" -- "$DEC" "$TMP/c2"
head -c $((size - 3)) "$EV" > "$TMP/c3"
expect "reader: a cut record is reported" 1 "truncated" -- "$DEC" "$TMP/c3"

cat > "$TMP/want.yaml" <<'X'
anomaly: none
bad_log: none
length: 10
no_predict: false
shuffle: false
X
if diff -u "$TMP/want.yaml" "$V/hparams.yaml"; then pass "hparams.yaml in the version dir"
else fail "hparams.yaml"; fi

# init args: next version (1 + max), name/version/sub_dir, prefix, default_hp_metric false
run "$W/a" --logger tensorboard --logger csv
if [ -n "$(ls "$W/a/lightning_logs/version_1"/events.out.tfevents.* 2>/dev/null)" ] &&
   [ -f "$W/a/lightning_logs/version_2/metrics.csv" ]; then
    pass "next version_N (each logger takes the next free one, as in Lightning); with csv"
else fail "version_1: $(ls "$W/a/lightning_logs/version_1")"; fi
run "$W/a" --logger 'tensorboard:{"name": "tb", "version": "exp", "sub_dir": "s", "prefix": "p", "default_hp_metric": false}'
EV2=$(ls "$W/a/tb/exp/s"/events.out.tfevents.* 2>/dev/null | head -n 1)
if [ -n "$EV2" ] && "$DEC" "$EV2" > "$TMP/got2.txt" && ! grep -q hp_metric "$TMP/got2.txt" &&
   sed -n 2p "$TMP/got2.txt" | grep -qx 'scalar 0 p-default 1' && [ -f "$W/a/tb/exp/s/hparams.yaml" ]; then
    pass "init args: name, version, sub_dir, prefix, default_hp_metric false"
else fail "init args"; ls -R "$W/a/tb"; cat "$TMP/out.txt"; fi
expect "unknown init arg names the plugin and key" 2 "log_graph2: plugin .tensorboard. has no such" -- \
    sh -c "cd '$W/a' && '$LTRUN' fit --module '$P/tools_module.so' --data '$P/trace_data.so' --logger 'tensorboard:{\"log_graph2\": 1}'"
# LearningRateMonitor logs straight to the loggers (logger.log_metrics): its lr-SGD
# scalars come without an `epoch` scalar beside them, only the logger connector's rows
# carry one (6 lr rows, 2 epochs of 3 steps; the same epoch scalars as without it)
run "$W/lr" --logger tensorboard \
    --callback "$top_builddir/plugins/callbacks/lr_monitor.so:{\"logging_interval\": \"step\"}"
EVL=$(ls "$W/lr/lightning_logs/version_0"/events.out.tfevents.* 2>/dev/null | head -n 1)
lr=$("$DEC" "$EVL" 2>/dev/null | grep -c '^scalar [0-9]* lr-SGD ')
ep=$("$DEC" "$EVL" 2>/dev/null | grep -c '^scalar [0-9]* epoch ')
ep0=$("$DEC" "$EV" 2>/dev/null | grep -c '^scalar [0-9]* epoch ')
if [ "$lr" -eq 6 ] && [ "$ep" -eq "$ep0" ]; then
    pass "lr_monitor: $lr lr-SGD scalars, no epoch scalar of their own ($ep epoch scalars)"
else fail "lr_monitor: $lr lr-SGD scalars, $ep epoch scalars (without lr_monitor: $ep0)"; fi

finish
