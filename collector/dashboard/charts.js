// Small SVG charts for the dashboard, no library: horizontal bars, a funnel, a column series and
// a tree. Each takes an <svg> element and plain data, sets its viewBox, and redraws it whole.
const NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#2f6fde', '#1e9e6a', '#e0912f', '#8a5cd1', '#d2453a', '#3aa6b9', '#7d8b99'];

function node(name, attrs = {}, text) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = String(text);
  return el;
}

function reset(svg, width, height) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  return svg;
}

function clip(label, max) { return label.length > max ? label.slice(0, max - 1) + '…' : label; }

// rows: [{label, value, note?}] -> labelled horizontal bars scaled to the largest value.
export function barChart(svg, rows, { width = 460, rowHeight = 22, labelWidth = 140, color = PALETTE[0], empty = 'no data yet' } = {}) {
  const height = Math.max(1, rows.length) * rowHeight + 6;
  reset(svg, width, height);
  if (!rows.length) { svg.append(node('text', { x: 0, y: 16, class: 'muted' }, empty)); return; }
  const max = Math.max(...rows.map((r) => r.value), 1);
  const barSpace = width - labelWidth - 60;
  rows.forEach((r, i) => {
    const y = i * rowHeight + 3;
    const w = Math.max(2, (r.value / max) * barSpace);
    svg.append(node('text', { x: labelWidth - 6, y: y + rowHeight * 0.65, 'text-anchor': 'end' }, clip(r.label, 22)));
    svg.append(node('rect', { x: labelWidth, y, width: w, height: rowHeight - 6, rx: 3, fill: r.color || color }));
    svg.append(node('text', { x: labelWidth + w + 5, y: y + rowHeight * 0.65, class: 'muted' }, r.note ?? r.value));
  });
}

// steps: [{stage, count, reached, conversion}] -> centred funnel bars with conversion between.
export function funnelChart(svg, steps, { width = 460, rowHeight = 34 } = {}) {
  const height = Math.max(1, steps.length) * rowHeight + 4;
  reset(svg, width, height);
  if (!steps.length) { svg.append(node('text', { x: 0, y: 16, class: 'muted' }, 'no stage definition in the rules')); return; }
  const max = Math.max(...steps.map((s) => s.reached), 1);
  const barMax = width - 160;
  steps.forEach((s, i) => {
    const y = i * rowHeight + 2;
    const w = s.reached ? Math.max(24, (s.reached / max) * barMax) : 0;
    const x = 90 + (barMax - w) / 2;
    svg.append(node('text', { x: 84, y: y + rowHeight * 0.55, 'text-anchor': 'end' }, s.stage));
    svg.append(node('rect', { x, y, width: w, height: rowHeight - 8, rx: 4, fill: PALETTE[i % PALETTE.length], 'data-stage': s.stage }));
    svg.append(node('text', { x: 90 + barMax / 2, y: y + rowHeight * 0.55, 'text-anchor': 'middle', fill: s.reached ? '#fff' : '#6b7785', 'font-weight': 600 }, s.reached));
    const conv = s.conversion === null || s.conversion === undefined ? '' : `${Math.round(s.conversion * 100)}%`;
    svg.append(node('text', { x: 96 + barMax, y: y + rowHeight * 0.55, class: 'muted' }, conv ? `${conv} conv.` : 'entry'));
  });
}

// values: numbers per time slot (oldest first) -> a column series with the latest highlighted.
export function columnChart(svg, values, { width = 460, height = 70, label = '' } = {}) {
  reset(svg, width, height + 14);
  const max = Math.max(...values, 1);
  const w = width / Math.max(values.length, 1);
  values.forEach((v, i) => {
    const h = (v / max) * height;
    svg.append(node('rect', { x: i * w + 1, y: height - h, width: Math.max(1, w - 2), height: h, fill: i === values.length - 1 ? PALETTE[1] : PALETTE[0], opacity: 0.85 }));
  });
  svg.append(node('line', { x1: 0, y1: height + 0.5, x2: width, y2: height + 0.5, stroke: '#cfd6de' }));
  svg.append(node('text', { x: 0, y: height + 12, class: 'muted' }, label));
  svg.append(node('text', { x: width, y: height + 12, class: 'muted', 'text-anchor': 'end' }, `max ${max}`));
}

// nodes: [{id, parent, level, channel, children}] in depth-first order -> an indented tree with
// elbow connectors. Any depth: the drawing grows (the section scrolls).
export function treeChart(svg, nodes, { indent = 26, rowHeight = 22, label = (n) => n.id } = {}) {
  const maxLevel = nodes.reduce((m, n) => Math.max(m, n.level), 0);
  const width = Math.max(460, 40 + maxLevel * indent + 320);
  const height = Math.max(1, nodes.length) * rowHeight + 6;
  reset(svg, width, height);
  svg.setAttribute('width', width);
  if (!nodes.length) { svg.append(node('text', { x: 0, y: 16, class: 'muted' }, 'no share links followed yet')); return; }
  const rowOf = new Map();
  nodes.forEach((n, i) => rowOf.set(n.id, i));
  nodes.forEach((n, i) => {
    const x = 10 + n.level * indent;
    const y = i * rowHeight + rowHeight / 2 + 3;
    if (n.parent !== null && rowOf.has(n.parent)) {
      const py = rowOf.get(n.parent) * rowHeight + rowHeight / 2 + 3;
      const px = 10 + (n.level - 1) * indent;
      svg.append(node('path', { d: `M${px},${py + 5} V${y} H${x - 6}`, fill: 'none', stroke: '#b8c2cc' }));
    }
    svg.append(node('circle', { cx: x, cy: y, r: 5, fill: PALETTE[n.level % PALETTE.length], 'data-id': n.id, 'data-level': n.level }));
    const text = node('text', { x: x + 10, y: y + 4 }, clip(label(n), 38));
    svg.append(text);
    const extra = [n.channel, n.children ? `${n.children} referred` : ''].filter(Boolean).join(' · ');
    // Measured once drawn, so the note never overlaps the label whatever the font.
    if (extra) svg.append(node('text', { x: x + 18 + text.getComputedTextLength(), y: y + 4, class: 'muted' }, extra));
  });
}
