#!/bin/sh
# test_prediction_writer.sh — the prediction_writer callback plugin (Lightning's
# BasePredictionWriter with its documented CustomWriter): cb_module's forward (Linear(2, 3))
# over trace_data's predict split (10 samples, batches of 4, 4, 2). The .npy files must
# carry NumPy's v1.0 header and exactly the bytes of the host's own predictions file
# (predictions.h5, dumped raw by h5dump).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"
export LT_PLUGIN_PATH="$top_builddir/plugins/callbacks"
W="$TMP/work"
mkdir -p "$W"
predict() { # predict ARGS...: output in $TMP/out.txt
    (cd "$W" && "$LTRUN" predict --module "$P/cb_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.enable_progress_bar false --trainer.logger false "$@") > "$TMP/out.txt" 2>&1
}
# hdr FILE: the magic and version ("NUMPY 1 0"), then the header dict
hdr() { printf '%s %s ' "$(head -c 6 "$1" | tail -c 5)" "$(head -c 8 "$1" | tail -c 2 | od -An -t u1 | tr -s ' ' | sed 's/^ //')"
        head -c 128 "$1" | tail -c 118 | tr -d '\n' | sed 's/ *$//'; }
data() { tail -c +129 "$1"; }

predict --callback 'prediction_writer:{"write_interval": "batch_and_epoch", "output_dir": "out"}'
h5dump -d /predictions -b LE -o "$TMP/p.bin" "$W/predictions.h5" > /dev/null 2>&1
if [ "$(hdr "$W/out/predictions.npy")" = "NUMPY 1 0 {'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }" ] &&
    data "$W/out/predictions.npy" | cmp -s - "$TMP/p.bin"; then
    pass "prediction_writer: epoch: predictions.npy = torch.cat(predictions) (npy v1.0, float32 [10, 3])"
else fail "prediction_writer: predictions.npy"; hdr "$W/out/predictions.npy"; cat "$TMP/out.txt"; fi
if [ "$(hdr "$W/out/batch_indices.npy")" = "NUMPY 1 0 {'descr': '<i8', 'fortran_order': False, 'shape': (10,), }" ] &&
    [ "$(data "$W/out/batch_indices.npy" | od -An -v -t d8 | tr -s ' \n' ' ')" = " 0 1 2 3 4 5 6 7 8 9 " ]; then
    pass "prediction_writer: epoch: batch_indices.npy holds the sampler's indices"
else fail "prediction_writer: batch_indices.npy: $(data "$W/out/batch_indices.npy" | od -An -t d8)"; fi
# batch files: out/<dataloader_idx>/<batch_idx>.npy, each the batch's rows
ok=1
for b in 0 1 2; do [ -f "$W/out/0/$b.npy" ] || ok=0; done
cat "$W/out/0/0.npy" > /dev/null 2>&1 &&
    { data "$W/out/0/0.npy"; data "$W/out/0/1.npy"; data "$W/out/0/2.npy"; } | cmp -s - "$TMP/p.bin" || ok=0
[ "$(hdr "$W/out/0/2.npy")" = "NUMPY 1 0 {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" ] || ok=0
if [ $ok = 1 ] && [ -z "$(find "$W/out" -name '.*')" ]; then
    pass "prediction_writer: batch: one .npy per batch under out/0/, no temporary files left"
else fail "prediction_writer: batch files"; ls -laR "$W/out"; fi

# the default interval is "batch": no epoch files; default output_dir under default_root_dir
rm -rf "$W/out" "$W/predictions"
predict --callback prediction_writer
if [ -f "$W/predictions/0/1.npy" ] && [ ! -e "$W/predictions/predictions.npy" ]; then
    pass "prediction_writer: default write_interval batch, output_dir <default_root_dir>/predictions"
else fail "prediction_writer: defaults"; find "$W" -name '*.npy'; cat "$TMP/out.txt"; fi
rm -rf "$W/predictions"
predict --callback 'prediction_writer:{"write_interval": "epoch"}'
if [ -f "$W/predictions/predictions.npy" ] && [ ! -e "$W/predictions/0" ]; then
    pass "prediction_writer: write_interval epoch writes no batch files"
else fail "prediction_writer: epoch only"; find "$W" -name '*.npy'; fi

predict --callback 'prediction_writer:{"write_interval": "step"}'
if grep -q "\`write_interval\` should be one of \['batch', 'epoch', 'batch_and_epoch'\]" "$TMP/out.txt"; then
    pass "prediction_writer: bad write_interval: Lightning's message"
else fail "prediction_writer: bad write_interval"; cat "$TMP/out.txt"; fi
: > "$W/afile"
predict --callback 'prediction_writer:{"output_dir": "afile/x"}'
if [ -s "$TMP/out.txt" ] && grep -q "prediction_writer: cannot create folder 'afile/x'" "$TMP/out.txt"; then
    pass "prediction_writer: an output_dir that cannot be made is a clear error"
else fail "prediction_writer: bad output_dir"; cat "$TMP/out.txt"; fi
finish
