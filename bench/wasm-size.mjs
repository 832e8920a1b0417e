// Where the product wasm's bytes go: relinks build-wasm's touchpoint_core with --profiling-funcs
// (same objects, same flags, function names kept), then sums code bytes per part.
//   node bench/wasm-size.mjs [--top N]        (needs a built build-wasm/)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build-wasm');
const topArg = process.argv.indexOf('--top');
const TOP = topArg > 0 ? Number(process.argv[topArg + 1]) : 25;
const grepArg = process.argv.indexOf('--grep');  // also list the functions whose name matches
const GREP = grepArg > 0 ? new RegExp(process.argv[grepArg + 1]) : null;

// The CMake link line of the product, with --profiling-funcs and a scratch output.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-wasm-size-'));
const link = fs.readFileSync(path.join(BUILD, 'CMakeFiles/touchpoint_wasm.dir/link.txt'), 'utf8').trim()
  .replace(/ -o touchpoint_core\.js /, ` -o ${path.join(dir, 'core.js')} `).replace(/--closure 1/, '') + ' --profiling-funcs';
execFileSync('sh', ['-c', link], { cwd: BUILD, stdio: 'inherit', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
const wasm = fs.readFileSync(path.join(dir, "core.wasm"));
if (process.env.TP_KEEP_WASM) fs.copyFileSync(path.join(dir, "core.wasm"), process.env.TP_KEEP_WASM);
fs.rmSync(dir, { recursive: true, force: true });

let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = wasm[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
let importedFuncs = 0;
const bodies = [];
const names = new Map();
const sections = [];
while (pos < wasm.length) {
  const id = wasm[pos++];
  const size = u32();
  const start = pos;
  const end = pos + size;
  if (id === 2) {  // imports: count functions (they take the first indices)
    const n = u32();
    for (let i = 0; i < n; i++) {
      const m = u32(); pos += m; const f = u32(); pos += f;
      const kind = wasm[pos++];
      if (kind === 0) { u32(); importedFuncs++; } else if (kind === 1) { pos++; const fl = u32(); u32(); if (fl & 1) u32(); }
      else if (kind === 2) { const fl = u32(); u32(); if (fl & 1) u32(); } else if (kind === 3) { pos += 2; }
    }
  } else if (id === 10) {
    const n = u32();
    for (let i = 0; i < n; i++) { const s = u32(); bodies.push(s); pos += s; }
  } else if (id === 0) {
    const nl = u32();
    const name = wasm.subarray(pos, pos + nl).toString(); pos += nl;
    if (name === 'name') {
      while (pos < end) {
        const sub = wasm[pos++]; const sl = u32(); const se = pos + sl;
        if (sub === 1) {
          const n = u32();
          for (let i = 0; i < n; i++) { const idx = u32(); const l = u32(); names.set(idx, wasm.subarray(pos, pos + l).toString()); pos += l; }
        }
        pos = se;
      }
    }
  }
  sections.push({ id, size });
  pos = end;
}

// Parts, first match wins (names are demangled by --profiling-funcs in 3.1.6 when possible).
const PARTS = [
  ['wasm bindings (LTO inlines their callees)', /WasmEngine/],
  ['rule-set compiler + validator (must be absent)', /RuleSetCompiler|LogicCompiler|compile_rule_set|required_strings|required_event_names|parse_duration|ParseErrorLocator/],
  ['program loader', /ProgramDecoder|decode_program|read_envelope|Reader::|literal_depth_ok|keep_literal|index_rule_set|build_tag_schedule/],
  ['rule evaluation', /touchpoint::rules::(?!.*(snapshot|state_json|apply_state|check_state))|rules::|logic_|Evaluator|DispatchTree|EventPaths|EventTextScanner|js_coercion|TraitState|Value/],
  ['rule-state snapshot', /snapshot|state_json|apply_state|check_state/],
  ['gzip', /Gzip|gzip|Deflate|deflate|huffman|Huffman|crc32/],
  ['nlohmann', /nlohmann/],
  ['engine, queue, validation, visit', /touchpoint::/],
  ['embind', /embind|emscripten::|_EmVal|__embind/],
  ['libc printf/strtod', /printf|strtod|fmt_|pop_arg|out|pad|scanexp|decfloat|hexfloat|__floatscan|__intscan|__shgetc|frexp|wctomb|strtox/],
  ['libc++ templates', /std::|__2::|basic_string|vector|__tree|__hash/],
  ['malloc', /malloc|free|emmalloc|sbrk/],
];
const totals = new Map(PARTS.map(([p]) => [p, 0]));
totals.set('other', 0);
const all = [];
let code = 0;
bodies.forEach((size, i) => {
  const name = names.get(i + importedFuncs) || `f${i + importedFuncs}`;
  code += size;
  // Classify by the qualified name, not the parameter types (every signature mentions std::).
  const head = name.split('(')[0];
  const part = (PARTS.find(([, re]) => re.test(head)) || ['other'])[0];
  totals.set(part, totals.get(part) + size);
  all.push({ name, size, part });
});
console.log(`product wasm relinked with --profiling-funcs: ${wasm.length} B (names included), code ${code} B in ${bodies.length} functions`);
for (const s of sections) if (s.id !== 0) console.log(`  section ${String(s.id).padStart(2)}: ${s.size} B`);
console.log('\ncode bytes per part:');
for (const [part, bytes] of [...totals].sort((a, b) => b[1] - a[1]))
  console.log(`  ${part.padEnd(48)} ${String(bytes).padStart(7)} B  ${(100 * bytes / code).toFixed(1).padStart(5)} %`);
console.log(`\nlargest ${TOP} functions:`);
for (const f of all.sort((a, b) => b.size - a.size).slice(0, TOP)) console.log(`  ${String(f.size).padStart(6)} B  ${f.part.slice(0, 12).padEnd(12)} ${f.name.slice(0, 140)}`);
if (GREP) {
  const hits = all.filter((f) => GREP.test(f.name));
  console.log(`\n${hits.length} functions matching ${GREP}: ${hits.reduce((a, f) => a + f.size, 0)} B`);
  for (const f of hits.slice(0, 40)) console.log(`  ${String(f.size).padStart(6)} B  ${f.name.slice(0, 220)}`);
}
