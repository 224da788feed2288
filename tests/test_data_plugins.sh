#!/bin/sh
# test_data_plugins.sh — the ready-made data plugins: csv, npy, hdf5 and mnist,
# found by name on LT_PLUGIN_PATH through `ltrun fit --data NAME`. A probe module
# (tests/plugins/data_probe.so) writes every sample it gets as "SPLIT x... | y", so the
# checks see the values and the split sizes. Files: tests/make_data_files.c (row i: x =
# [i, i + 0.5], label i % 3).
. "${top_srcdir:-.}/tests/lib.sh"
export LT_PLUGIN_PATH="$top_builddir/plugins/data"
D="$TMP/d"
mkdir -p "$D"
"$top_builddir/tests/make_data_files" "$D" || { echo "make_data_files failed"; exit 1; }
PROBE="$top_builddir/tests/plugins/data_probe.so"
FIT="$LTRUN fit --module $PROBE --trainer.max_epochs 1 --trainer.num_sanity_val_steps 0 --seed 1
     --trainer.default_root_dir $TMP/root --trainer.enable_progress_bar false --data.batch_size 4"

# run NAME ARGS...: fit with the probe; the sorted dump in $TMP/NAME.txt
run() {
    n=$1
    shift
    rm -f "$TMP/$n.raw"
    # shellcheck disable=SC2086
    $FIT --model.dump "$TMP/$n.raw" "$@" > "$TMP/$n.log" 2>&1 || { cat "$TMP/$n.log" | tail -5; return 1; }
    sort "$TMP/$n.raw" > "$TMP/$n.txt"
}
count() { grep -c "^$2 " "$TMP/$1.txt"; }
# the 20 rows of the tables, as the probe prints them
all_rows() { i=0; while [ $i -lt 20 ]; do echo "$i $i.5 | $((i % 3))"; i=$((i + 1)); done | sort; }
all_rows > "$TMP/expected_rows"
# train + val together are the 20 rows, each once; val is torch's random_split val part:
# random_split(range(20), [0.9, 0.1], generator=torch.Generator().manual_seed(42)) -> [16, 9]
split_ok() {
    sed 's/^[a-z]* //' "$TMP/$1.txt" | sort | cmp -s - "$TMP/expected_rows" &&
        [ "$(grep '^val ' "$TMP/$1.txt" | cut -d' ' -f2 | sort -n | tr '\n' ' ')" = "${2:-9 16 }" ]
}

for name in csv npy hdf5; do
    case $name in
    csv) args="--data csv --data.path $D/train.csv" ;;
    npy) args="--data npy --data.x_path $D/x.npy --data.y_path $D/y.npy" ;;
    hdf5) args="--data hdf5 --data.path $D/train.h5 --data.x /data/X --data.y data/y" ;;
    esac
    if run $name $args && split_ok $name; then pass "$name: train 18 + val 2 rows, values and torch's random_split(seed 42)"
    else fail "$name: rows or split differ:"; head -n 30 "$TMP/$name.txt" | sed 's/^/    /'; fi
done

# split_seed changes the split: random_split(range(20), [0.9, 0.1], manual_seed(7)) -> [6, 5]
if run seed7 --data csv --data.path "$D/train.csv" --data.split_seed 7 && split_ok seed7 "5 6 "; then
    pass "csv: --data.split_seed 7 gives torch's split [6, 5]"
else fail "csv: split_seed 7"; cat "$TMP/seed7.txt" | sed 's/^/    /'; fi
# val_fraction: 0.25 of 20 -> 5 val rows
if run vf --data csv --data.path "$D/train.csv" --data.val_fraction 0.25 &&
    [ "$(count vf val)" = 5 ] && [ "$(count vf train)" = 15 ]; then pass "csv: --data.val_fraction 0.25 -> 15 + 5"
else fail "csv: val_fraction 0.25"; fi

# val_path / test_path files replace the split
for name in csv hdf5; do
    ext=$name; [ $name = hdf5 ] && ext=h5
    extra=""; [ $name = hdf5 ] && extra="--data.x data/X --data.y data/y"
    if run ${name}v --data $name --data.path "$D/train.$ext" --data.val_path "$D/val.$ext" $extra &&
        [ "$(count ${name}v train)" = 20 ] && [ "$(count ${name}v val)" = 4 ] &&
        grep -q '^val 101 101.5 | 2$' "$TMP/${name}v.txt"; then pass "$name: --data.val_path: 20 train rows, the 4 val file rows"
    else fail "$name: val_path"; fi
