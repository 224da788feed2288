#!/bin/sh
# test_build_tree.sh — which plugins an ltrun finds by name. The build-tree ltrun (the
# README's quick start) finds its own build's plugins without `make install` or
# LT_PLUGIN_PATH and never the installed ones (so `make check` after `make install`
# tests this build); a copy outside the build, as installed, searches only the
# configured install folder, which comes from the generated ltr_dirs.h.
. "${top_srcdir:-.}/tests/lib.sh"

D="$TMP/data"
mkdir -p "$D"
"$top_builddir/tests/make_idx" "$D" 256 64 gzip || { echo "make_idx failed"; exit 1; }
plugdir=$(sed -n 's/^#define LTR_PLUGINDIR "\(.*\)"$/\1/p' "$top_builddir/ltr_dirs.h")
if [ -n "$plugdir" ]; then pass "ltr_dirs.h names the configured plugin folder ($plugdir)"
else fail "ltr_dirs.h names the configured plugin folder"; fi

expect "build-tree ltrun: --module mlp --data mnist --callback lr_monitor --logger tensorboard by name" \
    0 "" -- "$LTRUN" fit --module mlp --data mnist --data.data_dir "$D" --data.val_size 64 \
    --trainer.max_epochs 1 --trainer.limit_train_batches 2 --trainer.limit_val_batches 1 \
    --trainer.enable_progress_bar false --callback lr_monitor --logger tensorboard \
    --trainer.default_root_dir "$TMP/run"
if find "$TMP/run" -name 'events.out.tfevents.*' | grep -q .; then
    pass "the build's tensorboard logger wrote its event file"
else fail "the build's tensorboard logger wrote its event file"; fi

out=$("$LTRUN" plugins 2>&1)
if printf '%s\n' "$out" | grep -qx "  $top_builddir/plugins" &&
   printf '%s\n' "$out" | grep -qx "  $top_builddir/examples" &&
   ! printf '%s\n' "$out" | grep -qx "  $plugdir"; then
    pass "build-tree search path: the build's plugins and examples, not the installed folder"
else fail "build-tree search path"; printf '%s\n' "$out" | head -n 6 | sed 's/^/    /'; fi
expect "build-tree ltrun plugins lists the build's lr_monitor" 0 \
    "^callback +lr_monitor +.* $top_builddir/plugins/callbacks/lr_monitor.so" -- "$LTRUN" plugins

# a copy elsewhere stands for the installed binary: the install folder only
mkdir -p "$TMP/prefix/bin"
cp "$LTRUN" "$TMP/prefix/bin/ltrun"
out=$("$TMP/prefix/bin/ltrun" plugins 2>&1)
if printf '%s\n' "$out" | grep -qx "  $plugdir" && ! printf '%s\n' "$out" | grep -q "$top_builddir"; then
    pass "an installed ltrun searches the configured folder, not the build"
else fail "an installed ltrun's search path"; printf '%s\n' "$out" | head -n 6 | sed 's/^/    /'; fi

# the header is a real dependency: reconfiguring (another --prefix) rebuilds what uses it
po=$(ls "$top_builddir"/runtime/plugin/.deps/*discover*.Po 2>/dev/null | head -n 1)
if [ -z "$po" ]; then skip "discover.o depends on ltr_dirs.h" "no dependency tracking"
elif grep -q 'ltr_dirs\.h' "$po"; then pass "discover.o depends on ltr_dirs.h"
else fail "discover.o depends on ltr_dirs.h"; fi

# `ltrun plugins` columns line up under their headings
"$LTRUN" plugins 2>&1 | grep -E '^(module|datamodule|callback|logger|strategy) ' >"$TMP/rows"
hdr=$("$LTRUN" plugins 2>&1 | grep '^KIND ')
col=$(printf '%s\n' "$hdr" | awk '{ print index($0, "PATH") }')
bad=$(awk -v c="$col" 'substr($0, c, 1) != "/" || substr($0, c - 1, 1) != " "' "$TMP/rows" | head -n 1)
if [ -s "$TMP/rows" ] && [ -z "$bad" ]; then pass "ltrun plugins: every path starts under PATH"
else fail "ltrun plugins columns: '$bad'"; printf '%s\n' "$hdr"; fi

# --help: every shipped logger, each line once, and documentation that is installed
docdir=$(sed -n 's/^#define LTR_DOCDIR "\(.*\)"$/\1/p' "$top_builddir/ltr_dirs.h")
"$LTRUN" --help >"$TMP/help.txt" 2>&1
if grep -q "mlflow" "$TMP/help.txt"; then pass "--help lists the mlflow logger"
else fail "--help lists the mlflow logger"; fi
n=$(grep -c "ltrun inspect FILE" "$TMP/help.txt")
if [ "$n" -eq 1 ]; then pass "--help has the inspect line once"
else fail "--help has the inspect line $n times"; fi
if grep -qF "$docdir/README.md" "$TMP/help.txt" && grep -q "man ltrun" "$TMP/help.txt"; then
    pass "--help points to the installed README and the manual page"
else fail "--help points to the installed README and the manual page"; fi
for f in "$top_srcdir/README.md" "$top_srcdir/sdk/include/ltrun.h"; do
    if grep -nE "DESIGN\.md|reference/lightning\.md" "$f" >"$TMP/refs"; then
        fail "$(basename "$f") points users to files they do not have:"; sed 's/^/    /' "$TMP/refs"
    else pass "$(basename "$f") points to no unshipped document"; fi
done

# make install DESTDIR=...: the README (with the docs it links) and the manual page
dest="$TMP/dest"
if (cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install-man \
        install-dist_docDATA install-nobase_dist_docDATA DESTDIR="$dest") >"$TMP/inst.log" 2>&1; then
    pass "make install DESTDIR=... installs the documentation"
else fail "make install of the documentation"; tail -n 5 "$TMP/inst.log" | sed 's/^/    /'; fi
if [ -f "$dest$docdir/README.md" ] && [ -f "$dest$docdir/docs/checkpoint-format.md" ]; then
    pass "the README and docs/ are installed under docdir ($docdir)"
else fail "the README and docs/ under $dest$docdir"; fi
man=$(find "$dest" -path '*/man1/ltrun.1' | head -n 1)
if [ -n "$man" ] && grep -q '^\.TH LTRUN 1' "$man" && grep -qF "$plugdir" "$man" &&
   ! grep -q '@[a-z]*@' "$man"; then
    pass "ltrun.1 is installed under mandir, naming the configured plugin folder"
else fail "ltrun.1 under mandir ('$man')"; fi
finish
