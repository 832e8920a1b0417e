#!/usr/bin/env bash
# Runs every test: installs what is missing, builds once, then native doctests (ctest), the rule
# workload replays, Node tests against the built module and dist/, the collector's HTTP tests and
# browser end-to-end tests in headless Chromium, then real WebKit (WebKitGTK under Xvfb) and Firefox
# ESR, against the real collector.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$(date +%s)

bash scripts/setup.sh || { echo "setup failed"; exit 1; }
bash scripts/build.sh || { echo "build failed"; exit 1; }

passed=0; failed=0; failures=()
step() {  # step NAME COMMAND...
  local name=$1; shift
  echo; echo "=== $name"
  local t0=$(date +%s)
  if "$@"; then passed=$((passed+1)); echo "--- ok: $name ($(( $(date +%s)-t0 )) s)"
  else failed=$((failed+1)); failures+=("$name"); echo "--- FAILED: $name ($(( $(date +%s)-t0 )) s)"; fi
}

export TP_COLLECTOR=$ROOT/build-native/touchpoint-collector
export TP_CORE_JS=$ROOT/build-wasm/touchpoint_core.js
export TP_RULES_TEST_JS=$ROOT/build-wasm/touchpoint_rules_test.js
export TP_RULES_EVENTS_DIR=$ROOT/build-native/rules-workload

step "dist/ is fresh" bash scripts/check-dist.sh
step "no throwing nlohmann calls in sdk/ wasm/ (lint)" bash scripts/lint-json.sh
step "native core (doctest via ctest)" ctest --test-dir build-native --output-on-failure
step "rule workload replays (native CLI)" bash scripts/replay-workloads.sh build-native
step "node tests (wasm module, dist/, collector on SQLite)" node --test --test-concurrency=1 tests/node/ tests/collector/
# The same collector suites on PostgreSQL: a throwaway cluster in a temp dir (77: no server binaries).
collector_on_postgres() {
  bash scripts/with-postgres.sh node --test --test-concurrency=1 tests/collector/
  local rc=$?; [ $rc -eq 77 ] && return 0; return $rc
}
step "collector tests on PostgreSQL (throwaway cluster)" collector_on_postgres
# libFuzzer smoke: every target 20 s (a separate sanitizer build, build-fuzz/; fuzz/README.md).
step "fuzz smoke (libFuzzer, 5 targets x 20 s)" bash scripts/fuzz.sh "${TP_FUZZ_SECONDS:-20}"
step "browser end-to-end (headless Chromium)" node --test --test-concurrency=1 tests/browser/
step "cross-browser end-to-end (WebKit, Firefox)" node --test --test-concurrency=1 tests/browser-x/
step "mini-program (simulated runtime, collector, web-view in Chromium)" node --test --test-concurrency=1 tests/miniprogram/

echo
echo "=== summary ($(( $(date +%s)-START )) s)"
[ $failed -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