done
expect "csv: --test runs the test_path file" 0 "" -- $FIT --model.dump "$TMP/t.raw" --data csv \
    --data.path "$D/train.csv" --data.test_path "$D/test.csv" --test
if [ "$(grep -c '^test ' "$TMP/t.raw")" = 6 ] && grep -q '^test 205 205.5 | 1$' "$TMP/t.raw"; then
    pass "csv: test split = the 6 rows of test.csv (no header)"
else fail "csv: test rows"; fi
expect "hdf5: --test runs the test_path file" 0 "" -- $FIT --model.dump "$TMP/t5.raw" --data hdf5 \
    --data.path "$D/train.h5" --data.test_path "$D/test.h5" --data.x data/X --data.y data/y --test
[ "$(grep -c '^test ' "$TMP/t5.raw")" = 6 ] && pass "hdf5: 6 test rows" || fail "hdf5: test rows"

# csv: label column by index / name, delimiter, regression
if run nh --data csv --data.path "$D/noheader.csv" --data.delimiter ';' --data.label_column 0 &&
    split_ok nh; then pass "csv: no header, ';', label_column 0"
else fail "csv: noheader/;/label 0"; head -3 "$TMP/nh.txt"; fi
if run byname --data csv --data.path "$D/train.csv" --data.label_column label && split_ok byname; then
    pass "csv: label_column by header name"; else fail "csv: label_column by name"; fi
if run reg --data csv --data.path "$D/reg.csv" --data.task regression --model.regression true &&
    grep -q '^train 4 4.5 | 1$' "$TMP/reg.txt" && grep -q '^[a-z]* 3 3.5 | 0.75$' "$TMP/reg.txt"; then
    pass "csv: --data.task regression gives float targets"
else fail "csv: regression"; head -3 "$TMP/reg.txt"; fi
expect "csv: a float label without task regression is refused" 1 "reg.csv:2: column 3: label 0.25 is not a class index.*--data.task regression" -- \
    $FIT --data csv --data.path "$D/reg.csv"

# csv, everyday-messy (robustness review): what pandas.read_csv reads is read the same —
# CRLF line endings, quoted numbers ("1.5"), spaces around values, labels written 2.0,
# a blank line, no newline after the last row; a UTF-8 byte order mark is skipped (it
# used to make a headerless first row a header: one row silently lost)
if run crlf --data csv --data.path "$D/crlf.csv" && split_ok crlf; then
    pass "csv: CRLF, quoted numbers, spaces, 2.0 labels, no final newline = train.csv"
else fail "csv: CRLF/quoted/spaces"; head -3 "$TMP/crlf.txt"; fi
if run bom --data csv --data.path "$D/bom.csv" && split_ok bom; then
    pass "csv: a UTF-8 BOM before a headerless table: all 20 rows"
else fail "csv: BOM, no header: $(wc -l < "$TMP/bom.txt") rows"; fi
if run bomhead --data csv --data.path "$D/bomhead.csv" --data.label_column label && split_ok bomhead; then
    pass "csv: a UTF-8 BOM before a header: its first name is the label column"
else fail "csv: BOM before a header"; fi
if run single --data csv --data.path "$D/single.csv" && [ "$(cat "$TMP/single.txt")" = "train 3 3.5 | 0" ]; then
    pass "csv: a single data row trains (random_split of 1 with [0.9, 0.1] -> [1, 0])"
else fail "csv: single row"; cat "$TMP/single.txt"; fi
if run long --data csv --data.path "$D/long.csv" --model.in_features 19999 --model.num_classes 2 \
    --data.val_fraction 0 && [ "$(wc -l < "$TMP/long.txt")" = 2 ] && grep -q "^train 1.25 .* 19999.2 | 1$" "$TMP/long.txt"; then
    pass "csv: lines of 160 KB (20000 columns)"; else fail "csv: long lines"; fi
