#!/bin/sh
# test_fuzz.sh — the checkpoint fuzz harness in `make check`: corpus.txt's cases (found
# failures kept as generator parameters), then a fixed seed range, through run.sh.
#   FUZZ_CHECK_SEED (1), FUZZ_CHECK_N (240): the range; FUZZ_CHECK_CMDS: which commands
#   run on each mutant (default all four: "inspect json test fit").
. "${top_srcdir:-.}/tests/lib.sh"
out="$TMP/fuzz.out"
FUZZ_CMDS=${FUZZ_CHECK_CMDS:-inspect json test fit} FUZZ_KEEP="$top_builddir/tests/fuzz/found" \
    sh "$top_srcdir/tests/fuzz/run.sh" "${FUZZ_CHECK_N:-240}" "${FUZZ_CHECK_SEED:-1}" > "$out" 2>&1
rc=$?
tail -n 1 "$out"
if [ "$rc" -eq 0 ]; then pass "fuzz: no crash, sanitizer report, hang or unnamed error"
else fail "fuzz: failures (mutants kept in tests/fuzz/found):"; grep -A 4 "^FAIL\|^run.sh" "$out" | head -n 60; fi
finish
