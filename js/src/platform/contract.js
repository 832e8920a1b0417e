// The platform contract: everything the shell (touchpoint.js, kiosk.js, the autotracks) asks of
// the runtime it runs in. The browser, Node and mini-program adapters implement it; init() passes
// whatever the platform factory returns through declarePlatform(), which rejects an adapter that
// lacks a required member and fills the optional ones with explicit defaults, so the shell calls
// every member without probing it first. Documented in docs/sdk.md ("The platform contract").
import { createStorageRecordStore } from '../storage/key-value.js';

/**
 * Synchronous key-value storage; never throws.
 * @typedef {Object} PlatformStorage
 * @property {(key: string) => (string|null)} get
 * @property {(key: string, value: string) => (string|null)} set  null when written, else why not
 * @property {(key: string) => void} remove
 */

/**
 * An answer to an event request; send() never rejects (a network failure is status 0).
 * @typedef {{status: number, retryAfterMs: number, body: string}} SendResult
 */

/**
 * @typedef {Object} Platform
 * Required:
 * @property {string} name                       'browser' | 'node' | 'miniprogram' | any other
 * @property {PlatformStorage} storage           the small state, consent, cached rules
 * @property {() => number} now                  the clock (ms since the epoch): every timestamp
 * @property {() => string} randomSeed           64 hex characters for the core's ids
 * @property {(fn: () => void, ms: number) => any} setTimer
 * @property {(handle: any) => void} clearTimer
 * @property {(url: string, bytes: Uint8Array, keepalive: boolean) => Promise<SendResult>} send
 * @property {(url: string, etag: string) => Promise<{status: number, etag: string, body: string}>} fetchRules
 *           rejects on a network failure
 * @property {(handler: (kind: 'hidden'|'visible'|'pagehide'|'pageshow'|'online') => void) => void} onLifecycle
 * @property {() => Object} context              the page/app context events carry
 * @property {() => string} currentUrl           '' where there is no address
 * Optional (declarePlatform fills the default shown):
 * @property {PlatformStorage|null} sessionStorage   null: no second store for the pagehide spill
 * @property {(opts: Object) => Promise<{store: Object|null, problems: string[]}>} openRecords
 *           default: one record per key in `storage` (js/src/storage/key-value.js)
 * @property {Function|null} electSender         (name, tabId, onAcquired, onLost) => election; null: this
 *           instance is the only sender (no tabs to share the queue with)
 * @property {(name: string) => (Object|null)} openChannel   default: () => null (no channel)
 * @property {(url: string, bytes: Uint8Array, keepalive: boolean) => Promise<SendResult>} sendOnUnload
 *           default: send()
 * @property {(fn: () => void) => void} onNavigationStart    default: never fires
 * @property {(url: string) => boolean} replaceUrl   shows url without a navigation; default false
 *           (nothing was replaced)
 * @property {(name: string) => (string|null)} readCookie    default: () => null
 * @property {(name: string, value: string, opts: {domain?: string, maxAgeS: number}) => void} writeCookie
 *           default: does nothing
 * @property {() => Promise<void>} ready         resolves when `storage` can be read; default: now
 * @property {(fn: (message: string) => void) => void} onStorageError  asynchronous storage
 *           failures; default: never fires
 * Other members an adapter has (setLocation, requestStats, ...) are kept, for its own entry.
 */

// Kept small: every byte of the shell is loaded by every page.
const REQUIRED = 'name storage now randomSeed setTimer clearTimer send fetchRules onLifecycle context currentUrl'.split(' ');
const none = () => null;
const noop = () => {};
// member -> its default (openRecords and sendOnUnload depend on the adapter: declarePlatform).
const DEFAULTS = {
  sessionStorage: null, electSender: null, openChannel: none, onNavigationStart: noop, replaceUrl: () => false,
  readCookie: none, writeCookie: noop, ready: () => Promise.resolve(), onStorageError: noop,
};
const isStorage = (s) => !!s && typeof s.get === 'function' && typeof s.set === 'function' && typeof s.remove === 'function';
const kind = (m) => (m === 'name' ? 'a string' : /torage$/.test(m) ? '{get, set, remove}' : 'a function');
const fits = (m, v) => (m === 'name' ? typeof v === 'string' && v !== '' : /torage$/.test(m) ? isStorage(v) : typeof v === 'function');

// The adapter as the shell uses it: required members checked, optional ones present (an optional
// member given must be of its kind too). Throws an Error naming every member that does not fit:
// 'touchpoint.init: the platform adapter "fake" needs now (a function), storage ({get, set, remove})'.
export function declarePlatform(p) {
  if (!p || typeof p !== 'object') p = {}; // not an adapter: named as lacking every member
  const declared = {
    ...DEFAULTS,
    openRecords: (opts) => Promise.resolve({ store: createStorageRecordStore(p.storage, `tp:${opts.writeKey}:r:`), problems: [] }),
    sendOnUnload: (url, bytes, keepalive) => p.send(url, bytes, keepalive),
  };
  const bad = REQUIRED.filter((m) => !fits(m, p[m]));
  for (const m in declared) if (p[m] != null && !fits(m, p[m])) bad.push(m);
  if (bad.length) throw new Error(`touchpoint.init: the platform adapter "${p.name}" needs ${bad.map((m) => `${m} (${kind(m)})`).join(', ')}`);
  for (const m in p) if (p[m] != null) declared[m] = p[m];
  return declared;
}
