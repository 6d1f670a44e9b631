#!/usr/bin/env bash
# setup.sh — installs what Tianti needs from Debian's packages (when
# missing), synthesises the speech demo's audio (espeak-ng) and builds it.
# Usage: scripts/setup.sh [--test] [--bench] [--build DIR] [--sanitize | --tsan | --fuzz] [--no-build]
#   --test      also install what the tests need: jq, numpy, clang and its
#               libFuzzer runtime, man-db (man -l renders the man page),
#               dpkg-dev (cpack -G DEB: dpkg-shlibdeps), PostgreSQL (the server the store tests
#               start, tests/tools/pg_cluster.sh), Chromium, Node.js with npm, and
#               playwright-core (`npm ci` in tests/browser)
#   --bench     also install the Python peers the benchmark programs run beside
#               Tianti (pandas, SciPy, scikit-learn: FastChat's rating pipeline
#               in tests/perf/ratings_peer.py) and llama.cpp's prebuilt CPU build
#               (`npm ci` in tools/llamacpp: node-llama-cpp, for
#               tests/perf/vs_llamacpp.py)
#   --build DIR build folder (default build)
#   --sanitize  configure the build with ASan + UBSan (TIANTI_SANITIZE)
#   --tsan      configure the build with ThreadSanitizer (TIANTI_TSAN)
#   --fuzz      configure a clang build with the libFuzzer targets
#               (TIANTI_FUZZ, with ASan + UBSan) and build only those
#   --no-build  install, do not build
# Warnings are errors (TIANTI_WERROR) in every build.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_bench=0
build=build
flags=()
cc=
targets=()
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --test) want_test=1 ;;
    --bench) want_bench=1 ;;
    --build) build="$2"; shift ;;
    --sanitize) flags+=(-DTIANTI_SANITIZE=ON) ;;
    --tsan) flags+=(-DTIANTI_TSAN=ON) ;;
    --fuzz) flags+=(-DTIANTI_FUZZ=ON); cc=clang
            targets=(--target)
            for t in gguf tokenizer task template replay serve arena; do targets+=(fuzz_$t fuzz_${t}_replay); done ;;
    --no-build) do_build=0 ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

packages=(build-essential cmake pkg-config libcurl4-openssl-dev libjansson-dev libsqlite3-dev
          libcmocka-dev libmicrohttpd-dev zlib1g-dev libpcre2-dev libpq-dev libseccomp-dev libyaml-dev libbz2-dev gnuplot-nox fonts-noto-cjk sqlite3 curl python3
          espeak-ng)
if [ "$want_test" = 1 ]; then
  packages+=(chromium jq python3-numpy clang libclang-rt-dev postgresql man-db groff-base dpkg-dev)
  # Node.js for the browser test: Debian's, unless a node and npm are already there
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
fi
if [ "$want_bench" = 1 ]; then
  packages+=(python3-numpy python3-pandas python3-scipy python3-sklearn)
  # llama.cpp for tests/perf/vs_llamacpp.py, through node-llama-cpp (npm)
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
fi
[ -n "$cc" ] && packages+=(clang libclang-rt-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (a few minutes on a fresh machine; apt's progress follows)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # progress: one line per package unpacked and set up, not apt's whole chatter
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 |
    { grep --line-buffered -E '^(Unpacking|Setting up|E:)' || true; }
  echo "setup: installed"
fi

# the speech demo's audio, spoken offline by espeak-ng from the project's
# own sentences (tasks/speech_demo/gen_audio.py; tasks/speech_demo/audio/ is
# not in git)
if [ ! -f tasks/speech_demo/audio/zh-04.wav ]; then
  python3 tasks/speech_demo/gen_audio.py
fi

# the browser test drives Chromium through playwright-core (tests/browser/package-lock.json)
if [ "$want_test" = 1 ]; then
  echo "setup: npm ci in tests/browser (playwright-core)"
  t0=$SECONDS
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "setup: npm ci done in $((SECONDS - t0)) s"
fi

# llama.cpp's prebuilt CPU build for the side-by-side benchmark (tools/llamacpp/package-lock.json)
if [ "$want_bench" = 1 ] && [ ! -d tools/llamacpp/node_modules/node-llama-cpp ]; then
  echo "setup: npm ci in tools/llamacpp (node-llama-cpp: llama.cpp for tests/perf/vs_llamacpp.py)"
  (cd tools/llamacpp && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

[ "$do_build" = 1 ] || exit 0
jobs=$(nproc 2>/dev/null || echo 2)
echo "setup: configuring $build ${flags[*]}"
t0=$SECONDS
if [ -n "$cc" ]; then export CC="$cc"; fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIANTI_WERROR=ON \
  -DTIANTI_SANITIZE=OFF -DTIANTI_TSAN=OFF -DTIANTI_FUZZ=OFF "${flags[@]}" >/dev/null
# progress: a compile line at every 10 %, one line per linked program and
# library, and every warning or error
echo "setup: building $build (${jobs} jobs)"
cmake --build "$build" -j "$jobs" "${targets[@]}" 2>&1 |
  awk '/^\[ *[0-9]+%\] Building C object/ { p = $0; sub(/^\[ */, "", p); sub(/%.*/, "", p)
                                             if (p + 0 < last + 10) next; last = p + 0 }
       { print; fflush() }' 
echo "setup: built $build in $((SECONDS - t0)) s"
