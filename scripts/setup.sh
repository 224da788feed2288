#!/bin/sh
# setup.sh — install the Debian packages that building, testing and running ltrun
# need (only those missing), then configure and build in ./build.
#   scripts/setup.sh            packages + build
#   scripts/setup.sh --deps     packages only
set -eu
PKGS="build-essential autoconf automake pkg-config libopenblas-dev libopenblas-openmp-dev libdnnl-dev libuv1-dev libcjson-dev
libyaml-dev libhdf5-dev hdf5-tools zlib1g-dev libpng-dev check dataset-fashion-mnist libopenmpi-dev openmpi-bin openssh-client"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
[ "${1:-}" = "--deps" ] && exit 0

cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure --quiet
make -j"$(nproc)"
