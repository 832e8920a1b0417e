// Type definitions for Touchpoint (dist/touchpoint.mjs and the `touchpoint` global of touchpoint.umd.js).

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Properties = { [key: string]: JsonValue | undefined };

export interface InitOptions {
  /** Identifies the source; namespaces stored state. Required. */
  writeKey: string;
  /** Collector base URL, e.g. "https://collect.example.com" (batches go to `${endpoint}/v1/batch`). Required. */
  endpoint: string;
  /** Events per batch (default 20); a backlog (more waiting, e.g. a burst) is packed up to flushBytes per batch. */
  flushAt?: number;
  /** Max ms an event waits before its batch is sent (default 5000). */
  flushInterval?: number;
  /** Max bytes per batch before compression (default 262144). */
  flushBytes?: number;
  /** Queue bounds; past them the oldest waiting events are dropped, counted as `queue_full` and
   *  reported to the backend in `dropped` (defaults 50000 / 20 MiB; docs/storage.md). */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** Every event request is aborted after this many ms and retried as a network error (default 15000, 1000..60000). */
  requestTimeoutMs?: number;
  /**
   * true: any 2xx counts as delivered (third-party Segment-style backends). Default false: only the
   * collector's acknowledgement `{accepted, duplicates, rejected}` adding up to the batch confirms it;
   * any other 2xx (an HTML captive portal page, a non-JSON or empty body) is retried and reported as
   * `delivery_unconfirmed`.
   */
  acceptAny2xx?: boolean;
  /** gzip batch bodies inside the core (default true). */
  compress?: boolean;
  /** Log decisions and errors to the console. */
  debug?: boolean;
  /** Where touchpoint.wasm is fetched from (default: beside the script). */
  wasmUrl?: string;
  /** The wasm bytes, where fetching by URL is impossible (Node 20). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Custom wasm instantiation (WeChat mini-programs: WXWebAssembly). */
  instantiateWasm?: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => object;
  /** Fetch tag rules from the backend (default true); `rulesUrl` overrides `${endpoint}/v1/rules`. */
  rules?: boolean;
  rulesUrl?: string;
  rulesRefreshInterval?: number;
  /** 'pending' holds events in memory (nothing stored or sent) until consent('granted'); default 'granted'. */
  consent?: 'pending' | 'granted' | 'denied';
  /** Session ends after this many ms without activity (default 30 min). */
  sessionTimeout?: number;
  /** Start a new session at local midnight, so per-day reports add up (default false; docs/identity.md). */
  splitSessionsAtMidnight?: boolean;
  /** Local UTC offset in minutes east (+480 for China) when the platform context reports none (kiosk, server). */
  utcOffsetMinutes?: number;
  /** Domain of the tp_anon cookie that shares anonymousId across sub-domains, e.g. ".example.com". */
  cookieDomain?: string;
  /** false: do not write the tp_anon cookie. */
  cookie?: boolean;
  /** Automatic touchpoint tracking (see docs/autotrack.md); false disables all of it. */
  autotrack?: false | { pageviews?: boolean; clicks?: boolean; autocapture?: boolean; exposure?: boolean; scroll?: boolean; engagement?: boolean | { onHidden?: boolean }; forms?: boolean };
  /** Kiosk mode, for an in-store screen shared by many customers (docs/kiosk.md). deviceId and storeId
   *  (required, 1..255 bytes of UTF-8 without control characters) ride in every event as
   *  context.kiosk, and each visitor without a campaign touch of their own gets the store as first
   *  touch (source "kiosk", medium "in_store", store_id), so the dashboard credits the store.
   *  After idleResetMs (10 s..24 h, default 120000) without pointerdown/keydown/touchstart/scroll/wheel
   *  on the document, the visit ends as with endVisit() (reason 'idle'). An invalid value rejects
   *  init() with `init_failed` ("touchpoint.init: kiosk.storeId must be a string"), like any option. */
  kiosk?: KioskOptions;
  /** A platform adapter (see createBrowserPlatform / createNodePlatform / createMiniProgramPlatform). */
  platform?: Platform;
  /** Browsers: where the queue's records live (default: 'indexeddb', else 'localStorage' where
   *  IndexedDB is missing or broken, else 'memory'; docs/storage.md). Tabs of one origin and write key
   *  share it; one of them sends. */
  store?: 'indexeddb' | 'localStorage' | 'memory';
  /** Node only: a {getItem,setItem,removeItem[,keys]} store for the state and, when it has keys(),
   *  the queue's records (default: memory). */
  storage?: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void };
}

