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
 * @property {Function|null} electSender         (name, tabId, onAcquired) => election; null: this
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

const fn = 'a function';
const storageShape = 'an object with get, set and remove functions';
const isStorage = (s) => !!s && typeof s.get === 'function' && typeof s.set === 'function' && typeof s.remove === 'function';

// member -> what it must be.
export const REQUIRED_MEMBERS = {
  name: 'a string', storage: storageShape, now: fn, randomSeed: fn, setTimer: fn, clearTimer: fn,
  send: fn, fetchRules: fn, onLifecycle: fn, context: fn, currentUrl: fn,
};

const noop = () => {};

// member -> its default, given the adapter.
const OPTIONAL_DEFAULTS = {
  sessionStorage: () => null,
  openRecords: (p) => (opts) => Promise.resolve({ store: createStorageRecordStore(p.storage, `tp:${opts.writeKey}:r:`), problems: [] }),
  electSender: () => null,
  openChannel: () => () => null,
  sendOnUnload: (p) => (url, bytes, keepalive) => p.send(url, bytes, keepalive),
  onNavigationStart: () => noop,
  replaceUrl: () => () => false,
  readCookie: () => () => null,
  writeCookie: () => noop,
  ready: () => () => Promise.resolve(),
  onStorageError: () => noop,
};
export const OPTIONAL_MEMBERS = Object.keys(OPTIONAL_DEFAULTS);

function satisfies(member, value) {
  if (member === 'name') return typeof value === 'string' && value !== '';
  if (member === 'storage') return isStorage(value);
  return typeof value === 'function';
}

// The adapter as the shell uses it: required members checked, optional ones present. Throws an
// Error naming every member that is missing or of the wrong kind.
export function declarePlatform(p) {
  if (!p || typeof p !== 'object') throw new Error('touchpoint.init: the platform adapter must be an object (js/src/platform/contract.js)');
  const bad = Object.keys(REQUIRED_MEMBERS).filter((m) => !satisfies(m, p[m]));
  if (bad.length) {
    const list = bad.map((m) => `${m} (${REQUIRED_MEMBERS[m]})`).join(', ');
    throw new Error(`touchpoint.init: the platform adapter "${typeof p.name === 'string' ? p.name : '?'}" lacks required member${bad.length > 1 ? 's' : ''} ${list}`);
  }
  const declared = { ...p };
  for (const m of OPTIONAL_MEMBERS) {
    const v = p[m];
    if (v === undefined || v === null) { declared[m] = OPTIONAL_DEFAULTS[m](p); continue; }
    const ok = m === 'sessionStorage' ? isStorage(v) : typeof v === 'function';
    if (!ok) throw new Error(`touchpoint.init: the platform adapter "${p.name}" has ${m}, but it is not ${m === 'sessionStorage' ? storageShape : fn}`);
  }
  return declared;
}
