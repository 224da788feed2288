#!/bin/sh
# test_csv_options.sh — the csv data plugin's options for real-world files: skiprows
# (scikit-learn's count line), a missing label_column naming the header it found,
# test_fraction (random_split into train/val/test), --test without a test split refused
# before training, standardize (z-scores from the train split only), gzip input, and a
# regression head (the mlp example's --model.task regression). Files are generated here.
. "${top_srcdir:-.}/tests/lib.sh"
D="$TMP/d"
mkdir -p "$D"
PROBE="$top_builddir/tests/plugins/data_probe.so"
FIT="$LTRUN fit --module $PROBE --trainer.max_epochs 1 --trainer.num_sanity_val_steps 0 --seed 1
     --trainer.default_root_dir $TMP/root --trainer.enable_progress_bar false --data.batch_size 4
     --trainer.enable_model_summary false --data csv"
# 50 rows a = i, b = 100 * i + 7, label = i % 2
awk 'BEGIN { print "a,b,label"; for (i = 0; i < 50; i++) printf "%d,%d,%d\n", i, 100 * i + 7, i % 2 }' >"$D/t.csv"
# scikit-learn's layout: a count line "n_samples,n_features,class names", no header
awk 'BEGIN { print "50,2,class_0,class_1"; for (i = 0; i < 50; i++) printf "%d,%d,%d\n", i, 100 * i + 7, i % 2 }' >"$D/sk.csv"

dump() { # dump NAME ARGS...: fit with the probe dumping every sample to $TMP/NAME.txt
    n=$1; shift
    rm -f "$TMP/$n.txt"
    # shellcheck disable=SC2086
    $FIT --model.dump "$TMP/$n.txt" "$@" >"$TMP/$n.log" 2>&1
}
count() { cat "$TMP/$1.txt" 2>/dev/null | grep -c "^$2 "; }

# skiprows
expect "a count line is named with the skiprows hint" 1 "sk.csv:2: 3 columns, expected 4 .*--data.skiprows 1" -- \
    $FIT --data.path "$D/sk.csv"
if dump sk --data.path "$D/sk.csv" --data.skiprows 1 && [ "$(count sk train)" = 45 ] &&
   [ "$(count sk val)" = 5 ]; then pass "skiprows 1: the 50 rows after the count line (45 train, 5 val)"
else fail "skiprows 1"; tail -n 3 "$TMP/sk.log"; fi

# a missing label column lists the header found
expect "a missing label_column lists the header" 1 \
    "label_column 'species' is not a column of the header row \(line 1: 'a', 'b', 'label'\)" -- \
    $FIT --data.path "$D/t.csv" --data.label_column species

# test_fraction: random_split(50, [0.7, 0.1, 0.2]) -> 35 / 5 / 10, disjoint
if dump tf --data.path "$D/t.csv" --data.test_fraction 0.2 --test && [ "$(count tf train)" = 35 ] &&
   [ "$(count tf val)" = 5 ] && [ "$(count tf test)" = 10 ]; then
    pass "test_fraction 0.2: 35 train, 5 val, 10 test rows"
