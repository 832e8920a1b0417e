// Wraps the wasm Engine so that an abort of the module never reaches the page and never loses a
// recorded call. With -fno-exceptions any defect in the core is an abort(): the module is dead and
// every later call into it would fail too (issue 8). The guard
//   - reports `core_failed` once per abort, naming the call that aborted;
//   - stops calling into the dead module (calls answer empty outputs meanwhile);
//   - instantiates a fresh module, rebuilds the engine from the last snapshot it saw, reloads the
//     rules in force and replays every call ingested since that snapshot plus the calls recorded
//     while it was down, so no queued event is lost;
//   - ignores delivery answers for batches the dead engine handed out (their ids may be reused);
//   - gives up after MAX_RECOVERIES aborts in one page (a defect that keeps firing).
// The shell sees the same methods as the Embind class (strings in, strings out).

const MAX_RECOVERIES = 3;          // per page: a recurring abort is a defect to report, not to loop on
const JOURNAL_MAX_LINES = 2000;    // calls kept since the last snapshot; beyond it the guard snapshots itself
// ...and beyond this many bytes of call text, or the last snapshot's size if larger (so snapshotting
// a big backlog costs at most about as much as the calls it covers): the journal stays bounded.
const JOURNAL_MIN_BYTES = 256 * 1024;
const EMPTY_OUTPUT = '{"accepted":0,"errors":[],"send":[],"wake":null,"persist":false}';

// What an aborted call answers, by method (shapes the shell expects).
const FALLBACK = {
  ingest: EMPTY_OUTPUT, tick: EMPTY_OUTPUT, resume: EMPTY_OUTPUT, flush: EMPTY_OUTPUT, delivered: EMPTY_OUTPUT, advanceRules: EMPTY_OUTPUT,
  restore: EMPTY_OUTPUT, loadRules: '[]', stats: '{}', visit: '{}', rulesState: 'null', shareUrl: 'null', error: '',
  adopt: EMPTY_OUTPUT, receipts: EMPTY_OUTPUT, shed: EMPTY_OUTPUT, release: 0, inFlightKeys: '', state: '', setSender: undefined,
};

export class GuardedEngine {
  // core: an instantiated module; config: the JSON options string; hooks: {now() -> ms (the platform's clock),
  // reload() -> Promise<core>, consent() -> current consent state, onFailure(code, message), onRecovered(outputs[])}.
  constructor(core, config, hooks) {
    this._hooks = hooks;
    this._config = config;
    this._inner = new core.Engine(config);
    this._generation = 0;
    this._dead = false;
    this._recoveries = 0;
    this._snapshot = null;     // the last snapshot taken (the state the journal starts from)
    this._journal = [];        // [method, args] of the state-changing calls since that snapshot
    this._journalBytes = 0;    // characters of the journal's string arguments
    this._waiting = [];        // ingest inputs recorded while the core is down
    this._rules = null;        // the last rule set the core accepted
    this._issued = new Map();  // batch id -> generation of the engine that handed it out
    this._sender = true;       // the role set with setSender, given to a recovered engine too
  }

  get dead() { return this._dead; }
  get recoveries() { return this._recoveries; }

  error() { return this._guard('error', () => this._inner.error()); }
  delete() { try { this._inner.delete(); } catch (e) { /* a dead module cannot free */ } }

  ingest(input, now) {
    if (this._dead) { this._waiting.push(input); return EMPTY_OUTPUT; }
    const out = this._guard('ingest', () => this._inner.ingest(input, now), input);
    this._journaled('ingest', [input, now]);
    return out;
  }

