#!/usr/bin/env bash
# Builds everything once: the native core, tests, tools and collector (build-native/) and the
# WebAssembly module assembled into build-wasm/dist/. `--update-dist` also copies it to dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export NODE_PATH=/usr/share/nodejs                                   # emcc's JS optimizer needs acorn
export EM_CLOSURE_COMPILER=$ROOT/node_modules/.bin/google-closure-compiler
JOBS=${JOBS:-2}

cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-native -j"$JOBS"

if [ ! -f build-wasm/CMakeCache.txt ]; then
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node >/dev/null
fi
cmake --build build-wasm -j"$JOBS"
node scripts/build-dist.mjs build-wasm build-wasm/dist

if [ "${1:-}" = "--update-dist" ]; then
  mkdir -p dist
  cp build-wasm/dist/touchpoint.* dist/
  mkdir -p dist/miniprogram && cp build-wasm/dist/miniprogram/* dist/miniprogram/
  echo "build: dist/ updated"
fi
