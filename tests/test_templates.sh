#!/bin/sh
# test_templates.sh — SDK templates and `ltrun new` (third parties): install
# ltrun into a staging dir (make install DESTDIR=...), then for each kind create a
# project with the installed `ltrun new KIND NAME DIR`, build it out of tree against the
# installed SDK only (pkg-config sees nothing but the installed ltsdk.pc, with
# PKG_CONFIG_SYSROOT_DIR mapping the configured prefix into the staging dir), and run it
# through the installed ltrun: module + datamodule fit and learn; the callback prints its
# epoch lines and its logged value reaches metrics.csv; the logger writes its text file.
# Also `ltrun new`'s refusals (bad kind, bad name, non-empty DIR) and the default DIR.
. "${top_srcdir:-.}/tests/lib.sh"
unset LTRUN_TEMPLATE_DIR
export XDG_DATA_HOME="$TMP/xdg"
DEST="$TMP/dest"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/sdk/ltsdk.pc")
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install DESTDIR="$DEST" \
    > "$TMP/install.log" 2>&1; then
    tail -n 20 "$TMP/install.log"
    fail "make install DESTDIR=$DEST"
    finish
    exit 1
fi
pass "make install DESTDIR (prefix $prefix)"
PC=$(dirname "$(find "$DEST" -name ltsdk.pc | head -n 1)")
BIN=$(dirname "$(find "$DEST" -type f -name ltrun -perm -u+x | head -n 1)")
TPL=$(find "$DEST" -type d -path '*/templates/module' | head -n 1)
if [ -f "$PC/ltsdk.pc" ] && [ -x "$BIN/ltrun" ] && [ -f "$TPL/tpl_module.c" ] &&
    [ -f "$TPL/../logger/Makefile" ]; then
    pass "installed: ltsdk.pc, ltrun, templates under pkgdatadir"
