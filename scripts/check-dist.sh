#!/usr/bin/env bash
# Fails when the committed dist/ differs from a fresh build of the sources (it can never go stale).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for f in touchpoint.wasm touchpoint.mjs touchpoint.umd.js touchpoint.d.ts package.json \
         miniprogram/index.js miniprogram/touchpoint.wasm.br miniprogram/index.d.ts miniprogram/touchpoint.d.ts miniprogram/package.json; do
  if ! cmp -s "build-wasm/dist/$f" "dist/$f"; then
    echo "dist/$f differs from a fresh build: run 'make dist' and commit dist/"
    status=1
  fi
done
[ $status -eq 0 ] && echo "dist/ matches a fresh build"
exit $status
