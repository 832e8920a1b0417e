#!/bin/sh
# Replays the nine rule workloads (condition / window / score x 10 / 100 / 1000 rules) through
# `touchpoint-rules replay` and compares each summary with the expected result.
#
#   scripts/check-rules-workload.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR holds the native `touchpoint-rules`. The 27 MB event stream is generated into
# WORK_DIR (default BUILD_DIR/rules-workload) when missing or stale (about 40 s, needs node).
# Rule sets and expected results come from tests/data/rules-workload (or $TP_TEST_DATA_DIR/rules-workload).
# Exit status: 0 all nine match, 1 a mismatch or failed replay, 2 setup problem.
set -eu

BUILD=${1:?usage: scripts/check-rules-workload.sh BUILD_DIR [WORK_DIR]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${TP_TEST_DATA_DIR:-$ROOT/tests/data}
WORKLOAD=$DATA/rules-workload
WORK=${2:-$BUILD/rules-workload}
CLI=$BUILD/touchpoint-rules

[ -x "$CLI" ] || { echo "check-rules-workload: missing $CLI (build the touchpoint-rules target)" >&2; exit 2; }
[ -d "$WORKLOAD/expected" ] || { echo "check-rules-workload: missing $WORKLOAD" >&2; exit 2; }

# The expected files record the sha256 of the event stream they were computed from.
want=$(sed -n 's/.*"events_sha256": *"\([0-9a-f]*\)".*/\1/p' "$WORKLOAD/expected/condition-10.json")
have=""
if [ -s "$WORK/events.ndjson" ] && command -v sha256sum >/dev/null 2>&1; then
  have=$(sha256sum "$WORK/events.ndjson" | cut -d' ' -f1)
fi
if [ ! -s "$WORK/events.ndjson" ] || { [ -n "$have" ] && [ "$have" != "$want" ]; }; then
  echo "generating the workload events into $WORK (about 40 s)"
  mkdir -p "$WORK"
  node "$WORKLOAD/convert.mjs" "$WORK" >/dev/null || { echo "check-rules-workload: generation failed" >&2; exit 2; }
fi

failed=0
for family in condition window score; do
  for size in 10 100 1000; do
    name=$family-$size
    got=$WORK/got-$name.json
    if ! "$CLI" replay --rules "$WORKLOAD/rules/$name.json" --events "$WORK/events.ndjson" > "$got"; then
      echo "$name: replay failed"
      failed=1
      continue
    fi
    if diff=$(node "$WORKLOAD/compare.mjs" "$WORKLOAD/expected/$name.json" "$got"); then
      echo "$name: match"
    else
      echo "$name: MISMATCH"
      echo "$diff" | sed 's/^/  /'
      failed=1
    fi
  done
done
[ "$failed" -eq 0 ] && echo "all 9 rule workloads match"
exit "$failed"
