#!/bin/sh
# test_grad_norm.sh — gradients reach plugins (ABI 1.8): a callback logs lt_grad_norm
# from on_before_optimizer_step (Lightning's self.log_dict(grad_norm(module, p))) and
# checks lt_grad. grad_module's gradients are known by hand: dloss/dw = w = [1, -2, 3,
# -4], dloss/db = [3, 3], so the 2-norms are sqrt(30), sqrt(18) and sqrt(48) in total,
# the 1-norms 10, 6, 16, the max norms 4, 3, 4.
. "${top_srcdir:-.}/tests/lib.sh"
P="$top_builddir/tests/plugins"

# col FILE NAME: NAME's value in metrics.csv's first row that has it
col() {
    awk -F, -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
                      c && $c != "" { print $c; exit }' "$1"
}
# near A B: |A - B| <= 1e-6 * |B|
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
                                         exit !(a != "" && d <= 1e-6 * m) }'; }

run_p() { # run_p P DIR: two steps with the callback at norm_type P
    "$LTRUN" fit --module "$P/grad_module.so" --data "$P/trace_data.so" --seed 1 \
        --trainer.max_steps 2 --trainer.log_every_n_steps 1 --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false --trainer.default_root_dir "$2" \
        --trainer.limit_val_batches 0 \
        --callback "$P/grad_norm_callback.so:{\"norm_type\": \"$1\"}" >"$TMP/out.txt" 2>&1
}

check() { # check P PTEXT W B TOTAL
    d="$TMP/p$1"
    if ! run_p "$1" "$d"; then fail "grad_norm $1: the run failed"; tail -n 3 "$TMP/out.txt"; return; fi
    csv="$d/lightning_logs/version_0/metrics.csv"
    w=$(col "$csv" "grad_$2_norm/w"); b=$(col "$csv" "grad_$2_norm/b")
    t=$(col "$csv" "grad_$2_norm_total")
    if near "$w" "$3" && near "$b" "$4" && near "$t" "$5"; then
        pass "grad_norm($2): w $w, b $b, total $t as computed by hand"
    else fail "grad_norm($2): w '$w' (want $3), b '$b' (want $4), total '$t' (want $5)"
         head -n 2 "$csv" 2>/dev/null | sed 's/^/    /'; fi
}
check 2 2.0 5.477225575051661 4.242640687119285 6.928203230275509
check 1 1.0 10 6 16
check inf inf 4 3 4

csv="$TMP/p2/lightning_logs/version_0/metrics.csv"
if [ "$(col "$csv" grad_w_equals_w)" = "1.0" ]; then pass "lt_grad(w) holds dloss/dw = w"
else fail "lt_grad(w) holds dloss/dw = w: '$(col "$csv" grad_w_equals_w)'"; fi
# two logged steps, each with the keys (Lightning logs them every optimizer step)
rows=$(awk -F, 'NR > 1 && $0 ~ /[0-9]/' "$csv" | wc -l)
if [ "$rows" -ge 2 ]; then pass "the norms are logged at each of the 2 steps"
else fail "the norms are logged at each step ($rows rows)"; fi

run_p 0 "$TMP/p0"
rc=$?
if [ $rc -eq 1 ] && grep -q "grad_norm_callback.*lt_grad_norm: .norm_type. must be a positive number or 'inf'" "$TMP/out.txt"; then
    pass "norm_type 0 is refused as Lightning refuses it, naming the callback"
else fail "norm_type 0 is refused (exit $rc)"; tail -n 3 "$TMP/out.txt" | sed 's/^/    /'; fi
finish