if run cr --data csv --data.path "$D/cr.csv" && split_ok cr; then
    pass "csv: lines ended by a lone CR (classic Mac) = train.csv"; else fail "csv: CR line ends"; tail -2 "$TMP/cr.log"; fi
if run qname --data csv --data.path "$D/quotedname.csv" --data.label_column "the label" && split_ok qname; then
    pass "csv: a quoted header name with the delimiter in it (\"a, cm\") is one column"
else fail "csv: quoted name with a comma"; tail -2 "$TMP/qname.log"; fi
# ... and what is refused, naming the line and column (a bad class label too: it was
# named by its data row, which is not the line once there is a header or blank lines)
expect "csv: a folder as the path" 1 "cannot read $D: Is a directory" -- $FIT --data csv --data.path "$D"
expect "csv: NaN is a missing value, with its line" 1 "nan.csv:3: column 2 \('b'\): missing value \('NaN'" -- \
    $FIT --data csv --data.path "$D/nan.csv"
expect "csv: inf is refused with its line" 1 "inf.csv:4: column 1 \('a'\): '-inf' is not a finite float32 value" -- \
    $FIT --data csv --data.path "$D/inf.csv"
expect "csv: 1e39 (inf as float32) is refused" 1 "f32over.csv:3: column 2 \('b'\): '1e39' is not a finite float32" -- \
    $FIT --data csv --data.path "$D/f32over.csv"
expect "csv: UTF-16 / NUL bytes are refused" 1 "utf16.csv: contains NUL bytes: not a text CSV.*UTF-8" -- \
    $FIT --data csv --data.path "$D/utf16.csv"
expect "csv: a huge label_column index is out of range (not column 0)" 1 "label_column 4294967296 is out of range" -- \
    $FIT --data csv --data.path "$D/train.csv" --data.label_column 4294967296
expect "csv: header only" 1 "headeronly.csv: no data rows" -- $FIT --data csv --data.path "$D/headeronly.csv"
expect "csv: a missing column" 1 "ragged.csv:3: 2 columns, expected 3" -- $FIT --data csv --data.path "$D/ragged.csv"
expect "csv: an extra column" 1 "extra.csv:3: 4 columns, expected 3" -- $FIT --data csv --data.path "$D/extra.csv"
expect "csv: a negative label" 1 "neglabel.csv:3: column 3 \('label'\): label -1 is not a class index" -- \
    $FIT --data csv --data.path "$D/neglabel.csv"
expect "csv: a label beyond int64" 1 "hugelabel.csv:3: column 3 \('label'\): label 1e\+30 is not a class index" -- \
    $FIT --data csv --data.path "$D/hugelabel.csv"
expect "csv: a label 2.5" 1 "fraclabel.csv:2: column 3 \('label'\): label 2.5 is not a class index" -- \
    $FIT --data csv --data.path "$D/fraclabel.csv"

# npy: version 2.0, '<f8' X, '|u1' y and '<i4' X
if run npy2 --data npy --data.x_path "$D/x2.npy" --data.y_path "$D/y2.npy" && split_ok npy2; then
    pass "npy: format 2.0, '<f8' X and '|u1' y"; else fail "npy: v2 <f8 |u1"; fi
if run npyi4 --data npy --data.x_path "$D/xi4.npy" --data.y_path "$D/y.npy" && grep -q '^[a-z]* 7 70 | 1$' "$TMP/npyi4.txt"; then
    pass "npy: '<i4' X converted to float32"; else fail "npy: <i4"; fi

# hdf5 over its memory budget: read on demand in chunks, same samples in the same order
run h5mem --data hdf5 --data.path "$D/train.h5" --data.x data/X --data.y data/y
run h5disk --data hdf5 --data.path "$D/train.h5" --data.x data/X --data.y data/y --data.memory_budget_mb 0.0001 \
    --data.block_shuffle false
if cmp -s "$TMP/h5mem.raw" "$TMP/h5disk.raw" && [ -s "$TMP/h5disk.raw" ]; then
    pass "hdf5: over memory_budget_mb (read by chunks) = in memory, batch for batch"
