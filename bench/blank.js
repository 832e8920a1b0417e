// The no-SDK page of `make bench`: when a module script runs on a page without the SDK.
const at = performance.now();
window.benchResult = Promise.resolve({ scriptStart: at, readyAt: at });
