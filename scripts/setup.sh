#!/usr/bin/env bash
# setup.sh — installs what Tianti needs from Debian's packages (when
# missing) and builds it. Usage: scripts/setup.sh [--test] [--build DIR] [--sanitize]
#   --test      also install what the tests need (Chromium for the browser test,
#               and playwright-core with `npm ci` in tests/browser when npm exists)
#   --build DIR build folder (default build)
#   --sanitize  configure the build with ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
build=build
sanitize=OFF
while [ $# -gt 0 ]; do
  case "$1" in
    --test) want_test=1 ;;
    --build) build="$2"; shift ;;
    --sanitize) sanitize=ON ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

packages=(build-essential cmake pkg-config libcurl4-openssl-dev libjansson-dev libsqlite3-dev
          libcmocka-dev libmicrohttpd-dev zlib1g-dev gnuplot-nox fonts-noto-cjk sqlite3 curl python3)
if [ "$want_test" = 1 ]; then
  packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the browser test drives Chromium through playwright-core (tests/browser/package-lock.json)
if [ "$want_test" = 1 ] && command -v npm >/dev/null; then
  echo "setup: npm ci in tests/browser"
  (cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIANTI_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
echo "setup: built $build/tianti"