else fail "hdf5: budget path differs"; diff "$TMP/h5mem.raw" "$TMP/h5disk.raw" | head -5; fi
# ... and from 3 loader workers reading chunks at once (batch size 2: several batches in
# flight), still the same samples in the same order
run h5mem2 --data hdf5 --data.path "$D/train.h5" --data.x data/X --data.y data/y --data.batch_size 2
run h5w3 --data hdf5 --data.path "$D/train.h5" --data.x data/X --data.y data/y --data.batch_size 2 \
    --data.memory_budget_mb 0.0001 --data.num_workers 3 --data.prefetch_factor 3 --data.block_shuffle false
if cmp -s "$TMP/h5mem2.raw" "$TMP/h5w3.raw" && [ -s "$TMP/h5w3.raw" ]; then
    pass "hdf5: over budget with 3 loader workers = in memory, batch for batch"
else fail "hdf5: budget path with workers differs"; diff "$TMP/h5mem2.raw" "$TMP/h5w3.raw" | head -5; fi

# hdf5 block shuffle (over budget, shuffled train split; ABI 1.5 LT_SAMPLER_BLOCK_RANDOM):
# blocks.h5 has 200 rows in chunks of 8 (25 blocks); a 0.002 MB budget (2097 bytes, 16
# bytes a row) holds 16 blocks, so the window is 14 blocks (16 - 16/8) of 8 rows
H5B="--data hdf5 --data.path $D/blocks.h5 --data.x data/X --data.y data/y --data.memory_budget_mb 0.002"
# epoch E's train rows (the dump's train lines E*200+1 .. E*200+200), one per line
epoch_rows() { grep '^train ' "$TMP/$1.raw" | sed -n "$(($2 * 200 + 1)),$(($2 * 200 + 200))p" | cut -d' ' -f2; }
blocks_in() { head -n "$1" | awk '{ b[int($1 / 8)] = 1 } END { print length(b) }'; }
seq 0 199 > "$TMP/rows200"
# shellcheck disable=SC2086
if run h5blk $H5B --data.val_fraction 0 --trainer.max_epochs 2 --data.num_workers 2; then
    e0=$(epoch_rows h5blk 0 | sort -n | cmp -s - "$TMP/rows200" && echo ok)
    e1=$(epoch_rows h5blk 1 | sort -n | cmp -s - "$TMP/rows200" && echo ok)
    [ "$e0$e1" = okok ] && pass "hdf5 block shuffle: every train sample once per epoch (2 epochs, 2 workers)" ||
        fail "hdf5 block shuffle: an epoch misses or repeats samples"
    if [ "$(epoch_rows h5blk 0 | blocks_in 112)" = 14 ] && [ "$(epoch_rows h5blk 1 | blocks_in 112)" = 14 ] &&
        [ "$(epoch_rows h5blk 0 | blocks_in 40)" -gt 5 ]; then
        pass "hdf5 block shuffle: the first 112 samples of an epoch lie in 14 blocks (one window), shuffled inside"
    else fail "hdf5 block shuffle: not local ($(epoch_rows h5blk 0 | blocks_in 112) blocks in the first window)"; fi
    [ "$(epoch_rows h5blk 0)" != "$(epoch_rows h5blk 1)" ] && [ "$(epoch_rows h5blk 0)" != "$(seq 0 199)" ] &&
        pass "hdf5 block shuffle: epochs differ and are not in file order" || fail "hdf5 block shuffle: not shuffled"
else fail "hdf5 block shuffle: the run failed"; fi
# block_shuffle false: torch's randperm order again, which is not local
# shellcheck disable=SC2086
if run h5blk0 $H5B --data.val_fraction 0 --data.block_shuffle false &&
    [ "$(epoch_rows h5blk0 0 | blocks_in 112)" -gt 20 ]; then
    pass "hdf5: --data.block_shuffle false draws the uniform order"
else fail "hdf5: --data.block_shuffle false"; fi
# with a val_fraction split: the same train/val samples as in memory (random_split's)
# shellcheck disable=SC2086
if run h5blkv $H5B && run h5blkm --data hdf5 --data.path "$D/blocks.h5" --data.x data/X --data.y data/y &&
    [ "$(grep '^val ' "$TMP/h5blkv.txt")" = "$(grep '^val ' "$TMP/h5blkm.txt")" ] &&
    [ "$(grep '^train ' "$TMP/h5blkv.txt")" = "$(grep '^train ' "$TMP/h5blkm.txt")" ] &&
    [ "$(count h5blkv val)" = 20 ]; then
    pass "hdf5 block shuffle with val_fraction: the same train and val samples as in memory"
