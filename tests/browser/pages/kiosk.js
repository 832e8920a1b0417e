// A bare kiosk page for tests/browser/kiosk.test.mjs: init options from the query
// (?kiosk=<JSON>&flushAt=100&flushBytes=...&rules=false), the SDK is window.touchpoint, visit_end
// notifications are collected in window.visitEnds.
import touchpoint from '/dist/touchpoint.mjs';

const q = new URLSearchParams(location.search);
const options = { writeKey: 'kiosk-test', endpoint: location.origin, autotrack: false, debug: q.has('debug') };
if (q.has('kiosk')) options.kiosk = JSON.parse(q.get('kiosk'));
for (const k of ['flushAt', 'flushBytes', 'flushInterval', 'maxQueueEvents'])
  if (q.has(k)) options[k] = Number(q.get(k));
if (q.get('rules') === 'false') options.rules = false;
window.touchpoint = touchpoint;
window.errors = [];
window.visitEnds = [];
touchpoint.on('error', (e) => window.errors.push(e));
touchpoint.on('visit_end', (e) => window.visitEnds.push(e));
// ?early: calls made before init() (the snippet pattern), endVisit() among them.
if (q.has('early')) { touchpoint.track('early_view'); touchpoint.endVisit(); touchpoint.track('after_early'); }
window.touchpointReady = touchpoint.init(options).then(() => true, (e) => String(e && e.message || e));
