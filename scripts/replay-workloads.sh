#!/usr/bin/env bash
# Replays tests/data/rules-workload (100,000 events x 9 rule sets) with the native
# `touchpoint-rules replay` and compares each result with expected/*.json.
#   scripts/replay-workloads.sh BUILD_NATIVE_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-native}
SHARED=tests/data/rules-workload
EVENTS_DIR=$BUILD/rules-workload
if [ ! -s "$EVENTS_DIR/events.ndjson" ]; then
  echo "generating the workload events into $EVENTS_DIR (about 40 s)"
  (cd "$SHARED" && node convert.mjs "$OLDPWD/$EVENTS_DIR" >/dev/null) || { echo "convert.mjs failed"; exit 1; }
fi
status=0
for rules in "$SHARED"/rules/*.json; do
  name=$(basename "$rules")
  got="$EVENTS_DIR/got-$name"
  start=$(date +%s%N)
  if ! "$BUILD/touchpoint-rules" replay --rules "$rules" --events "$EVENTS_DIR/events.ndjson" > "$got"; then
    echo "$name: replay failed"; status=1; continue
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if result=$(node "$SHARED/compare.mjs" "$SHARED/expected/$name" "$got"); then
    echo "$name: $result (${ms} ms for 100,000 events)"
  else
    echo "$name: MISMATCH"; echo "$result"; status=1
  fi
  # The same set compiled into the program devices load (touchpoint-rules compile) must give
  # byte-identical summaries.
  program="$EVENTS_DIR/program-$name"
  if ! "$BUILD/touchpoint-rules" compile "$rules" -o "$program" 2>/dev/null; then
    echo "$name: compile failed"; status=1; continue
  fi
  if ! "$BUILD/touchpoint-rules" replay --rules "$program" --events "$EVENTS_DIR/events.ndjson" > "$got.program"; then
    echo "$name: replay of the compiled program failed"; status=1; continue
  fi
  if cmp -s "$got" "$got.program"; then
    echo "$name: compiled program gives the identical summary ($(wc -c < "$program") B program)"
  else
    echo "$name: compiled program DIFFERS from the source"; status=1
  fi
done
exit $status