  // Records (docs/storage.md): adopted, released and shed events change the queue, so they are
  // journaled like ingested calls and replayed after a recovery.
  adopt(records, now) { const out = this._guard('adopt', () => this._inner.adopt(records, now)); this._journaled('adopt', [records, now]); return out; }
  release(keys) { const out = this._guard('release', () => this._inner.release(keys)); this._journaled('release', [keys]); return out; }
  shed(now) { const out = this._guard('shed', () => this._inner.shed(now)); this._journaled('shed', [now]); return out; }
  receipts(id, status, body, now) { return this._guard('receipts', () => this._inner.receipts(id, status, body, now)); }
  setSender(sender) { this._sender = !!sender; return this._guard('setSender', () => this._inner.setSender(!!sender)); }
  inFlightKeys() { return this._guard('inFlightKeys', () => this._inner.inFlightKeys()); }
  state() { return this._guard('state', () => this._inner.state()); }

  _journaled(method, args) {
    if (this._dead) return;
    this._journal.push([method, args]);
    for (const a of args) if (typeof a === 'string') this._journalBytes += a.length;
    if (this._journal.length > JOURNAL_MAX_LINES ||
        this._journalBytes > Math.max(JOURNAL_MIN_BYTES, this._snapshot ? this._snapshot.length : 0)) this.snapshot();
  }

  tick(now) { return this._guard('tick', () => this._inner.tick(now)); }
  resume(now) { return this._guard('resume', () => this._inner.resume(now)); }
  flush(now, unloading, budget) { return this._guard('flush', () => this._inner.flush(now, unloading, budget)); }
  advanceRules(now) { return this._guard('advanceRules', () => this._inner.advanceRules(now)); }
  stats() { return this._guard('stats', () => this._inner.stats()); }
  visit() { return this._guard('visit', () => this._inner.visit()); }
  rulesState(now) { return this._guard('rulesState', () => this._inner.rulesState(now)); }
  shareUrl(url, channel, now) { return this._guard('shareUrl', () => this._inner.shareUrl(url, channel, now)); }

  delivered(id, status, retryAfterMs, body, now) {
    const gen = this._issued.get(id);
    this._issued.delete(id);
    if (gen !== this._generation) return EMPTY_OUTPUT; // sent by an engine that died: it has the events again
    return this._guard('delivered', () => this._inner.delivered(id, status, retryAfterMs, body, now));
  }

  batchBody(id) {
    if (this._dead) return new Uint8Array(0);
    this._issued.set(id, this._generation);
    try { return this._inner.batchBody(id); } catch (err) { this._failed('batchBody', err); return new Uint8Array(0); }
  }

  loadRules(body) {
    const out = this._guard('loadRules', () => this._inner.loadRules(body));
    if (out === '[]' && !this._dead) this._rules = body;
    return out;
  }

  snapshot() {
    if (this._dead) return this._snapshot || '';
    try {
      const snap = this._inner.snapshot();
      this._snapshot = snap;
      this._journal = [];
      this._journalBytes = 0;
      return snap;
    } catch (err) {
      this._failed('snapshot', err);
      return this._snapshot || '';
    }
  }

  // The shell restores the small state (or an old full snapshot once); the guard keeps a full one.
  restore(snap, now) {
    const out = this._guard('restore', () => this._inner.restore(snap, now), snap);
    if (!this._dead) this.snapshot();
    return out;
  }

  _guard(what, fn, input) {
    if (this._dead) {
      if (what === 'ingest') this._waiting.push(input);
      return FALLBACK[what];
    }
    try {
      return fn();
    } catch (err) {
      this._failed(what, err, input);
      return FALLBACK[what];
    }
  }

  _failed(what, err, input) {
    if (this._dead) return;
    this._dead = true;
    this._generation++;
    const detail = what === 'ingest' && typeof input === 'string' ? ` (${describeCalls(input)})` : '';
    this._hooks.onFailure('core_failed', `the core aborted in ${what}${detail}: ${String(err && err.message || err)}`);
    const suspect = what === 'ingest' && typeof input === 'string' ? input.split('\n').filter(Boolean) : [];
    if (this._recoveries >= MAX_RECOVERIES) return this._abandon(null, suspect);
    this._recoveries++;
    // The snapshot that aborted restore() is the cause: start without it.
    if (what === 'restore') { this._snapshot = null; this._journal = []; this._journalBytes = 0; }
    // Calls of the aborted ingest are replayed one by one, so a poisonous one is found and dropped.
    this._recover(suspect);
  }

