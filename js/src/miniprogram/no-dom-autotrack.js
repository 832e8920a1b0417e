// Stands in for js/src/autotrack/ in the mini-program build (scripts/build-dist.mjs): there is no
// DOM to track; js/src/miniprogram/autotrack.js tracks the mini-program instead.
export function installAutotrack() { return () => {}; }
