// A hand-written, event-name-indexed JS rule engine for the workload sets: what a careful JS SDK
// would do without a compiler. Predicates become closures, rules (and each branch of an `or`) are
// filed by the event names they require, count windows are deques, scores decay, tags are
// re-evaluated only when an input changed or their event arrives. The baseline the wasm engine
// is compared with in bench/rules-bench.mjs (a throughput figure; tags checked against expected/).
const NAME = 'event.event';

function compile(n) {
  if (n === null || typeof n !== 'object') return () => n;
  if (Array.isArray(n)) { const fs = n.map(compile); return (c) => fs.map((f) => f(c)); }
  const op = Object.keys(n)[0];
  const a = Array.isArray(n[op]) ? n[op] : [n[op]];
  if (op === 'var') {
    const segs = String(a[0]).split('.');
    return (c) => { let v = c; for (const s of segs) { if (v == null) return undefined; v = v[s]; } return v; };
  }
  const f = a.map(compile);
  const [x, y] = f;
  switch (op) {
    case 'and': return (c) => { let v = true; for (const g of f) { v = g(c); if (!v) return v; } return v; };
    case 'or': return (c) => { let v = false; for (const g of f) { v = g(c); if (v) return v; } return v; };
    case '!': return (c) => !x(c);
    case '===': return (c) => x(c) === y(c);
    case '!==': return (c) => x(c) !== y(c);
    case '<': return (c) => x(c) < y(c);
    case '<=': return (c) => x(c) <= y(c);
    case '>': return (c) => x(c) > y(c);
    case '>=': return (c) => x(c) >= y(c);
    case 'in': return (c) => { const b = y(c); return b != null && typeof b.indexOf === 'function' && b.indexOf(x(c)) !== -1; };
    case 'starts_with': return (c) => { const s = x(c), p = y(c); return typeof s === 'string' && typeof p === 'string' && s.startsWith(p); };
    default: throw new Error(`baseline: unsupported operator ${op}`);
  }
}

// The event names a predicate requires, or null (any event).
function names(n) {
  if (!n || typeof n !== 'object' || Array.isArray(n)) return null;
  const op = Object.keys(n)[0];
  const a = n[op];
  const isName = (v) => v && v.var === NAME;
  if (op === '===' && isName(a[0]) && typeof a[1] === 'string') return [a[1]];
  if (op === 'in' && isName(a[0]) && Array.isArray(a[1])) return a[1];
  if (op === 'and') { for (const p of a) { const r = names(p); if (r) return r; } return null; }
  if (op === 'or') { const all = []; for (const p of a) { const r = names(p); if (!r) return null; all.push(...r); } return all; }
  return null;
}

function reads(n, root, out = new Set()) {
  if (n && typeof n === 'object') {
    if (!Array.isArray(n) && typeof n.var === 'string' && n.var.startsWith(root + '.')) out.add(n.var.split('.')[1]);
    for (const v of Array.isArray(n) ? n : Object.values(n)) reads(v, root, out);
  }
  return out;
}

class Index {
  constructor() { this.byName = new Map(); this.always = []; }
  add(item, when) {
    const ns = names(when);
    if (!ns) { this.always.push(item); return; }
    for (const nm of ns) { if (!this.byName.has(nm)) this.byName.set(nm, []); this.byName.get(nm).push(item); }
  }
  get(name) { return this.byName.get(name) || []; }
}

export function createBaseline(rules) {
  const ctx = { event: null, traits: {}, scores: {}, grades: {}, tags: {} };
  const traits = (rules.traits || []).map((t) => ({ id: t.id, where: t.where ? compile(t.where) : () => true, window: Number(t.window) || 0, times: [], head: 0 }));
  const traitIndex = new Index();
  (rules.traits || []).forEach((t, i) => traitIndex.add(traits[i], t.where));
  for (const t of traits) ctx.traits[t.id] = 0;
  const scores = (rules.scores || []).map((s) => ({ id: s.id, half: Number(s.half_life), grades: s.grades || [], value: 0, last: 0 }));
  const scoreIndex = new Index();
  (rules.scores || []).forEach((s, i) => s.rules.forEach((r) => scoreIndex.add({ score: scores[i], when: compile(r.when), points: r.points }, r.when)));
  for (const s of scores) { ctx.scores[s.id] = 0; ctx.grades[s.id] = null; }
  // Tags: each `or` branch is filed by its event names; tags reading traits/grades are
  // re-evaluated when those change.
  const tags = (rules.tags || []).map((t) => ({ id: t.id, sticky: !!t.sticky, when: compile(t.when), set: false, first: -1 }));
  const tagIndex = new Index();
  const byTrait = new Map(), byGrade = new Map();
  (rules.tags || []).forEach((t, i) => {
    const tag = tags[i];
    const branches = t.when && t.when.or && names(t.when) ? t.when.or : [t.when];
    const readsState = reads(t.when, 'traits').size || reads(t.when, 'grades').size || reads(t.when, 'scores').size;
    if (!readsState) for (const b of branches) tagIndex.add({ tag, when: compile(b) }, b);
    for (const id of reads(t.when, 'traits')) { if (!byTrait.has(id)) byTrait.set(id, []); byTrait.get(id).push(tag); }
    for (const id of [...reads(t.when, 'grades'), ...reads(t.when, 'scores')]) { if (!byGrade.has(id)) byGrade.set(id, []); byGrade.get(id).push(tag); }
  });
  let seq = -1;
  const setTag = (tag, v) => {
    if (v && !tag.set) { tag.set = true; ctx.tags[tag.id] = true; if (tag.first < 0) tag.first = seq; }
    else if (!v && tag.set && !tag.sticky) { tag.set = false; delete ctx.tags[tag.id]; }
  };
  const dirty = new Set();
  return {
    process(ev, t) {
      seq++;
      ctx.event = ev;
      for (const tr of traits) {  // windows slide
        if (!tr.window) continue;
        while (tr.head < tr.times.length && tr.times[tr.head] <= t - tr.window) { tr.head++; dirty.add(tr.id); }
        ctx.traits[tr.id] = tr.times.length - tr.head;
      }
      const name = ev.event;
      for (const list of [traitIndex.get(name), traitIndex.always])
        for (const tr of list) if (tr.where(ctx)) { tr.times.push(t); ctx.traits[tr.id] = tr.times.length - tr.head; dirty.add(tr.id); }
      for (const list of [scoreIndex.get(name), scoreIndex.always])
        for (const r of list) {
          if (!r.when(ctx)) continue;
          const s = r.score;
          s.value = s.value * Math.pow(2, -(t - s.last) / s.half) + r.points;
          s.last = t;
          ctx.scores[s.id] = s.value;
          const g = s.grades.find((x) => s.value >= x.min);
          ctx.grades[s.id] = g ? g.grade : null;
          dirty.add(s.id);
        }
      for (const list of [tagIndex.get(name), tagIndex.always])
        for (const { tag, when } of list) if (!(tag.sticky && tag.set) && when(ctx)) setTag(tag, true);
      for (const id of dirty) {
        for (const tag of byTrait.get(id) || []) if (!(tag.sticky && tag.set)) setTag(tag, !!tag.when(ctx));
        for (const tag of byGrade.get(id) || []) if (!(tag.sticky && tag.set)) setTag(tag, !!tag.when(ctx));
      }
      dirty.clear();
    },
    tags() { const o = {}; for (const t of tags) if (t.set) o[t.id] = t.first; return o; },
  };
}
