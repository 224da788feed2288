#!/bin/sh
# onnx_check.sh — `ltrun export --format onnx` checked by onnxruntime: the test CNN
# (tests/plugins/export_module.c: conv, batch norm, pooling, linear, dropout, activations,
# log_softmax) trained 2 epochs, exported, then run by onnxruntime on 64 test images; its
# outputs against `ltrun predict` on the same images must agree to 1e-5.
#   onnx_check.sh [BUILD_DIR]             both phases here
#   onnx_check.sh --prepare DIR [BUILD]   ltrun's half: DIR/{m.onnx,te_x.npy,want.txt}
#   onnx_check.sh --compare DIR           onnxruntime's half (python3 with numpy and
#                                         onnxruntime: the device machine has them)
# Prints the max |difference| and exits 1 when it exceeds 1e-5.
set -eu
S=$(cd "$(dirname "$0")/.." && pwd)

prepare() { # prepare OUT_DIR BUILD_DIR
    O=$1
    B=$(cd "$2" && pwd)
    for f in ltrun tests/plugins/export_module.so plugins/data/npy.so; do
        [ -e "$B/$f" ] || make -C "$B" -s "$f" > /dev/null
    done
    W=$(mktemp -d)
    (
        cd "$W"
        python3 "$S/tests/make_npy.py" tr 1 256
        python3 "$S/tests/make_npy.py" te 2 64
        D="--data $B/plugins/data/npy.so --data.x_path tr_x.npy --data.y_path tr_y.npy
           --data.test_x_path te_x.npy --data.test_y_path te_y.npy --trainer.enable_progress_bar false"
        M="--module $B/tests/plugins/export_module.so"
        "$B/ltrun" fit $M $D --data.batch_size 16 --trainer.max_epochs 2 --trainer.default_root_dir e > fit.log 2>&1
        CK=e/lightning_logs/version_0/checkpoints/last.h5
        "$B/ltrun" export --ckpt-path "$CK" $M $D --format onnx --output m.onnx
        "$B/ltrun" predict --ckpt-path "$CK" $M $D --predictions p.h5 > predict.log 2>&1
        # the predictions as text, one value a line (h5dump: no h5py needed)
        h5dump -d predictions -y -w 1 -m %.9g p.h5 | grep -E '^ *-?[0-9]' | tr -d ' ,' > want.txt
    )
    mkdir -p "$O"
    cp "$W/m.onnx" "$W/te_x.npy" "$W/want.txt" "$O/"
    rm -rf "$W"
}

compare() { # compare DIR
    cd "$1"
    python3 - <<'PY'
import sys
import numpy as np
import onnxruntime as ort
x = np.load("te_x.npy").astype(np.float32)
sess = ort.InferenceSession("m.onnx", providers=["CPUExecutionProvider"])
got = sess.run(None, {"input": x})[0]
want = np.loadtxt("want.txt").reshape(got.shape)
d = float(np.abs(got.astype(np.float64) - want).max())
print("onnxruntime %s vs ltrun predict: %d outputs %s, max |diff| %.3g (limit 1e-5)"
      % (ort.__version__, got.size, list(got.shape), d))
sys.exit(0 if d <= 1e-5 else 1)
PY
}

case "${1:-}" in
--prepare) prepare "$2" "${3:-build}" ;;
--compare) compare "$2" ;;
*)
    T=$(mktemp -d)
    trap 'rm -rf "$T"' EXIT
    prepare "$T" "${1:-build}"
    compare "$T"
    ;;
esac
