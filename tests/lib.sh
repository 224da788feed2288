# lib.sh — helpers for the shell tests (sourced). Each check prints one TAP line
# (`ok N - name` / `not ok N - name`) and finish prints the plan, so automake's TAP
# driver counts cases.
set -u
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(pwd)}"
LTRUN="$top_builddir/ltrun"
EX="$top_builddir/examples"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ltrun-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export XDG_CACHE_HOME="$TMP/cache" # the mnist example caches decompressed files there
# Tests run the build's ltrun with the build's plugins only: neither the user's plugin
# folder nor a search path from the caller's environment may shadow them (a build-tree
# ltrun does not search the installed folder at all).
export XDG_DATA_HOME="$TMP/xdg-data" XDG_CONFIG_HOME="$TMP/xdg-config"
unset LT_PLUGIN_PATH
npass=0
nfail=0
nskip=0

ncase() { echo $((npass + nfail + nskip)); }
pass() { npass=$((npass + 1)); echo "ok $(ncase) - $1"; }
fail() { nfail=$((nfail + 1)); echo "not ok $(ncase) - $1"; }
# skip NAME REASON: a case this machine cannot run (TAP's SKIP directive)
skip() { nskip=$((nskip + 1)); echo "ok $(ncase) - $1 # SKIP $2"; }

# In an AddressSanitizer build a fatal signal is ASan's to report: ltrun's line comes
# first, then ASan's report, and the process ends as ASan ends it (abort_on_error: 134,
# else 1) instead of with the signal's 128+N.
ASAN_BUILD=no
if ldd "$LTRUN" 2> /dev/null | grep -q libasan; then ASAN_BUILD=yes; fi
# asan_ended WANT RC OUTPUT: RC is how ASan ends a run that should have died of signal WANT
asan_ended() {
    [ "$ASAN_BUILD" = yes ] && [ "$1" -gt 128 ] && [ "$1" -ne 134 ] &&
        { [ "$2" -eq 134 ] || [ "$2" -eq 1 ]; } && printf '%s\n' "$3" | grep -q "AddressSanitizer"
}

# expect NAME STATUS PATTERN -- CMD...: CMD exits with STATUS and its output matches PATTERN
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if asan_ended "$want" "$rc" "$out"; then want=$rc; fi
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want; output:"
        printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
    elif [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
        fail "$name: output does not match /$pattern/; output:"
        printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
    else
        pass "$name"
    fi
}

# json_num FILE KEY: the number after "KEY": in a cJSON-printed file
json_num() { sed -n "s|.*\"$2\":[[:space:]]*\([-0-9.eE+]*\).*|\1|p" "$1" | head -n 1; }

# ge A B: A >= B as decimals
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# weights_digest FILE: the weights_digest a --results file carries (same weights, same digest)
weights_digest() { sed -n 's/.*"weights_digest":[[:space:]]*"\([0-9a-f]*\)".*/\1/p' "$1"; }
# same_digest NAME A.json B.json: pass when both runs ended with the same weights
same_digest() { # NAME A.json B.json
    a=$(weights_digest "$2"); b=$(weights_digest "$3")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "$1 ($a)"; else fail "$1: '$a' vs '$b'"; fi
}

finish() {
    echo "1..$(ncase)"
    echo "# $npass passed, $nfail failed, $nskip skipped"
    [ "$nfail" -eq 0 ]
}
