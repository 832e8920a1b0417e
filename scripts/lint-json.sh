#!/usr/bin/env bash
# Fails on throwing nlohmann/json calls in sdk/ and wasm/ (an abort of the wasm module, see
# scripts/lint-json.py). Self-test first, so a broken linter cannot pass silently.
set -uo pipefail
cd "$(dirname "$0")/.."
cases=scripts/lint-json-cases
bad=$(python3 scripts/lint-json.py $cases/bad.cpp | grep -oE '^\S+:[0-9]+: ' | sort -u | wc -l)
expected=$(grep -cE '^  (auto|int|for|std::string) ' $cases/bad.cpp)
if [ "$bad" -ne "$expected" ]; then echo "lint-json self-test: $bad of $expected bad lines reported"; exit 1; fi
if ! python3 scripts/lint-json.py $cases/good.cpp >/dev/null; then
  echo "lint-json self-test: false positives in $cases/good.cpp:"; python3 scripts/lint-json.py $cases/good.cpp; exit 1
fi
python3 scripts/lint-json.py sdk wasm
