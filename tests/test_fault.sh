#!/bin/sh
# test_fault.sh — a plugin that crashes in a hook is named (runtime/trainer/fault.c): a
# module's training_step (SIGSEGV), validation_step (abort), on_save_checkpoint and a
# stack overflow, a data module's get_item on the trainer thread and on a loader worker,
# a callback's hook. The exit status stays the signal's (128+N) and stderr names the
# plugin, its path, the hook and where. A hook that spins forever: the first SIGTERM is
# answered at once naming it, the second ends the run (the signal's default action).
# In an AddressSanitizer build ltrun's line comes first, then ASan's own report, and the
# process ends as ASan ends it (abort_on_error: 134, else 1).
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"

RUN="$LTRUN fit --module $P/crash_module.so --seed 1 --trainer.max_epochs 2
     --trainer.enable_progress_bar false --trainer.enable_model_summary false"

# crash NAME RC PATTERN -- CMD...: CMD dies with RC (the signal's 128+N) and its output
# has ltrun's line matching PATTERN
crash() {
    name=$1 want=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if asan_ended "$want" "$rc" "$out"; then want=$rc; fi
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want; output:"
        printf '%s\n' "$out" | tail -n 8 | sed 's/^/    /'
    elif ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
        fail "$name: no line matching /$pattern/; output:"
        printf '%s\n' "$out" | tail -n 8 | sed 's/^/    /'
    else
        pass "$name"
    fi
}

M="module 'crashy' \\($P/crash_module.so\\)"
crash "segfault in training_step" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in $M, hook training_step \(epoch 0, batch 3\)$" -- \
    $RUN --data "$P/fail_data.so" --model.crash training_step --trainer.default_root_dir "$TMP/a"
crash "abort in validation_step" 134 \
    "^ltrun: fatal signal SIGABRT \(abort\) in $M, hook validation_step \(epoch 0, batch 1\)$" -- \
    $RUN --data "$P/fail_data.so" --model.crash validation_step --model.how abort --model.at_batch 1 \
    --trainer.default_root_dir "$TMP/b"
crash "segfault in on_save_checkpoint" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in $M, hook on_save_checkpoint \(epoch [0-9]+\)$" -- \
    $RUN --data "$P/fail_data.so" --model.crash on_save_checkpoint --trainer.default_root_dir "$TMP/c"
crash "stack overflow in training_step" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in $M, hook training_step \(epoch 0, batch 2\)$" -- \
    $RUN --data "$P/fail_data.so" --model.crash training_step --model.how stack --model.at_batch 2 \
    --trainer.default_root_dir "$TMP/d"
crash "the plugin is told what to do" 139 "^ltrun: the plugin crashed in that hook: fix it there" -- \
    $RUN --data "$P/fail_data.so" --model.crash training_step --trainer.default_root_dir "$TMP/e"

D="data module 'faildata' \\($P/fail_data.so\\), hook get_item \\(epoch 0, sample 21\\)"
crash "segfault in get_item, num_workers 0" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in $D( on a loader thread)?$" -- \
    $RUN --data "$P/fail_data.so" --data.crash_at 21 --trainer.default_root_dir "$TMP/f"
crash "segfault in get_item on a loader worker (num_workers 2)" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in $D on a loader thread$" -- \
    $RUN --data "$P/fail_data.so" --data.crash_at 21 --data.num_workers 2 --trainer.default_root_dir "$TMP/g"

crash "segfault in a callback's on_train_batch_end" 139 \
    "^ltrun: fatal signal SIGSEGV \(invalid memory access\) in callback 'crashcb' \($P/crash_callback.so\), hook on_train_batch_end \(epoch 0, batch 2\)$" -- \
    $RUN --data "$P/fail_data.so" --callback "$P/crash_callback.so" --trainer.default_root_dir "$TMP/h"

# A training_step that never returns: SIGTERM after 1 s is answered within 1 s naming the
# hook; the run goes on (the step never ends); a second SIGTERM ends it (143 = 128+15).
$RUN --data "$P/fail_data.so" --model.crash training_step --model.how spin --model.at_batch 1 \
    --trainer.default_root_dir "$TMP/s" > "$TMP/spin.log" 2>&1 &
pid=$!
( sleep 60; kill -KILL $pid 2> /dev/null ) > /dev/null 2>&1 & # never holds the test's output open
killer=$!
i=0
while [ $i -lt 100 ] && ! grep -q "crashy: spinning" "$TMP/spin.log"; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -TERM $pid
i=0
while [ $i -lt 10 ] && ! grep -q "SIGTERM received" "$TMP/spin.log"; do sleep 0.1; i=$((i + 1)); done
if grep -qE "^ltrun: SIGTERM received; stopping after the running step \(module 'crashy', hook training_step, running for [1-9][0-9.]* s\); send it again to stop at once without saving$" "$TMP/spin.log"; then
    pass "first SIGTERM during a spinning training_step is answered within 1 s, naming it"
else fail "first SIGTERM during a spinning training_step: no message within 1 s:"; tail -n 5 "$TMP/spin.log" | sed 's/^/    /'; fi
if kill -0 $pid 2> /dev/null; then pass "the first SIGTERM waits for the step"
else fail "the first SIGTERM ended the run"; fi
kill -TERM $pid
wait $pid
rc=$?
kill $killer 2> /dev/null
if [ $rc -eq 143 ]; then pass "a second SIGTERM ends the run (143)"
else fail "a second SIGTERM: exit $rc, expected 143"; tail -n 5 "$TMP/spin.log" | sed 's/^/    /'; fi

finish
