// In-memory record store (README.md): Node, and the last resort when nothing persists.
export function createMemoryRecordStore() {
  const records = new Map();
  return {
    kind: 'memory',
    put(entries) { for (const [k, v] of entries) records.set(k, v); return Promise.resolve(); },
    remove(keys) { for (const k of keys) records.delete(k); return Promise.resolve(); },
    getAll() { return Promise.resolve([...records.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))); },
    get(keys) { return Promise.resolve(keys.filter((k) => records.has(k)).map((k) => [k, records.get(k)])); },
  };
}
