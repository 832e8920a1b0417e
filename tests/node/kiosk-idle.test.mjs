// The kiosk idle timer (js/src/kiosk.js) on a fake clock: interactions only note the time, one
// timer at a time checks, the visit ends exactly idleMs after the last interaction, and an unused
// screen ends no further visits until someone touches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KIOSK_ACTIVITY_EVENTS, startKioskIdleTimer } from '../../js/src/kiosk.js';

function fakeClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  const clock = {
    now: () => now,
    set: 0,
    setTimer(fn, ms) { clock.set++; const id = nextId++; timers.set(id, { at: now + ms, fn }); return id; },
    clearTimer(id) { timers.delete(id); },
    pending: () => timers.size,
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let due = null;
        for (const [id, t] of timers) if (t.at <= end && (!due || t.at < due[1].at)) due = [id, t];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
  return clock;
}

function fakeDocument() {
  const listeners = new Map();
  return {
    addEventListener(type, fn) { listeners.set(type, fn); },
    removeEventListener(type, fn) { if (listeners.get(type) === fn) listeners.delete(type); },
    fire(type) { const fn = listeners.get(type); if (fn) fn(); },
    count: () => listeners.size,
  };
}

function start(idleMs = 60000) {
  const clock = fakeClock();
  const doc = fakeDocument();
  const ends = [];
  const timer = startKioskIdleTimer({ idleMs, now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer, target: doc, onIdle: (at) => ends.push(at) });
  return { clock, doc, ends, timer };
}

test('kiosk idle: ends idleMs after the last interaction, with one timer however many interactions', () => {
  const { clock, doc, ends } = start();
  assert.deepEqual([...KIOSK_ACTIVITY_EVENTS].sort(), ['keydown', 'pointerdown', 'scroll', 'touchstart', 'wheel']);
  assert.equal(doc.count(), 5);
  for (let i = 0; i < 1000; i++) { clock.advance(50); doc.fire(KIOSK_ACTIVITY_EVENTS[i % 5]); } // 50 s of use
  assert.equal(clock.set, 1, 'interactions arm no timers of their own');
  assert.equal(clock.pending(), 1);
  clock.advance(59999);
  assert.deepEqual(ends, []);
  clock.advance(1);
  assert.deepEqual(ends, [50000 + 60000]);
  assert.equal(clock.set, 2, 'the first check found 50 s of use and waited out the rest once');
  // Nobody comes: no second end, no timer.
  clock.advance(10 * 60000);
  assert.deepEqual(ends, [110000]);
  assert.equal(clock.pending(), 0);
  // The next customer's first touch starts the next visit's timer.
  doc.fire('touchstart');
  clock.advance(60000);
  assert.deepEqual(ends, [110000, 710000 + 60000]);
});

test('kiosk idle: a late timer (throttled page) still dates the end at last interaction + idleMs', () => {
  const { clock, doc, ends } = start(60000);
  doc.fire('keydown');
  clock.advance(30000);
  doc.fire('pointerdown'); // at 30 s
  clock.advance(3 * 3600 * 1000); // the page slept
  assert.deepEqual(ends, [90000]);
});

test('kiosk idle: visitEnded() (endVisit) stops the timer until the next interaction; stop() removes the listeners', () => {
  const { clock, doc, ends, timer } = start();
  doc.fire('pointerdown');
  timer.visitEnded();
  assert.equal(clock.pending(), 0);
  clock.advance(5 * 60000);
  assert.deepEqual(ends, [], 'no idle end for a visit the page ended');
  doc.fire('wheel');
  clock.advance(60000);
  assert.equal(ends.length, 1);
  timer.stop();
  assert.equal(doc.count(), 0);
  doc.fire('pointerdown');
  clock.advance(5 * 60000);
  assert.equal(ends.length, 1);
});
