// The size budget: everything a page loads from dist/ (touchpoint.mjs + touchpoint.wasm), gzip -9.
// Sizes are deterministic (dist/ is byte-identical for the same sources), so this may be a test.
// The budget only ever goes down: lower it when a change makes the SDK smaller (docs/sdk.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT } from '../support/collector.mjs';

// Measured for this commit (see the figures in docs/sdk.md "Size"); target 69 KB (70,656 B).
const PAGE_BUDGET_GZIP_BYTES = 170872;  // +125 B: a late lease holder steps down (sender.js onLost); 27,791 mjs + 142,956 wasm: the declared platform contract (js/src/platform/contract.js, +416 mjs) on 27,375 mjs after issue 7 (shared record queue +9,756 alone, ack-confirmed delivery +1,726, kiosk +2,378, perf -160) and the web-view session chain (+533), on 156,420
const PAGE_FILES = ['touchpoint.mjs', 'touchpoint.wasm'];

test(`what a page loads from dist/ stays within ${PAGE_BUDGET_GZIP_BYTES} B gzip -9`, () => {
  let total = 0;
  const parts = [];
  for (const f of PAGE_FILES) {
    const bytes = fs.readFileSync(path.join(ROOT, 'dist', f));
    const gz = zlib.gzipSync(bytes, { level: 9 }).length;
    total += gz;
    parts.push(`${f} ${bytes.length} B raw, ${gz} B gzip`);
  }
  assert.ok(total <= PAGE_BUDGET_GZIP_BYTES, `${total} B gzip > budget ${PAGE_BUDGET_GZIP_BYTES} B (${parts.join('; ')})`);
});