else fail "hdf5 block shuffle with val_fraction: samples differ"; fi

# predict: the test file's X, one output row per sample
expect "csv: predict runs over the test file" 0 "" -- "$LTRUN" predict --module $PROBE --data csv \
    --data.path "$D/train.csv" --data.test_path "$D/test.csv" --trainer.default_root_dir "$TMP/root" \
    --predictions "$TMP/pred.h5" --trainer.enable_progress_bar false
if command -v h5dump > /dev/null; then
    expect "csv: 6 predictions of the test rows" 0 "DATASPACE +SIMPLE \{ \( 6, 3 \)" -- h5dump -H "$TMP/pred.h5"
fi

# errors name the file, line, column, dataset
expect "csv: missing value names line and column" 1 "missing.csv:3: column 2 \('b'\): missing value" -- \
    $FIT --data csv --data.path "$D/missing.csv"
expect "csv: non-numeric value names line and column" 1 "nonnum.csv:5: column 1 \('a'\): 'abc' is not a number" -- \
    $FIT --data csv --data.path "$D/nonnum.csv"
expect "csv: unknown label column name" 1 "label_column 'nope' is not a column of the header row" -- \
    $FIT --data csv --data.path "$D/train.csv" --data.label_column nope
expect "csv: label column index out of range" 1 "label_column 7 is out of range: the table has 3 columns" -- \
    $FIT --data csv --data.path "$D/train.csv" --data.label_column 7
expect "csv: no such file" 1 "cannot open $D/absent.csv" -- $FIT --data csv --data.path "$D/absent.csv"
expect "csv: path is required" 1 "--data.path is required" -- $FIT --data csv
expect "csv: bad task" 1 "--data.task 'foo': expected classification or regression" -- \
    $FIT --data csv --data.path "$D/train.csv" --data.task foo
expect "csv: val_fraction out of range" 1 "--data.val_fraction must be in \[0, 1\)" -- \
    $FIT --data csv --data.path "$D/train.csv" --data.val_fraction 1
expect "npy: fortran_order refused" 1 "fortran.npy: fortran_order is True: only C-order" -- \
    $FIT --data npy --data.x_path "$D/fortran.npy" --data.y_path "$D/y.npy"
expect "npy: big-endian refused" 1 "big.npy: dtype '>f4' is not supported" -- \
    $FIT --data npy --data.x_path "$D/big.npy" --data.y_path "$D/y.npy"
expect "npy: row counts must match" 1 "x.npy has 20 rows but .*y19.npy has 19" -- \
    $FIT --data npy --data.x_path "$D/x.npy" --data.y_path "$D/y19.npy"
expect "npy: not a .npy file" 1 "train.csv: not a .npy file" -- \
    $FIT --data npy --data.x_path "$D/train.csv" --data.y_path "$D/y.npy"
# hostile shapes (robustness review): a byte size that wraps 64 bits used to be allocated
# wrapped (4 bytes for 2^62 + 1 floats) and written past; a value count that overflows;
# data shorter than the shape. Refused before anything is allocated.
expect "npy: a shape whose byte size wraps is refused" 1 "wrap4.npy: shape in header is too large" -- \
    $FIT --data npy --data.x_path "$D/wrap4.npy" --data.y_path "$D/wrap4.npy" --data.task regression
expect "npy: a shape whose value count overflows is refused" 1 "huge.npy: shape in header is too large" -- \
    $FIT --data npy --data.x_path "$D/huge.npy" --data.y_path "$D/y.npy"
expect "npy: data shorter than the shape" 1 "truncdata.npy: truncated: the header's shape needs 160 data bytes, the file has 40" -- \
    $FIT --data npy --data.x_path "$D/truncdata.npy" --data.y_path "$D/y.npy"
expect "npy: header length past the end of the file" 1 "trunchead.npy: truncated .npy header" -- \
    $FIT --data npy --data.x_path "$D/trunchead.npy" --data.y_path "$D/y.npy"
