// A bare page for browser tests of SDK features the shop does not exercise: init options come
// from the query (?consent=pending&flushInterval=100), the SDK is window.touchpoint.
import touchpoint from '/dist/touchpoint.mjs';

const q = new URLSearchParams(location.search);
const options = { writeKey: q.get('writeKey') || 'sdk-test', endpoint: location.origin, debug: q.has('debug') };
if (q.has('consent')) options.consent = q.get('consent');
if (q.has('flushInterval')) options.flushInterval = Number(q.get('flushInterval'));
if (q.has('autotrack')) options.autotrack = q.get('autotrack') === 'true';
for (const k of ['flushAt', 'requestTimeoutMs']) if (q.has(k)) options[k] = Number(q.get(k));
if (q.has('acceptAny2xx')) options.acceptAny2xx = q.get('acceptAny2xx') === 'true';
window.touchpoint = touchpoint;
window.errors = [];
touchpoint.on('error', (e) => window.errors.push(e));
window.touchpointReady = touchpoint.init(options).then(() => true, (e) => String(e));
