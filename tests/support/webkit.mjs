// Real WebKit (WebKitGTK's MiniBrowser, the engine family of iOS WKWebView) for cross-browser tests,
// driven over W3C WebDriver (classic) by plain fetch() calls to WebKitWebDriver. MiniBrowser has no
// headless mode (PLATFORMS.md): each launch starts its own Xvfb on a display it picks (-displayfd),
// its own driver on a free port and its own HOME (a fresh visitor: empty storage and cookies).
// Everything started is killed by PID / process group on close() and on a failed launch.
// Page errors: WebDriver classic does not report them, so page-guard.js is evaluated after each
// load (a page that must be watched from its first script loads it itself, see tests/browser-x/pages).
// Interface shared with firefox.mjs: name, userAgent, goto, reloadAfter, evaluate, waitFor,
// pageErrors, close.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './collector.mjs';

const DRIVER = process.env.TP_WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.TP_WEBKIT_BROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB = '/usr/bin/Xvfb';
const PAGE_GUARD = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'page-guard.js'), 'utf8');
// Bounds for every wait here; a slow 2-core box starts Xvfb + MiniBrowser in a few seconds.
const START_TIMEOUT_MS = 30000;
const COMMAND_TIMEOUT_MS = 30000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// A function (called with args) or an expression string, as an execute/async script body: the
// result, awaited, goes back as { value } and a throw or rejection as { error }.
function scriptFor(fnOrExpr) {
  const fn = typeof fnOrExpr === 'function' ? String(fnOrExpr) : `() => (${fnOrExpr})`;
  return `const done = arguments[arguments.length - 1];
const args = Array.prototype.slice.call(arguments, 0, -1);
Promise.resolve().then(() => (${fn})(...args)).then(
  (value) => done({ value: value === undefined ? null : value }),
  (e) => done({ error: e instanceof Error ? e.name + ': ' + e.message + ' ' + (e.stack || '') : String(e) }));`;
}

