#!/bin/bash
# device_bundle.sh — make a folder that runs ltrun on a machine with no package registry
# (the GPU machine lent to the project: Ubuntu 24.04, CUDA, no apt sources reachable).
#
#   scripts/device_bundle.sh [DIR]      # here, on Debian 12 (default DIR: device-bundle)
#   # carry DIR to the other machine (it is git-ignored), then there:
#   . DIR/env.sh                        # unpacks the libraries once, sets the paths
#   ltrun fit --module mlp --data mnist ...
#
# What it holds: ltrun built here with its plugins and examples (DIR/stage), and the
# runtime .debs of the libraries ltrun links that a stock Ubuntu 24.04 may lack (DIR/debs),
# fetched with `apt-get download` — the Debian packages themselves, unpacked there with
# `dpkg -x` into a private prefix; nothing is installed system-wide. Everything the other
# machine already has (libc, libstdc++, libcurl, libssl, zlib, libpng) comes from it.
# About 25 MiB: under the device tool's 64 MiB carry limit.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-device-bundle}
BUILD=${TMPDIR:-/tmp}/ltrun-device-build # outside DIR: objects are not carried
mkdir -p "$DIR/debs" "$DIR/stage" "$BUILD"
DIR=$(cd "$DIR" && pwd)

# the libraries ltrun, its plugins and examples load (ldd of build/ltrun and the .so's)
# that are not part of a base Ubuntu 24.04 system
PKGS="libopenblas0 libopenblas0-openmp libopenblas0-pthread libdnnl2 libuv1 libcjson1
      libhdf5-103-1 libsz2 libaec0 libgfortran5 libquadmath0 ocl-icd-libopencl1 libyaml-0-2"
(cd "$DIR/debs" && rm -f ./*.deb && apt-get download $PKGS > /dev/null)

# a build of its own, so the bundle does not depend on how build/ was configured
[ -x configure ] || autoreconf -fi > /dev/null
SRC=$PWD
(cd "$BUILD" && { [ -f Makefile ] || "$SRC/configure" --quiet; } && make -j"$(nproc)" > /dev/null)
rm -rf "$DIR/stage" && mkdir -p "$DIR/stage/plugins"
cp "$BUILD/ltrun" "$DIR/stage/"
find "$BUILD/plugins" "$BUILD/examples" -maxdepth 2 -name '*.so' -exec cp {} "$DIR/stage/plugins/" \;
cp -r sdk/include "$DIR/stage/include" # for plugins built there (nvcc, cc)

cat > "$DIR/env.sh" <<'EOF'
# . env.sh — put this bundle's ltrun on PATH with its libraries (unpacked on first use)
B=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
R=${LTRUN_BUNDLE_ROOT:-${TMPDIR:-/tmp}/ltrun-bundle-root}
if [ ! -f "$R/.unpacked" ]; then
    mkdir -p "$R" && for d in "$B"/debs/*.deb; do dpkg -x "$d" "$R"; done && touch "$R/.unpacked"
fi
L="$R/usr/lib/x86_64-linux-gnu"
# the OpenMP build of OpenBLAS, as Debian's alternatives choose it by default here
export LD_LIBRARY_PATH="$L/openblas-openmp:$L:${LD_LIBRARY_PATH:-}"
export LT_PLUGIN_PATH="$B/stage/plugins${LT_PLUGIN_PATH:+:$LT_PLUGIN_PATH}"
export PATH="$B/stage:$PATH"
EOF
du -sh "$DIR/debs" "$DIR/stage" | sed 's/^/device_bundle: /'
echo "device_bundle: ready in $DIR: carry it, then '. $(basename "$DIR")/env.sh' there"