export interface KioskOptions { deviceId: string; storeId: string; idleResetMs?: number }

/**
 * Delivery codes: `delivery_unconfirmed` (a 2xx that is not the collector's acknowledgement: retried),
 * `endpoint_moved` (a 3xx, never followed: retried; check `endpoint`), `batch_rejected` (a 4xx: dropped
 * and counted), `event_too_large` (413 on a single event: dropped and counted), `storage_failed`.
 */
/** `code` includes, for the queue's store (docs/storage.md): 'storage_full' (the store is full: the
 *  oldest waiting events are freed, counted as dropped `storage_full`, and the rest stay in memory),
 *  'storage_failed' (the store or the small state cannot be written: events stay in memory),
 *  'record_corrupt' (unreadable stored records were deleted), 'snapshot_corrupt'. */
export interface TouchpointError { code: string; message: string; field?: string; errors?: { path: string; message: string }[] }
export interface TagChange { tag: string; rule: string }
export interface ScoreState { value: number; grade: string | null; max: number }

export interface Touchpoint {
  readonly version: string;
  init(options: InitOptions): Promise<Touchpoint>;
  track(event: string, properties?: Properties): void;
  page(name?: string | Properties, properties?: Properties): void;
  /** `options.userHash`: hex HMAC-SHA256(secret, userId) computed by your backend; a collector run
   *  with --identity-secret merges the userId into a profile only when it matches. */
  identify(userId?: string | Properties, traits?: Properties, options?: { userHash?: string }): void;
  reset(): void;
  /** The visitor left: `visit_end` {reason: 'api', duration_ms, started_at} is sent under their ids
   *  (after their session_end), then anonymousId (a new one), userId, traits, session, attribution,
   *  referral chain, external ids, super properties, tags, scores and stages are reset; the next
   *  event starts a new visitor. Works with or without kiosk mode. Called before init() it is
   *  buffered like every call and ends the restored visitor once ready; it never throws. Kiosk mode
   *  calls it by itself after kiosk.idleResetMs idle (reason 'idle'). */
  endVisit(): void;
  alias(userId: string, previousId?: string): void;
  /** Super properties: merged under every event's properties (the event's own keys win); persisted. */
  register(properties: Properties): void;
  registerOnce(properties: Properties): void;
  unregister(key: string): void;
  /** WeChat identities, sent as context.externalIds. */
  setExternalId(kind: 'openid' | 'unionid' | 'appid', value: string): void;
  consent(state: 'pending' | 'granted' | 'denied'): void;
  /** Decorates a link with this visitor's share ids (tp_ref/tp_share/tp_depth/tp_ch) and sends `share`. */
  shareUrl(url: string, options?: { channel?: string }): string;
  /** Mini-program: the src of a <web-view> carrying this visitor's ids (tp_anon, tp_uid, tp_openid, tp_unionid, tp_appid). */
  webviewUrl(url: string): string;
  /** Session, campaign (first/last touch), referral chain and ids of this visitor. */
  visit(): { session: { id: string; number: number } | null; campaign?: Record<string, unknown>; first_touch?: Record<string, unknown>; referral?: Record<string, unknown>; anonymousId: string; userId: string | null };
  /** Sends what is queued now; resolves true once those batches were answered. */
  flush(): Promise<boolean>;
  on(name: 'tags', cb: (e: { added: TagChange[]; removed: TagChange[]; tags: string[] }) => void): () => void;
  on(name: 'scores', cb: (e: { changes: unknown[]; scores: Record<string, ScoreState> }) => void): () => void;
  on(name: 'stage', cb: (e: { changes: unknown[]; stages: Record<string, string> }) => void): () => void;
  on(name: 'rules', cb: (e: { version: string; source: 'cache' | 'backend' }) => void): () => void;
  on(name: 'delivery', cb: (e: { batch: number; events: number; status: number }) => void): () => void;
  /** A visit ended (endVisit() or kiosk idle); fired once the core has reset the visitor (not for an endVisit() made before init()). */
  on(name: 'visit_end', cb: (e: { reason: 'idle' | 'api'; previousAnonymousId: string | null; anonymousId: string | null }) => void): () => void;
  on(name: 'error', cb: (e: TouchpointError) => void): () => void;
  off(name: string, cb: (...args: any[]) => void): void;
  tags(): string[];
  traits(): Record<string, JsonValue>;
  scores(): Record<string, ScoreState>;
  stage(): Record<string, string>;
  stage(id: string): string | null;
  rulesVersion(): string;
  anonymousId(): string | null;
  userId(): string | null;
  queueStats(): { queued: number; queuedBytes: number; pending: number; batches: number; inFlight: number; dropped: Record<string, number>;
    /** The kiosk configuration in force, null without kiosk mode. */
    kiosk: (KioskOptions & { idleResetMs: number }) | null;
    /** The wasm module's linear memory in bytes (it only grows; a plateau means a bounded heap). */
    wasmHeapBytes: number };
}

