#!/bin/sh
# run.sh — the checkpoint fuzz driver: writes a real checkpoint (`ltrun fit`, the MLP on
# tiny IDX data, 2 batches), makes mutants of it with tests/fuzz/mutate (seed SEED ..
# SEED+N-1, each mutation kind in turn, plus the (seed, mutation) pairs of corpus.txt),
# and runs each through ltrun with a time limit:
#   inspect   `ltrun inspect M`          json  `ltrun inspect --json M`
#   test      `ltrun test --ckpt-path M` fit   `ltrun fit --ckpt-path M` (2 more batches)
# Fine: exit 0 (accepted), or exit 1/2/3 with an error message that names the file.
# A failure: a signal (exit >= 128), a sanitizer report, the time limit, an empty message
# or one that does not name the file; its mutant is kept in FUZZ_KEEP and its
# "SEED MUT" line printed (add it to corpus.txt to keep it as a regression case).
#
# usage: tests/fuzz/run.sh [N [SEED]]         (make fuzz: FUZZ_N, FUZZ_SEED)
# environment: FUZZ_CMDS ("inspect json test fit"), FUZZ_TIMEOUT (seconds per run, 20),
#   FUZZ_CORPUS (corpus.txt; "" for none), FUZZ_KEEP (where failing mutants go),
#   FUZZ_LTRUN (another ltrun binary), top_builddir / top_srcdir (default: the current
#   directory / this script's tree).
set -u
N=${1:-${FUZZ_N:-200}}
SEED=${2:-${FUZZ_SEED:-1}}
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
CMDS=${FUZZ_CMDS:-inspect json test fit}
LIMIT=${FUZZ_TIMEOUT:-20}
CORPUS=${FUZZ_CORPUS-$top_srcdir/tests/fuzz/corpus.txt}
KEEP=${FUZZ_KEEP:-$top_builddir/tests/fuzz/found}
LTRUN=${FUZZ_LTRUN:-$top_builddir/ltrun}
MUTATE="$top_builddir/tests/fuzz/mutate"
EX="$top_builddir/examples"
[ -x "$LTRUN" ] && [ -x "$MUTATE" ] || { echo "run.sh: build ltrun and tests/fuzz/mutate first (make check)"; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/ltrun-fuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
export XDG_CACHE_HOME="$W/cache"
mkdir -p "$W/data"
"$top_builddir/tests/make_idx" "$W/data" 64 16 > /dev/null || { echo "run.sh: make_idx failed"; exit 2; }
COMMON="--module $EX/mlp.so --data $EX/mnist.so --data.data_dir $W/data --data.val_size 16 --data.batch_size 16
        --trainer.logger false --seed 1 --trainer.enable_progress_bar false --trainer.enable_model_summary false
        --trainer.limit_train_batches 2 --trainer.limit_val_batches 1 --trainer.limit_test_batches 1"
# shellcheck disable=SC2086
if ! "$LTRUN" fit $COMMON --model.hidden1 8 --model.hidden2 8 --trainer.max_epochs 1 \
        --trainer.default_root_dir "$W/base" > "$W/base.out" 2>&1; then
    echo "run.sh: the base checkpoint could not be written:"; tail -n 5 "$W/base.out"; exit 2
fi
BASE="$W/base/checkpoints/last.h5"

# libhdf5's own metadata cache (H5C_*) asks malloc for a size read from a corrupt header: a plain
# build gets NULL and HDF5 fails cleanly, ASan aborts instead (allocator_may_return_null
# is not set, so that ltrun's own oversized allocations still count as failures)
hdf5_alloc() { # OUTFILE
    grep -qE "AddressSanitizer: (allocator is out of memory|requested allocation size)" "$1" &&
        grep -E -m 1 "^ *#1 " "$1" | grep -q "in H5C_"
}

# the failure class of one run's exit status and output, empty when fine
classify() { # RC OUTFILE MUTANT
    if hdf5_alloc "$2"; then :
    elif grep -qE "ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer" "$2"; then
        echo "sanitizer report"
    elif [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then echo "time limit ($LIMIT s)"
    elif [ "$1" -ge 128 ]; then echo "signal $(($1 - 128))"
    elif [ "$1" -eq 0 ]; then :
    elif [ "$1" -gt 3 ]; then echo "exit status $1"
    elif grep -q "the reader crashed on it" "$2"; then echo "inspect's reader process crashed"
    elif ! grep -q "error" "$2"; then echo "exit $1 without an error message"
    elif ! grep -qF "$(basename "$3")" "$2"; then echo "exit $1, the message does not name the file"
    fi
}

runs=0 nfail=0 nacc=0 nref=0 nhdf=0
one() { # SEED MUT
    fs=$1 fm=$2 m="$W/s$1-m$2.h5"
    desc=$("$MUTATE" "$BASE" "$m" "$fs" "$fm" 2>&1) || { echo "run.sh: mutate $fs $fm failed: $desc"; nfail=$((nfail + 1)); return; }
    for c in $CMDS; do
        rm -rf "$W/run"
        case $c in
        inspect) set -- "$LTRUN" inspect "$m" ;;
        json) set -- "$LTRUN" inspect --json "$m" ;;
        # shellcheck disable=SC2086
        test) set -- "$LTRUN" test $COMMON --trainer.default_root_dir "$W/run" --ckpt-path "$m" ;;
        # shellcheck disable=SC2086
        fit) set -- "$LTRUN" fit $COMMON --trainer.default_root_dir "$W/run" --trainer.max_epochs 2 --ckpt-path "$m" ;;
        *) echo "run.sh: unknown command '$c' in FUZZ_CMDS"; exit 2 ;;
        esac
        timeout -k 2 "$LIMIT" "$@" > "$W/out" 2>&1 < /dev/null
        rc=$?
        runs=$((runs + 1))
        why=$(classify "$rc" "$W/out" "$m")
        if [ -n "$why" ]; then
            nfail=$((nfail + 1))
            mkdir -p "$KEEP"
            cp "$m" "$KEEP/seed$fs-mut$fm.h5"
            echo "FAIL $c: $why -- $desc"
            echo "  corpus line: $fs $fm    kept: $KEEP/seed$fs-mut$fm.h5"
            grep -E -m 3 "ERROR|runtime error|#[0-3] |error" "$W/out" | cut -c1-200 | sed 's/^/    /'
        elif hdf5_alloc "$W/out"; then nhdf=$((nhdf + 1))
        elif [ "$rc" -eq 0 ]; then nacc=$((nacc + 1))
        else nref=$((nref + 1))
        fi
        [ -n "${FUZZ_VERBOSE:-}" ] && echo "$c rc=$rc -- $desc"
    done
    rm -f "$m"
}

NMUT=18 # mutate.c's NMUT: seed s runs mutation kind s % NMUT
ncase=0
if [ -n "$CORPUS" ] && [ -f "$CORPUS" ]; then
    while read -r s mu rest; do
        case $s in '' | '#'*) continue ;; esac
        one "$s" "$mu"
        ncase=$((ncase + 1))
    done < "$CORPUS"
fi
i=0
while [ "$i" -lt "$N" ]; do
    s=$((SEED + i))
    one "$s" $((s % NMUT))
    ncase=$((ncase + 1))
    i=$((i + 1))
done
echo "fuzz: $ncase mutants (corpus + seeds $SEED..$((SEED + N - 1))), $runs runs ($CMDS):" \
     "$nacc accepted, $nref refused cleanly, $nfail failed" \
     "$([ "$nhdf" -gt 0 ] && echo "($nhdf ASan aborts on libhdf5's own oversized allocation, not counted)")"
[ "$nfail" -eq 0 ]
