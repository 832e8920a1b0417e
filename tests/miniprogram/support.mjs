// Runs examples/miniprogram in the simulator with the built dist/miniprogram/ as its npm package.
import path from 'node:path';
import { ROOT } from '../support/collector.mjs';
import { FakeClock, MiniProgramSimulator, WxStorage } from './simulator.mjs';

export const EXAMPLE = path.join(ROOT, 'examples/miniprogram');
// The committed build by default (what `make test` checks for freshness); TP_MP_DIST points at
// another (e.g. build-wasm/dist/miniprogram while developing).
export const MP_DIST = process.env.TP_MP_DIST || path.join(ROOT, 'dist/miniprogram');

export const turn = () => new Promise((r) => setImmediate(r));
export async function settle(n = 5) { for (let i = 0; i < n; i++) await turn(); }

// One phone: its own storage (kept across kills and relaunches) and the clock of the test.
export function phone(collector, { writeKey = 'demo-shop', clock = new FakeClock(), storage = new WxStorage(), extConfig = {}, promiseMacrotasks = false } = {}) {
  const sim = new MiniProgramSimulator({
    packageDir: EXAMPLE,
    mounts: { '/miniprogram_npm/touchpoint': MP_DIST },
    clock, storage, promiseMacrotasks,
    extConfig: { endpoint: collector.url, writeKey, ...extConfig },
  });
  return {
    sim, clock, storage,
    // Launches the app and waits for the SDK to be ready; returns {app, tp}.
    async launch(opts) {
      const app = await sim.launch(opts);
      const tp = app.require('/app.js', 'touchpoint');
      await tp.init(); // the promise of the init() app.js made
      await settle();
      return { app, tp };
    },
  };
}

// Advances the phone's clock (flush interval, retries) until `done()` holds; bounded.
export async function deliver(sim, done, { stepMs = 1000, maxSteps = 300 } = {}) {
  for (let i = 0; i < maxSteps; i++) {
    if (await done()) return;
    // Real requests to the collector finish before fake time moves on (up to 2 s of real time):
    // on a loaded machine a big batch can take longer than 10 ms, and a fake clock racing past
    // requestTimeoutMs meanwhile would time it out, again and again.
    const until = Date.now() + 2000;
    while (sim.network.active > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await sim.advance(stepMs);
    await new Promise((r) => setTimeout(r, 10)); // real I/O to the collector
  }
  // What the network saw, so a failure here can be told apart (timeouts, 5xx, nothing sent).
  const last = sim.network.requests.slice(-8).map((r) => `${r.method} ${new URL(r.url).pathname} -> ${r.outcome}`);
  throw new Error(`not delivered after ${maxSteps} steps of ${stepMs} ms; ${sim.network.requests.length} requests, ` +
    `${sim.network.active} active, last: ${last.join('; ')}`);
}
