#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang++-14, ASan+UBSan, -fno-exceptions like the wasm core)
# into build-fuzz/ and runs each for SECONDS (default 30), starting from its committed seed corpus
# (fuzz/corpus/<name>/) plus the working corpus it grew before (build-fuzz/corpus/<name>/).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 ingest restore
# Prints executions and coverage per target; fails if any target found a crash, leak or timeout
# (the reproducer is in build-fuzz/artifacts/: ./build-fuzz/fuzz/fuzz_NAME ARTIFACT).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(ingest restore delivered rules collector_batch)
JOBS=${JOBS:-2}

if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -DTP_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null || { echo "fuzz: configure failed"; exit 2; }
fi
cmake --build build-fuzz -j"$JOBS" --target fuzz_all >/dev/null || { echo "fuzz: build failed (cmake --build build-fuzz --target fuzz_all)"; exit 2; }

mkdir -p build-fuzz/artifacts
# Short allocation stacks: ASan's stack depot was a tenth of every run (reproduce with the default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=5}
status=0
printf '%-16s %12s %10s %8s %8s  %s\n' target execs exec/s cov ft result
for t in "${TARGETS[@]}"; do
  bin=build-fuzz/fuzz/fuzz_$t
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  log=build-fuzz/fuzz_$t.log
  "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="build-fuzz/artifacts/$t-" "$work" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (rc $rc, see $log)"; status=1; fi
  printf '%-16s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ $rc -ne 0 ]; then grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8 | sed 's/^/    /'; fi
done
exit $status
