#!/bin/sh
# test_export.sh — `ltrun export --format onnx` (LightningModule.to_onnx): export_module
# (conv, batch norm, relu, max/avg pooling, sigmoid, transposed conv, tanh, flatten, linear, dropout,
# leaky_relu, log_softmax) trained 2 epochs on npy images, exported from its checkpoint;
# tests/onnx_check.py decodes the protobuf (every node input defined before use, the
# parameters as named initializers, the batch dimension free, dropout gone in eval) and,
# where numpy is present, evaluates the graph by the ONNX operator specs on the test
# images: equal to `ltrun predict` to 1e-5; refusals name the op or the flag.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
cd "$TMP" || exit 1
PY=python3
command -v /usr/bin/python3 > /dev/null 2>&1 && PY=/usr/bin/python3
if ! command -v "$PY" > /dev/null 2>&1; then echo "1..0 # SKIP no python3"; exit 0; fi
"$PY" "$top_srcdir/tests/make_npy.py" tr 1 64 && "$PY" "$top_srcdir/tests/make_npy.py" te 2 10
D="--data $top_builddir/plugins/data/npy.so --data.x_path tr_x.npy --data.y_path tr_y.npy
   --data.test_x_path te_x.npy --data.test_y_path te_y.npy --trainer.enable_progress_bar false"
M="--module $P/export_module.so"
expect "fit the CNN" 0 "" -- "$LTRUN" fit $M $D --data.batch_size 8 --trainer.max_epochs 2 \
    --trainer.default_root_dir e
CK=e/lightning_logs/version_0/checkpoints/last.h5
expect "export --format onnx from the checkpoint" 0 \
    "export: m.onnx \(ONNX, opset 17\): input \[5, 1, 8, 8\] -> output \[5, 3\], batch dimension free" -- \
    "$LTRUN" export --ckpt-path "$CK" $M $D --data.batch_size 5 --format onnx --output m.onnx
out=$("$LTRUN" export --ckpt-path "$CK" $M $D --data.batch_size 5 --format onnx --output m2.onnx 2>&1)
if ! printf '%s\n' "$out" | grep -q 'Predictions of\|max_epochs. was not set'; then
    pass "export says nothing about the predictions it traced on or the fit's epoch limit"
else fail "export's output: $out"; fi
if "$PY" "$top_srcdir/tests/onnx_check.py" structure m.onnx > s.txt 2>&1; then
    pass "the model decodes; every node reads defined values"
else fail "structure"; cat s.txt; fi
ops=$(sed -n 's/^node \([A-Za-z]*\) .*/\1/p' s.txt | tr '\n' ' ')
if [ "$ops" = "Conv Sub Mul Reshape Mul Reshape Add Relu MaxPool Conv Sigmoid AveragePool ConvTranspose Tanh Reshape Gemm LeakyRelu Gemm LogSoftmax Identity " ]; then
    pass "ops: Conv, batch norm as Sub/Mul + affine, Relu, MaxPool, AveragePool, ConvTranspose, Reshape, Gemm, LeakyRelu, LogSoftmax (no dropout)"
else fail "ops: $ops"; fi
if grep -q "^input input float \['batch', 1, 8, 8\]$" s.txt && grep -q "^output output float \['batch', 3\]$" s.txt &&
   grep -q "^init conv1.weight float \[4, 1, 3, 3\]$" s.txt && grep -q "^init fc2.bias float \[3\]$" s.txt &&
   grep -q "^ir_version 8$" s.txt && grep -q "^opset '' 17$" s.txt; then
    pass "graph input/output with a free batch dimension; parameters under their state_dict names"
else fail "value infos / initializers"; cat s.txt; fi
if [ ! -e m.onnx.predictions.ltrun-tmp ] && [ -z "$(ls | grep ltrun-tmp)" ]; then
    pass "no temporary file left"
else fail "temporary files: $(ls)"; fi

# numbers: the graph run by the operator specs against ltrun predict on all 10 test images
"$LTRUN" predict --ckpt-path "$CK" $M $D --predictions p.h5 > /dev/null 2>&1
if ! "$PY" -c "import numpy" 2> /dev/null || ! command -v h5dump > /dev/null 2>&1; then
    skip "outputs equal ltrun predict" "no numpy or h5dump"
else
    h5dump -d predictions -y -w 1 -m %.9g p.h5 | grep -E '^ *-?[0-9]' | tr -d ' ,' > want.txt
    "$PY" "$top_srcdir/tests/onnx_check.py" run m.onnx te_x.npy > got.txt 2>&1
    d=$(paste want.txt got.txt | awk 'NF == 2 { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; n++ }
        END { if (n == 30) printf "%g", m; else print "rows " n }')
    if awk -v d="$d" 'BEGIN { exit !(d + 0 == d && d <= 1e-5) }'; then
        pass "the ONNX graph on a batch of 10 (traced with 5) equals ltrun predict (max |diff| $d)"
    else fail "outputs differ: $d"; head -3 got.txt; fi
fi

expect "an op without an ONNX form is named" 1 "op 'transpose' \(in forward\) has no ONNX form" -- \
    "$LTRUN" export --ckpt-path "$CK" $M $D --model.bad_op true --output bad.onnx
[ ! -e bad.onnx ] && pass "no file written for a refused model" || fail "bad.onnx written"
expect "another format is refused" 2 "--format torchscript: ltrun exports onnx only" -- \
    "$LTRUN" export --ckpt-path "$CK" $M $D --format torchscript --output x.pt
expect "--output is required" 2 "export needs --output FILE" -- "$LTRUN" export --ckpt-path "$CK" $M $D
expect "--ckpt-path is required" 2 "export needs --ckpt-path F" -- "$LTRUN" export $M $D --output x.onnx
expect "--help names ltrun export" 0 "ltrun export --ckpt-path F --module M --data D --format onnx" -- "$LTRUN" --help
finish
