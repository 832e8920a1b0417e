// Real Firefox (Debian's Firefox ESR, headless) for cross-browser tests, driven by puppeteer-core 24
// over WebDriver BiDi (no geckodriver in Debian; PLATFORMS.md). puppeteer-core never downloads a
// browser; it makes (and on close removes) a fresh temp profile: each launch is a new visitor.
// Same interface as webkit.mjs: name, userAgent, goto, reloadAfter, evaluate, waitFor, pageErrors, close.
import puppeteer from 'puppeteer-core';
import { waitFor } from './collector.mjs';

const FIREFOX = process.env.TP_FIREFOX || '/usr/bin/firefox-esr';
// Firefox takes ~14 s to start on these 2-core machines (PLATFORMS.md); allow for a loaded box.
const START_TIMEOUT_MS = 60000;
const COMMAND_TIMEOUT_MS = 30000;
const CLOSE_TIMEOUT_MS = 10000;

// puppeteer starts Firefox detached (its own process group, with the content processes).
function killTree(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }
}

export async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, timeout: START_TIMEOUT_MS,
    protocolTimeout: COMMAND_TIMEOUT_MS,
    // Quiet start: no first-run pages, updates or telemetry pings in the background.
    extraPrefsFirefox: { 'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false, 'browser.shell.checkDefaultBrowser': false },
  });
  const proc = browser.process();
  const onExit = () => killTree(proc);
  process.on('exit', onExit);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    let timer;
    await Promise.race([browser.close().catch(() => {}),
      new Promise((r) => { timer = setTimeout(r, CLOSE_TIMEOUT_MS); })]).finally(() => clearTimeout(timer));
    killTree(proc);
    process.off('exit', onExit);
  };

  const problems = [];
  let page;
  try {
    page = (await browser.pages())[0] || (await browser.newPage());
    page.setDefaultTimeout(COMMAND_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(COMMAND_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e && e.message ? e.message : e}`));
    page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.text())) problems.push(`console: ${m.text()}`); });
  } catch (e) {
    await close();
    throw e;
  }

  const api = {
    name: 'firefox',
    userAgent: '',
    async goto(url) { await page.goto(url, { waitUntil: 'load' }); },
    // Runs fnOrExpr and location.reload() in the same task (the page unloads right after, as when
    // a visitor reloads), then waits for the new document to load.
    async reloadAfter(fnOrExpr, ...args) {
      const fn = typeof fnOrExpr === 'function' ? String(fnOrExpr) : `() => (${fnOrExpr})`;
      const navigated = page.waitForNavigation({ waitUntil: 'load' });
      // The evaluation may be cut short by the navigation (ignored); a throw of fn comes back as text.
      const thrown = await page.evaluate(`(() => { let thrown = null;
        try { (${fn}).apply(null, ${JSON.stringify(args)}); } catch (e) { thrown = String(e && e.message ? e.message : e); }
        location.reload();
        return thrown; })()`).catch(() => null);
      await navigated;
      if (thrown) throw new Error(`in Firefox page before the reload: ${thrown}`);
    },
    // fnOrExpr: a function (called with args, awaited) or an expression string; JSON-able result.
    async evaluate(fnOrExpr, ...args) { return page.evaluate(fnOrExpr, ...args); },
    waitFor(fnOrExpr, opts = {}) { return waitFor(() => api.evaluate(fnOrExpr), opts); },
    // Uncaught errors and console errors of every document loaded so far (from the first script).
    async pageErrors() { return problems.slice(); },
    close,
  };
  api.userAgent = await api.evaluate(() => navigator.userAgent).catch(async (e) => { await close(); throw e; });
  return api;
}