else fail "test_fraction 0.2: $(count tf train)/$(count tf val)/$(count tf test)"; tail -n 3 "$TMP/tf.log"; fi
both=$(awk '{ k = $2 } $1 == "test" { t[k] = 1 } $1 != "test" { o[k] = 1 }
            END { n = 0; for (k in t) if (k in o) n++; print n }' "$TMP/tf.txt")
if [ "$both" = 0 ]; then pass "test_fraction: no test row is a train or val row"
else fail "test_fraction: $both rows in test and train/val"; fi
expect "test_fraction and test_path together are refused" 1 "give one of them" -- \
    $FIT --data.path "$D/t.csv" --data.test_fraction 0.2 --data.test_path "$D/t.csv"

# --test without a test split: refused in setup, before any training step
dump nt --data.path "$D/t.csv" --test
rc=$?
if [ $rc -eq 1 ] && grep -q -- "--test: this data module has no test split" "$TMP/nt.log" &&
   [ "$(count nt train)" = 0 ]; then pass "--test without a test split fails before training"
else fail "--test without a test split (exit $rc, $(count nt train) train rows)"; tail -n 2 "$TMP/nt.log"; fi

# standardize: train features mean 0 / std 1; val and test use the train statistics
dump raw --data.path "$D/t.csv" --data.test_fraction 0.2 --test
dump std --data.path "$D/t.csv" --data.test_fraction 0.2 --test --data.standardize true
if awk '$1 == "train" { n++; for (k = 2; k <= 3; k++) { s[k] += $k; q[k] += $k * $k } }
        END { bad = n != 35
              for (k = 2; k <= 3; k++) { m = s[k] / n; v = q[k] / n - m * m
                  if (m > 1e-5 || m < -1e-5 || v > 1 + 1e-4 || v < 1 - 1e-4) bad = 1 }
              exit bad }' "$TMP/std.txt"; then
    pass "standardize: the train split's features have mean 0 and std 1"
else fail "standardize: train statistics"; fi
# every test row of the standardized run is (raw - train mean) / train std of the raw run
if awk 'FNR == NR { if ($1 == "train") { n++; for (k = 2; k <= 3; k++) { s[k] += $k; q[k] += $k * $k } }
                    if ($1 == "test") raw[++t] = $2 " " $3; next }
        $1 == "test" { split(raw[++u], r, " ")
            for (k = 2; k <= 3; k++) { m = s[k] / n; sd = sqrt(q[k] / n - m * m)
                want = (r[k - 1] - m) / sd; d = $k - want; if (d < 0) d = -d
                if (d > 1e-4 * (want < 0 ? -want : want) + 1e-5) bad = 1 } }
        END { exit bad || u != 10 }' "$TMP/raw.txt" "$TMP/std.txt"; then
    pass "standardize: test rows scaled with the train split's mean and std"
else fail "standardize: test rows"; fi

# gzip input, detected by content
gzip -c "$D/t.csv" >"$D/t.csv.gz"
if dump gz --data.path "$D/t.csv.gz" && [ "$(count gz train)" = 45 ]; then
    pass "a .gz file is read decompressed (45 train rows)"
else fail "gzip input"; tail -n 2 "$TMP/gz.log"; fi
head -c 60 "$D/t.csv.gz" >"$D/cut.csv.gz"
expect "a truncated .gz file is refused by name" 1 "cut.csv.gz: not a valid gzip file" -- \
    $FIT --data.path "$D/cut.csv.gz"

# regression: y = 0.02 a - 0.001 b + 1 with the mlp example's regression head
awk 'BEGIN { print "a,b,y"; for (i = 0; i < 200; i++) { a = i % 17; b = (i * 37) % 101
             printf "%d,%d,%.6f\n", a, b, 0.02 * a - 0.001 * b + 1 } }' >"$D/reg.csv"
expect "mlp --model.task regression trains on a float target" 0 "" -- \
    "$LTRUN" fit --module "$top_builddir/examples/mlp.so" --model.task regression \
    --model.in_features 2 --model.hidden1 16 --model.hidden2 8 --model.lr 0.01 \
    --data csv --data.path "$D/reg.csv" --data.task regression --data.standardize true \
    --data.batch_size 16 --trainer.max_epochs 15 --seed 1 --trainer.enable_progress_bar false \
    --trainer.default_root_dir "$TMP/reg" --results "$TMP/reg.json"
mae=$(json_num "$TMP/reg.json" "val/mae")
if [ -n "$mae" ] && awk -v m="$mae" 'BEGIN { exit !(m < 0.1) }'; then
    pass "regression head: val/mae $mae < 0.1 (targets span 0.9 .. 1.3)"
else fail "regression head: val/mae '$mae'"; fi
finish
