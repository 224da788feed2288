# lib.sh — helpers the bench/*.sh scripts share (sourced; needs $PY and $here set).
# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# field NAME: the value after "NAME " on stdin (torch_epoch.py's "key value" lines)
field() { sed -n "s/^$1 //p"; }
# measure CMD...: "wall_s rss_kb" of one run (bench/run_measured.py)
measure() { "$PY" "$here/run_measured.py" "$@" | awk '/^wall_s/ {w=$2} /^rss_kb/ {r=$2} END {print w, r}'; }
