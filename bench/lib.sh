# lib.sh — helpers the bench/*.sh scripts share (sourced; needs $PY and $here set).
# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# field NAME: the value after "NAME " on stdin (torch_epoch.py's "key value" lines)
field() { sed -n "s/^$1 //p"; }
# measure CMD...: "wall_s rss_kb" of one run (bench/run_measured.py)
measure() { "$PY" "$here/run_measured.py" "$@" | awk '/^wall_s/ {w=$2} /^rss_kb/ {r=$2} END {print w, r}'; }
# fit_epoch CMD...: "epoch_s rss_mb" of an ltrun fit command — the median wall time of
# R runs minus the median of the same command with limit_train_batches=0 (start-up, data
# loading and set-up are in both, so the difference is the training loop), and the
# largest peak RSS of the full runs. Needs $R and a scratch folder $tmp.
fit_epoch() {
    local full zero rss
    for _ in $(seq "$R"); do measure "$@"; done > "$tmp/full"
    for _ in $(seq "$R"); do measure "$@" --trainer.limit_train_batches 0; done > "$tmp/zero"
    full=$(cut -d' ' -f1 "$tmp/full" | median)
    zero=$(cut -d' ' -f1 "$tmp/zero" | median)
    rss=$(cut -d' ' -f2 "$tmp/full" | sort -n | tail -1)
    awk -v a="$full" -v b="$zero" -v r="$rss" 'BEGIN { printf "%.4f %.1f\n", a - b, r / 1024 }'
}
# The OpenBLAS kernel choices a bench reports: the environment's OPENBLAS_CORETYPE (when
# it sets one: BENCH_ENV_CORETYPE, read when this file is sourced) and OpenBLAS's own
# pick ("unset"); set_coretype VALUE exports one of them and sets $label.
BENCH_ENV_CORETYPE=${OPENBLAS_CORETYPE:-}
env_coretypes() {
    if [ -n "$BENCH_ENV_CORETYPE" ]; then echo "$BENCH_ENV_CORETYPE unset"; else echo unset; fi
}
set_coretype() {
    if [ "$1" = unset ]; then unset OPENBLAS_CORETYPE; label="OPENBLAS_CORETYPE unset"
    else export OPENBLAS_CORETYPE=$1; label="OPENBLAS_CORETYPE=$1"; fi
}