expect "npy: a 0-d array" 1 "zerod.npy: a 0-d array has no samples" -- \
    $FIT --data npy --data.x_path "$D/zerod.npy" --data.y_path "$D/y.npy"
for t in f2:'<f2' b1:'\|b1' c8:'<c8' obj:'\|O'; do
    expect "npy: dtype ${t#*:} refused, naming what to save" 1 "${t%%:*}.npy: dtype '${t#*:}' is not supported.*astype" -- \
        $FIT --data npy --data.x_path "$D/${t%%:*}.npy" --data.y_path "$D/y.npy"
done
# a 1-D X is one feature per sample (torch.from_numpy(X).unsqueeze(1) in a TensorDataset)
if run x1d --data npy --data.x_path "$D/x1d.npy" --data.y_path "$D/y.npy" --model.in_features 1 &&
    [ "$(wc -l < "$TMP/x1d.txt")" = 20 ] && grep -q '^[a-z]* 9.5 | 1$' "$TMP/x1d.txt"; then
    pass "npy: a 1-D X gives one feature per sample"; else fail "npy: 1-D X"; fi
if run py2 --data npy --data.x_path "$D/py2.npy" --data.y_path "$D/y.npy" && split_ok py2; then
    pass "npy: a Python 2 header's shape (20L, 2L) is read as np.load reads it"; else fail "npy: (20L, 2L)"; fi
# labels as a column (20, 1) are the 20 labels (they reached cross_entropy as [4, 1]);
# an X of shape (20, 0) is refused naming the file (it reached the model as [4, 0])
if run y2d --data npy --data.x_path "$D/x.npy" --data.y_path "$D/y2d.npy" && split_ok y2d; then
    pass "npy: class labels of shape (n, 1) are the n labels"; else fail "npy: y (n, 1)"; fi
expect "npy: X with no values per sample" 1 "x0.npy: X has no values per sample" -- \
    $FIT --data npy --data.x_path "$D/x0.npy" --data.y_path "$D/y.npy"
expect "npy: y_path is required" 1 "--data.y_path is required" -- $FIT --data npy --data.x_path "$D/x.npy"
expect "hdf5: missing dataset" 1 "train.h5: no dataset 'data/Z'" -- \
    $FIT --data hdf5 --data.path "$D/train.h5" --data.x data/Z --data.y data/y
expect "hdf5: mismatched first dimensions" 1 "mismatch.h5: 'data/X' has 20 rows but 'data/y' has 19" -- \
    $FIT --data hdf5 --data.path "$D/mismatch.h5" --data.x data/X --data.y data/y
expect "hdf5: unsupported dtype" 1 "strtype.h5: dataset 'data/y' has an unsupported dtype" -- \
    $FIT --data hdf5 --data.path "$D/strtype.h5" --data.x data/X --data.y data/y
expect "hdf5: external link refused" 1 "extlink.h5: 'data/X' is an external .*link" -- \
    $FIT --data hdf5 --data.path "$D/extlink.h5" --data.x data/X --data.y data/y
# robustness review: a 1-D X is one feature per sample; 0 rows, a group named as the
# dataset, and a sample size that wrapped 64 bits (2^64 values: reached the model as 0)
if run h5x1d --data hdf5 --data.path "$D/x1d.h5" --data.x X --data.y y --model.in_features 1 &&
    [ "$(wc -l < "$TMP/h5x1d.txt")" = 20 ] && grep -q '^[a-z]* 19 | 1$' "$TMP/h5x1d.txt"; then
    pass "hdf5: a 1-D X gives one feature per sample"; else fail "hdf5: 1-D X"; fi
expect "hdf5: 0 rows" 1 "empty.h5: dataset 'X' has no rows" -- \
    $FIT --data hdf5 --data.path "$D/empty.h5" --data.x X --data.y y
expect "hdf5: a group is not a dataset" 1 "train.h5: 'data' is not a dataset" -- \
    $FIT --data hdf5 --data.path "$D/train.h5" --data.x data --data.y data/y
expect "hdf5: a sample size beyond 64 bits" 1 "wrap.h5: dataset 'X': 1.8[0-9]*e\+19 values per sample is too large" -- \
    $FIT --data hdf5 --data.path "$D/wrap.h5" --data.x X --data.y y