else fail "installed layout: pc '$PC' bin '$BIN' templates '$TPL'"; fi
case "$TPL" in "$DEST$prefix"/share/*/templates/module) pass "templates in \$(pkgdatadir)/templates" ;;
*) fail "templates at $TPL, not under $DEST$prefix/share" ;; esac
ILTRUN="$BIN/ltrun"
# only the installed SDK: no other .pc dir, and the staged root mapped in
export PKG_CONFIG_LIBDIR="$PC" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$DEST"
cflags=$(pkg-config --cflags ltsdk)
case "$cflags" in *"-I$DEST"*) pass "pkg-config --cflags ltsdk points into the install ($cflags)" ;;
*) fail "pkg-config --cflags ltsdk: '$cflags'" ;; esac
export LT_PLUGIN_PATH="$DEST$prefix/lib/ltrun/plugins" # the installed loggers (csv default)

W="$TMP/w"
mkdir -p "$W"
# new + out-of-tree build of each kind (from the installed ltrun, no LTRUN_TEMPLATE_DIR)
for spec in module:mymod datamodule:mydata callback:mycb logger:mylog; do
    kind=${spec%%:*} name=${spec#*:}
    expect "new $kind $name" 0 "build it with" -- "$ILTRUN" new "$kind" "$name" "$W/$name"
    if [ -f "$W/$name/$name.c" ] && [ -f "$W/$name/Makefile" ] && [ -f "$W/$name/README.md" ] &&
        ! grep -rq "tpl_$kind" "$W/$name"; then
        pass "new $kind: files renamed, no placeholder left"
    else fail "new $kind: files $(ls "$W/$name" | tr '\n' ' ')"; fi
    if (cd "$W/$name" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make) > "$TMP/build.log" 2>&1 &&
        [ -f "$W/$name/$name.so" ] && ! grep -q -- "-I$top_srcdir\|-I$top_builddir" "$TMP/build.log"; then
        pass "build $kind out of tree with the installed SDK"
    else
        tail -n 10 "$TMP/build.log" | sed 's/^/    /'
        fail "build $kind out of tree"
    fi
done
# the renamed plugin names, as the host sees them
LT_PLUGIN_PATH="$W/mymod:$W/mydata:$W/mycb:$W/mylog" "$ILTRUN" plugins > "$TMP/plugins.txt" 2>&1
for want in "module +mymod" "datamodule +mydata" "callback +mycb" "logger +mylog"; do
    if grep -qE "^$want " "$TMP/plugins.txt"; then pass "ltrun plugins: $want"
    else fail "ltrun plugins lacks /$want/:"; cat "$TMP/plugins.txt"; fi
done

fit() { # fit DIR ARGS...: the new module on the new data, 3 epochs, in DIR
    d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$ILTRUN" fit --module "$W/mymod/mymod.so" --data "$W/mydata/mydata.so" \
        --data.seed 5 --seed 1 --trainer.max_epochs 3 --trainer.enable_progress_bar false \
        --trainer.enable_model_summary false "$@") > "$d.out" 2>&1
}
# module + datamodule: a short fit that learns (linear blobs: val_acc reaches 1)
if fit "$W/r1"; then pass "fit new module + datamodule"; else fail "fit:"; tail -n 5 "$W/r1.out"; fi
csv="$W/r1/lightning_logs/version_0/metrics.csv"
acc=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "val_acc") c = i; next }
    c && $c != "" { v = $c } END { print v + 0 }' "$csv" 2>/dev/null)
if ge "${acc:-0}" 0.9; then pass "the template module learns the template data (val_acc $acc)"
else fail "val_acc after 3 epochs: '$acc'"; fi
if grep -q '^seed: 5' "$W/r1/lightning_logs/version_0/hparams.yaml"; then
    pass "datamodule hparams recorded (seed 5)"; else fail "hparams.yaml"; fi

# callback: its epoch lines on stdout, its logged value reaches the logger
if fit "$W/r2" --callback "$W/mycb/mycb.so:{\"prefix\": \"[cb]\"}"; then
    pass "fit with the new callback"; else fail "fit with callback:"; tail -n 5 "$W/r2.out"; fi
if [ "$(grep -c '^\[cb\]: train epoch [0-2] ended at step' "$W/r2.out")" -eq 3 ] &&
    [ "$(grep -c '^\[cb\]: validation epoch [0-2] ended' "$W/r2.out")" -eq 3 ]; then
    pass "callback prints each train and validation epoch end"
else fail "callback lines:"; grep '^\[cb\]' "$W/r2.out"; fi
if head -n 1 "$W/r2/lightning_logs/version_0/metrics.csv" | grep -q 'mycb/epochs_seen' &&
    grep -q ',3\.0,' "$W/r2/lightning_logs/version_0/metrics.csv"; then
    pass "callback's logged value in metrics.csv (mycb/epochs_seen up to 3)"
else fail "metrics.csv:"; cat "$W/r2/lightning_logs/version_0/metrics.csv"; fi

# logger: its text file in default_root_dir, next to the default csv logger's output
if fit "$W/r3" --logger "$W/mylog/mylog.so" --logger csv; then pass "fit with the new logger"
else fail "fit with logger:"; tail -n 5 "$W/r3.out"; fi
log="$W/r3/mylog.txt"
if grep -q '^hparams {.*"seed":5' "$log" && [ "$(grep -c '^step [0-9]* .*val_loss=' "$log")" -eq 3 ] &&
    grep -q '^step 23 .*epoch=2' "$log" && [ "$(tail -n 1 "$log")" = "finalize success" ] &&
    [ -f "$W/r3/lightning_logs/version_0/metrics.csv" ]; then
    pass "logger writes hparams, metrics at their steps and finalize to mylog.txt"
else fail "mylog.txt:"; cat "$log"; fi
expect "logger: unknown init arg named" 2 "init arg colour: plugin .mylog. has no such" -- \
    "$ILTRUN" fit --module "$W/mymod/mymod.so" --data "$W/mydata/mydata.so" \
    --logger "$W/mylog/mylog.so:{\"colour\": 1}" --trainer.max_epochs 1 \
    --trainer.default_root_dir "$W/r4"
[ ! -e "$W/r4/mylog.txt" ] && pass "logger: a refused run leaves no file" ||
    fail "logger: refused run created $W/r4/mylog.txt"

# refusals and defaults of `ltrun new`
expect "new: unknown kind" 2 "unknown kind 'strategy'" -- "$ILTRUN" new strategy s "$W/s"
expect "new: invalid name" 2 "invalid name '9lives'" -- "$ILTRUN" new module 9lives "$W/n"
expect "new: name with a dash" 2 "invalid name 'my-mod'" -- "$ILTRUN" new module my-mod "$W/n"
expect "new: missing NAME" 2 "expected KIND NAME" -- "$ILTRUN" new module
expect "new: refuses a non-empty DIR" 2 "already exists and is not empty" -- \
    "$ILTRUN" new module other "$W/mymod"
[ ! -e "$W/mymod/other.c" ] && pass "new: nothing written into the non-empty DIR" ||
    fail "new wrote into a non-empty DIR"
mkdir -p "$W/empty"
expect "new: an existing empty DIR is fine" 0 "" -- "$ILTRUN" new logger l2 "$W/empty"
(cd "$W" && "$ILTRUN" new datamodule dflt > /dev/null 2>&1)
[ -f "$W/dflt/dflt.c" ] && pass "new: DIR defaults to ./NAME" || fail "new: default DIR"
# from the build tree: the templates found through LTRUN_TEMPLATE_DIR
expect "new from the build tree (LTRUN_TEMPLATE_DIR)" 0 "build it with" -- \
    env LTRUN_TEMPLATE_DIR="$top_srcdir/sdk/templates" "$LTRUN" new callback bt "$W/bt"
finish