/** Synchronous key-value storage of a platform; never throws. set() answers null when written, else why not. */
export interface PlatformStorage { get(key: string): string | null; set(key: string, value: string): string | null; remove(key: string): void }
/** An answer to an event request; send() never rejects (a network failure is status 0). */
export interface SendResult { status: number; retryAfterMs: number; body: string }
export type LifecycleKind = 'hidden' | 'visible' | 'pagehide' | 'pageshow' | 'online';
/**
 * The platform contract (js/src/platform/contract.js, docs/sdk.md "The platform contract"): all the
 * SDK asks of its runtime. init() rejects an adapter missing a required member with an error naming
 * it, and fills the optional ones with the defaults noted.
 */
export interface Platform {
  name: string;
  storage: PlatformStorage;
  /** The clock (ms since the epoch): every event timestamp, timer deadline and session decision. */
  now(): number;
  /** 64 hex characters seeding the core's ids. */
  randomSeed(): string;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  send(url: string, bytes: Uint8Array, keepalive: boolean): Promise<SendResult>;
  /** Rejects on a network failure. */
  fetchRules(url: string, etag: string): Promise<{ status: number; etag: string; body: string }>;
  onLifecycle(handler: (kind: LifecycleKind) => void): void;
  /** The context events carry (page, userAgent, locale, screen, ...). */
  context(): Record<string, unknown>;
  /** '' where there is no address. */
  currentUrl(): string;
  /** Default null: no second store for the records spilled at pagehide. */
  sessionStorage?: PlatformStorage | null;
  /** Default: one record per key in `storage`. */
  openRecords?(opts: InitOptions): Promise<{ store: unknown; problems: string[] }>;
  /** Default null: this instance is the only sender (no tabs share its queue). */
  electSender?: ((name: string, tabId: string, onAcquired: () => void) => unknown) | null;
  /** Default: no channel (null). */
  openChannel?(name: string): { post(msg: unknown): void; onMessage(fn: (msg: unknown) => void): void } | null;
  /** Default: send(). */
  sendOnUnload?(url: string, bytes: Uint8Array, keepalive: boolean): Promise<SendResult>;
  /** Default: never fires. */
  onNavigationStart?(fn: () => void): void;
  /** Shows url without a navigation; true when the page's URL is now url. Default: false. */
  replaceUrl?(url: string): boolean;
  /** Default: null. */
  readCookie?(name: string): string | null;
  /** Default: does nothing. */
  writeCookie?(name: string, value: string, opts: { domain?: string; maxAgeS: number }): void;
  /** Resolves when `storage` can be read. Default: at once. */
  ready?(): Promise<void>;
  /** Asynchronous storage failures (reported as storage_failed). Default: never fires. */
  onStorageError?(fn: (message: string) => void): void;
  /** Adapter-specific members (setLocation, requestStats, ...) are kept. */
  [key: string]: unknown;
}
/** Checks a platform adapter against the contract and fills the optional members (what init() does). */
export declare function declarePlatform(platform: Platform): Required<Platform>;
export declare function createBrowserPlatform(options?: { requestTimeoutMs?: number }): Platform;
export declare function createNodePlatform(options?: { storage?: InitOptions['storage']; requestTimeoutMs?: number }): Platform;
export declare function createMiniProgramPlatform(wx: unknown, options?: { writeKey?: string; maxRequests?: number; requestTimeoutMs?: number }): Platform;
/** clock.now stamps the calls made before init() (default: the system clock); from init() on, platform.now() does. */
export declare const Touchpoint: { new (platformFactory: (o: InitOptions) => Platform, defaults?: Partial<InitOptions>, clock?: { now(): number }): Touchpoint };

declare const touchpoint: Touchpoint;
export default touchpoint;