// Calls fn, then location.reload() in the same task even if fn threw; answers what fn threw.
const RELOAD_AFTER = (fn) => `let thrown = null;
try { (${fn}).apply(null, arguments); } catch (e) { thrown = String(e && e.message ? e.message : e); }
location.reload();
return thrown;`;

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message())), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// Starts Xvfb on the first free display; resolves with ':N' once it accepts clients.
function startXvfb(children) {
  const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  return withTimeout(new Promise((resolve, reject) => {
    let out = '';
    child.stdio[3].on('data', (b) => { out += b; if (/\n/.test(out)) resolve(`:${out.trim()}`); });
    child.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr}`)));
    child.on('error', reject);
  }), START_TIMEOUT_MS, () => `Xvfb did not report a display: ${stderr}`);
}

function kill(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } resolve(); }, 3000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    // The driver's group holds MiniBrowser and its web/network processes.
    try { process.kill(-child.pid, 'SIGTERM'); } catch { clearTimeout(t); resolve(); }
  });
}

export async function launchWebKit() {
  const children = [];
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-webkit-'));
  // If the test process ends without close() (a throw, a test-runner timeout's SIGTERM, ^C), do
  // not leave a display or a browser behind; a signal still ends the process, as puppeteer does.
  const onExit = () => { for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } } };
  const onSignal = (signal) => { onExit(); fs.rmSync(home, { recursive: true, force: true }); process.exit(128 + (os.constants.signals[signal] || 1)); };
  process.on('exit', onExit);
  for (const sig of SIGNALS) process.on(sig, onSignal);
  let base;
  let sessionId;
  const cleanup = async () => {
    if (sessionId) {
      await fetch(`${base}/session/${sessionId}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) }).catch(() => {});
      sessionId = undefined;
    }
    for (const c of children.reverse()) await kill(c);
    process.off('exit', onExit);
    for (const sig of SIGNALS) process.off(sig, onSignal);
    fs.rmSync(home, { recursive: true, force: true });
  };

  async function command(method, pathname, body) {
    const res = await fetch(`${base}/session/${sessionId}${pathname}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS + 5000),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebKit ${method} ${pathname}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  try {
    const display = await startXvfb(children);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { ...process.env, DISPLAY: display, HOME: home, XDG_DATA_HOME: path.join(home, 'data'),
      XDG_CACHE_HOME: path.join(home, 'cache'), XDG_CONFIG_HOME: path.join(home, 'config'),
      // No sandbox in containers (PLATFORMS.md); no GL compositing on Xvfb's software display.
      WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1', WEBKIT_DISABLE_COMPOSITING_MODE: '1' };
    const driver = spawn(DRIVER, [`--port=${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(driver);
    let driverLog = '';
    driver.stdout.on('data', (b) => { driverLog = (driverLog + b).slice(-4000); });
    driver.stderr.on('data', (b) => { driverLog = (driverLog + b).slice(-4000); });
    await waitFor(async () => {
      if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited (${driver.exitCode}): ${driverLog}`);
      const res = await fetch(`${base}/status`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      return res && res.ok;
    }, { timeoutMs: START_TIMEOUT_MS, what: 'WebKitWebDriver /status' });
    const created = await withTimeout(fetch(`${base}/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } } }),
    }).then((r) => r.json()), START_TIMEOUT_MS, () => `WebKit session not created (DISPLAY=${display}): ${driverLog}`);
    sessionId = created.value && created.value.sessionId;
    if (!sessionId) throw new Error(`WebKit session not created: ${JSON.stringify(created).slice(0, 500)}`);
    await command('POST', '/timeouts', { script: COMMAND_TIMEOUT_MS, pageLoad: COMMAND_TIMEOUT_MS });
  } catch (e) {
    await cleanup();
    throw e;
  }

  // Errors of documents already left, and the current document's (its page-guard list).
  const leftErrors = [];
  const harvest = async () => { leftErrors.push(...((await api.evaluate('window.__tpxErrors || []').catch(() => [])) || [])); };
  const guard = () => command('POST', '/execute/sync', { script: PAGE_GUARD, args: [] });

  const api = {
    name: 'webkit',
    userAgent: '',
    async goto(url) { await harvest(); await command('POST', '/url', { url }); await guard(); },
    // Runs fnOrExpr and location.reload() in the same task (the page unloads right after, as when
    // a visitor reloads), then waits for the new document to load.
    async reloadAfter(fnOrExpr, ...args) {
      await harvest();
      await command('POST', '/execute/sync', { script: 'window.__tpxOldDocument = true;', args: [] });
      const fn = typeof fnOrExpr === 'function' ? String(fnOrExpr) : `() => (${fnOrExpr})`;
      // The driver may answer or report the navigation (ignored); a throw of fn comes back as text.
      const thrown = await command('POST', '/execute/sync', { script: RELOAD_AFTER(fn), args }).catch(() => null);
      await waitFor(() => api.evaluate("!window.__tpxOldDocument && document.readyState === 'complete'").catch(() => false),
        { timeoutMs: COMMAND_TIMEOUT_MS, what: 'the reloaded document' });
      await guard();
      if (thrown) throw new Error(`in WebKit page before the reload: ${thrown}`);
    },
    // fnOrExpr: a function (serialised, called with args, awaited) or an expression string.
    // The value must be JSON-serialisable; a throw in the page rejects here with its message.
    async evaluate(fnOrExpr, ...args) {
      const out = await command('POST', '/execute/async', { script: scriptFor(fnOrExpr), args });
      if (out && out.error) throw new Error(`in WebKit page: ${out.error}`);
      return out ? out.value : undefined;
    },
    waitFor(fnOrExpr, opts = {}) { return waitFor(() => api.evaluate(fnOrExpr), opts); },
    async pageErrors() { return [...leftErrors, ...((await api.evaluate('window.__tpxErrors || []')) || [])]; },
    close: cleanup,
  };
  api.userAgent = await api.evaluate(() => navigator.userAgent).catch(async (e) => { await cleanup(); throw e; });
  return api;
}