  // Rebuilds the engine in a fresh module: snapshot, rules, journal (all known good), then the calls
  // of the aborted ingest one by one (a call that aborts again is dropped and reported), then the
  // calls recorded meanwhile. Outputs go to the shell; replayed ones without their errors, which
  // were reported the first time.
  async _recover(suspect) {
    let core;
    try {
      core = await this._hooks.reload();
    } catch (err) {
      return this._abandon(`the core could not be instantiated again: ${String(err && err.message || err)}`, suspect);
    }
    try { this._inner.delete(); } catch (e) { /* the dead module cannot free */ }
    const outputs = [];
    const now = this._hooks.now();
    try {
      this._inner = new core.Engine(withConsent(this._config, this._hooks.consent()));
      this._inner.setSender(this._sender);
      if (this._rules) this._inner.loadRules(this._rules);
      if (this._snapshot) outputs.push({ text: this._inner.restore(this._snapshot, now), replay: true });
      for (const [method, args] of this._journal) {
        const text = this._inner[method](...args);
        if (typeof text === 'string') outputs.push({ text, replay: true });
      }
    } catch (err) {
      // The known-good state aborts a fresh core: start empty rather than loop on it.
      this._snapshot = null;
      this._journal = [];
      this._journalBytes = 0;
      this._hooks.onFailure('core_failed', `restoring the state into a fresh core aborted: ${String(err && err.message || err)}`);
      return this._again(suspect);
    }
    for (let i = 0; i < suspect.length; i++) {
      try {
        outputs.push({ text: this._inner.ingest(suspect[i], now), replay: false });
        this._journal.push(['ingest', [suspect[i], now]]);
        this._journalBytes += suspect[i].length;
      } catch (err) {
        this._hooks.onFailure('call_dropped', `a call aborted the core again and was dropped: ${describeCalls(suspect[i])}`);
        return this._again(suspect.slice(i + 1));
      }
    }
    this._dead = false;
    const waiting = this._waiting;
    this._waiting = [];
    if (waiting.length) outputs.push({ text: this.ingest(waiting.join('\n'), this._hooks.now()), replay: false });
    if (!this._dead) this._hooks.onRecovered(outputs);
  }

  // Gives up for this page; the calls not in the core go to the shell, which keeps them for the next page.
  _abandon(why, suspect = []) {
    this._hooks.onFailure('core_unavailable', why || `the core aborted ${this._recoveries + 1} times; tracking stops for this page`);
    const lines = suspect.concat(this._waiting.join('\n').split('\n').filter(Boolean));
    this._waiting = [];
    if (this._hooks.onAbandon) this._hooks.onAbandon(lines);
  }

  _again(suspect) {
    this._generation++;
    if (this._recoveries >= MAX_RECOVERIES) return this._abandon(null, suspect);
    this._recoveries++;
    return this._recover(suspect);
  }
}

function withConsent(config, consent) {
  if (!consent) return config;
  try { const c = JSON.parse(config); c.consent = consent; return JSON.stringify(c); } catch (e) { return config; }
}

// "3 calls: track product_view, page, identify" — what was being done, without the data.
function describeCalls(input) {
  const lines = input.split('\n').filter(Boolean);
  const names = lines.slice(0, 3).map((l) => {
    if (l.startsWith('t\t')) return `track ${l.split('\t')[2] || ''}`.slice(0, 60);
    const m = /"type":"([a-z_]+)"/.exec(l);
    return m ? m[1] : 'call';
  });
  return `${lines.length} call${lines.length === 1 ? '' : 's'}: ${names.join(', ')}${lines.length > 3 ? ', …' : ''}`;
}