expect "hdf5: a bool (enum) y is named as such, with the fix" 1 "booly.h5: dataset 'y' has an unsupported dtype \(HDF5 class 8: an enum \(h5py stores bool so\)\).*astype" -- \
    $FIT --data hdf5 --data.path "$D/booly.h5" --data.x X --data.y y
expect "hdf5: not an HDF5 file" 1 "cannot open .*train.csv as an HDF5 file" -- \
    $FIT --data hdf5 --data.path "$D/train.csv"

# by name: `ltrun plugins` lists them as data plugins; the csv logger still resolves
expect "ltrun plugins lists the data plugins" 0 "datamodule +hdf5 .*datamodule +mnist .*datamodule +npy" -- \
    sh -c "'$LTRUN' plugins | sort -k2 | tr '\n' ' '"
expect "ltrun plugins lists the csv data plugin" 0 "^datamodule +csv " -- "$LTRUN" plugins
mkdir -p "$TMP/idx"
"$top_builddir/tests/make_idx" "$TMP/idx" 100 20 > /dev/null
expect "--data mnist resolves the installed-style plugin" 0 "" -- "$LTRUN" fit --module "$EX/mlp.so" --data mnist \
    --data.data_dir "$TMP/idx" --data.val_size 10 --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/root"
# damaged IDX files (robustness review): dimensions whose product overflowed 64 bits
# (1e8 x 1e8 x 1e8, signed overflow) or asked for terabytes ("out of memory") are a
# corrupt header; a corrupt .gz is named as such (it read as "magic 0x00000000")
# (octal bytes: dash's printf has no \x)
for dmg in 'overflow:\005\365\341\000\005\365\341\000\005\365\341\000' \
    'huge:\000\000\352\140\000\000\047\020\000\000\047\020'; do
    n=${dmg%%:*}
    mkdir -p "$TMP/idx_$n"
    "$top_builddir/tests/make_idx" "$TMP/idx_$n" 100 20 plain > /dev/null
    printf "${dmg#*:}" | dd of="$TMP/idx_$n/train-images-idx3-ubyte" bs=1 seek=4 conv=notrunc 2> /dev/null
    expect "mnist: header dimensions beyond the file ($n)" 1 "train-images-idx3-ubyte: truncated, or a corrupt header" -- \
        "$LTRUN" fit --module "$EX/mlp.so" --data mnist --data.data_dir "$TMP/idx_$n" --data.val_size 10 \
        --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/root"
done
mkdir -p "$TMP/idx_gz"
"$top_builddir/tests/make_idx" "$TMP/idx_gz" 100 20 gzip > /dev/null
gzf="$TMP/idx_gz/train-images-idx3-ubyte.gz"
printf '\336\255\276\357\336\255\276\357' | dd of="$gzf" bs=1 seek=$(($(wc -c < "$gzf") / 2)) conv=notrunc 2> /dev/null
expect "mnist: a corrupt .gz is named as such" 1 "train-images-idx3-ubyte.gz: corrupt gzip data \(zlib: " -- \
    "$LTRUN" fit --module "$EX/mlp.so" --data mnist --data.data_dir "$TMP/idx_gz" --data.val_size 10 \
    --trainer.max_epochs 1 --trainer.default_root_dir "$TMP/root"

# a bare NAME skips a plugin of another kind: `csv` is both a logger and a data plugin
rm -rf "$TMP/lg"
expect "--logger csv and --data csv side by side on LT_PLUGIN_PATH" 0 "" -- env \
    LT_PLUGIN_PATH="$top_builddir/plugins/data:$top_builddir/plugins/loggers" "$LTRUN" fit \
    --module $PROBE --data csv --data.path "$D/train.csv" --logger csv --trainer.max_epochs 1 \
    --trainer.default_root_dir "$TMP/lg" --trainer.enable_progress_bar false
ls "$TMP"/lg/lightning_logs/version_0/metrics.csv > /dev/null 2>&1 && pass "the csv logger wrote metrics.csv" ||
    fail "the csv logger wrote no metrics.csv: $(find "$TMP/lg" | head -5)"
finish
