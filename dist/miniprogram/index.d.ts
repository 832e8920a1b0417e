// Types of the mini-program build (dist/miniprogram/index.js): the web API plus the mini-program
// options and the explicit App/Page/Component wrappers (docs/miniprogram.md).
import type { InitOptions, Touchpoint } from './touchpoint';

export interface MiniProgramInitOptions extends InitOptions {
  /** Package path of the core, ending .wasm or .wasm.br. Default '/miniprogram_npm/touchpoint/touchpoint.wasm.br'. */
  wasmPath?: string;
  /** false: patch nothing; or switches (all true by default). */
  autotrack?: false | { app?: boolean; pages?: boolean; taps?: boolean; shares?: boolean };
  /** The wx object (default: the runtime's global wx). */
  wx?: unknown;
}

export interface MiniProgramTouchpoint extends Omit<Touchpoint, 'init'> {
  init(options: MiniProgramInitOptions): Promise<MiniProgramTouchpoint>;
  /** App() with the options wrapped (when init() ran after App() or globals are not patched). */
  App(options: Record<string, unknown>): unknown;
  Page(options: Record<string, unknown>): unknown;
  Component(options: Record<string, unknown>): unknown;
}

declare const touchpoint: MiniProgramTouchpoint & { DEFAULT_WASM_PATH: string };
export = touchpoint; // CommonJS: const touchpoint = require('touchpoint')
