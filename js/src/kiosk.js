// Kiosk mode's idle timer (docs/kiosk.md): a shared in-store screen ends the visitor's visit after
// `idleMs` without interaction. Interactions only note the time (one assignment per event, no
// timer per event); one timer through the platform's setTimer checks, when it fires, whether the
// screen was really idle for idleMs, and otherwise waits out the rest. After a visit ended, the
// timer waits for the next customer's first interaction before it runs again, so an unused screen
// ends no empty visits. What ending a visit means is the core's (the "end_visit" call).

// What counts as someone using the screen (all fire on document; capture sees element scrolls).
export const KIOSK_ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart', 'scroll', 'wheel'];

// { idleMs, now(), setTimer(fn, ms), clearTimer(h), target (an EventTarget, e.g. document),
//   onIdle(endedAt) }. Returns { visitEnded(), stop() }. Never throws into the page.
export function startKioskIdleTimer({ idleMs, now, setTimer, clearTimer, target, onIdle }) {
  let lastActivity = now();
  let timer = null;
  const arm = (ms) => { timer = setTimer(check, Math.max(0, ms)); };
  function check() {
    timer = null;
    const idle = now() - lastActivity;
    if (idle < idleMs) return arm(idleMs - idle);
    // The visit ended when the idle time ran out, not when a throttled timer got to run.
    onIdle(lastActivity + idleMs);
  }
  const activity = () => {
    lastActivity = now();
    if (timer === null) arm(idleMs);
  };
  const listen = { capture: true, passive: true };
  for (const type of KIOSK_ACTIVITY_EVENTS) target.addEventListener(type, activity, listen);
  arm(idleMs); // the page itself is the start of a visit (a reload, the first customer)
  return {
    // endVisit() from the page: the next visit starts with the next interaction.
    visitEnded() {
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
    stop() {
      this.visitEnded();
      for (const type of KIOSK_ACTIVITY_EVENTS) target.removeEventListener(type, activity, listen);
    },
  };
}
