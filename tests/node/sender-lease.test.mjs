// The localStorage lease that elects one sending tab where Web Locks are missing
// (js/src/storage/sender.js): on a fake clock and a shared fake localStorage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electSender } from '../../js/src/storage/sender.js';

function world() {
  const items = new Map();
  const kv = { getItem: (k) => (items.has(k) ? items.get(k) : null), setItem: (k, v) => { items.set(k, String(v)); }, removeItem: (k) => { items.delete(k); } };
  let t = 1000;
  let timers = [];
  const clock = {
    now: () => t,
    setTimer: (fn, ms) => { const h = { at: t + ms, fn }; timers.push(h); return h; },
    clearTimer: (h) => { timers = timers.filter((x) => x !== h); },
    // Runs due timers in order up to `to`; `frozen` tabs' timers are skipped (a throttled tab).
    advance(to, frozen = new Set()) {
      for (;;) {
        const due = timers.filter((h) => h.at <= to && !frozen.has(h.owner)).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((h) => h !== due);
        t = Math.max(t, due.at); // a frozen tab's late timer runs now, not in the past
        due.fn();
      }
      t = to;
    },
    own(owner, from) { for (const h of timers.slice(from)) h.owner = owner; },
    count: () => timers.length,
  };
  return { kv, clock };
}

function tab(w, id, log) {
  const before = w.clock.count();
  const opts = { locks: null, kv: w.kv, now: w.clock.now, clearTimer: w.clock.clearTimer,
    setTimer: (fn, ms) => { const h = w.clock.setTimer(() => { fn(); }, ms); h.owner = id; return h; },
    onLost: () => log.push(`${id} lost`) };
  const e = electSender('tp:wk:sender', id, () => log.push(`${id} sends`), opts);
  w.clock.own(id, before);
  return e;
}

test('lease: one sender; a closed holder is replaced after the lease expires', () => {
  const w = world();
  const log = [];
  const a = tab(w, 'A', log);
  const b = tab(w, 'B', log);
  w.clock.advance(20000);
  assert.deepEqual(log, ['A sends'], 'B waits while A renews');
  a.release(); // A's tab closed (its lease is removed)
  w.clock.advance(22100);
  assert.deepEqual(log, ['A sends', 'B sends']);
  b.release();
});

test('lease: a holder that renewed too late steps down instead of sending beside the new holder', () => {
  const w = world();
  const log = [];
  tab(w, 'A', log);
  const b = tab(w, 'B', log);
  w.clock.advance(5000);
  // A's timers are frozen for 10 s (a throttled tab): its lease expires and B takes it.
  w.clock.advance(15000, new Set(['A']));
  assert.deepEqual(log, ['A sends', 'B sends']);
  w.clock.advance(25000); // A wakes up and finds B's live lease
  assert.deepEqual(log, ['A sends', 'B sends', 'A lost'], 'A stops sending');
  w.clock.advance(60000);
  assert.deepEqual(log, ['A sends', 'B sends', 'A lost'], 'B keeps the role; A does not take it back');
  b.release();
});
